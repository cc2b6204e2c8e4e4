/**
 * Bypasses 1 and 2, end to end through normalizeCall and the shipped policy: Microsoft Graph paths
 * start with an API version (`/v1.0/`, `/beta/`), and Graph addresses an entity by an OData key in
 * parentheses (`mobileApps('42')`). Either way the call must be protected exactly as the plain one,
 * with the same object key, and `countersign explain` must say so too.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { run as explain } from '../../src/cli/explain';
import { createPolicyEngine } from '../../src/policy/engine';
import { normalizeCall } from '../../src/policy/normalize-call';
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
