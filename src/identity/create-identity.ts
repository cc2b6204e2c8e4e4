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

  async function resolveCaller(token: string): Promise<Caller> {
    const known = tokens?.lookup(token);
    if (known) return known;
    // Only something shaped like a JWS goes to jose; anything else is simply unknown.
    if (jwt && token.split('.').length === 3) return jwt.verify(token);
    throw new IdentityError('unknown token');
  }

  return {
    async authenticate(authorization) {
      const caller = await resolveCaller(bearerToken(authorization));
      if (!directory) return caller;
      return { userId: caller.userId, groups: mergeGroups(caller.groups, directory.groupsOf(caller.userId)) };
    },
    staticIdentities: () => tokens?.entries() ?? [],
    // Nothing holds a socket or timer: jose's JWKS fetches are one-off requests.
    close: async () => {},
  };
}
