/**
 * What config/ defines for the policy: the operations a route can be, profile types with their
 * protected routes, and access policies. They live here, not in policy/, because the policy
 * engine loads config/ (src/policy/engine.ts) and config/ must not import back from it;
 * src/policy/types.ts re-exports them for the policy's contract.
 */
import type { ChangeWindow } from './change-windows';

/** What a protected route does to its object. */
export type Operation = 'create' | 'modify' | 'delete' | 'assign';

/** An access policy as loaded from config/access-policies/*.yaml (after defaults). */
export interface AccessPolicy {
  name: string;
  description: string;
  profileType: string;
  approverGroups: string[];
  requiredApprovals: number;
  enabled: boolean;
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
