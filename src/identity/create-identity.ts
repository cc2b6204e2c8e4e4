/**
 * The identity the gateway and the API ask "who is calling?": static tokens first (exact match
 * by digest), then a verified JWT, then the directory's groups merged in.
 */
import type { IdentityConfig } from '../config/types';
import type { Caller } from '../policy/types';
import { IdentityError, type Identity } from './types';
import { bearerToken } from './bearer-token';
import { mergeGroups } from './caller-claims';
import { loadDirectory, type Directory } from './directory';
import { createJwtVerifier, type JwtVerifier } from './jwt-verifier';
import { loadStaticTokens, type StaticTokens } from './static-tokens';

/** Exactly two dots: the compact JWS form (header.payload.signature), checked without a split. */
function isJwsShaped(token: string): boolean {
  const first = token.indexOf('.');
  if (first < 0) return false;
  const second = token.indexOf('.', first + 1);
  return second > 0 && token.indexOf('.', second + 1) < 0;
}

/**
 * Loads the configured sources (files are read and checked now, so mistakes stop the start).
 * Throws ConfigError for a bad file or key.
 * @example
 * const identity = await createIdentity({ staticTokensFile: 'config/demo-tokens.yaml' });
 * await identity.authenticate('Bearer demo-alice'); // { userId: 'alice', groups: ['helpdesk'] }
 */
export async function createIdentity(config: IdentityConfig): Promise<Identity> {
  const tokens: StaticTokens | undefined = config.staticTokensFile ? loadStaticTokens(config.staticTokensFile) : undefined;
  const directory: Directory | undefined = config.directoryFile ? loadDirectory(config.directoryFile) : undefined;
  const jwt: JwtVerifier | undefined = config.jwt ? createJwtVerifier(config.jwt) : undefined;

  /** Static tokens answer at once; only a JWT (jose is async) yields a promise. */
  function resolveCaller(token: string): Caller | Promise<Caller> {
    const known = tokens?.lookup(token);
    if (known) return known;
    // Only something shaped like a JWS goes to jose; anything else is simply unknown.
    if (jwt && isJwsShaped(token)) return jwt.verify(token);
    throw new IdentityError('unknown token');
  }

  const withDirectory = (caller: Caller): Caller =>
    directory ? { userId: caller.userId, groups: mergeGroups(caller.groups, directory.groupsOf(caller.userId)) } : caller;

  function authenticateNow(authorization: string | undefined): Caller | Promise<Caller> {
    const caller = resolveCaller(bearerToken(authorization));
    return caller instanceof Promise ? caller.then(withDirectory) : withDirectory(caller);
  }

  return {
    // The promise form for everyone else; a synchronous throw becomes a rejection.
    authenticate: async (authorization) => authenticateNow(authorization),
    authenticateNow,
    staticIdentities: () => tokens?.entries() ?? [],
    // Nothing holds a socket or timer: jose's JWKS fetches are one-off requests.
    close: async () => {},
  };
}
