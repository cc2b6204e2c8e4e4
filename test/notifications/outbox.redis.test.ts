/**
 * The outbox in Redis: every transition writes its event in the same script (one per audit
 * event, carrying its audit id), the "expires soon" warning is queued once per request and open
 * status however often and concurrently the scan runs, settling is idempotent and one script per
 * page, a gateway without channels drains it without reading requests and as fast as it fills, and
 * deliveries run `delivery.concurrency` requests at a time, each request's events in order.
 */
import { after, before, test } from 'node:test';
import http from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { createClient } from 'redis';
import { startNotificationDispatcher } from '../../src/notifications/dispatcher';
import { loadNotificationsConfig, NOTIFICATION_DEFAULTS } from '../../src/notifications/notifications-config';
import { OUTBOX_GROUP, openOutbox, type Outbox } from '../../src/notifications/outbox';
import type { RequestStore } from '../../src/requests/types';
import { freshStore, newRequest } from '../requests/fixtures';
import { startRedis, type TestRedis } from '../support/redis-server';

const DAY = 86_400_000;
const RETENTION = { openMs: 30 * DAY, approvedMs: 10 * DAY };
const t0 = Date.parse('2026-05-01T00:00:00.000Z');
const at = (ms: number) => new Date(t0 + ms);

let redis: TestRedis;
before(async () => {
  redis = await startRedis();
});
after(async () => {
  await redis.stop();
});

async function open(): Promise<{ store: RequestStore & { deployment: string }; outbox: Outbox; close(): Promise<void> }> {
  const store = await freshStore(redis, { retention: { ...RETENTION, endedMs: 30 * DAY } });
  const outbox = await openOutbox({ url: redis.url, deployment: store.deployment });
  return {
    store,
    outbox,
    async close() {
      await outbox.close();
      await store.close();
    },
  };
}

type Entry = { id: string; fields: Record<string, string> };
async function entries(outbox: Outbox): Promise<Entry[]> {
  const raw = await outbox.connection.send<Array<[string, string[]]>>(['XRANGE', outbox.keys.outbox, '-', '+']);
  return raw.map(([id, flat]) => {
    const fields: Record<string, string> = {};
    for (let i = 0; i < flat.length; i += 2) fields[flat[i]!] = flat[i + 1]!;
    return { id, fields };
  });
}

test('every transition writes exactly one outbox event, in its own script, naming its audit event', async () => {
  const { store, outbox, close } = await open();
  try {
    const completed = (await store.create(newRequest(), at(0))).id;
    await store.approve(completed, 'bob', 'ok', at(1));
    const claim = await store.beginComplete(completed, 'alice', 60_000, at(2));
    await store.finishComplete(completed, claim.claimToken, { kind: 'completed', upstreamStatus: 200, upstreamBodyPreview: '' }, at(3));
    const rejected = (await store.create(newRequest(), at(0))).id;
    await store.reject(rejected, 'bob', 'no', at(1));
    const canceled = (await store.create(newRequest(), at(0))).id;
    await store.cancel(canceled, 'alice', at(1));
    const expired = (await store.create(newRequest(), at(0))).id;
    await store.sweep(at(31 * DAY));

    const audit = await store.audit({ limit: 1000 });
    const outboxEntries = await entries(outbox);
    assert.equal(outboxEntries.length, audit.length);
    assert.ok(audit.length >= 10);
    for (const event of audit) {
      const matching = outboxEntries.filter((e) => e.fields.auditId === event.id);
      assert.equal(matching.length, 1, `one outbox entry for audit event ${event.id} (${event.action})`);
      const f = matching[0]!.fields;
      assert.deepEqual([f.requestId, f.event, f.actor, f.from || null, f.to, f.at], [event.requestId, event.action, event.actor, event.from, event.to, event.at]);
    }
    assert.deepEqual(
      outboxEntries.filter((e) => e.fields.requestId === expired).map((e) => e.fields.event),
      ['create', 'expire'],
    );
    // A refused transition writes nothing.
    const open = (await store.create(newRequest(), at(32 * DAY))).id;
    const before = (await entries(outbox)).length;
    await assert.rejects(store.approve(open, 'alice', 'my own', at(32 * DAY + 1)), { code: 'SELF_APPROVAL' });
    assert.equal((await entries(outbox)).length, before);
    assert.equal((await outbox.status()).undelivered, before);
  } finally {
    await close();
  }
});

test('the expiry warning is queued once per request and open status, however often and concurrently the scan runs', async () => {
  const { store, outbox, close } = await open();
  try {
    const id = (await store.create(newRequest(), at(0))).id;
    const warnings = async () => (await entries(outbox)).filter((e) => e.fields.event === 'expiring');

    // Due at 30 days: not yet within 24 h at day 28.
    assert.equal(await outbox.warnExpiring(at(28 * DAY), RETENTION, DAY), 0);
    // Within 24 h: five scans at once (several gateways), then again later: one warning.
    const counts = await Promise.all(Array.from({ length: 5 }, () => outbox.warnExpiring(at(29.5 * DAY), RETENTION, DAY)));
    assert.equal(counts.reduce((a, b) => a + b, 0), 1);
    assert.equal(await outbox.warnExpiring(at(29.9 * DAY), RETENTION, DAY), 0);
    const [first] = await warnings();
    assert.deepEqual([first?.fields.requestId, first?.fields.from, first?.fields.to, first?.fields.expiresMs], [id, 'needsApproval', 'needsApproval', String(t0 + 30 * DAY)]);
    assert.equal(first?.fields.auditId, '', 'a warning is not a transition');

    // Approved: a new status, due 10 days later; warned once more (the requestor's turn).
    await store.approve(id, 'bob', 'ok', at(29.95 * DAY));
    assert.equal(await outbox.warnExpiring(at(30 * DAY), RETENTION, DAY), 0);
    assert.equal(await outbox.warnExpiring(at(39.5 * DAY), RETENTION, DAY), 1);
    assert.equal(await outbox.warnExpiring(at(39.6 * DAY), RETENTION, DAY), 0);
    assert.deepEqual((await warnings()).map((w) => w.fields.from), ['needsApproval', 'approved']);

    // Past due: the sweep expires it; no late warning.
    const late = (await store.create(newRequest(), at(0))).id;
    assert.equal(await outbox.warnExpiring(at(30 * DAY + 1), RETENTION, DAY), 0);
    assert.ok(!(await warnings()).some((w) => w.fields.requestId === late));
    // The warning is not in the audit stream or the history: nothing changed.
    assert.ok(!(await store.audit({ limit: 1000 })).some((e) => (e.action as string) === 'expiring'));
  } finally {
    await close();
  }
});

test('an access policy\'s own expiry is warned before it, from the expiry set', async () => {
  const { store, outbox, close } = await open();
  try {
    const request = newRequest();
    request.decision.expiresAfterMs = 2 * DAY;
    const id = (await store.create(request, at(0))).id;
    assert.equal(await outbox.warnExpiring(at(0.5 * DAY), RETENTION, DAY), 0);
    assert.equal(await outbox.warnExpiring(at(1.5 * DAY), RETENTION, DAY), 1);
    const warning = (await entries(outbox)).find((e) => e.fields.event === 'expiring');
    assert.equal(warning?.fields.requestId, id);
    assert.equal(warning?.fields.expiresMs, String(t0 + 2 * DAY));
  } finally {
    await close();
  }
});

test('settling is idempotent: an event settled once is not settled again, and leaves no progress or second dead letter', async () => {
  const { store, outbox, close } = await open();
  try {
    await store.create(newRequest(), at(0));
    const [entry] = await outbox.readNew();
    assert.ok(entry);
    const dead = { eventId: entry.id, channel: 'siem', requestId: entry.requestId, event: 'created', attempts: 3, lastError: 'receiver answered 500', at: entry.at, deadAt: entry.at };
    assert.deepEqual(await outbox.settle([{ id: entry.id, progress: { siem: { attempts: 1, nextMs: 1 } }, settled: false, deadLetters: [] }]), [true]);
    assert.deepEqual((await outbox.progress([entry.id])).get(entry.id), { siem: { attempts: 1, nextMs: 1 } });
    const final = { id: entry.id, progress: { siem: { attempts: 3, state: 'dead' as const } }, settled: true, deadLetters: [dead] };
    assert.deepEqual(await outbox.settle([final]), [true]);
    assert.deepEqual(await outbox.settle([final]), [false]);
    assert.deepEqual(await outbox.deadLetters(), [dead]);
    assert.equal((await outbox.progress([entry.id])).size, 0);
    assert.deepEqual(await outbox.status(), { undelivered: 0, pending: 0, deadLetters: 1, oldestAgeSeconds: null });
    // Nothing is left pending for anyone to take over.
    assert.deepEqual(await outbox.claimIdle(0), []);
    const raw = createClient({ url: redis.url });
    await raw.connect();
    try {
      assert.equal(await raw.exists(outbox.keys.outboxProgress), 0);
    } finally {
      await raw.close();
    }
  } finally {
    await close();
  }
});

test('a gateway without notification channels drains the outbox without reading a single request', async () => {
  const s = await open();
  let reads = 0;
  const counted = { get: (id: string) => (reads++, s.store.get(id)) };
  for (let i = 0; i < 5; i++) await s.store.create(newRequest());
  assert.equal((await entries(s.outbox)).length, 5);
  const config = { ...NOTIFICATION_DEFAULTS, delivery: { ...NOTIFICATION_DEFAULTS.delivery, pollIntervalMs: 20 }, channels: [] };
  const dispatcher = startNotificationDispatcher({ config, outbox: s.outbox, store: counted, retention: RETENTION });
  try {
    const deadline = Date.now() + 5000;
    while ((await s.outbox.status()).undelivered > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.equal((await s.outbox.status()).undelivered, 0, 'every event settled');
    assert.equal((await entries(s.outbox)).length, 0, 'and deleted from the stream');
    assert.equal(reads, 0, 'no request was read: nothing could want it');
  } finally {
    await dispatcher.stop();
    await s.close();
  }
});

test('a page of events is settled by one script, each as it says; a malformed list changes nothing', async () => {
  const { store, outbox, close } = await open();
  try {
    for (let i = 0; i < 3; i++) await store.create(newRequest({ objectKey: `page-${i}` }), at(i));
    const [first, second, third] = await outbox.readNew();
    assert.ok(first && second && third);
    const dead = { eventId: third.id, channel: 'siem', requestId: third.requestId, event: 'created', attempts: 8, lastError: 'receiver answered 500', at: third.at, deadAt: third.at };
    const keys = [outbox.keys.outbox, outbox.keys.outboxProgress, outbox.keys.outboxDeadLetters];
    // n says more dead letters than follow; n is not a number: refused before any write.
    await assert.rejects(outbox.connection.runScript('settleNotifications', keys, [OUTBOX_GROUP, first.id, '{}', '1', '0', second.id, '{}', '1', '2', JSON.stringify(dead)]), /settle-notifications/);
    await assert.rejects(outbox.connection.runScript('settleNotifications', keys, [OUTBOX_GROUP, first.id, '{}', '1', 'x']), /settle-notifications/);
    const untouched = await outbox.status();
    assert.deepEqual([untouched.undelivered, untouched.pending, untouched.deadLetters], [3, 3, 0]);

    const waiting = { siem: { attempts: 1, nextMs: 5 } };
    assert.deepEqual(
      await outbox.settle([
        { id: first.id, progress: { siem: { attempts: 1, state: 'delivered' } }, settled: true, deadLetters: [] },
        { id: second.id, progress: waiting, settled: false, deadLetters: [] },
        { id: third.id, progress: { siem: { attempts: 8, state: 'dead' } }, settled: true, deadLetters: [dead] },
      ]),
      [true, true, true],
    );
    assert.deepEqual((await entries(outbox)).map((e) => e.id), [second.id], 'the settled ones are deleted, the one with retries stays');
    assert.deepEqual([...(await outbox.progress([first.id, second.id, third.id])).entries()], [[second.id, waiting]]);
    assert.deepEqual(await outbox.deadLetters(), [dead]);
    const pending = await outbox.connection.send<[number]>(['XPENDING', outbox.keys.outbox, OUTBOX_GROUP]);
    assert.equal(Number(pending[0]), 1, 'only the event with retries is still pending');
    // Settled again by a slower dispatcher: with a dead letter it is looked up, answered "gone", and
    // no second dead letter is pushed; with nothing to keep it is simply acknowledged again.
    assert.deepEqual(await outbox.settle([{ id: third.id, progress: {}, settled: true, deadLetters: [dead] }, { id: first.id, progress: {}, settled: true, deadLetters: [] }]), [false, true]);
    assert.equal((await outbox.deadLetters()).length, 1);
    assert.deepEqual((await entries(outbox)).map((e) => e.id), [second.id]);
  } finally {
    await close();
  }
});

test('a backlog drains as fast as it fills: a full page is followed by the next poll at once, not a poll interval later', { timeout: 60_000 }, async () => {
  const s = await open();
  const backlog = 1_050;
  let next = 0;
  await Promise.all(Array.from({ length: 16 }, async () => {
    while (next < backlog) await s.store.create(newRequest({ objectKey: `backlog-${next++}` }));
  }));
  assert.equal((await s.outbox.status()).undelivered, backlog);
  // A poll interval of a minute: draining a page per poll would leave ten pages waiting for ten minutes.
  const config = { ...NOTIFICATION_DEFAULTS, delivery: { ...NOTIFICATION_DEFAULTS.delivery, pollIntervalMs: 60_000 }, channels: [] };
  const dispatcher = startNotificationDispatcher({ config, outbox: s.outbox, store: s.store, retention: RETENTION });
  try {
    const deadline = Date.now() + 30_000;
    while ((await s.outbox.status()).undelivered > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(await s.outbox.status(), { undelivered: 0, pending: 0, deadLetters: 0, oldestAgeSeconds: null });
  } finally {
    await dispatcher.stop();
    await s.close();
  }
});

test('deliveries run `delivery.concurrency` requests at a time, and each request\'s events arrive in order', { timeout: 60_000 }, async () => {
  const s = await open();
  const dir = mkdtempSync(join(tmpdir(), 'countersign-outbox-'));
  let inFlight = 0;
  let mostInFlight = 0;
  const arrived: Array<{ requestId: string; type: string }> = [];
  // A receiver slow enough (40 ms an event) for the dispatcher's overlap to show.
  const receiver = http.createServer((req, res) => {
    let text = '';
    req.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
    req.on('end', () => {
      inFlight++;
      mostInFlight = Math.max(mostInFlight, inFlight);
      const payload = JSON.parse(text) as { type: string; data: { requestId: string } };
      setTimeout(() => {
        arrived.push({ requestId: payload.data.requestId, type: payload.type });
        inFlight--;
        res.writeHead(204).end();
      }, 40);
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  const { port } = receiver.address() as { port: number };
  try {
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) {
      const id = (await s.store.create(newRequest({ objectKey: `order-${i}` }), at(i))).id;
      await s.store.cancel(id, 'alice', at(10 + i));
      ids.push(id);
    }
    writeFileSync(join(dir, 'notifications.yaml'), `delivery: { concurrency: 3, pollInterval: 20ms }\nchannels:\n  - { name: siem, type: webhook, url: "http://127.0.0.1:${port}/hook", secretEnv: TEST_SECRET }\n`);
    const config = loadNotificationsConfig(join(dir, 'notifications.yaml'), { env: { TEST_SECRET: `whsec_${Buffer.alloc(32, 7).toString('base64')}` } });
    assert.equal(config.delivery.concurrency, 3);
    const dispatcher = startNotificationDispatcher({ config, outbox: s.outbox, store: s.store, retention: RETENTION });
    try {
      const deadline = Date.now() + 20_000;
      while (arrived.length < 12 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      assert.equal(arrived.length, 12, 'every event delivered once');
      assert.equal(mostInFlight, 3, 'three requests at a time, never more');
      for (const id of ids) assert.deepEqual(arrived.filter((a) => a.requestId === id).map((a) => a.type), ['request.created', 'request.canceled'], `request ${id} in order`);
    } finally {
      await dispatcher.stop();
    }
  } finally {
    receiver.close();
    rmSync(dir, { recursive: true, force: true });
    await s.close();
  }
});
