/**
 * Issue 8, finding 4, through a running gateway (real Redis, the OPA-built Wasm policy, real HTTP):
 * static token ids configured as "alice " and fullwidth "ａｌｉｃｅ", and a directory entry " ALICE",
 * are all alice once canonical (invariant 9), so none of them approves alice's request, while
 * each may act as its requestor.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createIdentity } from '../../src/identity/create-identity';
import type { Identity } from '../../src/identity/types';
import { startHarness, startSuite, type Suite } from '../support/harness';

const TOKENS = `tokens:
  - { token: token-alice-plain, userId: alice, groups: [helpdesk] }
  - { token: token-alice-space, userId: "alice ", groups: [app-approvers] }
  - { token: token-alice-wide, userId: ａｌｉｃｅ, groups: [app-approvers] }
  - { token: token-bob-approver, userId: bob, groups: [app-approvers] }
  - { token: token-dana-helpdesk, userId: "Dana", groups: [helpdesk] }
`;
/** The directory makes dana an app approver, under another spelling of her id. */
const DIRECTORY = `users:
  " DANA": { groups: [app-approvers] }
`;

const bearer = (token: string) => `Bearer ${token}`;

let suite: Suite;
let identity: Identity;
let dir: string;
before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'countersign-spellings-'));
  writeFileSync(join(dir, 'tokens.yaml'), TOKENS);
  writeFileSync(join(dir, 'directory.yaml'), DIRECTORY);
  identity = await createIdentity({ staticTokensFile: join(dir, 'tokens.yaml'), directoryFile: join(dir, 'directory.yaml') });
  suite = await startSuite();
});
after(async () => {
  await suite.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('one person, several configured spellings', () => {
  test("'alice ' and 'ａｌｉｃｅ' can neither approve nor reject alice's request; they may complete it", async () => {
    const h = await startHarness(suite, {}, { identity });
    try {
      const parked = await h.http.patch('/deviceAppManagement/mobileApps/9').set('authorization', bearer('token-alice-plain')).send({ displayName: 'x' });
      assert.equal(parked.status, 202, JSON.stringify(parked.body));
      const id = parked.body.requestId as string;
      assert.equal((await h.store.get(id))?.requestor.userId, 'alice');

      for (const token of ['token-alice-space', 'token-alice-wide']) {
        const me = await h.http.get('/maa/v1/me').set('authorization', bearer(token));
        assert.equal(me.body.userId, 'alice');
        for (const action of ['approve', 'reject']) {
          const res = await h.http.post(`/maa/v1/requests/${id}/${action}`).set('authorization', bearer(token)).send({ notes: 'me again' });
          assert.equal(res.status, 403, `${token} ${action}: ${JSON.stringify(res.body)}`);
          assert.equal(res.body.error.code, 'FORBIDDEN');
          assert.ok(res.body.error.reasons.includes(`the requestor cannot ${action} their own request`), JSON.stringify(res.body));
        }
      }
      assert.equal((await h.store.get(id))?.status, 'needsApproval');
      assert.deepEqual((await h.store.get(id))?.approvals, []);

      const approved = await h.http.post(`/maa/v1/requests/${id}/approve`).set('authorization', bearer('token-bob-approver')).send({ notes: 'ok' });
      assert.equal(approved.status, 200);
      assert.equal(approved.body.status, 'approved');
      // The requestor under another spelling is still the requestor.
      const completed = await h.http.post(`/maa/v1/requests/${id}/complete`).set('authorization', bearer('token-alice-wide'));
      assert.equal(completed.status, 200, JSON.stringify(completed.body));
      assert.equal(h.upstream.calls.length, 1);
    } finally {
      await h.close();
    }
  });

  test("a directory entry ' DANA' gives dana approver groups, but never on her own request", async () => {
    const h = await startHarness(suite, {}, { identity });
    try {
      const me = await h.http.get('/maa/v1/me').set('authorization', bearer('token-dana-helpdesk'));
      assert.deepEqual(me.body, { userId: 'dana', groups: ['helpdesk', 'app-approvers'], auditor: false });
      const parked = await h.http.patch('/deviceAppManagement/mobileApps/10').set('authorization', bearer('token-dana-helpdesk')).send({ displayName: 'y' });
      assert.equal(parked.status, 202);
      const own = await h.http.post(`/maa/v1/requests/${parked.body.requestId}/approve`).set('authorization', bearer('token-dana-helpdesk')).send({});
      assert.equal(own.status, 403);
      assert.ok(own.body.error.reasons.includes('the requestor cannot approve their own request'));

      // Her directory groups are real: she approves alice's request.
      const other = await h.http.patch('/deviceAppManagement/mobileApps/11').set('authorization', bearer('token-alice-plain')).send({ displayName: 'z' });
      const approved = await h.http.post(`/maa/v1/requests/${other.body.requestId}/approve`).set('authorization', bearer('token-dana-helpdesk')).send({});
      assert.equal(approved.status, 200, JSON.stringify(approved.body));
      assert.deepEqual(approved.body.approvals.map((a: { userId: string }) => a.userId), ['dana']);
    } finally {
      await h.close();
    }
  });
});
