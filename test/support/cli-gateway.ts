/**
 * For the CLI's tests: a real gateway (its own redis-server, the real policy, the demo's tokens)
 * in front of a small upstream whose answers the test writes, and the `countersign` CLI run
 * in-process against it. Everything it starts, close() stops.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { run, type CliIo } from '../../src/cli/approval-commands';
import { loadGatewayConfig } from '../../src/config/gateway-config';
import { DEMO_TOKENS_FILE } from '../../src/demo/start-demo';
import { startGateway, type RunningGateway } from '../../src/main';
import { randomDeployment, startRedis } from './redis-server';

export interface CliGateway {
  gateway: RunningGateway;
  /** Where its Redis is and its keys' deployment, for tests that look at (or tamper with) what is stored. */
  redis: { url: string; deployment: string };
  /** Runs `countersign <args>` with COUNTERSIGN_URL at the gateway and the given token. */
  cli(token: string, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }>;
  close(): Promise<void>;
}

/**
 * @example const g = await startCliGateway((req, res) => res.writeHead(204).end()); await g.cli('demo-bob', 'approve', id);
 */
export async function startCliGateway(respond: (req: IncomingMessage, res: ServerResponse) => void): Promise<CliGateway> {
  const redis = await startRedis();
  const deployment = randomDeployment();
  // The upstream answers once the replayed body has arrived. The gateway's own reads of an object
  // (its snapshot at park and at complete, `X-MAA-Read: snapshot`) get a fixed object, so `respond`
  // sees only what clients caused, as with test/support/upstream.ts.
  const upstream = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      if (req.headers['x-maa-read'] === 'snapshot') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"id":"42","displayName":"As it is upstream"}');
        return;
      }
      respond(req, res);
    });
  });
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', () => r()));
  const gateway = await startGateway(
    loadGatewayConfig({
      env: {},
      overrides: {
        listen: { host: '127.0.0.1', port: 0 },
        upstream: { url: `http://127.0.0.1:${(upstream.address() as AddressInfo).port}` },
        redis: { url: redis.url, deployment },
        identity: { staticTokensFile: DEMO_TOKENS_FILE },
        log: { level: 'silent' },
      },
    }),
  );
  return {
    gateway,
    redis: { url: redis.url, deployment },
    async cli(token, ...args) {
      let stdout = '';
      let stderr = '';
      const io: CliIo = { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), env: { COUNTERSIGN_URL: gateway.url, COUNTERSIGN_TOKEN: token } };
      return { code: await run(args, io), stdout, stderr };
    },
    async close() {
      await gateway.close();
      await new Promise<void>((r) => upstream.close(() => r()));
      await redis.stop();
    },
  };
}
