/**
 * Audit events as a table: one request's trail in its pane, or the latest events of every
 * request on the Audit page (with a link to each request). Notes are never in the trail, only
 * their SHA-256: shown shortened, the full value in the title.
 */
import type { AuditEvent } from './api-types';
import { h } from './dom';
import { formatTime, historyLabel, statusLabel } from './format';

/** Hex characters of a notes digest shown in the table; the title holds all 64. */
const SHA_SHOWN = 12;

export interface AuditTableOptions {
  /** Adds a Request column linking to `<requestHref>/<id>` (the Audit page). */
  requestHref?: string;
  caption: string;
}

/**
 * @example auditTable(events, { caption: 'Audit trail of this request' })
 */
export function auditTable(events: AuditEvent[], options: AuditTableOptions): HTMLTableElement {
  const headings = ['When', ...(options.requestHref ? ['Request'] : []), 'Who', 'Action', 'From → to', 'Notes SHA-256'];
  return h(
    'table',
    { class: 'audit-table' },
    h('caption', { class: 'visually-hidden' }, options.caption),
    h('thead', {}, h('tr', {}, headings.map((t) => h('th', { scope: 'col' }, t)))),
    h(
      'tbody',
      {},
      events.map((e) =>
        h(
          'tr',
          { 'data-event': e.id, 'data-action': e.action, 'data-actor': e.actor, 'data-request': e.requestId },
          h('td', { class: 'cell-when' }, h('time', { datetime: e.at }, formatTime(e.at))),
          options.requestHref ? h('td', {}, requestLink(options.requestHref, e.requestId)) : null,
          h('td', {}, e.actor || '—'),
          h('td', {}, historyLabel(e.action), e.resend ? ' (sent again)' : ''),
          h('td', {}, e.from ? `${statusLabel(e.from)} → ${statusLabel(e.to)}` : `→ ${statusLabel(e.to)}`),
          h('td', {}, notesDigest(e.notesSha256)),
        ),
      ),
    ),
  );
}

function requestLink(base: string, id: string): HTMLElement {
  const short = id.length > 13 ? `${id.slice(0, 8)}…` : id;
  return h('a', { href: `${base}/${encodeURIComponent(id)}`, class: 'request-link', title: id, 'aria-label': `Request ${id}` }, h('code', {}, short));
}

function notesDigest(sha: string | undefined): HTMLElement | string {
  if (!sha) return h('span', { class: 'muted' }, 'no notes');
  return h('code', { class: 'sha-short', title: `SHA-256 of the notes: ${sha}`, 'data-sha256': sha }, `${sha.slice(0, SHA_SHOWN)}…`);
}
