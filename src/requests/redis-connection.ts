/**
 * The store's one Redis connection, to a single Redis, a Sentinel-watched primary or a Cluster
 * (src/requests/redis-topology.ts). Commands fail fast with StoreUnavailableError while
 * Redis is down or not ready (no offline queue: a parked call must be refused, not held),
 * and the client reconnects by itself in the background. Every command runs under the
 * Deadline of the store call it belongs to (src/requests/deadline.ts): the one timeout.
 * With `durability.replicas` set, `confirmReplicated` WAITs after a transition until that
 * many replicas have it, so the change survives the loss of the primary.
 */
import { ErrorReply, RESP_TYPES, type RedisArgument } from 'redis';
import type { Logger } from 'pino';
import { Deadline } from './deadline';
import { StoreUnavailableError } from './errors';
import { loadScripts, type LuaScript, type Scripts } from './scripts';
import { createStoreClient, type RedisTopology, type StoreClient } from './redis-topology';

export { reconnectDelay } from './redis-topology';

/** Redis error replies that mean "not serving right now", not "your command is wrong". */
const UNAVAILABLE_REPLIES = /^(LOADING|BUSY|MASTERDOWN|READONLY|CLUSTERDOWN|TRYAGAIN|NOREPLICAS|OOM)\b/;

/**
 * How many replicas must have a transition before the store call succeeds (`WAIT replicas
 * timeoutMs` after it); `replicas: 0` does not wait. The timeout must leave room in the call's
 * deadline for the script itself.
 */
export interface Durability {
  replicas: number;
  timeoutMs: number;
}

export interface RedisConnectionOptions {
  /** A single Redis's URL; shorthand for `topology: { mode: 'single', url }`. */
  url?: string;
  topology?: RedisTopology;
  /** The hash-tagged prefix of the deployment's keys: on a Cluster, keyless commands go to its slot. */
  routingKey?: string;
  logger?: Logger;
  /** The deadline of one store call (all its commands); past it the call fails with StoreUnavailableError. */
  callTimeoutMs?: number;
  durability?: Durability;
}

export type ScriptName = keyof Scripts;

export class RedisConnection {
  readonly client: StoreClient;
  readonly scripts: Scripts = loadScripts();
  readonly topology: RedisTopology;
  readonly durability: Durability;
  private readonly logger?: Logger;
  private wasReady = false;
  readonly callTimeoutMs: number;

  constructor(options: RedisConnectionOptions) {
    this.logger = options.logger;
    this.callTimeoutMs = options.callTimeoutMs ?? 2000;
    if (!Number.isInteger(this.callTimeoutMs) || this.callTimeoutMs < 1) {
      throw new TypeError(`callTimeoutMs must be a positive integer of milliseconds, e.g. 2000; got ${String(options.callTimeoutMs)}`);
    }
    this.durability = options.durability ?? { replicas: 0, timeoutMs: 500 };
    const { replicas, timeoutMs } = this.durability;
    if (!Number.isInteger(replicas) || replicas < 0 || !Number.isInteger(timeoutMs) || timeoutMs < 1 || (replicas > 0 && timeoutMs >= this.callTimeoutMs)) {
      throw new TypeError(`durability must be { replicas: 0 or more, timeoutMs: 1 to ${this.callTimeoutMs - 1} }, e.g. { replicas: 1, timeoutMs: 500 }; got ${JSON.stringify(this.durability)}`);
    }
    const topology = options.topology ?? (options.url ? { mode: 'single' as const, url: options.url } : undefined);
    if (!topology) throw new TypeError('RedisConnection needs a url or a topology, e.g. { url: "redis://127.0.0.1:6379" }');
    this.topology = topology;
    this.client = createStoreClient(topology, this.scripts, options.routingKey ?? 'maa:{default}:', this.logger);
    // Without a listener node-redis would throw connection errors at the process. Log once
    // per outage, not once per reconnect attempt.
    this.client.on('error', (error: Error) => {
      if (this.wasReady) this.logger?.warn({ error: error.message }, 'redis connection lost; reconnecting');
      this.wasReady = false;
    });
    this.client.on('ready', () => {
      if (this.wasReady) return;
      this.wasReady = true;
      this.logger?.info({ mode: this.topology.mode }, 'redis ready');
    });
  }

  /**
   * Connects, waiting at most `waitMs` for the first connection. When Redis is not there yet
   * the connection keeps trying in the background and commands fail with StoreUnavailableError
   * until it is, so a gateway can start (and pass unprotected traffic) while Redis is down.
   */
  async connect(waitMs: number): Promise<void> {
    const connected = this.client.connect().then(
      () => true,
      (error: unknown) => {
        this.logger?.warn({ error: (error as Error).message }, 'redis connect stopped');
        return false;
      },
    );
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), waitMs);
    });
    const ok = await Promise.race([connected, timeout]);
    clearTimeout(timer);
    if (ok && !this.wasReady) {
      this.wasReady = true;
      this.logger?.info({ mode: this.topology.mode }, 'redis ready');
    } else if (!ok) this.logger?.warn('redis not reachable at start; commands fail until it is');
  }

  get isReady(): boolean {
    return this.client.isReady;
  }

  /** A new deadline of one store call. */
  deadline(): Deadline {
    return new Deadline(this.callTimeoutMs);
  }

  /**
   * Runs one store call under one deadline: `call` gets the Deadline for its commands, and the
   * whole call rejects with StoreUnavailableError when the deadline passes first.
   * @example await connection.within((d) => connection.send(['PING'], { deadline: d }))
   */
  async within<T>(call: (deadline: Deadline) => Promise<T>): Promise<T> {
    const deadline = this.deadline();
    try {
      return await deadline.race(call(deadline));
    } finally {
      deadline.end();
    }
  }

  /**
   * Sends one command; maps connection failures to StoreUnavailableError. Without a deadline
   * (callers outside the store's methods) the command gets one of its own.
   */
  async send<T>(args: RedisArgument[], options: { buffers?: boolean; deadline?: Deadline } = {}): Promise<T> {
    if (!options.deadline) return this.within((deadline) => this.send<T>(args, { buffers: options.buffers, deadline }));
    const deadline = options.deadline;
    if (!this.client.isReady) throw new StoreUnavailableError('redis is not connected');
    const reply = this.client.sendCommand(args, {
      abortSignal: deadline.signal,
      ...(options.buffers ? { typeMapping: { [RESP_TYPES.BLOB_STRING]: Buffer } } : {}),
    });
    try {
      return (await deadline.race(reply)) as T;
    } catch (error) {
      throw toStoreError(error, deadline);
    }
  }

  /** Runs a script through node-redis's `scripts` (EVALSHA; EVAL once on NOSCRIPT). */
  async runScript<T>(name: ScriptName, keys: string[], args: RedisArgument[], deadline?: Deadline): Promise<T> {
    if (!deadline) return this.within((d) => this.runScript<T>(name, keys, args, d));
    if (!this.client.isReady) throw new StoreUnavailableError('redis is not connected');
    const reply = this.client.runScript(name, keys, args, deadline.signal);
    try {
      return (await deadline.race(reply)) as T;
    } catch (error) {
      if (error instanceof ErrorReply && !UNAVAILABLE_REPLIES.test(error.message)) error.message = `${this.scripts[name].name}: ${error.message}`;
      throw toStoreError(error, deadline);
    }
  }

  /**
   * After a transition: when `durability.replicas` is set, WAITs until that many replicas have
   * every write of this connection so far (the script's included), or fails with
   * StoreUnavailableError. The script has run on the primary by then; the error says its change
   * may not survive the primary's loss, so the caller must not act on it (no 202, no replay).
   * `primaryBefore` is the primary that ran the script: a WAIT answered by another one (a
   * failover in between) proves nothing.
   */
  async confirmReplicated(deadline: Deadline, primaryBefore: string): Promise<void> {
    const { replicas, timeoutMs } = this.durability;
    if (replicas === 0) return;
    const acked = Number(await this.send<number>(['WAIT', String(replicas), String(timeoutMs)], { deadline }));
    if (this.client.primaryIdentity() !== primaryBefore) {
      throw new StoreUnavailableError('redis primary changed before the change was confirmed on its replicas');
    }
    if (!(acked >= replicas)) {
      throw new StoreUnavailableError(`redis change confirmed by ${acked} of ${replicas} replica(s) within ${timeoutMs} ms; it may not survive the loss of the primary`);
    }
  }

  /** The primary that runs commands now (see StoreClient.primaryIdentity). */
  primaryIdentity(): string {
    return this.client.primaryIdentity();
  }

  /** Loads every script, so the first transitions need no NOSCRIPT round trip. */
  async loadScripts(scripts: LuaScript[]): Promise<void> {
    await this.within(async (deadline) => {
      // On a Cluster, SCRIPT LOAD goes to the deployment's primary, the only node that runs them.
      for (const script of scripts) await this.send(['SCRIPT', 'LOAD', script.source], { deadline });
    });
  }

  async close(): Promise<void> {
    if (this.client.isReady) {
      try {
        await this.client.close();
        return;
      } catch {
        // fall through: the socket is gone anyway
      }
    }
    try {
      this.client.destroy();
    } catch {
      // never connected, or already closed
    }
  }
}

function toStoreError(error: unknown, deadline: Deadline): unknown {
  if (error instanceof StoreUnavailableError) return error;
  if (error instanceof ErrorReply) {
    return UNAVAILABLE_REPLIES.test(error.message) ? new StoreUnavailableError(`redis is not serving: ${error.message}`, { cause: error }) : error;
  }
  // node-redis dropped a queued command because the call's deadline passed.
  if (deadline.passed) return deadline.error();
  // Anything that is not Redis answering is the connection: offline, closed, timed out.
  const message = error instanceof Error ? error.message : String(error);
  return new StoreUnavailableError(`redis unavailable: ${message}`, { cause: error });
}
