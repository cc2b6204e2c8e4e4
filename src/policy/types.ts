/**
 * The decision contract between the gateway and the Rego policy (entry points
 * `maa/decision` and `maa/authorize`). docs/policy.md documents it for policy authors.
 * A result that does not match these shapes is an error, and an error denies.
 */

// What config/ loads for the policy lives in config/ (the policy reads config, never the reverse).
import type { AccessPolicy, Operation, PolicyStage, ProfileType } from '../config/policy-definitions';
import type { Roles } from '../config/roles';

export type { AccessPolicy, Operation, PolicyStage, ProfileRoute, ProfileType } from '../config/policy-definitions';
export type { Roles } from '../config/roles';

/** Who is calling, as established by identity/. */
export interface Caller {
  userId: string;
  groups: string[];
}

/** The call as the upstream will act on it, after path normalisation. */
export interface CallInput {
  /** Upper case, after method-override headers were applied. */
  method: string;
  /** Normalised path: decoded, dot segments resolved, single slashes, no trailing slash, lower case where the upstream ignores case. */
  path: string;
  query: Record<string, string | string[]>;
  /** Selected headers, lower-case names (content-type, if-match, …). Never authorization or cookie. */
  headers: Record<string, string>;
  /** Parsed JSON body when the body is JSON; absent otherwise. */
  body?: unknown;
  /** True when there is a body the policy cannot read as JSON (another content type, or not JSON). */
  unreadableBody?: true;
}

export interface DecisionInput {
  call: CallInput;
  caller: Caller;
}

export interface ProtectedDecision {
  protected: true;
  profileType: string;
  /** One key per protected object, e.g. `apps:/deviceappmanagement/mobileapps/42`; at most one open request per key. */
  objectKey: string;
  operation: Operation;
  /** Names of the matching access policies. */
  policies: string[];
  approverGroups: string[];
  requiredApprovals: number;
  /** The change-control keys (docs/policy.md), present only when an applying policy says so. */
  stages?: PolicyStage[];
  rejectPolicy?: 'majority';
  justification?: 'required';
  rejectNotes?: 'required';
  /** Every applying policy says `onStale: allow`: complete replays even when the object changed upstream. */
  onStale?: 'allow';
  expiresAfterMs?: number;
  approvedExpiresAfterMs?: number;
  /** Which condition (`when`, `appliesTo`, `exempt`) made the call protected, when one took part. */
  why?: string[];
}

export type Decision = { protected: false; why?: string[] } | ProtectedDecision;

export type Action = 'view' | 'approve' | 'reject' | 'cancel' | 'complete' | 'breakGlass' | 'review';

/** What the authorize entry point is told about a stored request. */
export interface AuthorizeRequestView {
  id: string;
  status: string;
  requestor: Caller;
  profileType: string;
  operation: Operation;
  policies: string[];
  approverGroups: string[];
  requiredApprovals: number;
  /** User ids that already approved. */
  approvedBy: string[];
  /** A staged request waiting for approval: its current stage. */
  stage?: { name: string; approverGroups: string[] };
  /** User ids whose rejection did not end the request (rejectPolicy majority). */
  rejectedBy?: string[];
  /** Present when the requestor completed it by break-glass; `reviewed` once an approver reviewed it. */
  breakGlass?: { reviewed: boolean };
}

export interface AuthorizeInput {
  request: AuthorizeRequestView;
  actor: Caller;
  action: Action;
}

export interface AuthorizeResult {
  allow: boolean;
  reasons: string[];
}

/** What a poll of the bundle server did: took a new bundle, found it unchanged (304), could not fetch it, or refused it. */
export type BundleLoadOutcome = 'loaded' | 'unchanged' | 'fetch_failed' | 'refused';

export interface PolicyStatus {
  ready: boolean;
  /** Content hash of the loaded bundle and data. */
  revision?: string;
  /** The loaded bundle's manifest revision (the git commit it was built from), when it has one. */
  bundleRevision?: string;
  /** With policy.bundleUrl: where the bundle comes from and what the polls did so far. */
  bundle?: { url: string; etag?: string; lastCheckAt?: string; loads: Record<BundleLoadOutcome, number> };
  loadedAt?: string;
  /** The last reload failure, kept while the last good policy serves. */
  lastError?: string;
}

/**
 * The engine the gateway and the CLI use. Evaluation is synchronous and in-process;
 * every method throws PolicyUnavailableError rather than answer when no good policy is loaded.
 */
export interface PolicyEngine {
  decide(input: DecisionInput): Decision;
  authorize(input: AuthorizeInput): AuthorizeResult;
  status(): PolicyStatus;
  accessPolicies(): AccessPolicy[];
  profileTypes(): ProfileType[];
  /** Groups whose members see every request and the whole audit trail (config/roles.yaml), as loaded now. */
  auditorGroups(): string[];
  /** config/roles.yaml as loaded now: auditor and break-glass groups, the break-glass reason's minimum. */
  roles(): Roles;
  close(): Promise<void>;
}
