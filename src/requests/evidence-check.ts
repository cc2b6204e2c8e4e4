/**
 * Checks an evidence file (evidence.ts) offline: no gateway, no Redis. Every check is listed with
 * its outcome, so an auditor sees what was proven and what was not:
 *
 * - the body's bytes hash to the SHA-256 the request recorded (and replayed, invariant 3);
 * - the stored requestor, justification, call and decision hash to the requestSha256 that the
 *   request's create event carries, and are what the file's request shows;
 * - the chain entries link, from the hash before the request's first event to the file's end,
 *   every hash recomputed (audit-chain.ts);
 * - the request's events are its history, and each approval's, rejection's, review's and
 *   break-glass's text hashes to the notesSha256 of its event;
 * - each anchor given (a chain head recorded elsewhere: `seq:hash`) is on that chain. Without
 *   an anchor the file is only shown consistent with itself (docs/security.md says why).
 */
import { createHash } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import { ChainWalk, checkEvent, requestSha256, type ChainedEvent, type ChainPoint } from './audit-chain';
import { EVIDENCE_VERSION, type EvidenceFile } from './evidence';

export interface EvidenceCheck {
  name: string;
  ok: boolean;
  detail: string;
}

export interface EvidenceReport {
  ok: boolean;
  requestId?: string;
  checks: EvidenceCheck[];
}

/** A chain head recorded elsewhere, `seq:hash` (as `countersign audit head` prints it). */
export interface Anchor {
  seq: number;
  hash: string;
}

/** Reads `seq:hash`; null when it is not one. */
export function parseAnchor(text: string): Anchor | null {
  const match = /^([1-9][0-9]{0,14}):([0-9a-f]{64})$/.exec(text.trim());
  return match ? { seq: Number(match[1]), hash: match[2]! } : null;
}

const sha256 = (data: string | Buffer): string => createHash('sha256').update(data).digest('hex');

/**
 * @example
 * const report = checkEvidence(JSON.parse(readFileSync('evidence.json', 'utf8')), [parseAnchor('1234:ab…')!]);
 * report.ok // true when every check passed
 */
export function checkEvidence(file: unknown, anchors: Anchor[] = []): EvidenceReport {
  const checks: EvidenceCheck[] = [];
  const add = (name: string, ok: boolean, detail: string) => checks.push({ name, ok, detail });
  const e = file as EvidenceFile;
  if (typeof e !== 'object' || e === null || e.countersignEvidence !== EVIDENCE_VERSION || typeof e.request !== 'object' || e.request === null || typeof e.chain !== 'object' || e.chain === null || !Array.isArray(e.chain.entries)) {
    add('format', false, `not a countersign evidence file of version ${EVIDENCE_VERSION}`);
    return { ok: false, checks };
  }
  const request = e.request;
  const call = request.call ?? ({} as EvidenceFile['request']['call']);

  // The body.
  if (e.body === null) add('body', false, 'the file has no body (the request was removed before the export)');
  else {
    const bytes = Buffer.from(String(e.body?.data ?? ''), 'base64');
    const actual = sha256(bytes);
    const ok = actual === call.bodySha256 && e.body.sha256 === actual && bytes.length === call.bodySize && bytes.toString('base64') === e.body.data;
    add('body', ok, ok ? `${bytes.length} bytes, sha256 ${actual}, as the request recorded` : `the body hashes to ${actual} (${bytes.length} bytes) but the request recorded ${call.bodySha256} (${call.bodySize} bytes)`);
  }

  // The chain.
  const c = e.chain;
  const start: ChainPoint | null = typeof c.firstSeq === 'number' && c.firstSeq > 1 ? { seq: c.firstSeq - 1, hash: String(c.precedingHash) } : null;
  const walk = new ChainWalk(start);
  if (c.firstSeq === 1 && c.precedingHash !== '0'.repeat(64)) add('chain', false, 'the first event of the chain must link to 64 zeros');
  const wanted = new Map(anchors.map((a) => [a.seq, a]));
  const reached = new Map<number, string>();
  const own: ChainedEvent[] = [];
  for (const [index, entry] of c.entries.entries()) {
    if (typeof entry === 'string') walk.addContentHash(entry, `entry ${index}`);
    else {
      const decoded = checkEvent(entry);
      if (decoded.kind !== 'chained') {
        add('chain', false, `entry ${index} is not an audit event: ${decoded.kind === 'invalid' ? decoded.reason : 'no chain fields'}`);
        break;
      }
      walk.addEvent(decoded.event);
      if (decoded.event.requestId === request.id) own.push(decoded.event);
    }
    if (walk.broken) break;
    if (walk.last && wanted.has(walk.last.seq)) reached.set(walk.last.seq, walk.last.hash);
  }
  if (!checks.some((x) => x.name === 'chain')) {
    walk.finish(c.end ?? null);
    if (walk.broken) add('chain', false, `${walk.broken.id}${walk.broken.seq ? ` (seq ${walk.broken.seq})` : ''}: ${walk.broken.reason}`);
    else add('chain', true, `${walk.events} events link from seq ${c.firstSeq} to seq ${c.end.seq} (hash ${c.end.hash}); ${own.length} of them are this request's`);
  }

  // What the create event pins.
  const create = own.find((x) => x.action === 'create');
  const stored = e.stored ?? ({} as EvidenceFile['stored']);
  if (!create) add('request', false, 'the file has no create event of the request (trimmed, or from before the chain), so nothing pins what was parked');
  else {
    const pinned = typeof stored.call === 'string' ? requestSha256(stored) : '';
    let shown = false;
    try {
      shown =
        isDeepStrictEqual(JSON.parse(stored.call), call) &&
        isDeepStrictEqual(JSON.parse(stored.decision), request.decision) &&
        isDeepStrictEqual(JSON.parse(stored.requestor), request.requestor) &&
        stored.justification === request.justification;
    } catch {
      shown = false;
    }
    const ok = Boolean(create.requestSha256) && pinned === create.requestSha256 && shown;
    add('request', ok, ok
      ? `the call, decision (policy revision ${request.decision?.policyRevision ?? 'not recorded'}), requestor and justification are the ones the create event pins (requestSha256 ${pinned})`
      : !create.requestSha256 ? 'the create event pins nothing (written before requestSha256 existed)' : !shown ? 'the request shown differs from the stored strings' : `the stored strings hash to ${pinned}, the create event says ${create.requestSha256}`);
  }

  // The request's events are its history; notes are what their events' notesSha256 say.
  const history = Array.isArray(request.history) ? request.history : [];
  const tail = history.slice(history.length - own.length);
  const same = own.length <= history.length && tail.every((h, i) => {
    const ev = own[i]!;
    return h.at === ev.at && h.actor === ev.actor && h.action === ev.action && (h.from ?? null) === (ev.from ?? null) && h.to === ev.to && (h.notesSha256 ?? '') === (ev.notesSha256 ?? '');
  });
  const earlier = history.length - own.length;
  add('history', same, same ? `the request's ${own.length} events are its history${earlier > 0 ? ` (its first ${earlier} transitions are not in the chain)` : ''}` : `the request's history (${history.length} transitions) does not match its ${own.length} events in the chain`);

  const texts: Array<[what: string, userId: string, at: string, text: string, actions: string[]]> = [
    ...(request.approvals ?? []).map((v) => ['approval', v.userId, v.at, v.notes, ['approve']] as [string, string, string, string, string[]]),
    ...(request.rejections ?? (request.rejection ? [request.rejection] : [])).map((v) => ['rejection', v.userId, v.at, v.notes, ['reject']] as [string, string, string, string, string[]]),
    ...(request.review ? [['review', request.review.userId, request.review.at, request.review.notes, ['review']] as [string, string, string, string, string[]]] : []),
    ...(request.breakGlass ? [['break-glass reason', request.breakGlass.userId, request.breakGlass.at, request.breakGlass.reason, ['break-glass']] as [string, string, string, string, string[]]] : []),
  ];
  for (const [what, userId, at, text, actions] of texts) {
    const event = own.find((x) => actions.includes(x.action) && x.actor === userId && x.at === at);
    const ok = Boolean(event) && event!.notesSha256 === sha256(String(text ?? ''));
    add(`notes`, ok, ok ? `the ${what} of ${userId} at ${at} is the text its event hashed` : event ? `the ${what} of ${userId} at ${at} does not hash to its event's notesSha256` : `the ${what} of ${userId} at ${at} has no event in the chain`);
  }

  // Anchors: heads recorded outside Redis.
  for (const anchor of anchors) {
    const hash = reached.get(anchor.seq);
    if (hash === undefined) add('anchor', false, `the anchor at seq ${anchor.seq} is outside the file's chain (seq ${c.firstSeq} to ${c.end?.seq}); export the evidence again after it`);
    else add('anchor', hash === anchor.hash, hash === anchor.hash ? `seq ${anchor.seq} has the anchored hash: the chain up to it is the one recorded outside Redis` : `seq ${anchor.seq} has hash ${hash}, the anchor says ${anchor.hash}: the chain was rewritten`);
  }
  if (anchors.length === 0) add('anchor', true, 'no anchor given: the file is consistent with itself; compare its chain.end with a head recorded elsewhere (--anchor seq:hash) to prove it is the deployment\'s chain');

  return { ok: checks.every((x) => x.ok), requestId: request.id, checks };
}
