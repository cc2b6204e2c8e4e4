/**
 * The gateway's request path, top to bottom, for every call that reaches the port:
 *
 *   gateway route?  ──► Express (approval API, console, health, metrics)
 *   normalise        ──► 400 UNSAFE_PATH when the path or method cannot be read safely
 *   read?            ──► proxy, streamed, nothing buffered            (the hot path)
 *   mutation         ──► buffer (413 past the limit) ─► identity ─► policy decide
 *      JSON batch    ──► every sub-request decided: any protected ─► 403, unreadable ─► 400
 *      not protected ──► proxy the buffered bytes unchanged
 *      protected     ──► 401 without identity ─► 422 bad justification ─► park in Redis ─► 202
 *
 * A protected mutation is never forwarded: every failure on its way (policy error, Redis down,
 * store error) answers 503 and ends here. Unprotected calls never touch Redis, so they keep
 * flowing when Redis is down.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import type { RequestHandler } from 'http-proxy-middleware';
import { ApiError, sendError } from '../api/errors';
import type { GatewayConfig } from '../config/types';
import type { Identity } from '../identity/types';
import { decideBatch, isBatchPath } from '../policy/batch';
import { normalizeCall, isMutation } from '../policy/normalize-call';
import type { Caller, CallInput, Decision, PolicyEngine, ProtectedDecision } from '../policy/types';
import { TransitionError } from '../requests/errors';
import type { ParkedCall, RequestStore } from '../requests/types';
import { parseJustification } from './justification';
import type { GatewayMetrics } from './metrics';
import { setBufferedBody } from './proxy';
import { isJsonContentType, readBodyThen, type BodyResult } from './read-body';
import { storedHeaders } from './stored-headers';

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
}

/** The caller the policy sees when a mutation carries no valid identity. */
const ANONYMOUS: Caller = Object.freeze({ userId: '', groups: [] }) as Caller;

/** A store that does not answer within this is treated as down (503), never waited on forever. */
const STORE_TIMEOUT_MS = 5_000;

/** Whether a raw request URL belongs to the gateway itself (matched on the exact bytes, case-sensitive). */
export function gatewayRouteMatcher(apiPrefix: string): (url: string) => boolean {
  const prefixes = [apiPrefix, '/maa/console'];
  const exact = new Set(['/healthz', '/readyz', '/metrics']);
  return (url) => {
    const q = url.indexOf('?');
    const path = q === -1 ? url : url.slice(0, q);
    if (exact.has(path)) return true;
    for (const prefix of prefixes) {
      if (path === prefix || path.startsWith(`${prefix}/`)) return true;
    }
    return false;
  };
}

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

    // 3. Reads pay nothing for the safeguard: straight to the shared proxy, streamed.
    if (!isMutation(normalized.call.method)) {
      const started = performance.now();
      res.once('finish', () => readDuration.observe((performance.now() - started) / 1000));
      void proxy(req, res);
      return;
    }

    // 4. Mutations are buffered and decided on.
    handleMutation(deps, req, res, normalized.call);
  };
}

/**
 * One mutation on its way through the path. A plain object instead of closures per call: the
 * hot path allocates this once and calls module functions with it.
 */
interface Mutation {
  deps: RequestPathDeps;
  req: IncomingMessage;
  res: ServerResponse;
  call: Omit<CallInput, 'body'>;
  started: number;
  /** Ties the decision log line to the response (X-MAA-Decision-Id). */
  decisionId: string;
}

/**
 * Buffers, identifies and decides, synchronously as far as the parts allow: with a static token
 * the decision and the forward happen in the tick the body's last byte arrives, without a
 * promise. A JWT (async verification) and parking (Redis) continue asynchronously.
 */
function handleMutation(deps: RequestPathDeps, req: IncomingMessage, res: ServerResponse, call: Omit<CallInput, 'body'>): void {
  const m: Mutation = { deps, req, res, call, started: performance.now(), decisionId: randomUUID() };
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
  const line: Record<string, unknown> = { decisionId: m.decisionId, method: m.call.method, path: m.call.path, result, ms: Math.round(performance.now() - m.started) };
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
  const body = read.body;

  // b. Who is calling. Resolved before the decision, because the decision contract includes the
  //    caller; a call without a valid identity is decided as anonymous, and refused with 401 only
  //    if it turns out to be protected (unprotected calls may carry the upstream's own tokens).
  //    A static token answers synchronously; only a JWT waits for jose.
  const authorization = req.headers.authorization;
  if (authorization === undefined) {
    decideAndAct(m, body, null);
    return;
  }
  const { identity } = deps;
  let answer: Caller | PromiseLike<Caller>;
  try {
    answer = identity.authenticateNow ? identity.authenticateNow(authorization) : identity.authenticate(authorization);
  } catch {
    decideAndAct(m, body, null);
    return;
  }
  if (isPromiseLike(answer)) {
    answer.then(
      (caller) => guarded(m, (mm: Mutation, c: Caller) => decideAndAct(mm, body, c), caller),
      () => guarded(m, (mm: Mutation) => decideAndAct(mm, body, null), undefined),
    );
    return;
  }
  decideAndAct(m, body, answer);
}

function isPromiseLike<T>(value: T | PromiseLike<T>): value is PromiseLike<T> {
  return typeof (value as { then?: unknown }).then === 'function';
}

function decideAndAct(m: Mutation, body: Buffer, caller: Caller | null): void {
  const { req, res, call, deps } = m;
  const { config, policy, metrics, logger } = deps;

  let parsedBody: unknown;
  if (body.length > 0 && isJsonContentType(req.headers['content-type'])) {
    try {
      parsedBody = JSON.parse(body.toString('utf8'));
    } catch {
      // Not JSON after all: the policy decides without a body (it may still protect the call).
      parsedBody = undefined;
    }
  }

  // c. The decision, in-process. An error denies: 503, never forwarded.
  let decision: Decision;
  const decideStarted = performance.now();
  try {
    // The normalised call is this mutation's own object, so it goes in as it is when there is no body.
    const input: CallInput = parsedBody === undefined ? call : { ...call, body: parsedBody };
    decision = policy.decide({ call: input, caller: caller ?? ANONYMOUS });
  } catch (error) {
    logger.warn({ decisionId: m.decisionId, err: errorSummary(error) }, 'policy decision failed');
    refuse(m, new ApiError('POLICY_UNAVAILABLE'));
    return;
  } finally {
    metrics.decisionDuration.observe((performance.now() - decideStarted) / 1000);
  }

  // d. A JSON batch ($batch) carries many calls in one body: judged as a whole it would pass as
  //    unprotected, so every sub-request is decided as a call of its own. Any protected change
  //    is refused (each must be parked on its own, with its own approval), and so is a batch we
  //    cannot read exactly as the upstream will. The raw bytes go in: a repeated key is only
  //    visible there, not after JSON.parse.
  if (!decision.protected && isBatchPath(call.path)) {
    let verdict;
    try {
      verdict = decideBatch(policy, { body, headers: req.headers, caller: caller ?? ANONYMOUS, caseInsensitive: config.upstream.caseInsensitivePaths, batchPath: call.path });
    } catch (error) {
      logger.warn({ decisionId: m.decisionId, err: errorSummary(error) }, 'batch decision failed');
      refuse(m, new ApiError('POLICY_UNAVAILABLE'));
      return;
    }
    if (!verdict.ok) {
      refuse(m, new ApiError(verdict.code, verdict.requestIds ? { subRequests: verdict.requestIds } : {}, verdict.reason));
      return;
    }
  }

  // e. Not protected: forward the very bytes we buffered through the same proxy as reads.
  if (!decision.protected) {
    metrics.unprotectedDecisions.inc();
    logDecision(m, 'unprotected');
    setBufferedBody(req, body);
    void deps.proxy(req, res);
    return;
  }

  // f. Protected: from here on the call is parked or refused, never forwarded.
  if (caller === null) {
    refuse(m, new ApiError('UNAUTHENTICATED', {}, 'a protected change needs a valid bearer token; nothing was parked'), {
      'www-authenticate': 'Bearer',
    });
    return;
  }
  const justification = parseJustification(req.headers['x-maa-justification']);
  if (justification === null) {
    refuse(m, new ApiError('INVALID_JUSTIFICATION'));
    return;
  }
  park(m, body, caller, justification, decision).catch((error: unknown) => internalError(m, error));
}

/** Parks a protected call in the store and answers 202, or refuses (409, 503): never forwards. */
async function park(m: Mutation, body: Buffer, caller: Caller, justification: string, decision: ProtectedDecision): Promise<void> {
  const { req, res, call, deps } = m;
  const { config, store, metrics, logger } = deps;
  const parked = parkedCall(req, call.method, body);
  let created;
  try {
    created = await withTimeout(
      store.create({ requestor: caller, justification, call: parked, body, decision: requestDecision(decision) }),
      STORE_TIMEOUT_MS,
    );
  } catch (error) {
    if (error instanceof TransitionError && error.code === 'OBJECT_LOCKED') {
      refuse(m, new ApiError('OBJECT_LOCKED', { requestId: error.openRequestId ?? error.requestId }, `${decision.objectKey} already has an open request`));
      return;
    }
    // Redis down, slow or refusing: the call cannot be parked, so it is refused (invariant 5).
    logger.warn({ decisionId: m.decisionId, err: errorSummary(error) }, 'parking failed');
    refuse(m, new ApiError('STORE_UNAVAILABLE'));
    return;
  }

  metrics.decisions.inc({ result: 'protected' });
  metrics.parked.inc({ profile_type: decision.profileType });
  logDecision(m, 'parked', { requestId: created.id, profileType: decision.profileType, objectKey: decision.objectKey, requestor: caller.userId });
  const location = `${config.api.prefix}/requests/${encodeURIComponent(created.id)}`;
  const payload = JSON.stringify({
    id: created.id,
    status: created.status,
    profileType: decision.profileType,
    operation: decision.operation,
    objectKey: decision.objectKey,
    requiredApprovals: decision.requiredApprovals,
    approverGroups: decision.approverGroups,
    bodySha256: created.call.bodySha256,
    location,
  });
  res.writeHead(202, {
    location,
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(payload),
    'cache-control': 'no-store',
    'x-maa-request-status': created.status,
  });
  res.end(payload);
}

/** The call exactly as it will be replayed: raw path and query as sent, the effective method. */
function parkedCall(req: IncomingMessage, method: string, body: Buffer): ParkedCall {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  return {
    method,
    path: q === -1 ? url : url.slice(0, q),
    query: q === -1 ? '' : url.slice(q + 1),
    headers: storedHeaders(req.headers),
    bodySha256: createHash('sha256').update(body).digest('hex'),
    bodySize: body.length,
  };
}

function requestDecision(decision: ProtectedDecision) {
  return {
    profileType: decision.profileType,
    objectKey: decision.objectKey,
    operation: decision.operation,
    policies: decision.policies,
    approverGroups: decision.approverGroups,
    requiredApprovals: decision.requiredApprovals,
  };
}

/** Rejects when `promise` does not settle in `ms`; the timer never keeps the process alive. */
export function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    timer.unref();
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** What of an error goes to the log: its name, code and message, never a token or a body. */
export function errorSummary(error: unknown): { name?: string; code?: unknown; message?: string } {
  if (error instanceof Error) return { name: error.name, code: (error as { code?: unknown }).code, message: error.message };
  return { message: String(error) };
}
