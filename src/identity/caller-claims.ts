/**
 * Checks the user id and groups that reach the policy, whatever their source (JWT claims,
 * static tokens, directory): bounded, printable, and groups merged without duplicates. User ids
 * are then made canonical by user-id.ts; group names are compared exactly as written.
 */

import { LIMITS } from '../limits';

/** Bounds on what an identity may carry into the policy input: the ones the store keeps (src/limits.ts). */
export const MAX_ID_LENGTH = LIMITS.userIdChars;
export const MAX_GROUPS = LIMITS.callerGroups;

const CONTROL = /[\u0000-\u001f\u007f]/;

/** A group name, or a user id as given (before user-id.ts makes it canonical): 1..256 characters, no control characters. */
export function isValidName(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= MAX_ID_LENGTH && !CONTROL.test(value);
}

/** A list of valid names, at most MAX_GROUPS long; `undefined` when it is not one. */
export function validGroups(value: unknown): string[] | undefined {
  if (!Array.isArray(value) || value.length > MAX_GROUPS) return undefined;
  return value.every(isValidName) ? (value as string[]) : undefined;
}

/** The union of group lists, in first-seen order. */
export function mergeGroups(...lists: readonly (readonly string[])[]): string[] {
  return [...new Set(lists.flat())];
}
