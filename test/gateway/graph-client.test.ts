/**
 * Proof with the real clients (issue 9, item 6): the official `@microsoft/microsoft-graph-client`,
 * unmodified (only baseUrl, customHosts, an auth provider and a dispatcher that trusts the test's
 * certificate), then plain `fetch` and `curl --http1.1`, through the real gateway over TLS
 * (self-signed certificate, real policy, real redis-server) in front of the demo Graph API, with
 * `requests.parkedResponse: approvalRequired` and `upstream.publicUrl` set to the gateway's https URL.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pino from 'pino';
import selfsigned from 'selfsigned';
import { BatchRequestContent, Client, GraphError, PageIterator, type FetchOptions, type PageCollection } from '@microsoft/microsoft-graph-client';
import { loadGatewayConfig, PROJECT_ROOT } from '../../src/config/gateway-config';
import { startGraphApi, type GraphApi } from '../../src/demo/graph-api';
import { createGateway, type Gateway } from '../../src/server';
import { createIdentity } from '../../src/identity/create-identity';
import type { Identity } from '../../src/identity/types';
import { createRequestStore } from '../../src/requests/redis-store';
import type { RequestStore } from '../../src/requests/types';
import { freePort, randomDeployment } from '../support/redis-server';
import { startSuite, type Suite } from '../support/harness';
import { trusting } from '../support/trusting-fetch';

const run = promisify(execFile);
const DEMO_TOKENS = join(PROJECT_ROOT, 'config/demo/tokens.yaml');

const dir = mkdtempSync(join(tmpdir(), 'countersign-graph-client-'));
const certFile = join(dir, 'cert.pem');
const keyFile = join(dir, 'key.pem');

let suite: Suite;
let identity: Identity;
let graph: GraphApi;
let store: RequestStore;
let gateway: Gateway;
/** The gateway's https URL: what clients are given, and upstream.publicUrl. */
let gatewayUrl: string;
/** Every call that reached the gateway's port (method and URL), in order. */
let atGateway: string[];
let dispatcher: unknown;

before(async () => {
  const pems = selfsigned.generate([{ name: 'commonName', value: 'localhost' }], {
    keySize: 2048,
    days: 1,
    algorithm: 'sha256',
    extensions: [
      { name: 'basicConstraints', cA: true },
      { name: 'subjectAltName', altNames: [{ type: 2, value: 'localhost' }, { type: 7, ip: '127.0.0.1' }] },
    ],
  });
  writeFileSync(certFile, pems.cert);
  writeFileSync(keyFile, pems.private, { mode: 0o600 });
  dispatcher = await trusting(pems.cert);

  suite = await startSuite();
  // The harness's identity holds the test tokens; the demo API accepts only the demo tokens, and
  // the gateway forwards the caller's token, so the gateway here knows the demo identities.
  identity = await createIdentity({ staticTokensFile: DEMO_TOKENS });
  graph = await startGraphApi(0);
  // publicUrl must be known before the gateway starts: take a free port and listen on it.
  const port = await freePort();
  gatewayUrl = `https://127.0.0.1:${port}`;
  const deployment = randomDeployment();
  const config = loadGatewayConfig({
    file: join(PROJECT_ROOT, 'config/gateway.yaml'),
    env: {},
    overrides: {
      listen: { host: '127.0.0.1', port, tls: { certFile, keyFile } },
      upstream: { url: graph.url, publicUrl: gatewayUrl, timeoutMs: 5_000 },
      redis: { url: suite.redis.url, deployment },
      policy: { policiesDir: join(PROJECT_ROOT, 'policies'), configDir: suite.configDir, watch: false },
      identity: { staticTokensFile: DEMO_TOKENS },
      console: { enabled: false },
      requests: { parkedResponse: 'approvalRequired' },
    },
  });
  store = await createRequestStore({ url: suite.redis.url, deployment, retention: { openMs: 60_000, approvedMs: 60_000, endedMs: 60_000 } });
  gateway = createGateway({ config, policy: suite.policy, store, identity, logger: pino({ level: 'silent' }) });
  atGateway = [];
  // Only looks: a second 'request' listener sees every call the gateway's port answers.
  gateway.server.on('request', (req: IncomingMessage) => atGateway.push(`${req.method} ${req.url}`));
  await new Promise<void>((resolve) => gateway.server.listen(port, '127.0.0.1', () => resolve()));
});

after(async () => {
  await gateway?.close();
  await store?.close();
  await graph?.close();
  await identity?.close();
  await suite?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** The real Graph client as any deployment configures it, pointed at the gateway. */
function graphClient(token: string): Client {
  return Client.init({
    authProvider: (done) => done(null, token),
    baseUrl: gatewayUrl,
    customHosts: new Set(['127.0.0.1']),
    fetchOptions: { dispatcher } as FetchOptions,
  });
}

/** fetch at the gateway over https, trusting the test's certificate, as `who` (a demo identity). */
function gatewayFetch(path: string, who: string, init: RequestInit = {}): Promise<Response> {
  return fetch(`${gatewayUrl}${path}`, {
    ...init,
    headers: { authorization: `Bearer demo-${who}`, ...(init.headers as Record<string, string> | undefined) },
    dispatcher,
  } as RequestInit);
}

/** bob (app-approvers) approves through the approval API. */
async function approveAsBob(requestId: string): Promise<void> {
  const response = await gatewayFetch(`/maa/v1/requests/${encodeURIComponent(requestId)}/approve`, 'bob', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ notes: 'fine' }),
  });
  const body = (await response.json()) as { status: string };
  assert.equal(response.status, 200, JSON.stringify(body));
  assert.equal(body.status, 'approved');
}

/** Creates an app straight on the demo API (not through the gateway): seed data for a test. */
async function seedApp(displayName: string): Promise<string> {
  const response = await fetch(`${graph.url}/deviceAppManagement/mobileApps`, {
    method: 'POST',
    headers: { authorization: 'Bearer demo-alice', 'content-type': 'application/json' },
    body: JSON.stringify({ displayName }),
  });
  assert.equal(response.status, 201);
  return ((await response.json()) as { id: string }).id;
}

/** The upstream's calls from index `from` on that changed something. */
const upstreamWrites = (from: number) => graph.calls().slice(from).filter((c) => c.method !== 'GET');

interface ApprovalRequiredBody {
  code: string;
  message: string;
  innerError: { requestId: string; approvalCode: string; location: string; status: string };
}

describe('the official Graph client through the gateway over TLS', () => {
  test('lists and pages apps with PageIterator: every page is fetched from the gateway, never from the upstream', async () => {
    for (const name of ['Paged A', 'Paged B', 'Paged C']) await seedApp(name);
    const client = graphClient('demo-alice');
    const everything = ((await client.api('/deviceAppManagement/mobileApps').get()) as PageCollection).value.map((a: { id: string }) => a.id);
    assert.ok(everything.length >= 5, 'the seeded apps and three more');

    const gatewayFrom = atGateway.length;
    const upstreamFrom = graph.calls().length;
    const first = (await client.api('/deviceAppManagement/mobileApps').top(2).get()) as PageCollection;
    assert.ok(first['@odata.nextLink']?.startsWith(`${gatewayUrl}/v1.0/deviceAppManagement/mobileApps?`), first['@odata.nextLink']);
    assert.ok(String(first['@odata.context']).startsWith(`${gatewayUrl}/v1.0/$metadata#`), 'the context points at the gateway too');
    const seen: string[] = [];
    await new PageIterator(client, first, (app: { id: string }) => {
      seen.push(app.id);
      return true;
    }).iterate();
    assert.deepEqual(seen, everything, 'every app once, in order');

    const pages = Math.ceil(everything.length / 2);
    const pageCalls = atGateway.slice(gatewayFrom);
    assert.equal(pageCalls.length, pages, pageCalls.join('\n'));
    assert.ok(pageCalls.every((c) => c.startsWith('GET /v1.0/deviceAppManagement/mobileApps?')), pageCalls.join('\n'));
    assert.ok(pageCalls.slice(1).every((c) => c.includes('$skiptoken=')), 'pages after the first follow the nextLink');
    const upstreamPages = graph.calls().slice(upstreamFrom);
    assert.equal(upstreamPages.length, pages, 'each page reached the upstream once, through the gateway');
  });

  test('gets one app', async () => {
    const app = (await graphClient('demo-alice').api('/deviceAppManagement/mobileApps/42').get()) as { id: string; displayName: string; '@odata.context': string };
    assert.equal(app.id, '42');
    assert.equal(typeof app.displayName, 'string');
    assert.equal(app['@odata.context'], `${gatewayUrl}/v1.0/$metadata#deviceAppManagement/mobileApps/$entity`);
  });

  test('a protected PATCH throws GraphError ApprovalRequired; after bob approves, the same call resent with the approval code is applied', async () => {
    const client = graphClient('demo-alice');
    const change = { displayName: 'Contoso Portal (renamed by the SDK)' };
    const upstreamFrom = graph.calls().length;

    const error = await client
      .api('/deviceAppManagement/mobileApps/42')
      .patch(change)
      .then(
        () => assert.fail('the parked PATCH resolved as if it had happened'),
        (e: unknown) => e,
      );
    assert.ok(error instanceof GraphError, String(error));
    assert.equal(error.statusCode, 403);
    assert.equal(error.code, 'ApprovalRequired');
    assert.match(error.message, /X-MAA-Approval-Code/, 'the message tells a user what to do');
    // What the client gives a script: body is the JSON of Graph's `error` object, headers the answer's.
    const inner = (JSON.parse(error.body as string) as ApprovalRequiredBody).innerError;
    assert.equal(inner.status, 'needsApproval');
    assert.equal(error.headers?.get('x-maa-approval-code'), inner.approvalCode);
    assert.equal(error.headers?.get('x-maa-request-id'), inner.requestId);
    assert.equal(error.headers?.get('location'), inner.location);
    assert.deepEqual(upstreamWrites(upstreamFrom), [], 'nothing reached the upstream');

    // Resending before approval is answered as parked again, and still sends nothing.
    const early = await client
      .api('/deviceAppManagement/mobileApps/42')
      .header('X-MAA-Approval-Code', inner.approvalCode)
      .patch(change)
      .then(
        () => assert.fail('resolved before approval'),
        (e: unknown) => e,
      );
    assert.ok(early instanceof GraphError);
    assert.deepEqual([early.statusCode, early.code], [403, 'ApprovalRequired']);
    assert.deepEqual(upstreamWrites(upstreamFrom), []);

    await approveAsBob(inner.requestId);
    await client.api('/deviceAppManagement/mobileApps/42').header('X-MAA-Approval-Code', inner.approvalCode).patch(change);
    const writes = upstreamWrites(upstreamFrom);
    assert.deepEqual(writes.map((c) => [c.method, c.path, c.status]), [['PATCH', '/v1.0/deviceAppManagement/mobileApps/42', 204]], 'applied once');
    assert.equal((await store.get(inner.requestId))?.status, 'completed');

    const read = (await client.api('/deviceAppManagement/mobileApps/42').get()) as { displayName: string };
    assert.equal(read.displayName, change.displayName, 'the demo API shows the change, read through the gateway');

    // The code is used up: a second resend is refused and sends nothing.
    await assert.rejects(client.api('/deviceAppManagement/mobileApps/42').header('X-MAA-Approval-Code', inner.approvalCode).patch(change), (e: unknown) => {
      assert.ok(e instanceof GraphError);
      assert.deepEqual([e.statusCode, e.code], [409, 'INVALID_STATE']);
      return true;
    });
    assert.equal(upstreamWrites(upstreamFrom).length, 1);
  });

  test('a create-then-assign script fails at the create and never assigns a phantom id', async () => {
    const client = graphClient('demo-alice');
    const upstreamFrom = graph.calls().length;
    const gatewayFrom = atGateway.length;
    const before = ((await client.api('/deviceAppManagement/mobileApps').get()) as PageCollection).value.length;

    /** What an automation script does: create an app, then assign the id it got back. */
    const createThenAssign = async (): Promise<string> => {
      const app = (await client.api('/deviceAppManagement/mobileApps').post({ displayName: 'Made by a script' })) as { id: string };
      await client.api(`/deviceAppManagement/mobileApps/${app.id}/assign`).post({ mobileAppAssignments: [{ target: { groupId: 'helpdesk' } }] });
      return app.id;
    };
    await assert.rejects(createThenAssign(), (e: unknown) => {
      assert.ok(e instanceof GraphError);
      assert.deepEqual([e.statusCode, e.code], [403, 'ApprovalRequired']);
      return true;
    });
    assert.deepEqual(upstreamWrites(upstreamFrom), [], 'neither the create nor an assign reached the upstream');
    assert.ok(!atGateway.slice(gatewayFrom).some((c) => /\/assign/i.test(c)), 'the script never even sent an assign');
    const after = ((await client.api('/deviceAppManagement/mobileApps').get()) as PageCollection).value.length;
    assert.equal(after, before, 'no app was created');
  });

  test('a $batch with a protected change is refused with a readable GraphError, and nothing in it runs', async () => {
    const client = graphClient('demo-alice');
    const upstreamFrom = graph.calls().length;
    const batch = new BatchRequestContent([
      { id: '1', request: new Request(`${gatewayUrl}/v1.0/deviceAppManagement/mobileApps/43`, { method: 'GET' }) },
      {
        id: '2',
        request: new Request(`${gatewayUrl}/v1.0/deviceAppManagement/mobileApps/43`, {
          method: 'PATCH',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ displayName: 'Renamed in a batch' }),
        }),
      },
    ]);
    const error = await client
      .api('/$batch')
      .post(await batch.getContent())
      .then(
        () => assert.fail('the batch resolved'),
        (e: unknown) => e,
      );
    assert.ok(error instanceof GraphError, String(error));
    assert.equal(error.statusCode, 403);
    assert.equal(error.code, 'BATCH_NOT_ALLOWED');
    // The message names the offending sub-request and says what to do instead.
    assert.match(error.message, /one at a time, so each can be approved: request "2" \(modify of apps\)/);
    assert.deepEqual(graph.calls().slice(upstreamFrom), [], 'the batch never reached the upstream');
    const read = (await client.api('/deviceAppManagement/mobileApps/43').get()) as { displayName: string };
    assert.notEqual(read.displayName, 'Renamed in a batch');
  });
});

describe('plain fetch and curl through the gateway over TLS', () => {
  test('fetch (undici): the PATCH is refused with ApprovalRequired and its code; after approval the identical call is applied', async () => {
    const id = await seedApp('For fetch');
    const path = `/v1.0/deviceAppManagement/mobileApps/${id}`;
    const body = JSON.stringify({ displayName: 'Renamed by fetch' });
    const patch = (code?: string) =>
      gatewayFetch(path, 'alice', { method: 'PATCH', headers: { 'content-type': 'application/json', ...(code ? { 'x-maa-approval-code': code } : {}) }, body });
    const upstreamFrom = graph.calls().length;

    const parked = await patch();
    assert.equal(parked.status, 403);
    const { error } = (await parked.json()) as { error: ApprovalRequiredBody };
    assert.equal(error.code, 'ApprovalRequired');
    const code = parked.headers.get('x-maa-approval-code') ?? '';
    assert.equal(code, error.innerError.approvalCode);
    assert.equal(parked.headers.get('x-maa-request-id'), error.innerError.requestId);
    assert.deepEqual(upstreamWrites(upstreamFrom), []);

    await approveAsBob(error.innerError.requestId);
    const done = await patch(code);
    assert.equal(done.status, 204, await done.clone().text());
    assert.equal(done.headers.get('x-maa-request-status'), 'completed');
    assert.deepEqual(upstreamWrites(upstreamFrom).map((c) => [c.method, c.path, c.status]), [['PATCH', path, 204]]);
    const read = await gatewayFetch(path, 'alice');
    assert.equal(((await read.json()) as { displayName: string }).displayName, 'Renamed by fetch');
  });

  test('curl --http1.1 --cacert: the PATCH is refused with ApprovalRequired and its code; after approval the identical call is applied', async () => {
    const version = await run('curl', ['--version']).catch((e: NodeJS.ErrnoException) => e);
    if (version instanceof Error) assert.fail(`curl is needed on PATH for this test and could not be run: ${version.message}`);

    const id = await seedApp('For curl');
    const path = `/v1.0/deviceAppManagement/mobileApps/${id}`;
    const body = JSON.stringify({ displayName: 'Renamed by curl' });
    /** One call with curl, as a shell script would make it; status, lowercased headers and body. */
    const curl = async (method: string, who: string, extra: string[] = []): Promise<{ status: number; headers: Map<string, string>; body: string }> => {
      // Async on purpose: the gateway runs in this process and must answer while curl waits.
      const { stdout } = await run('curl', [
        '--http1.1',
        '--cacert',
        certFile,
        '--silent',
        '--show-error',
        '--include',
        '--request',
        method,
        '--header',
        `Authorization: Bearer demo-${who}`,
        ...extra,
        `https://localhost:${gatewayUrl.split(':').pop()}${path}`,
      ]);
      const [head = '', ...rest] = stdout.split('\r\n\r\n');
      const [statusLine = '', ...lines] = head.split('\r\n');
      const headers = new Map(lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]));
      return { status: Number(statusLine.split(' ')[1]), headers, body: rest.join('\r\n\r\n') };
    };
    const patch = (code?: string) =>
      curl('PATCH', 'alice', ['--header', 'Content-Type: application/json', ...(code ? ['--header', `X-MAA-Approval-Code: ${code}`] : []), '--data-raw', body]);
    const upstreamFrom = graph.calls().length;

    const parked = await patch();
    assert.equal(parked.status, 403, parked.body);
    const { error } = JSON.parse(parked.body) as { error: ApprovalRequiredBody };
    assert.equal(error.code, 'ApprovalRequired');
    const code = parked.headers.get('x-maa-approval-code') ?? '';
    assert.equal(code, error.innerError.approvalCode);
    assert.deepEqual(upstreamWrites(upstreamFrom), []);

    await approveAsBob(error.innerError.requestId);
    const done = await patch(code);
    assert.equal(done.status, 204, done.body);
    assert.equal(done.headers.get('x-maa-request-status'), 'completed');
    assert.deepEqual(upstreamWrites(upstreamFrom).map((c) => [c.method, c.path, c.status]), [['PATCH', path, 204]]);
    const read = await curl('GET', 'alice');
    assert.equal(read.status, 200, read.body);
    assert.equal((JSON.parse(read.body) as { displayName: string }).displayName, 'Renamed by curl');
  });
});
