/**
 * "My requests", "Received requests" and, for auditors, "All requests": the requests, newest
 * change first, with triage filters (status, profile type, requestor, object text, the days they
 * were made), their total, and cursor paging. Filters and page live in the URL (route.ts), so a
 * reload or a shared link opens the same list. A wide screen without an open request shows a
 * table; a phone, or a list beside an open request, shows cards, which never need to scroll sideways.
 */
import { html } from 'htm/preact';
import { useEffect, useId, useRef, useState } from 'preact/hooks';
import type { ListRequestsQuery, RequestResource } from './api-types';
import { useConsole } from './context';
import { formatTime, operationLabel, relativeTime, STATUSES, statusLabel } from './format';
import { PathText } from './path-text';
import { EMPTY_QUERY, listHash, type ListKind, type ListQuery } from './route';
import { StatusBadge } from './status-badge';
import { PHONE_QUERY, useMedia } from './use-media';
import { useLoaded } from './use-loaded';

const PAGE_SIZE = 25;
/** Characters of the justification a list row shows; the pane shows all of it. */
const JUSTIFICATION_SHOWN = 160;

const TEXTS: Record<ListKind, { title: string; intro: string; empty: string }> = {
  mine: {
    title: 'My requests',
    intro: 'Changes you made to protected resources. Once approved, complete them to apply the change.',
    empty: 'You have no requests that match.',
  },
  received: {
    title: 'Received requests',
    intro: 'Changes waiting for an approver from your groups. You can never approve your own.',
    empty: 'No requests sent to your groups match.',
  },
  all: {
    title: 'All requests',
    intro: 'Every request, whoever made it; you see them as an auditor. Open one for its audit trail.',
    empty: 'No requests match.',
  },
};

const HEADINGS = ['When', 'Requestor', 'Operation', 'Profile type', 'Object', 'Justification', 'Status'];

/** A day of the date inputs (local time) as the API's ISO time: its start, or the start of the next day for `to`. */
function dayStart(day: string, next = false): string | undefined {
  if (!day) return undefined;
  const date = new Date(`${day}T00:00:00`);
  if (Number.isNaN(date.getTime())) return undefined;
  if (next) date.setDate(date.getDate() + 1);
  return date.toISOString();
}

function apiQuery(kind: ListKind, query: ListQuery): ListRequestsQuery {
  return {
    view: kind,
    limit: PAGE_SIZE,
    status: query.status,
    profileType: query.profileType,
    requestor: query.requestor.trim(),
    q: query.q.trim(),
    createdFrom: dayStart(query.from),
    createdTo: dayStart(query.to, true),
    cursor: query.cursor,
  };
}

/** Cursors of the pages seen, per list and filters: how Newer goes back without the server keeping state. */
const seenCursors = new Map<string, string>();

export function RequestList({ kind, selectedId, query }: { kind: ListKind; selectedId: string | null; query: ListQuery }) {
  const { api, revision, changed } = useConsole();
  const text = TEXTS[kind];
  const phone = useMedia(PHONE_QUERY);
  const asCards = phone || selectedId !== null;
  const { data: page, error, busy } = useLoaded(JSON.stringify([kind, query, revision]), () => api.listRequests(apiQuery(kind, query)), 'Loading requests');
  const policies = useLoaded('profile-types', () => api.accessPolicies());
  const profileTypes = [...new Set((policies.data?.items ?? []).map((p) => p.profileType))].sort();

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

  const filtersKey = JSON.stringify([kind, { ...query, cursor: '', page: 1 }]);
  if (query.cursor) seenCursors.set(`${filtersKey}#${query.page}`, query.cursor);
  const go = (next: ListQuery) => {
    location.hash = listHash(kind, selectedId, next);
  };
  const older = () => page?.nextCursor && go({ ...query, cursor: page.nextCursor, page: query.page + 1 });
  // The previous page's cursor when this tab saw it; otherwise back to the first page.
  const newer = () => {
    const previous = query.page > 2 ? seenCursors.get(`${filtersKey}#${query.page - 1}`) : undefined;
    go(previous ? { ...query, cursor: previous, page: query.page - 1 } : { ...query, cursor: '', page: 1 });
  };

  const items = page?.items ?? [];
  const message = error ? 'The requests could not be loaded.' : page && items.length === 0 ? text.empty : '';
  const total = page ? `${page.total.toLocaleString()}${page.totalExact ? '' : '+'} request${page.total === 1 && page.totalExact ? '' : 's'}` : '';
  const filtered = query.status || query.profileType || query.requestor || query.q || query.from || query.to;

  return html`
    <section class="list-panel" aria-labelledby="heading-${kind}" aria-busy=${busy ? 'true' : undefined}>
      <header class="panel-header">
        <div>
          <h1 id="heading-${kind}" tabindex="-1" ref=${heading}>${text.title}</h1>
          <p class="intro">${text.intro}</p>
        </div>
        <div class="toolbar">
          <button type="button" class="button-secondary" onClick=${changed}>Refresh</button>
        </div>
      </header>
      <${Filters} kind=${kind} query=${query} profileTypes=${profileTypes} folded=${phone} onApply=${(next: ListQuery) => go({ ...next, cursor: '', page: 1 })} />
      <p class="list-count" data-total=${page?.total} data-total-exact=${page ? String(page.totalExact) : undefined}>
        ${total}${filtered ? ' match the filters' : ''}
      </p>
      ${asCards
        ? html`<ul class="request-cards request-list" data-view=${kind} aria-label="${text.title}, most recently changed first">
            ${items.map((item) => html`<${RequestCard} key=${item.id} item=${item} kind=${kind} query=${query} selected=${item.id === selectedId} />`)}
          </ul>`
        : html`<div class="table-wrap">
            <table class="request-table request-list" data-view=${kind}>
              <caption class="visually-hidden">${text.title}, most recently changed first</caption>
              <thead><tr>${HEADINGS.map((name) => html`<th scope="col">${name}</th>`)}</tr></thead>
              <tbody>${items.map((item) => html`<${RequestRow} key=${item.id} item=${item} kind=${kind} query=${query} selected=${item.id === selectedId} />`)}</tbody>
            </table>
          </div>`}
      <p class="list-message" role="status">${message}</p>
      <nav class="pager" aria-label="Pages">
        <button type="button" class="button-secondary" disabled=${busy || query.page === 1} onClick=${newer}>← Newer</button>
        <span class="page-number">Page ${query.page}</span>
        <button type="button" class="button-secondary" disabled=${busy || !page?.nextCursor} onClick=${older}>Older →</button>
      </nav>
    </section>
  `;
}

interface FiltersProps {
  kind: ListKind;
  query: ListQuery;
  profileTypes: string[];
  /** On a phone the filters fold into a disclosure, so the list starts on the first screen. */
  folded: boolean;
  onApply: (query: ListQuery) => void;
}

type FilterName = 'status' | 'profileType' | 'requestor' | 'q' | 'from' | 'to';
const FILTER_NAMES: FilterName[] = ['status', 'profileType', 'requestor', 'q', 'from', 'to'];

/**
 * The filter form: selects apply at once, text and days on Apply (or Enter). What is typed is kept
 * in the form's own state, so a live update of the list never wipes it; a new query from the URL
 * (Back, Clear, a link) replaces it.
 */
function Filters({ kind, query, profileTypes, folded, onApply }: FiltersProps) {
  const id = useId();
  const applied = JSON.stringify(FILTER_NAMES.map((name) => query[name]));
  const [draft, setDraft] = useState<ListQuery>(query);
  useEffect(() => setDraft(query), [applied]);
  const set = (name: FilterName) => (event: Event) => setDraft({ ...draft, [name]: (event.target as HTMLInputElement).value });
  const choose = (name: FilterName) => (event: Event) => onApply({ ...draft, [name]: (event.target as HTMLSelectElement).value });
  const submit = (event: Event) => {
    event.preventDefault();
    onApply(draft);
  };
  const active = FILTER_NAMES.filter((name) => query[name]).length;
  const fields = html`
    <form class="filters" onSubmit=${submit} aria-label="Filter requests">
      <div class="field">
        <label for="${id}-status">Status</label>
        <select id="${id}-status" name="status" data-filter="status" value=${draft.status} onChange=${choose('status')}>
          <option value="">All statuses</option>
          ${STATUSES.map((status) => html`<option value=${status}>${statusLabel(status)}</option>`)}
        </select>
      </div>
      <div class="field">
        <label for="${id}-type">Profile type</label>
        <select id="${id}-type" name="profileType" data-filter="profileType" value=${draft.profileType} onChange=${choose('profileType')}>
          <option value="">All types</option>
          ${[...new Set([...profileTypes, ...(query.profileType ? [query.profileType] : [])])].map((type) => html`<option value=${type}>${type}</option>`)}
        </select>
      </div>
      ${kind !== 'mine' &&
      html`<div class="field">
        <label for="${id}-requestor">Requestor</label>
        <input id="${id}-requestor" name="requestor" data-filter="requestor" type="search" maxlength="256" autocomplete="off" value=${draft.requestor} onInput=${set('requestor')} />
      </div>`}
      <div class="field field-wide">
        <label for="${id}-q">Object contains</label>
        <input id="${id}-q" name="q" data-filter="q" type="search" maxlength="200" autocomplete="off" placeholder="e.g. mobileApps/42" value=${draft.q} onInput=${set('q')} />
      </div>
      <div class="field">
        <label for="${id}-from">Made from</label>
        <input id="${id}-from" name="from" data-filter="from" type="date" value=${draft.from} onInput=${set('from')} />
      </div>
      <div class="field">
        <label for="${id}-to">Made to</label>
        <input id="${id}-to" name="to" data-filter="to" type="date" value=${draft.to} onInput=${set('to')} />
      </div>
      <div class="filter-actions">
        <button type="submit" class="button-primary" data-filter-apply>Apply</button>
        ${active > 0 && html`<button type="button" class="button-secondary" data-filter-clear onClick=${() => onApply({ ...EMPTY_QUERY })}>Clear</button>`}
      </div>
    </form>
  `;
  if (!folded) return fields;
  return html`<details class="filters-fold" open=${active > 0 ? true : undefined}><summary>Filters${active > 0 ? ` (${active})` : ''}</summary>${fields}</details>`;
}

/** In Received, why an open request cannot be approved by this viewer. */
function blockedReason(item: RequestResource, kind: ListKind): string | null {
  const approve = item.allowedActions?.approve;
  if (kind !== 'received' || item.status !== 'needsApproval' || !approve || approve.allow) return null;
  return `Approve unavailable: ${approve.reasons.join('; ') || 'not allowed'}`;
}

function shortJustification(text: string): string {
  const chars = [...text];
  return chars.length > JUSTIFICATION_SHOWN ? `${chars.slice(0, JUSTIFICATION_SHOWN).join('')}…` : text;
}

interface ItemProps {
  item: RequestResource;
  kind: ListKind;
  query: ListQuery;
  selected: boolean;
}

function RequestRow({ item, kind, query, selected }: ItemProps) {
  const { me } = useConsole();
  const href = listHash(kind, item.id, query);
  const blocked = blockedReason(item, kind);
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
      <td class="cell-justification" data-justification>${item.justification ? shortJustification(item.justification) : html`<span class="muted">none given</span>`}</td>
      <td class="cell-status">
        <${StatusBadge} status=${item.status} />
        ${blocked && html`<span class="row-reason">${blocked}</span>`}
      </td>
    </tr>
  `;
}

function RequestCard({ item, kind, query, selected }: ItemProps) {
  const { me } = useConsole();
  const href = listHash(kind, item.id, query);
  const blocked = blockedReason(item, kind);
  return html`
    <li class="request-card" data-id=${item.id} data-status=${item.status} aria-current=${selected ? 'true' : undefined}>
      <p class="card-top">
        <${StatusBadge} status=${item.status} />
        <span class="card-kind">${operationLabel(item.decision.operation)} · <code class="profile-type">${item.decision.profileType}</code></span>
      </p>
      <a href=${href} class="object-link card-link"><${PathText} path=${item.call.path} /></a>
      <p class="card-justification" data-justification>${item.justification ? shortJustification(item.justification) : html`<span class="muted">No justification given</span>`}</p>
      <p class="card-who">
        ${item.requestor.userId}${item.requestor.userId === me.userId && html`<span class="you"> (you)</span>`} ·
        <time datetime=${item.createdAt} title="Requested ${formatTime(item.createdAt)}; last change ${formatTime(item.updatedAt)}">${relativeTime(item.createdAt)}</time>
      </p>
      ${blocked && html`<p class="row-reason">${blocked}</p>`}
    </li>
  `;
}
