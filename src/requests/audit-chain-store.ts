/**
 * The audit chain in Redis: its head and checkpoint, the export of the stream page by page (for a
 * SIEM and for `countersign audit verify`), a verification of the stored chain, and retention's
 * trim (script trim-audit-2, after verifying what it removes). The chain itself is defined in
 * audit-chain.ts; the transitions' scripts write it.
 */
import type { Logger } from 'pino';
import { ChainWalk, type BrokenLink, type ChainPoint } from './audit-chain';
import { decodeAuditEntry } from './audit-stream';
import type { RedisConnection } from './redis-connection';
import type { RequestKeys } from './keys';
import type { AuditEvent } from './types';
import { StoreInputError } from './errors';

/** Where the stream was trimmed: the last trimmed chained event, and how many events were trimmed in all. */
export type AuditCheckpoint = ChainPoint & { trimmedAt?: string; trimmed: number };

export interface AuditChainState {
  /** The last event of the chain; null before the first. */
  head: ChainPoint | null;
  /** Null while nothing was trimmed. */
  checkpoint: AuditCheckpoint | null;
}

export interface AuditVerification {
  ok: boolean;
  /** Chained events verified. */
  events: number;
  /** Events before the chain's first, written before the chain existed (not verifiable). */
  legacy: number;
  /** Where verification started: the checkpoint, or null for the chain's beginning. */
  from: AuditCheckpoint | null;
  head: ChainPoint | null;
  broken?: BrokenLink;
}

/** A cursor of the export is the stream id of the last event returned. */
export const AUDIT_CURSOR = /^[0-9]{1,20}-[0-9]{1,20}$/;
/** Stream entries read per command while verifying, trimming or building evidence. */
export const CHAIN_BATCH = 1000;

type StreamEntry = [id: string, fields: string[]];

function point(fields: Record<string, string>): ChainPoint | null {
  if (!fields.seq || !fields.hash) return null;
  return { seq: Number(fields.seq), hash: fields.hash, ...(fields.id ? { id: fields.id } : {}), ...(fields.at ? { at: fields.at } : {}) };
}

function record(reply: unknown): Record<string, string> {
  if (Array.isArray(reply)) {
    const out: Record<string, string> = {};
    for (let i = 0; i + 1 < reply.length; i += 2) out[String(reply[i])] = String(reply[i + 1]);
    return out;
  }
  return (reply ?? {}) as Record<string, string>;
}

export async function readChainState(connection: RedisConnection, keys: RequestKeys): Promise<AuditChainState> {
  return connection.within(async (deadline) => {
    const [head, checkpoint] = await Promise.all([
      connection.send<unknown>(['HGETALL', keys.auditHead], { deadline }),
      connection.send<unknown>(['HGETALL', keys.auditCheckpoint], { deadline }),
    ]);
    const c = record(checkpoint);
    const at = point(c);
    return {
      head: point(record(head)),
      checkpoint: at || c.trimmed ? { ...(at ?? { seq: 0, hash: '' }), ...(c.trimmedAt ? { trimmedAt: c.trimmedAt } : {}), trimmed: Number(c.trimmed ?? 0) } : null,
    };
  });
}

/** A checkpoint that only counts trimmed pre-chain events is not a point of the chain. */
function startOf(checkpoint: AuditCheckpoint | null): ChainPoint | null {
  return checkpoint && checkpoint.hash ? checkpoint : null;
}

/**
 * One page of the stream after `after` (a stream id; the beginning when absent), oldest first,
 * every event with its chain fields: what the NDJSON export sends.
 */
export async function exportAudit(connection: RedisConnection, keys: RequestKeys, query: { after?: string; limit: number }): Promise<{ items: AuditEvent[]; cursor?: string }> {
  if (query.after !== undefined && !AUDIT_CURSOR.test(query.after)) throw new StoreInputError('cursor must be a stream id such as 1733400000000-0');
  const start = query.after === undefined ? '-' : `(${query.after}`;
  const entries = await connection.within((deadline) =>
    connection.send<StreamEntry[]>(['XRANGE', keys.audit, start, '+', 'COUNT', String(query.limit)], { deadline }),
  );
  const items: AuditEvent[] = [];
  for (const [id, fields] of entries) {
    const event = decodeAuditEntry(id, fields);
    // An entry that is not an event at all still has its place in the chain: shown as it is stored.
    items.push(event ?? ({ id, ...record(fields) } as unknown as AuditEvent));
  }
  const last = entries[entries.length - 1];
  return last ? { items, cursor: last[0] } : { items, ...(query.after ? { cursor: query.after } : {}) };
}

/**
 * Walks the whole stored chain from the checkpoint to the head, recomputing every hash; stops at
 * the first broken link. Each batch is its own store call, so a long stream is not cut short.
 */
export async function verifyStoredChain(connection: RedisConnection, keys: RequestKeys): Promise<AuditVerification> {
  const { head, checkpoint } = await readChainState(connection, keys);
  const walk = new ChainWalk(startOf(checkpoint));
  let cursor = '-';
  for (;;) {
    const entries = await connection.within((deadline) =>
      connection.send<StreamEntry[]>(['XRANGE', keys.audit, cursor, '+', 'COUNT', String(CHAIN_BATCH)], { deadline }),
    );
    for (const [id, fields] of entries) if (!walk.addEntry(id, fields)) break;
    const last = entries[entries.length - 1];
    if (walk.broken || !last || entries.length < CHAIN_BATCH) break;
    cursor = `(${last[0]}`;
  }
  walk.finish(head);
  return { ok: !walk.broken, events: walk.events, legacy: walk.legacy, from: checkpoint, head, ...(walk.broken ? { broken: walk.broken } : {}) };
}

/**
 * Retention: removes the events older than `cutoffMs`, a batch at a time, each batch verified
 * from the checkpoint first; the checkpoint then moves to the batch's last event. A batch that does
 * not verify is not trimmed (its break stays for `countersign audit verify` to show) and is logged.
 */
export async function trimAudit(
  connection: RedisConnection,
  keys: RequestKeys,
  cutoffMs: number,
  nowIso: string,
  logger?: Logger,
): Promise<{ trimmed: number; refused?: string }> {
  let trimmed = 0;
  for (;;) {
    const batch = await connection.within(async (deadline) => {
      const entries = await connection.send<StreamEntry[]>(['XRANGE', keys.audit, '-', `(${Math.max(0, Math.floor(cutoffMs))}-0`, 'COUNT', String(CHAIN_BATCH)], { deadline });
      if (entries.length === 0) return { done: true, count: 0 };
      const checkpoint = point(record(await connection.send<unknown>(['HGETALL', keys.auditCheckpoint], { deadline })));
      const walk = new ChainWalk(checkpoint);
      for (const [id, fields] of entries) if (!walk.addEntry(id, fields)) break;
      if (walk.broken) return { done: true, count: 0, refused: `${walk.broken.id}: ${walk.broken.reason}` };
      const lastHash = walk.events > 0 ? walk.last!.hash : '';
      const reply = await connection.runScript<[number, unknown]>(
        'trimAudit',
        [keys.audit, keys.auditCheckpoint],
        [entries[0]![0], entries[entries.length - 1]![0], String(entries.length), lastHash, nowIso],
        deadline,
      );
      if (Number(reply[0]) !== 1) return { done: true, count: 0, refused: String(reply[1]) };
      return { done: entries.length < CHAIN_BATCH, count: Number(reply[1]) };
    });
    trimmed += batch.count;
    if (batch.refused) {
      logger?.error({ refused: batch.refused, trimmed }, 'audit retention: not trimming a part of the audit chain that does not verify; run countersign audit verify');
      return { trimmed, refused: batch.refused };
    }
    if (batch.done) return { trimmed };
  }
}
