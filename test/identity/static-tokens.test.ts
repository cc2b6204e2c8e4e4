import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT } from 'jose';
import { createIdentity } from '../../src/identity/create-identity';
import { IdentityError } from '../../src/identity/types';
import { MAX_TOKEN_BYTES } from '../../src/identity/bearer-token';
import { ConfigError } from '../../src/config/config-error';

const dir = mkdtempSync(join(tmpdir(), 'countersign-static-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function writeFile(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

const TOKENS = `tokens:
  - token: demo-alice
    userId: alice
    groups: [helpdesk]
    description: helpdesk; makes changes
  - token: demo-bob
    userId: bob
    groups: [app-approvers, script-approvers]
  - token: demo-carol
    userId: carol
`;

const DIRECTORY = `users:
  alice:
    groups: [helpdesk, readers]
  carol: { groups: [app-approvers] }
`;

async function reason(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof IdentityError, String(error));
    assert.equal(error.code, 'UNAUTHENTICATED');
    return error.reason;
  }
  assert.fail('expected an IdentityError');
}

describe('static tokens', () => {
  const staticTokensFile = writeFile('tokens.yaml', TOKENS);

  test('each token maps to its user and groups; a near miss does not', async () => {
    const identity = await createIdentity({ staticTokensFile });
    assert.deepEqual(await identity.authenticate('Bearer demo-alice'), { userId: 'alice', groups: ['helpdesk'] });
    assert.deepEqual(await identity.authenticate('bearer   demo-bob'), { userId: 'bob', groups: ['app-approvers', 'script-approvers'] });
    assert.deepEqual(await identity.authenticate('Bearer demo-carol'), { userId: 'carol', groups: [] });
    for (const near of ['demo-alic', 'demo-alicee', 'DEMO-ALICE', 'demo-alice.x']) {
      const why = await reason(identity.authenticate(`Bearer ${near}`));
      assert.equal(why, 'unknown token');
      assert.ok(!why.includes(near));
    }
  });

  test('callers cannot change the stored groups through a returned object', async () => {
    const identity = await createIdentity({ staticTokensFile });
    (await identity.authenticate('Bearer demo-alice')).groups.push('app-approvers');
    assert.deepEqual((await identity.authenticate('Bearer demo-alice')).groups, ['helpdesk']);
  });

  test('staticIdentities lists the tokens for the demo picker', async () => {
    const identity = await createIdentity({ staticTokensFile });
    assert.deepEqual(
      identity.staticIdentities().map((i) => [i.userId, i.token, i.description]),
      [['alice', 'demo-alice', 'helpdesk; makes changes'], ['bob', 'demo-bob', undefined], ['carol', 'demo-carol', undefined]],
    );
    assert.deepEqual((await createIdentity({ jwt: { hs256Secret: 'x'.repeat(32), clockToleranceSec: 0, userClaim: 'sub', groupsClaim: 'groups' } })).staticIdentities(), []);
  });

  test('missing, malformed and oversized Authorization headers are refused', async () => {
    const identity = await createIdentity({ staticTokensFile });
    assert.match(await reason(identity.authenticate(undefined)), /missing Authorization/);
    assert.match(await reason(identity.authenticate('')), /missing Authorization/);
    assert.match(await reason(identity.authenticate('Basic ZGVtby1hbGljZTo=')), /not a Bearer token/);
    assert.match(await reason(identity.authenticate('Bearer demo-alice extra')), /not a Bearer token/);
    assert.match(await reason(identity.authenticate('Bearer ' + 'a'.repeat(MAX_TOKEN_BYTES + 1))), /larger than 8192 bytes/);
    assert.match(await reason(identity.authenticate('Bearer ' + 'a'.repeat(1_000_000))), /larger than 8192 bytes/);
  });

  test('static tokens and JWTs work side by side', async () => {
    const secret = 'a-test-secret-that-is-long-enough-for-hs256!';
    const identity = await createIdentity({
      staticTokensFile,
      jwt: { hs256Secret: secret, clockToleranceSec: 0, userClaim: 'preferred_username', groupsClaim: 'groups' },
    });
    const jwt = await new SignJWT({ sub: 'dave', groups: ['policy-approvers'] }).setProtectedHeader({ alg: 'HS256' }).setExpirationTime('5m').sign(new TextEncoder().encode(secret));
    assert.deepEqual(await identity.authenticate(`Bearer ${jwt}`), { userId: 'dave', groups: ['policy-approvers'] });
    assert.equal((await identity.authenticate('Bearer demo-bob')).userId, 'bob');
  });

  test('authenticateNow: a static token answers without a promise, a JWT with one, a refusal is thrown; directory groups in both', async () => {
    const secret = 'a-test-secret-that-is-long-enough-for-hs256!';
    const identity = await createIdentity({
      staticTokensFile,
      directoryFile: writeFile('now-directory.yaml', 'users:\n  alice: { groups: [readers] }\n  dave: { groups: [readers] }\n'),
      jwt: { hs256Secret: secret, clockToleranceSec: 0, userClaim: 'preferred_username', groupsClaim: 'groups' },
    });
    const now = identity.authenticateNow!;
    const alice = now('Bearer demo-alice');
    assert.ok(!(alice instanceof Promise));
    assert.deepEqual(alice, { userId: 'alice', groups: ['helpdesk', 'readers'] });
    const jwt = await new SignJWT({ sub: 'dave', groups: ['policy-approvers'] }).setProtectedHeader({ alg: 'HS256' }).setExpirationTime('5m').sign(new TextEncoder().encode(secret));
    const dave = now(`Bearer ${jwt}`);
    assert.ok(dave instanceof Promise);
    assert.deepEqual(await dave, { userId: 'dave', groups: ['policy-approvers', 'readers'] });
    assert.throws(() => now('Bearer demo-nobody'), (error: unknown) => error instanceof IdentityError && /unknown token/.test(error.reason));
    assert.throws(() => now('Basic ZGVtby1hbGljZTo='), IdentityError);
    // Shaped like a JWS but forged: refused by the promise, as authenticate does.
    await assert.rejects(Promise.resolve(now('Bearer a.b.c')), IdentityError);
    // Not three parts: never handed to jose, refused at once.
    assert.throws(() => now('Bearer a.b.c.d'), IdentityError);
    // The promise form keeps its contract: a refusal is a rejection, never a synchronous throw.
    const pending = identity.authenticate('Bearer demo-nobody');
    assert.ok(pending instanceof Promise);
    await assert.rejects(pending, IdentityError);
  });

  test("user ids are made canonical when the file is read: 'alice ' and fullwidth are alice", async () => {
    const identity = await createIdentity({
      staticTokensFile: writeFile(
        'spellings.yaml',
        'tokens:\n  - { token: token-plain, userId: alice }\n  - { token: token-space, userId: "alice " }\n  - { token: token-wide, userId: ａｌｉｃｅ, groups: [app-approvers] }\n  - { token: token-upper, userId: " ALICE" }\n',
      ),
    });
    for (const token of ['token-plain', 'token-space', 'token-wide', 'token-upper']) {
      assert.equal((await identity.authenticate(`Bearer ${token}`)).userId, 'alice', token);
    }
    assert.deepEqual(await identity.authenticate('Bearer token-wide'), { userId: 'alice', groups: ['app-approvers'] });
    assert.deepEqual(new Set(identity.staticIdentities().map((i) => i.userId)), new Set(['alice']));
  });

  test('bad files stop the start with file, line and column, never echoing a token', async () => {
    const cases: [string, RegExp][] = [
      ['tokens:\n  - token: short\n    userId: alice\n', /bad\.yaml:2:12: token must be 8/],
      ['tokens:\n  - token: secret-token-1\n    userId: a\n  - token: secret-token-1\n    userId: b\n', /bad\.yaml:4:12: the same token appears twice/],
      ['tokens:\n  - token: secret-token-1\n    user: alice\n', /unknown key user/],
      ['tokens:\n  - token: secret-token-1\n    userId: alice\n    groups: helpdesk\n', /bad\.yaml:4:13: groups must be a list/],
      ['tokens:\n  - token: secret-token-1\n   userId: alice\n', /CONFIG_YAML_INVALID: .*bad\.yaml:3:\d+/],
      ['users: []\n', /expected a `tokens` list/],
      ['tokens:\n  - token: secret-token-1\n    userId: "\\u200B "\n', /bad\.yaml:3:13: user id is empty once canonicalised \(NFKC, trimmed, case-folded\)/],
      ['tokens:\n  - token: secret-token-1\n    userId: ""\n', /bad\.yaml:3:13: user id must be 1 to 256 printable characters/],
    ];
    for (const [text, expected] of cases) {
      const path = writeFile('bad.yaml', text);
      await assert.rejects(createIdentity({ staticTokensFile: path }), (error: unknown) => {
        assert.ok(error instanceof ConfigError, String(error));
        assert.match(error.message, expected);
        assert.ok(!error.message.includes('secret-token-1'), error.message);
        return true;
      });
    }
  });
});

describe('directory', () => {
  const staticTokensFile = writeFile('tokens.yaml', TOKENS);
  const directoryFile = writeFile('directory.yaml', DIRECTORY);

  test("directory groups are merged with the token's, without duplicates", async () => {
    const identity = await createIdentity({ staticTokensFile, directoryFile });
    assert.deepEqual(await identity.authenticate('Bearer demo-alice'), { userId: 'alice', groups: ['helpdesk', 'readers'] });
    assert.deepEqual(await identity.authenticate('Bearer demo-carol'), { userId: 'carol', groups: ['app-approvers'] });
    assert.deepEqual(await identity.authenticate('Bearer demo-bob'), { userId: 'bob', groups: ['app-approvers', 'script-approvers'] });
  });

  test('a user named like an Object property gets no groups from the prototype', async () => {
    const identity = await createIdentity({ staticTokensFile: writeFile('proto.yaml', 'tokens:\n  - { token: proto-token, userId: constructor }\n'), directoryFile });
    assert.deepEqual(await identity.authenticate('Bearer proto-token'), { userId: 'constructor', groups: [] });
  });

  test('directory names are canonical: a caller finds the entry written in another spelling', async () => {
    const identity = await createIdentity({
      staticTokensFile: writeFile('wide.yaml', 'tokens:\n  - { token: token-wide-alice, userId: ａｌｉｃｅ }\n  - { token: token-bob, userId: bob }\n'),
      directoryFile: writeFile('spelled-directory.yaml', 'users:\n  " Alice":\n    groups: [readers]\n  BOB: { groups: [app-approvers] }\n'),
    });
    assert.deepEqual(await identity.authenticate('Bearer token-wide-alice'), { userId: 'alice', groups: ['readers'] });
    assert.deepEqual(await identity.authenticate('Bearer token-bob'), { userId: 'bob', groups: ['app-approvers'] });
  });

  test('two names that are one id once canonical refuse the directory, naming both places', async () => {
    const path = writeFile('twice-directory.yaml', 'users:\n  bob: { groups: [helpdesk] }\n  carol: { groups: [] }\n  ｂｏｂ: { groups: [app-approvers] }\n  "  ": { groups: [] }\n');
    await assert.rejects(createIdentity({ staticTokensFile, directoryFile: path }), (error: unknown) => {
      assert.ok(error instanceof ConfigError, String(error));
      assert.match(error.message, /twice-directory\.yaml:4:\d+: user bob appears twice \(also at [^)]*twice-directory\.yaml:2:\d+\)/);
      assert.match(error.message, /twice-directory\.yaml:5:\d+: user id is empty once canonicalised/);
      return true;
    });
  });

  test('a bad directory names the place', async () => {
    const path = writeFile('bad-directory.yaml', 'users:\n  alice:\n    groups: [ok]\n  bob:\n    group: [x]\n');
    await assert.rejects(createIdentity({ staticTokensFile, directoryFile: path }), /bad-directory\.yaml:5:12: unknown key group/);
  });
});
