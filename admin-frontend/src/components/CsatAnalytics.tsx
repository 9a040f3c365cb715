// Analytics: customer satisfaction over the range (ratings given in it), overall, by agent and by channel.
import { CHANNEL_LABEL } from '../lib/format';
import { CHANNELS, type CsatFigures } from '../types';

export const formatRating = (average: number | null | undefined) => (average == null ? '–' : `${average.toFixed(2)} / 5`);

export function CsatAnalytics({ figures }: { figures: CsatFigures | undefined }) {
  if (!figures) return null;
  return (
    <section aria-labelledby="csat-heading">
      <h2 id="csat-heading">Customer satisfaction</h2>
      <div className="kpis">
        <div className="kpi">
          <span className="kpi-label">Average rating</span>
          <span className="kpi-value" data-testid="kpi-csat-average" data-value={figures.average ?? ''}>
            {formatRating(figures.average)}
          </span>
        </div>
        <div className="kpi">
          <span className="kpi-label">Rating responses</span>
          <span className="kpi-value" data-testid="kpi-csat-responses" data-value={figures.responses}>
            {figures.responses}
          </span>
        </div>
      </div>
      <table className="table" aria-label="Satisfaction by channel">
        <thead>
          <tr>
            <th>Channel</th>
            <th className="num">Responses</th>
            <th className="num">Average rating</th>
          </tr>
        </thead>
        <tbody>
          {CHANNELS.map((c) => (
            <tr key={c}>
              <td>{CHANNEL_LABEL[c]}</td>
              <td className="num">{figures.by_channel[c].responses}</td>
              <td className="num">{formatRating(figures.by_channel[c].average)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <table className="table" aria-label="Satisfaction by agent">
        <thead>
          <tr>
            <th>Agent</th>
            <th className="num">Responses</th>
            <th className="num">Average rating</th>
          </tr>
        </thead>
        <tbody>
          {figures.by_agent.length === 0 ? (
            <tr>
              <td colSpan={3} className="muted">
                No ratings in this range.
              </td>
            </tr>
          ) : null}
          {figures.by_agent.map((a) => (
            <tr key={a.user_id}>
              <td>{a.name}</td>
              <td className="num">{a.responses}</td>
              <td className="num">{formatRating(a.average)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
