/**
 * The Audit page, for auditors: the latest transitions of every request, newest first, each
 * linking to its request's pane in "All requests" (`view=all`, which auditors may list).
 */
import { auditTable } from './audit-table';
import type { ConsoleContext } from './context';
import { h, replaceChildren } from './dom';

const SHOWN = 100;

export class AuditPageView {
  readonly element: HTMLElement;
  private readonly body = h('div', { class: 'table-wrap' });
  private readonly message = h('p', { class: 'list-message', role: 'status' });
  private loadSeq = 0;

  constructor(private readonly context: ConsoleContext) {
    const refresh = h('button', { type: 'button', class: 'button-secondary' }, 'Refresh');
    refresh.addEventListener('click', () => void this.load());
    this.element = h(
      'section',
      { class: 'list-panel audit-page', 'aria-labelledby': 'heading-audit' },
      h(
        'header',
        { class: 'panel-header' },
        h(
          'div',
          {},
          h('h1', { id: 'heading-audit', tabindex: -1 }, 'Audit'),
          h('p', { class: 'intro' }, `The latest ${SHOWN} transitions of every request, newest first. Notes are kept out of the trail; their SHA-256 is in it.`),
        ),
        h('div', { class: 'toolbar' }, refresh),
      ),
      this.body,
      this.message,
    );
  }

  async load(): Promise<void> {
    const seq = ++this.loadSeq;
    this.element.setAttribute('aria-busy', 'true');
    try {
      const { items: events } = await this.context.api.audit({ limit: SHOWN, order: 'desc' });
      if (seq !== this.loadSeq) return;
      replaceChildren(this.body, events.length ? auditTable(events, { caption: 'Audit events, newest first', requestHref: '#/all' }) : null);
      this.message.textContent = events.length === 0 ? 'The audit trail is empty.' : '';
    } catch (error) {
      if (seq !== this.loadSeq) return;
      this.message.textContent = 'The audit trail could not be loaded.';
      this.context.reportError(error, 'Loading the audit trail');
    } finally {
      if (seq === this.loadSeq) this.element.removeAttribute('aria-busy');
    }
  }
}
