// Settings › Webhooks (admins): endpoints that receive signed event POSTs. The signing secret is shown once,
// right after adding; each endpoint has a delivery log (status codes, errors) with redelivery.
import { useEffect, useState, type FormEvent } from 'react';
import { errorMessage } from '../api/client';
import * as api from '../api/integrations';
import { useAction } from '../lib/useAction';
import type { Delivery, NewWebhook, Webhook, WebhookEvent } from '../api/integrations';
import { formatDateTime } from '../lib/format';
import { ConfirmDialog } from './ConfirmDialog';
import { CopyButton } from './CopyButton';

function eventLabel(event: string): string {
  return api.WEBHOOK_EVENTS.find((e) => e.event === event)?.label ?? event;
}

function lastOutcome(d: Delivery): string {
  if (d.last_status_code) return `HTTP ${d.last_status_code}${d.last_error ? ` — ${d.last_error}` : ''}`;
  return d.last_error ?? '—';
}

function DeliveryLog({ webhook }: { webhook: Webhook }) {
  const [deliveries, setDeliveries] = useState<Delivery[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState('');

  const reload = () =>
    api
      .listDeliveries(webhook.id)
      .then((page) => setDeliveries(page.deliveries))
      .catch((err: unknown) => setError(errorMessage(err)));

  useEffect(() => {
    void reload();
  }, [webhook.id]);

  const again = async (d: Delivery) => {
    setError(null);
    try {
      await api.redeliver(webhook.id, d.id);
      setNotice(`Delivery ${d.delivery_id} queued again.`);
      await reload();
    } catch (err) {
      setError(errorMessage(err));
    }
  };

  return (
    <div className="webhook-log">
      <div className="form-actions">
        <button type="button" className="btn btn-small" onClick={() => void reload()}>
          Refresh log
        </button>
      </div>
      {deliveries && deliveries.length === 0 ? <p className="muted small">Nothing sent yet.</p> : null}
      {deliveries && deliveries.length > 0 ? (
        <table className="table">
          <caption className="small">Deliveries to {webhook.url}, newest first</caption>
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">Event</th>
              <th scope="col">State</th>
              <th scope="col" className="num">
                Attempts
              </th>
              <th scope="col">Last answer</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {deliveries.map((d) => (
              <tr key={d.id}>
                <td>{formatDateTime(d.created_at)}</td>
                <td>{d.event}</td>
                <td>{d.state}</td>
                <td className="num">{d.attempts}</td>
                <td>{lastOutcome(d)}</td>
                <td>
                  <button
                    type="button"
                    className="btn btn-small"
                    disabled={d.state === 'pending'}
                    aria-label={`Redeliver ${d.event} of ${formatDateTime(d.created_at)}`}
                    onClick={() => void again(d)}
                  >
                    Redeliver
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      {error ? (
        <p className="error" role="alert">
          {error}
        </p>
      ) : null}
      {notice ? (
        <p role="status" className="small">
          {notice}
        </p>
      ) : null}
    </div>
  );
}

export function WebhooksSettings() {
  const [webhooks, setWebhooks] = useState<Webhook[] | null>(null);
  const [url, setUrl] = useState('');
  const [events, setEvents] = useState<WebhookEvent[]>(['conversation.created', 'message.created']);
  const [created, setCreated] = useState<NewWebhook | null>(null);
  const [open, setOpen] = useState<number | null>(null);
  const [deleting, setDeleting] = useState<Webhook | null>(null);
  const { busy, error, setError, notice, setNotice, act } = useAction();

  const reload = () =>
    api
      .listWebhooks()
      .then((r) => setWebhooks(r.webhooks))
      .catch((err: unknown) => setError(errorMessage(err)));

  useEffect(() => {
    void reload();
  }, []);

  const add = (e: FormEvent) => {
    e.preventDefault();
    void act(async () => {
      setCreated(await api.createWebhook({ url: url.trim(), events }));
      setUrl('');
      await reload();
    });
  };

  const toggle = (event: WebhookEvent, on: boolean) =>
    setEvents((list) => (on ? [...list, event] : list.filter((e) => e !== event)));

  const pause = (w: Webhook) =>
    void act(async () => {
      await api.patchWebhook(w.id, { active: !w.active });
      setNotice(w.active ? `Webhook ${w.url} paused.` : `Webhook ${w.url} resumed.`);
      await reload();
    });

  const remove = () =>
    void act(async () => {
      if (!deleting) return;
      await api.deleteWebhook(deleting.id);
      setNotice(`Webhook ${deleting.url} deleted.`);
      setDeleting(null);
      await reload();
    });

  return (
    <section className="card" aria-labelledby="webhooks-title">
      <h2 id="webhooks-title">Webhooks</h2>
      <p className="muted small">
        Handoff POSTs each chosen event as signed JSON to your URL, retrying for 24 hours when it does not answer
        2xx. See docs/integrations.md for checking the signature.
      </p>
      {created ? (
        <div className="secret-once" role="status">
          <p>Webhook added. Its signing secret is shown only now: copy it into your receiver.</p>
          <span className="field-label">Signing secret</span>
          <div className="copy-row">
            <code>{created.secret}</code>
            <CopyButton text={created.secret} label="Copy webhook secret" />
          </div>
          <button type="button" className="btn btn-small" onClick={() => setCreated(null)}>
            Done
          </button>
        </div>
      ) : null}
      {webhooks && webhooks.length === 0 ? <p className="muted">No webhooks yet.</p> : null}
      {webhooks && webhooks.length > 0 ? (
        <ul className="webhook-list" aria-label="Webhooks">
          {webhooks.map((w) => (
            <li key={w.id} className="webhook-item">
              <p>
                <code>{w.url}</code> {w.active ? null : <span className="muted">(paused)</span>}
              </p>
              <p className="muted small">{w.events.map(eventLabel).join(', ')}</p>
              <div className="form-actions">
                <button
                  type="button"
                  className="btn btn-small"
                  aria-expanded={open === w.id}
                  onClick={() => setOpen(open === w.id ? null : w.id)}
                >
                  {open === w.id ? 'Hide delivery log' : 'Delivery log'}
                </button>
                <button type="button" className="btn btn-small" disabled={busy} onClick={() => pause(w)}>
                  {w.active ? 'Pause' : 'Resume'}
                </button>
                <button type="button" className="btn btn-small btn-danger" onClick={() => setDeleting(w)}>
                  Delete
                </button>
              </div>
              {open === w.id ? <DeliveryLog webhook={w} /> : null}
            </li>
          ))}
        </ul>
      ) : null}
      <form className="form-grid" onSubmit={add} aria-label="Add a webhook">
        <div className="field">
          <label className="field-label" htmlFor="webhook-url">
            Endpoint URL
          </label>
          <input
            id="webhook-url"
            type="url"
            required
            maxLength={2000}
            placeholder="https://example.com/handoff-events"
            value={url}
            onChange={(e) => setUrl(e.target.value)}
          />
        </div>
        <fieldset className="field">
          <legend className="field-label">Events</legend>
          {api.WEBHOOK_EVENTS.map(({ event, label }) => (
            <label key={event} className="checkbox-label">
              <input
                type="checkbox"
                checked={events.includes(event)}
                onChange={(e) => toggle(event, e.target.checked)}
              />{' '}
              {label} <code className="small">{event}</code>
            </label>
          ))}
        </fieldset>
        <div className="form-actions">
          <button type="submit" className="btn btn-primary" disabled={busy || !url.trim() || events.length === 0}>
            Add webhook
          </button>
        </div>
      </form>
      {error && !deleting ? (
        <p className="error" role="alert">
          {error}
        </p>
      ) : null}
      {notice ? (
        <p role="status" className="small">
          {notice}
        </p>
      ) : null}
      {deleting ? (
        <ConfirmDialog
          title="Delete this webhook?"
          confirmLabel="Delete webhook"
          busy={busy}
          error={error}
          onConfirm={remove}
          onCancel={() => setDeleting(null)}
        >
          <p>
            {deleting.url} stops receiving events, and its delivery log is deleted. Deliveries still queued for it are
            dropped.
          </p>
        </ConfirmDialog>
      ) : null}
    </section>
  );
}
