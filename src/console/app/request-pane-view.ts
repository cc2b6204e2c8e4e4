/**
 * The request pane: everything the API returns about one request, and the actions this
 * viewer may take (from `allowedActions`), with the reasons for those they may not.
 */
import { ApiError } from './api-client';
import type { ActionName, AuditEvent, CompleteOutcome, RequestResource } from './api-types';
import { auditTable } from './audit-table';
import { downloadBody } from './body-download';
import type { ConsoleContext } from './context';
import { h, replaceChildren, uniqueId, type Child } from './dom';
import { callLine, formatBytes, formatTime, historyLabel, operationLabel, prettyJson, statusLabel } from './format';
import { statusBadge } from './status-badge';
import { OPEN_STATUSES } from '../../requests/types';

const ACTIONS: { name: ActionName; label: string; style: string }[] = [
  { name: 'approve', label: 'Approve', style: 'button-primary' },
  { name: 'reject', label: 'Reject', style: 'button-danger' },
  { name: 'cancel', label: 'Cancel request', style: 'button-secondary' },
  { name: 'complete', label: 'Complete', style: 'button-primary' },
];

const NOTES_MAX = 1000;
/** One request's trail is a handful of events; more than this is shown as "the first N". */
const AUDIT_LIMIT = 200;

export class RequestPaneView {
  readonly element: HTMLElement;
  private request: RequestResource | null = null;
  /** The request's audit trail, or the reason it could not be read (shown muted, never thrown). */
  private audit: AuditEvent[] | ApiError | Error | null = null;
  private busy = false;

  constructor(
    private readonly id: string,
    private readonly closeHref: string,
    private readonly context: ConsoleContext,
    /** Called after a change of status, so the list can redraw. */
    private readonly onChanged: () => void,
  ) {
    this.element = h('section', { class: 'pane', 'aria-label': 'Request', 'aria-busy': 'true' }, h('p', { class: 'muted' }, 'Loading request…'));
    // Escape closes the pane, unless it is clearing a half-typed note.
    this.element.addEventListener('keydown', (event) => {
      if (event.key === 'Escape' && !(event.target instanceof HTMLTextAreaElement && event.target.value)) location.hash = this.closeHref;
    });
  }

  async load(focus = true): Promise<void> {
    try {
      // The trail is read alongside the request; its refusal must not stop the pane.
      const [request, audit] = await Promise.all([
        this.context.api.getRequest(this.id),
        this.context.api.audit({ requestId: this.id, limit: AUDIT_LIMIT }).then(
          (page) => page.items,
          (error: unknown) => (error instanceof Error ? error : new Error(String(error))),
        ),
      ]);
      this.request = request;
      this.audit = audit;
      this.draw();
      if (focus) this.element.querySelector<HTMLElement>('h2')?.focus();
    } catch (error) {
      const message = error instanceof ApiError && error.status === 404 ? 'This request does not exist or has been removed.' : 'The request could not be loaded.';
      replaceChildren(this.element, this.closeLink(), h('p', { class: 'pane-error', role: 'alert' }, message));
      this.context.reportError(error, 'Loading the request');
    } finally {
      this.element.removeAttribute('aria-busy');
    }
  }

  private closeLink(): HTMLElement {
    return h('a', { href: this.closeHref, class: 'pane-close', 'aria-label': 'Close request pane' }, '✕ Close');
  }

  private draw(): void {
    const r = this.request;
    if (!r) return;
    const d = r.decision;
    replaceChildren(
      this.element,
      h(
        'header',
        { class: 'pane-header' },
        h(
          'div',
          {},
          h('p', { class: 'eyebrow' }, `${operationLabel(d.operation)} · ${d.profileType}`),
          h('h2', { tabindex: -1, id: 'pane-title' }, r.call.path),
          h('p', { class: 'pane-sub' }, statusBadge(r.status), ' ', `Requested by ${r.requestor.userId} · ${formatTime(r.createdAt)}`),
        ),
        this.closeLink(),
      ),
      section('Business justification', h('blockquote', { class: 'justification' }, r.justification || '(none given)')),
      r.rejection ? verdictCallout('Rejected', r.rejection, 'rejection') : null,
      this.actionsSection(r),
      section(
        'Details',
        definitionList([
          ['Request id', h('code', {}, r.id)],
          ['Status', statusLabel(r.status)],
          ['Requestor', `${r.requestor.userId} (${r.requestor.groups.join(', ') || 'no groups'})`],
          ['Requested', timeEl(r.createdAt)],
          ['Last change', timeEl(r.updatedAt)],
          ['Operation', operationLabel(d.operation)],
          ['Profile type', d.profileType],
          ['Object key', h('code', {}, d.objectKey)],
          ['Access policies', d.policies.join(', ')],
          ['Approver groups', chips(d.approverGroups)],
          ['Call', h('code', {}, callLine(r.call))],
          ['Replayed headers', Object.keys(r.call.headers).length ? h('code', { class: 'headers' }, Object.entries(r.call.headers).map(([k, v]) => `${k}: ${v}`).join('\n')) : 'none'],
        ]),
      ),
      this.approvalsSection(r),
      this.bodySection(r),
      r.cancellation ? section('Cancellation', definitionList([['Canceled by', r.cancellation.userId], ['At', timeEl(r.cancellation.at)]])) : null,
      r.claim ? section('Completion in progress', definitionList([['By', r.claim.userId], ['Since', timeEl(r.claim.at)], ['Lease until', timeEl(r.claim.leaseUntil)]])) : null,
      r.completion ? this.completionSection(r) : null,
      this.historySection(r),
      this.auditSection(),
      h(
        'details',
        { class: 'raw' },
        h('summary', {}, 'Everything the API returned (JSON)'),
        h('pre', { class: 'code-block' }, JSON.stringify(r, null, 2)),
      ),
    );
  }

  private approvalsSection(r: RequestResource): HTMLElement {
    const required = r.decision.requiredApprovals;
    const count = r.approvals.length;
    return section(
      'Approvals',
      h('p', { class: 'approval-count', 'data-approvals': `${count}/${required}` }, h('strong', {}, `${count} of ${required}`), ` approval${required === 1 ? '' : 's'} so far`),
      h('progress', { max: required, value: Math.min(count, required), 'aria-label': `${count} of ${required} approvals` }),
      r.approvals.length
        ? h('ul', { class: 'verdicts' }, r.approvals.map((a) => h('li', {}, h('strong', {}, a.userId), ' · ', timeEl(a.at), a.notes ? h('p', { class: 'notes' }, a.notes) : null)))
        : null,
    );
  }

  private bodySection(r: RequestResource): HTMLElement {
    const preview = r.bodyPreview;
    const facts = definitionList([
      ['SHA-256', h('code', { class: 'sha', 'data-sha256': r.call.bodySha256 }, r.call.bodySha256)],
      ['Size', formatBytes(r.call.bodySize)],
      ['Content type', r.call.headers['content-type'] ?? 'not given'],
    ]);
    let content: Child;
    if (!preview || r.call.bodySize === 0) {
      content = h('p', { class: 'muted' }, 'The call has no body.');
    } else if (preview.encoding === 'base64') {
      content = [h('p', { class: 'muted' }, 'The body is not UTF-8 text; shown as base64.'), h('pre', { class: 'code-block' }, preview.text)];
    } else {
      const pretty = preview.truncated ? null : prettyJson(preview.text);
      content = h('pre', { class: 'code-block body-preview', 'data-format': pretty ? 'json' : 'text' }, pretty ?? preview.text);
    }
    const download = r.call.bodySize > 0 ? h('button', { type: 'button', class: 'button-secondary download-body' }, 'Download body') : null;
    download?.addEventListener('click', () => void this.saveBody(download));
    return section(
      'Body',
      facts,
      download ? h('div', { class: 'body-tools' }, download) : null,
      content,
      preview?.truncated ? h('p', { class: 'muted' }, 'Only the first 64 KiB are shown; the SHA-256 covers the whole body.') : null,
    );
  }

  private completionSection(r: RequestResource): HTMLElement {
    const c = r.completion!;
    const pretty = prettyJson(c.upstreamBodyPreview);
    return section(
      'Completion',
      definitionList([
        ['Completed by', c.userId],
        ['At', timeEl(c.at)],
        ['Upstream status', String(c.upstreamStatus)],
        c.reason ? ['Reason', c.reason] : null,
      ]),
      c.upstreamBodyPreview ? h('pre', { class: 'code-block' }, pretty ?? c.upstreamBodyPreview) : null,
    );
  }

  private historySection(r: RequestResource): HTMLElement {
    return section(
      'History',
      h(
        'table',
        { class: 'history' },
        h('thead', {}, h('tr', {}, ['When', 'Who', 'What', 'Status'].map((t) => h('th', { scope: 'col' }, t)))),
        h(
          'tbody',
          {},
          r.history.map((e) =>
            h('tr', {}, h('td', {}, timeEl(e.at)), h('td', {}, e.actor), h('td', {}, historyLabel(e.action), e.resend ? ' (sent again after an unknown outcome)' : ''), h('td', {}, e.from ? `${statusLabel(e.from)} → ${statusLabel(e.to)}` : statusLabel(e.to))),
          ),
        ),
      ),
    );
  }

  private auditSection(): HTMLElement {
    const audit = this.audit;
    let content: Child;
    if (audit === null) content = h('p', { class: 'muted' }, 'Loading the audit trail…');
    else if (audit instanceof Error) {
      const why = audit instanceof ApiError ? `${audit.message} (${audit.code})` : audit.message;
      content = h('p', { class: 'muted audit-unavailable' }, `The audit trail is not available: ${why}`);
    } else if (audit.length === 0) content = h('p', { class: 'muted' }, 'The audit trail has no events for this request.');
    else {
      content = [
        auditTable(audit, { caption: 'Audit trail of this request, oldest first' }),
        audit.length >= AUDIT_LIMIT ? h('p', { class: 'muted' }, `Only the first ${AUDIT_LIMIT} events are shown.`) : null,
      ];
    }
    const state = audit === null ? 'loading' : audit instanceof Error ? 'error' : 'loaded';
    const element = section('Audit trail', content);
    element.classList.add('audit-trail');
    element.setAttribute('data-state', state);
    return element;
  }

  private async saveBody(button: HTMLButtonElement): Promise<void> {
    const r = this.request;
    if (!r || button.disabled) return;
    button.disabled = true;
    try {
      const name = await downloadBody(this.context.api, r.id, r.call.bodySha256);
      this.context.notifications.show('info', `Saved the body as ${name}.`);
    } catch (error) {
      this.context.reportError(error, 'Downloading the body');
    } finally {
      button.disabled = false;
    }
  }

  private actionsSection(r: RequestResource): HTMLElement {
    const allowed = r.allowedActions;
    // An ended request has nothing left to do: one sentence instead of four refused buttons.
    if (!OPEN_STATUSES.includes(r.status) && !ACTIONS.some(({ name }) => allowed[name].allow)) {
      return section('Actions', h('p', { class: 'muted ended' }, `No actions remain: the request is ${statusLabel(r.status).toLowerCase()}.`));
    }
    const canDecide = allowed.approve.allow || allowed.reject.allow;
    const notesId = uniqueId('notes');
    const notes = canDecide
      ? h('textarea', { id: notesId, name: 'notes', rows: 3, maxlength: NOTES_MAX, placeholder: 'Why you approve or reject; the requestor sees this.' })
      : null;
    const reasonsId = uniqueId('reasons');
    const refusals: { label: string; name: ActionName; reasons: string[] }[] = [];
    const buttons = ACTIONS.map(({ name, label, style }) => {
      const permission = allowed[name];
      const button = h('button', { type: 'button', class: style, 'data-action': name, disabled: !permission.allow, 'aria-describedby': permission.allow ? null : reasonsId }, label);
      if (!permission.allow) refusals.push({ label, name, reasons: permission.reasons.length ? [...new Set(permission.reasons)] : ['not allowed'] });
      button.addEventListener('click', () => void this.act(name, notes));
      return button;
    });
    return section(
      'Actions',
      notes ? [h('label', { for: notesId }, 'Approver notes ', h('span', { class: 'muted' }, `(optional, up to ${NOTES_MAX} characters)`)), notes] : null,
      h('div', { class: 'actions' }, buttons),
      refusals.length
        ? h(
            'ul',
            { class: 'action-reasons', id: reasonsId, 'aria-label': 'Why some actions are unavailable' },
            refusals.map(({ label, name, reasons }) => h('li', { 'data-action': name }, h('strong', {}, `${label}:`), ' ', reasons.join('; '))),
          )
        : null,
    );
  }

  private async act(name: ActionName, notes: HTMLTextAreaElement | null, resend = false): Promise<void> {
    const r = this.request;
    if (!r || this.busy) return;
    this.busy = true;
    this.element.setAttribute('aria-busy', 'true');
    for (const b of Array.from(this.element.querySelectorAll<HTMLButtonElement>('.actions button'))) b.disabled = true;
    const { api, notifications } = this.context;
    try {
      if (name === 'complete') {
        const outcome = await api.complete(r.id, resend);
        this.showOutcome(outcome);
      } else {
        const text = notes?.value.trim() ?? '';
        const updated = name === 'approve' ? await api.approve(r.id, text) : name === 'reject' ? await api.reject(r.id, text) : await api.cancel(r.id);
        const verb = { approve: 'Approved', reject: 'Rejected', cancel: 'Canceled' }[name];
        notifications.show('success', `${verb}. The request is now ${statusLabel(updated.status).toLowerCase()}.`);
      }
    } catch (error) {
      if (error instanceof ApiError && error.code === 'OUTCOME_UNKNOWN') this.offerResend(error);
      else this.context.reportError(error, `${ACTIONS.find((a) => a.name === name)!.label}`);
    } finally {
      this.busy = false;
      this.onChanged();
      // The buttons are redrawn; focus goes back to the pane's heading rather than to nowhere.
      await this.load(true);
    }
  }

  /** The upstream's answer to complete, as a notification that stays until dismissed. */
  private showOutcome(outcome: CompleteOutcome): void {
    const ok = outcome.upstreamStatus < 400;
    const kind = ok ? 'success' : outcome.requestStatus === 'failed' ? 'error' : 'warning';
    const title = ok
      ? `Completed: the upstream answered ${outcome.upstreamStatus} ${outcome.upstreamStatusText}.`
      : `The upstream answered ${outcome.upstreamStatus} ${outcome.upstreamStatusText}; the request is ${statusLabel(outcome.requestStatus).toLowerCase()}.`;
    const pretty = prettyJson(outcome.body);
    this.context.notifications.show(
      kind,
      title,
      h('p', { class: 'muted' }, `Request status: ${statusLabel(outcome.requestStatus)}`),
      outcome.body ? h('pre', { class: 'code-block outcome-body' }, pretty ?? outcome.body) : h('p', { class: 'muted' }, 'The upstream sent no body.'),
    );
  }

  /** After a replay whose outcome is unknown, sending again is the requestor's deliberate choice. */
  private offerResend(error: ApiError): void {
    const resend = h('button', { type: 'button', class: 'button-danger' }, 'Send again');
    const note = this.context.notifications.show(
      'warning',
      error.message,
      h('p', {}, 'An earlier completion may or may not have reached the upstream. Check the upstream first; send again only if the change is not there.'),
      resend,
    );
    resend.addEventListener('click', () => {
      note.remove();
      void this.act('complete', null, true);
    });
  }
}

function section(title: string, ...children: Child[]): HTMLElement {
  const id = uniqueId('section');
  return h('section', { class: 'pane-section', 'aria-labelledby': id }, h('h3', { id }, title), children);
}

function definitionList(rows: ([string, Child] | null)[]): HTMLElement {
  return h('dl', { class: 'facts' }, rows.filter((row): row is [string, Child] => row !== null).map(([term, value]) => [h('dt', {}, term), h('dd', {}, value)]));
}

function timeEl(iso: string): HTMLElement {
  return h('time', { datetime: iso }, formatTime(iso));
}

function chips(values: string[]): HTMLElement {
  return h('span', { class: 'chips' }, values.map((v) => h('span', { class: 'chip' }, v)));
}

function verdictCallout(title: string, verdict: { userId: string; at: string; notes: string }, kind: string): HTMLElement {
  return h(
    'section',
    { class: `callout callout-${kind}`, 'aria-label': `${title} by ${verdict.userId}` },
    h('p', { class: 'callout-title' }, `${title} by ${verdict.userId} · `, timeEl(verdict.at)),
    h('p', { class: 'notes', 'data-notes': 'rejection' }, verdict.notes || '(no notes)'),
  );
}
