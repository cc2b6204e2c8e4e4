/**
 * Reads from the API whenever a key changes: the one loading pattern of every page. `busy` holds
 * until the answer for the current key has arrived; an answer for an older key is dropped, so a
 * slow page never overwrites a newer one. The last data stays shown while the next loads.
 */
import { useEffect, useState } from 'preact/hooks';
import { useConsole } from './context';

export interface Loaded<T> {
  data: T | undefined;
  /** The current key's failure, if it failed. */
  error: unknown;
  busy: boolean;
}

/**
 * @param key everything the answer depends on; a new key loads again (e.g. after an action)
 * @param what names a failure in a notification; without it, failures are only returned
 * @example const { data, busy } = useLoaded(`policies`, () => api.accessPolicies(), 'Loading access policies');
 */
export function useLoaded<T>(key: string, load: () => Promise<T>, what?: string): Loaded<T> {
  const { reportError } = useConsole();
  const [state, setState] = useState<{ key: string; data?: T; error?: unknown } | null>(null);
  useEffect(() => {
    let current = true;
    load().then(
      (data) => current && setState({ key, data }),
      (error: unknown) => {
        if (!current) return;
        setState((previous) => ({ key, data: previous?.data, error }));
        if (what) reportError(error, what);
      },
    );
    return () => {
      current = false;
    };
  }, [key]);
  return { data: state?.data, error: state?.key === key ? state.error : undefined, busy: state?.key !== key };
}
