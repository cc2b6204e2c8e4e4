/**
 * Which of an intercepted call's headers are stored and replayed. Everything that describes the
 * change (content-type, if-match, prefer, custom API headers…) is kept; what belongs to the
 * connection, to the caller's credentials or to Countersign itself is dropped. The completer's
 * own Authorization is added at replay, and the method override is replaced by the effective
 * method stored on the request.
 */
import { LIMITS } from '../limits';

/** Hop-by-hop headers (RFC 9110 §7.6.1) plus framing headers the replay recomputes. */
export const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'proxy-authorization',
  'proxy-authenticate',
  'proxy-connection',
]);

const DROPPED = new Set([
  ...HOP_BY_HOP,
  // Credentials: the completer's own Authorization is sent at replay, never the requestor's.
  'authorization',
  'cookie',
  // Recomputed by the replay (host of the upstream, length of the exact stored body).
  'host',
  'content-length',
  'expect',
  // The effective method is stored; an override header would make the replay ambiguous. So would
  // a path rewrite header (the gateway refuses calls that carry one; dropped here all the same).
  'x-http-method-override',
  'x-http-method',
  'x-method-override',
  'x-original-url',
  'x-rewrite-url',
  // The requestor's client and connection, not the change: the replay is sent by the gateway for
  // the completer, whose client receives the answer (an encoding the requestor's client accepted
  // may not suit it), and a forwarded-for would name the wrong connection.
  'accept-encoding',
  'user-agent',
  'origin',
  'referer',
  'dnt',
  'priority',
  'forwarded',
  'x-real-ip',
]);

/** Prefixes of the same kind: browser fetch metadata and client hints, proxy forwarding headers. */
const DROPPED_PREFIXES = ['x-maa-', 'proxy-', 'sec-', 'x-forwarded-'];

// The store keeps exactly as many (src/limits.ts): a call this function shaped always parks.
const MAX_HEADERS = LIMITS.storedHeaders;
const MAX_VALUE_LENGTH = LIMITS.storedHeaderValueChars;

/**
 * The headers worth replaying, lower-case names, multi-valued headers joined with ", ".
 * @example storedHeaders({ 'content-type': 'application/json', authorization: 'Bearer x' }) // { 'content-type': 'application/json' }
 */
export function storedHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  // `Connection: foo` makes foo hop-by-hop for this one message (RFC 9110 §7.6.1).
  const connection = headers.connection;
  const listed = new Set(
    (Array.isArray(connection) ? connection.join(',') : (connection ?? '')).split(',').map((n) => n.trim().toLowerCase()),
  );
  let count = 0;
  for (const [rawName, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    const name = rawName.toLowerCase();
    if (DROPPED.has(name) || listed.has(name) || DROPPED_PREFIXES.some((p) => name.startsWith(p))) continue;
    const joined = Array.isArray(value) ? value.join(', ') : value;
    // Bounded: a parked call never carries more than this, whatever the client sent.
    if (joined.length > MAX_VALUE_LENGTH) continue;
    out[name] = joined;
    if (++count >= MAX_HEADERS) break;
  }
  return out;
}

/** Response headers to relay to the caller of complete: all but hop-by-hop and length (recomputed). */
export function relayableResponseHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || HOP_BY_HOP.has(name) || name === 'content-length') continue;
    out[name] = value;
  }
  return out;
}
