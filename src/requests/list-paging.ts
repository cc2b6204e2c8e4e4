/**
 * Keyset paging over the index sorted sets (scored by updatedAt, ms). A cursor is the
 * (score, id) of the last item served; the next page holds what sorts strictly after it,
 * in (score desc, id desc) order, which is exactly ZRANGE … REV order.
 *
 * Why keyset and not offsets: when a request changes while someone pages, it moves to the
 * top. With offsets every later item would shift by one (a duplicate on the next page);
 * with a keyset cursor nothing that stayed put is repeated or skipped, and the request that
 * changed shows up at the top of the next fresh list.
 */
import type { Deadline } from './deadline';
import { StoreInputError } from './errors';
import type { RedisConnection } from './redis-connection';

export interface Position {
  score: number;
  id: string;
}

const CURSOR_VERSION = 1;

/** An opaque, URL-safe cursor. */
export function encodeCursor(position: Position): string {
  return Buffer.from(JSON.stringify({ v: CURSOR_VERSION, s: position.score, i: position.id })).toString('base64url');
}

export function decodeCursor(cursor: string): Position {
  if (typeof cursor !== 'string' || cursor.length === 0 || cursor.length > 512) throw new StoreInputError('cursor is not valid');
  try {
    const parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { v?: unknown; s?: unknown; i?: unknown };
    if (parsed.v === CURSOR_VERSION && typeof parsed.s === 'number' && Number.isFinite(parsed.s) && typeof parsed.i === 'string') {
      return { score: parsed.s, id: parsed.i };
    }
  } catch {
    // fall through to the refusal below
  }
  throw new StoreInputError('cursor is not valid');
}

/** (score desc, id desc): true when a sorts before b. Ids compare as bytes, as Redis does. */
function before(a: Position, b: Position): boolean {
  if (a.score !== b.score) return a.score > b.score;
  return Buffer.compare(Buffer.from(a.id), Buffer.from(b.id)) > 0;
}

/** WITHSCORES replies: RESP3 gives [member, score] pairs, RESP2 a flat [member, score, …] list. */
function scoredMembers(reply: unknown[]): Position[] {
  const out: Position[] = [];
  if (reply.length > 0 && Array.isArray(reply[0])) {
    for (const pair of reply as unknown[][]) out.push({ id: String(pair[0]), score: Number(pair[1]) });
  } else {
    for (let i = 0; i + 1 < reply.length; i += 2) out.push({ id: String(reply[i]), score: Number(reply[i + 1]) });
  }
  return out;
}

/** Up to `n` positions of one sorted set that sort after `after` (from the top when absent). */
export async function positionsAfter(connection: RedisConnection, key: string, after: Position | undefined, n: number, deadline?: Deadline): Promise<Position[]> {
  const out: Position[] = [];
  const max = after ? String(after.score) : '+inf';
  let offset = 0;
  // Members with the cursor's own score that sort at or before it come first in REV order;
  // skip them. Ties are rare (same millisecond), so this loop normally runs once.
  for (;;) {
    const want = n - out.length + 1;
    const reply = await connection.send<unknown[]>(['ZRANGE', key, max, '-inf', 'BYSCORE', 'REV', 'LIMIT', String(offset), String(want), 'WITHSCORES'], { deadline });
    const batch = scoredMembers(reply);
    for (const position of batch) {
      if (after && !before(after, position)) continue;
      out.push(position);
      if (out.length === n) return out;
    }
    if (batch.length < want) return out;
    offset += batch.length;
  }
}

/**
 * The first `n` positions of the union of several sorted sets (received: one per group),
 * without duplicates. The top n of a union is within the top n of each set, so n from each suffices.
 */
export async function unionPage(connection: RedisConnection, keys: string[], after: Position | undefined, n: number, deadline?: Deadline): Promise<Position[]> {
  const lists = await Promise.all(keys.map((key) => positionsAfter(connection, key, after, n, deadline)));
  const byId = new Map<string, Position>();
  for (const list of lists) for (const position of list) if (!byId.has(position.id)) byId.set(position.id, position);
  return [...byId.values()].sort((a, b) => (before(a, b) ? -1 : before(b, a) ? 1 : 0)).slice(0, n);
}
