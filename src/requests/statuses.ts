/**
 * The one table of request statuses and of the state machine (DESIGN.md, "Request lifecycle").
 * Everything else reads it: the API's status checks and `allowedActions`, the OpenAPI enum, the
 * CLI and the console. The Lua scripts and the Rego cannot import it, so
 * test/api/statuses.test.ts runs the scripts' status preconditions in Redis and asks the
 * built policy, and fails when either disagrees with this table.
 *
 *   needsApproval ──approve (enough approvals)──► approved ──complete──► completed | failed | stale
 *        │ └─reject──► rejected     └─cancel──► canceled       (a retryable outcome stays approved)
 *                                     stale: the object changed upstream since the call was parked
 *        └──────────── expire (both open statuses) ──────────► expired
 */

/** Every status a request can have, in lifecycle order. */
export const REQUEST_STATUSES = ['needsApproval', 'approved', 'rejected', 'canceled', 'completed', 'failed', 'stale', 'expired'] as const;

export type RequestStatus = (typeof REQUEST_STATUSES)[number];

/**
 * The statuses of an open request: it holds its object's lock (invariant 4) and can still change.
 * Every other status is terminal: nothing moves it again, and the sweep removes it after its retention.
 */
export const OPEN_STATUSES = ['needsApproval', 'approved'] as const satisfies readonly RequestStatus[];

/** The terminal statuses: the request has ended and its object is free. */
export const TERMINAL_STATUSES = REQUEST_STATUSES.filter((s) => !(OPEN_STATUSES as readonly string[]).includes(s)) as readonly RequestStatus[];

/**
 * Each action on a stored request: the statuses it may start from and those it may lead to.
 * `approve` stays needsApproval until `requiredApprovals` distinct approvers approved; `complete`
 * stays approved when the upstream gave no final answer (5xx, timeout), so it can be retried.
 * `reject` stays needsApproval under `rejectPolicy: majority` until the majority has rejected.
 * `expire` is the sweep's, never a caller's.
 */
export const TRANSITIONS = {
  approve: { from: ['needsApproval'], to: ['needsApproval', 'approved'] },
  reject: { from: ['needsApproval'], to: ['rejected', 'needsApproval'] },
  cancel: { from: ['needsApproval'], to: ['canceled'] },
  /** `stale`: the object changed upstream since the call was parked (docs/api.md "Stale objects"). */
  complete: { from: ['approved'], to: ['completed', 'failed', 'stale', 'approved'] },
  expire: { from: ['needsApproval', 'approved'], to: ['expired'] },
  /** The requestor completes without approvals (break-glass): approved and claimed in one step, then as complete. */
  breakGlass: { from: ['needsApproval'], to: ['approved'] },
  /** Scheduling, unscheduling or the scheduler's claim of a replay: status unchanged until the replay's outcome. */
  schedule: { from: ['approved'], to: ['approved'] },
} as const satisfies Record<string, { from: readonly RequestStatus[]; to: readonly RequestStatus[] }>;

export type TransitionAction = keyof typeof TRANSITIONS;

/** The actions a caller takes through the API (docs/api.md), in the order they are shown. */
export const CALLER_ACTIONS = ['approve', 'reject', 'cancel', 'complete'] as const satisfies readonly TransitionAction[];

export type CallerAction = (typeof CALLER_ACTIONS)[number];

/** The status a request starts in when a call is parked. */
export const INITIAL_STATUS: RequestStatus = 'needsApproval';

/**
 * Whether `action` may start from `status`.
 * @example
 * mayStart('complete', 'approved'); // true
 * mayStart('cancel', 'approved');   // false
 */
export function mayStart(action: TransitionAction, status: string): boolean {
  return (TRANSITIONS[action].from as readonly string[]).includes(status);
}

/**
 * The statuses `action` may start from, as words for a message.
 * @example
 * startStatuses('expire'); // 'needsApproval or approved'
 */
export function startStatuses(action: TransitionAction): string {
  return TRANSITIONS[action].from.join(' or ');
}

/**
 * Whether `value` is one of the statuses.
 * @example
 * isRequestStatus('approved'); // true
 */
export function isRequestStatus(value: unknown): value is RequestStatus {
  return typeof value === 'string' && (REQUEST_STATUSES as readonly string[]).includes(value);
}
