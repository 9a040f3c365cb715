// Twilio and Messenger credentials. Secrets are never returned, so the form sends only what was typed.
// The server asks Twilio or Facebook whether the number or Page belongs to these credentials before it
// saves anything, so a save takes a moment and may be refused (422) with the platform's reason.
import { useState, type FormEvent } from 'react';
import { ApiError, errorMessage } from '../api/client';
import type { Tenant, TenantPatch } from '../types';
import { CopyField } from './CopyButton';

interface FieldSpec {
  key: string;
  label: string;
  secret?: boolean;
}

interface Props {
  title: string;
  /** Who confirms ownership when saving: "Twilio", "Facebook". */
  platform: string;
  configured: boolean;
  fields: FieldSpec[];
  /** Current non-secret values from GET /api/v1/tenant, and `<secret>_set` flags. */
  current: Record<string, string | boolean | null | undefined>;
  webhooks: Array<[string, string | undefined]>;
  onSave: (values: Record<string, string>) => Promise<void>;
}

function ChannelForm({ title, platform, configured, fields, current, webhooks, onSave }: Props) {
  const initial = () =>
    Object.fromEntries(fields.map((f) => [f.key, f.secret ? '' : String(current[f.key] ?? '')]));
  // Older servers may not send `<secret>_set`; then "configured" is the best hint we have.
  const isSet = (key: string) => (current[`${key}_set`] ?? configured) === true;
  const [values, setValues] = useState<Record<string, string>>(initial);
  const [touched, setTouched] = useState<Set<string>>(new Set());
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const changed = Object.fromEntries([...touched].map((k) => [k, (values[k] ?? '').trim()]));
    if (Object.keys(changed).length === 0) {
      setMessage({ ok: true, text: 'Nothing changed.' });
      return;
    }
    setBusy(true);
    setMessage(null);
    try {
      await onSave(changed);
      setTouched(new Set());
      setValues((v) => Object.fromEntries(fields.map((f) => [f.key, f.secret ? '' : (v[f.key] ?? '')])));
      setMessage({ ok: true, text: `Saved: ${platform} confirmed these credentials.` });
    } catch (err) {
      // 422: the platform did not confirm the number or Page (or could not be reached); nothing was saved,
      // and what was typed stays in the form to correct.
      const refused = err instanceof ApiError && err.status === 422;
      setMessage({ ok: false, text: refused ? `Not saved. ${errorMessage(err)}` : errorMessage(err) });
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="card form-grid" onSubmit={submit} aria-label={title} aria-busy={busy}>
      <div className="card-head">
        <h2>{title}</h2>
        <span className={`badge ${configured ? 'badge-ok' : 'badge-muted'}`}>
          {configured ? 'Configured' : 'Not configured'}
        </span>
      </div>
      {fields.map((f) => (
        <label key={f.key} className="field">
          <span className="field-label">{f.label}</span>
          <input
            type={f.secret ? 'password' : 'text'}
            autoComplete="off"
            placeholder={f.secret && isSet(f.key) ? '•••••••• (stored; type to replace)' : ''}
            value={values[f.key] ?? ''}
            onChange={(e) => {
              setValues({ ...values, [f.key]: e.target.value });
              setTouched(new Set(touched).add(f.key));
            }}
          />
        </label>
      ))}
      {webhooks.map(([label, url]) =>
        url ? <CopyField key={label} label={label} value={url} /> : null,
      )}
      {busy ? (
        <p className="muted" role="status">
          Verifying with {platform}…
        </p>
      ) : null}
      {message ? (
        <p className={message.ok ? 'success' : 'error'} role={message.ok ? 'status' : 'alert'}>
          {message.text}
        </p>
      ) : null}
      <div className="form-actions">
        <button type="submit" className="btn btn-primary" disabled={busy}>
          {busy ? `Verifying with ${platform}…` : `Save ${title}`}
        </button>
      </div>
    </form>
  );
}

export function ChannelForms({ tenant, onPatch }: { tenant: Tenant; onPatch: (p: TenantPatch) => Promise<void> }) {
  const sms = tenant.channels.sms;
  const messenger = tenant.channels.messenger;
  return (
    <div className="channel-forms">
      <ChannelForm
        title="Twilio SMS"
        platform="Twilio"
        configured={!!sms?.configured}
        fields={[
          { key: 'account_sid', label: 'Account SID' },
          { key: 'auth_token', label: 'Auth token', secret: true },
          { key: 'number', label: 'Twilio number' },
        ]}
        current={{ account_sid: sms?.account_sid, number: sms?.number, auth_token_set: sms?.auth_token_set }}
        webhooks={[
          ['Incoming SMS webhook (A message comes in)', sms?.webhook_urls?.sms],
          ['Status callback URL', sms?.webhook_urls?.status],
        ]}
        onSave={(values) => onPatch({ channels: { sms: values } })}
      />
      <ChannelForm
        title="Facebook Messenger"
        platform="Facebook"
        configured={!!messenger?.configured}
        fields={[
          { key: 'page_id', label: 'Page ID' },
          { key: 'page_access_token', label: 'Page access token', secret: true },
          { key: 'app_secret', label: 'App secret', secret: true },
          { key: 'verify_token', label: 'Verify token', secret: true },
        ]}
        current={{
          page_id: messenger?.page_id,
          page_access_token_set: messenger?.page_access_token_set,
          app_secret_set: messenger?.app_secret_set,
          verify_token_set: messenger?.verify_token_set,
        }}
        webhooks={[['Callback URL', messenger?.webhook_url]]}
        onSave={(values) => onPatch({ channels: { messenger: values } })}
      />
    </div>
  );
}
