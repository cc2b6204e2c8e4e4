/**
 * What the store keeps and how it reads back: exact body bytes, the key layout under one hash
 * tag, list paging by cursor while items change, and audit queries.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { createClient } from 'redis';
import { startRedis, type TestRedis } from '../support/redis-server';
import { requestKeys } from '../../src/requests/keys';
import type { ApprovalRequest, ListQuery, RequestStore } from '../../src/requests/types';
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

async function withStore(fn: (store: RequestStore & { deployment: string }) => Promise<void>): Promise<void> {
  const store = await freshStore(redis);
  try {
    await fn(store);
  } finally {
    await store.close();
  }
}

describe('body bytes', () => {
  const bodies: Array<[string, Buffer]> = [
    ['every byte value', Buffer.from(Array.from({ length: 256 }, (_, i) => i))],
    ['not UTF-8', Buffer.from([0xff, 0xfe, 0x80, 0xc3, 0x28, 0xa0, 0xa1, 0xe2, 0x28, 0xa1, 0x00, 0x0d, 0x0a])],
    ['5 MiB of random bytes', randomBytes(5 * 1024 * 1024)],
    ['empty', Buffer.alloc(0)],
  ];
  for (const [name, body] of bodies) {
    test(`${name} come back exactly`, () =>
      withStore(async (store) => {
        const { id, call } = await store.create(newRequest({ body }));
        assert.equal(call.bodySize, body.length);
        const stored = await store.getBody(id);
        assert.ok(Buffer.isBuffer(stored));
        assert.equal(Buffer.compare(stored, body), 0);
      }));
  }

  test('an unknown request has no body', () =>
    withStore(async (store) => {
      assert.equal(await store.getBody('00000000-0000-4000-8000-000000000000'), null);
      assert.equal(await store.get('00000000-0000-4000-8000-000000000000'), null);
      assert.equal(await store.get('no such/../id'), null);
    }));
});

describe('snapshot', () => {
  const bytes = Buffer.from([0x7b, 0x7d, 0xff, 0x00, 0x80]);
  const record = { state: 'captured' as const, at: '2026-12-05T10:00:00.000Z', path: '/x/1', etag: 'W/"7"', sha256: createHash('sha256').update(bytes).digest('hex'), bytes: bytes.length };

  test('its bytes come back exactly, its record with the request; without one there is none', () =>
    withStore(async (store) => {
      const { id, snapshot } = await store.create({ ...newRequest(), snapshot: { record, bytes } });
      assert.deepEqual(snapshot, record);
      assert.deepEqual(await store.getSnapshot(id), bytes);
      assert.deepEqual((await store.get(id))?.snapshot, record);
      const failed = await store.create({ ...newRequest(), snapshot: { record: { state: 'failed', at: record.at, error: 'the upstream answered the read with 500' } } });
      assert.equal(failed.snapshot?.state, 'failed');
      assert.equal(await store.getSnapshot(failed.id), null);
      const none = await store.create(newRequest());
      assert.equal(none.snapshot, undefined);
    }));

  test('a snapshot whose hash or size does not describe its bytes, or a captured one without bytes, is refused; nothing is stored', () =>
    withStore(async (store) => {
      for (const bad of [
        { record: { ...record, sha256: '0'.repeat(64) }, bytes },
        { record: { ...record, bytes: 1 }, bytes },
        { record },
        { record: { ...record, state: 'weird' as 'captured' }, bytes },
      ]) {
        await assert.rejects(store.create({ ...newRequest(), snapshot: bad }), (error: Error & { code?: string }) => error.code === 'INVALID_INPUT');
      }
      assert.deepEqual((await store.list({ view: 'all', viewer: { userId: 'erin', groups: [] } })).items, []);
    }));
});

test('every key lives under the deployment hash tag, where keys.ts says', () =>
  withStore(async (store) => {
    const k = requestKeys(store.deployment);
    const { id } = await store.create(newRequest({ requestor: 'alice', approverGroups: ['g1', 'g2'], objectKey: 'apps:/a/1' }));
    await store.approve(id, 'bob', 'ok');
    const expected = [
      k.request(id), k.body(id), k.locks, k.audit, k.auditHead, k.outbox, k.all, k.byStatus('approved'), k.byRequestor('alice'),
      k.byRequestorStatus('alice', 'approved'), k.byGroup('g1'), k.byGroup('g2'),
      k.byGroupStatus('g1', 'approved'), k.byGroupStatus('g2', 'approved'), k.statusSince('approved'),
    ].sort();
    const found: string[] = [];
    for await (const keys of raw.scanIterator({ MATCH: `*${store.deployment}*`, COUNT: 1000 })) found.push(...keys);
    assert.deepEqual(found.sort(), expected);
    assert.equal(await raw.hGet(k.locks, 'apps:/a/1'), id);
    assert.equal(await raw.zScore(k.byRequestorStatus('alice', 'needsApproval'), id), null);
  }));

describe('list', () => {
  async function all(store: RequestStore, query: ListQuery): Promise<ApprovalRequest[]> {
    const out: ApprovalRequest[] = [];
    let cursor: string | undefined;
    for (let pages = 0; pages < 100; pages++) {
      const page = await store.list({ ...query, cursor });
      out.push(...page.items);
      if (!page.nextCursor) return out;
      cursor = page.nextCursor;
    }
    assert.fail('too many pages');
  }

  test('most recently changed first, paged without duplicates, ties in the same millisecond included', () =>
    withStore(async (store) => {
      const t0 = Date.parse('2026-05-01T00:00:00.000Z');
      const ids: string[] = [];
      // 30 requests: 10 share one millisecond, to exercise ties at page boundaries.
      for (let i = 0; i < 30; i++) ids.push((await store.create(newRequest(), new Date(i < 10 ? t0 : t0 + i * 1000))).id);
      const seen = await all(store, { view: 'mine', viewer: { userId: 'alice', groups: [] }, limit: 7 });
      assert.equal(seen.length, 30);
      assert.equal(new Set(seen.map((r) => r.id)).size, 30);
      for (let i = 1; i < seen.length; i++) assert.ok(seen[i - 1]!.updatedAt >= seen[i]!.updatedAt);
      assert.equal(seen[0]?.id, ids[29]);
      const first = await store.list({ view: 'mine', viewer: { userId: 'alice', groups: [] } });
      assert.equal(first.items.length, 25);
      assert.ok(first.nextCursor);
      const exact = await store.list({ view: 'mine', viewer: { userId: 'alice', groups: [] }, limit: 100 });
      assert.equal(exact.items.length, 30);
      assert.equal(exact.nextCursor, undefined);
    }));

  test('items that change while someone pages are neither repeated nor cause others to be skipped', () =>
    withStore(async (store) => {
      const t0 = Date.parse('2026-05-01T00:00:00.000Z');
      const ids: string[] = [];
      for (let i = 0; i < 20; i++) ids.push((await store.create(newRequest(), new Date(t0 + i * 1000))).id);
      const viewer = { userId: 'alice', groups: [] };
      const page1 = await store.list({ view: 'mine', viewer, limit: 5 });
      // One already seen and one not yet seen change; one not yet seen is canceled.
      await store.approve(page1.items[0]!.id, 'bob', '', new Date(t0 + 100_000));
      await store.approve(ids[3]!, 'bob', '', new Date(t0 + 100_001));
      await store.cancel(ids[10]!, 'alice', new Date(t0 + 100_002));
      const rest: ApprovalRequest[] = [];
      let cursor = page1.nextCursor;
      while (cursor) {
        const page = await store.list({ view: 'mine', viewer, limit: 5, cursor });
        rest.push(...page.items);
        cursor = page.nextCursor;
      }
      const seen = [...page1.items, ...rest].map((r) => r.id);
      assert.equal(new Set(seen).size, seen.length, 'no duplicates');
      const changedLater = new Set([ids[3], ids[10]]);
      for (const id of ids) if (!changedLater.has(id)) assert.ok(seen.includes(id), 'every unchanged request is listed');
      // A fresh list shows the changed ones on top.
      const fresh = await store.list({ view: 'mine', viewer, limit: 3 });
      assert.deepEqual(fresh.items.map((r) => r.id), [ids[10], ids[3], page1.items[0]!.id]);
    }));

  test('received: the union of the viewer groups, without duplicates, own requests included; status filter; all', () =>
    withStore(async (store) => {
      const a = await store.create(newRequest({ approverGroups: ['g1'] }));
      const b = await store.create(newRequest({ approverGroups: ['g2'] }));
      const c = await store.create(newRequest({ approverGroups: ['g1', 'g2'] }));
      const d = await store.create(newRequest({ approverGroups: ['g3'] }));
      const own = await store.create(newRequest({ requestor: 'bob', groups: ['g1'], approverGroups: ['g1'] }));
      const bob = { userId: 'bob', groups: ['g1', 'g2'] };
      const received = await all(store, { view: 'received', viewer: bob, limit: 2 });
      assert.deepEqual(received.map((r) => r.id).sort(), [a.id, b.id, c.id, own.id].sort());
      await store.approve(c.id, 'bob', '');
      const approved = await store.list({ view: 'received', viewer: bob, status: 'approved' });
      assert.deepEqual(approved.items.map((r) => r.id), [c.id]);
      assert.deepEqual((await store.list({ view: 'received', viewer: bob, status: 'needsApproval' })).items.map((r) => r.id).sort(), [a.id, b.id, own.id].sort());
      assert.deepEqual((await store.list({ view: 'mine', viewer: { userId: 'alice', groups: [] }, status: 'approved' })).items.map((r) => r.id), [c.id]);
      assert.deepEqual((await store.list({ view: 'received', viewer: { userId: 'x', groups: [] } })).items, []);
      const everything = await all(store, { view: 'all', viewer: { userId: 'auditor', groups: [] }, limit: 2 });
      assert.equal(everything.length, 5);
      assert.deepEqual((await store.list({ view: 'all', viewer: { userId: 'auditor', groups: [] }, status: 'approved' })).items.map((r) => r.id), [c.id]);
      assert.ok(d);
    }));

  test('refuses a bad limit, status, view or cursor', () =>
    withStore(async (store) => {
      const viewer = { userId: 'alice', groups: [] };
      for (const limit of [0, 101, 1.5]) await assert.rejects(store.list({ view: 'mine', viewer, limit }), { code: 'INVALID_INPUT' });
      await assert.rejects(store.list({ view: 'mine', viewer, cursor: 'not-a-cursor' }), { code: 'INVALID_INPUT' });
      await assert.rejects(store.list({ view: 'mine', viewer, status: 'open' as never }), { code: 'INVALID_INPUT' });
      await assert.rejects(store.list({ view: 'everyone' as never, viewer }), { code: 'INVALID_INPUT' });
    }));
});

describe('audit', () => {
  test('one entry per transition, for all requests or one, from a time on', () =>
    withStore(async (store) => {
      const t0 = Date.parse('2026-06-01T00:00:00.000Z');
      const a = await store.create(newRequest(), new Date(t0));
      const b = await store.create(newRequest(), new Date(t0 + 1000));
      await store.approve(a.id, 'bob', 'yes', new Date(t0 + 2000));
      await store.reject(b.id, 'bob', 'no', new Date(t0 + 3000));
      const events = await store.audit({});
      assert.deepEqual(events.map((e) => [e.requestId, e.action]), [[a.id, 'create'], [b.id, 'create'], [a.id, 'approve'], [b.id, 'reject']]);
      assert.deepEqual((await store.audit({ since: new Date(t0 + 2000).toISOString() })).map((e) => e.action), ['approve', 'reject']);
      assert.deepEqual((await store.audit({ requestId: b.id })).map((e) => e.action), ['create', 'reject']);
      assert.deepEqual((await store.audit({ limit: 1 })).map((e) => e.action), ['create']);
      // A clock that went backwards still records, and `since` still filters by the event's own time.
      await store.cancel((await store.create(newRequest(), new Date(t0 - 60_000))).id, 'alice', new Date(t0 - 50_000));
      assert.equal((await store.audit({})).length, 6);
      assert.deepEqual((await store.audit({ since: new Date(t0 + 2500).toISOString() })).map((e) => e.action), ['reject']);
      await assert.rejects(store.audit({ since: 'yesterday' }), { code: 'INVALID_INPUT' });
      await assert.rejects(store.audit({ limit: 0 }), { code: 'INVALID_INPUT' });
    }));

  test('newest first with order desc: the latest N, one request, back to a time', () =>
    withStore(async (store) => {
      const t0 = Date.parse('2026-06-01T00:00:00.000Z');
      const ids: string[] = [];
      for (let i = 0; i < 7; i++) ids.push((await store.create(newRequest(), new Date(t0 + i * 1000))).id);
      await store.approve(ids[2]!, 'bob', 'yes', new Date(t0 + 10_000));
      const latest = await store.audit({ order: 'desc', limit: 3 });
      assert.deepEqual(latest.map((e) => [e.requestId, e.action]), [[ids[2], 'approve'], [ids[6], 'create'], [ids[5], 'create']]);
      assert.deepEqual((await store.audit({ order: 'desc', requestId: ids[2]! })).map((e) => e.action), ['approve', 'create']);
      const back = await store.audit({ order: 'desc', since: new Date(t0 + 5000).toISOString() });
      assert.deepEqual(back.map((e) => e.requestId), [ids[2], ids[6], ids[5]]);
      await assert.rejects(store.audit({ order: 'sideways' as 'asc' }), { code: 'INVALID_INPUT' });
    }));
});
