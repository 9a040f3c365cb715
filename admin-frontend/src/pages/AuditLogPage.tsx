// Admins: the business's audit log (GET /api/v1/events), newest first, filtered by action and by teammate,
// "Older" for the next page, each row's detail expandable.
import { Fragment, useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { errorMessage } from '../api/client';
import * as api from '../api/endpoints';
import { ACTION_KINDS, actionLabel, actorLabel, detailText, fullWhen, shortWhen, targetLabel } from '../lib/audit';
import type { AuditEvent, TeamUser } from '../types';

interface Filters {
  action: string;
  actor: string;
}

const NO_FILTERS: Filters = { action: '', actor: '' };

function When({ iso }: { iso: string }) {
  const full = fullWhen(iso);
  // Focusable, so the full timestamp (the tooltip, from data-full in pages.css) shows on focus as on hover.
  return (
    <time className="audit-when" dateTime={iso} title={full} data-full={full} tabIndex={0}>
      {shortWhen(iso)}
    </time>
  );
}

function Detail({ event }: { event: AuditEvent }) {
  const entries = Object.entries(event.detail ?? {});
  return (
    <dl className="audit-detail">
      {entries.map(([key, value]) => (
        <Fragment key={key}>
          <dt>{key}</dt>
          <dd>{detailText(value)}</dd>
        </Fragment>
      ))}
      <dt>action</dt>
      <dd>
        <code>{event.action}</code>
      </dd>
      <dt>time (UTC)</dt>
      <dd>{event.created_at}</dd>
    </dl>
  );
}

export function AuditLogPage() {
  const [filters, setFilters] = useState<Filters>(NO_FILTERS);
  const [events, setEvents] = useState<AuditEvent[]>([]);
  const [next, setNext] = useState<number | null>(null);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<string | null>(null);
  const [users, setUsers] = useState<TeamUser[]>([]);
  const [open, setOpen] = useState<ReadonlySet<number>>(new Set());
  const latest = useRef(0);

  useEffect(() => {
    api.listUsers().then(setUsers, () => setUsers([])); // names only: without them, "Teammate #3"
  }, []);
  const names = useMemo(() => new Map(users.map((u) => [String(u.id), u.name])), [users]);

  const load = useCallback(async (which: Filters, before: number | null) => {
    const request = ++latest.current;
    setLoading(true);
    setError(null);
    try {
      const page = await api.listEvents({
        action: which.action || undefined,
        actor: which.actor ? Number(which.actor) : undefined,
        before,
      });
      if (request !== latest.current) return; // the filters changed meanwhile
      setEvents((list) => (before === null ? page.events : [...list, ...page.events]));
      setNext(page.next_before);
    } catch (err) {
      if (request === latest.current) setError(errorMessage(err));
    } finally {
      if (request === latest.current) setLoading(false);
    }
  }, []);

  useEffect(() => {
    setOpen(new Set());
    void load(filters, null);
  }, [filters, load]);

  const toggle = (id: number) =>
    setOpen((current) => {
      const copy = new Set(current);
      if (copy.has(id)) copy.delete(id);
      else copy.add(id);
      return copy;
    });

  const filtered = filters.action !== '' || filters.actor !== '';

  return (
    <div className="page">
      <div className="page-head">
        <h1>Audit log</h1>
      </div>
      <form className="audit-filters" role="search" aria-label="Audit log filters" onSubmit={(e) => e.preventDefault()}>
        <label className="field">
          <span className="field-label">Action</span>
          <select value={filters.action} onChange={(e) => setFilters({ ...filters, action: e.target.value })}>
            <option value="">All actions</option>
            {ACTION_KINDS.map((k) => (
              <optgroup key={k.kind} label={k.label}>
                <option value={k.kind}>All: {k.label}</option>
                {Object.entries(k.actions).map(([action, label]) => (
                  <option key={action} value={action}>
                    {label}
                  </option>
                ))}
              </optgroup>
            ))}
          </select>
        </label>
        <label className="field">
          <span className="field-label">Teammate</span>
          <select value={filters.actor} onChange={(e) => setFilters({ ...filters, actor: e.target.value })}>
            <option value="">Anyone</option>
            {users.map((u) => (
              <option key={u.id} value={String(u.id)}>
                {u.name}
              </option>
            ))}
          </select>
        </label>
        {filtered ? (
          <button type="button" className="btn btn-small btn-quiet" onClick={() => setFilters(NO_FILTERS)}>
            Clear filters
          </button>
        ) : null}
      </form>

      {error ? (
        <div className="error" role="alert">
          <p>Could not load the audit log: {error}</p>
          <button type="button" className="btn btn-small" onClick={() => void load(filters, events.length ? next : null)}>
            Try again
          </button>
        </div>
      ) : null}

      {!loading && !error && events.length === 0 ? (
        <p className="empty">{filtered ? 'No events match these filters.' : 'No events yet.'}</p>
      ) : null}

      {events.length > 0 ? (
        <table className="table audit-table">
          <caption className="visually-hidden">Audit log, newest first</caption>
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">Who</th>
              <th scope="col">What</th>
              <th scope="col">Target</th>
              <th scope="col">Client address</th>
              <th scope="col">Request ID</th>
              <th scope="col">
                <span className="visually-hidden">Details</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {events.map((event) => {
              const expanded = open.has(event.id);
              const detailId = `audit-detail-${event.id}`;
              const what = actionLabel(event.action);
              return (
                <Fragment key={event.id}>
                  <tr>
                    <td>
                      <When iso={event.created_at} />
                    </td>
                    <td>{actorLabel(event.actor, names)}</td>
                    <td>{what}</td>
                    <td>
                      {event.target?.type === 'conversation' && event.target.id ? (
                        <a href={`#/inbox/${event.target.id}`}>{targetLabel(event.target, names)}</a>
                      ) : (
                        targetLabel(event.target, names)
                      )}
                    </td>
                    <td>{event.client_address ?? <span className="muted">–</span>}</td>
                    <td>
                      {event.request_id ? <code className="small">{event.request_id}</code> : <span className="muted">–</span>}
                    </td>
                    <td>
                      <button
                        type="button"
                        className="btn btn-small btn-quiet"
                        aria-expanded={expanded}
                        aria-controls={expanded ? detailId : undefined}
                        aria-label={`Details: ${what}, ${fullWhen(event.created_at)}`}
                        onClick={() => toggle(event.id)}
                      >
                        Details
                      </button>
                    </td>
                  </tr>
                  {expanded ? (
                    <tr id={detailId} className="audit-detail-row">
                      <td colSpan={7}>
                        <Detail event={event} />
                      </td>
                    </tr>
                  ) : null}
                </Fragment>
              );
            })}
          </tbody>
        </table>
      ) : null}

      {loading ? (
        <p className="muted" role="status">
          Loading…
        </p>
      ) : null}
      {!loading && next !== null && !error ? (
        <button type="button" className="btn" onClick={() => void load(filters, next)}>
          Older
        </button>
      ) : null}
    </div>
  );
}
