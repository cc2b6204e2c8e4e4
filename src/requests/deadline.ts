/**
 * The one deadline of a store call. Each public method of the store makes one Deadline when it
 * starts (and ends it when the call settles), and every Redis command of that call (a script, a page of HGETALLs, …) runs under it:
 * node-redis drops a command still queued when its signal aborts, and `race` rejects a command
 * already written whose reply has not come (node-redis would wait for it forever, e.g. on a paused
 * Redis). So a call rejects with StoreUnavailableError within its deadline, whatever Redis does,
 * and no other layer needs a timeout of its own around the store.
 */
import { setMaxListeners } from 'node:events';
import { StoreUnavailableError } from './errors';

export class Deadline {
  /** Aborts when the deadline passes; given to node-redis as each command's `abortSignal`. */
  readonly signal: AbortSignal;
  private readonly controller = new AbortController();
  private readonly timer: NodeJS.Timeout;
  private readonly expired: Promise<never>;

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
    this.signal = this.controller.signal;
    // Every command queued under this call listens to the signal; a page of a list queues up to 100.
    setMaxListeners(0, this.signal);
    let expire: (error: StoreUnavailableError) => void = () => undefined;
    this.expired = new Promise<never>((_, reject) => {
      expire = reject;
    });
    this.expired.catch(() => undefined);
    // Our own timer rather than AbortSignal.timeout: that one cannot be cancelled, so it would fire
    // (and build an error) two seconds after every call, long after the call succeeded.
    this.timer = setTimeout(() => {
      expire(this.error());
      this.controller.abort();
    }, ms);
    this.timer.unref();
  }

  /** The call settled: nothing fires later. */
  end(): void {
    clearTimeout(this.timer);
  }

  get passed(): boolean {
    return this.signal.aborted;
  }

  error(): StoreUnavailableError {
    return new StoreUnavailableError(`redis did not answer within ${this.ms} ms`);
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
    return Promise.race([promise, this.expired]);
  }
}
