/**
 * `countersign init` on the OpenAPI documents of two real APIs (the Petstore and a slice of GitHub's
 * REST API, test/fixtures/openapi/README.md) and on broken ones: the profile types, routes and
 * operations it infers, the folder it writes (and that the gateway's own loaders accept), that
 * `policy test` passes on it, and that a refused init writes nothing.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, describe, test } from 'node:test';
import { parse } from 'yaml';
import { run as explain, type CommandIo } from '../../src/cli/explain';
import { run as init } from '../../src/cli/init';
import { run as policy } from '../../src/cli/policy-commands';
import { loadGatewayConfig, PROJECT_ROOT } from '../../src/config/gateway-config';
import { loadPolicyConfig } from '../../src/config/policy-config';

const dir = mkdtempSync(join(tmpdir(), 'countersign-init-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const FIXTURES = join(PROJECT_ROOT, 'test/fixtures/openapi');

type Command = (args: string[], io: CommandIo) => Promise<number>;

async function capture(command: Command, args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await command(args, { stdout: { write: (t: string) => (out += t) }, stderr: { write: (t: string) => (err += t) } });
  return { code, out, err };
}

/** Every route of the written profile types as "type METHOD path operation", sorted. */
function routesOf(out: string): string[] {
  return loadPolicyConfig(out)
    .profileTypes.flatMap((t) => t.routes.map((r) => `${t.name} ${r.method} ${r.path} ${r.operation}`))
    .sort();
}

describe('countersign init', () => {
  test('Petstore: one profile type per tag with every mutating route and its operation; a folder the gateway loads; policy test passes', async () => {
    const out = join(dir, 'petstore');
    const r = await capture(init, ['--upstream', 'http://127.0.0.1:9/v2', '--openapi', join(FIXTURES, 'petstore.json'), '--out', out]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /3 profile types, each with a disabled access policy/);
    assert.ok(!r.out.includes('note:'), r.out);
    // The document's paths are below its server's /v2: an upstream without it gets a note saying so.
    const bare = await capture(init, ['--upstream', 'http://127.0.0.1:9', '--openapi', join(FIXTURES, 'petstore.json'), '--out', join(dir, 'petstore-bare')]);
    assert.match(bare.out, /note: the document's server http:\/\/petstore\.swagger\.io\/v2 puts its paths below \/v2, and --upstream http:\/\/127\.0\.0\.1:9 does not end with it/);
    assert.deepEqual(routesOf(out), [
      'pet DELETE /pet/{petId} delete',
      'pet POST /pet create',
      'pet POST /pet/{petId} modify',
      'pet POST /pet/{petId}/uploadImage modify',
      'pet PUT /pet modify',
      'store DELETE /store/order/{orderId} delete',
      'store POST /store/order create',
      'user DELETE /user/{username} delete',
      'user POST /user create',
      'user POST /user/createWithArray create',
      'user POST /user/createWithList create',
      'user PUT /user/{username} modify',
    ]);
    const config = loadPolicyConfig(out);
    assert.deepEqual(
      config.accessPolicies.map((p) => [p.name, p.profileType, p.approverGroups, p.enabled]),
      [
        ['pet-approval', 'pet', ['approvers'], false],
        ['store-approval', 'store', ['approvers'], false],
        ['user-approval', 'user', ['approvers'], false],
      ],
    );
    // No break-glass group until the operator names one: a fresh folder lets nobody skip approvals.
    assert.deepEqual(config.roles, { auditorGroups: ['auditors'], breakGlassGroups: [], breakGlassMinReasonChars: 20 });

    // COUNTERSIGN_CONFIG may name the folder; its relative paths resolve against it, the Rego is the project's.
    const gateway = loadGatewayConfig({ env: { COUNTERSIGN_CONFIG: out } });
    assert.equal(gateway.upstream.url, 'http://127.0.0.1:9/v2');
    assert.equal(gateway.policy.configDir, out);
    assert.equal(gateway.policy.policiesDir, join(PROJECT_ROOT, 'policies'));
    assert.equal(gateway.identity.staticTokensFile, join(out, 'local-tokens.yaml'));
    assert.equal(gateway.listen.host, '127.0.0.1', 'static tokens: loopback only');

    // The token file: local-only, readable by its owner alone, git-ignored, random tokens.
    assert.equal(statSync(join(out, 'local-tokens.yaml')).mode & 0o777, 0o600);
    const tokensText = readFileSync(join(out, 'local-tokens.yaml'), 'utf8');
    assert.match(tokensText, /^# LOCAL TRIALS ONLY/);
    const tokens = (parse(tokensText) as { tokens: { token: string; userId: string; groups: string[] }[] }).tokens;
    assert.deepEqual(tokens.map((t) => [t.userId, t.groups]), [['alice', ['operators']], ['bob', ['approvers']], ['erin', ['auditors']]]);
    assert.ok(tokens.every((t) => t.token.length >= 30), 'tokens are random, not guessable');
    assert.match(readFileSync(join(out, '.gitignore'), 'utf8'), /^local-tokens\.yaml$/m);
    assert.ok(!r.out.includes(tokens[0]!.token), 'init never prints a token');

    const tested = await capture(policy, ['test', '--config', out]);
    assert.equal(tested.code, 0, tested.err);
    assert.match(tested.out, /config ok: 3 profile types, 3 access policies \(0 enabled\)/);
    assert.match(tested.out, /PASS: \d+\/\d+/);
  });

  test('GitHub (teams slice): tags become profile types; memberships are assignments; once enabled, explain parks a change', async () => {
    const out = join(dir, 'github');
    const r = await capture(init, ['--upstream', 'https://api.github.com', '--openapi', join(FIXTURES, 'github-teams.json'), '--out', out]);
    assert.equal(r.code, 0, r.err);
    const routes = routesOf(out);
    assert.deepEqual([...new Set(routes.map((line) => line.split(' ')[0]))], ['enterprise-teams', 'private-registries', 'teams']);
    assert.equal(routes.length, 21, 'every mutating operation of the slice');
    for (const expected of [
      'teams POST /orgs/{org}/teams create',
      'teams PATCH /orgs/{org}/teams/{team_slug} modify',
      'teams DELETE /orgs/{org}/teams/{team_slug} delete',
      'teams PUT /orgs/{org}/teams/{team_slug}/memberships/{username} assign',
      'teams DELETE /teams/{team_id}/members/{username} assign',
      'teams PUT /teams/{team_id}/repos/{owner}/{repo} assign',
      'enterprise-teams POST /enterprises/{enterprise}/teams create',
      'private-registries DELETE /orgs/{org}/private-registries/{secret_name} delete',
    ]) {
      assert.ok(routes.includes(expected), `${expected} in\n${routes.join('\n')}`);
    }

    const tested = await capture(policy, ['test', '--config', out]);
    assert.equal(tested.code, 0, tested.err);

    // The one hand edit of a trial: switch the policy on. explain then finds the folder through COUNTERSIGN_CONFIG.
    const file = join(out, 'access-policies/teams.yaml');
    writeFileSync(file, readFileSync(file, 'utf8').replace('enabled: false', 'enabled: true'));
    const previous = process.env.COUNTERSIGN_CONFIG;
    process.env.COUNTERSIGN_CONFIG = out;
    try {
      const decided = await capture(explain, ['--method', 'PUT', '--path', '/teams/7/members/mallory', '--user', 'alice', '--groups', 'operators', '--json']);
      assert.equal(decided.code, 0, decided.err);
      const decision = JSON.parse(decided.out) as { protected: boolean; profileType: string; operation: string; approverGroups: string[] };
      assert.deepEqual([decision.protected, decision.profileType, decision.operation, decision.approverGroups], [true, 'teams', 'assign', ['approvers']]);
      const read = await capture(explain, ['--method', 'POST', '--path', '/orgs/acme/private-registries', '--user', 'alice', '--json']);
      assert.deepEqual(JSON.parse(read.out), { protected: false }, 'a policy left disabled protects nothing');
    } finally {
      if (previous === undefined) delete process.env.COUNTERSIGN_CONFIG;
      else process.env.COUNTERSIGN_CONFIG = previous;
    }
  });

  test('a broken, unsupported or missing document, or an existing folder: a coded error naming the absolute path, and nothing written', async () => {
    const broken = join(dir, 'broken.json');
    // `paths` entries must start with "/", and `info` needs a version: a validator's business, not ours.
    writeFileSync(broken, JSON.stringify({ openapi: '3.0.3', info: { title: 'x' }, paths: { pets: { post: { responses: { 201: { description: 'ok' } } } } } }));
    const swagger = join(dir, 'swagger.json');
    writeFileSync(swagger, JSON.stringify({ swagger: '2.0', info: { title: 'x', version: '1' }, paths: {} }));
    const notJson = join(dir, 'garbage.json');
    writeFileSync(notJson, '{ "openapi": ');
    const cases: [string, string, RegExp][] = [
      [broken, join(dir, 'out-broken'), /OPENAPI_INVALID: .*broken\.json is not a valid OpenAPI 3\.0\.3 document/],
      [swagger, join(dir, 'out-swagger'), /OPENAPI_UNSUPPORTED: .*swagger\.json is Swagger 2\.0; init reads OpenAPI 3\.0 and 3\.1/],
      [notJson, join(dir, 'out-garbage'), /OPENAPI_INVALID: .*garbage\.json is neither JSON nor YAML/],
      ['no-such-openapi.json', join(dir, 'out-missing'), new RegExp(`OPENAPI_UNREADABLE: ${resolve('no-such-openapi.json').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: ENOENT`)],
    ];
    for (const [source, out, message] of cases) {
      const r = await capture(init, ['--upstream', 'http://127.0.0.1:9', '--openapi', source, '--out', out]);
      assert.equal(r.code, 1, source);
      assert.match(r.err, message);
      assert.equal(existsSync(out), false, `nothing written for ${source}`);
    }
    assert.deepEqual(readdirSync(dir).filter((n) => n.includes('.init-')), [], 'no temporary folder left behind');

    const usage = await capture(init, ['--upstream', 'ftp://example.test', '--out', join(dir, 'out-ftp')]);
    assert.equal(usage.code, 2);
    assert.match(usage.err, /INIT_USAGE: --upstream must use http: or https:/);
    assert.equal((await capture(init, ['--out', join(dir, 'x')])).code, 2, '--upstream is required');
    const secret = await capture(init, ['--upstream', 'https://admin:hunter2@api.example.test', '--out', join(dir, 'out-secret')]);
    assert.equal(secret.code, 2);
    assert.match(secret.err, /INIT_USAGE: --upstream must not carry a user or password/);
    assert.ok(!secret.err.includes('hunter2'), 'the password is not echoed');
    assert.equal(existsSync(join(dir, 'out-secret')), false);

    // An existing folder is replaced only with --force, whole, and only when init wrote it.
    const existing = join(dir, 'existing');
    mkdirSync(existing);
    writeFileSync(join(existing, 'mine.txt'), 'keep me');
    const escaped = existing.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const refused = await capture(init, ['--upstream', 'http://127.0.0.1:9', '--out', existing]);
    assert.equal(refused.code, 1);
    assert.match(refused.err, new RegExp(`INIT_OUT_EXISTS: ${escaped} exists; .*--force`));
    const notOurs = await capture(init, ['--upstream', 'http://127.0.0.1:9', '--out', existing, '--force']);
    assert.equal(notOurs.code, 1);
    assert.match(notOurs.err, new RegExp(`INIT_OUT_EXISTS: ${escaped} exists and holds no gateway.yaml`));
    assert.equal(readFileSync(join(existing, 'mine.txt'), 'utf8'), 'keep me');
    rmSync(join(existing, 'mine.txt'));
    assert.equal((await capture(init, ['--upstream', 'http://127.0.0.1:9', '--out', existing])).code, 0, 'an empty folder is filled');
    writeFileSync(join(existing, 'mine.txt'), 'replaced with the rest');
    assert.equal((await capture(init, ['--upstream', 'http://127.0.0.1:9', '--out', existing])).code, 1, 'without --force, not even our own folder');
    const forced = await capture(init, ['--upstream', 'http://127.0.0.1:9', '--out', existing, '--force']);
    assert.equal(forced.code, 0, forced.err);
    assert.equal(existsSync(join(existing, 'mine.txt')), false);
    assert.match(forced.out, /no --openapi: profile-types\/ and access-policies\/ are empty/);
    const here = await capture(init, ['--upstream', 'http://127.0.0.1:9', '--out', '.', '--force']);
    assert.equal(here.code, 2);
    assert.match(here.err, /INIT_USAGE: --out .* is the current folder or holds it/);
    assert.deepEqual(loadPolicyConfig(existing).profileTypes, [], 'without a document: a folder that loads, with nothing protected yet');
  });
});
