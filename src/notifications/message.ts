/**
 * One notification, built once per event and rendered by each channel: the webhook payload
 * (documented in docs/notifications.md, the contract receivers code against) and the readable
 * parts chat and e-mail share: a title that says who did what to which object, the facts
 * (requestor, object, justification, notes, approvals, expiry) and a link to the request in the
 * console. Built from the outbox entry and the request as it is at delivery; when the request is
 * gone (removed after its retention) the entry alone still makes a message.
 */
import type { ApprovalRequest } from '../requests/types';
import type { NotificationEvent, OutboxEntry } from './events';

/** The webhook body: Standard Webhooks' recommended `{ type, timestamp, data }` envelope. */
export interface WebhookPayload {
  /** `request.<event>`, e.g. `request.created`. */
  type: string;
  /** When the event happened, ISO-8601. */
  timestamp: string;
  data: {
    eventId: string;
    event: string;
    audience: NotificationEvent['audience'];
    requestId: string;
    actor: string;
    from: string | null;
    to: string;
    auditId?: string;
    expiresAt?: string;
    /** Absent when the request was removed before the event was delivered. */
    request?: {
      status: string;
      requestor: string;
      justification: string;
      profileType: string;
      operation: string;
      objectKey: string;
      method: string;
      path: string;
      bodySha256: string;
      approverGroups: string[];
      requiredApprovals: number;
      approvals: Array<{ userId: string; at: string; notes: string }>;
      rejection?: { userId: string; at: string; notes: string };
      createdAt: string;
      updatedAt: string;
    };
    /** The request in the console, for this event's audience; absent when no console URL is configured. */
    url?: string;
  };
}

export interface Fact {
  label: string;
  value: string;
}

export interface NotificationMessage {
  /** The outbox entry id: the webhook-id, the same on every retry. */
  id: string;
  event: NotificationEvent;
  entry: OutboxEntry;
  request: ApprovalRequest | null;
  /** One line: who did what to which object. */
  title: string;
  facts: Fact[];
  link?: string;
  payload: WebhookPayload;
}

/** Chat and mail lines stay readable; the stored texts are bounded already (src/limits.ts). */
const MAX_FACT_CHARS = 1000;
const MAX_TITLE_CHARS = 300;

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** `modify apps /deviceAppManagement/mobileApps/42`, or the request id when the request is gone. */
function objectText(request: ApprovalRequest | null, requestId: string): string {
  if (!request) return `request ${requestId}`;
  return `${request.decision.operation} ${request.decision.profileType} ${request.call.method} ${request.call.path}`;
}

function inWords(ms: number): string {
  const hours = Math.round(ms / 3_600_000);
  if (hours >= 48) return `${Math.round(hours / 24)} days`;
  if (hours >= 1) return `${hours} h`;
  return `${Math.max(1, Math.round(ms / 60_000))} min`;
}

function latestVerdict(request: ApprovalRequest | null, kind: 'approve' | 'reject'): { userId: string; notes: string } | undefined {
  if (!request) return undefined;
  if (kind === 'reject') return request.rejection ?? request.rejections?.at(-1);
  return request.approvals.at(-1);
}

/**
 * The title of an event: who did what to which object.
 * @example title of a `created` event: "alice asks for approval: modify apps PATCH /deviceAppManagement/mobileApps/42"
 */
function titleOf(event: NotificationEvent, entry: OutboxEntry, request: ApprovalRequest | null, now: Date): string {
  const what = objectText(request, entry.requestId);
  const requestor = request?.requestor.userId ?? 'the requestor';
  const count = request ? ` (${request.approvals.length} of ${request.decision.requiredApprovals})` : '';
  switch (event.name) {
    case 'created':
      return `${requestor} asks for approval: ${what}`;
    case 'approval':
      return `${entry.actor} approved${count}: ${what}`;
    case 'approved':
      return `Approved by ${entry.actor}, ready to complete: ${what}`;
    case 'rejection':
      return `${entry.actor} rejected (not yet final): ${what}`;
    case 'rejected':
      return `Rejected by ${entry.actor}: ${what}`;
    case 'canceled':
      return `${entry.actor} canceled: ${what}`;
    case 'completed':
      return `Applied: ${what}`;
    case 'failed':
      return `Failed at the upstream${request?.completion ? ` (${request.completion.upstreamStatus})` : ''}: ${what}`;
    case 'stale':
      return `Stale, the object changed upstream since it was parked: ${what}`;
    case 'expiring':
      return `Expires in ${inWords((entry.expiresMs ?? now.getTime()) - now.getTime())}${entry.from === 'approved' ? ', not yet completed' : ', waiting for approval'}: ${what}`;
    case 'expired':
      return `Expired: ${what}`;
    case 'breakGlass':
      return `${entry.actor} completed by break-glass, without approvals (review it): ${what}`;
    case 'reviewed':
      return `${entry.actor} reviewed the break-glass: ${what}`;
    case 'scheduled':
      return `${entry.actor} scheduled the replay: ${what}`;
    case 'unscheduled':
      return `Replay taken off the schedule: ${what}`;
    default:
      return `${entry.actor}: ${event.name} (${entry.from ?? 'none'} → ${entry.to}): ${what}`;
  }
}

function factsOf(event: NotificationEvent, entry: OutboxEntry, request: ApprovalRequest | null): Fact[] {
  const facts: Fact[] = [];
  if (request) {
    facts.push({ label: 'Requestor', value: request.requestor.userId });
    facts.push({ label: 'Object', value: `${request.call.method} ${request.call.path}` });
    facts.push({ label: 'Profile type', value: `${request.decision.profileType} (${request.decision.operation})` });
    facts.push({ label: 'Justification', value: request.justification || '(none given)' });
    facts.push({ label: 'Approvals', value: `${request.approvals.length} of ${request.decision.requiredApprovals}${request.approvals.length > 0 ? `: ${request.approvals.map((a) => a.userId).join(', ')}` : ''}` });
  }
  const verdict = event.name === 'approval' || event.name === 'approved' ? latestVerdict(request, 'approve') : event.name === 'rejection' || event.name === 'rejected' ? latestVerdict(request, 'reject') : undefined;
  if (verdict?.notes) facts.push({ label: `Notes of ${verdict.userId}`, value: verdict.notes });
  if (request?.completion && (event.name === 'completed' || event.name === 'failed')) {
    facts.push({ label: 'Upstream answer', value: `${request.completion.upstreamStatus}${request.completion.reason ? `: ${request.completion.reason}` : ''}` });
  }
  if (entry.expiresMs !== undefined) facts.push({ label: 'Expires at', value: new Date(entry.expiresMs).toISOString() });
  facts.push({ label: 'Status', value: entry.to });
  return facts.map((f) => ({ label: f.label, value: clip(f.value, MAX_FACT_CHARS) }));
}

/**
 * The console link for the event's audience: approvers land in "Received", the requestor in
 * "My requests" (the console's hash routes, src/console/app/route.ts).
 */
export function consoleLink(consoleUrl: string | undefined, event: NotificationEvent, requestId: string): string | undefined {
  if (!consoleUrl) return undefined;
  return `${consoleUrl}/#/${event.audience === 'requestor' ? 'mine' : 'received'}/${encodeURIComponent(requestId)}`;
}

/**
 * Builds the message of one event.
 * @example buildMessage(entry, { name: 'created', audience: 'approvers' }, request, 'https://cs.example.com/maa/console').title
 */
export function buildMessage(entry: OutboxEntry, event: NotificationEvent, request: ApprovalRequest | null, consoleUrl: string | undefined, now: Date = new Date()): NotificationMessage {
  const link = consoleLink(consoleUrl, event, entry.requestId);
  const data: WebhookPayload['data'] = {
    eventId: entry.id,
    event: event.name,
    audience: event.audience,
    requestId: entry.requestId,
    actor: entry.actor,
    from: entry.from,
    to: entry.to,
  };
  if (entry.auditId) data.auditId = entry.auditId;
  if (entry.expiresMs !== undefined) data.expiresAt = new Date(entry.expiresMs).toISOString();
  if (request) {
    data.request = {
      status: request.status,
      requestor: request.requestor.userId,
      justification: request.justification,
      profileType: request.decision.profileType,
      operation: request.decision.operation,
      objectKey: request.decision.objectKey,
      method: request.call.method,
      path: request.call.path,
      bodySha256: request.call.bodySha256,
      approverGroups: request.decision.approverGroups,
      requiredApprovals: request.decision.requiredApprovals,
      approvals: request.approvals.map((a) => ({ userId: a.userId, at: a.at, notes: a.notes })),
      ...(request.rejection ? { rejection: { userId: request.rejection.userId, at: request.rejection.at, notes: request.rejection.notes } } : {}),
      createdAt: request.createdAt,
      updatedAt: request.updatedAt,
    };
  }
  if (link) data.url = link;
  return {
    id: entry.id,
    event,
    entry,
    request,
    title: clip(titleOf(event, entry, request, now), MAX_TITLE_CHARS),
    facts: factsOf(event, entry, request),
    ...(link ? { link } : {}),
    payload: { type: `request.${event.name}`, timestamp: entry.at || now.toISOString(), data },
  };
}
