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
import http from 'node:http';
import https from 'node:https';
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

/**
 * Creates the reader bound to the upstream of `config`.
 * @example const read = createSnapshotReader(config, agent); const snap = await read('/deviceAppManagement/mobileApps/42', 'Bearer …');
 */
export function createSnapshotReader(config: GatewayConfig, agent: http.Agent): SnapshotReader {
  const target = new URL(config.upstream.url);
  const basePath = target.pathname.replace(/\/+$/, '');
  const transport = target.protocol === 'https:' ? https : http;
  const limit = config.requests.snapshotLimitBytes;
  const timeoutMs = config.requests.snapshotTimeoutMs;

  return (path, authorization) =>
    new Promise<SnapshotRead>((resolve) => {
      const at = new Date().toISOString();
      let settled = false;
      const done = (read: SnapshotRead): void => {
        if (!settled) {
          settled = true;
          resolve(read);
        }
      };
      const failed = (reason: string, status?: number, noAnswer?: SnapshotRead['noAnswer']): void =>
        done({ record: { state: 'failed', at, path, error: reason.slice(0, REASON_CHARS) }, ...(status !== undefined ? { status } : {}), ...(noAnswer ? { noAnswer } : {}) });
      // Canonical paths start with one '/'; anything else is not a path on the upstream's origin.
      if (!path.startsWith('/') || path.startsWith('//')) return failed('the object\'s path is not an absolute path');
      const headers: Record<string, string> = { host: target.host, accept: 'application/json', 'accept-encoding': 'identity', 'x-maa-read': 'snapshot' };
      if (authorization !== undefined) headers.authorization = authorization;
      let outgoing: http.ClientRequest;
      try {
        outgoing = transport.request({ protocol: target.protocol, hostname: target.hostname, port: target.port || undefined, method: 'GET', path: `${basePath}${path}`, headers, agent });
      } catch (error) {
        return failed(`the read could not be sent (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
      }
      const timer = setTimeout(() => {
        outgoing.destroy();
        failed(`the upstream did not answer the read within ${timeoutMs} ms`, undefined, 'timeout');
      }, timeoutMs);
      const finish = (read: SnapshotRead | null, reason?: string, status?: number, noAnswer?: SnapshotRead['noAnswer']): void => {
        clearTimeout(timer);
        if (read) done(read);
        else failed(reason ?? 'the read failed', status, noAnswer);
      };
      outgoing.on('error', (error: NodeJS.ErrnoException) => finish(null, `the upstream could not be reached (${error.code ?? 'error'})`, undefined, 'unreachable'));
      outgoing.on('response', (response) => {
        const status = response.statusCode ?? 0;
        const etagHeader = response.headers.etag;
        const etag = typeof etagHeader === 'string' && ETAG_FORM.test(etagHeader) ? etagHeader : undefined;
        if (status < 200 || status > 299) {
          response.resume();
          finish(null, `the upstream answered the read with ${status}`, status);
          return;
        }
        const chunks: Buffer[] = [];
        let size = 0;
        response.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > limit) {
            // Stop reading: the object is larger than we keep. Its ETag (if any) still identifies it.
            response.destroy();
            finish({ record: { state: 'tooLarge', at, path, ...(etag ? { etag } : {}), error: `the object is larger than ${limit} bytes (requests.snapshotLimitBytes)` }, status });
            return;
          }
          chunks.push(chunk);
        });
        response.on('end', () => {
          const bytes = Buffer.concat(chunks);
          finish({ record: { state: 'captured', at, path, ...(etag ? { etag } : {}), sha256: hash('sha256', bytes, 'hex'), bytes: bytes.length }, bytes, status });
        });
        response.on('error', () => finish(null, 'the upstream\'s answer to the read broke off'));
        response.on('aborted', () => finish(null, 'the upstream\'s answer to the read broke off'));
      });
      outgoing.end();
    });
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
