/**
 * Change windows and scheduled replays through the running gateway (issue 13). The tests' config
 * gives scripts-approval one window two days from now (10:00–11:00 UTC), so it is closed whatever
 * the time of day the test runs, and apps-approval a window that is always open.
 */
import { after, afterEach, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { run, type CliIo } from '../../src/cli/approval-commands';
import { ExitCode } from '../../src/cli/gateway-client';
import { PROJECT_ROOT } from '../../src/config/gateway-config';
import { WEEKDAYS } from '../../src/config/change-windows';
import { SCHEDULER_ACTOR } from '../../src/gateway/scheduler';
import { createGateway } from '../../src/server';
import { createRequestStore } from '../../src/requests/redis-store';
import { auth, startHarness, startSuite, USERS, type Harness, type Suite, type UserName } from '../support/harness';

const DAY_MS = 24 * 60 * 60 * 1000;
const inTwoDays = new Date(Date.now() + 2 * DAY_MS);
/** When the scripts' window next opens: two days from now at 10:00 UTC (no window today or tomorrow). */
const NEXT_OPENING = `${inTwoDays.toISOString().slice(0, 10)}T10:00:00.000Z`;

let suite: Suite;
let h: Harness;
let dir: string;
before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'countersign-config-'));
  cpSync(join(PROJECT_ROOT, 'config'), dir, { recursive: true });
  appendFileSync(join(dir, 'access-policies/scripts.yaml'), `changeWindows:\n  - { days: [${WEEKDAYS[inTwoDays.getUTCDay()]}], from: "10:00", to: "11:00", timeZone: UTC }\n`);
  appendFileSync(join(dir, 'access-policies/apps.yaml'), `changeWindows:\n  - { days: [${WEEKDAYS.join(', ')}], from: "00:00", to: "24:00", timeZone: Etc/UTC }\n`);
  suite = await startSuite({ configDir: dir });
});
after(async () => {
  await suite.close();
  rmSync(dir, { recursive: true, force: true });
});
beforeEach(async () => {
  h = await startHarness(suite, { requests: { scheduleIntervalMs: 100 } });
});
afterEach(async () => {
  await h.close();
});

async function approved(path: string): Promise<string> {
  const parked = await h.http.patch(path).set('authorization', auth('alice')).send({ displayName: path });
  assert.equal(parked.status, 202, JSON.stringify(parked.body));
  const id = parked.body.requestId as string;
  assert.equal((await h.http.post(`/maa/v1/requests/${id}/approve`).set('authorization', auth('bob')).send({ notes: 'ok' })).status, 200);
  return id;
}

async function cli(user: UserName, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const io: CliIo = { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), env: { COUNTERSIGN_URL: h.baseUrl, COUNTERSIGN_TOKEN: USERS[user].token } };
  return { code: await run(args, io), stdout, stderr };
}

const schedule = (id: string, scheduledFor: string, user: UserName = 'alice') =>
  h.http.post(`/maa/v1/requests/${id}/complete`).set('authorization', auth(user)).send({ scheduledFor });

describe('change windows', () => {
  test('complete outside the window: 409 OUTSIDE_CHANGE_WINDOW with the next window start; nothing is sent', async () => {
    const id = await approved('/deviceManagement/deviceManagementScripts/1');
    const shown = await h.http.get(`/maa/v1/requests/${id}`).set('authorization', auth('alice'));
    assert.equal(shown.body.allowedActions.complete.allow, false);
    assert.match(shown.body.allowedActions.complete.reasons[0], new RegExp(`next window opens at ${NEXT_OPENING}`));

    const refused = await h.http.post(`/maa/v1/requests/${id}/complete`).set('authorization', auth('alice'));
    assert.equal(refused.status, 409);
    assert.equal(refused.body.error.code, 'OUTSIDE_CHANGE_WINDOW');
    assert.equal(refused.body.error.nextWindowStart, NEXT_OPENING);
    assert.equal(refused.body.error.status, 'approved');

    const byCli = await cli('alice', 'complete', id);
    assert.equal(byCli.code, ExitCode.refused);
    assert.match(byCli.stderr, new RegExp(`countersign complete ${id} --at ${NEXT_OPENING}`));
    assert.equal(h.upstream.mutations.length, 0);
    assert.equal((await h.store.get(id))!.status, 'approved');
  });

  test('a resend with the approval code outside the window: 409 OUTSIDE_CHANGE_WINDOW, nothing is sent', async () => {
    const path = '/deviceManagement/deviceManagementScripts/9';
    const parked = await h.http.patch(path).set('authorization', auth('alice')).send({ displayName: 'nine' });
    assert.equal(parked.status, 202);
    const id = parked.body.requestId as string;
    assert.equal((await h.http.post(`/maa/v1/requests/${id}/approve`).set('authorization', auth('bob')).send({})).status, 200);
    const resent = await h.http.patch(path).set('authorization', auth('alice')).set('x-maa-approval-code', parked.body.approvalCode).send({ displayName: 'nine' });
    assert.equal(resent.status, 409);
    assert.equal(resent.body.error.code, 'OUTSIDE_CHANGE_WINDOW');
    assert.equal(resent.body.error.nextWindowStart, NEXT_OPENING);
    assert.equal(h.upstream.mutations.length, 0);
  });

  test('GET /access-policies shows the policies\' windows', async () => {
    const items = (await h.http.get('/maa/v1/access-policies').set('authorization', auth('alice'))).body.items as { name: string; changeWindows?: unknown }[];
    assert.deepEqual(items.find((p) => p.name === 'scripts-approval')?.changeWindows, [{ days: [WEEKDAYS[inTwoDays.getUTCDay()]], from: '10:00', to: '11:00', timeZone: 'UTC' }]);
    assert.deepEqual(items.find((p) => p.name === 'roles-approval')?.changeWindows, [{ days: ['mon', 'tue', 'wed', 'thu', 'fri'], from: '07:00', to: '19:00', timeZone: 'Europe/Berlin' }]);
    assert.equal(items.find((p) => p.name === 'groups-approval')?.changeWindows, undefined);
  });

  test('an access policy without windows, or with one open now, completes as before', async () => {
    const id = await approved('/deviceAppManagement/mobileApps/1');
    const done = await h.http.post(`/maa/v1/requests/${id}/complete`).set('authorization', auth('alice'));
    assert.equal(done.status, 200);
    assert.equal(h.upstream.mutations.length, 1);
  });

  test('scheduling: inside a window only, visible, cancelable by the requestor until it runs', async () => {
    const id = await approved('/deviceManagement/deviceManagementScripts/2');
    const outside = await schedule(id, new Date(Date.now() + 60 * 60 * 1000).toISOString());
    assert.equal(outside.status, 409);
    assert.equal(outside.body.error.code, 'OUTSIDE_CHANGE_WINDOW');
    assert.equal(outside.body.error.nextWindowStart, NEXT_OPENING);
    const past = await schedule(id, new Date(Date.now() - 60_000).toISOString());
    assert.equal(past.status, 422);
    assert.deepEqual(past.body.error.fields, ['scheduledFor']);
    const both = await h.http.post(`/maa/v1/requests/${id}/complete`).set('authorization', auth('alice')).send({ scheduledFor: NEXT_OPENING, breakGlass: { reason: 'x'.repeat(30) } });
    assert.equal(both.status, 422);

    const inside = new Date(Date.parse(NEXT_OPENING) + 30 * 60_000).toISOString();
    const notRequestor = await schedule(id, inside, 'bob');
    assert.equal(notRequestor.status, 403);
    const scheduled = await schedule(id, inside);
    assert.equal(scheduled.status, 202, JSON.stringify(scheduled.body));
    assert.equal(scheduled.body.scheduledFor, inside);
    assert.equal(scheduled.body.status, 'approved');
    assert.equal((await h.http.get(`/maa/v1/requests/${id}`).set('authorization', auth('bob'))).body.scheduledFor, inside);

    const byOther = await h.http.delete(`/maa/v1/requests/${id}/schedule`).set('authorization', auth('bob'));
    assert.equal(byOther.status, 403);
    assert.equal(byOther.body.error.code, 'NOT_REQUESTOR');
    const canceled = await h.http.delete(`/maa/v1/requests/${id}/schedule`).set('authorization', auth('alice'));
    assert.equal(canceled.status, 200, JSON.stringify(canceled.body) + h.logs.join(''));
    assert.equal(canceled.body.scheduledFor, undefined);
    const again = await h.http.delete(`/maa/v1/requests/${id}/schedule`).set('authorization', auth('alice'));
    assert.equal(again.status, 409);
    assert.equal(again.body.error.code, 'NOT_SCHEDULED');

    // The CLI: complete --at, then unschedule.
    assert.equal((await cli('alice', 'complete', id, '--at', '2026-12-07 10:30')).code, ExitCode.usage, 'a time without its zone');
    const at = await cli('alice', 'complete', id, '--at', inside);
    assert.equal(at.code, ExitCode.ok, at.stderr);
    assert.match(at.stdout, new RegExp(`scheduled request ${id} for ${inside}`));
    assert.match((await cli('alice', 'requests', 'show', id)).stdout, new RegExp(`scheduled for: +${inside}`));
    assert.equal((await cli('alice', 'unschedule', id)).code, ExitCode.ok);
    assert.equal((await cli('alice', 'unschedule', id)).code, ExitCode.refused);
    assert.deepEqual(
      (await h.store.get(id))!.history.map((e) => e.action).filter((a) => a.includes('schedule')),
      ['schedule', 'unschedule', 'schedule', 'unschedule'],
    );
    assert.equal(h.upstream.mutations.length, 0);
  });
});

describe('scheduled replays', () => {
  test('two gateways on one Redis: each scheduled replay reaches the upstream exactly once, at its time', async () => {
    // A second gateway on the same Redis deployment and upstream, with its own store connection and scheduler.
    const store2 = await createRequestStore({ url: suite.redis.url, deployment: h.config.redis.deployment });
    const gateway2 = createGateway({ config: h.config, policy: suite.policy, store: store2, identity: suite.identity, logger: pino({ level: 'silent' }) });
    try {
      const ids = await Promise.all([1, 2, 3, 4].map((n) => approved(`/deviceAppManagement/mobileApps/${10 + n}`)));
      const when = new Date(Date.now() + 1_500).toISOString();
      for (const id of ids) assert.equal((await schedule(id, when)).status, 202);
      assert.equal(h.upstream.mutations.length, 0, 'nothing before its time');

      const deadline = Date.now() + 15_000;
      while (Date.now() < deadline) {
        const requests = await Promise.all(ids.map((id) => h.store.get(id)));
        if (requests.every((r) => r!.status === 'completed')) break;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      // Four more ticks of both schedulers: nothing is sent again.
      await new Promise((resolve) => setTimeout(resolve, 400));

      const paths = h.upstream.mutations.map((c) => c.url).sort();
      assert.deepEqual(paths, [11, 12, 13, 14].map((n) => `/deviceAppManagement/mobileApps/${n}`));
      for (const call of h.upstream.mutations) {
        assert.ok(Date.now() >= Date.parse(when));
        // A scheduled replay has no caller: no one's token is sent (the gateway never stores tokens).
        assert.equal(call.headers.authorization, undefined);
      }
      for (const id of ids) {
        const r = (await h.store.get(id))!;
        assert.equal(r.status, 'completed');
        assert.equal(r.scheduledFor, undefined);
        assert.equal(r.completion?.userId, SCHEDULER_ACTOR);
        assert.deepEqual(r.history.filter((e) => e.action === 'begin-complete').map((e) => e.actor), [SCHEDULER_ACTOR]);
      }
    } finally {
      await gateway2.close();
      await store2.close();
    }
  });

  test('an upstream that refuses the scheduler (401) changed nothing: the request stays approved for its requestor', async () => {
    h.upstream.respond = (call, res) => {
      res.writeHead(call.headers.authorization ? 200 : 401, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { code: call.headers.authorization ? 'ok' : 'InvalidAuthenticationToken' } }));
    };
    const id = await approved('/deviceAppManagement/mobileApps/21');
    assert.equal((await schedule(id, new Date(Date.now() + 300).toISOString())).status, 202);
    const deadline = Date.now() + 5_000;
    while (Date.now() < deadline && !(await h.store.get(id))!.completion) await new Promise((resolve) => setTimeout(resolve, 100));
    const r = (await h.store.get(id))!;
    assert.equal(r.status, 'approved');
    assert.equal(r.scheduledFor, undefined);
    assert.equal(r.completion?.upstreamStatus, 401);
    assert.match(r.completion?.reason ?? '', /complete it yourself/);
    const done = await h.http.post(`/maa/v1/requests/${id}/complete`).set('authorization', auth('alice'));
    assert.equal(done.status, 200);
    assert.equal((await h.store.get(id))!.status, 'completed');
    assert.equal(h.upstream.mutations.length, 2);
  });

  test('a scheduled replay that the calendar no longer allows is unscheduled, not sent', async () => {
    const id = await approved('/deviceManagement/deviceManagementScripts/3');
    const inside = new Date(Date.parse(NEXT_OPENING) + 5 * 60_000);
    assert.equal((await schedule(id, inside.toISOString())).status, 202);
    // Its time comes while outside every window (as if the calendar changed since): the scheduler refuses it.
    const late = new Date(Date.parse(NEXT_OPENING) + 2 * 60 * 60_000);
    const claimable = await h.store.dueScheduled(late, 10);
    assert.deepEqual(claimable, [id]);
    await h.store.schedule(id, 'alice', new Date(Date.now() + 200));
    const deadline = Date.now() + 5_000;
    while (Date.now() < deadline && (await h.store.get(id))!.scheduledFor) await new Promise((resolve) => setTimeout(resolve, 100));
    const r = (await h.store.get(id))!;
    assert.equal(r.scheduledFor, undefined);
    assert.equal(r.status, 'approved');
    assert.equal(r.history.at(-1)?.action, 'unschedule');
    assert.equal(r.history.at(-1)?.actor, SCHEDULER_ACTOR);
    assert.equal(h.upstream.mutations.length, 0);
    assert.ok(h.logs.some((line) => line.includes('scheduled replay outside its change window')));
  });
});
