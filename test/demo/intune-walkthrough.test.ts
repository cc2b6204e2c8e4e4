/**
 * The README's step 8 and its neighbours, through the running gateway in front of the demo Graph
 * API (the real one, not a recording upstream): a routine device action passes, a wipe is parked
 * for device-action-approvers and reaches the device only after grace approves and alice
 * completes; compliance, configuration and device-category changes wait for their own approvers.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, beforeEach, test } from 'node:test';
import { startGraphApi, type GraphApi } from '../../src/demo/graph-api';
import { auth, startHarness, startSuite, USERS, type Harness, type Suite, type UserName } from '../support/harness';

let suite: Suite;
let graph: GraphApi;
let h: Harness;
let dir: string;
before(async () => {
  suite = await startSuite();
  // The demo API accepts the harness's tokens, since the gateway forwards the caller's (and the completer's).
  dir = mkdtempSync(join(tmpdir(), 'countersign-intune-'));
  writeFileSync(join(dir, 'tokens.yaml'), `tokens:\n${Object.values(USERS).map((u) => `  - { token: ${u.token}, userId: ${u.userId}, groups: [] }`).join('\n')}\n`);
});
after(async () => {
  await suite.close();
  rmSync(dir, { recursive: true, force: true });
});
beforeEach(async () => {
  graph = await startGraphApi(0, { tokensFile: join(dir, 'tokens.yaml') });
  h = await startHarness(suite, { upstream: { url: graph.url } });
});
afterEach(async () => {
  await h.close();
  await graph.close();
});

const send = (user: UserName, method: 'get' | 'post' | 'patch' | 'delete', path: string, body?: object) => {
  const req = h.http[method](path).set('authorization', auth(user));
  return body === undefined ? req : req.set('content-type', 'application/json').send(JSON.stringify(body));
};

test('a sync passes; a wipe waits for device-action-approvers, then reaches the device once', async () => {
  const sync = await send('alice', 'post', '/deviceManagement/managedDevices/d-laptop-7/syncDevice');
  assert.equal(sync.status, 204);

  const wipe = await send('alice', 'post', '/beta/deviceManagement/managedDevices/d-laptop-7/wipe', { keepEnrollmentData: false, keepUserData: false });
  assert.equal(wipe.status, 202, JSON.stringify(wipe.body));
  assert.equal(wipe.body.profileType, 'deviceActions');
  assert.equal(wipe.body.operation, 'delete');
  assert.equal(wipe.body.objectKey, 'deviceActions:/devicemanagement/manageddevices/d-laptop-7');
  assert.deepEqual(wipe.body.approverGroups, ['device-action-approvers']);
  const device = async () => (await send('alice', 'get', '/deviceManagement/managedDevices/d-laptop-7')).body as { managementState: string };
  assert.equal((await device()).managementState, 'managed');

  // Retire of the same device waits behind the open wipe: one open request per device.
  const retire = await send('carol', 'post', '/v1.0/deviceManagement/managedDevices/d-laptop-7/retire');
  assert.equal(retire.status, 409);
  assert.equal(retire.body.error.code, 'OBJECT_LOCKED');

  const approve = (user: UserName) => h.http.post(`/maa/v1/requests/${wipe.body.requestId}/approve`).set('authorization', auth(user)).send({ notes: 'Stolen laptop' });
  assert.equal((await approve('alice')).status, 403, 'the requestor');
  assert.equal((await approve('bob')).status, 404, 'an app approver does not even see it');
  assert.equal((await approve('grace')).status, 200);
  const done = await h.http.post(`/maa/v1/requests/${wipe.body.requestId}/complete`).set('authorization', auth('alice'));
  // The upstream's own answer to the replay: Graph answers a wipe 204.
  assert.equal(done.status, 204, JSON.stringify(done.body));
  assert.equal((await device()).managementState, 'wipePending');
  assert.equal(graph.calls().filter((c) => c.method === 'POST' && /\/wipe$/.test(c.path)).length, 1);
});

test('compliance, configuration and device-category changes wait for their own approvers; none reaches the API', async () => {
  const cases: [string, 'post' | 'patch' | 'delete', string, object | undefined, string][] = [
    ['compliancePolicies', 'patch', '/v1.0/deviceManagement/deviceCompliancePolicies/cp-windows', { bitLockerEnabled: false }, 'compliance-approvers'],
    ['compliancePolicies', 'post', '/deviceManagement/deviceCompliancePolicies/cp-ios/scheduledActionsForRule', { ruleName: 'PasswordRequired' }, 'compliance-approvers'],
    ['configurationPolicies', 'post', '/beta/deviceManagement/configurationPolicies/sc-bitlocker/assign', { assignments: [] }, 'configuration-approvers'],
    ['configurationPolicies', 'delete', '/deviceManagement/deviceConfigurations/dc-wifi', undefined, 'configuration-approvers'],
    ['tenantConfiguration', 'delete', '/deviceManagement/deviceCategories/cat-kiosk', undefined, 'tenant-approvers'],
    ['scripts', 'post', '/beta/deviceManagement/deviceHealthScripts/hs-1/assign', { deviceHealthScriptAssignments: [] }, 'script-approvers'],
  ];
  // The gateway reads each object (its snapshot) when it parks the call: reads, never a change.
  const writes = (): number => graph.calls().filter((c) => c.method !== 'GET').length;
  const before = writes();
  for (const [profileType, method, path, body, group] of cases) {
    const parked = await send('alice', method, path, body);
    assert.equal(parked.status, 202, `${method} ${path}: ${JSON.stringify(parked.body)}`);
    assert.equal(parked.body.profileType, profileType, path);
    assert.deepEqual(parked.body.approverGroups, [group], path);
  }
  assert.equal(writes(), before, 'no change reached the demo API');
});
