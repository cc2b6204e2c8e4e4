/**
 * The audit hash chain (docs/security.md, "Tamper-evident audit trail"): how an audit event is
 * hashed, and how a run of events is checked link by link. The transitions' scripts write the
 * chain (src/requests/scripts/includes/audit-chain.lua, the same definition in Lua); everything
 * that verifies (the store before it trims, `countersign audit verify`, `countersign evidence
 * verify` offline) uses this module, so there is one reading of it.
 *
 *   contentHash = SHA-256( ns(at) ns(requestId) ns(actor) ns(action) ns(from) ns(to)
 *                          ns(notesSha256) ns(resend) ns(requestSha256) )
 *   hash        = SHA-256( bytes(prevHash) || bytes(contentHash) ), lower-case hex
 *
 * ns(x) is a netstring of x's UTF-8 bytes (`<length>:<bytes>,`); a field the event does not have
 * is ''; `from` of a create is '', `resend` is '1' or ''. The first event's prevHash is 64 zeros.
 *
 * That is the formula of events with `chainVersion: 2`, every event written since 2026-12-06. An
 * event without chainVersion (version 1) has ns(seq) first in its contentHash. Version 2 leaves seq
 * out so that the gateway can hash a create's content before the script runs (it knows every field
 * but the place in the chain), and Redis's Lua only links it; seq is still checked, by the walk
 * (one more than the last) and by the links themselves (an event moved breaks its prevHash).
 */
import { hash } from 'node:crypto';
import type { AuditEvent } from './types';

/** The prevHash of the first event of a chain. */
export const GENESIS_HASH = '0'.repeat(64);
/** The formula every new event is written with (the header says what changed from 1). */
export const CHAIN_VERSION = 2 as const;

const HEX64 = /^[0-9a-f]{64}$/;
const SEQ = /^[1-9][0-9]{0,14}$/;
/** Every field an audit event may have; one more (or one twice) is an edit. */
const CHAIN_FIELDS = new Set(['at', 'requestId', 'actor', 'action', 'from', 'to', 'notesSha256', 'resend', 'requestSha256', 'seq', 'prevHash', 'hash', 'chainVersion']);

/** An audit event with its place in the chain (what GET /audit, the NDJSON export and evidence files carry). */
export type ChainedEvent = AuditEvent & { seq: number; prevHash: string; hash: string };

/** What contentHash reads: the event's fields, and seq for a version 1 event. */
export type HashedContent = Pick<AuditEvent, 'at' | 'requestId' | 'actor' | 'action' | 'from' | 'to' | 'notesSha256' | 'resend' | 'requestSha256' | 'chainVersion'> & { seq?: number };

/** A point of the chain: the event at `seq` has `hash`. The head is the last event; a checkpoint the last one trimmed. */
export interface ChainPoint {
  seq: number;
  hash: string;
  /** Stream id of that event. */
  id?: string;
  /** Its `at`. */
  at?: string;
}

/** Where a chain stops verifying, and why. */
export interface BrokenLink {
  /** Stream id of the first event that does not verify, or 'head' when the events end before the recorded head. */
  id: string;
  seq?: number;
  reason: string;
}

function netstring(value: string): string {
  return `${Buffer.byteLength(value, 'utf8')}:${value},`;
}

/** SHA-256 in lower-case hex (node's one-shot hash: no Hash object per call on the park path). */
function sha256(data: string | Buffer): string {
  return hash('sha256', data, 'hex');
}

/**
 * The contentHash of an event: its fields in the fixed order above, and seq first for version 1.
 * @example contentHash({ at, requestId, actor: 'alice', action: 'create', from: null, to: 'needsApproval', requestSha256, chainVersion: 2 })
 */
export function contentHash(event: HashedContent): string {
  if (event.chainVersion === undefined && event.seq === undefined) throw new TypeError('a version 1 event needs its seq to be hashed');
  const parts = [
    ...(event.chainVersion === undefined ? [String(event.seq)] : []),
    event.at,
    event.requestId,
    event.actor,
    event.action,
    event.from ?? '',
    event.to,
    event.notesSha256 ?? '',
    event.resend ? '1' : '',
    event.requestSha256 ?? '',
  ];
  return sha256(parts.map(netstring).join(''));
}

/** The hash of an event from its predecessor's hash and its own contentHash. */
export function linkHash(prevHash: string, content: string): string {
  return linkBytes(prevHash, content).toString('hex');
}

/** linkHash as its 32 bytes, the form a create script takes it in. */
function linkBytes(prevHash: string, content: string): Buffer {
  return hash('sha256', Buffer.concat([Buffer.from(prevHash, 'hex'), Buffer.from(content, 'hex')]), 'buffer');
}

/** A create's guessed link: the head it was guessed for, and SHA-256(head, contentHash) as bytes. */
export interface GuessedLink {
  prev: string;
  raw: Buffer;
  hash: string;
}

/**
 * The store's guess of the chain's head, so that a create can bring its link already hashed
 * (create-5.lua ARGV[18..19]; Lua's SHA-256 of a link was a third of a create's time in Redis).
 * The script uses a guess only when the head is the one guessed, so a wrong guess costs the
 * script nothing and the chain never depends on it.
 *
 * The head is known from a create's reply when none of this store's creates is in flight (nothing
 * can be queued before the next); each create sent after that moves the guess by its own link,
 * since one store's scripts run in the order they were sent. Another writer (an approval, the
 * sweeper, another gateway or worker) makes the next guess miss; a miss or a failed create stops
 * guessing until the store is quiet again, so creates racing another writer do not hash in vain.
 * @example
 * const link = guess.next(contentHash); // send link?.prev and link?.raw with the create
 * guess.settled(link, headFromReply);   // or guess.settled(link, undefined) when it failed
 */
export class ChainGuess {
  private head: string | undefined;
  private inFlight = 0;

  /** The link of a create about to be sent, when the head is known. */
  next(content: string): GuessedLink | undefined {
    this.inFlight++;
    if (this.head === undefined) return undefined;
    const prev = this.head;
    const raw = linkBytes(prev, content);
    this.head = raw.toString('hex');
    return { prev, raw, hash: this.head };
  }

  /** A create's outcome: the head its reply named, or undefined when it failed or wrote nothing. */
  settled(link: GuessedLink | undefined, head: string | undefined): void {
    this.inFlight--;
    if (link === undefined || head !== link.hash) this.head = undefined;
    if (this.inFlight === 0 && head !== undefined && HEX64.test(head)) this.head = head;
  }
}

/**
 * What a create event pins of the parked request: SHA-256 of the netstrings of the request hash's
 * stored `requestor`, `justification`, `call` and `decision` strings, exactly as stored (the call
 * carries the body's SHA-256). The store computes it at park; an evidence file recomputes it.
 * @example requestSha256({ requestor: '{"userId":"alice","groups":[]}', justification: 'x', call: '{…}', decision: '{…}' })
 */
export function requestSha256(stored: { requestor: string; justification: string; call: string; decision: string }): string {
  return sha256([stored.requestor, stored.justification, stored.call, stored.decision].map(netstring).join(''));
}

export type DecodedEntry = { kind: 'chained'; event: ChainedEvent } | { kind: 'legacy' } | { kind: 'invalid'; reason: string };

/**
 * Reads one stream entry strictly: every field must be one the chain covers, once, with a value
 * of its form. An entry with none of seq, prevHash and hash was written before the chain existed.
 */
export function decodeChainedEntry(id: string, fields: string[]): DecodedEntry {
  const f: Record<string, string> = {};
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const name = String(fields[i]);
    if (!CHAIN_FIELDS.has(name)) return { kind: 'invalid', reason: `it has a field the chain does not cover (${name.slice(0, 40)})` };
    if (name in f) return { kind: 'invalid', reason: `it has the field ${name} twice` };
    f[name] = String(fields[i + 1]);
  }
  if (f.seq === undefined && f.prevHash === undefined && f.hash === undefined) return { kind: 'legacy' };
  return checkEvent({ id, ...f, from: f.from || null, resend: f.resend === undefined ? undefined : f.resend === '1' ? true : f.resend });
}

/** Checks a chained event's shape (from a stream entry or a JSON file) and returns it typed. */
export function checkEvent(value: unknown): DecodedEntry {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { kind: 'invalid', reason: 'it is not an object' };
  const e = value as Record<string, unknown>;
  const seq = typeof e.seq === 'number' ? String(e.seq) : e.seq;
  if (typeof seq !== 'string' || !SEQ.test(seq)) return { kind: 'invalid', reason: 'its seq is not a positive integer' };
  for (const name of ['prevHash', 'hash'] as const) {
    if (typeof e[name] !== 'string' || !HEX64.test(e[name] as string)) return { kind: 'invalid', reason: `its ${name} is not 64 lower-case hex digits` };
  }
  for (const name of ['id', 'at', 'requestId', 'actor', 'action', 'to'] as const) {
    if (typeof e[name] !== 'string' || (e[name] as string).length === 0) return { kind: 'invalid', reason: `it has no ${name}` };
  }
  if (e.from !== null && e.from !== undefined && typeof e.from !== 'string') return { kind: 'invalid', reason: 'its from is not text' };
  for (const name of ['notesSha256', 'requestSha256'] as const) {
    if (e[name] !== undefined && (typeof e[name] !== 'string' || !HEX64.test(e[name] as string))) return { kind: 'invalid', reason: `its ${name} is not 64 lower-case hex digits` };
  }
  if (e.resend !== undefined && e.resend !== true) return { kind: 'invalid', reason: 'its resend is not 1' };
  // 2 in JSON, '2' in the stream; absent for version 1.
  if (e.chainVersion !== undefined && String(e.chainVersion) !== String(CHAIN_VERSION)) return { kind: 'invalid', reason: `its chainVersion is not ${CHAIN_VERSION}` };
  const event = {
    id: e.id,
    at: e.at,
    requestId: e.requestId,
    actor: e.actor,
    action: e.action,
    from: e.from || null,
    to: e.to,
    ...(e.notesSha256 ? { notesSha256: e.notesSha256 } : {}),
    ...(e.resend ? { resend: true } : {}),
    ...(e.requestSha256 ? { requestSha256: e.requestSha256 } : {}),
    ...(e.chainVersion !== undefined ? { chainVersion: CHAIN_VERSION } : {}),
    seq: Number(seq),
    prevHash: e.prevHash,
    hash: e.hash,
  } as ChainedEvent;
  return { kind: 'chained', event };
}

/**
 * Walks a chain in order and stops at the first link that does not hold. Start it at a checkpoint
 * (the last trimmed event) or at the beginning; feed it stream entries, decoded events or (for
 * another request's event in an evidence file) bare contentHashes; then `finish` with the head.
 * @example
 * const walk = new ChainWalk(checkpoint);
 * for (const [id, fields] of entries) if (!walk.addEntry(id, fields)) break;
 * walk.finish(head); // walk.broken is the first broken link, if any
 */
export class ChainWalk {
  /** The last event that verified (or the start), so the next must link to it. */
  last: ChainPoint | null;
  /** Events verified. */
  events = 0;
  /** Entries before the chain's first event that were written before the chain existed. */
  legacy = 0;
  broken?: BrokenLink;
  private lastId: string | undefined;

  constructor(start: ChainPoint | null) {
    this.last = start;
    this.lastId = start?.id;
  }

  private fail(id: string, reason: string, seq?: number): false {
    this.broken = { id, ...(seq !== undefined ? { seq } : {}), reason };
    return false;
  }

  private get after(): string {
    return this.last ? `event ${this.last.seq}${this.lastId ? ` (${this.lastId})` : ''}` : 'the start of the chain';
  }

  /** A raw stream entry. Returns false once the chain is broken. */
  addEntry(id: string, fields: string[]): boolean {
    if (this.broken) return false;
    const decoded = decodeChainedEntry(id, fields);
    if (decoded.kind === 'legacy') {
      // Events from before the chain existed may only come before its first event.
      if (this.last) return this.fail(id, `an event without chain fields after ${this.after}: inserted, or its chain fields were removed`);
      this.legacy++;
      return true;
    }
    if (decoded.kind === 'invalid') return this.fail(id, `the event does not verify: ${decoded.reason}`);
    return this.addEvent(decoded.event);
  }

  /** A decoded event (from the stream, the NDJSON export or an evidence file). */
  addEvent(event: ChainedEvent): boolean {
    if (this.broken) return false;
    const expectedSeq = (this.last?.seq ?? 0) + 1;
    const expectedPrev = this.last?.hash ?? GENESIS_HASH;
    if (event.prevHash !== expectedPrev) {
      return this.fail(event.id, `its prevHash is not the hash of ${this.after}: an event was deleted or inserted before it, or the one before it was edited`, event.seq);
    }
    if (event.seq !== expectedSeq) return this.fail(event.id, `it is seq ${event.seq} where ${expectedSeq} was due after ${this.after}: events were deleted or inserted`, event.seq);
    if (linkHash(event.prevHash, contentHash(event)) !== event.hash) {
      return this.fail(event.id, 'its content does not match its hash: the event was edited', event.seq);
    }
    this.last = { seq: event.seq, hash: event.hash, id: event.id, at: event.at };
    this.lastId = event.id;
    this.events++;
    return true;
  }

  /** Another request's event, known only by its contentHash (evidence files). */
  addContentHash(content: string, where: string): boolean {
    if (this.broken) return false;
    if (typeof content !== 'string' || !HEX64.test(content)) return this.fail(where, 'a redacted entry is not a 64-digit contentHash');
    const seq = (this.last?.seq ?? 0) + 1;
    this.last = { seq, hash: linkHash(this.last?.hash ?? GENESIS_HASH, content) };
    this.lastId = undefined;
    this.events++;
    return true;
  }

  /** The events must end at the head the store recorded: a missing tail is a deletion too. */
  finish(head: ChainPoint | null): boolean {
    if (this.broken) return false;
    if (!head) {
      if (this.last && this.events > 0) return this.fail('head', 'the chain has events but no head: the head was deleted');
      return true;
    }
    if (!this.last || this.last.seq !== head.seq || this.last.hash !== head.hash) {
      return this.fail('head', `the head is event ${head.seq} (hash ${head.hash.slice(0, 12)}…) but the events end at ${this.after}: the last events were deleted, or the head was changed`);
    }
    return true;
  }
}
