/**
 * How a stored request is shown through the API: the request itself, what the viewer may do
 * with it now (policy and status together), and for the detail view a preview of its body.
 */
import { decodeBodySync } from '../policy/body-encoding';
import type { Action, AuthorizeRequestView, Caller, PolicyEngine } from '../policy/types';
import type { ApprovalRequest, RequestStatus } from '../requests/types';

export type ActAction = Exclude<Action, 'view'>;
export const ACT_ACTIONS: readonly ActAction[] = ['approve', 'reject', 'cancel', 'complete'];

/** The status each action starts from; checked before the policy so a lost race answers 409, not 403. */
export const FROM_STATUS: Record<ActAction, RequestStatus> = {
  approve: 'needsApproval',
  reject: 'needsApproval',
  cancel: 'needsApproval',
  complete: 'approved',
};

export interface AllowedAction {
  allow: boolean;
  reasons: string[];
}

const PREVIEW_BYTES = 64 * 1024;

/** What the authorize entry point is told about a request. */
export function authorizeView(request: ApprovalRequest): AuthorizeRequestView {
  return {
    id: request.id,
    status: request.status,
    requestor: request.requestor,
    profileType: request.decision.profileType,
    operation: request.decision.operation,
    policies: request.decision.policies,
    approverGroups: request.decision.approverGroups,
    requiredApprovals: request.decision.requiredApprovals,
    approvedBy: request.approvals.map((approval) => approval.userId),
  };
}

/** Whether `actor` may see the request (the policy's `view` action). */
export function canView(policy: PolicyEngine, request: ApprovalRequest, actor: Caller): boolean {
  return policy.authorize({ request: authorizeView(request), actor, action: 'view' }).allow;
}

/** One action: the status must allow it, then the policy must. */
export function allowedAction(policy: PolicyEngine, request: ApprovalRequest, actor: Caller, action: ActAction): AllowedAction {
  const from = FROM_STATUS[action];
  const policyResult = policy.authorize({ request: authorizeView(request), actor, action });
  if (request.status === from && policyResult.allow) return { allow: true, reasons: [] };
  // The shipped policy names a wrong status among its own reasons; say it here only when the
  // policy allowed, so a reason is never given twice.
  return { allow: false, reasons: policyResult.allow ? [`the request is ${request.status}, not ${from}`] : [...policyResult.reasons] };
}

export function allowedActions(policy: PolicyEngine, request: ApprovalRequest, actor: Caller): Record<ActAction, AllowedAction> {
  return {
    approve: allowedAction(policy, request, actor, 'approve'),
    reject: allowedAction(policy, request, actor, 'reject'),
    cancel: allowedAction(policy, request, actor, 'cancel'),
    complete: allowedAction(policy, request, actor, 'complete'),
  };
}

/** The first 64 KiB of the body: as text when it is valid UTF-8, else base64. */
export function bodyPreview(body: Buffer): { encoding: 'utf8' | 'base64'; text: string; truncated: boolean } {
  const head = body.subarray(0, PREVIEW_BYTES);
  const truncated = body.length > PREVIEW_BYTES;
  let text: string | null = null;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(head);
  } catch {
    // A cut in the middle of a multi-byte character is still UTF-8: retry without the last 3 bytes.
    if (truncated) {
      try {
        text = new TextDecoder('utf-8', { fatal: true }).decode(trimPartialUtf8(head));
      } catch {
        text = null;
      }
    }
  }
  return text === null ? { encoding: 'base64', text: head.toString('base64'), truncated } : { encoding: 'utf8', text, truncated };
}

function trimPartialUtf8(bytes: Buffer): Buffer {
  let end = bytes.length;
  // Step back over continuation bytes (10xxxxxx) to the start of the last character, and drop it.
  while (end > 0 && bytes.length - end < 4 && (bytes[end - 1]! & 0xc0) === 0x80) end -= 1;
  return end > 0 ? bytes.subarray(0, end - 1) : bytes;
}

/** Inflating a stored body for its preview stops here; the gateway capped it at park time anyway. */
const PREVIEW_INFLATE_LIMIT = 64 * 1024 * 1024;

/**
 * The body as the upstream reads it: a body stored compressed (Content-Encoding gzip, deflate, br)
 * is shown inflated, so the approver reads the change, not base64 of its compression. The stored
 * bytes and their SHA-256 are unchanged; only the preview is decoded.
 */
function readableBody(body: Buffer, request: ApprovalRequest): Buffer {
  const decoded = decodeBodySync(body, request.call.headers['content-encoding'], PREVIEW_INFLATE_LIMIT);
  return decoded.ok ? decoded.body : body;
}

/** The request resource of docs/api.md. */
export function requestResource(
  policy: PolicyEngine,
  request: ApprovalRequest,
  actor: Caller,
  body?: Buffer | null,
): ApprovalRequest & { allowedActions: Record<ActAction, AllowedAction>; bodyPreview?: ReturnType<typeof bodyPreview> } {
  const resource: ApprovalRequest & { allowedActions: Record<ActAction, AllowedAction>; bodyPreview?: ReturnType<typeof bodyPreview> } = {
    ...request,
    allowedActions: allowedActions(policy, request, actor),
  };
  if (body) resource.bodyPreview = bodyPreview(readableBody(body, request));
  return resource;
}
