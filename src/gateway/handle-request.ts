/**
 * The gateway's request path, top to bottom, for every call that reaches the port:
 *
 *   gateway route?  ──► Express (approval API, console, health, metrics)
 *   normalise        ──► 400 UNSAFE_PATH when the call cannot be read one way (normalize-call.ts)
 *   read?            ──► proxy the canonical target, streamed, nothing buffered      (the hot path)
 *                        (upstream.auth other than passthrough: identity ─► 401 without one,
 *                         else the upstream credential ─► 502 UPSTREAM_AUTH_FAILED without one)
 *   mutation         ──► buffer (413 past the limit) ─► decode Content-Encoding (415/413/400)
 *                    ──► identity ─► decide (policy/decide-call.ts: the policy, then a JSON batch's
 *                        every sub-request: any protected ─► 403, unreadable ─► 400)
 *      not protected ──► proxy the canonical reading: effective method, canonical target, the bytes received
 *                        (upstream.auth other than passthrough: the caller's identity and the
 *                         upstream credential first, as for reads)
 *      protected     ──► 401 without identity
 *                    ──► resent with an approval code: the identical call of the requestor's approved
 *                        request ─► the one replay (claim, send, record) ─► the upstream's answer
 *                    ──► else 422 bad justification ─► read the object as it is now (its snapshot, for
 *                        the diff and the stale check; a failure is recorded, never fatal)
 *                        ─► park in Redis ─► 202, or 403 ApprovalRequired
 *
 * Invariant 7: what is forwarded is what was decided. The method sent is the effective method
 * (override headers removed), the target sent is the canonical one the policy decided on, and the
 * body is framed by its length; the replay sends the same reading of a parked call.
 *
 * A protected mutation is never forwarded: every failure on its way (policy error, Redis down,
 * store error) answers 503 and ends here. Unprotected calls never touch Redis, so they keep
 * flowing when Redis is down. Parking never needs the upstream credential: the snapshot read at park
 * uses it when it can be had, and without it the snapshot is recorded as failed, so protected
 * changes keep parking when the token endpoint (or the upstream) is down.
 *
 * With `upstream.auth` clientCredentials or onBehalfOf, nothing is forwarded for a caller without a
 * verified identity: the gateway's own token (or an exchanged one) must never serve an anonymous
 * caller, and the caller's own Authorization never goes upstream (upstream-auth.ts).
 */
import { hash, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import type { RequestHandler } from 'http-proxy-middleware';
import { ApiError, apiErrorFrom, sendError } from '../errors';
import type { GatewayConfig } from '../config/types';
import type { Identity } from '../identity/types';
import { decodeBody, type DecodeResult } from '../policy/body-encoding';
import { decideDecoded, type CallVerdict, type NormalizedCall } from '../policy/decide-call';
import { normalizeCall, normalizeParkedCall, isMutation, OVERRIDE_HEADERS } from '../policy/normalize-call';
import type { Caller, PolicyEngine, ProtectedDecision } from '../policy/types';
import { authorizeView } from '../requests/authorize-view';
import { mayStart } from '../requests/statuses';
import type { ParkedCall, RequestDecision, RequestStore } from '../requests/types';
import { gatewayRouteMatcher } from './gateway-routes';
import { justificationOf } from './justification';
import { errorSummary } from './logger';
import type { GatewayMetrics } from './metrics';
import { answerParked, approvalCodeOf, codeMatches, newApprovalSecret, requestIdOfCode } from './parked-answer';
import type { Replay } from './replay';
import { outsideChangeWindow } from './change-window-gate';
import { setBufferedBody } from './proxy';
import { readBodyThen, type BodyResult } from './read-body';
import { storedHeaders } from './stored-headers';
import type { UpstreamAuth } from './upstream-auth';
import { noSnapshot, snapshotTarget, type SnapshotRead, type SnapshotReader } from './object-snapshot';

export interface RequestPathDeps {
  config: GatewayConfig;
  policy: PolicyEngine;
  store: RequestStore;
  identity: Identity;
  metrics: GatewayMetrics;
  logger: Logger;
  proxy: RequestHandler;
  /** Handles the gateway's own routes (the Express app). */
  gatewayApp: (req: IncomingMessage, res: ServerResponse) => void;
  /** The one replay of a parked call, for a resend with an approval code (as for complete). */
  replay: Replay;
  /** What the upstream gets as Authorization (upstream.auth). */
  upstreamAuth: UpstreamAuth;
  /** Reads the object a parked call changes (object-snapshot.ts). */
  readSnapshot: SnapshotReader;
}

/** The caller the policy sees when a mutation carries no valid identity. */
const ANONYMOUS: Caller = Object.freeze({ userId: '', groups: [] }) as Caller;

/**
 * Builds the node `request` handler of the gateway's http.Server.
 * @example http.createServer(createRequestHandler(deps))
 */
export function createRequestHandler(deps: RequestPathDeps): (req: IncomingMessage, res: ServerResponse) => void {
  const { config, metrics, proxy, gatewayApp } = deps;
  const isGatewayRoute = gatewayRouteMatcher(config.api.prefix);
  const caseInsensitive = config.upstream.caseInsensitivePaths;
  const readDuration = metrics.readDuration;

  return function handleRequest(req, res) {
    const url = req.url ?? '/';

    // 1. The gateway's own routes go to Express, before any interpretation of the path, so a
    //    gateway route is never proxied and a proxied path never reaches the API.
    if (isGatewayRoute(url)) {
      gatewayApp(req, res);
      return;
    }

    // 2. Normalise first: the effective method (after override headers) decides read or
    //    mutation, and a path we cannot read safely is refused rather than guessed at.
    const normalized = url.startsWith('/')
      ? normalizeCall({ method: req.method ?? 'GET', url, headers: req.headers }, { caseInsensitive })
      : ({ ok: false, reason: 'the request target must be an absolute path' } as const);
    if (!normalized.ok) {
      sendError(res, new ApiError('UNSAFE_PATH', {}, `the request cannot be interpreted safely: ${normalized.reason}`));
      req.resume();
      return;
    }

    // 3. Reads pay nothing for the safeguard: straight to the shared proxy, streamed. The target
    //    is the canonical one (the URL as received when it already is), like every forward.
    if (!isMutation(normalized.call.method)) {
      const started = performance.now();
      res.once('finish', () => readDuration.observe((performance.now() - started) / 1000));
      if (normalized.target !== url) req.url = normalized.target;
      if (deps.upstreamAuth.passthrough) void proxy(req, res);
      else readWithCredential(deps, req, res);
      return;
    }

    // 4. Mutations are buffered and decided on.
    handleMutation(deps, req, res, normalized);
  };
}

/**
 * A read when the upstream gets the gateway's credential: the caller must be identified (a token
 * for the upstream never serves an anonymous caller), then the caller's Authorization is replaced
 * by the upstream credential. The body, if any, stays unread until the proxy streams it.
 */
function readWithCredential(deps: RequestPathDeps, req: IncomingMessage, res: ServerResponse): void {
  const authorization = req.headers.authorization;
  const unauthenticated = (): void => {
    req.resume();
    sendError(res, new ApiError('UNAUTHENTICATED', {}, 'the upstream is reached with the gateway\'s credential: a valid bearer token is required'), { 'www-authenticate': 'Bearer' });
  };
  if (authorization === undefined) return unauthenticated();
  Promise.resolve()
    .then(() => deps.identity.authenticate(authorization))
    .then(
      (caller) =>
        deps.upstreamAuth.authorizationFor(caller, authorization).then(
          (upstreamAuthorization) => {
            req.headers.authorization = upstreamAuthorization;
            void deps.proxy(req, res);
          },
          (error: unknown) => {
            req.resume();
            sendError(res, apiErrorFrom(error));
          },
        ),
      unauthenticated,
    )
    .catch((error: unknown) => {
      deps.logger.error({ err: errorSummary(error) }, 'read handling failed');
      if (!res.headersSent) sendError(res, new ApiError('INTERNAL'));
    });
}

/**
 * One mutation on its way through the path. A plain object instead of closures per call: the
 * hot path allocates this once and calls module functions with it.
 */
interface Mutation {
  deps: RequestPathDeps;
  req: IncomingMessage;
  res: ServerResponse;
  /** The canonical reading: decided on, and forwarded or parked as it is. */
  normalized: NormalizedCall;
  /** The body as received (what is forwarded, stored and hashed) and as decoded (what is decided). */
  body: Buffer;
  decoded: Buffer;
  started: number;
  /** Ties the decision log line to the response (X-MAA-Decision-Id). */
  decisionId: string;
}

/**
 * Buffers, identifies and decides, synchronously as far as the parts allow: with a static token
 * the decision and the forward happen in the tick the body's last byte arrives, without a
 * promise. A JWT (async verification) and parking (Redis) continue asynchronously.
 */
function handleMutation(deps: RequestPathDeps, req: IncomingMessage, res: ServerResponse, normalized: NormalizedCall): void {
  const empty = Buffer.alloc(0);
  const m: Mutation = { deps, req, res, normalized, body: empty, decoded: empty, started: performance.now(), decisionId: randomUUID() };
  res.setHeader('x-maa-decision-id', m.decisionId);
  res.on('finish', () => deps.metrics.mutationDuration.observe((performance.now() - m.started) / 1000));
  // a. Buffer the body: the policy may look at it, and a parked call must be stored exactly.
  readBodyThen(req, deps.config.requests.bodyLimitBytes, (read) => guarded(m, afterBody, read));
}

/** Runs one step of a mutation; anything it throws becomes 500 INTERNAL, never an uncaught exception. */
function guarded<T>(m: Mutation, step: (m: Mutation, arg: T) => void, arg: T): void {
  try {
    step(m, arg);
  } catch (error) {
    internalError(m, error);
  }
}

function internalError(m: Mutation, error: unknown): void {
  m.deps.logger.error({ err: errorSummary(error) }, 'mutation handling failed');
  if (!m.res.headersSent) sendError(m.res, new ApiError('INTERNAL'));
  else m.res.destroy();
}

/** The decision log line (info); the object is only built when info is on. */
function logDecision(m: Mutation, result: string, fields?: Record<string, unknown>): void {
  const { logger } = m.deps;
  if (!logger.isLevelEnabled('info')) return;
  const line: Record<string, unknown> = { decisionId: m.decisionId, method: m.normalized.call.method, path: m.normalized.call.path, result, ms: Math.round(performance.now() - m.started) };
  if (fields) Object.assign(line, fields);
  logger.info(line, 'decision');
}

function refuse(m: Mutation, error: ApiError, headers?: Record<string, string>): void {
  m.deps.metrics.decisions.inc({ result: error.code });
  logDecision(m, error.code, { status: error.httpStatus });
  sendError(m.res, error, headers ?? {});
}

function afterBody(m: Mutation, read: BodyResult): void {
  const { req, res, deps } = m;
  if (!read.ok) {
    if (read.reason === 'aborted') {
      logDecision(m, 'CLIENT_ABORTED');
      res.destroy();
      return;
    }
    // Close the connection: the rest of an oversized body is discarded, not parsed as a request.
    req.resume();
    refuse(m, new ApiError('BODY_TOO_LARGE', {}, `the request body is larger than ${deps.config.requests.bodyLimitBytes} bytes`), { connection: 'close' });
    return;
  }
  m.body = read.body;
  // b. The body as the upstream will read it: a compressed body is decided (and shown to the
  //    approver) inflated, with the same cap as the body itself. Synchronous without a coding.
  decodeBody(read.body, req.headers['content-encoding'], deps.config.requests.bodyLimitBytes, (decoded) => guarded(m, afterDecode, decoded));
}

function afterDecode(m: Mutation, decoded: DecodeResult): void {
  const { req, deps } = m;
  if (!decoded.ok) {
    refuse(m, new ApiError(decoded.code, {}, decoded.reason));
    return;
  }
  m.decoded = decoded.body;

  // c. Who is calling. Resolved before the decision, because the decision contract includes the
  //    caller; a call without a valid identity is decided as anonymous, and refused with 401 only
  //    if it turns out to be protected (unprotected calls may carry the upstream's own tokens).
  //    A static token answers synchronously; only a JWT waits for jose.
  const authorization = req.headers.authorization;
  if (authorization === undefined) {
    decideAndAct(m, null);
    return;
  }
  const { identity } = deps;
  let answer: Caller | PromiseLike<Caller>;
  try {
    answer = identity.authenticateNow ? identity.authenticateNow(authorization) : identity.authenticate(authorization);
  } catch {
    decideAndAct(m, null);
    return;
  }
  if (isPromiseLike(answer)) {
    answer.then(
      (caller) => guarded(m, decideAndAct, caller),
      () => guarded(m, decideAndAct, null),
    );
    return;
  }
  decideAndAct(m, answer);
}

function isPromiseLike<T>(value: T | PromiseLike<T>): value is PromiseLike<T> {
  return typeof (value as { then?: unknown }).then === 'function';
}

function decideAndAct(m: Mutation, caller: Caller | null): void {
  const { req, res, deps } = m;
  const { config, policy, metrics, logger } = deps;

  // d. The decision, in-process, on the canonical reading and the decoded body; for a JSON batch,
  //    on every sub-request too. An error denies: 503, never forwarded.
  const decideStarted = performance.now();
  const verdict: CallVerdict = decideDecoded(policy, m.normalized, m.decoded, req.headers, caller ?? ANONYMOUS, { caseInsensitive: config.upstream.caseInsensitivePaths });
  metrics.decisionDuration.observe((performance.now() - decideStarted) / 1000);

  if (verdict.kind === 'refuse') {
    if (verdict.code === 'POLICY_UNAVAILABLE') logger.warn({ decisionId: m.decisionId, err: errorSummary(verdict.error) }, 'policy decision failed');
    refuse(m, new ApiError(verdict.code, verdict.subRequests ? { subRequests: verdict.subRequests } : {}, verdict.reason));
    return;
  }

  // e. Not protected: forward the decided reading through the same proxy as reads.
  if (verdict.kind === 'forward') {
    if (deps.upstreamAuth.passthrough) forwardUnprotected(m, verdict.why);
    else forwardWithCredential(m, caller, verdict.why).catch((error: unknown) => internalError(m, error));
    return;
  }

  // f. Protected: from here on the call is parked or refused, never forwarded.
  if (caller === null) {
    refuse(m, new ApiError('UNAUTHENTICATED', {}, 'a protected change needs a valid bearer token; nothing was parked'), {
      'www-authenticate': 'Bearer',
    });
    return;
  }
  const code = approvalCodeOf(req.headers);
  if (code !== undefined) {
    completeByResend(m, caller, code).catch((error: unknown) => internalError(m, error));
    return;
  }
  const justification = justificationOf(req.headers);
  if (justification === null) {
    refuse(m, new ApiError('INVALID_JUSTIFICATION'));
    return;
  }
  if (justification === '' && verdict.decision.justification === 'required') {
    refuse(m, new ApiError('JUSTIFICATION_REQUIRED', { reasons: [`access policy ${verdict.decision.policies.join(', ')} requires a business justification`] }));
    return;
  }
  park(m, caller, justification, verdict.decision).catch((error: unknown) => internalError(m, error));
}

/**
 * An unprotected mutation when the upstream gets the gateway's credential: as for reads, only for
 * an identified caller, and with the upstream credential in place of the caller's Authorization.
 * Nothing is sent when the credential cannot be had (502 UPSTREAM_AUTH_FAILED).
 */
async function forwardWithCredential(m: Mutation, caller: Caller | null, why: string[] | undefined): Promise<void> {
  const { req, deps } = m;
  if (caller === null) {
    refuse(m, new ApiError('UNAUTHENTICATED', {}, 'the upstream is reached with the gateway\'s credential: a valid bearer token is required; nothing was sent'), { 'www-authenticate': 'Bearer' });
    return;
  }
  let upstreamAuthorization: string;
  try {
    upstreamAuthorization = await deps.upstreamAuth.authorizationFor(caller, req.headers.authorization ?? '');
  } catch (error) {
    refuse(m, apiErrorFrom(error));
    return;
  }
  req.headers.authorization = upstreamAuthorization;
  forwardUnprotected(m, why);
}

/** Forwards an unprotected mutation's decided reading through the same proxy as reads. */
function forwardUnprotected(m: Mutation, why: string[] | undefined): void {
  const { req, res, deps } = m;
  deps.metrics.unprotectedDecisions.inc();
  // A condition that let a protected route's call pass is said in the log, so it can be audited.
  logDecision(m, 'unprotected', why ? { why } : undefined);
  forwardAsDecided(req, m.normalized, m.body);
  void deps.proxy(req, res);
}

/**
 * Makes `req` what the proxy sends: the effective method without override headers, the canonical
 * target, and the buffered bytes framed by their length (no transfer coding left for the upstream
 * to read differently). Headers are deleted only when present: a delete slows node's header copy.
 */
function forwardAsDecided(req: IncomingMessage, normalized: NormalizedCall, body: Buffer): void {
  if (req.method !== normalized.call.method) {
    req.method = normalized.call.method;
    for (const name of OVERRIDE_HEADERS) if (req.headers[name] !== undefined) delete req.headers[name];
  }
  if (req.url !== normalized.target) req.url = normalized.target;
  if (req.headers['transfer-encoding'] !== undefined) delete req.headers['transfer-encoding'];
  if (req.headers['content-length'] !== undefined || body.length > 0) req.headers['content-length'] = String(body.length);
  setBufferedBody(req, body);
}

/** Parks a protected call in the store and answers 202, or refuses (409, 503): never forwards. */
async function park(m: Mutation, caller: Caller, justification: string, decision: ProtectedDecision): Promise<void> {
  const { req, res, deps, body } = m;
  const { config, store, metrics, logger, policy } = deps;
  const parked = parkedCall(req, m.normalized, body);
  // Read right after the synchronous decide, with nothing awaited between: the policy that decided.
  const status = policy.status();
  const policyRevision = status.bundleRevision ?? status.revision;
  const code = newApprovalSecret();
  // The object as it is now, for the approver's diff and complete's stale check. Bounded in size and
  // time; a failure is recorded with the request, and the call is parked all the same.
  const snapshot = await snapshotAtPark(m, caller, parked);
  metrics.snapshots.inc({ state: snapshot.record.state });
  if (snapshot.record.state === 'failed') logger.info({ decisionId: m.decisionId, reason: snapshot.record.error }, 'snapshot of the object failed; parking without it');
  let created;
  try {
    // No timer of our own: every store call has one deadline, inside the store.
    created = await store.create({
      requestor: caller,
      justification,
      call: parked,
      body,
      decision: requestDecision(decision, policyRevision),
      approvalCodeSha256: code.sha256,
      snapshot: snapshot.bytes ? { record: snapshot.record, bytes: snapshot.bytes } : { record: snapshot.record },
    });
  } catch (error) {
    // One mapping for the proxy side and the API: 409 OBJECT_LOCKED (the open request's id),
    // 422 over a limit, 503 when Redis is down or slow, 500 otherwise. Never forwarded (invariant 5).
    const refusal = apiErrorFrom(error);
    if (refusal.code === 'OBJECT_LOCKED') {
      refuse(m, new ApiError('OBJECT_LOCKED', refusal.details, `${decision.objectKey} already has an open request`));
      return;
    }
    logger.warn({ decisionId: m.decisionId, err: errorSummary(error) }, 'parking failed');
    refuse(m, refusal);
    return;
  }

  metrics.decisions.inc({ result: 'protected' });
  metrics.parked.inc({ profile_type: decision.profileType });
  logDecision(m, 'parked', { requestId: created.id, profileType: decision.profileType, objectKey: decision.objectKey, requestor: caller.userId, ...(decision.why ? { why: decision.why } : {}) });
  answerParked(res, config, created, created.decision, `${created.id}.${code.secret}`);
}

/**
 * Reads the object the parked call changes, with the credential its replay would use: the caller's
 * own Authorization (passthrough) or the upstream credential for this caller. Never throws: a
 * credential that cannot be had is a failed snapshot like any other.
 */
async function snapshotAtPark(m: Mutation, caller: Caller, parked: ParkedCall): Promise<SnapshotRead> {
  const { deps, req } = m;
  const where = snapshotTarget(parked.method, parked.path);
  if ('none' in where) return noSnapshot('none', where.none);
  let authorization = req.headers.authorization;
  if (!deps.upstreamAuth.passthrough) {
    try {
      authorization = await deps.upstreamAuth.authorizationFor(caller, authorization ?? '');
    } catch (error) {
      return noSnapshot('failed', `the upstream credential could not be had (${apiErrorFrom(error).message})`, where.path);
    }
  }
  return deps.readSnapshot(where.path, authorization);
}

/**
 * The requestor's client resends the identical call with its approval code (docs/graph.md): the
 * code must name an approved request of this caller for exactly this call (effective method,
 * canonical path, query, body SHA-256); it is then completed through the one replay, with the same
 * claim, lease, exactly-once and outcome recording as complete, and the upstream's answer is relayed
 * as if nothing had stood in between. Nothing is parked twice and nothing else is ever sent.
 */
async function completeByResend(m: Mutation, caller: Caller, code: string | null): Promise<void> {
  const { req, res, deps } = m;
  const { config, store, policy, metrics } = deps;
  const unknown = (): void => refuse(m, new ApiError('APPROVAL_CODE_UNKNOWN', {}, 'no request of yours has this approval code; nothing was sent'));
  const named = code === null ? null : requestIdOfCode(code);
  if (named === null) return unknown();
  let request;
  try {
    request = await store.get(named.id);
  } catch (error) {
    return refuse(m, apiErrorFrom(error));
  }
  // One answer for a wrong secret and someone else's code: neither says whether the request exists.
  if (request === null || !codeMatches(request, named.secret) || request.requestor.userId !== caller.userId) return unknown();

  const stored = normalizeParkedCall(request.call, { caseInsensitive: config.upstream.caseInsensitivePaths });
  const sent = parkedCall(req, m.normalized, m.body);
  const differs = [
    !stored.ok || stored.call.method !== m.normalized.call.method ? 'method' : '',
    !stored.ok || stored.call.path !== m.normalized.call.path ? 'path' : '',
    sent.query !== request.call.query ? 'query' : '',
    sent.bodySha256 !== request.call.bodySha256 ? 'body' : '',
  ].filter(Boolean);
  if (differs.length > 0) {
    return refuse(m, new ApiError('APPROVAL_CODE_MISMATCH', { requestId: request.id }, `the ${differs.join(', ')} of this call ${differs.length === 1 ? 'differs' : 'differ'} from the approved request's; nothing was sent`));
  }
  // Not approved yet: the same answer as when it was parked, so a retrying client keeps waiting.
  if (request.status === 'needsApproval') {
    logDecision(m, 'still-parked', { requestId: request.id });
    answerParked(res, config, request, request.decision, code ?? undefined);
    return;
  }
  if (!mayStart('complete', request.status)) {
    return refuse(m, new ApiError('INVALID_STATE', { requestId: request.id, status: request.status }, `the request is ${request.status}; its approval code was for one complete`));
  }
  const verdict = policy.authorize({ request: authorizeView(request), actor: caller, action: 'complete' });
  if (!verdict.allow) return refuse(m, new ApiError('FORBIDDEN', { requestId: request.id, reasons: verdict.reasons }, `you may not complete this request: ${verdict.reasons.join('; ')}`));
  const outside = outsideChangeWindow(policy, request, new Date());
  if (outside) return refuse(m, outside);

  let result;
  try {
    result = await deps.replay({ id: request.id, actor: caller, authorization: req.headers.authorization, resend: false });
  } catch (error) {
    return refuse(m, apiErrorFrom(error));
  }
  metrics.transitions.inc({ action: 'complete', result: result.requestStatus });
  logDecision(m, 'completed-by-resend', { requestId: request.id, requestStatus: result.requestStatus });
  res.setHeader('x-maa-request-id', request.id);
  res.setHeader('x-maa-request-status', result.requestStatus);
  if (result.error || !result.upstream) return refuse(m, result.error ?? new ApiError('INTERNAL'));
  // The upstream's answer, relayed as it came (hop-by-hop headers aside).
  res.writeHead(result.upstream.status, { ...result.upstream.headers, 'content-length': result.upstream.body.length });
  res.end(result.upstream.body);
}

/** The call exactly as it will be replayed: the decided method and target, the exact bytes received. */
function parkedCall(req: IncomingMessage, normalized: NormalizedCall, body: Buffer): ParkedCall {
  const { target } = normalized;
  const q = target.indexOf('?');
  return {
    method: normalized.call.method,
    path: q === -1 ? target : target.slice(0, q),
    query: q === -1 ? '' : target.slice(q + 1),
    headers: storedHeaders(req.headers),
    bodySha256: hash('sha256', body, 'hex'),
    bodySize: body.length,
  };
}

/**
 * What the request stores of its decision. The change-control keys (stages, veto, reasons, expiry)
 * are stored with the request at park, so its scripts enforce the policy it was parked under,
 * whatever a reload changes later.
 */
function requestDecision(decision: ProtectedDecision, policyRevision: string | undefined): RequestDecision {
  const { protected: _protected, ...kept } = decision;
  // Set on the copy, not spread into a new literal: see docs/operations.md ("an object spread").
  if (policyRevision) (kept as RequestDecision).policyRevision = policyRevision;
  return kept;
}
