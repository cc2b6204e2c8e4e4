/**
 * Verifies JWTs with jose against exactly one key source, with the accepted algorithms pinned
 * to that source: HS256 only for a shared secret, the key's own family for a PEM public key,
 * asymmetric families only for a JWKS. So `alg: none` and the HS-with-a-public-key confusion are
 * refused before any signature check; tokens without `exp`, or issued (`iat`) in the future beyond
 * the clock tolerance, are refused too.
 */
import { readFileSync } from 'node:fs';
import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import { createRemoteJWKSet, jwtVerify, errors, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import { ConfigError } from '../config/config-error';
import { errorPath } from '../config/yaml-file';
import type { JwtConfig } from '../config/types';
import type { Caller } from '../policy/types';
import { IdentityError } from './types';
import { validGroups } from './caller-claims';
import { checkUserId } from './user-id';

const RSA = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512'];
const EC_BY_CURVE: Record<string, string> = { prime256v1: 'ES256', secp384r1: 'ES384', secp521r1: 'ES512' };
const ASYMMETRIC = [...RSA, 'ES256', 'ES384', 'ES512', 'EdDSA'];

/** How long a JWKS fetch may take; afterwards the token is refused (and retried on the next call). */
const JWKS_TIMEOUT_MS = 5000;

/**
 * Verified tokens are remembered, so a client's every call does not pay a signature check: by the
 * token's SHA-256 (never the token itself), until the token's own `exp` and at most this long, so
 * a key withdrawn from the JWKS stops being honoured within it.
 */
const VERIFIED_TTL_MS = 5 * 60_000;
const MAX_VERIFIED = 10_000;

export interface JwtVerifier {
  /** Algorithms this verifier accepts (for logs and tests). */
  readonly algorithms: readonly string[];
  /** `now` exists for tests of the remembered tokens' expiry. */
  verify(token: string, now?: number): Promise<Caller>;
}

type Key = Uint8Array | KeyObject | JWTVerifyGetKey;

function keyFromConfig(config: JwtConfig): { key: Key; algorithms: string[] } {
  if (config.hs256Secret !== undefined) {
    return { key: new TextEncoder().encode(config.hs256Secret), algorithms: ['HS256'] };
  }
  if (config.publicKeyFile !== undefined) return publicKey(config.publicKeyFile);
  if (config.jwksUrl !== undefined) {
    return {
      key: createRemoteJWKSet(new URL(config.jwksUrl), { timeoutDuration: JWKS_TIMEOUT_MS }),
      algorithms: ASYMMETRIC,
    };
  }
  throw new ConfigError('CONFIG_INVALID', ['identity.jwt needs one key source: hs256Secret, publicKeyFile or jwksUrl']);
}

function publicKey(path: string): { key: KeyObject; algorithms: string[] } {
  const shown = errorPath(path);
  let pem: string;
  try {
    pem = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError('CONFIG_FILE_UNREADABLE', [`${shown}: ${(error as NodeJS.ErrnoException).code ?? 'cannot be read'}`]);
  }
  // A private key would work (Node derives the public half), but it must not sit in the gateway's config.
  if (/PRIVATE KEY-----/.test(pem)) {
    throw new ConfigError('CONFIG_INVALID', [`${shown}: holds a private key; give the public key (-----BEGIN PUBLIC KEY-----)`]);
  }
  let key: KeyObject;
  try {
    key = createPublicKey({ key: pem, format: 'pem' });
  } catch {
    throw new ConfigError('CONFIG_INVALID', [`${shown}: not a PEM public key; expected -----BEGIN PUBLIC KEY----- (SPKI)`]);
  }
  switch (key.asymmetricKeyType) {
    case 'rsa':
      return { key, algorithms: RSA };
    case 'rsa-pss':
      return { key, algorithms: ['PS256', 'PS384', 'PS512'] };
    case 'ec': {
      const alg = EC_BY_CURVE[key.asymmetricKeyDetails?.namedCurve ?? ''];
      if (alg) return { key, algorithms: [alg] };
      break;
    }
    case 'ed25519':
      return { key, algorithms: ['EdDSA'] };
  }
  throw new ConfigError('CONFIG_INVALID', [`${shown}: unsupported key type ${key.asymmetricKeyType}; use RSA, EC P-256/P-384/P-521 or Ed25519`]);
}

/** jose's failures, in words a caller may see; none of them contains the token. */
function reasonOf(error: unknown, remote: boolean): string {
  if (error instanceof errors.JWTExpired) return 'token expired';
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.reason === 'missing') return `token has no ${error.claim} claim`;
    // jose's word for a time claim that is not a number: not the same failure as a failed check.
    if (error.reason === 'invalid') return `token ${error.claim} claim is not a number`;
    switch (error.claim) {
      case 'iss':
        return 'token issuer not accepted';
      case 'aud':
        return 'token audience not accepted';
      case 'nbf':
        return 'token not yet valid';
      case 'iat':
        return 'token issued in the future';
      default:
        return `token ${error.claim} claim not accepted`;
    }
  }
  if (error instanceof errors.JOSEAlgNotAllowed) return 'token algorithm not allowed';
  if (error instanceof errors.JWSSignatureVerificationFailed) return 'token signature invalid';
  if (error instanceof errors.JWKSNoMatchingKey) return 'no key of the key set matches the token';
  if (error instanceof errors.JWKSMultipleMatchingKeys) return 'several keys of the key set match the token';
  if (error instanceof errors.JWKSTimeout || error instanceof errors.JWKSInvalid) return 'key set unavailable';
  if (error instanceof errors.JWSInvalid || error instanceof errors.JWTInvalid || error instanceof errors.JOSENotSupported) return 'token malformed';
  // What remains with a JWKS is its fetch failing: refused connection, DNS, a non-200 answer.
  if (remote) return 'key set unavailable';
  return 'token not accepted';
}

/**
 * Builds a verifier from the configuration. Throws ConfigError for a bad key file.
 * @example
 * const verifier = createJwtVerifier({ jwksUrl: 'https://login.example.com/jwks', issuer: 'https://login.example.com/',
 *   clockToleranceSec: 30, userClaim: 'preferred_username', groupsClaim: 'groups' });
 * const caller = await verifier.verify(token); // { userId, groups }
 */
export function createJwtVerifier(config: JwtConfig): JwtVerifier {
  const { key, algorithms } = keyFromConfig(config);
  const options = {
    algorithms,
    issuer: config.issuer,
    audience: config.audience,
    clockTolerance: config.clockToleranceSec,
    // A token that never expires is refused: a leaked one would work forever.
    requiredClaims: ['exp'],
  };
  const verified = new Map<string, { caller: Caller; untilMs: number }>();
  return {
    algorithms,
    async verify(token, now = Date.now()) {
      const digest = createHash('sha256').update(token).digest('base64');
      const known = verified.get(digest);
      if (known && now < known.untilMs) return { userId: known.caller.userId, groups: [...known.caller.groups] };
      if (known) verified.delete(digest);
      let payload: JWTPayload;
      // One clock for jose's checks, ours and the memory of verified tokens.
      // Object.assign, not `{ ...options, currentDate }`: see docs/operations.md ("an object spread").
      const checks = Object.assign({}, options, { currentDate: new Date(now) });
      try {
        // The overloads differ only by key type; each branch narrows it for the compiler.
        payload = typeof key === 'function' ? (await jwtVerify(token, key, checks)).payload : (await jwtVerify(token, key, checks)).payload;
      } catch (error) {
        throw new IdentityError(reasonOf(error, typeof key === 'function'));
      }
      refuseFutureIat(payload, now, config.clockToleranceSec);
      const caller = callerFromClaims(payload, config);
      // Remembered until exp itself (no clock tolerance): never longer than jose would accept it.
      const untilMs = Math.min((payload.exp ?? 0) * 1000, now + VERIFIED_TTL_MS);
      if (untilMs > now) {
        if (verified.size >= MAX_VERIFIED) verified.delete(verified.keys().next().value!);
        verified.set(digest, { caller: { userId: caller.userId, groups: [...caller.groups] }, untilMs });
      }
      return caller;
    },
  };
}

/**
 * jose checks `iat` only when asked for a maximum token age (which would also make `iat`
 * mandatory, and some issuers leave it out). A token issued later than now, beyond the clock
 * tolerance, comes from a wrong clock or a forger choosing its own lifetime: refused. jose has
 * already checked that an `iat`, when present, is a number.
 */
function refuseFutureIat(payload: JWTPayload, nowMs: number, toleranceSec: number): void {
  if (payload.iat !== undefined && payload.iat > nowMs / 1000 + toleranceSec) throw new IdentityError('token issued in the future');
}

/**
 * The user and groups of a verified payload, per the configured claims. The user id is made
 * canonical here (invariant 9), so a cached caller is canonical too.
 */
export function callerFromClaims(payload: JWTPayload, config: Pick<JwtConfig, 'userClaim' | 'groupsClaim'>): Caller {
  const named = payload[config.userClaim];
  const user = checkUserId(named !== undefined ? named : payload.sub);
  // The reason names the rule, never the claim's value.
  if (!user.ok) throw new IdentityError(`token has no valid ${config.userClaim} or sub claim: ${user.reason}`);
  const rawGroups = payload[config.groupsClaim];
  const groups = rawGroups === undefined ? [] : validGroups(rawGroups);
  if (!groups) throw new IdentityError(`token ${config.groupsClaim} claim is not a list of names`);
  return { userId: user.userId, groups: [...groups] };
}
