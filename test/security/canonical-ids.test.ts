/**
 * Races on "distinct approvers" with one person's several spellings (issue 8 finding 4,
 * invariants 1 and 9). With requiredApprovals: 2, tokens for `bob`, `BOB`, `ｂｏｂ` and ` bob `
 * (one person) approve concurrently: exactly one approval from bob is recorded, the request waits
 * for a second person (carol), and never holds two approvals from one person. Before ids were
 * canonical, the policy folded case on a snapshot while the Lua script compared exactly, so two
 * of bob's spellings both counted in most runs.
 *
 * 100 rounds of 10-way plus 3 rounds of 100-way (with carol and the requestor's own spellings in
 * the crowd), through a running gateway: real Redis, the OPA-built Wasm policy, real HTTP.
 */
import { after, before, describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../../src/config/gateway-config';
import { createIdentity } from '../../src/identity/create-identity';
import type { Identity } from '../../src/identity/types';
import { startHarness, startSuite, type Harness, type Suite } from '../support/harness';

/** Token → [configured user id, the person]. Every bob and every alice is one person once canonical. */
const PEOPLE = {
  'token-alice': ['alice', 'alice'],
  'token-alice-upper': ['ALICE', 'alice'],
  'token-alice-wide': ['ａｌｉｃｅ', 'alice'],
  'token-bob': ['bob', 'bob'],
  'token-bob-upper': ['BOB', 'bob'],
  'token-bob-wide': ['ｂｏｂ', 'bob'],
  'token-bob-spaced': [' bob ', 'bob'],
  'token-carol': ['carol', 'carol'],
} as const;
type Token = keyof typeof PEOPLE;
const BOBS: Token[] = ['token-bob', 'token-bob-upper', 'token-bob-wide', 'token-bob-spaced'];
/** The requestor's other spellings are approvers too: the group must never let them count. */
const ALICE_APPROVERS: Token[] = ['token-alice-upper', 'token-alice-wide'];

let suite: Suite;
let identity: Identity;
let dir: string;
before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'countersign-canonical-ids-'));
  const configDir = join(dir, 'config');
  cpSync(join(PROJECT_ROOT, 'config'), configDir, { recursive: true });
  const apps = join(configDir, 'access-policies/apps.yaml');
  const text = readFileSync(apps, 'utf8');
  assert.match(text, /requiredApprovals: 1/);
  writeFileSync(apps, text.replace(/requiredApprovals: 1/, 'requiredApprovals: 2'));
  const lines = Object.entries(PEOPLE).map(([token, [userId]]) => {
    const groups = token === 'token-alice' ? '[helpdesk]' : '[app-approvers]';
    return `  - { token: ${token}, userId: ${JSON.stringify(userId)}, groups: ${groups} }`;
  });
  writeFileSync(join(dir, 'tokens.yaml'), `tokens:\n${lines.join('\n')}\n`);
  identity = await createIdentity({ staticTokensFile: join(dir, 'tokens.yaml') });
  suite = await startSuite({ configDir });
});
after(async () => {
  await suite?.close();
  rmSync(dir, { recursive: true, force: true });
});

interface Answer {
  token: Token;
  status: number;
  code?: string;
}

async function approve(h: Harness, id: string, token: Token): Promise<Answer> {
  const res = await h.http.post(`/maa/v1/requests/${id}/approve`).set('authorization', `Bearer ${token}`).send({ notes: token });
  return { token, status: res.status, code: res.body?.error?.code };
}

async function park(h: Harness, app: number): Promise<string> {
  const parked = await h.http.patch(`/deviceAppManagement/mobileApps/${app}`).set('authorization', 'Bearer token-alice').send({ displayName: `app ${app}` });
  assert.equal(parked.status, 202, JSON.stringify(parked.body));
  assert.equal(parked.body.requiredApprovals, 2);
  return parked.body.requestId as string;
}

/** Approvals recorded, and approve events written, for one request. */
async function recorded(h: Harness, id: string): Promise<{ status: string; approvers: string[]; approveEvents: string[] }> {
  const request = await h.store.get(id);
  assert.ok(request);
  const events = await h.store.audit({ requestId: id, limit: 1000 });
  return {
    status: request.status,
    approvers: request.approvals.map((a) => a.userId),
    approveEvents: events.filter((e) => e.action === 'approve').map((e) => e.actor),
  };
}

/** A loser is refused by the policy (it saw bob's approval) or by the store's atomic check. */
function assertRefused(answer: Answer, requestorSpelling: boolean): void {
  if (requestorSpelling) {
    assert.equal(answer.status, 403, JSON.stringify(answer));
    assert.equal(answer.code, 'FORBIDDEN');
    return;
  }
  const ok = (answer.status === 409 && answer.code === 'ALREADY_APPROVED') || (answer.status === 403 && answer.code === 'FORBIDDEN');
  assert.ok(ok, JSON.stringify(answer));
}

/** Counts of where losers were stopped, for the test's diagnostic line. */
const stoppedBy = { policy: 0, store: 0 };
function count(answer: Answer): void {
  if (answer.status === 409) stoppedBy.store++;
  else if (answer.status === 403) stoppedBy.policy++;
}

describe("distinct approvers race with one person's spellings (requiredApprovals: 2)", () => {
  test("100 rounds of 10 concurrent approvals by bob's four spellings: bob counts once, carol is still needed", async (t: TestContext) => {
    const h = await startHarness(suite, {}, { identity });
    try {
      const oneRound = async (round: number): Promise<void> => {
        const id = await park(h, 1000 + round);
        const crowd = Array.from({ length: 10 }, (_, i) => BOBS[(i + round) % BOBS.length]!);
        const answers = await Promise.all(crowd.map((token) => approve(h, id, token)));
        const winners = answers.filter((a) => a.status === 200);
        assert.equal(winners.length, 1, `round ${round}: ${JSON.stringify(answers)}`);
        for (const loser of answers.filter((a) => a.status !== 200)) {
          assertRefused(loser, false);
          count(loser);
        }
        assert.deepEqual(await recorded(h, id), { status: 'needsApproval', approvers: ['bob'], approveEvents: ['bob'] }, `round ${round}`);

        const carol = await h.http.post(`/maa/v1/requests/${id}/approve`).set('authorization', 'Bearer token-carol').send({});
        assert.equal(carol.status, 200);
        assert.equal(carol.body.status, 'approved');
        assert.deepEqual(carol.body.approvals.map((a: { userId: string }) => a.userId), ['bob', 'carol'], `round ${round}`);
      };
      // Four lanes of 25 rounds each: a lane's rounds one after another, the lanes at once.
      const lane = async (first: number): Promise<void> => {
        for (let round = first; round < first + 25; round++) await oneRound(round);
      };
      await Promise.all([0, 25, 50, 75].map(lane));
      t.diagnostic(`losers stopped by the policy: ${stoppedBy.policy}, by the store's atomic check: ${stoppedBy.store}`);
    } finally {
      await h.close();
    }
  });

  test("3 rounds of 100 concurrent approvals by bob's spellings, carol and alice's own spellings: exactly bob and carol", async (t: TestContext) => {
    const h = await startHarness(suite, {}, { identity });
    try {
      for (let round = 0; round < 3; round++) {
        const id = await park(h, 2000 + round);
        const crowd: Token[] = Array.from({ length: 100 }, (_, i) => (i % 10 === 9 ? ALICE_APPROVERS[i % 2]! : BOBS[i % BOBS.length]!));
        // carol somewhere in the middle of the crowd, once.
        crowd[37 + round] = 'token-carol';
        const answers = await Promise.all(crowd.map((token) => approve(h, id, token)));
        const winners = answers.filter((a) => a.status === 200);
        assert.equal(winners.length, 2, `round ${round}: ${JSON.stringify(winners)}`);
        assert.deepEqual(winners.map((a) => PEOPLE[a.token][1]).sort(), ['bob', 'carol']);
        for (const loser of answers.filter((a) => a.status !== 200)) {
          const requestorSpelling = ALICE_APPROVERS.includes(loser.token);
          // Once carol and bob have approved, later calls meet an approved request.
          if (loser.status === 409 && loser.code === 'INVALID_STATE') continue;
          assertRefused(loser, requestorSpelling);
        }
        const after = await recorded(h, id);
        assert.equal(after.status, 'approved');
        assert.deepEqual([...after.approvers].sort(), ['bob', 'carol']);
        assert.deepEqual([...after.approveEvents].sort(), ['bob', 'carol']);
      }
      t.diagnostic('300 concurrent approvals: two recorded in each round, one per person');
    } finally {
      await h.close();
    }
  });
});
