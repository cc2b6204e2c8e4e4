/**
 * The evidence file of one request (`GET /maa/v1/requests/{id}/evidence`, `countersign requests
 * evidence`): the request, its exact body, the stored strings its create event pins, and the audit
 * chain from the request's first event to the chain head at export, the request's own events in
 * full and every other event as its contentHash only (it names other people's requests). Checked
 * offline by evidence-check.ts; docs/security.md says what it proves.
 */
import { contentHash, decodeChainedEntry, type ChainedEvent, type ChainPoint } from './audit-chain';
import { CHAIN_BATCH, readChainState } from './audit-chain-store';
import { decodeRequest, pairsToRecord } from './codec';
import type { RedisConnection } from './redis-connection';
import type { RequestKeys } from './keys';
import type { ApprovalRequest } from './types';
import { AuditChainError } from './errors';
import { createHash } from 'node:crypto';

/** The format's version, the file's first key. */
export const EVIDENCE_VERSION = 1;
/** At most this many chain entries in one file (other requests' entries are ~70 bytes each). */
export const EVIDENCE_MAX_ENTRIES = 100_000;

export interface EvidenceFile {
  countersignEvidence: typeof EVIDENCE_VERSION;
  exportedAt: string;
  exportedBy: string;
  /** The request as the store holds it (the approval code's hash aside). */
  request: Omit<ApprovalRequest, 'approvalCodeSha256'>;
  /** The request hash's strings exactly as stored; requestSha256 pins them (audit-chain.ts). */
  stored: { requestor: string; justification: string; call: string; decision: string };
  /** The parked body; null once the request was removed by retention. */
  body: { encoding: 'base64'; sha256: string; bytes: number; data: string } | null;
  chain: {
    /** The hash the first entry links to (its prevHash). */
    precedingHash: string;
    /** seq of the first entry. */
    firstSeq: number;
    /** In chain order: this request's events in full, every other event as its contentHash. */
    entries: Array<ChainedEvent | string>;
    /** The last entry of the file. */
    end: ChainPoint;
    /** The chain's head when the file was made (equal to end unless the file stopped at EVIDENCE_MAX_ENTRIES). */
    head: ChainPoint | null;
  };
}


type StreamEntry = [id: string, fields: string[]];

/**
 * Builds the evidence of request `id`; null when there is no such request. Each batch of stream
 * reads is its own store call (a long chain is not cut short by one call's deadline).
 */
export async function buildEvidence(connection: RedisConnection, keys: RequestKeys, id: string, exportedBy: string, now = new Date()): Promise<EvidenceFile | null> {
  const { hash, body } = await connection.within(async (deadline) => {
    const [hash, body] = await Promise.all([
      connection.send<unknown>(['HGETALL', keys.request(id)], { deadline }),
      connection.send<Buffer | null>(['GET', keys.body(id)], { buffers: true, deadline }),
    ]);
    return { hash: pairsToRecord(hash), body };
  });
  const request = decodeRequest(hash);
  if (!request) return null;
  const { approvalCodeSha256: _secretHash, ...shown } = request;
  const { head } = await readChainState(connection, keys);

  // The request's first chained event is at or after its creation (stream ids are `<ms>-<seq>`).
  const entries: Array<ChainedEvent | string> = [];
  let first: ChainedEvent | undefined;
  let end: ChainPoint | undefined;
  let cursor = `${Math.max(0, Date.parse(request.createdAt) || 0)}-0`;
  let scanned = 0;
  for (;;) {
    const batch = await connection.within((deadline) =>
      connection.send<StreamEntry[]>(['XRANGE', keys.audit, cursor, '+', 'COUNT', String(CHAIN_BATCH)], { deadline }),
    );
    for (const [entryId, fields] of batch) {
      const decoded = decodeChainedEntry(entryId, fields);
      if (!first) {
        scanned++;
        if (decoded.kind !== 'chained' || decoded.event.requestId !== id) {
          if (scanned > EVIDENCE_MAX_ENTRIES) throw new AuditChainError(`no chained event of the request within ${EVIDENCE_MAX_ENTRIES} events of its creation`);
          continue;
        }
        first = decoded.event;
      }
      if (decoded.kind !== 'chained') throw new AuditChainError(`audit event ${entryId} does not verify (${decoded.kind === 'invalid' ? decoded.reason : 'no chain fields'}); run countersign audit verify`);
      const event = decoded.event;
      entries.push(event.requestId === id ? event : contentHash(event));
      end = { seq: event.seq, hash: event.hash, id: event.id, at: event.at };
      if (entries.length >= EVIDENCE_MAX_ENTRIES) break;
    }
    const last = batch[batch.length - 1];
    if (!last || batch.length < CHAIN_BATCH || entries.length >= EVIDENCE_MAX_ENTRIES) break;
    cursor = `(${last[0]}`;
  }
  if (!first || !end) throw new AuditChainError('the request has no chained audit event (trimmed, or written before the chain existed)');

  return {
    countersignEvidence: EVIDENCE_VERSION,
    exportedAt: now.toISOString(),
    exportedBy,
    request: shown,
    stored: { requestor: hash.requestor ?? '', justification: hash.justification ?? '', call: hash.call ?? '', decision: hash.decision ?? '' },
    body: body === null ? null : { encoding: 'base64', sha256: createHash('sha256').update(body).digest('hex'), bytes: body.length, data: body.toString('base64') },
    chain: { precedingHash: first.prevHash, firstSeq: first.seq, entries, end, head },
  };
}
