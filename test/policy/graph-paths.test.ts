/**
 * Bypasses 1 and 2, end to end through normalizeCall and the shipped policy: Microsoft Graph paths
 * start with an API version (`/v1.0/`, `/beta/`), and Graph addresses an entity by an OData key in
 * parentheses (`mobileApps('42')`). Either way the call must be protected exactly as the plain one,
 * with the same object key, and `countersign explain` must say so too.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { execFileSync } from 'node:child_process';
import { run as explain } from '../../src/cli/explain';
import { loadPolicyConfig } from '../../src/config/policy-config';
import { createPolicyEngine } from '../../src/policy/engine';
import { normalizeCall } from '../../src/policy/normalize-call';
import { resolveOpaBin } from '../../src/policy/opa-cli';
import type { DecisionInput, PolicyEngine } from '../../src/policy/types';

function callInput(method: string, url: string, body?: unknown): DecisionInput {
  const n = normalizeCall({ method, url, headers: {} }, { caseInsensitive: true });
  assert.ok(n.ok, url);
  return { call: { ...n.call, ...(body !== undefined ? { body } : {}) }, caller: { userId: 'alice', groups: ['helpdesk'] } };
}

describe('API version segments in the shipped policy', () => {
  let engine: PolicyEngine;
  before(async () => {
    engine = await createPolicyEngine({ policiesDir: 'policies', configDir: 'config' });
  });
  after(() => engine.close());

  test('a versioned change is protected, with the same decision and object key as the unversioned one', () => {
    const cases: [string, string][] = [
      ['PATCH', '/deviceAppManagement/mobileApps/42'],
      ['POST', '/deviceAppManagement/mobileApps/42/assign'],
      ['DELETE', '/deviceManagement/deviceManagementScripts/7'],
      ['PATCH', '/deviceManagement/operationApprovalPolicies/p1'],
      ['POST', '/deviceAppManagement/mobileApps/42/microsoft.graph.win32LobApp/contentVersions'],
    ];
    for (const [method, path] of cases) {
      const plain = engine.decide(callInput(method, path));
      assert.ok(plain.protected, path);
      for (const version of ['/v1.0', '/beta', '/V1.0', '/Beta']) {
        assert.deepEqual(engine.decide(callInput(method, `${version}${path}`)), plain, `${method} ${version}${path}`);
      }
    }
  });

  test('one object key for a create, with or without a version', () => {
    const body = { displayName: 'Contoso Portal' };
    const plain = engine.decide(callInput('POST', '/deviceAppManagement/mobileApps', body));
    const versioned = engine.decide(callInput('POST', '/v1.0/deviceAppManagement/mobileApps', body));
    assert.ok(plain.protected && versioned.protected);
    assert.equal(versioned.objectKey, 'apps:/deviceappmanagement/mobileapps#create:contoso portal');
    assert.equal(versioned.objectKey, plain.objectKey);
  });

  test('OData key forms are the same object as the plain path', () => {
    const plain = engine.decide(callInput('PATCH', '/deviceAppManagement/mobileApps/42'));
    for (const url of [
      "/deviceAppManagement/mobileApps('42')",
      "/v1.0/deviceAppManagement/mobileApps(id='42')",
      '/beta/deviceAppManagement/mobileApps(42)',
      '/deviceAppManagement/mobileApps%28%2742%27%29',
    ]) {
      assert.deepEqual(engine.decide(callInput('PATCH', url)), plain, url);
    }
    const assign = engine.decide(callInput('POST', "/v1.0/deviceManagement/deviceManagementScripts('7')/assign"));
    assert.ok(assign.protected);
    assert.equal(assign.operation, 'assign');
    assert.equal(assign.objectKey, 'scripts:/devicemanagement/devicemanagementscripts/7');
  });

  test('a create through an OData type cast is protected too', () => {
    for (const url of ['/deviceAppManagement/mobileApps/microsoft.graph.win32LobApp', '/v1.0/deviceManagement/deviceManagementScripts/microsoft.graph.deviceManagementScript', '/beta/deviceManagement/operationApprovalPolicies/microsoft.graph.operationApprovalPolicy']) {
      const decision = engine.decide(callInput('POST', url, { displayName: 'New' }));
      assert.ok(decision.protected, url);
      assert.equal(decision.operation, 'create');
    }
  });

  test('reads, unknown versions and unlisted routes still pass', () => {
    assert.deepEqual(engine.decide(callInput('GET', '/v1.0/deviceAppManagement/mobileApps/42')), { protected: false });
    assert.deepEqual(engine.decide(callInput('PATCH', '/v9.9/deviceAppManagement/mobileApps/42')), { protected: false });
    assert.deepEqual(engine.decide(callInput('PATCH', '/v1.0/me')), { protected: false });
  });

  test('explain agrees: the versioned path needs approval, with the unversioned object key', async () => {
    let out = '';
    let err = '';
    const io = { stdout: { write: (s: string) => ((out += s), true) }, stderr: { write: (s: string) => ((err += s), true) } };
    const code = await explain(
      ['--method', 'PATCH', '--path', '/v1.0/deviceAppManagement/mobileApps/42', '--user', 'alice', '--groups', 'helpdesk', '--json'],
      io,
    );
    assert.equal(code, 0, err);
    const decision = JSON.parse(out) as { protected: boolean; objectKey: string };
    assert.equal(decision.protected, true);
    assert.equal(decision.objectKey, 'apps:/deviceappmanagement/mobileapps/42');
  });
});

/**
 * Issue 8 finding 3: whatever grants approval rights is itself protected (invariant 8): group
 * membership and ownership of any group, Intune roles, and Entra directory roles.
 */
describe('changes that grant approval rights', () => {
  let engine: PolicyEngine;
  before(async () => {
    engine = await createPolicyEngine({ policiesDir: 'policies', configDir: 'config' });
  });
  after(() => engine.close());

  // [method, path, profile type, operation, object key] as the issue names them, written out by hand.
  const cases: [string, string, string, string, string][] = [
    ['POST', '/groups/g1/members/$ref', 'groups', 'assign', 'groups:/groups/g1'],
    ['POST', '/groups/g1/owners/$ref', 'groups', 'assign', 'groups:/groups/g1'],
    ['DELETE', '/groups/g1/members/u2/$ref', 'groups', 'assign', 'groups:/groups/g1'],
    ['DELETE', '/groups/g1/owners/u2/$ref', 'groups', 'assign', 'groups:/groups/g1'],
    ['DELETE', '/groups/g1/members/$ref?$id=https://graph.microsoft.com/v1.0/directoryObjects/u2', 'groups', 'assign', 'groups:/groups/g1'],
    ['PATCH', '/groups/g1', 'groups', 'modify', 'groups:/groups/g1'],
    ['DELETE', '/groups/g1', 'groups', 'delete', 'groups:/groups/g1'],
    ['POST', '/groups/g1/members', 'groups', 'modify', 'groups:/groups/g1'],
    ['POST', '/groups/g1/microsoft.graph.group/members/$ref', 'groups', 'assign', 'groups:/groups/g1'],
    ['POST', "/groups('g1')/members/$ref", 'groups', 'assign', 'groups:/groups/g1'],
    ['DELETE', '/directoryObjects/g1', 'groups', 'delete', 'groups:/directoryobjects/g1'],
    ['POST', '/directory/deletedItems/g1/restore', 'groups', 'modify', 'groups:/directory/deleteditems/g1'],
    ['POST', '/deviceManagement/roleDefinitions', 'roles', 'create', 'roles:/devicemanagement/roledefinitions#create:helpdesk operator'],
    ['PATCH', '/deviceManagement/roleDefinitions/rd1', 'roles', 'modify', 'roles:/devicemanagement/roledefinitions/rd1'],
    ['DELETE', '/deviceManagement/roleDefinitions/rd1', 'roles', 'delete', 'roles:/devicemanagement/roledefinitions/rd1'],
    ['POST', '/deviceManagement/roleDefinitions/rd1/roleAssignments', 'roles', 'modify', 'roles:/devicemanagement/roledefinitions/rd1'],
    ['POST', '/deviceManagement/roleAssignments', 'roles', 'create', 'roles:/devicemanagement/roleassignments#create:helpdesk operator'],
    ['PATCH', '/deviceManagement/roleAssignments/ra1', 'roles', 'modify', 'roles:/devicemanagement/roleassignments/ra1'],
    ['DELETE', '/deviceManagement/roleAssignments/ra1', 'roles', 'delete', 'roles:/devicemanagement/roleassignments/ra1'],
    ['POST', '/deviceManagement/roleAssignments/microsoft.graph.deviceAndAppManagementRoleAssignment', 'roles', 'create', 'roles:/devicemanagement/roleassignments#create:helpdesk operator'],
    ['PATCH', '/deviceManagement/roleAssignments/microsoft.graph.deviceAndAppManagementRoleAssignment/ra1', 'roles', 'modify', 'roles:/devicemanagement/roleassignments/ra1'],
    ['POST', '/deviceManagement/roleScopeTags/t1/assign', 'roles', 'assign', 'roles:/devicemanagement/rolescopetags/t1'],
    ['PATCH', '/deviceManagement/roleScopeTags/t1', 'roles', 'modify', 'roles:/devicemanagement/rolescopetags/t1'],
    ['POST', '/roleManagement/deviceManagement/roleAssignments', 'roles', 'create', 'roles:/rolemanagement/devicemanagement/roleassignments#create:helpdesk operator'],
    ['POST', '/roleManagement/directory/roleAssignments', 'roles', 'create', 'roles:/rolemanagement/directory/roleassignments#create:helpdesk operator'],
    ['POST', '/roleManagement/directory/roleAssignmentScheduleRequests', 'roles', 'create', 'roles:/rolemanagement/directory/roleassignmentschedulerequests#create:helpdesk operator'],
    ['POST', '/directoryRoles/dr1/members/$ref', 'roles', 'modify', 'roles:/directoryroles/dr1'],
  ];

  test('each is protected, by its own approver group, with or without an API version', () => {
    const groupOf: Record<string, string> = { groups: 'group-approvers', roles: 'role-approvers' };
    for (const [method, url, profileType, operation, objectKey] of cases) {
      for (const version of ['', '/v1.0', '/beta']) {
        const d = engine.decide(callInput(method, `${version}${url}`, { displayName: 'Helpdesk Operator' }));
        const what = `${method} ${version}${url}`;
        assert.ok(d.protected, what);
        assert.equal(d.profileType, profileType, what);
        assert.equal(d.operation, operation, what);
        assert.equal(d.objectKey, objectKey, what);
        assert.deepEqual(d.approverGroups, [groupOf[profileType]], what);
      }
    }
  });

  test('$ref is a plain segment to the normaliser', () => {
    const n = normalizeCall({ method: 'POST', url: '/v1.0/groups/G1/members/$ref', headers: {} }, { caseInsensitive: true });
    assert.ok(n.ok);
    assert.equal(n.call.path, '/v1.0/groups/g1/members/$ref');
    const encoded = normalizeCall({ method: 'POST', url: '/groups/g1/members/%24ref', headers: {} }, { caseInsensitive: true });
    assert.ok(encoded.ok);
    assert.equal(encoded.call.path, '/groups/g1/members/$ref');
  });

  test('every route of the groups and roles profile types is protected, as written in YAML', () => {
    for (const type of engine.profileTypes().filter((t) => t.name === 'groups' || t.name === 'roles')) {
      for (const route of type.routes) {
        const path = route.path.replace(/\{[A-Za-z]+\.\.\.\}/, 'sub/resource').replace(/\{[A-Za-z]+\}/g, 'x1');
        for (const method of route.method === '*' ? ['POST', 'PUT', 'PATCH', 'DELETE'] : [route.method]) {
          const d = engine.decide(callInput(method, `/beta${path}`));
          assert.ok(d.protected, `${method} ${path}`);
          assert.equal(d.profileType, type.name, `${method} ${path}`);
        }
      }
    }
  });

  test('the opa unit tests\' fixture is the shipped YAML as compiled (no drift)', () => {
    const out = execFileSync(resolveOpaBin(), ['eval', '--v1-compatible', '-d', 'policies', '--format', 'raw', 'data.maa_test.rights_fixture.profileTypes'], { encoding: 'utf8' });
    const fixture = JSON.parse(out) as Record<string, { routes: unknown[] }>;
    const shipped = loadPolicyConfig('config').data.profileTypes;
    assert.deepEqual(fixture.groups?.routes, shipped.groups?.routes);
    const assignments = shipped.roles?.routes.filter((r) => r.literals[0] === 'devicemanagement' && r.literals[1] === 'roleassignments');
    assert.deepEqual(fixture.roles?.routes, assignments);
  });

  test('reads of groups and roles pass, and so do changes to users', () => {
    for (const url of ['/groups/g1/members', '/v1.0/groups/g1', '/deviceManagement/roleAssignments/ra1', '/users/u1/memberOf']) {
      assert.deepEqual(engine.decide(callInput('GET', url)), { protected: false }, url);
    }
    assert.deepEqual(engine.decide(callInput('PATCH', '/users/u1')), { protected: false });
  });
});

/** Issue 8 finding 5: one object key whatever OData type cast stands before or after the id. */
describe('OData type casts in the shipped policy', () => {
  let engine: PolicyEngine;
  before(async () => {
    engine = await createPolicyEngine({ policiesDir: 'policies', configDir: 'config' });
  });
  after(() => engine.close());

  test('a cast before or after the id is the same object as the plain path', () => {
    const plain = engine.decide(callInput('PATCH', '/deviceAppManagement/mobileApps/43'));
    for (const url of [
      '/deviceAppManagement/mobileApps/microsoft.graph.webApp/43',
      '/beta/deviceAppManagement/mobileApps/microsoft.graph.webApp/43',
      '/deviceAppManagement/mobileApps/43/microsoft.graph.webApp',
      "/v1.0/deviceAppManagement/mobileApps/microsoft.graph.webApp('43')",
    ]) {
      assert.deepEqual(engine.decide(callInput('PATCH', url)), plain, url);
    }
    const assign = engine.decide(callInput('POST', '/deviceManagement/deviceManagementScripts/microsoft.graph.deviceManagementScript/7/assign'));
    assert.ok(assign.protected);
    assert.equal(assign.operation, 'assign');
    assert.equal(assign.objectKey, 'scripts:/devicemanagement/devicemanagementscripts/7');
  });

  test('typed creates key on the collection and displayName, like untyped ones', () => {
    const a = engine.decide(callInput('POST', '/deviceAppManagement/mobileApps/microsoft.graph.win32LobApp', { displayName: 'A' }));
    const b = engine.decide(callInput('POST', '/deviceAppManagement/mobileApps/microsoft.graph.win32LobApp', { displayName: 'B' }));
    const untyped = engine.decide(callInput('POST', '/deviceAppManagement/mobileApps', { displayName: 'A' }));
    assert.ok(a.protected && b.protected && untyped.protected);
    assert.equal(a.operation, 'create');
    assert.equal(a.objectKey, 'apps:/deviceappmanagement/mobileapps#create:a');
    assert.equal(a.objectKey, untyped.objectKey);
    assert.notEqual(a.objectKey, b.objectKey);
  });

  test('a POST naming one object (no Graph route) is protected as a change to it', () => {
    const d = engine.decide(callInput('POST', '/deviceAppManagement/mobileApps/42'));
    assert.ok(d.protected);
    assert.equal(d.operation, 'modify');
    assert.equal(d.objectKey, 'apps:/deviceappmanagement/mobileapps/42');
  });
});
