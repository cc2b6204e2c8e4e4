/**
 * Complete and replay: byte-exact bodies (binary, 5 MiB, non-UTF-8), the upstream's answer
 * relayed, 4xx → failed, 5xx / down / timeout → still approved and a retry works, and an
 * outcome left unknown by a lost claim is never resent without ?resend=confirm.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { auth, startHarness, useHarness, type Harness } from '../support/harness';

let h: Harness;
const files = useHarness({ get: () => h, set: (next) => (h = next) });

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

async function parkAndApprove(body: Buffer, contentType: string, path = '/deviceAppManagement/mobileApps/42'): Promise<string> {
  const parked = await h.http.post(`${path}/assign`).set('authorization', auth('alice')).set('content-type', contentType)
    // superagent would JSON-encode a Buffer under a JSON content type; a string goes as is.
    .send(contentType.startsWith('application/json') ? body.toString('utf8') : body);
  assert.equal(parked.status, 202, parked.text);
  assert.equal(parked.body.bodySha256, sha(body));
  const approved = await h.http.post(`/maa/v1/requests/${parked.body.requestId}/approve`).set('authorization', auth('bob')).send({});
  assert.equal(approved.body.status, 'approved');
  return parked.body.requestId as string;
}

const complete = (id: string, query = '') => h.http.post(`/maa/v1/requests/${id}/complete${query}`).set('authorization', auth('alice'));

describe('replay', () => {
  for (const [name, body, type] of [
    ['binary', randomBytes(64 * 1024), 'application/octet-stream'],
    ['5 MiB', randomBytes(5 * 1024 * 1024), 'application/octet-stream'],
    ['non-UTF-8 text', Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x20, 0xff, 0xfe, 0x00, 0x80]), 'text/plain; charset=latin1'],
    ['JSON with odd spacing', Buffer.from('{ "target" :\t{"groupId":"g1"} ,"x":1.50}\n'), 'application/json'],
  ] as const) {
    test(`a ${name} body is replayed byte for byte (invariant 3)`, async () => {
      const id = await parkAndApprove(body, type);
      const res = await complete(id);
      assert.equal(res.status, 200);
      assert.equal(h.upstream.calls.length, 1);
      const call = h.upstream.calls[0]!;
      assert.ok(call.body.equals(body));
      assert.equal(call.headers['content-type'], type);
      assert.equal(call.headers['content-length'], String(body.length));
      const preview = await h.http.get(`/maa/v1/requests/${id}`).set('authorization', auth('alice'));
      assert.equal(preview.body.call.bodySha256, sha(body));
      if (name === 'non-UTF-8 text' || name === 'binary') assert.equal(preview.body.bodyPreview.encoding, 'base64');
      if (name === '5 MiB') assert.equal(preview.body.bodyPreview.truncated, true);
    });
  }

  test('an upstream 4xx makes the request failed, final, with the reason; the answer is relayed', async () => {
    h.upstream.respond = (_c, res) => {
      res.writeHead(400, { 'content-type': 'application/json', 'x-graph-error': 'BadRequest' });
      res.end('{"error":{"code":"BadRequest"}}');
    };
    const id = await parkAndApprove(Buffer.from('{}'), 'application/json');
    const res = await complete(id);
    assert.equal(res.status, 400);
    assert.equal(res.headers['x-maa-request-status'], 'failed');
    assert.equal(res.headers['x-graph-error'], 'BadRequest');
    assert.equal(res.text, '{"error":{"code":"BadRequest"}}');
    const stored = await h.store.get(id);
    assert.equal(stored?.status, 'failed');
    assert.equal(stored?.completion?.upstreamStatus, 400);
    assert.ok(stored?.completion?.reason);
    assert.equal((await complete(id)).status, 409);
    assert.equal(h.upstream.calls.length, 1);
  });

  test('an upstream 5xx leaves it approved; the retry completes', async () => {
    let first = true;
    h.upstream.respond = (_c, res) => {
      res.writeHead(first ? 503 : 201, { 'content-type': 'text/plain' });
      res.end(first ? 'busy' : 'created');
      first = false;
    };
    const id = await parkAndApprove(Buffer.from('{}'), 'application/json');
    const res = await complete(id);
    assert.equal(res.status, 503);
    assert.equal(res.headers['x-maa-request-status'], 'approved');
    assert.equal(res.text, 'busy');
    const retry = await complete(id);
    assert.equal(retry.status, 201);
    assert.equal(retry.headers['x-maa-request-status'], 'completed');
    assert.equal(h.upstream.calls.length, 2);
    assert.equal(h.upstream.calls[1]!.headers['idempotency-key'], id);
  });

  test('an upstream that is down at complete: 502, still approved; once back, complete works', async () => {
    const id = await parkAndApprove(Buffer.from('{"a":1}'), 'application/json');
    const port = h.upstream.port;
    await h.upstream.stop();
    const res = await complete(id);
    assert.equal(res.status, 502);
    assert.equal(res.body.error.code, 'UPSTREAM_UNAVAILABLE');
    assert.equal(res.headers['x-maa-request-status'], 'approved');
    assert.equal((await h.store.get(id))?.status, 'approved');
    await h.upstream.start(port);
    const retry = await complete(id);
    assert.equal(retry.status, 200);
    assert.equal(retry.headers['x-maa-request-status'], 'completed');
    assert.equal(h.upstream.calls.length, 1);
  });

  test('an upstream that does not answer in time: 504, still approved', async () => {
    await h.close();
    h = await startHarness(files.suite, { upstream: { timeoutMs: 1000 } });
    h.upstream.respond = () => {
      // Never answers.
    };
    const id = await parkAndApprove(Buffer.from('{}'), 'application/json');
    const res = await complete(id);
    assert.equal(res.status, 504);
    assert.equal(res.body.error.code, 'UPSTREAM_UNAVAILABLE');
    assert.equal((await h.store.get(id))?.status, 'approved');
  });

  test('a claim whose lease ran out means outcome unknown: 409, sent again only with ?resend=confirm', async () => {
    const id = await parkAndApprove(Buffer.from('{}'), 'application/json');
    // A gateway that claimed, sent, and died before recording the outcome.
    await h.store.beginComplete(id, 'alice', 50);
    await new Promise((r) => setTimeout(r, 120));
    const refused = await complete(id);
    assert.equal(refused.status, 409);
    assert.equal(refused.body.error.code, 'OUTCOME_UNKNOWN');
    assert.equal(h.upstream.calls.length, 0);
    const resent = await complete(id, '?resend=confirm');
    assert.equal(resent.status, 200);
    assert.equal(resent.headers['x-maa-request-status'], 'completed');
    assert.equal(h.upstream.calls.length, 1);
    const history = (await h.store.get(id))?.history.map((e) => e.action);
    assert.ok(history?.filter((a) => a === 'begin-complete').length === 2);
  });

  test('a complete while another is in flight gets 409 COMPLETE_IN_PROGRESS', async () => {
    let release: () => void = () => {};
    h.upstream.respond = (_c, res) => {
      release = () => res.end('ok');
    };
    const id = await parkAndApprove(Buffer.from('{}'), 'application/json');
    const first = complete(id).then((r) => r);
    while (h.upstream.calls.length === 0) await new Promise((r) => setTimeout(r, 10));
    const second = await complete(id);
    assert.equal(second.status, 409);
    assert.equal(second.body.error.code, 'COMPLETE_IN_PROGRESS');
    release();
    assert.equal((await first).status, 200);
    assert.equal(h.upstream.calls.length, 1);
  });
});
