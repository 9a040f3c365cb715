// The header's availability switch: online (new conversations may be assigned to you, and the widget counts
// you as there) or away. The server's presence events keep it right when it changes in another tab.
import { useEffect, useState } from 'react';
import { errorMessage } from '../api/client';
import * as api from '../api/endpoints';
import { useAuth } from '../auth/AuthContext';
import { useLive } from '../socket/LiveSocket';

export function AvailabilitySwitch() {
  const { user } = useAuth();
  const { subscribe } = useLive();
  const [away, setAway] = useState<boolean | null>(null);
  const [error, setError] = useState<string | null>(null);
  const id = user?.id;

  useEffect(() => {
    if (id === undefined) return;
    let live = true;
    api
      .listTeam()
      .then((team) => {
        const me = team.find((m) => m.id === id);
        if (live && me) setAway((known) => known ?? me.availability === 'away');
      })
      .catch(() => undefined);
    const stop = subscribe((event) => {
      const mine = event.type === 'presence' ? event.availability?.[String(id)] : undefined;
      if (mine) setAway(mine === 'away');
    });
    return () => {
      live = false;
      stop();
    };
  }, [id, subscribe]);

  const toggle = async () => {
    const next = away ? 'online' : 'away';
    setError(null);
    try {
      setAway((await api.setMyAvailability(next)).availability === 'away');
    } catch (err) {
      setError(errorMessage(err));
    }
  };

  return (
    <>
      <button
        type="button"
        role="switch"
        aria-checked={away === false}
        aria-label="Available for new chats"
        className={`btn btn-small availability ${away ? 'is-away' : 'is-online'}`}
        disabled={away === null}
        title={error ?? undefined}
        onClick={() => void toggle()}
      >
        <span className={away ? 'away-dot' : 'online-dot'} aria-hidden="true" />
        {away ? 'Away' : 'Online'}
      </button>
      {error ? (
        <span className="visually-hidden" role="alert">
          {error}
        </span>
      ) : null}
    </>
  );
}
