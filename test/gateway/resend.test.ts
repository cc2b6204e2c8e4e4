/**
 * How a parked change is answered, and resend after approval (issue 9): the requestor's client
 * sends the identical call again with its approval code, and the gateway completes it through the
 * one replay, relaying the upstream's answer. Anything else with the code sends nothing.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { auth, startHarness, useHarness, type Harness } from '../support/harness';

let h: Harness;
const files = useHarness({ get: () => h, set: (next) => (h = next) });

const APP = '/deviceAppManagement/mobileApps/42';
const json = { 'content-type': 'application/json' };
const BODY = '{"displayName":"Contoso Portal 2"}';

const change = (code?: string, body = BODY, path = APP, header = 'x-maa-approval-code') => {
  const call = h.http.patch(path).set('authorization', auth('alice')).set(json);
  if (code !== undefined) call.set(header, code);
  return call.send(body);
};
const approve = (id: string) => h.http.post(`/maa/v1/requests/${id}/approve`).set('authorization', auth('bob')).send({});

describe('the parked answer', () => {
  test('accepted: 202 with the approval request and its code, and no top-level id a client could take for the object', async () => {
    const res = await change();
    assert.equal(res.status, 202);
    assert.equal(res.body.id, undefined);
    assert.match(res.body.requestId, /^[0-9a-f-]{36}$/);
    assert.match(res.body.approvalCode, new RegExp(`^${res.body.requestId}\\.[A-Za-z0-9_-]{43}$`));
    assert.equal(res.headers['x-maa-approval-code'], res.body.approvalCode);
    assert.equal(res.headers['x-maa-request-id'], res.body.requestId);
    // The code is the requestor's alone: no view of the request shows it, or its hash.
    const shown = await h.http.get(`/maa/v1/requests/${res.body.requestId}`).set('authorization', auth('bob'));
    assert.ok(!JSON.stringify(shown.body).includes(res.body.approvalCode.split('.')[1]));
    assert.equal(shown.body.approvalCodeSha256, undefined);
  });

  test("approvalRequired: 403 in Graph's error shape, so SDKs throw", async () => {
    await h.close();
    h = await startHarness(files.suite, { requests: { parkedResponse: 'approvalRequired' } });
    const res = await change();
    assert.equal(res.status, 403);
    assert.equal(res.body.error.code, 'ApprovalRequired');
    const inner = res.body.error.innerError;
    assert.equal(inner.status, 'needsApproval');
    assert.equal(inner.location, `/maa/v1/requests/${inner.requestId}`);
    assert.equal(res.headers['x-maa-approval-code'], inner.approvalCode);
    assert.equal(res.headers.location, inner.location);
    assert.equal(h.upstream.calls.length, 0);
  });
});

describe('resend after approval', () => {
  test('before approval the resend is answered as parked again; after it, the identical call is completed once and relayed', async () => {
    const parked = await change();
    const code = parked.body.approvalCode as string;
    const early = await change(code);
    assert.equal(early.status, 202);
    assert.equal(early.body.requestId, parked.body.requestId);
    assert.equal(h.upstream.calls.length, 0);

    assert.equal((await approve(parked.body.requestId)).body.status, 'approved');
    const done = await change(code);
    assert.equal(done.status, 200, done.text);
    assert.equal(done.headers['x-upstream'], 'yes', 'the upstream answer is relayed');
    assert.equal(done.headers['x-maa-request-status'], 'completed');
    assert.equal(h.upstream.calls.length, 1);
    assert.equal(h.upstream.calls[0]!.body.toString(), BODY);
    assert.equal(h.upstream.calls[0]!.headers['idempotency-key'], parked.body.requestId);

    const again = await change(code);
    assert.equal(again.status, 409);
    assert.equal(again.body.error.code, 'INVALID_STATE');
    assert.equal(h.upstream.calls.length, 1);
  });

  test('another body, path or method with the code is a mismatch; nothing is sent and the request stays approved', async () => {
    const parked = await change();
    const code = parked.body.approvalCode as string;
    await approve(parked.body.requestId);
    const body = await change(code, '{"displayName":"Something else"}');
    assert.equal(body.status, 409);
    assert.equal(body.body.error.code, 'APPROVAL_CODE_MISMATCH');
    assert.match(body.body.error.message, /body/);
    const path = await change(code, BODY, '/deviceAppManagement/mobileApps/43');
    assert.equal(path.status, 409);
    assert.match(path.body.error.message, /path/);
    const method = await h.http.put(APP).set('authorization', auth('alice')).set(json).set('x-maa-approval-code', code).send(BODY);
    assert.equal(method.status, 409);
    assert.match(method.body.error.message, /method/);
    assert.equal(h.upstream.calls.length, 0);
    assert.equal((await h.store.get(parked.body.requestId))?.status, 'approved');
    // The same call in another spelling of the same object is the identical call.
    const spelled = await change(code, BODY, '/v1.0/DeviceAppManagement//mobileApps/42'.replace('/v1.0', ''));
    assert.equal(spelled.status, 200, spelled.text);
  });

  test("an unknown code, a forged secret or someone else's code is unknown; nothing is sent", async () => {
    const parked = await change();
    const code = parked.body.approvalCode as string;
    await approve(parked.body.requestId);
    const forged = `${parked.body.requestId}.${'A'.repeat(43)}`;
    for (const attempt of ['nonsense', forged, `${code}x`]) {
      const res = await change(attempt);
      assert.equal(res.status, 404, attempt);
      assert.equal(res.body.error.code, 'APPROVAL_CODE_UNKNOWN');
    }
    const carol = await h.http.patch(APP).set('authorization', auth('carol')).set(json).set('x-maa-approval-code', code).send(BODY);
    assert.equal(carol.status, 404);
    assert.equal(h.upstream.calls.length, 0);
  });

  test("Intune's header names: x-msft-approval-code, and a Base64 x-msft-approval-justification", async () => {
    const parked = await h.http
      .patch(APP)
      .set('authorization', auth('alice'))
      .set(json)
      .set('x-msft-approval-justification', Buffer.from('INC-42: rename – approved by CAB').toString('base64'))
      .send(BODY);
    assert.equal(parked.status, 202);
    assert.equal((await h.store.get(parked.body.requestId))?.justification, 'INC-42: rename – approved by CAB');
    await approve(parked.body.requestId);
    const done = await change(parked.body.approvalCode, BODY, APP, 'x-msft-approval-code');
    assert.equal(done.status, 200);
    const bad = await h.http.patch('/deviceAppManagement/mobileApps/43').set('authorization', auth('alice')).set(json).set('x-msft-approval-justification', 'not base64!').send('{}');
    assert.equal(bad.status, 422);
    assert.equal(bad.body.error.code, 'INVALID_JUSTIFICATION');
  });
});
