// The busy / error / notice state of a settings form, and `act`, which runs one action with it: busy while it
// runs, its error shown when it fails, the last notice cleared when it starts.
import { useState } from 'react';
import { errorMessage } from '../api/client';

export function useAction() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState('');

  const act = async (fn: () => Promise<void>) => {
    setBusy(true);
    setError(null);
    setNotice('');
    try {
      await fn();
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  };

  return { busy, error, setError, notice, setNotice, act };
}
