/**
 * The console's hash routes, which keep the gateway side to a handful of static files:
 *   #/mine[/<id>][?<list query>]  #/received[/<id>][?…]  #/policies
 * and for auditors   #/all[/<id>][?…]  #/audit
 * A list's filters and page live in the hash's query (ListQuery), so a reload, a bookmark or a
 * link sent to a colleague opens the same list, page and request.
 */
import { useEffect, useMemo, useState } from 'preact/hooks';

/** `all` is for auditors only (the API refuses it to anyone else). */
export type ListKind = 'mine' | 'received' | 'all';

/** A list's filters and page, as the URL holds them; every value is text, '' when not set. */
export interface ListQuery {
  status: string;
  profileType: string;
  requestor: string;
  /** Text the object's path contains. */
  q: string;
  /** `YYYY-MM-DD`: requests made on or after that day (local time). */
  from: string;
  /** `YYYY-MM-DD`: requests made on or before that day (local time). */
  to: string;
  /** The API's cursor of this page; '' on the first. */
  cursor: string;
  /** The page's number, for the pager; 1 on the first. */
  page: number;
}

export const EMPTY_QUERY: ListQuery = { status: '', profileType: '', requestor: '', q: '', from: '', to: '', cursor: '', page: 1 };

const QUERY_KEYS = ['status', 'profileType', 'requestor', 'q', 'from', 'to', 'cursor'] as const;
/** Longest value a query key keeps from a URL (the API bounds them again). */
const VALUE_MAX = 1024;

export type Route = { page: ListKind; id: string | null; query: ListQuery } | { page: 'policies' } | { page: 'audit' };

function readQuery(search: string): ListQuery {
  const params = new URLSearchParams(search);
  const query: ListQuery = { ...EMPTY_QUERY };
  for (const key of QUERY_KEYS) query[key] = (params.get(key) ?? '').slice(0, VALUE_MAX);
  const page = Number(params.get('page'));
  query.page = query.cursor && Number.isInteger(page) && page > 1 ? page : 1;
  // A day that is not a day is dropped here rather than refused by the API.
  for (const key of ['from', 'to'] as const) if (!/^\d{4}-\d{2}-\d{2}$/.test(query[key])) query[key] = '';
  return query;
}

/**
 * The hash's query for a list: only what is set, in a fixed order.
 * @example queryString({ ...EMPTY_QUERY, status: 'approved' }) // '?status=approved'
 */
export function queryString(query: ListQuery): string {
  const params = new URLSearchParams();
  for (const key of QUERY_KEYS) if (query[key]) params.set(key, query[key]);
  if (query.cursor && query.page > 1) params.set('page', String(query.page));
  const text = params.toString();
  return text ? `?${text}` : '';
}

/**
 * The hash of a list page, or of a request open beside it, keeping the list's query.
 * @example listHash('received', 'r-1', { ...EMPTY_QUERY, q: 'scripts' }) // '#/received/r-1?q=scripts'
 */
export function listHash(kind: ListKind, id: string | null, query: ListQuery): string {
  return `#/${kind}${id ? `/${encodeURIComponent(id)}` : ''}${queryString(query)}`;
}

/**
 * Reads a location hash; anything unknown is "My requests".
 * @example parseRoute('#/received/r-1?status=approved') // { page: 'received', id: 'r-1', query: { status: 'approved', … } }
 */
export function parseRoute(hash: string): Route {
  const [path = '', search = ''] = hash.replace(/^#\/?/, '').split('?');
  const [page, id] = path.split('/');
  if (page === 'policies' || page === 'audit') return { page };
  const query = readQuery(search);
  if (page === 'received' || page === 'mine' || page === 'all') return { page, id: id ? safeDecode(id) : null, query };
  return { page: 'mine', id: null, query };
}

function safeDecode(text: string): string | null {
  try {
    return decodeURIComponent(text);
  } catch {
    return null;
  }
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
