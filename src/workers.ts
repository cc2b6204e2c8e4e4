/**
 * `listen.workers` above 1: the gateway runs as node:cluster workers sharing one port, each a
 * whole gateway (its own policy engine, Redis connection, identity; src/main.ts startGateway), and
 * this primary process only supervises them. It takes no calls itself; node's cluster hands each
 * new connection to a worker in turn (round-robin), so a keep-alive connection stays on one worker.
 *
 * What the primary promises:
 * - a worker that dies is replaced; one that dies soon after it started is replaced later each
 *   time (a crash loop must not spin the machine), up to RESTART_MAX_MS between attempts;
 * - at start, a worker that exits before it listens stops the whole start (exit 1): the worker
 *   logged why, and the same cause would kill every replacement;
 * - SIGTERM or SIGINT: every worker drains (listen.shutdownGraceMs), then the primary exits 0
 *   (1 when a worker's shutdown failed); a second signal kills the workers at once;
 * - SIGHUP, with TLS: every worker re-reads the certificate and key.
 * Background jobs are not the primary's: every worker offers to run them and their Redis lease
 * picks one (src/requests/lease.ts), so they run once per deployment however many processes there are.
 */
import cluster, { type Worker } from 'node:cluster';
import { availableParallelism } from 'node:os';
import type { Logger } from 'pino';

/** What the primary tells a worker over the cluster's IPC channel. */
export type ToWorker = { type: 'countersign:stop' } | { type: 'countersign:reload-tls' };
/** What a worker tells the primary. */
export type ToPrimary = { type: 'countersign:listening'; url: string };

/** A worker that dies within this time of its start counts as a quick death: the next start waits longer. */
const QUICK_DEATH_MS = 10_000;
/** The wait before replacing a worker that ran well; doubled for each quick death in a row. */
const RESTART_MIN_MS = 100;
const RESTART_MAX_MS = 30_000;
/** After the grace period, how long workers get to close Redis and exit before they are killed. */
const EXIT_MARGIN_MS = 5_000;

/**
 * The number of workers `listen.workers` asks for: `auto` is one per core the process may use.
 * @example workerCount('auto') // 2 on a 2-core machine
 */
export function workerCount(setting: number | 'auto'): number {
  return setting === 'auto' ? Math.min(64, Math.max(1, availableParallelism())) : setting;
}

/** How long to wait before starting a worker again, after `quickDeaths` quick deaths in a row. */
export function restartDelay(quickDeaths: number): number {
  return Math.min(RESTART_MIN_MS * 2 ** quickDeaths, RESTART_MAX_MS);
}

export interface SuperviseOptions {
  count: number;
  logger: Logger;
  shutdownGraceMs: number;
  /** Whether SIGHUP reloads TLS (forwarded to the workers); without TLS, SIGHUP keeps its default. */
  tls: boolean;
  /** Called once, when every worker listens, with the URL they answer on (the benchmark waits for it). */
  onListening?: (url: string) => void;
}

interface Slot {
  index: number;
  worker?: Worker;
  startedAt: number;
  quickDeaths: number;
  listening: boolean;
  restart?: NodeJS.Timeout;
}

/**
 * Forks the workers and supervises them until the deployment is stopped; resolves with the
 * process's exit code. Call only in the cluster's primary; the workers run src/main.ts again.
 */
export function superviseWorkers(options: SuperviseOptions): Promise<number> {
  const { count, logger } = options;
  const slots: Slot[] = Array.from({ length: count }, (_, index) => ({ index, startedAt: 0, quickDeaths: 0, listening: false }));
  let started = false;
  let stopping = false;
  let failed = false;
  let resolveDone!: (code: number) => void;
  const done = new Promise<number>((resolve) => (resolveDone = resolve));

  const fork = (slot: Slot): void => {
    slot.restart = undefined;
    slot.startedAt = Date.now();
    slot.listening = false;
    const worker = cluster.fork({ COUNTERSIGN_WORKER_INDEX: String(slot.index) });
    slot.worker = worker;
    worker.on('message', (message: ToPrimary) => {
      if (message?.type !== 'countersign:listening') return;
      slot.listening = true;
      if (!started && slots.every((s) => s.listening)) {
        started = true;
        logger.info({ url: message.url, workers: count, pids: slots.map((s) => s.worker?.process.pid) }, 'workers listening');
        options.onListening?.(message.url);
      }
    });
    worker.once('exit', (code, signal) => {
      if (slot.worker === worker) slot.worker = undefined;
      if (stopping) {
        if (code !== 0) failed = true;
        if (slots.every((s) => !s.worker)) resolveDone(failed ? 1 : 0);
        return;
      }
      if (!started) {
        // Not up yet: the same cause (configuration, policy build, TLS files) would kill every replacement.
        logger.fatal({ worker: slot.index, code, signal }, 'a worker exited before it listened: stopping the start');
        failed = true;
        void stop('start failed');
        return;
      }
      slot.quickDeaths = Date.now() - slot.startedAt < QUICK_DEATH_MS ? slot.quickDeaths + 1 : 0;
      const delayMs = restartDelay(slot.quickDeaths);
      logger.error({ worker: slot.index, pid: worker.process.pid, code, signal, restartInMs: delayMs }, 'a worker died: replacing it');
      slot.restart = setTimeout(() => fork(slot), delayMs);
    });
  };

  const send = (message: ToWorker): void => {
    for (const slot of slots) {
      if (slot.worker?.isConnected()) slot.worker.send(message);
    }
  };

  let killTimer: NodeJS.Timeout | undefined;
  const stop = async (why: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    logger.info({ why, workers: slots.filter((s) => s.worker).length }, 'stopping the workers');
    for (const slot of slots) clearTimeout(slot.restart);
    if (slots.every((s) => !s.worker)) {
      resolveDone(failed ? 1 : 0);
      return;
    }
    send({ type: 'countersign:stop' });
    // A worker that neither drains nor exits in time is killed: shutdown must end.
    killTimer = setTimeout(() => {
      logger.warn('workers still running after the grace period: killing them');
      for (const slot of slots) slot.worker?.process.kill('SIGKILL');
    }, options.shutdownGraceMs + EXIT_MARGIN_MS);
    killTimer.unref();
  };

  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopping) {
      // A second Ctrl-C means "now".
      logger.warn({ signal }, 'second signal: killing the workers without waiting');
      for (const slot of slots) slot.worker?.process.kill('SIGKILL');
      process.exit(130);
    }
    void stop(signal);
  };
  const onHangUp = (): void => send({ type: 'countersign:reload-tls' });
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  if (options.tls) process.on('SIGHUP', onHangUp);

  for (const slot of slots) fork(slot);
  return done.finally(() => {
    clearTimeout(killTimer);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.off('SIGHUP', onHangUp);
  });
}

/** In a worker: acts on the primary's messages (stop, reload TLS). */
export function onPrimaryMessage(handlers: { stop(): void; reloadTls(): void }): void {
  process.on('message', (message: ToWorker) => {
    if (message?.type === 'countersign:stop') handlers.stop();
    else if (message?.type === 'countersign:reload-tls') handlers.reloadTls();
  });
}

/** In a worker: tells the primary this worker listens. */
export function tellPrimaryListening(url: string): void {
  const message: ToPrimary = { type: 'countersign:listening', url };
  process.send?.(message);
}

/** Whether this process is a worker of a `listen.workers` cluster, and which (0-based). */
export function workerIndex(): number | undefined {
  if (!cluster.isWorker) return undefined;
  const index = Number(process.env.COUNTERSIGN_WORKER_INDEX);
  return Number.isInteger(index) ? index : undefined;
}
