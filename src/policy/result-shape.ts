/**
 * The strict reading of what the Wasm policy answered. A result of the wrong shape is an error,
 * and the engine turns every error into PolicyUnavailableError, which callers treat as deny.
 */
import { PolicyUnavailableError } from './errors';
import type { AuthorizeResult, Decision, Operation, PolicyStage, ProtectedDecision } from './types';

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
  if (r.protected === false) {
    if (r.why === undefined) return { protected: false };
    if (!isStringArray(r.why, true)) fail('maa/decision', '"why" is not a non-empty list of strings');
    return { protected: false, why: r.why };
  }
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
  const decision: ProtectedDecision = { protected: true, profileType, objectKey, operation: operation as Operation, policies, approverGroups, requiredApprovals };
  return withChangeControl(decision, r);
}

const DURATION_KEYS = ['expiresAfterMs', 'approvedExpiresAfterMs'] as const;

/** The optional change-control keys, each checked as strictly as the rest: a wrong one denies. */
function withChangeControl(decision: ProtectedDecision, r: Record<string, unknown>): ProtectedDecision {
  if (r.stages !== undefined) decision.stages = readStages(r.stages, decision);
  if (r.rejectPolicy !== undefined) {
    if (r.rejectPolicy !== 'majority') fail('maa/decision', '"rejectPolicy" is not "majority"');
    decision.rejectPolicy = 'majority';
  }
  for (const key of ['justification', 'rejectNotes'] as const) {
    if (r[key] === undefined) continue;
    if (r[key] !== 'required') fail('maa/decision', `"${key}" is not "required"`);
    decision[key] = 'required';
  }
  if (r.onStale !== undefined) {
    if (r.onStale !== 'allow') fail('maa/decision', '"onStale" is not "allow"');
    decision.onStale = 'allow';
  }
  for (const key of DURATION_KEYS) {
    const value = r[key];
    if (value === undefined) continue;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) fail('maa/decision', `"${key}" is not a positive integer`);
    decision[key] = value;
  }
  if (r.why !== undefined) {
    if (!isStringArray(r.why, true)) fail('maa/decision', '"why" is not a non-empty list of strings');
    decision.why = r.why;
  }
  return decision;
}

function readStages(value: unknown, decision: ProtectedDecision): PolicyStage[] {
  if (!Array.isArray(value) || value.length === 0) fail('maa/decision', '"stages" is not a non-empty list');
  return value.map((stage: unknown, i) => {
    const s = stage as Record<string, unknown> | null;
    if (!s || typeof s.name !== 'string' || s.name === '') fail('maa/decision', `stage ${i} has no name`);
    if (!isStringArray(s.approverGroups, true) || !s.approverGroups.every((g) => decision.approverGroups.includes(g))) {
      fail('maa/decision', `stage ${s.name}'s approverGroups are not a non-empty subset of the decision's`);
    }
    if (typeof s.requiredApprovals !== 'number' || !Number.isInteger(s.requiredApprovals) || s.requiredApprovals < 1) {
      fail('maa/decision', `stage ${s.name}'s requiredApprovals is not a positive integer`);
    }
    return { name: s.name, approverGroups: s.approverGroups, requiredApprovals: s.requiredApprovals };
  });
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
