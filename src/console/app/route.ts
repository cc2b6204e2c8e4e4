/**
 * The console's hash routes, which keep the gateway side to a handful of static files:
 *   #/mine[/<id>]  #/received[/<id>]  #/policies
 * and for auditors   #/all[/<id>]  #/audit
 */
import { useEffect, useMemo, useState } from 'preact/hooks';

/** `all` is for auditors only (the API refuses it to anyone else). */
export type ListKind = 'mine' | 'received' | 'all';

export type Route = { page: ListKind; id: string | null } | { page: 'policies' } | { page: 'audit' };

/**
 * Reads a location hash; anything unknown is "My requests".
 * @example parseRoute('#/received/r-1') // { page: 'received', id: 'r-1' }
 */
export function parseRoute(hash: string): Route {
  const [page, id] = hash.replace(/^#\/?/, '').split('/');
  if (page === 'policies' || page === 'audit') return { page };
  if (page === 'received' || page === 'mine' || page === 'all') return { page, id: id ? decodeURIComponent(id) : null };
  return { page: 'mine', id: null };
}

/** The current route, following the hash. */
export function useHashRoute(): Route {
  const [hash, setHash] = useState(location.hash);
  useEffect(() => {
    const follow = () => setHash(location.hash);
    window.addEventListener('hashchange', follow);
    return () => window.removeEventListener('hashchange', follow);
  }, []);
  return useMemo(() => parseRoute(hash), [hash]);
}
