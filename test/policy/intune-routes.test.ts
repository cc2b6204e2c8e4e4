/**
 * Every route of Intune's profile types, as written in config/profile-types/*.yaml, is protected
 * by the real OPA-built Wasm policy with its operation and its type's approver group: with and
 * without `/v1.0` and `/beta`, in any letter case, and (for a route naming an object) through an
 * OData type cast before the id.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createPolicyEngine } from '../../src/policy/engine';
import { normalizeCall } from '../../src/policy/normalize-call';
import type { DecisionInput, PolicyEngine } from '../../src/policy/types';

const TYPES: Record<string, string> = {
  compliancePolicies: 'compliance-approvers',
  configurationPolicies: 'configuration-approvers',
  deviceActions: 'device-action-approvers',
  tenantConfiguration: 'tenant-approvers',
  scripts: 'script-approvers',
  roles: 'role-approvers',
};

let engine: PolicyEngine;
before(async () => {
  engine = await createPolicyEngine({ policiesDir: 'policies', configDir: 'config' });
});
after(() => engine.close());

function input(method: string, url: string): DecisionInput {
  const n = normalizeCall({ method, url, headers: {} }, { caseInsensitive: true });
  assert.ok(n.ok, url);
  return { call: { ...n.call, body: { displayName: 'Contoso' } }, caller: { userId: 'alice', groups: ['helpdesk'] } };
}

test('every route of the Intune profile types is protected as its YAML says', () => {
  let checked = 0;
  for (const type of engine.profileTypes().filter((t) => t.name in TYPES)) {
    for (const route of type.routes) {
      const path = route.path.replace(/\{[A-Za-z]+\.\.\.\}/, 'sub/resource').replace(/\{[A-Za-z]+\}/g, 'x1');
      // A cast before the first id: `…/deviceConfigurations/microsoft.graph.someType/x1/…`.
      const cast = route.path.includes('{') ? path.replace('/x1', '/microsoft.graph.someType/x1') : undefined;
      for (const method of route.method === '*' ? ['POST', 'PUT', 'PATCH', 'DELETE'] : [route.method]) {
        const plain = engine.decide(input(method, path));
        const what = `${method} ${route.path} (${type.name})`;
        assert.ok(plain.protected, what);
        assert.equal(plain.profileType, type.name, what);
        assert.equal(plain.operation, route.operation, what);
        assert.deepEqual(plain.approverGroups, [TYPES[type.name]], what);
        for (const url of [`/v1.0${path}`, `/BETA${path.toUpperCase()}`, ...(cast ? [cast, `/beta${cast}`] : [])]) {
          assert.deepEqual(engine.decide(input(method, url)), plain, `${method} ${url}`);
        }
        checked++;
      }
    }
  }
  assert.ok(checked > 200, `only ${checked} routes checked`);
});
