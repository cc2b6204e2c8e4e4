/**
 * The demo Graph API answers like Microsoft Graph's Intune routes: lists in `value`, 201 on create,
 * 204 on PATCH, DELETE and assign, Graph's error shape, case-insensitive paths, and
 * Idempotency-Key: the same key twice returns the first answer without acting twice.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startGraphApi, type GraphApi } from '../../src/demo/graph-api';

let graph: GraphApi;
before(async () => {
  graph = await startGraphApi();
});
after(() => graph.close());

const json = { 'content-type': 'application/json' };

test('lists are { @odata.context, value } and seeded with each kind', async () => {
  for (const path of [
    '/deviceAppManagement/mobileApps',
    '/deviceManagement/deviceManagementScripts',
    '/deviceManagement/operationApprovalPolicies',
    '/groups',
    '/deviceManagement/roleDefinitions',
    '/deviceManagement/roleAssignments',
    '/deviceManagement/roleScopeTags',
  ]) {
    const response = await fetch(`${graph.url}${path}`);
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^application\/json/);
    const body = (await response.json()) as { '@odata.context': string; value: { id: string }[] };
    assert.equal(body['@odata.context'], `${graph.url}/$metadata#${path.slice(1)}`);
    assert.ok(body.value.length > 0, `${path} is seeded`);
  }
});

test('create 201, read, PATCH 204, assign 204, DELETE 204, then 404 in Graph error shape', async () => {
  const created = await fetch(`${graph.url}/deviceManagement/deviceManagementScripts`, {
    method: 'POST',
    headers: json,
    body: JSON.stringify({ displayName: 'Clean temp', scriptContent: 'UmVtb3ZlLUl0ZW0=' }),
  });
  assert.equal(created.status, 201);
  const script = (await created.json()) as { id: string; '@odata.type': string; createdDateTime: string };
  assert.equal(script['@odata.type'], '#microsoft.graph.deviceManagementScript');
  assert.ok(script.createdDateTime);
  const path = `${graph.url}/deviceManagement/deviceManagementScripts/${script.id}`;

  const patched = await fetch(path, { method: 'PATCH', headers: json, body: JSON.stringify({ runAsAccount: 'user' }) });
  assert.equal(patched.status, 204);
  assert.equal(await patched.text(), '');
  const assigned = await fetch(`${path}/assign`, {
    method: 'POST',
    headers: json,
    body: JSON.stringify({ deviceManagementScriptAssignments: [{ target: { groupId: 'g1' } }] }),
  });
  assert.equal(assigned.status, 204);
  const read = (await (await fetch(path)).json()) as { runAsAccount: string; assignments: unknown[] };
  assert.equal(read.runAsAccount, 'user');
  assert.equal(read.assignments.length, 1);

  assert.equal((await fetch(path, { method: 'DELETE' })).status, 204);
  const gone = await fetch(path);
  assert.equal(gone.status, 404);
  const error = (await gone.json()) as { error: { code: string; message: string } };
  assert.equal(error.error.code, 'ResourceNotFound');
  assert.match(error.error.message, new RegExp(script.id));
});

test('refusals are 400 in Graph error shape: bad JSON, read-only fields, missing fields, unknown segments', async () => {
  const app = `${graph.url}/deviceAppManagement/mobileApps/42`;
  const cases: [string, RequestInit][] = [
    [app, { method: 'PATCH', headers: json, body: '{not json' }],
    [app, { method: 'PATCH', headers: json, body: JSON.stringify({ id: '1' }) }],
    [`${graph.url}/deviceAppManagement/mobileApps`, { method: 'POST', headers: json, body: JSON.stringify({ publisher: 'x' }) }],
    [`${app}/uninstall`, { method: 'POST', headers: json, body: '{}' }],
    [`${graph.url}/deviceManagement/managedDevices`, {}],
  ];
  for (const [url, init] of cases) {
    const response = await fetch(url, init);
    assert.equal(response.status, 400, `${init.method ?? 'GET'} ${url}`);
    const body = (await response.json()) as { error: { code: string; message: string } };
    assert.equal(body.error.code, 'BadRequest');
    assert.ok(body.error.message.length > 0);
  }
  // Nothing of that changed the app.
  const read = (await (await fetch(app)).json()) as { id: string };
  assert.equal(read.id, '42');
});

test('paths ignore case, as Graph does', async () => {
  const response = await fetch(`${graph.url}/DEVICEAPPMANAGEMENT/mobileapps/43`);
  assert.equal(response.status, 200);
  assert.equal(((await response.json()) as { id: string }).id, '43');
});

test('the same Idempotency-Key twice returns the first answer and acts once', async () => {
  const send = (displayName: string, key: string) =>
    fetch(`${graph.url}/deviceAppManagement/mobileApps`, {
      method: 'POST',
      headers: { ...json, 'idempotency-key': key },
      body: JSON.stringify({ displayName }),
    });
  const before = ((await (await fetch(`${graph.url}/deviceAppManagement/mobileApps`)).json()) as { value: unknown[] }).value.length;
  const first = await send('Once', 'key-1');
  const second = await send('Twice', 'key-1');
  assert.equal(first.status, 201);
  assert.equal(second.status, 201);
  assert.equal(second.headers.get('idempotent-replayed'), 'true');
  const a = (await first.json()) as { id: string; displayName: string };
  const b = (await second.json()) as { id: string; displayName: string };
  assert.deepEqual(b, a, 'the first answer, byte for byte');
  const after = ((await (await fetch(`${graph.url}/deviceAppManagement/mobileApps`)).json()) as { value: unknown[] }).value.length;
  assert.equal(after, before + 1, 'created once');
  const replays = graph.calls().filter((c) => c.idempotencyKey === 'key-1');
  assert.deepEqual(replays.map((c) => c.replayed), [false, true]);

  // The same key for another call is a client bug, not a replay.
  const misuse = await fetch(`${graph.url}/deviceAppManagement/mobileApps/42`, { method: 'DELETE', headers: { 'idempotency-key': 'key-1' } });
  assert.equal(misuse.status, 422);
  assert.equal(((await fetch(`${graph.url}/deviceAppManagement/mobileApps/42`)).status), 200, 'not deleted');
});

const ids = async (url: string): Promise<string[]> => {
  const response = await fetch(url);
  assert.equal(response.status, 200, url);
  return ((await response.json()) as { value: { id: string }[] }).value.map((v) => v.id).sort();
};

test('groups mirror the demo tokens, and members and owners change through $ref as in Graph', async () => {
  const group = `${graph.url}/groups/app-approvers`;
  assert.deepEqual(await ids(`${group}/members`), ['bob', 'carol']);
  assert.deepEqual(await ids(`${graph.url}/groups/role-approvers/members`), ['frank']);
  assert.deepEqual(await ids(`${group}/owners`), ['frank']);

  const add = (link: string, body: unknown) => fetch(`${group}/${link}/$ref`, { method: 'POST', headers: json, body: JSON.stringify(body) });
  assert.equal((await add('members', { '@odata.id': 'https://graph.microsoft.com/v1.0/directoryObjects/mallory' })).status, 204);
  assert.deepEqual(await ids(`${group}/MEMBERS`), ['bob', 'carol', 'mallory']);
  const twice = await add('members', { '@odata.id': 'https://graph.microsoft.com/v1.0/users/mallory' });
  assert.equal(twice.status, 400, 'already a member');
  assert.equal((await add('owners', { '@odata.id': 'not a url/..' })).status, 400);
  assert.equal((await add('owners', {})).status, 400);

  assert.equal((await fetch(`${group}/members/mallory/$ref`, { method: 'DELETE' })).status, 204);
  assert.equal((await fetch(`${group}/members/mallory/$ref`, { method: 'DELETE' })).status, 404);
  assert.deepEqual(await ids(`${group}/members`), ['bob', 'carol']);
  assert.equal((await fetch(`${graph.url}/groups/nope/members`)).status, 404);
});

test('members@odata.bind on a group create or PATCH adds references, not properties', async () => {
  const created = await fetch(`${graph.url}/groups`, {
    method: 'POST',
    headers: json,
    body: JSON.stringify({ displayName: 'Shadow', 'members@odata.bind': ['https://graph.microsoft.com/v1.0/directoryObjects/alice'] }),
  });
  assert.equal(created.status, 201);
  const group = (await created.json()) as Record<string, unknown> & { id: string };
  assert.equal(group['members@odata.bind'], undefined);
  assert.deepEqual(await ids(`${graph.url}/groups/${group.id}/members`), ['alice']);
  const patched = await fetch(`${graph.url}/groups/${group.id}`, {
    method: 'PATCH',
    headers: json,
    body: JSON.stringify({ 'members@odata.bind': ['https://graph.microsoft.com/v1.0/directoryObjects/bob'] }),
  });
  assert.equal(patched.status, 204);
  assert.deepEqual(await ids(`${graph.url}/groups/${group.id}/members`), ['alice', 'bob']);
  assert.equal((await fetch(`${graph.url}/groups/${group.id}`, { method: 'DELETE' })).status, 204);
  assert.equal((await fetch(`${graph.url}/groups/${group.id}/members`)).status, 404);
});

test('Intune roles: create, change and delete a role assignment; assign a scope tag', async () => {
  const created = await fetch(`${graph.url}/deviceManagement/roleAssignments`, {
    method: 'POST',
    headers: json,
    body: JSON.stringify({ displayName: 'App managers', roleDefinitionId: 'rd-app-manager', members: ['helpdesk'] }),
  });
  assert.equal(created.status, 201);
  const { id } = (await created.json()) as { id: string };
  const path = `${graph.url}/deviceManagement/roleAssignments/${id}`;
  assert.equal((await fetch(path, { method: 'PATCH', headers: json, body: JSON.stringify({ members: ['helpdesk', 'auditors'] }) })).status, 204);
  assert.deepEqual(((await (await fetch(path)).json()) as { members: string[] }).members, ['helpdesk', 'auditors']);
  assert.equal((await fetch(path, { method: 'DELETE' })).status, 204);
  assert.equal((await fetch(path)).status, 404);
  const missing = await fetch(`${graph.url}/deviceManagement/roleAssignments`, { method: 'POST', headers: json, body: JSON.stringify({ displayName: 'x' }) });
  assert.equal(missing.status, 400, 'roleDefinitionId is required');
  const assigned = await fetch(`${graph.url}/deviceManagement/roleScopeTags/1/assign`, { method: 'POST', headers: json, body: JSON.stringify({ assignments: [{ target: { groupId: 'helpdesk' } }] }) });
  assert.equal(assigned.status, 204);
  assert.ok(await ids(`${graph.url}/deviceManagement/roleDefinitions`).then((list) => list.includes('rd-helpdesk')));
});
