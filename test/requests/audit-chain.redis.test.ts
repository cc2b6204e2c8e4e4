/**
 * The audit hash chain against a real redis-server: the scripts' SHA-256 and chain agree with
 * src/requests/audit-chain.ts, and verification names the first broken link when the stream is
 * edited, deleted from or inserted into directly in Redis; retention trims without breaking it.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createClient } from 'redis';
import { startRedis, type TestRedis } from '../support/redis-server';
import { contentHash, GENESIS_HASH, linkHash, type ChainedEvent } from '../../src/requests/audit-chain';
import { requestKeys } from '../../src/requests/keys';
import { loadScript } from '../../src/requests/scripts';
import type { RequestStore } from '../../src/requests/types';
import { createRequestStore } from '../../src/requests/redis-store';
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

type Entry = [id: string, fields: string[]];
const entries = async (key: string): Promise<Entry[]> => (await raw.sendCommand(['XRANGE', key, '-', '+'])) as Entry[];

/** Writes the stream again with `change` applied to its entries, ids kept: the edits an attacker with Redis access can make. */
async function rewrite(key: string, change: (list: Entry[]) => Entry[]): Promise<void> {
  const list = change(await entries(key));
  await raw.del(key);
  for (const [id, fields] of list) await raw.sendCommand(['XADD', key, id, ...fields]);
}

/** A store with a short lifecycle of three requests (9 events). */
async function storeWithEvents(): Promise<{ store: RequestStore & { deployment: string }; ids: string[] }> {
  const store = await freshStore(redis);
  const ids: string[] = [];
  for (let i = 0; i < 3; i++) {
    const t = Date.UTC(2026, 0, 1, 10, i);
    const created = await store.create(newRequest(), new Date(t));
    await store.approve(created.id, { userId: 'bob', groups: ['app-approvers'] }, `ok ${i}`, new Date(t + 1000));
    const { claimToken } = await store.beginComplete(created.id, 'alice', 30_000, new Date(t + 3000));
    await store.finishComplete(created.id, claimToken, { kind: 'completed', upstreamStatus: 204, upstreamBodyPreview: '' }, new Date(t + 4000));
    ids.push(created.id);
  }
  return { store, ids };
}

// 64 bytes twice: every chain link is a 64-byte message, whose padding block the include keeps precomputed.
test("the scripts' SHA-256 is SHA-256, at every padding edge", async () => {
  const sha = loadScript('trim-audit-2').source; // any script; the include is tested through a probe below
  assert.ok(sha.length > 0);
  const probe = `${loadScript('create-5').source.split('\nlocal id, nowMs')[0]}\nlocal out = {}\nfor i, m in ipairs(ARGV) do\n  out[i] = (string.gsub(sha256Raw(m), '.', function(c) return string.format('%02x', string.byte(c)) end))\nend\nreturn out`;
  const messages = ['', 'abc', 'x'.repeat(55), 'x'.repeat(56), 'x'.repeat(63), 'x'.repeat(64), '0123456789abcdef'.repeat(4), 'x'.repeat(65), 'z'.repeat(128), 'é✓'.repeat(100), Buffer.from([0, 255, 128, 10]).toString('latin1')];
  const answer = (await raw.sendCommand(['EVAL', probe, '0', ...messages])) as string[];
  assert.deepEqual(answer, messages.map((m) => createHash('sha256').update(m).digest('hex')));
});

test('every transition writes a chained event: seq from 1, each linking to the one before, hashes as audit-chain.ts computes them', async () => {
  const { store } = await storeWithEvents();
  try {
    const k = requestKeys(store.deployment);
    const events = (await store.exportAudit({ limit: 1000 })).items as ChainedEvent[];
    assert.equal(events.length, 12);
    let prev = GENESIS_HASH;
    for (const [i, event] of events.entries()) {
      assert.equal(event.seq, i + 1);
      assert.equal(event.chainVersion, 2, 'every new event is written with the version 2 formula');
      assert.equal(event.prevHash, prev);
      assert.equal(event.hash, linkHash(prev, contentHash(event)));
      prev = event.hash;
    }
    // The create event pins what was parked; the approve event the notes.
    const request = (await store.get(events[0]!.requestId))!;
    assert.match(request.requestSha256 ?? '', /^[0-9a-f]{64}$/);
    assert.equal(events[0]!.requestSha256, request.requestSha256);
    assert.equal(events[1]!.notesSha256, createHash('sha256').update('ok 0').digest('hex'));
    const { head, checkpoint } = await store.auditChain();
    assert.deepEqual(head, { seq: 12, hash: prev, id: events[11]!.id, at: events[11]!.at });
    assert.equal(checkpoint, null);
    const stored = await raw.hGetAll(k.auditHead);
    assert.deepEqual({ seq: stored.seq, hash: stored.hash, id: stored.id, at: stored.at }, { seq: '12', hash: prev, id: events[11]!.id, at: events[11]!.at });
    assert.deepEqual(await store.verifyAudit(), { ok: true, events: 12, legacy: 0, from: null, head });
  } finally {
    await store.close();
  }
});

test('an edited event is the first broken link', async () => {
  const { store } = await storeWithEvents();
  try {
    const k = requestKeys(store.deployment);
    const list = await entries(k.audit);
    const target = list[4]![0];
    await rewrite(k.audit, (l) => l.map(([id, f]) => [id, id === target ? f.map((v, i) => (f[i - 1] === 'actor' ? 'mallory' : v)) : f]));
    const result = await store.verifyAudit();
    assert.equal(result.ok, false);
    assert.deepEqual(result.broken, { id: target, seq: 5, reason: 'its content does not match its hash: the event was edited' });
  } finally {
    await store.close();
  }
});

test('a deleted event breaks the link of the event after it; a deleted last event breaks the head', async () => {
  const { store } = await storeWithEvents();
  try {
    const k = requestKeys(store.deployment);
    const list = await entries(k.audit);
    await raw.sendCommand(['XDEL', k.audit, list[6]![0]]);
    const result = await store.verifyAudit();
    assert.equal(result.broken?.id, list[7]![0]);
    assert.equal(result.broken?.seq, 8);
    assert.match(result.broken!.reason, /prevHash is not the hash of event 6 .*deleted or inserted/);

    const other = await storeWithEvents();
    const k2 = requestKeys(other.store.deployment);
    const last = (await entries(k2.audit)).at(-1)![0];
    await raw.sendCommand(['XDEL', k2.audit, last]);
    const tail = await other.store.verifyAudit();
    assert.equal(tail.broken?.id, 'head');
    assert.match(tail.broken!.reason, /the head is event 12 .* but the events end at event 11/);
    await other.store.close();
  } finally {
    await store.close();
  }
});

test('an inserted event breaks at the insertion, even when it links to the event before it', async () => {
  const { store } = await storeWithEvents();
  try {
    const k = requestKeys(store.deployment);
    const list = await entries(k.audit);
    const [beforeId] = list[2]!;
    const before = (await store.exportAudit({ limit: 3 })).items[2] as ChainedEvent;
    // A forged approval that links correctly to event 3, with seq 4 and a correct hash.
    const forged: ChainedEvent = { ...before, id: '', actor: 'mallory', action: 'approve', from: 'needsApproval', to: 'approved', seq: 4, prevHash: before.hash, hash: '' };
    delete forged.requestSha256;
    forged.hash = linkHash(before.hash, contentHash(forged));
    const [ms, seq] = beforeId.split('-');
    const forgedId = `${ms}-${Number(seq) + 1}`;
    await rewrite(k.audit, (l) => {
      const at = l.findIndex(([id]) => id === beforeId) + 1;
      const fields = ['at', forged.at, 'requestId', forged.requestId, 'actor', 'mallory', 'action', 'approve', 'from', 'needsApproval', 'to', 'approved', 'chainVersion', '2', 'seq', '4', 'prevHash', forged.prevHash, 'hash', forged.hash];
      return [...l.slice(0, at), [forgedId, fields], ...l.slice(at)];
    });
    const result = await store.verifyAudit();
    // The forged event verifies on its own; the real event 4 after it does not link to it.
    assert.equal(result.broken?.id, list[3]![0]);
    assert.match(result.broken!.reason, /prevHash is not the hash of event 4/);

    // An entry with no chain fields at all, after the chain began, is an insertion too.
    await raw.sendCommand(['XADD', k.audit, '*', 'at', forged.at, 'requestId', forged.requestId, 'actor', 'x', 'action', 'approve', 'to', 'approved']);
    const other = await storeWithEvents();
    const k2 = requestKeys(other.store.deployment);
    await rewrite(k2.audit, (l) => [...l.slice(0, 2), [`${l[1]![0].split('-')[0]}-${Number(l[1]![0].split('-')[1]) + 1}`, ['at', forged.at, 'requestId', 'r', 'actor', 'x', 'action', 'approve', 'to', 'approved']], ...l.slice(2)]);
    const bare = await other.store.verifyAudit();
    assert.match(bare.broken!.reason, /an event without chain fields after event 2/);
    await other.store.close();
  } finally {
    await store.close();
  }
});

test('retention trims old events and keeps a checkpoint; verification starts from it, and a broken part is not trimmed', async () => {
  const { store } = await storeWithEvents();
  try {
    const k = requestKeys(store.deployment);
    const before = (await store.exportAudit({ limit: 1000 })).items as ChainedEvent[];
    // Requests 1 and 2 happened at 10:00 and 10:01; keep from 10:02 on.
    const trim = await store.trimAudit(new Date(Date.UTC(2026, 0, 1, 10, 2)), new Date('2027-01-01T00:00:00.000Z'));
    assert.deepEqual(trim, { trimmed: 8 });
    assert.equal((await entries(k.audit)).length, 4);
    const { checkpoint, head } = await store.auditChain();
    assert.deepEqual(checkpoint, { seq: 8, hash: before[7]!.hash, id: before[7]!.id, at: before[7]!.at, trimmedAt: '2027-01-01T00:00:00.000Z', trimmed: 8 });
    assert.equal(head?.seq, 12);
    const verified = await store.verifyAudit();
    assert.equal(verified.ok, true);
    assert.equal(verified.events, 4);
    // New events keep chaining after a trim.
    await store.create(newRequest(), new Date(Date.UTC(2026, 0, 1, 11)));
    assert.equal((await store.verifyAudit()).events, 5);

    // A checkpoint edited in Redis no longer matches the first event left.
    await raw.hSet(k.auditCheckpoint, 'hash', 'f'.repeat(64));
    const broken = await store.verifyAudit();
    assert.match(broken.broken!.reason, /prevHash is not the hash of event 8/);
    // …and retention refuses to trim past the break, leaving it to be seen.
    const refused = await store.trimAudit(new Date(Date.UTC(2026, 0, 1, 10, 3)));
    assert.equal(refused.trimmed, 0);
    assert.match(refused.refused ?? '', /prevHash is not the hash of event 8/);
    assert.equal((await entries(k.audit)).length, 5);
  } finally {
    await store.close();
  }
});

test('events written before the chain existed are counted, not verified, and may only come first', async () => {
  const store = await freshStore(redis);
  try {
    const k = requestKeys(store.deployment);
    await raw.sendCommand(['XADD', k.audit, '1700000000000-0', 'at', '2023-11-14T22:13:20.000Z', 'requestId', 'old', 'actor', 'alice', 'action', 'create', 'from', '', 'to', 'needsApproval']);
    await store.create(newRequest(), new Date(Date.UTC(2026, 0, 1)));
    const result = await store.verifyAudit();
    assert.equal(result.ok, true);
    assert.equal(result.legacy, 1);
    assert.equal(result.events, 1);
    assert.deepEqual(await store.trimAudit(new Date(Date.UTC(2025, 0, 1))), { trimmed: 1 });
    assert.equal((await store.auditChain()).checkpoint?.trimmed, 1);
    assert.equal((await store.verifyAudit()).ok, true);
  } finally {
    await store.close();
  }
});

test('a chain of version 1 events (seq in contentHash) goes on with version 2 events and verifies across the change; a version flipped is an edit', async () => {
  const store = await freshStore(redis);
  try {
    const k = requestKeys(store.deployment);
    // Two events as the scripts wrote them before 2026-12-06: no chainVersion, seq hashed.
    let prev = GENESIS_HASH;
    for (const seq of [1, 2]) {
      const event = { at: `2026-01-01T00:00:0${seq}.000Z`, requestId: `old-${seq}`, actor: 'alice', action: 'cancel' as const, from: 'needsApproval' as const, to: 'canceled' as const, seq };
      const hash = linkHash(prev, contentHash(event));
      const id = `${1767225600000 + seq * 1000}-0`;
      await raw.sendCommand(['XADD', k.audit, id, 'at', event.at, 'requestId', event.requestId, 'actor', 'alice', 'action', 'cancel', 'from', 'needsApproval', 'to', 'canceled', 'seq', String(seq), 'prevHash', prev, 'hash', hash]);
      await raw.hSet(k.auditHead, { seq: String(seq), hash, id, at: event.at });
      prev = hash;
    }
    const created = await store.create(newRequest(), new Date(Date.UTC(2026, 0, 2)));
    await store.cancel(created.id, 'alice', new Date(Date.UTC(2026, 0, 2, 0, 1)));
    const events = (await store.exportAudit({ limit: 10 })).items as ChainedEvent[];
    assert.deepEqual(events.map((e) => [e.seq, e.chainVersion]), [[1, undefined], [2, undefined], [3, 2], [4, 2]]);
    assert.equal(events[2]!.prevHash, prev, 'the first version 2 event links to the last version 1 event');
    // The create's contentHash came from the gateway, the cancel's from Lua: both are the one formula.
    for (const event of events.slice(2)) assert.equal(event.hash, linkHash(event.prevHash, contentHash(event)));
    const head = (await store.auditChain()).head;
    assert.deepEqual(await store.verifyAudit(), { ok: true, events: 4, legacy: 0, from: null, head });

    // Dropping chainVersion from an event (to read it with the other formula) is an edit like any other.
    const target = events[2]!.id;
    await rewrite(k.audit, (l) => l.map(([id, f]) => [id, id === target ? f.filter((_, i) => f[i] !== 'chainVersion' && f[i - 1] !== 'chainVersion') : f]));
    assert.deepEqual((await store.verifyAudit()).broken, { id: target, seq: 3, reason: 'its content does not match its hash: the event was edited' });
  } finally {
    await store.close();
  }
});

test('a create whose contentHash is not 32 bytes is refused before anything is written', async () => {
  const store = await freshStore(redis);
  try {
    const k = requestKeys(store.deployment);
    const script = loadScript('create-5');
    const args = ['bad-create', '1767225600000', '2026-01-01T00:00:00.000Z', 'alice', '{}', 'x', '{}', '{}', 'apps:/x', '1', '["app-approvers"]', 'body', '', '', '', ''];
    // Too short, too long, and the hex form (64 characters) the gateway no longer sends.
    for (const content of ['not-a-hash', 'x'.repeat(33), 'ab'.repeat(32)]) {
      await assert.rejects(raw.sendCommand(['EVAL', script.source, '5', k.request('bad-create'), k.body('bad-create'), k.locks, k.audit, k.prefix, ...args, content]), /contentHash must be 32 bytes/);
    }
    // A guessed link needs a 64-character head, a 32-byte link, and the contentHash it links.
    const content = 'c'.repeat(32);
    for (const guess of [[content, GENESIS_HASH, 'x'.repeat(31)], [content, '0'.repeat(63), 'x'.repeat(32)], ['', GENESIS_HASH, 'x'.repeat(32)], [content, GENESIS_HASH]]) {
      await assert.rejects(raw.sendCommand(['EVAL', script.source, '5', k.request('bad-create'), k.body('bad-create'), k.locks, k.audit, k.prefix, ...args, ...guess]), /ARGV\[18\.\.19\]/);
    }
    assert.equal(await raw.exists([k.request('bad-create'), k.body('bad-create'), k.audit, k.locks]), 0);
  } finally {
    await store.close();
  }
});

test("the sweep trims events older than the audit retention, leaving the chain verifiable", async () => {
  const store = await freshStore(redis, { retention: { auditMs: 60_000 } });
  try {
    const t0 = Date.UTC(2026, 0, 1, 9);
    await store.create(newRequest(), new Date(t0));
    await store.create(newRequest(), new Date(t0 + 1000));
    const kept = await store.create(newRequest(), new Date(t0 + 5 * 60_000));
    await store.sweep(new Date(t0 + 5 * 60_000 + 1000));
    const { checkpoint } = await store.auditChain();
    assert.equal(checkpoint?.seq, 2);
    assert.equal(checkpoint?.trimmed, 2);
    const left = (await store.exportAudit({ limit: 10 })).items;
    assert.deepEqual(left.map((e) => e.requestId), [kept.id]);
    assert.deepEqual((await store.verifyAudit()).ok, true);
  } finally {
    await store.close();
  }
});

test("a create's guessed link is written only when the chain's head is the one it was guessed for", async () => {
  const store = await freshStore(redis);
  try {
    const k = requestKeys(store.deployment);
    const script = loadScript('create-5');
    await store.create(newRequest());
    const head = (await store.auditChain()).head!.hash;
    /** A create as the gateway sends it, with a guess of the head and the link it brings for that guess. */
    const create = async (id: string, guessedHead: string, link: (content: string) => Buffer) => {
      const at = '2026-01-01T00:00:00.000Z';
      const content = contentHash({ at, requestId: id, actor: 'alice', action: 'create', from: null, to: 'needsApproval', chainVersion: 2 });
      const args = [id, '1767225600000', at, 'alice', '{}', 'x', '{}', '{}', `apps:/${id}`, '1', '["app-approvers"]', 'body', '', '', '', '', Buffer.from(content, 'hex'), guessedHead, link(content)];
      const reply = (await raw.sendCommand(['EVAL', script.source, '5', k.request(id), k.body(id), k.locks, k.audit, k.prefix, ...args])) as [number, string, string];
      return { content, head: reply[2] };
    };
    // A guess for another head (another writer came first) is ignored, whatever link it brings: the script links the event itself.
    const stale = await create('stale-guess', GENESIS_HASH, () => Buffer.alloc(32, 7));
    assert.equal(stale.head, linkHash(head, stale.content));
    // A guess for the head as it is: the link it brings is the event's hash.
    const right = await create('right-guess', stale.head, (content) => Buffer.from(linkHash(stale.head, content), 'hex'));
    assert.equal(right.head, linkHash(stale.head, right.content));
    const chain = await store.auditChain();
    assert.equal(chain.head!.hash, right.head);
    assert.deepEqual(await store.verifyAudit(), { ok: true, events: 3, legacy: 0, from: null, head: chain.head });
  } finally {
    await store.close();
  }
});

test('two gateways parking at once on one deployment, with approvals between, leave one chain that verifies', async () => {
  const deployment = (await freshStore(redis).then(async (s) => { await s.close(); return s.deployment; }));
  const [one, two] = await Promise.all([createRequestStore({ url: redis.url, deployment }), createRequestStore({ url: redis.url, deployment })]);
  try {
    for (let round = 0; round < 5; round++) {
      const created = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? one : two).create(newRequest())));
      await Promise.all([
        ...created.slice(0, 5).map((r) => two.approve(r.id, { userId: 'bob', groups: ['app-approvers'] }, 'ok')),
        ...Array.from({ length: 10 }, () => one.create(newRequest())),
      ]);
    }
    const verified = await one.verifyAudit();
    assert.equal(verified.ok, true, JSON.stringify(verified));
    assert.equal(verified.events, 5 * (20 + 5 + 10));
  } finally {
    await Promise.all([one.close(), two.close()]);
  }
});
