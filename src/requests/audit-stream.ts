/**
 * Reading the audit stream. The request scripts (src/requests/scripts/*.lua, include
 * record-transition) append one entry per transition in the same atomic step as the change;
 * this module only reads. Entry ids are `<ms>-<seq>` with ms at or after the event's `at`,
 * so a `since` query starts at that id and then checks `at` itself.
 */
import { CHAIN_VERSION } from './audit-chain';
import type { AuditEvent, HistoryEntry, RequestStatus } from './types';
import { StoreInputError } from './errors';

/** The one thing the reader needs from a Redis connection. */
export interface CommandSender {
  send<T>(args: string[]): Promise<T>;
}

export interface AuditQuery {
  /** Only this request's events. */
  requestId?: string;
  /** ISO-8601; events at or after it. */
  since?: string;
  /** 1..1000, default 100. */
  limit?: number;
  /** `asc` (default): oldest first from `since`; `desc`: newest first, back to `since`. */
  order?: 'asc' | 'desc';
}

export const AUDIT_LIMIT = { default: 100, max: 1000 } as const;

/** How many entries one XRANGE reads while filtering by request id. */
const SCAN_BATCH = 500;

type StreamEntry = [id: string, fields: string[]];

/** One stream entry as an AuditEvent; null when it is not one (foreign writer). */
export function decodeAuditEntry(id: string, fields: string[]): AuditEvent | null {
  const f: Record<string, string> = {};
  for (let i = 0; i + 1 < fields.length; i += 2) f[String(fields[i])] = String(fields[i + 1]);
  if (!f.at || !f.requestId || !f.action || !f.to) return null;
  const event: AuditEvent = {
    id,
    at: f.at,
    requestId: f.requestId,
    actor: f.actor ?? '',
    action: f.action as HistoryEntry['action'],
    from: f.from ? (f.from as RequestStatus) : null,
    to: f.to as RequestStatus,
  };
  if (f.notesSha256) event.notesSha256 = f.notesSha256;
  if (f.resend === '1') event.resend = true;
  if (f.requestSha256) event.requestSha256 = f.requestSha256;
  // The chain fields as stored; src/requests/audit-chain.ts checks them.
  if (f.seq !== undefined) event.seq = Number(f.seq);
  if (f.prevHash !== undefined) event.prevHash = f.prevHash;
  if (f.hash !== undefined) event.hash = f.hash;
  if (f.chainVersion === String(CHAIN_VERSION)) event.chainVersion = CHAIN_VERSION;
  return event;
}

/** Parses and bounds a query; throws StoreInputError. */
export function checkAuditQuery(query: AuditQuery): { requestId?: string; sinceMs?: number; limit: number; order: 'asc' | 'desc' } {
  const order = query.order ?? 'asc';
  if (order !== 'asc' && order !== 'desc') throw new StoreInputError('order must be asc or desc');
  const limit = query.limit ?? AUDIT_LIMIT.default;
  if (!Number.isInteger(limit) || limit < 1 || limit > AUDIT_LIMIT.max) throw new StoreInputError(`limit must be an integer from 1 to ${AUDIT_LIMIT.max}`);
  let sinceMs: number | undefined;
  if (query.since !== undefined) {
    sinceMs = Date.parse(query.since);
    if (typeof query.since !== 'string' || query.since.length > 64 || !Number.isFinite(sinceMs)) throw new StoreInputError('since must be an ISO-8601 time');
  }
  if (query.requestId !== undefined && (typeof query.requestId !== 'string' || query.requestId.length === 0 || query.requestId.length > 128)) {
    throw new StoreInputError('requestId is not valid');
  }
  return { requestId: query.requestId, sinceMs, limit, order };
}

/**
 * Reads events, all or one request's, from `since` on: oldest first, or newest first with
 * `order: 'desc'` (XREVRANGE from the end back to `since`).
 * @example
 * await readAudit(connection, 'maa:{default}:audit', { requestId: id, limit: 50 })
 * await readAudit(connection, 'maa:{default}:audit', { order: 'desc', limit: 100 }) // the latest 100
 */
export async function readAudit(connection: CommandSender, streamKey: string, query: AuditQuery): Promise<AuditEvent[]> {
  const { requestId, sinceMs, limit, order } = checkAuditQuery(query);
  const out: AuditEvent[] = [];
  const oldest = sinceMs === undefined ? '-' : String(Math.max(0, sinceMs));
  // The moving end of the range: the start going forward, the end going back.
  let cursor = order === 'asc' ? oldest : '+';
  for (;;) {
    const batch = requestId ? SCAN_BATCH : limit - out.length;
    const command = order === 'asc' ? ['XRANGE', streamKey, cursor, '+'] : ['XREVRANGE', streamKey, cursor, oldest];
    const entries = await connection.send<StreamEntry[]>([...command, 'COUNT', String(batch)]);
    for (const [id, fields] of entries) {
      const event = decodeAuditEntry(id, fields);
      if (!event) continue;
      if (requestId && event.requestId !== requestId) continue;
      if (sinceMs !== undefined && Date.parse(event.at) < sinceMs) continue;
      out.push(event);
      if (out.length === limit) return out;
    }
    const last = entries[entries.length - 1];
    if (!last || entries.length < batch) return out;
    cursor = `(${last[0]}`;
  }
}
