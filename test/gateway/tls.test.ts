/**
 * TLS on the gateway's port: a real https gateway (real policy, real redis-server, a fake upstream)
 * with certificates made by `selfsigned` here. A read and a parked change over one kept-alive TLS
 * connection; the reload main.ts runs on SIGHUP serves the new certificate to the next connection
 * without dropping the open one; a bad file on reload keeps the old certificate; a bad
 * configuration stops the process at start, naming the file.
 */
import { after, afterEach, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { Writable } from 'node:stream';
import pino from 'pino';
import selfsigned from 'selfsigned';
import { loadGatewayConfig, PROJECT_ROOT } from '../../src/config/gateway-config';
import { createGateway, type Gateway } from '../../src/server';
import { createRequestStore } from '../../src/requests/redis-store';
import type { RequestStore } from '../../src/requests/types';
import { freePort, randomDeployment } from '../support/redis-server';
import { startUpstream, type TestUpstream } from '../support/upstream';
import { auth, startSuite, type Suite } from '../support/harness';

interface Pem {
  cert: string;
  key: string;
  fingerprint256: string;
}

/** A self-signed certificate for localhost and 127.0.0.1, as the demo makes one. */
function makeCertificate(commonName: string): Pem {
  const made = selfsigned.generate([{ name: 'commonName', value: commonName }], {
    keySize: 2048,
    days: 7,
    algorithm: 'sha256',
    extensions: [
      { name: 'basicConstraints', cA: true },
      { name: 'subjectAltName', altNames: [{ type: 2, value: 'localhost' }, { type: 7, ip: '127.0.0.1' }] },
    ],
  });
  return { cert: made.cert, key: made.private, fingerprint256: new X509Certificate(made.cert).fingerprint256 };
}

const dir = mkdtempSync(join(tmpdir(), 'countersign-tls-'));
const certFile = join(dir, 'cert.pem');
const keyFile = join(dir, 'key.pem');
const first = makeCertificate('countersign-first');
const second = makeCertificate('countersign-second');

function install(pem: { cert: string; key: string }): void {
  writeFileSync(certFile, pem.cert);
  writeFileSync(keyFile, pem.key, { mode: 0o600 });
}

let suite: Suite;
let upstream: TestUpstream;
let store: RequestStore;
let gateway: Gateway;
let port: number;
let logs: string[];

before(async () => {
  suite = await startSuite();
});
after(async () => {
  await suite.close();
  rmSync(dir, { recursive: true, force: true });
});

beforeEach(async () => {
  install(first);
  upstream = await startUpstream();
  const deployment = randomDeployment();
  const config = loadGatewayConfig({
    file: join(PROJECT_ROOT, 'config/gateway.yaml'),
    env: {},
    overrides: {
      listen: { host: '127.0.0.1', port: 0, tls: { certFile, keyFile } },
      upstream: { url: upstream.url, timeoutMs: 5_000 },
      redis: { url: suite.redis.url, deployment },
      policy: { policiesDir: join(PROJECT_ROOT, 'policies'), configDir: suite.configDir, watch: false },
      identity: { staticTokensFile: join(PROJECT_ROOT, 'config/demo/tokens.yaml') },
      console: { enabled: false },
    },
  });
  store = await createRequestStore({ url: suite.redis.url, deployment, retention: { openMs: 60_000, approvedMs: 60_000, endedMs: 60_000 } });
  logs = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logs.push(chunk.toString('utf8'));
      done();
    },
  });
  gateway = createGateway({ config, policy: suite.policy, store, identity: suite.identity, logger: pino({ level: 'info' }, sink) });
  await new Promise<void>((resolve) => gateway.server.listen(0, '127.0.0.1', () => resolve()));
  port = (gateway.server.address() as AddressInfo).port;
});

afterEach(async () => {
  await gateway.close();
  await store.close();
  await upstream.stop();
});

interface Answer {
  status: number;
  body: string;
  headers: Record<string, string | string[] | undefined>;
  socket: TLSSocket;
}

/** One call over `agent`, trusting only `ca` (the certificate the test expects to be served). */
function call(agent: https.Agent, ca: string, method: string, path: string, headers: Record<string, string> = {}, body?: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = https.request({ host: 'localhost', port, method, path, headers, agent, ca }, (res) => {
      // Taken now: a kept-alive socket is detached from the response once it ends.
      const socket = res.socket as TLSSocket;
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), headers: res.headers, socket }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** The certificate a fresh connection is shown (verification off: the test only looks). */
function servedFingerprint(at = port): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = https.request({ host: '127.0.0.1', port: at, path: '/healthz', agent: false, rejectUnauthorized: false }, (res) => {
      const fingerprint = (res.socket as TLSSocket).getPeerCertificate().fingerprint256;
      res.resume();
      res.on('end', () => resolve(fingerprint));
    });
    req.on('error', reject);
    req.end();
  });
}

function metric(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('the gateway over TLS', () => {
  test('a parked change and a read travel over one kept-alive TLS connection', async () => {
    const agent = new https.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const parked = await call(
        agent,
        first.cert,
        'PATCH',
        '/deviceAppManagement/mobileApps/42',
        { authorization: auth('alice'), 'content-type': 'application/json', 'x-maa-justification': 'over TLS' },
        '{"displayName":"Contoso Portal 2"}',
      );
      assert.equal(parked.status, 202, parked.body);
      assert.equal(JSON.parse(parked.body).status, 'needsApproval');
      assert.equal(parked.socket.authorized, true, 'the client verified the certificate for localhost');
      assert.equal(parked.socket.getPeerCertificate().fingerprint256, first.fingerprint256);
      assert.deepEqual(upstream.mutations, [], 'the parked change did not reach the upstream');

      // The read goes second: the proxied answer carries the fake upstream's own Keep-Alive hint
      // (timeout=1), after which node's agent retires the socket.
      const read = await call(agent, first.cert, 'GET', '/deviceAppManagement/mobileApps/42', { authorization: auth('alice') });
      assert.equal(read.status, 200, read.body);
      assert.equal(read.headers['x-upstream'], 'yes');
      assert.equal(read.socket, parked.socket, "the read reused the parked change's TLS connection");
      assert.equal(upstream.calls.length, 1, 'only the read reached the upstream');
    } finally {
      agent.destroy();
    }
  });

  test('plain HTTP on the TLS port gets no answer from the request path', async () => {
    const status = await fetch(`http://127.0.0.1:${port}/healthz`).then(
      (res) => res.status,
      () => 'refused',
    );
    assert.equal(status, 'refused');
    assert.equal(upstream.calls.length, 0);
  });

  test('reload (what SIGHUP runs) serves the new certificate to the next connection; the open one stays up', async () => {
    const agent = new https.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      // Gateway routes (not proxied) keep the connection for as long as the test wants it.
      const before = await call(agent, first.cert, 'GET', '/healthz');
      assert.equal(before.status, 200);

      install(second);
      const reload = gateway.reloadTls();
      assert.equal(reload.result, 'reloaded');
      assert.equal(reload.result === 'reloaded' && reload.certificate.fingerprint256, second.fingerprint256);

      // The connection opened before the reload keeps working, with the certificate it was shown.
      const kept = await call(agent, first.cert, 'GET', '/readyz');
      assert.equal(kept.status, 200);
      assert.equal(kept.socket, before.socket, 'the open connection was not dropped');
      assert.equal(kept.socket.getPeerCertificate().fingerprint256, first.fingerprint256);

      assert.equal(await servedFingerprint(), second.fingerprint256, 'a new connection is shown the new certificate');
      const fresh = await call(new https.Agent({ keepAlive: false }), second.cert, 'GET', '/deviceAppManagement/mobileApps/42', { authorization: auth('alice') });
      assert.equal(fresh.status, 200, 'and a client that trusts only the new certificate gets through');

      const metrics = await call(new https.Agent(), second.cert, 'GET', '/metrics');
      assert.equal(metric(metrics.body, 'countersign_tls_reloads_total{result="reloaded"}'), 1);
      const notAfter = metric(metrics.body, 'countersign_tls_certificate_not_after_seconds');
      assert.equal(notAfter, Math.floor(new Date(new X509Certificate(second.cert).validTo).getTime() / 1000));
    } finally {
      agent.destroy();
    }
  });

  test('a bad file on reload keeps the old certificate, logs a warning without the key and counts it', async () => {
    const cases: [string, () => void, RegExp][] = [
      ['a certificate file that is not PEM', () => writeFileSync(certFile, 'not a certificate\n'), /listen\.tls\.certFile .*cert\.pem: holds no PEM certificate/],
      ['a key of another certificate', () => install({ cert: second.cert, key: first.key }), /listen\.tls\.keyFile .*key\.pem: the key does not belong to the first certificate/],
      ['a missing key file', () => rmSync(keyFile), /listen\.tls\.keyFile .*key\.pem: does not exist/],
    ];
    for (const [name, breakIt, reason] of cases) {
      install(first);
      breakIt();
      const reload = gateway.reloadTls();
      assert.equal(reload.result, 'failed', name);
      assert.match(reload.result === 'failed' ? reload.error : '', reason, name);
      assert.ok((reload.result === 'failed' ? reload.error : '').includes(dir), `${name}: the message names the absolute path`);
      assert.equal(await servedFingerprint(), first.fingerprint256, `${name}: the old certificate is still served`);
    }
    const text = logs.join('');
    assert.equal(text.match(/TLS reload failed: the current certificate stays in use/g)?.length, 3);
    assert.ok(!text.includes('PRIVATE KEY') && !text.includes(first.key.split('\n')[1]!), 'no key material in the logs');
    const metrics = await call(new https.Agent(), first.cert, 'GET', '/metrics');
    assert.equal(metric(metrics.body, 'countersign_tls_reloads_total{result="failed"}'), 3);
  });
});

describe('a bad TLS configuration is refused at start', () => {
  /** `npm start` as an operator runs it, with the TLS variables given; the configuration fails before anything starts. */
  function start(env: Record<string, string>): { status: number | null; stderr: string } {
    const run = spawnSync(process.execPath, ['--import', 'tsx', join(PROJECT_ROOT, 'src/main.ts')], {
      cwd: PROJECT_ROOT,
      env: { PATH: process.env.PATH, COUNTERSIGN_UPSTREAM_URL: 'http://127.0.0.1:9', COUNTERSIGN_STATIC_TOKENS: 'config/demo/tokens.yaml', COUNTERSIGN_CONFIG: join(PROJECT_ROOT, 'config/gateway.yaml'), ...env },
      encoding: 'utf8',
      timeout: 60_000,
    });
    return { status: run.status, stderr: run.stderr };
  }

  test('a missing file, half a setting and a file that is not PEM stop the process with exit code 2, naming the absolute path', () => {
    const notPem = join(dir, 'not-pem.txt');
    writeFileSync(notPem, 'hello\n');
    install(first);

    const missing = start({ COUNTERSIGN_TLS_CERT: certFile, COUNTERSIGN_TLS_KEY: join(dir, 'nope.pem') });
    assert.equal(missing.status, 2, missing.stderr);
    assert.match(missing.stderr, new RegExp(`listen\\.tls\\.keyFile ${join(dir, 'nope.pem').replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: does not exist`));

    const half = start({ COUNTERSIGN_TLS_CERT: certFile });
    assert.equal(half.status, 2, half.stderr);
    assert.match(half.stderr, /environment COUNTERSIGN_TLS_CERT: listen\.tls\.certFile needs listen\.tls\.keyFile \(COUNTERSIGN_TLS_KEY\) too/);

    const invalid = start({ COUNTERSIGN_TLS_CERT: notPem, COUNTERSIGN_TLS_KEY: keyFile });
    assert.equal(invalid.status, 2, invalid.stderr);
    assert.ok(invalid.stderr.includes(`listen.tls.certFile ${notPem}: holds no PEM certificate`), invalid.stderr);
    assert.ok(!invalid.stderr.includes(first.key.split('\n')[1]!), 'the key never appears in the message');
  });
});

describe('npm start', () => {
  test('SIGHUP makes the running process serve the renewed certificate; SIGTERM still stops it cleanly', { timeout: 120_000 }, async () => {
    const own = { certFile: join(dir, 'process-cert.pem'), keyFile: join(dir, 'process-key.pem') };
    writeFileSync(own.certFile, first.cert);
    writeFileSync(own.keyFile, first.key, { mode: 0o600 });
    const at = await freePort();
    const child = spawn(process.execPath, ['--import', 'tsx', join(PROJECT_ROOT, 'src/main.ts')], {
      cwd: PROJECT_ROOT,
      env: {
        PATH: process.env.PATH,
        ...(process.env.OPA_BIN ? { OPA_BIN: process.env.OPA_BIN } : {}),
        COUNTERSIGN_CONFIG: join(PROJECT_ROOT, 'config/gateway.yaml'),
        COUNTERSIGN_HOST: '127.0.0.1',
        PORT: String(at),
        COUNTERSIGN_UPSTREAM_URL: upstream.url,
        COUNTERSIGN_STATIC_TOKENS: 'config/demo/tokens.yaml',
        REDIS_URL: suite.redis.url,
        COUNTERSIGN_DEPLOYMENT: randomDeployment(),
        COUNTERSIGN_TLS_CERT: own.certFile,
        COUNTERSIGN_TLS_KEY: own.keyFile,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout!.on('data', (c: Buffer) => (output += c.toString('utf8')));
    child.stderr!.on('data', (c: Buffer) => (output += c.toString('utf8')));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const until = async (what: string, check: () => boolean): Promise<void> => {
      const deadline = Date.now() + 60_000;
      while (!check()) {
        if (child.exitCode !== null || Date.now() > deadline) assert.fail(`waiting for ${what}:\n${output}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    try {
      await until('the gateway to listen', () => output.includes('gateway listening'));
      assert.match(output, new RegExp(`"url":"https://127\\.0\\.0\\.1:${at}"`));
      assert.equal(await servedFingerprint(at), first.fingerprint256);

      writeFileSync(own.certFile, second.cert);
      writeFileSync(own.keyFile, second.key);
      child.kill('SIGHUP');
      await until('the reload', () => output.split('TLS certificate loaded').length === 3);
      assert.equal(await servedFingerprint(at), second.fingerprint256);
      assert.equal(child.exitCode, null, 'SIGHUP did not end the process');

      child.kill('SIGTERM');
      assert.equal(await exited, 0, output);
      assert.ok(!output.includes(second.key.split('\n')[1]!), 'no key material in the logs');
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  });
});
