/**
 * startDemo's own redis-server: a clear message when redis-server is missing, one demo per data
 * folder, append-only persistence, and stop() leaves nothing running.
 */
import { canConnect } from '../support/redis-server';
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DemoError, startDemo } from '../../src/demo/start-demo';

const dataDir = mkdtempSync(join(tmpdir(), 'countersign-start-demo-'));
// These tests are about the demo's own Redis: never use one from the environment.
delete process.env.REDIS_URL;
after(() => rmSync(dataDir, { recursive: true, force: true }));


test('a missing redis-server gets a message that says what to install or set', async () => {
  const previous = process.env.REDIS_SERVER_BIN;
  process.env.REDIS_SERVER_BIN = join(dataDir, 'no-such-redis-server');
  try {
    await assert.rejects(startDemo({ port: 0, dataDir: join(dataDir, 'missing') }), (error: Error) => {
      assert.ok(error instanceof DemoError);
      assert.match(error.message, /was not found/);
      assert.match(error.message, /apt-get install redis-server/);
      assert.match(error.message, /REDIS_URL/);
      return true;
    });
    assert.equal(existsSync(join(dataDir, 'missing', 'demo.lock')), false, 'no lock is left behind');
  } finally {
    if (previous === undefined) delete process.env.REDIS_SERVER_BIN;
    else process.env.REDIS_SERVER_BIN = previous;
  }
});

test('own redis-server: append-only data in the folder, one demo per folder, stop() ends it', async () => {
  const folder = join(dataDir, 'own');
  const demo = await startDemo({ port: 0, dataDir: folder });
  let stopped = false;
  try {
    assert.equal(demo.ownRedis, true);
    const redisPort = Number(new URL(demo.redisUrl).port);
    assert.ok(await canConnect(redisPort));
    const [demoPid, redisPid] = readFileSync(join(folder, 'demo.lock'), 'utf8').trim().split(' ').map(Number);
    assert.equal(demoPid, process.pid);
    assert.ok(redisPid && redisPid !== process.pid);

    // A second demo on the same folder would write the same append-only file: refused.
    await assert.rejects(startDemo({ port: 0, dataDir: folder }), /uses .*stop it first/);

    // A parked request is written to the append-only file.
    const parked = await fetch(`${demo.gatewayUrl}/deviceManagement/operationApprovalPolicies/p1`, {
      method: 'PATCH',
      headers: { authorization: 'Bearer demo-alice', 'content-type': 'application/json', 'x-maa-justification': 'tighten' },
      body: '{"description":"two approvers"}',
    });
    assert.equal(parked.status, 202);
    const { id, approverGroups } = (await parked.json()) as { id: string; approverGroups: string[] };
    assert.deepEqual(approverGroups, ['policy-approvers']);
    const aof = join(folder, 'appendonlydir');
    assert.ok(existsSync(aof));

    await demo.stop();
    stopped = true;
    assert.equal(await canConnect(redisPort), false, 'redis-server stopped');
    assert.equal(await canConnect(Number(new URL(demo.gatewayUrl).port)), false, 'gateway stopped');
    assert.equal(existsSync(join(folder, 'demo.lock')), false, 'lock released');
    const written = readdirSync(aof)
      .map((name) => readFileSync(join(aof, name)).toString('latin1'))
      .join('');
    assert.ok(written.includes(id), 'the request reached the append-only file');
  } finally {
    if (!stopped) await demo.stop();
  }
});
