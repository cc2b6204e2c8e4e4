/** How the console words and formats API values. Pure functions, no DOM. */
import { REQUEST_STATUSES, type Operation, type RequestStatus } from './api-types';

const OPERATION_LABELS: Record<Operation, string> = {
  create: 'Create',
  modify: 'Modify',
  delete: 'Delete',
  assign: 'Assign',
};

export function operationLabel(operation: string): string {
  return OPERATION_LABELS[operation as Operation] ?? operation;
}

/** Wording for the statuses that need more than their name; any other status reads as its name in words. */
const STATUS_LABELS: Partial<Record<string, string>> = {
  needsApproval: 'Needs approval',
  approved: 'Approved',
  rejected: 'Rejected',
  canceled: 'Canceled',
  completed: 'Completed',
  failed: 'Failed',
  stale: 'Stale (changed upstream)',
  expired: 'Expired',
};

/** Every status, from the one table of src/requests/statuses.ts: a status added there shows up here. */
export const STATUSES: readonly RequestStatus[] = REQUEST_STATUSES;

/**
 * @example statusLabel('needsApproval') // 'Needs approval'; statusLabel('someNewStatus') // 'Some new status'
 */
export function statusLabel(status: string): string {
  const label = STATUS_LABELS[status];
  if (label) return label;
  const words = status.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

const HISTORY_LABELS: Record<string, string> = {
  create: 'Requested',
  approve: 'Approved',
  reject: 'Rejected',
  cancel: 'Canceled',
  'begin-complete': 'Completion started',
  'finish-complete': 'Completion finished',
  expire: 'Expired',
  'break-glass': 'Break-glass (completed without approvals)',
  review: 'Break-glass reviewed',
  schedule: 'Replay scheduled',
  unschedule: 'Replay unscheduled',
};

export function historyLabel(action: string): string {
  return HISTORY_LABELS[action] ?? action;
}

const dateTime = new Intl.DateTimeFormat(undefined, {
  year: 'numeric',
  month: 'short',
  day: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
});

/** A readable local time; the ISO value is kept for a title/datetime attribute. */
export function formatTime(iso: string | undefined): string {
  if (!iso) return '';
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : dateTime.format(date);
}

/** "3 min ago" style, for list rows. */
export function relativeTime(iso: string, now = Date.now()): string {
  const then = new Date(iso).getTime();
  if (Number.isNaN(then)) return iso;
  const seconds = Math.round((now - then) / 1000);
  if (seconds < 45) return 'just now';
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.round(minutes / 60);
  if (hours < 24) return `${hours} h ago`;
  return formatTime(iso);
}

/**
 * A time from now in words, for expiry: "expires in 2 days", "in 5 hours", "in 3 minutes", or
 * "expired" when it has passed.
 * @example timeUntil('2026-12-07T12:00:00Z', Date.parse('2026-12-05T12:00:00Z')) // 'in 2 days'
 */
export function timeUntil(iso: string, now = Date.now()): string {
  const then = Date.parse(iso);
  if (Number.isNaN(then)) return iso;
  const ms = then - now;
  if (ms <= 0) return 'now';
  const units: [number, string][] = [
    [86_400_000, 'day'],
    [3_600_000, 'hour'],
    [60_000, 'minute'],
  ];
  for (const [size, unit] of units) {
    const n = Math.floor(ms / size);
    if (n >= 1) return `in ${n} ${unit}${n === 1 ? '' : 's'}`;
  }
  return 'in less than a minute';
}

/** Pretty-prints JSON text; returns null when the text is not JSON. */
export function prettyJson(text: string): string | null {
  const trimmed = text.trim();
  if (!trimmed.startsWith('{') && !trimmed.startsWith('[')) return null;
  try {
    return JSON.stringify(JSON.parse(trimmed), null, 2);
  } catch {
    return null;
  }
}

export function formatBytes(size: number): string {
  if (size < 1024) return `${size} B`;
  if (size < 1024 * 1024) return `${(size / 1024).toFixed(1)} KiB`;
  return `${(size / (1024 * 1024)).toFixed(1)} MiB`;
}

/** The call as one line: `PATCH /deviceAppManagement/mobileApps/42?x=1`. */
export function callLine(call: { method: string; path: string; query: string }): string {
  return `${call.method} ${call.path}${call.query ? '?' + call.query : ''}`;
}
