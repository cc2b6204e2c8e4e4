/**
 * The approval API through HTTP: who sees what, every transition and every refusal with its
 * code and status, allowedActions, lists, the body, the audit trail, /me and /access-policies.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { auth, useHarness, type Harness, type UserName } from '../support/harness';

let h: Harness;
useHarness({ get: () => h, set: (next) => (h = next) });

const APP = '/deviceAppManagement/mobileApps/42';
const api = (path: string): string => `/maa/v1${path}`;

async function park(user: UserName = 'alice', path = APP, body: unknown = { displayName: 'Contoso Portal' }): Promise<string> {
  const res = await h.http.patch(path).set('authorization', auth(user)).set('x-maa-justification', 'INC-1').send(body as object);
  assert.equal(res.status, 202, JSON.stringify(res.body));
  return res.body.requestId as string;
}

function expectError(res: { status: number; body: { error?: { code: string } } }, status: number, code: string): void {
  assert.equal(res.status, status, JSON.stringify(res.body));
  assert.equal(res.body.error?.code, code);
}

describe('approval API', () => {
  test('the request resource: visible to its requestor, its approvers and auditors, 404 to others', async () => {
    const id = await park();
    const mine = await h.http.get(api(`/requests/${id}`)).set('authorization', auth('alice'));
    assert.equal(mine.status, 200);
    assert.equal(mine.body.id, id);
    assert.equal(mine.body.justification, 'INC-1');
    assert.equal(mine.body.call.method, 'PATCH');
    assert.deepEqual(mine.body.bodyPreview, { encoding: 'utf8', text: '{"displayName":"Contoso Portal"}', truncated: false });
    assert.equal(mine.body.allowedActions.cancel.allow, true);
    assert.equal(mine.body.allowedActions.approve.allow, false);
    assert.equal(mine.body.allowedActions.complete.allow, false);
    assert.ok(mine.body.allowedActions.complete.reasons.length > 0);
    assert.equal(mine.body.history[0].action, 'create');

    const bob = await h.http.get(api(`/requests/${id}`)).set('authorization', auth('bob'));
    assert.equal(bob.status, 200);
    assert.equal(bob.body.allowedActions.approve.allow, true);
    assert.equal(bob.body.allowedActions.cancel.allow, false);

    const erin = await h.http.get(api(`/requests/${id}`)).set('authorization', auth('erin'));
    assert.equal(erin.status, 200);
    assert.ok(Object.values(erin.body.allowedActions as Record<string, { allow: boolean }>).every((a) => !a.allow));

    expectError(await h.http.get(api(`/requests/${id}`)).set('authorization', auth('dave')), 404, 'REQUEST_NOT_FOUND');
    expectError(await h.http.get(api(`/requests/${id}`)).set('authorization', auth('mallory')), 404, 'REQUEST_NOT_FOUND');
    expectError(await h.http.get(api('/requests/no-such-id')).set('authorization', auth('alice')), 404, 'REQUEST_NOT_FOUND');
    expectError(await h.http.get(api('/requests/bad%20id')).set('authorization', auth('alice')), 404, 'REQUEST_NOT_FOUND');
    expectError(await h.http.get(api(`/requests/${id}`)), 401, 'UNAUTHENTICATED');
    expectError(await h.http.get(api(`/requests/${id}`)).set('authorization', 'Bearer nobody-at-all'), 401, 'UNAUTHENTICATED');

    const body = await h.http.get(api(`/requests/${id}/body`)).set('authorization', auth('bob')).buffer(true);
    assert.equal(body.status, 200);
    assert.equal(body.headers['content-disposition'], `attachment; filename="${id}.body"`);
    assert.equal(body.headers['x-content-type-options'], 'nosniff');
    expectError(await h.http.get(api(`/requests/${id}/body`)).set('authorization', auth('dave')), 404, 'REQUEST_NOT_FOUND');
  });

  test('approve → complete: notes, allowedActions, the replay and the history', async () => {
    const id = await park();
    expectError(await h.http.post(api(`/requests/${id}/complete`)).set('authorization', auth('alice')), 409, 'INVALID_STATE');
    const approved = await h.http.post(api(`/requests/${id}/approve`)).set('authorization', auth('bob')).send({ notes: 'Looks right' });
    assert.equal(approved.status, 200, JSON.stringify(approved.body));
    assert.equal(approved.body.status, 'approved');
    assert.deepEqual(approved.body.approvals.map((a: { userId: string; notes: string }) => [a.userId, a.notes]), [['bob', 'Looks right']]);
    assert.equal(approved.body.allowedActions.approve.allow, false);

    expectError(await h.http.post(api(`/requests/${id}/cancel`)).set('authorization', auth('alice')), 409, 'INVALID_STATE');
    expectError(await h.http.post(api(`/requests/${id}/complete`)).set('authorization', auth('bob')), 403, 'FORBIDDEN');
    assert.equal(h.upstream.calls.length, 0);

    const done = await h.http.post(api(`/requests/${id}/complete`)).set('authorization', auth('alice'));
    assert.equal(done.status, 200);
    assert.equal(done.headers['x-maa-request-status'], 'completed');
    assert.equal(done.headers['x-upstream'], 'yes');
    assert.equal(h.upstream.calls.length, 1);
    const call = h.upstream.calls[0]!;
    assert.equal(call.method, 'PATCH');
    assert.equal(call.url, APP);
    assert.equal(call.headers['idempotency-key'], id);
    assert.equal(call.headers.authorization, auth('alice'));
    assert.equal(call.body.toString(), '{"displayName":"Contoso Portal"}');

    const shown = await h.http.get(api(`/requests/${id}`)).set('authorization', auth('alice'));
    assert.equal(shown.body.status, 'completed');
    assert.equal(shown.body.completion.upstreamStatus, 200);
    assert.deepEqual(shown.body.history.map((e: { action: string }) => e.action), ['create', 'approve', 'begin-complete', 'finish-complete']);
    expectError(await h.http.post(api(`/requests/${id}/complete`)).set('authorization', auth('alice')), 409, 'INVALID_STATE');
    // Invariant 6: every state change left an audit event, the same as the history.
    const audit = await h.http.get(api(`/audit?requestId=${id}`)).set('authorization', auth('alice'));
    assert.deepEqual(
      audit.body.items.map((e: { action: string; to: string }) => `${e.action}:${e.to}`),
      shown.body.history.map((e: { action: string; to: string }) => `${e.action}:${e.to}`),
    );
    // The object is free again once the request ended.
    await park();
  });

  test('refusals: self-approval (invariant 1), wrong approver group, the requestor only, bad input', async () => {
    const id = await park('carol');
    const self = await h.http.post(api(`/requests/${id}/approve`)).set('authorization', auth('carol')).send({ notes: 'mine' });
    assert.equal(self.status, 403);
    assert.ok(self.body.error.reasons.length > 0);
    const carolView = await h.http.get(api(`/requests/${id}`)).set('authorization', auth('carol'));
    assert.equal(carolView.body.allowedActions.approve.allow, false);
    expectError(await h.http.post(api(`/requests/${id}/reject`)).set('authorization', auth('carol')).send({}), 403, 'FORBIDDEN');
    expectError(await h.http.post(api(`/requests/${id}/approve`)).set('authorization', auth('dave')).send({}), 404, 'REQUEST_NOT_FOUND');
    expectError(await h.http.post(api(`/requests/${id}/approve`)).set('authorization', auth('erin')).send({}), 403, 'FORBIDDEN');
    expectError(await h.http.post(api(`/requests/${id}/cancel`)).set('authorization', auth('bob')), 403, 'FORBIDDEN');

    expectError(await h.http.post(api(`/requests/${id}/approve`)).set('authorization', auth('bob')).send({ notes: 'x'.repeat(1001) }), 422, 'VALIDATION_FAILED');
    expectError(await h.http.post(api(`/requests/${id}/approve`)).set('authorization', auth('bob')).send({ notes: 'ok', extra: 1 }), 422, 'VALIDATION_FAILED');
    expectError(await h.http.post(api(`/requests/${id}/approve`)).set('authorization', auth('bob')).send({ notes: 5 }), 422, 'VALIDATION_FAILED');
    expectError(await h.http.post(api(`/requests/${id}/approve`)).set('authorization', auth('bob')).set('content-type', 'application/json').send('{"notes":'), 400, 'INVALID_JSON');
    expectError(await h.http.post(api(`/requests/${id}/approve`)).set('authorization', auth('bob')).set('content-type', 'application/json').send(JSON.stringify({ notes: 'y'.repeat(20_000) })), 413, 'BODY_TOO_LARGE');
    expectError(await h.http.post(api(`/requests/${id}/cancel`)).set('authorization', auth('carol')).send({ notes: 'no' }), 422, 'VALIDATION_FAILED');
    expectError(await h.http.post(api(`/requests/${id}/approve`)).set('authorization', auth('bob')).set('content-type', 'text/plain').send('notes=hi'), 422, 'VALIDATION_FAILED');
    expectError(await h.http.post(api(`/requests/${id}/complete?resend=yes`)).set('authorization', auth('carol')), 422, 'VALIDATION_FAILED');

    const rejected = await h.http.post(api(`/requests/${id}/reject`)).set('authorization', auth('bob')).send({ notes: 'x'.repeat(1000) });
    assert.equal(rejected.status, 200);
    assert.equal(rejected.body.status, 'rejected');
    assert.equal(rejected.body.rejection.userId, 'bob');
    const again = await h.http.post(api(`/requests/${id}/approve`)).set('authorization', auth('bob')).send({});
    expectError(again, 409, 'INVALID_STATE');
    assert.equal(again.body.error.status, 'rejected');
    assert.equal(h.upstream.calls.length, 0);
  });

  test('allowedActions.complete tells the truth about the replay claim (outcome unknown → resendConfirmRequired)', async () => {
    const id = await park();
    await h.http.post(api(`/requests/${id}/approve`)).set('authorization', auth('bob')).send({});
    const show = async () => (await h.http.get(api(`/requests/${id}`)).set('authorization', auth('alice'))).body.allowedActions.complete;
    assert.deepEqual(await show(), { allow: true, reasons: [] });

    // A complete in flight: complete would answer 409 COMPLETE_IN_PROGRESS.
    const { claimToken } = await h.store.beginComplete(id, 'alice', 60_000);
    const inFlight = await show();
    assert.equal(inFlight.allow, false);
    assert.match(inFlight.reasons[0], /in progress/);
    assert.equal(inFlight.resendConfirmRequired, undefined);
    expectError(await h.http.post(api(`/requests/${id}/complete`)).set('authorization', auth('alice')), 409, 'COMPLETE_IN_PROGRESS');
    await h.store.finishComplete(id, claimToken, { kind: 'retryable', upstreamStatus: 503, upstreamBodyPreview: '', reason: 'busy' });
    assert.deepEqual(await show(), { allow: true, reasons: [] });

    // A gateway that claimed, sent and died: the outcome is unknown, and what allowedActions says is what complete does.
    await h.store.beginComplete(id, 'alice', 50);
    await new Promise((r) => setTimeout(r, 120));
    const unknown = await show();
    assert.deepEqual(unknown, {
      allow: false,
      reasons: ['an earlier complete may have reached the upstream (its outcome is unknown); check the upstream, then send it again with ?resend=confirm'],
      resendConfirmRequired: true,
    });
    expectError(await h.http.post(api(`/requests/${id}/complete`)).set('authorization', auth('alice')), 409, 'OUTCOME_UNKNOWN');
    // Others are told what the policy says, and never the resend flag.
    const bob = (await h.http.get(api(`/requests/${id}`)).set('authorization', auth('bob'))).body.allowedActions.complete;
    assert.equal(bob.allow, false);
    assert.equal(bob.resendConfirmRequired, undefined);
    assert.equal(h.upstream.calls.length, 0);

    const resent = await h.http.post(api(`/requests/${id}/complete?resend=confirm`)).set('authorization', auth('alice'));
    assert.equal(resent.status, 200);
    assert.equal((await show()).allow, false);
  });

  test('input the OpenAPI schemas refuse is refused over HTTP with the documented codes', async () => {
    const id = await park();
    for (const path of ['/me?x=1', '/access-policies?x=1', `/requests/${id}?x=1`, `/requests/${id}/body?x=1`, '/requests?limit=5&limit=6', '/audit?requestId=a.b']) {
      const res = await h.http.get(api(path)).set('authorization', auth('erin'));
      expectError(res, 422, 'VALIDATION_FAILED');
      assert.ok(res.body.error.fields.length > 0, path);
    }
    expectError(await h.http.post(api(`/requests/${id}/complete`)).set('authorization', auth('alice')).send({ now: true }), 422, 'VALIDATION_FAILED');
    expectError(await h.http.post(api(`/requests/${'x'.repeat(65)}/approve`)).set('authorization', auth('bob')).send({}), 404, 'REQUEST_NOT_FOUND');
    assert.equal(h.upstream.calls.length, 0);
  });

  test('cancel by the requestor before approval', async () => {
    const id = await park();
    const canceled = await h.http.post(api(`/requests/${id}/cancel`)).set('authorization', auth('alice'));
    assert.equal(canceled.status, 200);
    assert.equal(canceled.body.status, 'canceled');
    assert.equal(canceled.body.cancellation.userId, 'alice');
    expectError(await h.http.post(api(`/requests/${id}/approve`)).set('authorization', auth('bob')).send({}), 409, 'INVALID_STATE');
  });

  test('lists: mine, received, all; status filter and paging; all only for auditors', async () => {
    const a = await park('alice', '/deviceAppManagement/mobileApps/1');
    const b = await park('alice', '/deviceAppManagement/mobileApps/2');
    const c = await park('carol', '/deviceAppManagement/mobileApps/3');
    const s = await park('alice', '/deviceManagement/deviceManagementScripts/9');
    await h.http.post(api(`/requests/${a}/approve`)).set('authorization', auth('bob')).send({});

    const ids = (res: { body: { items: { id: string }[] } }): string[] => res.body.items.map((i) => i.id).sort();
    const mine = await h.http.get(api('/requests?view=mine')).set('authorization', auth('alice'));
    assert.deepEqual(ids(mine), [a, b, s].sort());
    assert.ok(mine.body.items.every((i: { allowedActions?: unknown }) => i.allowedActions));
    assert.deepEqual(ids(await h.http.get(api('/requests')).set('authorization', auth('alice'))), [a, b, s].sort());
    assert.deepEqual(ids(await h.http.get(api('/requests?view=received')).set('authorization', auth('bob'))), [a, b, c, s].sort());
    // carol approves apps: she receives her own request too, though she cannot act on it.
    assert.deepEqual(ids(await h.http.get(api('/requests?view=received')).set('authorization', auth('carol'))), [a, b, c].sort());
    assert.deepEqual(ids(await h.http.get(api('/requests?view=received')).set('authorization', auth('dave'))), []);
    assert.deepEqual(ids(await h.http.get(api('/requests?view=received&status=approved')).set('authorization', auth('bob'))), [a]);
    assert.deepEqual(ids(await h.http.get(api('/requests?view=all')).set('authorization', auth('erin'))), [a, b, c, s].sort());
    expectError(await h.http.get(api('/requests?view=all')).set('authorization', auth('bob')), 403, 'FORBIDDEN');
    expectError(await h.http.get(api('/requests?view=nope')).set('authorization', auth('bob')), 422, 'VALIDATION_FAILED');
    expectError(await h.http.get(api('/requests?status=nope')).set('authorization', auth('bob')), 422, 'VALIDATION_FAILED');
    expectError(await h.http.get(api('/requests?limit=0')).set('authorization', auth('bob')), 422, 'VALIDATION_FAILED');
    expectError(await h.http.get(api('/requests?limit=101')).set('authorization', auth('bob')), 422, 'VALIDATION_FAILED');
    expectError(await h.http.get(api('/requests?color=red')).set('authorization', auth('bob')), 422, 'VALIDATION_FAILED');

    const seen: string[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < 5; page++) {
      const res = await h.http.get(api(`/requests?view=received&limit=3${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`)).set('authorization', auth('bob'));
      assert.equal(res.status, 200);
      seen.push(...res.body.items.map((i: { id: string }) => i.id));
      cursor = res.body.nextCursor;
      if (!cursor) break;
    }
    assert.deepEqual(seen.sort(), [a, b, c, s].sort());
    // Most recently changed first: a was approved last.
    assert.equal((await h.http.get(api('/requests?view=received')).set('authorization', auth('bob'))).body.items[0].id, a);
  });

  test('audit: a request viewer reads its trail; the whole trail is for auditors', async () => {
    const id = await park();
    await h.http.post(api(`/requests/${id}/approve`)).set('authorization', auth('bob')).send({ notes: 'fine' });
    const trail = await h.http.get(api(`/audit?requestId=${id}`)).set('authorization', auth('alice'));
    assert.equal(trail.status, 200);
    assert.deepEqual(trail.body.items.map((e: { action: string; from: string | null; to: string }) => [e.action, e.from, e.to]), [
      ['create', null, 'needsApproval'],
      ['approve', 'needsApproval', 'approved'],
    ]);
    assert.match(trail.body.items[1].notesSha256, /^[0-9a-f]{64}$/);
    expectError(await h.http.get(api(`/audit?requestId=${id}`)).set('authorization', auth('dave')), 404, 'REQUEST_NOT_FOUND');
    expectError(await h.http.get(api('/audit')).set('authorization', auth('alice')), 403, 'FORBIDDEN');
    const all = await h.http.get(api('/audit?limit=10')).set('authorization', auth('erin'));
    assert.equal(all.status, 200);
    assert.equal(all.body.items.length, 2);
    expectError(await h.http.get(api('/audit?since=yesterday')).set('authorization', auth('erin')), 422, 'VALIDATION_FAILED');
  });

  test('/me, /access-policies and /openapi.json', async () => {
    assert.deepEqual((await h.http.get(api('/me')).set('authorization', auth('erin'))).body, { userId: 'erin', groups: ['auditors'], auditor: true });
    assert.equal((await h.http.get(api('/me')).set('authorization', auth('bob'))).body.auditor, false);
    expectError(await h.http.get(api('/me')), 401, 'UNAUTHENTICATED');
    const policies = await h.http.get(api('/access-policies')).set('authorization', auth('bob'));
    assert.equal(policies.status, 200);
    const apps = policies.body.items.find((p: { profileType: string }) => p.profileType === 'apps');
    assert.deepEqual(apps.approverGroups, ['app-approvers']);
    assert.ok(apps.routes.some((r: { method: string; operation: string }) => r.method === 'PATCH' && r.operation === 'modify'));
    const openapi = await h.http.get(api('/openapi.json'));
    assert.equal(openapi.status, 200);
    assert.match(String(openapi.body.openapi), /^3\.1/);
  });
});
