/**
 * A real OAuth 2.0 authorization server on loopback for the upstream-credential tests: the
 * certified `oidc-provider` package, with the client_credentials grant enabled and an RFC 8693
 * token-exchange grant (and Entra's on-behalf-of form of the jwt-bearer grant) registered.
 *
 * Its clients live in a store the test can change: `revoke(clientId)` deletes a client (the
 * provider then answers `invalid_client`), `restore(clientId)` brings it back. `stop()` and
 * `start()` take the whole server down and up again on the same port (a token endpoint that is
 * down). `verify(token)` looks an access token up in the provider's own store, as a resource
 * server would with introspection: the fake upstream uses it to check what it receives.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider from 'oidc-provider';

export const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
export const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';

/** One stored record of the provider's models (tokens, grants, clients). */
const records = new Map<string, { payload: Record<string, unknown>; expiresAt?: number }>();

/** The provider's storage: a Map, so the test can add and remove clients while it runs. */
class MapAdapter {
  constructor(private readonly model: string) {}
  private key(id: string): string {
    return `${this.model}:${id}`;
  }
  async upsert(id: string, payload: Record<string, unknown>, expiresIn?: number): Promise<void> {
    records.set(this.key(id), { payload, ...(expiresIn ? { expiresAt: Date.now() + expiresIn * 1000 } : {}) });
  }
  async find(id: string): Promise<Record<string, unknown> | undefined> {
    const record = records.get(this.key(id));
    if (!record) return undefined;
    if (record.expiresAt !== undefined && record.expiresAt <= Date.now()) {
      records.delete(this.key(id));
      return undefined;
    }
    return record.payload;
  }
  async findByUserCode(): Promise<undefined> {
    return undefined;
  }
  async findByUid(): Promise<undefined> {
    return undefined;
  }
  async consume(id: string): Promise<void> {
    const record = records.get(this.key(id));
    if (record) record.payload.consumed = Math.floor(Date.now() / 1000);
  }
  async destroy(id: string): Promise<void> {
    records.delete(this.key(id));
  }
  async revokeByGrantId(): Promise<void> {}
}

export interface TestClient {
  client_id: string;
  client_secret?: string;
  token_endpoint_auth_method: 'client_secret_post' | 'client_secret_basic' | 'private_key_jwt';
  /** For private_key_jwt: the public keys the provider checks the client's assertions with. */
  jwks?: { keys: Record<string, unknown>[] };
}

export interface AuthServerOptions {
  clients: TestClient[];
  /** Lifetime of the access tokens it issues, in seconds (default 3600); `ttl` changes it later. */
  accessTokenTtl?: number;
  /**
   * The subject tokens it accepts in a token exchange (or an on-behalf-of request), mapped to the
   * user they stand for. An identity provider would verify a JWT here; the gateway's tests use
   * static tokens, so the server holds the same table.
   */
  subjects?: Record<string, string>;
}

/** What a verified access token says: the client that obtained it and, when exchanged, the user. */
export interface VerifiedToken {
  clientId: string;
  /** The user (exchanged tokens); undefined for the client's own (client credentials) token. */
  subject?: string;
  /** Which grant issued it: client_credentials, token-exchange, or jwt-bearer (on-behalf-of). */
  grant: string;
}

export class TestAuthServer {
  /** The oidc-provider instance (made on the first start, when the port is known). */
  provider: InstanceType<typeof Provider> | null = null;
  /** Token requests answered, in order: grant type and outcome (`ok` or the OAuth error code). */
  readonly requests: { grant: string; outcome: string }[] = [];
  private server?: http.Server;
  port = 0;
  private readonly clients = new Map<string, TestClient>();
  /** Lifetime of the tokens issued from now on, in seconds. */
  ttl: number;

  constructor(readonly options: AuthServerOptions) {
    for (const client of options.clients) this.clients.set(client.client_id, client);
    this.ttl = options.accessTokenTtl ?? 3600;
  }

  get issuer(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get tokenEndpoint(): string {
    return `${this.issuer}/token`;
  }

  get listening(): boolean {
    return this.server !== undefined;
  }

  /** Token requests that got a token. */
  get issued(): number {
    return this.requests.filter((r) => r.outcome === 'ok').length;
  }

  /** Starts on a free port, or on the same port again after stop() (a token endpoint back up). */
  async start(): Promise<this> {
    const server = http.createServer((req, res) => this.provider!.callback()(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.server = server;
    this.port = (server.address() as AddressInfo).port;
    if (!this.provider) {
      this.provider = this.createProvider();
      for (const id of this.clients.keys()) await this.restore(id);
    }
    return this;
  }

  /** Stops listening and drops every connection: the token endpoint is down. */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  /** Deletes the client: the provider answers its token requests with invalid_client. */
  async revoke(clientId: string): Promise<void> {
    await new MapAdapter('Client').destroy(clientId);
  }

  /** Registers the client again, as it was. */
  async restore(clientId: string): Promise<void> {
    const client = this.clients.get(clientId);
    if (!client) throw new Error(`no test client ${clientId}`);
    await new MapAdapter('Client').upsert(clientId, { ...client, grant_types: ['client_credentials', TOKEN_EXCHANGE, JWT_BEARER], redirect_uris: [], response_types: [] });
  }

  /** Looks an access token up in the provider's store; null when unknown, expired or not a token of this server. */
  async verify(token: string): Promise<VerifiedToken | null> {
    const provider = this.provider!;
    const exchanged = await provider.AccessToken.find(token);
    if (exchanged && !exchanged.isExpired) return { clientId: exchanged.clientId, subject: exchanged.accountId, grant: exchanged.gty };
    const own = await provider.ClientCredentials.find(token);
    if (own && !own.isExpired) return { clientId: own.clientId, grant: 'client_credentials' };
    return null;
  }

  private createProvider(): InstanceType<typeof Provider> {
    const subjects = this.options.subjects ?? {};
    const signing = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });
    const provider = new Provider(this.issuer, {
      adapter: MapAdapter,
      jwks: { keys: [{ ...signing, kid: 'test', use: 'sig', alg: 'RS256' }] },
      cookies: { keys: [randomBytes(32).toString('hex')] },
      features: { clientCredentials: { enabled: true }, devInteractions: { enabled: false } },
      ttl: { AccessToken: () => this.ttl, ClientCredentials: () => this.ttl },
      clientAuthMethods: ['client_secret_post', 'client_secret_basic', 'private_key_jwt'],
      // Exchanged tokens carry the user's id as `sub`.
      findAccount: (_ctx: unknown, sub: string) => ({ accountId: sub, claims: () => ({ sub }) }),
    });
    provider.proxy = false;
    // One handler for both forms of "this user's token for the upstream": RFC 8693 token exchange
    // (subject_token) and Entra's on-behalf-of jwt-bearer (assertion + requested_token_use).
    const exchange = (grant: string) => async (ctx: any, next: () => Promise<void>) => {
      const params = ctx.oidc.params;
      const subjectToken = grant === TOKEN_EXCHANGE ? params.subject_token : params.assertion;
      if (grant === JWT_BEARER && params.requested_token_use !== 'on_behalf_of') {
        ctx.status = 400;
        ctx.body = { error: 'invalid_request', error_description: 'requested_token_use must be on_behalf_of' };
        return;
      }
      if (grant === TOKEN_EXCHANGE && params.subject_token_type !== ACCESS_TOKEN_TYPE) {
        ctx.status = 400;
        ctx.body = { error: 'invalid_request', error_description: 'unsupported subject_token_type' };
        return;
      }
      const user = typeof subjectToken === 'string' ? subjects[subjectToken] : undefined;
      if (user === undefined) {
        ctx.status = 400;
        // Quoting the token back, as a careless server might: the gateway must not pass it on.
        ctx.body = { error: 'invalid_grant', error_description: `the subject token ${String(subjectToken).slice(0, 100)} is not valid` };
        return;
      }
      const token = new provider.AccessToken({ accountId: user, client: ctx.oidc.client, gty: grant === TOKEN_EXCHANGE ? 'token-exchange' : 'on-behalf-of', scope: params.scope || undefined });
      const value = await token.save();
      ctx.body = {
        access_token: value,
        token_type: 'Bearer',
        expires_in: token.expiration,
        ...(grant === TOKEN_EXCHANGE ? { issued_token_type: ACCESS_TOKEN_TYPE } : {}),
      };
      await next();
    };
    provider.registerGrantType(TOKEN_EXCHANGE, exchange(TOKEN_EXCHANGE), ['subject_token', 'subject_token_type', 'requested_token_type', 'audience', 'resource', 'scope']);
    provider.registerGrantType(JWT_BEARER, exchange(JWT_BEARER), ['assertion', 'requested_token_use', 'scope']);
    provider.on('grant.success', (ctx: any) => this.requests.push({ grant: String(ctx.oidc.params.grant_type), outcome: 'ok' }));
    provider.on('grant.error', (ctx: any, error: { error?: string }) => this.requests.push({ grant: String(ctx.oidc.params?.grant_type), outcome: error.error ?? 'error' }));
    return provider;
  }
}

/** Starts an authorization server; the caller stops it. */
export async function startAuthServer(options: AuthServerOptions): Promise<TestAuthServer> {
  return new TestAuthServer(options).start();
}
