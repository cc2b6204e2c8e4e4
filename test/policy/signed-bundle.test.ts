/**
 * Signed policy bundles from a bundle server: bundles built by the real `opa build --signing-key`
 * (through buildBundle) with a key made here, served by a small node http server with ETags,
 * fetched and verified by real engines and a real gateway.
 */
import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { pack } from 'tar-stream';
import { loadGatewayConfig } from '../../src/config/gateway-config';
import { DEMO_TOKENS_FILE } from '../../src/demo/start-demo';
import { startGateway } from '../../src/main';
import { unpackBundle } from '../../src/policy/bundle';
import { createPolicyEngine } from '../../src/policy/engine';
import { normalizeCall } from '../../src/policy/normalize-call';
import { buildBundle, PROJECT_ROOT } from '../../src/policy/opa-cli';
import type { DecisionInput, PolicyEngine } from '../../src/policy/types';
import { randomDeployment, startRedis } from '../support/redis-server';
import { createPublicKey } from 'node:crypto';
import { gzipSync } from 'node:zlib';

const work = mkdtempSync(join(tmpdir(), 'countersign-signed-'));
const cacheDir = join(work, 'cache');
const keyFile = join(work, 'bundle-key.pem');
const publicKeyFile = join(work, 'bundle-public.pem');
const configDir = join(PROJECT_ROOT, 'config');

function patchApp(): DecisionInput {
  const n = normalizeCall({ method: 'PATCH', url: '/deviceAppManagement/mobileApps/42', headers: {} }, { caseInsensitive: true });
  assert.ok(n.ok);
  return { call: n.call, caller: { userId: 'alice', groups: ['helpdesk'] } };
}

/** A static bundle server: GET with If-None-Match, 304 when the ETag matches, 404 when it has none. */
function bundleServer(): { url: Promise<string>; serve(bytes: Buffer | undefined): void; close(): Promise<void>; gets: number } {
  let current: Buffer | undefined;
  const state = { gets: 0 };
  const server = http.createServer((req, res) => {
    state.gets++;
    if (!current) return void res.writeHead(404).end();
    const etag = `"${createHash('sha256').update(current).digest('hex').slice(0, 16)}"`;
    if (req.headers['if-none-match'] === etag) return void res.writeHead(304, { etag }).end();
    res.writeHead(200, { etag, 'content-type': 'application/gzip', 'content-length': current.length }).end(current);
  });
  const url = new Promise<string>((resolve) => server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}/bundle.tar.gz`)));
  return {
    url,
    serve: (bytes) => (current = bytes),
    close: () => new Promise((r) => server.close(() => r())),
    get gets() {
      return state.gets;
    },
  };
}

/** Waits (bounded) until the condition holds; the assertion is on the state, not on the time it took. */
async function until(what: string, condition: () => boolean): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (condition()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.fail(`timed out waiting for ${what}`);
}

/** A bundle with one file replaced after signing. */
async function tamper(signed: Buffer, file: string, content: Buffer): Promise<Buffer> {
  const files = await unpackBundle(signed);
  files.set(file, content);
  const tar = pack();
  for (const [name, data] of files) tar.entry({ name: `/${name}` }, data);
  tar.finalize();
  const chunks: Buffer[] = [];
  for await (const c of tar) chunks.push(c as Buffer);
  return gzipSync(Buffer.concat(chunks));
}

let v1: Buffer;
let v2: Buffer;
let v2Unsigned: Buffer;

before(async () => {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  writeFileSync(keyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }));
  writeFileSync(publicKeyFile, publicKey.export({ type: 'spki', format: 'pem' }));
  // v2 no longer protects app changes: its main decision rule is renamed away.
  const p1 = join(work, 'p1');
  const p2 = join(work, 'p2');
  cpSync(join(PROJECT_ROOT, 'policies'), p1, { recursive: true });
  cpSync(join(PROJECT_ROOT, 'policies'), p2, { recursive: true });
  const decision = join(p2, 'decision.rego');
  const text = readFileSync(decision, 'utf8');
  const renamed = text.replace(/^decision := (.*\bresult\b.*) if \{/m, 'decision_off := $1 if {');
  assert.notEqual(renamed, text, "decision.rego's main rule was not found: v2 would be v1");
  writeFileSync(decision, renamed);
  v1 = readFileSync((await buildBundle({ policiesDir: p1, cacheDir, revision: 'rev-1', signing: { keyFile } })).path);
  v2 = readFileSync((await buildBundle({ policiesDir: p2, cacheDir, revision: 'rev-2', signing: { keyFile } })).path);
  v2Unsigned = readFileSync((await buildBundle({ policiesDir: p2, cacheDir, revision: 'rev-2' })).path);
});
after(() => rmSync(work, { recursive: true, force: true }));

describe('a fleet on one signed bundle server', () => {
  const server = bundleServer();
  const engines: PolicyEngine[] = [];
  let url: string;
  before(async () => {
    url = await server.url;
    server.serve(v1);
    const verification = { publicKey: createPublicKey(readFileSync(publicKeyFile)), alg: 'RS256' as const };
    for (let i = 0; i < 2; i++) {
      engines.push(await createPolicyEngine({ policiesDir: 'unused', configDir, bundleUrl: url, bundlePollIntervalMs: 100, bundleVerification: verification }));
    }
  });
  after(async () => {
    for (const e of engines) await e.close();
    await server.close();
  });

  test('both gateways start on the signed bundle and report its revision', () => {
    for (const e of engines) {
      assert.equal(e.status().bundleRevision, 'rev-1');
      assert.equal(e.decide(patchApp()).protected, true);
      assert.equal(e.status().bundle?.url, url);
    }
  });

  test('an unchanged bundle is answered 304 and not reloaded', async () => {
    await until('a 304', () => engines.every((e) => (e.status().bundle?.loads.unchanged ?? 0) >= 1));
    for (const e of engines) assert.equal(e.status().bundle?.loads.loaded, 1);
  });

  test('a tampered bundle is refused and the last good one keeps serving', async () => {
    const v1Files = await unpackBundle(v1);
    server.serve(await tamper(v2, 'policy.wasm', v1Files.get('policy.wasm')!));
    await until('a refusal', () => engines.every((e) => (e.status().bundle?.loads.refused ?? 0) >= 1));
    for (const e of engines) {
      assert.equal(e.status().bundleRevision, 'rev-1');
      assert.match(e.status().lastError ?? '', /policy\.wasm does not match its signed hash/);
      assert.equal(e.decide(patchApp()).protected, true);
    }
  });

  test('an unsigned bundle is refused', async () => {
    // The tampered bundle is refused again on every poll until it is replaced: wait for the new reason.
    server.serve(v2Unsigned);
    await until('the unsigned bundle refused', () => engines.every((e) => /is not signed/.test(e.status().lastError ?? '')));
    for (const e of engines) {
      assert.equal(e.status().bundleRevision, 'rev-1');
    }
  });

  test('a missing bundle keeps the last good one', async () => {
    server.serve(undefined);
    await until('a failed fetch', () => engines.every((e) => /answered 404/.test(e.status().lastError ?? '')));
    for (const e of engines) {
      assert.ok(e.status().bundle!.loads.fetch_failed >= 1);
      assert.equal(e.decide(patchApp()).protected, true);
    }
  });

  test('a signed update is picked up by both gateways and changes their decisions', async () => {
    server.serve(v2);
    await until('the update', () => engines.every((e) => e.status().bundleRevision === 'rev-2'));
    for (const e of engines) {
      assert.equal(e.decide(patchApp()).protected, false);
      assert.equal(e.status().lastError, undefined);
      assert.equal(e.status().bundle?.loads.loaded, 2);
    }
  });
});

describe('a gateway on a bundle server', () => {
  test('starts only with a good bundle, and shows its revision on /readyz and /metrics', async () => {
    const redis = await startRedis();
    const server = bundleServer();
    const url = await server.url;
    const config = (bundleUrl: string) =>
      loadGatewayConfig({
        env: {},
        overrides: {
          listen: { host: '127.0.0.1', port: 0 },
          upstream: { url: 'http://127.0.0.1:9' },
          redis: { url: redis.url, deployment: randomDeployment() },
          identity: { staticTokensFile: DEMO_TOKENS_FILE },
          policy: { bundleUrl, bundlePublicKeyFile: publicKeyFile, bundlePollIntervalMs: 1000 },
          log: { level: 'silent' },
        },
      });
    try {
      // Nothing served: no start.
      await assert.rejects(startGateway(config(url)), { code: 'POLICY_UNAVAILABLE', message: /no policy bundle to start with: .*answered 404/ });
      // Unsigned: no start either.
      server.serve(v2Unsigned);
      await assert.rejects(startGateway(config(url)), { code: 'POLICY_UNAVAILABLE', message: /is not signed/ });
      server.serve(v1);
      const gateway = await startGateway(config(url));
      try {
        const ready = (await (await fetch(`${gateway.url}/readyz`)).json()) as { checks: { policy: { bundleRevision?: string; bundle?: { url: string } } } };
        assert.equal(ready.checks.policy.bundleRevision, 'rev-1');
        assert.equal(ready.checks.policy.bundle?.url, url);
        const metrics = await (await fetch(`${gateway.url}/metrics`)).text();
        assert.match(metrics, /countersign_policy_bundle_loads_total\{outcome="loaded"\} 1/);
        // A parked request records the policy revision that decided it.
        const parked = await fetch(`${gateway.url}/deviceAppManagement/mobileApps/42`, {
          method: 'PATCH',
          headers: { authorization: 'Bearer demo-alice', 'content-type': 'application/json', 'x-maa-justification': 'INC-1' },
          body: '{"displayName":"x"}',
        });
        assert.equal(parked.status, 202);
        const { requestId: id } = (await parked.json()) as { requestId: string };
        const shown = await fetch(`${gateway.url}/maa/v1/requests/${id}`, { headers: { authorization: 'Bearer demo-alice' } });
        assert.equal(shown.status, 200);
        assert.equal(((await shown.json()) as { decision: { policyRevision?: string } }).decision.policyRevision, 'rev-1');
      } finally {
        await gateway.close();
      }
    } finally {
      await server.close();
      await redis.kill();
    }
  });

  test('the configuration refuses a bundle URL without a public key, or beside bundlePath', () => {
    assert.throws(
      () => loadGatewayConfig({ env: {}, overrides: { identity: { staticTokensFile: DEMO_TOKENS_FILE }, policy: { bundleUrl: 'http://127.0.0.1:1/b.tar.gz' } } }),
      /policy\.bundleUrl needs policy\.bundlePublicKeyFile/,
    );
    assert.throws(
      () => loadGatewayConfig({ env: {}, overrides: { identity: { staticTokensFile: DEMO_TOKENS_FILE }, policy: { bundleUrl: 'https://bundles.example.com/b.tar.gz', bundlePublicKeyFile: publicKeyFile, bundlePath: publicKeyFile } } }),
      /bundleUrl and policy\.bundlePath are both set/,
    );
  });
});
