/**
 * Bounds on everything the store accepts, checked before Redis sees it. The API and the
 * gateway check their inputs too; these are the store's own guard rails.
 */
import { createHash } from 'node:crypto';
import { StoreInputError } from './errors';
import type { NewRequest, ReplayOutcome } from './types';

export const LIMITS = {
  userIdChars: 256,
  groupChars: 256,
  groups: 100,
  justificationChars: 1000,
  notesChars: 1000,
  objectKeyChars: 1024,
  pathChars: 8192,
  queryChars: 8192,
  headers: 64,
  headerChars: 8192,
  /** The gateway's limit is configurable (default 10 MiB); this is the store's ceiling. */
  bodyBytes: 64 * 1024 * 1024,
  maxRequiredApprovals: 20,
  previewBytes: 4096,
  reasonChars: 1000,
  maxLeaseMs: 24 * 60 * 60 * 1000,
} as const;

function text(value: unknown, name: string, max: number, allowEmpty = false): string {
  if (typeof value !== 'string') throw new StoreInputError(`${name} must be a string`);
  if (!allowEmpty && value.length === 0) throw new StoreInputError(`${name} must not be empty`);
  if (value.length > max) throw new StoreInputError(`${name} is longer than ${max} characters`);
  return value;
}

/** A user id as the store keys it. */
export function checkUserId(value: unknown, name = 'actor'): string {
  return text(value, name, LIMITS.userIdChars);
}

export function checkNotes(value: unknown): string {
  return text(value, 'notes', LIMITS.notesChars, true);
}

/** Checks a new request, including that the stored hash and size describe the body (invariant 3). */
export function checkNewRequest(request: NewRequest): void {
  checkUserId(request.requestor?.userId, 'requestor.userId');
  checkGroups(request.requestor.groups, 'requestor.groups', true);
  text(request.justification, 'justification', LIMITS.justificationChars, true);
  const { call, decision, body } = request;
  if (!Buffer.isBuffer(body)) throw new StoreInputError('body must be a Buffer');
  if (body.length > LIMITS.bodyBytes) throw new StoreInputError(`body is larger than ${LIMITS.bodyBytes} bytes`);
  text(call?.method, 'call.method', 16);
  text(call.path, 'call.path', LIMITS.pathChars);
  text(call.query, 'call.query', LIMITS.queryChars, true);
  const headers = Object.entries(call.headers ?? {});
  if (headers.length > LIMITS.headers) throw new StoreInputError(`call.headers has more than ${LIMITS.headers} entries`);
  for (const [name, value] of headers) text(value, `call.headers.${name}`, LIMITS.headerChars, true);
  if (call.bodySize !== body.length) throw new StoreInputError('call.bodySize does not match the body');
  if (call.bodySha256 !== createHash('sha256').update(body).digest('hex')) throw new StoreInputError('call.bodySha256 does not match the body');
  text(decision?.profileType, 'decision.profileType', 256);
  text(decision.objectKey, 'decision.objectKey', LIMITS.objectKeyChars);
  checkGroups(decision.approverGroups, 'decision.approverGroups', false);
  if (!Array.isArray(decision.policies)) throw new StoreInputError('decision.policies must be an array');
  const n = decision.requiredApprovals;
  if (!Number.isInteger(n) || n < 1 || n > LIMITS.maxRequiredApprovals) {
    throw new StoreInputError(`decision.requiredApprovals must be an integer from 1 to ${LIMITS.maxRequiredApprovals}`);
  }
}

function checkGroups(groups: unknown, name: string, allowEmpty: boolean): void {
  if (!Array.isArray(groups)) throw new StoreInputError(`${name} must be an array`);
  if (!allowEmpty && groups.length === 0) throw new StoreInputError(`${name} must not be empty`);
  if (groups.length > LIMITS.groups) throw new StoreInputError(`${name} has more than ${LIMITS.groups} entries`);
  for (const group of groups) text(group, name, LIMITS.groupChars);
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

/** Checks an outcome and trims what the upstream produced to what the store keeps. */
export function checkOutcome(outcome: ReplayOutcome): { kind: ReplayOutcome['kind']; status: number; preview: string; reason: string } {
  if (!outcome || !['completed', 'failed', 'retryable'].includes(outcome.kind)) {
    throw new StoreInputError('outcome.kind must be completed, failed or retryable');
  }
  const status = outcome.upstreamStatus;
  // 0 stands for "no answer" (timeout, refused connection) on a retryable outcome.
  if (!Number.isInteger(status) || status < 0 || status > 599) throw new StoreInputError('outcome.upstreamStatus must be an HTTP status or 0');
  const preview = truncateUtf8(String(outcome.upstreamBodyPreview ?? ''), LIMITS.previewBytes);
  const reason = 'reason' in outcome ? String(outcome.reason ?? '').slice(0, LIMITS.reasonChars) : '';
  return { kind: outcome.kind, status, preview, reason };
}
