import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, rmSync, writeFileSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { ConfigError } from '../../src/config/config-error';
import { loadPolicyConfig } from '../../src/config/policy-config';

const roots: string[] = [];
after(() => roots.forEach((r) => rmSync(r, { recursive: true, force: true })));

/** A copy of the shipped config/ that a test may break. */
function copyConfig(): string {
  const root = mkdtempSync(join(tmpdir(), 'countersign-config-'));
  roots.push(root);
  cpSync('config/access-policies', join(root, 'access-policies'), { recursive: true });
  cpSync('config/profile-types', join(root, 'profile-types'), { recursive: true });
  cpSync('config/roles.yaml', join(root, 'roles.yaml'));
  return root;
}

function loadError(dir: string): ConfigError {
  try {
    loadPolicyConfig(dir);
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected ConfigError, got ${String(error)}`);
    return error;
  }
  assert.fail('the configuration loaded');
}

describe('shipped policy configuration', () => {
  test('loads the profile types and access policies the demo relies on, each with its own approver group', () => {
    const config = loadPolicyConfig('config');
    assert.deepEqual(config.profileTypes.map((t) => t.name).sort(), [
      'accessPolicies',
      'apps',
      'compliancePolicies',
      'configurationPolicies',
      'deviceActions',
      'groups',
      'roles',
      'scripts',
      'tenantConfiguration',
    ]);
    const groups = Object.fromEntries(config.accessPolicies.map((p) => [p.profileType, p.approverGroups]));
    assert.deepEqual(groups, {
      apps: ['app-approvers'],
      scripts: ['script-approvers'],
      accessPolicies: ['policy-approvers', 'security-approvers'],
      groups: ['group-approvers'],
      roles: ['role-approvers'],
      compliancePolicies: ['compliance-approvers'],
      configurationPolicies: ['configuration-approvers'],
      deviceActions: ['device-action-approvers'],
      tenantConfiguration: ['tenant-approvers'],
    });
    assert.ok(config.accessPolicies.filter((p) => !p.stages).every((p) => p.enabled && p.requiredApprovals === 1));
    // The demo's two-stage policy: policy approvers, then security.
    assert.deepEqual(config.accessPolicies.find((p) => p.profileType === 'accessPolicies')?.stages, [
      { name: 'policy', approverGroups: ['policy-approvers'], requiredApprovals: 1 },
      { name: 'security', approverGroups: ['security-approvers'], requiredApprovals: 1 },
    ]);
    assert.deepEqual(config.roles, { auditorGroups: ['auditors'], breakGlassGroups: ['incident-responders'], breakGlassMinReasonChars: 20 });
    assert.ok(config.profileTypes.every((t) => t.caseInsensitive));
    assert.deepEqual(config.data.profileTypes.apps?.routes.find((r) => r.method === 'PATCH'), {
      method: 'PATCH',
      operation: 'modify',
      literals: ['deviceappmanagement', 'mobileapps', null],
      rest: false,
      objectLength: 3,
    });
  });
});

describe('invalid files are reported with file, line and column', () => {
  test('a wrong type in an access policy', () => {
    const dir = copyConfig();
    writeFileSync(
      join(dir, 'access-policies/apps.yaml'),
      'name: apps-approval\ndescription: x\nprofileType: apps\napproverGroups: [app-approvers]\nrequiredApprovals: "two"\n',
    );
    const error = loadError(dir);
    assert.equal(error.code, 'CONFIG_INVALID');
    assert.match(error.issues[0]!, /access-policies\/apps\.yaml:5:20: requiredApprovals must be integer/);
  });

  test('an unknown field, such as a second profile type', () => {
    const dir = copyConfig();
    writeFileSync(
      join(dir, 'access-policies/apps.yaml'),
      'name: apps-approval\ndescription: x\nprofileType: apps\nprofileTypes: [scripts]\napproverGroups: [app-approvers]\n',
    );
    assert.match(loadError(dir).issues.join('\n'), /apps\.yaml:4:15: unknown field "profileTypes"/);
  });

  test('a profile type that does not exist', () => {
    const dir = copyConfig();
    writeFileSync(join(dir, 'access-policies/apps.yaml'), 'name: apps-approval\ndescription: x\nprofileType: aps\napproverGroups: [app-approvers]\n');
    assert.match(loadError(dir).issues[0]!, /apps\.yaml:3:14: profileType "aps" is not a known profile type \(accessPolicies, apps, compliancePolicies, configurationPolicies, deviceActions, groups, roles, scripts, tenantConfiguration\)/);
  });

  test('no approver groups, and a missing description, both reported', () => {
    const dir = copyConfig();
    writeFileSync(join(dir, 'access-policies/apps.yaml'), 'name: apps-approval\nprofileType: apps\napproverGroups: []\n');
    const issues = loadError(dir).issues.join('\n');
    assert.match(issues, /apps\.yaml:1:1: \(file\) must have required property 'description'/);
    assert.match(issues, /apps\.yaml:3:17: approverGroups must NOT have fewer than 1 items/);
  });

  test('a duplicate access policy name', () => {
    const dir = copyConfig();
    writeFileSync(join(dir, 'access-policies/zz-copy.yaml'), 'name: apps-approval\ndescription: x\nprofileType: apps\napproverGroups: [x]\n');
    assert.match(loadError(dir).issues[0]!, /zz-copy\.yaml:1:7: access policy "apps-approval" is already defined in .*apps\.yaml:2:7/);
  });

  test('YAML that does not parse', () => {
    const dir = copyConfig();
    writeFileSync(join(dir, 'roles.yaml'), 'auditorGroups: [auditors\n');
    const error = loadError(dir);
    assert.equal(error.code, 'CONFIG_YAML_INVALID');
    assert.match(error.issues[0]!, /roles\.yaml:\d+:\d+: /);
  });

  test('a route method that is not a mutation', () => {
    const dir = copyConfig();
    writeFileSync(
      join(dir, 'profile-types/extra.yaml'),
      'name: extra\ndescription: x\nroutes:\n  - method: GET\n    path: /extra/{id}\n    operation: modify\n',
    );
    assert.match(loadError(dir).issues[0]!, /extra\.yaml:4:13: routes\.0\.method must be equal to one of the allowed values: "POST", "PUT", "PATCH", "DELETE", "\*"/);
  });

  test('a bad path template and a rest parameter not at the end', () => {
    const dir = copyConfig();
    writeFileSync(
      join(dir, 'profile-types/extra.yaml'),
      'name: extra\ndescription: x\nroutes:\n  - { method: PATCH, path: "extra/{id}", operation: modify }\n  - { method: PATCH, path: "/extra/{rest...}/x", operation: modify }\n',
    );
    const issues = loadError(dir).issues.join('\n');
    assert.match(issues, /extra\.yaml:4:28: routes\.0\.path must be a path template such as \/deviceAppManagement\/mobileApps\/\{id\}/);
  });

  test('a rest parameter that is not the last segment', () => {
    const dir = copyConfig();
    writeFileSync(join(dir, 'profile-types/extra.yaml'), 'name: extra\ndescription: x\nroutes:\n  - { method: PATCH, path: "/extra/{rest...}/x", operation: modify }\n');
    assert.match(loadError(dir).issues[0]!, /extra\.yaml:4:28: routes\.0\.path: \{rest\.\.\.\} must be the last segment/);
  });

  test('routes of two profile types that could claim the same call', () => {
    const dir = copyConfig();
    writeFileSync(
      join(dir, 'profile-types/zz-other.yaml'),
      'name: other\ndescription: x\ncaseInsensitive: true\nroutes:\n  - { method: "*", path: "/DeviceAppManagement/{collection}/{id}", operation: modify }\n',
    );
    assert.match(loadError(dir).issues[0]!, /zz-other\.yaml:5:26: routes\.0 \(\* \/DeviceAppManagement\/\{collection\}\/\{id\}\) overlaps apps routes\.1/);
  });

  test('a missing folder', () => {
    const dir = copyConfig();
    rmSync(join(dir, 'profile-types'), { recursive: true });
    assert.equal(loadError(dir).code, 'CONFIG_FILE_UNREADABLE');
  });

  test('roles.yaml is optional', () => {
    const dir = copyConfig();
    unlinkSync(join(dir, 'roles.yaml'));
    assert.deepEqual(loadPolicyConfig(dir).roles, { auditorGroups: [], breakGlassGroups: [], breakGlassMinReasonChars: 20 });
  });

  test('defaults: requiredApprovals 1 and enabled true', () => {
    const dir = copyConfig();
    writeFileSync(join(dir, 'access-policies/apps.yaml'), 'name: apps-approval\ndescription: x\nprofileType: apps\napproverGroups: [app-approvers]\n');
    const policy = loadPolicyConfig(dir).accessPolicies.find((p) => p.name === 'apps-approval');
    assert.equal(policy?.requiredApprovals, 1);
    assert.equal(policy?.enabled, true);
    assert.equal(policy?.source, 'access-policies/apps.yaml');
  });

  test('apiVersions: shipped Graph types take v1.0 and beta; the policy data gets them; omitted means none', () => {
    const config = loadPolicyConfig('config');
    for (const type of config.profileTypes) assert.deepEqual(type.apiVersions, ['v1.0', 'beta'], type.name);
    assert.deepEqual(config.data.apiVersionSegments, { 'v1.0': true, beta: true });
    assert.deepEqual(config.data.profileTypes.apps?.apiVersions, ['v1.0', 'beta']);
    const dir = copyConfig();
    writeFileSync(join(dir, 'profile-types/extra.yaml'), 'name: extra\ndescription: x\nroutes:\n  - { method: PATCH, path: "/extra/{id}", operation: modify }\n');
    assert.deepEqual(loadPolicyConfig(dir).data.profileTypes.extra?.apiVersions, []);
  });

  test('apiVersions: a case-sensitive type keeps their case; a case-insensitive one lowers them', () => {
    const dir = copyConfig();
    writeFileSync(join(dir, 'profile-types/extra.yaml'), 'name: extra\ndescription: x\ncaseInsensitive: false\napiVersions: [V2]\nroutes:\n  - { method: PATCH, path: "/extra/{id}", operation: modify }\n');
    const data = loadPolicyConfig(dir, { upstreamCaseInsensitivePaths: false }).data;
    assert.deepEqual(data.profileTypes.extra?.apiVersions, ['V2']);
    assert.equal(data.apiVersionSegments.v2, true);
    writeFileSync(join(dir, 'profile-types/extra.yaml'), 'name: extra\ndescription: x\napiVersions: [V2]\nroutes:\n  - { method: PATCH, path: "/extra/{id}", operation: modify }\n');
    assert.deepEqual(loadPolicyConfig(dir).data.profileTypes.extra?.apiVersions, ['v2']);
  });

  test('apiVersions: a segment with a slash, or a version that is also a route\'s first segment', () => {
    const dir = copyConfig();
    writeFileSync(join(dir, 'profile-types/extra.yaml'), 'name: extra\ndescription: x\napiVersions: ["v1/x"]\nroutes:\n  - { method: PATCH, path: "/extra/{id}", operation: modify }\n');
    assert.match(loadError(dir).issues[0]!, /extra\.yaml:3:\d+: apiVersions\.0 must be one path segment such as v1\.0 or beta/);
    writeFileSync(join(dir, 'profile-types/extra.yaml'), 'name: extra\ndescription: x\napiVersions: [deviceManagement]\nroutes:\n  - { method: PATCH, path: "/extra/{id}", operation: modify }\n');
    assert.match(loadError(dir).issues.join('\n'), /extra\.yaml:3:\d+: apiVersions\.0 "deviceManagement" is also the first segment of \w+ routes\.\d+/);
  });
});

describe('one case rule: a profile type cannot disagree with how the gateway normalises paths', () => {
  const mixedCase = 'name: extra\ndescription: x\nroutes:\n  - { method: PATCH, path: "/Apps/{id}", operation: modify }\n';

  test('caseInsensitive defaults to true: a mixed-case route is compiled to lower case', () => {
    const dir = copyConfig();
    writeFileSync(join(dir, 'profile-types/extra.yaml'), mixedCase);
    const data = loadPolicyConfig(dir).data;
    assert.equal(data.profileTypes.extra?.caseInsensitive, true);
    assert.deepEqual(data.profileTypes.extra?.routes[0]?.literals, ['apps', null]);
    assert.equal(data.routeIndex.PATCH?.apps?.['{}']?.[0]?.caseInsensitive, true);
  });

  test('caseInsensitive: false is refused while the upstream ignores case, at its line and column, with the reason', () => {
    const dir = copyConfig();
    writeFileSync(join(dir, 'profile-types/extra.yaml'), `name: extra\ndescription: x\ncaseInsensitive: false\n${mixedCase.split('\n').slice(2).join('\n')}`);
    // The default (tools without a gateway configuration) and a gateway that says so explicitly.
    for (const options of [undefined, { upstreamCaseInsensitivePaths: true }]) {
      assert.throws(
        () => loadPolicyConfig(dir, options),
        (error: unknown) =>
          error instanceof ConfigError &&
          error.code === 'CONFIG_INVALID' &&
          error.issues.length === 1 &&
          /profile-types\/extra\.yaml:3:18: caseInsensitive: false is refused because the upstream ignores the case of paths \(upstream\.caseInsensitivePaths: true\).*would pass unapproved/.test(error.issues[0]!),
      );
    }
  });

  test('caseInsensitive: false is allowed when the upstream is case-sensitive, and keeps the route\'s case', () => {
    const dir = copyConfig();
    writeFileSync(join(dir, 'profile-types/extra.yaml'), `name: extra\ndescription: x\ncaseInsensitive: false\n${mixedCase.split('\n').slice(2).join('\n')}`);
    const data = loadPolicyConfig(dir, { upstreamCaseInsensitivePaths: false }).data;
    assert.equal(data.profileTypes.extra?.caseInsensitive, false);
    assert.deepEqual(data.profileTypes.extra?.routes[0]?.literals, ['Apps', null]);
  });

  test('the shipped configuration says caseInsensitive nowhere as false', () => {
    for (const type of loadPolicyConfig('config').profileTypes) assert.equal(type.caseInsensitive, true, type.name);
  });
});

describe('change-control keys of an access policy (stages, veto, reasons, conditions, expiry)', () => {
  const write = (dir: string, text: string) => writeFileSync(join(dir, 'access-policies/scripts.yaml'), text);
  const head = 'name: scripts-approval\ndescription: x\nprofileType: scripts\n';

  test('every key compiles to the policy data, durations in milliseconds', () => {
    const dir = copyConfig();
    write(
      dir,
      head +
        'stages:\n  - { name: first, approverGroups: [script-approvers] }\n  - { name: security, approverGroups: [security-approvers], requiredApprovals: 2 }\n' +
        'rejectPolicy: majority\njustification: required\nrejectNotes: required\n' +
        'when: { methods: [PATCH], bodyFields: [scriptContent, assignments] }\nappliesTo: [helpdesk]\nexempt: [change-board]\n' +
        'expiresAfter: 7d\napprovedExpiresAfter: 12h\n',
    );
    const data = loadPolicyConfig(dir).data.accessPolicies.find((p) => p.name === 'scripts-approval');
    assert.deepEqual(data, {
      name: 'scripts-approval',
      profileType: 'scripts',
      approverGroups: ['script-approvers', 'security-approvers'],
      requiredApprovals: 3,
      enabled: true,
      stages: [
        { name: 'first', approverGroups: ['script-approvers'], requiredApprovals: 1 },
        { name: 'security', approverGroups: ['security-approvers'], requiredApprovals: 2 },
      ],
      rejectPolicy: 'majority',
      justification: 'required',
      rejectNotes: 'required',
      when: { methods: ['PATCH'], bodyFields: ['scriptContent', 'assignments'] },
      appliesTo: ['helpdesk'],
      exempt: ['change-board'],
      expiresAfterMs: 7 * 24 * 3_600_000,
      approvedExpiresAfterMs: 12 * 3_600_000,
    });
  });

  test('a one-stage policy compiles exactly as before', () => {
    const data = loadPolicyConfig('config').data.accessPolicies.find((p) => p.name === 'apps-approval');
    assert.deepEqual(data, { name: 'apps-approval', profileType: 'apps', approverGroups: ['app-approvers'], requiredApprovals: 1, enabled: true });
  });

  test('stages and approverGroups together, or neither, are refused where they are written', () => {
    const dir = copyConfig();
    write(dir, head + 'approverGroups: [script-approvers]\nrequiredApprovals: 1\nstages:\n  - { name: a, approverGroups: [x] }\n');
    const issues = loadError(dir).issues.join('\n');
    assert.match(issues, /scripts\.yaml:7:3: stages replace approverGroups/);
    assert.match(issues, /scripts\.yaml:5:20: with stages, each stage says its own requiredApprovals/);
    write(dir, head);
    assert.match(loadError(dir).issues.join('\n'), /scripts\.yaml:1:1: approverGroups is required \(or stages/);
  });

  test('bad values name file, line and column', () => {
    const dir = copyConfig();
    write(dir, head + 'stages:\n  - { name: a, approverGroups: [x] }\n  - { name: a, approverGroups: [y], requiredApprovals: 0 }\nrejectPolicy: unanimous\nwhen: { methods: [GET] }\nexpiresAfter: 30s\n');
    const issues = loadError(dir).issues.join('\n');
    assert.match(issues, /scripts\.yaml:6:56: stages\.1\.requiredApprovals must be >= 1/);
    assert.match(issues, /scripts\.yaml:7:15: rejectPolicy must be equal to one of the allowed values: "any", "majority"/);
    assert.match(issues, /scripts\.yaml:8:19: when\.methods\.0 must be equal to one of the allowed values/);
    assert.match(issues, /scripts\.yaml:9:15: expiresAfter must be a duration such as 90m, 12h or 7d/);
    write(dir, head + 'stages:\n  - { name: a, approverGroups: [x] }\n  - { name: a, approverGroups: [y] }\nexpiresAfter: 3651d\nappliesTo: [g]\nexempt: [g]\n');
    const more = loadError(dir).issues.join('\n');
    assert.match(more, /scripts\.yaml:6:13: stage "a" is named twice/);
    assert.match(more, /scripts\.yaml:7:15: expiresAfter must be from 1m to 3650d/);
    assert.match(more, /scripts\.yaml:9:9: group g is both in appliesTo and exempt/);
  });

  test('a staged policy must be the only enabled policy of its profile type', () => {
    const dir = copyConfig();
    write(dir, head + 'stages:\n  - { name: a, approverGroups: [x] }\n');
    writeFileSync(join(dir, 'access-policies/scripts-2.yaml'), 'name: scripts-2\ndescription: x\nprofileType: scripts\napproverGroups: [y]\n');
    assert.match(loadError(dir).issues.join('\n'), /scripts\.yaml:5:3: a staged policy must be the only enabled policy of profile type scripts \(also enabled: scripts-2\)/);
  });
});
