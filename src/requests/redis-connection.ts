/**
 * The store's one Redis connection. Commands fail fast with StoreUnavailableError while
 * Redis is down or not ready (no offline queue: a parked call must be refused, not held),
 * and the client reconnects by itself in the background. Every command runs under the
 * Deadline of the store call it belongs to (src/requests/deadline.ts): the one timeout.
 */
import { createClient, ErrorReply, RESP_TYPES, type RedisArgument } from 'redis';
import type { Logger } from 'pino';
import { Deadline } from './deadline';
import { StoreUnavailableError } from './errors';
import { loadScripts, redisScripts, type LuaScript, type Scripts } from './scripts';

/** Redis error replies that mean "not serving right now", not "your command is wrong". */
const UNAVAILABLE_REPLIES = /^(LOADING|BUSY|MASTERDOWN|READONLY|CLUSTERDOWN|TRYAGAIN|NOREPLICAS|OOM)\b/;

export interface RedisConnectionOptions {
  url: string;
  logger?: Logger;
  /** The deadline of one store call (all its commands); past it the call fails with StoreUnavailableError. */
  callTimeoutMs?: number;
}

/** Backoff between reconnect attempts: quick at first, at most 2 s, with jitter so gateways do not reconnect in step. */
export function reconnectDelay(retries: number): number {
  return Math.min(50 * 2 ** retries, 2000) + Math.floor(Math.random() * 50);
}

function connect(url: string, scripts: Scripts) {
  return createClient({
    url,
    disableOfflineQueue: true,
    // No command timeout here: the store call's Deadline is the one timeout (node-redis's own
    // covers only commands not yet written, so it could never be the whole answer anyway).
    socket: { reconnectStrategy: reconnectDelay, connectTimeout: 2000 },
    scripts: redisScripts(scripts),
  });
}

export type ScriptName = keyof Scripts;

export class RedisConnection {
  readonly client: ReturnType<typeof connect>;
  readonly scripts: Scripts = loadScripts();
  private readonly logger?: Logger;
  private wasReady = false;
  readonly callTimeoutMs: number;

  constructor(options: RedisConnectionOptions) {
    this.logger = options.logger;
    this.callTimeoutMs = options.callTimeoutMs ?? 2000;
    if (!Number.isInteger(this.callTimeoutMs) || this.callTimeoutMs < 1) {
      throw new TypeError(`callTimeoutMs must be a positive integer of milliseconds, e.g. 2000; got ${String(options.callTimeoutMs)}`);
    }
    this.client = connect(options.url, this.scripts);
    // Without a listener node-redis would throw connection errors at the process. Log once
    // per outage, not once per reconnect attempt.
    this.client.on('error', (error: Error) => {
      if (this.wasReady) this.logger?.warn({ error: error.message }, 'redis connection lost; reconnecting');
      this.wasReady = false;
    });
    this.client.on('ready', () => {
      this.wasReady = true;
      this.logger?.info('redis ready');
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
    if (!ok) this.logger?.warn('redis not reachable at start; commands fail until it is');
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
    if (!options.deadline) return this.within((deadline) => this.send<T>(args, { ...options, deadline }));
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
    const reply = this.client.withAbortSignal(deadline.signal)[name](keys, args);
    try {
      return (await deadline.race(reply)) as T;
    } catch (error) {
      if (error instanceof ErrorReply && !UNAVAILABLE_REPLIES.test(error.message)) error.message = `${this.scripts[name].name}: ${error.message}`;
      throw toStoreError(error, deadline);
    }
  }

  /** Loads every script, so the first transitions need no NOSCRIPT round trip. */
  async loadScripts(scripts: LuaScript[]): Promise<void> {
    await this.within(async (deadline) => {
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
    if (this.client.isOpen) this.client.destroy();
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
