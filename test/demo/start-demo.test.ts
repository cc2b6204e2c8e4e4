/**
 * startDemo's own redis-server: a clear message when redis-server is missing, one demo per data
 * folder, append-only persistence within a run and a clean start on the next, and stop() leaves
 * nothing running. DEMO_TLS=1: https with a
 * self-signed certificate for localhost, and a banner whose curl lines trust exactly that file.
 */
import { canConnect, freePort } from '../support/redis-server';
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { DEMO_ROOT, DemoError, demoCertificate, startDemo } from '../../src/demo/start-demo';

const dataDir = mkdtempSync(join(tmpdir(), 'countersign-start-demo-'));
// These tests are about the demo's own Redis: never use one from the environment.
delete process.env.REDIS_URL;
after(() => rmSync(dataDir, { recursive: true, force: true }));


test('a missing redis-server gets a message that says what to install or set', async () => {
  const previous = process.env.REDIS_SERVER_BIN;
  process.env.REDIS_SERVER_BIN = join(dataDir, 'no-such-redis-server');
  try {
    await assert.rejects(startDemo({ port: 0, dataDir: join(dataDir, 'missing') }), (error: Error) => {
      assert.ok(error instanceof DemoError);
      assert.match(error.message, /was not found/);
      assert.match(error.message, /apt-get install redis-server/);
      assert.match(error.message, /REDIS_URL/);
      return true;
    });
    assert.equal(existsSync(join(dataDir, 'missing', 'demo.lock')), false, 'no lock is left behind');
  } finally {
    if (previous === undefined) delete process.env.REDIS_SERVER_BIN;
    else process.env.REDIS_SERVER_BIN = previous;
  }
});

test('own redis-server: append-only data in the folder, one demo per folder, stop() ends it', async () => {
  const folder = join(dataDir, 'own');
  const demo = await startDemo({ port: 0, dataDir: folder });
  let stopped = false;
  try {
    assert.equal(demo.ownRedis, true);
    const redisPort = Number(new URL(demo.redisUrl).port);
    assert.ok(await canConnect(redisPort));
    const [demoPid, redisPid] = readFileSync(join(folder, 'demo.lock'), 'utf8').trim().split(' ').map(Number);
    assert.equal(demoPid, process.pid);
    assert.ok(redisPid && redisPid !== process.pid);

    // A second demo on the same folder would write the same append-only file: refused.
    await assert.rejects(startDemo({ port: 0, dataDir: folder }), /uses .*stop it first/);

    // A parked request is written to the append-only file.
    const parked = await fetch(`${demo.gatewayUrl}/deviceManagement/operationApprovalPolicies/p1`, {
      method: 'PATCH',
      headers: { authorization: 'Bearer demo-alice', 'content-type': 'application/json', 'x-maa-justification': 'tighten' },
      body: '{"description":"two approvers"}',
    });
    // The demo answers as Graph under Multi Admin Approval: 403 ApprovalRequired.
    assert.equal(parked.status, 403);
    const { requestId: id, approverGroups } = ((await parked.json()) as { error: { innerError: { requestId: string; approverGroups: string[] } } }).error.innerError;
    // Two stages (config/access-policies/access-policies.yaml): every stage's groups are named.
    assert.deepEqual(approverGroups, ['policy-approvers', 'security-approvers']);
    const aof = join(folder, 'appendonlydir');
    assert.ok(existsSync(aof));

    await demo.stop();
    stopped = true;
    assert.equal(await canConnect(redisPort), false, 'redis-server stopped');
    assert.equal(await canConnect(Number(new URL(demo.gatewayUrl).port)), false, 'gateway stopped');
    assert.equal(existsSync(join(folder, 'demo.lock')), false, 'lock released');
    const written = readdirSync(aof)
      .map((name) => readFileSync(join(aof, name)).toString('latin1'))
      .join('');
    assert.ok(written.includes(id), 'the request reached the append-only file');
  } finally {
    if (!stopped) await demo.stop();
  }
});

test('each run starts clean: no earlier run\'s requests in the append-only file, and startDemo returns once /readyz is green', async () => {
  const folder = join(dataDir, 'clean');
  const aofText = () =>
    readdirSync(join(folder, 'appendonlydir'))
      .map((name) => readFileSync(join(folder, 'appendonlydir', name)).toString('latin1'))
      .join('');
  const park = async (gatewayUrl: string) => {
    const parked = await fetch(`${gatewayUrl}/deviceAppManagement/mobileApps/42`, {
      method: 'PATCH',
      headers: { authorization: 'Bearer demo-alice', 'content-type': 'application/json' },
      body: '{"displayName":"run"}',
    });
    assert.equal(parked.status, 403);
    return ((await parked.json()) as { error: { innerError: { requestId: string } } }).error.innerError.requestId;
  };

  const first = await startDemo({ port: 0, dataDir: folder });
  let firstId: string;
  try {
    // The banner is printed when startDemo returns: the first call must not meet a 503.
    assert.equal((await fetch(`${first.gatewayUrl}/readyz`)).status, 200);
    firstId = await park(first.gatewayUrl);
  } finally {
    await first.stop();
  }
  assert.ok(aofText().includes(firstId), 'the first run wrote its request');

  const second = await startDemo({ port: 0, dataDir: folder });
  try {
    assert.equal((await fetch(`${second.gatewayUrl}/readyz`)).status, 200);
    // The same object can be changed again: the first run's open request is gone with its run.
    const secondId = await park(second.gatewayUrl);
    // With appendfsync everysec, Redis postpones its AOF write (up to 2 s) while an fsync is still
    // running: on a busy disk the reply can come before the file has the request.
    let text = aofText();
    for (let waited = 0; !text.includes(secondId) && waited < 5000; waited += 100) {
      await sleep(100);
      text = aofText();
    }
    assert.ok(text.includes(secondId), 'the second run wrote its request');
    assert.ok(!text.includes(firstId), 'the append-only file does not carry the earlier run');
  } finally {
    await second.stop();
  }
});

test('DEMO_TLS=1: https with a self-signed certificate for localhost, the printed curl lines work as printed, the certificate is reused', { timeout: 120_000 }, async () => {
  const tlsDir = join(dataDir, 'tls');
  const port = await freePort();
  const env: NodeJS.ProcessEnv = { ...process.env, PORT: String(port), DEMO_TLS: '1', COUNTERSIGN_DEMO_DATA_DIR: join(dataDir, 'tls-redis'), COUNTERSIGN_DEMO_TLS_DIR: tlsDir };
  // detached: its own process group, signalled at once like Ctrl-C, and killed whatever happens.
  const child = spawn(process.execPath, ['--import', 'tsx', join(DEMO_ROOT, 'src/demo/main.ts')], { cwd: DEMO_ROOT, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (c: Buffer) => (output += c.toString('utf8')));
  child.stderr!.on('data', (c: Buffer) => (output += c.toString('utf8')));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  try {
    const deadline = Date.now() + 60_000;
    while (!output.includes('Countersign demo is running') && child.exitCode === null && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.ok(output.includes('Countersign demo is running'), `the demo did not start:\n${output}`);

    const certFile = join(tlsDir, 'cert.pem');
    const cert = new X509Certificate(readFileSync(certFile));
    assert.equal(cert.subjectAltName, 'DNS:localhost, IP Address:127.0.0.1');
    assert.equal((statSync(join(tlsDir, 'key.pem')).mode & 0o777).toString(8), '600', 'the key is readable by its owner only');

    const base = `https://localhost:${port}`;
    assert.ok(output.includes(`${base}/maa/console/`), output);
    assert.ok(!output.includes(`http://localhost:${port}`), 'no plain-http gateway URL is printed');
    assert.ok(output.includes(`NODE_EXTRA_CA_CERTS=${certFile}`), output);
    const curls = output.split('\n').filter((line) => /^\s+curl /.test(line)).map((line) => line.trim());
    assert.equal(curls.filter((line) => line.startsWith(`curl --cacert ${certFile} `)).length, curls.length, 'every curl line trusts the certificate explicitly');

    // The banner's read line, run exactly as printed: curl verifies the certificate against the file.
    const readLine = curls.find((line) => line.includes(' -s ') && line.endsWith('mobileApps/42 -H "Authorization: Bearer demo-alice"'));
    assert.ok(readLine, output);
    const read = spawnSync('bash', ['-c', readLine], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(read.status, 0, read.stderr);
    assert.equal((JSON.parse(read.stdout) as { id: string }).id, '42');

    // A protected change over https, trusting only the demo's certificate: parked.
    const parked = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = https.request(`${base}/deviceAppManagement/mobileApps/43`, {
        method: 'PATCH',
        ca: readFileSync(certFile),
        headers: { authorization: 'Bearer demo-alice', 'content-type': 'application/json', 'x-maa-justification': 'over%20https' },
      });
      req.on('response', (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString('utf8')));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      req.end('{"isFeatured":false}');
    });
    assert.equal(parked.status, 403, parked.body);
    const refused = (JSON.parse(parked.body) as { error: { code: string; innerError: { location: string } } }).error;
    assert.equal(refused.code, 'ApprovalRequired');
    // Links lead back to the gateway's https URL (upstream.publicUrl), not to the plain-http demo API.
    const context = (JSON.parse(read.stdout) as { '@odata.context': string })['@odata.context'];
    assert.ok(context.startsWith(`${base}/`), context);

    process.kill(-child.pid!, 'SIGINT');
    assert.equal(await exited, 0, output);
  } finally {
    if (child.exitCode === null && child.signalCode === null) process.kill(-child.pid!, 'SIGKILL');
  }

  // A valid certificate is kept for the next run (a client told to trust it keeps trusting it); a broken one is replaced.
  const kept = readFileSync(join(tlsDir, 'cert.pem'), 'utf8');
  demoCertificate(tlsDir);
  assert.equal(readFileSync(join(tlsDir, 'cert.pem'), 'utf8'), kept);
  writeFileSync(join(tlsDir, 'cert.pem'), 'broken\n');
  demoCertificate(tlsDir);
  assert.match(readFileSync(join(tlsDir, 'cert.pem'), 'utf8'), /^-----BEGIN CERTIFICATE-----/);
});
