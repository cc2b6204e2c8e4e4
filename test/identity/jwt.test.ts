import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT, generateKeyPair, exportSPKI, exportJWK, base64url, type JWTPayload } from 'jose';
import { createIdentity } from '../../src/identity/create-identity';
import { createJwtVerifier } from '../../src/identity/jwt-verifier';
import { IdentityError, type Identity } from '../../src/identity/types';
import { ConfigError } from '../../src/config/config-error';
import type { JwtConfig } from '../../src/config/types';

const SECRET = 'a-test-secret-that-is-long-enough-for-hs256!';
const dir = mkdtempSync(join(tmpdir(), 'countersign-jwt-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function jwtConfig(extra: Partial<JwtConfig>): JwtConfig {
  return { clockToleranceSec: 30, userClaim: 'preferred_username', groupsClaim: 'groups', ...extra };
}

async function hs256(payload: JWTPayload, secret = SECRET, exp: string | number = '5m'): Promise<string> {
  return new SignJWT(payload).setProtectedHeader({ alg: 'HS256' }).setIssuedAt().setExpirationTime(exp).sign(new TextEncoder().encode(secret));
}

/** Asserts an IdentityError with the given reason, whose message never contains the token. */
async function refuses(identity: Identity, token: string, reason: RegExp): Promise<void> {
  await assert.rejects(identity.authenticate(`Bearer ${token}`), (error: unknown) => {
    assert.ok(error instanceof IdentityError, String(error));
    assert.equal(error.code, 'UNAUTHENTICATED');
    assert.match(error.reason, reason);
    assert.ok(!error.message.includes(token) && !error.reason.includes(token), 'the reason must not echo the token');
    return true;
  });
}

function writeFile(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

describe('HS256 secret', () => {
  let identity: Identity;
  before(async () => {
    identity = await createIdentity({ jwt: jwtConfig({ hs256Secret: SECRET, issuer: 'https://idp.test/', audience: 'countersign' }) });
  });

  test('a good token gives the user and groups claims', async () => {
    const token = await hs256({ preferred_username: 'alice', groups: ['helpdesk'], iss: 'https://idp.test/', aud: 'countersign' });
    assert.deepEqual(await identity.authenticate(`Bearer ${token}`), { userId: 'alice', groups: ['helpdesk'] });
  });

  test('falls back to sub when the user claim is absent, and no groups claim means no groups', async () => {
    const token = await hs256({ sub: 'u-42', iss: 'https://idp.test/', aud: 'countersign' });
    assert.deepEqual(await identity.authenticate(`Bearer ${token}`), { userId: 'u-42', groups: [] });
  });

  test('a token signed with another secret is refused', async () => {
    const token = await hs256({ sub: 'alice', iss: 'https://idp.test/', aud: 'countersign' }, 'another-secret-that-is-long-enough-for-hs256');
    await refuses(identity, token, /signature invalid/);
  });

  test('a tampered payload is refused', async () => {
    const token = await hs256({ sub: 'alice', groups: [], iss: 'https://idp.test/', aud: 'countersign' });
    const [header, , signature] = token.split('.');
    const forged = base64url.encode(JSON.stringify({ sub: 'alice', groups: ['app-approvers'], iss: 'https://idp.test/', aud: 'countersign', exp: 9999999999 }));
    await refuses(identity, `${header}.${forged}.${signature}`, /signature invalid/);
  });

  test('expired beyond the clock tolerance is refused; within it, accepted', async () => {
    const now = Math.floor(Date.now() / 1000);
    const stale = await hs256({ sub: 'alice', iss: 'https://idp.test/', aud: 'countersign' }, SECRET, now - 120);
    await refuses(identity, stale, /expired/);
    const recent = await hs256({ sub: 'alice', iss: 'https://idp.test/', aud: 'countersign' }, SECRET, now - 10);
    assert.equal((await identity.authenticate(`Bearer ${recent}`)).userId, 'alice');
  });

  test('issued in the future beyond the clock tolerance is refused; within it, or without iat, accepted', async () => {
    const now = Math.floor(Date.now() / 1000);
    const claims = { sub: 'alice', iss: 'https://idp.test/', aud: 'countersign' };
    const signed = (iat: unknown) =>
      new SignJWT({ ...claims, iat } as JWTPayload).setProtectedHeader({ alg: 'HS256' }).setExpirationTime(now + 7200).sign(new TextEncoder().encode(SECRET));
    // Issue 8: one hour ahead was accepted.
    await refuses(identity, await signed(now + 3600), /^token issued in the future$/);
    await refuses(identity, await signed(now + 31), /^token issued in the future$/);
    assert.equal((await identity.authenticate(`Bearer ${await signed(now + 20)}`)).userId, 'alice');
    assert.equal((await identity.authenticate(`Bearer ${await hs256(claims)}`)).userId, 'alice');
    const withoutIat = await new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setExpirationTime('5m').sign(new TextEncoder().encode(SECRET));
    assert.equal((await identity.authenticate(`Bearer ${withoutIat}`)).userId, 'alice');
    await refuses(identity, await signed('soon'), /^token iat claim is not a number$/);
  });

  test('the user id is made canonical; one that is empty once canonical is refused', async () => {
    const claims = { iss: 'https://idp.test/', aud: 'countersign' };
    assert.equal((await identity.authenticate(`Bearer ${await hs256({ ...claims, preferred_username: ' ＡＬＩＣＥ ' })}`)).userId, 'alice');
    assert.equal((await identity.authenticate(`Bearer ${await hs256({ ...claims, sub: 'Bob@Contoso.TEST' })}`)).userId, 'bob@contoso.test');
    await refuses(identity, await hs256({ ...claims, preferred_username: ' \u200B ' }), /no valid preferred_username or sub claim: user id is empty once canonicalised/);
  });

  test('a token without exp is refused', async () => {
    const token = await new SignJWT({ sub: 'alice', iss: 'https://idp.test/', aud: 'countersign' })
      .setProtectedHeader({ alg: 'HS256' })
      .sign(new TextEncoder().encode(SECRET));
    await refuses(identity, token, /no exp claim/);
  });

  test('wrong issuer and wrong audience are refused', async () => {
    await refuses(identity, await hs256({ sub: 'alice', iss: 'https://evil.test/', aud: 'countersign' }), /issuer not accepted/);
    await refuses(identity, await hs256({ sub: 'alice', iss: 'https://idp.test/', aud: 'other-api' }), /audience not accepted/);
    await refuses(identity, await hs256({ sub: 'alice', aud: 'countersign' }), /no iss claim/);
  });

  test('alg none is refused', async () => {
    const header = base64url.encode(JSON.stringify({ alg: 'none', typ: 'JWT' }));
    const payload = base64url.encode(JSON.stringify({ sub: 'alice', iss: 'https://idp.test/', aud: 'countersign', exp: 9999999999 }));
    await refuses(identity, `${header}.${payload}.`, /algorithm not allowed|malformed/);
    await refuses(identity, `${header}.${payload}.x`, /algorithm not allowed|malformed/);
  });

  test('HS384 is not accepted when HS256 is configured', async () => {
    const token = await new SignJWT({ sub: 'alice', iss: 'https://idp.test/', aud: 'countersign' })
      .setProtectedHeader({ alg: 'HS384' })
      .setExpirationTime('5m')
      .sign(new TextEncoder().encode(SECRET));
    await refuses(identity, token, /algorithm not allowed/);
  });

  test('a groups claim that is not a list of names is refused', async () => {
    await refuses(identity, await hs256({ sub: 'alice', groups: 'app-approvers', iss: 'https://idp.test/', aud: 'countersign' }), /groups claim/);
    await refuses(identity, await hs256({ sub: 'alice', groups: [42], iss: 'https://idp.test/', aud: 'countersign' }), /groups claim/);
    await refuses(identity, await hs256({ sub: 'a\nb', iss: 'https://idp.test/', aud: 'countersign' }), /no valid preferred_username or sub/);
  });

  test('configurable user and groups claims', async () => {
    const custom = await createIdentity({ jwt: jwtConfig({ hs256Secret: SECRET, userClaim: 'upn', groupsClaim: 'roles' }) });
    const token = await hs256({ upn: 'carol@contoso.test', roles: ['app-approvers'], groups: ['ignored'] });
    assert.deepEqual(await custom.authenticate(`Bearer ${token}`), { userId: 'carol@contoso.test', groups: ['app-approvers'] });
  });

  test('garbage that is not a JWT is refused without reaching jose', async () => {
    await refuses(identity, 'not-a-jwt-at-all', /unknown token/);
    await refuses(identity, 'a.b.c', /malformed/);
  });
});

describe('verified tokens are remembered', () => {
  test('never past their exp, and callers get copies', async () => {
    const verifier = createJwtVerifier(jwtConfig({ hs256Secret: SECRET, clockToleranceSec: 0 }));
    const exp = Math.floor(Date.now() / 1000) + 2;
    const token = await hs256({ sub: 'alice', groups: ['helpdesk'] }, SECRET, exp);
    const first = await verifier.verify(token);
    first.groups.push('app-approvers');
    assert.deepEqual(await verifier.verify(token), { userId: 'alice', groups: ['helpdesk'] });
    await new Promise((resolve) => setTimeout(resolve, exp * 1000 - Date.now() + 100));
    await assert.rejects(verifier.verify(token), (error: unknown) => error instanceof IdentityError && /expired/.test(error.reason));
  });

  test('a token issued in the future is never remembered, and a remembered caller is canonical', async () => {
    const verifier = createJwtVerifier(jwtConfig({ hs256Secret: SECRET }));
    const now = Date.now();
    const iat = Math.floor(now / 1000) + 600;
    const token = await new SignJWT({ sub: 'alice', iat }).setProtectedHeader({ alg: 'HS256' }).setExpirationTime(iat + 3600).sign(new TextEncoder().encode(SECRET));
    for (let i = 0; i < 2; i++) {
      await assert.rejects(verifier.verify(token, now), (error: unknown) => error instanceof IdentityError && error.reason === 'token issued in the future');
    }
    // Ten minutes on, by the verifier's clock, the same token is good: jose and the iat check read one clock.
    assert.equal((await verifier.verify(token, now + 600_000)).userId, 'alice');
    const spelled = await hs256({ sub: 'ALICE ' }, SECRET, '1h');
    assert.equal((await verifier.verify(spelled)).userId, 'alice');
    assert.equal((await verifier.verify(spelled)).userId, 'alice');
  });

  test('a remembered token is checked again once the memory runs out (at most five minutes)', async () => {
    const verifier = createJwtVerifier(jwtConfig({ hs256Secret: SECRET }));
    const token = await hs256({ sub: 'alice' }, SECRET, '1h');
    const now = Date.now();
    assert.equal((await verifier.verify(token, now)).userId, 'alice');
    // Six minutes on, the entry is stale; jose (on the real clock) verifies the token again.
    assert.equal((await verifier.verify(token, now + 6 * 60_000)).userId, 'alice');
    const tampered = `${token.slice(0, -2)}xx`;
    await assert.rejects(verifier.verify(tampered, now), IdentityError);
  });
});

describe('PEM public key', () => {
  test('ES256: a good token passes, a token by another key does not', async () => {
    const { privateKey, publicKey } = await generateKeyPair('ES256');
    const other = await generateKeyPair('ES256');
    const identity = await createIdentity({ jwt: jwtConfig({ publicKeyFile: writeFile('es256.pem', await exportSPKI(publicKey)) }) });
    const sign = (key: CryptoKey) => new SignJWT({ sub: 'bob', groups: ['app-approvers'] }).setProtectedHeader({ alg: 'ES256' }).setExpirationTime('5m').sign(key);
    assert.deepEqual(await identity.authenticate(`Bearer ${await sign(privateKey)}`), { userId: 'bob', groups: ['app-approvers'] });
    await refuses(identity, await sign(other.privateKey), /signature invalid/);
  });

  test('RS256 key: algorithm confusion (HS256 signed with the public key as secret) is refused', async () => {
    const { privateKey, publicKey } = await generateKeyPair('RS256');
    const pem = await exportSPKI(publicKey);
    const identity = await createIdentity({ jwt: jwtConfig({ publicKeyFile: writeFile('rs256.pem', pem) }) });
    const good = await new SignJWT({ sub: 'bob' }).setProtectedHeader({ alg: 'RS256' }).setExpirationTime('5m').sign(privateKey);
    assert.equal((await identity.authenticate(`Bearer ${good}`)).userId, 'bob');
    const confused = await new SignJWT({ sub: 'mallory', groups: ['app-approvers'] })
      .setProtectedHeader({ alg: 'HS256' })
      .setExpirationTime('5m')
      .sign(new TextEncoder().encode(pem));
    await refuses(identity, confused, /algorithm not allowed/);
  });

  test('a private key file or a non-key file stops the start with a ConfigError', async () => {
    const { privateKey } = await generateKeyPair('RS256', { extractable: true });
    const { exportPKCS8 } = await import('jose');
    await assert.rejects(createIdentity({ jwt: jwtConfig({ publicKeyFile: writeFile('private.pem', await exportPKCS8(privateKey)) }) }), (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      assert.match(error.message, /private key/);
      return true;
    });
    await assert.rejects(createIdentity({ jwt: jwtConfig({ publicKeyFile: writeFile('junk.pem', 'hello') }) }), /not a PEM public key/);
  });
});

describe('JWKS from a real HTTP server', () => {
  let server: Server;
  let url: string;
  let fetches = 0;
  let keys: Awaited<ReturnType<typeof generateKeyPair>>;
  const kid = 'key-1';

  before(async () => {
    keys = await generateKeyPair('RS256');
    const jwk = { ...(await exportJWK(keys.publicKey)), kid, alg: 'RS256', use: 'sig' };
    server = createServer((req, res) => {
      fetches += 1;
      if (req.url !== '/jwks.json') {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    assert.ok(address && typeof address === 'object');
    url = `http://127.0.0.1:${address.port}`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const sign = (payload: JWTPayload, header: { alg: string; kid?: string }, key: CryptoKey | Uint8Array) =>
    new SignJWT(payload).setProtectedHeader(header).setIssuer('https://idp.test/').setAudience('countersign').setExpirationTime('5m').sign(key);

  test('verifies with the served key, fetched once and cached', async () => {
    const identity = await createIdentity({ jwt: jwtConfig({ jwksUrl: `${url}/jwks.json`, issuer: 'https://idp.test/', audience: 'countersign' }) });
    const before = fetches;
    for (const user of ['alice', 'bob']) {
      const token = await sign({ preferred_username: user, groups: ['helpdesk'] }, { alg: 'RS256', kid }, keys.privateKey);
      assert.deepEqual(await identity.authenticate(`Bearer ${token}`), { userId: user, groups: ['helpdesk'] });
    }
    assert.equal(fetches - before, 1);
  });

  test('unknown kid, another key, HS256 and a wrong audience are refused', async () => {
    const identity = await createIdentity({ jwt: jwtConfig({ jwksUrl: `${url}/jwks.json`, issuer: 'https://idp.test/', audience: 'countersign' }) });
    const stranger = await generateKeyPair('RS256');
    await refuses(identity, await sign({ sub: 'eve' }, { alg: 'RS256', kid }, stranger.privateKey), /signature invalid/);
    await refuses(identity, await sign({ sub: 'eve' }, { alg: 'RS256', kid: 'key-2' }, stranger.privateKey), /no key of the key set/);
    await refuses(identity, await sign({ sub: 'eve' }, { alg: 'HS256', kid }, new TextEncoder().encode(SECRET)), /algorithm not allowed/);
    const wrongAudience = await new SignJWT({ sub: 'eve' }).setProtectedHeader({ alg: 'RS256', kid }).setIssuer('https://idp.test/').setAudience('other').setExpirationTime('5m').sign(keys.privateKey);
    await refuses(identity, wrongAudience, /audience not accepted/);
  });

  test('a key set that cannot be fetched refuses the token', async () => {
    const token = await sign({ sub: 'alice' }, { alg: 'RS256', kid }, keys.privateKey);
    const notFound = await createIdentity({ jwt: jwtConfig({ jwksUrl: `${url}/missing.json` }) });
    await refuses(notFound, token, /key set unavailable/);
    const refused = await createIdentity({ jwt: jwtConfig({ jwksUrl: 'http://127.0.0.1:1/jwks.json' }) });
    await refuses(refused, token, /key set unavailable/);
  });
});
