/**
 * Microsoft Graph reaches one object by several spellings: an API version segment
 * (`/v1.0/…`, `/beta/…`), OData key syntax (`mobileApps('42')`), and JSON batching (`POST /$batch`
 * carrying many calls). Through the running gateway, none of them reaches the upstream unapproved.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { auth, useHarness, type Harness } from '../support/harness';

let h: Harness;
useHarness({ get: () => h, set: (next) => (h = next) });

const json = { 'content-type': 'application/json' };

describe('Graph path forms', () => {
  test('a versioned path is parked, and holds the same object as the unversioned one', async () => {
    const first = await h.http.patch('/v1.0/deviceAppManagement/mobileApps/42').set('authorization', auth('alice')).set(json).send('{"displayName":"A"}');
    assert.equal(first.status, 202);
    assert.equal(first.body.objectKey, 'apps:/deviceappmanagement/mobileapps/42');
    const second = await h.http.patch('/beta/deviceAppManagement/mobileApps/42').set('authorization', auth('alice')).set(json).send('{"displayName":"B"}');
    assert.equal(second.status, 409);
    assert.equal(second.body.error.code, 'OBJECT_LOCKED');
    assert.equal(second.body.error.requestId, first.body.requestId);
    assert.equal(h.upstream.calls.length, 0);
  });

  test('OData key syntax reaches the same object, and is stored (and so replayed) in its canonical form', async () => {
    const res = await h.http.patch("/deviceAppManagement/mobileApps('42')").set('authorization', auth('alice')).set(json).send('{"displayName":"A"}');
    assert.equal(res.status, 202);
    assert.equal(res.body.objectKey, 'apps:/deviceappmanagement/mobileapps/42');
    const stored = await h.store.get(res.body.requestId);
    assert.equal(stored?.call.path, '/deviceAppManagement/mobileApps/42');
    const composite = await h.http.patch("/deviceAppManagement/mobileApps(id='42',x='1')").set('authorization', auth('alice')).set(json).send('{}');
    assert.equal(composite.status, 400);
    assert.equal(composite.body.error.code, 'UNSAFE_PATH');
    assert.equal(h.upstream.calls.length, 0);
  });

  test('a JSON batch with a protected change is refused; nothing reaches the upstream', async () => {
    const batch = {
      requests: [
        { id: '1', method: 'GET', url: '/deviceAppManagement/mobileApps' },
        { id: '2', method: 'PATCH', url: '/deviceAppManagement/mobileApps/42', headers: json, body: { displayName: 'sneaky' } },
      ],
    };
    for (const path of ['/$batch', '/v1.0/$batch', '/BETA/$BATCH']) {
      const res = await h.http.post(path).set('authorization', auth('alice')).set(json).send(JSON.stringify(batch));
      assert.equal(res.status, 403, path);
      assert.equal(res.body.error.code, 'BATCH_NOT_ALLOWED');
      assert.deepEqual(res.body.error.subRequests, ['2']);
    }
    const overridden = { requests: [{ id: 'a', method: 'POST', url: 'deviceAppManagement/mobileApps/42', headers: { ...json, 'x-http-method-override': 'DELETE' }, body: {} }] };
    const res = await h.http.post('/$batch').set('authorization', auth('alice')).set(json).send(JSON.stringify(overridden));
    assert.equal(res.status, 403);
    assert.equal(h.upstream.calls.length, 0);
  });

  test('a batch that cannot be read exactly is refused with 400; a batch of unprotected calls passes', async () => {
    const repeated = '{"requests":[{"id":"1","method":"GET","url":"/me","url":"/deviceAppManagement/mobileApps/42"}]}';
    const bad = await h.http.post('/$batch').set('authorization', auth('alice')).set(json).send(repeated);
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.code, 'BATCH_INVALID');
    assert.equal(h.upstream.calls.length, 0);

    const fine = { requests: [{ id: '1', method: 'GET', url: '/deviceAppManagement/mobileApps/42' }, { id: '2', method: 'POST', url: '/deviceManagement/managedDevices/9/syncDevice', body: {} }] };
    const body = JSON.stringify(fine);
    const ok = await h.http.post('/$batch').set('authorization', auth('alice')).set(json).send(body);
    assert.equal(ok.status, 200);
    assert.equal(h.upstream.calls.length, 1);
    assert.equal(h.upstream.calls[0]!.body.toString(), body);
  });
});
