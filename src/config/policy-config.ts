/**
 * Everything the policy needs from config/: profile types, access policies and roles, all
 * validated together, and the data document handed to the Wasm policy (data.countersign).
 * Loading either succeeds completely or throws ConfigError: nothing half-loaded is used.
 */
import { createHash } from 'node:crypto';
import type { AccessPolicy } from '../policy/types';
import { loadAccessPolicies } from './access-policies';
import { loadProfileTypes, type CompiledRoute, type LoadedProfileType } from './profile-types';
import { loadRoles, type Roles } from './roles';

/** The document the Rego policy reads as `data.countersign`. docs/policy.md describes it. */
export interface PolicyData {
  profileTypes: Record<string, { caseInsensitive: boolean; routes: CompiledRoute[] }>;
  accessPolicies: Pick<AccessPolicy, 'name' | 'profileType' | 'approverGroups' | 'requiredApprovals' | 'enabled'>[];
  roles: Roles;
}

export interface PolicyConfig {
  profileTypes: LoadedProfileType[];
  accessPolicies: AccessPolicy[];
  roles: Roles;
  /** Given to the policy with setData as `{ countersign: data }`. */
  data: PolicyData;
  /** SHA-256 of the data document, part of the engine's revision. */
  dataHash: string;
}

/**
 * Loads and validates the policy configuration under `configDir`.
 * @example
 * const config = loadPolicyConfig('config');
 * config.accessPolicies.map((p) => p.name); // ['access-policies-approval', 'apps-approval', 'scripts-approval']
 */
export function loadPolicyConfig(configDir: string): PolicyConfig {
  const profileTypes = loadProfileTypes(configDir);
  const accessPolicies = loadAccessPolicies(configDir, new Set(profileTypes.map((t) => t.name)));
  const roles = loadRoles(configDir);
  const data: PolicyData = {
    profileTypes: Object.fromEntries(
      profileTypes.map((t) => [t.name, { caseInsensitive: t.caseInsensitive, routes: t.compiledRoutes }]),
    ),
    accessPolicies: accessPolicies.map(({ name, profileType, approverGroups, requiredApprovals, enabled }) => ({
      name,
      profileType,
      approverGroups,
      requiredApprovals,
      enabled,
    })),
    roles,
  };
  const dataHash = createHash('sha256').update(JSON.stringify(data)).digest('hex');
  return { profileTypes, accessPolicies, roles, data, dataHash };
}
