/**
 * Background jobs that run once per deployment: the expiry sweeper, the scheduler, the
 * notification dispatcher. Every gateway process (and every worker of one, `listen.workers`)
 * offers to run each of them, and a Redis lease per job decides which one does: the holder
 * renews it every third of its time; when the holder stops it releases the lease, and when it
 * dies the lease runs out, so another process takes the job over within one lease time.
 *
 * The lease saves work; it is not what keeps the data right. Every step those jobs take is one
 * atomic script that checks its own "from" state (expire-4, claim-scheduled-3, …), so two
 * holders for a moment (a process paused past its lease, a partition) repeat a read, never a
 * change. That is why a holder that cannot reach Redis keeps its job running until its lease
 * would have run out, and only then stops it.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import type { RequestStore } from './types';

/** What a background job's start function returns. */
export interface BackgroundJob {
  stop(): Promise<void> | void;
}

/** A job offered under a lease: runs while this process holds the lease. */
export interface LeasedJob extends BackgroundJob {
  /** Whether this process holds the lease (and so runs the job) right now. */
  holding(): boolean;
}

export interface LeasesOptions {
  store: Pick<RequestStore, 'acquireLease' | 'renewLease' | 'releaseLease'>;
  /** How long a lease lasts without renewal: how late a job is taken over when its holder dies. */
  ttlMs: number;
  logger?: Logger;
  /** Names this process in the lease (default host:pid:random); logged, and readable in Redis. */
  holder?: string;
}

export interface Leases {
  /** This process's holder token, e.g. `gw-1:4242:9f3a1c`. */
  readonly holder: string;
  /**
   * Offers to run the job `name`: `start` is called when this process takes the lease, and the
   * job's stop() when it loses it or when the returned job is stopped (which also releases the lease).
   * @example
   * const sweeper = leases.runUnderLease('sweeper', () => startSweeper(store, 60_000, logger));
   * // on shutdown
   * await sweeper.stop();
   */
  runUnderLease(name: string, start: () => BackgroundJob): LeasedJob;
}

/**
 * The leases of one process, on one store.
 * @example
 * const leases = createLeases({ store, ttlMs: 15_000, logger });
 */
export function createLeases(options: LeasesOptions): Leases {
  const { store, ttlMs, logger } = options;
  if (!Number.isInteger(ttlMs) || ttlMs < 300) throw new TypeError(`lease time must be an integer of at least 300 ms, e.g. 15000; got ${ttlMs}`);
  const holder = options.holder ?? `${hostname().slice(0, 64).replace(/[^\x21-\x7e]/g, '_')}:${process.pid}:${randomBytes(6).toString('hex')}`;
  // A third of the lease: two renewals can fail (a slow Redis, a GC pause) before it runs out.
  const renewEveryMs = Math.floor(ttlMs / 3);

  return {
    holder,
    runUnderLease(name, start) {
      let job: BackgroundJob | null = null;
      /** When the lease was last taken or renewed by this process (ms); it ends ttlMs after. */
      let renewedAt = 0;
      let stopped = false;
      let running: Promise<void> | null = null;

      const stopJob = async (why: string): Promise<void> => {
        const current = job;
        job = null;
        if (!current) return;
        logger?.info({ job: name, holder, why }, 'background job stopped');
        try {
          await current.stop();
        } catch (error) {
          logger?.warn({ job: name, error: (error as Error).message }, 'background job did not stop cleanly');
        }
      };

      const attempt = async (): Promise<void> => {
        const now = Date.now();
        if (job) {
          let renewed: boolean;
          try {
            renewed = await store.renewLease(name, holder, ttlMs);
          } catch (error) {
            // Redis unreachable: the lease may still be ours until it would have run out.
            if (Date.now() - renewedAt < ttlMs) {
              logger?.warn({ job: name, error: (error as Error).message }, 'could not renew a background job lease; retrying');
              return;
            }
            await stopJob('the lease could not be renewed within its time');
            return;
          }
          if (renewed) renewedAt = now;
          else await stopJob('the lease was lost (it ran out and another process took it)');
          return;
        }
        let taken = false;
        try {
          taken = await store.acquireLease(name, holder, ttlMs);
        } catch (error) {
          logger?.debug({ job: name, error: (error as Error).message }, 'could not try a background job lease');
          return;
        }
        if (!taken) return;
        renewedAt = now;
        if (stopped) {
          await store.releaseLease(name, holder).catch(() => false);
          return;
        }
        try {
          job = start();
          logger?.info({ job: name, holder, leaseMs: ttlMs }, 'background job started: this process holds its lease');
        } catch (error) {
          logger?.error({ job: name, err: error }, 'background job did not start; giving its lease up');
          await store.releaseLease(name, holder).catch(() => false);
        }
      };

      const tick = (): Promise<void> => {
        if (stopped) return Promise.resolve();
        // Attempts never overlap: a slow Redis delays the next one rather than doubling it.
        running ??= attempt()
          .catch((error: unknown) => logger?.warn({ job: name, error: (error as Error).message }, 'background job lease attempt failed'))
          .finally(() => {
            running = null;
          });
        return running;
      };
      const timer = setInterval(() => void tick(), renewEveryMs);
      timer.unref();
      void tick();

      return {
        holding: () => job !== null,
        async stop() {
          if (stopped) return;
          stopped = true;
          clearInterval(timer);
          await running;
          const held = job !== null;
          await stopJob('this process is stopping');
          // Release only after the job stopped, so the next holder never overlaps with it.
          if (held) await store.releaseLease(name, holder).catch((error: unknown) => logger?.warn({ job: name, error: (error as Error).message }, 'could not release a background job lease; it runs out by itself'));
        },
      };
    },
  };
}
