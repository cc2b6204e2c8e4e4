/**
 * The cached token of upstream-auth.ts on its own: reused while fresh, one request for every
 * caller that finds it due (single flight), and a renewal that fails falls back to the held token
 * only while that still has more than a few seconds to live.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TokenSlot, type Held } from '../../src/gateway/upstream-auth';

const held = (header: string, refreshInMs: number, expiresInMs: number): Held => ({ header, refreshAt: Date.now() + refreshInMs, expiresAt: Date.now() + expiresInMs });

test('a fresh token is reused; a due one is renewed once for all the callers waiting', async () => {
  const slot = new TokenSlot();
  let requests = 0;
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const fetch = async (): Promise<Held> => {
    requests++;
    await gate;
    return held(`Bearer t${requests}`, 60_000, 75_000);
  };
  const waiting = Array.from({ length: 50 }, () => slot.get(fetch, () => assert.fail('no renewal failed')));
  release();
  assert.deepEqual(new Set(await Promise.all(waiting)), new Set(['Bearer t1']));
  assert.equal(await slot.get(fetch, () => {}), 'Bearer t1');
  assert.equal(requests, 1);

  slot.held = held('Bearer t1', -1, 15_000);
  assert.equal(await slot.get(fetch, () => {}), 'Bearer t2');
  assert.equal(requests, 2);
});

test('a failed renewal serves the held token while it is valid, and fails once it is about to expire', async () => {
  const slot = new TokenSlot();
  const down = async (): Promise<Held> => {
    throw new Error('token endpoint down');
  };
  slot.held = held('Bearer old', -1, 60_000);
  const stale: unknown[] = [];
  assert.equal(await slot.get(down, (error) => stale.push(error)), 'Bearer old');
  assert.equal(stale.length, 1);

  slot.held = held('Bearer old', -1, 4_000);
  await assert.rejects(slot.get(down, () => {}), /token endpoint down/);
  slot.held = undefined;
  await assert.rejects(slot.get(down, () => {}), /token endpoint down/);
});
