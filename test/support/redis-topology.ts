/**
 * Real Redis topologies on loopback ports, from the Debian `redis-server` and `redis-cli`, for the
 * topology tests (test/topologies/) and `npm run bench:scale`: a Redis Cluster (3 primaries, with
 * one replica each by default, made by `redis-cli --cluster create`) and a Sentinel deployment
 * (one primary, one replica, three sentinels). No persistence: what survives the loss of a
 * primary is what reached its replica, which is exactly what `redis.durability` is about.
 * Everything a topology starts, close() kills, and its files go with it.
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { canConnect, freePort } from '../../src/demo/local-ports';

const run = promisify(execFile);
const REDIS_SERVER = process.env.REDIS_SERVER_BIN ?? 'redis-server';
const REDIS_CLI = process.env.REDIS_CLI_BIN ?? 'redis-cli';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One redis-server (or sentinel) process on a loopback port. */
export class RedisProcess {
  private child?: ChildProcess;
  constructor(
    readonly port: number,
    private args: string[],
  ) {}

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    this.child = spawn(REDIS_SERVER, this.args, { stdio: 'ignore' });
    const until = Date.now() + 10_000;
    while (Date.now() < until) {
      if (this.child.exitCode !== null) throw new Error(`redis-server ${this.args.join(' ')} exited with ${this.child.exitCode}`);
      if (await canConnect(this.port)) return;
      await sleep(25);
    }
    throw new Error(`redis-server did not start on port ${this.port}`);
  }

  /** Starts it again on the same port and files, with `extraArgs` added (e.g. `--replicaof host port`). */
  async restart(extraArgs: string[] = []): Promise<void> {
    await this.kill();
    const base = this.args;
    this.args = [...base, ...extraArgs];
    try {
      await this.start();
    } finally {
      this.args = base;
    }
  }

  /** SIGKILL, and waits until it is gone: a crash, not a shutdown. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
    this.child = undefined;
  }

  /** Runs redis-cli against this process; returns its output. */
  async cli(...args: string[]): Promise<string> {
    const { stdout } = await run(REDIS_CLI, ['-h', '127.0.0.1', '-p', String(this.port), ...args]);
    return stdout;
  }
}

/** The options every data node gets: loopback only, no persistence, no protected-mode surprises. */
function dataNodeArgs(port: number, dir: string): string[] {
  return ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no', '--protected-mode', 'no'];
}

export interface ClusterTopology {
  /** The primaries' and replicas' addresses, `127.0.0.1:<port>` (seeds for `redis.nodes`). */
  nodes: string[];
  processes: RedisProcess[];
  close(): Promise<void>;
}

/**
 * A Redis Cluster of `primaries` primaries with `replicas` replicas each, ready (cluster_state:ok,
 * every slot covered) when it returns.
 * @example const cluster = await startCluster(); // cluster.nodes → ['127.0.0.1:40001', …]
 */
export async function startCluster(options: { primaries?: number; replicas?: number } = {}): Promise<ClusterTopology> {
  const primaries = options.primaries ?? 3;
  const replicas = options.replicas ?? 1;
  const dir = mkdtempSync(join(tmpdir(), 'countersign-cluster-'));
  const processes: RedisProcess[] = [];
  const close = async () => {
    await Promise.all(processes.map((p) => p.kill()));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (let i = 0; i < primaries * (1 + replicas); i++) {
      const port = await freePort();
      const node = new RedisProcess(port, [
        ...dataNodeArgs(port, dir),
        '--cluster-enabled', 'yes',
        '--cluster-config-file', join(dir, `nodes-${port}.conf`),
        '--cluster-node-timeout', '2000',
      ]);
      await node.start();
      processes.push(node);
    }
    const nodes = processes.map((p) => p.address);
    await run(REDIS_CLI, ['--cluster', 'create', ...nodes, '--cluster-replicas', String(replicas), '--cluster-yes']);
    // `--cluster create` returns once the slots are assigned; every node must agree before clients come.
    const until = Date.now() + 20_000;
    for (const node of processes) {
      for (;;) {
        const info = await node.cli('CLUSTER', 'INFO');
        if (/cluster_state:ok/.test(info) && /cluster_slots_assigned:16384/.test(info)) break;
        if (Date.now() > until) throw new Error(`cluster node ${node.address} not ready: ${info}`);
        await sleep(100);
      }
    }
    // Replicas must have finished their first sync, or WAIT would count none.
    for (const node of processes) {
      for (;;) {
        const info = await node.cli('INFO', 'replication');
        if (/role:master/.test(info) ? new RegExp(`connected_slaves:${replicas}`).test(info) : /master_link_status:up/.test(info)) break;
        if (Date.now() > until) throw new Error(`cluster node ${node.address} replication not up: ${info}`);
        await sleep(100);
      }
    }
    return { nodes, processes, close };
  } catch (error) {
    await close();
    throw error;
  }
}

export interface SentinelTopology {
  /** The sentinels' addresses, `127.0.0.1:<port>` (for `redis.nodes`). */
  sentinels: string[];
  masterName: string;
  primary: RedisProcess;
  replica: RedisProcess;
  sentinelProcesses: RedisProcess[];
  /** The address the sentinels name as primary now. */
  currentPrimary(): Promise<string>;
  close(): Promise<void>;
}

/**
 * One primary, one replica and three sentinels (quorum 2) that call the primary down after
 * `downAfterMs` without an answer and then promote the replica.
 * @example const s = await startSentinel(); await s.primary.kill(); // the replica takes over
 */
export async function startSentinel(options: { downAfterMs?: number; masterName?: string } = {}): Promise<SentinelTopology> {
  const masterName = options.masterName ?? 'countersign';
  const downAfterMs = options.downAfterMs ?? 1000;
  const dir = mkdtempSync(join(tmpdir(), 'countersign-sentinel-'));
  const all: RedisProcess[] = [];
  const close = async () => {
    await Promise.all(all.map((p) => p.kill()));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const primaryPort = await freePort();
    const primary = new RedisProcess(primaryPort, dataNodeArgs(primaryPort, dir));
    await primary.start();
    all.push(primary);
    const replicaPort = await freePort();
    const replica = new RedisProcess(replicaPort, [...dataNodeArgs(replicaPort, dir), '--replicaof', '127.0.0.1', String(primaryPort)]);
    await replica.start();
    all.push(replica);
    const until = Date.now() + 20_000;
    while (!/master_link_status:up/.test(await replica.cli('INFO', 'replication'))) {
      if (Date.now() > until) throw new Error('replica did not sync');
      await sleep(50);
    }
    const sentinelProcesses: RedisProcess[] = [];
    for (let i = 0; i < 3; i++) {
      const port = await freePort();
      // A sentinel rewrites its own config file, so each gets one.
      const file = join(dir, `sentinel-${port}.conf`);
      writeFileSync(
        file,
        [
          `port ${port}`,
          'bind 127.0.0.1',
          'protected-mode no',
          `dir ${dir}`,
          `sentinel monitor ${masterName} 127.0.0.1 ${primaryPort} 2`,
          `sentinel down-after-milliseconds ${masterName} ${downAfterMs}`,
          `sentinel failover-timeout ${masterName} 10000`,
          `sentinel parallel-syncs ${masterName} 1`,
          '',
        ].join('\n'),
      );
      const sentinel = new RedisProcess(port, [file, '--sentinel']);
      await sentinel.start();
      all.push(sentinel);
      sentinelProcesses.push(sentinel);
    }
    // The sentinels must know the replica and each other before a failover can succeed.
    for (const sentinel of sentinelProcesses) {
      for (;;) {
        const out = await sentinel.cli('SENTINEL', 'MASTER', masterName);
        const fields = out.trim().split('\n');
        const get = (name: string) => fields[fields.indexOf(name) + 1];
        if (get('num-slaves') === '1' && get('num-other-sentinels') === '2') break;
        if (Date.now() > until) throw new Error(`sentinel ${sentinel.address} does not see the replica and the other sentinels yet`);
        await sleep(100);
      }
    }
    return {
      sentinels: sentinelProcesses.map((s) => s.address),
      masterName,
      primary,
      replica,
      sentinelProcesses,
      async currentPrimary() {
        const [host, port] = (await sentinelProcesses[0]!.cli('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', masterName)).trim().split('\n');
        return `${host}:${port}`;
      },
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}
