/**
 * What the upstream gets as `Authorization` (`upstream.auth`, docs/configuration.md):
 *
 *   passthrough        the caller's own header, as received (the completer's at complete)
 *   clientCredentials  the gateway's own token from the token endpoint: one token, cached, renewed
 *                      at 80% of its lifetime, one token request at a time however many callers wait
 *   onBehalfOf         the caller's verified token exchanged for one for the upstream (RFC 8693 token
 *                      exchange, or Entra's on-behalf-of jwt-bearer grant), cached per user in a
 *                      bounded LRU; at complete, the completer's token is exchanged
 *
 * Every token request goes through openid-client (discovery or a static token endpoint; client
 * secret post/basic or private_key_jwt with a certificate), never a hand-written HTTP call.
 *
 * Failure semantics: a token that cannot be had is an ApiError UPSTREAM_AUTH_FAILED (502) whose
 * message says why (the OAuth error code and the server's description, bounded) and never carries a
 * token or secret. Callers ask before they act: the proxy before it forwards, the replay before its
 * claim, so a failure changes nothing. When a renewal fails while the held token is still valid,
 * the held token keeps serving until shortly before it expires (a token endpoint blip is not an outage).
 *
 * Secrets are read once, at start, from a file or a named environment variable; they and every
 * token stay in closures here and are never logged (`Secret` prints as `[redacted]` if anything
 * ever tries).
 */
import { createHash, createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as client from 'openid-client';
import { importPKCS8 } from 'jose';
import type { Logger } from 'pino';
import type { Counter } from 'prom-client';
import { ConfigError } from '../config/config-error';
import type { UpstreamAuthConfig } from '../config/types';
import { ApiError } from '../errors';
import type { Caller } from '../policy/types';
import { errorSummary } from './logger';

export type UpstreamAuthMode = UpstreamAuthConfig['mode'];

/** What /readyz shows of the upstream credential; it never fails readiness (parking needs no upstream). */
export interface UpstreamAuthStatus {
  mode: UpstreamAuthMode;
  /** `ok`: the last token request succeeded; `failing`: it failed; `idle`: none yet (or passthrough). */
  state: 'ok' | 'failing' | 'idle';
  /** clientCredentials: when the held token expires. */
  expiresAt?: string;
  /** onBehalfOf: users with an exchanged token held. */
  cachedUsers?: number;
  lastSuccessAt?: string;
  lastFailure?: { at: string; reason: string };
}

export interface UpstreamAuth {
  readonly mode: UpstreamAuthMode;
  /** True when the caller's own header is forwarded: then the request path does nothing extra. */
  readonly passthrough: boolean;
  /**
   * The Authorization header value to send upstream for `caller`, whose own verified header is
   * `authorization`. Rejects with ApiError UPSTREAM_AUTH_FAILED (502) when no token can be had.
   * @example const header = await upstreamAuth.authorizationFor(caller, req.headers.authorization!);
   */
  authorizationFor(caller: Caller, authorization: string): Promise<string>;
  status(): UpstreamAuthStatus;
}

export interface UpstreamAuthDeps {
  config: UpstreamAuthConfig;
  logger: Logger;
  /** countersign_upstream_token_requests_total{mode,outcome}. */
  tokenRequests: Counter<'mode' | 'outcome'>;
  /** Where clientSecretEnv is looked up; default process.env. */
  env?: NodeJS.ProcessEnv;
}

/** A token is renewed once this share of its lifetime has passed. */
const REFRESH_AT = 0.8;
/** A held token is not used when it has less than this left, even while its renewal fails. */
const EXPIRY_MARGIN_MS = 5_000;
/** Lifetime assumed when the token endpoint does not say (`expires_in` is only RECOMMENDED). */
const DEFAULT_LIFETIME_S = 300;
/** The server's error description is quoted up to this length. */
const REASON_CHARS = 300;
const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';
/** What may be sent after `Bearer ` (RFC 6750's b64token, widened to every visible ASCII character). */
const ACCESS_TOKEN_FORM = /^[\x21-\x7e]{1,16384}$/;

/** A secret that prints as `[redacted]` wherever it ends up (JSON, util.inspect, template strings). */
class Secret {
  readonly #value: string;
  constructor(value: string) {
    this.#value = value;
  }
  reveal(): string {
    return this.#value;
  }
  toString(): string {
    return '[redacted]';
  }
  toJSON(): string {
    return '[redacted]';
  }
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return '[redacted]';
  }
}

export interface Held {
  header: string;
  /** From here on the token is renewed before use. */
  refreshAt: number;
  expiresAt: number;
}

/**
 * One cached token and its single flight: concurrent callers that find it due share one request.
 * A failed renewal falls back to the held token while that is still valid. Exported for its tests.
 */
export class TokenSlot {
  held: Held | undefined;
  private inflight: Promise<Held> | undefined;

  async get(fetch: () => Promise<Held>, onStale: (error: unknown) => void): Promise<string> {
    const now = Date.now();
    if (this.held && now < this.held.refreshAt) return this.held.header;
    if (!this.inflight) {
      this.inflight = fetch().finally(() => {
        this.inflight = undefined;
      });
    }
    const asked = this.inflight;
    try {
      const fresh = await asked;
      this.held = fresh;
      return fresh.header;
    } catch (error) {
      const held = this.held;
      if (held && Date.now() < held.expiresAt - EXPIRY_MARGIN_MS) {
        onStale(error);
        return held.header;
      }
      throw error;
    }
  }
}

/**
 * Creates the upstream credential of `config`. Reads the secret or the private key now, so a
 * missing or unreadable one stops the start (ConfigError); contacts the token endpoint only when
 * a token is first needed, so a token endpoint that is down does not stop parking.
 * @example const upstreamAuth = createUpstreamAuth({ config: config.upstream.auth, logger, tokenRequests: metrics.upstreamTokenRequests });
 */
export function createUpstreamAuth(deps: UpstreamAuthDeps): UpstreamAuth {
  const { config } = deps;
  if (config.mode === 'passthrough') {
    return {
      mode: 'passthrough',
      passthrough: true,
      authorizationFor: async (_caller, authorization) => authorization,
      status: () => ({ mode: 'passthrough', state: 'idle' }),
    };
  }
  return createTokenAuth(config, deps);
}

type TokenConfig = Exclude<UpstreamAuthConfig, { mode: 'passthrough' }>;

function createTokenAuth(config: TokenConfig, deps: UpstreamAuthDeps): UpstreamAuth {
  const { logger, tokenRequests } = deps;
  const { mode } = config;
  const credential = readCredential(config, deps.env ?? process.env);
  const log = logger.child({ part: 'upstream-auth', mode });

  let tokenEndpoint: string | undefined = config.tokenEndpoint;
  let configuration: Promise<client.Configuration> | undefined;
  let lastSuccessAt: number | undefined;
  let lastFailure: { at: number; reason: string } | undefined;

  /** Discovery (or the static endpoint) and the client's authentication, once; a failed discovery is tried again next time. */
  function clientConfiguration(): Promise<client.Configuration> {
    configuration ??= buildConfiguration().catch((error: unknown) => {
      configuration = undefined;
      throw error;
    });
    return configuration;
  }

  async function buildConfiguration(): Promise<client.Configuration> {
    const auth = await clientAuth(credential, () => tokenEndpoint);
    const timeout = Math.ceil(config.timeoutMs / 1000);
    const insecure = (url: string): boolean => new URL(url).protocol === 'http:';
    let built: client.Configuration;
    if (config.tokenEndpoint !== undefined) {
      const issuer = config.issuer ?? new URL(config.tokenEndpoint).origin;
      built = new client.Configuration({ issuer, token_endpoint: config.tokenEndpoint }, config.clientId, undefined, auth);
      if (insecure(config.tokenEndpoint)) client.allowInsecureRequests(built);
    } else {
      const issuer = config.issuer!;
      built = await client.discovery(new URL(issuer), config.clientId, undefined, auth, {
        timeout,
        // Config allows http only on loopback (tests, a local server).
        ...(insecure(issuer) ? { execute: [client.allowInsecureRequests] } : {}),
      });
      tokenEndpoint = built.serverMetadata().token_endpoint;
      if (tokenEndpoint === undefined) throw new ApiError('UPSTREAM_AUTH_FAILED', {}, 'the issuer\'s metadata names no token_endpoint');
    }
    built.timeout = timeout;
    return built;
  }

  /** One token request, counted and logged (never the token), turned into a Held or an UPSTREAM_AUTH_FAILED. */
  async function request(grant: (c: client.Configuration) => Promise<client.TokenEndpointResponse & client.TokenEndpointResponseHelpers>, who: string, subjectToken?: string): Promise<Held> {
    const started = Date.now();
    try {
      const response = await grant(await clientConfiguration());
      const lifetimeS = response.expiresIn() ?? DEFAULT_LIFETIME_S;
      const type = (response.token_type ?? 'bearer').toLowerCase();
      // The header scheme is always Bearer; a DPoP or other bound token could not be sent as one.
      if (type !== 'bearer') throw new ApiError('UPSTREAM_AUTH_FAILED', {}, `the token endpoint issued a ${clean(type)} token, not a bearer token`);
      // It goes into a header: anything outside the visible ASCII range would break the call (or worse, split it).
      if (!ACCESS_TOKEN_FORM.test(response.access_token)) throw new ApiError('UPSTREAM_AUTH_FAILED', {}, 'the token endpoint issued an access token that cannot be sent in a header');
      tokenRequests.inc({ mode, outcome: 'ok' });
      lastSuccessAt = Date.now();
      log.debug({ for: who, expiresIn: lifetimeS, ms: Date.now() - started }, 'upstream token obtained');
      return { header: `Bearer ${response.access_token}`, refreshAt: started + lifetimeS * 1000 * REFRESH_AT, expiresAt: started + lifetimeS * 1000 };
    } catch (error) {
      const failure = describeFailure(error, [subjectToken, credential.kind === 'secret' ? credential.secret.reveal() : undefined]);
      tokenRequests.inc({ mode, outcome: failure.outcome });
      lastFailure = { at: Date.now(), reason: failure.reason };
      log.warn({ for: who, outcome: failure.outcome, reason: failure.reason, ms: Date.now() - started }, 'upstream token request failed');
      throw new ApiError('UPSTREAM_AUTH_FAILED', {}, `${failure.reason}; nothing was sent to the upstream`);
    }
  }

  const staleWarning = (who: string) => (error: unknown) =>
    log.warn({ for: who, reason: error instanceof ApiError ? error.message : errorSummary(error).message }, 'upstream token renewal failed: the held token, still valid, keeps serving');

  const scope: Record<string, string> = config.scope === undefined ? {} : { scope: config.scope };

  if (mode === 'clientCredentials') {
    const slot = new TokenSlot();
    const who = 'gateway';
    return {
      mode,
      passthrough: false,
      // The caller's identity was verified by the request path; its header is never sent on.
      authorizationFor: () => slot.get(() => request((c) => client.clientCredentialsGrant(c, scope), who), staleWarning(who)),
      status: () => statusOf(mode, lastSuccessAt, lastFailure, { ...(slot.held ? { expiresAt: new Date(slot.held.expiresAt).toISOString() } : {}) }),
    };
  }

  // onBehalfOf: one slot per user, for the subject token it was exchanged from (a new token of the
  // same user replaces it; someone else's id without their token never reaches it).
  const cache = new Map<string, { subject: string; slot: TokenSlot }>();
  const audience: Record<string, string> = config.audience === undefined ? {} : { audience: config.audience };
  const exchange = (subjectToken: string) => (c: client.Configuration) =>
    config.form === 'entraOnBehalfOf'
      ? client.genericGrantRequest(c, JWT_BEARER, { assertion: subjectToken, requested_token_use: 'on_behalf_of', ...scope })
      : client.genericGrantRequest(c, TOKEN_EXCHANGE, {
          subject_token: subjectToken,
          subject_token_type: ACCESS_TOKEN_TYPE,
          requested_token_type: ACCESS_TOKEN_TYPE,
          ...audience,
          ...scope,
        });
  return {
    mode,
    passthrough: false,
    authorizationFor(caller, authorization) {
      const subjectToken = bearerOf(authorization);
      if (subjectToken === null) return Promise.reject(new ApiError('UNAUTHENTICATED', {}, 'an on-behalf-of upstream needs the caller\'s bearer token'));
      const subject = createHash('sha256').update(subjectToken).digest('base64url');
      let entry = cache.get(caller.userId);
      if (entry && entry.subject !== subject) entry = undefined;
      if (entry) cache.delete(caller.userId);
      entry ??= { subject, slot: new TokenSlot() };
      // Map order is insertion order: re-inserting marks the most recent use; the first key is the least recent.
      cache.set(caller.userId, entry);
      while (cache.size > config.cacheSize) cache.delete(cache.keys().next().value!);
      const held = entry;
      return held.slot.get(() => request(exchange(subjectToken), caller.userId, subjectToken), staleWarning(caller.userId)).catch((error: unknown) => {
        // A user whose token cannot be exchanged holds no room in the cache.
        if (held.slot.held === undefined && cache.get(caller.userId) === held) cache.delete(caller.userId);
        throw error;
      });
    },
    status: () => statusOf(mode, lastSuccessAt, lastFailure, { cachedUsers: cache.size }),
  };
}

function statusOf(mode: UpstreamAuthMode, success: number | undefined, failure: { at: number; reason: string } | undefined, extra: Partial<UpstreamAuthStatus>): UpstreamAuthStatus {
  const failing = failure !== undefined && (success === undefined || failure.at > success);
  return {
    mode,
    state: failing ? 'failing' : success !== undefined ? 'ok' : 'idle',
    ...extra,
    ...(success === undefined ? {} : { lastSuccessAt: new Date(success).toISOString() }),
    ...(failure === undefined ? {} : { lastFailure: { at: new Date(failure.at).toISOString(), reason: failure.reason } }),
  };
}

function bearerOf(authorization: string): string | null {
  const match = /^Bearer +([\x21-\x7e]+) *$/i.exec(authorization);
  return match ? match[1]! : null;
}

type Credential =
  | { kind: 'secret'; method: 'client_secret_post' | 'client_secret_basic'; secret: Secret }
  | { kind: 'key'; key: KeyObject; alg: string; x5t?: string; x5tS256?: string; keyId?: string };

/** Reads the credential now; any problem is a ConfigError naming the file or variable, never the value. */
function readCredential(config: TokenConfig, env: NodeJS.ProcessEnv): Credential {
  if (config.clientAuthMethod === 'private_key_jwt') {
    const file = config.privateKeyFile!;
    let key: KeyObject;
    try {
      key = createPrivateKey(readFileSync(file));
    } catch (error) {
      throw new ConfigError('CONFIG_INVALID', [`upstream.auth.privateKeyFile ${file} is not an unencrypted PEM private key (${(error as NodeJS.ErrnoException).code ?? 'unreadable'})`]);
    }
    const alg = signingAlgorithm(key);
    if (alg === null) throw new ConfigError('CONFIG_INVALID', [`upstream.auth.privateKeyFile ${file} must hold an RSA or EC (P-256, P-384, P-521) private key`]);
    const credential: Credential = { kind: 'key', key, alg, ...(config.keyId === undefined ? {} : { keyId: config.keyId }) };
    if (config.certificateFile !== undefined) {
      let certificate: X509Certificate;
      try {
        certificate = new X509Certificate(readFileSync(config.certificateFile));
      } catch {
        throw new ConfigError('CONFIG_INVALID', [`upstream.auth.certificateFile ${config.certificateFile} is not a PEM certificate`]);
      }
      if (!certificate.checkPrivateKey(key)) throw new ConfigError('CONFIG_INVALID', [`upstream.auth.certificateFile ${config.certificateFile} is not the certificate of upstream.auth.privateKeyFile`]);
      credential.x5t = createHash('sha1').update(certificate.raw).digest('base64url');
      credential.x5tS256 = createHash('sha256').update(certificate.raw).digest('base64url');
    }
    return credential;
  }
  let value: string | undefined;
  if (config.clientSecretFile !== undefined) {
    try {
      value = readFileSync(config.clientSecretFile, 'utf8').trim();
    } catch (error) {
      throw new ConfigError('CONFIG_INVALID', [`upstream.auth.clientSecretFile ${config.clientSecretFile} cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`]);
    }
    if (value === '') throw new ConfigError('CONFIG_INVALID', [`upstream.auth.clientSecretFile ${config.clientSecretFile} is empty`]);
  } else {
    value = env[config.clientSecretEnv!]?.trim();
    if (!value) throw new ConfigError('CONFIG_INVALID', ['the environment variable named by upstream.auth.clientSecretEnv is not set (or empty)']);
  }
  return { kind: 'secret', method: config.clientAuthMethod, secret: new Secret(value) };
}

function signingAlgorithm(key: KeyObject): string | null {
  if (key.asymmetricKeyType === 'rsa') return 'RS256';
  if (key.asymmetricKeyType === 'ec') {
    const curve = key.asymmetricKeyDetails?.namedCurve;
    return curve === 'prime256v1' ? 'ES256' : curve === 'secp384r1' ? 'ES384' : curve === 'secp521r1' ? 'ES512' : null;
  }
  return null;
}

/**
 * openid-client's client authentication for the credential. The private_key_jwt assertion's
 * audience is the token endpoint (RFC 7523; Entra requires it), and a certificate's thumbprints
 * go in `x5t` / `x5t#S256`, which is how Entra finds the key of an app registration.
 */
async function clientAuth(credential: Credential, endpoint: () => string | undefined): Promise<client.ClientAuth> {
  if (credential.kind === 'secret') {
    return credential.method === 'client_secret_basic' ? client.ClientSecretBasic(credential.secret.reveal()) : client.ClientSecretPost(credential.secret.reveal());
  }
  const pkcs8 = credential.key.export({ type: 'pkcs8', format: 'pem' }).toString();
  const key = await importPKCS8(pkcs8, credential.alg);
  return client.PrivateKeyJwt(credential.keyId === undefined ? key : { key, kid: credential.keyId }, {
    [client.modifyAssertion]: (header, payload) => {
      const aud = endpoint();
      if (aud !== undefined) payload.aud = aud;
      if (credential.x5t !== undefined) header.x5t = credential.x5t;
      if (credential.x5tS256 !== undefined) header['x5t#S256'] = credential.x5tS256;
    },
  });
}

/**
 * Why a token request failed, in words safe to answer and log: the OAuth error code and the
 * server's description (bounded, control characters removed), or the network error's code.
 * The request's own parameters (secret, assertion, subject token) are never part of it.
 */
function describeFailure(error: unknown, secrets: (string | undefined)[]): { outcome: 'refused' | 'unreachable' | 'invalid'; reason: string } {
  const failure = failureOf(error);
  // A server that quotes what it was sent (the subject token, the secret) must not get it into our answer or log.
  for (const secret of secrets) if (secret) failure.reason = failure.reason.split(secret).join('[redacted]');
  return failure;
}

function failureOf(error: unknown): { outcome: 'refused' | 'unreachable' | 'invalid'; reason: string } {
  if (error instanceof client.ResponseBodyError) {
    const description = typeof error.error_description === 'string' ? `: ${clean(error.error_description)}` : '';
    return { outcome: 'refused', reason: `the token endpoint refused the request (${error.status} ${clean(error.error)}${description})` };
  }
  if (error instanceof ApiError) return { outcome: 'invalid', reason: error.message };
  const code = networkCode(error);
  if (code !== undefined) return { outcome: 'unreachable', reason: `the token endpoint could not be reached (${code})` };
  const summary = errorSummary(error);
  if (error instanceof client.ClientError || (summary.code !== undefined && /^[A-Z_]+$/.test(String(summary.code)))) {
    return { outcome: 'invalid', reason: `the token endpoint's answer was not usable (${clean(String(summary.code ?? 'error'))}: ${clean(summary.message ?? '')})` };
  }
  return { outcome: 'invalid', reason: 'the token request failed' };
}

/** fetch failures carry the socket error a level or two down (`cause`). */
function networkCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current instanceof Error; depth++) {
    const code = (current as NodeJS.ErrnoException).code;
    if (typeof code === 'string' && /^(E[A-Z]+|UND_ERR_[A-Z_]+)$/.test(code)) return code;
    if (current.name === 'TimeoutError' || current.name === 'AbortError') return 'ETIMEDOUT';
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

function clean(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f]+/g, ' ').slice(0, REASON_CHARS);
}
