/**
 * The change-control keys of access policies through the running gateway (issue 13): two stages in
 * order, a majority veto, required justification and reject notes, conditions on the call with the
 * decision's `why`, and per-policy expiry with `expiresAt`. Real Redis, real OPA Wasm, real HTTP.
 */
import { after, afterEach, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run, type CliIo } from '../../src/cli/approval-commands';
import { PROJECT_ROOT } from '../../src/config/gateway-config';
import { auth, startHarness, startSuite, USERS, type Harness, type Suite } from '../support/harness';

let suite: Suite;
let h: Harness;
let dir: string;
const HOUR = 3_600_000;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'countersign-stages-'));
  cpSync(join(PROJECT_ROOT, 'config'), dir, { recursive: true });
  // access-policies.yaml is the shipped two-stage policy (policy-approvers, then security-approvers).
  writeFileSync(
    join(dir, 'access-policies/apps.yaml'),
    'name: apps-approval\ndescription: x\nprofileType: apps\napproverGroups: [app-approvers]\nrequiredApprovals: 2\nrejectPolicy: majority\n',
  );
  writeFileSync(
    join(dir, 'access-policies/scripts.yaml'),
    'name: scripts-approval\ndescription: x\nprofileType: scripts\napproverGroups: [script-approvers]\n' +
      'justification: required\nrejectNotes: required\nwhen: { bodyFields: [scriptContent, assignments] }\n',
  );
  writeFileSync(
    join(dir, 'access-policies/groups.yaml'),
    'name: groups-approval\ndescription: x\nprofileType: groups\napproverGroups: [group-approvers]\nexpiresAfter: 1h\napprovedExpiresAfter: 10m\n',
  );
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

const api = (path: string) => `/maa/v1${path}`;

async function park(path: string, user: 'alice', body: unknown, justification = 'INC-1'): Promise<string> {
  const parked = await h.http.patch(path).set('authorization', auth(user)).set('x-maa-justification', justification).send(body as object);
  assert.equal(parked.status, 202, JSON.stringify(parked.body));
  return parked.body.requestId as string;
}

describe('stages', () => {
  test('policy approvers, then security: each acts only in its stage, and the request shows where it stands', async () => {
    const id = await park('/deviceManagement/operationApprovalPolicies/p1', 'alice', { description: 'two approvers' });
    const shown = await h.http.get(api(`/requests/${id}`)).set('authorization', auth('heidi'));
    assert.equal(shown.status, 200, 'a later stage’s approver may view');
    assert.equal(shown.body.stage, 'policy');
    assert.deepEqual(shown.body.stages, [
      { name: 'policy', approverGroups: ['policy-approvers'], requiredApprovals: 1, approvedBy: [], remainingApprovals: 1, state: 'current' },
      { name: 'security', approverGroups: ['security-approvers'], requiredApprovals: 1, approvedBy: [], remainingApprovals: 1, state: 'waiting' },
    ]);
    assert.equal(shown.body.allowedActions.approve.allow, false);
    assert.match(shown.body.allowedActions.approve.reasons.join(' '), /current stage policy/);

    const early = await h.http.post(api(`/requests/${id}/approve`)).set('authorization', auth('heidi')).send({ notes: 'too early' });
    assert.equal(early.status, 409);
    assert.equal(early.body.error.code, 'NOT_CURRENT_STAGE');

    const first = await h.http.post(api(`/requests/${id}/approve`)).set('authorization', auth('dave')).send({ notes: 'policy ok' });
    assert.equal(first.status, 200);
    assert.equal(first.body.status, 'needsApproval');
    assert.equal(first.body.stage, 'security');
    assert.deepEqual(first.body.approvals.map((a: { userId: string; stage: string }) => [a.userId, a.stage]), [['dave', 'policy']]);
    assert.equal(first.body.allowedActions.approve.allow, false, 'dave has acted; his stage is done');

    const again = await h.http.post(api(`/requests/${id}/approve`)).set('authorization', auth('dave')).send({ notes: 'again' });
    assert.equal(again.status, 409);
    assert.equal(again.body.error.code, 'NOT_CURRENT_STAGE');
    assert.equal((await h.http.post(api(`/requests/${id}/complete`)).set('authorization', auth('alice'))).status, 409, 'not approved yet');

    const second = await h.http.post(api(`/requests/${id}/approve`)).set('authorization', auth('heidi')).send({ notes: 'security ok' });
    assert.equal(second.status, 200);
    assert.equal(second.body.status, 'approved');
    assert.equal(second.body.stage, null);
    assert.deepEqual(second.body.stages.map((s: { state: string }) => s.state), ['done', 'done']);
    assert.equal((await h.http.post(api(`/requests/${id}/complete`)).set('authorization', auth('alice'))).status, 200);
    assert.equal(h.upstream.mutations.length, 1);
  });

  test('the script enforces the stage and one approval per approver across stages, whatever the API checked', async () => {
    const id = await park('/deviceManagement/operationApprovalPolicies/p2', 'alice', { description: 'x' });
    await assert.rejects(h.store.approve(id, { userId: 'heidi', groups: ['security-approvers'] }, ''), { code: 'NOT_CURRENT_STAGE' });
    await assert.rejects(h.store.approve(id, 'dave', ''), { code: 'NOT_CURRENT_STAGE' }, 'a bare id has no groups, so no stage');
    const both = { userId: 'ivan', groups: ['policy-approvers', 'security-approvers'] };
    assert.equal((await h.store.approve(id, both, 'stage one')).status, 'needsApproval');
    await assert.rejects(h.store.approve(id, both, 'stage two'), { code: 'ALREADY_APPROVED' });
    await assert.rejects(h.store.reject(id, { userId: 'dave', groups: ['policy-approvers'] }, 'no'), { code: 'NOT_CURRENT_STAGE' });
    assert.equal((await h.store.get(id))?.status, 'needsApproval');
  });

  test('a reject in the current stage ends a staged request (default veto: any)', async () => {
    const id = await park('/deviceManagement/operationApprovalPolicies/p3', 'alice', { description: 'x' });
    await h.http.post(api(`/requests/${id}/approve`)).set('authorization', auth('dave')).send({ notes: 'ok' });
    const rejected = await h.http.post(api(`/requests/${id}/reject`)).set('authorization', auth('heidi')).send({ notes: 'not this quarter' });
    assert.equal(rejected.status, 200);
    assert.equal(rejected.body.status, 'rejected');
    assert.equal(rejected.body.rejection.stage, 'security');
  });
});

describe('veto and required reasons', () => {
  test('rejectPolicy majority: with 2 approvals required, one rejection leaves it open, the second ends it', async () => {
    const id = await park('/deviceAppManagement/mobileApps/9', 'alice', { displayName: 'x' });
    const one = await h.http.post(api(`/requests/${id}/reject`)).set('authorization', auth('bob')).send({ notes: 'no' });
    assert.equal(one.status, 200);
    assert.equal(one.body.status, 'needsApproval');
    assert.deepEqual(one.body.rejections.map((r: { userId: string }) => r.userId), ['bob']);
    const twice = await h.http.post(api(`/requests/${id}/reject`)).set('authorization', auth('bob')).send({ notes: 'still no' });
    assert.equal(twice.status, 403);
    assert.match(twice.body.error.reasons.join(' '), /already rejected/);
    await assert.rejects(h.store.reject(id, { userId: 'bob', groups: ['app-approvers'] }, 'x'), { code: 'ALREADY_REJECTED' });
    await assert.rejects(h.store.approve(id, { userId: 'bob', groups: ['app-approvers'] }, 'x'), { code: 'ALREADY_REJECTED' });
    const two = await h.http.post(api(`/requests/${id}/reject`)).set('authorization', auth('carol')).send({ notes: 'no' });
    assert.equal(two.body.status, 'rejected');
    assert.equal(two.body.rejection.userId, 'carol');
    // The object is free again.
    assert.equal((await h.http.patch('/deviceAppManagement/mobileApps/9').set('authorization', auth('alice')).send({ a: 1 })).status, 202);
  });

  test('justification: required refuses a call without one (nothing parked); rejectNotes: required refuses a bare reject', async () => {
    const bare = await h.http.patch('/deviceManagement/deviceManagementScripts/5').set('authorization', auth('alice')).send({ scriptContent: 'ZWNobw==' });
    assert.equal(bare.status, 422);
    assert.equal(bare.body.error.code, 'JUSTIFICATION_REQUIRED');
    assert.deepEqual((await h.http.get(api('/requests?view=mine')).set('authorization', auth('alice'))).body.items, []);
    assert.equal(h.upstream.mutations.length, 0);

    const id = await park('/deviceManagement/deviceManagementScripts/5', 'alice', { scriptContent: 'ZWNobw==' });
    const noNotes = await h.http.post(api(`/requests/${id}/reject`)).set('authorization', auth('bob')).send({ notes: '  ' });
    assert.equal(noNotes.status, 422);
    assert.equal(noNotes.body.error.code, 'REJECT_NOTES_REQUIRED');
    assert.equal((await h.store.get(id))?.status, 'needsApproval');
    const withNotes = await h.http.post(api(`/requests/${id}/reject`)).set('authorization', auth('bob')).send({ notes: 'unsigned script' });
    assert.equal(withNotes.body.status, 'rejected');
  });
});

describe('conditions', () => {
  test('when.bodyFields: only a change that sends scriptContent or assignments is protected, and the decision says why', async () => {
    const passed = await h.http.patch('/deviceManagement/deviceManagementScripts/6').set('authorization', auth('alice')).send({ description: 'typo' });
    assert.equal(passed.status, 200, JSON.stringify(passed.body));
    assert.equal(h.upstream.mutations.length, 1, 'forwarded');
    assert.ok(h.logs.some((line) => line.includes('"result":"unprotected"') && line.includes('scripts-approval does not apply')), 'the decision log says why it passed');
    const id = await park('/deviceManagement/deviceManagementScripts/6', 'alice', { assignments: [] });
    const shown = await h.http.get(api(`/requests/${id}`)).set('authorization', auth('bob'));
    assert.deepEqual(shown.body.decision.why, ['scripts-approval applies: when.bodyFields: the body sends assignments']);
  });
});

describe('conditions cannot be dodged', () => {
  test('a body the policy cannot read as JSON holds a when.bodyFields clause: parked, never forwarded', async () => {
    const parked = await h.http
      .patch('/deviceManagement/deviceManagementScripts/8')
      .set('authorization', auth('alice'))
      .set('x-maa-justification', 'INC-2')
      .set('content-type', 'text/plain')
      .send('{"scriptContent":"ZWNobw=="}');
    assert.equal(parked.status, 202, JSON.stringify(parked.body));
    const shown = await h.http.get(api(`/requests/${parked.body.requestId}`)).set('authorization', auth('bob'));
    assert.deepEqual(shown.body.decision.why, ['scripts-approval applies: when.bodyFields: the body is not JSON, so it may send any field']);
    assert.equal(h.upstream.mutations.length, 0);
  });

  test('in a JSON batch, a sub-request that sends a listed field is refused, and one with a non-JSON body too', async () => {
    const batch = (body: unknown) =>
      h.http.post('/$batch').set('authorization', auth('alice')).send({ requests: [{ id: '1', method: 'PATCH', url: '/deviceManagement/deviceManagementScripts/9', headers: { 'content-type': 'application/json' }, body }] });
    for (const body of [{ scriptContent: 'x' }, 'scriptContent=x']) {
      const refused = await batch(body);
      assert.equal(refused.status, 403, JSON.stringify(body));
      assert.equal(refused.body.error.code, 'BATCH_NOT_ALLOWED');
    }
    assert.equal((await batch({ description: 'typo' })).status, 200);
    assert.equal(h.upstream.mutations.length, 1, 'only the unprotected batch was forwarded');
  });
});

describe('per-policy expiry', () => {
  test('expiresAfter and approvedExpiresAfter override the gateway retention; the sweep honours them; expiresAt shows them', async () => {
    const open = await park('/groups/g1', 'alice', { description: 'x' });
    const created = Date.parse((await h.store.get(open))!.createdAt);
    const shown = await h.http.get(api(`/requests/${open}`)).set('authorization', auth('frank'));
    assert.equal(shown.body.expiresAt, new Date(created + HOUR).toISOString());
    assert.deepEqual(await h.store.sweep(new Date(created + HOUR - 1000)), { expired: 0, removed: 0 });
    assert.equal((await h.store.sweep(new Date(created + HOUR + 1000))).expired, 1);
    assert.equal((await h.store.get(open))?.status, 'expired');

    const approved = await park('/groups/g2', 'alice', { description: 'y' });
    const after = await h.http.post(api(`/requests/${approved}/approve`)).set('authorization', auth('frank')).send({ notes: 'ok' });
    assert.equal(after.body.status, 'approved');
    const approvedAt = Date.parse(after.body.updatedAt);
    assert.equal(after.body.expiresAt, new Date(approvedAt + 10 * 60_000).toISOString());
    assert.equal((await h.store.sweep(new Date(approvedAt + 9 * 60_000))).expired, 0);
    assert.equal((await h.store.sweep(new Date(approvedAt + 11 * 60_000))).expired, 1);
    assert.equal((await h.store.get(approved))?.status, 'expired');
  });

  test('a policy without its own expiry keeps the gateway retention (30 days by default)', async () => {
    const id = await park('/deviceAppManagement/mobileApps/10', 'alice', { displayName: 'x' });
    const shown = await h.http.get(api(`/requests/${id}`)).set('authorization', auth('bob'));
    assert.equal(Date.parse(shown.body.expiresAt) - Date.parse(shown.body.createdAt), h.config.requests.retentionMs);
    assert.equal((await h.store.sweep(new Date(Date.now() + 2 * HOUR))).expired, 0);
  });
});

describe('GET /access-policies', () => {
  test('lists a policy’s stages and change-control keys, and nothing extra for a plain one', async () => {
    const listed = await h.http.get(api('/access-policies')).set('authorization', auth('alice'));
    assert.equal(listed.status, 200);
    const byName = new Map(listed.body.items.map((p: { name: string }) => [p.name, p]));
    const staged = byName.get('access-policies-approval') as { stages: unknown; approverGroups: string[]; requiredApprovals: number };
    assert.deepEqual(staged.stages, [
      { name: 'policy', approverGroups: ['policy-approvers'], requiredApprovals: 1 },
      { name: 'security', approverGroups: ['security-approvers'], requiredApprovals: 1 },
    ]);
    assert.deepEqual([staged.approverGroups, staged.requiredApprovals], [['policy-approvers', 'security-approvers'], 2]);
    assert.equal((byName.get('apps-approval') as { rejectPolicy: string }).rejectPolicy, 'majority');
    assert.deepEqual((byName.get('scripts-approval') as { when: unknown }).when, { bodyFields: ['scriptContent', 'assignments'] });
    assert.equal((byName.get('groups-approval') as { expiresAfterMs: number }).expiresAfterMs, HOUR);
    assert.deepEqual(Object.keys(byName.get('device-actions-approval') as object), ['name', 'description', 'profileType', 'approverGroups', 'requiredApprovals', 'enabled', 'routes']);
    // The break-glass side's key is listed beside them, only where a policy has it.
    assert.ok(Object.keys(byName.get('roles-approval') as object).includes('changeWindows'));
  });
});

describe('countersign requests show', () => {
  test('a staged request: its current stage, each stage’s progress, the stage of each approval, and when it expires', async () => {
    const id = await park('/deviceManagement/operationApprovalPolicies/p4', 'alice', { description: 'x' });
    await h.http.post(api(`/requests/${id}/approve`)).set('authorization', auth('dave')).send({ notes: 'policy ok' });
    let stdout = '';
    const io: CliIo = { stdout: (t) => (stdout += t), stderr: () => {}, env: { COUNTERSIGN_URL: h.baseUrl, COUNTERSIGN_TOKEN: USERS.heidi.token } };
    assert.equal(await run(['requests', 'show', id], io), 0);
    assert.match(stdout, /^stage: +security: policy 1\/1 \(done\), then security 0\/1 \(current\)$/m);
    assert.match(stdout, /^expires: +\d{4}-\d\d-\d\dT/m);
    assert.match(stdout, /^BY +STAGE +AT +NOTES\ndave +policy /m);
  });
});
