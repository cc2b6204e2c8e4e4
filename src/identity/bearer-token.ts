/**
 * Reads the bearer token out of an `Authorization` header value, bounded in size before any
 * parsing or cryptography touches it.
 */
import { IdentityError } from './types';

/** Longest token accepted: real JWTs with many groups stay well below this. */
export const MAX_TOKEN_BYTES = 8 * 1024;

const BEARER = /^Bearer +([A-Za-z0-9._~+/=-]+) *$/i;

/**
 * Returns the token, or throws IdentityError with a reason that never contains the header.
 * @example
 * bearerToken('Bearer demo-alice'); // 'demo-alice'
 */
export function bearerToken(authorization: string | undefined): string {
  if (authorization === undefined || authorization === '') throw new IdentityError('missing Authorization header');
  // Check the length before the regular expression, so a huge header costs nothing.
  if (authorization.length > MAX_TOKEN_BYTES + 16) throw new IdentityError(`bearer token larger than ${MAX_TOKEN_BYTES} bytes`);
  const match = BEARER.exec(authorization);
  if (!match) throw new IdentityError('Authorization header is not a Bearer token');
  const token = match[1]!;
  if (token.length > MAX_TOKEN_BYTES) throw new IdentityError(`bearer token larger than ${MAX_TOKEN_BYTES} bytes`);
  return token;
}
