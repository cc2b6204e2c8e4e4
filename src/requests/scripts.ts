/**
 * The Lua scripts of the store: read once from src/requests/scripts/, with their
 * `--- @include "name"` lines replaced by src/requests/scripts/includes/<name>.lua (one
 * local function per file, as BullMQ does). They are given to node-redis as its `scripts`
 * (defineScript), which runs them with EVALSHA and, on NOSCRIPT (a restarted or flushed Redis),
 * sends the source once with EVAL, which caches it again for the next EVALSHA.
 */
import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { join, dirname } from 'node:path';
import { defineScript, type CommandParser, type RedisArgument } from 'redis';

const SCRIPTS_DIR = join(dirname(fileURLToPath(import.meta.url)), 'scripts');
const INCLUDE = /^--- @include "([a-z0-9-]+)"\s*$/gm;

export interface LuaScript {
  /** File name without `.lua`, e.g. `approve-3`; named in error messages. */
  name: string;
  numberOfKeys: number;
  source: string;
  sha1: string;
}

/**
 * Reads one script and inlines its includes, depth first (an include may include another, which
 * then comes before it, as Lua local functions must), each at most once.
 */
export function loadScript(name: string): LuaScript {
  const match = /-(\d+)$/.exec(name);
  if (!match) throw new Error(`script ${name}: the file name must end with its key count, e.g. approve-3`);
  const included = new Set<string>();
  const inline = (text: string): string =>
    text.replace(INCLUDE, (_line, include: string) => {
      if (included.has(include)) return '';
      included.add(include);
      return inline(readFileSync(join(SCRIPTS_DIR, 'includes', `${include}.lua`), 'utf8'));
    });
  const source = inline(readFileSync(join(SCRIPTS_DIR, `${name}.lua`), 'utf8'));
  return { name, numberOfKeys: Number(match[1]), source, sha1: createHash('sha1').update(source).digest('hex') };
}

/** Every script the store runs, keyed by transition. */
export function loadScripts() {
  return {
    create: loadScript('create-5'),
    approve: loadScript('approve-3'),
    reject: loadScript('reject-4'),
    cancel: loadScript('cancel-4'),
    beginComplete: loadScript('begin-complete-3'),
    finishComplete: loadScript('finish-complete-4'),
    expire: loadScript('expire-4'),
    remove: loadScript('remove-4'),
    breakGlass: loadScript('break-glass-3'),
    review: loadScript('review-3'),
    schedule: loadScript('schedule-3'),
    unschedule: loadScript('unschedule-3'),
    claimScheduled: loadScript('claim-scheduled-3'),
    // The notification outbox's own steps (src/notifications/outbox.ts).
    warnExpiring: loadScript('warn-expiring-2'),
    settleNotifications: loadScript('settle-notifications-3'),
    trimAudit: loadScript('trim-audit-2'),
    renewLease: loadScript('renew-lease-1'),
    releaseLease: loadScript('release-lease-1'),
  };
}

export type Scripts = ReturnType<typeof loadScripts>;

/**
 * The scripts as node-redis `scripts` definitions: each becomes a client method taking the
 * script's KEYS and ARGV, e.g. `client.approve(keys, args)`.
 * @example createClient({ url, scripts: redisScripts(loadScripts()) })
 */
export function redisScripts<S extends Record<string, LuaScript>>(scripts: S) {
  const out = {} as { [K in keyof S]: ReturnType<typeof redisScript> };
  for (const key of Object.keys(scripts) as Array<keyof S>) out[key] = redisScript(scripts[key]!);
  return out;
}

function redisScript(script: LuaScript) {
  const defined = defineScript({
    SCRIPT: script.source,
    NUMBER_OF_KEYS: script.numberOfKeys,
    parseCommand(parser: CommandParser, keys: readonly string[], args: readonly RedisArgument[]) {
      if (keys.length !== script.numberOfKeys) throw new Error(`${script.name}: expects ${script.numberOfKeys} keys, got ${keys.length}`);
      parser.pushKeys([...keys]);
      parser.push(...args);
    },
    transformReply: (reply: unknown) => reply,
  });
  if (defined.SHA1 !== script.sha1) throw new Error(`${script.name}: node-redis computed sha1 ${defined.SHA1}, expected ${script.sha1}`);
  return defined;
}
