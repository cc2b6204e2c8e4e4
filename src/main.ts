/**
 * `npm start`: the gateway process. Loads the configuration, then starts the parts in the
 * order that fails fastest on a mistake (identity reads its files, the policy builds with OPA,
 * the store connects to Redis), serves, sweeps expiries, on SIGHUP re-reads the TLS certificate
 * and key (when `listen.tls` is set), and on SIGINT/SIGTERM closes everything it started, in
 * reverse order.
 *
 * `startGateway` is the same start without the process around it, for the demo and the benchmark.
 */
import cluster from 'node:cluster';
import { createPublicKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import type { Logger } from 'pino';
import { ConfigError, loadGatewayConfig } from './config/gateway-config';
import type { GatewayConfig } from './config/types';
import { createLogger } from './gateway/logger';
import { createGateway, type TlsReload } from './server';
import { createIdentity } from './identity/create-identity';
import { createPolicyEngine } from './policy/engine';
import { startSweeper } from './requests/expiry';
import { createLeases } from './requests/lease';
import { createRequestStore } from './requests/redis-store';
import { CONSOLE_PREFIX } from './gateway/gateway-routes';
import { loadDirectory } from './identity/directory';
import { startNotificationDispatcher } from './notifications/dispatcher';
import { loadNotificationsConfig, NOTIFICATION_DEFAULTS, type NotificationsConfig } from './notifications/notifications-config';
import { openOutbox } from './notifications/outbox';
import { onPrimaryMessage, superviseWorkers, tellPrimaryListening, workerCount, workerIndex } from './workers';
import { topologyOf } from './requests/redis-topology';

export interface RunningGateway {
  /** Where the gateway answers, e.g. http://127.0.0.1:8080 or https://… (loopback when it listens on all addresses). */
  url: string;
  /** Closes the server, the sweeper, the store, the policy and the identity; safe to call twice. */
  close(): Promise<void>;
  /** What SIGHUP does: re-reads `listen.tls`'s files and serves them to new connections (Gateway.reloadTls). */
  reloadTls(): TlsReload;
}

/**
 * Starts every part and listens. On a failure half-way, closes what was already started and rethrows.
 * @example
 * const gateway = await startGateway(loadGatewayConfig({ overrides: { listen: { port: 0 } } }));
 * console.log(gateway.url);
 * await gateway.close();
 */
export async function startGateway(config: GatewayConfig, logger: Logger = createLogger(config.log.level)): Promise<RunningGateway> {
  const closers: { name: string; close: () => Promise<void> | void }[] = [];
  const closeAll = async (): Promise<void> => {
    // Reverse order: stop taking calls first, drop the dependencies last.
    for (const { name, close } of closers.splice(0).reverse()) {
      try {
        await close();
      } catch (error) {
        logger.warn({ part: name, err: error }, 'close failed');
      }
    }
  };

  try {
    // First: a bad notifications file (or a secret it names that is missing) stops the start before anything connects.
    const notifications = notificationsConfig(config);
    const identity = await createIdentity(config.identity);
    closers.push({ name: 'identity', close: () => identity.close() });

    const policy = await createPolicyEngine({
      policiesDir: config.policy.policiesDir,
      configDir: config.policy.configDir,
      bundlePath: config.policy.bundlePath,
      ...(config.policy.bundleUrl ? { bundleUrl: config.policy.bundleUrl } : {}),
      bundlePollIntervalMs: config.policy.bundlePollIntervalMs,
      bundleMaxBytes: config.policy.bundleMaxBytes,
      ...(config.policy.bundlePublicKeyFile
        ? { bundleVerification: { publicKey: createPublicKey(readFileSync(config.policy.bundlePublicKeyFile)), alg: config.policy.bundleSigningAlg } }
        : {}),
      watch: config.policy.watch,
      decisionCacheSize: config.policy.decisionCacheSize,
      // The profile types' case rule must agree with how the gateway normalises paths.
      upstreamCaseInsensitivePaths: config.upstream.caseInsensitivePaths,
      logger,
    });
    closers.push({ name: 'policy', close: () => policy.close() });

    const store = await createRequestStore({
      topology: topologyOf(config.redis),
      durability: config.redis.durability,
      deployment: config.redis.deployment,
      retention: {
        openMs: config.requests.retentionMs,
        approvedMs: config.requests.approvedRetentionMs,
        endedMs: config.requests.endedRetentionMs,
        auditMs: config.requests.auditRetentionMs,
      },
      logger,
    });
    closers.push({ name: 'store', close: () => store.close() });

    // Background jobs run in one process of the deployment: the one holding the job's lease.
    const leases = createLeases({ store, ttlMs: config.requests.backgroundLeaseMs, logger });

    // Its own Redis connection: the dispatcher's polls never queue behind the request path's commands.
    const outbox = await openOutbox({ url: config.redis.url, topology: topologyOf(config.redis), deployment: config.redis.deployment, logger });
    closers.push({ name: 'outbox', close: () => outbox.close() });

    const gateway = createGateway({ config, policy, store, identity, logger, notifications: outbox, runBackgroundJob: leases.runUnderLease });
    const { server } = gateway;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.listen.port, config.listen.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    // Drains within listen.shutdownGraceMs; the store closes only after, so a replay in flight can record its outcome.
    closers.push({ name: 'gateway', close: () => gateway.close() });

    // Each job stops (and releases its lease) before the gateway drains, so another process takes it over.
    const sweeper = leases.runUnderLease('sweeper', () => startSweeper(store, config.requests.sweepIntervalMs, logger));
    closers.push({ name: 'sweeper', close: () => sweeper.stop() });

    // Runs even without channels, so the outbox is drained rather than kept forever; in one process
    // of the deployment (its lease), though the consumer group would also keep two from sharing an event.
    const dispatcher = leases.runUnderLease('notifications', () => startNotificationDispatcher({
      config: notifications,
      outbox,
      store,
      ...(config.identity.directoryFile ? { directory: loadDirectory(config.identity.directoryFile) } : {}),
      retention: { openMs: config.requests.retentionMs, approvedMs: config.requests.approvedRetentionMs },
      deliveries: gateway.metrics.notifications,
      logger,
    }));
    closers.push({ name: 'notifications', close: () => dispatcher.stop() });

    const url = listenUrl(server.address() as AddressInfo, config.listen.tls ? 'https' : 'http');
    logger.info({ url, upstream: redactUrl(config.upstream.url), upstreamAuth: config.upstream.auth.mode, redis: config.redis.mode === 'single' ? redactUrl(config.redis.url) : { mode: config.redis.mode, nodes: config.redis.nodes }, deployment: config.redis.deployment }, 'gateway listening');
    return { url, close: closeAll, reloadTls: () => gateway.reloadTls() };
  } catch (error) {
    await closeAll();
    throw error;
  }
}

/**
 * The notifications file, or no channels when none is configured; links in messages go to the
 * console at `upstream.publicUrl` unless the file names its own `consoleUrl`.
 */
function notificationsConfig(config: GatewayConfig): NotificationsConfig {
  const loaded = config.notifications.file ? loadNotificationsConfig(config.notifications.file) : { ...NOTIFICATION_DEFAULTS, channels: [] };
  if (!loaded.consoleUrl && config.console.enabled && config.upstream.publicUrl) {
    return { ...loaded, consoleUrl: `${config.upstream.publicUrl.replace(/\/+$/, '')}${CONSOLE_PREFIX}` };
  }
  return loaded;
}

function listenUrl(address: AddressInfo, scheme: 'http' | 'https'): string {
  const host =
    address.address === '0.0.0.0' ? '127.0.0.1' : address.address === '::' ? '[::1]' : address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return `${scheme}://${host}:${address.port}`;
}

/** A URL without its user and password, for logs (Redis URLs carry credentials). */
function redactUrl(text: string): string {
  try {
    const url = new URL(text);
    if (url.username || url.password) {
      url.username = '';
      url.password = '';
    }
    return url.toString();
  } catch {
    return '[unparsable url]';
  }
}

/** The process: exit 0 after a clean shutdown, 1 when it cannot start, 2 for a bad configuration. */
async function main(): Promise<void> {
  let config: GatewayConfig;
  try {
    config = loadGatewayConfig();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`countersign: ${error.message}\nSee docs/configuration.md.\n`);
    process.exit(2);
  }
  const workers = workerCount(config.listen.workers);
  if (workers > 1 && cluster.isPrimary) {
    // The primary only supervises: each worker runs this file again and takes the branch below.
    process.exitCode = await superviseWorkers({ count: workers, logger: createLogger(config.log.level).child({ role: 'primary' }), shutdownGraceMs: config.listen.shutdownGraceMs, tls: Boolean(config.listen.tls) });
    return;
  }
  const worker = workerIndex();
  const logger = worker === undefined ? createLogger(config.log.level) : createLogger(config.log.level).child({ worker });
  // A worker's IPC channel would keep it alive after its gateway closed: it exits when done.
  const end = (code: number): void => {
    process.exitCode = code;
    if (worker !== undefined) process.exit(code);
  };
  let gateway: RunningGateway;
  try {
    gateway = await startGateway(config, logger);
  } catch (error) {
    logger.fatal({ err: error }, 'gateway did not start');
    end(error instanceof ConfigError ? 2 : 1);
    return;
  }

  let stopping = false;
  const stop = (signal: NodeJS.Signals | 'primary'): void => {
    if (stopping) {
      // A worker hears Ctrl-C twice (the terminal signals the whole group, and the primary asks): the primary decides about "now".
      if (worker !== undefined) return;
      // A second Ctrl-C means "now".
      logger.warn({ signal }, 'second signal: exiting without waiting');
      process.exit(130);
    }
    stopping = true;
    logger.info({ signal }, 'shutting down');
    gateway.close().then(
      () => {
        logger.info('stopped');
        end(0);
      },
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        end(1);
      },
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  // Only with TLS: without it SIGHUP keeps its default (the process ends when its terminal closes).
  // reloadTls logs the outcome itself and keeps the old certificate when the new files are bad.
  if (config.listen.tls) process.on('SIGHUP', () => void gateway.reloadTls());
  if (worker !== undefined) {
    onPrimaryMessage({ stop: () => stop('primary'), reloadTls: () => void gateway.reloadTls() });
    tellPrimaryListening(gateway.url);
  }
}

const entry = process.argv[1];
if (entry && import.meta.url === pathToFileURL(entry).href) {
  main().catch((error: unknown) => {
    process.stderr.write(`countersign: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  });
}
