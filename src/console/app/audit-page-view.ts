/**
 * The Audit page, for auditors: the latest transitions of every request, newest first, each
 * linking to its request's pane in "All requests" (`view=all`, which auditors may list).
 */
import { html } from 'htm/preact';
import { AuditTable } from './audit-table';
import { useConsole } from './context';
import { formatTime } from './format';
import { useHeading } from './use-heading';
import { useLoaded } from './use-loaded';

const SHOWN = 100;

export function AuditPage() {
  const { api, revision, changed } = useConsole();
  const queue = useLoaded(`break-glass:${revision}`, () => api.breakGlass(false), 'Loading the break-glass review queue');
  const { data, error, busy } = useLoaded(`audit:${revision}`, () => api.audit({ limit: SHOWN, order: 'desc' }), 'Loading the audit trail');
  const heading = useHeading('Audit');
  const events = data?.items ?? [];
  const message = error ? 'The audit trail could not be loaded.' : data && events.length === 0 ? 'The audit trail is empty.' : '';
  return html`
    <section class="list-panel audit-page" aria-labelledby="heading-audit" aria-busy=${busy ? 'true' : undefined}>
      <header class="panel-header">
        <div>
          <h1 id="heading-audit" tabindex="-1" ref=${heading}>Audit</h1>
          <p class="intro">The latest ${SHOWN} transitions of every request, newest first. Notes are kept out of the trail; their SHA-256 is in it.</p>
        </div>
        <div class="toolbar"><button type="button" class="button-secondary" onClick=${changed}>Refresh</button></div>
      </header>
      <section class="break-glass-queue" aria-labelledby="heading-break-glass">
        <h2 id="heading-break-glass">Break-glass waiting for review</h2>
        ${queue.error
          ? html`<p class="list-message">The review queue could not be loaded.</p>`
          : queue.data && queue.data.items.length === 0
            ? html`<p class="list-message" data-break-glass-queue="empty">No break-glass request waits for review.</p>`
            : queue.data &&
              html`<div class="table-wrap">
                <table class="history" data-break-glass-queue=${queue.data.items.length}>
                  <caption>Completed without approvals, newest first; an approver of their groups reviews each</caption>
                  <thead><tr>${['When', 'Requestor', 'Call', 'Reason', 'Approver groups'].map((t) => html`<th scope="col">${t}</th>`)}</tr></thead>
                  <tbody>
                    ${queue.data.items.map(
                      (r) => html`<tr>
                        <td><a href="#/all/${encodeURIComponent(r.id)}">${formatTime(r.breakGlass?.at)}</a></td>
                        <td>${r.requestor.userId}</td>
                        <td><code>${r.call.method} ${r.call.path}</code></td>
                        <td>${r.breakGlass?.reason}</td>
                        <td>${r.decision.approverGroups.join(', ')}</td>
                      </tr>`,
                    )}
                  </tbody>
                </table>
              </div>`}
      </section>
      <div class="table-wrap">${events.length > 0 && html`<${AuditTable} events=${events} caption="Audit events, newest first" requestHref="#/all" />`}</div>
      <p class="list-message" role="status">${message}</p>
    </section>
  `;
}
