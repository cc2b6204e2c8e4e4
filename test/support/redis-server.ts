/**
 * Starts a real `redis-server` on a free loopback port for one test file, with no
 * persistence, and stops or kills it for fault tests. Every test gets its own deployment
 * name (hash tag) so tests never see each other's keys.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { canConnect, freePort } from '../../src/demo/local-ports';

export { canConnect, freePort };

export class TestRedis {
  private child?: ChildProcess;
  constructor(readonly port: number) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** The server's process id while it runs (bench:gateway reads its CPU time). */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Starts (or restarts, on the same port) the server and waits until it accepts connections. */
  async start(): Promise<void> {
    const bin = process.env.REDIS_SERVER_BIN ?? 'redis-server';
    this.child = spawn(bin, ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
      stdio: 'ignore',
    });
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      if (this.child.exitCode !== null) throw new Error(`redis-server exited with ${this.child.exitCode}`);
      if (await canConnect(this.port)) return;
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error(`redis-server did not start on port ${this.port}`);
  }

  /** Kills the server (SIGKILL) and waits until it is gone: a crash, not a shutdown. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
    this.child = undefined;
  }

  stop(): Promise<void> {
    return this.kill();
  }
}

export async function startRedis(): Promise<TestRedis> {
  const redis = new TestRedis(await freePort());
  await redis.start();
  return redis;
}

/** A fresh deployment name, so keys of one test never meet another's. */
export function randomDeployment(): string {
  return `t${randomBytes(6).toString('hex')}`;
}
