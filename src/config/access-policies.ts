/**
 * Access policies from config/access-policies/*.yaml, one per file, with Intune's fields
 * (name, description, exactly one profile type, approver groups) plus requiredApprovals and enabled.
 */
import { join, relative } from 'node:path';
import type { AccessPolicy } from './policy-definitions';
import { ConfigError } from './config-error';
import { changeWindowsSchema, checkChangeWindows } from './change-windows';
import { compileSchema } from './schema-check';
import { listYamlFiles } from './yaml-dir';
import { readYamlFile, type YamlFile } from './yaml-file';

const schema = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'description', 'profileType', 'approverGroups'],
  properties: {
    name: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$', description: 'a name of letters, digits, ., _ and -, such as apps-approval' },
    description: { type: 'string', maxLength: 1000 },
    profileType: { type: 'string', minLength: 1, maxLength: 64 },
    approverGroups: {
      type: 'array',
      minItems: 1,
      maxItems: 50,
      uniqueItems: true,
      items: { type: 'string', minLength: 1, maxLength: 256 },
    },
    requiredApprovals: { type: 'integer', minimum: 1, maximum: 10, default: 1 },
    enabled: { type: 'boolean', default: true },
    changeWindows: changeWindowsSchema,
  },
} as const;

type RawAccessPolicy = Omit<AccessPolicy, 'source'>;

const check = compileSchema<RawAccessPolicy>(schema);

/**
 * Loads and checks every access policy under `<configDir>/access-policies/`; each must name a
 * known profile type and a unique name.
 * @example
 * const policies = loadAccessPolicies('config', new Set(['apps', 'scripts']));
 */
export function loadAccessPolicies(configDir: string, profileTypeNames: ReadonlySet<string>): AccessPolicy[] {
  const issues: string[] = [];
  const policies: AccessPolicy[] = [];
  const seen = new Map<string, YamlFile>();
  for (const path of listYamlFiles(join(configDir, 'access-policies'))) {
    try {
      const file = readYamlFile(path);
      const raw = check(file);
      if (!profileTypeNames.has(raw.profileType)) {
        issues.push(`${file.where(['profileType'])}: profileType "${raw.profileType}" is not a known profile type (${[...profileTypeNames].sort().join(', ') || 'none defined'})`);
      }
      const other = seen.get(raw.name);
      if (other) issues.push(`${file.where(['name'])}: access policy "${raw.name}" is already defined in ${other.where(['name'])}`);
      seen.set(raw.name, file);
      if (raw.changeWindows) issues.push(...checkChangeWindows(file, raw.changeWindows));
      policies.push({
        name: raw.name,
        description: raw.description,
        profileType: raw.profileType,
        approverGroups: [...raw.approverGroups],
        requiredApprovals: raw.requiredApprovals,
        enabled: raw.enabled,
        ...(raw.changeWindows ? { changeWindows: raw.changeWindows.map((w) => ({ ...w, days: [...w.days] })) } : {}),
        source: relative(configDir, path),
      });
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      issues.push(...error.issues);
    }
  }
  if (issues.length > 0) throw new ConfigError('CONFIG_INVALID', issues);
  return policies;
}
