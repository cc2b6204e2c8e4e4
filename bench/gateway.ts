/**
 * `npm run bench:gateway`: what the safeguard costs traffic that does not need it.
 *
 * In one run, against loopback, with `wrk` (Debian package) and the same load for each:
 *   upstream      nginx (Debian package), one process, answering a small JSON body (the ceiling).
 *                 It stands for the management API, which has machines of its own: nginx is the
 *                 cheapest stand-in this machine has (about 5 µs of CPU a request, against 15-25
 *                 for a node http server), so the 2 cores measure the gateway more than the stand-in;
 *   bare hpm      http-proxy-middleware on node's own http server with a keep-alive agent;
 *   gateway       the Countersign gateway with the real policy and a real redis-server,
 *                 for unprotected GETs and for unprotected POSTs (a path no profile type
 *                 protects, small JSON body) that are buffered, authenticated and decided;
 *   list GET      a Graph-like list page (20 apps, ~6 KiB, absolute @odata.context and
 *                 @odata.nextLink at the upstream) through the gateway as configured today, and
 *                 through a second gateway with upstream.publicUrl set, which reads the page whole
 *                 and rewrites its links (the probe checks that it did). Target: >= 0.90 of the first.
 *   (TLS)         bare hpm and the gateway again, each serving HTTPS (`listen.tls`, a self-signed
 *                 2048-bit RSA certificate made with `selfsigned`) to the same plain-HTTP upstream,
 *                 for GETs: what TLS on the gateway's port costs, compared with the same TLS on
 *                 bare hpm. wrk keeps its connections alive, so the handshakes are in the warm-up.
 *   workers       the gateway again with `listen.workers: auto` (node:cluster, one worker per core),
 *                 for unprotected GETs and POSTs. Target: >= 1.4x the one-worker gateway.
 *   park          protected PATCHes, each of a new object, parked in Redis (202) by the one-worker
 *                 gateway, at 1, 4 and 32 connections, and at 32 by the `workers: auto` gateway.
 *                 Targets: p99 <= 5 ms at 4, >= 3,000/s at 32.
 *                 The `park floor` rows are GETs straight to the upstream at 1 and 4 connections:
 *                 the latency this machine gives the simplest loopback call, to read p99s against.
 * Every row also shows the CPU time one request cost each process, from /proc (the server under
 * test with its workers, redis-server, the upstream, and the rest of the machine: wrk and whatever
 * else runs), and the requests/s the machine's cores allow at that cost: what bounds a row that
 * does not reach its target (on 2 cores, wrk and the upstream take a share no worker can have).
 * Under the table, each one-worker park row says where its tail comes from, measured over its
 * run: redis-server's own time per script (INFO latencystats) and whether AOF is on, the
 * gateway's GC pauses and event-loop delay (asked of that node child over IPC), and how long
 * each process waited for a core per park (/proc/<pid>/schedstat) with how many of the cores
 * were busy, the gateway's minor page faults, and which other threads of the machine ran
 * meanwhile, for how long a run (a kernel thread that does not yield holds its vCPU, and a park
 * queued there waits for it).
 * Each server is its own child process, so none shares an event loop with another, and the
 * servers a row does not measure are paused (SIGSTOP) while it runs, so none takes the cores from it.
 * It prints req/s, p50 and p99 per scenario and the ratios gateway / bare hpm (target >= 0.85).
 *
 * Knobs: BENCH_DURATION (s, default 10), BENCH_WARMUP (s, default 3), BENCH_THREADS (2),
 * BENCH_CONNECTIONS (50), BENCH_ROUNDS (3: the scenarios run interleaved, round after round, and
 * each scenario's median round is shown, which tames a busy machine's noise),
 * BENCH_ONLY (a regular expression on scenario names, e.g. `GET`), WRK_BIN (wrk), NGINX_BIN
 * (nginx; /usr/sbin/nginx when it is there), BENCH_PROFILE (a folder: the gateway and bare hpm
 * children run with `node --cpu-prof` and write their .cpuprofile files to <folder>/gateway and
 * <folder>/hpm on exit). `--json` prints the results as JSON after the table.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import https from 'node:https';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { constants as perfConstants, monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import selfsigned from 'selfsigned';
import { freePort } from '../src/demo/local-ports';

const SELF = fileURLToPath(import.meta.url);
const TOKEN = 'bench-token-0123456789';
/** The upstream's answer: small, JSON, Graph-shaped. */
const UPSTREAM_BODY = JSON.stringify({ value: [{ id: '42', displayName: 'Contoso Portal' }] });
/** A read of a protected profile type (reads are never protected). */
const GET_PATH = '/deviceAppManagement/mobileApps/42';
/** Protected PATCHes of new objects (the run and a counter complete the path): each one is parked. */
const PARK_PREFIX = '/deviceAppManagement/mobileApps/bench';
const PARK_BODY = JSON.stringify({ displayName: 'Contoso Portal (benchmark)' });
/** A mutation no profile type protects: it is buffered, authenticated and decided, then forwarded. */
const POST_PATH = '/deviceManagement/managedDevices/42/syncDevice';
const POST_BODY = JSON.stringify({ reason: 'benchmark', attempt: 1 });
/** A list page: the upstream answers it with absolute links at itself, as Graph does. */
const LIST_PATH = '/deviceAppManagement/mobileApps?$top=20';
/** The second gateway's upstream.publicUrl: the list page's links must come back under it. */
const PUBLIC_URL = 'https://gw.bench.example';

function listPage(selfUrl: string): string {
  const value = Array.from({ length: 20 }, (_, i) => ({
    '@odata.type': '#microsoft.graph.webApp',
    id: `6f1c${String(i).padStart(4, '0')}-8e2b-4c1d-9a7e-3b5d2c1e0f${String(i).padStart(2, '0')}`,
    displayName: `Contoso Portal ${i}`,
    publisher: 'Contoso',
    createdDateTime: '2026-01-01T00:00:00Z',
    isFeatured: i % 2 === 0,
    appUrl: `https://portal${i}.contoso.example/`,
  }));
  return JSON.stringify({
    '@odata.context': `${selfUrl}/v1.0/$metadata#deviceAppManagement/mobileApps`,
    value,
    '@odata.nextLink': `${selfUrl}/v1.0/deviceAppManagement/mobileApps?$top=20&$skiptoken=RFNwdAIAAQAAABc6YXBwQGNvbnRvc28uZXhhbXBsZQ`,
  });
}

// ---------------------------------------------------------------- child roles

function ready(url: string): void {
  process.stdout.write(`READY ${url}\n`);
}

function addressUrl(server: http.Server | https.Server, scheme = 'http'): string {
  const address = server.address();
  if (!address || typeof address !== 'object') throw new Error('not listening');
  return `${scheme}://127.0.0.1:${address.port}`;
}

/** PEM files of the TLS scenarios, made once by the orchestrator. */
interface TlsFiles {
  certFile: string;
  keyFile: string;
}

/** The upstream as it runs: its URL, the pid whose CPU time is the upstream's, and how to stop it. */
interface Upstream {
  url: string;
  pid: number;
  stop(): Promise<void>;
}

/**
 * Starts nginx as the upstream: one process (`master_process off`, so its pid is the one that
 * serves), every path answered with the small JSON body from memory, the list path with the list
 * page (links at itself) from a file. Everything it writes stays in `dir`.
 */
async function startUpstream(dir: string, nginx: string): Promise<Upstream> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const root = join(dir, 'nginx');
  mkdirSync(root);
  writeFileSync(join(root, 'list.json'), listPage(url));
  const temp = (name: string) => `${name}_temp_path ${join(root, name)};`;
  writeFileSync(
    join(root, 'nginx.conf'),
    `worker_processes 1;
master_process off;
daemon off;
pid ${join(root, 'nginx.pid')};
error_log ${join(root, 'error.log')} warn;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 100000000;
  keepalive_timeout 300s;
  etag off;
  default_type application/json;
  ${['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map(temp).join('\n  ')}
  server {
    listen 127.0.0.1:${port};
    location = ${LIST_PATH.split('?')[0]} { alias ${join(root, 'list.json')}; }
    location / { return 200 '${UPSTREAM_BODY}'; }
  }
}
`,
  );
  const child = spawn(nginx, ['-p', root, '-e', join(root, 'error.log'), '-c', join(root, 'nginx.conf')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  };
  for (let tries = 0; ; tries++) {
    if (child.exitCode !== null) throw new Error(`nginx (the upstream) exited at start: ${stderr.trim() || readFileSync(join(root, 'error.log'), 'utf8').trim()}`);
    if ((await fetchText(`${url}${GET_PATH}`).catch(() => '')) === UPSTREAM_BODY) return { url, pid: child.pid!, stop };
    if (tries === 100) {
      await stop();
      throw new Error(`nginx (the upstream) did not answer on ${url} within 10 s`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function runBareHpm(target: string, tls?: TlsFiles): Promise<void> {
  const { createProxyMiddleware } = await import('http-proxy-middleware');
  const agent = new http.Agent({ keepAlive: true });
  const proxy = createProxyMiddleware({ target, changeOrigin: true, agent });
  const handler: http.RequestListener = (req, res) => {
    void proxy(req, res, () => {
      res.statusCode = 404;
      res.end();
    });
  };
  const server = tls ? https.createServer({ cert: readFileSync(tls.certFile), key: readFileSync(tls.keyFile) }, handler) : http.createServer(handler);
  server.keepAliveTimeout = 60_000;
  // Exit (rather than die by the signal) so that a --cpu-prof profile is written.
  process.on('SIGTERM', () => process.exit(0));
  server.listen(0, '127.0.0.1', () => ready(addressUrl(server, tls ? 'https' : 'http')));
}

async function runGateway(options: { upstream: string; redis: string; tokens: string; deployment: string; publicUrl?: string; tls?: TlsFiles; workers?: 'auto' }): Promise<void> {
  const { loadGatewayConfig } = await import('../src/config/gateway-config');
  const { startGateway } = await import('../src/main');
  const { default: cluster } = await import('node:cluster');
  const workers = await import('../src/workers');
  if (options.workers && cluster.isPrimary) {
    // As `npm start` does with listen.workers: this process supervises; each worker runs this role again.
    const { createLogger } = await import('../src/gateway/logger');
    process.on('SIGTERM', () => process.exit(0));
    void workers.superviseWorkers({ count: workers.workerCount(options.workers), logger: createLogger('warn'), shutdownGraceMs: 1000, tls: false, onListening: ready });
    return;
  }
  const config = loadGatewayConfig({
    env: {},
    overrides: {
      listen: { host: '127.0.0.1', port: 0, ...(options.tls ? { tls: options.tls } : {}) },
      upstream: { url: options.upstream, publicUrl: options.publicUrl },
      redis: { url: options.redis, deployment: options.deployment },
      identity: { staticTokensFile: options.tokens },
      log: { level: 'warn' },
    },
  });
  const gateway = await startGateway(config);
  process.on('SIGTERM', () => {
    void gateway.close().then(() => process.exit(0));
  });
  if (cluster.isWorker) {
    workers.onPrimaryMessage({ stop: () => void gateway.close().then(() => process.exit(0)), reloadTls: () => undefined });
    workers.tellPrimaryListening(gateway.url);
  } else {
    answerTailQueries();
    ready(gateway.url);
  }
}

/** What the one-worker gateway tells the orchestrator about one measured run (see measure). */
interface ProcessTail {
  /** Young-generation scavenges, and the old generation's pauses (mark-compact, its incremental steps, weak callbacks). */
  scavengesMs: number[];
  oldGenerationMs: number[];
  loopP99Ms: number;
  loopMaxMs: number;
}

/**
 * The orchestrator's `tail:start` and `tail:read` messages (IPC): this process's GC pauses and its
 * event loop's delay between the two. Watched only then, so the other rows run unobserved.
 */
function answerTailQueries(): void {
  if (!process.send) return;
  // A 5 ms timer: long stalls are what the p99 is made of, and a finer one would cost the run CPU.
  // The histogram holds the timer's whole intervals (an idle process reads 5.1 ms), so the delay
  // is what exceeds the resolution.
  const resolutionMs = 5;
  const loop = monitorEventLoopDelay({ resolution: resolutionMs });
  const lateMs = (ns: number) => Math.max(0, ns / 1e6 - resolutionMs);
  let pauses: { scavenges: number[]; old: number[] } | undefined;
  new PerformanceObserver((list) => {
    if (!pauses) return;
    for (const entry of list.getEntries()) {
      const kind = (entry as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind;
      (kind === perfConstants.NODE_PERFORMANCE_GC_MINOR ? pauses.scavenges : pauses.old).push(entry.duration);
    }
  }).observe({ entryTypes: ['gc'] });
  process.on('message', (message) => {
    if (message === 'tail:start') {
      pauses = { scavenges: [], old: [] };
      loop.reset();
      loop.enable();
    } else if (message === 'tail:read') {
      loop.disable();
      const tail: ProcessTail = { scavengesMs: pauses?.scavenges ?? [], oldGenerationMs: pauses?.old ?? [], loopP99Ms: lateMs(loop.percentile(99)), loopMaxMs: lateMs(loop.max) };
      pauses = undefined;
      process.send!({ tail });
    }
  });
}

// ---------------------------------------------------------------- orchestration

interface Child {
  name: string;
  process: ChildProcess;
  url: string;
}

const children: Child[] = [];

function startChild(name: string, args: string[]): Promise<Child> {
  return new Promise((resolve, reject) => {
    // BENCH_PROFILE=<dir>: the gateway and bare hpm children write V8 CPU profiles to <dir>/<role> when they stop.
    const profiled = process.env.BENCH_PROFILE && (args[0] === 'gateway' || args[0] === 'hpm');
    const profile = profiled ? ['--cpu-prof', `--cpu-prof-dir=${join(process.env.BENCH_PROFILE!, args[0]!)}`] : [];
    // An IPC channel too: the one-worker gateway answers the park rows' tail questions over it.
    const child = spawn(process.execPath, [...profile, '--import', 'tsx', SELF, '--role', ...args], { stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
    let buffered = '';
    let settled = false;
    const timer = setTimeout(() => fail(new Error(`${name} did not start within 120 s`)), 120_000);
    const fail = (error: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(error);
    };
    // Keep reading stdout after READY: a full pipe would stall the child.
    child.stdout!.on('data', (chunk: Buffer) => {
      if (settled) return;
      buffered += chunk.toString('utf8');
      const match = /^READY (\S+)$/m.exec(buffered);
      if (match) {
        settled = true;
        clearTimeout(timer);
        const entry = { name, process: child, url: match[1]! };
        children.push(entry);
        resolve(entry);
      }
    });
    child.stderr!.on('data', (chunk: Buffer) => process.stderr.write(`[${name}] ${chunk.toString('utf8')}`));
    child.once('exit', (code, signal) => fail(new Error(`${name} exited early (${code ?? signal})`)));
  });
}

async function stopChildren(): Promise<void> {
  // A paused server (and its workers) could not act on SIGTERM.
  for (const pid of paused) signal(pid, 'SIGCONT');
  paused.clear();
  await Promise.all(
    children.splice(0).map(
      ({ process: child }) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          const force = setTimeout(() => child.kill('SIGKILL'), 5000);
          child.once('exit', () => {
            clearTimeout(force);
            resolve();
          });
          child.kill('SIGTERM');
        }),
    ),
  );
}

interface Result {
  scenario: string;
  requestsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  /** Responses that were not 2xx/3xx, plus socket errors: a run with any is not a fair number. */
  errors: number;
  /** CPU microseconds one request cost each process, from /proc. */
  cpuUsPerRequest?: CpuShare;
  /** Where a one-worker park row's tail comes from, over its measured run. */
  tail?: TailNotes;
}

/** The suspects of a park's tail, each measured over the run: Redis's scripts, AOF, GC, the event loop, the cores. */
interface TailNotes {
  /** redis-server's own time per EVALSHA (INFO latencystats, Redis 7+), not counting the network. */
  redisScript?: { p50Ms: number; p99Ms: number };
  /** Whether redis-server appends to an AOF (a fsync policy of `always` would put a disk write on every park). */
  aof: boolean;
  /** The gateway's own stalls: a park passes its event loop three times (nginx, the upstream, has no GC). */
  gateway: NodeStalls;
  /** Microseconds per park each main thread spent runnable but waiting for a core (/proc/<pid>/schedstat). */
  runQueueUs: { gateway: number; redis: number; upstream: number };
  /** The threads besides the row's servers and wrk that ran most over the run, by CPU time. */
  others: ThreadTime[];
  /** The gateway's minor page faults over the run (/proc/<pid>/stat): a steady gateway takes few. */
  gatewayMinorFaults: number;
}

/** A thread's CPU time over a run, and how many times it was given a core (/proc/<pid>/task/<tid>/schedstat). */
interface ThreadTime {
  name: string;
  runNs: number;
  runs: number;
}

/** A node process's GC pauses and its event loop's delay over a run. */
interface NodeStalls {
  gc: { scavenges: PauseSummary; oldGeneration: PauseSummary; shareOfRun: number };
  loop: { p99Ms: number; maxMs: number };
}

/** Pauses of one kind over a run. */
interface PauseSummary {
  count: number;
  p50Ms: number;
  maxMs: number;
}

function pauseSummary(pauses: number[]): PauseSummary {
  const sorted = [...pauses].sort((a, b) => a - b);
  return { count: sorted.length, p50Ms: sorted[Math.floor(sorted.length / 2)] ?? 0, maxMs: sorted[sorted.length - 1] ?? 0 };
}

/** How measure() reads a park row's tail: the gateway child (IPC), redis-server, and the processes' schedstat. */
interface TailWatch {
  gateway: ChildProcess;
  redis: { sendCommand(args: string[]): Promise<unknown> };
  pids: { gateway: number; redis: number; upstream: number };
}

/**
 * A thread's schedstat (`/proc/<pid>/schedstat`, or `/proc/<pid>/task/<tid>/schedstat`): nanoseconds
 * on a core, nanoseconds runnable but waiting for one (no core free), and how many times it was
 * given one. Undefined when the thread is gone or the kernel keeps no schedstat.
 */
function schedstat(path: string): { runNs: number; waitNs: number; runs: number } | undefined {
  try {
    const [runNs, waitNs, runs] = readFileSync(path, 'utf8').split(' ').map(Number);
    return { runNs: runNs || 0, waitNs: waitNs || 0, runs: runs || 0 };
  } catch {
    return undefined;
  }
}

/** Nanoseconds a process's main thread has waited on a run queue; 0 without schedstat. */
function runQueueWaitNs(pid: number): number {
  return schedstat(`/proc/${pid}/schedstat`)?.waitNs ?? 0;
}

/** What a park row's notes read from /proc, before its run and after. */
interface ProcReading {
  /** Nanoseconds each main thread has waited on a run queue. */
  waitedNs: TailWatch['pids'];
  gatewayMinorFaults: number;
  /** Every thread but the row's servers', this process's and wrk's. */
  threads: Map<number, ThreadTime>;
}

function procReading(watch: TailWatch): ProcReading {
  const { pids } = watch;
  return {
    waitedNs: { gateway: runQueueWaitNs(pids.gateway), redis: runQueueWaitNs(pids.redis), upstream: runQueueWaitNs(pids.upstream) },
    gatewayMinorFaults: minorFaults(pids.gateway),
    threads: threadReading(new Set([process.pid, ...processTree(pids.gateway), pids.redis, pids.upstream])),
  };
}

/** A park row's /proc figures over its run of `parks` parks. */
function procFigures(before: ProcReading, after: ProcReading, parks: number): Pick<TailNotes, 'runQueueUs' | 'others' | 'gatewayMinorFaults'> {
  const perPark = (key: keyof TailWatch['pids']) => Math.round((after.waitedNs[key] - before.waitedNs[key]) / 1000 / parks);
  return {
    runQueueUs: { gateway: perPark('gateway'), redis: perPark('redis'), upstream: perPark('upstream') },
    others: topThreads(before.threads, after.threads, 3),
    gatewayMinorFaults: after.gatewayMinorFaults - before.gatewayMinorFaults,
  };
}

/**
 * Every thread's CPU time and runs so far, kernel threads included, except those of `skip` (the
 * row's servers, this process) and wrk's: what else the machine gave its cores to. On this kind of
 * machine that found kdamond, the kernel's DAMON memory monitor, holding a vCPU for 3.5 to 5 ms
 * twice a second (docs/operations.md).
 */
function threadReading(skip: Set<number>): Map<number, ThreadTime> {
  const threads = new Map<number, ThreadTime>();
  let pids: string[] = [];
  try {
    pids = readdirSync('/proc').filter((name) => /^\d+$/.test(name) && !skip.has(Number(name)));
  } catch {
    return threads; // no /proc: no figure
  }
  for (const pid of pids) {
    let tids: string[];
    let processName: string;
    try {
      tids = readdirSync(`/proc/${pid}/task`);
      processName = readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
    } catch {
      continue; // gone
    }
    if (processName === 'wrk') continue;
    for (const tid of tids) {
      const stat = schedstat(`/proc/${pid}/task/${tid}/schedstat`);
      let threadName: string;
      try {
        threadName = readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim();
      } catch {
        continue; // gone
      }
      if (!stat) continue;
      // A thread is named with its process when they differ: `tokio-rt-worker (process_api)`.
      const name = threadName === processName ? threadName : `${threadName} (${processName})`;
      threads.set(Number(tid), { name, runNs: stat.runNs, runs: stat.runs });
    }
  }
  return threads;
}

/** The threads that ran most between two readings, by CPU time (at least 1 ms each). */
function topThreads(before: Map<number, ThreadTime>, after: Map<number, ThreadTime>, count: number): ThreadTime[] {
  const ran: ThreadTime[] = [];
  for (const [tid, now] of after) {
    const then = before.get(tid) ?? { runNs: 0, runs: 0 };
    const runNs = now.runNs - then.runNs;
    if (runNs >= 1e6) ran.push({ name: now.name, runNs, runs: now.runs - then.runs });
  }
  return ran.sort((a, b) => b.runNs - a.runNs).slice(0, count);
}

/**
 * Where one request's CPU time went: the server under test (the gateway or bare hpm, with its
 * workers), redis-server, the upstream, and the rest of the machine (wrk, other tenants).
 */
interface CpuShare {
  server: number;
  redis: number;
  upstream: number;
  rest: number;
}

/** The processes whose CPU time a row reads; `server` is absent for the upstream's own rows. */
interface CpuWatch {
  server?: number;
  redis: number;
  upstream: number;
}

const CORES = availableParallelism();
const CLOCK_TICKS_PER_SEC = Number(spawnSync('getconf', ['CLK_TCK']).stdout?.toString().trim()) || 100;

/** A process and its descendants (a node:cluster primary and its workers), from /proc. */
function processTree(pid: number): number[] {
  let children = '';
  try {
    children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8');
  } catch {
    // no children file (older kernels), or gone: the process alone
  }
  return [pid, ...children.split(' ').filter(Boolean).flatMap((child) => processTree(Number(child)))];
}

/** A process's fields of /proc/<pid>/stat after its command name (which may hold spaces, hence the last ')'). */
function statFields(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(') ') + 2).split(' ');
  } catch {
    return undefined; // gone
  }
}

/** Minor page faults a process has taken (the 10th field of /proc/<pid>/stat); 0 when gone. */
function minorFaults(pid: number): number {
  return Number(statFields(pid)?.[7] ?? 0);
}

/** CPU seconds a process and its descendants have used, from /proc. */
function processTreeCpuSec(pid: number): number {
  let sec = 0;
  for (const member of processTree(pid)) {
    // A worker gone (replaced) takes its time with it, as it would from top.
    const fields = statFields(member);
    // utime is the 14th field of stat, stime the 15th.
    if (fields) sec += (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SEC;
  }
  return sec;
}

/** The servers paused while another is measured (with their workers): resumed before they are stopped. */
const paused = new Set<number>();

/**
 * Pauses (SIGSTOP) `servers`, the ones a row does not measure, with their workers, until the returned
 * function resumes them. An idle gateway is not idle on 2 cores: each process wakes about a hundred
 * times a second (prom-client's event-loop monitor, at its default 10 ms), and its sweeper and
 * notification dispatcher poll Redis. Beside an idle `workers: auto` gateway, the one-worker park
 * p99 at 4 connections read 6.2 to 20 ms where it read 5.0 to 6.8 alone (alternating runs).
 */
function pauseServers(servers: number[]): () => void {
  const pids = servers.flatMap(processTree);
  for (const pid of pids) signal(pid, 'SIGSTOP');
  for (const pid of pids) paused.add(pid);
  return () => {
    for (const pid of pids) {
      signal(pid, 'SIGCONT');
      paused.delete(pid);
    }
  };
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // gone already
  }
}

/** CPU seconds the whole machine has been busy (every core, not idle or waiting on I/O), from /proc/stat. */
function machineBusySec(): number {
  const [, ...ticks] = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).map(Number);
  const [user, nice, system, , , irq, softirq, steal] = ticks as number[];
  return (user! + nice! + system! + irq! + softirq! + steal!) / CLOCK_TICKS_PER_SEC;
}

function cpuReading(watch: CpuWatch): Record<keyof CpuWatch | 'machine', number> {
  return { server: watch.server ? processTreeCpuSec(watch.server) : 0, redis: processTreeCpuSec(watch.redis), upstream: processTreeCpuSec(watch.upstream), machine: machineBusySec() };
}

/** Total CPU per request, and the requests/s the machine's cores allow at that cost. */
function cpuCeiling(cpu: CpuShare): { totalUs: number; perSec: number } {
  const totalUs = cpu.server + cpu.redis + cpu.upstream + cpu.rest;
  return { totalUs, perSec: Math.round((CORES * 1e6) / totalUs) };
}

function toMs(value: string, unit: string): number {
  const n = Number(value);
  return unit === 'us' ? n / 1000 : unit === 's' ? n * 1000 : unit === 'm' ? n * 60_000 : n;
}

/** Reads wrk's --latency output. */
export function parseWrk(output: string): Omit<Result, 'scenario'> {
  const rps = /Requests\/sec:\s+([\d.]+)/.exec(output);
  const p50 = /^\s+50%\s+([\d.]+)(us|ms|s|m)\s*$/m.exec(output);
  const p99 = /^\s+99%\s+([\d.]+)(us|ms|s|m)\s*$/m.exec(output);
  if (!rps || !p50 || !p99) throw new Error(`cannot read wrk's output:\n${output}`);
  const non2xx = /Non-2xx or 3xx responses:\s+(\d+)/.exec(output);
  const socketErrors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(output);
  const errors = Number(non2xx?.[1] ?? 0) + (socketErrors ? socketErrors.slice(1).reduce((sum, n) => sum + Number(n), 0) : 0);
  return { requestsPerSec: Number(rps[1]), p50Ms: toMs(p50[1]!, p50[2]!), p99Ms: toMs(p99[1]!, p99[2]!), errors };
}

interface Scenario {
  name: string;
  url: string;
  kind: Kind;
  /** Overrides BENCH_CONNECTIONS (the park scenarios' targets are stated at 4 and 32 connections). */
  connections?: number;
}

interface Load {
  wrk: string;
  /** nginx, the upstream. */
  nginx: string;
  threads: number;
  connections: number;
  durationSec: number;
  warmupSec: number;
  postScript: string;
  /** Folder for the park scenario's per-run scripts. */
  dir: string;
}

/** How a scenario loads the server: GETs, the POST script, or parks of new objects. */
type Kind = 'get' | 'post' | 'park';

/** Each wrk run parks objects no earlier run used (one open request per object), so every answer is a 202. */
let parkRuns = 0;
function parkScript(load: Load): string {
  const path = join(load.dir, `park-${++parkRuns}.lua`);
  const run = `${process.pid}r${parkRuns}`;
  writeFileSync(
    path,
    `local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end
local counter = 0
-- wrk.format uses these headers instead of wrk.headers (where -H put Authorization), so all are here.
local headers = { ["Authorization"] = "Bearer ${TOKEN}", ["Content-Type"] = "application/json", ["X-MAA-Justification"] = "benchmark%20park" }
function request()
  counter = counter + 1
  return wrk.format("PATCH", "${PARK_PREFIX}${run}t" .. tid .. "n" .. counter, headers, ${JSON.stringify(PARK_BODY)})
end
`,
  );
  return path;
}

function wrk(load: Load, url: string, kind: Kind, durationSec: number, connections = load.connections): Promise<string> {
  const threads = Math.min(load.threads, connections);
  const args = [`-t${threads}`, `-c${connections}`, `-d${durationSec}s`, '--latency', '-H', `Authorization: Bearer ${TOKEN}`];
  if (kind === 'post') args.push('-s', load.postScript);
  if (kind === 'park') args.push('-s', parkScript(load));
  args.push(url);
  return new Promise((resolve, reject) => {
    const child = spawn(load.wrk, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`wrk exited with ${code}:\n${out}`))));
  });
}

async function measure(load: Load, scenario: Scenario, watch?: CpuWatch, tailWatch?: TailWatch): Promise<Result> {
  const { name, url, kind, connections } = scenario;
  // Warm-up, before every measured run of every round: JIT, keep-alive sockets to the upstream, the
  // policy's first evaluations, and the server's memory. A server paused for the rows before
  // (pauseServers), or idle, for 30 s or more comes back to some 10,000 minor page faults over its
  // first seconds of load on these machines (about 10 µs each; V8 maps its heap pages afresh):
  // measured without a warm-up, that run's p99 read 20 to 100 ms (docs/operations.md).
  if (load.warmupSec > 0) await wrk(load, url, kind, load.warmupSec, connections);
  if (tailWatch) {
    await tailWatch.redis.sendCommand(['CONFIG', 'RESETSTAT']);
    tailWatch.gateway.send('tail:start');
  }
  const procBefore = tailWatch ? procReading(tailWatch) : undefined;
  const before = watch ? cpuReading(watch) : undefined;
  const result: Result = { scenario: name, ...parseWrk(await wrk(load, url, kind, load.durationSec, connections)) };
  if (tailWatch && procBefore) {
    const proc = procFigures(procBefore, procReading(tailWatch), result.requestsPerSec * load.durationSec);
    result.tail = Object.assign(await readTail(tailWatch, load.durationSec), proc);
  }
  if (before && watch) {
    const after = cpuReading(watch);
    const requests = result.requestsPerSec * load.durationSec;
    const us = (key: keyof typeof before) => Math.round(((after[key] - before[key]) * 1e6) / requests);
    const ours = { server: us('server'), redis: us('redis'), upstream: us('upstream') };
    result.cpuUsPerRequest = { ...ours, rest: Math.max(0, us('machine') - ours.server - ours.redis - ours.upstream) };
  }
  const scenarioName = name;
  process.stderr.write(`  ${scenarioName.padEnd(30)} ${result.requestsPerSec.toFixed(0).padStart(7)} req/s  p99 ${result.p99Ms.toFixed(2)} ms\n`);
  return result;
}

/** Asks a node child what its GC and event loop did over the run just measured. */
function askStalls(child: ChildProcess, name: string, durationSec: number): Promise<NodeStalls> {
  return new Promise<NodeStalls>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the ${name} did not answer tail:read within 10 s`)), 10_000);
    child.once('message', (message: { tail?: ProcessTail }) => {
      clearTimeout(timer);
      const tail = message.tail;
      if (!tail) return reject(new Error(`the ${name} answered tail:read with something else`));
      const pausedMs = [...tail.scavengesMs, ...tail.oldGenerationMs].reduce((sum, ms) => sum + ms, 0);
      resolve({
        gc: { scavenges: pauseSummary(tail.scavengesMs), oldGeneration: pauseSummary(tail.oldGenerationMs), shareOfRun: pausedMs / (durationSec * 1000) },
        loop: { p99Ms: tail.loopP99Ms, maxMs: tail.loopMaxMs },
      });
    });
    child.send('tail:read');
  });
}

/** Asks the gateway and redis-server what happened over the run just measured. */
async function readTail(watch: TailWatch, durationSec: number): Promise<Omit<TailNotes, keyof ReturnType<typeof procFigures>>> {
  const gateway = await askStalls(watch.gateway, 'gateway', durationSec);
  const latency = String(await watch.redis.sendCommand(['INFO', 'latencystats']));
  const evalsha = /latency_percentiles_usec_evalsha:p50=([\d.]+),p99=([\d.]+)/.exec(latency);
  const persistence = String(await watch.redis.sendCommand(['INFO', 'persistence']));
  return {
    ...(evalsha ? { redisScript: { p50Ms: Number(evalsha[1]) / 1000, p99Ms: Number(evalsha[2]) / 1000 } } : {}),
    aof: /aof_enabled:1/.test(persistence),
    gateway,
  };
}

/** One node process's stalls, as a line of the notes. */
function stallsLine(name: string, stalls: NodeStalls): string {
  const { scavenges, oldGeneration, shareOfRun } = stalls.gc;
  return `  the ${name}: GC ${scavenges.count} scavenges (p50 ${scavenges.p50Ms.toFixed(2)} ms, max ${scavenges.maxMs.toFixed(2)} ms) and ${oldGeneration.count} old-generation pauses (max ${oldGeneration.maxMs.toFixed(2)} ms), ${(shareOfRun * 100).toFixed(1)} % of the run; event loop late by p99 ${stalls.loop.p99Ms.toFixed(2)} ms, max ${stalls.loop.maxMs.toFixed(2)} ms`;
}

/** The park rows' notes: each suspect of the tail, as measured over the row's run. */
function tailNotes(result: Result): string[] {
  const { tail, cpuUsPerRequest: cpu } = result;
  if (!tail) return [];
  const busy = cpu ? (cpuCeiling(cpu).totalUs * result.requestsPerSec) / 1e6 : undefined;
  return [
    `Where the tail of ${result.scenario} (p99 ${result.p99Ms.toFixed(2)} ms) comes from, over its run:`,
    `  Redis: ${tail.redisScript ? `each script took p50 ${tail.redisScript.p50Ms.toFixed(2)} ms, p99 ${tail.redisScript.p99Ms.toFixed(2)} ms inside redis-server` : 'no latencystats (Redis before 7)'}; AOF ${tail.aof ? 'on (see appendfsync)' : 'off: no fsync on the path'}`,
    `${stallsLine('gateway (a park passes its event loop three times)', tail.gateway)}; ${tail.gatewayMinorFaults} minor page faults (about 10 µs each on these machines)`,
    `  waiting for a core, per park: the gateway's main thread ${tail.runQueueUs.gateway} µs, redis-server's ${tail.runQueueUs.redis} µs, the upstream's (nginx, once per park for the snapshot read) ${tail.runQueueUs.upstream} µs on the run queue (runnable, no core free; a park wakes them six times)${busy !== undefined ? `, with ${busy.toFixed(2)} of ${CORES} cores busy` : ''}`,
    `  the machine's other threads (besides wrk): ${tail.others.length === 0 ? 'none ran for 1 ms or more' : tail.others.map((t) => `${t.name} ${(t.runNs / 1e6).toFixed(1)} ms in ${t.runs} runs (${(t.runNs / 1e6 / Math.max(1, t.runs)).toFixed(2)} ms a run)`).join(', ')}; a run that does not yield holds its vCPU, and a park queued there waits for it`,
  ];
}

function median(results: Result[]): Result {
  const sorted = [...results].sort((a, b) => a.requestsPerSec - b.requestsPerSec);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/**
 * The table, and each target's verdict on the medians. With several rounds each verdict line also
 * shows its figure round by round: rows of one round ran minutes apart at most, and this kind of
 * machine changes speed between minutes, so the spread says how far to trust the median.
 */
function table(results: Result[], load: Load, rounds: number, byRound: Map<string, Result[]>): string {
  const by = new Map(results.map((r) => [r.scenario, r]));
  const perRound = (figure: (round: number) => number | undefined, digits: number): string => {
    if (rounds < 2) return '';
    const figures = Array.from({ length: rounds }, (_, round) => figure(round)).filter((x): x is number => x !== undefined);
    return `; rounds ${figures.map((x) => x.toFixed(digits)).join(', ')}`;
  };
  const lines = [
    `wrk -t${load.threads} -c${load.connections} -d${load.durationSec}s (after ${load.warmupSec}s warm-up), median of ${rounds} interleaved round(s), loopback, node ${process.version}`,
    '',
    '| scenario | req/s | p50 | p99 | errors | CPU µs per request: server + redis + upstream + rest | the cores allow |',
    '| --- | ---: | ---: | ---: | ---: | --- | ---: |',
    ...results.map((r) => {
      const cpu = r.cpuUsPerRequest;
      const ceiling = cpu && cpuCeiling(cpu);
      const split = cpu && ceiling ? `${ceiling.totalUs} = ${cpu.server} + ${cpu.redis} + ${cpu.upstream} + ${cpu.rest}` : '';
      return `| ${r.scenario} | ${r.requestsPerSec.toFixed(0)} | ${r.p50Ms.toFixed(2)} ms | ${r.p99Ms.toFixed(2)} ms | ${r.errors} | ${split} | ${ceiling ? `${ceiling.perSec}/s` : ''} |`;
    }),
    '',
    `CPU per request is read from /proc over each measured run: the server under test (the gateway or bare hpm, with its workers), redis-server, the upstream, and the rest of the machine (wrk and whatever else runs); "the cores allow" is ${CORES} cores' worth of CPU at that cost.`,
    '',
  ];
  const ratio = (a: string, b: string, target?: number) => {
    const x = by.get(a);
    const y = by.get(b);
    if (!x || !y) return;
    const value = x.requestsPerSec / y.requestsPerSec;
    const rounds = perRound((round) => {
      const [xr, yr] = [byRound.get(a)?.[round], byRound.get(b)?.[round]];
      return xr && yr ? xr.requestsPerSec / yr.requestsPerSec : undefined;
    }, 2);
    const verdict = target === undefined ? '' : `  (target >= ${target}: ${value >= target ? 'met' : 'NOT met'}${rounds})`;
    // Rounded down, so a figure printed at the target is one that met it.
    lines.push(`${a} / ${b}: ${(Math.floor(value * 100) / 100).toFixed(2)}x${verdict}`);
  };
  ratio('gateway GET', 'bare hpm GET', 0.85);
  ratio('gateway POST', 'bare hpm POST', 0.85);
  ratio('gateway publicUrl list GET', 'gateway list GET', 0.9);
  ratio('gateway GET (workers: auto)', 'gateway GET', 1.4);
  ratio('gateway POST (workers: auto)', 'gateway POST', 1.4);
  const park4 = by.get('gateway park (4 conn.)');
  // Rounded up (a ceiling target), so a p99 printed at 5.00 ms is one that met it.
  if (park4) lines.push(`gateway park (4 conn.) p99: ${(Math.ceil(park4.p99Ms * 100) / 100).toFixed(2)} ms  (target <= 5 ms: ${park4.p99Ms <= 5 ? 'met' : 'NOT met'}${perRound((round) => byRound.get(park4.scenario)?.[round]?.p99Ms, 2)})`);
  for (const name of ['gateway park (32 conn.)', 'gateway park (32 conn., workers: auto)']) {
    const park32 = by.get(name);
    if (park32) lines.push(`${name}: ${Math.floor(park32.requestsPerSec)} parks/s  (target >= 3000: ${park32.requestsPerSec >= 3000 ? 'met' : 'NOT met'}${perRound((round) => byRound.get(name)?.[round]?.requestsPerSec, 0)})`);
  }
  for (const floor of ['1', '4']) {
    const park = by.get(`gateway park (${floor} conn.)`);
    const bare = by.get(`park floor: upstream GET (${floor} conn.)`);
    if (park && bare) lines.push(`gateway park (${floor} conn.) p99 ${park.p99Ms.toFixed(2)} ms; this machine's floor, a GET straight to the upstream at ${floor} conn.: p50 ${bare.p50Ms.toFixed(2)} ms, p99 ${bare.p99Ms.toFixed(2)} ms`);
  }
  for (const r of results) {
    const notes = tailNotes(r);
    if (notes.length > 0) lines.push('', ...notes);
  }
  if (results.some((r) => r.tail)) lines.push('');
  ratio('gateway GET (TLS)', 'bare hpm GET (TLS)', 0.85);
  ratio('bare hpm GET', 'upstream GET');
  ratio('bare hpm POST', 'upstream POST');
  if (results.some((r) => r.errors > 0)) lines.push('', 'Some runs had errors (non-2xx/3xx or socket errors): their numbers are not comparable.');
  return lines.join('\n');
}

function numberEnv(name: string, fallback: number): number {
  const value = process.env[name];
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new Error(`${name} must be a number, e.g. ${fallback}`);
  return n;
}

async function orchestrate(): Promise<void> {
  const load: Load = {
    wrk: process.env.WRK_BIN ?? 'wrk',
    // Debian installs it in /usr/sbin, which is not on every user's PATH.
    nginx: process.env.NGINX_BIN ?? (existsSync('/usr/sbin/nginx') ? '/usr/sbin/nginx' : 'nginx'),
    threads: numberEnv('BENCH_THREADS', 2),
    connections: numberEnv('BENCH_CONNECTIONS', 50),
    durationSec: numberEnv('BENCH_DURATION', 10),
    warmupSec: numberEnv('BENCH_WARMUP', 3),
    postScript: '',
    dir: '',
  };
  const rounds = Math.max(1, Math.floor(numberEnv('BENCH_ROUNDS', 3)));
  for (const [bin, what, pkg, knob] of [[load.wrk, 'wrk', 'wrk', 'WRK_BIN'], [load.nginx, 'nginx (the upstream)', 'nginx', 'NGINX_BIN']]) {
    if (spawnSync(bin!, ['-v']).error) {
      process.stderr.write(`bench: ${what} is missing; install it with \`sudo apt-get install ${pkg}\` (or set ${knob})\n`);
      process.exitCode = 1;
      return;
    }
  }

  const dir = mkdtempSync(join(tmpdir(), 'countersign-bench-'));
  load.dir = dir;
  load.postScript = join(dir, 'post.lua');
  writeFileSync(
    load.postScript,
    `wrk.method = "POST"\nwrk.body = ${JSON.stringify(POST_BODY)}\nwrk.headers["Content-Type"] = "application/json"\n`,
  );
  const tokens = join(dir, 'tokens.yaml');
  writeFileSync(tokens, `tokens:\n  - token: ${TOKEN}\n    userId: bench\n    groups: [helpdesk]\n`);
  const tls = selfSigned(dir);

  const { startRedis, randomDeployment } = await import('../test/support/redis-server');
  const redis = await startRedis();
  // The park rows ask redis-server about its scripts' own time (INFO latencystats) over each run.
  const { createClient } = await import('redis');
  const redisInfo = createClient({ url: redis.url });
  await redisInfo.connect();
  // Set once the upstream runs: a signal or a failed start may clean up before it does.
  let stopUpstream = async (): Promise<void> => undefined;
  const cleanup = async () => {
    await stopChildren();
    await stopUpstream();
    await redisInfo.close();
    await redis.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  const onSignal = () => {
    void cleanup().then(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  try {
    // Only the servers the chosen scenarios (BENCH_ONLY) load are started: an idle gateway still
    // runs its background work (sweeper, notification dispatcher), which is noise on 2 cores.
    const only = new RegExp(process.env.BENCH_ONLY ?? '');
    type Server = 'upstream' | 'hpm' | 'gateway' | 'linked' | 'hpmTls' | 'gatewayTls' | 'gatewayWorkers';
    const chosen = ([
      ['upstream GET', 'upstream', GET_PATH, 'get'],
      ['bare hpm GET', 'hpm', GET_PATH, 'get'],
      ['gateway GET', 'gateway', GET_PATH, 'get'],
      ['gateway GET (workers: auto)', 'gatewayWorkers', GET_PATH, 'get'],
      ['upstream POST', 'upstream', POST_PATH, 'post'],
      ['bare hpm POST', 'hpm', POST_PATH, 'post'],
      ['gateway POST', 'gateway', POST_PATH, 'post'],
      ['gateway POST (workers: auto)', 'gatewayWorkers', POST_PATH, 'post'],
      ['park floor: upstream GET (1 conn.)', 'upstream', GET_PATH, 'get', 1],
      ['park floor: upstream GET (4 conn.)', 'upstream', GET_PATH, 'get', 4],
      ['gateway park (1 conn.)', 'gateway', '/', 'park', 1],
      ['gateway park (4 conn.)', 'gateway', '/', 'park', 4],
      ['gateway park (32 conn.)', 'gateway', '/', 'park', 32],
      ['gateway park (32 conn., workers: auto)', 'gatewayWorkers', '/', 'park', 32],
      ['gateway list GET', 'gateway', LIST_PATH, 'get'],
      ['gateway publicUrl list GET', 'linked', LIST_PATH, 'get'],
      ['bare hpm GET (TLS)', 'hpmTls', GET_PATH, 'get'],
      ['gateway GET (TLS)', 'gatewayTls', GET_PATH, 'get'],
    ] as [string, Server, string, Kind, number?][]).filter(([name]) => only.test(name));
    const needed = new Set(chosen.map(([, server]) => server));
    process.stderr.write(`bench: starting ${[...needed].join(', ')} (child processes) and redis-server\n`);
    const urls = new Map<Server, string>();
    const pids = new Map<Server, number>();
    const processes = new Map<Server, ChildProcess>();
    const upstream = await startUpstream(dir, load.nginx);
    stopUpstream = upstream.stop;
    urls.set('upstream', upstream.url);
    const gatewayOptions = (extra: Record<string, unknown> = {}) => JSON.stringify({ upstream: upstream.url, redis: redis.url, tokens, deployment: randomDeployment(), ...extra });
    const starts: Record<Exclude<Server, 'upstream'>, () => Promise<Child>> = {
      hpm: () => startChild('bare hpm', ['hpm', upstream.url]),
      gateway: () => startChild('gateway', ['gateway', gatewayOptions()]),
      linked: () => startChild('gateway publicUrl', ['gateway', gatewayOptions({ publicUrl: PUBLIC_URL })]),
      hpmTls: () => startChild('bare hpm (TLS)', ['hpm', upstream.url, JSON.stringify(tls)]),
      gatewayWorkers: () => startChild('gateway workers', ['gateway', gatewayOptions({ workers: 'auto' })]),
      gatewayTls: () => startChild('gateway (TLS)', ['gateway', gatewayOptions({ tls })]),
    };
    for (const server of Object.keys(starts) as (keyof typeof starts)[]) {
      if (!needed.has(server)) continue;
      const child = await starts[server]();
      urls.set(server, child.url);
      pids.set(server, child.process.pid!);
      processes.set(server, child.process);
    }

    // Each scenario must answer as it should before it is measured: a fast error is not a result.
    const linked = urls.get('linked');
    if (linked) {
      // A figure for rewriting that did not happen would be no figure: the page's links must come back rewritten.
      const page = await fetchText(`${linked}${LIST_PATH}`);
      if (!page.includes(`"@odata.nextLink":"${PUBLIC_URL}/v1.0/`)) throw new Error(`the gateway with upstream.publicUrl did not rewrite the list page's links:\n${page.slice(0, 300)}`);
    }
    const probed = new Set<string>();
    for (const [, server, path, kind] of chosen) {
      const url = `${urls.get(server)!}${kind === 'park' ? `${PARK_PREFIX}probe${process.pid}` : path}`;
      if (probed.has(`${kind} ${url}`)) continue;
      probed.add(`${kind} ${url}`);
      const expected = kind === 'park' ? 202 : 200;
      const status = await probe(url, kind !== 'get', kind === 'park' ? 'PATCH' : undefined);
      if (status !== expected) throw new Error(`the ${server} answered ${status} to ${kind === 'park' ? 'a protected PATCH' : kind.toUpperCase()} ${url}; expected ${expected}`);
    }

    const scenarios: (Scenario & { server: Server })[] = chosen.map(([name, server, path, kind, connections]) => ({ name, server, url: `${urls.get(server)!}${path}`, kind, ...(connections ? { connections } : {}) }));
    const all = new Map<string, Result[]>();
    for (let round = 1; round <= rounds; round++) {
      if (rounds > 1) process.stderr.write(`round ${round}/${rounds}\n`);
      for (const scenario of scenarios) {
        const list = all.get(scenario.name) ?? [];
        // Each row reads the CPU time of its server (absent for the upstream's own rows), redis-server and the upstream.
        const watch = { ...(scenario.server !== 'upstream' ? { server: pids.get(scenario.server)! } : {}), redis: redis.pid!, upstream: upstream.pid };
        // The one-worker gateway's park rows also say where their tail comes from.
        const tailWatch = scenario.kind === 'park' && scenario.server === 'gateway' ? { gateway: processes.get('gateway')!, redis: redisInfo, pids: { gateway: pids.get('gateway')!, redis: redis.pid!, upstream: upstream.pid } } : undefined;
        // Each park row starts from an empty Redis: the rows before it leave up to 240,000 open
        // requests (over a GB) behind, far more than a deployment holds, and on these virtual
        // machines a Redis that size stalls the machine now and then for milliseconds
        // (docs/operations.md). The gateways recreate their outbox group, as after a restart.
        if (scenario.kind === 'park') await redisInfo.sendCommand(['FLUSHALL']);
        const resume = pauseServers([...pids].filter(([server]) => server !== scenario.server).map(([, pid]) => pid));
        try {
          list.push(await measure(load, scenario, watch, tailWatch));
        } finally {
          resume();
        }
        all.set(scenario.name, list);
      }
    }
    const results = scenarios.map(({ name }) => median(all.get(name)!));
    process.stdout.write(`\n${table(results, load, rounds, all)}\n`);
    if (process.argv.includes('--json')) process.stdout.write(`${JSON.stringify({ load: { ...load, postScript: undefined }, rounds, results }, null, 2)}\n`);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await cleanup();
  }
}

function fetchText(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { headers: { authorization: `Bearer ${TOKEN}` } }, (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
        res.once('end', () => resolve(text));
      })
      .once('error', reject);
  });
}

/** A self-signed certificate for 127.0.0.1, as `DEMO_TLS=1` makes one (wrk does not verify it). */
function selfSigned(dir: string): TlsFiles {
  const made = selfsigned.generate([{ name: 'commonName', value: '127.0.0.1' }], {
    keySize: 2048,
    days: 2,
    algorithm: 'sha256',
    extensions: [{ name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }] }],
  });
  const files = { certFile: join(dir, 'cert.pem'), keyFile: join(dir, 'key.pem') };
  writeFileSync(files.certFile, made.cert);
  writeFileSync(files.keyFile, made.private, { mode: 0o600 });
  return files;
}

function probe(url: string, post: boolean, method = post ? 'POST' : 'GET'): Promise<number> {
  return new Promise((resolve, reject) => {
    // The probe checks the answer, not the certificate (wrk does not either).
    const req = (url.startsWith('https:') ? https : http).request(url, {
      rejectUnauthorized: false,
      method,
      headers: { authorization: `Bearer ${TOKEN}`, ...(post ? { 'content-type': 'application/json', 'x-maa-justification': 'benchmark%20probe' } : {}) },
    });
    req.once('response', (res) => {
      res.resume();
      res.once('end', () => resolve(res.statusCode ?? 0));
    });
    req.once('error', reject);
    req.end(post ? POST_BODY : undefined);
  });
}

// ---------------------------------------------------------------- entry

const roleAt = process.argv.indexOf('--role');
if (roleAt === -1) {
  orchestrate().catch(async (error: unknown) => {
    process.stderr.write(`bench: ${error instanceof Error ? error.message : String(error)}\n`);
    await stopChildren();
    process.exit(1);
  });
} else {
  const [role, arg, tlsArg] = process.argv.slice(roleAt + 1);
  const run =
    role === 'hpm' ? runBareHpm(arg!, tlsArg ? (JSON.parse(tlsArg) as TlsFiles) : undefined) : role === 'gateway' ? runGateway(JSON.parse(arg!)) : Promise.reject(new Error(`unknown role ${role}`));
  run.catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  });
}
