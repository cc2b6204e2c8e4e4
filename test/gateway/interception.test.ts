/**
 * Protected mutations are parked, never forwarded: 202 with the request, 401 without identity,
 * 422 for a bad justification, 409 OBJECT_LOCKED while the object has an open request, and path
 * tricks that would reach a protected route another way never reach the upstream unapproved.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { createHash } from 'node:crypto';
import { auth, startHarness, useHarness, USERS, type Harness } from '../support/harness';

let h: Harness;
const files = useHarness({ get: () => h, set: (next) => (h = next) });

const APP = '/deviceAppManagement/mobileApps/42';

/** Sends a raw request line (supertest and node's client would clean some of these paths up). */
function rawRequest(baseUrl: string, method: string, target: string, headers: Record<string, string>, body = ''): Promise<number> {
  return new Promise((resolve, reject) => {
    const url = new URL(baseUrl);
    const req = http.request({ host: url.hostname, port: url.port, method, path: target, headers: { ...headers, 'content-length': Buffer.byteLength(body) }, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('interception', () => {
  test('a protected PATCH is parked: 202, Location, the request in Redis, nothing upstream', async () => {
    const body = '{"displayName":"Contoso Portal"}';
    const res = await h.http
      .patch(`${APP}?x=1`)
      .set('authorization', auth('alice'))
      .set('content-type', 'application/json')
      .set('cookie', 'session=secret')
      .set('if-match', 'W/"1"')
      .set('x-maa-justification', 'Ticket%20INC-1234%3A%20fix%20%E2%9C%93')
      .send(body);
    assert.equal(res.status, 202);
    assert.equal(res.headers.location, `/maa/v1/requests/${res.body.requestId}`);
    assert.equal(res.body.status, 'needsApproval');
    assert.equal(res.body.profileType, 'apps');
    assert.equal(res.body.operation, 'modify');
    assert.equal(res.body.objectKey, 'apps:/deviceappmanagement/mobileapps/42');
    assert.deepEqual(res.body.approverGroups, ['app-approvers']);
    assert.equal(res.body.requiredApprovals, 1);
    assert.equal(res.body.bodySha256, createHash('sha256').update(body).digest('hex'));
    assert.equal(res.body.location, res.headers.location);
    assert.equal(h.upstream.calls.length, 0);

    const stored = await h.store.get(res.body.requestId);
    assert.ok(stored);
    assert.equal(stored.justification, 'Ticket INC-1234: fix ✓');
    assert.deepEqual(stored.requestor, { userId: 'alice', groups: [...USERS.alice.groups] });
    assert.equal(stored.call.method, 'PATCH');
    assert.equal(stored.call.path, APP);
    assert.equal(stored.call.query, 'x=1');
    assert.equal(stored.call.headers['content-type'], 'application/json');
    assert.equal(stored.call.headers['if-match'], 'W/"1"');
    for (const dropped of ['authorization', 'cookie', 'host', 'content-length', 'connection', 'x-maa-justification']) {
      assert.equal(stored.call.headers[dropped], undefined, dropped);
    }
    assert.equal((await h.store.getBody(res.body.requestId))?.toString(), body);
    // One decision line, with an id; never the token, the cookie or the body.
    const lines = h.logs.filter((l) => l.includes('"msg":"decision"'));
    assert.equal(lines.length, 1);
    assert.match(lines[0]!, /"decisionId":"[0-9a-f-]{36}"/);
    const all = h.logs.join('\n');
    for (const secret of [USERS.alice.token, 'session=secret', 'Contoso Portal']) assert.ok(!all.includes(secret), secret);
  });

  test('without a valid identity a protected change gets 401 and nothing is parked', async () => {
    for (const authorization of [undefined, 'Bearer not-a-known-token', 'Basic YWxpY2U6eA==']) {
      const req = h.http.delete(APP);
      if (authorization) req.set('authorization', authorization);
      const res = await req;
      assert.equal(res.status, 401);
      assert.equal(res.body.error.code, 'UNAUTHENTICATED');
    }
    assert.equal((await h.store.list({ view: 'mine', viewer: { userId: 'alice', groups: [] } })).items.length, 0);
    assert.equal(h.upstream.calls.length, 0);
  });

  test('a justification that is not percent-encoded UTF-8 or too long gets 422', async () => {
    for (const value of ['%E2%28', 'x'.repeat(1001), '%00']) {
      const res = await h.http.delete(APP).set('authorization', auth('alice')).set('x-maa-justification', value);
      assert.equal(res.status, 422, value.slice(0, 10));
      assert.equal(res.body.error.code, 'INVALID_JUSTIFICATION');
    }
    const ok = await h.http.delete(APP).set('authorization', auth('alice')).set('x-maa-justification', 'y'.repeat(1000));
    assert.equal(ok.status, 202);
  });

  test('a second change to an object with an open request gets 409 OBJECT_LOCKED with its id (invariant 4)', async () => {
    const first = await h.http.patch(APP).set('authorization', auth('alice')).send({ a: 1 });
    assert.equal(first.status, 202);
    const second = await h.http.delete(APP.toUpperCase()).set('authorization', auth('carol'));
    assert.equal(second.status, 409);
    assert.equal(second.body.error.code, 'OBJECT_LOCKED');
    assert.equal(second.body.error.requestId, first.body.requestId);
    const other = await h.http.patch('/deviceAppManagement/mobileApps/43').set('authorization', auth('alice')).send({ a: 1 });
    assert.equal(other.status, 202);
    assert.equal(h.upstream.calls.length, 0);
  });

  test('a protected body over the limit gets 413 and nothing is parked', async () => {
    await h.close();
    h = await startHarness(files.suite, { requests: { bodyLimitBytes: 1024 } });
    const res = await h.http.patch(APP).set('authorization', auth('alice')).set('content-type', 'application/json').send({ big: 'x'.repeat(2000) });
    assert.equal(res.status, 413);
    assert.equal((await h.store.list({ view: 'mine', viewer: { userId: 'alice', groups: [] } })).items.length, 0);
  });

  test('path tricks never reach the upstream unapproved: each is parked or refused', async () => {
    const tricks: [string, string, Record<string, string>][] = [
      ['PATCH', '/deviceAppManagement/mobileApps/42/', {}],
      ['PATCH', '/deviceappmanagement/MOBILEAPPS/42', {}],
      ['PATCH', '//deviceAppManagement//mobileApps//42', {}],
      ['PATCH', '/deviceAppManagement/./mobileApps/x/../42', {}],
      ['PATCH', '/deviceAppManagement/mobileApps/%34%32', {}],
      ['PATCH', '/deviceAppManagement%2FmobileApps%2F42', {}],
      ['PATCH', '/deviceAppManagement/mobileApps%2f42', {}],
      ['PATCH', '/deviceAppManagement/mobileApps/42%2F..%2F43', {}],
      ['PATCH', '/deviceAppManagement/mobileApps/%2534%2532', {}],
      ['PATCH', '/deviceAppManagement\\mobileApps\\42', {}],
      ['PATCH', '/deviceAppManagement/mobileApps/42;x=1', {}],
      ['POST', '/deviceAppManagement/mobileApps/42', { 'x-http-method-override': 'PATCH' }],
      ['POST', '/deviceAppManagement/mobileApps/42', { 'x-http-method': 'DELETE' }],
      ['GET', '/deviceAppManagement/mobileApps/42', { 'x-http-method-override': 'DELETE' }],
      ['POST', '/deviceAppManagement/mobileApps/42', { 'x-http-method-override': 'GET, DELETE' }],
      ['patch', '/deviceAppManagement/mobileApps/42', {}],
      ['DELETE', '/deviceAppManagement/mobileApps/42?$x=1', {}],
    ];
    const statuses: number[] = [];
    for (const [method, target, headers] of tricks) {
      // Each trick on its own object lock: cancel whatever was parked before the next.
      const status = await rawRequest(h.baseUrl, method, target, { authorization: auth('alice'), 'content-type': 'application/json', ...headers }, '{"a":1}');
      statuses.push(status);
      assert.ok([202, 400, 409].includes(status), `${method} ${target} ${JSON.stringify(headers)} → ${status}`);
      const open = await h.store.list({ view: 'mine', viewer: { userId: 'alice', groups: [] }, status: 'needsApproval' });
      for (const item of open.items) await h.store.cancel(item.id, 'alice');
    }
    assert.deepEqual(h.upstream.calls.map((c) => `${c.method} ${c.url}`), [], `statuses ${statuses.join(',')}`);
    // Method override on a protected route parks the effective method, without the override header.
    const parked = await h.http.post(APP).set('authorization', auth('alice')).set('x-http-method-override', 'DELETE');
    assert.equal(parked.status, 202);
    const stored = await h.store.get(parked.body.requestId);
    assert.equal(stored?.call.method, 'DELETE');
    assert.equal(stored?.call.headers['x-http-method-override'], undefined);
  });

  test('an unsafe read is refused with 400 UNSAFE_PATH, not guessed at', async () => {
    const status = await rawRequest(h.baseUrl, 'GET', '/a%2Fb', {});
    assert.equal(status, 400);
    assert.equal(h.upstream.calls.length, 0);
  });
});
