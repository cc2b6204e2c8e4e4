/**
 * Expiry and removal by the sweep, with time moved through the `now` parameters, and the
 * sweeper's timer once for real.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createClient } from 'redis';
import { startRedis, type TestRedis } from '../support/redis-server';
import { requestKeys } from '../../src/requests/keys';
import { startSweeper } from '../../src/requests/expiry';
import { SWEEPER_ACTOR, type RequestStoreOptions } from '../../src/requests/redis-store';
import type { RequestStore } from '../../src/requests/types';
import { freshStore, newRequest } from './fixtures';

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

const retention = { openMs: 1_000, approvedMs: 5_000, endedMs: 10_000 };
const t0 = Date.parse('2026-07-01T00:00:00.000Z');
const at = (ms: number) => new Date(t0 + ms);

async function withStore(fn: (store: RequestStore & { deployment: string }) => Promise<void>, options: Partial<RequestStoreOptions> = { retention }): Promise<void> {
  const store = await freshStore(redis, options);
  try {
    await fn(store);
  } finally {
    await store.close();
  }
}

test('an open request expires once its status has not changed for the retention, and frees its object', () =>
  withStore(async (store) => {
    const { id } = await store.create(newRequest({ objectKey: 'apps:/e/1', requiredApprovals: 2 }), at(0));
    // A partial approval changes the request but not its status: the clock keeps running.
    await store.approve(id, 'bob', '', at(500));
    assert.deepEqual(await store.sweep(at(999)), { expired: 0, removed: 0 });
    assert.deepEqual(await store.sweep(at(1_000)), { expired: 1, removed: 0 });
    const expired = await store.get(id);
    assert.equal(expired?.status, 'expired');
    assert.deepEqual(expired?.history.at(-1), { at: at(1_000).toISOString(), actor: SWEEPER_ACTOR, action: 'expire', from: 'needsApproval', to: 'expired' });
    const event = (await store.audit({ requestId: id })).at(-1);
    assert.equal(event?.action, 'expire');
    assert.equal(event?.actor, SWEEPER_ACTOR);
    assert.equal((await store.create(newRequest({ objectKey: 'apps:/e/1' }), at(1_001))).status, 'needsApproval');
    await assert.rejects(store.approve(id, 'dave', '', at(1_002)), { code: 'INVALID_STATE', status: 'expired' });
  }));

test('approved requests have their own retention, and a live claim holds off expiry', () =>
  withStore(async (store) => {
    const { id } = await store.create(newRequest(), at(0));
    await store.approve(id, 'bob', '', at(10));
    assert.equal((await store.sweep(at(1_010))).expired, 0);
    await store.beginComplete(id, 'alice', 20_000, at(4_000));
    assert.equal((await store.sweep(at(5_010))).expired, 0, 'a replay in flight keeps its request');
    assert.equal((await store.get(id))?.status, 'approved');
    // The lease ran out without an outcome: after the retention it expires like any approved request.
    assert.equal((await store.sweep(at(24_000))).expired, 1);
    const expired = await store.get(id);
    assert.equal(expired?.status, 'expired');
    assert.equal(expired?.claim, undefined);
  }));

test('ended requests are removed after their retention: hash, body and index entries; the audit stays', () =>
  withStore(async (store) => {
    const k = requestKeys(store.deployment);
    const kept = await store.create(newRequest({ approverGroups: ['g1'] }), at(0));
    const gone = await store.create(newRequest({ approverGroups: ['g1'] }), at(0));
    await store.cancel(gone.id, 'alice', at(100));
    await store.reject(kept.id, 'bob', '', at(5_000));
    assert.deepEqual(await store.sweep(at(10_099)), { expired: 0, removed: 0 });
    assert.deepEqual(await store.sweep(at(10_100)), { expired: 0, removed: 1 });
    assert.equal(await store.get(gone.id), null);
    assert.equal(await store.getBody(gone.id), null);
    assert.ok(await store.get(kept.id));
    const left: string[] = [];
    for await (const keys of raw.scanIterator({ MATCH: `*${store.deployment}*`, COUNT: 1000 })) left.push(...keys);
    for (const key of left) {
      const type = await raw.type(key);
      if (type === 'zset') assert.equal(await raw.zScore(key, gone.id), null, `${key} no longer lists it`);
    }
    assert.ok(!left.includes(k.request(gone.id)) && !left.includes(k.body(gone.id)));
    assert.deepEqual((await store.list({ view: 'received', viewer: { userId: 'bob', groups: ['g1'] } })).items.map((r) => r.id), [kept.id]);
    assert.deepEqual((await store.audit({ requestId: gone.id })).map((e) => e.action), ['create', 'cancel']);
    assert.deepEqual(await store.sweep(at(15_000)), { expired: 0, removed: 1 });
  }));

test('an expired request is removed after the ended retention', () =>
  withStore(async (store) => {
    const { id } = await store.create(newRequest(), at(0));
    assert.deepEqual(await store.sweep(at(1_000)), { expired: 1, removed: 0 });
    assert.deepEqual(await store.sweep(at(11_000)), { expired: 0, removed: 1 });
    assert.equal(await store.get(id), null);
  }));

test('the default retention is 30 days', () =>
  withStore(
    async (store) => {
      const { id } = await store.create(newRequest(), at(0));
      const day = 24 * 60 * 60 * 1000;
      assert.equal((await store.sweep(at(30 * day - 1))).expired, 0);
      assert.equal((await store.sweep(at(30 * day))).expired, 1);
      assert.equal((await store.get(id))?.status, 'expired');
    },
    {},
  ));

test('startSweeper sweeps on its interval and stops', () =>
  withStore(
    async (store) => {
      const { id } = await store.create(newRequest());
      const sweeper = startSweeper(store, 20);
      try {
        const deadline = Date.now() + 3_000;
        while ((await store.get(id))?.status !== 'expired' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
        assert.equal((await store.get(id))?.status, 'expired');
      } finally {
        sweeper.stop();
      }
      assert.throws(() => startSweeper(store, 0), TypeError);
    },
    { retention: { openMs: 1 } },
  ));
