/**
 * The one replay of a parked call: the only code path that sends an intercepted change to the
 * upstream. The API's complete endpoint calls it after its own checks.
 *
 *   claim (beginComplete, with a lease) ─► load and verify the body against its SHA-256
 *   ─► read the stored call with the proxy's own normaliser (normalize-call.ts), so the replay
 *      sends the same canonical reading the proxy would: effective method, canonical target
 *   ─► read the object again (object-snapshot.ts) and compare it with the snapshot taken at park
 *      (ETag, else SHA-256): changed ─► stale, 409 STALE_OBJECT with the diff against it now, nothing
 *      sent; not readable ─► still approved, nothing sent (never a blind replay): 502/504
 *      UPSTREAM_UNAVAILABLE without an answer, 503 SNAPSHOT_UNAVAILABLE when the read was refused; skipped when the access policy says `onStale: allow`, or when nothing was read at park
 *   ─► send it with the stored headers, exact bytes, the completer's Authorization,
 *      Idempotency-Key: <request id>, and If-Match: <the snapshot's ETag> when it had one, so the
 *      upstream refuses a change made between the check and the send (412 ─► stale too)
 *   ─► record the outcome (finishComplete): 2xx/3xx completed, 4xx failed, else still approved
 *   ─► hand the upstream's answer back for the API to relay
 *
 * Before the claim, the upstream credential is obtained (upstream.auth: the completer's exchanged
 * token, or the gateway's own): when it cannot be had, nothing has changed in Redis, the request
 * stays approved and the answer is 502 UPSTREAM_AUTH_FAILED; complete may simply be tried again.
 *
 * Order matters: the claim comes first, so two completes never both send; the outcome is
 * recorded before the answer is relayed, so a caller never sees a success Redis does not know.
 * If the gateway dies between send and record, the lease runs out and the store reports the
 * outcome as unknown: it is never resent silently (docs/api.md, ?resend=confirm).
 */
import { hash } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import { ApiError, StaleObjectError } from '../errors';
import type { GatewayConfig } from '../config/types';
import { normalizeParkedCall } from '../policy/normalize-call';
import type { Caller } from '../policy/types';
import { StoreUnavailableError } from '../requests/errors';
import type { ApprovalRequest, ReplayOutcome, RequestStore } from '../requests/types';
import { changeDiff } from './change-diff';
import { errorSummary } from './logger';
import { changedSince, snapshotTarget, type SnapshotRead, type SnapshotReader } from './object-snapshot';
import type { GatewayMetrics } from './metrics';
import { createPublicLinks } from './public-links';
import { relayableResponseHeaders } from './stored-headers';
import type { UpstreamAuth } from './upstream-auth';

export interface ReplayInput {
  id: string;
  actor: Caller;
  /**
   * The completer's own verified Authorization header: sent upstream in place of the requestor's
   * (passthrough), or exchanged for the completer's upstream token (onBehalfOf).
   */
  authorization: string | undefined;
  /** The requestor confirmed a resend after an unknown outcome (`?resend=confirm`). */
  resend: boolean;
  /**
   * How the replay is claimed, when not by beginComplete: break-glass (approve and claim in one step)
   * or the scheduler's claim of a due scheduled replay. Same lease, same outcome recording after it.
   */
  claim?: (leaseMs: number) => Promise<{ request: ApprovalRequest; claimToken: string }>;
  /**
   * The scheduler's replay, sent without a caller's credentials: an upstream 401 or 403 then says
   * the gateway was not let in (nothing was changed), not that the change was refused, so the
   * request stays approved for its requestor to complete with their own token.
   */
  withoutCaller?: boolean;
}

export interface ReplayResult {
  /** The request after the outcome was recorded; null when recording failed (outcome unknown). */
  request: ApprovalRequest | null;
  /** Value of X-MAA-Request-Status: the request's status now, or `unknown`. */
  requestStatus: string;
  /** The upstream's answer, when there was one to relay. */
  upstream?: { status: number; headers: Record<string, string | string[]>; body: Buffer };
  /** Our own refusal when there is no upstream answer to relay (502/504 UPSTREAM_UNAVAILABLE …). */
  error?: ApiError;
}

/** Claims, sends and records one replay. TransitionError and StoreUnavailableError of the claim propagate. */
export type Replay = (input: ReplayInput) => Promise<ReplayResult>;

export interface ReplayDeps {
  config: GatewayConfig;
  store: RequestStore;
  agent: http.Agent;
  metrics: GatewayMetrics;
  logger: Logger;
  upstreamAuth: UpstreamAuth;
  /** Reads the object again before the send, to refuse a stale replay. */
  readSnapshot: SnapshotReader;
}

const PREVIEW_BYTES = 4 * 1024;
/** The largest upstream answer relayed; larger ones are recorded by status and not relayed. */
const RELAY_LIMIT_BYTES = 32 * 1024 * 1024;

type Sent =
  | { answered: true; status: number; headers: http.IncomingHttpHeaders; body: Buffer; truncated: boolean }
  | { answered: false; code: string };

/**
 * Creates the replay function bound to the upstream of `config`.
 * @example const replay = createReplay({ config, store, agent, metrics, logger, upstreamAuth });
 *          const result = await replay({ id, actor, authorization: req.headers.authorization, resend: false });
 */
export function createReplay(deps: ReplayDeps): Replay {
  const { config, store, agent, metrics, logger, upstreamAuth, readSnapshot } = deps;
  const target = new URL(config.upstream.url);
  const basePath = target.pathname.replace(/\/+$/, '');
  const transport = target.protocol === 'https:' ? https : http;
  // The relayed answer's links point at the gateway, as the proxy's do (upstream.publicUrl).
  const links = createPublicLinks(config.upstream.url, config.upstream.publicUrl);
  const leaseMs = config.requests.completeLeaseMs;
  // The upstream gets less time than the lease, so the outcome is recorded while the claim holds.
  const timeoutMs = Math.max(1_000, Math.min(config.upstream.timeoutMs, leaseMs - 1_000));

  /**
   * The stored call's canonical reading, as the proxy would send it (invariant 7): a call parked by
   * this gateway is already canonical, so this is the stored target itself; anything else (a
   * call parked by an older version, an edited hash) is sent canonical or not at all.
   */
  function readingOf(request: ApprovalRequest): { method: string; target: string } | { refused: string } {
    const { method } = request.call;
    const reading = normalizeParkedCall(request.call, { caseInsensitive: config.upstream.caseInsensitivePaths });
    if (!reading.ok) return { refused: `the parked call cannot be read safely (${reading.reason}); nothing was sent` };
    if (reading.call.method !== method) return { refused: 'the parked call names another method in its headers; nothing was sent' };
    return { method, target: reading.target };
  }

  /**
   * The stale check before the send: the object read again against the snapshot taken at park.
   * `send` with the If-Match to add (the snapshot's ETag, for a call on the object itself, unless the
   * caller sent their own), `stale` with why and the object as it is now, or `unreadable`.
   */
  async function checkUnchanged(request: ApprovalRequest, authorization: string | undefined): Promise<
    { verdict: 'send'; ifMatch?: string } | { verdict: 'stale'; reason: string; now: SnapshotRead } | { verdict: 'unreadable'; reason: string; noAnswer?: SnapshotRead['noAnswer'] }
  > {
    const parked = request.snapshot;
    // The access policy accepts a replay on a changed object; nothing was read at park to compare with.
    if (request.decision.onStale === 'allow' || !parked || parked.state === 'none' || parked.state === 'failed') return { verdict: 'send' };
    const where = snapshotTarget(request.call.method, request.call.path);
    if ('none' in where) return { verdict: 'send' };
    const now = await readSnapshot(where.path, authorization);
    const changed = changedSince(parked, now);
    if (typeof changed === 'string') return { verdict: 'stale', reason: changed, now };
    if (changed === undefined && now.record.state === 'failed') return { verdict: 'unreadable', reason: now.record.error ?? 'the read failed', ...(now.noAnswer ? { noAnswer: now.noAnswer } : {}) };
    // If-Match only where the ETag is the target's own: not for an assignments collection read for an assign.
    const onObject = where.path === request.call.path && request.call.method !== 'POST';
    const ifMatch = onObject && parked.etag !== undefined && request.call.headers['if-match'] === undefined ? parked.etag : undefined;
    return ifMatch === undefined ? { verdict: 'send' } : { verdict: 'send', ifMatch };
  }

  /** 409 STALE_OBJECT with the diff of the parked call against the object as it is now. */
  function staleError(request: ApprovalRequest, body: Buffer, now: SnapshotRead | null, reason: string): StaleObjectError {
    const diff = changeDiff(request, body, { record: now?.record, bytes: now?.bytes ?? null });
    return new StaleObjectError(diff, { requestId: request.id, status: 'stale' }, `the object changed upstream since the call was parked (${reason}); nothing was sent, the request is stale: resubmit the change`);
  }

  function send(request: ApprovalRequest, reading: { method: string; target: string }, body: Buffer, authorization: string | undefined, ifMatch?: string): Promise<Sent> {
    const headers: Record<string, string | number> = { ...request.call.headers };
    headers.host = target.host;
    headers['content-length'] = body.length;
    headers['idempotency-key'] = request.id;
    if (ifMatch !== undefined) headers['if-match'] = ifMatch;
    if (authorization !== undefined) headers.authorization = authorization;
    const path = `${basePath}${reading.target}`;
    return new Promise((resolve) => {
      let settled = false;
      const done = (sent: Sent): void => {
        if (!settled) {
          settled = true;
          resolve(sent);
        }
      };
      const outgoing = transport.request({
        protocol: target.protocol,
        hostname: target.hostname,
        port: target.port || undefined,
        method: reading.method,
        path,
        headers,
        agent,
      });
      outgoing.setTimeout(timeoutMs, () => outgoing.destroy(Object.assign(new Error('the upstream timed out'), { code: 'ETIMEDOUT' })));
      outgoing.on('error', (error: NodeJS.ErrnoException) => done({ answered: false, code: error.code ?? 'ERROR' }));
      outgoing.on('response', (response) => {
        const chunks: Buffer[] = [];
        let size = 0;
        let truncated = false;
        response.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > RELAY_LIMIT_BYTES) truncated = true;
          else chunks.push(chunk);
        });
        const finish = (): void =>
          done({ answered: true, status: response.statusCode ?? 502, headers: response.headers, body: Buffer.concat(chunks), truncated });
        response.on('end', finish);
        // The upstream answered (and so acted) even if its body broke off: its status stands.
        response.on('error', () => {
          truncated = true;
          finish();
        });
        response.on('aborted', () => {
          truncated = true;
          finish();
        });
      });
      outgoing.end(body);
    });
  }

  return async function replay({ id, actor, authorization, resend, claim, withoutCaller }: ReplayInput): Promise<ReplayResult> {
    const started = performance.now();
    // The credential first: a token endpoint that fails must leave the request approved (it
    // throws ApiError UPSTREAM_AUTH_FAILED before anything is claimed). A scheduled replay has no
    // caller: under clientCredentials it carries the gateway's token; under onBehalfOf there is no
    // token to exchange, so it goes without one, as under passthrough (a 401/403 leaves it approved).
    const noCallerToExchange = withoutCaller === true && upstreamAuth.mode === 'onBehalfOf';
    const upstreamAuthorization =
      upstreamAuth.passthrough || noCallerToExchange ? authorization : await upstreamAuth.authorizationFor(actor, authorization ?? '');
    const { request, claimToken } = claim
      ? await claim(leaseMs)
      : await store.beginComplete(id, actor.userId, leaseMs, undefined, { resendAfterUnknownOutcome: resend });

    const record = async (outcome: ReplayOutcome, label: string): Promise<ApprovalRequest | null> => {
      metrics.replays.inc({ outcome: label });
      metrics.replayDuration.observe({ outcome: label }, (performance.now() - started) / 1000);
      try {
        return await store.finishComplete(id, claimToken, outcome);
      } catch (error) {
        // The claim's lease will run out and the store will call the outcome unknown.
        metrics.replays.inc({ outcome: 'unrecorded' });
        logger.error({ requestId: id, outcome: outcome.kind, err: errorSummary(error) }, 'replay outcome not recorded');
        return null;
      }
    };

    // Invariant 3: what is sent is byte for byte what was approved.
    let body: Buffer | null;
    try {
      body = await store.getBody(id);
    } catch (error) {
      // Redis went away after the claim (a failover): nothing was sent, and saying "body altered"
      // would be wrong. The claim's lease runs out; the caller gets 503 and completes again.
      if (!(error instanceof StoreUnavailableError)) throw error;
      const after = await record({ kind: 'retryable', upstreamStatus: 0, upstreamBodyPreview: '', reason: 'the request store became unavailable before the replay; nothing was sent' }, 'not-sent');
      return { request: after, requestStatus: after?.status ?? 'unknown', error: new ApiError('STORE_UNAVAILABLE', { requestId: id }, 'the request store became unavailable before the replay; nothing was sent') };
    }
    if (body === null || hash('sha256', body, 'hex') !== request.call.bodySha256) {
      const after = await record({ kind: 'retryable', upstreamStatus: 0, upstreamBodyPreview: '', reason: 'the stored body is missing or does not match its SHA-256; nothing was sent' }, 'not-sent');
      logger.error({ requestId: id }, 'replay refused: stored body missing or altered');
      return { request: after, requestStatus: after?.status ?? 'unknown', error: new ApiError('INTERNAL', { requestId: id }, 'the stored body is missing or does not match its SHA-256; nothing was sent') };
    }

    const reading = readingOf(request);
    if ('refused' in reading) {
      const after = await record({ kind: 'failed', upstreamStatus: 0, upstreamBodyPreview: '', reason: reading.refused }, 'not-sent');
      logger.error({ requestId: id }, 'replay refused: the parked call cannot be read safely');
      return { request: after, requestStatus: after?.status ?? 'unknown', error: new ApiError('UNSAFE_PATH', { requestId: id }, reading.refused) };
    }

    const check = await checkUnchanged(request, upstreamAuthorization);
    if (check.verdict === 'unreadable') {
      const reason = `the object could not be read again to check it is unchanged (${check.reason}); nothing was sent, the request stays approved`;
      const after = await record({ kind: 'retryable', upstreamStatus: 0, upstreamBodyPreview: '', reason }, 'not-sent');
      logger.warn({ requestId: id, reason: check.reason }, 'replay: the object could not be read again; not sent');
      // An upstream that does not answer is UPSTREAM_UNAVAILABLE (502, 504), as when the send itself gets no answer.
      const error = check.noAnswer
        ? new ApiError('UPSTREAM_UNAVAILABLE', { requestId: id }, `${reason}; complete may be tried again`, check.noAnswer === 'timeout' ? 504 : 502)
        : new ApiError('SNAPSHOT_UNAVAILABLE', { requestId: id }, `${reason}; complete may be tried again`);
      return { request: after, requestStatus: after?.status ?? 'unknown', error };
    }
    if (check.verdict === 'stale') {
      const reason = `the object changed upstream since the call was parked: ${check.reason}; nothing was sent`;
      const after = await record({ kind: 'stale', upstreamStatus: 0, upstreamBodyPreview: '', reason }, 'stale');
      logger.info({ requestId: id, reason: check.reason, requestStatus: after?.status ?? 'unknown' }, 'replay refused: stale object');
      return { request: after, requestStatus: after?.status ?? 'unknown', error: staleError(request, body, check.now, check.reason) };
    }

    const sent = await send(request, reading, body, upstreamAuthorization, check.ifMatch);

    if (!sent.answered) {
      const timedOut = sent.code === 'ETIMEDOUT';
      const reason = timedOut ? `the upstream did not answer within ${timeoutMs} ms` : `the upstream could not be reached (${sent.code})`;
      const after = await record({ kind: 'retryable', upstreamStatus: 0, upstreamBodyPreview: '', reason }, timedOut ? 'timeout' : 'unreachable');
      logger.warn({ requestId: id, code: sent.code }, 'replay: no answer from the upstream');
      return {
        request: after,
        requestStatus: after?.status ?? 'unknown',
        error: new ApiError('UPSTREAM_UNAVAILABLE', { requestId: id }, `${reason}; the request stays approved, complete may be tried again`, timedOut ? 504 : 502),
      };
    }

    const preview = sent.body.subarray(0, PREVIEW_BYTES).toString('utf8');
    let outcome: ReplayOutcome;
    if (sent.status === 412 && check.ifMatch !== undefined) {
      // The upstream refused our If-Match: the object changed between the check and the send.
      const reason = `the upstream refused the change with 412: the object changed after it was checked (its ETag is no longer ${check.ifMatch})`;
      const after = await record({ kind: 'stale', upstreamStatus: 412, upstreamBodyPreview: preview, reason }, 'stale');
      logger.info({ requestId: id, upstreamStatus: 412, requestStatus: after?.status ?? 'unknown' }, 'replay refused by the upstream: stale object');
      const where = snapshotTarget(request.call.method, request.call.path);
      const now = 'path' in where ? await readSnapshot(where.path, upstreamAuthorization) : null;
      return { request: after, requestStatus: after?.status ?? 'unknown', error: staleError(request, body, now, 'the upstream answered 412 to If-Match') };
    } else if (sent.status >= 200 && sent.status < 400) {
      outcome = { kind: 'completed', upstreamStatus: sent.status, upstreamBodyPreview: preview };
    } else if (withoutCaller && (sent.status === 401 || sent.status === 403)) {
      outcome = {
        kind: 'retryable',
        upstreamStatus: sent.status,
        upstreamBodyPreview: preview,
        reason: `the upstream did not accept the scheduled replay without the requestor's credentials (${sent.status}); the request stays approved: complete it yourself`,
      };
    } else if (sent.status >= 400 && sent.status < 500) {
      outcome = { kind: 'failed', upstreamStatus: sent.status, upstreamBodyPreview: preview, reason: `the upstream refused the change with ${sent.status}` };
    } else {
      outcome = { kind: 'retryable', upstreamStatus: sent.status, upstreamBodyPreview: preview, reason: `the upstream answered ${sent.status}; the request stays approved` };
    }
    const after = await record(outcome, outcome.kind);
    logger.info({ requestId: id, upstreamStatus: sent.status, outcome: outcome.kind, requestStatus: after?.status ?? 'unknown' }, 'replayed');
    if (sent.truncated) {
      return {
        request: after,
        requestStatus: after?.status ?? 'unknown',
        error: new ApiError('UPSTREAM_UNAVAILABLE', { requestId: id }, `the upstream answered ${sent.status} but its body could not be relayed in full`, 502),
      };
    }
    const relayed = { headers: relayableResponseHeaders(sent.headers), body: sent.body };
    const answer = links === null ? relayed : await links.rewriteAnswer(relayed.headers, relayed.body);
    return {
      request: after,
      requestStatus: after?.status ?? 'unknown',
      upstream: { status: sent.status, headers: answer.headers, body: answer.body },
    };
  };
}
