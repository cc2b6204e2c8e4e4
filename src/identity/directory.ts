/**
 * A YAML directory of extra group memberships, merged with what the token says:
 *
 * ```yaml
 * users:
 *   alice: { groups: [helpdesk], email: alice@example.com }
 *   bob:
 *     groups: [app-approvers, script-approvers]
 *     email: bob@example.com
 * ```
 *
 * `email` is optional: the e-mail channel of notifications (src/notifications/) writes to the
 * members of a request's approver groups and to its requestor at these addresses.
 *
 * Names are made canonical when the file is read (invariant 9), so `Bob:` is found for the caller
 * `bob`. Two names that are one person once canonical (`bob` and `BOB`) refuse the file, naming
 * both places: merging them would silently give one account the groups written for another entry,
 * and a directory is a list of accounts, so two spellings of one is a mistake to fix, not to guess.
 */
import { ConfigError } from '../config/config-error';
import { readYamlFile } from '../config/yaml-file';
import { validGroups } from './caller-claims';
import { checkUserId } from './user-id';

export interface Directory {
  /** Extra groups of a user, by canonical id (as identity gives it); empty for users not in the directory. */
  groupsOf(userId: string): readonly string[];
  /** The users the directory puts in a group, by canonical id; empty for a group it does not name. */
  membersOf(group: string): readonly string[];
  /** A user's e-mail address, when the directory gives one. */
  emailOf(userId: string): string | undefined;
}

const MAX_USERS = 100_000;
/**
 * An address nodemailer and any SMTP server take: one local part and domain, no display name,
 * spaces, commas or angle brackets (which would let one entry name several recipients).
 */
const EMAIL = /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

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
  const emails = new Map<string, string>();
  /** Where each canonical id was first written, to name both places of a duplicate. */
  const firstAt = new Map<string, string>();
  for (const name of names) {
    const entry = (users as Record<string, unknown>)[name];
    const at = file.where(['users', name]);
    const user = checkUserId(name);
    if (!user.ok) issues.push(`${at}: ${user.reason}`);
    else if (firstAt.has(user.userId)) {
      issues.push(`${at}: user ${user.userId} appears twice (also at ${firstAt.get(user.userId)}): ids are compared as NFKC, trimmed, case-folded; list each user once`);
    } else firstAt.set(user.userId, at);
    if (!entry || typeof entry !== 'object' || Array.isArray(entry)) {
      issues.push(`${at}: each user is a mapping with groups; for example ${example}`);
      continue;
    }
    const { groups, email, ...rest } = entry as Record<string, unknown>;
    for (const key of Object.keys(rest)) issues.push(`${file.where(['users', name, key])}: unknown key ${key}; expected groups or email`);
    const list = validGroups(groups ?? []);
    if (!list) issues.push(`${file.where(['users', name, 'groups'])}: groups must be a list of names, for example [helpdesk]`);
    else if (user.ok) map.set(user.userId, list);
    if (email !== undefined) {
      if (typeof email !== 'string' || email.length > 254 || !EMAIL.test(email)) {
        issues.push(`${file.where(['users', name, 'email'])}: email must be one plain address, for example alice@example.com`);
      } else if (user.ok) emails.set(user.userId, email);
    }
  }
  if (issues.length > 0) throw new ConfigError('CONFIG_INVALID', issues);
  const members = new Map<string, string[]>();
  for (const [userId, list] of map) {
    for (const group of list) members.set(group, [...(members.get(group) ?? []), userId]);
  }
  return {
    groupsOf: (userId) => map.get(userId) ?? [],
    membersOf: (group) => members.get(group) ?? [],
    emailOf: (userId) => emails.get(userId),
  };
}
