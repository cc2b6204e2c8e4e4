/**
 * The one deadline of a store call. Each public method of the store makes one Deadline when it
 * starts (and ends it when the call settles), and every Redis command of that call (a script, a page of HGETALLs, …) runs under it:
 * node-redis drops a command still queued when its signal aborts, and `race` rejects a command
 * already written whose reply has not come (node-redis would wait for it forever, e.g. on a paused
 * Redis). So a call rejects with StoreUnavailableError within its deadline, whatever Redis does,
 * and no other layer needs a timeout of its own around the store.
 *
 * Calls that start within the same WINDOW_MS share one expiry: one AbortController, one timer and
 * one rejection for all of them. A controller, a timer and a promise per call were about 3 % of a
 * park's CPU in a profile and the largest share of what outlived the young generation
 * (docs/operations.md); a busy gateway starts dozens of store calls per window. The price is a
 * deadline up to WINDOW_MS later than `ms`: a call still rejects, and its queued commands are still
 * dropped, between `ms` and `ms + WINDOW_MS` after it started, and never earlier.
 */
import { setMaxListeners } from 'node:events';
import { StoreUnavailableError } from './errors';

/** How long a window takes new calls: the most a call's deadline can pass after its `ms`. */
export const WINDOW_MS = 10;

/**
 * The expiry that the calls of one window share. It fires once, at `ms` after the window closed
 * to new calls, and only aborts (and builds an error) when a call of it is still running; the
 * timer is cleared as soon as the last call of a closed window ends or, when its calls all ended
 * before it closed, as the next window opens. The timer holds the expiry and, through it, every
 * reply its calls raced: left running, it kept those replies for the whole deadline (2 s for the
 * store), long enough to be promoted out of the young generation.
 */
class Expiry {
  readonly controller = new AbortController();
  readonly expired: Promise<never>;
  /** Calls of this window that have not ended. */
  running = 0;
  private expire: (error: StoreUnavailableError) => void = () => undefined;
  private readonly timer: NodeJS.Timeout;

  constructor(
    readonly ms: number,
    /** Until when (performance.now()) new calls may join. */
    readonly closesAt: number,
  ) {
    // Every command queued under this window listens to the signal; a page of a list queues up to 100.
    setMaxListeners(0, this.controller.signal);
    this.expired = new Promise<never>((_, reject) => {
      this.expire = reject;
    });
    this.expired.catch(() => undefined);
    // Our own timer rather than AbortSignal.timeout: that one cannot be cancelled.
    this.timer = setTimeout(() => this.fire(), ms + WINDOW_MS);
    this.timer.unref();
  }

  error(): StoreUnavailableError {
    return new StoreUnavailableError(`redis did not answer within ${this.ms} ms`);
  }

  private fire(): void {
    if (windows.get(this.ms) === this) windows.delete(this.ms);
    if (this.running === 0) return;
    this.expire(this.error());
    this.controller.abort();
  }

  /** Replaced by the next window: with no call running, nothing can need the timer. */
  retireIfIdle(): void {
    if (this.running === 0) clearTimeout(this.timer);
  }

  /** One call of this window ended; the last one of a closed window takes the timer with it. */
  release(): void {
    this.running--;
    if (this.running === 0 && performance.now() >= this.closesAt) {
      clearTimeout(this.timer);
      if (windows.get(this.ms) === this) windows.delete(this.ms);
    }
  }
}

/** The window taking new calls, per deadline length (a gateway has one or two). */
const windows = new Map<number, Expiry>();

function windowFor(ms: number): Expiry {
  const now = performance.now();
  let window = windows.get(ms);
  if (!window || now >= window.closesAt) {
    window?.retireIfIdle();
    window = new Expiry(ms, now + WINDOW_MS);
    windows.set(ms, window);
  }
  window.running++;
  return window;
}

export class Deadline {
  /** Aborts when the deadline passes; given to node-redis as each command's `abortSignal`. */
  readonly signal: AbortSignal;
  private readonly window: Expiry;
  private ended = false;

  /**
   * @example
   * const deadline = new Deadline(2000);
   * try {
   *   await deadline.race(client.sendCommand(['PING'], { abortSignal: deadline.signal }));
   * } finally {
   *   deadline.end();
   * }
   */
  constructor(readonly ms: number) {
    this.window = windowFor(ms);
    this.signal = this.window.controller.signal;
  }

  /** The call settled: its share of the window ends (a second end is a no-op). */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.window.release();
  }

  get passed(): boolean {
    return this.signal.aborted;
  }

  error(): StoreUnavailableError {
    return this.window.error();
  }

  /**
   * Settles as `promise` does, or rejects with StoreUnavailableError when the deadline passes first.
   * A reply that comes later is dropped; for a transition its outcome is then unknown to the caller,
   * which the complete claim's lease already covers.
   */
  race<T>(promise: Promise<T>): Promise<T> {
    if (this.passed) {
      promise.catch(() => undefined);
      return Promise.reject(this.error());
    }
    return Promise.race([promise, this.window.expired]);
  }
}
