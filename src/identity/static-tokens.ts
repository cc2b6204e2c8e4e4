/**
 * Trusted static bearer tokens from a YAML file, for local use and the demo:
 *
 * ```yaml
 * tokens:
 *   - token: demo-alice
 *     userId: alice
 *     groups: [helpdesk]
 *     description: helpdesk; makes changes
 * ```
 *
 * Each `userId` is made canonical when the file is read (invariant 9; `"Alice "` is `alice`), so
 * several tokens may name one person (a laptop's and a script's), in any spelling: they are one
 * requestor and at most one approver.
 *
 * Lookup is by the token's SHA-256 digest: the time a lookup takes depends on the digest, which
 * says nothing about how much of a token was right, and it costs the same for 5 tokens or 1,000.
 */
import { hash } from 'node:crypto';
import { ConfigError } from '../config/config-error';
import { readYamlFile } from '../config/yaml-file';
import { validGroups } from './caller-claims';
import { checkUserId } from './user-id';
import { MAX_TOKEN_BYTES } from './bearer-token';
import type { Caller } from '../policy/types';

export interface StaticIdentity {
  token: string;
  /** Canonical (see user-id.ts). */
  userId: string;
  groups: string[];
  description?: string;
}

export interface StaticTokens {
  /** The matching entry's caller, or undefined. */
  lookup(token: string): Caller | undefined;
  entries(): StaticIdentity[];
}

const TOKEN = /^[A-Za-z0-9._~+/=-]{8,}$/;
/** A local-use file: more tokens than this is a mistake, not a deployment. */
const MAX_TOKENS = 1000;

/** One-shot SHA-256 (no Hash object per lookup: this runs on every mutation with a static token). */
function digest(token: string): string {
  return hash('sha256', token, 'base64');
}

/** Builds the lookup from entries already checked. */
export function staticTokens(list: StaticIdentity[]): StaticTokens {
  const byDigest = new Map(list.map((entry) => [digest(entry.token), { userId: entry.userId, groups: [...entry.groups] }]));
  return {
    lookup(token) {
      const found = byDigest.get(digest(token));
      return found && { userId: found.userId, groups: [...found.groups] };
    },
    entries: () => list.map((entry) => ({ ...entry, groups: [...entry.groups] })),
  };
}

/**
 * Reads and checks a static token file. Throws ConfigError naming file, line and column.
 * @example
 * const tokens = loadStaticTokens('config/demo-tokens.yaml');
 * tokens.lookup('demo-alice'); // { userId: 'alice', groups: ['helpdesk'] }
 */
export function loadStaticTokens(path: string): StaticTokens {
  const file = readYamlFile(path);
  const issues: string[] = [];
  const example = 'tokens: [{ token: demo-alice, userId: alice, groups: [helpdesk], description: "makes changes" }]';
  const root = file.value;
  const list = root && typeof root === 'object' && !Array.isArray(root) ? (root as Record<string, unknown>).tokens : undefined;
  if (!Array.isArray(list)) throw new ConfigError('CONFIG_INVALID', [`${file.where(['tokens'])}: expected a \`tokens\` list; for example ${example}`]);
  for (const key of Object.keys(root as object)) {
    if (key !== 'tokens') issues.push(`${file.where([key])}: unknown key ${key}; expected only \`tokens\``);
  }
  if (list.length > MAX_TOKENS) issues.push(`${file.where(['tokens'])}: more than ${MAX_TOKENS} tokens`);
  const seen = new Set<string>();
  const entries: StaticIdentity[] = [];
  list.forEach((item, i) => {
    const at = (key?: string) => file.where(key ? ['tokens', i, key] : ['tokens', i]);
    if (!item || typeof item !== 'object' || Array.isArray(item)) {
      issues.push(`${at()}: each token is a mapping; for example ${example}`);
      return;
    }
    const { token, userId, groups = [], description, ...rest } = item as Record<string, unknown>;
    for (const key of Object.keys(rest)) issues.push(`${at(key)}: unknown key ${key}; expected token, userId, groups, description`);
    // The token itself never appears in a message.
    if (typeof token !== 'string' || !TOKEN.test(token) || token.length > MAX_TOKEN_BYTES) {
      issues.push(`${at('token')}: token must be 8 to ${MAX_TOKEN_BYTES} characters of A-Z a-z 0-9 . _ ~ + / = -`);
    } else if (seen.has(token)) {
      issues.push(`${at('token')}: the same token appears twice`);
    } else seen.add(token);
    const user = checkUserId(userId);
    if (!user.ok) issues.push(`${at('userId')}: ${user.reason}`);
    const groupList = validGroups(groups);
    if (!groupList) issues.push(`${at('groups')}: groups must be a list of names, for example [helpdesk, app-approvers]`);
    if (description !== undefined && (typeof description !== 'string' || description.length > 1000)) {
      issues.push(`${at('description')}: description must be text of at most 1000 characters`);
    }
    if (typeof token === 'string' && user.ok && groupList) {
      entries.push({ token, userId: user.userId, groups: groupList, ...(typeof description === 'string' ? { description } : {}) });
    }
  });
  if (issues.length > 0) throw new ConfigError('CONFIG_INVALID', issues);
  return staticTokens(entries);
}
