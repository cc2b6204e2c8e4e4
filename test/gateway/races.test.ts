/**
 * Races: 100 concurrent approve, reject, cancel and complete calls on one request end with
 * exactly one outcome, and the parked call reaches the upstream at most once, counted at the
 * upstream (invariant 2). Losers get 409 with the current status (or 403 where the policy
 * forbids the actor whatever the status).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { auth, useHarness, type Harness, type UserName } from '../support/harness';

let h: Harness;
useHarness(
  { get: () => h, set: (next) => (h = next) },
  {
    each(h) {
      // A slow upstream widens the window in which concurrent completes could overlap.
      h.upstream.respond = (_c, res) => {
        setTimeout(() => res.end('ok'), 30);
      };
    },
  },
);

type Call = { action: string; user: UserName };

async function fire(id: string, calls: Call[]): Promise<{ status: number; code?: string; action: string }[]> {
  return Promise.all(
    calls.map(async ({ action, user }) => {
      const res = await h.http.post(`/maa/v1/requests/${id}/${action}`).set('authorization', auth(user)).send(action === 'approve' || action === 'reject' ? { notes: `${user} ${action}` } : {});
      return { status: res.status, code: res.body?.error?.code as string | undefined, action };
    }),
  );
}

describe('races', () => {
  test('100 concurrent approve, reject and cancel on a needsApproval request: exactly one wins', async () => {
    const parked = await h.http.delete('/deviceAppManagement/mobileApps/7').set('authorization', auth('alice'));
    assert.equal(parked.status, 202);
    const id = parked.body.requestId as string;
    const calls: Call[] = [];
    for (let i = 0; i < 100; i++) {
      const kind = i % 4;
      calls.push(kind === 0 ? { action: 'approve', user: 'bob' } : kind === 1 ? { action: 'reject', user: 'carol' } : kind === 2 ? { action: 'cancel', user: 'alice' } : { action: 'complete', user: 'alice' });
    }
    const results = await fire(id, calls);
    const winners = results.filter((r) => r.status === 200 && r.action !== 'complete');
    const stored = await h.store.get(id);
    assert.ok(stored);
    // bob may also win an approve followed by a complete; otherwise exactly one of the three.
    assert.equal(winners.length, 1, JSON.stringify(results.filter((r) => r.status === 200)));
    const expected = { approve: 'approved', reject: 'rejected', cancel: 'canceled' }[winners[0]!.action as 'approve' | 'reject' | 'cancel'];
    if (expected === 'approved') assert.ok(['approved', 'completed'].includes(stored.status));
    else assert.equal(stored.status, expected);
    for (const r of results.filter((x) => x.status !== 200)) {
      assert.ok([409, 403].includes(r.status), JSON.stringify(r));
      if (r.status === 403) assert.ok(r.action === 'approve' || r.action === 'reject', JSON.stringify(r));
    }
    const completes = results.filter((r) => r.action === 'complete' && r.status === 200);
    assert.ok(completes.length <= 1);
    assert.equal(h.upstream.calls.length, completes.length);
    assert.equal(stored.history.filter((e) => e.action !== 'begin-complete' && e.action !== 'finish-complete').length, 2);
  });

  test('100 concurrent completes of an approved request: one replay, counted at the upstream', async () => {
    const parked = await h.http.post('/deviceAppManagement/mobileApps/8/assign').set('authorization', auth('alice')).send({ a: 1 });
    const id = parked.body.requestId as string;
    assert.equal((await h.http.post(`/maa/v1/requests/${id}/approve`).set('authorization', auth('bob')).send({})).status, 200);
    const calls: Call[] = Array.from({ length: 100 }, (_, i) => (i % 10 === 9 ? { action: 'cancel', user: 'alice' } : { action: 'complete', user: 'alice' }));
    const results = await fire(id, calls);
    const ok = results.filter((r) => r.status === 200);
    assert.equal(ok.length, 1, JSON.stringify(ok));
    assert.equal(ok[0]!.action, 'complete');
    for (const r of results.filter((x) => x.status !== 200)) {
      assert.equal(r.status, 409);
      assert.ok(['INVALID_STATE', 'COMPLETE_IN_PROGRESS'].includes(r.code ?? ''), JSON.stringify(r));
    }
    assert.equal(h.upstream.calls.length, 1);
    assert.equal((await h.store.get(id))?.status, 'completed');
  });
});
