import { act, render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { App } from '../src/App';
import { Transcript } from '../src/components/Transcript';
import type { Message, Upload } from '../src/types';
import { conversation, FakeWebSocket, json, message, mockApi, signIn } from './helpers';

/** A file dropped on `target`, as the browser dispatches it (jsdom has no DataTransfer). */
function fireDrop(target: Element, files: File[]) {
  const dataTransfer = { files, types: ['Files'] };
  for (const type of ['dragover', 'drop']) {
    const event = new Event(type, { bubbles: true, cancelable: true });
    Object.defineProperty(event, 'dataTransfer', { value: dataTransfer });
    act(() => {
      target.dispatchEvent(event);
    });
  }
}

const image: Upload = { id: 7, name: 'shot.png', content_type: 'image/png', size: 90, url: '/files/7/shot.png?exp=1&sig=a' };
const pdf: Upload = { id: 8, name: 'invoice.pdf', content_type: 'application/pdf', size: 40, url: '/files/8/invoice.pdf?exp=1&sig=b' };

describe('attachments in the transcript', () => {
  it('shows our images inline, enlarged in a dialog on click, and other files as download links', async () => {
    render(<Transcript messages={[message({ text: '', attachments: [image, pdf] })]} />);
    const log = screen.getByRole('log');
    const opener = within(log).getByRole('button', { name: 'Enlarge shot.png' });
    expect(opener.querySelector('img')).toHaveAttribute('src', image.url);
    await userEvent.click(opener);
    const dialog = screen.getByRole('dialog', { name: 'shot.png' });
    expect(within(dialog).getByRole('img', { name: 'shot.png' })).toHaveAttribute('src', image.url);
    expect(within(dialog).getByRole('link', { name: 'Open in a new tab' })).toHaveAttribute('rel', 'noopener noreferrer');
    expect(within(dialog).getByRole('button', { name: 'Close' })).toHaveFocus();
    await userEvent.keyboard('{Escape}');
    expect(screen.queryByRole('dialog')).toBeNull();
    expect(opener).toHaveFocus();
    const file = within(log).getByRole('link', { name: 'invoice.pdf' });
    expect(file).toHaveAttribute('href', pdf.url);
    expect(file).toHaveAttribute('download', 'invoice.pdf');
  });

  it('never renders a link or image from an unsafe url', () => {
    const { container } = render(
      <Transcript
        messages={[message({ attachments: [{ url: 'javascript:alert(1)', content_type: 'image/png', name: 'x.png' }] })]}
      />,
    );
    expect(container.querySelector('img')).toBeNull();
    expect(within(screen.getByRole('log')).queryByRole('link')).toBeNull();
  });

  it('keeps platform media (MMS) as a link, not an inline image', () => {
    render(
      <Transcript messages={[message({ attachments: [{ url: 'https://api.twilio.com/m/1', content_type: 'image/jpeg' }] })]} />,
    );
    expect(within(screen.getByRole('log')).queryByRole('img')).toBeNull();
    expect(within(screen.getByRole('log')).getByRole('link', { name: 'Image 1' })).toHaveAttribute(
      'href',
      'https://api.twilio.com/m/1',
    );
  });
});

describe('composer: Attach', { timeout: 20_000 }, () => {
  async function open(uploadReply: unknown = image, sendBodies: unknown[] = []) {
    FakeWebSocket.instances = [];
    const me = signIn({ id: 9, name: 'Ann', role: 'staff' });
    window.location.hash = '/inbox/5';
    const convo = conversation({ id: 5, unread_count: 0 });
    const api = mockApi({
      'GET /api/v1/auth/me': me,
      'GET /admin/api/convos': { conversations: [convo], next_before: null },
      'GET /admin/api/conversations/5': convo,
      'GET /admin/api/conversations/5/messages': { messages: [message({ id: 10, conversation_id: 5, text: 'first' })] },
      'POST /api/v1/uploads': () => (typeof uploadReply === 'function' ? (uploadReply as () => unknown)() : uploadReply),
      'POST /admin/api/send': (c) => {
        const body = c.body as { text: string; client_id: string; attachment_ids?: number[] };
        sendBodies.push(body);
        const m: Message = {
          ...message({ id: 600, conversation_id: 5, sender: 'staff', text: body.text }),
          client_id: body.client_id,
          status: 'sent',
          ...(body.attachment_ids ? { attachments: [image] } : {}),
        };
        return { message_id: 600, message: m };
      },
    });
    render(<App WebSocketImpl={FakeWebSocket} />);
    await screen.findByText('first');
    act(() => FakeWebSocket.last.open());
    return api;
  }

  it('uploads the chosen file and sends it with the reply, text optional', async () => {
    const api = await open();
    const input = screen.getByLabelText('Attach a file');
    await userEvent.upload(input, new File([new Uint8Array([137, 80, 78, 71])], 'shot.png', { type: 'image/png' }));
    const pending = await screen.findByRole('list', { name: 'Files to send' });
    expect(pending).toHaveTextContent('shot.png');
    expect(api.find('POST', '/api/v1/uploads')).toHaveLength(1);
    await userEvent.click(screen.getByRole('button', { name: 'Send' }));
    await waitFor(() => expect(api.find('POST', '/admin/api/send')).toHaveLength(1));
    expect(api.find('POST', '/admin/api/send')[0]!.body).toMatchObject({ conversation_id: 5, text: '', attachment_ids: [7] });
    expect(await within(screen.getByRole('log')).findByRole('button', { name: 'Enlarge shot.png' })).toBeInTheDocument();
    expect(screen.queryByRole('list', { name: 'Files to send' })).toBeNull();
  });

  it('shows why a file was refused and sends nothing', async () => {
    const api = await open(json({ detail: 'unsupported file type: images, pdf and plain text only' }, 415));
    await userEvent.upload(screen.getByLabelText('Attach a file'), new File(['<html>'], 'page.png', { type: 'image/png' }));
    const pending = await screen.findByRole('list', { name: 'Files to send' });
    await waitFor(() => expect(pending).toHaveTextContent('page.pngunsupported file type'));
    expect(screen.getByRole('button', { name: 'Send' })).toBeDisabled();
    expect(api.find('POST', '/admin/api/send')).toHaveLength(0);
  });

  it('takes pasted and dropped files, previews images with upload progress, and removes one before sending', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const sent: unknown[] = [];
    const api = await open(() => gate.then(() => image), sent);
    const box = screen.getByRole('textbox', { name: 'Reply' });
    const shot = new File([new Uint8Array([137, 80, 78, 71])], 'shot.png', { type: 'image/png' });
    box.focus();
    await userEvent.paste({ files: [shot], getData: () => '', types: ['Files'], items: [] } as unknown as DataTransfer);
    const pending = await screen.findByRole('list', { name: 'Files to send' });
    expect(within(pending).getByRole('img', { name: 'Preview of shot.png' })).toHaveAttribute('src', expect.stringMatching(/^blob:/));
    expect(within(pending).getByRole('progressbar', { name: 'Uploading shot.png' })).toHaveAttribute('value', '0.5');
    expect(screen.getByRole('button', { name: 'Send' })).toBeDisabled();
    const drop = new File(['%PDF-1.4'], 'invoice.pdf', { type: 'application/pdf' });
    const form = box.closest('form')!;
    fireDrop(form, [drop]);
    await waitFor(() => expect(pending).toHaveTextContent('invoice.pdf'));
    act(() => release());
    await waitFor(() => expect(within(pending).queryByRole('progressbar')).toBeNull());
    await userEvent.click(within(pending).getByRole('button', { name: 'Remove invoice.pdf' }));
    expect(pending).not.toHaveTextContent('invoice.pdf');
    await userEvent.click(screen.getByRole('button', { name: 'Send' }));
    await waitFor(() => expect(sent).toHaveLength(1));
    expect(sent[0]).toMatchObject({ text: '', attachment_ids: [7] });
    expect(api.find('POST', '/api/v1/uploads')).toHaveLength(2);
  });

  it('attaches files to a private note too', async () => {
    const sent: unknown[] = [];
    await open(image, sent);
    await userEvent.click(screen.getByRole('button', { name: 'Note' }));
    await userEvent.upload(screen.getByLabelText('Attach a file'), new File([new Uint8Array([137, 80])], 'shot.png', { type: 'image/png' }));
    await waitFor(() => expect(screen.getByRole('button', { name: 'Add note' })).toBeEnabled());
    await userEvent.type(screen.getByRole('textbox', { name: 'Private note' }), 'for the team{Enter}');
    await waitFor(() => expect(sent).toHaveLength(1));
    expect(sent[0]).toMatchObject({ text: 'for the team', private: true, attachment_ids: [7] });
  });
});
