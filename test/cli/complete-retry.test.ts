/**
 * `countersign complete` when the upstream fails with 5xx: exit 3, the request stays approved,
 * and a second complete succeeds (exit 0). A tiny fake upstream answers 503 once, then 204;
 * the gateway, Redis and policy are real.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { ExitCode } from '../../src/cli/gateway-client';
import { startCliGateway, type CliGateway } from '../support/cli-gateway';

let g: CliGateway;
const seen: { method: string; url: string; idempotencyKey?: string }[] = [];

before(async () => {
  g = await startCliGateway((req, res) => {
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

after(async () => {
  await g?.close();
});

const cli = (token: string, ...args: string[]) => g.cli(token, ...args);

test('upstream 503 at complete: exit 3 and still approved; the retry completes', async () => {
  const parked = await fetch(`${g.gateway.url}/deviceAppManagement/mobileApps/42`, {
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
