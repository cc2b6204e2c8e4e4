/**
 * Issue 8 findings 3 and 5 through the running gateway and the shipped configuration:
 * - one open request per object, whatever OData type cast a client puts before or after the id,
 *   and typed creates key on the collection and displayName like untyped ones (invariant 4);
 * - nobody grants themselves approval rights: adding an account to a group or a role is parked
 *   for group-approvers / role-approvers, whose members alone may approve it (invariant 8).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { auth, useHarness, type Harness, type UserName } from '../support/harness';

let h: Harness;
useHarness({ get: () => h, set: (next) => (h = next) });

const change = (user: UserName, method: 'patch' | 'post' | 'delete', path: string, body?: object) => {
  const req = h.http[method](path).set('authorization', auth(user));
  return body === undefined ? req : req.set('content-type', 'application/json').send(JSON.stringify(body));
};

describe('OData type casts and object keys', () => {
  test('the typed spelling of an app gets 409 OBJECT_LOCKED while the plain one is open, and the other way round', async () => {
    const plain = await change('alice', 'patch', '/deviceAppManagement/mobileApps/43', { isFeatured: false });
    assert.equal(plain.status, 202);
    assert.equal(plain.body.objectKey, 'apps:/deviceappmanagement/mobileapps/43');
    for (const path of ['/deviceAppManagement/mobileApps/microsoft.graph.webApp/43', '/beta/deviceAppManagement/mobileApps/43/microsoft.graph.webApp']) {
      const typed = await change('carol', 'patch', path, { isFeatured: true });
      assert.equal(typed.status, 409, path);
      assert.equal(typed.body.error.code, 'OBJECT_LOCKED', path);
      assert.equal(typed.body.error.requestId, plain.body.requestId, path);
    }

    const typedFirst = await change('alice', 'delete', '/v1.0/deviceAppManagement/mobileApps/microsoft.graph.win32LobApp/42');
    assert.equal(typedFirst.status, 202);
    assert.equal(typedFirst.body.objectKey, 'apps:/deviceappmanagement/mobileapps/42');
    assert.equal(typedFirst.body.operation, 'delete');
    const plainSecond = await change('carol', 'patch', '/deviceAppManagement/mobileApps/42', { displayName: 'x' });
    assert.equal(plainSecond.status, 409);
    assert.equal(plainSecond.body.error.requestId, typedFirst.body.requestId);
    assert.equal(h.upstream.mutations.length, 0);
  });

  test('typed creates key on the collection and displayName: different names park side by side, the same name waits', async () => {
    const a = await change('alice', 'post', '/deviceAppManagement/mobileApps/microsoft.graph.win32LobApp', { displayName: 'Tool A' });
    const b = await change('alice', 'post', '/deviceAppManagement/mobileApps/microsoft.graph.webApp', { displayName: 'Tool B' });
    assert.equal(a.status, 202);
    assert.equal(b.status, 202);
    assert.equal(a.body.objectKey, 'apps:/deviceappmanagement/mobileapps#create:tool a');
    assert.equal(a.body.operation, 'create');
    const untypedSameName = await change('carol', 'post', '/deviceAppManagement/mobileApps', { displayName: 'tool a' });
    assert.equal(untypedSameName.status, 409);
    assert.equal(untypedSameName.body.error.requestId, a.body.requestId);
    assert.equal(h.upstream.mutations.length, 0);
  });
});

describe('changes that grant approval rights', () => {
  test('adding oneself to an approver group is parked for group-approvers; the requestor and other approvers cannot approve it', async () => {
    const parked = await change('mallory', 'post', '/v1.0/groups/app-approvers/members/$ref', {
      '@odata.id': 'https://graph.microsoft.com/v1.0/directoryObjects/mallory',
    });
    assert.equal(parked.status, 202);
    assert.equal(parked.body.profileType, 'groups');
    assert.equal(parked.body.operation, 'assign');
    assert.equal(parked.body.objectKey, 'groups:/groups/app-approvers');
    assert.deepEqual(parked.body.approverGroups, ['group-approvers']);
    assert.equal(h.upstream.mutations.length, 0);

    const approve = (user: UserName) => h.http.post(`/maa/v1/requests/${parked.body.requestId}/approve`).set('authorization', auth(user)).send({});
    assert.equal((await approve('mallory')).status, 403, 'the requestor');
    // Approvers of other profile types do not even see it (the API answers 404 to those who may not view).
    for (const user of ['bob', 'dave'] as const) assert.equal((await approve(user)).status, 404, user);
    assert.equal((await approve('frank')).status, 200);
    const done = await h.http.post(`/maa/v1/requests/${parked.body.requestId}/complete`).set('authorization', auth('mallory'));
    assert.equal(done.status, 200, JSON.stringify(done.body));
    assert.equal(h.upstream.mutations.length, 1);
    assert.equal(h.upstream.mutations[0]!.url, '/v1.0/groups/app-approvers/members/$ref');
  });

  test('group changes and Intune role assignments are parked in every spelling; none reaches the upstream', async () => {
    const cases: [UserName, 'patch' | 'post' | 'delete', string, object | undefined, string][] = [
      ['alice', 'patch', '/groups/g1', { 'members@odata.bind': ['https://graph.microsoft.com/v1.0/directoryObjects/alice'] }, 'group-approvers'],
      ['alice', 'post', '/groups', { displayName: 'Shadow approvers', 'members@odata.bind': ['https://graph.microsoft.com/v1.0/users/alice'] }, 'group-approvers'],
      ['alice', 'post', '/beta/groups/g2/owners/$ref', { '@odata.id': 'https://graph.microsoft.com/v1.0/users/alice' }, 'group-approvers'],
      ['alice', 'delete', '/groups/g3/members/bob/$ref', undefined, 'group-approvers'],
      ['alice', 'post', '/beta/deviceManagement/roleAssignments', { displayName: 'Alice is admin', members: ['alice'] }, 'role-approvers'],
      ['alice', 'patch', '/deviceManagement/roleDefinitions/rd1', { rolePermissions: [] }, 'role-approvers'],
      ['alice', 'post', '/v1.0/roleManagement/directory/roleAssignments', { principalId: 'alice', roleDefinitionId: 'global-admin' }, 'role-approvers'],
    ];
    for (const [user, method, path, body, group] of cases) {
      const res = await change(user, method, path, body);
      assert.equal(res.status, 202, `${method} ${path}: ${JSON.stringify(res.body)}`);
      assert.deepEqual(res.body.approverGroups, [group], path);
    }
    assert.equal(h.upstream.mutations.length, 0);
  });
});
