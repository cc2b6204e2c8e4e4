/**
 * Two gateway processes on real Redis topologies (test/support/redis-topology.ts): a 3-primary
 * Cluster with a replica each, and a primary + replica + 3 sentinels. On each: park on one
 * gateway, approve on the other, complete on the first; 100-way races split across both. On
 * Sentinel, the primary is killed (SIGKILL) under parks and completes: no accepted (202) request
 * is lost, no parked call reaches the upstream twice, protected calls get 503 (never forwarded)
 * during the switch, and traffic resumes on the promoted replica. Run by `npm run test:topologies`.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { startCluster, startSentinel, type ClusterTopology, type SentinelTopology } from '../support/redis-topology';
import { act, buildPolicyBundle, park, startGatewayProcess, statusOf, type GatewayProcess } from '../support/gateway-process';
import { randomDeployment } from '../support/redis-server';
import { startUpstream, type TestUpstream } from '../support/upstream';
import { clusterSlotOf } from '../../src/requests/redis-topology';

let bundle: Awaited<ReturnType<typeof buildPolicyBundle>>;
before(async () => {
  bundle = await buildPolicyBundle();
});
after(() => bundle?.remove());

/** How often each object path reached the upstream. */
function replaysByPath(upstream: TestUpstream): Map<string, number> {
  const counts = new Map<string, number>();
  for (const call of upstream.mutations) counts.set(call.url, (counts.get(call.url) ?? 0) + 1);
  return counts;
}

async function parkApproveComplete(a: string, b: string, upstream: TestUpstream): Promise<void> {
  const object = randomUUID();
  const parked = await park(a, object);
  assert.equal(parked.status, 202);
  assert.equal(await act(b, parked.id!, 'approve'), 200);
  assert.equal(await statusOf(a, parked.id!), 'approved', 'the other gateway sees the approval');
  assert.equal(await act(a, parked.id!, 'complete'), 200);
  assert.equal(await statusOf(b, parked.id!), 'completed');
  assert.equal(replaysByPath(upstream).get(`/deviceAppManagement/mobileApps/${object}`), 1);
}

async function races(gateways: [string, string], upstream: TestUpstream): Promise<void> {
  // 100 parks of distinct objects, split across both gateways: every one accepted.
  const parks = await Promise.all(Array.from({ length: 100 }, (_, i) => park(gateways[i % 2]!, randomUUID())));
  assert.deepEqual(parks.map((p) => p.status).filter((s) => s !== 202), []);
  // 100 parks of one object: exactly one accepted, the rest OBJECT_LOCKED.
  const object = randomUUID();
  const same = await Promise.all(Array.from({ length: 100 }, (_, i) => park(gateways[i % 2]!, object)));
  assert.equal(same.filter((p) => p.status === 202).length, 1);
  assert.equal(same.filter((p) => p.status === 409).length, 99);
  const id = same.find((p) => p.status === 202)!.id!;
  // 100 approves split: one wins, the others find it approved already.
  const approves = await Promise.all(Array.from({ length: 100 }, (_, i) => act(gateways[i % 2]!, id, 'approve')));
  assert.equal(approves.filter((s) => s === 200).length, 1);
  // 100 completes split: one replay, counted at the upstream.
  const before = upstream.mutations.length;
  const completes = await Promise.all(Array.from({ length: 100 }, (_, i) => act(gateways[i % 2]!, id, 'complete')));
  assert.equal(completes.filter((s) => s === 200).length, 1);
  assert.equal(upstream.mutations.length - before, 1);
  assert.equal(replaysByPath(upstream).get(`/deviceAppManagement/mobileApps/${object}`), 1);
}

describe('Redis Cluster: 3 primaries with a replica each, two gateways', () => {
  let cluster: ClusterTopology;
  let upstream: TestUpstream;
  const gateways: GatewayProcess[] = [];
  const deployment = randomDeployment();

  before(async () => {
    cluster = await startCluster({ primaries: 3, replicas: 1 });
    upstream = await startUpstream();
    const env = { REDIS_MODE: 'cluster', REDIS_NODES: cluster.nodes.slice(0, 2).join(','), COUNTERSIGN_REDIS_WAIT_REPLICAS: '1' };
    for (let i = 0; i < 2; i++) gateways.push(await startGatewayProcess({ upstreamUrl: upstream.url, bundlePath: bundle.path, deployment, env }));
  });
  after(async () => {
    await Promise.all(gateways.map((g) => g.stop()));
    await upstream?.stop();
    await cluster?.close();
  });

  test('park on one gateway, approve on the other, complete on the first', async () => {
    await parkApproveComplete(gateways[0]!.url, gateways[1]!.url, upstream);
  });

  test('100-way races split across both gateways: one winner each, one replay', async () => {
    await races([gateways[0]!.url, gateways[1]!.url], upstream);
  });

  test("every key the scripts wrote, declared or derived, is in the deployment's one slot", async () => {
    // Redis Cluster refuses a script that touches a key of another slot, so the transitions above
    // passing already says so; this counts it: all keys of the run are in the hash tag's slot.
    const slot = clusterSlotOf(`maa:{${deployment}}:`);
    const primaries = [];
    for (const node of cluster.processes) if (/role:master/.test(await node.cli('INFO', 'replication'))) primaries.push(node);
    assert.equal(primaries.length, 3);
    assert.equal(Number((await primaries[0]!.cli('CLUSTER', 'KEYSLOT', `maa:{${deployment}}:`)).trim()), slot, 'our slot function agrees with Redis');
    let total = 0;
    let inSlot = 0;
    for (const node of primaries) {
      total += Number((await node.cli('DBSIZE')).trim());
      inSlot += Number((await node.cli('CLUSTER', 'COUNTKEYSINSLOT', String(slot))).trim());
    }
    assert.ok(inSlot > 200, `expected the run's keys, found ${inSlot}`);
    assert.equal(total, inSlot);
  });
});

describe('Redis Sentinel: primary + replica + 3 sentinels, two gateways, the primary killed', () => {
  let sentinel: SentinelTopology;
  let upstream: TestUpstream;
  const gateways: GatewayProcess[] = [];
  const deployment = randomDeployment();

  before(async () => {
    sentinel = await startSentinel({ downAfterMs: 1000 });
    upstream = await startUpstream();
    const env = {
      REDIS_MODE: 'sentinel',
      REDIS_NODES: sentinel.sentinels.join(','),
      REDIS_SENTINEL_MASTER: sentinel.masterName,
      COUNTERSIGN_REDIS_WAIT_REPLICAS: '1',
      COUNTERSIGN_REDIS_WAIT_TIMEOUT: '500ms',
    };
    for (let i = 0; i < 2; i++) gateways.push(await startGatewayProcess({ upstreamUrl: upstream.url, bundlePath: bundle.path, deployment, env }));
  });
  after(async () => {
    await Promise.all(gateways.map((g) => g.stop()));
    await upstream?.stop();
    await sentinel?.close();
  });

  test('park on one gateway, approve on the other, complete on the first', async () => {
    await parkApproveComplete(gateways[0]!.url, gateways[1]!.url, upstream);
  });

  test('100-way races split across both gateways: one winner each, one replay', async () => {
    await races([gateways[0]!.url, gateways[1]!.url], upstream);
  });

  test('kill -9 of the primary under parks and completes: nothing accepted is lost, nothing replayed twice, 503 during the switch, then traffic resumes', async () => {
    const urls = gateways.map((g) => g.url);
    // Count only this test's replays at the upstream.
    upstream.calls.splice(0);
    const oldPrimary = sentinel.primary.address;
    const accepted: { id: string; object: string }[] = [];
    const completed = new Set<string>();
    const answered: { step: string; status: number; afterKill: boolean }[] = [];
    let killedAt = 0;
    let resumedCycles = 0;
    let stop = false;

    // Eight workers, each: park on one gateway, approve on the other, complete on the first.
    const worker = async (n: number) => {
      let round = 0;
      while (!stop) {
        const [a, b] = [urls[(n + round) % 2]!, urls[(n + round + 1) % 2]!];
        round++;
        const object = randomUUID();
        const afterKill = killedAt > 0;
        const parked = await park(a, object);
        answered.push({ step: 'park', status: parked.status, afterKill });
        if (parked.status !== 202) {
          await new Promise((r) => setTimeout(r, 100));
          continue;
        }
        accepted.push({ id: parked.id!, object });
        const approved = await act(b, parked.id!, 'approve');
        answered.push({ step: 'approve', status: approved, afterKill });
        if (approved !== 200) continue;
        const done = await act(a, parked.id!, 'complete');
        answered.push({ step: 'complete', status: done, afterKill });
        if (done === 200) {
          completed.add(parked.id!);
          if (afterKill && (await sentinel.currentPrimary()) !== oldPrimary) resumedCycles++;
        }
      }
    };
    const workers = Array.from({ length: 8 }, (_, n) => worker(n));
    // Load first, then the crash.
    while (completed.size < 20) await new Promise((r) => setTimeout(r, 20));
    const acceptedBeforeKill = accepted.length;
    killedAt = Date.now();
    await sentinel.primary.kill();
    const until = Date.now() + 60_000;
    while ((await sentinel.currentPrimary()) === oldPrimary && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
    const newPrimary = await sentinel.currentPrimary();
    // The promoted replica has no replica of its own, so with durability.replicas 1 every
    // transition is refused (503) until one is back: the operator's restart of the lost node,
    // which joins as the new primary's replica. Protected calls in that window get 503 too.
    const [host, port] = newPrimary.split(':');
    await sentinel.primary.restart(['--replicaof', host!, port!]);
    while (resumedCycles < 20 && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
    stop = true;
    await Promise.all(workers);

    assert.ok(resumedCycles >= 20, `traffic resumed after the failover (${resumedCycles} full cycles on the new primary)`);
    assert.notEqual(await sentinel.currentPrimary(), oldPrimary);
    assert.ok(accepted.length > acceptedBeforeKill);
    // During the switch, protected calls are refused with 503, never anything else.
    const unexpected = answered.filter((a) => ![200, 202, 503].includes(a.status) && !(a.step === 'complete' && a.status === 409) && !(a.step === 'approve' && a.status === 409));
    assert.deepEqual(unexpected, [], gateways.map((g) => g.stderr()).join('\n'));
    assert.ok(answered.some((a) => a.afterKill && a.status === 503), 'some protected calls met the switch and got 503');

    // Zero accepted requests lost: every 202 is on the new primary, seen by both gateways.
    const missing = [];
    for (const { id } of accepted) {
      const [seenA, seenB] = await Promise.all(urls.map((u) => statusOf(u, id)));
      if (typeof seenA !== 'string' || seenA !== seenB) missing.push({ id, seenA, seenB });
    }
    assert.deepEqual(missing, []);
    // Zero double replays, and every complete answered 200 reached the upstream exactly once.
    let unrecorded = 0;
    const counts = replaysByPath(upstream);
    assert.deepEqual([...counts].filter(([, n]) => n > 1), []);
    for (const { id, object } of accepted) {
      const replays = counts.get(`/deviceAppManagement/mobileApps/${object}`) ?? 0;
      const status = await statusOf(urls[0]!, id);
      if (completed.has(id)) {
        assert.equal(replays, 1, `completed ${id} reached the upstream once`);
        if (status !== 'completed') {
          // Replayed as the primary died, its outcome not confirmed on the replica: the claim
          // survived (it was confirmed before the replay), so the request reads as claimed, and a
          // second complete is refused (outcome unknown), never sent again.
          assert.equal(status, 'approved');
          assert.notEqual(await act(urls[1]!, id, 'complete'), 200);
          unrecorded++;
        }
      }
      // Never forwarded without a recorded claim: a request still awaiting approval was never replayed.
      if (status === 'needsApproval') assert.equal(replays, 0);
    }
    assert.deepEqual(replaysByPath(upstream), counts, 'the second completes above sent nothing');
    assert.ok(unrecorded <= 16, `at most one outcome per worker and gateway lost in the switch, got ${unrecorded}`);
    // Parks answered 503 were never forwarded: the upstream only ever saw replays of accepted requests.
    const acceptedPaths = new Set(accepted.map((a) => `/deviceAppManagement/mobileApps/${a.object}`));
    assert.deepEqual([...counts.keys()].filter((path) => !acceptedPaths.has(path)), []);
  });
});
