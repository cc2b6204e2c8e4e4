/**
 * Background jobs under a Redis lease (src/requests/lease.ts): of several processes offering the
 * same job on one deployment, exactly one runs it; a holder that stops hands it over at once, and
 * one that dies (stops renewing without releasing) is replaced within the lease time.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createClient } from 'redis';
import { startRedis, type TestRedis } from '../support/redis-server';
import { requestKeys } from '../../src/requests/keys';
import { createLeases, type LeasedJob } from '../../src/requests/lease';
import { createRequestStore } from '../../src/requests/redis-store';
import type { RequestStore } from '../../src/requests/types';
import { freshStore } from './fixtures';

let redis: TestRedis;
let raw: ReturnType<typeof createClient>;
before(async () => {
  redis = await startRedis();
  raw = createClient({ url: redis.url });
  await raw.connect();
});
after(async () => {
  raw.destroy();
  await redis.stop();
});

const TTL_MS = 600;

/** One process's offer of the job `name`: counts how often it started and whether it runs now. */
function contender(store: RequestStore, holder: string, name = 'sweeper') {
  const state = { starts: 0, running: false };
  const leases = createLeases({ store, ttlMs: TTL_MS, holder });
  const job: LeasedJob = leases.runUnderLease(name, () => {
    state.starts++;
    state.running = true;
    return { stop: () => void (state.running = false) };
  });
  return { state, job, holder };
}

async function until(what: string, check: () => boolean | Promise<boolean>, withinMs: number): Promise<number> {
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > withinMs) assert.fail(`not within ${withinMs} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return Date.now() - started;
}

test('of three processes offering the job, exactly one runs it, and Redis names it', async () => {
  const first = await freshStore(redis);
  const stores = [first, ...(await Promise.all([1, 2].map(() => createRequestStore({ url: redis.url, deployment: first.deployment }))))];
  const contenders = stores.map((store, i) => contender(store, `gw-${i}:1:test`));
  try {
    await until('one holds the lease', () => contenders.some((c) => c.state.running), 2_000);
    // Several renewals later, still one.
    await new Promise((resolve) => setTimeout(resolve, TTL_MS * 2));
    const running = contenders.filter((c) => c.state.running);
    assert.equal(running.length, 1);
    assert.deepEqual(contenders.map((c) => c.state.starts).sort(), [0, 0, 1]);
    assert.equal(await raw.get(requestKeys(first.deployment).lease('sweeper')), running[0]!.holder);
    assert.equal(running[0]!.job.holding(), true);

    // A different job has its own lease: it may run anywhere, but once.
    const other = contenders.map((c, i) => contender(stores[i]!, c.holder, 'scheduler'));
    await until('one holds the scheduler lease', () => other.some((c) => c.state.running), 2_000);
    assert.equal(other.filter((c) => c.state.running).length, 1);
    await Promise.all(other.map((c) => c.job.stop()));
  } finally {
    await Promise.all(contenders.map((c) => c.job.stop()));
    await Promise.all(stores.map((s) => s.close()));
  }
});

test('a holder that stops releases the lease: another process takes the job over at its next attempt', async () => {
  const a = await freshStore(redis);
  const b = await createRequestStore({ url: redis.url, deployment: a.deployment });
  const first = contender(a, 'gw-a:1:test');
  await until('a holds it', () => first.state.running, 2_000);
  const second = contender(b, 'gw-b:1:test');
  try {
    await first.job.stop();
    assert.equal(first.state.running, false, 'the job stopped with its process');
    const key = requestKeys(a.deployment).lease('sweeper');
    // Released, not left to run out: the next attempt (a third of the lease) finds it free.
    const tookMs = await until('b takes it over', () => second.state.running, TTL_MS);
    assert.ok(tookMs < TTL_MS, `took ${tookMs} ms`);
    assert.equal(await raw.get(key), 'gw-b:1:test');
  } finally {
    await second.job.stop();
    await Promise.all([a.close(), b.close()]);
  }
});

test('a holder that dies without releasing is replaced within the lease time, and a holder cut off from Redis stops its job', async () => {
  const a = await freshStore(redis);
  const b = await createRequestStore({ url: redis.url, deployment: a.deployment });
  const key = requestKeys(a.deployment).lease('sweeper');
  const first = contender(a, 'gw-a:1:test');
  await until('a holds it', () => first.state.running, 2_000);
  const second = contender(b, 'gw-b:1:test');
  try {
    await new Promise((resolve) => setTimeout(resolve, TTL_MS));
    assert.equal(second.state.running, false, 'b waits while a renews');

    // a's process loses Redis for good (as a crash looks from Redis: no release, no renewal).
    const cut = Date.now();
    await a.close();
    await until('b takes the job over', () => second.state.running, TTL_MS * 2);
    assert.ok(Date.now() - cut <= TTL_MS + TTL_MS / 3 + 400, `taken over ${Date.now() - cut} ms after the holder died (lease ${TTL_MS} ms)`);
    assert.equal(await raw.get(key), 'gw-b:1:test');
    // a, which could not renew, stopped its job once its lease could have run out: never two for longer.
    await until('a stops its job', () => !first.state.running, TTL_MS * 2);
  } finally {
    await first.job.stop();
    await second.job.stop();
    await b.close();
  }
});

test('a lease that ran out and was taken is not renewed nor released by its old holder', async () => {
  const store = await freshStore(redis);
  try {
    assert.equal(await store.acquireLease('sweeper', 'old:1:x', 50), true);
    assert.equal(await store.acquireLease('sweeper', 'new:1:x', 50), false, 'held: SET NX refuses');
    await new Promise((resolve) => setTimeout(resolve, 80));
    assert.equal(await store.acquireLease('sweeper', 'new:1:x', 5_000), true, 'ran out: free again');
    assert.equal(await store.renewLease('sweeper', 'old:1:x', 5_000), false);
    assert.equal(await store.releaseLease('sweeper', 'old:1:x'), false);
    assert.equal(await raw.get(requestKeys(store.deployment).lease('sweeper')), 'new:1:x');
    assert.equal(await store.renewLease('sweeper', 'new:1:x', 5_000), true);
    assert.equal(await store.releaseLease('sweeper', 'new:1:x'), true);
    assert.equal(await raw.exists(requestKeys(store.deployment).lease('sweeper')), 0);
  } finally {
    await store.close();
  }
});

test('bad lease names and holders are refused with INVALID_INPUT before Redis is asked', async () => {
  const store = await freshStore(redis);
  try {
    for (const name of ['', 'Sweeper', 'a:b', 'x'.repeat(33), '{tag}']) await assert.rejects(store.acquireLease(name, 'h:1:x', 1000), { code: 'INVALID_INPUT' }, name);
    for (const holder of ['', 'a b', 'x'.repeat(201)]) await assert.rejects(store.acquireLease('sweeper', holder, 1000), { code: 'INVALID_INPUT' });
    await assert.rejects(store.acquireLease('sweeper', 'h:1:x', 0), { code: 'INVALID_INPUT' });
  } finally {
    await store.close();
  }
});
