/**
 * Intune's whole protection list, checked against what the demo Graph API really serves: every
 * mutating route it lists (demoMutatingRoutes, read from the collections its handler answers from)
 * is either parked by the shipped policy, through the one decision path of the gateway and
 * `countersign explain` (decideCall: normalise, decode, the real OPA-built Wasm), or named below as
 * unprotected on purpose, with the reason. A route added to the demo without a profile type fails
 * here; so does a stale entry on the list. And every listed route answers a fresh demo API with
 * success, so the list is what the API does, not what it was meant to do.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { demoMutatingRoutes, startGraphApi, type DemoRoute } from '../../src/demo/graph-api';
import { decideCall, type CallVerdict } from '../../src/policy/decide-call';
import { createPolicyEngine } from '../../src/policy/engine';
import { PROJECT_ROOT } from '../../src/policy/opa-cli';
import type { PolicyEngine } from '../../src/policy/types';

/**
 * Mutating routes the shipped policy lets through without approval, on purpose (unversioned; the
 * `/v1.0` and `/beta` forms follow). Each needs a reason a reviewer accepts.
 */
const UNPROTECTED_ON_PURPOSE = new Map<string, string>([
  // Routine remote actions: a helpdesk runs them many times a day and they lose no data. Intune
  // Multi Admin Approval does not cover them either; parking them would teach approvers to click
  // approve without reading (config/profile-types/device-actions.yaml).
  ['POST /deviceManagement/managedDevices/{id}/syncDevice', 'routine: the device checks in now'],
  ['POST /deviceManagement/managedDevices/{id}/rebootNow', 'routine: restarts the device, no data lost'],
  ['POST /deviceManagement/managedDevices/{id}/remoteLock', 'routine and protective: locks a lost device'],
  ['POST /deviceManagement/managedDevices/{id}/locateDevice', 'routine: reports where a lost device is'],
  // A device's own properties (notes, name): no policy, app or data follows from them.
  ['PATCH /deviceManagement/managedDevices/{id}', "a device's notes and name; not a protected object"],
  // A JSON batch is not one change: each sub-request is decided on its own (src/policy/batch.ts),
  // and a batch that carries a protected change is refused (BATCH_NOT_ALLOWED, checked below).
  ['POST /$batch', 'decided sub-request by sub-request'],
]);

const VERSION = /^\/(v1\.0|beta)(?=\/)/;
const unversioned = (route: DemoRoute): string => `${route.method} ${route.path.replace(VERSION, '')}`;
const caller = { userId: 'alice', groups: ['helpdesk'] };

function decide(engine: PolicyEngine, method: string, path: string, body?: Record<string, unknown>): CallVerdict {
  return decideCall(
    engine,
    { method, url: path, headers: { 'content-type': 'application/json' }, body: body === undefined ? Buffer.alloc(0) : Buffer.from(JSON.stringify(body)) },
    caller,
    { caseInsensitive: true, bodyLimitBytes: 10 * 1024 * 1024 },
  );
}

describe('every mutating route of the demo Graph API is protected or unprotected on purpose', () => {
  let engine: PolicyEngine;
  const routes = demoMutatingRoutes();
  before(async () => {
    engine = await createPolicyEngine({ policiesDir: join(PROJECT_ROOT, 'policies'), configDir: join(PROJECT_ROOT, 'config') });
  });
  after(() => engine.close());

  test('the demo lists the routes of each protected kind, with and without /v1.0 and /beta', () => {
    const listed = new Set(routes.map((r) => `${r.method} ${r.path}`));
    for (const route of [
      'POST /deviceManagement/deviceCompliancePolicies/{id}/scheduledActionsForRule',
      'POST /v1.0/deviceManagement/configurationPolicies/{id}/settings',
      'POST /beta/deviceManagement/deviceConfigurations/{id}/assign',
      'POST /deviceManagement/managedDevices/{id}/wipe',
      'DELETE /beta/deviceManagement/managedDevices/{id}',
      'PATCH /deviceManagement/deviceCategories/{id}',
      'POST /deviceManagement/deviceHealthScripts/{id}/assign',
      'POST /deviceManagement/deviceCustomAttributeShellScripts/{id}/groupAssignments',
      'DELETE /deviceManagement/resourceOperations/{id}',
    ]) {
      assert.ok(listed.has(route), route);
    }
  });

  test('each route is parked by the real policy through decideCall, or is on the list', () => {
    const unprotected: string[] = [];
    for (const route of routes) {
      const verdict = decide(engine, route.method, route.example.path, route.example.body);
      const key = unversioned(route);
      if (UNPROTECTED_ON_PURPOSE.has(key)) {
        assert.equal(verdict.kind, 'forward', `${route.method} ${route.example.path} is on the unprotected list but ${verdict.kind === 'park' ? 'parked' : 'refused'}; take it off the list`);
      } else if (verdict.kind !== 'park') {
        unprotected.push(`${route.method} ${route.path} (${verdict.kind})`);
      }
    }
    assert.deepEqual(unprotected, [], 'served by the demo API, not protected and not on UNPROTECTED_ON_PURPOSE');
  });

  test('a versioned route is the same decision, object key included, as the unversioned one', () => {
    for (const route of routes.filter((r) => VERSION.test(r.path) && !UNPROTECTED_ON_PURPOSE.has(unversioned(r)))) {
      const plain = decide(engine, route.method, route.example.path.replace(VERSION, ''), route.example.body);
      const versioned = decide(engine, route.method, route.example.path, route.example.body);
      assert.ok(plain.kind === 'park' && versioned.kind === 'park', route.path);
      assert.deepEqual(versioned.decision, plain.decision, route.path);
    }
  });

  test('each kind goes to its own approvers', () => {
    const expected: [string, string, string, string, string][] = [
      ['POST', '/deviceManagement/deviceCompliancePolicies/cp-windows/scheduledActionsForRule', 'compliancePolicies', 'modify', 'compliance-approvers'],
      ['POST', '/deviceManagement/compliancePolicies/ccp-linux/assign', 'compliancePolicies', 'assign', 'compliance-approvers'],
      ['POST', '/deviceManagement/configurationPolicies/sc-bitlocker/settings', 'configurationPolicies', 'modify', 'configuration-approvers'],
      ['DELETE', '/deviceManagement/deviceConfigurations/dc-wifi/groupAssignments/x', 'configurationPolicies', 'assign', 'configuration-approvers'],
      ['POST', '/deviceManagement/managedDevices/d-laptop-7/wipe', 'deviceActions', 'delete', 'device-action-approvers'],
      ['POST', '/deviceManagement/managedDevices/executeAction', 'deviceActions', 'modify', 'device-action-approvers'],
      ['PATCH', '/deviceManagement/deviceCategories/cat-kiosk', 'tenantConfiguration', 'modify', 'tenant-approvers'],
      ['POST', '/deviceManagement/deviceShellScripts/sh-1/assign', 'scripts', 'assign', 'script-approvers'],
      ['POST', '/deviceManagement/resourceOperations', 'roles', 'create', 'role-approvers'],
    ];
    for (const [method, path, profileType, operation, group] of expected) {
      const verdict = decide(engine, method, path, {});
      assert.ok(verdict.kind === 'park', `${method} ${path}`);
      assert.deepEqual(
        { profileType: verdict.decision.profileType, operation: verdict.decision.operation, approverGroups: verdict.decision.approverGroups },
        { profileType, operation, approverGroups: [group] },
        `${method} ${path}`,
      );
    }
  });

  test('a batch carrying a protected change is refused, so $batch is no way around the list', () => {
    const verdict = decide(engine, 'POST', '/v1.0/$batch', { requests: [{ id: '1', method: 'POST', url: '/deviceManagement/managedDevices/d-laptop-7/wipe', body: {} }] });
    assert.equal(verdict.kind === 'refuse' && verdict.code, 'BATCH_NOT_ALLOWED');
  });

  test('every entry of the unprotected list is a route the demo serves', () => {
    const served = new Set(routes.map(unversioned));
    for (const key of UNPROTECTED_ON_PURPOSE.keys()) assert.ok(served.has(key), `${key} is listed as unprotected on purpose but the demo does not serve it`);
  });

  test('every listed route answers a fresh demo API with success', async () => {
    const failures: string[] = [];
    for (const route of routes) {
      const graph = await startGraphApi();
      try {
        const response = await fetch(`${graph.url}${route.example.path}`, {
          method: route.method,
          headers: { authorization: 'Bearer demo-alice', ...(route.example.body ? { 'content-type': 'application/json' } : {}) },
          ...(route.example.body ? { body: JSON.stringify(route.example.body) } : {}),
        });
        if (response.status >= 300) failures.push(`${route.method} ${route.example.path}: ${response.status} ${await response.text()}`);
        else await response.arrayBuffer();
      } finally {
        await graph.close();
      }
    }
    assert.deepEqual(failures, []);
  });
});
