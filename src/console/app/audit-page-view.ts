/**
 * The Audit page, for auditors: the latest transitions of every request, newest first, each
 * linking to its request's pane in "All requests" (`view=all`, which auditors may list).
 */
import { html } from 'htm/preact';
import { AuditTable } from './audit-table';
import { useConsole } from './context';
import { useHeading } from './use-heading';
import { useLoaded } from './use-loaded';

const SHOWN = 100;

export function AuditPage() {
  const { api, revision, changed } = useConsole();
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
      <div class="table-wrap">${events.length > 0 && html`<${AuditTable} events=${events} caption="Audit events, newest first" requestHref="#/all" />`}</div>
      <p class="list-message" role="status">${message}</p>
    </section>
  `;
}
