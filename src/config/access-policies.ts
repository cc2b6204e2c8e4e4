/**
 * Access policies from config/access-policies/*.yaml, one per file, with Intune's fields
 * (name, description, exactly one profile type, approver groups) plus requiredApprovals and enabled,
 * and the change-control keys of docs/policy.md: stages, veto, required reasons, conditions, expiry,
 * change windows.
 */
import { join, relative } from 'node:path';
import ms from 'ms';
import { LIMITS } from '../limits';
import type { AccessPolicy, PolicyStage, PolicyWhen } from './policy-definitions';
import { ConfigError } from './config-error';
import { changeWindowsSchema, checkChangeWindows, type ChangeWindow } from './change-windows';
import { compileSchema } from './schema-check';
import { listYamlFiles } from './yaml-dir';
import { readYamlFile, type YamlFile } from './yaml-file';

const groupList = {
  type: 'array',
  minItems: 1,
  maxItems: 50,
  uniqueItems: true,
  items: { type: 'string', minLength: 1, maxLength: 256 },
} as const;

/** Minutes, hours or days: `90m`, `12h`, `7d`; the range is checked after parsing. */
const duration = { type: 'string', pattern: '^[1-9][0-9]{0,6}(m|h|d)$', description: 'a duration such as 90m, 12h or 7d' } as const;
const DURATION_MIN_MS = 60_000;
const DURATION_MAX_MS = 3650 * 24 * 60 * 60 * 1000;

const schema = {
  type: 'object',
  additionalProperties: false,
  // approverGroups, or stages instead: checked below, where the message can say which.
  required: ['name', 'description', 'profileType'],
  properties: {
    name: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$', description: 'a name of letters, digits, ., _ and -, such as apps-approval' },
    description: { type: 'string', maxLength: 1000 },
    profileType: { type: 'string', minLength: 1, maxLength: 64 },
    approverGroups: groupList,
    // No default here: with stages it must be absent; the one-stage default (1) is applied below.
    requiredApprovals: { type: 'integer', minimum: 1, maximum: 10 },
    enabled: { type: 'boolean', default: true },
    stages: {
      type: 'array',
      minItems: 1,
      maxItems: 5,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name', 'approverGroups'],
        properties: {
          name: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$', description: 'a name of letters, digits, ., _ and -, such as security' },
          approverGroups: groupList,
          requiredApprovals: { type: 'integer', minimum: 1, maximum: 10, default: 1 },
        },
      },
    },
    rejectPolicy: { type: 'string', enum: ['any', 'majority'] },
    justification: { type: 'string', enum: ['required', 'optional'] },
    rejectNotes: { type: 'string', enum: ['required', 'optional'] },
    onStale: { type: 'string', enum: ['refuse', 'allow'] },
    when: {
      type: 'object',
      additionalProperties: false,
      minProperties: 1,
      properties: {
        methods: { type: 'array', minItems: 1, uniqueItems: true, items: { type: 'string', enum: ['POST', 'PUT', 'PATCH', 'DELETE'] } },
        operations: { type: 'array', minItems: 1, uniqueItems: true, items: { type: 'string', enum: ['create', 'modify', 'delete', 'assign'] } },
        bodyFields: {
          type: 'array',
          minItems: 1,
          maxItems: 50,
          uniqueItems: true,
          items: { type: 'string', pattern: '^[^\\s]{1,128}$', description: 'a top-level JSON field name without spaces, such as scriptContent' },
        },
      },
    },
    appliesTo: groupList,
    exempt: groupList,
    expiresAfter: duration,
    approvedExpiresAfter: duration,
    changeWindows: changeWindowsSchema,
  },
} as const;

interface RawStage {
  name: string;
  approverGroups: string[];
  requiredApprovals: number;
}

interface RawAccessPolicy {
  name: string;
  description: string;
  profileType: string;
  approverGroups?: string[];
  requiredApprovals?: number;
  enabled: boolean;
  stages?: RawStage[];
  rejectPolicy?: 'any' | 'majority';
  justification?: 'required' | 'optional';
  rejectNotes?: 'required' | 'optional';
  onStale?: 'refuse' | 'allow';
  when?: PolicyWhen;
  appliesTo?: string[];
  exempt?: string[];
  expiresAfter?: string;
  approvedExpiresAfter?: string;
  changeWindows?: ChangeWindow[];
}

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
      const policy = accessPolicyOf(raw, file, issues);
      if (policy) policies.push({ ...policy, source: relative(configDir, path) });
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      issues.push(...error.issues);
    }
  }
  checkStagedPolicyAlone(policies, seen, issues);
  if (issues.length > 0) throw new ConfigError('CONFIG_INVALID', issues);
  return policies;
}

/** The checks a JSON Schema cannot say well, each with its own file:line:column; null when one failed. */
function accessPolicyOf(raw: RawAccessPolicy, file: YamlFile, issues: string[]): Omit<AccessPolicy, 'source'> | null {
  const before = issues.length;
  if (raw.stages && raw.approverGroups) issues.push(`${file.where(['stages'])}: stages replace approverGroups: give either approverGroups (one stage) or stages, not both`);
  if (raw.stages && raw.requiredApprovals !== undefined) issues.push(`${file.where(['requiredApprovals'])}: with stages, each stage says its own requiredApprovals`);
  if (!raw.stages && !raw.approverGroups) issues.push(`${file.where([])}: approverGroups is required (or stages: [{ name, approverGroups, requiredApprovals }, …])`);
  const stageNames = new Set<string>();
  for (const [i, stage] of (raw.stages ?? []).entries()) {
    if (stageNames.has(stage.name)) issues.push(`${file.where(['stages', i, 'name'])}: stage "${stage.name}" is named twice`);
    stageNames.add(stage.name);
  }
  const total = (raw.stages ?? []).reduce((sum, st) => sum + st.requiredApprovals, 0);
  if (total > LIMITS.maxRequiredApprovals) {
    issues.push(`${file.where(['stages'])}: the stages need ${total} approvals in all; at most ${LIMITS.maxRequiredApprovals} are allowed`);
  }
  const overlap = (raw.appliesTo ?? []).filter((g) => raw.exempt?.includes(g));
  if (overlap.length > 0) issues.push(`${file.where(['exempt'])}: group ${overlap.join(', ')} is both in appliesTo and exempt`);
  const expiresAfterMs = durationMs(raw.expiresAfter, file, 'expiresAfter', issues);
  const approvedExpiresAfterMs = durationMs(raw.approvedExpiresAfter, file, 'approvedExpiresAfter', issues);
  if (raw.changeWindows) issues.push(...checkChangeWindows(file, raw.changeWindows));
  if (issues.length > before) return null;

  const stages: PolicyStage[] | undefined = raw.stages?.map((s) => ({ name: s.name, approverGroups: [...s.approverGroups], requiredApprovals: s.requiredApprovals }));
  const policy: Omit<AccessPolicy, 'source'> = {
    name: raw.name,
    description: raw.description,
    profileType: raw.profileType,
    approverGroups: stages ? [...new Set(stages.flatMap((s) => s.approverGroups))] : [...raw.approverGroups!],
    requiredApprovals: stages ? stages.reduce((sum, s) => sum + s.requiredApprovals, 0) : (raw.requiredApprovals ?? 1),
    enabled: raw.enabled,
  };
  // Only keys that were written: the one-stage form's data and decisions stay exactly as before.
  if (stages) policy.stages = stages;
  if (raw.rejectPolicy) policy.rejectPolicy = raw.rejectPolicy;
  if (raw.justification) policy.justification = raw.justification;
  if (raw.rejectNotes) policy.rejectNotes = raw.rejectNotes;
  if (raw.onStale) policy.onStale = raw.onStale;
  if (raw.when) policy.when = raw.when;
  if (raw.appliesTo) policy.appliesTo = [...raw.appliesTo];
  if (raw.exempt) policy.exempt = [...raw.exempt];
  if (expiresAfterMs !== undefined) policy.expiresAfterMs = expiresAfterMs;
  if (approvedExpiresAfterMs !== undefined) policy.approvedExpiresAfterMs = approvedExpiresAfterMs;
  if (raw.changeWindows) policy.changeWindows = raw.changeWindows.map((w) => ({ ...w, days: [...w.days] }));
  return policy;
}

function durationMs(text: string | undefined, file: YamlFile, key: string, issues: string[]): number | undefined {
  if (text === undefined) return undefined;
  const value = ms(text as ms.StringValue);
  if (!Number.isFinite(value) || value < DURATION_MIN_MS || value > DURATION_MAX_MS) {
    issues.push(`${file.where([key])}: ${key} must be from 1m to 3650d, e.g. 7d`);
    return undefined;
  }
  return value;
}

/**
 * Stages are one sequence of approvers: two enabled policies of one profile type could each say
 * another sequence, and no merge of them is obviously right. So a staged policy must be the only
 * enabled policy of its profile type (docs/policy.md "Stages").
 */
function checkStagedPolicyAlone(policies: Omit<AccessPolicy, 'source'>[], files: ReadonlyMap<string, YamlFile>, issues: string[]): void {
  for (const staged of policies.filter((p) => p.enabled && p.stages)) {
    const others = policies.filter((p) => p.enabled && p !== staged && p.profileType === staged.profileType).map((p) => p.name);
    if (others.length > 0) {
      issues.push(`${files.get(staged.name)!.where(['stages'])}: a staged policy must be the only enabled policy of profile type ${staged.profileType} (also enabled: ${others.join(', ')})`);
    }
  }
}
