// Analytics for a date range in the browser's time zone: KPI tiles, charts, agents, CSV export.
import { useEffect, useState } from 'react';
import { errorMessage } from '../api/client';
import * as api from '../api/endpoints';
import { ByDayChart, ByHourChart } from '../components/AnalyticsCharts';
import { CsatAnalytics } from '../components/CsatAnalytics';
import { browserTimeZone, CHANNEL_LABEL, daysAgo, formatDuration, isoDate } from '../lib/format';
import { CHANNELS, type AnalyticsSummary } from '../types';

function Kpi({ id, label, value, raw, hint }: { id: string; label: string; value: string; raw?: number | null; hint?: string }) {
  return (
    <div className="kpi">
      <span className="kpi-label">{label}</span>
      <span className="kpi-value" data-testid={`kpi-${id}`} data-value={raw ?? ''}>
        {value}
      </span>
      {hint ? <span className="kpi-hint">{hint}</span> : null}
    </div>
  );
}

const count = (n: number | null | undefined) => (n === null || n === undefined ? '–' : String(n));

async function downloadCsv(range: api.RangeQuery): Promise<void> {
  const blob = await api.analyticsCsv(range);
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = `handoff-analytics-${range.from}-to-${range.to}.csv`;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

export function AnalyticsPage() {
  const [from, setFrom] = useState(() => isoDate(daysAgo(29)));
  const [to, setTo] = useState(() => isoDate(new Date()));
  const [tz] = useState(browserTimeZone);
  const [data, setData] = useState<AnalyticsSummary | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(false);

  const valid = !!from && !!to && from <= to;
  useEffect(() => {
    if (!valid) return;
    let cancelled = false;
    setLoading(true);
    api
      .analyticsSummary({ from, to, tz })
      .then((res) => {
        if (cancelled) return;
        setData(res);
        setError(null);
      })
      .catch((err: unknown) => !cancelled && setError(errorMessage(err)))
      .finally(() => !cancelled && setLoading(false));
    return () => {
      cancelled = true;
    };
  }, [from, to, tz, valid]);

  const csvHref = `/api/v1/analytics/export.csv?${new URLSearchParams({ from, to, tz }).toString()}`;
  const t = data?.totals;

  return (
    <div className="page analytics">
      <div className="page-head">
        <h1>Analytics</h1>
        <div className="toolbar">
          <label className="inline">
            From <input type="date" value={from} max={to} onChange={(e) => setFrom(e.target.value)} />
          </label>
          <label className="inline">
            To <input type="date" value={to} min={from} onChange={(e) => setTo(e.target.value)} />
          </label>
          <span className="muted small" title="Days and hours are counted in this time zone">
            {tz}
          </span>
          <a
            className="btn btn-small"
            href={csvHref}
            onClick={(e) => {
              e.preventDefault();
              downloadCsv({ from, to, tz }).catch((err: unknown) => setError(errorMessage(err)));
            }}
          >
            Download CSV
          </a>
        </div>
      </div>
      {!valid ? <p className="error">The start date must be on or before the end date.</p> : null}
      {error ? (
        <p className="error" role="alert">
          {error}
        </p>
      ) : null}
      {loading && !data ? <p className="muted">Loading…</p> : null}
      {data && t ? (
        <div aria-busy={loading}>
          <div className="kpis">
            <Kpi id="conversations" label="Conversations" value={count(t.conversations)} raw={t.conversations} />
            <Kpi id="messages" label="Messages" value={count(t.messages)} raw={t.messages} />
            <Kpi
              id="first-response-median"
              label="First response (median)"
              value={formatDuration(data.first_response_seconds.median)}
              raw={data.first_response_seconds.median}
              hint={`p90 ${formatDuration(data.first_response_seconds.p90)}`}
            />
            <Kpi
              id="resolution-median"
              label="Resolution (median)"
              value={formatDuration(data.resolution_seconds.median)}
              raw={data.resolution_seconds.median}
              hint={`p90 ${formatDuration(data.resolution_seconds.p90)}`}
            />
            <Kpi id="closed" label="Closed" value={count(t.closed)} raw={t.closed} />
            <Kpi id="missed" label="Missed" value={count(t.missed)} raw={t.missed} />
            <Kpi id="escalated" label="Escalated" value={count(t.escalated)} raw={t.escalated} />
            <Kpi
              id="followups"
              label="Follow-ups"
              value={count(t.followups)}
              raw={t.followups}
              hint={`${data.followups.viewed} viewed, median ${formatDuration(data.followups.median_seconds_to_viewed)} to view`}
            />
          </div>
          <ul className="channel-totals" aria-label="By channel">
            {CHANNELS.map((c) => (
              <li key={c}>
                <span className={`badge badge-${c}`}>{CHANNEL_LABEL[c]}</span>
                <strong data-testid={`channel-${c}`}>{count(data.by_channel[c] ?? 0)}</strong>
              </li>
            ))}
          </ul>
          <div className="charts">
            <ByDayChart data={data.by_day} />
            <ByHourChart data={data.by_hour} />
          </div>
          <h2>Agents</h2>
          <table className="table" aria-label="Agents">
            <thead>
              <tr>
                <th>Agent</th>
                <th className="num">Conversations</th>
                <th className="num">Messages</th>
                <th className="num">Median first response</th>
              </tr>
            </thead>
            <tbody>
              {data.agents.length === 0 ? (
                <tr>
                  <td colSpan={4} className="muted">
                    No staff activity in this range.
                  </td>
                </tr>
              ) : null}
              {data.agents.map((a) => (
                <tr key={a.user_id}>
                  <td>{a.name}</td>
                  <td className="num">{a.conversations}</td>
                  <td className="num">{a.messages}</td>
                  <td className="num">{formatDuration(a.median_first_response_seconds)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <CsatAnalytics figures={data.csat} />
        </div>
      ) : null}
    </div>
  );
}
