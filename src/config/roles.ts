/**
 * config/roles.yaml: roles beyond approver groups, given to the authorize policy as data.
 * The file is optional; without it nobody is an auditor and nobody may break glass.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { compileSchema } from './schema-check';
import { readYamlFile } from './yaml-file';

export interface Roles {
  /** Members may view every request, and do nothing else by this role. */
  auditorGroups: string[];
  /** Members may complete their own open request without approvals, with a reason (break-glass; docs/policy.md). */
  breakGlassGroups: string[];
  /** The shortest break-glass reason accepted, in characters. */
  breakGlassMinReasonChars: number;
}

const schema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    auditorGroups: {
      type: 'array',
      maxItems: 50,
      uniqueItems: true,
      items: { type: 'string', minLength: 1, maxLength: 256 },
      default: [],
    },
    breakGlassGroups: {
      type: 'array',
      maxItems: 50,
      uniqueItems: true,
      items: { type: 'string', minLength: 1, maxLength: 256 },
      default: [],
    },
    // A reason of a few words at least: "fix" says nothing to the reviewer. At most the notes' limit.
    breakGlassMinReasonChars: { type: 'integer', minimum: 1, maximum: 1000, default: 20 },
  },
} as const;

/** Roles when config/roles.yaml is absent or empty: nobody is an auditor, nobody may break glass. */
const NO_ROLES: Roles = { auditorGroups: [], breakGlassGroups: [], breakGlassMinReasonChars: 20 };

const check = compileSchema<Roles>(schema);

/**
 * Loads `<configDir>/roles.yaml`, or no roles when it does not exist.
 * @example
 * loadRoles('config'); // { auditorGroups: ['auditors'], breakGlassGroups: ['incident-responders'], breakGlassMinReasonChars: 20 }
 */
export function loadRoles(configDir: string): Roles {
  const path = join(configDir, 'roles.yaml');
  if (!existsSync(path)) return { ...NO_ROLES };
  const file = readYamlFile(path);
  if (file.value === undefined) return { ...NO_ROLES };
  const roles = check(file);
  return { auditorGroups: [...roles.auditorGroups], breakGlassGroups: [...roles.breakGlassGroups], breakGlassMinReasonChars: roles.breakGlassMinReasonChars };
}
