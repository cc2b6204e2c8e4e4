/**
 * `GET /maa/v1/events`: live updates as Server-Sent Events (docs/api.md "Live updates"), fed from
 * the audit stream (the store's watchAudit, one XREAD BLOCK reader per process). Each transition
 * of a request the caller may view becomes one `request` event:
 *
 *   id: 1733400000000-0
 *   event: request
 *   data: {"requestId":"…","action":"approve","to":"approved","at":"2026-12-05T13:00:00.000Z"}
 *
 * The event says what changed, never the request itself: a client reads it with the same API
 * call (and the same rights) as ever. The stream is authenticated like every API call, by the
 * Authorization header (the console reads it with fetch(), not EventSource, so the token is never
 * in a URL). Bounds: LIMITS.eventStreams streams per user and in all (429 TOO_MANY_STREAMS), a
 * stream lives at most MAX_STREAM_MS (the client reconnects, and its token is checked again), and
 * a client that does not read is dropped rather than buffered for.
 */
import type { Request, Response } from 'express';
import type { Logger } from 'pino';
import { ApiError } from '../errors';
import { LIMITS } from '../limits';
import type { Caller, PolicyEngine } from '../policy/types';
import type { ApprovalRequest, AuditEvent, RequestStore } from '../requests/types';
import { canView } from './request-resource';

/** A comment line this often keeps proxies and load balancers from closing an idle stream. */
const HEARTBEAT_MS = 15_000;
/** A stream ends after this long; the client reconnects, so an expired or revoked token stops receiving. */
const MAX_STREAM_MS = 10 * 60_000;
/** The client's reconnect delay, sent in the stream (`retry:`). */
const RETRY_MS = 2000;
/** Bytes the server buffers for a client that does not read before it drops the stream. */
const MAX_BUFFERED_BYTES = 256 * 1024;

export interface EventStreamsOptions {
  store: RequestStore;
  policy: PolicyEngine;
  logger: Logger;
  /** Defaults: LIMITS.eventStreams. */
  limits?: { perUser: number; total: number };
  heartbeatMs?: number;
  maxStreamMs?: number;
}

export interface EventStreams {
  /** Serves one stream to an authenticated caller, or throws ApiError TOO_MANY_STREAMS. */
  open(req: Request, res: Response, caller: Caller): void;
  /** Streams open now. */
  count(): number;
  /** Ends every stream (the gateway's drain would otherwise wait for them). */
  closeAll(): void;
}

interface Stream {
  caller: Caller;
  res: Response;
  end(): void;
}

/**
 * @example const events = createEventStreams({ store, policy, logger }); router.get('/events', (req, res) => events.open(req, res, callerOf(res)));
 */
export function createEventStreams(options: EventStreamsOptions): EventStreams {
  const { store, policy, logger } = options;
  const limits = options.limits ?? LIMITS.eventStreams;
  const heartbeatMs = options.heartbeatMs ?? HEARTBEAT_MS;
  const maxStreamMs = options.maxStreamMs ?? MAX_STREAM_MS;
  const streams = new Set<Stream>();
  const perUser = new Map<string, number>();
  let watch: { ready: Promise<void>; stop(): void } | null = null;
  // Events are sent in the stream's order: each waits for the one before (its request is read first).
  let delivering: Promise<void> = Promise.resolve();

  async function deliver(event: AuditEvent): Promise<void> {
    if (streams.size === 0) return;
    let request: ApprovalRequest | null;
    try {
      request = await store.get(event.requestId);
    } catch (error) {
      logger.warn({ requestId: event.requestId, error: (error as Error).message }, 'events: cannot read the request of an audit event; not sent');
      return;
    }
    // Removed since (the retention sweep): nobody can view it any more.
    if (!request) return;
    const frame = `id: ${event.id}\nevent: request\ndata: ${JSON.stringify({ requestId: event.requestId, action: event.action, to: event.to, at: event.at })}\n\n`;
    for (const stream of streams) {
      if (!canView(policy, request, stream.caller)) continue;
      write(stream, frame);
    }
  }

  function write(stream: Stream, text: string): void {
    if (stream.res.writableLength > MAX_BUFFERED_BYTES) {
      logger.info({ userId: stream.caller.userId }, 'events: client does not read; stream closed');
      stream.end();
      return;
    }
    stream.res.write(text);
  }

  function open(req: Request, res: Response, caller: Caller): void {
    const held = perUser.get(caller.userId) ?? 0;
    if (held >= limits.perUser) {
      throw new ApiError('TOO_MANY_STREAMS', {}, `you already have ${held} live streams open; at most ${limits.perUser} per user`);
    }
    if (streams.size >= limits.total) throw new ApiError('TOO_MANY_STREAMS', {}, `the gateway serves at most ${limits.total} live streams`);

    res.status(200).set({
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      // Tells nginx-style proxies not to buffer the stream.
      'x-accel-buffering': 'no',
    });
    res.flushHeaders();
    req.socket.setNoDelay(true);
    // No request timeout applies to a stream: it ends by MAX_STREAM_MS, the client, or the gateway's drain.
    req.socket.setTimeout(0);

    let ended = false;
    const heartbeat = setInterval(() => write(stream, ': keep-alive\n\n'), heartbeatMs);
    const lifetime = setTimeout(() => stream.end(), maxStreamMs);
    const stream: Stream = {
      caller,
      res,
      end() {
        if (ended) return;
        ended = true;
        clearInterval(heartbeat);
        clearTimeout(lifetime);
        streams.delete(stream);
        const left = (perUser.get(caller.userId) ?? 1) - 1;
        if (left > 0) perUser.set(caller.userId, left);
        else perUser.delete(caller.userId);
        if (streams.size === 0 && watch) {
          watch.stop();
          watch = null;
        }
        res.end();
      },
    };
    streams.add(stream);
    perUser.set(caller.userId, held + 1);
    res.on('close', () => stream.end());
    watch ??= store.watchAudit((event) => {
      delivering = delivering.then(() => deliver(event));
    });
    // `ready` tells the client the stream is live: whatever changes from then on reaches it.
    void watch.ready.then(() => {
      if (!ended) res.write(`retry: ${RETRY_MS}\nevent: ready\ndata: {}\n\n`);
    });
  }

  return {
    open,
    count: () => streams.size,
    closeAll() {
      for (const stream of [...streams]) stream.end();
    },
  };
}
