import type { Caller } from '../policy/types';

/** Who is calling. Implementations: verified JWT (jose) and static tokens, with directory groups merged. */
export interface Identity {
  /**
   * Resolves the caller from the raw `Authorization` header value.
   * Throws IdentityError (code UNAUTHENTICATED, with a reason that never echoes the token).
   */
  authenticate(authorization: string | undefined): Promise<Caller>;
  /**
   * The same answer as `authenticate`, given without a promise when it needs no I/O (a static
   * token): the request path then decides in the same tick. Returns a Caller or a Promise of one;
   * a refusal is thrown (synchronously) or rejected, always as IdentityError. Optional, additive.
   */
  authenticateNow?(authorization: string | undefined): Caller | Promise<Caller>;
  /** The static tokens, for the demo's sign-in picker; empty unless static tokens are configured. */
  staticIdentities(): { token: string; userId: string; groups: string[]; description?: string }[];
  close(): Promise<void>;
}

export class IdentityError extends Error {
  readonly code = 'UNAUTHENTICATED';
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'IdentityError';
  }
}
