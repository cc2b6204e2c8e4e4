/**
 * redis.durability: with `replicas: N` a transition succeeds only once N replicas have it (WAIT
 * on the connection that ran the script); without enough replicas the store call fails with
 * STORE_UNAVAILABLE instead of acknowledging a change the primary's loss would take with it.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequestStore } from '../../src/requests/redis-store';
import { StoreUnavailableError } from '../../src/requests/errors';
import type { RequestStore } from '../../src/requests/types';
import { RedisProcess } from '../support/redis-topology';
import { freePort, randomDeployment } from '../support/redis-server';
import { newRequest } from './fixtures';

describe('redis.durability (WAIT)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'countersign-wait-'));
  let primary: RedisProcess;
  let replica: RedisProcess;
  const stores: RequestStore[] = [];
  const args = (port: number) => ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no'];

  before(async () => {
    const p = await freePort();
    primary = new RedisProcess(p, args(p));
    await primary.start();
  });
  after(async () => {
    for (const store of stores) await store.close();
    await replica?.kill();
    await primary.kill();
    rmSync(dir, { recursive: true, force: true });
  });

  // 200 ms where nothing can answer (kept short); near the store call's 2 s deadline where a replica
  // must, so a loaded CI machine's slow replica acknowledgement is not taken for a missing replica.
  const open = async (replicas: number, timeoutMs = 200) => {
    const store = await createRequestStore({ url: `redis://${primary.address}`, deployment: randomDeployment(), durability: { replicas, timeoutMs } });
    stores.push(store);
    return store;
  };

  test('without a replica, replicas: 1 refuses to acknowledge a park (503), replicas: 0 does not wait', async () => {
    const strict = await open(1);
    await assert.rejects(strict.create(newRequest()), (error: unknown) => {
      assert.ok(error instanceof StoreUnavailableError);
      assert.equal(error.code, 'STORE_UNAVAILABLE');
      assert.match(error.message, /confirmed by 0 of 1 replica\(s\) within 200 ms/);
      return true;
    });
    const relaxed = await open(0);
    assert.equal((await relaxed.create(newRequest())).status, 'needsApproval');
  });

  test('with a synced replica, every transition is acknowledged and is on the replica when it is', async () => {
    const port = await freePort();
    replica = new RedisProcess(port, [...args(port), '--replicaof', '127.0.0.1', String(primary.port)]);
    await replica.start();
    while (!/master_link_status:up/.test(await replica.cli('INFO', 'replication'))) await new Promise((r) => setTimeout(r, 50));
    const store = await open(1, 1500);
    const created = await store.create(newRequest());
    const approved = await store.approve(created.id, 'bob', 'ok');
    assert.equal(approved.status, 'approved');
    // Acknowledged means on the replica already, with no sleep in between.
    const keys = (await replica.cli('--scan', '--pattern', `*req:${created.id}`)).trim();
    assert.ok(keys.endsWith(`req:${created.id}`), keys);
    assert.equal((await replica.cli('HGET', keys, 'status')).trim(), 'approved');
  });
});
