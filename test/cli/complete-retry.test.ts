/**
 * `countersign complete` when the upstream fails with 5xx: exit 3, the request stays approved,
 * and a second complete succeeds (exit 0). A tiny fake upstream answers 503 once, then 204;
 * the gateway, Redis and policy are real.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { run, type CliIo } from '../../src/cli/approval-commands';
import { ExitCode } from '../../src/cli/gateway-client';
import { loadGatewayConfig } from '../../src/config/gateway-config';
import { startGateway, type RunningGateway } from '../../src/main';
import { DEMO_TOKENS_FILE } from '../../src/demo/start-demo';
import { randomDeployment, startRedis, type TestRedis } from '../support/redis-server';

let redis: TestRedis;
let upstream: Server;
let gateway: RunningGateway;
const seen: { method: string; url: string; idempotencyKey?: string }[] = [];

before(async () => {
  redis = await startRedis();
  upstream = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      seen.push({ method: req.method!, url: req.url!, idempotencyKey: req.headers['idempotency-key'] as string | undefined });
      // The first replay meets a busy upstream; the second goes through.
      if (seen.length === 1) {
        res.writeHead(503, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { code: 'ServiceUnavailable', message: 'try later' } }));
      } else {
        res.writeHead(204);
        res.end();
      }
    });
  });
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', () => r()));
  const address = upstream.address();
  const port = address && typeof address === 'object' ? address.port : 0;
  gateway = await startGateway(
    loadGatewayConfig({
      env: {},
      overrides: {
        listen: { host: '127.0.0.1', port: 0 },
        upstream: { url: `http://127.0.0.1:${port}` },
        redis: { url: redis.url, deployment: randomDeployment() },
        identity: { staticTokensFile: DEMO_TOKENS_FILE },
        log: { level: 'silent' },
      },
    }),
  );
});

after(async () => {
  await gateway?.close();
  await new Promise<void>((r) => (upstream ? upstream.close(() => r()) : r()));
  await redis?.stop();
});

async function cli(token: string, ...args: string[]) {
  let stdout = '';
  let stderr = '';
  const io: CliIo = { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), env: { COUNTERSIGN_URL: gateway.url, COUNTERSIGN_TOKEN: token } };
  return { code: await run(args, io), stdout, stderr };
}

test('upstream 503 at complete: exit 3 and still approved; the retry completes', async () => {
  const parked = await fetch(`${gateway.url}/deviceAppManagement/mobileApps/42`, {
    method: 'PATCH',
    headers: { authorization: 'Bearer demo-alice', 'content-type': 'application/json', 'x-maa-justification': 'INC-9' },
    body: '{"displayName":"Retry"}',
  });
  assert.equal(parked.status, 202);
  const { requestId: id } = (await parked.json()) as { requestId: string };
  assert.equal((await cli('demo-bob', 'approve', id, '--notes', 'ok')).code, ExitCode.ok);

  const busy = await cli('demo-alice', 'complete', id, '--json');
  assert.equal(busy.code, ExitCode.unavailable, busy.stderr);
  const outcome = JSON.parse(busy.stdout) as { requestStatus: string; upstream: { status: number } };
  assert.deepEqual([outcome.requestStatus, outcome.upstream.status], ['approved', 503]);
  assert.match(busy.stderr, /still approved .*try complete again/);

  const done = await cli('demo-alice', 'complete', id);
  assert.equal(done.code, ExitCode.ok, done.stderr);
  assert.equal(done.stdout, `completed request ${id}: the upstream answered 204\n`);
  // Both attempts carried the request id as Idempotency-Key, so the upstream can tell them apart from new calls.
  assert.deepEqual(seen.map((s) => [s.method, s.url, s.idempotencyKey]), [
    ['PATCH', '/deviceAppManagement/mobileApps/42', id],
    ['PATCH', '/deviceAppManagement/mobileApps/42', id],
  ]);
});
