// Recharts views of the analytics summary: volume by day stacked by channel, and by hour of day.
import {
  Bar,
  BarChart,
  CartesianGrid,
  Legend,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from 'recharts';
import { CHANNEL_LABEL } from '../lib/format';
import type { AnalyticsSummary } from '../types';

// Recharts writes legend and tooltip labels in the series colour: each one reaches 4.5:1 on white.
export const CHANNEL_COLOR = { webchat: '#2563eb', sms: '#15803d', messenger: '#9333ea' } as const;
const HOUR_COLOR = '#0369a1';

export function ByDayChart({ data }: { data: AnalyticsSummary['by_day'] }) {
  return (
    <figure className="chart" aria-label="Conversations by day and channel">
      <figcaption>Conversations by day</figcaption>
      <ResponsiveContainer width="100%" height={260}>
        <BarChart data={data} margin={{ top: 8, right: 8, bottom: 0, left: -16 }}>
          <CartesianGrid strokeDasharray="3 3" vertical={false} />
          <XAxis dataKey="date" tickFormatter={(d: string) => d.slice(5)} fontSize={12} />
          <YAxis allowDecimals={false} fontSize={12} />
          <Tooltip />
          <Legend />
          {(['webchat', 'sms', 'messenger'] as const).map((c) => (
            <Bar key={c} dataKey={c} name={CHANNEL_LABEL[c]} stackId="channels" fill={CHANNEL_COLOR[c]} />
          ))}
        </BarChart>
      </ResponsiveContainer>
    </figure>
  );
}

export function ByHourChart({ data }: { data: AnalyticsSummary['by_hour'] }) {
  // Always show 24 bars, even when the server leaves out empty hours.
  const hours = Array.from({ length: 24 }, (_, hour) => ({
    hour,
    count: data.find((d) => d.hour === hour)?.count ?? 0,
  }));
  return (
    <figure className="chart" aria-label="Conversations by hour of day">
      <figcaption>By hour of day</figcaption>
      <ResponsiveContainer width="100%" height={220}>
        <BarChart data={hours} margin={{ top: 8, right: 8, bottom: 0, left: -16 }}>
          <CartesianGrid strokeDasharray="3 3" vertical={false} />
          <XAxis dataKey="hour" fontSize={12} tickFormatter={(h: number) => String(h).padStart(2, '0')} />
          <YAxis allowDecimals={false} fontSize={12} />
          <Tooltip labelFormatter={(h) => `${String(h).padStart(2, '0')}:00`} />
          <Bar dataKey="count" name="Conversations" fill={HOUR_COLOR} />
        </BarChart>
      </ResponsiveContainer>
    </figure>
  );
}
