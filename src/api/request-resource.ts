/**
 * How a stored request is shown through the API: the request itself, what the viewer may do
 * with it now (policy, status and replay claim together), and for the detail view a preview of its body.
 */
import { decodeBodySync } from '../policy/body-encoding';
import type { Caller, PolicyEngine } from '../policy/types';
import { CALLER_ACTIONS, mayStart, startStatuses, type CallerAction } from '../requests/statuses';
import { authorizeView } from '../requests/authorize-view';
import { currentStage, stageProgress, type StageProgress } from '../requests/stages';
import { outsideChangeWindow } from '../gateway/change-window-gate';
import type { ApprovalRequest } from '../requests/types';

export type ActAction = CallerAction;

/** Actions shown in `allowedActions` beside the caller actions: break-glass and its review (docs/policy.md). */
export type BreakGlassAction = 'breakGlass' | 'review';

export type ShownAction = ActAction | BreakGlassAction;

export interface AllowedAction {
  /** Whether the call, as it is, would be accepted now. */
  allow: boolean;
  /** Why not, when `allow` is false. */
  reasons: string[];
  /**
   * complete only, and only when true: an earlier replay's outcome is unknown, so a plain complete
   * answers 409 OUTCOME_UNKNOWN; `?resend=confirm` sends it again (docs/api.md).
   */
  resendConfirmRequired?: true;
}

const PREVIEW_BYTES = 64 * 1024;

/** Whether `actor` may see the request (the policy's `view` action). */
export function canView(policy: PolicyEngine, request: ApprovalRequest, actor: Caller): boolean {
  return policy.authorize({ request: authorizeView(request), actor, action: 'view' }).allow;
}

/**
 * Why the request's status does not allow the action (src/requests/statuses.ts), or null.
 * @example statusRefusal(request, 'cancel') // 'the request is approved, not needsApproval'
 */
export function statusRefusal(request: ApprovalRequest, action: ActAction | 'breakGlass'): string | null {
  return mayStart(action, request.status) ? null : `the request is ${request.status}, not ${startStatuses(action)}`;
}

/**
 * Why an approver may not approve or reject a staged request now: they approve in another stage
 * than the current one (409 NOT_CURRENT_STAGE; the script checks the same atomically). Null when
 * the request is not staged, the action is not a verdict, or the caller is no approver of it at all
 * (the policy's refusal says that).
 * @example stageRefusal(request, heidi, 'approve') // 'the request is in stage policy (policy-approvers); …'
 */
export function stageRefusal(request: ApprovalRequest, actor: Caller, action: ActAction): string | null {
  if (action !== 'approve' && action !== 'reject') return null;
  const stage = currentStage(request);
  if (!stage || actor.userId === request.requestor.userId) return null;
  if (!actor.groups.some((g) => request.decision.approverGroups.includes(g))) return null;
  if (actor.groups.some((g) => stage.approverGroups.includes(g))) return null;
  return `the request is in stage ${stage.name} (${stage.approverGroups.join(', ')}); you act only in the current stage`;
}

/** The policy's verdict on the caller taking the action (maa/authorize). */
export function policyVerdict(policy: PolicyEngine, request: ApprovalRequest, actor: Caller, action: ShownAction): AllowedAction {
  const result = policy.authorize({ request: authorizeView(request), actor, action });
  return { allow: result.allow, reasons: result.allow ? [] : [...result.reasons] };
}

/**
 * Whether a plain complete would be refused because of the replay claim: one in flight
 * (409 COMPLETE_IN_PROGRESS) or one whose lease ran out without an outcome (409 OUTCOME_UNKNOWN).
 */
function claimRefusal(request: ApprovalRequest, now: Date): AllowedAction | null {
  if (!request.claim) return null;
  const leaseUntil = Date.parse(request.claim.leaseUntil);
  if (leaseUntil > now.getTime()) {
    return { allow: false, reasons: [`a complete of this request is in progress (its claim holds until ${request.claim.leaseUntil})`] };
  }
  return {
    allow: false,
    reasons: ['an earlier complete may have reached the upstream (its outcome is unknown); check the upstream, then send it again with ?resend=confirm'],
    resendConfirmRequired: true,
  };
}

/**
 * What the caller may do now, as the action itself would answer: the policy, the status, and for
 * complete the replay claim. The policy's reasons come first; the shipped policy names a wrong
 * status among them, so the status is said here only when the policy allowed, never twice.
 * @example allowedAction(policy, request, { userId: 'bob', groups: ['app-approvers'] }, 'approve') // { allow: true, reasons: [] }
 */
export function allowedAction(policy: PolicyEngine, request: ApprovalRequest, actor: Caller, action: ActAction, now = new Date()): AllowedAction {
  const verdict = policyVerdict(policy, request, actor, action);
  if (!verdict.allow) return verdict;
  const notNow = stageRefusal(request, actor, action);
  if (notNow) return { allow: false, reasons: [notNow] };
  const wrongStatus = statusRefusal(request, action);
  if (wrongStatus) return { allow: false, reasons: [wrongStatus] };
  if (action !== 'complete') return { allow: true, reasons: [] };
  const outside = outsideChangeWindow(policy, request, now);
  return claimRefusal(request, now) || (outside ? { allow: false, reasons: [outside.message] } : { allow: true, reasons: [] });
}

export function allowedActions(policy: PolicyEngine, request: ApprovalRequest, actor: Caller, now = new Date()): Record<ShownAction, AllowedAction> {
  const shown = Object.fromEntries(CALLER_ACTIONS.map((action) => [action, allowedAction(policy, request, actor, action, now)])) as Record<ShownAction, AllowedAction>;
  shown.breakGlass = breakGlassAction(policy, request, actor);
  // The policy names a missing break-glass and an earlier review among its reasons.
  shown.review = policyVerdict(policy, request, actor, 'review');
  return shown;
}

/** Break-glass, as the action itself would answer (the reason's length aside): the policy, then the status. */
function breakGlassAction(policy: PolicyEngine, request: ApprovalRequest, actor: Caller): AllowedAction {
  const verdict = policyVerdict(policy, request, actor, 'breakGlass');
  if (!verdict.allow) return verdict;
  const wrongStatus = statusRefusal(request, 'breakGlass');
  return wrongStatus ? { allow: false, reasons: [wrongStatus] } : { allow: true, reasons: [] };
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

/** The gateway's retention of open requests (requests.retentionMs, approvedRetentionMs); a policy's expiry overrides it. */
export interface OpenRetention {
  openMs: number;
  approvedMs: number;
}

/**
 * When an open request expires unless its status changes: the time of its last status change
 * (its history says it, as the expire script's statusChangedMs) plus its policy's expiresAfter /
 * approvedExpiresAfter (stored at park) or the gateway's retention. Undefined once it has ended.
 */
export function expiresAt(request: ApprovalRequest, retention: OpenRetention): string | undefined {
  const ms =
    request.status === 'needsApproval'
      ? (request.decision.expiresAfterMs ?? retention.openMs)
      : request.status === 'approved'
        ? (request.decision.approvedExpiresAfterMs ?? retention.approvedMs)
        : undefined;
  if (ms === undefined) return undefined;
  const changed = [...request.history].reverse().find((entry) => entry.from !== entry.to);
  const since = Date.parse(changed?.at ?? request.createdAt);
  return Number.isFinite(since) ? new Date(since + ms).toISOString() : undefined;
}

export type RequestResource = ApprovalRequest & {
  allowedActions: Record<ShownAction, AllowedAction>;
  bodyPreview?: ReturnType<typeof bodyPreview>;
  /** Staged requests only: the current stage's name, null when none waits. */
  stage?: string | null;
  stages?: StageProgress[];
  expiresAt?: string;
};

/** The request resource of docs/api.md. */
export function requestResource(
  policy: PolicyEngine,
  request: ApprovalRequest,
  actor: Caller,
  body?: Buffer | null,
  retention?: OpenRetention,
): RequestResource {
  // The approval code's hash is the store's, for the resend check; no viewer needs it.
  const { approvalCodeSha256: _codeHash, ...shown } = request;
  // Object.assign, not `{ ...shown, … }`: see docs/operations.md ("an object spread").
  const resource: RequestResource = Object.assign({}, shown, { allowedActions: allowedActions(policy, request, actor) });
  const progress = stageProgress(request);
  if (progress) {
    resource.stage = progress.current;
    resource.stages = progress.stages;
  }
  const expiry = retention && expiresAt(request, retention);
  if (expiry) resource.expiresAt = expiry;
  if (body) resource.bodyPreview = bodyPreview(readableBody(body, request));
  return resource;
}
