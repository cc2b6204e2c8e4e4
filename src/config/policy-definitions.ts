/**
 * What config/ defines for the policy: the operations a route can be, profile types with their
 * protected routes, and access policies. They live here, not in policy/, because the policy
 * engine loads config/ (src/policy/engine.ts) and config/ must not import back from it;
 * src/policy/types.ts re-exports them for the policy's contract.
 */
import type { ChangeWindow } from './change-windows';

/** What a protected route does to its object. */
export type Operation = 'create' | 'modify' | 'delete' | 'assign';

/** One stage of a staged access policy: its approvers act only while it is the current stage. */
export interface PolicyStage {
  name: string;
  approverGroups: string[];
  requiredApprovals: number;
}

/**
 * `when:` of an access policy (docs/policy.md "Conditions"): every listed clause must hold for the
 * policy to apply to a call; within a clause, any listed value is enough.
 */
export interface PolicyWhen {
  methods?: string[];
  operations?: Operation[];
  /** Top-level JSON body fields; the clause holds when the call's body sends any of them. */
  bodyFields?: string[];
}

/** An access policy as loaded from config/access-policies/*.yaml (after defaults). */
export interface AccessPolicy {
  name: string;
  description: string;
  profileType: string;
  /** For a staged policy, every stage's groups (whoever may see and act on its requests at some stage). */
  approverGroups: string[];
  /** For a staged policy, the sum of the stages' approvals. */
  requiredApprovals: number;
  enabled: boolean;
  /** Serial stages; absent for the one-stage form (approverGroups + requiredApprovals). */
  stages?: PolicyStage[];
  /** `any` (default): one rejection ends a request; `majority`: see docs/policy.md "Veto". */
  rejectPolicy?: 'any' | 'majority';
  justification?: 'required' | 'optional';
  rejectNotes?: 'required' | 'optional';
  /**
   * What complete does when the object changed upstream since the call was parked: `refuse`
   * (default) ends the request as stale with 409 STALE_OBJECT; `allow` replays it anyway.
   */
  onStale?: 'refuse' | 'allow';
  when?: PolicyWhen;
  /** Applies only to requestors in one of these groups. */
  appliesTo?: string[];
  /** Does not apply to requestors in one of these groups. */
  exempt?: string[];
  /** Overrides requests.retentionMs for an open (needsApproval) request of this policy. */
  expiresAfterMs?: number;
  /** Overrides requests.approvedRetentionMs for an approved request of this policy. */
  approvedExpiresAfterMs?: number;
  /** When present, its requests may be completed only inside one of these windows (src/config/change-windows.ts). */
  changeWindows?: ChangeWindow[];
  /** The file it came from, relative to the config root. */
  source: string;
}

/** A protected route of a profile type, from config/profile-types/*.yaml. */
export interface ProfileRoute {
  /** Path template such as `/deviceAppManagement/mobileApps/{id}/assign`. */
  path: string;
  method: string;
  operation: Operation;
}

export interface ProfileType {
  name: string;
  description: string;
  /** Whether the upstream treats paths without regard to case (Microsoft Graph does). */
  caseInsensitive: boolean;
  /**
   * API version segments a call may carry before a route (`v1.0`, `beta` for Microsoft Graph):
   * `/v1.0/deviceAppManagement/mobileApps/42` matches `/deviceAppManagement/mobileApps/{id}` with the
   * same object key. Empty when the upstream has none. Optional here only so older callers compile.
   */
  apiVersions?: string[];
  routes: ProfileRoute[];
  source: string;
}
