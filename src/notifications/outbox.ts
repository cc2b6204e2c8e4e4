/**
 * The notification outbox in Redis: a stream (`maa:{d}:outbox`) that every transition script
 * appends to (src/requests/scripts/includes/record-transition.lua), read by one consumer group.
 *
 * Delivery is at least once. A dispatcher takes new entries with XREADGROUP (they become pending,
 * owned by it), keeps each channel's progress (attempts, next try, outcome) in a hash, and settles
 * entries with one script per page (settle-notifications-3: XACK + XDEL + dead letters) once every
 * channel has them or gave them up. An entry whose dispatcher stopped or died stays pending; after
 * `claimIdleMs` another dispatcher (or the same one, restarted) takes it over with XAUTOCLAIM and
 * carries on from the stored progress. So an event is never lost between its transition and its
 * delivery, whatever stops when; what can happen is a delivery sent again after a crash between
 * the receiver's answer and the settle (receivers dedupe on the `webhook-id`).
 *
 * This module has its own Redis connection (RedisConnection, the store's kind: fail fast, bounded
 * calls), so a dispatcher's polling never queues behind the request path's commands.
 */
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { ErrorReply } from 'redis';
import { requestKeys, type RequestKeys } from '../requests/keys';
import { RedisConnection } from '../requests/redis-connection';
import type { RedisTopology } from '../requests/redis-topology';
import type { OutboxEntry } from './events';

/** The consumer group every dispatcher of a deployment reads with. */
export const OUTBOX_GROUP = 'notifications';
/** Who the outbox names as the actor of an expiry warning. */
export const EXPIRY_WARNING_ACTOR = 'countersign:notifications';
/** Entries read, claimed, scanned or settled per command. */
export const OUTBOX_PAGE = 100;

/** One channel's progress with one event, as the progress hash keeps it. */
export interface ChannelProgress {
  attempts: number;
  /** ms since epoch: not tried again before. */
  nextMs?: number;
  /** delivered; dead (given up: a dead letter); skipped (the channel does not want this event, or it has no recipient). */
  state?: 'delivered' | 'dead' | 'skipped';
  lastError?: string;
}

export type EventProgress = Record<string, ChannelProgress>;

/** What one round of attempts did with one event, as settle() records it. */
export interface Settlement {
  id: string;
  progress: EventProgress;
  /** Every channel delivered it, gave it up or skipped it: acknowledge and delete it. */
  settled: boolean;
  /** Deliveries given up in this round. */
  deadLetters: DeadLetter[];
}

/** A delivery given up after its last try: what the dead-letter list holds, one JSON line each. */
export interface DeadLetter {
  eventId: string;
  channel: string;
  requestId: string;
  event: string;
  attempts: number;
  lastError: string;
  /** The event's time and the time it was given up, ISO-8601. */
  at: string;
  deadAt: string;
}

/** The backlog, for /readyz and the metrics. */
export interface OutboxStatus {
  /** Events not yet delivered to every channel (read or not). */
  undelivered: number;
  /** Of those, taken by a dispatcher and waiting for a retry or in delivery. */
  pending: number;
  /** Deliveries given up, waiting for an operator. */
  deadLetters: number;
  /** Age of the oldest undelivered event; null when there is none. */
  oldestAgeSeconds: number | null;
}

export interface OutboxOptions {
  url: string;
  /** Sentinel or Cluster (src/requests/redis-topology.ts); without it, the single Redis at `url`. */
  topology?: RedisTopology;
  deployment?: string;
  logger?: Logger;
}

type StreamEntry = [id: string, fields: string[] | null];

/** A stream entry's fields as an OutboxEntry; null for an entry that is not one. */
export function decodeOutboxEntry(id: string, fields: string[] | null): OutboxEntry | null {
  if (!fields) return null;
  const f: Record<string, string> = {};
  for (let i = 0; i + 1 < fields.length; i += 2) f[String(fields[i])] = String(fields[i + 1]);
  if (!f.requestId || !f.event || !f.to) return null;
  const entry: OutboxEntry = { id, requestId: f.requestId, event: f.event, actor: f.actor ?? '', from: f.from ? f.from : null, to: f.to, at: f.at ?? '' };
  if (f.auditId) entry.auditId = f.auditId;
  if (f.expiresMs && /^\d+$/.test(f.expiresMs)) entry.expiresMs = Number(f.expiresMs);
  return entry;
}

export class Outbox {
  readonly keys: RequestKeys;
  /** This process's consumer name in the group: a restarted process is a new consumer, and takes its old entries over once idle. */
  readonly consumer = `${hostname().slice(0, 64)}-${process.pid}-${randomBytes(4).toString('hex')}`;
  private groupReady = false;

  constructor(
    readonly connection: RedisConnection,
    deployment: string,
    private readonly logger?: Logger,
  ) {
    this.keys = requestKeys(deployment);
  }

  /** Creates the consumer group (and the stream) once; from id 0, so events written before it are delivered too. */
  async ensureGroup(): Promise<void> {
    if (this.groupReady) return;
    try {
      await this.connection.send(['XGROUP', 'CREATE', this.keys.outbox, OUTBOX_GROUP, '0', 'MKSTREAM']);
    } catch (error) {
      if (!(error instanceof ErrorReply && error.message.startsWith('BUSYGROUP'))) throw error;
    }
    this.groupReady = true;
  }

  /**
   * Runs a group command; when Redis lost the group (a restart without persistence, a flush),
   * creates it again once and retries, rather than failing every poll.
   */
  private async withGroup<T>(command: () => Promise<T>): Promise<T> {
    await this.ensureGroup();
    try {
      return await command();
    } catch (error) {
      if (!(error instanceof ErrorReply && error.message.startsWith('NOGROUP'))) throw error;
      this.logger?.warn('notification outbox group was missing (redis restarted or flushed); creating it again');
      this.groupReady = false;
      await this.ensureGroup();
      return command();
    }
  }

  private async readGroup(from: string): Promise<OutboxEntry[]> {
    const reply = await this.withGroup(() =>
      this.connection.send<Array<[string, StreamEntry[]]> | Record<string, StreamEntry[]> | null>(['XREADGROUP', 'GROUP', OUTBOX_GROUP, this.consumer, 'COUNT', String(OUTBOX_PAGE), 'STREAMS', this.keys.outbox, from]),
    );
    // RESP2 answers [[stream, entries]]; node-redis over RESP3 gives a map of stream -> entries.
    const entries = (Array.isArray(reply) ? reply[0]?.[1] : reply ? Object.values(reply)[0] : undefined) ?? [];
    return entries.map(([id, fields]) => decodeOutboxEntry(id, fields) ?? { id, requestId: '', event: '', actor: '', from: null, to: '', at: '' });
  }

  /** Entries never read by any dispatcher; they become this consumer's pending ones. */
  readNew(): Promise<OutboxEntry[]> {
    return this.readGroup('>');
  }

  /** This consumer's own pending entries after `afterId` (its retries), oldest first. */
  readOwnPending(afterId = '0'): Promise<OutboxEntry[]> {
    return this.readGroup(afterId);
  }

  /** Takes over entries another consumer (a stopped or dead dispatcher) has left idle for `minIdleMs`. */
  async claimIdle(minIdleMs: number): Promise<OutboxEntry[]> {
    const out: OutboxEntry[] = [];
    let cursor = '0-0';
    // XAUTOCLAIM pages through the whole pending list; a few pages per tick are plenty.
    for (let page = 0; page < 10; page++) {
      const reply = await this.withGroup(() =>
        this.connection.send<[string, StreamEntry[], string[]?]>(['XAUTOCLAIM', this.keys.outbox, OUTBOX_GROUP, this.consumer, String(minIdleMs), cursor, 'COUNT', String(OUTBOX_PAGE)]),
      );
      for (const [id, fields] of reply[1] ?? []) {
        const entry = decodeOutboxEntry(id, fields);
        if (entry) out.push(entry);
      }
      cursor = reply[0];
      if (cursor === '0-0') break;
    }
    return out;
  }

  /** The stored progress of these entries (absent: no attempt yet). */
  async progress(ids: string[]): Promise<Map<string, EventProgress>> {
    const map = new Map<string, EventProgress>();
    if (ids.length === 0) return map;
    const values = await this.connection.send<Array<string | null>>(['HMGET', this.keys.outboxProgress, ...ids]);
    ids.forEach((id, i) => {
      const text = values[i];
      if (!text) return;
      try {
        map.set(id, JSON.parse(text) as EventProgress);
      } catch {
        // A progress line this version cannot read: start over (at least once, never lost).
      }
    });
    return map;
  }

  /**
   * Records rounds of attempts, one script for the lot (settle-notifications-3): per event its
   * progress, dead letters, and when `settled`, the acknowledgement. Returns, per settlement, false
   * when that entry was settled by someone else meanwhile.
   */
  async settle(settlements: Settlement[]): Promise<boolean[]> {
    if (settlements.length === 0) return [];
    const args = [OUTBOX_GROUP];
    for (const s of settlements) args.push(s.id, JSON.stringify(s.progress), s.settled ? '1' : '0', String(s.deadLetters.length), ...s.deadLetters.map((d) => JSON.stringify(d)));
    const reply = await this.connection.runScript<number[]>('settleNotifications', [this.keys.outbox, this.keys.outboxProgress, this.keys.outboxDeadLetters], args);
    return reply.map((code) => Number(code) === 1);
  }

  /**
   * Queues the "expires soon" event of every open request due within `withinMs` (warn-expiring-2
   * marks each, so a request is warned once per open status whoever runs this). Returns how many
   * were warned now.
   */
  async warnExpiring(now: Date, retention: { openMs: number; approvedMs: number }, withinMs: number): Promise<number> {
    const nowMs = now.getTime();
    const k = this.keys;
    // Due within the window and not yet past due: statusChangedMs + retention in (now, now + within].
    const ranges: Array<[string, number, number]> = [
      [k.statusSince('needsApproval'), nowMs - retention.openMs, nowMs + withinMs - retention.openMs],
      [k.statusSince('approved'), nowMs - retention.approvedMs, nowMs + withinMs - retention.approvedMs],
      // Requests whose access policy sets its own expiry, scored by when they are due.
      [k.expiry, nowMs, nowMs + withinMs],
    ];
    const ids = new Set<string>();
    for (const [key, min, max] of ranges) {
      for (let offset = 0; ; offset += OUTBOX_PAGE) {
        const page = await this.connection.send<string[]>(['ZRANGE', key, `(${min}`, String(max), 'BYSCORE', 'LIMIT', String(offset), String(OUTBOX_PAGE)]);
        for (const id of page) ids.add(id);
        if (page.length < OUTBOX_PAGE) break;
      }
    }
    let warned = 0;
    for (const id of ids) {
      const reply = await this.connection.runScript<[number, unknown]>(
        'warnExpiring',
        [k.request(id), k.outbox],
        [id, String(nowMs), now.toISOString(), String(retention.openMs), String(retention.approvedMs), String(withinMs), EXPIRY_WARNING_ACTOR],
      );
      if (Number(reply[0]) === 1) warned++;
    }
    return warned;
  }

  /** The backlog: undelivered, pending, dead letters, the oldest event's age. */
  async status(now: Date = new Date()): Promise<OutboxStatus> {
    return this.connection.within(async (deadline) => {
      const [length, oldest, dead] = await Promise.all([
        this.connection.send<number>(['XLEN', this.keys.outbox], { deadline }),
        this.connection.send<StreamEntry[]>(['XRANGE', this.keys.outbox, '-', '+', 'COUNT', '1'], { deadline }),
        this.connection.send<number>(['LLEN', this.keys.outboxDeadLetters], { deadline }),
      ]);
      let pending = 0;
      try {
        const summary = await this.connection.send<[number, ...unknown[]]>(['XPENDING', this.keys.outbox, OUTBOX_GROUP], { deadline });
        pending = Number(summary[0]) || 0;
      } catch (error) {
        // No group yet: no dispatcher has started; every event is undelivered, none pending.
        if (!(error instanceof ErrorReply && error.message.startsWith('NOGROUP'))) throw error;
      }
      const oldestId = oldest[0]?.[0];
      const oldestMs = oldestId ? Number(oldestId.split('-')[0]) : NaN;
      return {
        undelivered: Number(length),
        pending,
        deadLetters: Number(dead),
        oldestAgeSeconds: Number.isFinite(oldestMs) ? Math.max(0, Math.round((now.getTime() - oldestMs) / 1000)) : null,
      };
    });
  }

  /** The newest dead letters first, at most `limit`. */
  async deadLetters(limit = 100): Promise<DeadLetter[]> {
    const lines = await this.connection.send<string[]>(['LRANGE', this.keys.outboxDeadLetters, '0', String(Math.max(0, Math.min(limit, 1000) - 1))]);
    return lines.map((line) => JSON.parse(line) as DeadLetter);
  }

  async close(): Promise<void> {
    await this.connection.close();
  }
}

/**
 * Connects the outbox (its own Redis connection). Like the store, returns even when Redis is not
 * there yet: its calls fail until it is, and the dispatcher retries at its next poll.
 * @example
 * const outbox = await openOutbox({ url: 'redis://127.0.0.1:6379', deployment: 'default' });
 * await outbox.status(); // { undelivered: 0, pending: 0, deadLetters: 0, oldestAgeSeconds: null }
 */
export async function openOutbox(options: OutboxOptions): Promise<Outbox> {
  const deployment = options.deployment ?? 'default';
  const connection = new RedisConnection({
    ...(options.topology ? { topology: options.topology } : { url: options.url }),
    routingKey: `maa:{${deployment}}:`,
    ...(options.logger ? { logger: options.logger } : {}),
  });
  await connection.connect(2000);
  return new Outbox(connection, deployment, options.logger);
}
