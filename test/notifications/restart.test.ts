/**
 * Notifications are never lost when things stop uncleanly:
 *   - the gateway process is killed (SIGKILL) with an event it took but could not deliver, and
 *     events are written while no gateway runs: the next gateway delivers every one, once;
 *   - redis-server restarts (empty, as without persistence): the dispatcher makes its consumer
 *     group again and delivers what comes after.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../../src/config/gateway-config';
import { startNotificationDispatcher } from '../../src/notifications/dispatcher';
import { loadNotificationsConfig } from '../../src/notifications/notifications-config';
import { openOutbox } from '../../src/notifications/outbox';
import { createRequestStore } from '../../src/requests/redis-store';
import { freePort, randomDeployment, startRedis, type TestRedis } from '../support/redis-server';
import { startHttpReceiver, until, type HttpReceiver } from '../support/receivers';
import { startUpstream, type TestUpstream } from '../support/upstream';
import { newRequest } from '../requests/fixtures';

const SECRET = `whsec_${randomBytes(32).toString('base64')}`;

let redis: TestRedis;
let upstream: TestUpstream;
let dir: string;
before(async () => {
  redis = await startRedis();
  upstream = await startUpstream();
  dir = mkdtempSync(join(tmpdir(), 'countersign-notify-restart-'));
});
after(async () => {
  await upstream.stop();
  await redis.stop();
  rmSync(dir, { recursive: true, force: true });
});

function notificationsFile(receiver: HttpReceiver, delivery: string): string {
  const file = join(dir, `notifications-${randomBytes(4).toString('hex')}.yaml`);
  writeFileSync(file, [`delivery: ${delivery}`, 'channels:', `  - { name: siem, type: webhook, url: "${receiver.url}", secretEnv: TEST_WEBHOOK_SECRET }`, ''].join('\n'));
  return file;
}

/** `npm start` as a child process, with the notifications file; resolves once it listens. */
async function startGatewayProcess(port: number, deployment: string, file: string): Promise<{ child: ChildProcess; output: () => string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(PROJECT_ROOT, 'src/main.ts')], {
    cwd: PROJECT_ROOT,
    env: {
      PATH: process.env.PATH,
      ...(process.env.OPA_BIN ? { OPA_BIN: process.env.OPA_BIN } : {}),
      COUNTERSIGN_CONFIG: join(PROJECT_ROOT, 'config/gateway.yaml'),
      COUNTERSIGN_HOST: '127.0.0.1',
      PORT: String(port),
      COUNTERSIGN_UPSTREAM_URL: upstream.url,
      COUNTERSIGN_STATIC_TOKENS: 'config/demo/tokens.yaml',
      REDIS_URL: redis.url,
      COUNTERSIGN_DEPLOYMENT: deployment,
      COUNTERSIGN_NOTIFICATIONS: file,
      TEST_WEBHOOK_SECRET: SECRET,
      // The dispatcher runs under a lease: a killed holder's lease must run out before the next
      // process takes the outbox over, so a short one keeps the test quick.
      COUNTERSIGN_BACKGROUND_LEASE: '1s',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (c: Buffer) => (output += c.toString('utf8')));
  child.stderr!.on('data', (c: Buffer) => (output += c.toString('utf8')));
  await until(() => output.includes('gateway listening') || child.exitCode !== null, 'the gateway to listen', 90_000);
  assert.ok(output.includes('gateway listening'), output);
  return { child, output: () => output };
}

async function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await exited;
}

describe('notifications across restarts', () => {
  test('a gateway killed with an undelivered event, and events written while none runs: the next gateway delivers each once', { timeout: 240_000 }, async () => {
    const receiver = await startHttpReceiver(SECRET);
    const deployment = randomDeployment();
    // The first try fails; its retry would come 2 s later, after the kill. A stopped dispatcher's events are taken over after 1.5 s idle.
    const file = notificationsFile(receiver, '{ backoff: 2s, maxBackoff: 2s, timeout: 1s, claimIdle: 1500ms, pollInterval: 50ms }');
    const port = await freePort();
    receiver.down = true;
    const first = await startGatewayProcess(port, deployment, file);
    let second: Awaited<ReturnType<typeof startGatewayProcess>> | undefined;
    const store = await createRequestStore({ url: redis.url, deployment });
    try {
      const parked = await fetch(`http://127.0.0.1:${port}/deviceAppManagement/mobileApps/42`, {
        method: 'PATCH',
        headers: { authorization: 'Bearer demo-alice', 'content-type': 'application/json', 'x-maa-justification': 'INC-7' },
        body: JSON.stringify({ displayName: 'Contoso Portal' }),
      });
      assert.equal(parked.status, 202);
      const { requestId } = (await parked.json()) as { requestId: string };
      await until(() => receiver.posts.length === 1, 'the first (refused) try');
      await kill(first.child);

      // While no gateway runs: the request is approved; its event waits in the outbox, unread.
      await store.approve(requestId, 'bob', 'ok');
      receiver.down = false;

      second = await startGatewayProcess(port, deployment, file);
      await until(() => receiver.acknowledged.length === 2, 'both events after the restart', 30_000);
      const outbox = await openOutbox({ url: redis.url, deployment });
      try {
        await until(async () => (await outbox.status()).undelivered === 0, 'the outbox to drain');
      } finally {
        await outbox.close();
      }
      const types = receiver.acknowledged.map((p) => (p.json as { type: string }).type).sort();
      assert.deepEqual(types, ['request.approved', 'request.created']);
      assert.ok(receiver.acknowledged.every((p) => p.verified));
      // The created event: refused once by the killed gateway, delivered once by the next, same webhook-id.
      const created = receiver.posts.filter((p) => (p.json as { type: string }).type === 'request.created');
      assert.deepEqual(created.map((p) => p.answered), [500, 200]);
      assert.equal(new Set(created.map((p) => p.headers['webhook-id'])).size, 1);
    } finally {
      await kill(first.child);
      if (second) await kill(second.child);
      await store.close();
      await receiver.stop();
    }
  });

  test('redis-server restarts empty: the dispatcher makes its group again and delivers the next events', { timeout: 60_000 }, async () => {
    const receiver = await startHttpReceiver(SECRET);
    const deployment = randomDeployment();
    const config = loadNotificationsConfig(notificationsFile(receiver, '{ backoff: 10ms, timeout: 1s, pollInterval: 20ms }'), { env: { TEST_WEBHOOK_SECRET: SECRET } });
    const store = await createRequestStore({ url: redis.url, deployment });
    const outbox = await openOutbox({ url: redis.url, deployment });
    const dispatcher = startNotificationDispatcher({ config, outbox, store, retention: { openMs: 30 * 86_400_000, approvedMs: 30 * 86_400_000 } });
    try {
      await store.create(newRequest({}));
      await until(() => receiver.acknowledged.length === 1, 'the first event');

      await redis.kill();
      await redis.start();
      await until(async () => (await store.ping()) && outbox.connection.isReady, 'both connections back');
      const next = await store.create(newRequest({}));
      await until(() => receiver.acknowledged.length === 2, 'the event after the restart');
      assert.equal((receiver.acknowledged[1]!.json as { data: { requestId: string } }).data.requestId, next.id);
    } finally {
      await dispatcher.stop();
      await outbox.close();
      await store.close();
      await receiver.stop();
    }
  });
});
