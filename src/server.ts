/**
 * Assembles the gateway: one node http.Server (an https.Server when `listen.tls` is set, with the
 * same handler and keep-alive behaviour) whose handler is the request path (handle-request.ts),
 * the shared proxy, the replay, and an Express app for the gateway's own routes (approval API,
 * console, health, readiness, metrics) and their errors.
 */
import http from 'node:http';
import https from 'node:https';
import express from 'express';
import type { Logger } from 'pino';
import { Counter, Gauge, type Registry } from 'prom-client';
import { errorHandler } from './api/error-handler';
import { ApiError, sendError } from './errors';
import { createApiRouter } from './api/router';
import { createEventStreams } from './api/event-streams';
import type { GatewayConfig } from './config/types';
import { readTlsFiles, type CertificateSummary, type TlsFiles } from './config/tls-files';
import { createConsoleRouter } from './console/router';
import type { Identity } from './identity/types';
import type { PolicyEngine } from './policy/types';
import type { BackgroundJob } from './requests/lease';
import type { RequestStore } from './requests/types';
import { createRequestHandler } from './gateway/handle-request';
import { CONSOLE_PREFIX, GATEWAY_PATHS } from './gateway/gateway-routes';
import { createMetrics, type GatewayMetrics } from './gateway/metrics';
import { createLogger, errorSummary } from './gateway/logger';
import { createProxy, createUpstreamAgent } from './gateway/proxy';
import { createReplay, type Replay } from './gateway/replay';
import { createSnapshotReader } from './gateway/object-snapshot';
import { startScheduler } from './gateway/scheduler';
import { createUpstreamAuth } from './gateway/upstream-auth';
import type { OutboxStatus } from './notifications/outbox';

export interface GatewayDeps {
  config: GatewayConfig;
  policy: PolicyEngine;
  store: RequestStore;
  identity: Identity;
  logger?: Logger;
  /**
   * The notification outbox's backlog (src/notifications/outbox.ts), for /readyz and the metrics;
   * every gateway reports it, whichever one runs the dispatcher.
   */
  notifications?: { status(): Promise<OutboxStatus> };
  /**
   * How the gateway runs its background job (the scheduler): main.ts passes its leases'
   * runUnderLease, so one process of the deployment runs it; by default it simply starts (tests).
   */
  runBackgroundJob?: (name: string, start: () => BackgroundJob) => BackgroundJob;
}

export interface Gateway {
  /** Not yet listening: the caller chooses host and port (or supertest does). */
  server: http.Server;
  app: express.Express;
  metrics: GatewayMetrics;
  /**
   * Drains: stops accepting connections, closes idle keep-alive sockets at once, lets calls in
   * flight (and any replay, even one whose caller went away) finish within `graceMs` (default
   * `listen.shutdownGraceMs`), then cuts what is left and closes the upstream sockets.
   * Does not close policy, store or identity: the caller closes them after this resolves.
   */
  close(graceMs?: number): Promise<void>;
  /**
   * Re-reads `listen.tls`'s files and serves the new certificate to new connections; connections
   * already open keep theirs. A file that fails the checks leaves the current certificate in place.
   * `main.ts` calls it on SIGHUP.
   */
  reloadTls(): TlsReload;
}

/** What a TLS reload did; `failed` carries the reason (file and check, never the key). */
export type TlsReload =
  | { result: 'reloaded'; certificate: CertificateSummary }
  | { result: 'failed'; error: string }
  | { result: 'disabled' };

/**
 * The approval API's bodies are small (16 KiB at most): one that has not arrived in this time
 * never will, and its connection should not be held for the server's request timeout.
 */
const API_BODY_DEADLINE_MS = 5_000;


/**
 * Creates the gateway.
 * @example
 * const gateway = createGateway({ config, policy, store, identity });
 * gateway.server.listen(config.listen.port, config.listen.host);
 */
export function createGateway(deps: GatewayDeps): Gateway {
  const { config, policy, store, identity } = deps;
  const logger = deps.logger ?? createLogger(config.log.level);
  const metrics = createMetrics({
    policyStatus: () => policy.status(),
    storeUp: () => store.ping().catch(() => false),
    unreviewedBreakGlass: () => store.countUnreviewed(),
    ...(deps.notifications ? { notificationOutbox: () => deps.notifications!.status() } : {}),
  });
  const agent = createUpstreamAgent(config.upstream.url, config.upstream.timeoutMs);
  const proxy = createProxy({
    target: config.upstream.url,
    agent,
    ...(config.upstream.publicUrl ? { publicUrl: config.upstream.publicUrl } : {}),
    onUpstreamError: (error, req) => logger.warn({ code: error.code, method: req.method }, 'upstream error on a proxied call'),
  });
  // Reads the upstream secret or key now (a bad one stops the start); tokens are fetched when first needed.
  const upstreamAuth = createUpstreamAuth({ config: config.upstream.auth, logger, tokenRequests: metrics.upstreamTokenRequests });
  // The object's reads (at park, and again at complete) go to the upstream over connections of their own.
  const snapshots = createSnapshotReader(config);
  const readSnapshot = snapshots.read;
  const replays = trackReplays(createReplay({ config, store, agent, metrics, logger, upstreamAuth, readSnapshot }));
  const replay = replays.replay;
  // Under main.ts's lease one process of the deployment runs it; even without one, the claim decides which sends each due replay.
  const runBackgroundJob = deps.runBackgroundJob ?? ((_name, start) => start());
  const scheduler = runBackgroundJob('scheduler', () => startScheduler({ store, policy, replay, intervalMs: config.requests.scheduleIntervalMs, logger }));

  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use((req, res, next) => {
    const started = process.hrtime.bigint();
    res.once('finish', () => {
      const route = req.path.startsWith(config.api.prefix) ? 'api' : req.path.split('/')[1] ?? 'other';
      metrics.apiDuration.observe({ route, status: `${Math.floor(res.statusCode / 100)}xx` }, Number(process.hrtime.bigint() - started) / 1e9);
    });
    next();
  });

  app.get(GATEWAY_PATHS.health, (_req, res) => {
    res.json({ status: 'ok' });
  });

  app.get(GATEWAY_PATHS.ready, async (_req, res) => {
    const redisUp = await store.ping().catch(() => false);
    let policyUp = false;
    let policyDetail: Record<string, unknown> = {};
    try {
      const status = policy.status();
      policyUp = status.ready;
      policyDetail = { revision: status.revision, bundleRevision: status.bundleRevision, loadedAt: status.loadedAt, lastError: status.lastError, bundle: status.bundle };
    } catch (error) {
      policyDetail = { lastError: errorSummary(error).message };
    }
    const down = [...(redisUp ? [] : ['redis']), ...(policyUp ? [] : ['policy'])];
    // Reported, never counted as down: a backlog of notifications does not stop approvals.
    const notifications = deps.notifications && redisUp ? await deps.notifications.status().catch(() => undefined) : undefined;
    res.status(down.length === 0 ? 200 : 503).json({
      status: down.length === 0 ? 'ready' : 'unavailable',
      down,
      // The upstream credential is reported, never counted as down: parking needs no upstream.
      checks: {
        redis: redisUp ? 'up' : 'down',
        policy: { status: policyUp ? 'up' : 'down', ...policyDetail },
        upstreamAuth: upstreamAuth.status(),
        ...(deps.notifications ? { notifications: notifications ?? { status: 'unknown' } } : {}),
      },
    });
  });

  app.get(GATEWAY_PATHS.metrics, async (_req, res) => {
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });

  const events = createEventStreams({ store, policy, logger });
  app.use(config.api.prefix, bodyDeadline(API_BODY_DEADLINE_MS));
  app.use(
    config.api.prefix,
    createApiRouter({
      prefix: config.api.prefix,
      policy,
      store,
      identity,
      replay,
      metrics,
      logger,
      retention: { openMs: config.requests.retentionMs, approvedMs: config.requests.approvedRetentionMs },
      events,
    }),
  );

  if (config.console.enabled) {
    app.use(
      CONSOLE_PREFIX,
      createConsoleRouter({
        apiPrefix: config.api.prefix,
        ...(config.console.showDemoIdentities ? { demoIdentities: identity.staticIdentities() } : {}),
      }),
    );
  }

  app.use((_req, _res, next) => next(new ApiError('NOT_FOUND')));
  app.use(errorHandler(logger));

  const handler = createRequestHandler({
    config,
    policy,
    store,
    identity,
    metrics,
    logger,
    proxy,
    replay,
    upstreamAuth,
    readSnapshot,
    gatewayApp: (req, res) => {
      // Express's own finalhandler should never run, but if it does it answers our shape.
      app(req as express.Request, res as express.Response, (error?: unknown) => {
        if (error) logger.error({ err: errorSummary(error) }, 'unhandled error in a gateway route');
        sendError(res, new ApiError(error ? 'INTERNAL' : 'NOT_FOUND'));
      });
    },
  });
  const tlsFiles = config.listen.tls;
  const tlsMaterial = tlsFiles ? readTlsFiles(tlsFiles) : undefined;
  // https.Server is an http.Server underneath: same handler, keep-alive, timeouts and drain.
  const server: http.Server = tlsMaterial ? https.createServer(tlsMaterial.options, handler) : http.createServer(handler);
  const tls = tlsFiles && tlsMaterial ? tlsReloader(server as https.Server, tlsFiles, metrics.registry, logger, tlsMaterial.certificate) : undefined;
  // A slow client may not hold a mutation's buffer forever.
  server.requestTimeout = Math.max(config.upstream.timeoutMs * 2, 60_000);

  return {
    server,
    app,
    metrics,
    close: async (graceMs = config.listen.shutdownGraceMs) => {
      // The scheduler stops (and gives its lease up) first; a replay it started is drained with the rest.
      await Promise.resolve(scheduler.stop()).catch((error: unknown) => logger.warn({ err: errorSummary(error) }, 'scheduler did not stop cleanly'));
      // Live streams never end by themselves: end them, and their clients reconnect to another gateway.
      events.closeAll();
      return drain(server, replays, graceMs, logger).finally(() => {
        agent.destroy();
        return snapshots.close();
      });
    },
    reloadTls: () => (tls ? tls.reload() : { result: 'disabled' }),
  };
}

/**
 * Reloads the certificate of a running https.Server: `setSecureContext` applies to handshakes from
 * now on, so no connection is dropped. Counts reloads by result and exposes the certificate's end
 * of validity, the figure to alert on.
 */
function tlsReloader(server: https.Server, files: TlsFiles, registry: Registry, logger: Logger, loaded: CertificateSummary): { reload(): TlsReload } {
  const registers = [registry];
  const reloads = new Counter({ name: 'countersign_tls_reloads_total', help: 'Reloads of the TLS certificate and key (SIGHUP), by result', labelNames: ['result'], registers });
  const notAfter = new Gauge({ name: 'countersign_tls_certificate_not_after_seconds', help: 'End of validity of the TLS certificate being served, in Unix seconds', registers });
  const serve = (certificate: CertificateSummary): void => {
    notAfter.set(Math.floor(certificate.notAfter.getTime() / 1000));
    const log = describe(certificate);
    if (certificate.notAfter.getTime() <= Date.now()) logger.warn(log, 'the TLS certificate has expired: clients will refuse it');
    else logger.info(log, 'TLS certificate loaded');
  };
  serve(loaded);
  return {
    reload() {
      try {
        const material = readTlsFiles(files);
        server.setSecureContext(material.options);
        reloads.inc({ result: 'reloaded' });
        serve(material.certificate);
        return { result: 'reloaded', certificate: material.certificate };
      } catch (error) {
        reloads.inc({ result: 'failed' });
        // A ConfigError names the file and the check; setSecureContext's errors are OpenSSL reasons. Neither quotes the key.
        const message = errorSummary(error).message ?? 'unknown error';
        logger.warn({ error: message }, 'TLS reload failed: the current certificate stays in use');
        return { result: 'failed', error: message };
      }
    },
  };
}

function describe(certificate: CertificateSummary): Record<string, unknown> {
  return {
    subject: certificate.subject,
    subjectAltName: certificate.subjectAltName,
    notAfter: certificate.notAfter.toISOString(),
    fingerprint256: certificate.fingerprint256,
    chainLength: certificate.chainLength,
  };
}

/**
 * Refuses a request whose declared body has not fully arrived within `ms`, then drops the
 * connection (the rest of the body would be read as the next request). The body parser sees
 * the connection go and gives up; the error handler takes that for the client going away.
 */
function bodyDeadline(ms: number): express.RequestHandler {
  return (req, res, next) => {
    const declared = req.headers['transfer-encoding'] !== undefined || (req.headers['content-length'] ?? '0') !== '0';
    if (!declared || req.complete) {
      next();
      return;
    }
    const timer = setTimeout(() => {
      // `complete`: the whole message arrived, even if no route has read it yet (a slow handler is not a slow client).
      if (req.complete) return;
      res.once('finish', () => req.socket.destroy());
      sendError(res, new ApiError('REQUEST_TIMEOUT', {}, `the request body did not arrive in full within ${ms / 1000} s`), { connection: 'close' });
    }, ms);
    const stop = (): void => clearTimeout(timer);
    // 'end' fires only when the body is read (express.json reads JSON bodies); 'close' covers the rest.
    req.once('end', stop);
    res.once('close', stop);
    next();
  };
}

/** How often idle keep-alive sockets are closed while draining (a socket goes idle when its call ends). */
const IDLE_SWEEP_MS = 50;

interface TrackedReplays {
  replay: Replay;
  /** Settles when every replay started so far has recorded its outcome (or failed to). */
  settled(): Promise<void>;
}

/**
 * Counts replays in flight. A replay outlives its HTTP call when the caller hangs up between
 * send and record; shutdown must still wait for it, or the outcome is left unknown.
 */
function trackReplays(replay: Replay): TrackedReplays {
  const inFlight = new Set<Promise<unknown>>();
  return {
    replay: (input) => {
      const running = replay(input);
      const forget = (): void => {
        inFlight.delete(done);
      };
      const done: Promise<void> = running.then(forget, forget);
      inFlight.add(done);
      return running;
    },
    settled: async () => {
      while (inFlight.size > 0) await Promise.all(inFlight);
    },
  };
}

/**
 * Stops accepting, waits for calls and replays in flight up to `graceMs`, then cuts the rest.
 * Node's server.close() only closes the sockets idle at that moment; a keep-alive socket whose
 * call ends later would hold the close open, so idle sockets are swept until the end.
 */
async function drain(server: http.Server, replays: TrackedReplays, graceMs: number, logger: Logger): Promise<void> {
  const closed = server.listening ? new Promise<void>((resolve) => server.close(() => resolve())) : Promise.resolve();
  server.closeIdleConnections();
  const sweep = setInterval(() => server.closeIdleConnections(), IDLE_SWEEP_MS);
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<'deadline'>((resolve) => {
    timer = setTimeout(() => resolve('deadline'), graceMs);
  });
  try {
    const outcome = await Promise.race([Promise.all([closed, replays.settled()]).then(() => 'drained' as const), deadline]);
    if (outcome === 'deadline') {
      logger.warn({ graceMs }, 'shutdown grace period over: cutting the calls still in flight');
      server.closeAllConnections();
      await closed;
    }
  } finally {
    clearInterval(sweep);
    clearTimeout(timer);
  }
}