/**
 * Everything the policy needs from config/: profile types, access policies and roles, all
 * validated together, and the data document handed to the Wasm policy (data.countersign).
 * Loading either succeeds completely or throws ConfigError: nothing half-loaded is used.
 */
import { createHash } from 'node:crypto';
import type { AccessPolicy } from './policy-definitions';
import { loadAccessPolicies } from './access-policies';
import { loadProfileTypes, type CompiledRoute, type LoadedProfileType, type ProfileTypeOptions } from './profile-types';
import { loadRoles, type Roles } from './roles';

/** The document the Rego policy reads as `data.countersign`. docs/policy.md describes it. */
export interface PolicyData {
  profileTypes: Record<string, { caseInsensitive: boolean; apiVersions: string[]; routes: CompiledRoute[] }>;
  /** Every profile type's version segments in lower case → true: a quick test before the per-type check. */
  apiVersionSegments: Record<string, true>;
  /** METHOD → first key → second key → routes; the keys are those of routeKeys. */
  routeIndex: Record<string, Record<string, Record<string, RouteIndexEntry[]>>>;
  /**
   * Each policy without `source`; the optional keys (stages, when, …) only when its YAML has them.
   * Not changeWindows: the gateway reads those, not the Rego.
   */
  accessPolicies: Omit<AccessPolicy, 'source' | 'description' | 'changeWindows'>[];
  roles: Roles;
}

export interface RouteIndexEntry {
  profileType: string;
  caseInsensitive: boolean;
  route: CompiledRoute;
}

/** Methods a route can protect; a route with method "*" is indexed under each. */
const MUTATION_METHODS = ['POST', 'PUT', 'PATCH', 'DELETE'] as const;

export interface PolicyConfig {
  profileTypes: LoadedProfileType[];
  accessPolicies: AccessPolicy[];
  roles: Roles;
  /** Given to the policy with setData as `{ countersign: data }`. */
  data: PolicyData;
  /** SHA-256 of the data document, part of the engine's revision. */
  dataHash: string;
}

/** What the loader must know about the gateway; the defaults are the strict readings. */
export type PolicyConfigOptions = ProfileTypeOptions;

/**
 * Loads and validates the policy configuration under `configDir`. `upstreamCaseInsensitivePaths`
 * (default true) is the gateway's `upstream.caseInsensitivePaths`: when true, a profile type that
 * says `caseInsensitive: false` is refused, since its routes could never match.
 * @example
 * const config = loadPolicyConfig('config');
 * config.accessPolicies.map((p) => p.name); // ['access-policies-approval', 'apps-approval', ...]
 * loadPolicyConfig('config', { upstreamCaseInsensitivePaths: gatewayConfig.upstream.caseInsensitivePaths });
 */
export function loadPolicyConfig(configDir: string, options: PolicyConfigOptions = {}): PolicyConfig {
  const profileTypes = loadProfileTypes(configDir, options);
  const accessPolicies = loadAccessPolicies(configDir, new Set(profileTypes.map((t) => t.name)));
  const roles = loadRoles(configDir);
  const data: PolicyData = {
    profileTypes: Object.fromEntries(
      profileTypes.map((t) => [t.name, { caseInsensitive: t.caseInsensitive, apiVersions: t.compiledApiVersions, routes: t.compiledRoutes }]),
    ),
    apiVersionSegments: Object.fromEntries(profileTypes.flatMap((t) => t.apiVersions.map((v) => [v.toLowerCase(), true] as const))),
    accessPolicies: accessPolicies.map(({ source: _source, description: _description, changeWindows: _changeWindows, ...policy }) => policy),
    routeIndex: buildRouteIndex(profileTypes),
    roles,
  };
  // Change windows are read by the gateway, not the Rego; they are part of the revision all the same.
  const windows = JSON.stringify(accessPolicies.map((p) => p.changeWindows ?? null));
  const dataHash = createHash('sha256').update(JSON.stringify(data)).update(windows).digest('hex');
  return { profileTypes, accessPolicies, roles, data, dataHash };
}

/**
 * Indexes routes by method and their first two segments so that the policy looks only at routes
 * that could match a call, instead of walking every route of every profile type (or every route
 * under `/deviceManagement`, where most of Intune lives) on every decision.
 */
function buildRouteIndex(profileTypes: LoadedProfileType[]): PolicyData['routeIndex'] {
  const index: PolicyData['routeIndex'] = {};
  for (const method of MUTATION_METHODS) index[method] = {};
  for (const type of profileTypes) {
    for (const route of type.compiledRoutes) {
      const [first, second] = routeKeys(route);
      for (const method of route.method === '*' ? MUTATION_METHODS : [route.method as (typeof MUTATION_METHODS)[number]]) {
        ((index[method]![first] ??= {})[second] ??= []).push({ profileType: type.name, caseInsensitive: type.caseInsensitive, route });
      }
    }
  }
  return index;
}

/**
 * A route's two index keys, in lower case. The policy looks a call up under its segment (and "{}")
 * for the first key, and under its next segment, "{}" and "" for the second, so the keys say which
 * calls a route could claim:
 * - first: the first literal, or "{}" when the template starts with a parameter; such a route is
 *   always keyed "{}", "{}", since a type cast beside its id may shift the segment after it;
 * - second: the second literal; "{}" for a parameter there or a one-literal `{rest...}` route (any
 *   next segment); "" for a one-literal exact route (`/groups`, also claimed by a typed create
 *   `/groups/microsoft.graph.group`).
 * @example routeKeys(compiled('/deviceManagement/deviceCategories/{id}')) // ['devicemanagement', 'devicecategories']
 */
export function routeKeys(route: CompiledRoute): [first: string, second: string] {
  const [first, second] = route.literals;
  if (typeof first !== 'string') return ['{}', '{}'];
  if (route.literals.length < 2) return [first.toLowerCase(), route.rest ? '{}' : ''];
  return [first.toLowerCase(), typeof second === 'string' ? second.toLowerCase() : '{}'];
}
