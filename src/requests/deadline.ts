/**
 * The one deadline of a store call. Each public method of the store makes one Deadline when it
 * starts, and every Redis command of that call (a script, a page of HGETALLs, …) runs under it:
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
  private readonly expired: Promise<never>;

  /**
   * @example
   * const deadline = new Deadline(2000);
   * await deadline.race(client.sendCommand(['PING'], { abortSignal: deadline.signal }));
   */
  constructor(readonly ms: number) {
    // AbortSignal.timeout's timer is unref'd: a pending deadline never keeps the process alive.
    this.signal = AbortSignal.timeout(ms);
    // Every command queued under this call listens to the signal; a page of a list queues up to 100.
    setMaxListeners(0, this.signal);
    this.expired = new Promise<never>((_, reject) => {
      this.signal.addEventListener('abort', () => reject(this.error()), { once: true });
    });
    this.expired.catch(() => undefined);
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
