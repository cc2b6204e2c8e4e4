/**
 * The outbox in Redis: every transition writes its event in the same script (one per audit
 * event, carrying its audit id), the "expires soon" warning is queued once per request and open
 * status however often and concurrently the scan runs, settling is idempotent, and a gateway
 * without channels drains it without reading requests.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createClient } from 'redis';
import { startNotificationDispatcher } from '../../src/notifications/dispatcher';
import { NOTIFICATION_DEFAULTS } from '../../src/notifications/notifications-config';
import { openOutbox, type Outbox } from '../../src/notifications/outbox';
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
    assert.equal(await outbox.settle(entry.id, { siem: { attempts: 1, nextMs: 1 } }, false, []), true);
    assert.deepEqual((await outbox.progress([entry.id])).get(entry.id), { siem: { attempts: 1, nextMs: 1 } });
    assert.equal(await outbox.settle(entry.id, { siem: { attempts: 3, state: 'dead' } }, true, [dead]), true);
    assert.equal(await outbox.settle(entry.id, { siem: { attempts: 3, state: 'dead' } }, true, [dead]), false);
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
