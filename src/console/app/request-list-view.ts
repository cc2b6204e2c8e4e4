/**
 * "My requests" and "Received requests": one table of requests, newest change first, with a
 * status filter and cursor paging. Keeps its filter and page while the pane opens and closes.
 */
import type { RequestResource, RequestStatus } from './api-types';
import type { ConsoleContext } from './context';
import { breakAfterSlashes, h, replaceChildren } from './dom';
import { operationLabel, relativeTime, formatTime, STATUSES, statusLabel } from './format';
import { statusBadge } from './status-badge';

/** `all` is for auditors only (the API refuses it to anyone else). */
export type ListKind = 'mine' | 'received' | 'all';

const PAGE_SIZE = 25;

const TITLES: Record<ListKind, { title: string; intro: string; empty: string }> = {
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

export class RequestListView {
  readonly element: HTMLElement;
  private status: RequestStatus | '' = '';
  /** Cursors of the pages before the current one; the first page has none. */
  private cursors: (string | undefined)[] = [];
  private cursor: string | undefined;
  private nextCursor: string | undefined;
  private selectedId: string | null = null;
  private readonly tbody = h('tbody');
  private readonly message = h('p', { class: 'list-message', role: 'status' });
  private readonly pager = h('nav', { class: 'pager', 'aria-label': 'Pages' });
  private loadSeq = 0;

  constructor(
    readonly kind: ListKind,
    private readonly context: ConsoleContext,
  ) {
    const text = TITLES[kind];
    const filterId = `status-filter-${kind}`;
    const filter = h(
      'select',
      { id: filterId, name: 'status' },
      h('option', { value: '' }, 'All statuses'),
      STATUSES.map((status) => h('option', { value: status }, statusLabel(status))),
    );
    filter.addEventListener('change', () => {
      this.status = filter.value as RequestStatus | '';
      this.cursors = [];
      this.cursor = undefined;
      void this.load();
    });
    const refresh = h('button', { type: 'button', class: 'button-secondary' }, 'Refresh');
    refresh.addEventListener('click', () => void this.load());

    const headings = ['When', 'Requestor', 'Operation', 'Profile type', 'Object', 'Status'];
    this.element = h(
      'section',
      { class: 'list-panel', 'aria-labelledby': `heading-${kind}` },
      h(
        'header',
        { class: 'panel-header' },
        h('div', {}, h('h1', { id: `heading-${kind}`, tabindex: -1 }, text.title), h('p', { class: 'intro' }, text.intro)),
        h('div', { class: 'toolbar' }, h('label', { for: filterId }, 'Status'), filter, refresh),
      ),
      h(
        'div',
        { class: 'table-wrap' },
        h(
          'table',
          { class: 'request-table', 'data-view': kind },
          h('caption', { class: 'visually-hidden' }, `${text.title}, most recently changed first`),
          h('thead', {}, h('tr', {}, headings.map((name) => h('th', { scope: 'col' }, name)))),
          this.tbody,
        ),
      ),
      this.message,
      this.pager,
    );
  }

  /** Fetches the current page and redraws the table. */
  async load(): Promise<void> {
    const seq = ++this.loadSeq;
    this.element.setAttribute('aria-busy', 'true');
    try {
      const page = await this.context.api.listRequests({ view: this.kind, status: this.status, limit: PAGE_SIZE, cursor: this.cursor });
      if (seq !== this.loadSeq) return;
      this.nextCursor = page.nextCursor;
      this.draw(page.items);
    } catch (error) {
      if (seq !== this.loadSeq) return;
      this.message.textContent = 'The requests could not be loaded.';
      this.context.reportError(error, 'Loading requests');
    } finally {
      if (seq === this.loadSeq) this.element.removeAttribute('aria-busy');
    }
  }

  /** Marks the row of the request shown in the pane. */
  select(id: string | null): void {
    this.selectedId = id;
    for (const row of Array.from(this.tbody.rows)) {
      if (row.dataset.id === id) row.setAttribute('aria-current', 'true');
      else row.removeAttribute('aria-current');
    }
  }

  private draw(items: RequestResource[]): void {
    replaceChildren(this.tbody, items.map((item) => this.row(item)));
    this.message.textContent = items.length === 0 ? TITLES[this.kind].empty : '';
    this.select(this.selectedId);
    this.drawPager();
  }

  private row(item: RequestResource): HTMLTableRowElement {
    const href = `#/${this.kind}/${encodeURIComponent(item.id)}`;
    const isMine = item.requestor.userId === this.context.me.userId;
    const approve = item.allowedActions?.approve;
    // In Received, say on the row why an open request cannot be approved by this viewer.
    const blocked =
      this.kind === 'received' && item.status === 'needsApproval' && approve && !approve.allow
        ? h('span', { class: 'row-reason' }, `Approve unavailable: ${approve.reasons.join('; ') || 'not allowed'}`)
        : null;
    const row = h(
      'tr',
      { 'data-id': item.id, 'data-status': item.status },
      h('td', { class: 'cell-when' }, h('time', { datetime: item.createdAt, title: `Requested ${formatTime(item.createdAt)}; last change ${formatTime(item.updatedAt)}` }, relativeTime(item.createdAt))),
      h('td', {}, item.requestor.userId, isMine ? h('span', { class: 'you' }, ' (you)') : null),
      h('td', {}, operationLabel(item.decision.operation)),
      h('td', {}, h('code', { class: 'profile-type' }, item.decision.profileType)),
      h('td', { class: 'cell-object' }, h('a', { href, class: 'object-link' }, breakAfterSlashes(item.call.path))),
      h('td', { class: 'cell-status' }, statusBadge(item.status), blocked),
    );
    // The link is the keyboard path; a click anywhere on the row is a convenience for the mouse.
    row.addEventListener('click', (event) => {
      if ((event.target as Element).closest('a')) return;
      location.hash = href;
    });
    return row;
  }

  private drawPager(): void {
    const page = this.cursors.length + 1;
    const newer = h('button', { type: 'button', class: 'button-secondary', disabled: this.cursors.length === 0 }, '← Newer');
    const older = h('button', { type: 'button', class: 'button-secondary', disabled: !this.nextCursor }, 'Older →');
    newer.addEventListener('click', () => {
      this.cursor = this.cursors.pop();
      void this.load();
    });
    older.addEventListener('click', () => {
      if (!this.nextCursor) return;
      this.cursors.push(this.cursor);
      this.cursor = this.nextCursor;
      void this.load();
    });
    replaceChildren(this.pager, newer, h('span', { class: 'page-number' }, `Page ${page}`), older);
  }
}
