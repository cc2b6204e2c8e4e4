/**
 * Loads the gateway's configuration once, at start: the YAML file, then defaults, then one
 * environment variable per key, then programmatic overrides (tests, the demo), then one
 * validation pass. A bad value throws ConfigError with a fixed code, where the value came from
 * (file:line:column or the environment variable) and an example of the right form.
 *
 * SETTINGS below is the single table of keys: defaults, environment names, checks and the
 * documentation in docs/configuration.md all come from it (a test keeps the docs in step).
 */
import { createPublicKey } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import bytes from 'bytes';
import ms from 'ms';
import { ConfigError } from './config-error';
import { readTlsFiles } from './tls-files';
import { readYamlFile, type YamlFile } from './yaml-file';
import type { ClientAuthMethod, GatewayConfig, UpstreamAuthConfig } from './types';

export { ConfigError } from './config-error';

/** The repository root: relative paths from defaults, the environment and overrides resolve against it. */
export const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The file read when neither `options.file` nor COUNTERSIGN_CONFIG names one. */
export const DEFAULT_CONFIG_FILE = resolve(PROJECT_ROOT, 'config/gateway.yaml');

export type DeepPartial<T> = { [K in keyof T]?: T[K] extends object ? DeepPartial<T[K]> : T[K] };

type Kind =
  | { type: 'string'; pattern?: RegExp; min?: number; max?: number; /** Never echo the value in a message (it may be a secret pasted in the wrong place). */ quiet?: boolean }
  | { type: 'secret'; min: number; max: number }
  | { type: 'int'; min: number; max: number }
  /** A whole number, or `auto` (resolved where it is used, e.g. to the machine's cores). */
  | { type: 'intOrAuto'; min: number; max: number }
  | { type: 'bool' }
  | { type: 'duration'; min: number; max: number }
  | { type: 'size'; min: number; max: number }
  | { type: 'url'; protocols: string[]; loopbackHttp?: boolean; /** No query (nor fragment): a base URL that paths are appended to. */ bare?: boolean }
  | { type: 'path' }
  | { type: 'enum'; values: string[] };

/** One configuration key. */
export interface Setting {
  /** Dotted key path in GatewayConfig and in the YAML file. */
  key: string;
  /** The one environment variable that overrides it. */
  env: string;
  kind: Kind;
  /** Absent: the key is optional (or required, see `required`). */
  default?: string | number | boolean;
  required?: boolean;
  /** An example of the right form, shown in errors and docs. */
  example: string;
  doc: string;
}

const DAY_MS = 24 * 60 * 60 * 1000;
const MIB = 1024 * 1024;

export const SETTINGS: readonly Setting[] = [
  { key: 'listen.host', env: 'COUNTERSIGN_HOST', kind: { type: 'string', pattern: /^[A-Za-z0-9.:[\]-]+$/, max: 253 }, default: '0.0.0.0', example: '127.0.0.1', doc: 'Address the gateway listens on.' },
  { key: 'listen.port', env: 'PORT', kind: { type: 'int', min: 0, max: 65535 }, default: 8080, example: '8080', doc: 'TCP port; 0 picks a free port (tests).' },
  { key: 'listen.shutdownGraceMs', env: 'COUNTERSIGN_SHUTDOWN_GRACE', kind: { type: 'duration', min: 0, max: 10 * 60 * 1000 }, default: 10_000, example: '10s', doc: 'On SIGTERM or SIGINT the gateway stops accepting connections and gives calls in flight (a complete\'s replay included) this long to finish before it cuts them. Idle keep-alive connections are closed at once.' },
  { key: 'listen.workers', env: 'COUNTERSIGN_WORKERS', kind: { type: 'intOrAuto', min: 1, max: 64 }, default: 1, example: 'auto', doc: 'Gateway processes sharing the port (node:cluster workers), each with its own policy engine and Redis connection; `auto` runs one per core (`os.availableParallelism()`). With more than one, a primary process supervises them: it replaces a worker that dies (waiting longer after each quick death, up to 30 s), forwards SIGHUP (TLS reload) to every worker, and on SIGTERM or SIGINT lets every worker drain. Background jobs run once per deployment whatever the count (`requests.backgroundLeaseMs`).' },
  { key: 'listen.tls.certFile', env: 'COUNTERSIGN_TLS_CERT', kind: { type: 'path' }, example: '/etc/countersign/tls/cert.pem', doc: 'PEM certificate, optionally followed by its chain: set it with `keyFile` and the gateway serves HTTPS on its port (HTTP otherwise). Re-read on SIGHUP.' },
  { key: 'listen.tls.keyFile', env: 'COUNTERSIGN_TLS_KEY', kind: { type: 'path' }, example: '/etc/countersign/tls/key.pem', doc: 'PEM private key of the certificate, unencrypted (protect it with the file\'s permissions). Re-read on SIGHUP.' },
  { key: 'listen.tls.caFile', env: 'COUNTERSIGN_TLS_CA', kind: { type: 'path' }, example: '/etc/countersign/tls/chain.pem', doc: 'Extra PEM chain certificates (intermediates), sent after those of `certFile`. Re-read on SIGHUP.' },
  { key: 'upstream.url', env: 'COUNTERSIGN_UPSTREAM_URL', kind: { type: 'url', protocols: ['http:', 'https:'] }, required: true, example: 'https://graph.microsoft.com', doc: 'The management API every call is forwarded to. Required.' },
  { key: 'upstream.timeoutMs', env: 'COUNTERSIGN_UPSTREAM_TIMEOUT', kind: { type: 'duration', min: 100, max: 10 * 60 * 1000 }, default: 30_000, example: '30s', doc: 'Timeout of proxied calls and of the replay at complete.' },
  { key: 'upstream.caseInsensitivePaths', env: 'COUNTERSIGN_UPSTREAM_CASE_INSENSITIVE_PATHS', kind: { type: 'bool' }, default: true, example: 'true', doc: 'Whether the upstream ignores the case of paths (Microsoft Graph does); then policies see lower-case paths, so `/DeviceAppManagement/…` cannot dodge a rule, and every profile type must be case-insensitive (the default; docs/policy.md).' },
  { key: 'upstream.publicUrl', env: 'COUNTERSIGN_PUBLIC_URL', kind: { type: 'url', protocols: ['http:', 'https:'], bare: true }, example: 'https://gw.example.com', doc: 'The URL clients use for the gateway. When set, links in answers that point at the upstream are rewritten to it, so a client that follows them stays behind the gateway: `Location` and `Content-Location` headers, and in JSON answers up to 4 MiB (gzip, deflate and br included) the `@odata.nextLink`, `@odata.deltaLink` and `@odata.context` values. Larger and other bodies pass untouched. Unset: answers are relayed as they come (no rewriting, no cost). No query or #fragment.' },
  { key: 'upstream.auth.mode', env: 'COUNTERSIGN_UPSTREAM_AUTH', kind: { type: 'enum', values: ['passthrough', 'clientCredentials', 'onBehalfOf'] }, default: 'passthrough', example: 'clientCredentials', doc: 'What the upstream gets as `Authorization`: `passthrough` forwards the caller\'s own header (and the completer\'s at complete); `clientCredentials` sends the gateway\'s own token from the token endpoint and never the caller\'s; `onBehalfOf` exchanges the caller\'s verified token for one for the upstream (the completer\'s at complete). With the last two, every forwarded call needs a valid caller identity. See docs/graph.md.' },
  { key: 'upstream.auth.issuer', env: 'COUNTERSIGN_UPSTREAM_AUTH_ISSUER', kind: { type: 'url', protocols: ['https:'], loopbackHttp: true }, example: 'https://login.microsoftonline.com/<tenant-id>/v2.0', doc: 'Issuer of the upstream\'s tokens; its token endpoint is discovered from `/.well-known/openid-configuration` (https; http only on loopback). One of `issuer` and `tokenEndpoint`.' },
  { key: 'upstream.auth.tokenEndpoint', env: 'COUNTERSIGN_UPSTREAM_AUTH_TOKEN_ENDPOINT', kind: { type: 'url', protocols: ['https:'], loopbackHttp: true }, example: 'https://login.microsoftonline.com/<tenant-id>/oauth2/v2.0/token', doc: 'The token endpoint itself, without discovery (https; http only on loopback). One of `issuer` and `tokenEndpoint`; with both, `issuer` only names the server.' },
  { key: 'upstream.auth.clientId', env: 'COUNTERSIGN_UPSTREAM_AUTH_CLIENT_ID', kind: { type: 'string', min: 1, max: 256, pattern: /^[\x21-\x7e]+$/ }, example: '00000000-0000-0000-0000-000000000000', doc: 'The gateway\'s client id at the token endpoint (Entra: the application (client) id of its confidential client).' },
  { key: 'upstream.auth.clientAuthMethod', env: 'COUNTERSIGN_UPSTREAM_AUTH_CLIENT_AUTH', kind: { type: 'enum', values: ['client_secret_post', 'client_secret_basic', 'private_key_jwt'] }, example: 'private_key_jwt', doc: 'How the gateway authenticates at the token endpoint. Default: `private_key_jwt` when `privateKeyFile` is set, else `client_secret_post`.' },
  { key: 'upstream.auth.clientSecretFile', env: 'COUNTERSIGN_UPSTREAM_AUTH_CLIENT_SECRET_FILE', kind: { type: 'path' }, example: '/run/secrets/countersign-client-secret', doc: 'File holding the client secret (surrounding whitespace ignored), read at start. The secret itself is never accepted in the YAML.' },
  { key: 'upstream.auth.clientSecretEnv', env: 'COUNTERSIGN_UPSTREAM_AUTH_CLIENT_SECRET_ENV', kind: { type: 'string', pattern: /^[A-Za-z_][A-Za-z0-9_]{0,127}$/, quiet: true }, example: 'COUNTERSIGN_CLIENT_SECRET', doc: 'Name of the environment variable holding the client secret (instead of `clientSecretFile`), read at start.' },
  { key: 'upstream.auth.privateKeyFile', env: 'COUNTERSIGN_UPSTREAM_AUTH_PRIVATE_KEY_FILE', kind: { type: 'path' }, example: '/run/secrets/countersign-key.pem', doc: 'Unencrypted PEM private key (RSA: RS256, EC: ES256/384/512) that signs the `private_key_jwt` client assertion, read at start.' },
  { key: 'upstream.auth.certificateFile', env: 'COUNTERSIGN_UPSTREAM_AUTH_CERTIFICATE_FILE', kind: { type: 'path' }, example: '/etc/countersign/client-cert.pem', doc: 'PEM certificate of `privateKeyFile` (the one uploaded to the app registration): its thumbprints go in the assertion\'s `x5t` and `x5t#S256` headers, as Entra requires.' },
  { key: 'upstream.auth.keyId', env: 'COUNTERSIGN_UPSTREAM_AUTH_KEY_ID', kind: { type: 'string', min: 1, max: 256, pattern: /^[\x21-\x7e]+$/ }, example: 'countersign-2026', doc: '`kid` header of the client assertion, for servers that pick the key by id.' },
  { key: 'upstream.auth.scope', env: 'COUNTERSIGN_UPSTREAM_AUTH_SCOPE', kind: { type: 'string', min: 1, max: 2048, pattern: /^[\x21\x23-\x5b\x5d-\x7e]+( [\x21\x23-\x5b\x5d-\x7e]+)*$/ }, example: 'https://graph.microsoft.com/.default', doc: '`scope` of every token request (Graph: `https://graph.microsoft.com/.default`).' },
  { key: 'upstream.auth.audience', env: 'COUNTERSIGN_UPSTREAM_AUTH_AUDIENCE', kind: { type: 'string', min: 1, max: 2048, pattern: /^[\x21-\x7e]+$/ }, example: 'https://api.example.com', doc: '`audience` of an RFC 8693 token exchange (`onBehalfOf` with `form: tokenExchange`).' },
  { key: 'upstream.auth.form', env: 'COUNTERSIGN_UPSTREAM_AUTH_FORM', kind: { type: 'enum', values: ['tokenExchange', 'entraOnBehalfOf'] }, default: 'tokenExchange', example: 'entraOnBehalfOf', doc: 'The exchange `onBehalfOf` sends: `tokenExchange` (RFC 8693, `urn:ietf:params:oauth:grant-type:token-exchange`) or `entraOnBehalfOf` (Microsoft Entra\'s jwt-bearer grant with `requested_token_use=on_behalf_of`).' },
  { key: 'upstream.auth.cacheSize', env: 'COUNTERSIGN_UPSTREAM_AUTH_CACHE_SIZE', kind: { type: 'int', min: 1, max: 1_000_000 }, default: 1000, example: '1000', doc: '`onBehalfOf`: exchanged tokens kept, one per user, least recently used dropped first.' },
  { key: 'upstream.auth.timeoutMs', env: 'COUNTERSIGN_UPSTREAM_AUTH_TIMEOUT', kind: { type: 'duration', min: 1000, max: 120_000 }, default: 10_000, example: '10s', doc: 'Timeout of one token request (and of discovery).' },
  { key: 'api.prefix', env: 'COUNTERSIGN_API_PREFIX', kind: { type: 'string', pattern: /^(\/[A-Za-z0-9._~-]+)+$/, max: 100 }, default: '/maa/v1', example: '/maa/v1', doc: 'Path prefix of the approval API. Must not collide with an upstream path.' },
  { key: 'redis.mode', env: 'REDIS_MODE', kind: { type: 'enum', values: ['single', 'sentinel', 'cluster'] }, default: 'single', example: 'sentinel', doc: 'Which Redis holds the requests: `single` (the server at `url`), `sentinel` (the primary that the sentinels in `nodes` name `masterName`, followed through failovers) or `cluster` (a Redis Cluster reached through the seed `nodes`). Every key of a deployment is in one hash slot, so the same scripts run on all three. See docs/operations.md, "Redis topologies".' },
  { key: 'redis.url', env: 'REDIS_URL', kind: { type: 'url', protocols: ['redis:', 'rediss:'] }, default: 'redis://127.0.0.1:6379', example: 'redis://127.0.0.1:6379', doc: 'mode `single`: the Redis server. `rediss://` for TLS; credentials go in the URL. Modes `sentinel` and `cluster`: only the scheme, user and password count (e.g. `rediss://countersign:<password>@redis`), given to every data node; the host is ignored.' },
  { key: 'redis.nodes', env: 'REDIS_NODES', kind: { type: 'string', pattern: /^((\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):\d{1,5})(\s*,\s*(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):\d{1,5}){0,31}$/, max: 2048 }, example: '10.0.0.1:26379,10.0.0.2:26379,10.0.0.3:26379', doc: 'Comma-separated `host:port` list. mode `sentinel`: the sentinels (three is enough; the others are discovered). mode `cluster`: some cluster nodes to learn the slots from. Required in those modes, refused in `single`.' },
  { key: 'redis.masterName', env: 'REDIS_SENTINEL_MASTER', kind: { type: 'string', pattern: /^[A-Za-z0-9._-]+$/, max: 128 }, example: 'countersign', doc: 'mode `sentinel`: the name the sentinels monitor the primary under (`sentinel monitor <name> …`). Required in that mode only.' },
  { key: 'redis.durability.replicas', env: 'COUNTERSIGN_REDIS_WAIT_REPLICAS', kind: { type: 'int', min: 0, max: 16 }, default: 0, example: '1', doc: 'After every transition (a park before its 202, an approval, a complete\'s claim before the replay, its outcome…), `WAIT` until this many replicas have it; when they do not within `timeoutMs` the call answers 503 STORE_UNAVAILABLE and nothing is forwarded. 0 does not wait: an acknowledged change can be lost with the primary. docs/operations.md says what survives what.' },
  { key: 'redis.durability.timeoutMs', env: 'COUNTERSIGN_REDIS_WAIT_TIMEOUT', kind: { type: 'duration', min: 1, max: 1500 }, default: 500, example: '500ms', doc: 'How long one `WAIT` may take; inside the store call\'s 2 s deadline, so at most 1.5 s.' },
  { key: 'redis.deployment', env: 'COUNTERSIGN_DEPLOYMENT', kind: { type: 'string', pattern: /^[A-Za-z0-9_-]+$/, max: 64 }, default: 'default', example: 'prod-eu', doc: 'Hash tag of every Redis key (`maa:{<deployment>}:…`): several gateways of one deployment share it; separate deployments may share one Redis.' },
  { key: 'policy.policiesDir', env: 'COUNTERSIGN_POLICIES_DIR', kind: { type: 'path' }, default: 'policies', example: 'policies', doc: 'Folder of Rego sources, built with the OPA CLI at start.' },
  { key: 'policy.configDir', env: 'COUNTERSIGN_POLICY_CONFIG_DIR', kind: { type: 'path' }, default: 'config', example: 'config', doc: 'Folder holding `access-policies/*.yaml`, `profile-types/*.yaml` and `roles.yaml`.' },
  { key: 'policy.bundlePath', env: 'COUNTERSIGN_POLICY_BUNDLE', kind: { type: 'path' }, example: '.build/policy.tar.gz', doc: 'A prebuilt bundle (`opa build -t wasm`); when set, no OPA binary is needed at run time.' },
  { key: 'policy.bundleUrl', env: 'COUNTERSIGN_POLICY_BUNDLE_URL', kind: { type: 'url', protocols: ['https:'], loopbackHttp: true }, example: 'https://bundles.example.com/countersign/bundle.tar.gz', doc: 'Fetch the signed bundle from a bundle server (OPA\'s bundle service protocol: GET with `If-None-Match`; any static server works) and poll it; https, http only on loopback. Needs `bundlePublicKeyFile`; excludes `bundlePath`. The gateway does not start without a good bundle, and a bad update keeps the last good one.' },
  { key: 'policy.bundlePublicKeyFile', env: 'COUNTERSIGN_POLICY_BUNDLE_PUBLIC_KEY_FILE', kind: { type: 'path' }, example: '/etc/countersign/bundle-public.pem', doc: 'PEM public key that verifies the bundle\'s `.signatures.json` (`countersign policy build --sign-key`) before it loads, and every file\'s SHA-256. Required with `bundleUrl`; with `bundlePath`, that file must be signed too.' },
  { key: 'policy.bundleSigningAlg', env: 'COUNTERSIGN_POLICY_BUNDLE_SIGNING_ALG', kind: { type: 'enum', values: ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512'] }, default: 'RS256', example: 'ES256', doc: 'The one JWS algorithm the bundle signature may use (`opa build --signing-alg`; OPA\'s default is RS256).' },
  { key: 'policy.bundlePollIntervalMs', env: 'COUNTERSIGN_POLICY_BUNDLE_POLL', kind: { type: 'duration', min: 1000, max: 86_400_000 }, default: 60_000, example: '60s', doc: 'How often `bundleUrl` is polled; an unchanged bundle costs a 304.' },
  { key: 'policy.bundleMaxBytes', env: 'COUNTERSIGN_POLICY_BUNDLE_MAX_BYTES', kind: { type: 'size', min: 1024, max: 256 * 1024 * 1024 }, default: 32 * 1024 * 1024, example: '32mb', doc: 'The largest bundle download accepted from `bundleUrl`; a larger one is refused and the last good bundle keeps serving.' },
  { key: 'policy.watch', env: 'COUNTERSIGN_POLICY_WATCH', kind: { type: 'bool' }, default: false, example: 'true', doc: 'Rebuild and reload when the policy files change; the last good policy keeps serving when a reload fails.' },
  { key: 'policy.decisionCacheSize', env: 'COUNTERSIGN_DECISION_CACHE_SIZE', kind: { type: 'int', min: 0, max: 1_000_000 }, default: 10_000, example: '10000', doc: 'Unprotected decisions remembered per loaded policy, keyed by the exact decision input (inputs over 4 KiB are never remembered; protected ones are not either: each parks its call, whose input is almost never seen twice). A decision is a pure function of input and policy (the build leaves out `rand.intn`), and a reload starts afresh. 0 evaluates every call.' },
  { key: 'identity.jwt.hs256Secret', env: 'COUNTERSIGN_JWT_SECRET', kind: { type: 'secret', min: 32, max: 4096 }, example: '<at least 32 characters>', doc: 'Shared HS256 secret. One of the three JWT key sources.' },
  { key: 'identity.jwt.publicKeyFile', env: 'COUNTERSIGN_JWT_PUBLIC_KEY_FILE', kind: { type: 'path' }, example: '/etc/countersign/idp.pem', doc: 'PEM file of the issuer\'s RSA or EC public key (RS256/384/512, PS256/384/512, ES256/384/512, EdDSA, pinned to the key\'s type). One of the three JWT key sources.' },
  { key: 'identity.jwt.jwksUrl', env: 'COUNTERSIGN_JWKS_URL', kind: { type: 'url', protocols: ['https:'], loopbackHttp: true }, example: 'https://login.example.com/.well-known/jwks.json', doc: 'JWKS endpoint of the issuer (https; http only on loopback). One of the three JWT key sources.' },
  { key: 'identity.jwt.issuer', env: 'COUNTERSIGN_JWT_ISSUER', kind: { type: 'string', min: 1, max: 1024 }, example: 'https://login.example.com/', doc: 'Required `iss` of tokens. Strongly recommended with a JWKS or public key.' },
  { key: 'identity.jwt.audience', env: 'COUNTERSIGN_JWT_AUDIENCE', kind: { type: 'string', min: 1, max: 1024 }, example: 'api://countersign', doc: 'Required `aud` of tokens.' },
  { key: 'identity.jwt.clockToleranceSec', env: 'COUNTERSIGN_JWT_CLOCK_TOLERANCE', kind: { type: 'int', min: 0, max: 300 }, default: 30, example: '30', doc: 'Allowed clock skew, in seconds, for `exp`, `nbf` and `iat`.' },
  { key: 'identity.jwt.userClaim', env: 'COUNTERSIGN_JWT_USER_CLAIM', kind: { type: 'string', min: 1, max: 256 }, default: 'preferred_username', example: 'upn', doc: 'Claim holding the user id; `sub` is used when the token lacks it.' },
  { key: 'identity.jwt.groupsClaim', env: 'COUNTERSIGN_JWT_GROUPS_CLAIM', kind: { type: 'string', min: 1, max: 256 }, default: 'groups', example: 'roles', doc: 'Claim holding the groups (an array of strings).' },
  { key: 'identity.staticTokensFile', env: 'COUNTERSIGN_STATIC_TOKENS', kind: { type: 'path' }, example: 'config/demo/tokens.yaml', doc: 'YAML file of trusted static bearer tokens (`tokens: [{ token, userId, groups, description }]`). For local use and the demo.' },
  { key: 'identity.directoryFile', env: 'COUNTERSIGN_DIRECTORY', kind: { type: 'path' }, example: '/etc/countersign/directory.yaml', doc: 'YAML directory (`users: { alice: { groups: [...] } }`); its groups are added to the token\'s.' },
  { key: 'requests.bodyLimitBytes', env: 'COUNTERSIGN_BODY_LIMIT', kind: { type: 'size', min: 1024, max: 1024 * MIB }, default: 10 * MIB, example: '10MiB', doc: 'Largest body of any mutation (POST, PUT, PATCH, DELETE), protected or not, as received and once decoded: every mutation is read whole before the policy decides (the decision may depend on the body), so a larger one gets 413 BODY_TOO_LARGE and is not forwarded. Reads are streamed and not limited.' },
  { key: 'requests.snapshotLimitBytes', env: 'COUNTERSIGN_SNAPSHOT_LIMIT', kind: { type: 'size', min: 1024, max: 16 * MIB }, default: 1 * MIB, example: '1MiB', doc: 'Largest snapshot of an object: when a protected call is parked, the gateway reads the object (a GET of its URL with the credential the replay would use) to show the change against it and to refuse a stale complete; a larger object is recorded as `tooLarge` and compared by its ETag only.' },
  { key: 'requests.snapshotTimeoutMs', env: 'COUNTERSIGN_SNAPSHOT_TIMEOUT', kind: { type: 'duration', min: 100, max: 60_000 }, default: 5_000, example: '5s', doc: 'How long one read of the object may take, at park and again at complete; past it the snapshot is recorded as failed (the call is parked anyway), or complete answers 503 SNAPSHOT_UNAVAILABLE and the request stays approved.' },
  { key: 'requests.retentionMs', env: 'COUNTERSIGN_RETENTION', kind: { type: 'duration', min: 60_000, max: 3650 * DAY_MS }, default: 30 * DAY_MS, example: '30d', doc: 'A request awaiting approval whose status has not changed for this long expires and frees its object.' },
  { key: 'requests.approvedRetentionMs', env: 'COUNTERSIGN_APPROVED_RETENTION', kind: { type: 'duration', min: 60_000, max: 3650 * DAY_MS }, default: 30 * DAY_MS, example: '7d', doc: 'Same, for approved requests never completed.' },
  { key: 'requests.endedRetentionMs', env: 'COUNTERSIGN_ENDED_RETENTION', kind: { type: 'duration', min: 60_000, max: 3650 * DAY_MS }, default: 30 * DAY_MS, example: '30d', doc: 'Ended requests (completed, failed, rejected, canceled, expired) stay visible this long after their last change, then are removed.' },
  { key: 'requests.auditRetentionMs', env: 'COUNTERSIGN_AUDIT_RETENTION', kind: { type: 'duration', min: 60_000, max: 3650 * DAY_MS }, default: 365 * DAY_MS, example: '400d', doc: 'Audit events older than this are trimmed by the sweep, after their part of the hash chain is verified; a checkpoint (the last trimmed event\'s hash) keeps the rest verifiable. Export them first (`GET /maa/v1/audit?format=ndjson`) to keep them longer.' },
  { key: 'requests.completeLeaseMs', env: 'COUNTERSIGN_COMPLETE_LEASE', kind: { type: 'duration', min: 1000, max: 60 * 60 * 1000 }, default: 30_000, example: '30s', doc: 'Lease of a complete\'s claim; a claim older than this means "outcome unknown" and is never resent silently. At least upstream.timeoutMs.' },
  { key: 'requests.parkedResponse', env: 'COUNTERSIGN_PARKED_RESPONSE', kind: { type: 'enum', values: ['accepted', 'approvalRequired'] }, default: 'accepted', example: 'approvalRequired', doc: 'How a parked change is answered: `accepted` (202 and the approval request) or `approvalRequired` (403 in Graph\'s error shape, so SDKs throw; the client resends the identical call with the approval code once approved). docs/graph.md says when to choose which.' },
  { key: 'requests.sweepIntervalMs', env: 'COUNTERSIGN_SWEEP_INTERVAL', kind: { type: 'duration', min: 1000, max: DAY_MS }, default: 60_000, example: '1m', doc: 'How often expiry runs.' },
  { key: 'requests.scheduleIntervalMs', env: 'COUNTERSIGN_SCHEDULE_INTERVAL', kind: { type: 'duration', min: 100, max: 60 * 60 * 1000 }, default: 5_000, example: '5s', doc: 'How often the scheduler looks for scheduled replays that are due (`complete --at`, API `scheduledFor`); one process of the deployment runs it (`requests.backgroundLeaseMs`) and claims each, so a replay runs at most this late.' },
  { key: 'requests.backgroundLeaseMs', env: 'COUNTERSIGN_BACKGROUND_LEASE', kind: { type: 'duration', min: 1000, max: 10 * 60 * 1000 }, default: 15_000, example: '15s', doc: 'The expiry sweep and the scheduler run in one process of the deployment at a time (every worker of every gateway on the same Redis deployment offers to), whichever holds their Redis lease. The holder renews it every third of this time and releases it when it stops; when the holder dies, another process takes the job over within this time.' },
  { key: 'notifications.file', env: 'COUNTERSIGN_NOTIFICATIONS', kind: { type: 'path' }, example: 'config/notifications.yaml', doc: 'YAML file of the notification channels (webhooks, Slack, Teams, e-mail), their filters and the delivery settings; see docs/notifications.md. Without it no channel is configured and every transition\'s notification event is dropped once read.' },
  { key: 'console.enabled', env: 'COUNTERSIGN_CONSOLE', kind: { type: 'bool' }, default: true, example: 'false', doc: 'Serve the approvers\' web console at `/maa/console`.' },
  { key: 'console.showDemoIdentities', env: 'COUNTERSIGN_SHOW_DEMO_IDENTITIES', kind: { type: 'bool' }, default: false, example: 'true', doc: 'List the static tokens on the console\'s sign-in page. For the demo only.' },
  { key: 'log.level', env: 'COUNTERSIGN_LOG_LEVEL', kind: { type: 'enum', values: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] }, default: 'info', example: 'info', doc: 'pino log level. Logs never contain tokens or bodies.' },
];

const BY_KEY = new Map(SETTINGS.map((s) => [s.key, s]));
/** Keys someone may try for an inline upstream secret, and what to use instead. */
const INLINE_SECRETS = new Map([
  ['upstream.auth.clientSecret', 'upstream.auth.clientSecretFile (a file only the gateway can read) or upstream.auth.clientSecretEnv (the name of an environment variable)'],
  ['upstream.auth.privateKey', 'upstream.auth.privateKeyFile (a PEM file only the gateway can read)'],
]);
/** Object keys that group settings (`listen`, `identity.jwt`, …). */
const GROUPS = new Set(SETTINGS.flatMap((s) => s.key.split('.').slice(0, -1).map((_, i, parts) => parts.slice(0, i + 1).join('.'))));

export interface LoadGatewayConfigOptions {
  /** YAML file; default COUNTERSIGN_CONFIG, else config/gateway.yaml (which may be absent). */
  file?: string;
  /** Environment to read overrides from; default process.env. */
  env?: NodeJS.ProcessEnv;
  /** Applied after the environment (tests, the demo). */
  overrides?: DeepPartial<GatewayConfig>;
}

interface Raw {
  value: unknown;
  /** Where it came from, for messages. */
  from: string;
  /**
   * What a relative path in it resolves against: the folder of the YAML file it was written in
   * (so a configuration folder made by `countersign init` can live anywhere, like tsconfig.json),
   * else the project root (defaults, the environment, overrides).
   */
  base?: string;
}

/**
 * The gateway's YAML file for a name given on the command line or in COUNTERSIGN_CONFIG: the file
 * itself, or `gateway.yaml` in it when the name is a folder. Resolved against the working directory
 * (`cwd`; see shellCwd for `npm start`).
 * @example
 * configFilePath('my-api'); // '/home/me/my-api/gateway.yaml' when my-api is a folder
 */
export function configFilePath(named: string, cwd: string = process.cwd()): string {
  const path = resolve(cwd, named);
  try {
    if (statSync(path).isDirectory()) return join(path, 'gateway.yaml');
  } catch {
    // Missing: reading it reports the absolute path it looked for.
  }
  return path;
}

/**
 * Loads, merges and validates the gateway configuration. Throws ConfigError.
 * @example
 * const config = loadGatewayConfig({ overrides: { upstream: { url: 'http://127.0.0.1:9000' } } });
 * config.listen.port; // 8080 unless PORT or the file says otherwise
 */
export function loadGatewayConfig(options: LoadGatewayConfigOptions = {}): GatewayConfig {
  const env = options.env ?? process.env;
  const issues: string[] = [];
  const raw = new Map<string, Raw>();

  const file = readConfigFile(options, env, raw, issues);

  for (const setting of SETTINGS) {
    const value = nonEmpty(env[setting.env]);
    if (value !== undefined) raw.set(setting.key, { value, from: `environment ${setting.env}` });
  }

  if (options.overrides) collect(options.overrides, [], raw, issues, (path) => `overrides.${path.join('.')}`);

  const values = new Map<string, unknown>();
  for (const setting of SETTINGS) {
    const given = raw.get(setting.key);
    if (given === undefined) {
      if (setting.default !== undefined) {
        const parsed = parse(setting, setting.default, 'default');
        if ('value' in parsed) values.set(setting.key, parsed.value);
      }
      else if (setting.required) issues.push(`${setting.key} is required: set ${setting.env}=${setting.example} or \`${setting.key}\` in ${file}`);
      continue;
    }
    const parsed = parse(setting, given.value, given.from, given.base);
    if ('error' in parsed) issues.push(`${given.from}: ${setting.key} ${parsed.error}; for example ${setting.example}`);
    else values.set(setting.key, parsed.value);
  }

  crossCheck(raw, values, issues);
  if (issues.length > 0) throw new ConfigError('CONFIG_INVALID', issues);
  return build(values);
}

/** Where the policy comes from, per a gateway configuration: what `policy test` and `explain` need of it. */
export interface PolicyPaths {
  policiesDir: string;
  configDir: string;
  bundlePath?: string;
}

/**
 * The `policy.*` keys of the gateway configuration (the file named by `file` or COUNTERSIGN_CONFIG,
 * then the environment), resolved as the gateway resolves them, without requiring the rest
 * (upstream, identity) that only a running gateway needs. Throws ConfigError.
 * @example
 * policyPaths({ file: 'my-api' }).configDir; // '/home/me/my-api' for `configDir: .` in my-api/gateway.yaml
 */
export function policyPaths(options: Omit<LoadGatewayConfigOptions, 'overrides'> = {}): PolicyPaths {
  const env = options.env ?? process.env;
  const issues: string[] = [];
  const raw = new Map<string, Raw>();
  readConfigFile(options, env, raw, issues);
  const out: Record<string, unknown> = {};
  for (const setting of SETTINGS.filter((s) => s.key.startsWith('policy.') && s.kind.type === 'path')) {
    const value = nonEmpty(env[setting.env]);
    const given = value !== undefined ? { value, from: `environment ${setting.env}` } : raw.get(setting.key);
    const parsed = given ? parse(setting, given.value, given.from, given.base) : setting.default === undefined ? undefined : parse(setting, setting.default, 'default');
    if (parsed && 'error' in parsed) issues.push(`${given?.from}: ${setting.key} ${parsed.error}; for example ${setting.example}`);
    else if (parsed) out[setting.key.slice('policy.'.length)] = parsed.value;
  }
  if (issues.length > 0) throw new ConfigError('CONFIG_INVALID', issues);
  return out as unknown as PolicyPaths;
}

/**
 * Reads the YAML file (`options.file`, else COUNTERSIGN_CONFIG, else config/gateway.yaml when it
 * exists) into `raw`, its relative paths based on its folder; returns the file's path.
 */
function readConfigFile(options: { file?: string | undefined }, env: NodeJS.ProcessEnv, raw: Map<string, Raw>, issues: string[]): string {
  const named = options.file ?? nonEmpty(env.COUNTERSIGN_CONFIG);
  const file = named ? configFilePath(named, options.file === undefined ? shellCwd(env) : process.cwd()) : DEFAULT_CONFIG_FILE;
  if (named || existsSync(file)) {
    const yaml = readYamlFile(file);
    collect(yaml.value, [], raw, issues, (path) => yaml.where(path), yaml, dirname(file));
  }
  return file;
}

/**
 * The folder the person typed COUNTERSIGN_CONFIG in: `npm start` runs the gateway in the project's
 * root but tells where it was invoked in INIT_CWD, so `COUNTERSIGN_CONFIG=my-api npm start` from a
 * subfolder means that subfolder's my-api, as the shell would.
 */
function shellCwd(env: NodeJS.ProcessEnv): string {
  return nonEmpty(env.INIT_CWD) ?? process.cwd();
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

/** Flattens a nested object into dotted keys, reporting unknown keys and misplaced scalars. */
function collect(
  value: unknown,
  path: string[],
  out: Map<string, Raw>,
  issues: string[],
  where: (path: string[]) => string,
  yaml?: YamlFile,
  base?: string,
): void {
  const key = path.join('.');
  if (path.length === 0 || GROUPS.has(key)) {
    if (value === undefined || value === null) return;
    if (typeof value !== 'object' || Array.isArray(value)) {
      issues.push(`${where(path)}: ${key || 'the configuration'} must be a mapping of keys${key ? ` (${childKeys(key).join(', ')})` : ''}`);
      return;
    }
    for (const [child, childValue] of Object.entries(value as Record<string, unknown>)) {
      collect(childValue, [...path, child], out, issues, where, yaml, base);
    }
    return;
  }
  if (INLINE_SECRETS.has(key)) {
    // Said before "unknown key": someone put a secret in a file that lives in git. The value is never echoed.
    issues.push(`${where(path)}: ${key} is refused: secrets never go in the configuration file; use ${INLINE_SECRETS.get(key)}`);
    return;
  }
  if (!BY_KEY.has(key)) {
    const parent = path.slice(0, -1).join('.');
    issues.push(`${where(path)}: unknown key ${key}; known keys${parent ? ` of ${parent}` : ''}: ${childKeys(parent).join(', ')}`);
    return;
  }
  // An explicit null (or an undefined override) means "not set": the default applies.
  if (value === undefined || value === null) return;
  out.set(key, { value, from: where(path), ...(base === undefined ? {} : { base }) });
}

function childKeys(parent: string): string[] {
  const prefix = parent ? `${parent}.` : '';
  const names = new Set<string>();
  for (const s of SETTINGS) if (s.key.startsWith(prefix)) names.add(s.key.slice(prefix.length).split('.')[0]!);
  return [...names];
}

type Parsed = { value: unknown } | { error: string };

/**
 * A size as people write it: bytes (`1048576`, `100B`) or a number with a 1024-based unit, in
 * the IEC spelling of the docs (`512KiB`, `10MiB`) or the `bytes` library's own (`10MB`, same value).
 * The form is checked first because `bytes.parse` falls back to parseInt ("10xyz" would be 10).
 */
const SIZE_FORM = /^(?:(\d+)\s*B?|(\d+(?:\.\d+)?)\s*([KMGT])i?B)$/i;
/** `ms` refuses longer strings by throwing. */
const MAX_DURATION_TEXT = 100;

/** Milliseconds from `30000`, `500ms`, `30s`, `5m`, `12h`, `30d` (the `ms` library); NaN when not one. */
function parseDuration(value: unknown): number {
  if (typeof value === 'number') return value;
  if (typeof value !== 'string' || value.length > MAX_DURATION_TEXT) return NaN;
  return ms(value.trim() as ms.StringValue) ?? NaN;
}

/** Bytes from `1048576`, `512KiB`, `10MiB`, `1GiB` (the `bytes` library); NaN when not one. */
function parseSize(value: unknown): number {
  if (typeof value === 'number') return value;
  const match = typeof value === 'string' ? SIZE_FORM.exec(value.trim()) : null;
  if (!match) return NaN;
  if (match[1] !== undefined) return Number(match[1]);
  return bytes.parse(`${match[2]}${match[3]}B`) ?? NaN;
}

const TRUE = new Set(['true', '1', 'yes', 'on']);
const FALSE = new Set(['false', '0', 'no', 'off']);
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** Parses one value; strings are accepted for every kind because the environment only has strings. */
function parse(setting: Setting, value: unknown, from: string, base: string = PROJECT_ROOT): Parsed {
  const kind = setting.kind;
  const fromEnv = from.startsWith('environment ');
  switch (kind.type) {
    case 'string':
    case 'secret':
    case 'enum': {
      if (typeof value !== 'string') return { error: 'must be a string' };
      if (kind.type === 'enum') return kind.values.includes(value) ? { value } : { error: `must be one of ${kind.values.join(', ')}` };
      const min = kind.min ?? 1;
      const max = kind.max ?? 4096;
      // A secret's value never appears in a message.
      if (value.length < min) return { error: `must be at least ${min} characters` };
      if (value.length > max) return { error: `must be at most ${max} characters` };
      if (kind.type === 'string' && kind.pattern && !kind.pattern.test(value)) return { error: kind.quiet ? 'has the wrong form' : `has the wrong form (${JSON.stringify(value)})` };
      return { value };
    }
    case 'intOrAuto':
      if (value === 'auto') return { value };
    // falls through: otherwise a whole number, checked as `int` is
    case 'int': {
      const n = typeof value === 'number' ? value : typeof value === 'string' && /^-?\d+$/.test(value) ? Number(value) : NaN;
      if (!Number.isInteger(n)) return { error: kind.type === 'intOrAuto' ? 'must be a whole number or auto' : 'must be a whole number' };
      if (n < kind.min || n > kind.max) return { error: `must be between ${kind.min} and ${kind.max}` };
      return { value: n };
    }
    case 'bool': {
      if (typeof value === 'boolean') return { value };
      if (fromEnv && typeof value === 'string') {
        const lower = value.toLowerCase();
        if (TRUE.has(lower)) return { value: true };
        if (FALSE.has(lower)) return { value: false };
      }
      return { error: fromEnv ? 'must be true or false (or 1/0, yes/no, on/off)' : 'must be true or false' };
    }
    case 'duration':
    case 'size': {
      const n = kind.type === 'duration' ? parseDuration(value) : parseSize(value);
      const unit = kind.type === 'duration' ? 'ms' : 'bytes';
      if (!Number.isSafeInteger(n)) {
        return { error: kind.type === 'duration' ? 'must be milliseconds or a number with ms, s, m, h or d' : 'must be bytes or a number with B, KiB, MiB or GiB' };
      }
      if (n < kind.min || n > kind.max) return { error: `must be between ${kind.min} and ${kind.max} ${unit}` };
      return { value: n };
    }
    case 'url': {
      if (typeof value !== 'string' || value.length > 2048) return { error: 'must be a URL of at most 2048 characters' };
      let url: URL;
      try {
        url = new URL(value);
      } catch {
        return { error: 'is not a URL' };
      }
      const loopbackHttp = kind.loopbackHttp && url.protocol === 'http:' && LOOPBACK.has(url.hostname);
      if (!kind.protocols.includes(url.protocol) && !loopbackHttp) return { error: `must use ${kind.protocols.join(' or ')}` };
      if (url.hash) return { error: 'must not have a #fragment' };
      if (kind.bare && (value.includes('?') || value.includes('#'))) return { error: 'must not have a ?query or #fragment' };
      return { value: value };
    }
    case 'path': {
      if (typeof value !== 'string' || value.length === 0 || value.length > 4096 || value.includes('\0')) return { error: 'must be a file or folder path' };
      return { value: isAbsolute(value) ? value : resolve(base, value) };
    }
  }
}

const JWT_SOURCES = ['identity.jwt.hs256Secret', 'identity.jwt.publicKeyFile', 'identity.jwt.jwksUrl'];

/** Rules that involve more than one key. */
function crossCheck(raw: Map<string, Raw>, values: Map<string, unknown>, issues: string[]): void {
  const sources = JWT_SOURCES.filter((k) => values.has(k));
  if (sources.length > 1) {
    issues.push(`identity.jwt needs exactly one key source, got ${sources.join(' and ')} (${sources.map((k) => raw.get(k)?.from).join('; ')}); for example COUNTERSIGN_JWKS_URL=https://login.example.com/.well-known/jwks.json alone`);
  }
  const jwtExtras = [...raw.keys()].filter((k) => k.startsWith('identity.jwt.') && !JWT_SOURCES.includes(k));
  if (sources.length === 0 && jwtExtras.length > 0) {
    issues.push(`${raw.get(jwtExtras[0]!)!.from}: identity.jwt settings without a key source; set one of hs256Secret, publicKeyFile or jwksUrl (COUNTERSIGN_JWT_SECRET, COUNTERSIGN_JWT_PUBLIC_KEY_FILE, COUNTERSIGN_JWKS_URL)`);
  }
  if (sources.length === 0 && !values.has('identity.staticTokensFile')) {
    // Without any identity source every caller would get 401: refuse rather than start half-working.
    issues.push('identity has no source: set a JWT key (COUNTERSIGN_JWKS_URL, COUNTERSIGN_JWT_PUBLIC_KEY_FILE or COUNTERSIGN_JWT_SECRET) or a static token file for local trials (COUNTERSIGN_STATIC_TOKENS=config/demo/tokens.yaml, or run countersign init)');
  }
  checkPolicyBundle(raw, values, issues);
  for (const key of ['identity.jwt.publicKeyFile', 'identity.staticTokensFile', 'identity.directoryFile', 'policy.bundlePath', 'policy.bundlePublicKeyFile']) {
    const path = values.get(key);
    // The absolute path: the reader sees which file was looked for, whatever the working directory.
    if (typeof path === 'string' && !existsSync(path)) issues.push(`${raw.get(key)?.from}: ${key} ${path} does not exist`);
  }
  checkTls(raw, values, issues);
  checkUpstreamAuth(raw, values, issues);
  checkRedisTopology(raw, values, issues);
  const lease = values.get('requests.completeLeaseMs');
  const timeout = values.get('upstream.timeoutMs');
  if (typeof lease === 'number' && typeof timeout === 'number' && lease < timeout) {
    // A lease that ends while the replay is still in flight turns a slow success into "outcome unknown".
    issues.push(`requests.completeLeaseMs (${lease}) must not be shorter than upstream.timeoutMs (${timeout}); for example completeLeaseMs: 30s with timeoutMs: 30s`);
  }
}

/**
 * `upstream.auth`: the modes that fetch tokens need a token endpoint, a client id and exactly one
 * credential that fits the client authentication method; passthrough takes none of it, so a
 * half-written block never leaves the gateway forwarding callers' tokens by surprise. Files must
 * exist now; the secret itself (and the variable clientSecretEnv names) is read at start, by
 * src/gateway/upstream-auth.ts, from the process's environment.
 */
/** `redis.nodes` and `redis.masterName` belong to the modes that use them, and those modes need them. */
function checkRedisTopology(raw: Map<string, Raw>, values: Map<string, unknown>, issues: string[]): void {
  const mode = values.get('redis.mode');
  const from = (key: string) => raw.get(key)?.from ?? key;
  if (mode === 'single') {
    for (const key of ['redis.nodes', 'redis.masterName']) {
      if (values.has(key)) issues.push(`${from(key)}: ${key} is set but redis.mode is single; set mode: sentinel or cluster (REDIS_MODE), or remove it`);
    }
    return;
  }
  if (!values.has('redis.nodes')) {
    issues.push(`redis.mode ${String(mode)} needs redis.nodes (REDIS_NODES), e.g. ${mode === 'sentinel' ? '10.0.0.1:26379,10.0.0.2:26379,10.0.0.3:26379' : '10.0.0.1:6379,10.0.0.2:6379,10.0.0.3:6379'}`);
  }
  if (mode === 'sentinel' && !values.has('redis.masterName')) issues.push('redis.mode sentinel needs redis.masterName (REDIS_SENTINEL_MASTER), e.g. countersign');
  if (mode === 'cluster' && values.has('redis.masterName')) issues.push(`${from('redis.masterName')}: redis.masterName only applies to redis.mode sentinel`);
}

/** A remote bundle is only ever taken signed; a local one may be, and one source at a time. */
function checkPolicyBundle(raw: Map<string, Raw>, values: Map<string, unknown>, issues: string[]): void {
  if (values.has('policy.bundleUrl') && values.has('policy.bundlePath')) {
    issues.push(`policy.bundleUrl and policy.bundlePath are both set (${raw.get('policy.bundleUrl')?.from}; ${raw.get('policy.bundlePath')?.from}): the bundle comes from one of them`);
  }
  if (values.has('policy.bundleUrl') && !values.has('policy.bundlePublicKeyFile')) {
    issues.push(`${raw.get('policy.bundleUrl')?.from}: policy.bundleUrl needs policy.bundlePublicKeyFile, the PEM public key that verifies the bundle's signature; for example COUNTERSIGN_POLICY_BUNDLE_PUBLIC_KEY_FILE=/etc/countersign/bundle-public.pem`);
  }
  const keyFile = values.get('policy.bundlePublicKeyFile');
  if (typeof keyFile === 'string' && existsSync(keyFile)) {
    try {
      const key = createPublicKey(readFileSync(keyFile));
      if (key.asymmetricKeyType !== 'rsa' && key.asymmetricKeyType !== 'rsa-pss' && key.asymmetricKeyType !== 'ec') throw new Error(`a ${key.asymmetricKeyType} key; an RSA or EC key is expected`);
    } catch (error) {
      issues.push(`${raw.get('policy.bundlePublicKeyFile')?.from}: policy.bundlePublicKeyFile ${keyFile} is not a PEM public key: ${(error as Error).message.split('\n')[0]}`);
    }
  }
}

function checkUpstreamAuth(raw: Map<string, Raw>, values: Map<string, unknown>, issues: string[]): void {
  const mode = values.get('upstream.auth.mode');
  const given = [...raw.keys()].filter((k) => k.startsWith('upstream.auth.') && k !== 'upstream.auth.mode');
  const from = (key: string): string => raw.get(key)?.from ?? 'the configuration';
  if (mode === 'passthrough') {
    if (given.length > 0) issues.push(`${from(given[0]!)}: ${given[0]} is set but upstream.auth.mode is passthrough; set mode: clientCredentials or onBehalfOf (COUNTERSIGN_UPSTREAM_AUTH), or remove the upstream.auth settings`);
    return;
  }
  if (!values.has('upstream.auth.issuer') && !values.has('upstream.auth.tokenEndpoint')) {
    issues.push(`upstream.auth.mode ${String(mode)} needs upstream.auth.issuer or upstream.auth.tokenEndpoint; for example tokenEndpoint: https://login.microsoftonline.com/<tenant-id>/oauth2/v2.0/token`);
  }
  if (!values.has('upstream.auth.clientId')) issues.push(`upstream.auth.mode ${String(mode)} needs upstream.auth.clientId (COUNTERSIGN_UPSTREAM_AUTH_CLIENT_ID)`);
  const credentials = ['upstream.auth.clientSecretFile', 'upstream.auth.clientSecretEnv', 'upstream.auth.privateKeyFile'].filter((k) => values.has(k));
  if (credentials.length !== 1) {
    issues.push(`upstream.auth needs exactly one credential, got ${credentials.length === 0 ? 'none' : credentials.join(' and ')}: clientSecretFile, clientSecretEnv or privateKeyFile; for example privateKeyFile: /run/secrets/countersign-key.pem`);
  }
  const method = values.get('upstream.auth.clientAuthMethod');
  const keyBased = values.has('upstream.auth.privateKeyFile');
  if (method === 'private_key_jwt' && !keyBased) issues.push(`${from('upstream.auth.clientAuthMethod')}: upstream.auth.clientAuthMethod private_key_jwt needs upstream.auth.privateKeyFile`);
  if (typeof method === 'string' && method !== 'private_key_jwt' && keyBased) issues.push(`${from('upstream.auth.clientAuthMethod')}: upstream.auth.clientAuthMethod ${method} takes a client secret, not upstream.auth.privateKeyFile`);
  for (const key of ['upstream.auth.certificateFile', 'upstream.auth.keyId']) {
    if (values.has(key) && !keyBased) issues.push(`${from(key)}: ${key} only applies with upstream.auth.privateKeyFile`);
  }
  for (const key of ['upstream.auth.clientSecretFile', 'upstream.auth.privateKeyFile', 'upstream.auth.certificateFile']) {
    const path = values.get(key);
    if (typeof path === 'string' && !existsSync(path)) issues.push(`${from(key)}: ${key} ${path} does not exist`);
  }
  if (mode === 'clientCredentials') {
    for (const key of ['upstream.auth.form', 'upstream.auth.audience', 'upstream.auth.cacheSize']) {
      if (raw.has(key)) issues.push(`${from(key)}: ${key} only applies to upstream.auth.mode onBehalfOf`);
    }
  }
}

const TLS_FILES = ['listen.tls.certFile', 'listen.tls.keyFile', 'listen.tls.caFile'];

/**
 * TLS needs a certificate and its key together; then the files are read and checked now, by the
 * same function that reads them again on SIGHUP, so a bad file stops the start with the rest.
 */
function checkTls(raw: Map<string, Raw>, values: Map<string, unknown>, issues: string[]): void {
  const [certFile, keyFile, caFile] = TLS_FILES.map((k) => values.get(k) as string | undefined);
  if (certFile === undefined && keyFile === undefined) {
    if (caFile !== undefined) issues.push(`${raw.get('listen.tls.caFile')?.from}: listen.tls.caFile without listen.tls.certFile and listen.tls.keyFile; for example COUNTERSIGN_TLS_CERT=/etc/countersign/tls/cert.pem COUNTERSIGN_TLS_KEY=/etc/countersign/tls/key.pem`);
    return;
  }
  if (certFile === undefined || keyFile === undefined) {
    const given = certFile === undefined ? 'listen.tls.keyFile' : 'listen.tls.certFile';
    const missing = certFile === undefined ? 'listen.tls.certFile (COUNTERSIGN_TLS_CERT)' : 'listen.tls.keyFile (COUNTERSIGN_TLS_KEY)';
    // Half a TLS setting must not quietly serve plain HTTP.
    issues.push(`${raw.get(given)?.from}: ${given} needs ${missing} too: TLS takes both or neither`);
    return;
  }
  try {
    readTlsFiles({ certFile, keyFile, ...(caFile === undefined ? {} : { caFile }) });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    issues.push(...error.issues);
  }
}

function build(values: Map<string, unknown>): GatewayConfig {
  const get = <T>(key: string): T => values.get(key) as T;
  const jwt = JWT_SOURCES.some((k) => values.has(k))
    ? {
        hs256Secret: get<string | undefined>('identity.jwt.hs256Secret'),
        publicKeyFile: get<string | undefined>('identity.jwt.publicKeyFile'),
        jwksUrl: get<string | undefined>('identity.jwt.jwksUrl'),
        issuer: get<string | undefined>('identity.jwt.issuer'),
        audience: get<string | undefined>('identity.jwt.audience'),
        clockToleranceSec: get<number>('identity.jwt.clockToleranceSec'),
        userClaim: get<string>('identity.jwt.userClaim'),
        groupsClaim: get<string>('identity.jwt.groupsClaim'),
      }
    : undefined;
  return {
    listen: {
      host: get('listen.host'),
      port: get('listen.port'),
      shutdownGraceMs: get('listen.shutdownGraceMs'),
      workers: get('listen.workers'),
      ...(values.has('listen.tls.certFile') ? { tls: dropUndefined({ certFile: get<string>('listen.tls.certFile'), keyFile: get<string>('listen.tls.keyFile'), caFile: get<string | undefined>('listen.tls.caFile') }) } : {}),
    },
    upstream: dropUndefined({
      url: get<string>('upstream.url'),
      timeoutMs: get<number>('upstream.timeoutMs'),
      caseInsensitivePaths: get<boolean>('upstream.caseInsensitivePaths'),
      publicUrl: get<string | undefined>('upstream.publicUrl'),
      auth: buildUpstreamAuth(get),
    }),
    api: { prefix: get('api.prefix') },
    redis: dropUndefined({
      url: get<string>('redis.url'),
      deployment: get<string>('redis.deployment'),
      mode: get<GatewayConfig['redis']['mode']>('redis.mode'),
      nodes: get<string | undefined>('redis.nodes')?.split(',').map((node) => node.trim()),
      masterName: get<string | undefined>('redis.masterName'),
      durability: { replicas: get<number>('redis.durability.replicas'), timeoutMs: get<number>('redis.durability.timeoutMs') },
    }),
    policy: {
      policiesDir: get('policy.policiesDir'),
      configDir: get('policy.configDir'),
      bundlePath: get('policy.bundlePath'),
      bundleUrl: get('policy.bundleUrl'),
      bundlePublicKeyFile: get('policy.bundlePublicKeyFile'),
      bundleSigningAlg: get('policy.bundleSigningAlg'),
      bundlePollIntervalMs: get('policy.bundlePollIntervalMs'),
      bundleMaxBytes: get('policy.bundleMaxBytes'),
      watch: get('policy.watch'),
      decisionCacheSize: get('policy.decisionCacheSize'),
    },
    identity: {
      jwt: jwt && dropUndefined(jwt),
      staticTokensFile: get('identity.staticTokensFile'),
      directoryFile: get('identity.directoryFile'),
    },
    requests: {
      bodyLimitBytes: get('requests.bodyLimitBytes'),
      snapshotLimitBytes: get('requests.snapshotLimitBytes'),
      snapshotTimeoutMs: get('requests.snapshotTimeoutMs'),
      retentionMs: get('requests.retentionMs'),
      approvedRetentionMs: get('requests.approvedRetentionMs'),
      endedRetentionMs: get('requests.endedRetentionMs'),
      auditRetentionMs: get('requests.auditRetentionMs'),
      completeLeaseMs: get('requests.completeLeaseMs'),
      sweepIntervalMs: get('requests.sweepIntervalMs'),
      scheduleIntervalMs: get('requests.scheduleIntervalMs'),
      backgroundLeaseMs: get('requests.backgroundLeaseMs'),
      parkedResponse: get('requests.parkedResponse'),
    },
    notifications: dropUndefined({ file: get<string | undefined>('notifications.file') }),
    console: { enabled: get('console.enabled'), showDemoIdentities: get('console.showDemoIdentities') },
    log: { level: get('log.level') },
  };
}

function buildUpstreamAuth(get: <T>(key: string) => T): UpstreamAuthConfig {
  const mode = get<UpstreamAuthConfig['mode']>('upstream.auth.mode');
  if (mode === 'passthrough') return { mode };
  const privateKeyFile = get<string | undefined>('upstream.auth.privateKeyFile');
  return dropUndefined({
    mode,
    issuer: get<string | undefined>('upstream.auth.issuer'),
    tokenEndpoint: get<string | undefined>('upstream.auth.tokenEndpoint'),
    clientId: get<string>('upstream.auth.clientId'),
    clientAuthMethod: get<ClientAuthMethod | undefined>('upstream.auth.clientAuthMethod') ?? (privateKeyFile ? 'private_key_jwt' : 'client_secret_post'),
    clientSecretFile: get<string | undefined>('upstream.auth.clientSecretFile'),
    clientSecretEnv: get<string | undefined>('upstream.auth.clientSecretEnv'),
    privateKeyFile,
    certificateFile: get<string | undefined>('upstream.auth.certificateFile'),
    keyId: get<string | undefined>('upstream.auth.keyId'),
    scope: get<string | undefined>('upstream.auth.scope'),
    audience: get<string | undefined>('upstream.auth.audience'),
    form: get<'tokenExchange' | 'entraOnBehalfOf'>('upstream.auth.form'),
    cacheSize: get<number>('upstream.auth.cacheSize'),
    timeoutMs: get<number>('upstream.auth.timeoutMs'),
  }) as UpstreamAuthConfig;
}

function dropUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
