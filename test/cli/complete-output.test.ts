/**
 * What `countersign complete` prints of the upstream's answer: its lines as lines (CRLF too), tabs
 * as spaces, and nothing that could drive the terminal. A small fake upstream answers the replay
 * with a multi-line body; the gateway, Redis and policy are real.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { ExitCode } from '../../src/cli/gateway-client';
import { cleanLines } from '../../src/cli/format';
import { startCliGateway, type CliGateway } from '../support/cli-gateway';

/** What the upstream answers to the next replay. */
let answer = { status: 200, body: '' };
let g: CliGateway;

before(async () => {
  g = await startCliGateway((_req, res) => {
    res.writeHead(answer.status, { 'content-type': 'text/plain; charset=utf-8' });
    res.end(answer.body);
  });
});

after(async () => {
  await g?.close();
});

const cli = (token: string, ...args: string[]) => g.cli(token, ...args);

/** Parks a change to app `app` as alice and has bob approve it. */
async function approvedRequest(app: number): Promise<string> {
  const parked = await fetch(`${g.gateway.url}/deviceAppManagement/mobileApps/${app}`, {
    method: 'PATCH',
    headers: { authorization: 'Bearer demo-alice', 'content-type': 'application/json' },
    body: '{"displayName":"Lines"}',
  });
  assert.equal(parked.status, 202);
  const { requestId: id } = (await parked.json()) as { requestId: string };
  assert.equal((await cli('demo-bob', 'approve', id)).code, ExitCode.ok);
  return id;
}

test('a completed request prints the upstream body line by line, cleaned', async () => {
  answer = { status: 200, body: 'first line\r\nsecond\tline\nthird \u001b[2J line\rfourth' };
  const id = await approvedRequest(42);
  const done = await cli('demo-alice', 'complete', id);
  assert.equal(done.code, ExitCode.ok, done.stderr);
  assert.equal(done.stdout, `completed request ${id}: the upstream answered 200\nfirst line\nsecond  line\nthird ?[2J line\nfourth\n`);
});

test("a refused change prints the upstream's multi-line answer on stderr the same way", async () => {
  answer = { status: 400, body: '{\n  "error": "no"\n}' };
  const id = await approvedRequest(43);
  const failed = await cli('demo-alice', 'complete', id);
  assert.equal(failed.code, ExitCode.upstreamRefused);
  assert.equal(failed.stderr, `request ${id} failed: the upstream refused the change with 400\n{\n  "error": "no"\n}\n`);
});

test('cleanLines keeps line breaks and cleans every other control character', () => {
  assert.equal(cleanLines('a\r\nb\rc\nd\te\u0007\u009b'), 'a\nb\nc\nd  e??');
  assert.equal(cleanLines(undefined), '');
});
