/**
 * Reads the object a protected call changes, as the upstream has it now: at park (the snapshot the
 * approver sees the change against) and again at complete (to refuse a stale replay).
 *
 * What is read, and only that (an attacker chooses the call, never where this read goes):
 *   PATCH, PUT, DELETE       the call's own canonical path, without its query
 *   POST …/assign            the object's `assignments` collection (the targets it replaces)
 *   POST …/assignments       that collection (the target it adds to)
 *   any other POST           nothing: a create has no object yet, an action names none to read
 * always a GET to the configured upstream's origin and base path (never a URL from the call), with
 * no header of the caller's but the upstream credential the replay would use, `Accept-Encoding:
 * identity`, `X-MAA-Read: snapshot` (so the upstream's logs tell the gateway's reads from a user's),
 * no redirect followed, at most requests.snapshotLimitBytes read and
 * requests.snapshotTimeoutMs waited.
 *
 * A read never throws: every failure is a record (`failed`, `tooLarge`) with its reason, so at park
 * it is recorded and the call parked anyway; it never decides whether anything is forwarded.
 */
import { hash } from 'node:crypto';
import { Pool, type Dispatcher } from 'undici';
import type { GatewayConfig } from '../config/types';
import type { SnapshotRecord } from '../requests/types';
import { assignKind } from './change-diff';

export interface SnapshotRead {
  record: SnapshotRecord;
  /** The bytes read, when captured. */
  bytes?: Buffer;
  /** The upstream's status, when it answered (a 404 at complete means the object is gone). */
  status?: number;
  /** Failed without an answer: the upstream timed out, or could not be reached. */
  noAnswer?: 'timeout' | 'unreachable';
}

/** Reads `path` (a snapshot target) with `authorization`. */
export type SnapshotReader = (path: string, authorization: string | undefined) => Promise<SnapshotRead>;

/** An ETag we would send back in If-Match: visible ASCII only (no header splitting), bounded. */
const ETAG_FORM = /^[\x21-\x7e](?:[\x20-\x7e]{0,1022}[\x21-\x7e])?$/;
const REASON_CHARS = 300;

/**
 * Where the object of a call is read, or why nothing is.
 * @example snapshotTarget('POST', '/deviceAppManagement/mobileApps/42/assign') // { path: '/deviceAppManagement/mobileApps/42/assignments' }
 */
export function snapshotTarget(method: string, path: string): { path: string } | { none: string } {
  if (method === 'PATCH' || method === 'PUT' || method === 'DELETE') return { path };
  const assign = assignKind(method, path);
  if (assign === 'replace') return { path: `${path.slice(0, path.lastIndexOf('/'))}/assignments` };
  if (assign === 'add') return { path };
  return { none: 'a create (or an action) has no object to read yet' };
}

/** A record saying nothing was read, and why. */
export function noSnapshot(state: 'none' | 'failed', reason: string, path?: string): SnapshotRead {
  return { record: { state, at: new Date().toISOString(), ...(path ? { path } : {}), error: reason.slice(0, REASON_CHARS) } };
}

/** The reader and the connections it keeps to the upstream. */
export interface SnapshotReaderHandle {
  read: SnapshotReader;
  /** Closes the reader's connections (a read still running fails as unreachable). */
  close(): Promise<void>;
}

/**
 * Creates the reader bound to the upstream of `config`. Its reads go through an undici Pool of
 * its own, kept alive: a read is about 30 µs of the gateway's CPU where node's http client took
 * about 60, and it is on every park (docs/operations.md).
 * @example const { read } = createSnapshotReader(config); const snap = await read('/deviceAppManagement/mobileApps/42', 'Bearer …');
 */
export function createSnapshotReader(config: GatewayConfig): SnapshotReaderHandle {
  const target = new URL(config.upstream.url);
  const basePath = target.pathname.replace(/\/+$/, '');
  // No timers of undici's own: each read is bounded by its one timer (snapshotTimeoutMs), and
  // undici's headers and body timeouts are timers that outlive the read by up to a second.
  const pool = new Pool(target.origin, { headersTimeout: 0, bodyTimeout: 0 });
  const limit = config.requests.snapshotLimitBytes;
  const timeoutMs = config.requests.snapshotTimeoutMs;

  const read: SnapshotReader = (path, authorization) =>
    new Promise<SnapshotRead>((resolve) => {
      const one = new SnapshotReadHandler(path, limit, resolve);
      // Canonical paths start with one '/'; anything else is not a path on the upstream's origin.
      if (!path.startsWith('/') || path.startsWith('//')) return one.failed('the object\'s path is not an absolute path');
      const headers: Record<string, string> = { accept: 'application/json', 'accept-encoding': 'identity', 'x-maa-read': 'snapshot' };
      if (authorization !== undefined) headers.authorization = authorization;
      one.timer = setTimeout(() => one.timedOut(timeoutMs), timeoutMs);
      try {
        pool.dispatch({ path: `${basePath}${path}`, method: 'GET', headers }, one);
      } catch (error) {
        one.onError(error as Error);
      }
    });
  return { read, close: () => pool.destroy() };
}

/**
 * One read as undici's dispatch handler: its answer's status, ETag and bytes, its deadline, and the
 * one record it settles with. An object rather than closures: one allocation per read.
 */
class SnapshotReadHandler implements Dispatcher.DispatchHandlers {
  readonly at = new Date().toISOString();
  timer: NodeJS.Timeout | undefined;
  private abort: ((error?: Error) => void) | undefined;
  private settled = false;
  private status: number | undefined;
  private etag: string | undefined;
  private readonly chunks: Buffer[] = [];
  private size = 0;

  constructor(
    private readonly path: string,
    private readonly limit: number,
    private readonly resolve: (read: SnapshotRead) => void,
  ) {}

  private done(read: SnapshotRead): void {
    if (this.settled) return;
    this.settled = true;
    clearTimeout(this.timer);
    this.resolve(read);
  }

  failed(reason: string, status?: number, noAnswer?: SnapshotRead['noAnswer']): void {
    const { at, path } = this;
    this.done({ record: { state: 'failed', at, path, error: reason.slice(0, REASON_CHARS) }, ...(status !== undefined ? { status } : {}), ...(noAnswer ? { noAnswer } : {}) });
  }

  timedOut(timeoutMs: number): void {
    this.failed(`the upstream did not answer the read within ${timeoutMs} ms`, undefined, 'timeout');
    this.abort?.();
  }

  onConnect(abort: (error?: Error) => void): void {
    // Timed out while waiting for a connection: nothing is sent.
    if (this.settled) abort();
    else this.abort = abort;
  }

  onHeaders(status: number, rawHeaders: Buffer[] | string[] | null): boolean {
    this.status = status;
    if (status < 200 || status > 299) {
      // Settled now; the answer's body is read and dropped (onData), so the connection is kept.
      this.failed(`the upstream answered the read with ${status}`, status);
      return true;
    }
    for (let i = 0; rawHeaders && i + 1 < rawHeaders.length; i += 2) {
      const name = rawHeaders[i]!;
      if (name.length !== 4 || name.toString().toLowerCase() !== 'etag') continue;
      const value = rawHeaders[i + 1]!.toString();
      this.etag = ETAG_FORM.test(value) ? value : undefined;
    }
    return true;
  }

  onData(chunk: Buffer): boolean {
    if (this.settled) return true;
    this.size += chunk.length;
    if (this.size > this.limit) {
      // Stop reading: the object is larger than we keep. Its ETag (if any) still identifies it.
      const { at, path, etag, status } = this;
      this.done({ record: { state: 'tooLarge', at, path, ...(etag ? { etag } : {}), error: `the object is larger than ${this.limit} bytes (requests.snapshotLimitBytes)` }, status });
      this.abort?.();
      return false;
    }
    this.chunks.push(chunk);
    return true;
  }

  onComplete(): void {
    if (this.settled) return; // a status we do not read: its body was dropped
    const { at, path, etag, status } = this;
    const bytes = Buffer.concat(this.chunks);
    this.done({ record: { state: 'captured', at, path, ...(etag ? { etag } : {}), sha256: hash('sha256', bytes, 'hex'), bytes: bytes.length }, bytes, status });
  }

  onError(error: Error): void {
    if (this.settled) return; // our own abort (timeout, too large, a status we do not read), or a late error
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    if (this.status !== undefined) this.failed('the upstream\'s answer to the read broke off');
    else if (code === 'UND_ERR_INVALID_ARG') this.failed(`the read could not be sent (${code})`);
    else this.failed(`the upstream could not be reached (${code})`, undefined, 'unreachable');
  }
}

/**
 * Whether the object read again differs from the snapshot: by ETag when both have one, else by the
 * SHA-256 of the bytes. A snapshot too large to keep is compared by ETag only; without one it cannot be.
 * @example changedSince(parked, again) // 'the ETag changed from W/"1" to W/"2"'
 * @returns the reason it changed, null when unchanged, or undefined when it cannot be told.
 */
export function changedSince(parked: SnapshotRecord, again: SnapshotRead): string | null | undefined {
  if (again.status === 404 || again.status === 410) return `the object is gone (the upstream answered ${again.status})`;
  const now = again.record;
  if (now.state !== 'captured' && now.state !== 'tooLarge') return undefined;
  if (parked.etag !== undefined && now.etag !== undefined) return parked.etag === now.etag ? null : `its ETag changed from ${parked.etag} to ${now.etag}`;
  if (parked.state === 'captured' && now.state === 'captured') return parked.sha256 === now.sha256 ? null : 'its content changed (SHA-256)';
  if (parked.state !== now.state) return `it was ${parked.state === 'tooLarge' ? 'larger' : 'smaller'} than requests.snapshotLimitBytes when parked and is not now`;
  return undefined;
}
