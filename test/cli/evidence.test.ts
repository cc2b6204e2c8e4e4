/**
 * Tamper-evident audit through the running gateway and the CLI: `requests evidence` writes one
 * request's evidence, `evidence verify` checks it offline (and catches every kind of edit to the
 * file, and a chain rewritten since an anchor), `audit verify` walks the NDJSON export and names the
 * first broken link after events are edited or deleted in Redis directly, and the export pages by
 * cursor. Real gateway, Redis and policy; a small fake upstream answers the replays.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from 'redis';
import { run as auditRun } from '../../src/cli/audit-commands';
import type { CliIo } from '../../src/cli/approval-commands';
import { ExitCode } from '../../src/cli/gateway-client';
import { requestKeys } from '../../src/requests/keys';
import type { EvidenceFile } from '../../src/requests/evidence';
import { startCliGateway, type CliGateway } from '../support/cli-gateway';

let g: CliGateway;
let raw: ReturnType<typeof createClient>;
let dir: string;

before(async () => {
  g = await startCliGateway((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"id":"42","displayName":"Evidence"}');
  });
  raw = createClient({ url: g.redis.url });
  await raw.connect();
  dir = mkdtempSync(join(tmpdir(), 'countersign-evidence-'));
});

after(async () => {
  raw?.destroy();
  await g?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** `countersign audit …` / `evidence …` as `token`. */
async function audit(token: string, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const io: CliIo = { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), env: { COUNTERSIGN_URL: g.gateway.url, COUNTERSIGN_TOKEN: token } };
  return { code: await auditRun(args, io), stdout, stderr };
}

async function park(app: number, body: string): Promise<string> {
  const parked = await fetch(`${g.gateway.url}/deviceAppManagement/mobileApps/${app}`, {
    method: 'PATCH',
    headers: { authorization: 'Bearer demo-alice', 'content-type': 'application/json', 'x-maa-justification': 'INC-7%3A%20rename' },
    body,
  });
  assert.equal(parked.status, 202, await parked.clone().text());
  return ((await parked.json()) as { requestId: string }).requestId;
}

const BODY = '{"displayName":"Evidence \u00e9\u2713"}';

/** A completed request with another request's events between its own. */
async function completedWithNeighbours(app: number): Promise<string> {
  const id = await park(app, BODY);
  const other = await park(app + 1000, '{"displayName":"other"}');
  assert.equal((await g.cli('demo-bob', 'approve', id, '--notes', 'Checked the ticket')).code, ExitCode.ok);
  assert.equal((await g.cli('demo-alice', 'cancel', other)).code, ExitCode.ok);
  const done = await g.cli('demo-alice', 'complete', id);
  assert.equal(done.code, ExitCode.ok, done.stderr);
  return id;
}

async function exportEvidence(id: string, name: string, token = 'demo-alice'): Promise<{ path: string; file: EvidenceFile }> {
  const path = join(dir, name);
  const written = await g.cli(token, 'requests', 'evidence', id, '--out', path);
  assert.equal(written.code, ExitCode.ok, written.stderr);
  return { path, file: JSON.parse(readFileSync(path, 'utf8')) as EvidenceFile };
}

/** Writes a changed copy of an evidence file and verifies it offline. */
async function verifyChanged(file: EvidenceFile, change: (copy: EvidenceFile) => void, ...args: string[]) {
  const copy = structuredClone(file);
  change(copy);
  const path = join(dir, `changed-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(path, JSON.stringify(copy));
  return audit('', 'evidence', 'verify', path, ...args);
}

test('an evidence file holds the request, its exact body, its events and the chain to the head, and verifies offline', async () => {
  const id = await completedWithNeighbours(42);
  const { path, file } = await exportEvidence(id, 'evidence.json');
  assert.equal(file.countersignEvidence, 1);
  assert.equal(file.request.id, id);
  assert.equal(file.request.status, 'completed');
  assert.equal(Buffer.from(file.body!.data, 'base64').toString('utf8'), BODY);
  assert.equal(file.body!.sha256, file.request.call.bodySha256);
  assert.equal(file.request.completion?.upstreamStatus, 200);
  assert.equal(file.request.approvals[0]?.notes, 'Checked the ticket');
  assert.match(file.request.decision.policyRevision ?? '', /.+/);
  // Its own four events in full; the other request's two as contentHashes only.
  const own = file.chain.entries.filter((e) => typeof e !== 'string');
  assert.deepEqual(own.map((e) => (e as { action: string }).action), ['create', 'approve', 'begin-complete', 'finish-complete']);
  assert.equal(file.chain.entries.filter((e) => typeof e === 'string').length, 2);
  assert.ok(!JSON.stringify(file.chain.entries).includes('other'));
  assert.deepEqual(file.chain.end, file.chain.head);

  const checked = await audit('', 'evidence', 'verify', path);
  assert.equal(checked.code, ExitCode.ok, checked.stdout);
  assert.match(checked.stdout, new RegExp(`^ok {3}body: ${Buffer.byteLength(BODY)} bytes, sha256 ${file.body!.sha256}, as the request recorded$`, 'm'));
  assert.match(checked.stdout, /^ok {3}chain: 6 events link from seq \d+ to seq \d+ .*4 of them are this request's$/m);
  assert.match(checked.stdout, /^ok {3}request: the call, decision \(policy revision .+\), requestor and justification are the ones the create event pins/m);
  assert.match(checked.stdout, /^ok {3}notes: the approval of bob at .* is the text its event hashed$/m);
  assert.match(checked.stdout, /^verified: the evidence of request /m);

  // An anchor: the head an auditor recorded elsewhere.
  const head = await audit('demo-erin', 'audit', 'head');
  assert.equal(head.code, ExitCode.ok, head.stderr);
  const anchor = /^head: (\d+:[0-9a-f]{64})/.exec(head.stdout)![1]!;
  assert.equal(anchor, `${file.chain.end.seq}:${file.chain.end.hash}`);
  const anchored = await audit('', 'evidence', 'verify', path, '--anchor', anchor);
  assert.equal(anchored.code, ExitCode.ok);
  assert.match(anchored.stdout, /^ok {3}anchor: seq \d+ has the anchored hash/m);
});

test('evidence verify fails, naming what, for a changed body, notes, event, pinned decision or a chain that differs from an anchor', async () => {
  const id = await completedWithNeighbours(43);
  const { file } = await exportEvidence(id, 'evidence-43.json', 'demo-bob');

  const body = await verifyChanged(file, (c) => (c.body!.data = Buffer.from(BODY.replace('Evidence', 'Evidenze')).toString('base64')));
  assert.equal(body.code, ExitCode.unverified);
  assert.match(body.stdout, new RegExp(`^FAIL body: the body hashes to [0-9a-f]{64} \\(${Buffer.byteLength(BODY)} bytes\\) but the request recorded ${file.body!.sha256}`, 'm'));

  const notes = await verifyChanged(file, (c) => (c.request.approvals[0]!.notes = 'Did not check anything'));
  assert.match(notes.stdout, /^FAIL notes: the approval of bob at .* does not hash to its event's notesSha256$/m);

  const actor = await verifyChanged(file, (c) => {
    const approve = c.chain.entries.find((e) => typeof e !== 'string' && e.action === 'approve') as { actor: string };
    approve.actor = 'carol';
  });
  assert.match(actor.stdout, /^FAIL chain: .*its content does not match its hash: the event was edited$/m);

  const decision = await verifyChanged(file, (c) => {
    c.stored.decision = c.stored.decision.replace('"requiredApprovals":1', '"requiredApprovals":0');
    c.request.decision.requiredApprovals = 0;
  });
  assert.match(decision.stdout, /^FAIL request: the stored strings hash to [0-9a-f]{64}, the create event says/m);

  const dropped = await verifyChanged(file, (c) => c.chain.entries.splice(1, 1));
  assert.match(dropped.stdout, /^FAIL chain: /m);

  const rewritten = await verifyChanged(file, () => undefined, '--anchor', `${file.chain.end.seq}:${'a'.repeat(64)}`);
  assert.equal(rewritten.code, ExitCode.unverified);
  assert.match(rewritten.stdout, /^FAIL anchor: seq \d+ has hash [0-9a-f]{64}, the anchor says a+: the chain was rewritten$/m);

  const usage = await audit('', 'evidence', 'verify', join(dir, 'evidence-43.json'), '--anchor', 'nope');
  assert.equal(usage.code, ExitCode.usage);
  // Only a viewer of the request may export it.
  const stranger = await g.cli('demo-dave', 'requests', 'evidence', id, '--out', join(dir, 'x.json'));
  assert.equal(stranger.code, ExitCode.refused);
  assert.match(stranger.stderr, /REQUEST_NOT_FOUND/);
});

test('the NDJSON export pages by cursor for auditors only, every event with its chain fields', async () => {
  await completedWithNeighbours(44);
  const all: Array<{ id: string; seq: number; hash: string; prevHash: string }> = [];
  let cursor = '';
  for (let page = 0; page < 50; page++) {
    const answer = await fetch(`${g.gateway.url}/maa/v1/audit?format=ndjson&limit=5${cursor ? `&cursor=${cursor}` : ''}`, { headers: { authorization: 'Bearer demo-erin' } });
    assert.equal(answer.status, 200);
    assert.match(answer.headers.get('content-type') ?? '', /^application\/x-ndjson/);
    const lines = (await answer.text()).split('\n').filter(Boolean).map((l) => JSON.parse(l));
    all.push(...lines);
    if (lines.length < 5) break;
    cursor = answer.headers.get('x-maa-cursor')!;
  }
  assert.ok(all.length >= 18);
  all.forEach((event, i) => {
    assert.equal(event.seq, i + 1);
    if (i > 0) assert.equal(event.prevHash, all[i - 1]!.hash);
  });
  const head = (await (await fetch(`${g.gateway.url}/maa/v1/audit/head`, { headers: { authorization: 'Bearer demo-erin' } })).json()) as { head: { seq: number; hash: string } };
  assert.equal(head.head.seq, all.at(-1)!.seq);
  assert.equal(head.head.hash, all.at(-1)!.hash);

  const notAuditor = await fetch(`${g.gateway.url}/maa/v1/audit?format=ndjson`, { headers: { authorization: 'Bearer demo-alice' } });
  assert.equal(notAuditor.status, 403);
  const mixed = await fetch(`${g.gateway.url}/maa/v1/audit?format=ndjson&order=desc`, { headers: { authorization: 'Bearer demo-erin' } });
  assert.equal(mixed.status, 422);
  assert.deepEqual(((await mixed.json()) as { error: { fields: string[] } }).error.fields, ['order']);
  const badCursor = await fetch(`${g.gateway.url}/maa/v1/audit?format=ndjson&cursor=abc`, { headers: { authorization: 'Bearer demo-erin' } });
  assert.equal(badCursor.status, 422);
  const headAsAlice = await fetch(`${g.gateway.url}/maa/v1/audit/head`, { headers: { authorization: 'Bearer demo-alice' } });
  assert.equal(headAsAlice.status, 403);
});

test('audit verify passes on an untouched chain and names the first broken link after an edit or a deletion in Redis', async () => {
  const id = await completedWithNeighbours(45);
  const ok = await audit('demo-erin', 'audit', 'verify');
  assert.equal(ok.code, ExitCode.ok, ok.stdout + ok.stderr);
  assert.match(ok.stdout, /^ok: \d+ events verified from the beginning to the head \d+:[0-9a-f]{64}$/m);
  const refused = await audit('demo-alice', 'audit', 'verify');
  assert.equal(refused.code, ExitCode.refused);

  const k = requestKeys(g.redis.deployment);
  const entries = (await raw.sendCommand(['XRANGE', k.audit, '-', '+'])) as Array<[string, string[]]>;
  const approveAt = entries.findIndex(([, f]) => f.includes(id) && f.includes('approve'));
  const [approveId] = entries[approveAt]!;
  // Edit: the stream written again with the approver changed (ids kept).
  await raw.del(k.audit);
  for (const [entryId, fields] of entries) {
    await raw.sendCommand(['XADD', k.audit, entryId, ...(entryId === approveId ? fields.map((v, i) => (fields[i - 1] === 'actor' ? 'carol' : v)) : fields)]);
  }
  const edited = await audit('demo-erin', 'audit', 'verify');
  assert.equal(edited.code, ExitCode.unverified);
  assert.match(edited.stdout, new RegExp(`^BROKEN at ${approveId} \\(seq \\d+\\): its content does not match its hash: the event was edited$`, 'm'));

  // Deletion: the edit undone, then an event removed; the one after it no longer links.
  await raw.del(k.audit);
  for (const [entryId, fields] of entries) await raw.sendCommand(['XADD', k.audit, entryId, ...fields]);
  assert.equal((await audit('demo-erin', 'audit', 'verify')).code, ExitCode.ok);
  await raw.sendCommand(['XDEL', k.audit, approveId]);
  const deleted = await audit('demo-erin', 'audit', 'verify', '--json');
  assert.equal(deleted.code, ExitCode.unverified);
  const report = JSON.parse(deleted.stdout) as { ok: boolean; broken: { id: string; reason: string } };
  assert.equal(report.ok, false);
  assert.equal(report.broken.id, entries[approveAt + 1]![0]);
  assert.match(report.broken.reason, /an event was deleted or inserted before it/);

  // Insertion: an event without chain fields slipped in after the approval. Ids are rewritten
  // as <ms>-<2·seq> so there is room after every entry (the chain does not cover ids).
  const spaced = (entryId: string, extra = 0): string => `${entryId.split('-')[0]}-${Number(entryId.split('-')[1]) * 2 + extra}`;
  await raw.del(k.audit);
  for (const [entryId, fields] of entries) {
    await raw.sendCommand(['XADD', k.audit, spaced(entryId), ...fields]);
    if (entryId === approveId) await raw.sendCommand(['XADD', k.audit, spaced(entryId, 1), 'at', '2026-12-05T00:00:00.000Z', 'requestId', id, 'actor', 'carol', 'action', 'approve', 'from', 'needsApproval', 'to', 'approved']);
  }
  const inserted = await audit('demo-erin', 'audit', 'verify');
  assert.equal(inserted.code, ExitCode.unverified);
  assert.match(inserted.stdout, new RegExp(`^BROKEN at ${spaced(approveId, 1)}: an event without chain fields after event \\d+ \\(${spaced(approveId)}\\)`, 'm'));
  await raw.del(k.audit);
  for (const [entryId, fields] of entries) await raw.sendCommand(['XADD', k.audit, entryId, ...fields]);
  await raw.sendCommand(['XDEL', k.audit, approveId]);

  // An evidence file exported now does not verify either: its chain has the gap.
  const { path } = await exportEvidence(id, 'evidence-45.json');
  const gap = await audit('', 'evidence', 'verify', path);
  assert.equal(gap.code, ExitCode.unverified);
  assert.match(gap.stdout, /^FAIL chain: .*deleted or inserted/m);
});
