/**
 * The request path answers synchronously when the identity can (static tokens) and waits when it
 * cannot (a JWT: jose verifies asynchronously). Both ways the same contract holds: the caller is in
 * the decision, protected calls are parked (or 401 without identity), unprotected ones forwarded,
 * each with one decision line and its X-MAA-Decision-Id.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Identity } from '../../src/identity/types';
import { IdentityError } from '../../src/identity/types';
import { auth, startHarness, useHarness, USERS, type Harness } from '../support/harness';

let h: Harness;
const files = useHarness({ get: () => h, set: (next) => (h = next) });

const APP = '/deviceAppManagement/mobileApps/42';

/** Wraps the suite's identity so that it only answers with promises, settled a timer later. */
function promiseOnly(inner: Identity, seen: string[]): Identity {
  return {
    authenticate: (authorization) =>
      new Promise((resolve, reject) =>
        setTimeout(() => {
          seen.push('asked');
          inner.authenticate(authorization).then(resolve, reject);
        }, 5),
      ),
    staticIdentities: () => inner.staticIdentities(),
    close: () => inner.close(),
  };
}

describe('identity that answers later', () => {
  test('the suite identity answers a static token without a promise, and refuses an unknown one by throwing', () => {
    const identity = files.suite.identity;
    assert.ok(identity.authenticateNow, 'createIdentity offers authenticateNow');
    const caller = identity.authenticateNow(auth('alice'));
    assert.ok(!(caller instanceof Promise));
    assert.equal((caller as { userId: string }).userId, 'alice');
    assert.throws(() => identity.authenticateNow!('Bearer not-a-known-token'), IdentityError);
  });

  test('an async identity still decides with the caller: a protected change is parked as alice, an unprotected one forwarded', async () => {
    const seen: string[] = [];
    await h.close();
    h = await startHarness(files.suite, {}, { identity: promiseOnly(files.suite.identity, seen) });

    const parked = await h.http.patch(APP).set('authorization', auth('alice')).set('content-type', 'application/json').send('{"displayName":"x"}');
    assert.equal(parked.status, 202);
    assert.match(String(parked.headers['x-maa-decision-id']), /^[0-9a-f-]{36}$/);
    const stored = await h.store.get(parked.body.requestId);
    assert.deepEqual(stored?.requestor, { userId: 'alice', groups: [...USERS.alice.groups] });
    assert.equal(h.upstream.calls.length, 0);

    const passed = await h.http.post('/deviceManagement/managedDevices/42/syncDevice').set('authorization', auth('alice')).set('content-type', 'application/json').send('{"a":1}');
    assert.equal(passed.status, 200);
    assert.match(String(passed.headers['x-maa-decision-id']), /^[0-9a-f-]{36}$/);
    assert.equal(h.upstream.calls.length, 1);
    assert.equal(h.upstream.calls[0]!.body.toString(), '{"a":1}');
    assert.equal(seen.length, 2, 'both mutations waited for the identity');
    assert.equal(h.logs.filter((l) => l.includes('"msg":"decision"')).length, 2);
  });

  test('an async refusal: a protected change gets 401 and nothing is parked; an unprotected one is forwarded', async () => {
    const seen: string[] = [];
    await h.close();
    h = await startHarness(files.suite, {}, { identity: promiseOnly(files.suite.identity, seen) });

    const refused = await h.http.patch(APP).set('authorization', 'Bearer not-a-known-token').set('content-type', 'application/json').send('{"displayName":"x"}');
    assert.equal(refused.status, 401);
    assert.equal(refused.body.error.code, 'UNAUTHENTICATED');
    assert.match(String(refused.headers['x-maa-decision-id']), /^[0-9a-f-]{36}$/);
    const passed = await h.http.post('/deviceManagement/managedDevices/42/syncDevice').set('authorization', 'Bearer upstream-own-token').send('x');
    assert.equal(passed.status, 200);
    assert.equal(h.upstream.calls.length, 1);
    assert.equal(h.upstream.calls[0]!.headers.authorization, 'Bearer upstream-own-token');
    assert.equal(seen.length, 2);
  });
});
