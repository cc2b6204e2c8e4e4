/**
 * The notifications file: defaults, secrets only from files or the environment (never echoed),
 * every problem named with file:line:column; the event names and audiences; the backoff; and
 * the readable renderings (escaping of user text in Slack and Teams).
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../../src/config/config-error';
import { loadDirectory } from '../../src/identity/directory';
import { backoffMs, recipientsOf } from '../../src/notifications/dispatcher';
import { notificationEvent } from '../../src/notifications/events';
import { slackBody, slackEscape, teamsEscape } from '../../src/notifications/channels/chat';
import { buildMessage } from '../../src/notifications/message';
import { loadNotificationsConfig, NOTIFICATION_DEFAULTS } from '../../src/notifications/notifications-config';
import type { ApprovalRequest } from '../../src/requests/types';

const dir = mkdtempSync(join(tmpdir(), 'countersign-notify-config-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const SECRET = `whsec_${randomBytes(32).toString('base64')}`;

function write(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

function refused(text: string, env: NodeJS.ProcessEnv = {}): string {
  const path = write(`bad-${randomBytes(3).toString('hex')}.yaml`, text);
  try {
    loadNotificationsConfig(path, { env });
  } catch (error) {
    assert.ok(error instanceof ConfigError);
    assert.equal(error.code, 'CONFIG_INVALID');
    return error.message;
  }
  assert.fail('the file was accepted');
}

describe('notifications file', () => {
  test('defaults, durations, filters, and secrets from a file or the environment', () => {
    write('slack-url', 'https://hooks.slack.com/services/T000/B000/XXXX\n');
    const config = loadNotificationsConfig(
      write(
        'ok.yaml',
        [
          'consoleUrl: https://cs.example.com/maa/console/',
          'delivery: { maxAttempts: 5, backoff: 1s }',
          'channels:',
          '  - { name: siem, type: webhook, url: https://hooks.example.com/cs, secretEnv: HOOK_SECRET, events: [created, expiring], profileTypes: [apps] }',
          '  - { name: chat, type: slack, urlFile: slack-url }',
          '  - { name: mail, type: email, from: cs@example.com, smtp: { host: smtp.example.com, port: 465, secure: true, user: cs, passwordEnv: SMTP_PASSWORD } }',
          '',
        ].join('\n'),
      ),
      { env: { HOOK_SECRET: SECRET, SMTP_PASSWORD: 'pw' } },
    );
    assert.equal(config.consoleUrl, 'https://cs.example.com/maa/console');
    assert.deepEqual(config.delivery, { ...NOTIFICATION_DEFAULTS.delivery, maxAttempts: 5, backoffMs: 1000 });
    assert.deepEqual(config.expiryWarning, NOTIFICATION_DEFAULTS.expiryWarning);
    const [siem, chat, mail] = config.channels;
    assert.deepEqual(siem, { name: 'siem', type: 'webhook', url: 'https://hooks.example.com/cs', secret: SECRET, events: new Set(['created', 'expiring']), profileTypes: new Set(['apps']) });
    assert.deepEqual(chat, { name: 'chat', type: 'slack', url: 'https://hooks.slack.com/services/T000/B000/XXXX' });
    assert.deepEqual(mail, { name: 'mail', type: 'email', from: 'cs@example.com', smtp: { host: 'smtp.example.com', port: 465, secure: true, user: 'cs', password: 'pw' } });
  });

  test('refusals name the place and the right form, and never quote a secret', () => {
    const leaked = 'https://hooks.slack.com/services/T000/B000/SECRETPART';
    let message = refused('channels:\n  - { name: chat, type: slack, url: https://hooks.slack.com/x }\n');
    assert.match(message, /:2:\d+: an incoming-webhook URL is a secret: give it in urlFile or urlEnv/);
    message = refused('channels:\n  - { name: chat, type: slack, urlEnv: SLACK }\n', { SLACK: leaked.replace('https', 'http') });
    assert.match(message, /must use https/);
    assert.ok(!message.includes('SECRETPART'), 'the secret URL is not echoed');
    message = refused('channels:\n  - { name: siem, type: webhook, url: https://h.example.com, secretEnv: NOPE }\n');
    assert.match(message, /the environment variable NOPE is not set/);
    message = refused('channels:\n  - { name: siem, type: webhook, url: https://h.example.com, secretEnv: S }\n', { S: 'short' });
    assert.match(message, /base64 of at least 24 random bytes/);
    assert.ok(!message.includes('short'));
    message = refused(`channels:\n  - { name: siem, type: webhook, url: http://h.example.com, secretEnv: S, events: [created, approvd] }\n`, { S: SECRET });
    assert.match(message, /must use https \(http only on loopback\)/);
    assert.match(message, /unknown: "approvd"/);
    message = refused('channels:\n  - { name: a, type: pager }\n');
    assert.match(message, /type must be one of webhook, slack, teams, email/);
    message = refused(`channels:\n  - { name: a, type: webhook, url: https://h.example.com, secretEnv: S }\n  - { name: a, type: webhook, url: https://h.example.com, secretEnv: S }\n`, { S: SECRET });
    assert.match(message, /:3:\d+: channel name a is used twice/);
    message = refused('delivery: { backoff: soon, timeout: 1m, claimIdle: 30s }\nchannels: []\n');
    assert.match(message, /delivery\.claimIdle must be longer than delivery\.timeout/);
    assert.match(message, /:1:\d+: must be a duration/);
    message = refused('channels: []\nsurprise: 1\n');
    assert.match(message, /unknown key surprise/);
  });
});

describe('events, recipients and messages', () => {
  test('each transition is named once, with its audience', () => {
    const cases: Array<[string, string | null, string, string | null, string | null]> = [
      ['create', null, 'needsApproval', 'created', 'approvers'],
      ['approve', 'needsApproval', 'needsApproval', 'approval', 'requestor'],
      ['approve', 'needsApproval', 'approved', 'approved', 'requestor'],
      ['reject', 'needsApproval', 'needsApproval', 'rejection', 'requestor'],
      ['reject', 'needsApproval', 'rejected', 'rejected', 'requestor'],
      ['cancel', 'needsApproval', 'canceled', 'canceled', 'approvers'],
      ['begin-complete', 'approved', 'approved', null, null],
      ['finish-complete', 'approved', 'completed', 'completed', 'requestor'],
      ['finish-complete', 'approved', 'failed', 'failed', 'requestor'],
      ['finish-complete', 'approved', 'approved', null, null],
      ['finish-complete', 'approved', 'stale', 'stale', 'requestor'],
      ['expire', 'needsApproval', 'expired', 'expired', 'requestor'],
      ['expiring', 'needsApproval', 'needsApproval', 'expiring', 'approvers'],
      ['expiring', 'approved', 'approved', 'expiring', 'requestor'],
      ['break-glass', 'needsApproval', 'approved', 'breakGlass', 'approvers'],
      ['review', 'completed', 'completed', 'reviewed', 'requestor'],
      ['some-future-step', 'approved', 'approved', 'some-future-step', 'none'],
    ];
    for (const [event, from, to, name, audience] of cases) {
      const got = notificationEvent({ event, from, to });
      assert.deepEqual(got && [got.name, got.audience], name === null ? null : [name, audience], `${event} ${from} → ${to}`);
    }
  });

  test('e-mail recipients: the approver groups\' members but never the requestor, or the requestor alone', () => {
    const directory = loadDirectory(
      write('directory.yaml', 'users:\n  alice: { groups: [app-approvers], email: alice@example.com }\n  bob: { groups: [app-approvers], email: bob@example.com }\n  carol: { groups: [app-approvers] }\n'),
    );
    const request = { requestor: { userId: 'alice', groups: [] }, decision: { approverGroups: ['app-approvers', 'nobody'] } } as unknown as ApprovalRequest;
    assert.deepEqual(recipientsOf({ name: 'created', audience: 'approvers' }, request, directory), ['bob@example.com']);
    assert.deepEqual(recipientsOf({ name: 'approved', audience: 'requestor' }, request, directory), ['alice@example.com']);
    assert.deepEqual(recipientsOf({ name: 'scheduled', audience: 'none' }, request, directory), []);
    assert.throws(() => loadDirectory(write('bad-dir.yaml', 'users:\n  bob: { email: "bob@example.com, eve@evil.example" }\n')), /email must be one plain address/);
  });

  test('backoff doubles from the base up to the cap', () => {
    const none = () => 0;
    assert.deepEqual([1, 2, 3, 4, 5, 10].map((n) => backoffMs(n, 1000, 10_000, none)), [1000, 2000, 4000, 8000, 10_000, 10_000]);
    assert.equal(backoffMs(1, 1000, 10_000, () => 1), 1100);
  });

  test('user text cannot write links or mentions into Slack or markdown into Teams', () => {
    assert.equal(slackEscape('<!channel> & <https://evil.example|click>'), '&lt;!channel&gt; &amp; &lt;https://evil.example|click&gt;');
    assert.equal(teamsEscape('[click](https://evil.example) **x**'), '\\[click\\]\\(https://evil\\.example\\) \\*\\*x\\*\\*');
    const request = {
      id: 'r1',
      status: 'needsApproval',
      requestor: { userId: 'alice', groups: [] },
      justification: '<!channel> urgent',
      call: { method: 'PATCH', path: '/deviceAppManagement/mobileApps/42', bodySha256: 'ab' },
      decision: { profileType: 'apps', operation: 'modify', objectKey: 'k', approverGroups: ['app-approvers'], requiredApprovals: 1 },
      approvals: [],
      createdAt: '',
      updatedAt: '',
    } as unknown as ApprovalRequest;
    const message = buildMessage({ id: '1-0', requestId: 'r1', event: 'create', actor: 'alice', from: null, to: 'needsApproval', at: '2026-05-01T00:00:00.000Z' }, { name: 'created', audience: 'approvers' }, request, undefined);
    const body = JSON.stringify(slackBody(message));
    assert.ok(!body.includes('<!channel>'));
    assert.ok(body.includes('&lt;!channel&gt; urgent'));
    assert.equal(message.link, undefined, 'no console URL, no link');
  });
});
