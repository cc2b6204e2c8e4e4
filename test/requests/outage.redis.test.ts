/**
 * Redis going away: commands fail fast with StoreUnavailableError, and the same store works
 * again once Redis is back, without being recreated (scripts re-sent on NOSCRIPT). A Redis that
 * stops answering (paused) fails every store call within the store's one deadline.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createClient } from 'redis';
import { startRedis, freePort, TestRedis } from '../support/redis-server';
import { StoreUnavailableError } from '../../src/requests/errors';
import type { RequestStore } from '../../src/requests/types';
import { freshStore, newRequest } from './fixtures';

async function until(check: () => Promise<boolean>, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 25));
  }
  return check();
}

async function timed<T>(promise: Promise<T>): Promise<{ error: unknown; ms: number }> {
  const start = performance.now();
  try {
    await promise;
    return { error: undefined, ms: performance.now() - start };
  } catch (error) {
    return { error, ms: performance.now() - start };
  }
}

async function fullCycle(store: RequestStore): Promise<void> {
  const { id } = await store.create(newRequest());
  await store.approve(id, 'bob', 'ok');
  const { claimToken } = await store.beginComplete(id, 'alice', 10_000);
  assert.equal((await store.finishComplete(id, claimToken, { kind: 'completed', upstreamStatus: 200, upstreamBodyPreview: '' })).status, 'completed');
}

test('Redis killed mid-test: StoreUnavailableError fast; restarted: the same store works again', async () => {
  const redis = await startRedis();
  const store = await freshStore(redis);
  try {
    const { id } = await store.create(newRequest());
    assert.equal(await store.ping(), true);

    // Calls in flight when Redis dies settle (succeed or fail as unavailable); none hangs.
    const inFlight = Promise.allSettled(Array.from({ length: 20 }, (_, i) => store.approve(id, `approver-${i}`, '')));
    await redis.kill();
    for (const result of await inFlight) {
      if (result.status === 'rejected' && !(result.reason instanceof StoreUnavailableError)) {
        assert.equal((result.reason as { code?: string }).code, 'INVALID_STATE');
      }
    }

    const calls: Array<() => Promise<unknown>> = [
      () => store.create(newRequest()),
      () => store.approve(id, 'bob', ''),
      () => store.get(id),
      () => store.getBody(id),
      () => store.list({ view: 'all', viewer: { userId: 'x', groups: [] } }),
      () => store.audit({}),
      () => store.sweep(),
    ];
    for (const call of calls) {
      const { error, ms } = await timed(call());
      assert.ok(error instanceof StoreUnavailableError, `expected StoreUnavailableError, got ${String(error)}`);
      // Fast: refused at once, not after the store's 2,000 ms deadline (the bound leaves room for a loaded machine).
      assert.ok(ms < 1000, `failed fast (${ms.toFixed(1)} ms)`);
    }
    assert.equal(await store.ping(), false);

    await redis.start();
    assert.ok(await until(() => store.ping(), 5_000), 'the client reconnected by itself');
    // The restarted Redis has no data and no scripts: EVALSHA gets NOSCRIPT and re-sends.
    await fullCycle(store);
  } finally {
    await store.close();
    await redis.stop();
  }
});

test('a flushed script cache is reloaded on NOSCRIPT', async () => {
  const redis = await startRedis();
  const store = await freshStore(redis);
  const raw = createClient({ url: redis.url });
  try {
    await raw.connect();
    await fullCycle(store);
    await raw.scriptFlush();
    await fullCycle(store);
  } finally {
    raw.destroy();
    await store.close();
    await redis.stop();
  }
});

test('a store created while Redis is down returns, refuses fast, and works once Redis starts', async () => {
  const redis = new TestRedis(await freePort());
  const started = performance.now();
  const store = await freshStore(redis, { connectWaitMs: 300 });
  try {
    assert.ok(performance.now() - started < 2_000);
    assert.equal(await store.ping(), false);
    const { error, ms } = await timed(store.create(newRequest()));
    assert.ok(error instanceof StoreUnavailableError);
    assert.ok(ms < 1000, `failed fast (${ms.toFixed(1)} ms), not after the 2,000 ms deadline`);
    await redis.start();
    assert.ok(await until(() => store.ping(), 5_000), 'the client connected by itself');
    await fullCycle(store);
  } finally {
    await store.close();
    await redis.stop();
  }
});

test('a Redis that does not answer in time is unavailable, not a hang', async () => {
  const redis = await startRedis();
  const store = await freshStore(redis, { callTimeoutMs: 150 });
  const raw = createClient({ url: redis.url });
  try {
    await raw.connect();
    const { id } = await store.create(newRequest());
    // A busy script blocks the server for about 600 ms.
    const busy = raw.eval('local t = redis.call("TIME"); local s = t[1] * 1000000 + t[2]; repeat local n = redis.call("TIME") until (n[1] * 1000000 + n[2]) - s > 600000; return 1');
    await new Promise((r) => setTimeout(r, 50));
    const { error, ms } = await timed(store.get(id));
    assert.ok(error instanceof StoreUnavailableError, `expected StoreUnavailableError, got ${String(error)}`);
    assert.ok(ms < 500, `timed out after ${ms.toFixed(0)} ms`);
    await busy;
    assert.ok(await until(async () => (await store.get(id).catch(() => null))?.id === id, 2_000));
  } finally {
    raw.destroy();
    await store.close();
    await redis.stop();
  }
});

test('a paused Redis (SIGSTOP): every store method rejects with StoreUnavailableError within its one deadline', async () => {
  const redis = await startRedis();
  const callTimeoutMs = 500;
  const store = await freshStore(redis, { callTimeoutMs });
  const raw = createClient({ url: redis.url });
  let pid = 0;
  try {
    await raw.connect();
    pid = Number(/process_id:(\d+)/.exec(await raw.info('server'))?.[1]);
    assert.ok(pid > 0, 'redis-server reports its pid');
    raw.destroy();
    const { id } = await store.create(newRequest());
    const approved = (await store.create(newRequest())).id;
    await store.approve(approved, 'bob', '');

    process.kill(pid, 'SIGSTOP');
    // The connection stays open and ready: commands are written and never answered.
    const calls: Record<string, () => Promise<unknown>> = {
      create: () => store.create(newRequest()),
      get: () => store.get(id),
      getBody: () => store.getBody(id),
      approve: () => store.approve(id, 'bob', ''),
      reject: () => store.reject(id, 'bob', ''),
      cancel: () => store.cancel(id, 'alice'),
      beginComplete: () => store.beginComplete(approved, 'alice', 10_000),
      finishComplete: () => store.finishComplete(approved, 'token', { kind: 'completed', upstreamStatus: 200, upstreamBodyPreview: '' }),
      list: () => store.list({ view: 'received', viewer: { userId: 'bob', groups: ['app-approvers', 'other'] } }),
      audit: () => store.audit({}),
      sweep: () => store.sweep(),
    };
    const results = await Promise.all(Object.entries(calls).map(async ([name, call]) => ({ name, ...(await timed(call())) })));
    for (const { name, error, ms } of results) {
      assert.ok(error instanceof StoreUnavailableError, `${name}: expected StoreUnavailableError, got ${String(error)}`);
      // One deadline for the whole call: never two commands' worth of waiting (2 × callTimeoutMs).
      assert.ok(ms >= callTimeoutMs - 20 && ms < 1.9 * callTimeoutMs, `${name}: rejected after ${ms.toFixed(0)} ms, deadline ${callTimeoutMs} ms`);
    }
    assert.equal(await store.ping(), false);

    process.kill(pid, 'SIGCONT');
    pid = 0;
    assert.ok(await until(async () => (await store.get(id).catch(() => null))?.id === id, 5_000), 'the same store works once Redis answers again');
  } finally {
    if (pid) process.kill(pid, 'SIGCONT');
    if (raw.isOpen) raw.destroy();
    await store.close();
    await redis.stop();
  }
});
