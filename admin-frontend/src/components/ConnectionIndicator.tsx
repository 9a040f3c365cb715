import { useLive } from '../socket/LiveSocket';

const LABEL = {
  connected: 'Connected',
  connecting: 'Connecting…',
  reconnecting: 'Reconnecting…',
  stopped: 'Offline',
} as const;

export function ConnectionIndicator() {
  const { status } = useLive();
  return (
    <span className={`conn conn-${status}`} role="status" aria-live="polite" data-testid="connection">
      <span className="conn-dot" aria-hidden="true" />
      {LABEL[status]}
    </span>
  );
}
