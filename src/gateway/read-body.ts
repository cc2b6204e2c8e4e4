/**
 * Buffers a mutation's body up to a limit. The limit is enforced on the bytes actually
 * received, not on Content-Length alone (a client may send a chunked body, or lie).
 */
import type { IncomingMessage } from 'node:http';

export type BodyResult = { ok: true; body: Buffer } | { ok: false; reason: 'too-large' | 'aborted' };

/** Where a read in progress keeps its state: on the request, so the listeners are shared functions, not closures per call. */
const READING = Symbol('countersign.bodyRead');

interface Reading {
  chunks: Buffer[];
  size: number;
  limit: number;
  done: (result: BodyResult) => void;
}

type ReadingRequest = IncomingMessage & { [READING]?: Reading | undefined };

/**
 * Reads the whole body of `req` into one Buffer, or stops at `limit` bytes, and calls `done`
 * once: from the request's `end` (or error) event, or at once when Content-Length is over the
 * limit. No promise, so an unprotected mutation is decided and forwarded in the tick its last
 * byte arrives. `done` must not throw.
 * @example readBodyThen(req, 10 * 1024 * 1024, (result) => (result.ok ? use(result.body) : refuse413()));
 */
export function readBodyThen(req: IncomingMessage, limit: number, done: (result: BodyResult) => void): void {
  const declared = Number(req.headers['content-length']);
  // Refuse at once when the client announces too much; the stream count below catches the rest.
  if (Number.isFinite(declared) && declared > limit) {
    done({ ok: false, reason: 'too-large' });
    return;
  }
  (req as ReadingRequest)[READING] = { chunks: [], size: 0, limit, done };
  req.on('data', onData);
  req.on('end', onEnd);
  req.on('error', onFailure);
  req.on('aborted', onFailure);
}

function finish(req: ReadingRequest, result: BodyResult): void {
  const reading = req[READING];
  if (reading === undefined) return;
  req[READING] = undefined;
  req.off('data', onData);
  req.off('end', onEnd);
  req.off('error', onFailure);
  req.off('aborted', onFailure);
  reading.done(result);
}

function onData(this: ReadingRequest, chunk: Buffer): void {
  const reading = this[READING];
  if (reading === undefined) return;
  reading.size += chunk.length;
  if (reading.size > reading.limit) {
    reading.chunks.length = 0;
    finish(this, { ok: false, reason: 'too-large' });
    return;
  }
  reading.chunks.push(chunk);
}

function onEnd(this: ReadingRequest): void {
  const reading = this[READING];
  if (reading === undefined) return;
  const { chunks, size } = reading;
  finish(this, { ok: true, body: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size) });
}

function onFailure(this: ReadingRequest): void {
  finish(this, { ok: false, reason: 'aborted' });
}
