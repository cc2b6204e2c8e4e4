/**
 * Redis killed and restarted in the middle of a test (invariant 5): protected changes get 503
 * and are not forwarded, unprotected calls keep flowing, /readyz names redis, and once Redis is
 * back the same gateway parks again without a restart. Without a policy, every mutation is refused.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { PolicyUnavailableError } from '../../src/policy/errors';
import type { PolicyEngine } from '../../src/policy/types';
import { auth, startHarness, useHarness, type Harness } from '../support/harness';

let h: Harness;
const files = useHarness({ get: () => h, set: (next) => (h = next) });

describe('Redis down and back', () => {
  test('503 for protected changes, unprotected traffic flows, readyz says redis, recovery without restart', async () => {
    const before = await h.http.patch('/deviceAppManagement/mobileApps/1').set('authorization', auth('alice')).send({ a: 1 });
    assert.equal(before.status, 202);

    await files.suite.redis.kill();

    const parked = await h.http.patch('/deviceAppManagement/mobileApps/2').set('authorization', auth('alice')).send({ a: 1 });
    assert.equal(parked.status, 503);
    assert.equal(parked.body.error.code, 'STORE_UNAVAILABLE');
    const read = await h.http.get('/deviceAppManagement/mobileApps/2');
    assert.equal(read.status, 200);
    const unprotected = await h.http.post('/users').set('authorization', auth('alice')).send({ a: 1 });
    assert.equal(unprotected.status, 200);
    assert.deepEqual(h.upstream.calls.map((c) => `${c.method} ${c.url}`), ['GET /deviceAppManagement/mobileApps/2', 'POST /users']);

    const ready = await h.http.get('/readyz');
    assert.equal(ready.status, 503);
    assert.deepEqual(ready.body.down, ['redis']);
    assert.equal((await h.http.get('/healthz')).status, 200);
    const api = await h.http.post(`/maa/v1/requests/${before.body.requestId}/approve`).set('authorization', auth('bob')).send({});
    assert.equal(api.status, 503);
    assert.equal(api.body.error.code, 'STORE_UNAVAILABLE');

    // Back on the same port, empty (no persistence): the client reconnects by itself.
    await files.suite.redis.start();
    let status = 0;
    for (let i = 0; i < 100 && status !== 202; i++) {
      status = (await h.http.patch('/deviceAppManagement/mobileApps/3').set('authorization', auth('alice')).send({ a: 1 })).status;
      if (status !== 202) await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(status, 202);
    assert.equal((await h.http.get('/readyz')).status, 200);
    assert.equal(h.upstream.mutations.length, 1);
  });

  test('no policy: every mutation gets 503 POLICY_UNAVAILABLE, reads flow, readyz says policy', async () => {
    await h.close();
    const broken: PolicyEngine = {
      ...files.suite.policy,
      decide: () => {
        throw new PolicyUnavailableError('no policy is loaded');
      },
      authorize: () => {
        throw new PolicyUnavailableError('no policy is loaded');
      },
      status: () => ({ ready: false, lastError: 'bundle failed to load' }),
    };
    h = await startHarness(files.suite, {}, { policy: broken });
    for (const res of [
      await h.http.patch('/deviceAppManagement/mobileApps/1').set('authorization', auth('alice')).send({ a: 1 }),
      await h.http.post('/users').send({ a: 1 }),
    ]) {
      assert.equal(res.status, 503);
      assert.equal(res.body.error.code, 'POLICY_UNAVAILABLE');
    }
    assert.equal((await h.http.get('/users/1')).status, 200);
    assert.deepEqual(h.upstream.calls.map((c) => c.method), ['GET']);
    const ready = await h.http.get('/readyz');
    assert.equal(ready.status, 503);
    assert.deepEqual(ready.body.down, ['policy']);
  });
});
