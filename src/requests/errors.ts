/**
 * Errors of the approval request store. Every one is a StoreError with a stable `code` (as
 * undici's UND_ERR_* and Fastify's FST_ERR_* are): callers branch on the code, never on a class
 * name string or a message. src/errors.ts `apiErrorFrom` is the one mapper from these codes
 * to HTTP answers, for the API and the gateway's park step alike. The one translator from the Lua
 * scripts' negative return codes is `scriptError` below (as BullMQ's error-code enum is).
 */
import { isRequestStatus } from './statuses';
import type { RequestStatus, TransitionErrorCode } from './types';

/** Every code a store error carries: a refused transition, an unusable Redis, or a refused input. */
export type StoreErrorCode = TransitionErrorCode | 'STORE_UNAVAILABLE' | 'INVALID_INPUT' | 'AUDIT_CHAIN_BROKEN';

/** The base class of every error the store throws on purpose. */
export abstract class StoreError extends Error {
  abstract readonly code: StoreErrorCode;
}

/** A transition the request's state or the actor does not allow. The API maps `code` to 403/404/409. */
export class TransitionError extends StoreError {
  override name = 'TransitionError';
  readonly code: TransitionErrorCode;
  readonly requestId: string;
  /** The request's status when the transition was refused (409s show it). */
  readonly status?: RequestStatus;
  /** OBJECT_LOCKED only: the open request that holds the object. */
  readonly openRequestId?: string;

  constructor(code: TransitionErrorCode, message: string, requestId: string, extra: { status?: RequestStatus; openRequestId?: string } = {}) {
    super(message);
    this.code = code;
    this.requestId = requestId;
    if (extra.status !== undefined) this.status = extra.status;
    if (extra.openRequestId !== undefined) this.openRequestId = extra.openRequestId;
  }
}

/**
 * Redis is down, not ready, or did not answer within the store call's deadline. Commands fail
 * fast (no offline queue); the client keeps reconnecting by itself. The gateway answers 503 and
 * never passes a protected mutation through.
 */
export class StoreUnavailableError extends StoreError {
  override name = 'StoreUnavailableError';
  readonly code = 'STORE_UNAVAILABLE';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/**
 * An input the store refuses before touching Redis: a bad cursor or limit, an oversized or
 * inconsistent field. The message names the field and the limit (src/limits.ts); answered 422.
 */
export class StoreInputError extends StoreError {
  override name = 'StoreInputError';
  readonly code = 'INVALID_INPUT';
}

/**
 * The audit chain does not verify where an answer must rest on it (an evidence file); the message
 * names the first event that does not, so `countersign audit verify` can be pointed at it. 409.
 */
export class AuditChainError extends StoreError {
  override name = 'AuditChainError';
  readonly code = 'AUDIT_CHAIN_BROKEN';
}

/** The scripts' negative return codes (src/requests/scripts/*.lua headers list which script returns which). */
export enum ScriptErrorCode {
  RequestNotFound = -1,
  InvalidState = -2,
  ObjectLocked = -3,
  SelfApproval = -4,
  AlreadyApproved = -5,
  NotRequestor = -6,
  CompleteInProgress = -7,
  OutcomeUnknown = -8,
  ClaimLost = -9,
  /** create: a request with this id exists already (a random id collided). */
  IdExists = -10,
  /** expire, remove: not yet past its retention (the sweep read an index that moved since). */
  NotDue = -11,
  /** review: the request was not completed by break-glass. */
  NotBreakGlass = -12,
  /** review: an approver reviewed this break-glass already. */
  AlreadyReviewed = -13,
  /** unschedule, claim-scheduled: no replay is scheduled (any more). */
  NotScheduled = -14,
  /** approve, reject: a staged request whose current stage's approver groups do not include the actor. */
  NotCurrentStage = -15,
  /** approve, reject: under rejectPolicy majority, the actor rejected before. */
  AlreadyRejected = -16,
  /** warn-expiring: the request was warned of its expiry before, in its current status (-17…-19 left for other transitions). */
  AlreadyWarned = -20,
}

function asStatus(detail: string): RequestStatus | undefined {
  return isRequestStatus(detail) ? detail : undefined;
}

/**
 * Turns a script's negative return code into a TransitionError naming the script.
 * `detail` is the script's second return value: the current status, or for OBJECT_LOCKED the open request's id.
 * @example
 * scriptError('approve-3', -2, id, 'approved') // TransitionError INVALID_STATE, status 'approved'
 */
export function scriptError(script: string, code: number, requestId: string, detail: string): TransitionError {
  const status = asStatus(detail);
  const at = `${script} (request ${requestId})`;
  switch (code) {
    case ScriptErrorCode.RequestNotFound:
      return new TransitionError('REQUEST_NOT_FOUND', `${at}: no such request`, requestId);
    case ScriptErrorCode.InvalidState:
      return new TransitionError('INVALID_STATE', `${at}: not allowed while the request is ${detail}`, requestId, { status });
    case ScriptErrorCode.ObjectLocked:
      return new TransitionError('OBJECT_LOCKED', `${at}: the object already has an open request ${detail}`, requestId, { openRequestId: detail });
    case ScriptErrorCode.SelfApproval:
      return new TransitionError('SELF_APPROVAL', `${at}: the requestor cannot approve or reject their own request`, requestId, { status });
    case ScriptErrorCode.AlreadyApproved:
      return new TransitionError('ALREADY_APPROVED', `${at}: this approver has already approved the request`, requestId, { status });
    case ScriptErrorCode.NotRequestor:
      return new TransitionError('NOT_REQUESTOR', `${at}: only the requestor may do this`, requestId, { status });
    case ScriptErrorCode.CompleteInProgress:
      return new TransitionError('COMPLETE_IN_PROGRESS', `${at}: a complete is already in flight`, requestId, { status });
    case ScriptErrorCode.OutcomeUnknown:
      return new TransitionError(
        'OUTCOME_UNKNOWN',
        `${at}: an earlier complete was sent but its outcome was never recorded; check the upstream, then resend on purpose`,
        requestId,
        { status },
      );
    case ScriptErrorCode.ClaimLost:
      return new TransitionError('CLAIM_LOST', `${at}: the complete claim is no longer held by this caller`, requestId, { status });
    case ScriptErrorCode.IdExists:
      return new TransitionError('INVALID_STATE', `${at}: a request with this id exists already`, requestId, { status });
    case ScriptErrorCode.NotCurrentStage:
      return new TransitionError('NOT_CURRENT_STAGE', `${at}: the actor is not an approver of the request's current stage`, requestId, { status });
    case ScriptErrorCode.AlreadyRejected:
      return new TransitionError('ALREADY_REJECTED', `${at}: this approver has already rejected the request`, requestId, { status });
    case ScriptErrorCode.NotDue:
      return new TransitionError('INVALID_STATE', `${at}: not yet due`, requestId, { status });
    case ScriptErrorCode.NotBreakGlass:
      return new TransitionError('NOT_BREAK_GLASS', `${at}: the request was not completed by break-glass`, requestId, { status });
    case ScriptErrorCode.AlreadyReviewed:
      return new TransitionError('ALREADY_REVIEWED', `${at}: this break-glass has already been reviewed`, requestId, { status });
    case ScriptErrorCode.NotScheduled:
      return new TransitionError('NOT_SCHEDULED', `${at}: no replay of this request is scheduled`, requestId, { status });
    case ScriptErrorCode.AlreadyWarned:
      return new TransitionError('INVALID_STATE', `${at}: its expiry was announced before in this status`, requestId, { status });
    default:
      return new TransitionError('INVALID_STATE', `${at}: unknown script return code ${code}`, requestId, { status });
  }
}
