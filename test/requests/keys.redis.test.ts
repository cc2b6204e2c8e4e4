/**
 * The key layout lives in two languages: requestKeys() in src/requests/keys.ts and derivedKeys()
 * in src/requests/scripts/includes/keys.lua (the scripts derive index keys from fields they read).
 * This holds the two together: the Lua builders give the same names as the TS ones, every key a
 * whole lifecycle leaves is one the TS builders name, removal leaves no index entry behind, and
 * every key hashes to the deployment's one cluster slot, whatever braces an id or group holds.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createClient } from 'redis';
import { requestKeys } from '../../src/requests/keys';
import { REQUEST_STATUSES } from '../../src/requests/statuses';
import type { RequestStatus } from '../../src/requests/types';
import { startRedis, type TestRedis } from '../support/redis-server';
import { freshStore, newRequest } from './fixtures';

const KEYS_LUA = readFileSync(join(import.meta.dirname, '../../src/requests/scripts/includes/keys.lua'), 'utf8');
const STATUSES: RequestStatus[] = [...REQUEST_STATUSES];
const DAY_MS = 24 * 60 * 60 * 1000;

/** CRC16/XMODEM, the hash Redis Cluster uses for key slots. */
function crc16(bytes: Buffer): number {
  let crc = 0;
  for (const byte of bytes) {
    crc ^= byte << 8;
    for (let i = 0; i < 8; i++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc;
}

/** The cluster slot of a key, by Redis's rule: the first non-empty {…} is hashed when there is one. */
function keySlot(key: string): number {
  const bytes = Buffer.from(key, 'utf8');
  const open = bytes.indexOf('{');
  if (open !== -1) {
    const close = bytes.indexOf('}', open + 1);
    if (close > open + 1) return crc16(bytes.subarray(open + 1, close)) % 16384;
  }
  return crc16(bytes) % 16384;
}

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

test('keys.lua builds the same names as keys.ts, for awkward ids and groups too', async () => {
  const k = requestKeys('default');
  const ids = ['3f0c6f4e-8a1b-4c55-9d0e-2b7f1c9a4d10', 'a:b', 'Ünïcødé 日本', '{other}', 'x}{y'];
  // One Lua call returns every builder's output for every sample, in a fixed order.
  const script = `${KEYS_LUA}
local k = derivedKeys(KEYS[1])
local out = { k.all, k.breakGlass('unreviewed'), k.breakGlass('reviewed'), k.scheduled, k.expiry }
for _, v in ipairs(ARGV) do
  table.insert(out, k.request(v))
  table.insert(out, k.snapshot(v))
  table.insert(out, k.byRequestor(v))
  table.insert(out, k.byGroup(v))
  for _, s in ipairs({ ${STATUSES.map((s) => `'${s}'`).join(', ')} }) do
    table.insert(out, k.byStatus(s))
    table.insert(out, k.byRequestorStatus(v, s))
    table.insert(out, k.byGroupStatus(v, s))
    table.insert(out, k.statusSince(s))
  end
end
return out`;
  const lua = (await raw.eval(script, { keys: [k.prefix], arguments: ids })) as string[];
  const ts = [k.all, k.breakGlass('unreviewed'), k.breakGlass('reviewed'), k.scheduled, k.expiry];
  for (const v of ids) {
    ts.push(k.request(v), k.snapshot(v), k.byRequestor(v), k.byGroup(v));
    for (const s of STATUSES) ts.push(k.byStatus(s), k.byRequestorStatus(v, s), k.byGroupStatus(v, s), k.statusSince(s));
  }
  assert.deepEqual(lua, ts);
});

test('a lifecycle through every script leaves only keys keys.ts names, all in one slot; removal leaves no index entry', async () => {
  const store = await freshStore(redis, { retention: { openMs: DAY_MS, approvedMs: DAY_MS, endedMs: 2 * DAY_MS } });
  try {
    const k = requestKeys(store.deployment);
    const t0 = Date.parse('2026-05-01T00:00:00.000Z');
    const at = (ms: number) => new Date(t0 + ms);
    // Ids and groups with braces: the deployment's tag is still the first {…} of every key.
    const requestor = 'alice{x}';
    const groups = ['g1', '{g2}'];
    // Each with the snapshot of its object, whose bytes live in their own key until removal.
    const snapshotBytes = Buffer.from('{"id":"42","displayName":"Contoso Portal"}');
    const snapshot = { record: { state: 'captured' as const, at: at(0).toISOString(), etag: 'W/"1"', sha256: createHash('sha256').update(snapshotBytes).digest('hex'), bytes: snapshotBytes.length }, bytes: snapshotBytes };
    const make = () => store.create({ ...newRequest({ requestor, approverGroups: groups }), snapshot }, at(0));
    const completed = (await make()).id;
    const rejected = (await make()).id;
    const canceled = (await make()).id;
    const failed = (await make()).id;
    const expired = (await make()).id;
    const stale = (await make()).id;
    await store.approve(completed, 'bob', '', at(1));
    const claim = await store.beginComplete(completed, requestor, 60_000, at(2));
    await store.finishComplete(completed, claim.claimToken, { kind: 'completed', upstreamStatus: 200, upstreamBodyPreview: '' }, at(3));
    await store.reject(rejected, 'bob', 'no', at(1));
    await store.cancel(canceled, requestor, at(1));
    await store.approve(failed, 'bob', '', at(1));
    const claim2 = await store.beginComplete(failed, requestor, 60_000, at(2));
    await store.finishComplete(failed, claim2.claimToken, { kind: 'failed', upstreamStatus: 400, upstreamBodyPreview: '', reason: 'bad' }, at(3));
    await store.approve(stale, 'bob', '', at(1));
    const claim3 = await store.beginComplete(stale, requestor, 60_000, at(2));
    await store.finishComplete(stale, claim3.claimToken, { kind: 'stale', upstreamStatus: 0, upstreamBodyPreview: '', reason: 'its ETag changed' }, at(3));
    assert.deepEqual(await store.getSnapshot(stale), snapshotBytes);
    // Past the open retention: `expired` expires; nothing ended is due for removal yet.
    assert.deepEqual(await store.sweep(at(DAY_MS + 10)), { expired: 1, removed: 0 });
    assert.equal((await store.get(expired))?.status, 'expired');

    const ids = { completed, rejected, canceled, failed, expired, stale };
    const named = new Set([k.locks, k.audit, k.auditHead, k.outbox, k.all, k.byRequestor(requestor)]);
    for (const id of Object.values(ids)) named.add(k.request(id)).add(k.body(id)).add(k.snapshot(id));
    for (const s of STATUSES) {
      named.add(k.byStatus(s)).add(k.byRequestorStatus(requestor, s)).add(k.statusSince(s));
      for (const g of groups) named.add(k.byGroup(g)).add(k.byGroupStatus(g, s));
    }
    const found = async (): Promise<string[]> => {
      const out: string[] = [];
      for await (const keys of raw.scanIterator({ MATCH: `maa:{${store.deployment}}:*`, COUNT: 1000 })) out.push(...keys);
      return out.sort();
    };
    const before = await found();
    for (const key of before) assert.ok(named.has(key), `${key} is a name keys.ts builds`);
    const slot = keySlot(k.prefix);
    for (const key of before) assert.equal(keySlot(key), slot, `${key} is in the deployment's slot`);
    // Each request sits in exactly the indices of its status, as keys.ts names them.
    for (const [status, id] of Object.entries(ids) as Array<[RequestStatus, string]>) {
      for (const s of STATUSES) {
        const expected = s === status;
        assert.equal((await raw.zScore(k.byStatus(s), id)) !== null, expected, `${id} in status:${s}`);
        assert.equal((await raw.zScore(k.byRequestorStatus(requestor, s), id)) !== null, expected);
        for (const g of groups) assert.equal((await raw.zScore(k.byGroupStatus(g, s), id)) !== null, expected);
        assert.equal((await raw.zScore(k.statusSince(s), id)) !== null, expected);
      }
    }

    // Past the ended retention: remove-4 takes every request out of every index reindex put it in.
    assert.deepEqual(await store.sweep(at(4 * DAY_MS)), { expired: 0, removed: 6 });
    // The notification outbox keeps its events until a dispatcher delivers them (none runs here).
    assert.deepEqual(await found(), [k.audit, k.auditHead, k.outbox].sort(), 'only the audit stream, its chain head and the undelivered notifications are left');
  } finally {
    await store.close();
  }
});

test('removal takes an ended request out of the per-policy expiry set, whenever that entry would have come due', async () => {
  const store = await freshStore(redis, { retention: { openMs: DAY_MS, approvedMs: DAY_MS, endedMs: 2 * DAY_MS } });
  try {
    const k = requestKeys(store.deployment);
    const t0 = Date.parse('2026-05-01T00:00:00.000Z');
    const at = (ms: number) => new Date(t0 + ms);
    const request = newRequest();
    // The policy's own expiry is long after the ended retention: only remove-4 can clear the entry.
    request.decision = { ...request.decision, expiresAfterMs: 60 * DAY_MS };
    const { id } = await store.create(request, at(0));
    assert.equal(await raw.zScore(k.expiry, id), t0 + 60 * DAY_MS);
    await store.reject(id, 'bob', 'no', at(1));
    assert.deepEqual(await store.sweep(at(4 * DAY_MS)), { expired: 0, removed: 1 });
    assert.equal(await store.get(id), null);
    assert.equal(await raw.zScore(k.expiry, id), null);
  } finally {
    await store.close();
  }
});
