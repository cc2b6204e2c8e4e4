/**
 * Calls that are not protected pass through untouched in both directions: bodies (binary,
 * chunked), status, headers, query; reads are streamed; the upstream sees what the client sent.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { randomBytes } from 'node:crypto';
import { auth, startHarness, useHarness, type Harness } from '../support/harness';

let h: Harness;
const files = useHarness({ get: () => h, set: (next) => (h = next) });

/** A raw request through node's http client, so framing (chunked) is under the test's control. */
function raw(
  baseUrl: string,
  options: http.RequestOptions,
  chunks: Buffer[] = [],
): Promise<{ status: number; headers: http.IncomingHttpHeaders; rawHeaders: string[]; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const url = new URL(baseUrl);
    const req = http.request({ host: url.hostname, port: url.port, agent: false, ...options }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (c: Buffer) => parts.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, rawHeaders: res.rawHeaders, body: Buffer.concat(parts) }));
    });
    req.on('error', reject);
    for (const c of chunks) req.write(c);
    req.end();
  });
}

describe('pass-through', () => {
  test('a GET reaches the upstream with its path, query and headers, and the answer comes back unchanged', async () => {
    const payload = randomBytes(70_000);
    h.upstream.respond = (_call, res) => {
      res.writeHead(203, { 'content-type': 'application/octet-stream', 'x-custom': 'a', 'set-cookie': ['a=1', 'b=2'] });
      res.end(payload);
    };
    const res = await raw(h.baseUrl, { method: 'GET', path: '/deviceAppManagement/mobileApps/42?$select=id,displayName&x=%20y', headers: { 'x-client': 'c1', authorization: 'Bearer upstream-token' } });
    assert.equal(res.status, 203);
    assert.equal(res.headers['x-custom'], 'a');
    assert.deepEqual(res.headers['set-cookie'], ['a=1', 'b=2']);
    assert.ok(res.body.equals(payload));
    assert.equal(h.upstream.calls.length, 1);
    const call = h.upstream.calls[0]!;
    assert.equal(call.url, '/deviceAppManagement/mobileApps/42?$select=id,displayName&x=%20y');
    assert.equal(call.headers['x-client'], 'c1');
    // Reads carry the client's own credentials to the upstream untouched.
    assert.equal(call.headers.authorization, 'Bearer upstream-token');
  });

  test("the upstream's Keep-Alive header is not relayed: it is about the upstream's connection, not the client's", async () => {
    h.upstream.respond = (_call, res) => {
      res.writeHead(200, { 'content-type': 'text/plain', 'keep-alive': 'timeout=1, max=7' });
      res.end('ok');
    };
    const res = await h.http.get('/users/1');
    assert.equal(res.status, 200);
    assert.doesNotMatch(String(res.headers['keep-alive'] ?? ''), /max=7/);
  });

  test('a chunked answer streams through chunked', async () => {
    h.upstream.respond = (_call, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('one,');
      setTimeout(() => res.end('two'), 20);
    };
    const res = await raw(h.baseUrl, { method: 'GET', path: '/anything' });
    assert.equal(res.headers['transfer-encoding'], 'chunked');
    assert.equal(res.body.toString(), 'one,two');
  });

  test('an unprotected POST with a chunked binary body arrives byte for byte, framed by its length', async () => {
    const parts = [randomBytes(1000), Buffer.from([0xff, 0xfe, 0x00, 0xc3]), randomBytes(5000)];
    const res = await raw(h.baseUrl, { method: 'POST', path: '/deviceManagement/reports/export?x=1', headers: { 'content-type': 'application/octet-stream', 'transfer-encoding': 'chunked' } }, parts);
    assert.equal(res.status, 200);
    assert.equal(h.upstream.calls.length, 1);
    const call = h.upstream.calls[0]!;
    assert.equal(call.method, 'POST');
    assert.equal(call.url, '/deviceManagement/reports/export?x=1');
    assert.ok(call.body.equals(Buffer.concat(parts)));
    // The decided bytes are forwarded with their length: no transfer coding is left for the
    // upstream to read differently.
    assert.equal(call.headers['transfer-encoding'], undefined);
    assert.equal(call.headers['content-length'], String(Buffer.concat(parts).length));
  });

  test('an unprotected PATCH with JSON goes through the policy and is forwarded unchanged', async () => {
    const body = '{ "displayName" : "x",  "n": 1 }';
    const res = await h.http.patch('/users/42').set('content-type', 'application/json').set('authorization', auth('alice')).send(body);
    assert.equal(res.status, 200);
    assert.equal(h.upstream.calls.length, 1);
    assert.equal(h.upstream.calls[0]!.body.toString(), body);
    assert.equal(h.upstream.calls[0]!.headers.authorization, auth('alice'));
    assert.match(String(res.headers['x-maa-decision-id']), /^[0-9a-f-]{36}$/);
  });

  test('an unprotected mutation sent with Expect: 100-continue is forwarded with its body', async () => {
    const body = Buffer.from('{"reason":"sync"}');
    const res = await new Promise<{ status: number }>((resolve, reject) => {
      const url = new URL(h.baseUrl);
      const req = http.request({ host: url.hostname, port: url.port, method: 'POST', path: '/deviceManagement/managedDevices/1/syncDevice', agent: false, headers: { expect: '100-continue', 'content-type': 'application/json', 'content-length': body.length } });
      req.on('continue', () => req.end(body));
      req.on('response', (r) => {
        r.resume();
        r.on('end', () => resolve({ status: r.statusCode ?? 0 }));
      });
      req.on('error', reject);
    });
    assert.equal(res.status, 200);
    assert.ok(h.upstream.calls[0]!.body.equals(body));
    assert.equal(h.upstream.calls[0]!.headers.expect, undefined);
  });

  test('HEAD and OPTIONS are reads: proxied without a decision', async () => {
    assert.equal((await h.http.head('/deviceAppManagement/mobileApps/42')).status, 200);
    assert.equal((await h.http.options('/deviceAppManagement/mobileApps/42')).status, 200);
    assert.deepEqual(h.upstream.calls.map((c) => c.method), ['HEAD', 'OPTIONS']);
    assert.ok(!h.logs.some((l) => l.includes('"msg":"decision"')));
  });

  test('invalid JSON on an unprotected mutation is still decided and forwarded as sent', async () => {
    const res = await h.http.post('/users').set('content-type', 'application/json').send('{not json');
    assert.equal(res.status, 200);
    assert.equal(h.upstream.calls[0]!.body.toString(), '{not json');
  });

  test('an unprotected body over the limit gets 413 and nothing is forwarded', async () => {
    await h.close();
    h = await startHarness(files.suite, { requests: { bodyLimitBytes: 1024 } });
    const res = await raw(h.baseUrl, { method: 'POST', path: '/users', headers: { 'content-type': 'application/octet-stream', 'transfer-encoding': 'chunked' } }, [randomBytes(600), randomBytes(600)]);
    assert.equal(res.status, 413);
    assert.equal(JSON.parse(res.body.toString()).error.code, 'BODY_TOO_LARGE');
    const declared = await h.http.post('/users').set('content-type', 'application/octet-stream').send(randomBytes(2048));
    assert.equal(declared.status, 413);
    assert.equal(h.upstream.calls.length, 0);
  });

  test('an upstream that is down gives 502 UPSTREAM_UNAVAILABLE on a read', async () => {
    await h.upstream.stop();
    const res = await h.http.get('/anything');
    assert.equal(res.status, 502);
    assert.equal(res.body.error.code, 'UPSTREAM_UNAVAILABLE');
  });

  test('an upstream that does not answer a read in time gives 504 UPSTREAM_UNAVAILABLE', async () => {
    await h.close();
    h = await startHarness(files.suite, { upstream: { timeoutMs: 1000 } });
    h.upstream.respond = () => {
      // Never answers.
    };
    const res = await h.http.get('/slow');
    assert.equal(res.status, 504);
    assert.equal(res.body.error.code, 'UPSTREAM_UNAVAILABLE');
  });

  test('gateway routes are never proxied; health and metrics answer', async () => {
    assert.equal((await h.http.get('/healthz')).status, 200);
    const ready = await h.http.get('/readyz');
    assert.equal(ready.status, 200);
    assert.deepEqual(ready.body.down, []);
    await h.http.get('/some/read');
    await h.http.post('/users').send('x');
    const metrics = await h.http.get('/metrics');
    assert.equal(metrics.status, 200);
    assert.match(metrics.text, /countersign_decisions_total\{result="unprotected"\} 1/);
    assert.match(metrics.text, /countersign_proxy_duration_seconds_count\{kind="read"\} 1/);
    const unknown = await h.http.get('/maa/v1/nope').set('authorization', auth('alice'));
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body.error.code, 'NOT_FOUND');
    assert.deepEqual(h.upstream.calls.map((c) => `${c.method} ${c.url}`), ['GET /some/read', 'POST /users']);
  });

  test('the console is mounted at /maa/console/ when enabled, with the demo identities when asked', async () => {
    await h.close();
    h = await startHarness(files.suite, { console: { enabled: true, showDemoIdentities: true } });
    const page = await h.http.get('/maa/console/');
    assert.equal(page.status, 200);
    assert.match(String(page.headers['content-type']), /text\/html/);
    const demo = await h.http.get('/maa/console/demo-identities.json');
    assert.equal(demo.status, 200);
    assert.ok(demo.body.items.some((i: { userId: string }) => i.userId === 'alice'));
    // Not a gateway route: a look-alike path goes to the upstream.
    await h.http.get('/maa/consoles');
    assert.deepEqual(h.upstream.calls.map((c) => c.url), ['/maa/consoles']);
  });
});
