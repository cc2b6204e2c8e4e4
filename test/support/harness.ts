/**
 * Builds a real gateway for tests: the real policy (OPA-built Wasm from policies/ and config/),
 * a real redis-server (one per test file), static-token identity from a temp file, a fresh
 * deployment (hash tag) and a fresh counting upstream per test. Everything it opens, close() closes.
 */
import { after, afterEach, before, beforeEach } from 'node:test';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import pino from 'pino';
import supertest from 'supertest';
import { loadGatewayConfig, PROJECT_ROOT, type DeepPartial } from '../../src/config/gateway-config';
import type { GatewayConfig } from '../../src/config/types';
import { createGateway, type Gateway, type GatewayDeps } from '../../src/server';
import { createIdentity } from '../../src/identity/create-identity';
import type { Identity } from '../../src/identity/types';
import { createPolicyEngine } from '../../src/policy/engine';
import type { PolicyEngine } from '../../src/policy/types';
import { createRequestStore } from '../../src/requests/redis-store';
import type { RequestStore } from '../../src/requests/types';
import { randomDeployment, startRedis, type TestRedis } from './redis-server';
import { startUpstream, type TestUpstream } from './upstream';

/** Tokens of the tests; `T.alice` is the Authorization header value. */
export const USERS = {
  alice: { token: 'test-token-alice', userId: 'alice', groups: ['helpdesk'] },
  bob: { token: 'test-token-bob', userId: 'bob', groups: ['app-approvers', 'script-approvers'] },
  carol: { token: 'test-token-carol', userId: 'carol', groups: ['app-approvers', 'helpdesk'] },
  dave: { token: 'test-token-dave', userId: 'dave', groups: ['policy-approvers'] },
  erin: { token: 'test-token-erin', userId: 'erin', groups: ['auditors'] },
  mallory: { token: 'test-token-mallory', userId: 'mallory', groups: ['helpdesk'] },
  frank: { token: 'test-token-frank', userId: 'frank', groups: ['group-approvers', 'role-approvers'] },
  heidi: { token: 'test-token-heidi', userId: 'heidi', groups: ['security-approvers'] },
  grace: { token: 'test-token-grace', userId: 'grace', groups: ['compliance-approvers', 'configuration-approvers', 'device-action-approvers', 'tenant-approvers'] },
} as const;
export type UserName = keyof typeof USERS;
export const auth = (user: UserName): string => `Bearer ${USERS[user].token}`;

/** What one test file shares: redis-server, the policy engine, identity. */
export interface Suite {
  configDir: string;
  redis: TestRedis;
  policy: PolicyEngine;
  identity: Identity;
  close(): Promise<void>;
}

/** `configDir` replaces config/ (access policies, profile types, roles) for tests that need other policies. */
export async function startSuite(options: { configDir?: string } = {}): Promise<Suite> {
  const dir = mkdtempSync(join(tmpdir(), 'countersign-gw-'));
  const tokensFile = join(dir, 'tokens.yaml');
  writeFileSync(
    tokensFile,
    `tokens:\n${Object.values(USERS).map((u) => `  - { token: ${u.token}, userId: ${u.userId}, groups: [${u.groups.join(', ')}] }`).join('\n')}\n`,
  );
  const identity = await createIdentity({ staticTokensFile: tokensFile });
  const configDir = options.configDir ?? join(PROJECT_ROOT, 'config');
  const policy = await createPolicyEngine({ policiesDir: join(PROJECT_ROOT, 'policies'), configDir });
  const redis = await startRedis();
  return {
    configDir,
    redis,
    policy,
    identity,
    async close() {
      await policy.close();
      await identity.close();
      await redis.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Registers a test file's hooks: one Suite (redis-server, policy, identity) per file and a fresh
 * Harness per test, closed after it even when the test replaced it with one of other settings.
 * @example let h: Harness; const files = useHarness({ get: () => h, set: (next) => (h = next) });
 */
export function useHarness(current: { get(): Harness; set(next: Harness): void }, options: { each?: (h: Harness) => void } = {}): { readonly suite: Suite } {
  let suite: Suite | undefined;
  before(async () => {
    suite = await startSuite();
  });
  after(async () => {
    await suite?.close();
  });
  beforeEach(async () => {
    const h = await startHarness(suite!);
    options.each?.(h);
    current.set(h);
  });
  afterEach(async () => {
    await current.get().close();
  });
  return {
    get suite() {
      return suite!;
    },
  };
}

export interface Harness {
  gateway: Gateway;
  config: GatewayConfig;
  store: RequestStore;
  upstream: TestUpstream;
  /** supertest agent on the listening gateway. */
  http: supertest.Agent;
  baseUrl: string;
  /** Every log line the gateway wrote, as text. */
  logs: string[];
  close(): Promise<void>;
}

export async function startHarness(
  suite: Suite,
  overrides: DeepPartial<GatewayConfig> = {},
  parts: { policy?: PolicyEngine; identity?: Identity; notifications?: GatewayDeps['notifications'] } = {},
): Promise<Harness> {
  const upstream = await startUpstream();
  const deployment = randomDeployment();
  const config = loadGatewayConfig({
    file: join(PROJECT_ROOT, 'config/gateway.yaml'),
    env: {},
    overrides: {
      ...overrides,
      listen: { host: '127.0.0.1', port: 0 },
      upstream: { url: upstream.url, timeoutMs: 5_000, caseInsensitivePaths: true, ...overrides.upstream },
      redis: { url: suite.redis.url, deployment },
      policy: { policiesDir: join(PROJECT_ROOT, 'policies'), configDir: suite.configDir, watch: false },
      identity: { staticTokensFile: join(PROJECT_ROOT, 'config/demo/tokens.yaml') },
      console: { enabled: false, showDemoIdentities: false, ...overrides.console },
      requests: { ...overrides.requests },
    },
  });
  const store = await createRequestStore({
    url: suite.redis.url,
    deployment,
    retention: { openMs: config.requests.retentionMs, approvedMs: config.requests.approvedRetentionMs, endedMs: config.requests.endedRetentionMs },
  });
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      logs.push(chunk.toString('utf8'));
      cb();
    },
  });
  const logger = pino({ level: 'info' }, sink);
  const gateway = createGateway({
    config,
    policy: parts.policy ?? suite.policy,
    store,
    identity: parts.identity ?? suite.identity,
    logger,
    ...(parts.notifications ? { notifications: parts.notifications } : {}),
  });
  await new Promise<void>((resolve) => gateway.server.listen(0, '127.0.0.1', () => resolve()));
  const baseUrl = `http://127.0.0.1:${(gateway.server.address() as AddressInfo).port}`;
  return {
    gateway,
    config,
    store,
    upstream,
    http: supertest.agent(baseUrl),
    baseUrl,
    logs,
    async close() {
      await gateway.close();
      await store.close();
      await upstream.stop();
    },
  };
}
