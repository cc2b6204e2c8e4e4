/**
 * The approve and reject scripts with a staged decision and a majority veto stored at park
 * (includes/verdict-stage.lua), against a real redis-server, with exact codes.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startRedis, type TestRedis } from '../support/redis-server';
import type { NewRequest, RequestStore } from '../../src/requests/types';
import { freshStore, newRequest } from './fixtures';

let redis: TestRedis;
before(async () => {
  redis = await startRedis();
});
after(async () => {
  await redis.stop();
});

async function withStore(fn: (store: RequestStore) => Promise<void>): Promise<void> {
  const store = await freshStore(redis);
  try {
    await fn(store);
  } finally {
    await store.close();
  }
}

/** Two stages: leads (1 approval), then security (3 approvals), with a majority veto. */
function staged(): NewRequest {
  const request = newRequest({ approverGroups: ['leads', 'security'], requiredApprovals: 4 });
  request.decision = {
    ...request.decision,
    stages: [
      { name: 'leads', approverGroups: ['leads'], requiredApprovals: 1 },
      { name: 'security', approverGroups: ['security'], requiredApprovals: 3 },
    ],
    rejectPolicy: 'majority',
  };
  return request;
}

const lead = (userId: string) => ({ userId, groups: ['leads'] });
const sec = (userId: string) => ({ userId, groups: ['security'] });

test('stages in order; a majority of the current stage (2 of 3) rejects; earlier-stage rejections do not count', () =>
  withStore(async (store) => {
    const { id } = await store.create(staged());
    await assert.rejects(store.approve(id, sec('s1'), ''), { code: 'NOT_CURRENT_STAGE' });
    await assert.rejects(store.reject(id, sec('s1'), ''), { code: 'NOT_CURRENT_STAGE' });
    // Stage leads needs 1 approval, so one rejection there would end it (the next test).
    assert.equal((await store.approve(id, lead('l1'), 'ok')).status, 'needsApproval');
    const r1 = await store.reject(id, sec('s1'), 'no');
    assert.equal(r1.status, 'needsApproval', 'one of 3: short of the majority (2)');
    assert.deepEqual(r1.rejections?.map((r) => [r.userId, r.stage]), [['s1', 'security']]);
    await assert.rejects(store.reject(id, sec('s1'), 'again'), { code: 'ALREADY_REJECTED' });
    await assert.rejects(store.approve(id, sec('s1'), 'changed my mind'), { code: 'ALREADY_REJECTED' });
    assert.equal((await store.approve(id, sec('s2'), 'ok')).status, 'needsApproval');
    await assert.rejects(store.reject(id, sec('s2'), 'no'), { code: 'ALREADY_APPROVED' }, 'one verdict per approver under a majority veto');
    const r2 = await store.reject(id, sec('s3'), 'no');
    assert.equal(r2.status, 'rejected');
    assert.deepEqual(r2.rejection && [r2.rejection.userId, r2.rejection.stage], ['s3', 'security']);
  }));

test('with one required approval in the current stage, one rejection is the majority', () =>
  withStore(async (store) => {
    const { id } = await store.create(staged());
    assert.equal((await store.reject(id, lead('l1'), 'no')).status, 'rejected');
  }));

test('approved when the last stage is; the stored approvals name their stages', () =>
  withStore(async (store) => {
    const { id } = await store.create(staged());
    await store.approve(id, lead('l1'), '');
    await store.approve(id, sec('s1'), '');
    await store.approve(id, sec('s2'), '');
    const done = await store.approve(id, sec('s3'), '');
    assert.equal(done.status, 'approved');
    assert.deepEqual(done.approvals.map((a) => `${a.userId}@${a.stage}`), ['l1@leads', 's1@security', 's2@security', 's3@security']);
  }));
