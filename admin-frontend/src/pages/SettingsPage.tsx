// Admins: widget look and texts with a live preview, the embed snippet, channel credentials, saved replies.
import { useEffect, useState, type FormEvent } from 'react';
import { errorMessage } from '../api/client';
import * as api from '../api/endpoints';
import { BusinessHoursEditor, normaliseHours } from '../components/BusinessHoursEditor';
import { ChannelForms } from '../components/ChannelForms';
import { ContrastCheck } from '../components/ContrastCheck';
import { TagsSettings } from '../components/TagsSettings';
import { EmailSettings } from '../components/EmailSettings';
import { TrustSettings } from '../components/TrustSettings';
import { CopyButton } from '../components/CopyButton';
import { CsatSettings } from '../components/CsatSettings';
import { AllowedSites } from '../components/AllowedSites';
import { AutoAssignSettings } from '../components/AutoAssignSettings';
import { SavedReplies } from '../components/SavedReplies';
import { WidgetPreview } from '../components/WidgetPreview';
import { IntegrationsSettings } from '../components/IntegrationsSettings';
import { browserTimeZone } from '../lib/format';
import type { Tenant, TenantPatch, WidgetLook } from '../types';

const LANGUAGES = [
  ['en', 'English'],
  ['fr', 'Français'],
  ['es', 'Español'],
  ['de', 'Deutsch'],
] as const;

export function embedSnippet(origin: string, widgetKey: string): string {
  return `<script src="${origin}/widget/handoff.js" data-key="${widgetKey}" async></script>`;
}

function fromTenant(t: Tenant): { name: string; settings: WidgetLook } {
  const s = t.settings ?? {};
  return {
    name: t.name,
    settings: {
      greeting: s.greeting ?? '',
      color: s.color ?? '#2563eb',
      position: s.position === 'left' ? 'left' : 'right',
      language: s.language ?? 'en',
      prechat_form: !!s.prechat_form,
      business_hours: normaliseHours(s.business_hours),
      away_message: s.away_message ?? '',
      // Until hours are set, suggest the admin's own zone rather than the server default (UTC).
      timezone: s.business_hours ? (s.timezone ?? 'UTC') : s.timezone && s.timezone !== 'UTC' ? s.timezone : browserTimeZone(),
    },
  };
}

export function SettingsPage() {
  const [tenant, setTenant] = useState<Tenant | null>(null);
  const [form, setForm] = useState<{ name: string; settings: WidgetLook } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [saved, setSaved] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    api
      .getTenant()
      .then((t) => {
        setTenant(t);
        setForm(fromTenant(t));
      })
      .catch((err: unknown) => setError(errorMessage(err)));
  }, []);

  const patch = async (p: TenantPatch) => {
    const updated = await api.patchTenant(p);
    setTenant(updated);
  };

  const saveWidget = async (e: FormEvent) => {
    e.preventDefault();
    if (!form) return;
    setBusy(true);
    setError(null);
    setSaved(null);
    try {
      const { timezone, ...rest } = form.settings;
      // The zone only matters for business hours: leave the stored one alone otherwise.
      const settings = rest.business_hours ? { ...rest, timezone } : rest;
      await patch({ name: form.name.trim(), settings });
      setSaved('Widget settings saved.');
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  };

  if (!tenant || !form) {
    return (
      <div className="page">
        <h1>Settings</h1>
        {error ? (
          <p className="error" role="alert">
            {error}
          </p>
        ) : (
          <p className="muted">Loading…</p>
        )}
      </div>
    );
  }

  const set = (s: Partial<WidgetLook>) => setForm({ ...form, settings: { ...form.settings, ...s } });
  const snippet = embedSnippet(window.location.origin, tenant.widget_key);

  return (
    <div className="page settings">
      <h1>Settings</h1>
      <section className="card" aria-labelledby="embed-title">
        <h2 id="embed-title">Embed the widget</h2>
        <p className="muted small">Paste this before the closing &lt;/body&gt; tag of every page that should show the chat.</p>
        <div className="copy-row">
          <code data-testid="embed-snippet">{snippet}</code>
          <CopyButton text={snippet} />
        </div>
      </section>

      <div className="settings-grid">
        <form className="card form-grid" onSubmit={saveWidget} aria-labelledby="widget-title">
          <h2 id="widget-title">Widget</h2>
          <label className="field">
            <span className="field-label">Business name</span>
            <input value={form.name} onChange={(e) => setForm({ ...form, name: e.target.value })} />
          </label>
          <label className="field">
            <span className="field-label">Greeting</span>
            <textarea rows={2} value={form.settings.greeting ?? ''} onChange={(e) => set({ greeting: e.target.value })} />
          </label>
          <div className="field-row">
            <label className="field">
              <span className="field-label">Colour</span>
              <span className="color-pair">
                <input
                  type="color"
                  aria-label="Colour picker"
                  value={/^#[0-9a-f]{6}$/i.test(form.settings.color ?? '') ? (form.settings.color ?? '') : '#2563eb'}
                  onChange={(e) => set({ color: e.target.value })}
                />
                <input
                  aria-label="Colour hex"
                  aria-describedby="colour-contrast"
                  value={form.settings.color ?? ''}
                  pattern="#[0-9a-fA-F]{6}"
                  onChange={(e) => set({ color: e.target.value })}
                />
              </span>
            </label>
            <label className="field">
              <span className="field-label">Position</span>
              <select
                value={form.settings.position ?? 'right'}
                onChange={(e) => set({ position: e.target.value as 'left' | 'right' })}
              >
                <option value="right">Bottom right</option>
                <option value="left">Bottom left</option>
              </select>
            </label>
            <label className="field">
              <span className="field-label">Language</span>
              <select
                value={form.settings.language ?? 'en'}
                onChange={(e) => set({ language: e.target.value as WidgetLook['language'] })}
              >
                {LANGUAGES.map(([code, label]) => (
                  <option key={code} value={code}>
                    {label}
                  </option>
                ))}
              </select>
            </label>
          </div>
          <ContrastCheck id="colour-contrast" color={form.settings.color ?? ''} />
          <label className="check">
            <input
              type="checkbox"
              checked={!!form.settings.prechat_form}
              onChange={(e) => set({ prechat_form: e.target.checked })}
            />
            Ask for name and email before the chat starts
          </label>
          <BusinessHoursEditor
            value={form.settings.business_hours ?? null}
            timezone={form.settings.timezone ?? ''}
            onChange={(business_hours) => set({ business_hours })}
            onTimezone={(timezone) => set({ timezone })}
            awayMessage={form.settings.away_message ?? ''}
            onAwayMessage={(away_message) => set({ away_message })}
          />
          {error ? (
            <p className="error" role="alert">
              {error}
            </p>
          ) : null}
          {saved ? (
            <p className="success" role="status">
              {saved}
            </p>
          ) : null}
          <div className="form-actions">
            <button type="submit" className="btn btn-primary" disabled={busy}>
              Save widget settings
            </button>
          </div>
        </form>
        <section className="card" aria-labelledby="preview-title">
          <h2 id="preview-title">Preview</h2>
          <WidgetPreview settings={form.settings} businessName={form.name} />
        </section>
      </div>

      <AllowedSites current={tenant.settings.allowed_origins ?? []} onPatch={patch} />
      <CsatSettings enabled={!!tenant.settings.csat} onPatch={patch} />
      <AutoAssignSettings current={!!tenant.settings.auto_assign} onPatch={patch} />

      <ChannelForms tenant={tenant} onPatch={patch} />

      <SavedReplies />
      <TagsSettings />
      <IntegrationsSettings />
      <EmailSettings />
      <TrustSettings tenant={tenant} onPatch={patch} />
    </div>
  );
}
