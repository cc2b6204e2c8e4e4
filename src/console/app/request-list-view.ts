/**
 * "My requests", "Received requests" and, for auditors, "All requests": one table of requests,
 * newest change first, with a status filter and cursor paging. Keeps its filter and page while
 * the pane opens and closes.
 */
import { html } from 'htm/preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import type { RequestResource, RequestStatus } from './api-types';
import { useConsole } from './context';
import { formatTime, operationLabel, relativeTime, STATUSES, statusLabel } from './format';
import { PathText } from './path-text';
import type { ListKind } from './route';
import { StatusBadge } from './status-badge';
import { useLoaded } from './use-loaded';

const PAGE_SIZE = 25;

const TEXTS: Record<ListKind, { title: string; intro: string; empty: string }> = {
  mine: {
    title: 'My requests',
    intro: 'Changes you made to protected resources. Once approved, complete them to apply the change.',
    empty: 'You have no requests with this status.',
  },
  received: {
    title: 'Received requests',
    intro: 'Changes waiting for an approver from your groups. You can never approve your own.',
    empty: 'No requests with this status were sent to your groups.',
  },
  all: {
    title: 'All requests',
    intro: 'Every request, whoever made it; you see them as an auditor. Open one for its audit trail.',
    empty: 'No requests have this status.',
  },
};

const HEADINGS = ['When', 'Requestor', 'Operation', 'Profile type', 'Object', 'Status'];

interface Query {
  status: RequestStatus | '';
  /** Cursors of the pages before the current one; the first page has none. */
  before: (string | undefined)[];
  cursor: string | undefined;
}

export function RequestList({ kind, selectedId }: { kind: ListKind; selectedId: string | null }) {
  const { api, revision, changed } = useConsole();
  const text = TEXTS[kind];
  const [query, setQuery] = useState<Query>({ status: '', before: [], cursor: undefined });
  const { data: page, error, busy } = useLoaded(
    JSON.stringify([kind, query.status, query.cursor, revision]),
    // The page's number travels with its rows, so the pager never names a page not yet shown.
    () => api.listRequests({ view: kind, status: query.status, limit: PAGE_SIZE, cursor: query.cursor }).then((rows) => ({ ...rows, number: query.before.length + 1 })),
    'Loading requests',
  );

  // The heading takes focus when the page opens without a request, and when its pane closes.
  const heading = useRef<HTMLHeadingElement>(null);
  const hadPane = useRef<boolean | null>(null);
  useEffect(() => {
    if (selectedId === null && hadPane.current !== false) heading.current?.focus();
    hadPane.current = selectedId !== null;
  }, [selectedId]);
  useEffect(() => {
    document.title = `${text.title} · Countersign`;
  }, [text]);

  const filterId = `status-filter-${kind}`;
  const items = page?.items ?? [];
  const message = error ? 'The requests could not be loaded.' : page && items.length === 0 ? text.empty : '';
  const older = () => page?.nextCursor && setQuery({ ...query, before: [...query.before, query.cursor], cursor: page.nextCursor });
  const newer = () => setQuery({ ...query, before: query.before.slice(0, -1), cursor: query.before.at(-1) });

  return html`
    <section class="list-panel" aria-labelledby="heading-${kind}" aria-busy=${busy ? 'true' : undefined}>
      <header class="panel-header">
        <div>
          <h1 id="heading-${kind}" tabindex="-1" ref=${heading}>${text.title}</h1>
          <p class="intro">${text.intro}</p>
        </div>
        <div class="toolbar">
          <label for=${filterId}>Status</label>
          <select id=${filterId} name="status" value=${query.status} onChange=${(event: Event) => setQuery({ status: (event.target as HTMLSelectElement).value as RequestStatus | '', before: [], cursor: undefined })}>
            <option value="">All statuses</option>
            ${STATUSES.map((status) => html`<option value=${status}>${statusLabel(status)}</option>`)}
          </select>
          <button type="button" class="button-secondary" onClick=${changed}>Refresh</button>
        </div>
      </header>
      <div class="table-wrap">
        <table class="request-table" data-view=${kind}>
          <caption class="visually-hidden">${text.title}, most recently changed first</caption>
          <thead><tr>${HEADINGS.map((name) => html`<th scope="col">${name}</th>`)}</tr></thead>
          <tbody>${items.map((item) => html`<${RequestRow} key=${item.id} item=${item} kind=${kind} selected=${item.id === selectedId} />`)}</tbody>
        </table>
      </div>
      <p class="list-message" role="status">${message}</p>
      <nav class="pager" aria-label="Pages">
        <button type="button" class="button-secondary" disabled=${busy || query.before.length === 0} onClick=${newer}>← Newer</button>
        <span class="page-number">Page ${page?.number ?? 1}</span>
        <button type="button" class="button-secondary" disabled=${busy || !page?.nextCursor} onClick=${older}>Older →</button>
      </nav>
    </section>
  `;
}

function RequestRow({ item, kind, selected }: { item: RequestResource; kind: ListKind; selected: boolean }) {
  const { me } = useConsole();
  const href = `#/${kind}/${encodeURIComponent(item.id)}`;
  const approve = item.allowedActions?.approve;
  // In Received, say on the row why an open request cannot be approved by this viewer.
  const blocked = kind === 'received' && item.status === 'needsApproval' && approve && !approve.allow;
  // The link is the keyboard path; a click anywhere on the row is a convenience for the mouse.
  const open = (event: MouseEvent) => {
    if (!(event.target as Element).closest('a')) location.hash = href;
  };
  return html`
    <tr data-id=${item.id} data-status=${item.status} aria-current=${selected ? 'true' : undefined} onClick=${open}>
      <td class="cell-when">
        <time datetime=${item.createdAt} title="Requested ${formatTime(item.createdAt)}; last change ${formatTime(item.updatedAt)}">${relativeTime(item.createdAt)}</time>
      </td>
      <td>${item.requestor.userId}${item.requestor.userId === me.userId && html`<span class="you"> (you)</span>`}</td>
      <td>${operationLabel(item.decision.operation)}</td>
      <td><code class="profile-type">${item.decision.profileType}</code></td>
      <td class="cell-object"><a href=${href} class="object-link"><${PathText} path=${item.call.path} /></a></td>
      <td class="cell-status">
        <${StatusBadge} status=${item.status} />
        ${blocked && html`<span class="row-reason">Approve unavailable: ${approve.reasons.join('; ') || 'not allowed'}</span>`}
      </td>
    </tr>
  `;
}
