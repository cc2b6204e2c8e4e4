/**
 * The triage filters of a request list (docs/api.md, `GET /requests`): profile type, requestor,
 * object text and a range of the time the request was made. No index holds these, so they are
 * applied to the requests themselves, read most recently changed first, and every read is bounded
 * (LIMITS.listFilter.scan): a filtered page, and its total, never cost more than that many reads.
 */
import { LIMITS } from '../limits';
import { StoreInputError } from './errors';
import type { ApprovalRequest } from './types';

export interface ListFilter {
  /** The decision's profile type, exactly. */
  profileType?: string;
  /** The requestor's canonical user id, exactly (the API canonicalises what the caller typed). */
  requestor?: string;
  /** Text the object contains: the call's path or the decision's object key, case-insensitive. */
  text?: string;
  /** ISO-8601: requests made at or after it. */
  createdFrom?: string;
  /** ISO-8601: requests made before it. */
  createdTo?: string;
}

/** A checked filter: times as milliseconds, text lower-cased once. */
export interface CheckedFilter {
  profileType?: string;
  requestor?: string;
  text?: string;
  fromMs?: number;
  toMs?: number;
}

function bounded(value: unknown, name: string, max: number): string | undefined {
  if (value === undefined || value === '') return undefined;
  if (typeof value !== 'string' || [...value].length > max) throw new StoreInputError(`${name} must be text of at most ${max} characters`);
  return value;
}

function time(value: unknown, name: string): number | undefined {
  if (value === undefined || value === '') return undefined;
  const ms = typeof value === 'string' && value.length <= 64 ? Date.parse(value) : NaN;
  if (!Number.isFinite(ms)) throw new StoreInputError(`${name} must be an ISO-8601 time`);
  return ms;
}

/** Checks and bounds a filter; null when it filters nothing (the list reads its index alone). */
export function checkListFilter(filter: ListFilter | undefined): CheckedFilter | null {
  if (!filter) return null;
  const checked: CheckedFilter = {};
  const profileType = bounded(filter.profileType, 'profileType', LIMITS.listFilter.profileTypeChars);
  const requestor = bounded(filter.requestor, 'requestor', LIMITS.userIdChars);
  const text = bounded(filter.text, 'q', LIMITS.listFilter.textChars)?.trim().toLowerCase();
  const fromMs = time(filter.createdFrom, 'createdFrom');
  const toMs = time(filter.createdTo, 'createdTo');
  if (fromMs !== undefined && toMs !== undefined && toMs <= fromMs) throw new StoreInputError('createdTo must be after createdFrom');
  if (profileType !== undefined) checked.profileType = profileType;
  if (requestor !== undefined) checked.requestor = requestor;
  if (text) checked.text = text;
  if (fromMs !== undefined) checked.fromMs = fromMs;
  if (toMs !== undefined) checked.toMs = toMs;
  return Object.keys(checked).length > 0 ? checked : null;
}

/**
 * Whether a request passes the filter.
 * @example matchesFilter(request, { profileType: 'scripts', text: 'devicemanagementscripts/7' })
 */
export function matchesFilter(request: ApprovalRequest, filter: CheckedFilter): boolean {
  if (filter.profileType !== undefined && request.decision.profileType !== filter.profileType) return false;
  if (filter.requestor !== undefined && request.requestor.userId !== filter.requestor) return false;
  if (filter.fromMs !== undefined || filter.toMs !== undefined) {
    const created = Date.parse(request.createdAt);
    if (filter.fromMs !== undefined && !(created >= filter.fromMs)) return false;
    if (filter.toMs !== undefined && !(created < filter.toMs)) return false;
  }
  if (filter.text !== undefined) {
    const haystack = `${request.call.path}\n${request.decision.objectKey}`.toLowerCase();
    if (!haystack.includes(filter.text)) return false;
  }
  return true;
}
