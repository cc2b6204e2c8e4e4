/**
 * What a notification is about, and who hears it. The outbox holds one entry per transition
 * (its audit action and statuses, src/requests/scripts/includes/enqueue-notification.lua) or per
 * expiry warning; this module names each as a notification event and picks its audience:
 *   - the approvers of the request's groups when there is something for them to do or to stop
 *     doing: created, expiring (while it waits for approval), canceled, break-glass;
 *   - the requestor on every verdict and outcome: each approval of N, approved, each rejection
 *     under a majority rule, rejected, completed, failed, stale, expired, expiring once approved,
 *     reviewed.
 * Transitions added later (by other parts) are still delivered to webhooks and chat channels
 * under their action's name, with no e-mail audience, until they are named here.
 */
import type { RequestStatus } from '../requests/types';

/** Every event name a channel's `events` filter may list (docs/notifications.md). */
export const NOTIFICATION_EVENTS = [
  'created',
  'approval',
  'approved',
  'rejection',
  'rejected',
  'canceled',
  'completed',
  'failed',
  'stale',
  'expiring',
  'expired',
  'breakGlass',
  'reviewed',
  'scheduled',
  'unscheduled',
] as const;

export type NotificationEventName = (typeof NOTIFICATION_EVENTS)[number];

export type Audience = 'approvers' | 'requestor' | 'none';

/** One outbox entry as the dispatcher reads it. */
export interface OutboxEntry {
  /** Stream id, e.g. `1764939600000-0`: unique, the webhook-id of every delivery of it. */
  id: string;
  requestId: string;
  /** The audit action (create, approve, …) or `expiring`. */
  event: string;
  actor: string;
  /** Statuses as written; a string, since a status added later (e.g. stale) reads the same way. */
  from: RequestStatus | string | null;
  to: RequestStatus | string;
  at: string;
  /** The transition's audit stream id; absent for an expiry warning. */
  auditId?: string;
  /** expiring only: when the request expires, ms since epoch. */
  expiresMs?: number;
}

export interface NotificationEvent {
  /** The name filters and payloads use; for an action not named here, the action itself. */
  name: NotificationEventName | string;
  audience: Audience;
}

export function isNotificationEventName(value: unknown): value is NotificationEventName {
  return typeof value === 'string' && (NOTIFICATION_EVENTS as readonly string[]).includes(value);
}

/**
 * Names an outbox entry; null for steps that are no news to anyone (a complete beginning, an
 * attempt that left the request approved: the requestor saw its answer).
 * @example notificationEvent({ event: 'approve', from: 'needsApproval', to: 'needsApproval', … }) // { name: 'approval', audience: 'requestor' }
 */
export function notificationEvent(entry: Pick<OutboxEntry, 'event' | 'from' | 'to'>): NotificationEvent | null {
  const { event, from, to } = entry;
  // Whatever transition led there (finish-complete today), a stale request is the requestor's news.
  if (to === 'stale' && from !== 'stale') return { name: 'stale', audience: 'requestor' };
  switch (event) {
    case 'create':
      return { name: 'created', audience: 'approvers' };
    case 'approve':
      return to === 'approved' ? { name: 'approved', audience: 'requestor' } : { name: 'approval', audience: 'requestor' };
    case 'reject':
      return to === 'rejected' ? { name: 'rejected', audience: 'requestor' } : { name: 'rejection', audience: 'requestor' };
    case 'cancel':
      return { name: 'canceled', audience: 'approvers' };
    case 'finish-complete':
      if (to === 'completed') return { name: 'completed', audience: 'requestor' };
      if (to === 'failed') return { name: 'failed', audience: 'requestor' };
      return null;
    case 'begin-complete':
    case 'claim-scheduled':
      return null;
    case 'expire':
      return { name: 'expired', audience: 'requestor' };
    case 'expiring':
      return { name: 'expiring', audience: from === 'approved' ? 'requestor' : 'approvers' };
    case 'break-glass':
      return { name: 'breakGlass', audience: 'approvers' };
    case 'review':
      return { name: 'reviewed', audience: 'requestor' };
    case 'schedule':
      return { name: 'scheduled', audience: 'none' };
    case 'unschedule':
      return { name: 'unscheduled', audience: 'requestor' };
    default:
      return { name: event, audience: 'none' };
  }
}
