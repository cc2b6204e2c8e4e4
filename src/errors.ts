/**
 * The one registry of refusals the gateway answers with: code → HTTP status and message.
 * Every error response, from the proxy side and the /maa/v1 API alike, has the shape
 * `{ "error": { "code", "message", ...details } }`. docs/api.md lists exactly these codes
 * (test/api/errors-doc.test.ts checks both directions), and the codes double as metric labels.
 */
import type { ServerResponse } from 'node:http';
import { LIMITS } from './limits';
import { PolicyUnavailableError } from './policy/errors';
import { StoreError, TransitionError, type StoreErrorCode } from './requests/errors';

export const errorRegistry = {
  // 400: the call cannot be understood.
  UNSAFE_PATH: { status: 400, message: 'the request path or method cannot be interpreted safely' },
  INVALID_JSON: { status: 400, message: 'the request body is not valid JSON' },
  BATCH_INVALID: { status: 400, message: 'the JSON batch cannot be read exactly as the upstream would read it' },
  BODY_NOT_DECODABLE: { status: 400, message: 'the body is not valid data of its Content-Encoding' },
  // 401 / 403: who you are and what you may do.
  UNAUTHENTICATED: { status: 401, message: 'a valid bearer token is required' },
  FORBIDDEN: { status: 403, message: 'the policy does not allow this action' },
  SELF_APPROVAL: { status: 403, message: 'the requestor cannot approve their own request' },
  NOT_REQUESTOR: { status: 403, message: 'only the requestor may do this' },
  BATCH_NOT_ALLOWED: { status: 403, message: 'a JSON batch may not carry protected changes; send each on its own so it can be approved' },
  // 404
  NOT_FOUND: { status: 404, message: 'no such route' },
  APPROVAL_CODE_UNKNOWN: { status: 404, message: 'no approved request of yours has this approval code' },
  REQUEST_NOT_FOUND: { status: 404, message: 'no such request, or it is not visible to you' },
  METHOD_NOT_ALLOWED: { status: 405, message: 'this route does not serve that method' },
  REQUEST_TIMEOUT: { status: 408, message: 'the request body did not arrive in time' },
  // 409: the request's state does not allow it (the answer names the current status).
  INVALID_STATE: { status: 409, message: 'the request is not in a state that allows this' },
  OBJECT_LOCKED: { status: 409, message: 'the object already has an open request' },
  ALREADY_APPROVED: { status: 409, message: 'you have already approved this request' },
  COMPLETE_IN_PROGRESS: { status: 409, message: 'a complete of this request is in progress' },
  OUTCOME_UNKNOWN: {
    status: 409,
    message: 'an earlier replay may have reached the upstream; check it, then resend with ?resend=confirm',
  },
  APPROVAL_CODE_MISMATCH: { status: 409, message: 'the call resent with an approval code is not the call that was approved' },
  CLAIM_LOST: { status: 409, message: 'the replay claim expired before its outcome was recorded' },
  NOT_CURRENT_STAGE: { status: 409, message: 'the request is in a stage whose approver groups you are not in; you act only in the current stage' },
  ALREADY_REJECTED: { status: 409, message: 'you have already rejected this request' },
  // Break-glass and change windows (docs/policy.md).
  NOT_BREAK_GLASS: { status: 409, message: 'the request was not completed by break-glass, so there is nothing to review' },
  ALREADY_REVIEWED: { status: 409, message: 'this break-glass has already been reviewed' },
  OUTSIDE_CHANGE_WINDOW: { status: 409, message: 'the request may only be completed inside a change window of its access policy; nextWindowStart says when' },
  NOT_SCHEDULED: { status: 409, message: 'no replay of this request is scheduled' },
  // The audit chain (docs/security.md, "Tamper-evident audit trail").
  AUDIT_CHAIN_BROKEN: { status: 409, message: 'the audit chain does not verify; run countersign audit verify' },
  STALE_OBJECT: {
    status: 409,
    message: 'the object changed upstream since the call was parked; nothing was sent, the request is stale: resubmit the change (the answer\'s diff is against the object as it is now)',
  },
  // 413 / 415 / 422: the input is too large, in an unreadable coding, or invalid.
  BODY_TOO_LARGE: { status: 413, message: 'the request body is larger than the configured limit' },
  UNSUPPORTED_CONTENT_ENCODING: { status: 415, message: 'the Content-Encoding is not one of gzip, deflate or br' },
  VALIDATION_FAILED: { status: 422, message: 'the request is invalid' },
  BREAK_GLASS_REASON_REQUIRED: { status: 422, message: 'break-glass needs a reason of at least breakGlassMinReasonChars characters (config/roles.yaml)' },
  INVALID_JUSTIFICATION: {
    status: 422,
    message: `X-MAA-Justification must be percent-encoded UTF-8 of at most ${LIMITS.justificationChars.toLocaleString('en')} characters, without control characters`,
  },
  JUSTIFICATION_REQUIRED: { status: 422, message: 'the access policy requires a business justification (X-MAA-Justification); nothing was parked' },
  REJECT_NOTES_REQUIRED: { status: 422, message: 'the access policy requires notes with a rejection' },
  // 429: a bounded resource is in use.
  TOO_MANY_STREAMS: { status: 429, message: 'too many live event streams are open; close one (another tab) first' },
  // 5xx: a dependency failed; protected calls are refused, never forwarded.
  INTERNAL: { status: 500, message: 'internal error' },
  UPSTREAM_UNAVAILABLE: { status: 502, message: 'the upstream did not answer (502: refused or reset, 504: timed out)' },
  UPSTREAM_AUTH_FAILED: { status: 502, message: 'the gateway could not obtain its credential for the upstream (upstream.auth); nothing was sent' },
  SNAPSHOT_UNAVAILABLE: { status: 503, message: 'the object could not be read again to check it is unchanged since the call was parked; nothing was sent, the request stays approved: complete may be tried again' },
  POLICY_UNAVAILABLE: { status: 503, message: 'the policy is not available; protected changes are refused' },
  STORE_UNAVAILABLE: { status: 503, message: 'the request store (Redis) is not available; protected changes are refused' },
} as const satisfies Record<string, { status: number; message: string }>;

export type ErrorCode = keyof typeof errorRegistry;

/**
 * Each store error code and the API code it is answered with. Typed against both unions, so a new
 * store code that is not mapped, or mapped to an undocumented code, fails to compile.
 */
const FROM_STORE = {
  REQUEST_NOT_FOUND: 'REQUEST_NOT_FOUND',
  INVALID_STATE: 'INVALID_STATE',
  OBJECT_LOCKED: 'OBJECT_LOCKED',
  SELF_APPROVAL: 'SELF_APPROVAL',
  ALREADY_APPROVED: 'ALREADY_APPROVED',
  NOT_REQUESTOR: 'NOT_REQUESTOR',
  COMPLETE_IN_PROGRESS: 'COMPLETE_IN_PROGRESS',
  OUTCOME_UNKNOWN: 'OUTCOME_UNKNOWN',
  CLAIM_LOST: 'CLAIM_LOST',
  NOT_CURRENT_STAGE: 'NOT_CURRENT_STAGE',
  ALREADY_REJECTED: 'ALREADY_REJECTED',
  NOT_BREAK_GLASS: 'NOT_BREAK_GLASS',
  ALREADY_REVIEWED: 'ALREADY_REVIEWED',
  NOT_SCHEDULED: 'NOT_SCHEDULED',
  STORE_UNAVAILABLE: 'STORE_UNAVAILABLE',
  // The store's message names the field and the limit it broke (src/limits.ts).
  INVALID_INPUT: 'VALIDATION_FAILED',
  AUDIT_CHAIN_BROKEN: 'AUDIT_CHAIN_BROKEN',
} as const satisfies Record<StoreErrorCode, ErrorCode>;

/** Optional fields of an error body (docs/api.md). */
export interface ErrorDetails {
  /** Policy reasons (403). */
  reasons?: string[];
  /** The open request that holds the object (OBJECT_LOCKED), or the request concerned. */
  requestId?: string;
  /** The request's current status (409). */
  status?: string;
  /** Which fields failed validation (422). */
  fields?: string[];
  /** OUTSIDE_CHANGE_WINDOW: when the next change window opens (ISO-8601), absent when none ever does. */
  nextWindowStart?: string;
  /** The ids of a JSON batch's sub-requests that carry protected changes (BATCH_NOT_ALLOWED). */
  subRequests?: string[];
}

/**
 * A refusal that any layer may throw; the API's error handler and the proxy path both turn it
 * into the documented JSON shape with the registry's status.
 * @example throw new ApiError('INVALID_STATE', { status: 'approved', requestId })
 */
export class ApiError extends Error {
  readonly httpStatus: number;
  constructor(
    readonly code: ErrorCode,
    readonly details: ErrorDetails = {},
    message?: string,
    /** Only for codes whose documented status varies (UPSTREAM_UNAVAILABLE: 502 or 504). */
    httpStatus?: number,
  ) {
    super(message ?? errorRegistry[code].message);
    this.name = 'ApiError';
    this.httpStatus = httpStatus ?? errorRegistry[code].status;
  }

  /** The JSON body of docs/api.md. */
  body(): { error: { code: string; message: string } & ErrorDetails } {
    return { error: { code: this.code, message: this.message, ...this.details } };
  }
}

/**
 * 409 STALE_OBJECT: the one refusal whose body carries more than the error, the diff of the
 * parked call against the object as it is now (docs/api.md "Stale objects").
 */
export class StaleObjectError extends ApiError {
  constructor(
    readonly diff: unknown,
    details: ErrorDetails,
    message?: string,
  ) {
    super('STALE_OBJECT', details, message);
  }

  override body(): { error: { code: string; message: string } & ErrorDetails; diff: unknown } {
    return { ...super.body(), diff: this.diff };
  }
}

/**
 * The one mapping from anything a layer throws to the answer the caller gets, used by the API's
 * routes and the gateway's park step alike:
 * - an ApiError is returned as it is;
 * - a store error by its code: a refused transition → 403/404/409 with the request's id and status
 *   (OBJECT_LOCKED names the open request), a refused input → 422 VALIDATION_FAILED naming the
 *   limit, Redis unusable → 503 STORE_UNAVAILABLE;
 * - the policy not available → 503 POLICY_UNAVAILABLE;
 * - a body the JSON parser refused (body-parser's own `type` codes) → 400 / 413 / 422;
 * - anything else is a bug → 500 INTERNAL (the caller logs it; the answer carries no detail).
 * @example
 * apiErrorFrom(new StoreInputError('justification is longer than 1000 characters (the limit)')) // 422 VALIDATION_FAILED
 * apiErrorFrom(new StoreUnavailableError('redis is not connected')) // 503 STORE_UNAVAILABLE
 */
export function apiErrorFrom(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  if (error instanceof StoreError) {
    const code = FROM_STORE[error.code];
    if (error instanceof TransitionError) {
      return new ApiError(code, { requestId: error.openRequestId ?? error.requestId, ...(error.status ? { status: error.status } : {}) });
    }
    // An input error's message is the caller's own field and the limit, a broken chain's the event
    // that does not verify; an outage's stays internal.
    return code === 'VALIDATION_FAILED' || code === 'AUDIT_CHAIN_BROKEN' ? new ApiError(code, {}, error.message) : new ApiError(code);
  }
  if (error instanceof PolicyUnavailableError) return new ApiError('POLICY_UNAVAILABLE');
  const type = (error as { type?: unknown } | null)?.type;
  if (type === 'entity.parse.failed') return new ApiError('INVALID_JSON');
  if (type === 'entity.too.large') return new ApiError('BODY_TOO_LARGE');
  if (type === 'encoding.unsupported' || type === 'charset.unsupported') return new ApiError('VALIDATION_FAILED', {}, 'unsupported body encoding');
  return new ApiError('INTERNAL');
}

/**
 * Writes an error on a bare node response (the proxy path has no Express).
 * Does nothing when headers were already sent, except end the response.
 */
export function sendError(res: ServerResponse, error: ApiError, extraHeaders: Record<string, string> = {}): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  const payload = JSON.stringify(error.body());
  res.writeHead(error.httpStatus, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(payload),
    'cache-control': 'no-store',
    ...extraHeaders,
  });
  res.end(payload);
}
