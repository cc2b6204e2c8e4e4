/**
 * upstream.auth onBehalfOf, against a real authorization server (oidc-provider on loopback with an
 * RFC 8693 token-exchange grant and Entra's on-behalf-of jwt-bearer grant registered): each
 * caller's reads carry their own exchanged token, cached per user; a parked change needs no token;
 * the replay carries the completer's token, exchanged at complete; a token that cannot be
 * exchanged is 502 UPSTREAM_AUTH_FAILED with the reason, and the request stays approved.
 */
import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DeepPartial } from '../../src/config/gateway-config';
import type { GatewayConfig } from '../../src/config/types';
import { auth, startHarness, startSuite, USERS, type Harness, type Suite, type UserName } from '../support/harness';
import { JWT_BEARER, startAuthServer, TOKEN_EXCHANGE, type TestAuthServer, type VerifiedToken } from '../support/authorization-server';

const SECRET = `cs-${randomBytes(24).toString('base64url')}`;
const dir = mkdtempSync(join(tmpdir(), 'countersign-obo-'));
const secretFile = join(dir, 'client-secret');
writeFileSync(secretFile, SECRET, { mode: 0o600 });

// The authorization server knows the callers' tokens (an identity provider's would be JWTs); not mallory's.
const KNOWN: UserName[] = ['alice', 'bob', 'carol'];

let suite: Suite;
let as: TestAuthServer;
let h: Harness | undefined;

before(async () => {
  suite = await startSuite();
  as = await startAuthServer({
    clients: [{ client_id: 'countersign', client_secret: SECRET, token_endpoint_auth_method: 'client_secret_post' }],
    subjects: Object.fromEntries(KNOWN.map((name) => [USERS[name].token, USERS[name].userId])),
  });
});
after(async () => {
  await as.stop();
  await suite.close();
  rmSync(dir, { recursive: true, force: true });
});
afterEach(async () => {
  await h?.close();
  h = undefined;
  if (!as.listening) await as.start();
});

interface Seen {
  method: string;
  authorization: string | undefined;
  token: VerifiedToken | null;
}

async function gateway(authConfig: DeepPartial<GatewayConfig['upstream']['auth']> = {}): Promise<{ h: Harness; seen: Seen[] }> {
  const started = await startHarness(suite, {
    upstream: { auth: { mode: 'onBehalfOf', issuer: as.issuer, clientId: 'countersign', clientSecretFile: secretFile, scope: 'api', ...authConfig } as DeepPartial<GatewayConfig['upstream']['auth']> },
  });
  h = started;
  const seen: Seen[] = [];
  started.upstream.respond = async (call, res) => {
    const bearer = /^Bearer (.+)$/.exec(call.headers.authorization ?? '')?.[1];
    const token = bearer === undefined ? null : await as.verify(bearer);
    seen.push({ method: call.method, authorization: call.headers.authorization, token });
    res.writeHead(token ? 200 : 401, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ subject: token?.subject ?? null }));
  };
  return { h: started, seen };
}

const exchanges = (grant = TOKEN_EXCHANGE): number => as.requests.filter((r) => r.grant === grant && r.outcome === 'ok').length;

describe('upstream.auth onBehalfOf', () => {
  test("each caller's reads carry their own exchanged token, cached per user; the caller's token never goes upstream", async () => {
    const { h: g, seen } = await gateway();
    const before = exchanges();
    for (const user of ['alice', 'bob', 'alice', 'bob', 'alice'] as const) {
      const res = await g.http.get('/deviceAppManagement/mobileApps').set('authorization', auth(user));
      assert.equal(res.status, 200, res.text);
      assert.equal(res.body.subject, USERS[user].userId);
    }
    assert.deepEqual(seen.map((s) => [s.token?.subject, s.token?.grant]), [
      ['alice', 'token-exchange'],
      ['bob', 'token-exchange'],
      ['alice', 'token-exchange'],
      ['bob', 'token-exchange'],
      ['alice', 'token-exchange'],
    ]);
    assert.equal(exchanges() - before, 2, 'one exchange per user');
    for (const s of seen) assert.ok(!Object.values(USERS).some((u) => s.authorization?.includes(u.token)));
    const ready = await g.http.get('/readyz');
    assert.equal(ready.body.checks.upstreamAuth.cachedUsers, 2);
  });

  test("the replay carries the completer's exchanged token; parking exchanges it once, to read the object with it; approving needs none", async () => {
    const { h: g, seen } = await gateway();
    const before = exchanges();
    const parked = await g.http.post('/deviceAppManagement/mobileApps/7/assign').set('authorization', auth('alice')).set('x-maa-justification', 'ticket 7').send({ target: 'all' });
    assert.equal(parked.status, 202, parked.text);
    const approved = await g.http.post(`/maa/v1/requests/${parked.body.requestId}/approve`).set('authorization', auth('bob')).send({});
    assert.equal(approved.body.status, 'approved');
    // The snapshot at park is read with the credential the replay will use: alice's exchanged token.
    assert.equal(exchanges() - before, 1, 'one exchange, for the snapshot read at park; none to approve');
    const read = g.upstream.snapshotReads[0]!;
    assert.equal(read.url, '/deviceAppManagement/mobileApps/7/assignments');
    assert.ok(!Object.values(USERS).some((u) => read.headers.authorization?.includes(u.token)), "the caller's own token never goes upstream");
    const completed = await g.http.post(`/maa/v1/requests/${parked.body.requestId}/complete`).set('authorization', auth('alice'));
    assert.equal(completed.status, 200, completed.text);
    assert.equal(exchanges() - before, 1, 'the exchanged token is reused at complete');
    assert.equal(seen.length, 1);
    assert.equal(seen[0]!.method, 'POST');
    assert.equal(seen[0]!.token?.subject, 'alice');
  });

  test("a resend with the approval code replays with the resender's exchanged token; a failed exchange leaves it approved", async () => {
    const { h: g, seen } = await gateway();
    const body = { displayName: 'renamed' };
    // Down from before the park (a token exchanged at park would serve the resend from the cache):
    // the call parks all the same, its snapshot recorded as failed.
    await as.stop();
    const parked = await g.http.patch('/deviceAppManagement/mobileApps/5').set('authorization', auth('alice')).set('x-maa-justification', 'ticket 5').send(body);
    assert.equal(parked.status, 202, parked.text);
    assert.match((await g.store.get(parked.body.requestId))?.snapshot?.error ?? '', /upstream credential could not be had/);
    await g.http.post(`/maa/v1/requests/${parked.body.requestId}/approve`).set('authorization', auth('bob')).send({});
    const refused = await g.http.patch('/deviceAppManagement/mobileApps/5').set('authorization', auth('alice')).set('x-maa-approval-code', parked.body.approvalCode).send(body);
    assert.equal(refused.status, 502, refused.text);
    assert.equal(refused.body.error.code, 'UPSTREAM_AUTH_FAILED');
    assert.equal((await g.store.get(parked.body.requestId))?.status, 'approved');
    await as.start();
    const resent = await g.http.patch('/deviceAppManagement/mobileApps/5').set('authorization', auth('alice')).set('x-maa-approval-code', parked.body.approvalCode).send(body);
    assert.equal(resent.status, 200, resent.text);
    assert.equal(resent.headers['x-maa-request-status'], 'completed');
    assert.deepEqual(seen.map((s) => [s.method, s.token?.subject]), [['PATCH', 'alice']]);
  });

  test("Entra's on-behalf-of form (jwt-bearer, requested_token_use=on_behalf_of)", async () => {
    const { h: g, seen } = await gateway({ form: 'entraOnBehalfOf' });
    const before = exchanges(JWT_BEARER);
    const res = await g.http.patch('/users/42').set('authorization', auth('carol')).send({ displayName: 'C' });
    assert.equal(res.status, 200, res.text);
    assert.equal(seen[0]!.token?.subject, 'carol');
    assert.equal(seen[0]!.token?.grant, 'on-behalf-of');
    assert.equal(exchanges(JWT_BEARER) - before, 1);
  });

  test('a token the server will not exchange: 502 with the reason, nothing sent; protected calls still park', async () => {
    const { h: g, seen } = await gateway();
    const read = await g.http.get('/deviceAppManagement/mobileApps').set('authorization', auth('mallory'));
    assert.equal(read.status, 502, read.text);
    assert.equal(read.body.error.code, 'UPSTREAM_AUTH_FAILED');
    assert.match(read.body.error.message, /invalid_grant: the subject token \[redacted\] is not valid/);
    assert.ok(!read.text.includes(USERS.mallory.token), "the caller's token, quoted by the server, is not passed on");
    assert.ok(!g.logs.join('').includes(USERS.mallory.token));
    const parked = await g.http.post('/deviceAppManagement/mobileApps/9/assign').set('authorization', auth('mallory')).set('x-maa-justification', 'ticket 9').send({});
    assert.equal(parked.status, 202, parked.text);
    assert.equal(seen.length, 0);
    // Another user is not affected by mallory's failure.
    assert.equal((await g.http.get('/x').set('authorization', auth('alice'))).status, 200);
  });

  test('the token endpoint down at complete: 502, the request stays approved, and completes once it is back', async () => {
    const { h: g, seen } = await gateway();
    // Down from before the park, so no token exchanged for the snapshot is cached; the call parks anyway.
    await as.stop();
    const parked = await g.http.post('/deviceAppManagement/mobileApps/8/assign').set('authorization', auth('alice')).set('x-maa-justification', 'ticket 8').send({});
    assert.equal(parked.status, 202, parked.text);
    await g.http.post(`/maa/v1/requests/${parked.body.requestId}/approve`).set('authorization', auth('bob')).send({});
    const refused = await g.http.post(`/maa/v1/requests/${parked.body.requestId}/complete`).set('authorization', auth('alice'));
    assert.equal(refused.status, 502);
    assert.equal(refused.body.error.code, 'UPSTREAM_AUTH_FAILED');
    assert.equal((await g.store.get(parked.body.requestId))?.status, 'approved');
    await as.start();
    const completed = await g.http.post(`/maa/v1/requests/${parked.body.requestId}/complete`).set('authorization', auth('alice'));
    assert.equal(completed.status, 200, completed.text);
    assert.equal(seen.length, 1);
    assert.equal(seen[0]!.token?.subject, 'alice');
  });

  test('the per-user cache is bounded: the least recently used user is dropped first', async () => {
    const { h: g } = await gateway({ cacheSize: 1 });
    const before = exchanges();
    for (const user of ['alice', 'alice', 'bob', 'alice'] as const) {
      assert.equal((await g.http.get('/x').set('authorization', auth(user))).status, 200);
    }
    assert.equal(exchanges() - before, 3);
    assert.equal((await g.http.get('/readyz')).body.checks.upstreamAuth.cachedUsers, 1);
  });
});
