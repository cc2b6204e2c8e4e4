import type { Caller } from '../policy/types';

/** Who is calling. Implementations: verified JWT (jose) and static tokens, with directory groups merged. */
export interface Identity {
  /**
   * Resolves the caller from the raw `Authorization` header value.
   * Throws IdentityError (code UNAUTHENTICATED, with a reason that never echoes the token).
   */
  authenticate(authorization: string | undefined): Promise<Caller>;
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
