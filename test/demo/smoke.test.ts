/**
 * The demo smoke test: `npm run demo` in the background exactly as a newcomer runs it (its own
 * redis-server, its own Graph API), the README's walkthrough over HTTP, then Ctrl-C (SIGINT to the
 * process group) and a check that nothing it started is left running.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, canConnect } from '../support/redis-server';

const ROOT = new URL('../../', import.meta.url).pathname;
const START_TIMEOUT_MS = 60_000;

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}


async function until(check: () => boolean | Promise<boolean>, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

let child: ChildProcess | undefined;
const dataDir = mkdtempSync(join(tmpdir(), 'countersign-demo-'));

after(() => {
  // Whatever happened above, nothing of the demo outlives the test.
  if (child?.pid && groupAlive(child.pid)) process.kill(-child.pid, 'SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});

test('npm run demo serves the README walkthrough and Ctrl-C stops everything it started', { timeout: 120_000 }, async () => {
  const port = await freePort();
  const env: NodeJS.ProcessEnv = { ...process.env, PORT: String(port), COUNTERSIGN_DEMO_DATA_DIR: dataDir };
  // A fresh clone has no REDIS_URL: the demo starts its own redis-server.
  delete env.REDIS_URL;
  // detached: its own process group, so the test can signal the demo and all its children at once, like Ctrl-C.
  child = spawn('npm', ['run', '--silent', 'demo'], { cwd: ROOT, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const pgid = child.pid!;
  let output = '';
  child.stdout!.on('data', (c: Buffer) => (output += c.toString('utf8')));
  child.stderr!.on('data', (c: Buffer) => (output += c.toString('utf8')));
  const exited = new Promise<number | null>((resolve) => child!.once('exit', (code) => resolve(code)));

  await until(() => output.includes('Countersign demo is running') || child!.exitCode !== null, START_TIMEOUT_MS, `the demo to start:\n${output}`);
  assert.ok(output.includes('Countersign demo is running'), `the demo did not start:\n${output}`);
  // It prints who is who, three curl lines and the console URL.
  for (const token of ['demo-alice', 'demo-bob', 'demo-carol', 'demo-dave']) assert.ok(output.includes(token), `banner names ${token}`);
  assert.equal(output.match(/^\s+curl /gm)?.length, 3, 'three curl lines');
  assert.ok(output.includes(`http://localhost:${port}/maa/console/`));
  const upstream = /demo Graph API at (http:\/\/127\.0\.0\.1:\d+)/.exec(output)?.[1];
  assert.ok(upstream, 'banner names the demo Graph API');

  const base = `http://localhost:${port}`;
  const as = (token: string, extra: Record<string, string> = {}) => ({ authorization: `Bearer ${token}`, ...extra });

  // Reads pass through, and the demo API's links lead back to the gateway (upstream.publicUrl), so
  // a paging client stays behind it.
  const page = (await (await fetch(`${base}/v1.0/deviceAppManagement/mobileApps?$top=1`, { headers: as('demo-alice') })).json()) as { '@odata.nextLink'?: string; value: unknown[] };
  assert.equal(page.value.length, 1);
  assert.ok(page['@odata.nextLink']?.startsWith(`${base}/v1.0/deviceAppManagement/mobileApps?`), JSON.stringify(page));

  // 1. alice changes an app with a business justification: parked, and refused as Graph refuses a
  //    change under Multi Admin Approval (403 ApprovalRequired), so an SDK throws.
  const parked = await fetch(`${base}/deviceAppManagement/mobileApps/42`, {
    method: 'PATCH',
    headers: as('demo-alice', { 'content-type': 'application/json', 'x-maa-justification': encodeURIComponent('Ticket INC-1234: rename the portal') }),
    body: JSON.stringify({ displayName: 'Contoso Portal v2' }),
  });
  assert.equal(parked.status, 403);
  const refused = (await parked.json()) as { error: { code: string; innerError: { requestId: string; status: string; approverGroups: string[]; approvalCode: string } } };
  assert.equal(refused.error.code, 'ApprovalRequired');
  const ticket = refused.error.innerError;
  assert.equal(ticket.status, 'needsApproval');
  assert.deepEqual(ticket.approverGroups, ['app-approvers']);
  assert.equal(parked.headers.get('location'), `/maa/v1/requests/${ticket.requestId}`);
  assert.equal(parked.headers.get('x-maa-request-id'), ticket.requestId);
  assert.equal(parked.headers.get('x-maa-approval-code'), ticket.approvalCode);
  // The README pulls the id out with sed; the body must keep a shape that a one-line regex reads.
  assert.equal(/"requestId":"([^"]+)"/.exec(JSON.stringify(refused))?.[1], ticket.requestId);
  // Parked, not applied.
  const before = (await (await fetch(`${upstream}/deviceAppManagement/mobileApps/42`, { headers: as('demo-alice') })).json()) as { displayName: string };
  assert.equal(before.displayName, 'Contoso Portal');

  // 2. alice lists her requests.
  const mine = (await (await fetch(`${base}/maa/v1/requests?view=mine`, { headers: as('demo-alice') })).json()) as { items: { id: string; status: string; justification: string }[] };
  const listed = mine.items.find((item) => item.id === ticket.requestId);
  assert.equal(listed?.status, 'needsApproval');
  assert.equal(listed?.justification, 'Ticket INC-1234: rename the portal');

  // 3. bob approves with notes.
  const approved = await fetch(`${base}/maa/v1/requests/${ticket.requestId}/approve`, {
    method: 'POST',
    headers: as('demo-bob', { 'content-type': 'application/json' }),
    body: JSON.stringify({ notes: 'Looks right' }),
  });
  assert.equal(approved.status, 200);
  const afterApproval = (await approved.json()) as { status: string; approvals: { userId: string; notes: string }[] };
  assert.equal(afterApproval.status, 'approved');
  assert.deepEqual(afterApproval.approvals.map((a) => [a.userId, a.notes]), [['bob', 'Looks right']]);

  // 4. alice completes; the change shows up in the demo API.
  const completed = await fetch(`${base}/maa/v1/requests/${ticket.requestId}/complete`, { method: 'POST', headers: as('demo-alice') });
  assert.equal(completed.status, 204, 'Graph answers a PATCH with 204, relayed');
  assert.equal(completed.headers.get('x-maa-request-status'), 'completed');
  const app = (await (await fetch(`${base}/deviceAppManagement/mobileApps/42`, { headers: as('demo-alice') })).json()) as { displayName: string };
  assert.equal(app.displayName, 'Contoso Portal v2');

  // 5. Or the Multi Admin Approval way: changed again (403), approved, resent with the approval code.
  const change = JSON.stringify({ displayName: 'Contoso Portal 3' });
  const again = await fetch(`${base}/deviceAppManagement/mobileApps/42`, {
    method: 'PATCH',
    headers: as('demo-alice', { 'content-type': 'application/json', 'x-maa-justification': 'INC-1235' }),
    body: change,
  });
  assert.equal(again.status, 403);
  const { requestId: againId, approvalCode } = ((await again.json()) as { error: { innerError: { requestId: string; approvalCode: string } } }).error.innerError;
  const approvedAgain = await fetch(`${base}/maa/v1/requests/${againId}/approve`, {
    method: 'POST',
    headers: as('demo-bob', { 'content-type': 'application/json' }),
    body: JSON.stringify({ notes: 'ok' }),
  });
  assert.equal(approvedAgain.status, 200);
  const resend = () =>
    fetch(`${base}/deviceAppManagement/mobileApps/42`, {
      method: 'PATCH',
      headers: as('demo-alice', { 'content-type': 'application/json', 'x-maa-approval-code': approvalCode }),
      body: change,
    });
  const resent = await resend();
  assert.equal(resent.status, 204, 'the upstream\'s own answer to the PATCH, relayed');
  assert.equal(resent.headers.get('x-maa-request-status'), 'completed');
  const renamed = (await (await fetch(`${upstream}/deviceAppManagement/mobileApps/42`, { headers: as('demo-alice') })).json()) as { displayName: string };
  assert.equal(renamed.displayName, 'Contoso Portal 3');
  // The code was for one complete.
  const twice = await resend();
  assert.equal(twice.status, 409);
  assert.equal(((await twice.json()) as { error: { code: string } }).error.code, 'INVALID_STATE');

  // 6. carol changes an app and tries to approve her own change: refused.
  const carols = await fetch(`${base}/deviceAppManagement/mobileApps/43`, {
    method: 'PATCH',
    headers: as('demo-carol', { 'content-type': 'application/json', 'x-maa-justification': 'feature%20it' }),
    body: JSON.stringify({ isFeatured: false }),
  });
  assert.equal(carols.status, 403);
  const carolsId = ((await carols.json()) as { error: { innerError: { requestId: string } } }).error.innerError.requestId;
  const self = await fetch(`${base}/maa/v1/requests/${carolsId}/approve`, {
    method: 'POST',
    headers: as('demo-carol', { 'content-type': 'application/json' }),
    body: JSON.stringify({ notes: 'mine, but fine' }),
  });
  assert.equal(self.status, 403);
  const refusal = (await self.json()) as { error: { code: string; reasons?: string[] } };
  assert.ok(['FORBIDDEN', 'SELF_APPROVAL'].includes(refusal.error.code), refusal.error.code);
  assert.ok(refusal.error.reasons?.some((r) => /own request/.test(r)), JSON.stringify(refusal));

  // 8. An access-policy change passes two stages: policy-approvers (dave), then security-approvers (heidi).
  const policyChange = await fetch(`${base}/deviceManagement/operationApprovalPolicies/p1`, {
    method: 'PATCH',
    headers: as('demo-alice', { 'content-type': 'application/json', 'x-maa-justification': 'INC-1240' }),
    body: JSON.stringify({ description: 'Apps need two admins' }),
  });
  assert.equal(policyChange.status, 403);
  const staged = ((await policyChange.json()) as { error: { innerError: { requestId: string } } }).error.innerError.requestId;
  const approveAs = (token: string) =>
    fetch(`${base}/maa/v1/requests/${staged}/approve`, { method: 'POST', headers: as(token, { 'content-type': 'application/json' }), body: JSON.stringify({ notes: 'ok' }) });
  const tooEarly = await approveAs('demo-heidi');
  assert.equal(tooEarly.status, 409);
  assert.equal(((await tooEarly.json()) as { error: { code: string } }).error.code, 'NOT_CURRENT_STAGE');
  const byDave = (await (await approveAs('demo-dave')).json()) as { status: string; stage: string };
  assert.deepEqual([byDave.status, byDave.stage], ['needsApproval', 'security']);
  const byHeidi = (await (await approveAs('demo-heidi')).json()) as { status: string };
  assert.equal(byHeidi.status, 'approved');
  const policyDone = await fetch(`${base}/maa/v1/requests/${staged}/complete`, { method: 'POST', headers: as('demo-alice') });
  assert.equal(policyDone.headers.get('x-maa-request-status'), 'completed');

  // Ctrl-C: SIGINT to the whole process group, as a terminal sends it.
  process.kill(-pgid, 'SIGINT');
  const code = await Promise.race([exited, new Promise<string>((r) => setTimeout(() => r('timeout'), 15_000))]);
  assert.notEqual(code, 'timeout', `the demo did not stop:\n${output}`);
  await until(() => !groupAlive(pgid), 10_000, 'every process of the demo to exit');
  assert.equal(await canConnect(port), false, 'the gateway port is closed');
  assert.equal(await canConnect(Number(new URL(upstream).port)), false, 'the Graph API port is closed');
  assert.equal(existsSync(join(dataDir, 'demo.lock')), false, 'the Redis data lock is released');
  assert.ok(existsSync(join(dataDir, 'appendonlydir')), 'Redis kept an append-only file in the data folder');
});
