/**
 * policies/intune_test.rego decides on a copy of the shipped Intune profile types and their route
 * index, since `opa test` cannot read the YAML (scripts/intune-test-fixture.ts writes it). This
 * keeps that copy honest: it must be the YAML as src/config/policy-config.ts compiles and indexes
 * it, and its access policies the shipped ones, so the Rego cases test what ships.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import { loadPolicyConfig, type PolicyData } from '../../src/config/policy-config';
import { resolveOpaBin } from '../../src/policy/opa-cli';
import { isFixtureRoute } from '../../scripts/intune-test-fixture';

const REGENERATE = 'run `node --import tsx scripts/intune-test-fixture.ts` after changing config/profile-types';

test("the Intune opa unit tests' data is the shipped YAML as compiled and indexed (no drift)", () => {
  const out = execFileSync(resolveOpaBin(), ['eval', '--v1-compatible', '-d', 'policies', '--format', 'raw', 'data.maa_test.intune'], { encoding: 'utf8' });
  const fixture = JSON.parse(out) as PolicyData;
  const shipped = loadPolicyConfig('config').data;

  const routes = Object.fromEntries(
    Object.entries(shipped.profileTypes)
      .map(([name, type]) => [name, type.routes.filter((r) => isFixtureRoute(name, r))] as const)
      .filter(([, kept]) => kept.length > 0)
      .map(([name, kept]) => [name, { caseInsensitive: true, apiVersions: ['v1.0', 'beta'], routes: kept }]),
  );
  assert.deepEqual(fixture.profileTypes, routes, REGENERATE);

  const index: PolicyData['routeIndex'] = {};
  for (const [method, byFirst] of Object.entries(shipped.routeIndex)) {
    index[method] = {};
    for (const [first, bySecond] of Object.entries(byFirst)) {
      for (const [second, entries] of Object.entries(bySecond)) {
        const kept = entries.filter((e) => isFixtureRoute(e.profileType, e.route));
        if (kept.length > 0) (index[method]![first] ??= {})[second] = kept;
      }
    }
  }
  assert.deepEqual(fixture.routeIndex, index, REGENERATE);

  for (const policy of fixture.accessPolicies) {
    assert.deepEqual(policy, shipped.accessPolicies.find((p) => p.profileType === policy.profileType), policy.profileType);
  }
});
