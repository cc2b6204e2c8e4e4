/**
 * Which Redis the store talks to, and the one client for it: a single server (`createClient`), a
 * Sentinel-watched primary (`createSentinel`) or a Redis Cluster (`createCluster`), all node-redis's
 * own. Every key of a deployment shares one hash tag (src/requests/keys.ts), so every command and
 * script of the store goes to one primary whatever the topology: on a Cluster, the primary of the
 * tag's slot; behind Sentinel, the primary the sentinels name. The store only sees `StoreClient`.
 */
import { createClient, createCluster, createSentinel, type RedisArgument } from 'redis';
import type { Logger } from 'pino';
import { redisScripts, type Scripts } from './scripts';

/** What the store passes with a command: the call's deadline, and buffers instead of strings for bodies. */
export type CommandOptions = NonNullable<Parameters<ReturnType<typeof createClient>['sendCommand']>[1]>;

export type RedisMode = 'single' | 'sentinel' | 'cluster';

/** Where Redis is, per mode. */
export type RedisTopology =
  | { mode: 'single'; url: string }
  /**
   * `sentinels`: `host:port` of some sentinels (three is enough to find the rest); `masterName` as in
   * `sentinel monitor <name> …`; `url`: only its scheme (`rediss:` for TLS), user and password count,
   * given to every data node.
   */
  | { mode: 'sentinel'; sentinels: string[]; masterName: string; url?: string }
  /** `nodes`: `host:port` of some cluster nodes (the rest are discovered); `url` as for sentinel. */
  | { mode: 'cluster'; nodes: string[]; url?: string };

/** The few things the store needs from a client, the same for the three topologies. */
export interface StoreClient {
  readonly isReady: boolean;
  connect(): Promise<unknown>;
  /** One command, sent to the primary holding the deployment's keys. */
  sendCommand(args: RedisArgument[], options: CommandOptions): Promise<unknown>;
  /** One of the store's scripts (EVALSHA, EVAL once on NOSCRIPT), routed by its first key. */
  runScript(name: keyof Scripts, keys: string[], args: RedisArgument[], signal: AbortSignal): Promise<unknown>;
  /**
   * Something that changes when the primary does (Sentinel: its address after a failover), so a
   * `WAIT` answered by another primary than the one that ran the script is not taken as proof.
   */
  primaryIdentity(): string;
  close(): Promise<void>;
  destroy(): void;
  /** `error` (a connection failed; node-redis reconnects) and `ready` (connected again). */
  on(event: 'error' | 'ready', listener: (error: Error) => void): void;
}

/** Backoff between reconnect attempts: quick at first, at most 2 s, with jitter so gateways do not reconnect in step. */
export function reconnectDelay(retries: number): number {
  return Math.min(50 * 2 ** retries, 2000) + Math.floor(Math.random() * 50);
}

/**
 * node-redis gives every command a 5 s timeout of its own unless told otherwise; we turn it off.
 * The store call's Deadline (src/requests/deadline.ts) is the one timeout, and node-redis's costs: each
 * command gets an AbortSignal.timeout, which cannot be cancelled, so every command's record stays
 * alive for 5 s. Under load that is megabytes surviving each young-generation GC, whose pauses
 * were part of the park's latency tail (docs/operations.md, "Where a request's time goes").
 */
const NO_COMMAND_TIMEOUT = { timeout: 0 };

/**
 * Options every data-node connection gets: no offline queue (a parked call must be refused, not
 * held), reconnection in the background, and no command timeout: the store call's Deadline
 * (src/requests/deadline.ts) is the one timeout.
 */
function nodeOptions(url: string | undefined) {
  const parsed = url ? new URL(url) : undefined;
  return {
    disableOfflineQueue: true,
    commandOptions: NO_COMMAND_TIMEOUT,
    socket: { reconnectStrategy: reconnectDelay, connectTimeout: 2000, ...(parsed?.protocol === 'rediss:' ? { tls: true as const } : {}) },
    ...(parsed?.username ? { username: decodeURIComponent(parsed.username) } : {}),
    ...(parsed?.password ? { password: decodeURIComponent(parsed.password) } : {}),
  };
}

/** `host:port` → { host, port }; IPv6 hosts in brackets, e.g. `[::1]:26379`. */
export function parseHostPort(text: string): { host: string; port: number } {
  const match = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(text.trim());
  const port = Number(match?.[2]);
  if (!match || port < 1 || port > 65535) throw new TypeError(`redis node must be host:port, e.g. 10.0.0.5:26379; got ${JSON.stringify(text)}`);
  return { host: match[1]!.replace(/^\[|\]$/g, ''), port };
}

/**
 * A StoreClient's runScript over node-redis's per-options proxies: the proxy of a signal is made
 * once and kept while calls bring that signal (the store calls of one deadline window share it,
 * src/requests/deadline.ts), not made again for every script.
 */
function perSignal(withSignal: (signal: AbortSignal) => Record<keyof Scripts, (keys: string[], args: RedisArgument[]) => Promise<unknown>>): StoreClient['runScript'] {
  let signalOfLast: AbortSignal | undefined;
  let last: ReturnType<typeof withSignal> | undefined;
  return (name, keys, args, signal) => {
    if (signal !== signalOfLast || !last) {
      last = withSignal(signal);
      signalOfLast = signal;
    }
    return last[name](keys, args);
  };
}

/**
 * The client of one topology.
 * @example createStoreClient({ mode: 'cluster', nodes: ['10.0.0.1:6379'] }, loadScripts(), 'maa:{prod}:')
 */
export function createStoreClient(topology: RedisTopology, scripts: Scripts, routingKey: string, logger?: Logger): StoreClient {
  switch (topology.mode) {
    case 'single': {
      const client = createClient({ url: topology.url, ...nodeOptions(undefined), scripts: redisScripts(scripts) });
      return {
        get isReady() {
          return client.isReady;
        },
        connect: () => client.connect(),
        sendCommand: (args, options) => client.sendCommand(args, options),
        runScript: perSignal((signal) => client.withAbortSignal(signal)),
        primaryIdentity: () => topology.url,
        close: () => client.close(),
        destroy: () => client.destroy(),
        on: (event, listener) => void client.on(event, listener),
      };
    }
    case 'cluster': {
      const seeds = topology.nodes.map(parseHostPort);
      const defaults = nodeOptions(topology.url);
      const cluster = createCluster({
        rootNodes: seeds.map((node) => ({ ...defaults, socket: { ...defaults.socket, host: node.host, port: node.port } })),
        defaults,
        commandOptions: NO_COMMAND_TIMEOUT,
        scripts: redisScripts(scripts),
      });
      return {
        get isReady() {
          return cluster.isReady;
        },
        connect: () => cluster.connect(),
        // Every key of the deployment is in the tag's slot: route by it, to that slot's primary.
        sendCommand: (args, options) => cluster.sendCommand(routingKey, false, args, options),
        runScript: perSignal((signal) => cluster.withCommandOptions({ abortSignal: signal })),
        primaryIdentity: () => {
          const master = cluster.getSlotMaster(clusterSlotOf(routingKey));
          return master ? `${master.host}:${master.port}` : '';
        },
        close: () => cluster.close(),
        destroy: () => cluster.destroy(),
        on: (event, listener) => void cluster.on(event, listener),
      };
    }
    case 'sentinel': {
      const sentinel = createSentinel({
        name: topology.masterName,
        sentinelRootNodes: topology.sentinels.map(parseHostPort),
        nodeClientOptions: nodeOptions(topology.url),
        sentinelClientOptions: { socket: { reconnectStrategy: reconnectDelay, connectTimeout: 2000 } },
        // One connection to the primary: a script and the WAIT after it must share it, since WAIT
        // counts the replicas that have the writes of its own connection.
        masterPoolSize: 1,
        commandOptions: NO_COMMAND_TIMEOUT,
        scripts: redisScripts(scripts),
      });
      sentinel.on('topology-change', (event: { type: string; node?: { host: string; port: number } }) => {
        if (event.type === 'MASTER_CHANGE' && event.node) logger?.warn({ primary: `${event.node.host}:${event.node.port}` }, 'redis sentinel: primary is now');
      });
      return {
        get isReady() {
          return sentinel.isReady;
        },
        connect: () => sentinel.connect(),
        sendCommand: (args, options) => sentinel.sendCommand(false, args, options),
        runScript: perSignal((signal) => sentinel.withCommandOptions({ abortSignal: signal })),
        primaryIdentity: () => {
          const master = sentinel.getMasterNode();
          return master ? `${master.host}:${master.port}` : '';
        },
        close: () => sentinel.close(),
        destroy: () => void sentinel.destroy(),
        on: (event, listener) => void sentinel.on(event, listener),
      };
    }
  }
}

/** The cluster slot of a key (CRC16 of its hash tag, mod 16384), as Redis computes it. */
export function clusterSlotOf(key: string): number {
  const open = key.indexOf('{');
  let tagged = key;
  if (open !== -1) {
    const close = key.indexOf('}', open + 1);
    if (close > open + 1) tagged = key.slice(open + 1, close);
  }
  let crc = 0;
  for (const byte of Buffer.from(tagged)) {
    crc ^= byte << 8;
    for (let i = 0; i < 8; i++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc % 16384;
}

/**
 * The topology that `redis.*` settings describe (src/config/types.ts); the configuration has
 * checked that each mode has what it needs.
 * @example topologyOf({ mode: 'sentinel', url: 'redis://', nodes: ['10.0.0.1:26379'], masterName: 'countersign' })
 */
export function topologyOf(redis: { mode: RedisMode; url: string; nodes?: string[]; masterName?: string }): RedisTopology {
  switch (redis.mode) {
    case 'single':
      return { mode: 'single', url: redis.url };
    case 'sentinel':
      return { mode: 'sentinel', sentinels: redis.nodes ?? [], masterName: redis.masterName ?? '', url: redis.url };
    case 'cluster':
      return { mode: 'cluster', nodes: redis.nodes ?? [], url: redis.url };
  }
}
