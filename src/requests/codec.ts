/**
 * Reads a request hash (as the scripts write it) into an ApprovalRequest.
 * The hash keeps the immutable parts as JSON, approvals and history as JSON lines (the
 * scripts append a line rather than rewrite an array), and the claim as plain fields.
 */
import type { Caller } from '../policy/types';
import type { ApprovalRequest } from './types';
import type { BreakGlassRecord, CompletionRecord, HistoryEntry, ParkedCall, RequestDecision, RequestStatus, SnapshotRecord, Verdict } from './types';

/**
 * A hash reply as an object: a script's HGETALL comes back as a flat [field, value, …]
 * array, while node-redis already turns a plain HGETALL into an object.
 */
export function pairsToRecord(flat: unknown): Record<string, string> {
  const record: Record<string, string> = {};
  if (flat && typeof flat === 'object' && !Array.isArray(flat)) {
    for (const [field, value] of Object.entries(flat)) record[field] = String(value);
    return record;
  }
  if (!Array.isArray(flat)) return record;
  for (let i = 0; i + 1 < flat.length; i += 2) record[String(flat[i])] = String(flat[i + 1]);
  return record;
}

function jsonLines<T>(text: string | undefined): T[] {
  if (!text) return [];
  return text.split('\n').filter((line) => line !== '').map((line) => JSON.parse(line) as T);
}

/** Builds the request from its hash; null when the hash is empty (no such request). */
export function decodeRequest(hash: Record<string, string>): ApprovalRequest | null {
  if (!hash.id || !hash.status) return null;
  const request: ApprovalRequest = {
    id: hash.id,
    status: hash.status as RequestStatus,
    createdAt: hash.createdAt ?? '',
    updatedAt: hash.updatedAt ?? '',
    requestor: JSON.parse(hash.requestor ?? 'null') as Caller,
    justification: hash.justification ?? '',
    call: JSON.parse(hash.call ?? 'null') as ParkedCall,
    decision: JSON.parse(hash.decision ?? 'null') as RequestDecision,
    approvals: jsonLines<Verdict>(hash.approvals),
    history: jsonLines<HistoryEntry>(hash.history),
  };
  if (hash.rejection) request.rejection = JSON.parse(hash.rejection) as Verdict;
  if (hash.rejections) request.rejections = jsonLines<Verdict>(hash.rejections);
  if (hash.cancellation) request.cancellation = JSON.parse(hash.cancellation) as { userId: string; at: string };
  if (hash.approvalCodeSha256) request.approvalCodeSha256 = hash.approvalCodeSha256;
  if (hash.requestSha256) request.requestSha256 = hash.requestSha256;
  if (hash.breakGlass) request.breakGlass = JSON.parse(hash.breakGlass) as BreakGlassRecord;
  if (hash.review) request.review = JSON.parse(hash.review) as Verdict;
  if (hash.scheduledFor) request.scheduledFor = hash.scheduledFor;
  if (hash.snapshot) request.snapshot = JSON.parse(hash.snapshot) as SnapshotRecord;
  if (hash.completion) request.completion = JSON.parse(hash.completion) as CompletionRecord;
  if (hash.claimToken && hash.claimUserId && hash.claimAt && hash.claimLeaseUntil) {
    request.claim = { userId: hash.claimUserId, at: hash.claimAt, leaseUntil: hash.claimLeaseUntil };
  }
  return request;
}
