/**
 * `npm start` with `listen.workers`: node:cluster workers share the port, a dead worker is
 * replaced, SIGTERM drains every worker; and the background jobs run once per deployment,
 * whatever the number of gateway processes and workers on one Redis, taken over within the
 * lease time when their holder dies. Real processes, real policy, real redis-server.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createClient } from 'redis';
import { PROJECT_ROOT } from '../../src/config/gateway-config';
import { requestKeys } from '../../src/requests/keys';
import { createRequestStore, SWEEPER_ACTOR } from '../../src/requests/redis-store';
import type { RequestStore } from '../../src/requests/types';
import { newRequest } from '../requests/fixtures';
import { freePort, randomDeployment, startRedis, type TestRedis } from '../support/redis-server';
import { startUpstream, type TestUpstream } from '../support/upstream';

let redis: TestRedis;
let upstream: TestUpstream;
let raw: ReturnType<typeof createClient>;
before(async () => {
  redis = await startRedis();
  upstream = await startUpstream();
  raw = createClient({ url: redis.url });
  await raw.connect();
});
after(async () => {
  raw.destroy();
  await upstream.stop();
  await redis.stop();
});

const LEASE_MS = 1_000;

interface GatewayProcess {
  child: ChildProcess;
  url: string;
  /** Every log line so far, parsed. */
  lines(): Array<Record<string, unknown>>;
  output(): string;
  exited: Promise<number | null>;
  until(what: string, check: () => boolean, withinMs?: number): Promise<void>;
}

/** `npm start` as an operator runs it, configured through the environment. */
async function startGateway(env: Record<string, string>): Promise<GatewayProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', join(PROJECT_ROOT, 'src/main.ts')], {
    cwd: PROJECT_ROOT,
    env: {
      PATH: process.env.PATH,
      ...(process.env.OPA_BIN ? { OPA_BIN: process.env.OPA_BIN } : {}),
      COUNTERSIGN_CONFIG: join(PROJECT_ROOT, 'config/gateway.yaml'),
      COUNTERSIGN_HOST: '127.0.0.1',
      PORT: String(port),
      COUNTERSIGN_UPSTREAM_URL: upstream.url,
      COUNTERSIGN_STATIC_TOKENS: 'config/demo/tokens.yaml',
      REDIS_URL: redis.url,
      COUNTERSIGN_BACKGROUND_LEASE: `${LEASE_MS}ms`,
      COUNTERSIGN_SWEEP_INTERVAL: '1s',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (c: Buffer) => (output += c.toString('utf8')));
  child.stderr!.on('data', (c: Buffer) => (output += c.toString('utf8')));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const lines = () =>
    output
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  const until = async (what: string, check: () => boolean, withinMs = 90_000): Promise<void> => {
    const deadline = Date.now() + withinMs;
    while (!check()) {
      if (child.exitCode !== null || Date.now() > deadline) assert.fail(`waiting for ${what}:\n${output.slice(-4000)}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  };
  const gateway = { child, url: `http://127.0.0.1:${port}`, lines, output: () => output, exited, until };
  started.push(gateway);
  return gateway;
}

const started: GatewayProcess[] = [];
after(() => {
  for (const { child } of started) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** One call on its own connection: the cluster hands each new connection to the next worker. */
async function call(url: string, method: string, path: string, user: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const response = await fetch(`${url}${path}`, {
    method,
    headers: { authorization: `Bearer demo-${user}`, connection: 'close', ...(body === undefined ? {} : { 'content-type': 'application/json', 'x-maa-justification': 'INC-1%20workers' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, json: text.startsWith('{') ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

describe('listen.workers', () => {
  test('two workers share the port and its calls; a killed worker is replaced; SIGTERM drains them all and exits 0', { timeout: 240_000 }, async () => {
    const gateway = await startGateway({ COUNTERSIGN_WORKERS: '2', COUNTERSIGN_DEPLOYMENT: randomDeployment() });
    await gateway.until('the workers to listen', () => gateway.output().includes('workers listening'));
    const listening = gateway.lines().find((l) => l.msg === 'workers listening')!;
    assert.equal(listening.url, gateway.url);
    const pids = listening.pids as number[];
    assert.equal(pids.length, 2);
    assert.ok(!pids.includes(gateway.child.pid!), 'the primary takes no calls itself');

    // Unprotected mutations, each on a new connection: both workers decide some.
    for (let i = 0; i < 6; i++) assert.equal((await call(gateway.url, 'POST', '/deviceManagement/managedDevices/42/syncDevice', 'alice', { i })).status, 200);
    const deciders = new Set(gateway.lines().filter((l) => l.msg === 'decision').map((l) => l.pid));
    assert.deepEqual([...deciders].sort(), [...pids].sort());

    // One truth in Redis: parked by one worker, approved and completed through whichever answers.
    const parked = await call(gateway.url, 'PATCH', '/deviceAppManagement/mobileApps/42', 'alice', { displayName: 'workers' });
    assert.equal(parked.status, 202, JSON.stringify(parked.json));
    const id = parked.json.requestId as string;
    assert.equal((await call(gateway.url, 'POST', `/maa/v1/requests/${id}/approve`, 'bob', {})).json.status, 'approved');
    assert.equal((await call(gateway.url, 'POST', `/maa/v1/requests/${id}/complete`, 'alice', {})).status, 200);
    assert.equal(upstream.mutations.filter((c) => c.url === '/deviceAppManagement/mobileApps/42').length, 1);

    // A worker dies: calls go on through the other, and the primary starts a replacement.
    process.kill(pids[0]!, 'SIGKILL');
    await gateway.until('the replacement', () => gateway.lines().filter((l) => l.msg === 'gateway listening').length === 3);
    const died = gateway.lines().find((l) => l.msg === 'a worker died: replacing it')!;
    assert.equal(died.pid, pids[0]);
    assert.equal(died.signal, 'SIGKILL');
    for (let i = 0; i < 4; i++) assert.equal((await call(gateway.url, 'GET', '/deviceAppManagement/mobileApps/42', 'alice')).status, 200);
    const replacement = gateway.lines().filter((l) => l.msg === 'gateway listening').at(-1)!.pid as number;
    assert.ok(!pids.includes(replacement));

    gateway.child.kill('SIGTERM');
    assert.equal(await gateway.exited, 0, gateway.output().slice(-4000));
    for (const pid of [pids[1]!, replacement]) assert.equal(isAlive(pid), false, `worker ${pid} is gone`);
    assert.equal(gateway.lines().filter((l) => l.msg === 'stopped').length, 2, 'each worker drained and stopped');
  });

  test('background jobs run once per deployment: one sweeper among two gateways (2 workers + 1); its holder killed, another takes over within the lease time', { timeout: 240_000 }, async () => {
    const deployment = randomDeployment();
    const keys = requestKeys(deployment);
    const store: RequestStore = await createRequestStore({ url: redis.url, deployment });
    try {
      const gateways = [await startGateway({ COUNTERSIGN_WORKERS: '2', COUNTERSIGN_DEPLOYMENT: deployment }), await startGateway({ COUNTERSIGN_WORKERS: '1', COUNTERSIGN_DEPLOYMENT: deployment })];
      await gateways[0]!.until('gateway A', () => gateways[0]!.output().includes('workers listening'));
      await gateways[1]!.until('gateway B', () => gateways[1]!.output().includes('gateway listening'));
      const jobStarts = (job: string) => gateways.flatMap((g) => g.lines().filter((l) => l.msg === 'background job started: this process holds its lease' && l.job === job));

      // Three processes offer each job; after several lease times, each runs in exactly one.
      await new Promise((resolve) => setTimeout(resolve, LEASE_MS * 3));
      for (const job of ['sweeper', 'scheduler']) assert.equal(jobStarts(job).length, 1, `${job} started once: ${JSON.stringify(jobStarts(job))}`);
      const holder = jobStarts('sweeper')[0]!;
      assert.equal(await raw.get(keys.lease('sweeper')), holder.holder);

      // It sweeps: a request past its retention (parked 31 days ago) expires within a sweep interval.
      const past = new Date(Date.now() - 31 * 24 * 3600 * 1000);
      const old = await store.create(newRequest(), past);
      const expired = async (id: string) => {
        const deadline = Date.now() + 10_000;
        while (Date.now() < deadline) {
          const request = await store.get(id);
          if (request?.status === 'expired') return request;
          await new Promise((r) => setTimeout(r, 50));
        }
        assert.fail(`request ${id} did not expire`);
      };
      assert.equal((await expired(old.id)).history.at(-1)!.actor, SWEEPER_ACTOR);

      // The holder's gateway dies without a word (SIGKILL: no release); another process takes the job within the lease time.
      const victim = gateways.find((g) => g.lines().some((l) => l.holder === holder.holder))!;
      const survivor = gateways.find((g) => g !== victim)!;
      const before = jobStarts('sweeper').length;
      const killedAt = Date.now();
      victim.child.kill('SIGKILL');
      await victim.exited;
      await survivor.until('the takeover', () => jobStarts('sweeper').length === before + 1, LEASE_MS * 3);
      const tookMs = Date.now() - killedAt;
      // The lease runs out within LEASE_MS; the survivor tries every third of it.
      assert.ok(tookMs <= LEASE_MS + LEASE_MS / 3 + 500, `taken over after ${tookMs} ms`);
      const next = survivor.lines().filter((l) => l.msg === 'background job started: this process holds its lease' && l.job === 'sweeper').at(-1)!;
      assert.equal(await raw.get(keys.lease('sweeper')), next.holder);
      const later = await store.create(newRequest(), past);
      assert.equal((await expired(later.id)).history.at(-1)!.actor, SWEEPER_ACTOR);

      // A clean stop releases the lease at once rather than leaving it to run out.
      survivor.child.kill('SIGTERM');
      assert.equal(await survivor.exited, 0, survivor.output().slice(-4000));
      assert.equal(await raw.exists(keys.lease('sweeper')), 0);
      assert.equal(await raw.exists(keys.lease('scheduler')), 0);
    } finally {
      await store.close();
    }
  });
});
