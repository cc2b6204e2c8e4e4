/**
 * Issue 10's "done when": ten minutes from git clone to protecting your own API, with nothing
 * written by hand but an access policy's `enabled: true`. A real third-party server (json-server,
 * started from npm) serves an API and its OpenAPI document; `countersign init` reads it over HTTP,
 * `countersign policy test` passes, the gateway starts as `npm start` starts it (a child process),
 * a change is parked, approved by a second local token, completed, and json-server has it.
 */
import assert from 'node:assert/strict';
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, test } from 'node:test';
import { parse } from 'yaml';
import { PROJECT_ROOT } from '../../src/config/gateway-config';
import { freePort, startRedis, type TestRedis } from '../support/redis-server';

const exec = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'countersign-walk-'));
const children: ChildProcess[] = [];
let redis: TestRedis | undefined;
after(async () => {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
  }
  await redis?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** Starts a child and keeps the tail of its output for failure messages. */
function start(command: string, args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv }): { child: ChildProcess; output: () => string } {
  const child = spawn(command, args, { cwd: options.cwd, env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let output = '';
  const keep = (chunk: Buffer) => (output = (output + chunk.toString('utf8')).slice(-8000));
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  return { child, output: () => output };
}

async function waitFor(url: string, what: string, output: () => string, ok = (status: number) => status === 200): Promise<void> {
  const deadline = Date.now() + 60_000;
  let last = 'no answer';
  while (Date.now() < deadline) {
    try {
      const res = await fetch(url);
      await res.arrayBuffer();
      if (ok(res.status)) return;
      last = `HTTP ${res.status}`;
    } catch (error) {
      last = (error as Error).message;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  assert.fail(`${what} did not answer at ${url} (last: ${last}):\n${output()}`);
}

/** The countersign command, as a user runs it (`npx countersign` runs this bin). */
function countersign(args: string[], env: NodeJS.ProcessEnv = {}) {
  // As typed in a shell in `dir`: no INIT_CWD inherited from an `npm test` around this test.
  const { INIT_CWD: _npm, ...shell } = process.env;
  return exec(process.execPath, [join(PROJECT_ROOT, 'bin/countersign.mjs'), ...args], { cwd: dir, env: { ...shell, ...env }, timeout: 120_000 });
}

test('init → policy test → npm start → park → approve → complete, against json-server', { timeout: 240_000 }, async () => {
  // The upstream: json-server 0.17 with a posts collection, serving its OpenAPI document as a static file.
  const api = join(dir, 'api');
  mkdirSync(join(api, 'public'), { recursive: true });
  writeFileSync(join(api, 'db.json'), JSON.stringify({ posts: [{ id: 1, title: 'hello', author: 'typicode' }], comments: [] }));
  copyFileSync(join(PROJECT_ROOT, 'test/fixtures/openapi/json-server.yaml'), join(api, 'public/openapi.yaml'));
  const apiPort = await freePort();
  const jsonServerBin = join(createRequire(import.meta.url).resolve('json-server/package.json'), '..', 'lib/cli/bin.js');
  const upstream = start(process.execPath, [jsonServerBin, '--port', String(apiPort), '--host', '127.0.0.1', '--static', 'public', 'db.json'], { cwd: api });
  const apiUrl = `http://127.0.0.1:${apiPort}`;
  await waitFor(`${apiUrl}/posts/1`, 'json-server', upstream.output);

  // 1. init from the upstream's URL and the URL of its OpenAPI document.
  const out = join(dir, 'my-api');
  const initialized = await countersign(['init', '--upstream', apiUrl, '--openapi', `${apiUrl}/openapi.yaml`, '--out', 'my-api']);
  assert.match(initialized.stdout, /2 profile types/);
  // The one hand edit: switch on the access policy of posts.
  const policyFile = join(out, 'access-policies/posts.yaml');
  const policyText = readFileSync(policyFile, 'utf8');
  assert.match(policyText, /^enabled: false$/m);
  writeFileSync(policyFile, policyText.replace(/^enabled: false$/m, 'enabled: true'));

  // 2. policy test, finding the folder through COUNTERSIGN_CONFIG as the gateway will.
  const tested = await countersign(['policy', 'test'], { COUNTERSIGN_CONFIG: 'my-api' });
  assert.match(tested.stdout, /config ok: 2 profile types, 2 access policies \(1 enabled\)/);
  assert.match(tested.stdout, /PASS: \d+\/\d+/);

  // 3. npm start: its command from package.json, with the folder and the test's Redis and port.
  redis = await startRedis();
  const port = await freePort();
  const [command, ...args] = (JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8')) as { scripts: { start: string } }).scripts.start.split(' ');
  assert.equal(command, 'node');
  const gateway = start(process.execPath, args, {
    cwd: PROJECT_ROOT,
    env: { ...process.env, COUNTERSIGN_CONFIG: out, PORT: String(port), REDIS_URL: redis.url, COUNTERSIGN_LOG_LEVEL: 'warn' },
  });
  const base = `http://127.0.0.1:${port}`;
  await waitFor(`${base}/readyz`, 'the gateway', gateway.output);

  const tokens = (parse(readFileSync(join(out, 'local-tokens.yaml'), 'utf8')) as { tokens: { token: string; userId: string }[] }).tokens;
  const token = (user: string) => tokens.find((t) => t.userId === user)!.token;

  // Reads pass through; a call without a token is refused.
  const read = await fetch(`${base}/posts/1`, { headers: { authorization: `Bearer ${token('alice')}` } });
  assert.equal(read.status, 200);
  assert.equal(((await read.json()) as { title: string }).title, 'hello');
  assert.equal((await fetch(`${base}/posts/1`, { method: 'PATCH', body: '{}' })).status, 401);

  // 4. alice changes a post: parked, json-server untouched.
  const parked = await fetch(`${base}/posts/1`, {
    method: 'PATCH',
    headers: { authorization: `Bearer ${token('alice')}`, 'content-type': 'application/json', 'x-maa-justification': 'rename the first post' },
    body: JSON.stringify({ title: 'approved title' }),
  });
  assert.equal(parked.status, 202, gateway.output());
  const { requestId } = (await parked.json()) as { requestId: string };
  assert.ok(requestId);
  assert.equal(((await (await fetch(`${apiUrl}/posts/1`)).json()) as { title: string }).title, 'hello', 'not applied before approval');

  // alice cannot approve her own change; bob, the second local token, approves with the CLI.
  const cli = (user: string) => ({ COUNTERSIGN_URL: base, COUNTERSIGN_TOKEN: token(user) });
  await assert.rejects(countersign(['approve', requestId, '--notes', 'self'], cli('alice')), (error: { code?: number; stderr?: string }) => {
    assert.equal(error.code, 1);
    assert.match(error.stderr ?? '', /own request/);
    return true;
  });
  const approved = await countersign(['approve', requestId, '--notes', 'looks right'], cli('bob'));
  assert.match(approved.stdout, /approved request .*: it is approved; the requestor can complete it now/);
  // Approving again is refused, and the reason is said once (not "… approved (… approved)").
  await assert.rejects(countersign(['approve', requestId], cli('bob')), (error: { code?: number; stderr?: string }) => {
    assert.equal(error.code, 1);
    assert.match(error.stderr ?? '', /INVALID_STATE: cannot approve: the request is approved/);
    assert.equal(error.stderr?.match(/approved, not needsApproval/g)?.length, 1, error.stderr);
    return true;
  });

  // 5. alice completes: the gateway replays the parked call and json-server has the change.
  const completed = await countersign(['complete', requestId], cli('alice'));
  assert.match(completed.stdout, /completed request .*: the upstream answered 200/);
  // json-server answers pretty-printed JSON: its line breaks stay line breaks, not '?'.
  assert.ok(completed.stdout.includes('\n  "title": "approved title"'), completed.stdout);
  assert.ok(!completed.stdout.includes('?'), completed.stdout);
  const after = (await (await fetch(`${apiUrl}/posts/1`)).json()) as { title: string; author: string };
  assert.deepEqual(after, { id: 1, title: 'approved title', author: 'typicode' });
});
