/**
 * The gateway's configuration after loading and validation (src/config/gateway-config.ts):
 * defaults applied, environment overrides applied, every value checked once at start.
 * The README's configuration reference lists every key, its default and its environment variable.
 */

import type { TlsFiles } from './tls-files';

export interface JwtConfig {
  /** Exactly one key source. */
  hs256Secret?: string;
  /** PEM file of an RS or ES public key. */
  publicKeyFile?: string;
  jwksUrl?: string;
  issuer?: string;
  audience?: string;
  clockToleranceSec: number;
  /** Claim that carries the user id (default `preferred_username`, falling back to `sub`). */
  userClaim: string;
  /** Claim that carries the groups (default `groups`). */
  groupsClaim: string;
}

export interface IdentityConfig {
  /** Verified JWTs; absent when only static tokens are used. */
  jwt?: JwtConfig;
  /** YAML file mapping static bearer tokens to a user and groups (local use and the demo). */
  staticTokensFile?: string;
  /** YAML directory file: user id → extra groups, merged with the token's groups. */
  directoryFile?: string;
}

export interface GatewayConfig {
  listen: {
    host: string;
    port: number;
    /** At shutdown, how long calls in flight get to finish before their connections are cut. */
    shutdownGraceMs: number;
    /** Gateway processes sharing the port (node:cluster workers); `auto`: one per core. 1 runs no cluster. */
    workers: number | 'auto';
    /** Present: the port serves HTTPS with these PEM files (absolute paths), re-read on SIGHUP. */
    tls?: TlsFiles;
  };
  upstream: {
    url: string;
    /** Replay and proxy timeout. */
    timeoutMs: number;
    /** Whether the upstream treats paths without regard to case (Microsoft Graph does). */
    caseInsensitivePaths: boolean;
    /**
     * The URL clients use for the gateway; when set, links in answers that point at the upstream
     * are rewritten to it (src/gateway/public-links.ts). Absent: answers are relayed untouched.
     */
    publicUrl?: string;
    /** What the upstream gets as Authorization (src/gateway/upstream-auth.ts). */
    auth: UpstreamAuthConfig;
  };
  api: { prefix: string };
  redis: {
    /** single: the server. sentinel, cluster: only its scheme (`rediss:` for TLS), user and password count, for every data node. */
    url: string;
    /** Hash tag of every key: `maa:{<deployment>}:…` */
    deployment: string;
    mode: 'single' | 'sentinel' | 'cluster';
    /** sentinel: the sentinels; cluster: seed nodes. `host:port` each. */
    nodes?: string[];
    /** sentinel: the name the sentinels monitor the primary under. */
    masterName?: string;
    /** Replicas that must have each transition before it is acknowledged (WAIT), and how long to wait. */
    durability: { replicas: number; timeoutMs: number };
  };
  policy: {
    policiesDir: string;
    configDir: string;
    /** A prebuilt bundle (.tar.gz from `opa build -t wasm`); then no OPA is needed at run time. */
    bundlePath?: string;
    /** A bundle server's URL, polled with ETags; the bundle must verify with bundlePublicKeyFile. */
    bundleUrl?: string;
    /** PEM public key that verifies the bundle's signature (required with bundleUrl). */
    bundlePublicKeyFile?: string;
    bundleSigningAlg: 'RS256' | 'RS384' | 'RS512' | 'PS256' | 'PS384' | 'PS512' | 'ES256' | 'ES384' | 'ES512';
    bundlePollIntervalMs: number;
    bundleMaxBytes: number;
    watch: boolean;
    /** Unprotected decisions remembered per loaded policy, keyed by the exact input; 0 turns the memo off. */
    decisionCacheSize: number;
  };
  identity: IdentityConfig;
  requests: {
    bodyLimitBytes: number;
    /** Largest object the gateway keeps as a request's snapshot (src/gateway/object-snapshot.ts). */
    snapshotLimitBytes: number;
    /** Time allowed for one read of the object, at park and at complete. */
    snapshotTimeoutMs: number;
    /** Open requests whose status has not changed for this long expire. */
    retentionMs: number;
    /** Same, for approved requests never completed. */
    approvedRetentionMs: number;
    /** Ended requests stay visible this long after their last change. */
    endedRetentionMs: number;
    /** Audit events older than this are trimmed (verified first, leaving a checkpoint). */
    auditRetentionMs: number;
    completeLeaseMs: number;
    sweepIntervalMs: number;
    /** How often the scheduler looks for due scheduled replays (src/gateway/scheduler.ts). */
    scheduleIntervalMs: number;
    /** Lease of the once-per-deployment background jobs (src/requests/lease.ts): how late a dead holder's job is taken over. */
    backgroundLeaseMs: number;
    /** `accepted`: 202 with the approval request; `approvalRequired`: the upstream's own error shape (403), so SDKs throw. */
    parkedResponse: 'accepted' | 'approvalRequired';
  };
  notifications: {
    /** The notifications file (src/notifications/notifications-config.ts), read at start with the secrets it names. */
    file?: string;
  };
  console: {
    enabled: boolean;
    /** Lists the static tokens on the sign-in page: for the demo only. */
    showDemoIdentities: boolean;
  };
  log: { level: string };
}

export type ClientAuthMethod = 'client_secret_post' | 'client_secret_basic' | 'private_key_jwt';

/**
 * `upstream.auth`. The secret itself is never here: only where to read it (a file, or the name of
 * an environment variable), so a printed configuration never carries it.
 */
export type UpstreamAuthConfig =
  | { mode: 'passthrough' }
  | {
      mode: 'clientCredentials' | 'onBehalfOf';
      /** Discovery from the issuer, unless tokenEndpoint is given. */
      issuer?: string;
      tokenEndpoint?: string;
      clientId: string;
      clientAuthMethod: ClientAuthMethod;
      clientSecretFile?: string;
      clientSecretEnv?: string;
      privateKeyFile?: string;
      certificateFile?: string;
      keyId?: string;
      scope?: string;
      /** RFC 8693 `audience` of a token exchange. */
      audience?: string;
      /** The exchange onBehalfOf sends. */
      form: 'tokenExchange' | 'entraOnBehalfOf';
      /** onBehalfOf: exchanged tokens kept, one per user. */
      cacheSize: number;
      timeoutMs: number;
    };
