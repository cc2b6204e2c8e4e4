/**
 * The approval CLI drives every step of the README walkthrough against a started demo (real
 * gateway, real Redis, real policy, the demo Graph API), with human and --json output and the
 * exit codes of docs/cli.md. Commands run in-process through `run(args, io)`; one test runs the
 * real `countersign` binary to check the exit code reaches the shell.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { run, type CliIo } from '../../src/cli/approval-commands';
import { ExitCode } from '../../src/cli/gateway-client';
import { clean, table } from '../../src/cli/format';
import { startDemo, type Demo } from '../../src/demo/start-demo';
import { freePort, startRedis, type TestRedis } from '../support/redis-server';

const ROOT = new URL('../../', import.meta.url).pathname;

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

let demo: Demo;
let redis: TestRedis;

/** Runs one CLI command as `token` against the demo. */
async function cli(token: string | undefined, ...args: string[]): Promise<Result> {
  let stdout = '';
  let stderr = '';
  const io: CliIo = {
    stdout: (t) => (stdout += t),
    stderr: (t) => (stderr += t),
    env: { COUNTERSIGN_URL: demo?.gatewayUrl, ...(token ? { COUNTERSIGN_TOKEN: token } : {}) },
  };
  const code = await run(args, io);
  return { code, stdout, stderr };
}

/** A protected change through the gateway, as the walkthrough's curl line does it. */
async function park(token: string, path: string, body: unknown, justification = 'Ticket INC-1234'): Promise<string> {
  const response = await fetch(`${demo.gatewayUrl}${path}`, {
    method: 'PATCH',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'x-maa-justification': encodeURIComponent(justification) },
    body: JSON.stringify(body),
  });
  // The demo answers a parked change as Graph under Multi Admin Approval does.
  assert.equal(response.status, 403, await response.clone().text());
  return ((await response.json()) as { error: { innerError: { requestId: string } } }).error.innerError.requestId;
}

before(async () => {
  redis = await startRedis();
  demo = await startDemo({ port: 0, redisUrl: redis.url });
});

after(async () => {
  await demo?.stop();
  await redis?.stop();
});

describe('countersign approval commands against the demo', () => {
  test('the walkthrough: list, show, approve with notes, complete; the change reaches the demo API', async () => {
    const id = await park('demo-alice', '/deviceAppManagement/mobileApps/42', { displayName: 'Contoso Portal CLI' }, 'Ticket INC-1234: rename');

    // alice lists her requests: a table, and JSON for scripts.
    const table = await cli('demo-alice', 'requests', 'list', '--mine');
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /^ID\s+STATUS\s+PROFILE\s+OPERATION\s+REQUESTOR\s+APPROVALS/);
    assert.match(table.stdout, new RegExp(`${id}\\s+needsApproval\\s+apps\\s+modify\\s+alice\\s+0/1`));
    const json = await cli('demo-alice', 'requests', 'list', '--json', '--status', 'needsApproval', '--limit', '5');
    assert.equal(json.code, 0, json.stderr);
    const page = JSON.parse(json.stdout) as { items: { id: string; status: string }[] };
    assert.ok(page.items.some((r) => r.id === id && r.status === 'needsApproval'));

    // bob sees it among the requests he may approve, and reads it.
    const received = JSON.parse((await cli('demo-bob', 'requests', 'list', '--received', '--json')).stdout) as { items: { id: string }[] };
    assert.ok(received.items.some((r) => r.id === id));
    const shown = await cli('demo-bob', 'requests', 'show', id);
    assert.equal(shown.code, 0, shown.stderr);
    assert.match(shown.stdout, /justification:\s+Ticket INC-1234: rename/);
    assert.match(shown.stdout, /call:\s+PATCH \/deviceAppManagement\/mobileApps\/42/);
    assert.match(shown.stdout, /approve\s+yes/);
    assert.match(shown.stdout, /"displayName":"Contoso Portal CLI"/);

    // bob approves with notes.
    const approved = await cli('demo-bob', 'approve', id, '--notes', 'Looks right', '--json');
    assert.equal(approved.code, 0, approved.stderr);
    const request = JSON.parse(approved.stdout) as { status: string; approvals: { userId: string; notes: string }[] };
    assert.equal(request.status, 'approved');
    assert.deepEqual(request.approvals.map((a) => [a.userId, a.notes]), [['bob', 'Looks right']]);

    // alice completes; the upstream answers 204 and the change is there.
    const completed = await cli('demo-alice', 'complete', id, '--json');
    assert.equal(completed.code, ExitCode.ok, completed.stderr);
    assert.deepEqual(JSON.parse(completed.stdout), { requestId: id, requestStatus: 'completed', upstream: { status: 204, body: '' } });
    const app = (await (await fetch(`${demo.upstreamUrl}/deviceAppManagement/mobileApps/42`, { headers: { authorization: 'Bearer demo-alice' } })).json()) as { displayName: string };
    assert.equal(app.displayName, 'Contoso Portal CLI');

    // Completing twice is refused by the gateway: exit 1.
    const again = await cli('demo-alice', 'complete', id);
    assert.equal(again.code, ExitCode.refused);
    assert.match(again.stderr, /INVALID_STATE/);
  });

  test('carol cannot approve her own change: exit 1, and --json gives the refusal', async () => {
    const id = await park('demo-carol', '/deviceManagement/deviceManagementScripts/7', { description: 'carol was here' });
    const self = await cli('demo-carol', 'approve', id, '--notes', 'mine', '--json');
    assert.equal(self.code, ExitCode.refused);
    const body = JSON.parse(self.stdout) as { error: { code: string; reasons: string[] } };
    assert.ok(['FORBIDDEN', 'SELF_APPROVAL'].includes(body.error.code));
    assert.ok(body.error.reasons.some((r) => /own request/.test(r)), JSON.stringify(body));
    assert.match(self.stderr, /^countersign: refused: /);

    // Human output names the reason too; then carol withdraws it.
    const human = await cli('demo-carol', 'approve', id);
    assert.equal(human.code, ExitCode.refused);
    // Said once: the gateway's message already carries the policy's reason.
    assert.equal(human.stderr.match(/cannot approve their own request/g)?.length, 1, human.stderr);
    const canceled = await cli('demo-carol', 'cancel', id);
    assert.equal(canceled.code, 0, canceled.stderr);
    assert.equal(canceled.stdout, `canceled request ${id}\n`);
    const shown = JSON.parse((await cli('demo-carol', 'requests', 'show', id, '--json')).stdout) as { status: string };
    assert.equal(shown.status, 'canceled');
  });

  test('reject with notes; the requestor sees them', async () => {
    const id = await park('demo-alice', '/deviceAppManagement/mobileApps/43', { isFeatured: false });
    const rejected = await cli('demo-bob', 'reject', id, '--notes', 'Keep it featured');
    assert.equal(rejected.code, 0, rejected.stderr);
    const shown = await cli('demo-alice', 'requests', 'show', id);
    assert.match(shown.stdout, /status:\s+rejected/);
    assert.match(shown.stdout, /rejected:\s+by bob at .*: Keep it featured/);
    const list = await cli('demo-alice', 'requests', 'list', '--status', 'rejected', '--json');
    assert.ok((JSON.parse(list.stdout) as { items: { id: string }[] }).items.some((r) => r.id === id));
  });

  test('complete that the upstream refuses: the request fails, exit 4', async () => {
    // The demo Graph API refuses to set the read-only `id`; the gateway only sees a PATCH of a protected app.
    const id = await park('demo-alice', '/deviceAppManagement/mobileApps/43', { id: 'not-yours' });
    assert.equal((await cli('demo-carol', 'approve', id, '--notes', 'ok')).code, 0);
    const failed = await cli('demo-alice', 'complete', id, '--json');
    assert.equal(failed.code, ExitCode.upstreamRefused, failed.stderr);
    const outcome = JSON.parse(failed.stdout) as { requestStatus: string; upstream: { status: number; body: { error: { code: string } } } };
    assert.equal(outcome.requestStatus, 'failed');
    assert.equal(outcome.upstream.status, 400);
    assert.equal(outcome.upstream.body.error.code, 'BadRequest');
  });

  test('an unknown request is refused with exit 1; a malformed id is a usage error', async () => {
    assert.equal((await cli('demo-bob', 'requests', 'show', 'no-such-request')).code, ExitCode.refused);
    assert.equal((await cli('demo-bob', 'requests', 'show', '../../me')).code, ExitCode.usage);
    // The API's own id pattern: what it could only answer 404 for is not sent.
    assert.equal((await cli('demo-bob', 'requests', 'show', 'x'.repeat(65))).code, ExitCode.usage);
  });
});

describe('usage and reachability', () => {
  const cases: [string, (string | undefined)[], RegExp][] = [
    ['no token', [undefined, 'requests', 'list'], /no token/],
    ['unknown option', ['t', 'requests', 'list', '--colour'], /Unknown option/],
    ['two views', ['t', 'requests', 'list', '--mine', '--received'], /choose one/],
    ['bad status', ['t', 'requests', 'list', '--status', 'pending'], /--status must be one of/],
    ['bad limit', ['t', 'requests', 'list', '--limit', '500'], /--limit/],
    ['missing id', ['t', 'approve'], /expected one request ID/],
    ['reject without notes', ['t', 'reject', 'abc'], /reject needs --notes/],
    ['notes too long', ['t', 'approve', 'abc', '--notes', 'x'.repeat(1001)], /at most 1000/],
    ['unknown subcommand', ['t', 'requests', 'delete'], /unknown subcommand/],
    ['bad url', ['t', 'requests', 'list', '--url', 'ftp://x'], /http\(s\) URL/],
  ];
  for (const [name, [token, ...args], message] of cases) {
    test(`${name}: exit 2, nothing sent`, async () => {
      const result = await cli(token, ...(args as string[]));
      assert.equal(result.code, ExitCode.usage);
      assert.match(result.stderr, message);
      assert.equal(result.stdout, '');
    });
  }

  test('gateway unreachable: exit 3', async () => {
    const port = await freePort();
    const result = await cli('demo-bob', 'requests', 'list', '--url', `http://127.0.0.1:${port}`);
    assert.equal(result.code, ExitCode.unavailable);
    assert.match(result.stderr, /cannot reach the gateway at http:\/\/127\.0\.0\.1:\d+/);
  });

  test('a wrong token is refused by the gateway: exit 1, and the token is never printed', async () => {
    const result = await cli('not-a-real-token', 'requests', 'list');
    assert.equal(result.code, ExitCode.refused);
    assert.match(result.stderr, /UNAUTHENTICATED/);
    assert.ok(!result.stderr.includes('not-a-real-token') && !result.stdout.includes('not-a-real-token'));
  });

  test('the countersign binary passes the exit code to the shell', async () => {
    // Asynchronous on purpose: the demo's gateway runs in this process and must keep answering.
    const binary = (...args: string[]) =>
      new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve, reject) => {
        const child = spawn(process.execPath, ['bin/countersign.mjs', ...args], {
          cwd: ROOT,
          env: { ...process.env, COUNTERSIGN_URL: demo.gatewayUrl, COUNTERSIGN_TOKEN: 'demo-dave' },
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
        child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
        child.once('error', reject);
        child.once('close', (status) => resolve({ status, stdout, stderr }));
      });
    const [listed, refused] = await Promise.all([binary('requests', 'list', '--json'), binary('approve', 'nope', '--notes', 'x')]);
    assert.equal(listed.status, 0, listed.stderr);
    assert.ok(Array.isArray((JSON.parse(listed.stdout) as { items: unknown[] }).items));
    assert.equal(refused.status, ExitCode.refused, refused.stderr);
  });
});

describe('output', () => {
  test('requests diff: the change against the object, a script decoded as lines; a stale complete shows the diff against it now', async () => {
    const script = '#!/bin/sh\ndefaults write /Library/Preferences/com.apple.loginwindow LoginwindowText "Contoso"\necho done\n';
    const path = '/deviceManagement/deviceShellScripts/sh-1';
    const id = await park('demo-alice', path, { scriptContent: Buffer.from(script).toString('base64') });

    const text = await cli('demo-bob', 'requests', 'diff', id);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /^request: +\S+/m);
    assert.match(text.stdout, /^snapshot: +captured .*ETag W\/"/m);
    assert.match(text.stdout, /^~ \/scriptContent \(base64, decoded\):$/m);
    assert.match(text.stdout, /^ {6}#!\/bin\/sh$/m);
    assert.match(text.stdout, /^    \+ echo done$/m);
    const json = await cli('demo-bob', 'requests', 'diff', id, '--json');
    assert.equal(json.code, 0);
    const diff = JSON.parse(json.stdout) as { changes: Array<{ path: string; encoding?: string; text?: { after: string } }> };
    assert.equal(diff.changes.find((c) => c.path === '/scriptContent')?.text?.after, script);

    assert.equal((await cli('demo-bob', 'approve', id)).code, 0);
    // Someone changes the script directly upstream: complete refuses, the request is stale.
    const direct = await fetch(`${demo.upstreamUrl}${path}`, { method: 'PATCH', headers: { authorization: 'Bearer demo-carol', 'content-type': 'application/json' }, body: JSON.stringify({ retryCount: 5 }) });
    assert.equal(direct.status, 204);
    const stale = await cli('demo-alice', 'complete', id);
    assert.equal(stale.code, ExitCode.refused);
    assert.match(stale.stderr, /STALE_OBJECT/);
    assert.match(stale.stderr, /the change against the object as it is now:/);
    const shown = await cli('demo-alice', 'requests', 'show', id, '--json');
    assert.equal((JSON.parse(shown.stdout) as { status: string }).status, 'stale');
  });

  test('text from other people cannot drive the terminal', () => {
    assert.equal(clean('ok\u001b[2J\rgone\u009b'), 'ok?[2J?gone?');
    assert.equal(table(['A', 'B'], [['\u001b]0;owned\u0007', 'x']]), 'A           B\n?]0;owned?  x\n');
  });

  test('docs/cli.md documents exactly the exit codes of the CLI', () => {
    const doc = readFileSync(new URL('../../docs/cli.md', import.meta.url), 'utf8');
    const section = doc.slice(doc.indexOf('## Exit codes'), doc.indexOf('##', doc.indexOf('## Exit codes') + 3));
    const documented = [...section.matchAll(/^\| (\d) \|/gm)].map((m) => Number(m[1])).sort();
    assert.deepEqual(documented, Object.values(ExitCode).sort());
  });
});
