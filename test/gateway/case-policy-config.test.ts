/**
 * Issue 8 finding 2, end to end: a user's own profile type written in mixed case (as Graph's routes
 * are) must protect its routes through the running gateway, whatever case a client sends, because
 * the loader gives every profile type the case rule of the path normaliser.
 */
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, beforeEach, describe, test } from 'node:test';
import { ConfigError } from '../../src/config/config-error';
import { PROJECT_ROOT } from '../../src/config/gateway-config';
import { createPolicyEngine } from '../../src/policy/engine';
import { auth, startHarness, startSuite, type Harness, type Suite } from '../support/harness';

/** config/ plus a profile type "crm" as a new user writes it: mixed case, no caseInsensitive line. */
function userConfig(extraLines = ''): string {
  const dir = mkdtempSync(join(tmpdir(), 'countersign-case-'));
  for (const part of ['access-policies', 'profile-types', 'roles.yaml']) cpSync(join(PROJECT_ROOT, 'config', part), join(dir, part), { recursive: true });
  writeFileSync(
    join(dir, 'profile-types/crm.yaml'),
    `name: crm\ndescription: CRM apps\n${extraLines}routes:\n  - { method: PATCH, path: "/Apps/{id}", operation: modify }\n  - { method: DELETE, path: "/Apps/{id}", operation: delete }\n`,
  );
  writeFileSync(join(dir, 'access-policies/crm.yaml'), 'name: crm-approval\ndescription: CRM apps need a second administrator.\nprofileType: crm\napproverGroups: [app-approvers]\n');
  return dir;
}

describe('a mixed-case route in a user profile type, through the gateway', () => {
  let suite: Suite;
  let h: Harness;
  let configDir: string;
  before(async () => {
    configDir = userConfig();
    suite = await startSuite({ configDir });
  });
  after(async () => {
    await suite.close();
    rmSync(configDir, { recursive: true, force: true });
  });
  beforeEach(async () => {
    h = await startHarness(suite);
  });
  afterEach(() => h.close());

  test('PATCH /Apps/3 is parked, not forwarded; other spellings are the same object', async () => {
    const res = await h.http.patch('/Apps/3').set('authorization', auth('alice')).set('content-type', 'application/json').send('{"name":"x"}');
    assert.equal(res.status, 202, JSON.stringify(res.body));
    assert.equal(res.body.profileType, 'crm');
    assert.equal(res.body.objectKey, 'crm:/apps/3');
    for (const path of ['/apps/3', '/APPS/3', '/aPpS//3/']) {
      const again = await h.http.delete(path).set('authorization', auth('alice'));
      assert.equal(again.status, 409, path);
      assert.equal(again.body.error.code, 'OBJECT_LOCKED', path);
    }
    assert.equal(h.upstream.mutations.length, 0);
  });

  test('a read of the same route still passes', async () => {
    const res = await h.http.get('/Apps/3').set('authorization', auth('alice'));
    assert.equal(res.status, 200);
    assert.equal(h.upstream.calls.length, 1);
  });
});

describe('a case-sensitive profile type behind a case-insensitive upstream', () => {
  test('the engine refuses to start, naming the file, line and column', async () => {
    const configDir = userConfig('caseInsensitive: false\n');
    try {
      await assert.rejects(
        createPolicyEngine({ policiesDir: join(PROJECT_ROOT, 'policies'), configDir, upstreamCaseInsensitivePaths: true }),
        (error: unknown) => error instanceof ConfigError && /crm\.yaml:3:18: caseInsensitive: false is refused/.test(error.message),
      );
      // The engine's default is the strict reading too.
      await assert.rejects(createPolicyEngine({ policiesDir: join(PROJECT_ROOT, 'policies'), configDir }), ConfigError);
      const engine = await createPolicyEngine({ policiesDir: join(PROJECT_ROOT, 'policies'), configDir, upstreamCaseInsensitivePaths: false });
      await engine.close();
    } finally {
      rmSync(configDir, { recursive: true, force: true });
    }
  });
});
