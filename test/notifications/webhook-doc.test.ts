/**
 * The webhook verification example in docs/notifications.md works: the block tagged `js verify`
 * is run as written against a real signed delivery from the webhook channel, and refuses a
 * tampered body, a wrong secret and an old timestamp.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { PROJECT_ROOT } from '../../src/config/gateway-config';
import { webhookChannel } from '../../src/notifications/channels/webhook';
import { buildMessage } from '../../src/notifications/message';
import { startHttpReceiver } from '../support/receivers';

const dir = mkdtempSync(join(tmpdir(), 'countersign-webhook-doc-'));
after(() => rmSync(dir, { recursive: true, force: true }));

type Verify = (secret: string, headers: Record<string, string>, body: string, toleranceSeconds?: number) => unknown;

test('the documented verification accepts a real delivery and refuses a forged one', async () => {
  const docs = readFileSync(join(PROJECT_ROOT, 'docs/notifications.md'), 'utf8');
  const block = /```js verify\n([\s\S]*?)```/.exec(docs)?.[1];
  assert.ok(block, 'docs/notifications.md has a `js verify` block');
  const file = join(dir, 'verify.mjs');
  writeFileSync(file, block);
  const { verifyCountersignWebhook } = (await import(pathToFileURL(file).href)) as { verifyCountersignWebhook: Verify };

  const secret = `whsec_${randomBytes(32).toString('base64')}`;
  const receiver = await startHttpReceiver();
  try {
    const channel = webhookChannel({ name: 'siem', type: 'webhook', url: receiver.url, secret });
    const entry = { id: '1764939600123-0', requestId: 'r-1', event: 'create', actor: 'alice', from: null, to: 'needsApproval', at: '2026-05-01T09:30:00.000Z' };
    await channel.deliver(buildMessage(entry, { name: 'created', audience: 'approvers' }, null, undefined), [], 2000);
    const [post] = receiver.posts;
    assert.ok(post);
    const headers = post.headers as Record<string, string>;
    const payload = verifyCountersignWebhook(secret, headers, post.body) as { type: string; data: { eventId: string } };
    assert.equal(payload.type, 'request.created');
    assert.equal(payload.data.eventId, headers['webhook-id']);

    assert.throws(() => verifyCountersignWebhook(secret, headers, post.body.replace('alice', 'mallory')), /signature does not match/);
    assert.throws(() => verifyCountersignWebhook(`whsec_${randomBytes(32).toString('base64')}`, headers, post.body), /signature does not match/);
    assert.throws(() => verifyCountersignWebhook(secret, { ...headers, 'webhook-timestamp': String(Math.floor(Date.now() / 1000) - 3600) }, post.body), /timestamp/);
  } finally {
    await receiver.stop();
  }
});
