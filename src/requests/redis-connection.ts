/**
 * The store's one Redis connection. Commands fail fast with StoreUnavailableError while
 * Redis is down or not ready (no offline queue: a parked call must be refused, not held),
 * and the client reconnects by itself in the background.
 */
import { createClient, ErrorReply, RESP_TYPES, type RedisArgument } from 'redis';
import type { Logger } from 'pino';
import { StoreUnavailableError } from './errors';
import type { LuaScript } from './scripts';

/** Redis error replies that mean "not serving right now", not "your command is wrong". */
const UNAVAILABLE_REPLIES = /^(LOADING|BUSY|MASTERDOWN|READONLY|CLUSTERDOWN|TRYAGAIN|NOREPLICAS)\b/;

export interface RedisConnectionOptions {
  url: string;
  logger?: Logger;
  /** Per-command timeout; a command that takes longer fails with StoreUnavailableError. */
  commandTimeoutMs?: number;
}

/** Backoff between reconnect attempts: quick at first, at most 2 s, with jitter so gateways do not reconnect in step. */
export function reconnectDelay(retries: number): number {
  return Math.min(50 * 2 ** retries, 2000) + Math.floor(Math.random() * 50);
}

export class RedisConnection {
  readonly client;
  private readonly logger?: Logger;
  private wasReady = false;
  private readonly timeoutMs: number;

  constructor(options: RedisConnectionOptions) {
    this.logger = options.logger;
    this.timeoutMs = options.commandTimeoutMs ?? 2000;
    this.client = createClient({
      url: options.url,
      disableOfflineQueue: true,
      socket: { reconnectStrategy: reconnectDelay, connectTimeout: 2000 },
      commandOptions: { timeout: this.timeoutMs },
    });
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

  /** Sends one command; maps connection failures to StoreUnavailableError. */
  async send<T>(args: RedisArgument[], options: { buffers?: boolean } = {}): Promise<T> {
    if (!this.client.isReady) throw new StoreUnavailableError('redis is not connected');
    const reply = options.buffers
      ? this.client.sendCommand(args, { typeMapping: { [RESP_TYPES.BLOB_STRING]: Buffer } })
      : this.client.sendCommand(args);
    // node-redis times out only commands not yet written; a written command waits for its
    // reply forever. Our own deadline keeps a hung Redis from hanging the gateway. A reply
    // that comes later is dropped; for a transition that means its outcome is unknown to the
    // caller, which the claim lease already covers for complete.
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new StoreUnavailableError(`redis did not answer within ${this.timeoutMs} ms`)), this.timeoutMs);
    });
    reply.catch(() => undefined);
    try {
      return (await Promise.race([reply, deadline])) as T;
    } catch (error) {
      throw error instanceof StoreUnavailableError ? error : toStoreError(error);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Runs a script with EVALSHA; on NOSCRIPT (a restarted or flushed Redis) loads it and runs it again. */
  async runScript<T>(script: LuaScript, keys: string[], args: RedisArgument[]): Promise<T> {
    if (keys.length !== script.numberOfKeys) throw new Error(`${script.name}: expects ${script.numberOfKeys} keys, got ${keys.length}`);
    const call: RedisArgument[] = ['EVALSHA', script.sha1, String(keys.length), ...keys, ...args];
    try {
      return await this.send<T>(call);
    } catch (error) {
      if (!(error instanceof ErrorReply) || !error.message.startsWith('NOSCRIPT')) {
        if (error instanceof ErrorReply) error.message = `${script.name}: ${error.message}`;
        throw error;
      }
    }
    const sha1 = await this.send<string>(['SCRIPT', 'LOAD', script.source]);
    if (sha1 !== script.sha1) throw new Error(`${script.name}: redis computed sha1 ${sha1}, expected ${script.sha1}`);
    return this.send<T>(call);
  }

  /** Loads every script, so the first transitions need no NOSCRIPT round trip. */
  async loadScripts(scripts: LuaScript[]): Promise<void> {
    for (const script of scripts) await this.send(['SCRIPT', 'LOAD', script.source]);
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

function toStoreError(error: unknown): unknown {
  if (error instanceof ErrorReply) {
    return UNAVAILABLE_REPLIES.test(error.message) ? new StoreUnavailableError(`redis is not serving: ${error.message}`, { cause: error }) : error;
  }
  // Anything that is not Redis answering is the connection: offline, closed, timed out.
  const message = error instanceof Error ? error.message : String(error);
  return new StoreUnavailableError(`redis unavailable: ${message}`, { cause: error });
}
