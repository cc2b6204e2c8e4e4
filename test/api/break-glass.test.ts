/**
 * Break-glass through the running gateway (issue 13): a member of a break-glass group completes
 * their own open request without approvals, with a reason; the request is marked, approvers are
 * alerted (warn log and metric), and it waits in the review queue until an approver reviews it.
 * The tests' config gives `helpdesk` (alice, carol, mallory) the break-glass role.
 */
import { after, afterEach, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run, type CliIo } from '../../src/cli/approval-commands';
import { ExitCode } from '../../src/cli/gateway-client';
import { PROJECT_ROOT } from '../../src/config/gateway-config';
import { auth, startHarness, startSuite, USERS, type Harness, type Suite, type UserName } from '../support/harness';

const REASON = 'Production outage INC-4711: the app crashes on every device';

let suite: Suite;
let h: Harness;
let dir: string;
before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'countersign-config-'));
  cpSync(join(PROJECT_ROOT, 'config'), dir, { recursive: true });
  writeFileSync(join(dir, 'roles.yaml'), 'auditorGroups: [auditors]\nbreakGlassGroups: [helpdesk]\nbreakGlassMinReasonChars: 20\n');
  suite = await startSuite({ configDir: dir });
});
after(async () => {
  await suite.close();
  rmSync(dir, { recursive: true, force: true });
});
beforeEach(async () => {
  h = await startHarness(suite);
});
afterEach(async () => {
  await h.close();
});

async function park(user: UserName, app: number): Promise<string> {
  const parked = await h.http.patch(`/deviceAppManagement/mobileApps/${app}`).set('authorization', auth(user)).send({ displayName: `app ${app}` });
  assert.equal(parked.status, 202, JSON.stringify(parked.body));
  return parked.body.requestId as string;
}

function breakGlass(user: UserName, id: string, reason: string) {
  return h.http.post(`/maa/v1/requests/${id}/complete`).set('authorization', auth(user)).send({ breakGlass: { reason } });
}

async function metric(name: string): Promise<string[]> {
  const text = (await h.http.get('/metrics')).text;
  return text.split('\n').filter((line) => line.startsWith(name));
}

async function cli(user: UserName, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const io: CliIo = { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), env: { COUNTERSIGN_URL: h.baseUrl, COUNTERSIGN_TOKEN: USERS[user].token } };
  return { code: await run(args, io), stdout, stderr };
}

describe('break-glass', () => {
  test('the requestor completes without approvals: replayed once, marked, audited, alerted, queued for review', async () => {
    const id = await park('alice', 1);
    const before = await h.http.get(`/maa/v1/requests/${id}`).set('authorization', auth('alice'));
    assert.deepEqual(before.body.allowedActions.breakGlass, { allow: true, reasons: [] });

    const done = await breakGlass('alice', id, REASON);
    assert.equal(done.status, 200, JSON.stringify(done.body));
    assert.equal(done.headers['x-maa-request-status'], 'completed');
    assert.equal(h.upstream.mutations.length, 1);
    assert.deepEqual(h.upstream.mutations[0]!.body.toString(), JSON.stringify({ displayName: 'app 1' }));

    const shown = (await h.http.get(`/maa/v1/requests/${id}`).set('authorization', auth('bob'))).body;
    assert.equal(shown.status, 'completed');
    assert.deepEqual(shown.approvals, []);
    assert.equal(shown.breakGlass.userId, 'alice');
    assert.equal(shown.breakGlass.reason, REASON);
    assert.equal(shown.review, undefined);
    assert.deepEqual(
      shown.history.map((e: { action: string; to: string }) => `${e.action}:${e.to}`),
      ['create:needsApproval', 'break-glass:approved', 'begin-complete:approved', 'finish-complete:completed'],
    );
    assert.deepEqual(shown.allowedActions.review, { allow: true, reasons: [] });
    const audit = (await h.http.get(`/maa/v1/audit?requestId=${id}`).set('authorization', auth('bob'))).body.items;
    assert.ok(audit.some((e: { action: string; actor: string; notesSha256?: string }) => e.action === 'break-glass' && e.actor === 'alice' && e.notesSha256));

    // The alert: a warning naming the request and its approver groups, never the reason or the token.
    const warning = h.logs.find((line) => line.includes('break-glass: a request was completed without approvals'));
    assert.ok(warning, h.logs.join(''));
    assert.equal(JSON.parse(warning).level, 40);
    assert.match(warning, new RegExp(id));
    assert.match(warning, /app-approvers/);
    assert.doesNotMatch(warning, /INC-4711/);
    assert.doesNotMatch(h.logs.join(''), /test-token-alice/);
    assert.deepEqual(await metric('countersign_break_glass_total'), ['countersign_break_glass_total{profile_type="apps"} 1']);
    assert.deepEqual(await metric('countersign_break_glass_unreviewed'), ['countersign_break_glass_unreviewed 1']);

    // The review queue: approvers see it; a helpdesk colleague who may not view it does not.
    const queue = await h.http.get('/maa/v1/break-glass?reviewed=false').set('authorization', auth('bob'));
    assert.equal(queue.status, 200);
    assert.deepEqual(queue.body.items.map((r: { id: string }) => r.id), [id]);
    assert.deepEqual((await h.http.get('/maa/v1/break-glass').set('authorization', auth('mallory'))).body.items, []);

    const selfReview = await h.http.post(`/maa/v1/requests/${id}/review`).set('authorization', auth('alice')).send({ notes: 'fine' });
    assert.equal(selfReview.status, 403);
    const reviewed = await h.http.post(`/maa/v1/requests/${id}/review`).set('authorization', auth('bob')).send({ notes: 'Checked the change: it was the fix.' });
    assert.equal(reviewed.status, 200, JSON.stringify(reviewed.body));
    assert.equal(reviewed.body.review.userId, 'bob');
    assert.equal(reviewed.body.review.notes, 'Checked the change: it was the fix.');
    assert.equal(reviewed.body.allowedActions.review.allow, false);
    const again = await h.http.post(`/maa/v1/requests/${id}/review`).set('authorization', auth('carol')).send({ notes: 'me too' });
    assert.equal(again.status, 409);
    assert.equal(again.body.error.code, 'ALREADY_REVIEWED');

    assert.deepEqual((await h.http.get('/maa/v1/break-glass?reviewed=false').set('authorization', auth('bob'))).body.items, []);
    assert.deepEqual((await h.http.get('/maa/v1/break-glass?reviewed=true').set('authorization', auth('bob'))).body.items.map((r: { id: string }) => r.id), [id]);
    assert.deepEqual(await metric('countersign_break_glass_unreviewed'), ['countersign_break_glass_unreviewed 0']);
  });

  test('a reason shorter than breakGlassMinReasonChars: 422 BREAK_GLASS_REASON_REQUIRED, nothing sent, still open', async () => {
    const id = await park('alice', 2);
    for (const reason of ['urgent', '   urgent fix now    ']) {
      const refused = await breakGlass('alice', id, reason);
      assert.equal(refused.status, 422);
      assert.equal(refused.body.error.code, 'BREAK_GLASS_REASON_REQUIRED');
    }
    const noReason = await h.http.post(`/maa/v1/requests/${id}/complete`).set('authorization', auth('alice')).send({ breakGlass: {} });
    assert.equal(noReason.status, 422);
    assert.equal(h.upstream.mutations.length, 0);
    assert.equal((await h.store.get(id))!.status, 'needsApproval');
  });

  test('403 for a requestor outside the break-glass groups and for anyone else on the request', async () => {
    // bob is not in helpdesk; his own request, then alice's request, which he may view as an approver.
    const bobs = (await h.http.patch('/deviceManagement/deviceManagementScripts/3').set('authorization', auth('bob')).send({ a: 1 })).body.requestId as string;
    const notMember = await breakGlass('bob', bobs, REASON);
    assert.equal(notMember.status, 403);
    assert.equal(notMember.body.error.code, 'FORBIDDEN');
    assert.ok(notMember.body.error.reasons.some((r: string) => /break-glass group \(helpdesk\)/.test(r)));

    const alices = await park('alice', 3);
    const other = await breakGlass('bob', alices, REASON);
    assert.equal(other.status, 403);
    assert.ok(other.body.error.reasons.includes('only the requestor may break glass on their own request'));
    assert.equal(h.upstream.mutations.length, 0);
  });

  test('only an open request awaiting approval; an ordinary request cannot be reviewed', async () => {
    const id = await park('alice', 4);
    assert.equal((await h.http.post(`/maa/v1/requests/${id}/approve`).set('authorization', auth('bob')).send({ notes: 'ok' })).status, 200);
    const late = await breakGlass('alice', id, REASON);
    assert.equal(late.status, 409);
    assert.equal(late.body.error.code, 'INVALID_STATE');
    const review = await h.http.post(`/maa/v1/requests/${id}/review`).set('authorization', auth('carol')).send({ notes: 'n/a' });
    assert.equal(review.status, 409);
    assert.equal(review.body.error.code, 'NOT_BREAK_GLASS');
  });

  test('the CLI: complete --break-glass, break-glass list, review --notes', async () => {
    const id = await park('carol', 5);
    const tooShort = await cli('carol', 'complete', id, '--break-glass', 'now');
    assert.equal(tooShort.code, ExitCode.refused);
    assert.match(tooShort.stderr, /BREAK_GLASS_REASON_REQUIRED|at least 20 characters/);
    const done = await cli('carol', 'complete', id, '--break-glass', REASON);
    assert.equal(done.code, ExitCode.ok, done.stderr);
    assert.match(done.stdout, /completed request/);

    const list = await cli('bob', 'break-glass', 'list');
    assert.equal(list.code, ExitCode.ok, list.stderr);
    assert.match(list.stdout, new RegExp(id));
    assert.match(list.stdout, /INC-4711/);
    const json = await cli('bob', 'break-glass', 'list', '--json');
    assert.deepEqual(JSON.parse(json.stdout).items.map((r: { id: string }) => r.id), [id]);

    assert.equal((await cli('bob', 'review', id)).code, ExitCode.usage);
    const reviewed = await cli('bob', 'review', id, '--notes', 'Looked at it, fine.');
    assert.equal(reviewed.code, ExitCode.ok, reviewed.stderr);
    const twice = await cli('bob', 'review', id, '--notes', 'again');
    assert.equal(twice.code, ExitCode.refused);
    assert.match(twice.stderr, /already been reviewed/);
    const shown = await cli('bob', 'requests', 'show', id);
    assert.match(shown.stdout, /break-glass: +by carol/);
    assert.match(shown.stdout, /reviewed: +by bob/);
    assert.match((await cli('bob', 'break-glass', 'list')).stdout, /no break-glass requests waiting for review/);
  });

  test('an unreviewed break-glass is kept past the ended retention; a reviewed one is removed', async () => {
    const first = await park('alice', 6);
    const second = await park('alice', 7);
    assert.equal((await breakGlass('alice', first, REASON)).status, 200);
    assert.equal((await breakGlass('alice', second, REASON)).status, 200);
    assert.equal((await h.http.post(`/maa/v1/requests/${second}/review`).set('authorization', auth('bob')).send({ notes: 'ok' })).status, 200);
    const later = new Date(Date.now() + 400 * 24 * 60 * 60 * 1000);
    await h.store.sweep(later);
    assert.notEqual(await h.store.get(first), null);
    assert.equal(await h.store.get(second), null);
    assert.deepEqual((await h.store.listBreakGlass({ reviewed: false })).map((r) => r.id), [first]);
    assert.deepEqual(await h.store.listBreakGlass({ reviewed: true }), []);
  });
});
