export { createIdentity } from './create-identity';
export { IdentityError, type Identity } from './types';
export { MAX_TOKEN_BYTES } from './bearer-token';
export type { StaticIdentity } from './static-tokens';
