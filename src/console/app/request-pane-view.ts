/**
 * The request pane: everything the API returns about one request and its audit trail, read
 * together, and the actions this viewer may take. Escape closes it.
 */
import { html } from 'htm/preact';
import { useEffect, useRef } from 'preact/hooks';
import { ApiError } from './api-client';
import type { RequestResource } from './api-types';
import { BodySection } from './body-section';
import { useConsole } from './context';
import { callLine, operationLabel, prettyJson, statusLabel, formatTime, timeUntil } from './format';
import { DiffSection } from './diff-section';
import { PathText } from './path-text';
import { Timeline } from './timeline';
import { PHONE_QUERY, useMedia } from './use-media';
import { OPEN_STATUSES } from '../../requests/statuses';
import { Facts, Section, Time } from './pane-section';
import { RequestActions } from './request-actions';
import { BreakGlassSection, ScheduleSection } from './break-glass-section';
import { StatusBadge } from './status-badge';
import { useLoaded } from './use-loaded';

/** One request's trail is a handful of events; more than this is shown as "the first N". */
const AUDIT_LIMIT = 200;

export function RequestPane({ id, closeHref }: { id: string; closeHref: string }) {
  const { api, revision } = useConsole();
  // On a phone the pane is the whole screen; the way back is a big, plain link at its top.
  const phone = useMedia(PHONE_QUERY);
  // The trail is read alongside the request; its refusal must not stop the pane.
  const { data, error, busy } = useLoaded(
    `${id}:${revision}`,
    () =>
      Promise.all([
        api.getRequest(id),
        api.audit({ requestId: id, limit: AUDIT_LIMIT }).then(
          (page) => page.items,
          (failure: unknown) => (failure instanceof Error ? failure : new Error(String(failure))),
        ),
        // No diff (404: this gateway or request has none) or a failed one: the pane shows the body first instead.
        api.diff(id).catch(() => null),
      ]),
    'Loading the request',
  );

  // The first reading, and the one after this pane's own action (whose buttons were redrawn),
  // put focus on the heading rather than nowhere; a reading for any other reason leaves it be.
  const heading = useRef<HTMLHeadingElement>(null);
  const focusNext = useRef(true);
  useEffect(() => {
    if (!data || !focusNext.current) return;
    focusNext.current = false;
    heading.current?.focus();
  }, [data]);

  // Escape closes the pane, unless it is clearing a half-typed note.
  const onKeyDown = (event: KeyboardEvent) => {
    if (event.key === 'Escape' && !(event.target instanceof HTMLTextAreaElement && event.target.value)) location.hash = closeHref;
  };
  const close = html`<a href=${closeHref} class="pane-close" data-back>${phone ? '← Back to the list' : '✕ Close'}</a>`;

  let content;
  if (error) {
    const message = error instanceof ApiError && error.status === 404 ? 'This request does not exist or has been removed.' : 'The request could not be loaded.';
    content = html`${close}<p class="pane-error" role="alert">${message}</p>`;
  } else if (!data) content = html`<p class="muted">Loading request…</p>`;
  else {
    const [r, audit, diff] = data;
    const d = r.decision;
    const open = (OPEN_STATUSES as readonly string[]).includes(r.status);
    content = html`
      <header class="pane-header">
        <div>
          <p class="eyebrow">${operationLabel(d.operation)} · ${d.profileType}</p>
          <h2 tabindex="-1" id="pane-title" class="pane-title" ref=${heading}><${PathText} path=${r.call.path} /></h2>
          <p class="pane-sub"><${StatusBadge} status=${r.status} /> Requested by ${r.requestor.userId} · ${formatTime(r.createdAt)}</p>
          ${open && r.expiresAt && html`<p class="pane-expiry" data-expires=${r.expiresAt}>Expires ${timeUntil(r.expiresAt)} <span class="muted">(${formatTime(r.expiresAt)})</span></p>`}
        </div>
        ${close}
      </header>
      ${diff ? html`<${DiffSection} diff=${diff} />` : html`<${BodySection} request=${r} />`}
      <${Section} title="Business justification"><blockquote class="justification">${r.justification || '(none given)'}</blockquote><//>
      ${r.rejection && html`<${Rejection} verdict=${r.rejection} />`}
      ${r.stages ? html`<${Stages} request=${r} stages=${r.stages} />` : html`<${Approvals} request=${r} />`}
      ${r.rejections && r.rejections.length > 0 && html`<${Rejections} request=${r} />`}
      <${RequestActions} request=${r} busy=${busy} onActed=${() => (focusNext.current = true)} />
      <${BreakGlassSection} request=${r} onActed=${() => (focusNext.current = true)} />
      <${ScheduleSection} request=${r} onActed=${() => (focusNext.current = true)} />
      ${diff && html`<${BodySection} request=${r} />`}
      <${Section} title="Details">
        <${Facts}
          rows=${[
            ['Request id', html`<code>${r.id}</code>`],
            ['Status', statusLabel(r.status)],
            ['Requestor', `${r.requestor.userId} (${r.requestor.groups.join(', ') || 'no groups'})`],
            ['Requested', html`<${Time} iso=${r.createdAt} />`],
            ['Last change', html`<${Time} iso=${r.updatedAt} />`],
            ['Operation', operationLabel(d.operation)],
            ['Profile type', d.profileType],
            ['Object key', html`<code>${d.objectKey}</code>`],
            ['Access policies', d.policies.join(', ')],
            d.why && ['Why protected', html`<ul class="why">${d.why.map((line) => html`<li>${line}</li>`)}</ul>`],
            open && r.expiresAt && ['Expires', html`<${Time} iso=${r.expiresAt} />`],
            d.policyRevision && ['Policy revision', html`<code>${d.policyRevision}</code>`],
            ['Approver groups', html`<span class="chips">${d.approverGroups.map((g) => html`<span class="chip">${g}</span>`)}</span>`],
            ['Call', html`<code>${callLine(r.call)}</code>`],
            ['Replayed headers', Object.keys(r.call.headers).length ? html`<code class="headers">${Object.entries(r.call.headers).map(([k, v]) => `${k}: ${v}`).join('\n')}</code>` : 'none'],
          ]}
        />
      <//>
      ${r.cancellation && html`<${Section} title="Cancellation"><${Facts} rows=${[['Canceled by', r.cancellation.userId], ['At', html`<${Time} iso=${r.cancellation.at} />`]]} /><//>`}
      ${r.claim &&
      html`<${Section} title="Completion in progress">
        <${Facts} rows=${[['By', r.claim.userId], ['Since', html`<${Time} iso=${r.claim.at} />`], ['Lease until', html`<${Time} iso=${r.claim.leaseUntil} />`]]} />
      <//>`}
      ${r.completion && html`<${Completion} completion=${r.completion} />`}
      <${Timeline} request=${r} audit=${audit} />
      <details class="raw">
        <summary>Everything the API returned (JSON)</summary>
        <pre class="code-block" tabindex="0">${JSON.stringify(r, null, 2)}</pre>
      </details>
    `;
  }
  return html`<section class="pane" aria-label="Request" aria-busy=${busy ? 'true' : undefined} onKeyDown=${onKeyDown}>${content}</section>`;
}

function Rejection({ verdict }: { verdict: { userId: string; at: string; notes: string } }) {
  return html`
    <section class="callout callout-rejection" aria-label="Rejected by ${verdict.userId}">
      <p class="callout-title">Rejected by ${verdict.userId} · <${Time} iso=${verdict.at} /></p>
      <p class="notes" data-notes="rejection">${verdict.notes || '(no notes)'}</p>
    </section>
  `;
}

function Approvals({ request: r }: { request: RequestResource }) {
  const required = r.decision.requiredApprovals;
  const count = r.approvals.length;
  return html`
    <${Section} title="Approvals">
      <p class="approval-count" data-approvals="${count}/${required}"><strong>${count} of ${required}</strong> approval${required === 1 ? '' : 's'} so far</p>
      <progress max=${required} value=${Math.min(count, required)} aria-label="${count} of ${required} approvals" />
      ${count > 0 &&
      html`<ul class="verdicts">${r.approvals.map((a) => html`<li><strong>${a.userId}</strong> · <${Time} iso=${a.at} />${a.notes && html`<p class="notes">${a.notes}</p>`}</li>`)}</ul>`}
    <//>
  `;
}

/**
 * A staged request: each stage in order, who approved in it and how many are still needed, so an
 * approver sees whether it is their turn (docs/policy.md "Stages").
 */
function Stages({ request: r, stages }: { request: RequestResource; stages: NonNullable<RequestResource['stages']> }) {
  const stateLabel = { done: 'Done', current: 'Current stage', waiting: 'Waiting' } as const;
  return html`
    <${Section} title="Stages">
      <p class="approval-count" data-stage=${r.stage ?? ''}>${r.stage ? html`Waiting for stage <strong>${r.stage}</strong>` : 'No stage is waiting'}</p>
      <ol class="stages">
        ${stages.map(
          (s) => html`
            <li class="stage stage-${s.state}" data-stage-name=${s.name} aria-current=${s.state === 'current' ? 'step' : undefined}>
              <p>
                <strong>${s.name}</strong> · ${stateLabel[s.state]} · ${s.requiredApprovals - s.remainingApprovals} of ${s.requiredApprovals} from
                <span class="chips">${s.approverGroups.map((g) => html`<span class="chip">${g}</span>`)}</span>
              </p>
              ${s.remainingApprovals > 0 && html`<p class="muted">${s.remainingApprovals} more approval${s.remainingApprovals === 1 ? '' : 's'} needed</p>`}
              ${r.approvals.filter((a) => a.stage === s.name).length > 0 &&
              html`<ul class="verdicts">
                ${r.approvals
                  .filter((a) => a.stage === s.name)
                  .map((a) => html`<li><strong>${a.userId}</strong> · <${Time} iso=${a.at} />${a.notes && html`<p class="notes">${a.notes}</p>`}</li>`)}
              </ul>`}
            </li>
          `,
        )}
      </ol>
    <//>
  `;
}

/** rejectPolicy majority: rejections so far (those short of the majority left the request open). */
function Rejections({ request: r }: { request: RequestResource }) {
  return html`
    <${Section} title="Rejections">
      <ul class="verdicts">${(r.rejections ?? []).map((v) => html`<li><strong>${v.userId}</strong> · <${Time} iso=${v.at} />${v.notes && html`<p class="notes">${v.notes}</p>`}</li>`)}</ul>
    <//>
  `;
}

function Completion({ completion: c }: { completion: NonNullable<RequestResource['completion']> }) {
  return html`
    <${Section} title="Completion">
      <${Facts} rows=${[['Completed by', c.userId], ['At', html`<${Time} iso=${c.at} />`], ['Upstream status', String(c.upstreamStatus)], c.reason && ['Reason', c.reason]]} />
      ${c.upstreamBodyPreview && html`<pre class="code-block">${prettyJson(c.upstreamBodyPreview) ?? c.upstreamBodyPreview}</pre>`}
    <//>
  `;
}
