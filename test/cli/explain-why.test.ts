/**
 * `countersign explain` says which condition made a call protected or not (docs/policy.md
 * "Conditions"), and a staged policy's stages; the decision JSON carries the same `why`.
 */
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { run as explain } from '../../src/cli/explain';
import { PROJECT_ROOT } from '../../src/config/gateway-config';

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'countersign-explain-'));
  cpSync(join(PROJECT_ROOT, 'config'), dir, { recursive: true });
  writeFileSync(
    join(dir, 'access-policies/scripts.yaml'),
    'name: scripts-approval\ndescription: x\nprofileType: scripts\napproverGroups: [script-approvers]\nwhen: { methods: [PATCH], bodyFields: [scriptContent] }\nexempt: [automation]\n',
  );
});
after(() => rmSync(dir, { recursive: true, force: true }));

async function run(...args: string[]): Promise<{ code: number; out: string }> {
  let out = '';
  const code = await explain(['--config', dir, ...args], { stdout: { write: (t: string) => (out += t) }, stderr: { write: (t: string) => (out += t) } });
  return { code, out };
}

const script = ['--method', 'PATCH', '--path', '/deviceManagement/deviceManagementScripts/7', '--header', 'content-type:application/json'];

describe('countersign explain: why', () => {
  test('a change of scriptContent is protected, and the line says which conditions held', async () => {
    const r = await run(...script, '--user', 'alice', '--groups', 'helpdesk', '--body', '{"scriptContent":"ZWNobw=="}');
    assert.equal(r.code, 0);
    assert.match(r.out, /needs approval/);
    assert.match(r.out, /\n {2}why: scripts-approval applies: when\.methods: PATCH is one of PATCH; when\.bodyFields: the body sends scriptContent; exempt: the requestor is in none of automation\n$/);
  });

  test('another field passes, and says which condition let it pass; --json carries the same', async () => {
    const r = await run(...script, '--user', 'alice', '--body', '{"description":"x"}');
    assert.match(r.out, /not protected, passes through to the upstream\n {2}why: scripts-approval does not apply: when\.bodyFields: the body sends none of scriptContent\n$/);
    const json = await run(...script, '--user', 'alice', '--groups', 'automation', '--body', '{"scriptContent":"x"}', '--json');
    assert.deepEqual(JSON.parse(json.out), { protected: false, why: ['scripts-approval does not apply: exempt: the requestor is in automation'] });
  });

  test('a staged policy prints its stages in order', async () => {
    const r = await run('--method', 'PATCH', '--path', '/deviceManagement/operationApprovalPolicies/p1', '--user', 'alice');
    assert.match(r.out, /\n {2}stages, in order: policy \(1 in policy-approvers\), then security \(1 in security-approvers\)\n$/);
  });
});
