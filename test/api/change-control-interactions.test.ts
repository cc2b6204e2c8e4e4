/**
 * Where the stages side and the break-glass side of issue 13 meet, through the running gateway:
 * break-glass on a staged request skips every stage left, and its review is for an approver of
 * any stage; a replay is scheduled only before the policy's own approvedExpiresAfter; a
 * break-glass of a policy with its own expiry is due by approvedExpiresAfter, as an approval is.
 * Real Redis, real OPA Wasm, real HTTP.
 */
import { after, afterEach, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../../src/config/gateway-config';
import { auth, startHarness, startSuite, type Harness, type Suite, type UserName } from '../support/harness';

const REASON = 'Production outage INC-4711: the policy blocks every rollout';
const MINUTE = 60_000;

let suite: Suite;
let h: Harness;
let dir: string;
before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'countersign-interactions-'));
  cpSync(join(PROJECT_ROOT, 'config'), dir, { recursive: true });
  // access-policies.yaml is the shipped two-stage policy (policy-approvers, then security-approvers).
  writeFileSync(join(dir, 'roles.yaml'), 'auditorGroups: [auditors]\nbreakGlassGroups: [helpdesk]\nbreakGlassMinReasonChars: 20\n');
  writeFileSync(
    join(dir, 'access-policies/groups.yaml'),
    'name: groups-approval\ndescription: x\nprofileType: groups\napproverGroups: [group-approvers]\napprovedExpiresAfter: 10m\n',
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

async function park(path: string, body: object): Promise<string> {
  const parked = await h.http.patch(path).set('authorization', auth('alice')).set('x-maa-justification', 'INC-4711').send(body);
  assert.equal(parked.status, 202, JSON.stringify(parked.body));
  return parked.body.requestId as string;
}

function review(user: UserName, id: string) {
  return h.http.post(api(`/requests/${id}/review`)).set('authorization', auth(user)).send({ notes: 'checked after the outage' });
}

describe('break-glass on a staged request', () => {
  test('skips every stage left: replayed without approvals, no stage current any more', async () => {
    const id = await park('/deviceManagement/operationApprovalPolicies/p1', { description: 'unblock rollouts' });
    // One stage done, one left: break-glass skips the rest.
    const first = await h.http.post(api(`/requests/${id}/approve`)).set('authorization', auth('dave')).send({ notes: 'policy ok' });
    assert.equal(first.body.stage, 'security');
    const done = await h.http.post(api(`/requests/${id}/complete`)).set('authorization', auth('alice')).send({ breakGlass: { reason: REASON } });
    assert.equal(done.status, 200, JSON.stringify(done.body));
    assert.equal(h.upstream.mutations.length, 1);

    const shown = (await h.http.get(api(`/requests/${id}`)).set('authorization', auth('heidi'))).body;
    assert.equal(shown.status, 'completed');
    assert.equal(shown.breakGlass.userId, 'alice');
    assert.deepEqual(shown.approvals.map((a: { userId: string; stage: string }) => `${a.userId}@${a.stage}`), ['dave@policy']);
    assert.equal(shown.stage, null);
    assert.deepEqual(shown.stages.map((s: { name: string; state: string }) => `${s.name}:${s.state}`), ['policy:done', 'security:waiting']);
  });

  test('the review is for an approver of any stage (not only the first), never for anyone else', async () => {
    const a = await park('/deviceManagement/operationApprovalPolicies/p2', { description: 'a' });
    assert.equal((await h.http.post(api(`/requests/${a}/complete`)).set('authorization', auth('alice')).send({ breakGlass: { reason: REASON } })).status, 200);
    const shown = (await h.http.get(api(`/requests/${a}`)).set('authorization', auth('heidi'))).body;
    assert.deepEqual(shown.allowedActions.review, { allow: true, reasons: [] });

    // An auditor sees it but is no approver of any stage; bob is not even shown it.
    const auditor = await review('erin', a);
    assert.equal(auditor.status, 403);
    assert.equal(auditor.body.error.code, 'FORBIDDEN');
    assert.equal((await review('bob', a)).status, 404);
    // heidi approves only in the second stage, which never became current: she may still review.
    const bySecurity = await review('heidi', a);
    assert.equal(bySecurity.status, 200, JSON.stringify(bySecurity.body));
    assert.equal(bySecurity.body.review.userId, 'heidi');
    assert.equal((await review('dave', a)).body.error.code, 'ALREADY_REVIEWED');

    const b = await park('/deviceManagement/operationApprovalPolicies/p3', { description: 'b' });
    assert.equal((await h.http.post(api(`/requests/${b}/complete`)).set('authorization', auth('alice')).send({ breakGlass: { reason: REASON } })).status, 200);
    assert.equal((await review('dave', b)).status, 200);
  });
});

describe('per-policy expiry with break-glass and scheduling', () => {
  test('a replay may be scheduled only before the policy’s approvedExpiresAfter', async () => {
    const id = await park('/groups/g1', { description: 'x' });
    const approved = await h.http.post(api(`/requests/${id}/approve`)).set('authorization', auth('frank')).send({ notes: 'ok' });
    assert.equal(approved.body.status, 'approved');
    const expiresAt = Date.parse(approved.body.expiresAt);
    assert.equal(expiresAt, Date.parse(approved.body.updatedAt) + 10 * MINUTE);

    // Well inside the gateway's 30-day retention, but past the policy's 10 minutes.
    const late = await h.http.post(api(`/requests/${id}/complete`)).set('authorization', auth('alice')).send({ scheduledFor: new Date(expiresAt + MINUTE).toISOString() });
    assert.equal(late.status, 422, JSON.stringify(late.body));
    assert.deepEqual(late.body.error.fields, ['scheduledFor']);
    assert.match(late.body.error.message, new RegExp(new Date(expiresAt).toISOString()));

    const inTime = new Date(expiresAt - 5 * MINUTE).toISOString();
    const scheduled = await h.http.post(api(`/requests/${id}/complete`)).set('authorization', auth('alice')).send({ scheduledFor: inTime });
    assert.equal(scheduled.status, 202, JSON.stringify(scheduled.body));
    assert.equal(scheduled.body.scheduledFor, inTime);
    assert.equal(scheduled.body.expiresAt, new Date(expiresAt).toISOString());
    assert.equal(h.upstream.mutations.length, 0);
  });

  test('a break-glass whose replay never finished is due by approvedExpiresAfter, as an approved request is', async () => {
    const id = await park('/groups/g2', { description: 'y' });
    const t0 = Date.now();
    // The store's own break-glass, as the API's is, but with a lease that runs out and no outcome.
    const { request } = await h.store.breakGlass(id, 'alice', REASON, 1000, new Date(t0));
    assert.equal(request.status, 'approved');
    assert.equal((await h.store.sweep(new Date(t0 + 9 * MINUTE))).expired, 0);
    assert.equal((await h.store.sweep(new Date(t0 + 11 * MINUTE))).expired, 1, 'due by the policy’s 10 minutes, not the 30-day retention');
    const expired = await h.store.get(id);
    assert.equal(expired?.status, 'expired');
    assert.ok(expired?.breakGlass, 'still marked, and still in the review queue');
  });
});
