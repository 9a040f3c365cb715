// The inbox filter lives in the hash's query (#/inbox/12?view=mine&tag=vip&q=refund), so a filtered view can
// be bookmarked, shared and restored with Back; defaults are left out, so the plain inbox is #/inbox.
import type { InboxFilter, InboxView } from '../state/inboxReducer';
import { CHANNELS, type Channel } from '../types';

const VIEWS: readonly InboxView[] = ['open', 'mine', 'unassigned', 'snoozed', 'closed'];
export const DEFAULT_FILTER: InboxFilter = { view: 'open', channel: '', tag: '', q: '' };

export function filterFromSearch(search: string): InboxFilter {
  const params = new URLSearchParams(search.replace(/^\?/, ''));
  const view = params.get('view') as InboxView | null;
  const channel = params.get('channel') as Channel | null;
  return {
    view: view && VIEWS.includes(view) ? view : 'open',
    channel: channel && CHANNELS.includes(channel) ? channel : '',
    tag: params.get('tag') ?? '',
    q: params.get('q') ?? '',
  };
}

export function searchFromFilter(filter: InboxFilter): string {
  const params = new URLSearchParams();
  if (filter.view !== 'open') params.set('view', filter.view);
  if (filter.channel) params.set('channel', filter.channel);
  if (filter.tag) params.set('tag', filter.tag);
  if (filter.q) params.set('q', filter.q);
  const qs = params.toString();
  return qs ? `?${qs}` : '';
}

/** The query part of the current hash ("?view=mine" or ""). */
export function currentSearch(): string {
  const hash = window.location.hash;
  const at = hash.indexOf('?');
  return at === -1 ? '' : hash.slice(at);
}

/** The inbox path (a conversation's, or the list's) with the current filter kept. */
export function inboxPath(id?: number | null, filter?: InboxFilter): string {
  const search = filter ? searchFromFilter(filter) : currentSearch();
  return `/inbox${id ? `/${id}` : ''}${search}`;
}
