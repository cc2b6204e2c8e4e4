/**
 * The periodic sweep: expires open requests past their retention and removes ended ones
 * past theirs (RequestStore.sweep). Runs never overlap, and a failed run (Redis down) is
 * logged and tried again at the next tick.
 */
import type { Logger } from 'pino';
import type { RequestStore } from './types';

/**
 * Starts sweeping every `intervalMs`. The timer does not keep the process alive.
 * @example
 * const sweeper = startSweeper(store, 60_000, logger);
 * // on shutdown
 * sweeper.stop();
 */
export function startSweeper(store: RequestStore, intervalMs: number, logger?: Logger): { stop(): void } {
  if (!Number.isInteger(intervalMs) || intervalMs < 10) throw new TypeError(`sweep interval must be an integer of at least 10 ms, e.g. 60000; got ${intervalMs}`);
  let running = false;
  let stopped = false;
  const tick = async () => {
    if (running || stopped) return;
    running = true;
    try {
      await store.sweep();
    } catch (error) {
      logger?.warn({ error: (error as Error).message }, 'request sweep failed; retrying at the next interval');
    } finally {
      running = false;
    }
  };
  const timer = setInterval(() => void tick(), intervalMs);
  timer.unref();
  return {
    stop() {
      stopped = true;
      clearInterval(timer);
    },
  };
}
