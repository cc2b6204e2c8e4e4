/**
 * The YAML of break-glass (config/roles.yaml) and change windows (access policies): the shipped
 * values load, and every wrong value is reported at its file:line:column with the expected form.
 */
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { ConfigError } from '../../src/config/config-error';
import { loadPolicyConfig } from '../../src/config/policy-config';

const roots: string[] = [];
after(() => roots.forEach((r) => rmSync(r, { recursive: true, force: true })));

function copyConfig(): string {
  const root = mkdtempSync(join(tmpdir(), 'countersign-config-'));
  roots.push(root);
  cpSync('config/access-policies', join(root, 'access-policies'), { recursive: true });
  cpSync('config/profile-types', join(root, 'profile-types'), { recursive: true });
  cpSync('config/roles.yaml', join(root, 'roles.yaml'));
  return root;
}

function issues(dir: string): string {
  try {
    loadPolicyConfig(dir);
  } catch (error) {
    assert.ok(error instanceof ConfigError, String(error));
    return error.issues.join('\n');
  }
  assert.fail('the configuration loaded');
}

const APPS = `name: apps-approval
description: Apps.
profileType: apps
approverGroups: [app-approvers]
`;

describe('break-glass in roles.yaml', () => {
  test('the shipped roles and the demo change window load', () => {
    const config = loadPolicyConfig('config');
    assert.deepEqual(config.roles.breakGlassGroups, ['incident-responders']);
    assert.equal(config.roles.breakGlassMinReasonChars, 20);
    assert.deepEqual(config.accessPolicies.find((p) => p.name === 'roles-approval')?.changeWindows, [
      { days: ['mon', 'tue', 'wed', 'thu', 'fri'], from: '07:00', to: '19:00', timeZone: 'Europe/Berlin' },
    ]);
  });

  test('wrong values are reported at their line and column', () => {
    const dir = copyConfig();
    writeFileSync(join(dir, 'roles.yaml'), 'auditorGroups: [auditors]\nbreakGlassGroups: incident-responders\nbreakGlassMinReasonChars: 0\n');
    const text = issues(dir);
    assert.match(text, /roles\.yaml:2:19: breakGlassGroups must be array/);
    assert.match(text, /roles\.yaml:3:27: breakGlassMinReasonChars must be >= 1/);
  });
});

describe('changeWindows in an access policy', () => {
  test('a weekly window in a time zone loads', () => {
    const dir = copyConfig();
    writeFileSync(join(dir, 'access-policies/apps.yaml'), `${APPS}changeWindows:\n  - { days: [sat, sun], from: "22:00", to: "06:00", timeZone: America/New_York }\n`);
    assert.deepEqual(loadPolicyConfig(dir).accessPolicies.find((p) => p.name === 'apps-approval')?.changeWindows, [
      { days: ['sat', 'sun'], from: '22:00', to: '06:00', timeZone: 'America/New_York' },
    ]);
  });

  test('an unknown time zone, an empty window, a bad day or time and an unknown field: each at its place', () => {
    const dir = copyConfig();
    writeFileSync(
      join(dir, 'access-policies/apps.yaml'),
      `${APPS}changeWindows:
  - days: [mon]
    from: "09:00"
    to: "09:00"
    timeZone: Mars/Olympus_Mons
`,
    );
    let text = issues(dir);
    assert.match(text, /apps\.yaml:9:15: changeWindows\.0\.timeZone "Mars\/Olympus_Mons" is not an IANA time zone/);
    assert.match(text, /apps\.yaml:8:9: changeWindows\.0 opens and closes at 09:00: an empty window/);

    writeFileSync(join(dir, 'access-policies/apps.yaml'), `${APPS}changeWindows:\n  - { days: [monday], from: "9:00", to: "25:00", timeZone: UTC, cron: "* * * * *" }\n`);
    text = issues(dir);
    assert.match(text, /apps\.yaml:6:\d+: changeWindows\.0\.days\.0 must be equal to one of the allowed values: "sun", "mon"/);
    assert.match(text, /apps\.yaml:6:\d+: changeWindows\.0\.from must be a time of day HH:MM from 00:00 to 23:59/);
    assert.match(text, /apps\.yaml:6:\d+: changeWindows\.0\.to must be a time of day HH:MM from 00:00 to 24:00/);
    assert.match(text, /apps\.yaml:6:\d+: unknown field "cron" in changeWindows\.0/);

    writeFileSync(join(dir, 'access-policies/apps.yaml'), `${APPS}changeWindows: []\n`);
    assert.match(issues(dir), /apps\.yaml:5:16: changeWindows must NOT have fewer than 1 items/);
  });
});
