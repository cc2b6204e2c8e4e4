/**
 * Every Redis key of the approval request store, in one place.
 *
 * All keys of one deployment share the hash tag `{<deployment>}`, so every Lua script
 * touches a single cluster slot and the same code runs on one Redis, Sentinel or Cluster.
 * The Lua scripts derive per-request and per-index keys from `prefix` (passed as their
 * last KEYS entry) and from fields they read in the same atomic step;
 * src/requests/scripts/includes/keys.lua builds them with the same names and says why that is
 * safe on a Cluster, and test/requests/keys.redis.test.ts holds the two together.
 */
import type { RequestStatus } from './types';

/** Deployment names end up inside the hash tag: braces or odd bytes would break the slot. */
const DEPLOYMENT_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;

export interface RequestKeys {
  /** `maa:{<deployment>}:`: the hash-tagged prefix every key starts with. */
  prefix: string;
  /** Hash: the request's fields (status, times, JSON parts, approvals and history as JSON lines). */
  request(id: string): string;
  /** String: the parked body, raw bytes. */
  body(id: string): string;
  /**
   * String: the object as the upstream had it when the call was parked (the snapshot's bytes, at most
   * requests.snapshotLimitBytes); its record (state, ETag, SHA-256) is the request hash's `snapshot` field.
   * Derived by create-5 and remove-4 from the prefix, as the index keys are.
   */
  snapshot(id: string): string;
  /** Hash: objectKey → id of the open request that holds the object (invariant 4). */
  locks: string;
  /** Stream: one entry per transition, hash-chained (src/requests/audit-chain.ts). */
  audit: string;
  /**
   * Hash: the audit chain's head (seq, hash, id, at of the last event). The scripts derive it as
   * `<audit>:head` (includes/audit-chain.lua): same prefix, same slot.
   */
  auditHead: string;
  /** Hash: the checkpoint where the audit stream was trimmed (seq, hash, id, at of the last trimmed event; trimmedAt, trimmed). */
  auditCheckpoint: string;
  /** Sorted set of every request, scored by updatedAt (ms). */
  all: string;
  /** Sorted set by status, scored by updatedAt. */
  byStatus(status: RequestStatus): string;
  /** Sorted set of one requestor's requests ("mine"), scored by updatedAt. */
  byRequestor(userId: string): string;
  /** Same, one status only, so filtered lists need no scan. */
  byRequestorStatus(userId: string, status: RequestStatus): string;
  /** Sorted set of the requests one approver group may decide ("received"), scored by updatedAt. */
  byGroup(group: string): string;
  byGroupStatus(group: string, status: RequestStatus): string;
  /** Sorted set by status, scored by the time the status last changed: what the sweep reads. */
  statusSince(status: RequestStatus): string;
  /**
   * Sorted set of the open requests whose access policy sets its own expiry (expiresAfter,
   * approvedExpiresAfter), scored by when they are due: the sweep reads it besides statusSince,
   * since such a request may be due before the gateway's retention. An entry may outlive its
   * request's status change; expire-4 checks again, and the sweep drops what is not due.
   */
  expiry: string;
  /** Sorted set of the requests completed by break-glass, not yet reviewed / reviewed, scored by the break-glass / review time. */
  breakGlass(state: 'unreviewed' | 'reviewed'): string;
  /** Sorted set of approved requests whose replay is scheduled, scored by the scheduled time (ms): what the scheduler reads. */
  scheduled: string;
  /**
   * Stream: one notification event per transition (and per expiry warning), written by the same
   * script (includes/record-transition.lua derives it from `audit`); read by the dispatcher's
   * consumer group and deleted once every channel has it (src/notifications/outbox.ts).
   */
  outbox: string;
  /** Hash: outbox entry id → JSON of each channel's attempts, next try and outcome, while the entry is undelivered. */
  outboxProgress: string;
  /** List: one JSON line per channel delivery given up after the last try (newest first), for an operator to read and replay. */
  outboxDeadLetters: string;
  /** String: who runs the background job `<job>` (sweeper, scheduler, …) for the deployment, with a TTL (src/requests/lease.ts). */
  lease(job: string): string;
}

/**
 * Builds the key names of one deployment.
 * @example
 * requestKeys('default').request('3f0c…') // 'maa:{default}:req:3f0c…'
 */
export function requestKeys(deployment: string): RequestKeys {
  if (!DEPLOYMENT_PATTERN.test(deployment)) {
    throw new TypeError(`redis deployment name must match ${DEPLOYMENT_PATTERN} (e.g. "default"), got ${JSON.stringify(deployment)}`);
  }
  const prefix = `maa:{${deployment}}:`;
  const idx = `${prefix}idx:`;
  // The variable part (user id, group name) always comes last and each index kind has its
  // own fixed word, so `requestor:<u>` can never equal `requestor-status:<s>:<u2>`.
  return {
    prefix,
    request: (id) => `${prefix}req:${id}`,
    body: (id) => `${prefix}body:${id}`,
    snapshot: (id) => `${prefix}snapshot:${id}`,
    locks: `${prefix}locks`,
    audit: `${prefix}audit`,
    auditHead: `${prefix}audit:head`,
    auditCheckpoint: `${prefix}audit:checkpoint`,
    all: `${idx}all`,
    byStatus: (status) => `${idx}status:${status}`,
    byRequestor: (userId) => `${idx}requestor:${userId}`,
    byRequestorStatus: (userId, status) => `${idx}requestor-status:${status}:${userId}`,
    byGroup: (group) => `${idx}group:${group}`,
    byGroupStatus: (group, status) => `${idx}group-status:${status}:${group}`,
    statusSince: (status) => `${prefix}since:${status}`,
    expiry: `${prefix}expiry`,
    breakGlass: (state) => `${prefix}break-glass:${state}`,
    scheduled: `${prefix}scheduled`,
    outbox: `${prefix}outbox`,
    outboxProgress: `${prefix}outbox:progress`,
    outboxDeadLetters: `${prefix}outbox:dead`,
    lease: (job) => `${prefix}lease:${job}`,
  };
}
