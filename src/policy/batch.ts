/**
 * JSON batching (`POST /$batch`, `/v1.0/$batch`, `/beta/$batch`): one call that carries up to 20
 * calls in its body. Judged as a whole, the batch would pass unprotected while its sub-requests
 * change protected objects, so each sub-request is normalised and decided like a call of its own.
 * A batch with any protected change is refused (each protected change must be parked on its own,
 * with its own approval), and so is one we cannot read exactly as the upstream will.
 *
 * The upstream and we must read the same body: duplicate keys (which JSON.parse settles one way
 * and another parser may settle the other), keys in another letter case and unknown keys are
 * refused, so no sub-request can hide behind a second spelling of `url` or `method`.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { isJsonContentType } from './body-encoding';
import { MAX_URL_LENGTH, isMutation, normalizeCall } from './normalize-call';
import type { CallInput, Caller, PolicyEngine } from './types';

/** Microsoft Graph accepts at most 20 requests in one JSON batch. */
export const MAX_BATCH_REQUESTS = 20;
const MAX_ID_LENGTH = 100;
const MAX_SUB_HEADERS = 50;
const MAX_HEADER_VALUE = 1024;

const BATCH_KEYS = new Set(['requests']);
const REQUEST_KEYS = new Set(['id', 'method', 'url', 'headers', 'body', 'dependsOn']);

export type BatchVerdict =
  | { ok: true }
  | {
      ok: false;
      /** BATCH_NOT_ALLOWED: a sub-request changes a protected object (403). BATCH_INVALID: not a batch we can read (400). */
      code: 'BATCH_NOT_ALLOWED' | 'BATCH_INVALID';
      reason: string;
      /** The sub-requests at fault, by their `id`, when the fault is in sub-requests. */
      requestIds?: string[];
    };

export interface BatchInput {
  /**
   * The request body: best the raw bytes (Buffer or string), so that duplicate keys can be found;
   * an already parsed JSON value is accepted, but then exact duplicate keys cannot be seen.
   */
  body: unknown;
  /** The batch call's own headers (content-type is checked). */
  headers: IncomingHttpHeaders;
  caller: Caller;
  /** As for normalizeCall: whether the upstream ignores letter case in paths. */
  caseInsensitive: boolean;
  /**
   * The batch call's normalised path (`/v1.0/$batch`). Sub-request URLs are relative to the folder
   * that holds `$batch`; when given, each sub-request is decided both as written and resolved
   * against that folder, and refused if either reading is protected.
   */
  batchPath?: string;
}

/**
 * Whether a normalised path addresses an OData JSON batch endpoint: its last segment is `$batch`
 * (any letter case, at any depth, so `/$batch`, `/v1.0/$batch`, `/beta/$batch` and the batch
 * endpoint of any other OData service root).
 * @example
 * isBatchPath('/v1.0/$batch'); // true
 * isBatchPath('/deviceappmanagement/mobileapps/42'); // false
 */
export function isBatchPath(normalisedPath: string): boolean {
  if (typeof normalisedPath !== 'string' || normalisedPath.length < 7) return false;
  const last = normalisedPath.slice(normalisedPath.lastIndexOf('/') + 1);
  return last.length === 6 && last.toLowerCase() === '$batch';
}

/**
 * Decides a JSON batch: allowed only when every sub-request is well formed, can be normalised, and
 * is not a protected change. Throws PolicyUnavailableError when the policy cannot decide (as
 * `engine.decide` does); the caller must then refuse with 503, never forward.
 * @example
 * const verdict = decideBatch(engine, { body: rawBody, headers: req.headers, caller, caseInsensitive: true, batchPath: '/v1.0/$batch' });
 * if (!verdict.ok) // 403 for BATCH_NOT_ALLOWED, 400 for BATCH_INVALID, { error: { code: verdict.code, message: verdict.reason } }
 */
export function decideBatch(engine: PolicyEngine, input: BatchInput): BatchVerdict {
  const contentType = input.headers['content-type'];
  if (contentType !== undefined && !isJsonContentType(contentType)) {
    return invalid('a batch must be JSON (content-type application/json); multipart batches are not supported');
  }
  const parsed = readBody(input.body);
  if (!parsed.ok) return parsed;
  const batch = parsed.value;
  if (!isPlainObject(batch)) return invalid('the batch body must be a JSON object { "requests": [...] }');
  const unknown = Object.keys(batch).filter((k) => !BATCH_KEYS.has(k));
  if (unknown.length > 0) return invalid(`unknown field(s) in the batch: ${names(unknown)} (only "requests")`);
  const requests = batch.requests;
  if (!Array.isArray(requests) || requests.length === 0) return invalid('"requests" must be a non-empty array');
  if (requests.length > MAX_BATCH_REQUESTS) return invalid(`a batch holds at most ${MAX_BATCH_REQUESTS} requests, not ${requests.length}`);

  const base = batchBase(input.batchPath);
  const calls: { id: string; urls: string[]; method: string; headers: IncomingHttpHeaders; body: unknown }[] = [];
  const ids = new Set<string>();
  for (let i = 0; i < requests.length; i++) {
    const sub = readSubRequest(requests[i], i, ids);
    if (!sub.ok) return sub.verdict;
    ids.add(sub.id);
    const urls = [sub.url];
    if (base !== '' && !sub.url.toLowerCase().startsWith(`${base.toLowerCase()}/`)) urls.push(`${base}${sub.url}`);
    calls.push({ id: sub.id, urls, method: sub.method, headers: sub.headers, body: sub.body });
  }

  // Every sub-request is normalised before any is decided, so that a malformed batch is reported
  // as such (400) whatever else it holds.
  const decided: { id: string; inputs: Omit<CallInput, 'body'>[]; body: unknown }[] = [];
  for (const call of calls) {
    const inputs: Omit<CallInput, 'body'>[] = [];
    for (const url of call.urls) {
      const n = normalizeCall({ method: call.method, url, headers: call.headers }, { caseInsensitive: input.caseInsensitive });
      if (!n.ok) return invalid(`request "${call.id}" cannot be interpreted safely: ${n.reason}`, [call.id]);
      if (isBatchPath(n.call.path)) return invalid(`request "${call.id}" is a batch inside a batch`, [call.id]);
      inputs.push(n.call);
    }
    decided.push({ id: call.id, inputs, body: call.body });
  }

  const protectedIds: string[] = [];
  const what: string[] = [];
  for (const { id, inputs, body } of decided) {
    for (const call of inputs) {
      // Reads are never protected; skipping them keeps a batch of reads cheap.
      if (!isMutation(call.method)) continue;
      // A body that is not JSON (a string) is unreadable to a `when.bodyFields` condition, which then holds.
      const readable = isPlainObject(body) || Array.isArray(body);
      // Object.assign, not `{ ...call, body }`: see docs/operations.md ("an object spread").
      const decision = engine.decide({ call: readable ? Object.assign({}, call, { body }) : body === undefined ? call : Object.assign({}, call, { unreadableBody: true as const }), caller: input.caller });
      if (decision.protected) {
        protectedIds.push(id);
        what.push(`"${id}" (${decision.operation} of ${decision.profileType})`);
        break;
      }
    }
  }
  if (protectedIds.length > 0) {
    return {
      ok: false,
      code: 'BATCH_NOT_ALLOWED',
      reason: `send protected changes one at a time, so each can be approved: request${protectedIds.length === 1 ? '' : 's'} ${what.join(', ')} in this batch change${protectedIds.length === 1 ? 's' : ''} a protected object`,
      requestIds: protectedIds,
    };
  }
  return { ok: true };
}

type Refused = Extract<BatchVerdict, { ok: false }>;

function invalid(reason: string, requestIds?: string[]): Refused {
  return requestIds ? { ok: false, code: 'BATCH_INVALID', reason, requestIds } : { ok: false, code: 'BATCH_INVALID', reason };
}

function names(keys: string[]): string {
  return keys.slice(0, 5).map((k) => JSON.stringify(k.slice(0, 40))).join(', ');
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !Buffer.isBuffer(value);
}

/** The folder that holds `$batch` in the batch's path (`/v1.0/$batch` → `/v1.0`), '' for the root. */
function batchBase(batchPath: string | undefined): string {
  if (typeof batchPath !== 'string' || !isBatchPath(batchPath)) return '';
  return batchPath.slice(0, batchPath.lastIndexOf('/'));
}

type Parsed = { ok: true; value: unknown } | Refused;

function readBody(body: unknown): Parsed {
  if (body === undefined || body === null) return invalid('the batch has no body');
  let text: string;
  if (typeof body === 'string') text = body;
  else if (body instanceof Uint8Array) {
    try {
      text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(body);
    } catch {
      return invalid('the batch body is not valid UTF-8');
    }
  } else {
    return { ok: true, value: body };
  }
  // A byte order mark is JSON to some parsers and an error to others.
  if (text.charCodeAt(0) === 0xfeff) return invalid('the batch body starts with a byte order mark');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return invalid('the batch body is not JSON');
  }
  const duplicate = findDuplicateKey(text);
  if (duplicate !== undefined) return invalid(`the batch body repeats the key ${JSON.stringify(duplicate.slice(0, 40))} in one object (letter case ignored)`);
  return { ok: true, value };
}

/**
 * The first key that appears twice in one object, compared without regard to case (the upstream's
 * parser may bind properties case-insensitively). `text` must already be valid JSON.
 */
function findDuplicateKey(text: string): string | undefined {
  // One entry per open object or array: the keys seen (objects) or null (arrays).
  const stack: (Set<string> | null)[] = [];
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x7b) {
      stack.push(new Set());
      expectKey = true;
    } else if (c === 0x5b) {
      stack.push(null);
      expectKey = false;
    } else if (c === 0x7d || c === 0x5d) {
      stack.pop();
      expectKey = false;
    } else if (c === 0x2c) {
      expectKey = stack.length > 0 && stack[stack.length - 1] !== null;
    } else if (c === 0x22) {
      const start = i;
      for (i++; i < text.length; i++) {
        const d = text.charCodeAt(i);
        if (d === 0x5c) i++;
        else if (d === 0x22) break;
      }
      if (expectKey) {
        const keys = stack[stack.length - 1]!;
        const raw = text.slice(start, i + 1);
        const key = (raw.includes('\\') ? (JSON.parse(raw) as string) : raw.slice(1, -1)).toLowerCase();
        if (keys.has(key)) return key;
        keys.add(key);
        expectKey = false;
      }
    }
  }
  return undefined;
}

type SubRequest =
  | { ok: true; id: string; method: string; url: string; headers: IncomingHttpHeaders; body: unknown }
  | { ok: false; verdict: BatchVerdict };

function readSubRequest(raw: unknown, index: number, seen: Set<string>): SubRequest {
  const bad = (reason: string, id?: string): SubRequest => ({ ok: false, verdict: invalid(reason, id !== undefined ? [id] : undefined) });
  if (!isPlainObject(raw)) return bad(`requests[${index}] must be an object`);
  const id = raw.id;
  if (typeof id !== 'string' || id.length === 0 || id.length > MAX_ID_LENGTH) return bad(`requests[${index}].id must be a string of 1 to ${MAX_ID_LENGTH} characters`);
  if (seen.has(id)) return bad(`request id "${id}" is used twice`, id);
  const unknown = Object.keys(raw).filter((k) => !REQUEST_KEYS.has(k));
  if (unknown.length > 0) return bad(`request "${id}" has unknown field(s) ${names(unknown)} (allowed: ${[...REQUEST_KEYS].join(', ')})`, id);
  if (typeof raw.method !== 'string' || raw.method.length === 0 || raw.method.length > 20) return bad(`request "${id}" needs a method`, id);
  const url = raw.url;
  if (typeof url !== 'string' || url.length === 0 || url.length > MAX_URL_LENGTH) return bad(`request "${id}" needs a relative url of at most ${MAX_URL_LENGTH} characters`, id);
  // Only paths relative to the service root: an absolute or network-path URL names another target.
  if (/^[A-Za-z][A-Za-z0-9+.-]*:/.test(url) || url.startsWith('//')) return bad(`request "${id}" has an absolute url; a batch takes relative urls only`, id);
  const headers: IncomingHttpHeaders = Object.create(null) as IncomingHttpHeaders;
  if (raw.headers !== undefined) {
    if (!isPlainObject(raw.headers)) return bad(`request "${id}": headers must be an object of strings`, id);
    const entries = Object.entries(raw.headers);
    if (entries.length > MAX_SUB_HEADERS) return bad(`request "${id}" has more than ${MAX_SUB_HEADERS} headers`, id);
    for (const [name, value] of entries) {
      if (typeof value !== 'string' || value.length > MAX_HEADER_VALUE) return bad(`request "${id}": header values must be strings of at most ${MAX_HEADER_VALUE} characters`, id);
      const lower = name.toLowerCase();
      if (headers[lower] !== undefined) return bad(`request "${id}" names the header ${JSON.stringify(lower.slice(0, 40))} twice`, id);
      headers[lower] = value;
    }
    // A sub-request body is JSON (or base64) inside the batch: a coding on it would be a second
    // reading of the body that we do not decide on.
    const coding = headers['content-encoding'];
    if (typeof coding === 'string' && coding.trim() !== '' && coding.trim().toLowerCase() !== 'identity') {
      return bad(`request "${id}" names a content-encoding; sub-request bodies are read as sent`, id);
    }
  }
  if (raw.dependsOn !== undefined && !(Array.isArray(raw.dependsOn) && raw.dependsOn.length <= MAX_BATCH_REQUESTS && raw.dependsOn.every((d) => typeof d === 'string'))) {
    return bad(`request "${id}": dependsOn must be a list of request ids`, id);
  }
  return { ok: true, id, method: raw.method, url: url.startsWith('/') ? url : `/${url}`, headers, body: raw.body };
}
