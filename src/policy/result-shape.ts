/**
 * The strict reading of what the Wasm policy answered. A result of the wrong shape is an error,
 * and the engine turns every error into PolicyUnavailableError, which callers treat as deny.
 */
import { PolicyUnavailableError } from './errors';
import type { AuthorizeResult, Decision, Operation } from './types';

const OPERATIONS: ReadonlySet<string> = new Set<Operation>(['create', 'modify', 'delete', 'assign']);

function fail(entrypoint: string, what: string): never {
  throw new PolicyUnavailableError(`${entrypoint} answered with the wrong shape: ${what}`);
}

function isStringArray(value: unknown, nonEmpty: boolean): value is string[] {
  return Array.isArray(value) && (!nonEmpty || value.length > 0) && value.every((v) => typeof v === 'string' && v !== '');
}

/** The single result of an opa-wasm result set (`[{ result }]`). */
function single(resultSet: unknown, entrypoint: string): Record<string, unknown> {
  if (!Array.isArray(resultSet) || resultSet.length !== 1) fail(entrypoint, 'no single result (is the rule undefined?)');
  const result = (resultSet[0] as { result?: unknown } | undefined)?.result;
  if (!result || typeof result !== 'object' || Array.isArray(result)) fail(entrypoint, 'result is not an object');
  return result as Record<string, unknown>;
}

/** Reads a maa/decision result set; throws PolicyUnavailableError unless it matches the contract. */
export function readDecision(resultSet: unknown): Decision {
  const r = single(resultSet, 'maa/decision');
  if (r.protected === false) return { protected: false };
  if (r.protected !== true) fail('maa/decision', '"protected" is not a boolean');
  if (Array.isArray(r.ambiguous)) fail('maa/decision', `the call matches routes of several profile types (${r.ambiguous.join(', ')})`);
  const { profileType, objectKey, operation, policies, approverGroups, requiredApprovals } = r;
  if (typeof profileType !== 'string' || profileType === '') fail('maa/decision', '"profileType" is not a non-empty string');
  if (typeof objectKey !== 'string' || !objectKey.startsWith(`${profileType}:`)) fail('maa/decision', '"objectKey" does not start with the profile type');
  if (typeof operation !== 'string' || !OPERATIONS.has(operation)) fail('maa/decision', '"operation" is not create, modify, delete or assign');
  if (!isStringArray(policies, true)) fail('maa/decision', '"policies" is not a non-empty list of names');
  if (!isStringArray(approverGroups, true)) fail('maa/decision', '"approverGroups" is not a non-empty list of groups');
  if (typeof requiredApprovals !== 'number' || !Number.isInteger(requiredApprovals) || requiredApprovals < 1) {
    fail('maa/decision', '"requiredApprovals" is not a positive integer');
  }
  return { protected: true, profileType, objectKey, operation: operation as Operation, policies, approverGroups, requiredApprovals };
}

/** Reads a maa/authorize result set; throws PolicyUnavailableError unless it matches the contract. */
export function readAuthorize(resultSet: unknown): AuthorizeResult {
  const r = single(resultSet, 'maa/authorize');
  if (typeof r.allow !== 'boolean') fail('maa/authorize', '"allow" is not a boolean');
  if (!isStringArray(r.reasons, false)) fail('maa/authorize', '"reasons" is not a list of strings');
  // A refusal always says why, so the console can show it.
  if (!r.allow && r.reasons.length === 0) fail('maa/authorize', 'a refusal without reasons');
  return { allow: r.allow, reasons: r.reasons };
}
