/**
 * See the change, and refuse a stale one (issue 11, section 2), end to end through a real gateway,
 * real Redis and the real policy:
 * - against the demo Graph API (ETags, If-Match): the snapshot at park, the diff of a PATCH, a
 *   script's decoded base64, an assign's targets, a create and a delete; a change made directly
 *   upstream between approve and complete makes complete answer 409 STALE_OBJECT and the request
 *   `stale` (object lock freed); an unchanged object completes with If-Match;
 * - against a small upstream without ETags: the content hash decides; a 412 to If-Match is stale
 *   too; a failed snapshot is recorded and not fatal; a failed re-read sends nothing and leaves the
 *   request approved; `onStale: allow` replays a changed object;
 * - where the snapshot read goes: only the object's own URL (or its assignments), never with the
 *   caller's other headers, and nothing for a create.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../../src/config/gateway-config';
import { startGraphApi, type GraphApi } from '../../src/demo/graph-api';
import { auth, startHarness, startSuite, USERS, useHarness, type Harness, type Suite } from '../support/harness';

let h: Harness;
const files = useHarness({ get: () => h, set: (next) => (h = next) });

const APP = '/deviceAppManagement/mobileApps/42';
const SCRIPT = '/deviceManagement/deviceManagementScripts/7';

const approve = async (id: string): Promise<void> => {
  const approved = await h.http.post(`/maa/v1/requests/${id}/approve`).set('authorization', auth('bob')).send({});
  assert.equal(approved.status, 200, approved.text);
  assert.equal(approved.body.status, 'approved');
};
const complete = (id: string) => h.http.post(`/maa/v1/requests/${id}/complete`).set('authorization', auth('alice'));
const diffOf = async (id: string) => {
  const res = await h.http.get(`/maa/v1/requests/${id}/diff`).set('authorization', auth('bob'));
  assert.equal(res.status, 200, res.text);
  return res.body;
};
async function park(method: 'patch' | 'put' | 'post' | 'delete', path: string, body?: unknown): Promise<string> {
  let call = h.http[method](path).set('authorization', auth('alice'));
  if (body !== undefined) call = call.set('content-type', 'application/json').send(JSON.stringify(body));
  const parked = await call;
  assert.equal(parked.status, 202, parked.text);
  return parked.body.requestId as string;
}

describe('against the demo Graph API (ETags)', () => {
  let graph: GraphApi;
  let dir: string;
  let graphAuth: string;
  before(async () => {
    // The demo API accepts the tokens of this file: the harness's test users.
    dir = mkdtempSync(join(tmpdir(), 'countersign-stale-'));
    const tokensFile = join(dir, 'tokens.yaml');
    writeFileSync(tokensFile, `tokens:\n${Object.values(USERS).map((u) => `  - { token: ${u.token}, userId: ${u.userId}, groups: [${u.groups.join(', ')}] }`).join('\n')}\n`);
    graph = await startGraphApi(0, { tokensFile });
    graphAuth = auth('erin');
  });
  after(async () => {
    await graph.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const onGraph = async (): Promise<void> => {
    await h.close();
    h = await startHarness(files.suite, { upstream: { url: graph.url } });
  };
  const upstream = (path: string, init: RequestInit = {}) => fetch(`${graph.url}${path}`, { ...init, headers: { authorization: graphAuth, 'content-type': 'application/json', ...init.headers } });

  test('a PATCH: the snapshot with its ETag, and the merge-patch against it as the diff', async () => {
    await onGraph();
    const etag = (await upstream(APP)).headers.get('etag');
    const id = await park('patch', APP, { displayName: 'Contoso Portal 2', notes: 'new field', description: null });
    const request = (await h.http.get(`/maa/v1/requests/${id}`).set('authorization', auth('bob'))).body;
    assert.equal(request.snapshot.state, 'captured');
    assert.equal(request.snapshot.etag, etag);
    const diff = await diffOf(id);
    assert.equal(diff.requestId, id);
    assert.equal(diff.operation, 'modify');
    assert.equal(diff.method, 'PATCH');
    assert.equal(diff.snapshot.etag, etag);
    assert.match(diff.snapshot.sha256, /^[0-9a-f]{64}$/);
    assert.ok(diff.snapshot.bytes > 0);
    const byPath = Object.fromEntries(diff.changes.map((c: { path: string }) => [c.path, c]));
    assert.deepEqual(byPath['/displayName'], { path: '/displayName', kind: 'changed', before: 'Contoso Portal', after: 'Contoso Portal 2' });
    assert.deepEqual(byPath['/notes'], { path: '/notes', kind: 'added', after: 'new field' });
    assert.deepEqual(byPath['/description'], { path: '/description', kind: 'removed', before: 'Line-of-business portal for every desk' });
    assert.equal(diff.changes.length, 3, 'nothing else changes: the answer\'s @odata.context is not part of the object');
    // An unrelated user sees neither the request nor its diff.
    assert.equal((await h.http.get(`/maa/v1/requests/${id}/diff`).set('authorization', auth('dave'))).status, 404);
  });

  test('a change made directly upstream between approve and complete: 409 STALE_OBJECT with the new diff, the request stale, the object free', async () => {
    await onGraph();
    const id = await park('patch', APP, { displayName: 'Renamed by alice' });
    await approve(id);
    // Someone changes the app directly at the upstream meanwhile.
    assert.equal((await upstream(APP, { method: 'PATCH', body: JSON.stringify({ displayName: 'Renamed by someone else' }) })).status, 204);
    const nowEtag = (await upstream(APP)).headers.get('etag');

    const refused = await complete(id);
    assert.equal(refused.status, 409, refused.text);
    assert.equal(refused.body.error.code, 'STALE_OBJECT');
    assert.equal(refused.body.error.requestId, id);
    assert.equal(refused.headers['x-maa-request-status'], 'stale');
    // The diff is against the object as it is now.
    assert.equal(refused.body.diff.snapshot.etag, nowEtag);
    assert.deepEqual(refused.body.diff.changes, [{ path: '/displayName', kind: 'changed', before: 'Renamed by someone else', after: 'Renamed by alice' }]);
    // Nothing was sent: the upstream keeps the other change.
    assert.equal(((await (await upstream(APP)).json()) as { displayName: string }).displayName, 'Renamed by someone else');

    const stored = await h.store.get(id);
    assert.equal(stored?.status, 'stale');
    assert.match(stored?.completion?.reason ?? '', /ETag changed/);
    const audit = await h.http.get(`/maa/v1/audit?requestId=${id}`).set('authorization', auth('alice'));
    assert.ok(audit.body.items.some((e: { action: string; to: string }) => e.action === 'finish-complete' && e.to === 'stale'));
    // Terminal: a second complete is refused, and the object is free for the resubmitted change.
    assert.equal((await complete(id)).body.error.code, 'INVALID_STATE');
    const again = await park('patch', APP, { displayName: 'Renamed by alice' });
    assert.notEqual(again, id);
  });

  test('an unchanged object completes, with If-Match; the change is applied', async () => {
    await onGraph();
    const id = await park('patch', APP, { displayName: 'Applied' });
    await approve(id);
    const res = await complete(id);
    assert.equal(res.status, 204, res.text);
    assert.equal(res.headers['x-maa-request-status'], 'completed');
    assert.equal(((await (await upstream(APP)).json()) as { displayName: string }).displayName, 'Applied');
  });

  test('a script: scriptContent is decoded and line-diffed', async () => {
    await onGraph();
    const script = 'Set-TimeZone -Id "W. Europe Standard Time"\nWrite-Output "done"\n';
    const id = await park('patch', SCRIPT, { scriptContent: Buffer.from(script).toString('base64') });
    const diff = await diffOf(id);
    const change = diff.changes.find((c: { path: string }) => c.path === '/scriptContent');
    assert.equal(change.kind, 'changed');
    assert.equal(change.encoding, 'base64');
    assert.equal(change.text.before, 'Set-TimeZone -Id "W. Europe Standard Time"\n');
    assert.equal(change.text.after, script);
    assert.deepEqual(change.text.lines, [
      { op: ' ', text: 'Set-TimeZone -Id "W. Europe Standard Time"' },
      { op: '+', text: 'Write-Output "done"' },
    ]);
  });

  test('an assign: the targets added and removed, against the assignments read at park', async () => {
    await onGraph();
    const id = await park('post', `${SCRIPT}/assign`, {
      deviceManagementScriptAssignments: [{ target: { '@odata.type': '#microsoft.graph.groupAssignmentTarget', groupId: 'helpdesk' } }],
    });
    const diff = await diffOf(id);
    assert.equal(diff.operation, 'assign');
    assert.equal(diff.snapshot.state, 'captured');
    assert.deepEqual(diff.assignments, {
      added: [{ '@odata.type': '#microsoft.graph.groupAssignmentTarget', groupId: 'helpdesk' }],
      removed: [{ '@odata.type': '#microsoft.graph.allDevicesAssignmentTarget' }],
    });
  });

  test('a create has nothing to read: every field added; a delete removes every field', async () => {
    await onGraph();
    const created = await park('post', '/deviceAppManagement/mobileApps', { '@odata.type': '#microsoft.graph.webApp', displayName: 'New app', appUrl: 'https://x.example' });
    const createDiff = await diffOf(created);
    assert.equal(createDiff.snapshot.state, 'none');
    assert.deepEqual(createDiff.changes.map((c: { path: string; kind: string }) => `${c.kind} ${c.path}`).sort(), ['added /@odata.type', 'added /appUrl', 'added /displayName']);

    const deleted = await park('delete', '/deviceAppManagement/mobileApps/43');
    const deleteDiff = await diffOf(deleted);
    assert.equal(deleteDiff.snapshot.state, 'captured');
    assert.ok(deleteDiff.changes.every((c: { kind: string }) => c.kind === 'removed'));
    assert.ok(deleteDiff.changes.some((c: { path: string; before: unknown }) => c.path === '/displayName' && c.before === 'Expense Reports'));
  });
});

describe('against an upstream without ETags', () => {
  /** The object the test upstream serves to the gateway's reads, changed by the test. */
  let object: Record<string, unknown>;
  let etag: string | undefined;
  const serve = (): void => {
    object = { id: '42', displayName: 'Portal' };
    etag = undefined;
    h.upstream.respondToSnapshot = (_call, res) => {
      res.writeHead(200, { 'content-type': 'application/json', ...(etag ? { etag } : {}) });
      res.end(JSON.stringify(object));
    };
  };

  test('the content hash decides: a changed object is stale, nothing sent', async () => {
    serve();
    const id = await park('patch', APP, { displayName: 'Mine' });
    await approve(id);
    object = { id: '42', displayName: 'Theirs' };
    const refused = await complete(id);
    assert.equal(refused.status, 409);
    assert.equal(refused.body.error.code, 'STALE_OBJECT');
    assert.equal(refused.body.diff.snapshot.etag, undefined);
    assert.deepEqual(refused.body.diff.changes, [{ path: '/displayName', kind: 'changed', before: 'Theirs', after: 'Mine' }]);
    assert.match((await h.store.get(id))?.completion?.reason ?? '', /content changed/);
    assert.equal(h.upstream.calls.length, 0);
  });

  test('an unchanged object completes, without If-Match (there is no ETag to send)', async () => {
    serve();
    const id = await park('patch', APP, { displayName: 'Mine' });
    await approve(id);
    const res = await complete(id);
    assert.equal(res.status, 200);
    assert.equal(res.headers['x-maa-request-status'], 'completed');
    assert.equal(h.upstream.calls.length, 1);
    assert.equal(h.upstream.calls[0]!.headers['if-match'], undefined);
    assert.equal(h.upstream.snapshotReads.length, 2, 'read at park, read again at complete');
  });

  test('a resend with the approval code is checked the same way: 409 STALE_OBJECT with the diff, nothing sent', async () => {
    serve();
    const parked = await h.http.patch(APP).set('authorization', auth('alice')).set('content-type', 'application/json').send('{"displayName":"Mine"}');
    assert.equal(parked.status, 202);
    await approve(parked.body.requestId);
    object = { id: '42', displayName: 'Theirs' };
    const resent = await h.http
      .patch(APP)
      .set('authorization', auth('alice'))
      .set('x-maa-approval-code', parked.body.approvalCode)
      .set('content-type', 'application/json')
      .send('{"displayName":"Mine"}');
    assert.equal(resent.status, 409, resent.text);
    assert.equal(resent.body.error.code, 'STALE_OBJECT');
    assert.equal(resent.headers['x-maa-request-status'], 'stale');
    assert.deepEqual(resent.body.diff.changes, [{ path: '/displayName', kind: 'changed', before: 'Theirs', after: 'Mine' }]);
    assert.equal(h.upstream.calls.length, 0);
  });

  test('a 412 to If-Match (changed between the check and the send) is stale too', async () => {
    serve();
    etag = '"v1"';
    h.upstream.respond = (call, res) => {
      res.writeHead(call.headers['if-match'] === '"v1"' ? 412 : 200, { 'content-type': 'application/json' });
      res.end('{"error":{"code":"PreconditionFailed"}}');
    };
    const id = await park('patch', APP, { displayName: 'Mine' });
    await approve(id);
    const refused = await complete(id);
    assert.equal(refused.status, 409);
    assert.equal(refused.body.error.code, 'STALE_OBJECT');
    assert.equal(h.upstream.calls.length, 1);
    assert.equal(h.upstream.calls[0]!.headers['if-match'], '"v1"');
    const stored = await h.store.get(id);
    assert.equal(stored?.status, 'stale');
    assert.equal(stored?.completion?.upstreamStatus, 412);
  });

  test('a snapshot that fails at park is recorded, not fatal: the call parks and completes unchecked', async () => {
    h.upstream.respondToSnapshot = (_call, res) => {
      res.writeHead(500);
      res.end();
    };
    const id = await park('patch', APP, { displayName: 'Mine' });
    const stored = await h.store.get(id);
    assert.equal(stored?.snapshot?.state, 'failed');
    assert.match(stored?.snapshot?.error ?? '', /answered the read with 500/);
    const diff = await diffOf(id);
    assert.equal(diff.snapshot.state, 'failed');
    assert.deepEqual(diff.changes, [{ path: '/displayName', kind: 'added', after: 'Mine' }]);
    assert.match((await h.http.get('/metrics')).text, /countersign_snapshots_total\{state="failed"\} 1/);
    await approve(id);
    assert.equal((await complete(id)).headers['x-maa-request-status'], 'completed');
    assert.equal(h.upstream.snapshotReads.length, 1, 'nothing read at park to compare with: not read again');
  });

  test('a snapshot read that is too slow is recorded as failed; the call still parks', async () => {
    await h.close();
    h = await startHarness(files.suite, { requests: { snapshotTimeoutMs: 200 } });
    h.upstream.respondToSnapshot = () => {
      // Never answers.
    };
    const id = await park('patch', APP, { displayName: 'Mine' });
    assert.match((await h.store.get(id))?.snapshot?.error ?? '', /within 200 ms/);
  });

  test('a snapshot answer whose body stalls after its headers is cut at requests.snapshotTimeoutMs; the call still parks', async () => {
    await h.close();
    h = await startHarness(files.suite, { requests: { snapshotTimeoutMs: 200 } });
    h.upstream.respondToSnapshot = (_call, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '1000' });
      res.write('{"id":"42",');
      // The rest never comes, and the connection stays open.
    };
    const started = Date.now();
    const id = await park('patch', APP, { displayName: 'Mine' });
    assert.ok(Date.now() - started < 2_000, 'the park waited for the stalled body past its timeout');
    const snapshot = (await h.store.get(id))?.snapshot;
    assert.equal(snapshot?.state, 'failed');
    assert.match(snapshot?.error ?? '', /within 200 ms/);
  });

  test('an object larger than requests.snapshotLimitBytes is recorded as tooLarge with its ETag; the call parks', async () => {
    await h.close();
    h = await startHarness(files.suite, { requests: { snapshotLimitBytes: 1024 } });
    h.upstream.respondToSnapshot = (_call, res) => {
      res.writeHead(200, { 'content-type': 'application/json', etag: '"big-1"' });
      res.end(JSON.stringify({ id: '42', notes: 'x'.repeat(4096) }));
    };
    const id = await park('patch', APP, { displayName: 'Mine' });
    const snapshot = (await h.store.get(id))?.snapshot;
    assert.equal(snapshot?.state, 'tooLarge');
    assert.equal(snapshot?.etag, '"big-1"');
    assert.match(snapshot?.error ?? '', /larger than 1024 bytes/);
  });

  test('an upstream that drops the read, before or during its answer, gives a failed snapshot; the call parks all the same', async () => {
    h.upstream.respondToSnapshot = (_call, res) => {
      res.socket?.destroy();
    };
    const unreached = await park('patch', APP, { displayName: 'Mine' });
    assert.match((await h.store.get(unreached))?.snapshot?.error ?? '', /could not be reached \(\w+\)/);

    h.upstream.respondToSnapshot = (_call, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '1000' });
      res.write('{"id":"42",');
      setTimeout(() => res.socket?.destroy(), 20);
    };
    const broken = await park('patch', SCRIPT, { displayName: 'Mine' });
    assert.match((await h.store.get(broken))?.snapshot?.error ?? '', /answer to the read broke off/);
  });

  test('a re-read that fails at complete sends nothing and leaves the request approved; the retry completes', async () => {
    serve();
    const id = await park('patch', APP, { displayName: 'Mine' });
    await approve(id);
    h.upstream.respondToSnapshot = (_call, res) => {
      res.writeHead(503);
      res.end();
    };
    const res = await complete(id);
    assert.equal(res.status, 503);
    assert.equal(res.body.error.code, 'SNAPSHOT_UNAVAILABLE');
    assert.equal(res.headers['x-maa-request-status'], 'approved');
    assert.equal(h.upstream.calls.length, 0);
    serve();
    const retry = await complete(id);
    assert.equal(retry.headers['x-maa-request-status'], 'completed');
    assert.equal(h.upstream.calls.length, 1);
  });

  test('the object gone upstream (404) is stale', async () => {
    serve();
    const id = await park('delete', APP);
    await approve(id);
    h.upstream.respondToSnapshot = (_call, res) => {
      res.writeHead(404);
      res.end();
    };
    const refused = await complete(id);
    assert.equal(refused.body.error.code, 'STALE_OBJECT');
    assert.match((await h.store.get(id))?.completion?.reason ?? '', /gone/);
  });

  test('the snapshot read goes only to the object\'s own path, with none of the caller\'s other headers; nothing for a create', async () => {
    serve();
    const parked = await h.http
      .patch(`${APP}?$select=displayName`)
      .set('authorization', auth('alice'))
      .set('cookie', 'session=secret')
      .set('x-custom', 'kept for the replay')
      .set('content-type', 'application/json')
      .send('{"displayName":"x"}');
    assert.equal(parked.status, 202);
    assert.equal(h.upstream.snapshotReads.length, 1);
    const read = h.upstream.snapshotReads[0]!;
    assert.equal(read.method, 'GET');
    assert.equal(read.url, APP, 'the object itself, without the call\'s query');
    assert.equal(read.headers.authorization, auth('alice'), 'the credential the replay would use (passthrough: the caller\'s)');
    assert.equal(read.headers.cookie, undefined);
    assert.equal(read.headers['x-custom'], undefined);
    assert.equal(read.body.length, 0);

    await park('post', '/deviceAppManagement/mobileApps/43/assign', { mobileAppAssignments: [] });
    assert.equal(h.upstream.snapshotReads[1]!.url, '/deviceAppManagement/mobileApps/43/assignments');
    await park('post', '/deviceAppManagement/mobileApps', { displayName: 'Brand new' });
    assert.equal(h.upstream.snapshotReads.length, 2, 'a create reads nothing');
  });
});

describe('onStale: allow', () => {
  let suite: Suite;
  let configDir: string;
  before(async () => {
    configDir = mkdtempSync(join(tmpdir(), 'countersign-onstale-'));
    cpSync(join(PROJECT_ROOT, 'config'), configDir, { recursive: true });
    const apps = join(configDir, 'access-policies/apps.yaml');
    writeFileSync(apps, `${readFileSync(apps, 'utf8')}onStale: allow\n`);
    suite = await startSuite({ configDir });
  });
  after(async () => {
    await suite.close();
    rmSync(configDir, { recursive: true, force: true });
  });

  test('the access policy accepts a changed object: complete replays it, without reading it again', async () => {
    await h.close();
    h = await startHarness(suite);
    let object = { id: '42', displayName: 'Portal' };
    h.upstream.respondToSnapshot = (_call, res) => {
      res.writeHead(200, { 'content-type': 'application/json', etag: `"${object.displayName}"` });
      res.end(JSON.stringify(object));
    };
    const id = await park('patch', APP, { displayName: 'Mine' });
    assert.equal((await h.store.get(id))?.decision.onStale, 'allow');
    await approve(id);
    object = { id: '42', displayName: 'Theirs' };
    const res = await complete(id);
    assert.equal(res.status, 200);
    assert.equal(res.headers['x-maa-request-status'], 'completed');
    assert.equal(h.upstream.calls[0]!.headers['if-match'], undefined);
    assert.equal(h.upstream.snapshotReads.length, 1);
  });
});
