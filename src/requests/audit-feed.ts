/**
 * The audit stream as it grows: one blocking reader per process (XREAD BLOCK on its own Redis
 * connection, since a blocked connection can carry nothing else) fans each new event out to
 * every listener. It runs only while someone listens: the first listener starts it at the
 * stream's end (`$`), the last one to leave stops it. After a lost connection it goes on from
 * the last entry it read, so listeners miss nothing the stream still holds.
 */
import type { Logger } from 'pino';
import { decodeAuditEntry } from './audit-stream';
import type { AuditEvent } from './types';

/** The Redis client the feed blocks on: a duplicate of the store's (node-redis `duplicate()`). */
export interface BlockingClient {
  connect(): Promise<unknown>;
  sendCommand(args: string[]): Promise<unknown>;
  destroy(): void;
  on(event: 'error', listener: (error: Error) => void): unknown;
}

export type AuditListener = (event: AuditEvent) => void;

export interface AuditWatch {
  /** Resolves when every event appended from then on will reach the listener. */
  ready: Promise<void>;
  stop(): void;
}

/** How long one XREAD blocks; a stop waits at most this long for the reader to notice. */
const BLOCK_MS = 5000;
/** Entries one XREAD returns at most; a burst is read in several rounds. */
const READ_COUNT = 100;
/** Wait before reading again after a failed read (Redis down, connection lost). */
const RETRY_MS = 1000;

type XReadReply = [key: string, entries: [id: string, fields: string[]][]][] | Record<string, [id: string, fields: string[]][]> | null;

/** XREAD's reply in RESP2 (`[[key, entries]]`) or RESP3 (`{ key: entries }`), as entries. */
function entriesOf(reply: XReadReply): [string, string[]][] {
  if (!reply) return [];
  if (Array.isArray(reply)) return reply.flatMap(([, entries]) => entries ?? []);
  return Object.values(reply).flat();
}

export class AuditFeed {
  private readonly listeners = new Set<AuditListener>();
  private client: BlockingClient | null = null;
  private running: Promise<void> | null = null;
  private lastId = '$';
  /** Resolves once the reader knows where the stream ends: from then on no event is missed. */
  private pinned: Promise<void> = Promise.resolve();
  private pin: () => void = () => {};

  constructor(
    private readonly newClient: () => BlockingClient,
    private readonly streamKey: string,
    private readonly logger?: Logger,
  ) {}

  /**
   * Calls `listener` with every audit event appended once `ready` resolves; `stop` ends it.
   * @example const watch = feed.listen((event) => console.log(event.requestId, event.action)); await watch.ready; … watch.stop();
   */
  listen(listener: AuditListener): AuditWatch {
    this.listeners.add(listener);
    if (!this.running) this.running = this.run();
    return {
      ready: this.pinned,
      stop: () => {
        this.listeners.delete(listener);
        if (this.listeners.size === 0) this.stopReading();
      },
    };
  }

  /** Stops reading and forgets every listener. */
  async close(): Promise<void> {
    this.listeners.clear();
    const running = this.running;
    this.stopReading();
    await running;
  }

  private stopReading(): void {
    // Destroying the socket ends a blocked XREAD at once, rather than after BLOCK_MS.
    this.client?.destroy();
    this.client = null;
  }

  private async run(): Promise<void> {
    this.pinned = new Promise((resolve) => (this.pin = resolve));
    try {
      while (this.listeners.size > 0) {
        const client = this.client ?? (await this.connect());
        if (!client) {
          await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
          continue;
        }
        let reply: XReadReply;
        try {
          reply = (await client.sendCommand(['XREAD', 'COUNT', String(READ_COUNT), 'BLOCK', String(BLOCK_MS), 'STREAMS', this.streamKey, this.lastId])) as XReadReply;
        } catch (error) {
          if (this.listeners.size === 0) break;
          this.logger?.warn({ error: (error as Error).message }, 'audit feed: read failed; reading again');
          client.destroy();
          if (this.client === client) this.client = null;
          await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
          continue;
        }
        for (const [id, fields] of entriesOf(reply)) {
          this.lastId = id;
          const event = decodeAuditEntry(id, fields);
          if (!event) continue;
          for (const listener of this.listeners) {
            try {
              listener(event);
            } catch (error) {
              this.logger?.error({ error: (error as Error).message }, 'audit feed: a listener failed');
            }
          }
        }
      }
    } finally {
      this.pin();
      this.stopReading();
      this.running = null;
      // Nobody listens: the next listener starts at the stream's end again.
      this.lastId = '$';
      if (this.listeners.size > 0) this.running = this.run();
    }
  }

  private async connect(): Promise<BlockingClient | null> {
    const client = this.newClient();
    client.on('error', () => {
      // Reported by the failed read; without a listener node-redis would throw at the process.
    });
    try {
      await client.connect();
      this.client = client;
      if (this.lastId === '$') {
        // Pin the start to the stream's current end, so a reconnect cannot skip what arrives meanwhile.
        const last = (await client.sendCommand(['XREVRANGE', this.streamKey, '+', '-', 'COUNT', '1'])) as [string, string[]][];
        this.lastId = last[0]?.[0] ?? '0-0';
      }
      this.pin();
      return client;
    } catch (error) {
      this.logger?.warn({ error: (error as Error).message }, 'audit feed: cannot connect to redis; trying again');
      client.destroy();
      return null;
    }
  }
}
