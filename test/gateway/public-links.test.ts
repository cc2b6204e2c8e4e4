/**
 * Links that stay behind the gateway (upstream.publicUrl, src/gateway/public-links.ts): an
 * upstream that answers like Graph (absolute @odata.nextLink and Location pointing at itself),
 * the gateway's real proxy on a real HTTP server, and the real replay through the full gateway.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync, brotliCompressSync } from 'node:zlib';
import { createProxy, createUpstreamAgent } from '../../src/gateway/proxy';
import { createPublicLinks, LINK_REWRITE_LIMIT_BYTES } from '../../src/gateway/public-links';
import { auth, startHarness, useHarness, type Harness } from '../support/harness';

const PAGES = 4;
const PAGE_SIZE = 3;

/** A Graph-like upstream under the base path /graph: every link it writes is absolute, at itself. */
class GraphLikeUpstream {
  server = http.createServer((req, res) => this.answer(req, res));
  hits: string[] = [];
  url = '';
  /** /big ends when this resolves; `release` resolves it. */
  bigRelease: Promise<void> = Promise.resolve();
  release = (): void => undefined;

  holdBig(): void {
    this.bigRelease = new Promise((resolve) => (this.release = resolve));
  }

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', () => resolve()));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/graph`;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  private answer(req: http.IncomingMessage, res: http.ServerResponse): void {
    this.hits.push(`${req.method} ${req.url}`);
    req.resume();
    const url = new URL(req.url!, 'http://x');
    const route = url.pathname.replace(/^\/graph/, '');
    const context = `${this.url}/v1.0/$metadata#deviceAppManagement/mobileApps`;
    if (req.method === 'GET' && route === '/v1.0/deviceAppManagement/mobileApps') {
      const skip = Number(url.searchParams.get('$skip') ?? 0);
      const value = Array.from({ length: PAGE_SIZE }, (_, i) => ({ id: String(skip + i), displayName: `App ${skip + i}`, size: 9007199254740993 }));
      const next = skip + PAGE_SIZE < PAGES * PAGE_SIZE ? `${this.url}/v1.0/deviceAppManagement/mobileApps?$top=${PAGE_SIZE}&$skip=${skip + PAGE_SIZE}&$filter=startswith(displayName,'App')` : undefined;
      // Raw text on purpose: an Int64 beyond 2^53, escaped slashes and odd spacing must survive.
      const nextMember = next === undefined ? '' : `, "@odata.nextLink" : ${JSON.stringify(next).replaceAll('/', '\\/')}`;
      const body = `{"@odata.context":${JSON.stringify(context)},"value":[${value.map((v) => `{"id":"${v.id}","displayName":"${v.displayName}","size":9007199254740993}`).join(',')}]${nextMember}}`;
      const compressed = req.headers['accept-encoding'];
      if (compressed === 'gzip' || compressed === 'br') {
        const bytes = compressed === 'gzip' ? gzipSync(body) : brotliCompressSync(body);
        res.writeHead(200, { 'content-type': 'application/json; odata.metadata=minimal', 'content-encoding': compressed, 'content-length': bytes.length });
        res.end(bytes);
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json; odata.metadata=minimal; charset=utf-8' });
      res.end(body);
      return;
    }
    if (req.method === 'POST' && route === '/v1.0/deviceAppManagement/mobileApps') {
      res.writeHead(201, {
        'content-type': 'application/json',
        location: `${this.url}/v1.0/deviceAppManagement/mobileApps/77`,
        'content-location': `${this.url}/v1.0/deviceAppManagement/mobileApps/77`,
      });
      res.end(JSON.stringify({ '@odata.context': context, id: '77' }));
      return;
    }
    if (route === '/big') {
      // Larger than the limit, with no Content-Length: found to be too big only while it streams.
      const link = `{"@odata.nextLink":"${this.url}/big?page=2","pad":"`;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write(link);
      const chunk = 'x'.repeat(64 * 1024);
      for (let sent = 0; sent <= LINK_REWRITE_LIMIT_BYTES; sent += chunk.length) res.write(chunk);
      // The end waits until the test saw the first part arrive: proof it was streamed, not held.
      void this.bigRelease.then(() => res.end('"}'));
      return;
    }
    if (route === '/text') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end(`"@odata.nextLink":"${this.url}/text?page=2"`);
      return;
    }
    if (route === '/elsewhere') {
      // Same host and port but outside the base path, and another origin: neither is the upstream.
      res.writeHead(302, { location: `${this.url.replace('/graph', '/graphite')}/x`, 'content-location': 'https://other.example.test/graph/x' });
      res.end();
      return;
    }
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end('{"error":{"code":"NotFound","message":"no such route"}}');
  }
}

/** The gateway's own proxy (createProxy) on a plain node server, as server.ts runs it. */
async function startProxy(target: string, publicUrl: (self: string) => string | undefined): Promise<{ url: string; close(): Promise<void> }> {
  let handler: ReturnType<typeof createProxy> | undefined;
  const server = http.createServer((req, res) => void handler!(req, res, () => undefined));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const agent = createUpstreamAgent(target, 5_000);
  handler = createProxy({ target, agent, publicUrl: publicUrl(url) });
  return {
    url,
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      agent.destroy();
    },
  };
}

async function get(url: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      })
      .on('error', reject);
  });
}

async function post(url: string, body: string): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', headers: { 'content-type': 'application/json' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('public links through the proxy', () => {
  const upstream = new GraphLikeUpstream();
  let gateway: { url: string; close(): Promise<void> };
  let plain: { url: string; close(): Promise<void> };
  before(async () => {
    await upstream.start();
    // The public URL is the proxy server's own: what a client reaches the gateway at.
    gateway = await startProxy(upstream.url, (self) => `${self}/`);
    plain = await startProxy(upstream.url, () => undefined);
  });
  after(async () => {
    await gateway.close();
    await plain.close();
    await upstream.stop();
  });

  for (const encoding of ['identity', 'gzip', 'br']) {
    test(`a paging client that follows @odata.nextLink stays on the gateway for every page (${encoding})`, async () => {
      upstream.hits.length = 0;
      let next: string | undefined = `${gateway.url}/v1.0/deviceAppManagement/mobileApps?$top=${PAGE_SIZE}`;
      const ids: string[] = [];
      const visited: string[] = [];
      while (next !== undefined) {
        assert.ok(next.startsWith(`${gateway.url}/`), `left the gateway: ${next}`);
        visited.push(next);
        const res = await get(next, encoding === 'identity' ? {} : { 'accept-encoding': encoding });
        assert.equal(res.status, 200);
        assert.equal(res.headers['content-encoding'], undefined, 'a rewritten body is sent as identity');
        assert.equal(res.headers['content-length'], String(res.body.length));
        const text = res.body.toString('utf8');
        assert.ok(!text.includes(upstream.url), 'no link to the upstream is left');
        assert.match(text, /"size":9007199254740993/, 'the rest of the body is kept byte for byte (no JSON round trip)');
        if (visited.length < PAGES) assert.ok(text.includes(`$skip=${visited.length * PAGE_SIZE}&$filter=startswith(displayName,'App')"`), 'the link\'s query is kept as written');
        const page = JSON.parse(text) as { '@odata.context': string; '@odata.nextLink'?: string; value: { id: string }[] };
        assert.equal(page['@odata.context'], `${gateway.url}/v1.0/$metadata#deviceAppManagement/mobileApps`);
        ids.push(...page.value.map((v) => v.id));
        next = page['@odata.nextLink'];
      }
      assert.equal(visited.length, PAGES);
      assert.deepEqual(ids, Array.from({ length: PAGES * PAGE_SIZE }, (_, i) => String(i)));
      // Every page reached the upstream through the gateway, under its base path, query kept as written.
      assert.equal(upstream.hits.length, PAGES);
      assert.ok(upstream.hits.every((hit) => hit.startsWith('GET /graph/v1.0/deviceAppManagement/mobileApps?')));
      // (node's client percent-encodes the quotes of the query it is given; the gateway adds nothing.)
      assert.match(upstream.hits[1]!, /\$filter=startswith\(displayName,%27App%27\)$/);
    });
  }

  test('Location and Content-Location of a create point at the gateway', async () => {
    const res = await post(`${gateway.url}/v1.0/deviceAppManagement/mobileApps`, '{"displayName":"New"}');
    assert.equal(res.status, 201);
    assert.equal(res.headers.location, `${gateway.url}/v1.0/deviceAppManagement/mobileApps/77`);
    assert.equal(res.headers['content-location'], `${gateway.url}/v1.0/deviceAppManagement/mobileApps/77`);
    assert.equal(JSON.parse(res.body.toString())['@odata.context'], `${gateway.url}/v1.0/$metadata#deviceAppManagement/mobileApps`);
  });

  test('links outside the upstream (another origin, beside its base path) are left alone', async () => {
    const res = await get(`${gateway.url}/elsewhere`);
    assert.equal(res.status, 302);
    assert.equal(res.headers.location, `${upstream.url.replace('/graph', '/graphite')}/x`);
    assert.equal(res.headers['content-location'], 'https://other.example.test/graph/x');
  });

  test('a JSON body larger than the limit passes untouched, streamed', async () => {
    const direct = await get(`${upstream.url}/big`);
    upstream.holdBig();
    // More than the limit reaches the client while the upstream has not ended: nothing held it back.
    const res = await new Promise<{ status: number; body: Buffer }>((resolve, reject) => {
      const deadline = setTimeout(() => reject(new Error('the first part did not arrive before the end: buffered, not streamed')), 5_000);
      http.get(`${gateway.url}/big`, (answer) => {
        const chunks: Buffer[] = [];
        let size = 0;
        answer.on('data', (c: Buffer) => {
          chunks.push(c);
          size += c.length;
          if (size > LINK_REWRITE_LIMIT_BYTES) {
            clearTimeout(deadline);
            upstream.release();
          }
        });
        answer.on('end', () => resolve({ status: answer.statusCode!, body: Buffer.concat(chunks) }));
      }).on('error', reject);
    });
    upstream.release();
    assert.equal(res.status, 200);
    assert.ok(res.body.length > LINK_REWRITE_LIMIT_BYTES);
    assert.ok(res.body.equals(direct.body), 'byte for byte what the upstream sent');
    assert.ok(res.body.toString('utf8', 0, 200).includes(`${upstream.url}/big?page=2`));
  });

  test('a non-JSON body passes untouched', async () => {
    const res = await get(`${gateway.url}/text`);
    assert.equal(res.body.toString(), `"@odata.nextLink":"${upstream.url}/text?page=2"`);
    assert.equal(res.headers['content-type'], 'text/plain');
  });

  test('publicUrl unset: everything is relayed as the upstream sent it', async () => {
    const page = await get(`${plain.url}/v1.0/deviceAppManagement/mobileApps?$top=${PAGE_SIZE}`);
    const direct = await get(`${upstream.url}/v1.0/deviceAppManagement/mobileApps?$top=${PAGE_SIZE}`);
    assert.ok(page.body.equals(direct.body));
    assert.ok(page.body.toString().includes(`${upstream.url}/v1.0`.replaceAll('/', '\\/')));
    const gz = await get(`${plain.url}/v1.0/deviceAppManagement/mobileApps?$top=${PAGE_SIZE}`, { 'accept-encoding': 'gzip' });
    assert.equal(gz.headers['content-encoding'], 'gzip');
    const created = await post(`${plain.url}/v1.0/deviceAppManagement/mobileApps`, '{}');
    assert.equal(created.headers.location, `${upstream.url}/v1.0/deviceAppManagement/mobileApps/77`);
  });
});

describe('rewriteUrl and rewriteBody', () => {
  const links = createPublicLinks('https://Graph.Microsoft.com:443/api/', 'https://gw.example.com')!;
  test('same origin (case, default port) and under the base path only; the rest kept as written', () => {
    assert.equal(links.rewriteUrl("https://graph.microsoft.com/api/v1.0/x?$filter=a eq 'b'#f"), "https://gw.example.com/v1.0/x?$filter=a eq 'b'#f");
    assert.equal(links.rewriteUrl('HTTPS://GRAPH.MICROSOFT.COM/api'), 'https://gw.example.com');
    assert.equal(links.rewriteUrl('https://graph.microsoft.com/apiv2/x'), 'https://graph.microsoft.com/apiv2/x');
    assert.equal(links.rewriteUrl('http://graph.microsoft.com/api/x'), 'http://graph.microsoft.com/api/x');
    assert.equal(links.rewriteUrl('https://graph.microsoft.com.evil.test/api/x'), 'https://graph.microsoft.com.evil.test/api/x');
    assert.equal(links.rewriteUrl('/api/x'), '/api/x');
    assert.equal(createPublicLinks('https://graph.microsoft.com', undefined), null);
  });

  test('only the three link members, at any depth; a member name inside a string is not one', async () => {
    const up = 'https://graph.microsoft.com/api';
    const body = `{"a":{"@odata.deltaLink":"${up}/d"},"@odata.id":"${up}/keep","note":"{\\"@odata.nextLink\\":\\"${up}/inside\\"}","b":[{"@odata.nextLink":"${up}/n"}]}`;
    const out = (await links.rewriteBody(Buffer.from(body), undefined))!.toString();
    assert.deepEqual(JSON.parse(out), {
      a: { '@odata.deltaLink': 'https://gw.example.com/d' },
      '@odata.id': `${up}/keep`,
      note: `{"@odata.nextLink":"${up}/inside"}`,
      b: [{ '@odata.nextLink': 'https://gw.example.com/n' }],
    });
    assert.equal(await links.rewriteBody(Buffer.from('{"value":[]}'), undefined), null, 'nothing to rewrite: the original bytes stand');
    assert.equal(await links.rewriteBody(gzipSync(Buffer.alloc(LINK_REWRITE_LIMIT_BYTES + 1, 0x20)), 'gzip'), null, 'a body over the limit once decoded is left alone');
  });
});

describe('public links on the replay\'s relayed answer', () => {
  let h: Harness;
  const files = useHarness({ get: () => h, set: (next) => (h = next) });

  test('a completed create relays Location and @odata.context pointing at the gateway', async () => {
    // A harness whose gateway has a public URL (the default one has none).
    await h.close();
    h = await startHarness(files.suite, { upstream: { publicUrl: 'https://gw.example.test' } });
    h.upstream.respond = (_call, res) => {
      res.writeHead(201, { 'content-type': 'application/json', location: `${h.upstream.url}/deviceAppManagement/mobileApps/42/assignments/9` });
      res.end(JSON.stringify({ '@odata.context': `${h.upstream.url}/$metadata#assignments/$entity`, id: '9' }));
    };
    const parked = await h.http.post('/deviceAppManagement/mobileApps/42/assign').set('authorization', auth('alice')).set('content-type', 'application/json').send('{"mobileAppAssignments":[]}');
    assert.equal(parked.status, 202, parked.text);
    const approved = await h.http.post(`/maa/v1/requests/${parked.body.requestId}/approve`).set('authorization', auth('bob')).send({});
    assert.equal(approved.body.status, 'approved');
    const res = await h.http.post(`/maa/v1/requests/${parked.body.requestId}/complete`).set('authorization', auth('alice'));
    assert.equal(res.status, 201, res.text);
    assert.equal(res.headers.location, 'https://gw.example.test/deviceAppManagement/mobileApps/42/assignments/9');
    assert.equal(res.body['@odata.context'], 'https://gw.example.test/$metadata#assignments/$entity');
    assert.equal(res.headers['content-length'], String(Buffer.byteLength(res.text)));
  });
});
