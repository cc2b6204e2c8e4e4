/**
 * Invariant 7, through the running gateway: what is forwarded is what was decided. Each test is a
 * finding of issue 8 that reached the upstream before: a method override to a read, a path that
 * the replay and the proxy read two ways, a compressed protected body, rewrite and upgrade headers.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import http from 'node:http';
import net from 'node:net';
import zlib from 'node:zlib';
import { auth, useHarness, type Harness } from '../support/harness';

let h: Harness;
useHarness({ get: () => h, set: (next) => (h = next) });

const json = { 'content-type': 'application/json' };
const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

/** One request written by hand on a socket, as curl --path-as-is or an attacker sends it. */
function rawRequest(baseUrl: string, head: string, body: Buffer = Buffer.alloc(0)): Promise<{ status: number; text: string }> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    // Connection: close, so the gateway ends the socket after its answer.
    const request = head.replace(/\n\n$/, '\nConnection: close\n\n').replace(/\n/g, '\r\n');
    const socket = net.connect(Number(port), hostname, () => socket.write(Buffer.concat([Buffer.from(request), body])));
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', reject);
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('latin1');
      resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0), text });
    });
  });
}

/** A call with exact body bytes (superagent would JSON-encode a Buffer under a JSON content type). */
function send(method: string, path: string, headers: Record<string, string>, body: Buffer): Promise<{ status: number; body: any; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${h.baseUrl}${path}`, { method, headers: { ...headers, 'content-length': String(body.length) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let parsed: unknown;
        try {
          parsed = JSON.parse(text);
        } catch {
          parsed = undefined;
        }
        resolve({ status: res.statusCode ?? 0, body: parsed, text });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function approveAndComplete(id: string): Promise<void> {
  const approved = await h.http.post(`/maa/v1/requests/${id}/approve`).set('authorization', auth('bob')).send({});
  assert.equal(approved.body.status, 'approved', approved.text);
  const completed = await h.http.post(`/maa/v1/requests/${id}/complete`).set('authorization', auth('alice'));
  assert.equal(completed.status, 200, completed.text);
}

describe('method overrides never turn a change into a read', () => {
  for (const [header, value] of [
    ['X-HTTP-Method-Override', 'GET'],
    ['X-HTTP-Method', 'GET'],
    ['X-Method-Override', 'GET'],
    ['X-HTTP-Method-Override', 'get'],
    ['X-HTTP-Method-Override', 'HEAD'],
    ['X-HTTP-Method-Override', 'OPTIONS'],
    ['X-HTTP-Method', 'GET, GET'],
  ] as const) {
    test(`POST with ${header}: ${value} to a protected route is refused, nothing forwarded`, async () => {
      const res = await h.http
        .post('/deviceManagement/deviceManagementScripts/7/assign')
        .set(header, value)
        .set(json)
        .send('{"deviceManagementScriptAssignments":[]}');
      assert.equal(res.status, 400);
      assert.equal(res.body.error.code, 'UNSAFE_PATH');
      assert.equal(h.upstream.calls.length, 0);
    });
  }

  test('an override to a change is decided as that change and sent as it, without the header', async () => {
    const res = await h.http.post('/users/42').set('X-HTTP-Method-Override', 'PATCH').set('authorization', auth('alice')).set(json).send('{"x":1}');
    assert.equal(res.status, 200);
    assert.equal(h.upstream.calls.length, 1);
    const call = h.upstream.calls[0]!;
    assert.equal(call.method, 'PATCH');
    assert.equal(call.headers['x-http-method-override'], undefined);

    const parked = await h.http.post('/deviceAppManagement/mobileApps/42').set('X-HTTP-Method', 'DELETE').set('authorization', auth('alice'));
    assert.equal(parked.status, 202);
    assert.equal(parked.body.operation, 'delete');
    assert.equal(h.upstream.calls.length, 1);
  });

  test('an override on a batch, or inside one, cannot make it a read', async () => {
    const batch = JSON.stringify({ requests: [{ id: '1', method: 'POST', url: '/deviceAppManagement/mobileApps/42/assign', headers: { 'x-http-method-override': 'GET' }, body: {} }] });
    const inner = await h.http.post('/v1.0/$batch').set('authorization', auth('alice')).set(json).send(batch);
    assert.equal(inner.status, 400);
    assert.equal(inner.body.error.code, 'BATCH_INVALID');
    const outer = await h.http.post('/v1.0/$batch').set('X-HTTP-Method-Override', 'GET').set(json).send(batch);
    assert.equal(outer.status, 400);
    assert.equal(h.upstream.calls.length, 0);
  });
});

describe('headers that let the upstream read another call', () => {
  for (const [name, value] of [
    ['X-Original-URL', '/deviceAppManagement/mobileApps/42'],
    ['X-Rewrite-URL', '/deviceAppManagement/mobileApps/42'],
  ] as const) {
    test(`${name} is refused on a change and on a read`, async () => {
      const change = await h.http.patch('/users/1').set(name, value).set(json).send('{}');
      assert.equal(change.status, 400);
      const read = await h.http.get('/users/1').set(name, value);
      assert.equal(read.status, 400);
      assert.equal(h.upstream.calls.length, 0);
    });
  }

  test('a protocol upgrade (h2c smuggling) is refused', async () => {
    const res = await rawRequest(h.baseUrl, `GET /users HTTP/1.1\nHost: x\nConnection: Upgrade, HTTP2-Settings\nUpgrade: h2c\nHTTP2-Settings: AAMAAABkAAQAAP__\n\n`);
    assert.equal(res.status, 400);
    assert.equal(h.upstream.calls.length, 0);
  });

  test('a transfer coding other than chunked is refused', async () => {
    const body = zlib.gzipSync('{"displayName":"x"}');
    const chunked = Buffer.concat([Buffer.from(`${body.length.toString(16)}\r\n`), body, Buffer.from('\r\n0\r\n\r\n')]);
    const res = await rawRequest(h.baseUrl, `POST /deviceAppManagement/mobileApps HTTP/1.1\nHost: x\nContent-Type: application/json\nTransfer-Encoding: gzip, chunked\n\n`, chunked);
    assert.equal(res.status, 400);
    assert.equal(h.upstream.calls.length, 0);
  });
});

describe('the replay sends the path that was decided', () => {
  test('//deviceAppManagement//mobileApps//42 is parked as app 42 and replayed to app 42', async () => {
    const res = await rawRequest(
      h.baseUrl,
      `PATCH //deviceAppManagement//mobileApps//42 HTTP/1.1\nHost: x\nAuthorization: ${auth('alice')}\nContent-Type: application/json\nContent-Length: 20\n\n`,
      Buffer.from('{"displayName":"A2"}'),
    );
    assert.equal(res.status, 202, res.text);
    const id = /"requestId":"([^"]+)"/.exec(res.text)![1]!;
    const stored = await h.store.get(id);
    assert.equal(stored?.call.path, '/deviceAppManagement/mobileApps/42');
    await approveAndComplete(id);
    assert.equal(h.upstream.calls.length, 1);
    assert.equal(h.upstream.calls[0]!.url, '/deviceAppManagement/mobileApps/42');
  });

  test('an unprotected call is forwarded to its canonical target, in its own letter case', async () => {
    const res = await rawRequest(h.baseUrl, `GET /Users//42/./Photo/../Manager?$select=id HTTP/1.1\nHost: x\n\n`);
    assert.equal(res.status, 200);
    assert.equal(h.upstream.calls[0]!.url, '/Users/42/Manager?$select=id');
    await h.http.patch("/users('42')").set(json).send('{}');
    assert.equal(h.upstream.calls[1]!.url, '/users/42');
  });
});

describe('compressed bodies are decided and shown as the upstream reads them', () => {
  test('a gzip protected change is parked on its inflated body; the compressed bytes are stored, hashed and replayed', async () => {
    const plain = Buffer.from('{"displayName":"Contoso Portal 3"}');
    const gz = zlib.gzipSync(plain);
    const parked = await send('POST', '/deviceAppManagement/mobileApps', { authorization: auth('alice'), ...json, 'content-encoding': 'gzip' }, gz);
    assert.equal(parked.status, 202, parked.text);
    // The create is keyed on the displayName inside the compressed body: the policy read it.
    assert.equal(parked.body.objectKey, 'apps:/deviceappmanagement/mobileapps#create:contoso portal 3');
    assert.equal(parked.body.bodySha256, sha(gz));
    const shown = await h.http.get(`/maa/v1/requests/${parked.body.requestId}`).set('authorization', auth('bob'));
    assert.equal(shown.body.bodyPreview.encoding, 'utf8');
    assert.equal(shown.body.bodyPreview.text, plain.toString());
    await approveAndComplete(parked.body.requestId as string);
    const sent = h.upstream.calls[0]!;
    assert.ok(sent.body.equals(gz));
    assert.equal(sent.headers['content-encoding'], 'gzip');
  });

  test('deflate and br are read too; a batch hidden in gzip is still decided', async () => {
    for (const [coding, encode] of [
      ['deflate', zlib.deflateSync],
      ['br', zlib.brotliCompressSync],
    ] as const) {
      const res = await send('PATCH', '/deviceAppManagement/mobileApps/43', { authorization: auth('alice'), ...json, 'content-encoding': coding }, encode('{"x":1}'));
      assert.equal(res.status, 202, `${coding}: ${res.text}`);
      await h.http.post(`/maa/v1/requests/${res.body.requestId}/cancel`).set('authorization', auth('alice'));
    }
    const batch = zlib.gzipSync(JSON.stringify({ requests: [{ id: 'a', method: 'DELETE', url: '/deviceAppManagement/mobileApps/42' }] }));
    const refused = await send('POST', '/$batch', { ...json, 'content-encoding': 'gzip' }, batch);
    assert.equal(refused.status, 403);
    assert.equal(refused.body.error.code, 'BATCH_NOT_ALLOWED');
    assert.equal(h.upstream.calls.length, 0);
  });

  test('a bomb is 413, an unknown or stacked coding 415, a corrupt stream 400; nothing is forwarded', async () => {
    const limited = h.config.requests.bodyLimitBytes;
    const bomb = zlib.gzipSync(Buffer.alloc(limited + 1024));
    const cases: [string, Buffer, number, string][] = [
      ['gzip', bomb, 413, 'BODY_TOO_LARGE'],
      ['compress', Buffer.from('x'), 415, 'UNSUPPORTED_CONTENT_ENCODING'],
      ['gzip, gzip', zlib.gzipSync(zlib.gzipSync('{}')), 415, 'UNSUPPORTED_CONTENT_ENCODING'],
      ['gzip', Buffer.from('not gzip at all'), 400, 'BODY_NOT_DECODABLE'],
    ];
    for (const [coding, body, status, code] of cases) {
      const res = await send('POST', '/deviceAppManagement/mobileApps', { authorization: auth('alice'), ...json, 'content-encoding': coding }, body);
      assert.equal(res.status, status, `${coding}: ${res.text}`);
      assert.equal(res.body.error.code, code);
    }
    assert.equal(h.upstream.calls.length, 0);
  });
});
