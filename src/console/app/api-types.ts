/**
 * The /maa/v1 resources as the console receives them (docs/api.md). The request model is the
 * domain's own type plus what the API adds to it.
 */
import type { ApprovalRequest, AuditEvent } from '../../requests/types';
import type { StageProgress } from '../../requests/stages';
import type { Operation } from '../../policy/types';

export type { AuditEvent, Operation };
// The statuses come from the one table of src/requests/statuses.ts.
export { OPEN_STATUSES, REQUEST_STATUSES, type RequestStatus } from '../../requests/statuses';

export interface ActionPermission {
  allow: boolean;
  reasons: string[];
  /** complete only: an earlier replay's outcome is unknown; a deliberate resend is possible (docs/api.md). */
  resendConfirmRequired?: true;
}

export type ActionName = 'approve' | 'reject' | 'cancel' | 'complete';

/** Shown beside the actions: break-glass (the CLI and API do it) and its review (the pane's form). */
export type BreakGlassActionName = 'breakGlass' | 'review';

export interface BodyPreview {
  encoding: 'utf8' | 'base64';
  text: string;
  truncated: boolean;
}

export interface RequestResource extends ApprovalRequest {
  allowedActions: Record<ActionName, ActionPermission> & Partial<Record<BreakGlassActionName, ActionPermission>>;
  bodyPreview?: BodyPreview;
  /** A staged request: the current stage (null when none waits) and each stage's progress. */
  stage?: string | null;
  stages?: StageProgress[];
  /** An open request: when it expires unless its status changes. */
  expiresAt?: string;
}

export interface RequestPage {
  items: RequestResource[];
  nextCursor?: string;
  /** How many match the query, every page together; `totalExact: false` when counting stopped at the API's bound. */
  total: number;
  totalExact: boolean;
}

/** One change of the diff resource (docs/api.md `GET /requests/{id}/diff`): a JSON Pointer and what it was and becomes. */
export interface DiffChange {
  path: string;
  kind: 'added' | 'removed' | 'changed';
  before?: unknown;
  after?: unknown;
  /** A base64 field that holds text (a script's `scriptContent`): decoded, with a line diff. */
  encoding?: 'base64';
  text?: { before?: string; after?: string; lines: { op: ' ' | '-' | '+'; text: string }[] };
}

/** `GET /requests/{id}/diff`: the change against the object as the upstream had it when the call was parked. */
export interface DiffResource {
  requestId: string;
  operation: Operation;
  method: string;
  path: string;
  snapshot: { state: 'captured' | 'failed' | 'none' | 'tooLarge'; at?: string; etag?: string; sha256?: string; bytes?: number; error?: string };
  changes: DiffChange[];
  assignments?: { added: unknown[]; removed: unknown[] };
}

/** What a list asks the API: the view, its filters and its page. */
export interface ListRequestsQuery {
  view: 'mine' | 'received' | 'all';
  limit: number;
  status?: string;
  profileType?: string;
  requestor?: string;
  q?: string;
  /** ISO-8601 times. */
  createdFrom?: string;
  createdTo?: string;
  cursor?: string;
}

/** One event of `GET /events`. */
export interface LiveEvent {
  requestId: string;
  action: string;
  to: string;
  at: string;
}

export interface Me {
  userId: string;
  groups: string[];
  auditor: boolean;
}

export interface AccessPolicyResource {
  name: string;
  description: string;
  profileType: string;
  approverGroups: string[];
  requiredApprovals: number;
  enabled: boolean;
  /** A staged policy's stages, in order. */
  stages?: { name: string; approverGroups: string[]; requiredApprovals: number }[];
  rejectPolicy?: 'any' | 'majority';
  justification?: 'required' | 'optional';
  rejectNotes?: 'required' | 'optional';
  when?: { methods?: string[]; operations?: Operation[]; bodyFields?: string[] };
  appliesTo?: string[];
  exempt?: string[];
  expiresAfterMs?: number;
  approvedExpiresAfterMs?: number;
  changeWindows?: { days: string[]; from: string; to: string; timeZone: string }[];
  routes: { method: string; path: string; operation: Operation }[];
}

export interface DemoIdentity {
  token: string;
  userId: string;
  groups: string[];
  description?: string;
}

/** The upstream's answer to a complete, relayed by the gateway. */
export interface CompleteOutcome {
  upstreamStatus: number;
  upstreamStatusText: string;
  /** The request's new status (header X-MAA-Request-Status). */
  requestStatus: string;
  contentType: string;
  body: string;
}

/** `GET /audit`: transitions oldest first (the stream's order). */
export interface AuditPage {
  items: AuditEvent[];
}

/** The parked body as `GET /requests/{id}/body` serves it. */
export interface RequestBody {
  blob: Blob;
  /** The stored content type, as the API sent it. */
  contentType: string;
  /** Header X-MAA-Body-SHA256, the digest the gateway stored at parking. */
  sha256: string | null;
}
