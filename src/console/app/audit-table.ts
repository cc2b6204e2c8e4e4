/**
 * Audit events as a table: one request's trail in its pane, or the latest events of every
 * request on the Audit page (with a link to each request). Notes are never in the trail, only
 * their SHA-256: shown shortened, the full value in the title.
 */
import { html } from 'htm/preact';
import type { AuditEvent } from './api-types';
import { formatTime, historyLabel, statusLabel } from './format';

/** Hex characters of a notes digest shown in the table; the title holds all 64. */
const SHA_SHOWN = 12;

export interface AuditTableProps {
  events: AuditEvent[];
  caption: string;
  /** Adds a Request column linking to `<requestHref>/<id>` (the Audit page). */
  requestHref?: string;
}

/**
 * @example html`<${AuditTable} events=${events} caption="Audit trail of this request" />`
 */
export function AuditTable({ events, caption, requestHref }: AuditTableProps) {
  const headings = ['When', ...(requestHref ? ['Request'] : []), 'Who', 'Action', 'From → to', 'Notes SHA-256'];
  return html`
    <table class="audit-table">
      <caption class="visually-hidden">${caption}</caption>
      <thead><tr>${headings.map((t) => html`<th scope="col">${t}</th>`)}</tr></thead>
      <tbody>
        ${events.map(
          (e) => html`
            <tr key=${e.id} data-event=${e.id} data-action=${e.action} data-actor=${e.actor} data-request=${e.requestId}>
              <td class="cell-when"><time datetime=${e.at}>${formatTime(e.at)}</time></td>
              ${requestHref && html`<td><${RequestLink} base=${requestHref} id=${e.requestId} /></td>`}
              <td>${e.actor || '—'}</td>
              <td>${historyLabel(e.action)}${e.resend && ' (sent again)'}</td>
              <td>${e.from ? `${statusLabel(e.from)} → ${statusLabel(e.to)}` : `→ ${statusLabel(e.to)}`}</td>
              <td><${NotesDigest} sha=${e.notesSha256} /></td>
            </tr>
          `,
        )}
      </tbody>
    </table>
  `;
}

function RequestLink({ base, id }: { base: string; id: string }) {
  return html`<a href="${base}/${encodeURIComponent(id)}" class="request-link" title=${id} aria-label="Request ${id}"><code>${id.length > 13 ? `${id.slice(0, 8)}…` : id}</code></a>`;
}

function NotesDigest({ sha }: { sha: string | undefined }) {
  if (!sha) return html`<span class="muted">no notes</span>`;
  return html`<code class="sha-short" title="SHA-256 of the notes: ${sha}" data-sha256=${sha}>${sha.slice(0, SHA_SHOWN)}…</code>`;
}
