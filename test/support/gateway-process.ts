/**
 * A gateway as its own process (`node --import tsx src/main.ts`), configured only through its
 * environment as an operator would, for the topology tests and `npm run bench:scale`: two of them
 * on one Redis topology are two gateways behind a load balancer. The policy is built once into a
 * bundle file (`countersign policy build`) that every process loads, so no process runs OPA.
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { PROJECT_ROOT } from '../../src/config/gateway-config';
import { freePort } from '../../src/demo/local-ports';

const run = promisify(execFile);

/** Tokens of config/demo/tokens.yaml: alice makes changes, bob approves apps. */
export const DEMO = { alice: 'Bearer demo-alice', bob: 'Bearer demo-bob' } as const;

/** Builds the policy bundle once; returns its path and a cleanup. */
export async function buildPolicyBundle(): Promise<{ path: string; dir: string; remove(): void }> {
  const dir = mkdtempSync(join(tmpdir(), 'countersign-bundle-'));
  const path = join(dir, 'policy.tar.gz');
  await run(process.execPath, [join(PROJECT_ROOT, 'bin/countersign.mjs'), 'policy', 'build', '--out', path], { cwd: PROJECT_ROOT });
  return { path, dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface GatewayProcess {
  url: string;
  stderr(): string;
  stop(): Promise<void>;
}

/**
 * Starts one gateway process and waits until /readyz answers 200 (policy loaded, Redis ready).
 * `env` holds the topology's settings (REDIS_MODE, REDIS_NODES, …).
 */
export async function startGatewayProcess(options: { upstreamUrl: string; bundlePath: string; deployment: string; env: Record<string, string> }): Promise<GatewayProcess> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'countersign-gwp-'));
  const configFile = join(dir, 'gateway.yaml');
  writeFileSync(configFile, '{}\n');
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', join(PROJECT_ROOT, 'src/main.ts')], {
    cwd: PROJECT_ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      COUNTERSIGN_CONFIG: configFile,
      COUNTERSIGN_HOST: '127.0.0.1',
      PORT: String(port),
      COUNTERSIGN_UPSTREAM_URL: options.upstreamUrl,
      COUNTERSIGN_STATIC_TOKENS: join(PROJECT_ROOT, 'config/demo/tokens.yaml'),
      COUNTERSIGN_POLICY_BUNDLE: options.bundlePath,
      COUNTERSIGN_DEPLOYMENT: options.deployment,
      COUNTERSIGN_LOG_LEVEL: 'warn',
      ...options.env,
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-20_000);
  });
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const until = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) {
      await stop();
      throw new Error(`gateway process exited with ${child.exitCode}: ${stderr}`);
    }
    try {
      if ((await fetch(`${url}/readyz`)).status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > until) {
      await stop();
      throw new Error(`gateway process not ready: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { url, stderr: () => stderr, stop };
}

/** The calls a test or benchmark makes, with the demo's tokens. */
export async function park(gateway: string, objectId: string): Promise<{ status: number; id?: string }> {
  const res = await fetch(`${gateway}/deviceAppManagement/mobileApps/${objectId}`, {
    method: 'PATCH',
    headers: { authorization: DEMO.alice, 'content-type': 'application/json', 'x-maa-justification': 'topology%20test' },
    body: JSON.stringify({ displayName: `app ${objectId}` }),
  });
  const body = (await res.json().catch(() => ({}))) as { requestId?: string };
  return { status: res.status, ...(body.requestId ? { id: body.requestId } : {}) };
}

export async function act(gateway: string, id: string, action: 'approve' | 'complete', init: { signal?: AbortSignal } = {}): Promise<number> {
  const res = await fetch(`${gateway}/maa/v1/requests/${id}/${action}`, {
    method: 'POST',
    headers: { authorization: action === 'approve' ? DEMO.bob : DEMO.alice, 'content-type': 'application/json' },
    body: action === 'approve' ? JSON.stringify({ notes: 'ok' }) : '{}',
    ...init,
  });
  await res.arrayBuffer();
  return res.status;
}

export async function statusOf(gateway: string, id: string): Promise<string | number> {
  const res = await fetch(`${gateway}/maa/v1/requests/${id}`, { headers: { authorization: DEMO.alice } });
  if (res.status !== 200) return res.status;
  return ((await res.json()) as { status: string }).status;
}
