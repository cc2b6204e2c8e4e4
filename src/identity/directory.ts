/**
 * A YAML directory of extra group memberships, merged with what the token says:
 *
 * ```yaml
 * users:
 *   alice: { groups: [helpdesk] }
 *   bob:
 *     groups: [app-approvers, script-approvers]
 * ```
 */
import { ConfigError } from '../config/config-error';
import { readYamlFile } from '../config/yaml-file';
import { isValidName, validGroups } from './caller-claims';

export interface Directory {
  /** Extra groups of a user; empty for users not in the directory. */
  groupsOf(userId: string): readonly string[];
}

const MAX_USERS = 100_000;

/**
 * Reads and checks a directory file. Throws ConfigError naming file, line and column.
 * @example
 * loadDirectory('config/directory.yaml').groupsOf('bob'); // ['app-approvers']
 */
export function loadDirectory(path: string): Directory {
  const file = readYamlFile(path);
  const example = 'users: { alice: { groups: [helpdesk] } }';
  const root = file.value;
  const users = root && typeof root === 'object' && !Array.isArray(root) ? (root as Record<string, unknown>).users : undefined;
  if (!users || typeof users !== 'object' || Array.isArray(users)) {
    throw new ConfigError('CONFIG_INVALID', [`${file.where(['users'])}: expected a \`users\` mapping; for example ${example}`]);
  }
  const issues: string[] = [];
  for (const key of Object.keys(root as object)) {
    if (key !== 'users') issues.push(`${file.where([key])}: unknown key ${key}; expected only \`users\``);
  }
  const names = Object.keys(users);
  if (names.length > MAX_USERS) issues.push(`${file.where(['users'])}: more than ${MAX_USERS} users`);
  const map = new Map<string, string[]>();
  for (const name of names) {
    const entry = (users as Record<string, unknown>)[name];
    if (!isValidName(name)) issues.push(`${file.where(['users', name])}: user id must be 1 to 256 printable characters`);
    if (!entry || typeof entry !== 'object' || Array.isArray(entry)) {
      issues.push(`${file.where(['users', name])}: each user is a mapping with groups; for example ${example}`);
      continue;
    }
    const { groups, ...rest } = entry as Record<string, unknown>;
    for (const key of Object.keys(rest)) issues.push(`${file.where(['users', name, key])}: unknown key ${key}; expected groups`);
    const list = validGroups(groups ?? []);
    if (!list) issues.push(`${file.where(['users', name, 'groups'])}: groups must be a list of names, for example [helpdesk]`);
    else map.set(name, list);
  }
  if (issues.length > 0) throw new ConfigError('CONFIG_INVALID', issues);
  return { groupsOf: (userId) => map.get(userId) ?? [] };
}
