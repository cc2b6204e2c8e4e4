/**
 * config/roles.yaml: roles beyond approver groups, given to the authorize policy as data.
 * The file is optional; without it nobody is an auditor.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { compileSchema } from './schema-check';
import { readYamlFile } from './yaml-file';

export interface Roles {
  /** Members may view every request, and do nothing else by this role. */
  auditorGroups: string[];
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
  },
} as const;

const check = compileSchema<Roles>(schema);

/**
 * Loads `<configDir>/roles.yaml`, or no roles when it does not exist.
 * @example
 * loadRoles('config'); // { auditorGroups: ['auditors'] }
 */
export function loadRoles(configDir: string): Roles {
  const path = join(configDir, 'roles.yaml');
  if (!existsSync(path)) return { auditorGroups: [] };
  const file = readYamlFile(path);
  if (file.value === undefined) return { auditorGroups: [] };
  const roles = check(file);
  return { auditorGroups: [...roles.auditorGroups] };
}
