/**
 * Shutdown keeps its promise: close() stops accepting, lets calls in flight (a complete's replay
 * included, even when its caller hung up) finish and record within the grace period, closes idle
 * keep-alive sockets at once, and cuts only what is still running when the grace period ends.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { auth, useHarness, type Harness } from '../support/harness';

let h: Harness;
useHarness({ get: () => h, set: (next) => (h = next) });

/** A promise with its resolve function, to hold the fake upstream until the test lets it go. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

/** The upstream answers mutations only when `release` opens; `arrived` opens when one reached it. */
function holdUpstreamMutations(): { arrived: Promise<void>; release: () => void } {
  const arrived = gate();
  const release = gate();
  h.upstream.respond = async (call, res) => {
    if (call.method !== 'GET') {
      arrived.open();
      await release.promise;
    }
    res.writeHead(call.method === 'GET' ? 200 : 201, { 'content-type': 'application/json' });
    res.end('{"ok":true}');
  };
  return { arrived: arrived.promise, release: release.open };
}

async function parkAndApprove(): Promise<string> {
  const parked = await h.http.post('/deviceAppManagement/mobileApps/42/assign').set('authorization', auth('alice')).set('content-type', 'application/json').send('{"a":1}');
  assert.equal(parked.status, 202, parked.text);
  const approved = await h.http.post(`/maa/v1/requests/${parked.body.requestId}/approve`).set('authorization', auth('bob')).send({});
  assert.equal(approved.body.status, 'approved');
  return parked.body.requestId as string;
}

/** One raw HTTP call on its own connection, so the test controls when the caller hangs up. */
function call(method: string, path: string, headers: http.OutgoingHttpHeaders = {}): { request: http.ClientRequest; response: Promise<{ status: number; body: string }> } {
  const request = http.request(`${h.baseUrl}${path}`, { method, headers, agent: false });
  const response = new Promise<{ status: number; body: string }>((resolve, reject) => {
    request.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    request.on('error', reject);
  });
  request.end();
  return { request, response };
}

/** Whether a new connection to the gateway is refused. */
async function refusesConnections(): Promise<boolean> {
  try {
    await fetch(`${h.baseUrl}/healthz`);
    return false;
  } catch {
    return true;
  }
}

describe('shutdown', () => {
  test('a complete in flight finishes: the upstream answer is relayed and the outcome recorded', async () => {
    const id = await parkAndApprove();
    const upstream = holdUpstreamMutations();
    const complete = call('POST', `/maa/v1/requests/${id}/complete`, { authorization: auth('alice') });
    await upstream.arrived;

    let closed = false;
    const closing = h.gateway.close(5_000).then(() => (closed = true));
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal(closed, false, 'close waits for the replay in flight');
    assert.equal(await refusesConnections(), true, 'no new connection is accepted while draining');

    upstream.release();
    const res = await complete.response;
    assert.equal(res.status, 201);
    await closing;
    assert.equal((await h.store.get(id))?.status, 'completed');
    assert.equal(h.upstream.mutations.length, 1);
  });

  test('a replay whose caller hung up still records its outcome before close resolves', async () => {
    const id = await parkAndApprove();
    const upstream = holdUpstreamMutations();
    const complete = call('POST', `/maa/v1/requests/${id}/complete`, { authorization: auth('alice') });
    complete.response.catch(() => undefined);
    await upstream.arrived;
    complete.request.destroy();

    const closing = h.gateway.close(5_000);
    await new Promise((resolve) => setTimeout(resolve, 200));
    upstream.release();
    await closing;
    assert.equal((await h.store.get(id))?.status, 'completed');
  });

  test('a proxied mutation in flight gets its answer', async () => {
    const upstream = holdUpstreamMutations();
    const patch = call('PATCH', '/users/u1', { authorization: auth('alice'), 'content-type': 'application/json' });
    await upstream.arrived;
    const closing = h.gateway.close(5_000);
    setTimeout(upstream.release, 200);
    assert.equal((await patch.response).status, 201);
    await closing;
  });

  test('an idle keep-alive connection does not hold the close open', async () => {
    const agent = new http.Agent({ keepAlive: true });
    try {
      const status = await new Promise<number>((resolve, reject) => {
        http.get(`${h.baseUrl}/healthz`, { agent }, (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        }).on('error', reject);
      });
      assert.equal(status, 200);
      const started = Date.now();
      await h.gateway.close(10_000);
      assert.ok(Date.now() - started < 2_000, `close took ${Date.now() - started} ms`);
    } finally {
      agent.destroy();
    }
  });

  test('a call still running when the grace period ends is cut, and close resolves then', async () => {
    holdUpstreamMutations(); // never released
    const patch = call('PATCH', '/users/u1', { authorization: auth('alice'), 'content-type': 'application/json' });
    const outcome = patch.response.then(() => 'answered', () => 'cut');
    await new Promise((resolve) => setTimeout(resolve, 200));
    const started = Date.now();
    await h.gateway.close(300);
    const took = Date.now() - started;
    assert.ok(took >= 250 && took < 3_000, `close took ${took} ms`);
    assert.equal(await outcome, 'cut');
    assert.ok(h.logs.some((line) => line.includes('shutdown grace period over')));
  });
});
