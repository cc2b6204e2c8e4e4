/**
 * Errors of the policy part. Each carries a fixed code that doubles as a log field and metric label.
 * Whoever catches PolicyUnavailableError must deny: no decision is never "allow".
 */

/** No good policy is loaded, evaluation failed, or the result had the wrong shape. Deny. */
export class PolicyUnavailableError extends Error {
  readonly code = 'POLICY_UNAVAILABLE';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PolicyUnavailableError';
  }
}

/** `opa build` or `opa test` failed, or OPA could not be run; the message carries OPA's own output. */
export class PolicyBuildError extends Error {
  readonly code = 'POLICY_BUILD_FAILED';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PolicyBuildError';
  }
}

/** The text of anything thrown, including the plain strings opa-wasm throws. */
export function errorText(error: unknown): string {
  if (error instanceof Error) return error.message;
  return typeof error === 'string' ? error : JSON.stringify(error);
}
