/**
 * `npm run bench:scale`: how the park path and the list scale with gateways, Redis topologies and
 * the number of stored requests.
 *
 *   throughput  park (PATCH of a protected app, 202) and complete (replay to a small upstream, 200)
 *               per second, with 1 and 2 gateway processes, on a single Redis, on Sentinel (primary +
 *               replica + 3 sentinels, redis.durability.replicas 1: every transition WAITs for the
 *               replica) and on a Cluster (3 primaries + 3 replicas, WAIT 1 too). Load: BENCH_CONCURRENCY
 *               (default 32) requests in flight from this process with fetch, split evenly across the
 *               gateways; BENCH_PARKS (default 2000) parks, then as many approves (not timed), then
 *               as many completes.
 *   list        GET /maa/v1/requests?view=received&limit=50 (the first page, newest first) through one
 *               gateway on a single Redis holding 1k, 100k and 1M requests, median and p99 of
 *               BENCH_LIST_CALLS (default 200) sequential calls, and the ratio 1M / 1k (target <= 1.5).
 *               Redis is filled by a Lua loader that clones one real parked request (hash, body,
 *               indices) 10,000 at a time, not through HTTP.
 *
 * Every Redis and gateway is its own process on loopback; the topologies come from
 * test/support/redis-topology.ts, the gateway processes from test/support/gateway-process.ts.
 * BENCH_ONLY=throughput or list runs one part.
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { createClient } from 'redis';
import { startCluster, startSentinel } from '../test/support/redis-topology';
import { act, buildPolicyBundle, DEMO, park, startGatewayProcess, type GatewayProcess } from '../test/support/gateway-process';
import { randomDeployment, startRedis } from '../test/support/redis-server';
import { startUpstream } from '../test/support/upstream';
import { requestKeys } from '../src/requests/keys';

const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 32);
const PARKS = Number(process.env.BENCH_PARKS ?? 2000);
const LIST_CALLS = Number(process.env.BENCH_LIST_CALLS ?? 200);
const ONLY = process.env.BENCH_ONLY ?? '';

/** Runs `count` calls of `one`, `CONCURRENCY` at a time; returns calls per second and the failures. */
async function drive(count: number, one: (i: number) => Promise<boolean>): Promise<{ perSec: number; failed: number }> {
  let next = 0;
  let failed = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < count) {
        const i = next++;
        if (!(await one(i))) failed++;
      }
    }),
  );
  return { perSec: count / ((performance.now() - started) / 1000), failed };
}

interface Row {
  topology: string;
  gateways: number;
  parksPerSec: number;
  completesPerSec: number;
  failed: number;
}

async function throughput(topology: string, env: Record<string, string>, bundlePath: string, upstreamUrl: string): Promise<Row[]> {
  const rows: Row[] = [];
  for (const count of [1, 2]) {
    const gateways: GatewayProcess[] = [];
    const deployment = randomDeployment();
    try {
      for (let i = 0; i < count; i++) gateways.push(await startGatewayProcess({ upstreamUrl, bundlePath, deployment, env }));
      const urls = gateways.map((g) => g.url);
      // Warm up each gateway (connections, JIT) outside the timing.
      await Promise.all(Array.from({ length: 50 }, (_, i) => park(urls[i % count]!, randomUUID())));
      const ids: string[] = [];
      const parks = await drive(PARKS, async (i) => {
        const parked = await park(urls[i % count]!, randomUUID());
        if (parked.id) ids.push(parked.id);
        return parked.status === 202;
      });
      const approves = await drive(ids.length, async (i) => (await act(urls[i % count]!, ids[i]!, 'approve')) === 200);
      const completes = await drive(ids.length, async (i) => (await act(urls[i % count]!, ids[i]!, 'complete')) === 200);
      rows.push({ topology, gateways: count, parksPerSec: parks.perSec, completesPerSec: completes.perSec, failed: parks.failed + approves.failed + completes.failed });
      // Progress on stderr; the table comes at the end on stdout.
      console.error(`${topology}, ${count} gateway(s): ${parks.perSec.toFixed(0)} parks/s, ${completes.perSec.toFixed(0)} completes/s`);
    } finally {
      await Promise.all(gateways.map((g) => g.stop()));
    }
  }
  return rows;
}

/**
 * Clones request `templateId` into `n` new requests (hash, body, the indices `view=all` and the
 * status, requestor and group lists read), 10,000 per script run so Redis stays responsive.
 */
const LOADER = `
local prefix, templateId, from, count, baseMs = ARGV[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local fields = redis.call('HGETALL', prefix .. 'req:' .. templateId)
local body = redis.call('GET', prefix .. 'body:' .. templateId)
local requestor = redis.call('HGET', prefix .. 'req:' .. templateId, 'requestorId')
local groups = cjson.decode(redis.call('HGET', prefix .. 'req:' .. templateId, 'groups'))
for i = from, from + count - 1 do
  local id = string.format('00000000-0000-4000-8000-%012d', i)
  local copy = {}
  for j = 1, #fields, 2 do
    local v = fields[j + 1]
    if fields[j] == 'id' then v = id end
    if fields[j] == 'objectKey' then v = 'bench:' .. i end
    table.insert(copy, fields[j]); table.insert(copy, v)
  end
  redis.call('HSET', prefix .. 'req:' .. id, unpack(copy))
  redis.call('SET', prefix .. 'body:' .. id, body)
  local score = baseMs - i
  redis.call('ZADD', prefix .. 'idx:all', score, id)
  redis.call('ZADD', prefix .. 'idx:status:needsApproval', score, id)
  redis.call('ZADD', prefix .. 'idx:requestor:' .. requestor, score, id)
  redis.call('ZADD', prefix .. 'idx:requestor-status:needsApproval:' .. requestor, score, id)
  for _, g in ipairs(groups) do
    redis.call('ZADD', prefix .. 'idx:group:' .. g, score, id)
    redis.call('ZADD', prefix .. 'idx:group-status:needsApproval:' .. g, score, id)
  end
end
return count
`;

async function listLatency(bundlePath: string, upstreamUrl: string): Promise<Array<{ stored: number; p50: number; p99: number }>> {
  const redis = await startRedis();
  const deployment = randomDeployment();
  const prefix = requestKeys(deployment).prefix;
  const client = createClient({ url: redis.url });
  await client.connect();
  const gateway = await startGatewayProcess({ upstreamUrl, bundlePath, deployment, env: { REDIS_URL: redis.url } });
  const rows = [];
  try {
    const template = await park(gateway.url, randomUUID());
    let stored = 1;
    for (const target of [1_000, 100_000, 1_000_000]) {
      while (stored < target) {
        const n = Math.min(10_000, target - stored);
        await client.eval(LOADER, { keys: [prefix], arguments: [prefix, template.id!, String(stored), String(n), String(Date.now() - 1000)] });
        stored += n;
      }
      const times: number[] = [];
      for (let i = 0; i < LIST_CALLS + 10; i++) {
        const started = performance.now();
        const res = await fetch(`${gateway.url}/maa/v1/requests?view=received&limit=50`, { headers: { authorization: DEMO.bob } });
        const page = (await res.json()) as { items?: unknown[] };
        if (res.status !== 200 || page.items?.length !== 50) throw new Error(`list answered ${res.status} with ${page.items?.length} items`);
        if (i >= 10) times.push(performance.now() - started);
      }
      times.sort((a, b) => a - b);
      rows.push({ stored: target, p50: times[Math.floor(times.length / 2)]!, p99: times[Math.floor(times.length * 0.99)]! });
      console.error(`list with ${target} stored: p50 ${rows[rows.length - 1]!.p50.toFixed(2)} ms`);
    }
  } finally {
    await gateway.stop();
    await client.close();
    await redis.stop();
  }
  return rows;
}

async function main(): Promise<void> {
  const bundle = await buildPolicyBundle();
  const upstream = await startUpstream();
  try {
    if (ONLY !== 'list') {
      const rows: Row[] = [];
      const single = await startRedis();
      try {
        rows.push(...(await throughput('single', { REDIS_URL: single.url }, bundle.path, upstream.url)));
      } finally {
        await single.stop();
      }
      const sentinel = await startSentinel();
      try {
        const env = { REDIS_MODE: 'sentinel', REDIS_NODES: sentinel.sentinels.join(','), REDIS_SENTINEL_MASTER: sentinel.masterName, COUNTERSIGN_REDIS_WAIT_REPLICAS: '1' };
        rows.push(...(await throughput('sentinel (WAIT 1)', env, bundle.path, upstream.url)));
      } finally {
        await sentinel.close();
      }
      const cluster = await startCluster();
      try {
        const env = { REDIS_MODE: 'cluster', REDIS_NODES: cluster.nodes.join(','), COUNTERSIGN_REDIS_WAIT_REPLICAS: '1' };
        rows.push(...(await throughput('cluster 3x2 (WAIT 1)', env, bundle.path, upstream.url)));
      } finally {
        await cluster.close();
      }
      console.log(`\nthroughput: ${PARKS} parks then ${PARKS} completes, ${CONCURRENCY} in flight, fetch from one process\n`);
      console.log('| topology | gateways | parks/s | completes/s | failed |\n| --- | ---: | ---: | ---: | ---: |');
      for (const r of rows) console.log(`| ${r.topology} | ${r.gateways} | ${r.parksPerSec.toFixed(0)} | ${r.completesPerSec.toFixed(0)} | ${r.failed} |`);
    }
    if (ONLY !== 'throughput') {
      const rows = await listLatency(bundle.path, upstream.url);
      console.log(`\nlist: GET /maa/v1/requests?view=received&limit=50, ${LIST_CALLS} sequential calls, single Redis\n`);
      console.log('| stored requests | p50 ms | p99 ms |\n| ---: | ---: | ---: |');
      for (const r of rows) console.log(`| ${r.stored.toLocaleString('en')} | ${r.p50.toFixed(2)} | ${r.p99.toFixed(2)} |`);
      const small = rows[0]!;
      const large = rows[rows.length - 1]!;
      console.log(`\nratio 1M / 1k: p50 ${(large.p50 / small.p50).toFixed(2)}x, p99 ${(large.p99 / small.p99).toFixed(2)}x (target <= 1.5x)`);
    }
  } finally {
    await upstream.stop();
    bundle.remove();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
