/**
 * The security suite's rig: one real gateway per test file (real policy, real redis-server,
 * static-token identity, from test/support/harness.ts) in front of the liberal upstream, and
 * `attack()`, which sends raw bytes and reports what the upstream executed because of them.
 */
import assert from 'node:assert/strict';
import { startHarness, startSuite, type Harness, type Suite } from '../support/harness';
import { startLiberalUpstream, type Execution, type LiberalUpstream } from './liberal-upstream';
import { ALICE, exchange, type Exchange } from './raw-http';

export interface AttackRig {
  suite: Suite;
  harness: Harness;
  upstream: LiberalUpstream;
  port: number;
  close(): Promise<void>;
}

/** Small enough that oversized bodies and bombs are quick to send; large enough for any real change. */
export const BODY_LIMIT = 256 * 1024;

/**
 * Starts the rig; close() closes everything it opened.
 * @example const rig = await startAttackRig(); try { await attack(rig, bytes); } finally { await rig.close(); }
 */
export async function startAttackRig(): Promise<AttackRig> {
  const suite = await startSuite();
  const upstream = await startLiberalUpstream();
  const harness = await startHarness(suite, { upstream: { url: upstream.url }, requests: { bodyLimitBytes: BODY_LIMIT } });
  const port = Number(new URL(harness.baseUrl).port);
  // Warm up (first policy evaluation, first Redis and upstream connections), so the first row
  // does not run out of the time an attack is given to be answered.
  await fetch(`${harness.baseUrl}/users/u1`, { method: 'PATCH', headers: { authorization: ALICE, 'content-type': 'application/json' }, body: '{}' });
  await fetch(`${harness.baseUrl}/maa/v1/requests?view=mine`, { headers: { authorization: ALICE } });
  return {
    suite,
    harness,
    upstream,
    port,
    async close() {
      await harness.close();
      await upstream.stop();
      await suite.close();
    },
  };
}

export interface Outcome {
  exchange: Exchange;
  statuses: number[];
  /** Upstream executions since the attack began that touched a protected object in any reading. */
  touched: Execution[];
  /** Whether the protected objects' state differs from before the attack. */
  stateChanged: boolean;
  /** Ids of the requests the attack parked (202); they are canceled again before attack() returns. */
  parked: string[];
}

/**
 * Sends one attack and waits until the upstream is idle. Whatever it parked is canceled, so the
 * next attack on the same object is not refused with OBJECT_LOCKED.
 * @example const outcome = await attack(rig, rawRequest('PATCH', '/deviceAppManagement//mobileApps/42', { body: '{}' }));
 */
export async function attack(rig: AttackRig, bytes: Buffer | Buffer[], options: { waitMs?: number; halfClose?: boolean } = {}): Promise<Outcome> {
  const mark = rig.upstream.executions.length;
  const before = rig.upstream.protectedState();
  const ex = await exchange(rig.port, bytes, options);
  // A forward the gateway started just before the socket closed must land before we look.
  await new Promise((r) => setTimeout(r, ex.closedByServer ? 5 : 25));
  await rig.upstream.idle();
  const parked: string[] = [];
  for (const r of ex.responses) {
    if (r.status !== 202) continue;
    const id = (JSON.parse(r.body) as { requestId?: string }).requestId;
    if (typeof id === 'string') parked.push(id);
  }
  for (const id of parked) await cancel(rig, id);
  // A call parked after we stopped listening (the answer never read) would lock its object for
  // the next attack: cancel whatever alice still has open.
  for (const id of await openRequests(rig)) await cancel(rig, id);
  return {
    exchange: ex,
    statuses: ex.responses.map((r) => r.status),
    touched: rig.upstream.protectedSince(mark),
    stateChanged: rig.upstream.protectedState() !== before,
    parked,
  };
}

async function openRequests(rig: AttackRig): Promise<string[]> {
  const res = await fetch(`${rig.harness.baseUrl}/maa/v1/requests?view=mine&status=needsApproval&limit=100`, { headers: { authorization: ALICE } });
  assert.equal(res.status, 200, `listing open requests: ${res.status}`);
  return ((await res.json()) as { items: { id: string }[] }).items.map((r) => r.id);
}

async function cancel(rig: AttackRig, id: string): Promise<void> {
  const res = await fetch(`${rig.harness.baseUrl}/maa/v1/requests/${encodeURIComponent(id)}/cancel`, { method: 'POST', headers: { authorization: ALICE } });
  assert.equal(res.status, 200, `cancel of parked request ${id}: ${res.status} ${await res.text()}`);
}

/**
 * Asserts the promise: nothing protected changed at the upstream. The message names the row, what
 * the gateway answered and every reading under which the upstream touched a protected object.
 * @example assertNothingProtectedChanged('overrides: POST with X-HTTP-Method: GET', await attack(rig, bytes));
 */
export function assertNothingProtectedChanged(row: string, outcome: Outcome): void {
  const touched = outcome.touched.map((e) => `${e.via} ${e.method} ${e.target} → ${e.protectedReadings.map((c) => `${c.operation} ${c.object}`).join(' | ')}`);
  assert.ok(
    outcome.touched.length === 0 && !outcome.stateChanged,
    `[${row}] a protected object was changed at the upstream, or would have been under another reading (gateway answered ${JSON.stringify(outcome.statuses)}):\n  ${touched.join('\n  ') || '(state changed)'}\n  gateway said: ${outcome.exchange.raw.slice(0, 400)}`,
  );
}
