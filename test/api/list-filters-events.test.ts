/**
 * Triage and live updates through HTTP: `GET /requests` filtered by profile type, requestor,
 * object text and creation time, with total counts and bounded input; and `GET /events`, the
 * Server-Sent Events stream fed from the audit stream: what each caller receives, and its bounds.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { auth, useHarness, type Harness, type UserName } from '../support/harness';

let h: Harness;
useHarness({ get: () => h, set: (next) => (h = next) });

const api = (path: string): string => `/maa/v1${path}`;

async function park(user: UserName, path: string, body: unknown = { displayName: 'x' }): Promise<string> {
  const res = await h.http.patch(path).set('authorization', auth(user)).set('x-maa-justification', 'INC-1').send(body as object);
  assert.equal(res.status, 202, JSON.stringify(res.body));
  return res.body.requestId as string;
}

async function list(user: UserName, query: string): Promise<{ status: number; body: { items: { id: string }[]; total: number; totalExact: boolean; nextCursor?: string; error?: { code: string; message: string } } }> {
  const res = await h.http.get(api(`/requests?${query}`)).set('authorization', auth(user));
  return { status: res.status, body: res.body };
}

interface SseEvent {
  event: string;
  id?: string;
  data: string;
}

/** A live stream read with fetch() and the Authorization header, as the console reads it. */
async function openStream(user: UserName): Promise<{ status: number; body: string; next(): Promise<SseEvent>; close(): void }> {
  const abort = new AbortController();
  const response = await fetch(`${h.baseUrl}${api('/events')}`, { headers: { authorization: auth(user), accept: 'text/event-stream' }, signal: abort.signal });
  if (response.status !== 200) return { status: response.status, body: await response.text(), next: () => Promise.reject(new Error('no stream')), close: () => {} };
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  const queued: SseEvent[] = [];
  return {
    status: 200,
    body: '',
    async next() {
      for (;;) {
        const queuedEvent = queued.shift();
        if (queuedEvent) return queuedEvent;
        const { value, done } = await reader.read();
        if (done) throw new Error('the stream ended');
        buffer += value;
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const event: SseEvent = { event: 'message', data: '' };
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) continue;
            const [field, ...rest] = line.split(':');
            const value = rest.join(':').replace(/^ /, '');
            if (field === 'event') event.event = value;
            else if (field === 'id') event.id = value;
            else if (field === 'data') event.data += value;
          }
          if (block.split('\n').some((line) => !line.startsWith(':') && line !== '')) queued.push(event);
        }
      }
    },
    close: () => abort.abort(),
  };
}

/** The next event that is not `ready` and not a `retry` line. */
async function nextRequestEvent(stream: { next(): Promise<SseEvent> }): Promise<{ requestId: string; action: string; to: string; at: string; id?: string }> {
  for (;;) {
    const event = await stream.next();
    if (event.event === 'request') return { ...(JSON.parse(event.data) as { requestId: string; action: string; to: string; at: string }), id: event.id };
  }
}

describe('request list filters', () => {
  test('profile type, requestor (canonical), object text and creation time, each with its total', async () => {
    const app42 = await park('alice', '/deviceAppManagement/mobileApps/42');
    const script7 = await park('alice', '/deviceManagement/deviceManagementScripts/7');
    const app43 = await park('carol', '/deviceAppManagement/mobileApps/43');

    const all = await list('erin', 'view=all');
    assert.equal(all.status, 200);
    assert.equal(all.body.total, 3);
    assert.equal(all.body.totalExact, true);

    const scripts = await list('erin', 'view=all&profileType=scripts');
    assert.deepEqual(scripts.body.items.map((i) => i.id), [script7]);
    assert.equal(scripts.body.total, 1);

    const alices = await list('erin', `view=all&requestor=${encodeURIComponent(' ALICE ')}`);
    assert.deepEqual(alices.body.items.map((i) => i.id), [script7, app42], 'the canonical id finds her requests, newest first');
    assert.equal(alices.body.total, 2);

    const text = await list('erin', 'view=all&q=MOBILEAPPS%2F43');
    assert.deepEqual(text.body.items.map((i) => i.id), [app43]);

    const received = await list('bob', 'view=received&profileType=apps&requestor=alice');
    assert.deepEqual(received.body.items.map((i) => i.id), [app42]);
    assert.equal(received.body.total, 1);

    const future = new Date(Date.now() + 60_000).toISOString();
    const past = new Date(Date.now() - 60_000).toISOString();
    assert.equal((await list('erin', `view=all&createdFrom=${future}`)).body.total, 0);
    const between = await list('erin', `view=all&createdFrom=${past}&createdTo=${future}&status=needsApproval`);
    assert.equal(between.body.total, 3);
    assert.equal(between.body.items.length, 3);

    // Unfiltered lists count too: alice's own, and bob's received (two group indices, one request in both).
    assert.equal((await list('alice', 'view=mine')).body.total, 2);
    assert.equal((await list('bob', 'view=received')).body.total, 3);
  });

  test('a filtered list pages with its cursor, and every filter is bounded', async () => {
    const ids: string[] = [];
    for (let n = 0; n < 3; n++) {
      const id = await park('alice', `/deviceAppManagement/mobileApps/${700 + n}`);
      ids.push(id);
    }
    await park('carol', '/deviceAppManagement/mobileApps/799');
    const first = await list('erin', 'view=all&requestor=alice&limit=2');
    assert.deepEqual(first.body.items.map((i) => i.id), [ids[2], ids[1]]);
    assert.equal(first.body.total, 3);
    assert.ok(first.body.nextCursor);
    const second = await list('erin', `view=all&requestor=alice&limit=2&cursor=${first.body.nextCursor}`);
    assert.deepEqual(second.body.items.map((i) => i.id), [ids[0]]);
    assert.equal(second.body.nextCursor, undefined);

    for (const query of [`q=${'x'.repeat(201)}`, `profileType=${'p'.repeat(129)}`, `requestor=${'u'.repeat(257)}`, 'createdFrom=yesterday', 'createdTo=2026-01-01', 'q=']) {
      const res = await list('erin', `view=all&${query}`);
      assert.equal(res.status, 422, query);
      assert.equal(res.body.error?.code, 'VALIDATION_FAILED', query);
    }
    const backwards = await list('erin', 'view=all&createdFrom=2026-02-01T00:00:00Z&createdTo=2026-01-01T00:00:00Z');
    assert.equal(backwards.status, 422);
    assert.match(backwards.body.error?.message ?? '', /createdTo must be after createdFrom/);
  });
});

describe('live updates: GET /events', () => {
  test('each viewer receives the transitions of the requests they may view, in order', async () => {
    const bob = await openStream('bob');
    const dave = await openStream('dave');
    assert.equal(bob.status, 200);
    try {
      assert.equal((await bob.next()).event, 'ready');
      assert.equal((await dave.next()).event, 'ready');

      const app = await park('alice', '/deviceAppManagement/mobileApps/42');
      const created = await nextRequestEvent(bob);
      assert.equal(created.requestId, app);
      assert.equal(created.action, 'create');
      assert.equal(created.to, 'needsApproval');
      assert.match(created.id ?? '', /^\d+-\d+$/, 'the audit event id');

      const approved = await h.http.post(api(`/requests/${app}/approve`)).set('authorization', auth('bob')).send({ notes: 'ok' });
      assert.equal(approved.status, 200);
      const next = await nextRequestEvent(bob);
      assert.deepEqual([next.requestId, next.action, next.to], [app, 'approve', 'approved']);

      // dave approves access policies, not apps: the first event he receives is the policy change.
      const policy = await park('alice', '/deviceManagement/operationApprovalPolicies/p1', { description: 'x' });
      const daves = await nextRequestEvent(dave);
      assert.equal(daves.requestId, policy);
      // The event names the change, never its content.
      assert.deepEqual(Object.keys(daves).sort(), ['action', 'at', 'id', 'requestId', 'to']);
    } finally {
      bob.close();
      dave.close();
    }
  });

  test('a user holds at most 4 streams (429 TOO_MANY_STREAMS), a stream needs a token, and the gateway ends streams when it drains', async () => {
    const streams = [];
    for (let n = 0; n < 4; n++) {
      const stream = await openStream('bob');
      assert.equal(stream.status, 200);
      assert.equal((await stream.next()).event, 'ready');
      streams.push(stream);
    }
    const fifth = await openStream('bob');
    assert.equal(fifth.status, 429);
    assert.equal(JSON.parse(fifth.body).error.code, 'TOO_MANY_STREAMS');
    // Another user is not affected.
    const alice = await openStream('alice');
    assert.equal(alice.status, 200);

    streams.pop()!.close();
    // The server sees the close when the socket goes; ask until it has.
    let again = await openStream('bob');
    while (again.status === 429) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      again = await openStream('bob');
    }
    assert.equal(again.status, 200);
    streams.push(again);

    const anonymous = await fetch(`${h.baseUrl}${api('/events')}`);
    assert.equal(anonymous.status, 401);
    const withQuery = await fetch(`${h.baseUrl}${api('/events?token=x')}`, { headers: { authorization: auth('alice') } });
    assert.equal(withQuery.status, 422, 'no token in a URL, nor anything else');

    await h.gateway.close(5_000);
    for (const stream of [...streams, alice]) {
      await assert.rejects(async () => {
        for (;;) await stream.next();
      }, /the stream ended|aborted|terminated/);
    }
  });
});
