/**
 * A mutation's body as the upstream will read it. A body sent with `Content-Encoding` is
 * inflated by the upstream, so the policy and the approver must see the inflated bytes, not the
 * compressed ones: this module decodes gzip, deflate and br with a hard cap on the inflated size
 * (a decompression bomb is refused, not inflated). The bytes *sent* stay what is stored, hashed and
 * replayed (invariant 3); only the reading is decoded.
 *
 * What we cannot decode exactly as every upstream would (an unknown coding, stacked codings) is
 * refused (415): deciding on a guess would be deciding on another call.
 */
import zlib from 'node:zlib';
import { parse as parseContentType } from 'content-type';

export type ContentCoding = 'gzip' | 'deflate' | 'br';

export type DecodeResult =
  | { ok: true; body: Buffer; coding: ContentCoding | null }
  | { ok: false; code: 'UNSUPPORTED_CONTENT_ENCODING' | 'BODY_TOO_LARGE' | 'BODY_NOT_DECODABLE'; reason: string };

/**
 * The one coding a Content-Encoding header names, null for none (absent, empty or `identity`),
 * or a refusal for anything else (unknown codings, and lists such as `gzip, gzip`).
 * @example contentCoding('GZIP') // 'gzip'
 */
export function contentCoding(header: string | string[] | undefined): ContentCoding | null | { refused: string } {
  if (header === undefined) return null;
  const value = (Array.isArray(header) ? header.join(',') : header).trim().toLowerCase();
  if (value === '' || value === 'identity') return null;
  if (value === 'gzip' || value === 'x-gzip') return 'gzip';
  if (value === 'deflate') return 'deflate';
  if (value === 'br') return 'br';
  if (value.includes(',')) return { refused: `stacked content codings (${JSON.stringify(value.slice(0, 60))}) are not accepted; send one of gzip, deflate or br` };
  return { refused: `content coding ${JSON.stringify(value.slice(0, 40))} is not supported; send gzip, deflate, br or none` };
}

/**
 * Whether a Content-Type names JSON (application/json or any application/…+json type), read by
 * RFC 9110's grammar; the one JSON check of the request path.
 * @example isJsonContentType('application/merge-patch+json; charset=utf-8') // true
 */
export function isJsonContentType(header: string | string[] | undefined): boolean {
  if (header === undefined || Array.isArray(header) || header === '') return false;
  let type: string;
  try {
    type = parseContentType(header).type;
  } catch {
    return false;
  }
  return type === 'application/json' || (type.startsWith('application/') && type.endsWith('+json'));
}

function options(limit: number): zlib.ZlibOptions & zlib.BrotliOptions {
  // maxOutputLength makes zlib stop (RangeError) instead of inflating a bomb into memory.
  return { maxOutputLength: Math.max(1, limit) };
}

function failure(error: unknown, coding: ContentCoding, limit: number): DecodeResult {
  if (error instanceof RangeError || (error as NodeJS.ErrnoException)?.code === 'ERR_BUFFER_TOO_LARGE') {
    return { ok: false, code: 'BODY_TOO_LARGE', reason: `the ${coding} body inflates to more than ${limit} bytes` };
  }
  return { ok: false, code: 'BODY_NOT_DECODABLE', reason: `the body is not valid ${coding} data` };
}

/**
 * Decodes `raw` as the Content-Encoding header says, inflating at most `limit` bytes; calls `done`
 * once. Without a coding `done` runs synchronously with `raw` itself (the hot path pays nothing);
 * with one, zlib runs on the thread pool.
 * @example decodeBody(bytes, req.headers['content-encoding'], 10 * 1024 * 1024, (r) => (r.ok ? decide(r.body) : refuse(r.code)));
 */
export function decodeBody(raw: Buffer, header: string | string[] | undefined, limit: number, done: (result: DecodeResult) => void): void {
  const coding = contentCoding(header);
  // Nothing to inflate: an empty body is empty in every coding (a DELETE may still name one).
  if (coding === null || (raw.length === 0 && typeof coding === 'string')) {
    done({ ok: true, body: raw, coding: null });
    return;
  }
  if (typeof coding === 'object') {
    done({ ok: false, code: 'UNSUPPORTED_CONTENT_ENCODING', reason: coding.refused });
    return;
  }
  const callback = (error: Error | null, body: Buffer): void => done(error ? failure(error, coding, limit) : { ok: true, body, coding });
  if (coding === 'gzip') zlib.gunzip(raw, options(limit), callback);
  else if (coding === 'deflate') zlib.inflate(raw, options(limit), callback);
  else zlib.brotliDecompress(raw, options(limit), callback);
}

/**
 * The synchronous form, for reading a stored body back (the approver's preview).
 * @example decodeBodySync(stored, request.call.headers['content-encoding'], 10 * 1024 * 1024)
 */
export function decodeBodySync(raw: Buffer, header: string | string[] | undefined, limit: number): DecodeResult {
  const coding = contentCoding(header);
  if (coding === null || (raw.length === 0 && typeof coding === 'string')) return { ok: true, body: raw, coding: null };
  if (typeof coding === 'object') return { ok: false, code: 'UNSUPPORTED_CONTENT_ENCODING', reason: coding.refused };
  try {
    const body =
      coding === 'gzip' ? zlib.gunzipSync(raw, options(limit)) : coding === 'deflate' ? zlib.inflateSync(raw, options(limit)) : zlib.brotliDecompressSync(raw, options(limit));
    return { ok: true, body, coding };
  } catch (error) {
    return failure(error, coding, limit);
  }
}
