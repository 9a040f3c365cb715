import { render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { SavedReplies } from '../src/components/SavedReplies';
import type { CannedResponse } from '../src/types';
import { json, mockApi, signIn } from './helpers';

const stored = (over: Partial<CannedResponse>): CannedResponse => ({
  id: 1,
  shortcut: 'hello',
  title: 'Greeting',
  text: 'Hi {{ contact.name }}',
  created_at: '2026-11-01T09:00:00.000Z',
  updated_at: '2026-11-01T09:00:00.000Z',
  ...over,
});

function server() {
  signIn({ role: 'admin' });
  let list = [stored({})];
  const api = mockApi({
    'GET /api/v1/canned-responses': () => ({ canned_responses: list }),
    'POST /api/v1/canned-responses': (c) => {
      const body = c.body as { shortcut: string; title: string | null; text: string };
      if (body.text.includes('__')) return json({ detail: "text may not reach attribute '__class__'" }, 422);
      if (list.some((r) => r.shortcut === body.shortcut)) {
        return json({ detail: 'another saved reply already uses this shortcut' }, 409);
      }
      const created = stored({ id: 2, ...body });
      list = [...list, created];
      return json(created, 201);
    },
    'PATCH /api/v1/canned-responses/1': (c) => {
      list = [{ ...list[0]!, ...(c.body as object) }];
      return list[0];
    },
    'DELETE /api/v1/canned-responses/1': () => {
      list = list.filter((r) => r.id !== 1);
      return json(undefined, 204);
    },
  });
  render(<SavedReplies />);
  return api;
}

const section = () => screen.getByRole('region', { name: 'Saved replies' });
const addForm = () => screen.getByRole('form', { name: 'Add saved reply' });

describe('saved replies settings', () => {
  it('lists, adds and shows the server\'s 422 and 409 answers', async () => {
    const api = server();
    const list = await within(section()).findByRole('list', { name: 'Saved replies' });
    expect(list).toHaveTextContent('/hello');
    const form = addForm();
    await userEvent.type(within(form).getByRole('textbox', { name: 'Shortcut' }), 'hello');
    await userEvent.type(within(form).getByRole('textbox', { name: 'Text' }), 'Hello again');
    await userEvent.click(within(form).getByRole('button', { name: 'Add saved reply' }));
    expect(await within(form).findByRole('alert')).toHaveTextContent('another saved reply already uses this shortcut');
    const shortcut = within(form).getByRole('textbox', { name: 'Shortcut' });
    await userEvent.clear(shortcut);
    await userEvent.type(shortcut, 'bad');
    const text = within(form).getByRole('textbox', { name: 'Text' });
    await userEvent.clear(text);
    await userEvent.type(text, "{{{{ ''.__class__ }}");
    await userEvent.click(within(form).getByRole('button', { name: 'Add saved reply' }));
    await waitFor(() => expect(within(form).getByRole('alert')).toHaveTextContent("may not reach attribute '__class__'"));
    await userEvent.clear(text);
    await userEvent.type(text, 'Our hours are 9-5');
    await userEvent.type(within(form).getByRole('textbox', { name: 'Title (optional)' }), 'Hours');
    await userEvent.click(within(form).getByRole('button', { name: 'Add saved reply' }));
    await waitFor(() => expect(within(section()).getByRole('list', { name: 'Saved replies' })).toHaveTextContent('/bad'));
    expect(api.find('POST', '/api/v1/canned-responses').at(-1)!.body).toEqual({
      shortcut: 'bad',
      title: 'Hours',
      text: 'Our hours are 9-5',
    });
    expect(within(section()).getByRole('status')).toHaveTextContent('Saved reply /bad added.');
  });

  it('edits and deletes', async () => {
    const api = server();
    await within(section()).findByRole('list', { name: 'Saved replies' });
    await userEvent.click(screen.getByRole('button', { name: 'Edit /hello' }));
    const edit = screen.getByRole('form', { name: 'Save /hello' });
    const text = within(edit).getByRole('textbox', { name: 'Text' });
    await userEvent.clear(text);
    await userEvent.type(text, 'Welcome back');
    await userEvent.click(within(edit).getByRole('button', { name: 'Save /hello' }));
    await waitFor(() => expect(section()).toHaveTextContent('Welcome back'));
    expect(api.find('PATCH', '/api/v1/canned-responses/1')[0]!.body).toMatchObject({ text: 'Welcome back' });
    await userEvent.click(screen.getByRole('button', { name: 'Delete /hello' }));
    await waitFor(() => expect(section()).toHaveTextContent('No saved replies yet.'));
  });
});
