// Which sites may embed the widget. Empty means any site; the server normalises each entry
// (lower case, no default port) and refuses anything that is not scheme://host[:port].
import { useState, type FormEvent } from 'react';
import { errorMessage } from '../api/client';
import type { TenantPatch } from '../types';

export function parseSites(text: string): string[] {
  return text
    .split(/[\s,]+/)
    .map((s) => s.trim())
    .filter(Boolean);
}

export function AllowedSites({ current, onPatch }: { current: string[]; onPatch: (p: TenantPatch) => Promise<void> }) {
  const [text, setText] = useState(current.join('\n'));
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setMessage(null);
    const sites = parseSites(text);
    try {
      await onPatch({ settings: { allowed_origins: sites } });
      setMessage({
        ok: true,
        text: sites.length ? `Saved: the widget works on ${sites.length === 1 ? 'this site' : `these ${sites.length} sites`} only.` : 'Saved: the widget works on any site.',
      });
    } catch (err) {
      setMessage({ ok: false, text: errorMessage(err) });
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="card form-grid" onSubmit={submit} aria-labelledby="sites-title" aria-busy={busy}>
      <h2 id="sites-title">Sites allowed to use the widget</h2>
      <p className="muted small" id="sites-help">
        One address per line, such as <code>https://shop.example.com</code>. Leave it empty to let the widget work on
        any site. Pages on other sites cannot start a chat with your business.
      </p>
      <label className="field">
        <span className="field-label">Allowed sites</span>
        <textarea
          rows={3}
          value={text}
          aria-describedby="sites-help"
          spellCheck={false}
          placeholder="https://shop.example.com"
          onChange={(e) => setText(e.target.value)}
        />
      </label>
      {message ? (
        <p className={message.ok ? 'success' : 'error'} role={message.ok ? 'status' : 'alert'}>
          {message.text}
        </p>
      ) : null}
      <div className="form-actions">
        <button type="submit" className="btn btn-primary" disabled={busy}>
          Save allowed sites
        </button>
      </div>
    </form>
  );
}
