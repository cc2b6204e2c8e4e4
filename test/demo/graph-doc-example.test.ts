/**
 * docs/graph.md's Graph JavaScript client example, run as printed (only the gateway's URL and the
 * polling interval changed) against the demo over TLS: the PATCH throws ApprovalRequired, bob
 * approves through the approval API, and the resend with the approval code applies the change.
 * Keeps the page's example true.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import https from 'node:https';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEMO_ROOT, startDemo, type Demo } from '../../src/demo/start-demo';
import { startRedis, type TestRedis } from '../support/redis-server';

let redis: TestRedis;
let demo: Demo;
const tlsDir = mkdtempSync(join(tmpdir(), 'countersign-graph-doc-tls-'));
// Under the project root, so the script finds @microsoft/microsoft-graph-client in node_modules.
mkdirSync(join(DEMO_ROOT, '.data'), { recursive: true });
const scriptDir = mkdtempSync(join(DEMO_ROOT, '.data', 'graph-doc-'));

before(async () => {
  redis = await startRedis();
  demo = await startDemo({ port: 0, redisUrl: redis.url, tls: true, tlsDir });
});

after(async () => {
  await demo?.stop();
  await redis?.stop();
  rmSync(tlsDir, { recursive: true, force: true });
  rmSync(scriptDir, { recursive: true, force: true });
});

/** A call to the approval API over the demo's https, trusting only its certificate. */
function api(method: string, path: string, token: string, body?: unknown): Promise<{ status: number; json: unknown }> {
  return new Promise((resolve, reject) => {
    const req = https.request(`${demo.gatewayUrl}${path}`, {
      method,
      ca: readFileSync(demo.certFile!),
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    });
    req.on('response', (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString('utf8')));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, json: text ? JSON.parse(text) : undefined }));
    });
    req.on('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

/** The page's one JavaScript block, pointed at this demo. */
function docExample(gatewayUrl: string): string {
  const page = readFileSync(join(DEMO_ROOT, 'docs/graph.md'), 'utf8');
  const blocks = [...page.matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1]!);
  assert.equal(blocks.length, 1, 'docs/graph.md has one JavaScript example');
  const gateway = "const GATEWAY = 'https://countersign.example.com:8443';";
  const poll = 'setTimeout(resolve, 30_000)';
  assert.ok(blocks[0]!.includes(gateway) && blocks[0]!.includes(poll), 'the example names its gateway URL and polling interval');
  return blocks[0]!.replace(gateway, `const GATEWAY = ${JSON.stringify(gatewayUrl)};`).replace(poll, 'setTimeout(resolve, 100)');
}

test("docs/graph.md's Graph client example: throws ApprovalRequired, and the resend after approval applies the change", { timeout: 60_000 }, async () => {
  const { port } = new URL(demo.gatewayUrl);
  const gateway = `https://localhost:${port}`;
  const script = join(scriptDir, 'example.mjs');
  writeFileSync(script, docExample(gateway));

  const child = spawn(process.execPath, [script], {
    env: { ...process.env, NODE_EXTRA_CA_CERTS: demo.certFile!, TOKEN: 'demo-alice' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (c: Buffer) => (output += c.toString('utf8')));
  child.stderr.on('data', (c: Buffer) => (output += c.toString('utf8')));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));

  // The script stops at the ApprovalRequired error and waits; nothing has reached the demo API.
  const deadline = Date.now() + 30_000;
  let id: string | undefined;
  while (!id && Date.now() < deadline && child.exitCode === null) {
    id = /waiting for approval of request (\S+)/.exec(output)?.[1];
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.ok(id, `the script did not wait for an approval:\n${output}`);
  const before = (await (await fetch(`${demo.upstreamUrl}/deviceAppManagement/mobileApps/42`, { headers: { authorization: 'Bearer demo-alice' } })).json()) as { displayName: string };
  assert.equal(before.displayName, 'Contoso Portal');

  const approved = await api('POST', `/maa/v1/requests/${id}/approve`, 'demo-bob', { notes: 'ok' });
  assert.equal(approved.status, 200, JSON.stringify(approved.json));

  assert.equal(await exited, 0, output);
  assert.match(output, /applied after approval/);
  const app = (await (await fetch(`${demo.upstreamUrl}/deviceAppManagement/mobileApps/42`, { headers: { authorization: 'Bearer demo-alice' } })).json()) as { displayName: string };
  assert.equal(app.displayName, 'Contoso Portal 2');
  // Completed by the resend, with the Base64 justification the script sent.
  const request = (await api('GET', `/maa/v1/requests/${id}`, 'demo-alice')).json as { status: string; justification: string };
  assert.deepEqual([request.status, request.justification], ['completed', 'Ticket INC-1234: rename the portal']);
});
