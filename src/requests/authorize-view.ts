/**
 * A stored request as the policy's authorize entry point sees it (docs/policy.md): used by the
 * API for every action and by the gateway when a resend with an approval code completes a request.
 */
import type { AuthorizeRequestView } from '../policy/types';
import { currentStage } from './stages';
import type { ApprovalRequest } from './types';

/**
 * What the authorize entry point is told about a request.
 * @example policy.authorize({ request: authorizeView(request), actor, action: 'complete' })
 */
export function authorizeView(request: ApprovalRequest): AuthorizeRequestView {
  const view: AuthorizeRequestView = {
    id: request.id,
    status: request.status,
    requestor: request.requestor,
    profileType: request.decision.profileType,
    operation: request.decision.operation,
    policies: request.decision.policies,
    approverGroups: request.decision.approverGroups,
    requiredApprovals: request.decision.requiredApprovals,
    approvedBy: request.approvals.map((approval) => approval.userId),
    ...(request.breakGlass ? { breakGlass: { reviewed: request.review !== undefined } } : {}),
  };
  // Only for the requests they concern, so a one-stage request's input is exactly as before.
  const stage = currentStage(request);
  if (stage) view.stage = { name: stage.name, approverGroups: stage.approverGroups };
  if (request.rejections?.length) view.rejectedBy = request.rejections.map((r) => r.userId);
  return view;
}

