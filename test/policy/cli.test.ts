import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, describe, test } from 'node:test';
import { run as explain, type CommandIo } from '../../src/cli/explain';
import { run as policy } from '../../src/cli/policy-commands';

const exec = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'countersign-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));

type Command = (args: string[], io: CommandIo) => Promise<number>;

/** Runs a command module in this process and captures what it writes. */
async function capture(command: Command, args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await command(args, { stdout: { write: (t: string) => (out += t) }, stderr: { write: (t: string) => (err += t) } });
  return { code, out, err };
}

describe('countersign explain', () => {
  test('the bin answers with only the decision JSON under --json', async () => {
    const { stdout } = await exec(process.execPath, ['bin/countersign.mjs', 'explain', '--method', 'PATCH', '--path', '/deviceAppManagement/mobileApps/42', '--user', 'alice', '--groups', 'helpdesk', '--json']);
    assert.deepEqual(JSON.parse(stdout), {
      protected: true,
      profileType: 'apps',
      objectKey: 'apps:/deviceappmanagement/mobileapps/42',
      operation: 'modify',
      policies: ['apps-approval'],
      approverGroups: ['app-approvers'],
      requiredApprovals: 1,
    });
  });

  test('a short human line for a protected call', async () => {
    const r = await capture(explain, ['--method', 'POST', '--path', '/deviceManagement/deviceManagementScripts/7/assign', '--user', 'alice']);
    assert.equal(r.code, 0);
    assert.match(r.out, /^POST \/devicemanagement\/devicemanagementscripts\/7\/assign: needs approval \(assign of scripts object scripts:\/devicemanagement\/devicemanagementscripts\/7\): 1 approval in script-approvers, never alice; access policy scripts-approval\n$/);
  });

  test('a create with a body and a method override', async () => {
    const r = await capture(explain, [
      '--method', 'POST', '--path', '/deviceAppManagement/mobileApps', '--user', 'alice',
      '--header', 'X-HTTP-Method-Override: POST', '--body', '{"displayName":"Contoso"}', '--json',
    ]);
    assert.equal(r.code, 0);
    assert.equal(JSON.parse(r.out).objectKey, 'apps:/deviceappmanagement/mobileapps#create:contoso');
  });

  test('reads pass', async () => {
    const r = await capture(explain, ['--method', 'GET', '--path', '/deviceAppManagement/mobileApps/42', '--user', 'alice', '--json']);
    assert.deepEqual(JSON.parse(r.out), { protected: false });
  });

  test('a call the gateway would refuse', async () => {
    const r = await capture(explain, ['--method', 'DELETE', '--path', '/deviceAppManagement/mobileApps%2F42', '--user', 'alice']);
    assert.equal(r.code, 1);
    assert.match(r.err, /refused \(the gateway answers 400 UNSAFE_PATH\): encoded slash/);
  });

  test('a JSON batch carrying a protected change is refused, as the gateway refuses it', async () => {
    const batch = JSON.stringify({ requests: [{ id: '1', method: 'PATCH', url: '/deviceAppManagement/mobileApps/42', body: {} }] });
    const r = await capture(explain, ['--method', 'POST', '--path', '/v1.0/$batch', '--user', 'alice', '--body', batch]);
    assert.equal(r.code, 1);
    assert.match(r.err, /refused \(the gateway answers 403 BATCH_NOT_ALLOWED\)/);
    const j = await capture(explain, ['--method', 'POST', '--path', '/v1.0/$batch', '--user', 'alice', '--body', batch, '--json']);
    assert.equal(j.code, 1);
    assert.deepEqual(JSON.parse(j.out).subRequests, ['1']);
  });

  test('a method override to a read is refused, as the gateway refuses it', async () => {
    const r = await capture(explain, ['--method', 'POST', '--path', '/deviceAppManagement/mobileApps/42/assign', '--header', 'X-HTTP-Method: GET', '--user', 'alice']);
    assert.equal(r.code, 1);
    assert.match(r.err, /400 UNSAFE_PATH.*may only name a change/);
  });

  test('usage errors', async () => {
    assert.equal((await capture(explain, ['--method', 'PATCH'])).code, 2);
    assert.equal((await capture(explain, ['--method', 'PATCH', '--path', '/a', '--user', 'a', '--body', '{'])).code, 2);
    assert.equal((await capture(explain, ['--nope'])).code, 2);
  });
});

describe('countersign policy', () => {
  test('build --out writes the bundle', async () => {
    const out = join(dir, 'bundle.tar.gz');
    const r = await capture(policy, ['build', '--out', out]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /config ok: 9 profile types, 9 access policies/);
    assert.ok(existsSync(out));
  });

  test('test runs opa check and opa test', async () => {
    const r = await capture(policy, ['test']);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /PASS: \d+\/\d+/);
  });

  test('an unknown subcommand is a usage error', async () => {
    assert.equal((await capture(policy, ['deploy'])).code, 2);
  });
});
