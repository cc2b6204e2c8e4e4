import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ConfigError } from '../../src/config/config-error';
import { createPolicyEngine } from '../../src/policy/engine';
import { PolicyBuildError, PolicyUnavailableError } from '../../src/policy/errors';
import { normalizeCall } from '../../src/policy/normalize-call';
import { buildBundle } from '../../src/policy/opa-cli';
import type { AuthorizeInput, DecisionInput, PolicyEngine } from '../../src/policy/types';

const roots: string[] = [];
after(() => roots.forEach((r) => rmSync(r, { recursive: true, force: true })));

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'countersign-engine-'));
  roots.push(dir);
  return dir;
}

/** Copies of the shipped policies/ and config/ that a test may change, and a private build cache. */
function workspace(): { policiesDir: string; configDir: string; cacheDir: string } {
  const root = tempDir();
  cpSync('policies', join(root, 'policies'), { recursive: true });
  cpSync('config/access-policies', join(root, 'config/access-policies'), { recursive: true });
  cpSync('config/profile-types', join(root, 'config/profile-types'), { recursive: true });
  cpSync('config/roles.yaml', join(root, 'config/roles.yaml'));
  return { policiesDir: join(root, 'policies'), configDir: join(root, 'config'), cacheDir: join(root, 'cache') };
}

function callInput(method: string, url: string, userId = 'alice', groups = ['helpdesk'], body?: unknown): DecisionInput {
  const n = normalizeCall({ method, url, headers: {} }, { caseInsensitive: true });
  assert.ok(n.ok);
  return { call: { ...n.call, ...(body !== undefined ? { body } : {}) }, caller: { userId, groups } };
}

function authorizeInput(actor: string, groups: string[], action: AuthorizeInput['action'], status = 'needsApproval'): AuthorizeInput {
  return {
    request: {
      id: 'r1',
      status,
      requestor: { userId: 'alice', groups: ['helpdesk', 'app-approvers'] },
      profileType: 'apps',
      operation: 'modify',
      policies: ['apps-approval'],
      approverGroups: ['app-approvers'],
      requiredApprovals: 1,
      approvedBy: [],
    },
    actor: { userId: actor, groups },
    action,
  };
}

async function waitFor(what: string, check: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('the shipped policy', () => {
  let engine: PolicyEngine;
  before(async () => {
    engine = await createPolicyEngine({ policiesDir: 'policies', configDir: 'config' });
  });
  after(() => engine.close());

  test('protects changes to apps, scripts and access policies, from their approver groups', () => {
    const cases: [string, string, string, string, string][] = [
      ['PATCH', '/deviceAppManagement/mobileApps/42', 'apps', 'modify', 'app-approvers'],
      ['DELETE', '/deviceAppManagement/mobileApps/42', 'apps', 'delete', 'app-approvers'],
      ['POST', '/deviceAppManagement/mobileApps/42/assign', 'apps', 'assign', 'app-approvers'],
      ['POST', '/deviceManagement/deviceManagementScripts/7/assign', 'scripts', 'assign', 'script-approvers'],
      ['PATCH', '/deviceManagement/deviceManagementScripts/7', 'scripts', 'modify', 'script-approvers'],
      // The shipped two-stage policy: both stages' groups, one approval each.
      ['DELETE', '/deviceManagement/operationApprovalPolicies/p1', 'accessPolicies', 'delete', 'policy-approvers,security-approvers'],
      ['POST', '/groups/g1/members/$ref', 'groups', 'assign', 'group-approvers'],
      ['PATCH', '/deviceManagement/roleAssignments/r1', 'roles', 'modify', 'role-approvers'],
    ];
    for (const [method, url, profileType, operation, group] of cases) {
      const d = engine.decide(callInput(method, url));
      assert.ok(d.protected, `${method} ${url}`);
      assert.equal(d.profileType, profileType);
      assert.equal(d.operation, operation);
      assert.deepEqual(d.approverGroups, group.split(','));
      assert.equal(d.requiredApprovals, group.split(',').length);
    }
  });

  test('the object key is the same whatever sub-route or spelling reaches the object', () => {
    const keys = [
      callInput('PATCH', '/deviceAppManagement/mobileApps/42'),
      callInput('POST', '/DEVICEAPPMANAGEMENT//mobileapps/42/assign/'),
      callInput('DELETE', '/deviceAppManagement/mobileApps/42/assignments/a1'),
      callInput('POST', '/deviceAppManagement/mobileApps/x/../42/microsoft.graph.win32LobApp/contentVersions'),
    ].map((input) => {
      const d = engine.decide(input);
      assert.ok(d.protected);
      return d.objectKey;
    });
    assert.deepEqual(new Set(keys), new Set(['apps:/deviceappmanagement/mobileapps/42']));
  });

  test('creates of differently named objects get different keys', () => {
    const a = engine.decide(callInput('POST', '/deviceAppManagement/mobileApps', 'alice', [], { displayName: 'Contoso Portal' }));
    const b = engine.decide(callInput('POST', '/deviceAppManagement/mobileApps', 'alice', [], { displayName: 'Other' }));
    assert.ok(a.protected && b.protected);
    assert.equal(a.operation, 'create');
    assert.equal(a.objectKey, 'apps:/deviceappmanagement/mobileapps#create:contoso portal');
    assert.notEqual(a.objectKey, b.objectKey);
  });

  test('reads and unlisted routes pass', () => {
    assert.deepEqual(engine.decide(callInput('GET', '/deviceAppManagement/mobileApps/42')), { protected: false });
    assert.deepEqual(engine.decide(callInput('PATCH', '/deviceManagement/windowsAutopilotDeploymentProfiles/1')), { protected: false });
  });

  test('authorize: the requestor never approves their own request, approvers do, auditors only view', () => {
    assert.deepEqual(engine.authorize(authorizeInput('alice', ['app-approvers'], 'approve')), {
      allow: false,
      reasons: ['the requestor cannot approve their own request'],
    });
    assert.equal(engine.authorize(authorizeInput('bob', ['app-approvers'], 'approve')).allow, true);
    assert.equal(engine.authorize(authorizeInput('carol', ['auditors'], 'view')).allow, true);
    assert.equal(engine.authorize(authorizeInput('carol', ['auditors'], 'approve')).allow, false);
    assert.equal(engine.authorize(authorizeInput('alice', [], 'complete', 'approved')).allow, true);
  });

  test('status, access policies and profile types', () => {
    const s = engine.status();
    assert.equal(s.ready, true);
    assert.match(s.revision ?? '', /^[0-9a-f]{16}$/);
    assert.equal(s.lastError, undefined);
    assert.equal(engine.accessPolicies().length, 9);
    assert.ok(engine.profileTypes().find((t) => t.name === 'apps')?.routes.some((r) => r.path === '/deviceAppManagement/mobileApps/{id}'));
  });

  test('malformed input is refused with PolicyUnavailableError, not answered', () => {
    assert.throws(() => engine.decide({ call: { method: 'PATCH' }, caller: { userId: 'a', groups: [] } } as unknown as DecisionInput), PolicyUnavailableError);
    assert.throws(() => engine.authorize({ ...authorizeInput('bob', [], 'view'), actor: { userId: 'bob' } } as unknown as AuthorizeInput), PolicyUnavailableError);
  });
});

describe('results of the wrong shape, and evaluation errors, deny', () => {
  const dir = tempDir();
  let engine: PolicyEngine;
  before(async () => {
    writeFileSync(
      join(dir, 'policy.rego'),
      `package maa
default decision := {"protected": false}
decision := {"protected": "yes"} if input.call.path == "/weird"
decision := {"protected": true, "profileType": "apps"} if input.call.path == "/partial"
decision := {"protected": true, "profileType": "apps", "objectKey": "apps:/x", "operation": "rename", "policies": ["p"], "approverGroups": ["g"], "requiredApprovals": 1} if input.call.path == "/badop"
decision := {"protected": true, "profileType": "apps", "objectKey": "apps:/x", "operation": "modify", "policies": ["p"], "approverGroups": [], "requiredApprovals": 1} if input.call.path == "/nogroups"
decision := {"protected": true} if input.call.path == "/conflict"
decision := {"protected": false, "x": 1} if input.call.path == "/conflict"
default authorize := {"allow": false, "reasons": ["no"]}
authorize := {"allow": "maybe", "reasons": []} if input.action == "approve"
authorize := {"allow": false, "reasons": []} if input.action == "reject"
`,
    );
    engine = await createPolicyEngine({ policiesDir: dir, configDir: 'config', cacheDir: join(dir, '.cache') });
  });
  after(() => engine.close());

  test('a well-formed answer is still answered', () => {
    assert.deepEqual(engine.decide(callInput('PATCH', '/fine')), { protected: false });
  });

  for (const path of ['/weird', '/partial', '/badop', '/nogroups']) {
    test(`decision shape error at ${path}`, () => {
      assert.throws(() => engine.decide(callInput('PATCH', path)), (e: unknown) => e instanceof PolicyUnavailableError && /wrong shape/.test(e.message));
    });
  }

  test('a conflict inside the policy at evaluation time', () => {
    assert.throws(() => engine.decide(callInput('PATCH', '/conflict')), (e: unknown) => e instanceof PolicyUnavailableError && /maa\/decision failed/.test(e.message));
  });

  test('authorize shape errors: a non-boolean allow, a refusal without reasons', () => {
    assert.throws(() => engine.authorize(authorizeInput('bob', [], 'approve')), PolicyUnavailableError);
    assert.throws(() => engine.authorize(authorizeInput('bob', [], 'reject')), PolicyUnavailableError);
  });

  test('a closed engine answers nothing', async () => {
    const other = await createPolicyEngine({ policiesDir: dir, configDir: 'config', cacheDir: join(dir, '.cache') });
    await other.close();
    assert.throws(() => other.decide(callInput('PATCH', '/fine')), PolicyUnavailableError);
    assert.equal(other.status().ready, false);
  });
});

describe('a start that cannot build or validate throws a clear error', () => {
  test('invalid YAML', async () => {
    const ws = workspace();
    writeFileSync(join(ws.configDir, 'access-policies/apps.yaml'), 'name: apps-approval\ndescription: x\nprofileType: apps\napproverGroups: app-approvers\n');
    await assert.rejects(createPolicyEngine(ws), (e: unknown) => e instanceof ConfigError && /apps\.yaml:4:17: approverGroups must be array/.test(e.message));
  });

  test('Rego that does not compile', async () => {
    const ws = workspace();
    writeFileSync(join(ws.policiesDir, 'broken.rego'), 'package maa\nbroken if {\n');
    await assert.rejects(createPolicyEngine(ws), (e: unknown) => e instanceof PolicyBuildError && /broken\.rego:\d+/.test(e.message));
  });

  test('a builtin the Wasm runtime lacks fails the build, not a request', async () => {
    const ws = workspace();
    writeFileSync(join(ws.policiesDir, 'net.rego'), 'package maa\nlookup := net.lookup_ip_addr("example.com") if input.x\n');
    const broken = readFileSync(join(ws.policiesDir, 'decision.rego'), 'utf8').replace('count(route_matches) == 1', 'count(route_matches) == 1\n\tnot lookup');
    writeFileSync(join(ws.policiesDir, 'decision.rego'), broken);
    await assert.rejects(createPolicyEngine(ws), (e: unknown) => e instanceof PolicyBuildError && /net\.lookup_ip_addr/.test(e.message));
  });

  test('rand.intn is left out of the build: a decision must be a pure function of its input', async () => {
    const ws = workspace();
    writeFileSync(join(ws.policiesDir, 'dice.rego'), 'package maa\ndice := rand.intn("approvals", 6) if input.x\n');
    await assert.rejects(createPolicyEngine(ws), (e: unknown) => e instanceof PolicyBuildError && /rand\.intn/.test(e.message));
  });

  test('a policy without the authorize entry point', async () => {
    const ws = workspace();
    rmSync(join(ws.policiesDir, 'authorize.rego'));
    // break_glass.rego adds rules to the same entry point and uses its helpers: it goes with it.
    rmSync(join(ws.policiesDir, 'break_glass.rego'));
    await assert.rejects(createPolicyEngine(ws), (e: unknown) => e instanceof Error && /authorize/.test(e.message));
  });

  test('OPA missing, with no prebuilt bundle', async () => {
    const ws = workspace();
    await assert.rejects(createPolicyEngine({ ...ws, opaBin: join(ws.cacheDir, 'no-opa-here') }), (e: unknown) => e instanceof PolicyBuildError && /OPA is not at/.test(e.message));
  });
});

test('a prebuilt bundle needs no OPA', async () => {
  const ws = workspace();
  const built = await buildBundle({ policiesDir: ws.policiesDir, cacheDir: ws.cacheDir });
  const bundlePath = join(ws.cacheDir, 'prebuilt.tar.gz');
  cpSync(built.path, bundlePath);
  rmSync(ws.policiesDir, { recursive: true });
  const savedOpaBin = process.env.OPA_BIN;
  process.env.OPA_BIN = '/nonexistent/opa';
  try {
    const engine = await createPolicyEngine({ policiesDir: ws.policiesDir, configDir: ws.configDir, bundlePath, opaBin: '/nonexistent/opa' });
    const d = engine.decide(callInput('PATCH', '/deviceAppManagement/mobileApps/42'));
    assert.ok(d.protected);
    assert.deepEqual(d.approverGroups, ['app-approvers']);
    await engine.close();
  } finally {
    if (savedOpaBin === undefined) delete process.env.OPA_BIN;
    else process.env.OPA_BIN = savedOpaBin;
  }
  writeFileSync(join(ws.cacheDir, 'not-a-bundle.tar.gz'), 'hello');
  await assert.rejects(createPolicyEngine({ ...ws, bundlePath: join(ws.cacheDir, 'not-a-bundle.tar.gz') }), /not a gzip'd OPA bundle/);
});

test('remembered decisions are the ones evaluation gives, and no caller can change them', async () => {
  const ws = workspace();
  const remembering = await createPolicyEngine(ws);
  const evaluating = await createPolicyEngine({ ...ws, decisionCacheSize: 0 });
  try {
    const inputs = [
      callInput('PATCH', '/deviceAppManagement/mobileApps/42'),
      callInput('PATCH', '/deviceAppManagement/mobileApps/43', 'bob', ['app-approvers']),
      callInput('POST', '/deviceAppManagement/mobileApps', 'alice', ['helpdesk'], { displayName: 'New' }),
      callInput('POST', '/deviceManagement/managedDevices/42/syncDevice'),
    ];
    for (let round = 0; round < 3; round++) {
      for (const input of inputs) assert.deepEqual(remembering.decide(input), evaluating.decide(input));
    }
    const decision = remembering.decide(inputs[0]!);
    assert.ok(decision.protected);
    assert.throws(() => (decision.approverGroups as string[]).push('everyone'));
    assert.deepEqual(remembering.decide(inputs[0]!), evaluating.decide(inputs[0]!));
  } finally {
    await remembering.close();
    await evaluating.close();
  }
});

test('hot reload: good changes swap in, bad ones keep the last good policy and show in status', async () => {
  const ws = workspace();
  const engine = await createPolicyEngine({ ...ws, watch: true });
  try {
    const input = callInput('PATCH', '/deviceAppManagement/mobileApps/42');
    const required = (): number => {
      const d = engine.decide(input);
      return d.protected ? d.requiredApprovals : 0;
    };
    assert.equal(required(), 1);
    const first = engine.status().revision;

    // A good YAML change.
    const appsYaml = join(ws.configDir, 'access-policies/apps.yaml');
    writeFileSync(appsYaml, readFileSync(appsYaml, 'utf8').replace('requiredApprovals: 1', 'requiredApprovals: 2'));
    await waitFor('the YAML change', () => required() === 2);
    const second = engine.status().revision;
    assert.notEqual(second, first);

    // A bad YAML change: the last good policy keeps serving.
    writeFileSync(appsYaml, 'name: apps-approval\nrequiredApprovals: many\n');
    await waitFor('the failed reload', () => engine.status().lastError !== undefined);
    assert.match(engine.status().lastError ?? '', /apps\.yaml:\d+:\d+/);
    assert.equal(engine.status().ready, true);
    assert.equal(engine.status().revision, second);
    assert.equal(required(), 2);

    // Fixing it clears the error.
    writeFileSync(appsYaml, readFileSync('config/access-policies/apps.yaml', 'utf8').replace('requiredApprovals: 1', 'requiredApprovals: 3'));
    await waitFor('the repaired YAML', () => required() === 3 && engine.status().lastError === undefined);

    // A Rego change that does not build keeps the last good policy too.
    const decisionRego = join(ws.policiesDir, 'decision.rego');
    const goodRego = readFileSync(decisionRego, 'utf8');
    writeFileSync(decisionRego, `${goodRego}\nbroken if {\n`);
    await waitFor('the failed Rego build', () => /opa build failed/.test(engine.status().lastError ?? ''));
    assert.equal(required(), 3);

    // And a good Rego change swaps in.
    writeFileSync(decisionRego, goodRego.replace('"requiredApprovals": max(', '"requiredApprovals": 1 + max('));
    await waitFor('the Rego change', () => required() === 4 && engine.status().lastError === undefined);

    // Roles reload too: the API asks the engine who the auditors are.
    assert.deepEqual(engine.auditorGroups(), ['auditors']);
    writeFileSync(join(ws.configDir, 'roles.yaml'), 'auditorGroups: [auditors, compliance]\n');
    await waitFor('the roles change', () => engine.auditorGroups().includes('compliance'));
  } finally {
    await engine.close();
  }
});
