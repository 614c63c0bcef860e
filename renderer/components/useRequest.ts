import { useCallback, useEffect, useState } from 'react';
import { shownError } from '../store/errors.ts';
import type { ShownError } from '../store/types.ts';

interface Answer<T> {
  key?: string;
  data?: T;
  error?: ShownError;
}

/**
 * One request a screen shows, asked again whenever `key` changes (undefined: nothing to ask yet). An answer
 * that arrives after the key moved on is dropped, so a slow answer never overwrites a newer one. `loading`
 * is true while the answer on screen is not the answer to the current key.
 */
export function useRequest<T>(key: string | undefined, ask: () => Promise<T>) {
  const [answer, setAnswer] = useState<Answer<T>>({});
  const [round, setRound] = useState(0);
  useEffect(() => {
    if (key === undefined) return;
    let live = true;
    ask().then(
      (data) => live && setAnswer({ key, data }),
      (err: unknown) => live && setAnswer((a) => ({ key, data: a.data, error: shownError(err) })),
    );
    return () => {
      live = false;
    };
    // `ask` is a new function every render; the key says when the question changed.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [key, round]);
  const reload = useCallback(() => setRound((r) => r + 1), []);
  return {
    data: answer.data,
    error: answer.key === key ? answer.error : undefined,
    loading: key !== undefined && answer.key !== key,
    reload,
  };
}
