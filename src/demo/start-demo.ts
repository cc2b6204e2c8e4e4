/**
 * Starts the whole demo in one process: OPA (built if missing), Redis (REDIS_URL, or a
 * `redis-server` child with append-only persistence under `.data/demo-redis`), the demo Graph API,
 * and the gateway in front of it with the demo's static tokens; with `tls`, the gateway serves HTTPS
 * with a throwaway self-signed certificate for localhost. The gateway answers as Microsoft Graph
 * under Intune Multi Admin Approval does (`parkedResponse: approvalRequired`) and keeps links
 * behind itself (`upstream.publicUrl`), so Graph SDKs meet what they would meet in production
 * (docs/graph.md). `stop()` ends everything it started, in reverse order.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { get as httpGet } from 'node:http';
import { get as httpsGet } from 'node:https';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import selfsigned from 'selfsigned';
import { ConfigError, loadGatewayConfig } from '../config/gateway-config';
import { readTlsFiles } from '../config/tls-files';
import { startGateway } from '../main';
import { ensureOpa } from '../policy/opa-cli';
import { startGraphApi } from './graph-api';
import { canConnect, freePort } from './local-ports';

/** The repository root; the demo's files are found relative to it wherever npm is run from. */
export const DEMO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const DEMO_TOKENS_FILE = join(DEMO_ROOT, 'config/demo/tokens.yaml');

export interface DemoOptions {
  /** Gateway port; default 8080, 0 picks a free one. */
  port?: number;
  /** Use this Redis instead of starting one; default $REDIS_URL. */
  redisUrl?: string;
  /** Gateway logs on stdout (pino, info); default off. */
  log?: boolean;
  /** Where the demo's own redis-server keeps its data; default $COUNTERSIGN_DEMO_DATA_DIR or .data/demo-redis. */
  dataDir?: string;
  /** Serve the gateway on https with a self-signed certificate for localhost (`DEMO_TLS=1`); default off. */
  tls?: boolean;
  /** Where that certificate is kept (and reused while valid); default $COUNTERSIGN_DEMO_TLS_DIR or .data/demo-tls. */
  tlsDir?: string;
}

export interface Demo {
  gatewayUrl: string;
  upstreamUrl: string;
  redisUrl: string;
  /** Whether the demo started its own redis-server (and stops it), rather than use REDIS_URL. */
  ownRedis: boolean;
  /** The Redis hash tag of this run (a fresh one each run, see below). */
  deployment: string;
  /** With `tls`: the self-signed certificate clients must trust (`curl --cacert`, `NODE_EXTRA_CA_CERTS`). */
  certFile?: string;
  stop(): Promise<void>;
}

export class DemoError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DemoError';
  }
}


function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * The demo's own redis-server: loopback only, append-only file in `dataDir`. A lock file keeps
 * two demos from writing the same append-only file at once.
 */
async function startOwnRedis(dataDir: string): Promise<{ url: string; stop(): Promise<void> }> {
  mkdirSync(dataDir, { recursive: true });
  const lock = join(dataDir, 'demo.lock');
  if (existsSync(lock)) {
    // "<demo pid> <redis-server pid>": a redis-server left behind by a killed demo still writes here too.
    const pids = readFileSync(lock, 'utf8').trim().split(/\s+/).map(Number);
    const alive = pids.find((pid) => Number.isInteger(pid) && pid > 0 && pid !== process.pid && pidAlive(pid));
    if (alive !== undefined) {
      throw new DemoError(`demo: process ${alive} (another demo or its redis-server) uses ${dataDir}; stop it first, or set REDIS_URL or COUNTERSIGN_DEMO_DATA_DIR`);
    }
  }
  writeFileSync(lock, `${process.pid}\n`);
  // Each run starts clean: a demo's requests live for that run, and an append-only file kept across
  // runs only grows (every run had its own namespace; hundreds of MB after a benchmark) and makes
  // Redis load it all before the first call is served.
  rmSync(join(dataDir, 'appendonlydir'), { recursive: true, force: true });
  rmSync(join(dataDir, 'dump.rdb'), { force: true });

  const port = await freePort();
  const bin = process.env.REDIS_SERVER_BIN ?? 'redis-server';
  const child: ChildProcess = spawn(
    bin,
    ['--port', String(port), '--bind', '127.0.0.1', '--dir', dataDir, '--appendonly', 'yes', '--save', '', '--daemonize', 'no'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-4000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const spawnError = new Promise<Error>((resolveError) => child.once('error', resolveError));
  if (child.pid) writeFileSync(lock, `${process.pid} ${child.pid}\n`);

  const release = () => rmSync(lock, { force: true });
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      // SIGTERM lets Redis flush the append-only file; SIGKILL only if it hangs.
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
    release();
  };

  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const failed = await Promise.race([spawnError, new Promise<undefined>((r) => setTimeout(() => r(undefined), 50))]);
    if (failed) {
      release();
      if ((failed as NodeJS.ErrnoException).code === 'ENOENT') {
        throw new DemoError(
          `demo: ${bin} was not found. Install Redis (Debian/Ubuntu: sudo apt-get install redis-server; macOS: brew install redis), ` +
            'or set REDIS_URL to a Redis you already run (e.g. REDIS_URL=redis://127.0.0.1:6379 npm run demo)',
        );
      }
      throw new DemoError(`demo: could not start ${bin}: ${failed.message}`);
    }
    if (child.exitCode !== null) {
      release();
      throw new DemoError(`demo: redis-server exited with ${child.exitCode}:\n${output.trim()}`);
    }
    if (await canConnect(port)) return { url: `redis://127.0.0.1:${port}`, stop };
  }
  await stop();
  throw new DemoError(`demo: redis-server did not accept connections on port ${port} within 10 s`);
}

/** How long the demo waits for the gateway's /readyz to answer 200 before giving up. */
const READY_TIMEOUT_MS = 30_000;

/** Polls `<gatewayUrl>/readyz` until it answers 200 (Redis connected and loaded, policy built). */
async function waitReady(gatewayUrl: string, certFile?: string): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  const ca = certFile === undefined ? undefined : readFileSync(certFile);
  let last = 'no answer';
  while (Date.now() < deadline) {
    last = await new Promise<string>((done) => {
      const get = gatewayUrl.startsWith('https:') ? httpsGet : httpGet;
      const req = get(`${gatewayUrl}/readyz`, { ...(ca ? { ca } : {}), timeout: 2000 }, (res) => {
        res.resume();
        done(String(res.statusCode));
      });
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', (error) => done(error.message));
    });
    if (last === '200') return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new DemoError(`demo: the gateway's ${gatewayUrl}/readyz did not answer 200 within ${READY_TIMEOUT_MS / 1000} s (last: ${last})`);
}

/** The names the demo's certificate is valid for: what the banner prints and what browsers and curl check. */
const DEMO_TLS_NAMES = ['DNS:localhost', 'IP Address:127.0.0.1'];
/** A certificate closer than this to its end is replaced rather than reused. */
const RENEW_BEFORE_MS = 24 * 60 * 60 * 1000;

/**
 * The demo's self-signed certificate for localhost and 127.0.0.1, kept in `dir` and reused while it
 * is valid for another day, so a client told to trust it keeps trusting it across runs.
 * @example
 * const { certFile, keyFile } = demoCertificate('.data/demo-tls');
 */
export function demoCertificate(dir: string): { certFile: string; keyFile: string } {
  const certFile = join(dir, 'cert.pem');
  const keyFile = join(dir, 'key.pem');
  if (existsSync(certFile) && existsSync(keyFile)) {
    try {
      const { certificate } = readTlsFiles({ certFile, keyFile });
      const names = certificate.subjectAltName?.split(', ') ?? [];
      if (certificate.notAfter.getTime() - Date.now() > RENEW_BEFORE_MS && DEMO_TLS_NAMES.every((n) => names.includes(n))) return { certFile, keyFile };
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      // Unreadable or broken: made afresh below.
    }
  }
  mkdirSync(dir, { recursive: true });
  const made = selfsigned.generate([{ name: 'commonName', value: 'localhost' }, { name: 'organizationName', value: 'Countersign demo' }], {
    keySize: 2048,
    days: 90,
    algorithm: 'sha256',
    extensions: [
      // Its own CA, so `curl --cacert` and NODE_EXTRA_CA_CERTS can trust it directly.
      { name: 'basicConstraints', cA: true },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, keyCertSign: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames: [{ type: 2, value: 'localhost' }, { type: 7, ip: '127.0.0.1' }] },
    ],
  });
  writeFileSync(keyFile, made.private, { mode: 0o600 });
  writeFileSync(certFile, made.cert);
  return { certFile, keyFile };
}

/**
 * Starts the demo. Every run uses a fresh Redis deployment name (`demo-<time>`): the demo Graph API
 * starts from its seed each time, so requests of an earlier run (kept by the append-only file) must
 * not hold locks on objects of this one.
 *
 * @example
 * const demo = await startDemo({ port: 0 });
 * await fetch(`${demo.gatewayUrl}/deviceAppManagement/mobileApps`, { headers: { authorization: 'Bearer demo-alice' } });
 * await demo.stop();
 */
export async function startDemo(options: DemoOptions = {}): Promise<Demo> {
  const stack: (() => Promise<void>)[] = [];
  const stopAll = async () => {
    while (stack.length > 0) {
      const stop = stack.pop()!;
      try {
        await stop();
      } catch (error) {
        process.stderr.write(`demo: while stopping: ${(error as Error).message}\n`);
      }
    }
  };
  try {
    try {
      ensureOpa();
    } catch {
      throw new DemoError('demo: could not build OPA. Install Go (https://go.dev/dl/) or set OPA_BIN to an OPA 1.x binary, then run npm run demo again');
    }

    let redisUrl = options.redisUrl ?? process.env.REDIS_URL;
    if (!redisUrl) {
      const dataDir = resolve(options.dataDir ?? process.env.COUNTERSIGN_DEMO_DATA_DIR ?? join(DEMO_ROOT, '.data/demo-redis'));
      const redis = await startOwnRedis(dataDir);
      stack.push(redis.stop);
      redisUrl = redis.url;
    }

    const graph = await startGraphApi(0);
    stack.push(graph.close);

    const deployment = `demo-${Date.now().toString(36)}`;
    const tls = options.tls ? demoCertificate(resolve(options.tlsDir ?? process.env.COUNTERSIGN_DEMO_TLS_DIR ?? join(DEMO_ROOT, '.data/demo-tls'))) : undefined;
    // The public URL names the port, so port 0 is resolved first: links in answers must point at
    // the port the gateway really listens on.
    const port = options.port === 0 ? await freePort() : (options.port ?? 8080);
    // localhost, as the banner and the README's walkthrough spell it (the certificate covers it too).
    const publicUrl = `${tls ? 'https' : 'http'}://localhost:${port}`;
    const config = loadGatewayConfig({
      env: process.env,
      overrides: {
        // The demo's tokens are public: listen on loopback only.
        listen: { host: '127.0.0.1', port, ...(tls ? { tls } : {}) },
        // Links the demo Graph API writes (@odata.nextLink, Location) lead back to the gateway.
        upstream: { url: graph.url, publicUrl },
        redis: { url: redisUrl, deployment },
        identity: { staticTokensFile: DEMO_TOKENS_FILE },
        // A parked change is refused in Graph's error shape so SDKs throw; resent with its approval
        // code once approved, it is applied (docs/graph.md).
        requests: { parkedResponse: 'approvalRequired' },
        console: { enabled: true, showDemoIdentities: true },
        log: { level: options.log ? 'info' : 'silent' },
      },
    });
    const gateway = await startGateway(config);
    stack.push(gateway.close);
    // The banner is printed when this returns: the first call a reader copies must not get 503.
    await waitReady(gateway.url, tls?.certFile);

    return {
      gatewayUrl: gateway.url,
      upstreamUrl: graph.url,
      redisUrl,
      ownRedis: !(options.redisUrl ?? process.env.REDIS_URL),
      deployment,
      ...(tls ? { certFile: tls.certFile } : {}),
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
