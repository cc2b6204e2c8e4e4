/**
 * The pane's Timeline: the request's history and its audit trail as one list. Both record the
 * same transitions (the audit stream is written in the same atomic step as the history), so each
 * transition is one row: the history's entry, with the audit event's id and notes digest when the
 * trail was read. Notes are never in the trail, only their SHA-256: shortened, the whole value in the title.
 */
import { html } from 'htm/preact';
import { ApiError } from './api-client';
import type { AuditEvent, RequestResource } from './api-types';
import { formatTime, historyLabel, statusLabel } from './format';
import { Section } from './pane-section';

/** Hex characters of a notes digest shown; the title holds all 64. */
const SHA_SHOWN = 12;

export interface TimelineRow {
  at: string;
  actor: string;
  action: string;
  from: string | null;
  to: string;
  resend?: boolean;
  notesSha256?: string;
  /** The audit event's id, when the trail holds this transition. */
  eventId?: string;
}

/**
 * History and audit events merged: one row per transition, oldest first. A history entry and an
 * audit event are the same transition when action, time and actor agree; what only one of them
 * holds (a trail longer than the history, or no trail at all) is kept.
 * @example mergeTimeline(request.history, auditEvents)
 */
export function mergeTimeline(history: RequestResource['history'], audit: AuditEvent[]): TimelineRow[] {
  const unmatched = [...audit];
  const rows: TimelineRow[] = history.map((entry) => {
    const index = unmatched.findIndex((e) => e.action === entry.action && e.at === entry.at && e.actor === entry.actor);
    const event = index >= 0 ? unmatched.splice(index, 1)[0] : undefined;
    const notesSha256 = event?.notesSha256 ?? entry.notesSha256;
    return {
      at: entry.at,
      actor: entry.actor,
      action: entry.action,
      from: entry.from,
      to: entry.to,
      ...(entry.resend || event?.resend ? { resend: true } : {}),
      ...(notesSha256 ? { notesSha256 } : {}),
      ...(event ? { eventId: event.id } : {}),
    };
  });
  for (const event of unmatched) {
    rows.push({ at: event.at, actor: event.actor, action: event.action, from: event.from, to: event.to, eventId: event.id, ...(event.notesSha256 ? { notesSha256: event.notesSha256 } : {}) });
  }
  return rows.sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
}

export function Timeline({ request, audit }: { request: RequestResource; audit: AuditEvent[] | Error }) {
  const rows = mergeTimeline(request.history, audit instanceof Error ? [] : audit);
  const why = audit instanceof Error ? (audit instanceof ApiError ? `${audit.message} (${audit.code})` : audit.message) : '';
  return html`
    <${Section} title="Timeline" class="timeline" state=${audit instanceof Error ? 'error' : 'loaded'}>
      <ol class="timeline-list">
        ${rows.map(
          (row) => html`
            <li class="timeline-row" data-action=${row.action} data-actor=${row.actor} data-event=${row.eventId}>
              <p class="timeline-what"><strong>${historyLabel(row.action)}</strong>${row.resend && ' (sent again after an unknown outcome)'} · ${row.actor || 'the gateway'}</p>
              <p class="timeline-meta">
                <time datetime=${row.at}>${formatTime(row.at)}</time> ·
                <span class="timeline-status">${row.from ? `${statusLabel(row.from)} → ${statusLabel(row.to)}` : `→ ${statusLabel(row.to)}`}</span>
                ${row.notesSha256 && html` · notes <code class="sha-short" title="SHA-256 of the notes: ${row.notesSha256}" data-sha256=${row.notesSha256}>${row.notesSha256.slice(0, SHA_SHOWN)}…</code>`}
              </p>
            </li>
          `,
        )}
      </ol>
      ${audit instanceof Error && html`<p class="muted audit-unavailable">The audit trail is not available: ${why}</p>`}
    <//>
  `;
}
