/**
 * upstream.auth clientCredentials, against a real authorization server (oidc-provider on loopback)
 * and a fake upstream that accepts only tokens that server issued: the gateway's own token goes
 * upstream for reads, unprotected changes and replays, the caller's never does; one token serves
 * many calls (cached, single-flight) and is renewed before it expires; a revoked client or a token
 * endpoint that is down leaves approved requests approved (502 UPSTREAM_AUTH_FAILED with a reason)
 * while protected calls still park; no secret or token reaches the log.
 */
import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createPublicKey, generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import selfsigned from 'selfsigned';
import type { DeepPartial } from '../../src/config/gateway-config';
import { ConfigError } from '../../src/config/config-error';
import type { GatewayConfig, UpstreamAuthConfig } from '../../src/config/types';
import { createMetrics } from '../../src/gateway/metrics';
import { createUpstreamAuth } from '../../src/gateway/upstream-auth';
import { auth, startHarness, startSuite, USERS, type Harness, type Suite } from '../support/harness';
import { startAuthServer, type TestAuthServer, type VerifiedToken } from '../support/authorization-server';

const SECRET = `cs-${randomBytes(24).toString('base64url')}`;
const dir = mkdtempSync(join(tmpdir(), 'countersign-upstream-auth-'));
const secretFile = join(dir, 'client-secret');
writeFileSync(secretFile, `${SECRET}\n`, { mode: 0o600 });

// The certificate of the private_key_jwt client, as uploaded to an Entra app registration.
const pems = selfsigned.generate([{ name: 'commonName', value: 'countersign-gateway' }], { keySize: 2048, days: 2, algorithm: 'sha256' });
const keyFile = join(dir, 'client-key.pem');
const certFile = join(dir, 'client-cert.pem');
writeFileSync(keyFile, pems.private, { mode: 0o600 });
writeFileSync(certFile, pems.cert);

let suite: Suite;
let as: TestAuthServer;
let h: Harness | undefined;

before(async () => {
  suite = await startSuite();
  as = await startAuthServer({
    clients: [
      { client_id: 'countersign', client_secret: SECRET, token_endpoint_auth_method: 'client_secret_post' },
      { client_id: 'countersign-basic', client_secret: SECRET, token_endpoint_auth_method: 'client_secret_basic' },
      { client_id: 'countersign-cert', token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [{ ...createPublicKey(pems.private).export({ format: 'jwk' }), use: 'sig' }] } },
    ],
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
  as.ttl = 3600;
  await as.restore('countersign');
  if (!as.listening) await as.start();
});

/** What the fake upstream saw of each call: the token it got, verified at the authorization server. */
interface Seen {
  method: string;
  url: string;
  authorization: string | undefined;
  token: VerifiedToken | null;
}

async function gateway(auth: DeepPartial<GatewayConfig['upstream']['auth']> = {}): Promise<{ h: Harness; seen: Seen[] }> {
  const started = await startHarness(suite, {
    upstream: { auth: { mode: 'clientCredentials', tokenEndpoint: as.tokenEndpoint, clientId: 'countersign', clientSecretFile: secretFile, ...auth } as DeepPartial<GatewayConfig['upstream']['auth']> },
  });
  h = started;
  const seen: Seen[] = [];
  // The upstream accepts only a live token of the authorization server, as Graph would.
  started.upstream.respond = async (call, res) => {
    const bearer = /^Bearer (.+)$/.exec(call.headers.authorization ?? '')?.[1];
    const token = bearer === undefined ? null : await as.verify(bearer);
    seen.push({ method: call.method, url: call.url, authorization: call.headers.authorization, token });
    res.writeHead(token ? 200 : 401, { 'content-type': 'application/json' });
    res.end(JSON.stringify(token ? { ok: true } : { error: { code: 'InvalidAuthenticationToken' } }));
  };
  return { h: started, seen };
}

const tokenRequests = (): number => as.requests.filter((r) => r.grant === 'client_credentials').length;

async function parkAndApprove(g: Harness, path = '/deviceAppManagement/mobileApps/42/assign'): Promise<string> {
  const parked = await g.http.post(path).set('authorization', auth('alice')).set('x-maa-justification', 'ticket 42').send({ target: 'all' });
  assert.equal(parked.status, 202, parked.text);
  const approved = await g.http.post(`/maa/v1/requests/${parked.body.requestId}/approve`).set('authorization', auth('bob')).send({});
  assert.equal(approved.body.status, 'approved', approved.text);
  return parked.body.requestId as string;
}

describe('upstream.auth clientCredentials', () => {
  test("reads, unprotected changes and replays carry the gateway's token, never the caller's; one token request serves them all", async () => {
    const { h: g, seen } = await gateway();
    const before = tokenRequests();
    const read = await g.http.get('/deviceAppManagement/mobileApps').set('authorization', auth('alice'));
    assert.equal(read.status, 200, read.text);
    const unprotected = await g.http.patch('/users/42').set('authorization', auth('carol')).send({ displayName: 'C' });
    assert.equal(unprotected.status, 200, unprotected.text);

    const id = await parkAndApprove(g);
    assert.equal(seen.length, 2, 'parking and approving send nothing upstream');
    const completed = await g.http.post(`/maa/v1/requests/${id}/complete`).set('authorization', auth('alice'));
    assert.equal(completed.status, 200, completed.text);
    assert.equal(completed.headers['x-maa-request-status'], 'completed');

    assert.deepEqual(seen.map((s) => [s.method, s.token?.clientId, s.token?.grant, s.token?.subject]), [
      ['GET', 'countersign', 'client_credentials', undefined],
      ['PATCH', 'countersign', 'client_credentials', undefined],
      ['POST', 'countersign', 'client_credentials', undefined],
    ]);
    const callerTokens = Object.values(USERS).map((u) => u.token);
    for (const s of seen) assert.ok(!callerTokens.some((t) => s.authorization?.includes(t)), `a caller's token reached the upstream: ${s.method} ${s.url}`);
    assert.equal(tokenRequests() - before, 1, 'one token for every call');
    const metrics = await g.http.get('/metrics');
    assert.match(metrics.text, /countersign_upstream_token_requests_total\{mode="clientCredentials",outcome="ok"\} 1/);
    const ready = await g.http.get('/readyz');
    assert.equal(ready.status, 200);
    assert.equal(ready.body.checks.upstreamAuth.mode, 'clientCredentials');
    assert.equal(ready.body.checks.upstreamAuth.state, 'ok');
  });

  test("a caller without a valid identity gets 401 and the gateway's token is not used for them", async () => {
    const { h: g, seen } = await gateway();
    const anonymous = await g.http.get('/deviceAppManagement/mobileApps');
    assert.equal(anonymous.status, 401);
    assert.equal(anonymous.body.error.code, 'UNAUTHENTICATED');
    const forged = await g.http.get('/deviceAppManagement/mobileApps').set('authorization', 'Bearer not-a-known-token');
    assert.equal(forged.status, 401);
    const unprotected = await g.http.patch('/users/42').send({ displayName: 'x' });
    assert.equal(unprotected.status, 401);
    assert.equal(unprotected.body.error.code, 'UNAUTHENTICATED');
    assert.equal(seen.length, 0);
  });

  test('concurrent calls share one token request (single flight)', async () => {
    const { h: g, seen } = await gateway();
    const before = tokenRequests();
    const answers = await Promise.all(Array.from({ length: 25 }, (_, i) => g.http.get(`/deviceAppManagement/mobileApps/${i}`).set('authorization', auth(i % 2 ? 'alice' : 'carol'))));
    assert.deepEqual(new Set(answers.map((a) => a.status)), new Set([200]));
    assert.equal(tokenRequests() - before, 1);
    assert.equal(new Set(seen.map((s) => s.authorization)).size, 1);
  });

  test('the token is renewed before it expires, and the upstream never sees an expired one', async () => {
    as.ttl = 2;
    const { h: g, seen } = await gateway();
    const before = tokenRequests();
    assert.equal((await g.http.get('/a').set('authorization', auth('alice'))).status, 200);
    assert.equal((await g.http.get('/b').set('authorization', auth('alice'))).status, 200);
    assert.equal(tokenRequests() - before, 1, 'a fresh token is reused');
    // Past 80% of its 2 s lifetime the next call renews it.
    await new Promise((resolve) => setTimeout(resolve, 1_700));
    assert.equal((await g.http.get('/c').set('authorization', auth('alice'))).status, 200);
    assert.equal(tokenRequests() - before, 2);
    assert.notEqual(seen[2]!.authorization, seen[0]!.authorization);
    // Well past the first token's life: it is not used again.
    await new Promise((resolve) => setTimeout(resolve, 2_100));
    assert.equal((await g.http.get('/d').set('authorization', auth('alice'))).status, 200);
    assert.ok(seen.every((s) => s.token !== null), 'every call carried a live token');
  });

  test('a revoked client: complete answers 502 with the reason, the request stays approved, and completes once the client is restored', async () => {
    const { h: g, seen } = await gateway();
    // Revoked from before the park (a token fetched for the snapshot at park would still be cached and
    // valid at complete); the call parks anyway, its snapshot recorded as failed.
    await as.revoke('countersign');
    const id = await parkAndApprove(g);
    assert.match((await g.store.get(id))?.snapshot?.error ?? '', /upstream credential could not be had.*invalid_client/);
    const refused = await g.http.post(`/maa/v1/requests/${id}/complete`).set('authorization', auth('alice'));
    assert.equal(refused.status, 502, refused.text);
    assert.equal(refused.body.error.code, 'UPSTREAM_AUTH_FAILED');
    assert.match(refused.body.error.message, /invalid_client/);
    assert.ok(!refused.text.includes(SECRET));
    assert.equal((await g.store.get(id))?.status, 'approved', 'nothing changed: the credential is obtained before the claim');
    assert.equal(seen.length, 0);
    const audit = await g.http.get(`/maa/v1/audit?requestId=${id}`).set('authorization', auth('alice'));
    assert.deepEqual(audit.body.items.map((e: { action: string; to: string }) => `${e.action}:${e.to}`), ['create:needsApproval', 'approve:approved'], 'no claim was taken');
    const ready = await g.http.get('/readyz');
    assert.equal(ready.status, 200, 'a failing upstream credential does not fail readiness');
    assert.equal(ready.body.checks.upstreamAuth.state, 'failing');
    assert.match(ready.body.checks.upstreamAuth.lastFailure.reason, /invalid_client/);

    await as.restore('countersign');
    const completed = await g.http.post(`/maa/v1/requests/${id}/complete`).set('authorization', auth('alice'));
    assert.equal(completed.status, 200, completed.text);
    assert.equal((await g.store.get(id))?.status, 'completed');
    assert.equal(seen.length, 1);
    assert.equal(seen[0]!.token?.clientId, 'countersign');
    const metrics = await g.http.get('/metrics');
    // Refused twice: for the snapshot at park, and at the first complete.
    assert.match(metrics.text, /countersign_upstream_token_requests_total\{mode="clientCredentials",outcome="refused"\} 2/);
  });

  test('the token endpoint down: reads get 502 with the reason, protected calls still park, and all is well once it is back', async () => {
    const { h: g, seen } = await gateway();
    await as.stop();
    const read = await g.http.get('/deviceAppManagement/mobileApps').set('authorization', auth('alice'));
    assert.equal(read.status, 502, read.text);
    assert.equal(read.body.error.code, 'UPSTREAM_AUTH_FAILED');
    assert.match(read.body.error.message, /could not be reached \((ECONNREFUSED|UND_ERR_SOCKET)\)/);
    const unprotected = await g.http.patch('/users/42').set('authorization', auth('alice')).send({ displayName: 'x' });
    assert.equal(unprotected.status, 502);
    assert.equal(unprotected.body.error.code, 'UPSTREAM_AUTH_FAILED');
    const id = await parkAndApprove(g);
    const refused = await g.http.post(`/maa/v1/requests/${id}/complete`).set('authorization', auth('alice'));
    assert.equal(refused.status, 502);
    assert.equal((await g.store.get(id))?.status, 'approved');
    assert.equal(seen.length, 0);
    const metrics = await g.http.get('/metrics');
    // The read, the unprotected change, the snapshot at park and the complete each tried.
    assert.match(metrics.text, /countersign_upstream_token_requests_total\{mode="clientCredentials",outcome="unreachable"\} 4/);

    await as.start();
    assert.equal((await g.http.get('/deviceAppManagement/mobileApps').set('authorization', auth('alice'))).status, 200);
    assert.equal((await g.http.post(`/maa/v1/requests/${id}/complete`).set('authorization', auth('alice'))).status, 200);
  });

  test('private_key_jwt with a certificate (issuer discovery), and client_secret_basic from an environment variable', async () => {
    const { h: g, seen } = await gateway({ tokenEndpoint: undefined, issuer: as.issuer, clientId: 'countersign-cert', clientSecretFile: undefined, privateKeyFile: keyFile, certificateFile: certFile });
    assert.equal((await g.http.get('/x').set('authorization', auth('alice'))).status, 200);
    assert.equal(seen[0]!.token?.clientId, 'countersign-cert');
    await g.close();

    process.env.TEST_COUNTERSIGN_SECRET = SECRET;
    try {
      const basic = await gateway({ clientId: 'countersign-basic', clientSecretFile: undefined, clientSecretEnv: 'TEST_COUNTERSIGN_SECRET', clientAuthMethod: 'client_secret_basic' });
      assert.equal((await basic.h.http.get('/x').set('authorization', auth('alice'))).status, 200);
      assert.equal(basic.seen[0]!.token?.clientId, 'countersign-basic');
    } finally {
      delete process.env.TEST_COUNTERSIGN_SECRET;
    }
  });

  test('no secret, key or token reaches the log, in success or failure', async () => {
    const { h: g, seen } = await gateway();
    await as.revoke('countersign');
    assert.equal((await g.http.get('/x').set('authorization', auth('alice'))).status, 502);
    await as.restore('countersign');
    assert.equal((await g.http.get('/y').set('authorization', auth('carol'))).status, 200);
    const id = await parkAndApprove(g);
    assert.equal((await g.http.post(`/maa/v1/requests/${id}/complete`).set('authorization', auth('alice'))).status, 200);
    const logs = g.logs.join('');
    assert.match(logs, /upstream token request failed/, 'the failure is logged');
    const secrets = [SECRET, ...seen.map((s) => s.authorization!.slice('Bearer '.length)), ...Object.values(USERS).map((u) => u.token)];
    for (const secret of secrets) assert.ok(!logs.includes(secret), 'a secret or token is in the log');
    assert.ok(!logs.includes(pems.private.split('\n')[1]!), 'the private key is in the log');
  });
});

describe('upstream.auth credential at start', () => {
  const start = (config: Partial<Exclude<UpstreamAuthConfig, { mode: 'passthrough' }>>) =>
    createUpstreamAuth({
      config: { mode: 'clientCredentials', tokenEndpoint: as.tokenEndpoint, clientId: 'countersign-cert', clientAuthMethod: 'private_key_jwt', form: 'tokenExchange', cacheSize: 10, timeoutMs: 5_000, ...config },
      logger: pino({ level: 'silent' }),
      tokenRequests: createMetrics().upstreamTokenRequests,
    });

  test('an unreadable key, or a certificate of another key, stops the start; the key is not quoted', () => {
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const otherFile = join(dir, 'other-key.pem');
    writeFileSync(otherFile, other);
    assert.throws(
      () => start({ privateKeyFile: otherFile, certificateFile: certFile }),
      (error: Error) => error instanceof ConfigError && /is not the certificate of upstream.auth.privateKeyFile/.test(error.message) && !error.message.includes(other.split('\n')[1]!),
    );
    const garbage = join(dir, 'garbage.pem');
    writeFileSync(garbage, 'not a key');
    assert.throws(() => start({ privateKeyFile: garbage }), /is not an unencrypted PEM private key/);
  });

  test('even at trace level, the log holds no secret and no token, in success or failure', async () => {
    const lines: string[] = [];
    const logger = pino({ level: 'trace' }, { write: (line: string) => void lines.push(line) });
    const upstreamAuth = createUpstreamAuth({
      config: { mode: 'clientCredentials', tokenEndpoint: as.tokenEndpoint, clientId: 'countersign', clientAuthMethod: 'client_secret_post', clientSecretFile: secretFile, form: 'tokenExchange', cacheSize: 10, timeoutMs: 5_000 },
      logger,
      tokenRequests: createMetrics().upstreamTokenRequests,
    });
    const caller = { userId: 'alice', groups: [] } as unknown as Parameters<typeof upstreamAuth.authorizationFor>[0];
    const header = await upstreamAuth.authorizationFor(caller, auth('alice'));
    assert.match(header, /^Bearer \S+$/);
    await as.revoke('countersign');
    const keyAuth = createUpstreamAuth({
      config: { mode: 'clientCredentials', tokenEndpoint: as.tokenEndpoint, clientId: 'countersign-cert', clientAuthMethod: 'private_key_jwt', privateKeyFile: keyFile, certificateFile: certFile, form: 'tokenExchange', cacheSize: 10, timeoutMs: 5_000 },
      logger,
      tokenRequests: createMetrics().upstreamTokenRequests,
    });
    assert.match(await keyAuth.authorizationFor(caller, auth('alice')), /^Bearer /);
    const revoked = createUpstreamAuth({
      config: { mode: 'clientCredentials', tokenEndpoint: as.tokenEndpoint, clientId: 'countersign', clientAuthMethod: 'client_secret_post', clientSecretFile: secretFile, form: 'tokenExchange', cacheSize: 10, timeoutMs: 5_000 },
      logger,
      tokenRequests: createMetrics().upstreamTokenRequests,
    });
    await assert.rejects(revoked.authorizationFor(caller, auth('alice')), (error: Error) => /invalid_client/.test(error.message) && !error.message.includes(SECRET));
    const log = lines.join('');
    assert.match(log, /upstream token obtained/);
    assert.match(log, /upstream token request failed/);
    for (const secret of [SECRET, header.slice('Bearer '.length), pems.private.split('\n')[1]!]) assert.ok(!log.includes(secret), 'a secret or token is in the log');
  });

  test('an empty secret file, or an unset secret variable, stops the start', () => {
    const empty = join(dir, 'empty-secret');
    writeFileSync(empty, '\n');
    assert.throws(() => start({ clientAuthMethod: 'client_secret_post', clientSecretFile: empty }), /clientSecretFile .* is empty/);
    assert.throws(() => start({ clientAuthMethod: 'client_secret_post', clientSecretEnv: 'TEST_COUNTERSIGN_UNSET_SECRET' }), /named by upstream.auth.clientSecretEnv is not set/);
  });
});
