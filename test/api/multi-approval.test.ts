/**
 * An access policy that needs two approvals: two distinct approvers, never the requestor, and an
 * approver who approves twice is told 409 ALREADY_APPROVED (or 403 from the policy) without counting twice.
 */
import { after, afterEach, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run, type CliIo } from '../../src/cli/approval-commands';
import { ExitCode } from '../../src/cli/gateway-client';
import { PROJECT_ROOT } from '../../src/config/gateway-config';
import { auth, startHarness, startSuite, USERS, type Harness, type Suite } from '../support/harness';

let suite: Suite;
let h: Harness;
let dir: string;
before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'countersign-config-'));
  cpSync(join(PROJECT_ROOT, 'config'), dir, { recursive: true });
  const apps = join(dir, 'access-policies/apps.yaml');
  writeFileSync(apps, readFileSync(apps, 'utf8').replace(/requiredApprovals: 1/, 'requiredApprovals: 2'));
  suite = await startSuite({ configDir: dir });
});
after(async () => {
  await suite.close();
  rmSync(dir, { recursive: true, force: true });
});
beforeEach(async () => {
  h = await startHarness(suite);
});
afterEach(async () => {
  await h.close();
});

describe('two approvals', () => {
  test('needs two distinct approvers; the second approval by the same approver does not count', async () => {
    const parked = await h.http.patch('/deviceAppManagement/mobileApps/5').set('authorization', auth('alice')).send({ a: 1 });
    assert.equal(parked.status, 202);
    assert.equal(parked.body.requiredApprovals, 2);
    const id = parked.body.requestId as string;
    const first = await h.http.post(`/maa/v1/requests/${id}/approve`).set('authorization', auth('bob')).send({ notes: 'one' });
    assert.equal(first.status, 200);
    assert.equal(first.body.status, 'needsApproval');
    const twice = await h.http.post(`/maa/v1/requests/${id}/approve`).set('authorization', auth('bob')).send({ notes: 'again' });
    assert.ok([403, 409].includes(twice.status), JSON.stringify(twice.body));
    assert.ok(['ALREADY_APPROVED', 'FORBIDDEN'].includes(twice.body.error.code));
    const early = await h.http.post(`/maa/v1/requests/${id}/complete`).set('authorization', auth('alice'));
    assert.equal(early.status, 409);
    const second = await h.http.post(`/maa/v1/requests/${id}/approve`).set('authorization', auth('carol')).send({ notes: 'two' });
    assert.equal(second.status, 200);
    assert.equal(second.body.status, 'approved');
    assert.deepEqual(second.body.approvals.map((a: { userId: string }) => a.userId), ['bob', 'carol']);
    assert.equal((await h.http.post(`/maa/v1/requests/${id}/complete`).set('authorization', auth('alice'))).status, 200);
    assert.equal(h.upstream.calls.length, 1);
  });

  test('countersign approve, twice by one approver: exit 1, and the reason is said once (issue 10)', async () => {
    const parked = await h.http.patch('/deviceAppManagement/mobileApps/6').set('authorization', auth('alice')).send({ a: 1 });
    const id = parked.body.requestId as string;
    const cli = async (...args: string[]) => {
      let stderr = '';
      const io: CliIo = { stdout: () => {}, stderr: (t) => (stderr += t), env: { COUNTERSIGN_URL: h.baseUrl, COUNTERSIGN_TOKEN: USERS.bob.token } };
      return { code: await run(args, io), stderr };
    };
    assert.equal((await cli('approve', id, '--notes', 'one')).code, ExitCode.ok);
    const twice = await cli('approve', id, '--notes', 'again');
    assert.equal(twice.code, ExitCode.refused);
    assert.equal(twice.stderr.match(/already approved/g)?.length, 1, twice.stderr);
  });
});
