/**
 * Bounds on everything the store accepts, checked before Redis sees it. The values are the one
 * set in src/limits.ts that identity, the gateway and the API check first, counted the same way
 * (code points), so what the edge accepted passes here; a refusal names the limit and is an input
 * error (422), never an outage.
 */
import { hash } from 'node:crypto';
import { charCount, LIMITS } from '../limits';
import { StoreInputError } from './errors';
import type { NewRequest, ReplayOutcome } from './types';


function text(value: unknown, name: string, max: number, allowEmpty = false): string {
  if (typeof value !== 'string') throw new StoreInputError(`${name} must be a string`);
  if (!allowEmpty && value.length === 0) throw new StoreInputError(`${name} must not be empty`);
  // Cheap first: a string has at least length/2 code points.
  if (value.length > max && (value.length > 2 * max || charCount(value) > max)) {
    throw new StoreInputError(`${name} is longer than ${max} characters (the limit)`);
  }
  return value;
}

/** A user id as the store keys it. */
export function checkUserId(value: unknown, name = 'actor'): string {
  return text(value, name, LIMITS.userIdChars);
}

export function checkNotes(value: unknown): string {
  return text(value, 'notes', LIMITS.notesChars, true);
}

/** A break-glass reason: required, bounded like notes (its minimum is config/roles.yaml's, checked by the API). */
export function checkBreakGlassReason(value: unknown): string {
  return text(value, 'reason', LIMITS.notesChars, false);
}

/** Checks a new request, including that the stored hash and size describe the body (invariant 3). */
export function checkNewRequest(request: NewRequest): void {
  checkUserId(request.requestor?.userId, 'requestor.userId');
  checkGroups(request.requestor.groups, 'requestor.groups', LIMITS.callerGroups, true);
  text(request.justification, 'justification', LIMITS.justificationChars, true);
  const { call, decision, body } = request;
  if (!Buffer.isBuffer(body)) throw new StoreInputError('body must be a Buffer');
  if (body.length > LIMITS.bodyBytes) throw new StoreInputError(`body is larger than ${LIMITS.bodyBytes} bytes`);
  text(call?.method, 'call.method', 16);
  text(call.path, 'call.path', LIMITS.pathChars);
  text(call.query, 'call.query', LIMITS.queryChars, true);
  const headers = Object.entries(call.headers ?? {});
  if (headers.length > LIMITS.storedHeaders) throw new StoreInputError(`call.headers has more than ${LIMITS.storedHeaders} entries (the limit)`);
  for (const [name, value] of headers) text(value, `call.headers.${name}`, LIMITS.storedHeaderValueChars, true);
  if (call.bodySize !== body.length) throw new StoreInputError('call.bodySize does not match the body');
  if (call.bodySha256 !== hash('sha256', body, 'hex')) throw new StoreInputError('call.bodySha256 does not match the body');
  text(decision?.profileType, 'decision.profileType', 256);
  text(decision.objectKey, 'decision.objectKey', LIMITS.objectKeyChars);
  checkGroups(decision.approverGroups, 'decision.approverGroups', LIMITS.approverGroups, false);
  if (!Array.isArray(decision.policies)) throw new StoreInputError('decision.policies must be an array');
  if (request.approvalCodeSha256 !== undefined && !/^[0-9a-f]{64}$/.test(request.approvalCodeSha256)) {
    throw new StoreInputError('approvalCodeSha256 must be a SHA-256 in lower-case hex');
  }
  checkChangeControl(decision);
  if (request.snapshot !== undefined) checkSnapshot(request.snapshot);
  const n = decision.requiredApprovals;
  if (!Number.isInteger(n) || n < 1 || n > LIMITS.maxRequiredApprovals) {
    throw new StoreInputError(`decision.requiredApprovals must be an integer from 1 to ${LIMITS.maxRequiredApprovals}`);
  }
}

const SNAPSHOT_STATES = ['captured', 'failed', 'none', 'tooLarge'];

/** The snapshot read at park: a known state, bounded text, and bytes that match their recorded hash and size. */
function checkSnapshot(snapshot: NonNullable<NewRequest['snapshot']>): void {
  const { record, bytes } = snapshot;
  if (!record || !SNAPSHOT_STATES.includes(record.state)) throw new StoreInputError(`snapshot.state must be one of ${SNAPSHOT_STATES.join(', ')}`);
  text(record.at, 'snapshot.at', 64);
  if (record.path !== undefined) text(record.path, 'snapshot.path', LIMITS.pathChars);
  if (record.etag !== undefined) text(record.etag, 'snapshot.etag', LIMITS.storedHeaderValueChars);
  if (record.error !== undefined) text(record.error, 'snapshot.error', LIMITS.reasonChars, true);
  if (bytes === undefined) {
    if (record.state === 'captured') throw new StoreInputError('a captured snapshot needs its bytes');
    return;
  }
  if (!Buffer.isBuffer(bytes)) throw new StoreInputError('snapshot.bytes must be a Buffer');
  if (bytes.length > LIMITS.snapshotBytes) throw new StoreInputError(`snapshot is larger than ${LIMITS.snapshotBytes} bytes`);
  if (record.bytes !== bytes.length || record.sha256 !== hash('sha256', bytes, 'hex')) {
    throw new StoreInputError('snapshot.sha256 and snapshot.bytes must describe the snapshot\'s bytes');
  }
}

/** A list of group names, at most `max` of them. */
export function checkGroups(groups: unknown, name: string, max: number, allowEmpty: boolean): string[] {
  if (!Array.isArray(groups)) throw new StoreInputError(`${name} must be an array`);
  if (!allowEmpty && groups.length === 0) throw new StoreInputError(`${name} must not be empty`);
  if (groups.length > max) throw new StoreInputError(`${name} has more than ${max} entries (the limit)`);
  for (const group of groups) text(group, name, LIMITS.groupChars);
  return groups as string[];
}

export function checkLeaseMs(leaseMs: unknown): number {
  if (typeof leaseMs !== 'number' || !Number.isInteger(leaseMs) || leaseMs < 1 || leaseMs > LIMITS.maxLeaseMs) {
    throw new StoreInputError(`leaseMs must be an integer from 1 to ${LIMITS.maxLeaseMs}`);
  }
  return leaseMs;
}

/** Cuts a string to at most `maxBytes` of UTF-8 without splitting a character. */
export function truncateUtf8(value: string, maxBytes: number): string {
  const bytes = Buffer.from(value, 'utf8');
  if (bytes.length <= maxBytes) return value;
  let end = maxBytes;
  // Step back over continuation bytes (10xxxxxx) so the cut lands on a character boundary.
  while (end > 0 && ((bytes[end] ?? 0) & 0xc0) === 0x80) end--;
  return bytes.subarray(0, end).toString('utf8');
}

/** The first `max` code points of a text (a cut never splits a surrogate pair). */
function firstChars(value: string, max: number): string {
  let end = 0;
  let count = 0;
  for (const char of value) {
    if (count++ === max) break;
    end += char.length;
  }
  return value.slice(0, end);
}

/** Checks an outcome and trims what the upstream produced to what the store keeps. */
export function checkOutcome(outcome: ReplayOutcome): { kind: ReplayOutcome['kind']; status: number; preview: string; reason: string } {
  if (!outcome || !['completed', 'failed', 'stale', 'retryable'].includes(outcome.kind)) {
    throw new StoreInputError('outcome.kind must be completed, failed, stale or retryable');
  }
  const status = outcome.upstreamStatus;
  // 0 stands for "no answer" (timeout, refused connection) on a retryable outcome.
  if (!Number.isInteger(status) || status < 0 || status > 599) throw new StoreInputError('outcome.upstreamStatus must be an HTTP status or 0');
  const preview = truncateUtf8(String(outcome.upstreamBodyPreview ?? ''), LIMITS.previewBytes);
  const reason = 'reason' in outcome ? firstChars(String(outcome.reason ?? ''), LIMITS.reasonChars) : '';
  return { kind: outcome.kind, status, preview, reason };
}

/**
 * At most as many stages as the loader allows. Why lines are the policy's own, one per access policy
 * of the profile type; a line names at most the policy's listed fields and groups (50 each, of at
 * most 128 and 256 characters: src/config/access-policies.ts), so these bounds never refuse it.
 */
const MAX_STAGES = 5;
const MAX_WHY_LINES = 200;
const MAX_WHY_CHARS = 40_000;

/** The decision's change-control keys (docs/policy.md), stored with the request and read by its scripts. */
function checkChangeControl(decision: NewRequest['decision']): void {
  if (decision.stages !== undefined) {
    if (!Array.isArray(decision.stages) || decision.stages.length === 0 || decision.stages.length > MAX_STAGES) {
      throw new StoreInputError(`decision.stages must be a list of 1 to ${MAX_STAGES} stages`);
    }
    for (const [i, stage] of decision.stages.entries()) {
      text(stage?.name, `decision.stages.${i}.name`, 64);
      checkGroups(stage.approverGroups, `decision.stages.${i}.approverGroups`, LIMITS.approverGroups, false);
      if (!Number.isInteger(stage.requiredApprovals) || stage.requiredApprovals < 1 || stage.requiredApprovals > LIMITS.maxRequiredApprovals) {
        throw new StoreInputError(`decision.stages.${i}.requiredApprovals must be an integer from 1 to ${LIMITS.maxRequiredApprovals}`);
      }
    }
  }
  for (const key of ['expiresAfterMs', 'approvedExpiresAfterMs'] as const) {
    const ms = decision[key];
    if (ms !== undefined && (!Number.isInteger(ms) || ms < 1)) throw new StoreInputError(`decision.${key} must be a positive integer`);
  }
  if (decision.why !== undefined) {
    if (!Array.isArray(decision.why) || decision.why.length > MAX_WHY_LINES) throw new StoreInputError(`decision.why must be a list of at most ${MAX_WHY_LINES} lines`);
    for (const [i, line] of decision.why.entries()) text(line, `decision.why.${i}`, MAX_WHY_CHARS);
  }
}
