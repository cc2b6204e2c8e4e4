/**
 * policies/intune_test.rego decides on a copy of the shipped Intune profile types, since `opa test`
 * cannot read the YAML. This keeps that copy honest: it must be the YAML as
 * src/config/policy-config.ts compiles it, and its access policies the shipped ones, so the Rego
 * cases test what ships.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import { loadPolicyConfig } from '../../src/config/policy-config';
import { resolveOpaBin } from '../../src/policy/opa-cli';

test("the Intune opa unit tests' fixture is the shipped YAML as compiled (no drift)", () => {
  const out = execFileSync(resolveOpaBin(), ['eval', '--v1-compatible', '-d', 'policies', '--format', 'raw', 'data.maa_test.intune_fixture'], { encoding: 'utf8' });
  const fixture = JSON.parse(out) as { profileTypes: Record<string, { routes: unknown[] }>; accessPolicies: { profileType: string }[] };
  const shipped = loadPolicyConfig('config');
  for (const name of ['compliancePolicies', 'configurationPolicies', 'deviceActions', 'tenantConfiguration', 'scripts']) {
    assert.deepEqual(fixture.profileTypes[name]?.routes, shipped.data.profileTypes[name]?.routes, name);
  }
  const resourceOperations = shipped.data.profileTypes.roles?.routes.filter((r) => r.literals[0] === 'devicemanagement' && r.literals[1] === 'resourceoperations');
  assert.deepEqual(fixture.profileTypes.roles?.routes, resourceOperations);
  for (const policy of fixture.accessPolicies) {
    assert.deepEqual(policy, shipped.data.accessPolicies.find((p) => p.profileType === policy.profileType), policy.profileType);
  }
});
