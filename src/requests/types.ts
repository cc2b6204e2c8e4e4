/**
 * The approval request domain. Knows nothing of HTTP: the gateway hands it a parked
 * call, the API drives its transitions. Every transition is one Lua script in Redis
 * (src/requests/scripts/*.lua) that checks the "from" state, changes it and appends
 * the audit event in the same atomic step.
 */
import type { Caller, ProtectedDecision } from '../policy/types';
import type { AuditChainState, AuditVerification } from './audit-chain-store';
import type { EvidenceFile } from './evidence';
import type { ListFilter } from './list-filter';

// The statuses and the state machine are one table (statuses.ts); re-exported for the domain's readers.
export { OPEN_STATUSES, type RequestStatus } from './statuses';
import type { RequestStatus } from './statuses';

/** The intercepted call, exactly as it will be replayed. */
export interface ParkedCall {
  method: string;
  /** The canonical path that was decided, in the caller's letter case (normalize-call.ts `target`); the replay sends it. */
  path: string;
  /** Raw query string without the leading '?', '' when none. */
  query: string;
  /** Headers worth replaying, lower-case names; never authorization, cookie or hop-by-hop headers. */
  headers: Record<string, string>;
  /** SHA-256 of the body bytes, lower-case hex. */
  bodySha256: string;
  bodySize: number;
}

/** What the policy decided about a protected call, as the request keeps it. */
export type RequestDecision = Omit<ProtectedDecision, 'protected'> & {
  /**
   * The policy that decided: its bundle's revision (the git commit `countersign policy build`
   * recorded) when it has one, else the content hash of the loaded bundle and data. Absent on
   * requests parked before it was recorded.
   */
  policyRevision?: string;
};

/**
 * What the gateway read of the object when the call was parked (docs/api.md "The change"):
 * `captured` with its ETag and the SHA-256 of its bytes; `failed` or `tooLarge` with the reason
 * (recorded, never fatal: the call was parked anyway); `none` when there is nothing to read (a
 * create, or an action that names no object to read).
 */
export interface SnapshotRecord {
  state: 'captured' | 'failed' | 'none' | 'tooLarge';
  /** ISO-8601: when it was read. */
  at: string;
  /** The path that was read (the object's, or its assignments collection for an assign). */
  path?: string;
  /** The upstream's ETag, as it sent it, when it sent one. */
  etag?: string;
  /** SHA-256 (hex) of the bytes read; captured only. */
  sha256?: string;
  bytes?: number;
  /** failed, tooLarge, none: why. */
  error?: string;
}

export interface Verdict {
  userId: string;
  at: string;
  notes: string;
  /** A staged request: the stage this verdict was given in. */
  stage?: string;
}

export interface BreakGlassRecord {
  userId: string;
  at: string;
  reason: string;
}

export interface CompletionRecord {
  userId: string;
  at: string;
  upstreamStatus: number;
  /** Up to 4 KiB of the upstream's answer, as text. */
  upstreamBodyPreview: string;
  /** Why a failed request failed (upstream 4xx), or why an attempt left it approved. */
  reason?: string;
}

export interface HistoryEntry {
  at: string;
  actor: string;
  action: 'create' | 'approve' | 'reject' | 'cancel' | 'begin-complete' | 'finish-complete' | 'expire' | 'break-glass' | 'review' | 'schedule' | 'unschedule';
  from: RequestStatus | null;
  to: RequestStatus;
  notesSha256?: string;
  /** begin-complete only: this claim knowingly replaced one whose outcome was unknown. */
  resend?: boolean;
}

export interface ApprovalRequest {
  id: string;
  status: RequestStatus;
  /** ISO-8601 times. */
  createdAt: string;
  updatedAt: string;
  requestor: Caller;
  justification: string;
  call: ParkedCall;
  decision: RequestDecision;
  approvals: Verdict[];
  rejection?: Verdict;
  /** rejectPolicy majority: every rejection, those that did not (yet) end the request too. */
  rejections?: Verdict[];
  cancellation?: { userId: string; at: string };
  /** Last completion attempt (the final one once completed or failed). */
  completion?: CompletionRecord;
  /** Set while a complete is in flight; an expired claim means the outcome is unknown. */
  claim?: { userId: string; at: string; leaseUntil: string };
  history: HistoryEntry[];
  /** Set when the requestor completed it without approvals by break-glass (docs/policy.md). */
  breakGlass?: BreakGlassRecord;
  /** The after-the-fact review of a break-glass by an approver; absent while it waits in the review queue. */
  review?: Verdict;
  /** ISO-8601: when the scheduler replays it (an approved request completed for a change window). */
  scheduledFor?: string;
  /**
   * SHA-256 (hex) of the secret of the approval code the requestor's client resends the call with
   * (docs/graph.md). Internal: the API never shows it.
   */
  approvalCodeSha256?: string;
  /**
   * SHA-256 (hex) of the parked request's stored requestor, justification, call and decision
   * (src/requests/audit-chain.ts requestSha256); its create audit event carries the same value.
   */
  requestSha256?: string;
  /** The object as it was read when the call was parked; absent on requests parked before snapshots. */
  snapshot?: SnapshotRecord;
}

export interface NewRequest {
  requestor: Caller;
  justification: string;
  call: ParkedCall;
  body: Buffer;
  decision: RequestDecision;
  /** SHA-256 (hex) of the approval code's secret, when the call may be completed by a resend. */
  approvalCodeSha256?: string;
  /** The object read at park: its record, and its bytes when captured. */
  snapshot?: { record: SnapshotRecord; bytes?: Buffer };
}

export type ListView = 'mine' | 'received' | 'all';

export interface ListQuery {
  view: ListView;
  /** The viewer; `mine` lists their requests, `received` those their groups may approve. */
  viewer: Caller;
  status?: RequestStatus;
  /** Triage filters (list-filter.ts); each read of a filtered list is bounded by LIMITS.listFilter.scan. */
  filter?: ListFilter;
  /** 1..100, default 25. */
  limit?: number;
  cursor?: string;
}

export interface ListPage {
  items: ApprovalRequest[];
  /** Absent on the last page. A filtered page may hold fewer than `limit` items and still have a next one. */
  nextCursor?: string;
  /** How many requests match the whole query (view, status, filters), every page together. */
  total: number;
  /** False when `total` counts only the LIMITS.listFilter.scan most recently changed candidates: there may be more. */
  totalExact: boolean;
}

export interface AuditEvent {
  /** Stream entry id. */
  id: string;
  at: string;
  requestId: string;
  actor: string;
  action: HistoryEntry['action'];
  from: RequestStatus | null;
  to: RequestStatus;
  notesSha256?: string;
  /** begin-complete only: this claim knowingly replaced one whose outcome was unknown. */
  resend?: boolean;
  /** create only: SHA-256 pinning what was parked (src/requests/audit-chain.ts requestSha256). */
  requestSha256?: string;
  /** The event's place in the audit chain, from 1 (absent on events written before the chain existed). */
  seq?: number;
  /** SHA-256 (hex) of the event before it in the chain; 64 zeros for the first. */
  prevHash?: string;
  /** SHA-256 (hex) of this event: docs/security.md, "Tamper-evident audit trail". */
  hash?: string;
  /** 2: the chain formula without seq in contentHash (src/requests/audit-chain.ts); absent for version 1. */
  chainVersion?: 2;
}

/** How an upstream answered a replay, as the store records it. */
export type ReplayOutcome =
  | { kind: 'completed'; upstreamStatus: number; upstreamBodyPreview: string }
  | { kind: 'failed'; upstreamStatus: number; upstreamBodyPreview: string; reason: string }
  /** The object changed upstream since the call was parked (read again, or 412 to If-Match): final, nothing was changed. */
  | { kind: 'stale'; upstreamStatus: number; upstreamBodyPreview: string; reason: string }
  /** 5xx, timeout or refused connection: stays approved so the requestor can try again. */
  | { kind: 'retryable'; upstreamStatus: number; upstreamBodyPreview: string; reason: string };

/** Codes of refused transitions; src/requests/errors.ts maps script return codes to these. */
export type TransitionErrorCode =
  | 'REQUEST_NOT_FOUND'
  | 'INVALID_STATE'
  | 'OBJECT_LOCKED'
  | 'SELF_APPROVAL'
  | 'ALREADY_APPROVED'
  | 'NOT_REQUESTOR'
  | 'COMPLETE_IN_PROGRESS'
  | 'OUTCOME_UNKNOWN'
  | 'CLAIM_LOST'
  | 'NOT_BREAK_GLASS'
  | 'ALREADY_REVIEWED'
  | 'NOT_SCHEDULED'
  | 'NOT_CURRENT_STAGE'
  | 'ALREADY_REJECTED';

export interface RequestStore {
  /** Refuses with OBJECT_LOCKED (and the open request's id) when the object has an open request. */
  create(request: NewRequest, now?: Date): Promise<ApprovalRequest>;
  get(id: string): Promise<ApprovalRequest | null>;
  getBody(id: string): Promise<Buffer | null>;
  /** The bytes of the object read at park (the request's `snapshot` says what they are); null when none were kept. */
  getSnapshot(id: string): Promise<Buffer | null>;
  /**
   * Becomes approved when requiredApprovals distinct approvers have approved (for a staged request:
   * when its last stage has). A staged request needs the actor's groups: pass the Caller.
   */
  approve(id: string, actor: string | Caller, notes: string, now?: Date): Promise<ApprovalRequest>;
  /** Ends the request, or under rejectPolicy majority records a rejection short of the majority. */
  reject(id: string, actor: string | Caller, notes: string, now?: Date): Promise<ApprovalRequest>;
  cancel(id: string, actor: string, now?: Date): Promise<ApprovalRequest>;
  /**
   * Claims the replay with a lease; returns the claim token. One claim at a time, approved only.
   * A claim whose lease ran out without finishComplete means the outcome is unknown: refused with
   * OUTCOME_UNKNOWN unless `options.resendAfterUnknownOutcome` says the requestor checked and wants it sent again.
   */
  beginComplete(
    id: string,
    actor: string,
    leaseMs: number,
    now?: Date,
    options?: { resendAfterUnknownOutcome?: boolean },
  ): Promise<{ request: ApprovalRequest; claimToken: string }>;
  finishComplete(id: string, claimToken: string, outcome: ReplayOutcome, now?: Date): Promise<ApprovalRequest>;
  /**
   * Break-glass: the requestor's open request becomes approved without approvals, marked and queued
   * for review, and is claimed for its replay (as beginComplete) in the same atomic step.
   */
  breakGlass(id: string, actor: string, reason: string, leaseMs: number, now?: Date): Promise<{ request: ApprovalRequest; claimToken: string }>;
  /** An approver's review of a break-glass; ALREADY_REVIEWED the second time. */
  review(id: string, actor: string, notes: string, now?: Date): Promise<ApprovalRequest>;
  /** Break-glass requests waiting for review (or reviewed), newest first. */
  listBreakGlass(query: { reviewed: boolean; limit?: number }): Promise<ApprovalRequest[]>;
  /** How many break-glass requests wait for review. */
  countUnreviewed(): Promise<number>;
  /** Schedules the replay of the requestor's approved request at `at`. */
  schedule(id: string, actor: string, at: Date, now?: Date): Promise<ApprovalRequest>;
  /** Takes the scheduled replay off the schedule; `bySystem` lets the scheduler do it as itself. */
  unschedule(id: string, actor: string, now?: Date, bySystem?: boolean): Promise<ApprovalRequest>;
  /** Ids whose scheduled time is at or before `now`, oldest first, at most `limit`. */
  dueScheduled(now: Date, limit: number): Promise<string[]>;
  /** Claims a due scheduled replay (one gateway wins); NOT_SCHEDULED when another claimed it. */
  claimScheduled(id: string, actor: string, leaseMs: number, now?: Date): Promise<{ request: ApprovalRequest; claimToken: string }>;
  /** Expires open requests past their retention and removes ended ones past theirs; returns how many of each. */
  sweep(now?: Date): Promise<{ expired: number; removed: number }>;
  list(query: ListQuery): Promise<ListPage>;
  audit(query: { requestId?: string; since?: string; limit?: number; order?: 'asc' | 'desc' }): Promise<AuditEvent[]>;
  /** The audit chain's head and the checkpoint where retention trimmed it (src/requests/audit-chain-store.ts). */
  auditChain(): Promise<AuditChainState>;
  /** One page of the whole audit stream after a cursor (a stream id), oldest first, with chain fields: the NDJSON export. */
  exportAudit(query: { after?: string; limit: number }): Promise<{ items: AuditEvent[]; cursor?: string }>;
  /** Walks the stored chain from the checkpoint to the head, every hash recomputed; names the first broken link. */
  verifyAudit(): Promise<AuditVerification>;
  /** Removes the audit events before `before`, each batch verified first; the checkpoint moves to the last removed. */
  trimAudit(before: Date, now?: Date): Promise<{ trimmed: number; refused?: string }>;
  /** The evidence file of a request (src/requests/evidence.ts); null when there is no such request. AUDIT_CHAIN_BROKEN when its chain does not verify. */
  evidence(id: string, exportedBy: string, now?: Date): Promise<EvidenceFile | null>;
  /**
   * Leases of background jobs (src/requests/lease.ts runUnderLease): `job` names the job, `holder`
   * the process. acquireLease takes a free lease (SET NX PX) and answers whether it did;
   * renewLease extends the holder's own lease and answers false when it is no longer the holder;
   * releaseLease gives it up (false when it was not held by `holder`).
   */
  acquireLease(job: string, holder: string, ttlMs: number): Promise<boolean>;
  renewLease(job: string, holder: string, ttlMs: number): Promise<boolean>;
  releaseLease(job: string, holder: string): Promise<boolean>;
  /**
   * Calls `listener` with every audit event appended once `ready` resolves (XREAD BLOCK on one
   * connection of its own, shared by every listener of the store); `stop()` ends it.
   */
  watchAudit(listener: (event: AuditEvent) => void): { ready: Promise<void>; stop(): void };
  ping(): Promise<boolean>;
  close(): Promise<void>;
}
