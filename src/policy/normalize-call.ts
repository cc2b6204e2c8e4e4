/**
 * The canonical reading of a call (invariant 7): the effective method, the normalised path and the
 * request target that is forwarded. It is computed once, before the decision; the policy decides on
 * it, and the proxy and the replay send exactly it, never the raw bytes of another reading.
 * Anything that two servers could read two ways (an encoded slash, a NUL, a method override on a
 * GET or to a read, a rewrite header, a protocol upgrade) is refused rather than guessed: the
 * gateway answers 400 and passes nothing on.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { CallInput } from './types';

/** Methods a call may use; anything else (MERGE, PROPFIND, TRACE…) is refused, not passed through unjudged. */
const KNOWN_METHODS = new Set(['GET', 'HEAD', 'OPTIONS', 'POST', 'PUT', 'PATCH', 'DELETE']);

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Headers that tunnel another method through POST (Microsoft, Google and Rails conventions). */
export const OVERRIDE_HEADERS = ['x-http-method-override', 'x-http-method', 'x-method-override'] as const;

/**
 * Headers that make some servers (IIS, some frameworks) act on another path than the request
 * line's: a call carrying one could be decided on one path and executed on another, so it is refused.
 */
const REWRITE_HEADERS = ['x-original-url', 'x-rewrite-url'] as const;

/** Headers the policy may look at. Credentials (authorization, cookie) are never among them. */
const SELECTED_HEADERS = ['content-type', 'if-match', 'if-none-match', 'prefer'] as const;

/** Longer request targets are refused: no management API needs them, and they cost to parse. */
export const MAX_URL_LENGTH = 8192;
const MAX_HEADER_VALUE = 1024;
const MAX_QUERY_PARAMS = 100;

/**
 * Whether a method changes something (anything but GET, HEAD and OPTIONS).
 * @example
 * isMutation('PATCH'); // true
 */
export function isMutation(method: string): boolean {
  return !SAFE_METHODS.has(method.toUpperCase());
}

export type NormalizeResult =
  | {
      ok: true;
      /** What the policy decides on: `path` is lower case when the upstream ignores case. */
      call: Omit<CallInput, 'body'>;
      /**
       * The request target that is forwarded and stored for replay: the same canonical path in its
       * own letter case, re-encoded, with the query as received. Sent with `call.method`.
       */
      target: string;
    }
  | { ok: false; reason: string };

/**
 * Normalises an incoming call: effective method, canonical path, parsed query and selected
 * headers for the policy, and the target to forward. `url` is the request target as received
 * (`req.url`: path and query).
 * @example
 * normalizeCall({ method: 'post', url: '/deviceAppManagement//mobileApps/42/?x=1', headers: { 'x-http-method-override': 'PATCH' } }, { caseInsensitive: true });
 * // { ok: true, call: { method: 'PATCH', path: '/deviceappmanagement/mobileapps/42', query: { x: '1' }, headers: {} },
 * //   target: '/deviceAppManagement/mobileApps/42?x=1' }
 */
export function normalizeCall(
  input: { method: string; url: string; headers: IncomingHttpHeaders },
  options: { caseInsensitive: boolean },
): NormalizeResult {
  const method = effectiveMethod(input.method, input.headers);
  if (method instanceof Refusal) return { ok: false, reason: method.reason };
  const framing = refusedFraming(input.headers);
  if (framing !== undefined) return { ok: false, reason: framing };

  const url = input.url;
  if (typeof url !== 'string' || url.length === 0) return { ok: false, reason: 'empty request target' };
  if (url.length > MAX_URL_LENGTH) return { ok: false, reason: `request target longer than ${MAX_URL_LENGTH} characters` };
  // Only origin-form ("/path?query"); absolute-form and "*" name the target some other way.
  if (url.charCodeAt(0) !== 0x2f) return { ok: false, reason: 'request target must start with "/"' };
  if (url.includes('#')) return { ok: false, reason: 'request target must not contain a fragment' };

  const q = url.indexOf('?');
  const rawPath = q < 0 ? url : url.slice(0, q);
  const rawQuery = q < 0 ? '' : url.slice(q + 1);

  const path = normalizePath(rawPath, options.caseInsensitive, !SAFE_METHODS.has(method));
  if (path instanceof Refusal) return { ok: false, reason: path.reason };
  const query = parseQuery(rawQuery);
  if (query instanceof Refusal) return { ok: false, reason: query.reason };
  const headers = selectHeaders(input.headers);
  if (headers instanceof Refusal) return { ok: false, reason: headers.reason };
  // Most calls are already canonical: then the target is the URL as received, with no copy.
  const targetPath = path.canonical ? rawPath : path.target;
  const target = rawQuery === '' ? targetPath : `${targetPath}?${rawQuery}`;
  return { ok: true, call: { method, path: path.decided, query, headers }, target };
}

/**
 * The canonical reading of a stored (parked) call: the same normaliser on its method, path, query
 * and stored headers, so the replay and a resend compare and send what the proxy would.
 * @example normalizeParkedCall({ method: 'PATCH', path: '/a//b', query: 'x=1', headers: {} }, { caseInsensitive: true }).target // '/a/b?x=1'
 */
export function normalizeParkedCall(
  call: { method: string; path: string; query: string; headers: IncomingHttpHeaders },
  options: { caseInsensitive: boolean },
): NormalizeResult {
  return normalizeCall({ method: call.method, url: call.query ? `${call.path}?${call.query}` : call.path, headers: call.headers }, options);
}

/**
 * Headers that let the upstream read the call differently from us, on any method: a rewrite of
 * the path, a protocol switch (after a 101 the connection is a tunnel we no longer read: h2c
 * smuggling), or a transfer coding other than chunked (the upstream would decode a body we did
 * not decide on).
 */
function refusedFraming(headers: IncomingHttpHeaders): string | undefined {
  for (const name of REWRITE_HEADERS) {
    if (headers[name] !== undefined) return `the ${name} header is refused: the upstream could act on its path instead of the request's`;
  }
  if (headers.upgrade !== undefined) return 'protocol upgrades (Upgrade header) are not passed through';
  const te = headers['transfer-encoding'];
  if (te !== undefined && te.trim().toLowerCase() !== 'chunked') return `transfer-encoding ${JSON.stringify(te.slice(0, 40))} is refused: only chunked is accepted`;
  return undefined;
}

/** A refusal from a helper; a class, so that a query parameter named "ok" cannot pass for one. */
class Refusal {
  readonly ok = false;
  constructor(readonly reason: string) {}
}

function refuse(reason: string): Refusal {
  return new Refusal(reason);
}

function effectiveMethod(raw: string, headers: IncomingHttpHeaders): string | Refusal {
  const method = typeof raw === 'string' ? raw.toUpperCase() : '';
  if (!KNOWN_METHODS.has(method)) return refuse(`method ${JSON.stringify(String(raw).slice(0, 20))} is not supported`);
  let override: string | undefined;
  for (const name of OVERRIDE_HEADERS) {
    const value = headers[name];
    if (value === undefined) continue;
    // Node joins repeated custom headers with ", "; two values are two answers, so refuse.
    const values = (Array.isArray(value) ? value : [value]).flatMap((v) => v.split(','));
    for (const v of values) {
      const candidate = v.trim().toUpperCase();
      if (override !== undefined && override !== candidate) return refuse('method override headers disagree');
      override = candidate;
    }
  }
  if (override === undefined) return method;
  if (method !== 'POST') return refuse(`a method override is only honoured on POST, not ${method}`);
  if (!KNOWN_METHODS.has(override)) return refuse(`method override to ${JSON.stringify(override.slice(0, 20))} is not supported`);
  // An override never turns a change into a read: the upstream may ignore the header and act on
  // the POST, so a POST "overridden" to GET would be forwarded undecided.
  if (SAFE_METHODS.has(override)) return refuse(`a method override may only name a change (PUT, PATCH, DELETE, POST), not ${override}`);
  return override;
}

/** Bytes that, once decoded, would change how the path splits or compares: refused when encoded. */
function forbiddenDecoded(byte: number): string | undefined {
  if (byte === 0x2f) return 'encoded slash (%2F)';
  if (byte === 0x5c) return 'encoded backslash (%5C)';
  if (byte === 0x25) return 'encoded percent sign (%25): double encoding';
  if (byte === 0x00) return 'encoded NUL (%00)';
  if (byte < 0x20 || byte === 0x7f) return 'encoded control character';
  return undefined;
}

/** A canonical path: as decided (lower case when the upstream ignores case) and as forwarded. */
interface CanonicalPath {
  decided: string;
  target: string;
  /** The raw path was already in canonical form (then it is forwarded as received). */
  canonical: boolean;
}

function normalizePath(raw: string, caseInsensitive: boolean, mutation: boolean): CanonicalPath | Refusal {
  // Raw characters some servers read as separators or strip: refuse rather than guess which.
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    if (c <= 0x20 || c === 0x7f) return refuse('control character or space in path');
    if (c === 0x5c) return refuse('backslash in path');
    if (c === 0x3b) return refuse('";" (path parameter) in path');
    if (c > 0x7e) return refuse('non-ASCII character in path (percent-encode it)');
  }
  // One entry per upstream path segment, decoded; an OData key segment `x('42')` is one entry
  // "x/42" (a decoded segment holds no other "/"), so that a following ".." removes it whole, as
  // the upstream does.
  const units: string[] = [];
  let canonical = true;
  const segments = raw.split('/');
  for (let s = 1; s < segments.length; s++) {
    const segment = segments[s]!;
    if (segment === '') {
      // repeated and trailing slashes
      canonical = false;
      continue;
    }
    let decoded = segment;
    if (segment.includes('%')) {
      canonical = false;
      for (let i = segment.indexOf('%'); i >= 0; i = segment.indexOf('%', i + 1)) {
        const hex = segment.slice(i + 1, i + 3);
        if (!/^[0-9A-Fa-f]{2}$/.test(hex)) return refuse('malformed percent-encoding in path');
        const bad = forbiddenDecoded(parseInt(hex, 16));
        if (bad) return refuse(`${bad} in path`);
      }
      try {
        decoded = decodeURIComponent(segment);
      } catch {
        return refuse('percent-encoding in path is not valid UTF-8');
      }
    }
    // An encoded dot segment is ".." to one server and a file named ".." to another: refuse.
    if (decoded !== segment && (decoded === '.' || decoded === '..')) return refuse('percent-encoded dot segment in path');
    if (decoded === '.') {
      canonical = false;
      continue;
    }
    if (decoded === '..') {
      if (units.length === 0) return refuse('".." above the root of the path');
      canonical = false;
      units.pop();
      continue;
    }
    // A change's segment that some servers read as another one is refused (reads change nothing).
    if (mutation) {
      const unclear = unclearSegment(decoded);
      if (unclear !== undefined) return refuse(unclear);
    }
    // OData key syntax: `mobileApps('42')` is `mobileApps/42` to the upstream.
    if (decoded.includes('(') || decoded.includes(')')) {
      const keyed = odataKeySegment(decoded);
      if (keyed instanceof Refusal) {
        // Reads are never protected, so a form we cannot read (a function with several
        // parameters) may still pass as it is; a change we cannot read is refused.
        if (mutation) return keyed;
      } else {
        canonical = false;
        units.push(keyed.join('/'));
        continue;
      }
    }
    units.push(decoded);
  }
  if (canonical) {
    const decided = caseInsensitive ? raw.toLowerCase() : raw;
    return { decided: decided === '' ? '/' : decided, target: raw === '' ? '/' : raw, canonical: raw !== '' };
  }
  const parts = units.join('/').split('/');
  return {
    decided: `/${(caseInsensitive ? parts.map((p) => p.toLowerCase()) : parts).join('/')}`,
    target: `/${parts.map(encodeSegment).join('/')}`,
    canonical: false,
  };
}

/**
 * Why a decoded segment of a change could name another segment upstream, or undefined. Servers
 * strip path parameters after ";" (Tomcat, Spring), trim trailing dots and spaces (IIS), and fold
 * or drop non-ASCII characters (NFKC, case folding, zero-width characters): `mobileApp\u017f`,
 * `mobileApps.` and `mobileApps%3Bx` can all reach `mobileApps`. Management API paths are ASCII
 * names and ids, so such a segment in a change is refused rather than guessed.
 */
function unclearSegment(segment: string): string | undefined {
  const last = segment.charCodeAt(segment.length - 1);
  if (last === 0x2e) return 'a path segment ending in "." (some servers trim it)';
  if (last === 0x20 || segment.charCodeAt(0) === 0x20) return 'a path segment starting or ending with a space (some servers trim it)';
  if (segment.includes(';')) return 'an encoded ";" in a path segment (some servers strip what follows it)';
  if (/[^\x00-\x7f]/.test(segment)) return 'a non-ASCII character in the path of a change (some servers fold it onto another letter)';
  return undefined;
}

/** Characters a path segment may carry unencoded (RFC 3986 pchar, minus ";" which some servers split on). */
const PCHAR = /^[A-Za-z0-9\-._~!$&'()*+,=:@]*$/;

/**
 * Encodes one decoded segment for the forwarded target: unchanged when it is all pchar, else each
 * other character percent-encoded as UTF-8. The upstream decodes it back to the decided segment.
 * @example encodeSegment('café x') // 'caf%C3%A9%20x'
 */
export function encodeSegment(segment: string): string {
  if (PCHAR.test(segment)) return segment;
  let out = '';
  for (const ch of segment) out += PCHAR.test(ch) ? ch : encodeURIComponent(ch);
  return out;
}

/** A key name in `(name='value')`: an OData identifier. */
const KEY_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Rewrites one decoded segment with OData parentheses into the path the policy matches:
 * `mobileApps('42')` and `mobileApps(id='42')` → `mobileApps/42` (`''` inside quotes is one `'`),
 * `mobileApps(42)` → `mobileApps/42`, `delta()` → `delta`. A form with two readings (a composite
 * key, an alternate key, nested or unbalanced parentheses, text after `)`) is refused rather than
 * guessed.
 */
function odataKeySegment(segment: string): string[] | Refusal {
  const open = segment.indexOf('(');
  if (open < 0) return refuse('")" without "(" in a path segment');
  if (open === 0) return refuse('"(" at the start of a path segment: a key needs a name before it');
  const name = segment.slice(0, open);
  if (name.includes(')') || name.includes("'")) return refuse('unbalanced parentheses or quote in a path segment');
  if (segment.charCodeAt(segment.length - 1) !== 0x29) return refuse('text after ")" in a path segment, or an unclosed "("');
  const inner = segment.slice(open + 1, -1);
  if (inner === '') return [name];
  // One pass with quotes in mind: parentheses or a comma outside quotes mean another reading.
  let inQuote = false;
  let eq = -1;
  for (let i = 0; i < inner.length; i++) {
    const c = inner.charCodeAt(i);
    if (c === 0x27) inQuote = !inQuote; // '' inside quotes toggles twice: still inside
    else if (inQuote) continue;
    else if (c === 0x28 || c === 0x29) return refuse('nested parentheses in a path segment');
    else if (c === 0x2c) return refuse('a composite key (several values in parentheses) cannot be judged; address the object by one key');
    else if (c === 0x3d) {
      if (eq >= 0) return refuse('two "=" in a key in parentheses');
      eq = i;
    }
  }
  if (inQuote) return refuse('unbalanced quote in a key in parentheses');
  let value = inner;
  if (eq >= 0) {
    const keyName = inner.slice(0, eq);
    if (!KEY_NAME.test(keyName)) return refuse('a named key in parentheses needs a name such as id=');
    // An alternate key (displayName='x') names the object by something other than its id: the
    // object key would differ from the id's, and two open requests could hold one object.
    if (keyName.toLowerCase() !== 'id') return refuse(`an alternate key (${keyName}=…) cannot be judged; address the object by its id`);
    value = inner.slice(eq + 1);
  }
  let key: string;
  if (value.charCodeAt(0) === 0x27) {
    // The quote scan above ended outside quotes, so value is '…' with doubled quotes inside,
    // unless text follows the closing quote ('a'b' toggles back in and out).
    if (value.length < 2 || value.charCodeAt(value.length - 1) !== 0x27) return refuse('text after the closing quote of a key');
    const body = value.slice(1, -1);
    for (let i = 0; i < body.length; i++) {
      if (body.charCodeAt(i) !== 0x27) continue;
      if (body.charCodeAt(i + 1) !== 0x27) return refuse('text after the closing quote of a key');
      i++;
    }
    key = body.replaceAll("''", "'");
  } else {
    if (value.includes("'")) return refuse('a quote inside an unquoted key');
    key = value;
  }
  if (key === '') return refuse('an empty key in parentheses');
  // A key with parentheses of its own would be read as a key again in its canonical form
  // (`x('a(b')` → `x/a(b`), so the forwarded target would not read as what was decided: refused.
  if (key.includes('(') || key.includes(')')) return refuse('a key with parentheses in it cannot be judged');
  if (key === '.' || key === '..') return refuse('a dot segment as a key in parentheses');
  return [name, key];
}

function parseQuery(raw: string): Record<string, string | string[]> | Refusal {
  const query: Record<string, string | string[]> = {};
  if (raw === '') return query;
  const params = new URLSearchParams(raw);
  let n = 0;
  for (const [key, value] of params) {
    if (++n > MAX_QUERY_PARAMS) return refuse(`more than ${MAX_QUERY_PARAMS} query parameters`);
    const existing = Object.hasOwn(query, key) ? query[key] : undefined;
    // defineProperty, so that a parameter named __proto__ is data, not the object's prototype.
    if (existing === undefined) Object.defineProperty(query, key, { value, enumerable: true, writable: true, configurable: true });
    else if (Array.isArray(existing)) existing.push(value);
    else query[key] = [existing, value];
  }
  return query;
}

function selectHeaders(headers: IncomingHttpHeaders): Record<string, string> | Refusal {
  const out: Record<string, string> = {};
  for (const name of SELECTED_HEADERS) {
    const value = headers[name];
    if (value === undefined) continue;
    const text = Array.isArray(value) ? value.join(', ') : value;
    if (text.length > MAX_HEADER_VALUE) return refuse(`${name} header longer than ${MAX_HEADER_VALUE} characters`);
    out[name] = text;
  }
  return out;
}
