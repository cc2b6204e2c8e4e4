/**
 * Notifications end to end, in-process: a real gateway (harness: real Redis, the OPA-built
 * policy), the real dispatcher, and real receivers on loopback: an HTTP receiver that verifies
 * Standard Webhooks signatures and counts what it acknowledged, Slack- and Teams-shaped
 * receivers, and an SMTP server. Requests are made through the gateway over HTTP, as curl would.
 */
import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Counter, Registry } from 'prom-client';
import { auth, startHarness, startSuite, type Harness, type Suite } from '../support/harness';
import { startHttpReceiver, startSmtpReceiver, until, type HttpReceiver, type SmtpReceiver } from '../support/receivers';
import { loadDirectory } from '../../src/identity/directory';
import { startNotificationDispatcher, type NotificationDispatcher } from '../../src/notifications/dispatcher';
import { loadNotificationsConfig } from '../../src/notifications/notifications-config';
import { openOutbox, type Outbox } from '../../src/notifications/outbox';

const APP = '/deviceAppManagement/mobileApps/42';
const api = (path: string): string => `/maa/v1${path}`;
const SECRET = `whsec_${randomBytes(32).toString('base64')}`;
const CONSOLE = 'https://countersign.example.com/maa/console';

let suite: Suite;
before(async () => {
  suite = await startSuite();
});
after(async () => {
  await suite.close();
});

interface Setup {
  h: Harness;
  outbox: Outbox;
  dispatcher: NotificationDispatcher;
  webhook: HttpReceiver;
  scriptsOnly: HttpReceiver;
  slack: HttpReceiver;
  teams: HttpReceiver;
  smtp: SmtpReceiver;
  deliveries: Counter<'channel' | 'outcome'>;
  dir: string;
}

let current: Setup | undefined;
afterEach(async () => {
  const s = current;
  current = undefined;
  if (!s) return;
  await s.dispatcher.stop();
  await s.outbox.close();
  await s.h.close();
  for (const r of [s.webhook, s.scriptsOnly, s.slack, s.teams]) await r.stop();
  await s.smtp.stop();
  rmSync(s.dir, { recursive: true, force: true });
});

/** A gateway, its dispatcher and every receiver; `delivery` is the notifications file's delivery section. */
async function setup(delivery = '{ backoff: 10ms, maxBackoff: 40ms, timeout: 2s, pollInterval: 20ms }'): Promise<Setup> {
  const dir = mkdtempSync(join(tmpdir(), 'countersign-notify-'));
  const [webhook, scriptsOnly, slack, teams, smtp] = await Promise.all([
    startHttpReceiver(SECRET),
    startHttpReceiver(SECRET),
    startHttpReceiver(),
    startHttpReceiver(),
    startSmtpReceiver(),
  ]);
  writeFileSync(join(dir, 'teams-url'), `${teams.url}\n`);
  writeFileSync(
    join(dir, 'directory.yaml'),
    [
      'users:',
      '  alice: { groups: [helpdesk], email: alice@example.com }',
      '  bob: { groups: [app-approvers], email: bob@example.com }',
      '  carol: { groups: [app-approvers], email: carol@example.com }',
      '  dave: { groups: [policy-approvers], email: dave@example.com }',
      '',
    ].join('\n'),
  );
  writeFileSync(
    join(dir, 'notifications.yaml'),
    [
      `consoleUrl: ${CONSOLE}`,
      `delivery: ${delivery}`,
      'channels:',
      `  - { name: siem, type: webhook, url: "${webhook.url}", secretEnv: TEST_WEBHOOK_SECRET }`,
      `  - { name: scripts-only, type: webhook, url: "${scriptsOnly.url}", secretEnv: TEST_WEBHOOK_SECRET, events: [created], profileTypes: [scripts] }`,
      '  - { name: approvers-slack, type: slack, urlEnv: TEST_SLACK_URL }',
      '  - { name: approvers-teams, type: teams, urlFile: teams-url }',
      `  - { name: mail, type: email, from: countersign@example.com, smtp: { host: 127.0.0.1, port: ${smtp.port} } }`,
      '',
    ].join('\n'),
  );
  const config = loadNotificationsConfig(join(dir, 'notifications.yaml'), { env: { TEST_WEBHOOK_SECRET: SECRET, TEST_SLACK_URL: slack.url } });
  let outbox: Outbox | undefined;
  const h = await startHarness(suite, {}, { notifications: { status: () => outbox!.status() } });
  outbox = await openOutbox({ url: suite.redis.url, deployment: h.config.redis.deployment });
  const deliveries = new Counter({ name: 'test_notifications_total', help: 'test', labelNames: ['channel', 'outcome'], registers: [new Registry()] });
  const dispatcher = startNotificationDispatcher({
    config,
    outbox,
    store: h.store,
    directory: loadDirectory(join(dir, 'directory.yaml')),
    retention: { openMs: h.config.requests.retentionMs, approvedMs: h.config.requests.approvedRetentionMs },
    deliveries,
    ...(process.env.DEBUG_NOTIFY ? { logger: (await import('pino')).default({ level: 'debug' }) } : {}),
  });
  current = { h, outbox, dispatcher, webhook, scriptsOnly, slack, teams, smtp, deliveries, dir };
  return current;
}

async function park(h: Harness, justification = 'INC-1 rename the portal'): Promise<string> {
  const res = await h.http.patch(APP).set('authorization', auth('alice')).set('x-maa-justification', justification).send({ displayName: 'Contoso Portal' });
  assert.equal(res.status, 202, JSON.stringify(res.body));
  return res.body.requestId as string;
}

type Payload = { type: string; timestamp: string; data: Record<string, unknown> & { request?: Record<string, unknown> } };
const payloads = (r: HttpReceiver): Payload[] => r.acknowledged.map((p) => p.json as Payload);
const count = async (c: Counter<'channel' | 'outcome'>, channel: string, outcome: string): Promise<number> =>
  (await c.get()).values.find((v) => v.labels.channel === channel && v.labels.outcome === outcome)?.value ?? 0;

describe('notifications', () => {
  test('a parked call reaches the signed webhook, Slack, Teams and the approvers\' inboxes; the verdict reaches the requestor', async () => {
    const s = await setup();
    const id = await park(s.h);

    await until(() => payloads(s.webhook).some((p) => p.type === 'request.created'), 'the created webhook');
    const created = s.webhook.acknowledged[0]!;
    assert.equal(created.verified, true, 'the signature verifies with the standardwebhooks library');
    const payload = created.json as Payload;
    assert.equal(created.headers['webhook-id'], payload.data.eventId);
    assert.match(String(created.headers['webhook-signature']), /^v1,/);
    assert.equal(payload.data.requestId, id);
    assert.equal(payload.data.event, 'created');
    assert.equal(payload.data.audience, 'approvers');
    assert.equal(payload.data.actor, 'alice');
    assert.equal(payload.data.to, 'needsApproval');
    assert.equal(payload.data.url, `${CONSOLE}/#/received/${id}`);
    assert.equal(payload.data.request?.justification, 'INC-1 rename the portal');
    assert.equal(payload.data.request?.profileType, 'apps');
    assert.equal(payload.data.request?.path, APP);
    assert.equal(payload.data.request?.requestor, 'alice');

    await until(() => s.slack.acknowledged.length >= 1 && s.teams.acknowledged.length >= 1 && s.smtp.mails.length >= 1, 'Slack, Teams and the mail');
    const slack = s.slack.acknowledged[0]!.json as { text: string; blocks: Array<{ type: string; fields?: Array<{ text: string }>; elements?: Array<{ url: string }> }> };
    assert.match(slack.text, /^alice asks for approval: modify apps PATCH \/deviceAppManagement\/mobileApps\/42$/);
    const slackText = JSON.stringify(slack.blocks);
    assert.ok(slackText.includes('INC-1 rename the portal'), 'Slack shows the justification');
    assert.equal(slack.blocks.find((b) => b.type === 'actions')?.elements?.[0]?.url, `${CONSOLE}/#/received/${id}`);

    const teams = s.teams.acknowledged[0]!.json as { type: string; attachments: Array<{ contentType: string; content: { body: Array<{ text?: string; facts?: Array<{ title: string; value: string }> }>; actions: Array<{ url: string }> } }> };
    assert.equal(teams.type, 'message');
    assert.equal(teams.attachments[0]!.contentType, 'application/vnd.microsoft.card.adaptive');
    const card = teams.attachments[0]!.content;
    assert.match(card.body[0]!.text!, /^alice asks for approval/);
    assert.ok(card.body[1]!.facts!.some((f) => f.title === 'Justification' && f.value.includes('INC\\-1 rename the portal')));
    assert.equal(card.actions[0]!.url, `${CONSOLE}/#/received/${id}`);

    // E-mail: the approver group's members (bob, carol), not the requestor, not other groups' approvers.
    const toApprovers = s.smtp.mails[0]!;
    assert.deepEqual(toApprovers.to, ['bob@example.com', 'carol@example.com']);
    assert.equal(toApprovers.from, 'countersign@example.com');
    assert.match(toApprovers.subject, /^\[Countersign\] alice asks for approval: modify apps PATCH/);
    assert.ok(toApprovers.text.includes('Justification: INC-1 rename the portal'));
    assert.ok(toApprovers.text.includes(`${CONSOLE}/#/received/${id}`));

    // bob approves: the requestor hears it (webhook event and a mail to alice with bob's notes).
    const approved = await s.h.http.post(api(`/requests/${id}/approve`)).set('authorization', auth('bob')).send({ notes: 'Checked with the app owner' });
    assert.equal(approved.status, 200, JSON.stringify(approved.body));
    await until(() => payloads(s.webhook).some((p) => p.type === 'request.approved') && s.smtp.mails.length >= 2, 'the approved webhook and mail');
    const toRequestor = s.smtp.mails[1]!;
    assert.deepEqual(toRequestor.to, ['alice@example.com']);
    assert.match(toRequestor.subject, /Approved by bob, ready to complete/);
    assert.ok(toRequestor.text.includes('Notes of bob: Checked with the app owner'));
    assert.ok(toRequestor.text.includes(`${CONSOLE}/#/mine/${id}`));

    // Everything settled: the outbox is empty, and the channel filtered to scripts never got an apps request.
    await until(async () => (await s.outbox.status()).undelivered === 0, 'the outbox to drain');
    assert.equal(s.scriptsOnly.posts.length, 0);
    // Each event once per channel.
    assert.deepEqual(payloads(s.webhook).map((p) => p.type), ['request.created', 'request.approved']);
    assert.equal(s.webhook.posts.length, 2);
    assert.equal(await count(s.deliveries, 'siem', 'delivered'), 2);
  });

  test('a receiver that fails three times gets the event once it recovers, acknowledged once, with the same webhook-id', async () => {
    const s = await setup();
    s.webhook.failFirst = 3;
    await park(s.h);
    await until(() => s.webhook.acknowledged.length === 1, 'the delivery after recovery');
    await until(async () => (await s.outbox.status()).undelivered === 0, 'the outbox to drain');
    assert.equal(s.webhook.posts.length, 4, 'three refused tries, one accepted');
    assert.deepEqual(s.webhook.posts.map((p) => p.answered), [500, 500, 500, 200]);
    assert.equal(new Set(s.webhook.posts.map((p) => p.headers['webhook-id'])).size, 1, 'every try carries the same webhook-id');
    assert.ok(s.webhook.posts.every((p) => p.verified), 'every try is signed');
    assert.equal(s.webhook.acknowledged.length, 1, 'never acknowledged twice');
    assert.equal(await count(s.deliveries, 'siem', 'retried'), 3);
    assert.equal(await count(s.deliveries, 'siem', 'delivered'), 1);
    // The other channels were delivered once each, not again with the retries.
    assert.equal(s.slack.posts.length, 1);
    assert.equal(s.smtp.mails.length, 1);
  });

  test('a delivery that keeps failing goes to the dead-letter list after the last try; /readyz reports it and stays ready', async () => {
    const s = await setup('{ maxAttempts: 3, backoff: 10ms, maxBackoff: 40ms, timeout: 2s, pollInterval: 20ms }');
    s.webhook.down = true;
    const id = await park(s.h);
    await until(async () => (await s.outbox.status()).deadLetters === 1, 'the dead letter');
    await until(async () => (await s.outbox.status()).undelivered === 0, 'the outbox to settle');
    const [dead] = await s.outbox.deadLetters();
    assert.equal(dead?.channel, 'siem');
    assert.equal(dead?.requestId, id);
    assert.equal(dead?.event, 'created');
    assert.equal(dead?.attempts, 3);
    assert.equal(dead?.lastError, 'receiver answered 500');
    assert.equal(s.webhook.posts.length, 3);
    assert.equal(await count(s.deliveries, 'siem', 'dead'), 1);
    // The other channels were delivered regardless.
    assert.equal(s.slack.acknowledged.length, 1);

    const ready = await s.h.http.get('/readyz');
    assert.equal(ready.status, 200, 'a dead letter does not make the gateway unready');
    assert.deepEqual(ready.body.checks.notifications, { undelivered: 0, pending: 0, deadLetters: 1, oldestAgeSeconds: null });
    const metrics = await s.h.http.get('/metrics');
    assert.match(metrics.text, /^countersign_notification_dead_letters 1$/m);
    assert.match(metrics.text, /^countersign_notification_backlog 0$/m);
  });

  test('/readyz shows the backlog while the receiver is down', async () => {
    const s = await setup('{ backoff: 1h, maxBackoff: 1h, timeout: 2s, pollInterval: 20ms }');
    s.webhook.down = true;
    await park(s.h);
    await until(() => s.webhook.posts.length === 1, 'the first try');
    await until(async () => (await s.h.http.get('/readyz')).body.checks.notifications?.pending === 1, 'the pending event in /readyz');
    const ready = await s.h.http.get('/readyz');
    assert.equal(ready.status, 200);
    assert.equal(ready.body.checks.notifications.undelivered, 1);
    assert.equal(typeof ready.body.checks.notifications.oldestAgeSeconds, 'number');
  });
});
