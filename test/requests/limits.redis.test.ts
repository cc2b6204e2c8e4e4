/**
 * One set of limits (src/limits.ts) from identity to the store: whatever the edge accepts parks,
 * and what the store refuses is a 4xx naming the limit, never a 503 while Redis is up. Driven
 * through a real gateway (real Wasm policy, real redis-server), with callers at the limits.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createIdentity } from '../../src/identity/create-identity';
import type { Identity } from '../../src/identity/types';
import { charCount, LIMITS } from '../../src/limits';
import { apiErrorFrom } from '../../src/errors';
import { startHarness, startSuite, type Harness, type Suite } from '../support/harness';
import { freshStore, newRequest } from './fixtures';

const APP = '/deviceAppManagement/mobileApps/42';
const EMOJI = '👍';

/** `n` group names, `first` among them. */
function groups(first: string, n: number): string[] {
  return [first, ...Array.from({ length: n - 1 }, (_, i) => `team-${i}`)];
}

let suite: Suite;
let identity: Identity;
let dir: string;

before(async () => {
  suite = await startSuite();
  dir = mkdtempSync(join(tmpdir(), 'countersign-limits-'));
  const file = join(dir, 'tokens.yaml');
  const entry = (token: string, userId: string, list: string[]) => `  - { token: ${token}, userId: ${userId}, groups: [${list.join(', ')}] }`;
  writeFileSync(
    file,
    [
      'tokens:',
      // At the limit: identity accepts exactly LIMITS.callerGroups.
      entry('wide-requestor', 'wide', groups('helpdesk', LIMITS.callerGroups)),
      entry('wide-approver', 'wideapprover', groups('app-approvers', LIMITS.callerGroups)),
      // The old store limit plus one: refused with 503 on park and 422 on view=received before.
      entry('some-requestor', 'some', groups('helpdesk', 101)),
      entry('plain-requestor', 'plain', ['helpdesk']),
      '',
    ].join('\n'),
  );
  identity = await createIdentity({ staticTokensFile: file });
});

after(async () => {
  await identity.close();
  await suite.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('limits, end to end', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness(suite, {}, { identity });
  });
  after(async () => {
    await h.close();
  });

  test(`a caller in 101 and in ${LIMITS.callerGroups} groups parks, and an approver in ${LIMITS.callerGroups} groups lists and approves`, async () => {
    const some = await h.http.patch('/deviceAppManagement/mobileApps/101').set('authorization', 'Bearer some-requestor').send({ a: 1 });
    assert.equal(some.status, 202, JSON.stringify(some.body));

    const parked = await h.http.patch(APP).set('authorization', 'Bearer wide-requestor').send({ a: 1 });
    assert.equal(parked.status, 202, JSON.stringify(parked.body));
    const stored = await h.store.get(parked.body.requestId);
    assert.equal(stored?.requestor.groups.length, LIMITS.callerGroups);

    const received = await h.http.get('/maa/v1/requests?view=received&limit=100').set('authorization', 'Bearer wide-approver');
    assert.equal(received.status, 200, JSON.stringify(received.body));
    const ids = (received.body.items as Array<{ id: string }>).map((item) => item.id);
    assert.ok(ids.includes(parked.body.requestId) && ids.includes(some.body.requestId), 'both requests are received');

    const approved = await h.http.post(`/maa/v1/requests/${parked.body.requestId}/approve`).set('authorization', 'Bearer wide-approver').send({ notes: 'ok' });
    assert.equal(approved.status, 200, JSON.stringify(approved.body));
    assert.equal(approved.body.status, 'approved');
  });

  test(`a protected call with more headers than the store used to keep (64) parks with ${LIMITS.storedHeaders} of them`, async () => {
    const req = h.http.patch('/deviceAppManagement/mobileApps/43').set('authorization', 'Bearer plain-requestor');
    for (let i = 0; i < LIMITS.storedHeaders + 10; i++) req.set(`x-custom-${i}`, `v${i}`);
    const res = await req.send({ a: 1 });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    const stored = await h.store.get(res.body.requestId);
    assert.equal(Object.keys(stored?.call.headers ?? {}).length, LIMITS.storedHeaders);
  });

  test(`a justification of ${LIMITS.justificationChars} emoji parks (code points, counted one way); one more is a 422`, async () => {
    const full = encodeURIComponent(EMOJI.repeat(LIMITS.justificationChars));
    const res = await h.http.patch('/deviceAppManagement/mobileApps/44').set('authorization', 'Bearer plain-requestor').set('x-maa-justification', full).send({ a: 1 });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    const stored = await h.store.get(res.body.requestId);
    assert.equal(charCount(stored?.justification ?? ''), LIMITS.justificationChars);

    const over = encodeURIComponent(EMOJI.repeat(LIMITS.justificationChars + 1));
    const refused = await h.http.patch('/deviceAppManagement/mobileApps/45').set('authorization', 'Bearer plain-requestor').set('x-maa-justification', over).send({ a: 1 });
    assert.equal(refused.status, 422);
    assert.equal(refused.body.error.code, 'INVALID_JUSTIFICATION');
    assert.match(refused.body.error.message, /1,000 characters/);
    assert.equal(h.upstream.calls.length, 0, 'nothing was forwarded');
  });
});

describe('limits in the store', () => {
  test('an input over a limit is a StoreInputError naming the limit, answered 422, not 503', async () => {
    const store = await freshStore(suite.redis);
    try {
      const cases: Array<[string, ReturnType<typeof newRequest>]> = [
        [`more than ${LIMITS.callerGroups} entries`, { ...newRequest(), requestor: { userId: 'alice', groups: groups('helpdesk', LIMITS.callerGroups + 1) } }],
        [`longer than ${LIMITS.justificationChars} characters`, { ...newRequest(), justification: EMOJI.repeat(LIMITS.justificationChars + 1) }],
      ];
      const headers = Object.fromEntries(Array.from({ length: LIMITS.storedHeaders + 1 }, (_, i) => [`x-h-${i}`, 'v']));
      const base = newRequest();
      cases.push([`more than ${LIMITS.storedHeaders} entries`, { ...base, call: { ...base.call, headers } }]);
      for (const [limit, request] of cases) {
        const error = await store.create(request).then(
          () => assert.fail(`accepted: ${limit}`),
          (e: unknown) => e,
        );
        assert.equal((error as { code?: string }).code, 'INVALID_INPUT');
        const answer = apiErrorFrom(error);
        assert.equal(answer.httpStatus, 422);
        assert.equal(answer.code, 'VALIDATION_FAILED');
        assert.ok(answer.message.includes(limit), `${answer.message} names ${limit}`);
      }
      // At the limits, counted in code points: accepted.
      const atLimits = { ...newRequest(), justification: EMOJI.repeat(LIMITS.justificationChars), requestor: { userId: 'alice', groups: groups('helpdesk', LIMITS.callerGroups) } };
      assert.equal((await store.create(atLimits)).status, 'needsApproval');
      const id = (await store.create(newRequest())).id;
      assert.equal((await store.approve(id, 'bob', EMOJI.repeat(LIMITS.notesChars))).status, 'approved');
      const page = await store.list({ view: 'received', viewer: { userId: 'bob', groups: groups('app-approvers', LIMITS.callerGroups) } });
      assert.ok(page.items.some((item) => item.id === id));
    } finally {
      await store.close();
    }
  });
});
