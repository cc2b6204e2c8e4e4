/**
 * Every transition of the store and every refusal, with exact codes, against a real redis-server.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { startRedis, type TestRedis } from '../support/redis-server';
import { TransitionError } from '../../src/requests/errors';
import type { RequestStore, TransitionErrorCode } from '../../src/requests/types';
import { freshStore, newRequest } from './fixtures';

let redis: TestRedis;
before(async () => {
  redis = await startRedis();
});
after(async () => {
  await redis.stop();
});

async function refused(promise: Promise<unknown>, code: TransitionErrorCode, status?: string): Promise<TransitionError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof TransitionError, `expected TransitionError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    if (status !== undefined) assert.equal(error.status, status);
    return error;
  }
  assert.fail(`expected ${code}, but it succeeded`);
}

async function withStore(fn: (store: RequestStore) => Promise<void>): Promise<void> {
  const store = await freshStore(redis);
  try {
    await fn(store);
  } finally {
    await store.close();
  }
}

describe('create', () => {
  test('parks a request in needsApproval with its history and audit event', () =>
    withStore(async (store) => {
      const created = await store.create(newRequest(), new Date('2026-01-01T10:00:00.000Z'));
      assert.equal(created.status, 'needsApproval');
      assert.equal(created.createdAt, '2026-01-01T10:00:00.000Z');
      assert.equal(created.updatedAt, '2026-01-01T10:00:00.000Z');
      assert.deepEqual(created.requestor, { userId: 'alice', groups: ['helpdesk'] });
      assert.equal(created.justification, 'Ticket INC-1234: fix the install command');
      assert.equal(created.decision.requiredApprovals, 1);
      assert.deepEqual(created.approvals, []);
      assert.deepEqual(created.history, [{ at: '2026-01-01T10:00:00.000Z', actor: 'alice', action: 'create', from: null, to: 'needsApproval' }]);
      assert.deepEqual(await store.get(created.id), created);
      const events = await store.audit({ requestId: created.id });
      assert.equal(events.length, 1);
      assert.equal(events[0]?.action, 'create');
      assert.equal(events[0]?.from, null);
      assert.equal(events[0]?.to, 'needsApproval');
      assert.equal(events[0]?.actor, 'alice');
      assert.equal(events[0]?.at, '2026-01-01T10:00:00.000Z');
    }));

  test('answers the request exactly as get() reads it back, with its snapshot, approval code and policy revision', () =>
    withStore(async (store) => {
      const snapshotBytes = Buffer.from('{"id":"42","displayName":"Contoso Portal"}');
      const request = newRequest({ approverGroups: ['app-approvers', 'security'], requiredApprovals: 2 });
      request.approvalCodeSha256 = createHash('sha256').update('secret').digest('hex');
      request.decision = { ...request.decision, policyRevision: 'rev-1', expiresAfterMs: 3_600_000 };
      request.snapshot = {
        record: { state: 'captured', at: '2026-01-01T10:00:00.000Z', path: '/deviceAppManagement/mobileApps/42', etag: 'W/"7"', sha256: createHash('sha256').update(snapshotBytes).digest('hex'), bytes: snapshotBytes.length },
        bytes: snapshotBytes,
      };
      const created = await store.create(request, new Date('2026-01-01T10:00:00.000Z'));
      assert.deepEqual(await store.get(created.id), created);
      assert.equal(created.approvalCodeSha256, request.approvalCodeSha256);
      assert.equal(created.decision.policyRevision, 'rev-1');
      assert.equal(created.snapshot?.etag, 'W/"7"');
      assert.match(created.requestSha256 ?? '', /^[0-9a-f]{64}$/);
      // A failed snapshot (no bytes) and no approval code: the same.
      const bare = newRequest();
      bare.snapshot = { record: { state: 'failed', at: '2026-01-01T10:00:00.000Z', error: 'the upstream answered the read with 500' } };
      const second = await store.create(bare, new Date('2026-01-01T10:00:01.000Z'));
      assert.deepEqual(await store.get(second.id), second);
    }));

  test('refuses a second open request on the same object with OBJECT_LOCKED and the open id, until it ends', () =>
    withStore(async (store) => {
      const first = await store.create(newRequest({ objectKey: 'apps:/x/1' }));
      const error = await refused(store.create(newRequest({ objectKey: 'apps:/x/1', requestor: 'carol' })), 'OBJECT_LOCKED');
      assert.equal(error.openRequestId, first.id);
      await store.approve(first.id, 'bob', 'ok');
      // approved is still open: the lock holds
      assert.equal((await refused(store.create(newRequest({ objectKey: 'apps:/x/1' })), 'OBJECT_LOCKED')).openRequestId, first.id);
      const { claimToken } = await store.beginComplete(first.id, 'alice', 10_000);
      await store.finishComplete(first.id, claimToken, { kind: 'completed', upstreamStatus: 204, upstreamBodyPreview: '' });
      const second = await store.create(newRequest({ objectKey: 'apps:/x/1' }));
      assert.equal(second.status, 'needsApproval');
      // rejected, canceled and failed free the object too
      await store.reject(second.id, 'bob', 'no');
      const third = await store.create(newRequest({ objectKey: 'apps:/x/1' }));
      await store.cancel(third.id, 'alice');
      const fourth = await store.create(newRequest({ objectKey: 'apps:/x/1' }));
      await store.approve(fourth.id, 'bob', '');
      const claim = await store.beginComplete(fourth.id, 'alice', 10_000);
      await store.finishComplete(fourth.id, claim.claimToken, { kind: 'failed', upstreamStatus: 400, upstreamBodyPreview: 'bad', reason: 'upstream 400' });
      await store.create(newRequest({ objectKey: 'apps:/x/1' }));
    }));

  test('refuses a body whose hash or size does not match', () =>
    withStore(async (store) => {
      const request = newRequest();
      request.call.bodySha256 = createHash('sha256').update('other').digest('hex');
      await assert.rejects(store.create(request), { code: 'INVALID_INPUT' });
      const sized = newRequest();
      sized.call.bodySize += 1;
      await assert.rejects(store.create(sized), { code: 'INVALID_INPUT' });
    }));
});

describe('approve', () => {
  test('one approval approves when one is required; notes hash in history and audit', () =>
    withStore(async (store) => {
      const { id } = await store.create(newRequest());
      const approved = await store.approve(id, 'bob', 'Looks right', new Date('2026-01-02T00:00:00.000Z'));
      assert.equal(approved.status, 'approved');
      assert.deepEqual(approved.approvals, [{ userId: 'bob', at: '2026-01-02T00:00:00.000Z', notes: 'Looks right' }]);
      const notesSha256 = createHash('sha256').update('Looks right').digest('hex');
      assert.deepEqual(approved.history[1], { at: '2026-01-02T00:00:00.000Z', actor: 'bob', action: 'approve', from: 'needsApproval', to: 'approved', notesSha256 });
      const events = await store.audit({ requestId: id });
      assert.deepEqual(events.map((e) => [e.action, e.from, e.to, e.actor, e.notesSha256]), [
        ['create', null, 'needsApproval', 'alice', undefined],
        ['approve', 'needsApproval', 'approved', 'bob', notesSha256],
      ]);
    }));

  test('requiredApprovals 2 needs two distinct approvers; the same approver twice is ALREADY_APPROVED', () =>
    withStore(async (store) => {
      const { id } = await store.create(newRequest({ requiredApprovals: 2 }));
      const once = await store.approve(id, 'bob', 'first');
      assert.equal(once.status, 'needsApproval');
      assert.equal(once.approvals.length, 1);
      await refused(store.approve(id, 'bob', 'again'), 'ALREADY_APPROVED', 'needsApproval');
      assert.equal((await store.get(id))?.approvals.length, 1);
      const twice = await store.approve(id, 'dave', 'second');
      assert.equal(twice.status, 'approved');
      assert.deepEqual(twice.approvals.map((a) => a.userId), ['bob', 'dave']);
    }));

  test('the requestor never counts, whatever groups they are in: SELF_APPROVAL', () =>
    withStore(async (store) => {
      const { id } = await store.create(newRequest({ requestor: 'alice', groups: ['app-approvers'] }));
      await refused(store.approve(id, 'alice', 'mine'), 'SELF_APPROVAL', 'needsApproval');
      await refused(store.reject(id, 'alice', 'mine'), 'SELF_APPROVAL', 'needsApproval');
      const request = await store.get(id);
      assert.equal(request?.status, 'needsApproval');
      assert.deepEqual(request?.approvals, []);
    }));

  test('unknown request is REQUEST_NOT_FOUND; an approved request cannot be approved again', () =>
    withStore(async (store) => {
      await refused(store.approve('00000000-0000-4000-8000-000000000000', 'bob', ''), 'REQUEST_NOT_FOUND');
      await refused(store.approve('../../etc', 'bob', ''), 'REQUEST_NOT_FOUND');
      const { id } = await store.create(newRequest());
      await store.approve(id, 'bob', '');
      await refused(store.approve(id, 'dave', ''), 'INVALID_STATE', 'approved');
      await refused(store.reject(id, 'dave', ''), 'INVALID_STATE', 'approved');
      await refused(store.cancel(id, 'alice'), 'INVALID_STATE', 'approved');
    }));

  test('100 concurrent distinct approvers with requiredApprovals 2: exactly two approvals count', () =>
    withStore(async (store) => {
      const { id } = await store.create(newRequest({ requiredApprovals: 2 }));
      const results = await Promise.allSettled(Array.from({ length: 100 }, (_, i) => store.approve(id, `approver-${i}`, '')));
      assert.equal(results.filter((r) => r.status === 'fulfilled').length, 2);
      for (const r of results) if (r.status === 'rejected') assert.equal((r.reason as TransitionError).code, 'INVALID_STATE');
      const final = await store.get(id);
      assert.equal(final?.status, 'approved');
      assert.equal(final?.approvals.length, 2);
      assert.equal(new Set(final?.approvals.map((a) => a.userId)).size, 2);
    }));

  test('notes longer than 1,000 characters are refused', () =>
    withStore(async (store) => {
      const { id } = await store.create(newRequest());
      await assert.rejects(store.approve(id, 'bob', 'x'.repeat(1001)), { code: 'INVALID_INPUT' });
    }));
});

describe('reject and cancel', () => {
  test('reject ends the request with the verdict kept', () =>
    withStore(async (store) => {
      const { id } = await store.create(newRequest());
      const rejected = await store.reject(id, 'bob', 'Wrong app', new Date('2026-01-03T00:00:00.000Z'));
      assert.equal(rejected.status, 'rejected');
      assert.deepEqual(rejected.rejection, { userId: 'bob', at: '2026-01-03T00:00:00.000Z', notes: 'Wrong app' });
      await refused(store.approve(id, 'dave', ''), 'INVALID_STATE', 'rejected');
      await refused(store.cancel(id, 'alice'), 'INVALID_STATE', 'rejected');
      const last = (await store.audit({ requestId: id })).at(-1);
      assert.equal(last?.action, 'reject');
      assert.equal(last?.to, 'rejected');
      assert.equal(last?.notesSha256, createHash('sha256').update('Wrong app').digest('hex'));
    }));

  test('cancel by the requestor only, before approval', () =>
    withStore(async (store) => {
      const { id } = await store.create(newRequest());
      await refused(store.cancel(id, 'bob'), 'NOT_REQUESTOR', 'needsApproval');
      const canceled = await store.cancel(id, 'alice', new Date('2026-01-04T00:00:00.000Z'));
      assert.equal(canceled.status, 'canceled');
      assert.deepEqual(canceled.cancellation, { userId: 'alice', at: '2026-01-04T00:00:00.000Z' });
      await refused(store.cancel(id, 'alice'), 'INVALID_STATE', 'canceled');
      assert.equal((await store.audit({ requestId: id })).at(-1)?.action, 'cancel');
    }));

  test('100 concurrent approve, reject and cancel calls: exactly one wins, the others get INVALID_STATE with the winner status', () =>
    withStore(async (store) => {
      const { id } = await store.create(newRequest());
      const calls = Array.from({ length: 100 }, (_, i) => {
        if (i % 3 === 0) return store.approve(id, `approver-${i}`, `ok ${i}`);
        if (i % 3 === 1) return store.reject(id, `approver-${i}`, `no ${i}`);
        return store.cancel(id, 'alice');
      });
      const results = await Promise.allSettled(calls);
      const won = results.filter((r) => r.status === 'fulfilled');
      assert.equal(won.length, 1);
      const final = await store.get(id);
      assert.ok(final);
      for (const r of results) {
        if (r.status === 'rejected') {
          assert.ok(r.reason instanceof TransitionError);
          assert.equal(r.reason.code, 'INVALID_STATE');
          assert.equal(r.reason.status, final.status);
        }
      }
      assert.equal(final.history.length, 2);
      assert.equal((await store.audit({ requestId: id })).length, 2);
    }));
});

describe('complete', () => {
  async function approved(store: RequestStore): Promise<string> {
    const { id } = await store.create(newRequest());
    await store.approve(id, 'bob', '');
    return id;
  }

  test('only from approved, only by the requestor', () =>
    withStore(async (store) => {
      const { id } = await store.create(newRequest());
      await refused(store.beginComplete(id, 'alice', 10_000), 'INVALID_STATE', 'needsApproval');
      await store.approve(id, 'bob', '');
      await refused(store.beginComplete(id, 'bob', 10_000), 'NOT_REQUESTOR', 'approved');
      const missing = '00000000-0000-4000-8000-000000000000';
      await refused(store.beginComplete(missing, 'alice', 10_000), 'REQUEST_NOT_FOUND');
      await refused(store.finishComplete(missing, 'token', { kind: 'completed', upstreamStatus: 200, upstreamBodyPreview: '' }), 'REQUEST_NOT_FOUND');
      await refused(store.reject(missing, 'bob', ''), 'REQUEST_NOT_FOUND');
      await refused(store.cancel(missing, 'alice'), 'REQUEST_NOT_FOUND');
      // finish without any claim
      await refused(store.finishComplete(id, 'token', { kind: 'completed', upstreamStatus: 200, upstreamBodyPreview: '' }), 'CLAIM_LOST', 'approved');
      await assert.rejects(store.beginComplete(id, 'alice', 0), { code: 'INVALID_INPUT' });
    }));

  test('completed: status completed, completion recorded, claim cleared, audit begin and finish', () =>
    withStore(async (store) => {
      const id = await approved(store);
      const t0 = new Date('2026-02-01T00:00:00.000Z');
      const { request, claimToken } = await store.beginComplete(id, 'alice', 30_000, t0);
      assert.deepEqual(request.claim, { userId: 'alice', at: t0.toISOString(), leaseUntil: '2026-02-01T00:00:30.000Z' });
      assert.equal(request.status, 'approved');
      const done = await store.finishComplete(id, claimToken, { kind: 'completed', upstreamStatus: 200, upstreamBodyPreview: '{"ok":true}' }, new Date('2026-02-01T00:00:01.000Z'));
      assert.equal(done.status, 'completed');
      assert.equal(done.claim, undefined);
      assert.deepEqual(done.completion, { userId: 'alice', at: '2026-02-01T00:00:01.000Z', upstreamStatus: 200, upstreamBodyPreview: '{"ok":true}' });
      const events = await store.audit({ requestId: id });
      assert.deepEqual(events.slice(-2).map((e) => [e.action, e.from, e.to, e.actor]), [
        ['begin-complete', 'approved', 'approved', 'alice'],
        ['finish-complete', 'approved', 'completed', 'alice'],
      ]);
      await refused(store.beginComplete(id, 'alice', 10_000), 'INVALID_STATE', 'completed');
      await refused(store.finishComplete(id, claimToken, { kind: 'completed', upstreamStatus: 200, upstreamBodyPreview: '' }), 'INVALID_STATE', 'completed');
    }));

  test('failed is final with the reason kept; retryable stays approved and frees the claim', () =>
    withStore(async (store) => {
      const id = await approved(store);
      const first = await store.beginComplete(id, 'alice', 10_000);
      const retry = await store.finishComplete(id, first.claimToken, { kind: 'retryable', upstreamStatus: 503, upstreamBodyPreview: 'busy', reason: 'upstream 503' });
      assert.equal(retry.status, 'approved');
      assert.equal(retry.claim, undefined);
      assert.equal(retry.completion?.reason, 'upstream 503');
      assert.equal(retry.history.at(-1)?.to, 'approved');
      const second = await store.beginComplete(id, 'alice', 10_000);
      assert.notEqual(second.claimToken, first.claimToken);
      await refused(store.finishComplete(id, first.claimToken, { kind: 'completed', upstreamStatus: 200, upstreamBodyPreview: '' }), 'CLAIM_LOST', 'approved');
      const failed = await store.finishComplete(id, second.claimToken, { kind: 'failed', upstreamStatus: 404, upstreamBodyPreview: 'not found', reason: 'upstream 404' });
      assert.equal(failed.status, 'failed');
      assert.deepEqual(
        { status: failed.completion?.upstreamStatus, reason: failed.completion?.reason },
        { status: 404, reason: 'upstream 404' },
      );
      await refused(store.beginComplete(id, 'alice', 10_000), 'INVALID_STATE', 'failed');
    }));

  test('a live claim refuses a second complete with COMPLETE_IN_PROGRESS; a wrong token is CLAIM_LOST', () =>
    withStore(async (store) => {
      const id = await approved(store);
      const { claimToken } = await store.beginComplete(id, 'alice', 60_000);
      await refused(store.beginComplete(id, 'alice', 60_000), 'COMPLETE_IN_PROGRESS', 'approved');
      await refused(store.beginComplete(id, 'alice', 60_000, undefined, { resendAfterUnknownOutcome: true }), 'COMPLETE_IN_PROGRESS', 'approved');
      await refused(store.finishComplete(id, 'not-the-token', { kind: 'completed', upstreamStatus: 200, upstreamBodyPreview: '' }), 'CLAIM_LOST', 'approved');
      assert.equal((await store.finishComplete(id, claimToken, { kind: 'completed', upstreamStatus: 201, upstreamBodyPreview: '' })).status, 'completed');
    }));

  test('100 concurrent beginComplete calls: exactly one claim', () =>
    withStore(async (store) => {
      const id = await approved(store);
      const results = await Promise.allSettled(Array.from({ length: 100 }, () => store.beginComplete(id, 'alice', 60_000)));
      const claims = results.filter((r) => r.status === 'fulfilled');
      assert.equal(claims.length, 1);
      for (const r of results) if (r.status === 'rejected') assert.equal((r.reason as TransitionError).code, 'COMPLETE_IN_PROGRESS');
      assert.equal((await store.audit({ requestId: id })).filter((e) => e.action === 'begin-complete').length, 1);
    }));

  test('a lease that ran out without an outcome is OUTCOME_UNKNOWN until resent on purpose', () =>
    withStore(async (store) => {
      const id = await approved(store);
      const t0 = Date.parse('2026-03-01T00:00:00.000Z');
      const lost = await store.beginComplete(id, 'alice', 5_000, new Date(t0));
      // Still live one millisecond before the lease ends.
      await refused(store.beginComplete(id, 'alice', 5_000, new Date(t0 + 4_999)), 'COMPLETE_IN_PROGRESS');
      await refused(store.beginComplete(id, 'alice', 5_000, new Date(t0 + 5_000)), 'OUTCOME_UNKNOWN', 'approved');
      await refused(store.beginComplete(id, 'alice', 5_000, new Date(t0 + 60_000), { resendAfterUnknownOutcome: false }), 'OUTCOME_UNKNOWN');
      await refused(store.beginComplete(id, 'bob', 5_000, new Date(t0 + 60_000), { resendAfterUnknownOutcome: true }), 'NOT_REQUESTOR');
      const resent = await store.beginComplete(id, 'alice', 5_000, new Date(t0 + 60_000), { resendAfterUnknownOutcome: true });
      assert.equal(resent.request.history.at(-1)?.resend, true);
      assert.equal((await store.audit({ requestId: id })).at(-1)?.resend, true);
      // The lost claim can no longer record anything; the new one can.
      await refused(store.finishComplete(id, lost.claimToken, { kind: 'completed', upstreamStatus: 200, upstreamBodyPreview: '' }), 'CLAIM_LOST');
      assert.equal((await store.finishComplete(id, resent.claimToken, { kind: 'completed', upstreamStatus: 200, upstreamBodyPreview: '' })).status, 'completed');
    }));

  test('a late outcome with the still-current token is recorded even after the lease ran out', () =>
    withStore(async (store) => {
      const id = await approved(store);
      const t0 = Date.parse('2026-03-01T00:00:00.000Z');
      const { claimToken } = await store.beginComplete(id, 'alice', 1_000, new Date(t0));
      const done = await store.finishComplete(id, claimToken, { kind: 'completed', upstreamStatus: 200, upstreamBodyPreview: '' }, new Date(t0 + 10_000));
      assert.equal(done.status, 'completed');
    }));

  test('the upstream preview is cut to 4 KiB on a character boundary', () =>
    withStore(async (store) => {
      const id = await approved(store);
      const { claimToken } = await store.beginComplete(id, 'alice', 10_000);
      const done = await store.finishComplete(id, claimToken, { kind: 'completed', upstreamStatus: 200, upstreamBodyPreview: 'é'.repeat(5000) });
      assert.equal(done.completion?.upstreamBodyPreview, 'é'.repeat(2048));
    }));
});
