/**
 * Links that stay behind the gateway (`upstream.publicUrl`). Microsoft Graph answers list pages
 * with absolute `@odata.nextLink` URLs and creates with absolute `Location` headers; relayed as
 * they come, they point at the upstream, and a client that follows them leaves the gateway (and
 * then bypasses it). Both the proxy (proxy.ts) and the replay's relayed answer (replay.ts) pass
 * their answers through this one module.
 *
 * What is rewritten, and only when it points at the upstream (same origin, under its base path):
 *   - the `Location` and `Content-Location` headers;
 *   - in JSON bodies (`application/json` or `+json`) of at most LINK_REWRITE_LIMIT_BYTES, the
 *     string values of the members `@odata.nextLink`, `@odata.deltaLink` and `@odata.context`,
 *     at any depth. A gzip, deflate or br body is decoded (bounded by the same limit) and sent
 *     back as identity when, and only when, a link in it was rewritten.
 *
 * Why a string replacement of those members' values, and not JSON.parse + JSON.stringify: the
 * body stays byte for byte what the upstream sent except for the links themselves. A parse and
 * re-serialisation would reformat it, reorder nothing but still drop duplicate members, and turn
 * 64-bit integers above 2^53 (Graph has Int64 properties) into other numbers. The member pattern
 * is read only where `{` or `,` precedes it, so in well-formed JSON it only ever matches a real
 * member name (a name inside a string value has its quotes escaped), and each value is decoded as a JSON string
 * before it is compared, so `https:\/\/…` is read as the URL it is.
 */
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import { parse as parseContentType } from 'content-type';

/**
 * The largest body (as received, and once decoded) that is read whole to rewrite its links: a
 * Graph page is a few hundred KiB at most. A larger body, or one that turns out larger while it
 * arrives, is streamed on unchanged; memory per call stays bounded by this.
 */
export const LINK_REWRITE_LIMIT_BYTES = 4 * 1024 * 1024;

/** The response headers that carry a link to rewrite. */
const LINK_HEADERS = ['location', 'content-location'] as const;

/**
 * A link member and its string value (group 1). Only taken where isMemberName agrees that its
 * quote opens a member name. Global: its literal start lets V8 skip through the body quickly.
 */
const LINK_MEMBER = /"@odata\.(?:nextLink|deltaLink|context)"\s*:\s*("(?:[^"\\]|\\.)*")/g;

/** The scheme and authority of an absolute URL, as written. */
const ORIGIN_PART = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?#]*/;

const DECODERS: Record<string, (body: Buffer, options: zlib.ZlibOptions & zlib.BrotliOptions) => Promise<Buffer>> = {
  gzip: promisify(zlib.gunzip),
  'x-gzip': promisify(zlib.gunzip),
  deflate: promisify(zlib.inflate),
  br: promisify(zlib.brotliDecompress),
};

export type ResponseHeaders = Record<string, string | string[] | number | undefined>;

export interface PublicLinks {
  /**
   * One link rewritten when it points at the upstream; anything else is returned as it is.
   * @example links.rewriteUrl('https://graph.microsoft.com/v1.0/users?$skiptoken=x') // 'https://gw.example.com/v1.0/users?$skiptoken=x'
   */
  rewriteUrl(value: string): string;
  /**
   * Rewrites Location and Content-Location in place; returns `headers`.
   * @example links.rewriteHeaders({ location: 'https://graph.microsoft.com/v1.0/apps/1' }) // { location: 'https://gw.example.com/v1.0/apps/1' }
   */
  rewriteHeaders<T extends ResponseHeaders>(headers: T): T;
  /**
   * Whether a body with these headers may have links to rewrite, and is small enough to be read
   * whole to do so (a declared Content-Length over the limit is not). Cheap: called per answer.
   * @example links.wantsBody({ 'content-type': 'application/json', 'content-length': '120' }) // true
   */
  wantsBody(headers: ResponseHeaders): boolean;
  /**
   * The whole body with its links rewritten, or null when nothing changed (then the original
   * bytes and headers stand). A rewritten body is identity-encoded; the caller drops
   * Content-Encoding and sets Content-Length. Never throws: a body it cannot read is left alone.
   * @example await links.rewriteBody(Buffer.from('{"@odata.nextLink":"https://graph.microsoft.com/v1.0/x?$skip=2"}'), 'identity')
   *          // Buffer '{"@odata.nextLink":"https://gw.example.com/v1.0/x?$skip=2"}'
   */
  rewriteBody(body: Buffer, contentEncoding: string | undefined): Promise<Buffer | null>;
  /**
   * A buffered answer (the replay's) with its links rewritten: headers in place, the body when it
   * is JSON within the limit. Content-Length is dropped when the body changed (the relay recomputes it).
   * @example const { headers, body } = await links.rewriteAnswer(upstream.headers, upstream.body);
   */
  rewriteAnswer<T extends ResponseHeaders>(headers: T, body: Buffer): Promise<{ headers: T; body: Buffer }>;
}

/**
 * The link rewriter from the upstream's URL to the gateway's public URL; null when `publicUrl` is
 * unset, so callers keep their untouched fast path.
 * @example const links = createPublicLinks('https://graph.microsoft.com', 'https://gw.example.com');
 */
export function createPublicLinks(upstreamUrl: string, publicUrl: string | undefined): PublicLinks | null {
  if (publicUrl === undefined) return null;
  const upstream = new URL(upstreamUrl);
  const upstreamOrigin = upstream.origin;
  const basePath = upstream.pathname.replace(/\/+$/, '');
  const publicBase = publicUrl.replace(/\/+$/, '');

  function rewriteUrl(value: string): string {
    const origin = ORIGIN_PART.exec(value);
    if (!origin) return value;
    let parsed: string;
    try {
      parsed = new URL(origin[0]).origin;
    } catch {
      return value;
    }
    if (parsed !== upstreamOrigin) return value;
    // The rest is kept as written (not re-serialised by URL, which would re-encode a query).
    const rest = value.slice(origin[0].length);
    if (!rest.startsWith(basePath)) return value;
    const tail = rest.slice(basePath.length);
    if (tail !== '' && !/^[/?#]/.test(tail)) return value; // `/api2` is not under `/api`
    return publicBase + tail;
  }

  function rewriteHeaders<T extends ResponseHeaders>(headers: T): T {
    for (const name of LINK_HEADERS) {
      const value = headers[name];
      if (typeof value === 'string') (headers as ResponseHeaders)[name] = rewriteUrl(value);
    }
    return headers;
  }

  function wantsBody(headers: ResponseHeaders): boolean {
    const type = headers['content-type'];
    if (typeof type !== 'string' || !isJson(type)) return false;
    const encoding = headerText(headers['content-encoding']);
    if (encoding !== undefined && encoding !== 'identity' && !(encoding in DECODERS)) return false;
    const length = headers['content-length'];
    return length === undefined || Number(length) <= LINK_REWRITE_LIMIT_BYTES;
  }

  async function rewriteBody(body: Buffer, contentEncoding: string | undefined): Promise<Buffer | null> {
    if (body.length === 0 || body.length > LINK_REWRITE_LIMIT_BYTES) return null;
    let text: string;
    try {
      const encoding = contentEncoding?.trim().toLowerCase();
      const decode = encoding === undefined || encoding === '' || encoding === 'identity' ? undefined : DECODERS[encoding];
      if (encoding !== undefined && encoding !== '' && encoding !== 'identity' && decode === undefined) return null;
      // maxOutputLength bounds the decoded size too (a small gzip can inflate to gigabytes).
      const plain = decode ? await decode(body, { maxOutputLength: LINK_REWRITE_LIMIT_BYTES }) : body;
      // Cheap first look: no member name, no link to rewrite (most answers: single objects).
      if (plain.indexOf('"@odata.') === -1) return null;
      text = plain.toString('utf8');
    } catch {
      return null; // larger than the limit once decoded, or not decodable: relayed as it came
    }
    const parts: string[] = [];
    let copied = 0;
    LINK_MEMBER.lastIndex = 0;
    for (let match = LINK_MEMBER.exec(text); match !== null; match = LINK_MEMBER.exec(text)) {
      if (!isMemberName(text, match.index)) continue;
      const literal = match[1]!;
      const next = rewriteLink(literal);
      if (next === null) continue;
      const valueAt = LINK_MEMBER.lastIndex - literal.length;
      parts.push(text.slice(copied, valueAt), next);
      copied = LINK_MEMBER.lastIndex;
    }
    if (parts.length === 0) return null;
    parts.push(text.slice(copied));
    return Buffer.from(parts.join(''), 'utf8');
  }

  /** A JSON string literal holding a link, rewritten as a literal; null when it stays as it is. */
  function rewriteLink(literal: string): string | null {
    let value: unknown;
    try {
      value = JSON.parse(literal);
    } catch {
      return null;
    }
    if (typeof value !== 'string') return null;
    const next = rewriteUrl(value);
    return next === value ? null : JSON.stringify(next);
  }

  async function rewriteAnswer<T extends ResponseHeaders>(headers: T, body: Buffer): Promise<{ headers: T; body: Buffer }> {
    rewriteHeaders(headers);
    if (!wantsBody(headers)) return { headers, body };
    const rewritten = await rewriteBody(body, headerText(headers['content-encoding']));
    if (rewritten === null) return { headers, body };
    const out = headers as ResponseHeaders;
    delete out['content-encoding'];
    delete out['content-length'];
    return { headers, body: rewritten };
  }

  return { rewriteUrl, rewriteHeaders, wantsBody, rewriteBody, rewriteAnswer };
}

/**
 * Whether the quote at `at` opens a member name: the last non-blank character before it is `{` or
 * `,`. In well-formed JSON a quote inside a string is escaped, so `,\"@odata.nextLink` in a value
 * never qualifies.
 */
function isMemberName(text: string, at: number): boolean {
  let i = at - 1;
  while (i >= 0 && (text[i] === ' ' || text[i] === '\n' || text[i] === '\r' || text[i] === '\t')) i--;
  return i >= 0 && (text[i] === '{' || text[i] === ',');
}

function headerText(value: string | string[] | number | undefined): string | undefined {
  if (value === undefined) return undefined;
  return (Array.isArray(value) ? value.join(',') : String(value)).trim().toLowerCase();
}

function isJson(contentType: string): boolean {
  try {
    const { type } = parseContentType(contentType);
    return type === 'application/json' || type.endsWith('+json');
  } catch {
    return false;
  }
}
