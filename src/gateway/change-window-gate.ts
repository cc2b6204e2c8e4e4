/**
 * The one check of change windows before a replay (docs/policy.md, "Change windows"): complete, the
 * resend with an approval code, scheduling and the scheduler all ask it, so no path replays a
 * request outside the windows of its access policies. Break-glass alone does not ask: it is the
 * way to change something during a freeze, and is reviewed after the fact.
 */
import { ApiError } from '../errors';
import { insideAll, nextOpening, windowSetsFor } from '../policy/change-windows';
import type { PolicyEngine } from '../policy/types';
import type { ApprovalRequest } from '../requests/types';

/**
 * 409 OUTSIDE_CHANGE_WINDOW (with `nextWindowStart`) when `at` is outside a window of the request's
 * access policies, else null. The policies are read as loaded now, so an edited calendar applies at once.
 * @example const refusal = outsideChangeWindow(policy, request, new Date()); if (refusal) throw refusal;
 */
export function outsideChangeWindow(policy: PolicyEngine, request: ApprovalRequest, at: Date, what = 'completed'): ApiError | null {
  const sets = windowSetsFor(policy.accessPolicies(), request.decision.policies);
  if (insideAll(sets, at)) return null;
  const next = nextOpening(sets, at);
  const when = next ? `; the next window opens at ${next.toISOString()}` : '; no window opens in the next 8 days';
  return new ApiError(
    'OUTSIDE_CHANGE_WINDOW',
    { requestId: request.id, status: request.status, ...(next ? { nextWindowStart: next.toISOString() } : {}) },
    `this request may only be ${what} inside a change window of its access policy (${at.toISOString()} is outside)${when}`,
  );
}
