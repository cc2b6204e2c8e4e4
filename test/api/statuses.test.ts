/**
 * The one status table (src/requests/statuses.ts) against the two places that cannot import it:
 * the Lua scripts' status preconditions and the Rego's status denials (policies/authorize.rego).
 *
 * The Lua side is run, not pattern-matched: each script is run by a real redis-server with a
 * stand-in `redis` table in front of it (a local that shadows the global), which answers the
 * script's reads from a fixture request in each status and records the statuses it writes. A
 * script that answers `{-2, status}` (INVALID_STATE) refused that status; any other answer means
 * the status passed its precondition. Scripts are found by their leading name, whatever key-count
 * suffix or case they carry (`approve-3.lua`, `approve.lua`, `beginComplete-3.lua`), so a rename
 * does not break this test; a script the table does not account for does.
 *
 * The Rego side asks the real OPA-built policy, with a caller the policy would otherwise allow.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createClient } from 'redis';
import { loadScript } from '../../src/requests/scripts';
import { PROJECT_ROOT } from '../../src/config/gateway-config';
import { createPolicyEngine } from '../../src/policy/engine';
import type { PolicyEngine } from '../../src/policy/types';
import { ScriptErrorCode } from '../../src/requests/errors';
import {
  CALLER_ACTIONS,
  INITIAL_STATUS,
  mayStart,
  OPEN_STATUSES,
  REQUEST_STATUSES,
  TERMINAL_STATUSES,
  TRANSITIONS,
  type RequestStatus,
  type TransitionAction,
} from '../../src/requests/statuses';
import type { RequestStatus as StoredStatus } from '../../src/requests/types';
import { startRedis, type TestRedis } from '../support/redis-server';

// The store's type and the table's must be the same union, in both directions.
const sameStatuses: [RequestStatus] extends [StoredStatus] ? ([StoredStatus] extends [RequestStatus] ? true : never) : never = true;

const SCRIPTS_DIR = join(PROJECT_ROOT, 'src/requests/scripts');

/**
 * What each script is in the table, by its leading name (lower case, without '-' or '_').
 * `create` has no status to start from; `remove` deletes ended requests only; `aside` (review) changes no status;
 * `notice` (the expiry warning) acts on open requests only and changes no status; `outbox` (settling a
 * notification) touches no request at all; nor do `audit` (retention's trim of the audit stream) and
 * `lease` (the background jobs' leases).
 */
const SCRIPT_ROLES: Record<string, TransitionAction | 'create' | 'remove' | 'aside' | 'notice' | 'outbox' | 'audit' | 'lease'> = {
  create: 'create',
  approve: 'approve',
  reject: 'reject',
  cancel: 'cancel',
  begincomplete: 'complete',
  finishcomplete: 'complete',
  expire: 'expire',
  remove: 'remove',
  breakglass: 'breakGlass',
  schedule: 'schedule',
  unschedule: 'schedule',
  claimscheduled: 'schedule',
  // A review changes no status and has no status precondition: a break-glass is reviewed whatever became of it.
  review: 'aside',
  warnexpiring: 'notice',
  settlenotifications: 'outbox',
  trimaudit: 'audit',
  renewlease: 'lease',
  releaselease: 'lease',
};

function leadingName(file: string): string {
  return file.replace(/\.lua$/, '').replace(/-\d+$/, '').replace(/[-_]/g, '').toLowerCase();
}

/** The script's source exactly as the store assembles it (includes inlined, depth first). */
function scriptSource(file: string): string {
  return loadScript(file.replace(/\.lua$/, '')).source;
}

/**
 * Every ARGV is this one value: a time far in the future (so every cutoff is passed and a lease
 * compared to "now" has run out), which also serves as the actor's id and the claim token.
 */
const ARG = '4102444800000';
const ARGV = Array.from({ length: 16 }, () => ARG);
const KEYS = Array.from({ length: 8 }, (_, i) => `maa:{statuses-test}:k${i + 1}`);

/** Two fixture requests per status: a stranger acts, or the requestor acts and holds a lapsed claim. */
function fixtures(status: RequestStatus): Record<string, string>[] {
  const common = { status, requiredApprovals: '1', approvals: '', groups: '["g"]', objectKey: 'k', statusChangedMs: '0', updatedMs: '0' };
  return [
    { ...common, requestorId: 'someone-else' },
    { ...common, requestorId: ARG, claimToken: ARG, claimUserId: ARG, claimLeaseUntilMs: '0' },
  ];
}

/** Wraps a script so it runs against a stand-in `redis` that reads from `fixture` and records status writes. */
function sandboxed(source: string, fixture: Record<string, string>): string {
  return `
local __fixture = cjson.decode([==[${JSON.stringify(fixture)}]==])
local __writes = {}
local function __field(name)
  local v = __fixture[name]
  if v == nil then return false end
  return v
end
local redis = {}
redis.call = function(command, ...)
  local args = { ... }
  command = string.upper(command)
  if command == 'HMGET' then
    local out = {}
    for i = 2, #args do out[i - 1] = __field(args[i]) end
    return out
  elseif command == 'HGET' then return __field(args[2])
  elseif command == 'HSET' then
    for i = 2, #args, 2 do
      if args[i] == 'status' then table.insert(__writes, args[i + 1]) end
    end
    return 1
  elseif command == 'EXISTS' then return 0
  elseif command == 'HGETALL' or command == 'ZRANGE' or command == 'SMEMBERS' then return {}
  elseif command == 'XADD' then return '1-1'
  end
  return 1
end
redis.pcall = redis.call
local __ok, __result = pcall(function()
${source}
end)
if not __ok then return { 'error', tostring(__result) } end
if type(__result) ~= 'table' then __result = { __result } end
return { 'done', tostring(__result[1]), tostring(__result[2] or ''), cjson.encode(__writes) }
`;
}

interface ScriptRun {
  /** The script's first return value (a negative code or 1). */
  code: number;
  /** The statuses the script wrote. */
  writes: string[];
}

let redis: TestRedis;
let client: ReturnType<typeof createClient>;
let policy: PolicyEngine;

before(async () => {
  redis = await startRedis();
  client = createClient({ url: redis.url });
  await client.connect();
  policy = await createPolicyEngine({ policiesDir: join(PROJECT_ROOT, 'policies'), configDir: join(PROJECT_ROOT, 'config') });
});

after(async () => {
  await client?.quit();
  await policy?.close();
  await redis?.stop();
});

async function runScript(file: string, fixture: Record<string, string>, argv = ARGV): Promise<ScriptRun> {
  const reply = (await client.eval(sandboxed(scriptSource(file), fixture), { keys: KEYS, arguments: argv })) as string[];
  assert.equal(reply[0], 'done', `${file} with status ${fixture.status} raised: ${reply[1]}`);
  const writes = JSON.parse(reply[3]!) as unknown;
  return { code: Number(reply[1]), writes: Array.isArray(writes) ? (writes as string[]) : [] };
}

describe('the status table', () => {
  test('is consistent: open and terminal statuses split the list, every transition uses listed statuses', () => {
    assert.equal(sameStatuses, true);
    assert.deepEqual([...OPEN_STATUSES, ...TERMINAL_STATUSES].sort(), [...REQUEST_STATUSES].sort());
    assert.ok(REQUEST_STATUSES.includes(INITIAL_STATUS) && (OPEN_STATUSES as readonly string[]).includes(INITIAL_STATUS));
    for (const [action, { from, to }] of Object.entries(TRANSITIONS)) {
      for (const status of [...from, ...to]) assert.ok(REQUEST_STATUSES.includes(status), `${action}: ${status}`);
      // Nothing leaves a terminal status.
      for (const status of from) assert.ok((OPEN_STATUSES as readonly string[]).includes(status), `${action} starts from a terminal status`);
    }
    // Every open status can end: some transition leads from it to a terminal status.
    for (const status of OPEN_STATUSES) {
      assert.ok(Object.values(TRANSITIONS).some((t) => (t.from as readonly string[]).includes(status) && t.to.some((s) => TERMINAL_STATUSES.includes(s))));
    }
  });
});

describe('the Lua scripts agree with the table', () => {
  const files = readdirSync(SCRIPTS_DIR).filter((f) => f.endsWith('.lua')).sort();

  test('every script is accounted for, and every transition has its scripts', () => {
    const unknown = files.filter((f) => !(leadingName(f) in SCRIPT_ROLES));
    assert.deepEqual(unknown, [], 'a script the table does not know: add its role to src/requests/statuses.ts and to SCRIPT_ROLES here');
    const roles = new Set(files.map((f) => SCRIPT_ROLES[leadingName(f)]));
    for (const role of [...Object.keys(TRANSITIONS), 'create', 'remove', 'aside']) assert.ok(roles.has(role as never), `no script for ${role}`);
  });

  test('create parks a new request in the initial status', async () => {
    const file = files.find((f) => SCRIPT_ROLES[leadingName(f)] === 'create')!;
    // create reads no request, only its arguments; '[]' is a JSON list where it wants one and a string elsewhere.
    const run = await runScript(file, {}, ARGV.map(() => '[]'));
    assert.equal(run.code, 1);
    assert.deepEqual(run.writes, [INITIAL_STATUS]);
  });

  for (const file of files) {
    const role = SCRIPT_ROLES[leadingName(file)];
    if (role === undefined || role === 'create' || role === 'outbox' || role === 'audit' || role === 'lease') continue;
    test(`${file}: starts only from the statuses the table gives ${role}`, async () => {
      for (const status of REQUEST_STATUSES) {
        const runs = await Promise.all(fixtures(status).map((fixture) => runScript(file, fixture)));
        const refused = runs.map((run) => run.code === ScriptErrorCode.InvalidState);
        const open = (OPEN_STATUSES as readonly string[]).includes(status);
        const expected: boolean = role === 'remove' ? open : role === 'notice' ? !open : role === 'aside' ? false : !mayStart(role, status);
        assert.deepEqual(refused, [expected, expected], `${file} from ${status}: the table says ${expected ? 'refuse' : 'allow'} (INVALID_STATE ${ScriptErrorCode.InvalidState})`);
        const writes = runs.flatMap((run) => run.writes);
        if (role === 'remove' || role === 'aside' || role === 'notice') assert.deepEqual(writes, [], `${file} writes no status`);
        else for (const written of writes) assert.ok((TRANSITIONS[role].to as readonly string[]).includes(written), `${file} from ${status} wrote ${written}, not one of ${TRANSITIONS[role].to.join(', ')}`);
      }
    });
  }

  test('the stand-in would notice a script that checked the wrong status', async () => {
    // approve's precondition rewritten to accept approved instead: the table check above would fail.
    const source = scriptSource(files.find((f) => leadingName(f) === 'approve')!).replace(/'needsApproval'/g, "'approved'");
    const reply = (await client.eval(sandboxed(source, fixtures('approved')[0]!), { keys: KEYS, arguments: ARGV })) as string[];
    assert.notEqual(Number(reply[1]), ScriptErrorCode.InvalidState);
    const stillRight = (await client.eval(sandboxed(scriptSource(files.find((f) => leadingName(f) === 'approve')!), fixtures('approved')[0]!), { keys: KEYS, arguments: ARGV })) as string[];
    assert.equal(Number(stillRight[1]), ScriptErrorCode.InvalidState);
  });
});

describe('the Rego agrees with the table', () => {
  test('authorize allows each caller action from exactly the statuses the table gives it', () => {
    for (const action of CALLER_ACTIONS) {
      // A caller the policy allows this action but for the status: an approver for verdicts, the requestor otherwise.
      const actor = action === 'approve' || action === 'reject' ? { userId: 'bob', groups: ['g'] } : { userId: 'alice', groups: [] };
      for (const status of REQUEST_STATUSES) {
        const result = policy.authorize({
          request: { id: 'r1', status, requestor: { userId: 'alice', groups: [] }, profileType: 'apps', operation: 'modify', policies: ['p'], approverGroups: ['g'], requiredApprovals: 1, approvedBy: [] },
          actor,
          action,
        });
        assert.equal(result.allow, mayStart(action, status), `${action} from ${status}: ${result.reasons.join('; ')}`);
        if (!result.allow) assert.ok(result.reasons.some((r) => r.includes(status)), `${action} from ${status} names the status: ${result.reasons.join('; ')}`);
      }
    }
  });
});
