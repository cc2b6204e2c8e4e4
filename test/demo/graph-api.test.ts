/**
 * The demo Graph API answers like Microsoft Graph's Intune routes: lists in `value`, 201 on create,
 * 204 on PATCH, DELETE and assign, Graph's error shape, case-insensitive paths, and
 * Idempotency-Key: the same key twice returns the first answer without acting twice.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { generate } from 'selfsigned';
import {
  BatchRequestContent,
  BatchResponseContent,
  Client,
  GraphError,
  PageIterator,
  ResponseType,
  type FetchOptions,
  type PageCollection,
} from '@microsoft/microsoft-graph-client';
import { startGraphApi, type GraphApi } from '../../src/demo/graph-api';
import { trusting } from '../support/trusting-fetch';

let graph: GraphApi;
before(async () => {
  graph = await startGraphApi();
});
after(() => graph.close());

const json = { 'content-type': 'application/json' };
const token = { authorization: 'Bearer demo-alice' };

/** fetch with a demo token: the demo API refuses calls without one. */
const call = (url: string, init: RequestInit = {}): Promise<Response> =>
  fetch(url, { ...init, headers: { ...token, ...(init.headers as Record<string, string> | undefined) } });

test('lists are { @odata.context, value } and seeded with each kind', async () => {
  for (const path of [
    '/deviceAppManagement/mobileApps',
    '/deviceManagement/deviceManagementScripts',
    '/deviceManagement/operationApprovalPolicies',
    '/groups',
    '/deviceManagement/roleDefinitions',
    '/deviceManagement/roleAssignments',
    '/deviceManagement/roleScopeTags',
    '/deviceManagement/deviceCompliancePolicies',
    '/deviceManagement/compliancePolicies',
    '/deviceManagement/configurationPolicies',
    '/deviceManagement/deviceConfigurations',
    '/deviceManagement/deviceCategories',
    '/deviceManagement/resourceOperations',
    '/deviceManagement/deviceShellScripts',
    '/deviceManagement/deviceHealthScripts',
    '/deviceManagement/deviceComplianceScripts',
    '/deviceManagement/deviceCustomAttributeShellScripts',
    '/deviceManagement/managedDevices',
  ]) {
    const response = await call(`${graph.url}${path}`);
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^application\/json/);
    const body = (await response.json()) as { '@odata.context': string; value: { id: string }[] };
    assert.equal(body['@odata.context'], `${graph.url}/$metadata#${path.slice(1)}`);
    assert.ok(body.value.length > 0, `${path} is seeded`);
  }
});

test('create 201, read, PATCH 204, assign 204, DELETE 204, then 404 in Graph error shape', async () => {
  const created = await call(`${graph.url}/deviceManagement/deviceManagementScripts`, {
    method: 'POST',
    headers: json,
    body: JSON.stringify({ displayName: 'Clean temp', scriptContent: 'UmVtb3ZlLUl0ZW0=' }),
  });
  assert.equal(created.status, 201);
  const script = (await created.json()) as { id: string; '@odata.type': string; createdDateTime: string };
  assert.equal(script['@odata.type'], '#microsoft.graph.deviceManagementScript');
  assert.ok(script.createdDateTime);
  const path = `${graph.url}/deviceManagement/deviceManagementScripts/${script.id}`;

  const patched = await call(path, { method: 'PATCH', headers: json, body: JSON.stringify({ runAsAccount: 'user' }) });
  assert.equal(patched.status, 204);
  assert.equal(await patched.text(), '');
  const assigned = await call(`${path}/assign`, {
    method: 'POST',
    headers: json,
    body: JSON.stringify({ deviceManagementScriptAssignments: [{ target: { groupId: 'g1' } }] }),
  });
  assert.equal(assigned.status, 204);
  const read = (await (await call(path)).json()) as { runAsAccount: string };
  assert.equal(read.runAsAccount, 'user');
  // assign replaced the script's assignments collection, as Graph's does.
  const assignments = (await (await call(`${path}/assignments`)).json()) as { value: Array<{ target: unknown }> };
  assert.deepEqual(assignments.value.map((a) => a.target), [{ groupId: 'g1' }]);

  assert.equal((await call(path, { method: 'DELETE' })).status, 204);
  const gone = await call(path);
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
    [`${graph.url}/deviceManagement/windowsAutopilotDeploymentProfiles`, {}],
  ];
  for (const [url, init] of cases) {
    const response = await call(url, init);
    assert.equal(response.status, 400, `${init.method ?? 'GET'} ${url}`);
    const body = (await response.json()) as { error: { code: string; message: string } };
    assert.equal(body.error.code, 'BadRequest');
    assert.ok(body.error.message.length > 0);
  }
  // Nothing of that changed the app.
  const read = (await (await call(app)).json()) as { id: string };
  assert.equal(read.id, '42');
});

test('paths ignore case, as Graph does', async () => {
  const response = await call(`${graph.url}/DEVICEAPPMANAGEMENT/mobileapps/43`);
  assert.equal(response.status, 200);
  assert.equal(((await response.json()) as { id: string }).id, '43');
});

test('the same Idempotency-Key twice returns the first answer and acts once', async () => {
  const send = (displayName: string, key: string) =>
    call(`${graph.url}/deviceAppManagement/mobileApps`, {
      method: 'POST',
      headers: { ...json, 'idempotency-key': key },
      body: JSON.stringify({ displayName }),
    });
  const before = ((await (await call(`${graph.url}/deviceAppManagement/mobileApps`)).json()) as { value: unknown[] }).value.length;
  const first = await send('Once', 'key-1');
  const second = await send('Twice', 'key-1');
  assert.equal(first.status, 201);
  assert.equal(second.status, 201);
  assert.equal(second.headers.get('idempotent-replayed'), 'true');
  const a = (await first.json()) as { id: string; displayName: string };
  const b = (await second.json()) as { id: string; displayName: string };
  assert.deepEqual(b, a, 'the first answer, byte for byte');
  const after = ((await (await call(`${graph.url}/deviceAppManagement/mobileApps`)).json()) as { value: unknown[] }).value.length;
  assert.equal(after, before + 1, 'created once');
  const replays = graph.calls().filter((c) => c.idempotencyKey === 'key-1');
  assert.deepEqual(replays.map((c) => c.replayed), [false, true]);

  // The same key for another call is a client bug, not a replay.
  const misuse = await call(`${graph.url}/deviceAppManagement/mobileApps/42`, { method: 'DELETE', headers: { 'idempotency-key': 'key-1' } });
  assert.equal(misuse.status, 422);
  assert.equal(((await call(`${graph.url}/deviceAppManagement/mobileApps/42`)).status), 200, 'not deleted');
});

const ids = async (url: string): Promise<string[]> => {
  const response = await call(url);
  assert.equal(response.status, 200, url);
  return ((await response.json()) as { value: { id: string }[] }).value.map((v) => v.id).sort();
};

test('groups mirror the demo tokens, and members and owners change through $ref as in Graph', async () => {
  const group = `${graph.url}/groups/app-approvers`;
  assert.deepEqual(await ids(`${group}/members`), ['bob', 'carol']);
  assert.deepEqual(await ids(`${graph.url}/groups/role-approvers/members`), ['frank']);
  assert.deepEqual(await ids(`${group}/owners`), ['frank']);

  const add = (link: string, body: unknown) => call(`${group}/${link}/$ref`, { method: 'POST', headers: json, body: JSON.stringify(body) });
  assert.equal((await add('members', { '@odata.id': 'https://graph.microsoft.com/v1.0/directoryObjects/mallory' })).status, 204);
  assert.deepEqual(await ids(`${group}/MEMBERS`), ['bob', 'carol', 'mallory']);
  const twice = await add('members', { '@odata.id': 'https://graph.microsoft.com/v1.0/users/mallory' });
  assert.equal(twice.status, 400, 'already a member');
  assert.equal((await add('owners', { '@odata.id': 'not a url/..' })).status, 400);
  assert.equal((await add('owners', {})).status, 400);

  assert.equal((await call(`${group}/members/mallory/$ref`, { method: 'DELETE' })).status, 204);
  assert.equal((await call(`${group}/members/mallory/$ref`, { method: 'DELETE' })).status, 404);
  assert.deepEqual(await ids(`${group}/members`), ['bob', 'carol']);
  assert.equal((await call(`${graph.url}/groups/nope/members`)).status, 404);
});

test('members@odata.bind on a group create or PATCH adds references, not properties', async () => {
  const created = await call(`${graph.url}/groups`, {
    method: 'POST',
    headers: json,
    body: JSON.stringify({ displayName: 'Shadow', 'members@odata.bind': ['https://graph.microsoft.com/v1.0/directoryObjects/alice'] }),
  });
  assert.equal(created.status, 201);
  const group = (await created.json()) as Record<string, unknown> & { id: string };
  assert.equal(group['members@odata.bind'], undefined);
  assert.deepEqual(await ids(`${graph.url}/groups/${group.id}/members`), ['alice']);
  const patched = await call(`${graph.url}/groups/${group.id}`, {
    method: 'PATCH',
    headers: json,
    body: JSON.stringify({ 'members@odata.bind': ['https://graph.microsoft.com/v1.0/directoryObjects/bob'] }),
  });
  assert.equal(patched.status, 204);
  assert.deepEqual(await ids(`${graph.url}/groups/${group.id}/members`), ['alice', 'bob']);
  assert.equal((await call(`${graph.url}/groups/${group.id}`, { method: 'DELETE' })).status, 204);
  assert.equal((await call(`${graph.url}/groups/${group.id}/members`)).status, 404);
});

test('Intune roles: create, change and delete a role assignment; assign a scope tag', async () => {
  const created = await call(`${graph.url}/deviceManagement/roleAssignments`, {
    method: 'POST',
    headers: json,
    body: JSON.stringify({ displayName: 'App managers', roleDefinitionId: 'rd-app-manager', members: ['helpdesk'] }),
  });
  assert.equal(created.status, 201);
  const { id } = (await created.json()) as { id: string };
  const path = `${graph.url}/deviceManagement/roleAssignments/${id}`;
  assert.equal((await call(path, { method: 'PATCH', headers: json, body: JSON.stringify({ members: ['helpdesk', 'auditors'] }) })).status, 204);
  assert.deepEqual(((await (await call(path)).json()) as { members: string[] }).members, ['helpdesk', 'auditors']);
  assert.equal((await call(path, { method: 'DELETE' })).status, 204);
  assert.equal((await call(path)).status, 404);
  const missing = await call(`${graph.url}/deviceManagement/roleAssignments`, { method: 'POST', headers: json, body: JSON.stringify({ displayName: 'x' }) });
  assert.equal(missing.status, 400, 'roleDefinitionId is required');
  const assigned = await call(`${graph.url}/deviceManagement/roleScopeTags/1/assign`, { method: 'POST', headers: json, body: JSON.stringify({ assignments: [{ target: { groupId: 'helpdesk' } }] }) });
  assert.equal(assigned.status, 204);
  assert.ok(await ids(`${graph.url}/deviceManagement/roleDefinitions`).then((list) => list.includes('rd-helpdesk')));
});

// ── Answering like Graph (issue 9, item 5) ───────────────────────────────────────────────────────

interface GraphErrorBody {
  error: { code: string; message: string; innerError: { date: string; 'request-id': string; 'client-request-id': string } };
}

test('every call needs a demo bearer token: none or an unknown one is 401 InvalidAuthenticationToken, and nothing changes', async () => {
  const app = `${graph.url}/deviceAppManagement/mobileApps/42`;
  const refusals: [string, Record<string, string>][] = [
    ['none', {}],
    ['unknown', { authorization: 'Bearer not-a-demo-token' }],
    ['not bearer', { authorization: 'Basic YWxpY2U6cGFzc3dvcmQ=' }],
  ];
  for (const [what, headers] of refusals) {
    const response = await fetch(app, { method: 'PATCH', headers: { ...json, ...headers, 'client-request-id': `c-${what.replace(' ', '-')}` }, body: JSON.stringify({ displayName: 'Stolen' }) });
    assert.equal(response.status, 401, what);
    assert.match(response.headers.get('www-authenticate') ?? '', /^Bearer /, what);
    const body = (await response.json()) as GraphErrorBody;
    assert.equal(body.error.code, 'InvalidAuthenticationToken', what);
    assert.ok(body.error.message.length > 0);
    assert.equal(body.error.innerError['request-id'], response.headers.get('request-id'), 'the error names its own request id');
    assert.equal(body.error.innerError['client-request-id'], `c-${what.replace(' ', '-')}`, "the client's id is echoed");
    assert.equal(response.headers.get('client-request-id'), `c-${what.replace(' ', '-')}`);
    assert.ok(!Number.isNaN(Date.parse(body.error.innerError.date)));
  }
  assert.equal((await fetch(`${graph.url}/v1.0/groups`)).status, 401, 'reads too');
  assert.equal((await fetch(`${graph.url}/$batch`, { method: 'POST', headers: json, body: '{"requests":[]}' })).status, 401, 'and batches');
  // Every demo identity's token is accepted, approvers' too (the completer's token is sent at replay).
  for (const who of ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'heidi']) {
    assert.equal((await fetch(app, { headers: { authorization: `Bearer demo-${who}` } })).status, 200, who);
  }
  const read = (await (await call(app)).json()) as { displayName: string };
  assert.notEqual(read.displayName, 'Stolen');
});

test('errors carry Graph codes and innerError: ResourceNotFound, Request_ResourceNotFound for directory objects, BadRequest', async () => {
  const cases: [string, number, string][] = [
    [`${graph.url}/v1.0/deviceManagement/deviceManagementScripts/nope`, 404, 'ResourceNotFound'],
    [`${graph.url}/v1.0/groups/nope`, 404, 'Request_ResourceNotFound'],
    [`${graph.url}/beta/groups/nope/members`, 404, 'Request_ResourceNotFound'],
    [`${graph.url}/v2.0/groups`, 400, 'BadRequest'],
    [`${graph.url}/v1.0/deviceAppManagement/mobileApps?$top=ten`, 400, 'BadRequest'],
  ];
  for (const [url, status, code] of cases) {
    const response = await call(url);
    assert.equal(response.status, status, url);
    const body = (await response.json()) as GraphErrorBody;
    assert.equal(body.error.code, code, url);
    assert.equal(body.error.innerError['request-id'], response.headers.get('request-id'));
    assert.match(body.error.innerError['client-request-id'], /^[0-9a-f-]{36}$/, 'a fresh id when the client sent none');
  }
});

test('/v1.0 and /beta prefixes reach the same routes; links keep the version the call used', async () => {
  const plain = (await (await call(`${graph.url}/deviceAppManagement/mobileApps/42`)).json()) as Record<string, unknown>;
  for (const version of ['v1.0', 'beta', 'V1.0']) {
    const response = await call(`${graph.url}/${version}/deviceAppManagement/mobileApps/42`);
    assert.equal(response.status, 200, version);
    const body = (await response.json()) as Record<string, unknown>;
    assert.equal(body['@odata.context'], `${graph.url}/${version.toLowerCase()}/$metadata#deviceAppManagement/mobileApps/$entity`);
    assert.deepEqual({ ...body, '@odata.context': '' }, { ...plain, '@odata.context': '' });
  }
  const list = (await (await call(`${graph.url}/beta/groups/app-approvers/members`)).json()) as { value: { id: string }[] };
  assert.deepEqual(list.value.map((m) => m.id).sort(), ['bob', 'carol']);
  const changed = await call(`${graph.url}/beta/deviceManagement/roleScopeTags/1`, { method: 'PATCH', headers: json, body: JSON.stringify({ description: 'Finance, versioned' }) });
  assert.equal(changed.status, 204);
  const read = (await (await call(`${graph.url}/deviceManagement/roleScopeTags/1`)).json()) as { description: string };
  assert.equal(read.description, 'Finance, versioned', 'the prefixed change is the same object');
});

/** Follows `@odata.nextLink` from `url` to the end; returns every page's ids. */
async function allPages(url: string): Promise<{ pages: string[][]; links: string[] }> {
  const pages: string[][] = [];
  const links: string[] = [];
  let next: string | undefined = url;
  while (next !== undefined) {
    const response = await call(next);
    assert.equal(response.status, 200, next);
    const body = (await response.json()) as { value: { id: string }[]; '@odata.nextLink'?: string; '@odata.context': string };
    assert.ok(body['@odata.context'].startsWith(graph.url));
    pages.push(body.value.map((v) => v.id));
    next = body['@odata.nextLink'];
    if (next !== undefined) links.push(next);
    assert.ok(pages.length < 50, 'paging ends');
  }
  return { pages, links };
}

test('$top pages a collection; @odata.nextLink is absolute on the API origin and walks every item once', async () => {
  const all = ((await (await call(`${graph.url}/groups`)).json()) as { value: { id: string }[]; '@odata.nextLink'?: string });
  assert.equal(all['@odata.nextLink'], undefined, 'one page when everything fits');
  const ids = all.value.map((v) => v.id);
  assert.ok(ids.length >= 7);

  const { pages, links } = await allPages(`${graph.url}/v1.0/groups?$top=3`);
  assert.deepEqual(pages.flat(), ids, 'every group once, in order');
  assert.deepEqual(pages.map((p) => p.length), [...Array(Math.floor(ids.length / 3)).fill(3), ...(ids.length % 3 ? [ids.length % 3] : [])]);
  for (const link of links) {
    assert.ok(link.startsWith(`${graph.url}/v1.0/groups?`), link);
    const query = new URL(link).searchParams;
    assert.equal(query.get('$top'), '3');
    assert.ok(query.get('$skiptoken'));
  }
  // $skip, as Graph also accepts on some collections; query option names ignore case.
  const skipped = (await (await call(`${graph.url}/groups?$skip=2&$TOP=2`)).json()) as { value: { id: string }[] };
  assert.deepEqual(skipped.value.map((v) => v.id), ids.slice(2, 4));
  // Navigation collections page the same way.
  const members = await allPages(`${graph.url}/beta/groups/helpdesk/members?$top=1`);
  assert.deepEqual(members.pages, [['alice'], ['carol']]);
  assert.ok(members.links[0]!.startsWith(`${graph.url}/beta/groups/helpdesk/members?`));

  for (const bad of ['$top=-1', '$top=1000', '$skip=x', '$skiptoken=forged']) {
    const response = await call(`${graph.url}/groups?${bad}`);
    assert.equal(response.status, 400, bad);
    assert.equal(((await response.json()) as GraphErrorBody).error.code, 'BadRequest');
  }
});

test('a create answers 201 with an absolute Location of the new object, which reads it', async () => {
  const response = await call(`${graph.url}/v1.0/deviceAppManagement/mobileApps`, { method: 'POST', headers: json, body: JSON.stringify({ displayName: 'Located' }) });
  assert.equal(response.status, 201);
  const created = (await response.json()) as { id: string };
  const location = response.headers.get('location') ?? '';
  assert.equal(location, `${graph.url}/v1.0/deviceAppManagement/mobileApps('${created.id}')`);
  const read = await call(location);
  assert.equal(read.status, 200);
  assert.equal(((await read.json()) as { id: string; displayName: string }).displayName, 'Located');
  assert.equal((await call(location, { method: 'DELETE' })).status, 204);
  const unversioned = await call(`${graph.url}/groups`, { method: 'POST', headers: json, body: JSON.stringify({ displayName: 'Plain' }) });
  const group = (await unversioned.json()) as { id: string };
  assert.equal(unversioned.headers.get('location'), `${graph.url}/groups('${group.id}')`);
});

interface BatchAnswer {
  responses: { id: string; status: number; headers: Record<string, string>; body?: Record<string, unknown> & Partial<GraphErrorBody> }[];
}

test('$batch runs each request on the same routes, in order, honours dependsOn, and answers in Graph shape', async () => {
  const requests = [
    { id: '1', method: 'GET', url: '/deviceAppManagement/mobileApps/42' },
    { id: '2', method: 'PATCH', url: '/deviceAppManagement/mobileApps/43', headers: { 'Content-Type': 'application/json' }, body: { description: 'Batched' }, dependsOn: ['1'] },
    { id: '3', method: 'GET', url: 'deviceAppManagement/mobileApps/43?$select=description', dependsOn: ['2'] },
    { id: '4', method: 'GET', url: '/deviceAppManagement/mobileApps/404' },
    { id: '5', method: 'DELETE', url: '/deviceAppManagement/mobileApps/43', dependsOn: ['4'] },
    { id: '6', method: 'POST', url: '/v1.0/deviceManagement/roleScopeTags', body: { displayName: 'From a batch' } },
    { id: '7', method: 'GET', url: '/groups?$top=2' },
  ];
  for (const prefix of ['', '/v1.0', '/beta']) {
    const response = await call(`${graph.url}${prefix}/$batch`, { method: 'POST', headers: json, body: JSON.stringify({ requests }) });
    assert.equal(response.status, 200, prefix);
    const { responses } = (await response.json()) as BatchAnswer;
    const byId = new Map(responses.map((r) => [r.id, r]));
    assert.deepEqual(responses.map((r) => [r.id, r.status]), [['1', 200], ['2', 204], ['3', 200], ['4', 404], ['5', 424], ['6', 201], ['7', 200]]);
    assert.equal(byId.get('1')!.body!.id, '42');
    assert.match(byId.get('1')!.headers['Content-Type']!, /^application\/json/);
    assert.equal(byId.get('3')!.body!.description, 'Batched', 'ran after its dependency');
    assert.equal(byId.get('4')!.body!.error!.code, 'ResourceNotFound');
    assert.equal(byId.get('5')!.body!.error!.code, 'FailedDependency');
    const version = prefix === '' ? '' : prefix;
    const created = byId.get('6')!;
    assert.equal(created.headers.Location, `${graph.url}/v1.0/deviceManagement/roleScopeTags('${created.body!.id}')`);
    assert.ok(String(byId.get('7')!.body!['@odata.nextLink']).startsWith(`${graph.url}${version}/groups?$top=2&$skiptoken=`), prefix);
  }
  assert.equal((await call(`${graph.url}/deviceAppManagement/mobileApps/43`)).status, 200, 'the dependent delete never ran');
});

test('a malformed $batch is refused whole with 400 and runs nothing', async () => {
  const patch = (id: string, extra: Record<string, unknown> = {}) => ({ id, method: 'PATCH', url: '/deviceAppManagement/mobileApps/42', body: { description: `batch ${id}` }, ...extra });
  const cases: [string, unknown][] = [
    ['not a list', { requests: {} }],
    ['empty', { requests: [] }],
    ['21 requests', { requests: Array.from({ length: 21 }, (_, i) => ({ id: String(i), method: 'GET', url: '/groups' })) }],
    ['twice the same id', { requests: [patch('1'), patch('1')] }],
    ['dependsOn an unknown id', { requests: [patch('1', { dependsOn: ['9'] })] }],
    ['dependsOn a later id', { requests: [patch('1', { dependsOn: ['2'] }), patch('2')] }],
    ['an absolute url', { requests: [patch('1'), { id: '2', method: 'GET', url: 'https://graph.microsoft.com/v1.0/groups' }] }],
    ['a scheme-relative url', { requests: [patch('1'), { id: '2', method: 'GET', url: '//graph.microsoft.com/v1.0/groups' }] }],
    ['an unknown method', { requests: [patch('1'), { id: '2', method: 'TRACE', url: '/groups' }] }],
    ['no id', { requests: [patch('1'), { method: 'GET', url: '/groups' }] }],
  ];
  for (const [what, body] of cases) {
    const response = await call(`${graph.url}/v1.0/$batch`, { method: 'POST', headers: json, body: JSON.stringify(body) });
    assert.equal(response.status, 400, what);
    assert.equal(((await response.json()) as GraphErrorBody).error.code, 'BadRequest', what);
  }
  const read = (await (await call(`${graph.url}/deviceAppManagement/mobileApps/42`)).json()) as { description: string };
  assert.doesNotMatch(read.description, /^batch /);
  // A batch inside a batch is refused as that one request.
  const nested = await call(`${graph.url}/$batch`, { method: 'POST', headers: json, body: JSON.stringify({ requests: [{ id: '1', method: 'POST', url: '/$batch', body: { requests: [] } }] }) });
  assert.equal(((await nested.json()) as BatchAnswer).responses[0]!.status, 400);
  assert.equal((await call(`${graph.url}/$batch`)).status, 405, 'GET $batch');
});

// ── The official Graph JavaScript client, unmodified, straight at the demo API ──────────────────────

test('over plain HTTP the Graph client drops its token (https or customHosts only), and the demo API makes that visible: 401', async () => {
  const client = Client.init({ authProvider: (done) => done(null, 'demo-alice'), baseUrl: graph.url, customHosts: new Set(['127.0.0.1']) });
  await assert.rejects(client.api('/deviceAppManagement/mobileApps/42').get(), (error: unknown) => {
    assert.ok(error instanceof GraphError);
    assert.equal(error.statusCode, 401);
    assert.equal(error.code, 'InvalidAuthenticationToken');
    assert.match(error.requestId ?? '', /^[0-9a-f-]{36}$/, 'the client read innerError');
    return true;
  });
});

test('the official Graph client works unchanged against the demo API over HTTPS: pages, gets, creates (Location), batches, throws GraphError', async () => {
  const pems = generate([{ name: 'commonName', value: '127.0.0.1' }], {
    days: 1,
    keySize: 2048,
    algorithm: 'sha256',
    extensions: [{ name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }] }],
  });
  const secure = await startGraphApi(0, { tls: { cert: pems.cert, key: pems.private } });
  try {
    assert.match(secure.url, /^https:\/\/127\.0\.0\.1:\d+$/);
    // Only what any deployment configures: the base URL, the host allowed a token, an auth provider.
    // The dispatcher only trusts the test's self-signed certificate.
    const client = Client.init({
      authProvider: (done) => done(null, 'demo-carol'),
      baseUrl: secure.url,
      customHosts: new Set(['127.0.0.1']),
      fetchOptions: { dispatcher: await trusting(pems.cert) } as FetchOptions,
    });

    // List and page with PageIterator: every page is fetched from the absolute nextLink.
    const everything = ((await client.api('/groups').get()) as PageCollection).value.map((g: { id: string }) => g.id);
    const seen: string[] = [];
    const first = (await client.api('/groups').top(2).get()) as PageCollection;
    assert.ok(first['@odata.nextLink']?.startsWith(`${secure.url}/v1.0/groups?`));
    await new PageIterator(client, first, (group: { id: string }) => {
      seen.push(group.id);
      return true;
    }).iterate();
    assert.deepEqual(seen, everything);
    const pageCalls = secure.calls().filter((c) => c.method === 'GET' && c.path === '/v1.0/groups' && c.status === 200);
    assert.equal(pageCalls.length, 1 + Math.ceil(everything.length / 2), 'one call for the whole list, then one per page');

    // Get one, on v1.0 and on beta.
    const app = (await client.api('/deviceAppManagement/mobileApps/42').get()) as { id: string; displayName: string };
    assert.equal(app.displayName, 'Contoso Portal');
    const beta = (await client.api('/deviceAppManagement/mobileApps/43').version('beta').get()) as { '@odata.context': string };
    assert.equal(beta['@odata.context'], `${secure.url}/beta/$metadata#deviceAppManagement/mobileApps/$entity`);

    // Create: 201 and an absolute Location the client can follow as it is.
    const raw = (await client
      .api('/deviceManagement/deviceManagementScripts')
      .responseType(ResponseType.RAW)
      .post({ displayName: 'From the SDK', scriptContent: 'V3JpdGUtSG9zdCBoaQ==' })) as Response;
    assert.equal(raw.status, 201);
    const created = (await raw.json()) as { id: string };
    const location = raw.headers.get('location') ?? '';
    assert.equal(location, `${secure.url}/v1.0/deviceManagement/deviceManagementScripts('${created.id}')`);
    const followed = (await client.api(location).get()) as { id: string; displayName: string };
    assert.deepEqual([followed.id, followed.displayName], [created.id, 'From the SDK']);
    await client.api(`/deviceManagement/deviceManagementScripts/${created.id}`).patch({ runAsAccount: 'user' });
    assert.equal(((await client.api(location).get()) as { runAsAccount: string }).runAsAccount, 'user');

    // Errors are GraphErrors with Graph's code.
    await assert.rejects(client.api('/groups/nope').get(), (error: unknown) => {
      assert.ok(error instanceof GraphError);
      assert.deepEqual([error.statusCode, error.code], [404, 'Request_ResourceNotFound']);
      return true;
    });

    // JSON batching with the SDK's own request and response content.
    const batch = new BatchRequestContent([
      { id: '1', request: new Request(`${secure.url}/v1.0/deviceAppManagement/mobileApps/42`, { method: 'GET' }) },
      {
        id: '2',
        request: new Request(`${secure.url}/v1.0/deviceManagement/roleScopeTags`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ displayName: 'Tag from a batch' }),
        }),
      },
      { id: '3', request: new Request(`${secure.url}/v1.0/deviceManagement/deviceManagementScripts/missing`, { method: 'GET' }) },
    ]);
    batch.addDependency('2', '1');
    batch.addDependency('3', '2');
    const answers = new BatchResponseContent(await client.api('/$batch').post(await batch.getContent()));
    const one = answers.getResponseById('1');
    assert.equal(one.status, 200);
    assert.equal(((await one.json()) as { id: string }).id, '42');
    const two = answers.getResponseById('2');
    assert.equal(two.status, 201);
    const tag = (await two.json()) as { id: string; displayName: string };
    assert.equal(tag.displayName, 'Tag from a batch');
    assert.equal(two.headers.get('location'), `${secure.url}/v1.0/deviceManagement/roleScopeTags('${tag.id}')`);
    const three = answers.getResponseById('3');
    assert.equal(three.status, 404);
    assert.equal(((await three.json()) as GraphErrorBody).error.code, 'ResourceNotFound');
    const tags = ((await client.api('/deviceManagement/roleScopeTags').get()) as PageCollection).value as { displayName: string }[];
    assert.ok(tags.some((t) => t.displayName === 'Tag from a batch'), 'the batched create happened');
  } finally {
    await secure.close();
  }
});

test('child collections and actions answer as Graph does: list, 201 create, 204 change, action results', async () => {
  const policy = `${graph.url}/beta/deviceManagement/configurationPolicies/sc-bitlocker`;
  const settings = (await (await call(`${policy}/settings`)).json()) as { '@odata.context': string; value: { id: string }[] };
  assert.equal(settings['@odata.context'], `${graph.url}/beta/$metadata#deviceManagement/configurationPolicies('sc-bitlocker')/settings`);
  assert.deepEqual(settings.value.map((s) => s.id), ['0', '1']);
  const added = await call(`${policy}/settings`, { method: 'POST', headers: json, body: JSON.stringify({ settingInstance: { settingDefinitionId: 'x' } }) });
  assert.equal(added.status, 201);
  const child = (await added.json()) as { id: string };
  assert.match(added.headers.get('location') ?? '', new RegExp(`/settings\\('${child.id}'\\)$`));
  assert.equal((await call(`${policy}/Settings/${child.id}`, { method: 'PATCH', headers: json, body: '{"settingInstance":{}}' })).status, 204);
  assert.equal((await call(`${policy}/settings/${child.id}`, { method: 'DELETE' })).status, 204);
  assert.equal((await call(`${policy}/settings/${child.id}`)).status, 404);

  const device = `${graph.url}/deviceManagement/managedDevices/d-laptop-7`;
  assert.equal((await call(`${device}/retire`, { method: 'POST' })).status, 204);
  assert.equal(((await (await call(device)).json()) as { managementState: string }).managementState, 'retirePending');
  // Fresh Start needs its one parameter, as Graph's does.
  assert.equal((await call(`${device}/cleanWindowsDevice`, { method: 'POST', headers: json, body: '{}' })).status, 400);
  const bulk = await call(`${graph.url}/beta/deviceManagement/managedDevices/executeAction`, { method: 'POST', headers: json, body: JSON.stringify({ actionName: 'syncDevice', deviceIds: ['d-ipad-3', 'nope'] }) });
  assert.equal(bulk.status, 200);
  const result = (await bulk.json()) as { successfulDeviceIds: string[]; notFoundDeviceIds: string[] };
  assert.deepEqual([result.successfulDeviceIds, result.notFoundDeviceIds], [['d-ipad-3'], ['nope']]);
  // Devices enrol; they are not created with POST.
  assert.equal((await call(`${graph.url}/deviceManagement/managedDevices`, { method: 'POST', headers: json, body: '{}' })).status, 405);
});

test('objects carry an ETag that any change changes; If-Match on PATCH and DELETE is honoured with 412', async () => {
  const app = `${graph.url}/deviceAppManagement/mobileApps/42`;
  const first = await call(app);
  const etag = first.headers.get('etag');
  assert.match(etag ?? '', /^W\/"[A-Za-z0-9_-]+"$/);
  assert.equal((await call(app)).headers.get('etag'), etag, 'unchanged object, same ETag');

  const patched = await call(app, { method: 'PATCH', headers: { ...json, 'if-match': etag! }, body: JSON.stringify({ notes: 'first' }) });
  assert.equal(patched.status, 204);
  const next = (await call(app)).headers.get('etag');
  assert.notEqual(next, etag);

  // The old ETag names a version that is gone: refused, nothing changed.
  const refused = await call(app, { method: 'PATCH', headers: { ...json, 'if-match': etag! }, body: JSON.stringify({ notes: 'second' }) });
  assert.equal(refused.status, 412);
  assert.equal(((await refused.json()) as { error: { code: string } }).error.code, 'PreconditionFailed');
  assert.equal(((await (await call(app)).json()) as { notes: string }).notes, 'first');
  assert.equal((await call(app, { method: 'DELETE', headers: { 'if-match': etag! } })).status, 412);
  // `*` and the current ETag (weak or not) pass.
  assert.equal((await call(app, { method: 'PATCH', headers: { ...json, 'if-match': '*' }, body: JSON.stringify({ notes: 'third' }) })).status, 204);

  // An app's assignments, as its last assign set them.
  const assigned = await call(`${app}/assign`, { method: 'POST', headers: json, body: JSON.stringify({ mobileAppAssignments: [{ target: { groupId: 'g7' } }] }) });
  assert.equal(assigned.status, 204);
  const assignments = (await (await call(`${app}/assignments`)).json()) as { value: Array<{ target: unknown }> };
  assert.deepEqual(assignments.value.map((a) => a.target), [{ groupId: 'g7' }]);
});
