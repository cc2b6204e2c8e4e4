/**
 * Profile types from config/profile-types/*.yaml: a kind of protected resource and the upstream
 * routes that change it. Each file is checked against a schema, then all routes together are
 * checked for overlaps, because a call claimed by two routes could not be decided.
 */
import { join, relative } from 'node:path';
import type { Operation, ProfileRoute, ProfileType } from './policy-definitions';
import { ConfigError } from './config-error';
import { compileSchema } from './schema-check';
import { listYamlFiles } from './yaml-dir';
import { readYamlFile, type YamlFile } from './yaml-file';

/** `{name}` matches one segment; a last `{name...}` matches one or more. */
const SEGMENT = String.raw`(?:[A-Za-z0-9._~!$&'()*+,=:@-]+|\{[A-Za-z][A-Za-z0-9_]*\}|\{[A-Za-z][A-Za-z0-9_]*\.\.\.\})`;

const schema = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'description', 'routes'],
  properties: {
    name: { type: 'string', pattern: '^[A-Za-z][A-Za-z0-9_-]{0,63}$', description: 'a name of letters, digits, _ and -, starting with a letter' },
    description: { type: 'string', maxLength: 1000 },
    // Default true: the strict reading. A case-sensitive type is only allowed when the gateway's
    // upstream is case-sensitive too (checked in compileProfileType), see docs/policy.md.
    caseInsensitive: { type: 'boolean', default: true },
    apiVersions: {
      type: 'array',
      maxItems: 20,
      uniqueItems: true,
      default: [],
      items: {
        type: 'string',
        pattern: '^[A-Za-z0-9][A-Za-z0-9._~-]{0,31}$',
        description: 'one path segment such as v1.0 or beta (letters, digits, ".", "_", "~", "-")',
      },
    },
    routes: {
      type: 'array',
      minItems: 1,
      maxItems: 200,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['method', 'path', 'operation'],
        properties: {
          method: { enum: ['POST', 'PUT', 'PATCH', 'DELETE', '*'] },
          path: {
            type: 'string',
            maxLength: 1000,
            pattern: `^(?:/${SEGMENT})+$`,
            description: 'a path template such as /deviceAppManagement/mobileApps/{id} (a last segment may be {rest...})',
          },
          operation: { enum: ['create', 'modify', 'delete', 'assign'] },
        },
      },
    },
  },
} as const;

interface RawProfileType {
  name: string;
  description: string;
  caseInsensitive: boolean;
  apiVersions: string[];
  routes: { method: string; path: string; operation: Operation }[];
}

const check = compileSchema<RawProfileType>(schema);

/** A route as the Rego policy matches it (data.countersign.profileTypes[name].routes[i]). */
export interface CompiledRoute {
  method: string;
  operation: Operation;
  /** One entry per fixed segment: the literal (lower case when the type ignores case), or null for `{param}`. */
  literals: (string | null)[];
  /** Whether the template ends in `{name...}` (one or more further segments). */
  rest: boolean;
  /** How many leading segments name the object; 0 for a create on a collection. */
  objectLength: number;
}

/** A loaded profile type with its routes compiled for the policy. */
export interface LoadedProfileType extends ProfileType {
  /** As written, for display. */
  apiVersions: string[];
  /** As the policy compares them: lower case when the type ignores case. */
  compiledApiVersions: string[];
  compiledRoutes: CompiledRoute[];
}

/** What the loader must know about the gateway the profile types will serve. */
export interface ProfileTypeOptions {
  /**
   * Whether the upstream ignores the case of paths (the gateway's `upstream.caseInsensitivePaths`).
   * Default true, the strict reading, for tools that have no gateway configuration (`explain`,
   * `policy test`, `policy build`).
   */
  upstreamCaseInsensitivePaths?: boolean;
}

/**
 * Loads and checks every profile type under `<configDir>/profile-types/`.
 * @example
 * const types = loadProfileTypes('config'); // [{ name: 'apps', caseInsensitive: true, routes: [...] }, ...]
 * loadProfileTypes('config', { upstreamCaseInsensitivePaths: false }); // also allows `caseInsensitive: false`
 */
export function loadProfileTypes(configDir: string, options: ProfileTypeOptions = {}): LoadedProfileType[] {
  const upstreamCaseInsensitive = options.upstreamCaseInsensitivePaths ?? true;
  const files = listYamlFiles(join(configDir, 'profile-types')).map((path) => readYamlFile(path));
  const issues: string[] = [];
  const loaded: { file: YamlFile; type: LoadedProfileType }[] = [];
  for (const file of files) {
    try {
      const raw = check(file);
      if (upstreamCaseInsensitive && !raw.caseInsensitive) throw new ConfigError('CONFIG_INVALID', [caseRuleIssue(file)]);
      loaded.push({ file, type: compileProfileType(raw, file, configDir) });
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      issues.push(...error.issues);
    }
  }
  if (issues.length === 0) issues.push(...crossCheck(loaded));
  if (issues.length > 0) throw new ConfigError('CONFIG_INVALID', issues);
  return loaded.map((l) => l.type);
}

/**
 * The gateway lower-cases the path it gives the policy when the upstream ignores case, so a
 * case-sensitive type's mixed-case routes would never match and its changes would pass unapproved.
 */
function caseRuleIssue(file: YamlFile): string {
  return (
    `${file.where(['caseInsensitive'])}: caseInsensitive: false is refused because the upstream ignores the case of paths ` +
    `(upstream.caseInsensitivePaths: true): the policy sees lower-case paths, so routes compared with case would never match ` +
    `and their changes would pass unapproved. Remove the line (the default is true), or set upstream.caseInsensitivePaths: false ` +
    `if the upstream really tells /Apps from /apps`
  );
}

function compileProfileType(raw: RawProfileType, file: YamlFile, configDir: string): LoadedProfileType {
  const issues: string[] = [];
  const compiledRoutes = raw.routes.map((route, i) => {
    const segments = route.path.split('/').slice(1);
    const literals: (string | null)[] = [];
    let rest = false;
    let firstParam = -1;
    segments.forEach((segment, j) => {
      const isRest = segment.endsWith('...}');
      const isParam = segment.startsWith('{');
      if (isRest && j !== segments.length - 1) {
        issues.push(`${file.where(['routes', i, 'path'])}: routes.${i}.path: ${segment} must be the last segment`);
      }
      if (segment === '.' || segment === '..') {
        issues.push(`${file.where(['routes', i, 'path'])}: routes.${i}.path: dot segments are not allowed`);
      }
      if (isParam && firstParam < 0) firstParam = j;
      if (isRest) rest = true;
      else literals.push(isParam ? null : raw.caseInsensitive ? segment.toLowerCase() : segment);
    });
    const objectLength =
      firstParam >= 0 ? firstParam + 1 : route.operation === 'create' ? 0 : literals.length;
    return { method: route.method, operation: route.operation, literals, rest, objectLength };
  });
  const compiledApiVersions = raw.apiVersions.map((v) => (raw.caseInsensitive ? v.toLowerCase() : v));
  if (new Set(compiledApiVersions).size !== compiledApiVersions.length) {
    issues.push(`${file.where(['apiVersions'])}: apiVersions: a version is listed twice (letter case is ignored for this type)`);
  }
  if (issues.length > 0) throw new ConfigError('CONFIG_INVALID', issues);
  const routes: ProfileRoute[] = raw.routes.map((r) => ({ path: r.path, method: r.method, operation: r.operation }));
  return {
    name: raw.name,
    description: raw.description,
    caseInsensitive: raw.caseInsensitive,
    apiVersions: [...raw.apiVersions],
    compiledApiVersions,
    routes,
    compiledRoutes,
    source: relative(configDir, file.path),
  };
}

/** Unique names, and no call that two routes could both claim. */
function crossCheck(loaded: { file: YamlFile; type: LoadedProfileType }[]): string[] {
  const issues: string[] = [];
  const seen = new Map<string, YamlFile>();
  for (const { file, type } of loaded) {
    const other = seen.get(type.name);
    if (other) issues.push(`${file.where(['name'])}: profile type "${type.name}" is already defined in ${other.where(['name'])}`);
    seen.set(type.name, file);
  }
  // A version segment that is also the first literal of some route lets one call be read two ways
  // (`/beta/x` as version beta + route x, or as route beta/x): refuse the configuration instead.
  const firstLiterals = new Map<string, string>();
  for (const { type } of loaded) {
    type.compiledRoutes.forEach((route, i) => {
      const first = route.literals[0];
      if (typeof first === 'string') firstLiterals.set(first.toLowerCase(), `${type.name} routes.${i} (${type.routes[i]!.path})`);
    });
  }
  for (const { file, type } of loaded) {
    type.apiVersions.forEach((version, i) => {
      const clash = firstLiterals.get(version.toLowerCase());
      if (clash) issues.push(`${file.where(['apiVersions', i])}: apiVersions.${i} "${version}" is also the first segment of ${clash}; a path must read one way`);
    });
  }
  const all = loaded.flatMap(({ file, type }) => type.compiledRoutes.map((route, i) => ({ file, type, route, i })));
  for (let a = 0; a < all.length; a++) {
    for (let b = a + 1; b < all.length; b++) {
      const x = all[a]!;
      const y = all[b]!;
      if (overlaps(x.route, y.route)) {
        issues.push(
          `${y.file.where(['routes', y.i, 'path'])}: routes.${y.i} (${y.type.routes[y.i]!.method} ${y.type.routes[y.i]!.path}) overlaps ` +
            `${x.type.name} routes.${x.i} (${x.type.routes[x.i]!.method} ${x.type.routes[x.i]!.path}); a call must belong to one route`,
        );
      }
    }
  }
  return issues;
}

function overlaps(x: CompiledRoute, y: CompiledRoute): boolean {
  if (x.method !== y.method && x.method !== '*' && y.method !== '*') return false;
  // Exact routes win over rest routes in the policy, so only routes of the same kind can clash.
  if (x.rest !== y.rest) return false;
  if (!x.rest && x.literals.length !== y.literals.length) return false;
  const n = Math.min(x.literals.length, y.literals.length);
  for (let i = 0; i < n; i++) {
    const p = x.literals[i];
    const q = y.literals[i];
    if (p != null && q != null && p.toLowerCase() !== q.toLowerCase()) return false;
  }
  return true;
}
