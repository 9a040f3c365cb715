import { render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { Transcript } from '../src/components/Transcript';
import type { ChatMessage } from '../src/state/messagesReducer';
import { message } from './helpers';

describe('transcript', () => {
  it('renders markup typed by a visitor as text', () => {
    const { container } = render(
      <Transcript messages={[message({ text: '<img src=x onerror=alert(1)>' })]} />,
    );
    const log = screen.getByRole('log');
    expect(log).toHaveTextContent('<img src=x onerror=alert(1)>');
    expect(container.querySelector('img')).toBeNull();
  });

  it('keeps list semantics inside the log: each message is an item of a list', () => {
    render(<Transcript messages={[message({ id: 1, text: 'one' }), message({ id: 2, text: 'two' })]} />);
    const log = screen.getByRole('log', { name: 'Conversation transcript' });
    expect(log.tagName).not.toBe('OL'); // a role on the <ol> would take the list role from its items
    expect(log).toHaveAttribute('tabindex', '0'); // a scrolling box the keyboard can reach
    const list = within(log).getByRole('list');
    expect(within(list).getAllByRole('listitem').map((li) => li.textContent)).toEqual([
      expect.stringContaining('one'),
      expect.stringContaining('two'),
    ]);
  });

  it('makes http(s) links clickable and nothing else', () => {
    render(
      <Transcript
        messages={[message({ text: 'see https://example.com/a?b=1. or javascript:alert(1) <a href="x">y</a>' })]}
      />,
    );
    const links = within(screen.getByRole('log')).getAllByRole('link');
    expect(links).toHaveLength(1);
    expect(links[0]).toHaveAttribute('href', 'https://example.com/a?b=1');
    expect(links[0]).toHaveAttribute('rel', 'noopener noreferrer');
    expect(links[0]).toHaveAttribute('target', '_blank');
  });

  it('shows a delivery status for each staff message', () => {
    const staff = (id: number, over: Partial<ChatMessage>) =>
      message({ id, sender: 'staff', author: { id: 1, name: 'Ann' }, text: `m${id}`, ...over });
    render(
      <Transcript
        visitorReadId={2}
        messages={[
          message({ id: 1, text: 'from visitor' }),
          staff(2, { status: 'sent' }), // read marker covers it
          staff(3, { status: 'queued' }),
          staff(4, { status: 'sent' }),
          staff(5, { status: 'delivered' }),
          staff(6, { status: 'failed', error: '21211: invalid number' }),
        ]}
      />,
    );
    expect(screen.getAllByTestId('delivery-status').map((b) => b.textContent)).toEqual([
      'Read',
      'Queued',
      'Sent',
      'Delivered',
      'Failed: 21211: invalid number',
    ]);
  });

  it('offers a retry on a message that failed to send', async () => {
    const onRetry = vi.fn();
    const failed: ChatMessage = {
      ...message({ id: -1, sender: 'staff', text: 'retry me', client_id: 'c1' }),
      local: 'failed',
      localError: 'Network down',
    };
    render(<Transcript messages={[failed]} onRetry={onRetry} />);
    expect(screen.getByTestId('delivery-status')).toHaveTextContent('Failed: Network down');
    await userEvent.click(screen.getByRole('button', { name: 'Retry' }));
    expect(onRetry).toHaveBeenCalledWith(failed);
  });
});
