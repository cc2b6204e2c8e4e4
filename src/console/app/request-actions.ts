/**
 * The pane's Actions: Approve, Reject, Cancel and Complete as `allowedActions` permits, the
 * reasons for those refused, and the approver notes. Complete's answer is the upstream's own,
 * shown as a notification; an unknown outcome offers Send again as a deliberate second step.
 */
import { html } from 'htm/preact';
import { useEffect, useId, useRef, useState } from 'preact/hooks';
import { ApiError } from './api-client';
import type { ActionName, CompleteOutcome, RequestResource } from './api-types';
import { useConsole, type ConsoleContext } from './context';
import { prettyJson, statusLabel } from './format';
import { Section } from './pane-section';
import { OPEN_STATUSES } from '../../requests/statuses';

const ACTIONS: { name: ActionName; label: string; style: string }[] = [
  { name: 'approve', label: 'Approve', style: 'button-primary' },
  { name: 'reject', label: 'Reject', style: 'button-danger' },
  { name: 'cancel', label: 'Cancel request', style: 'button-secondary' },
  { name: 'complete', label: 'Complete', style: 'button-primary' },
];

const NOTES_MAX = 1000;

interface ActionsProps {
  request: RequestResource;
  /** While the pane reads the request again: the buttons wait for the new permissions. */
  busy: boolean;
  /** Called when an action has been tried, before the pane reads the request again. */
  onActed: () => void;
}

export function RequestActions({ request: r, busy, onActed }: ActionsProps) {
  const context = useConsole();
  const [notes, setNotes] = useState('');
  const [acting, setActing] = useState(false);
  // A ref as well as state: a second click in the same frame must see the first.
  const actingNow = useRef(false);
  const notesId = useId();
  const reasonsId = useId();
  const notesErrorId = useId();
  const allowed = r.allowedActions;
  // Reject and cancel end the request for good: each asks first, in a dialog.
  const [confirming, setConfirming] = useState<'reject' | 'cancel' | null>(null);
  const [notesError, setNotesError] = useState('');
  const notesField = useRef<HTMLTextAreaElement>(null);
  const notesRequired = r.decision.rejectNotes === 'required';

  // An ended request has nothing left to do: one sentence instead of four refused buttons.
  if (!(OPEN_STATUSES as readonly string[]).includes(r.status) && !ACTIONS.some(({ name }) => allowed[name].allow)) {
    return html`<${Section} title="Actions"><p class="muted ended">No actions remain: the request is ${statusLabel(r.status).toLowerCase()}.</p><//>`;
  }

  async function act(name: ActionName, resend = false): Promise<void> {
    if (actingNow.current) return;
    actingNow.current = true;
    setActing(true);
    try {
      await perform(context, r, name, notes.trim(), resend, () => void act('complete', true));
      setNotes('');
    } finally {
      actingNow.current = false;
      setActing(false);
      onActed();
      // Whatever happened, the request may have changed: the pane and the list read it again.
      context.changed();
    }
  }

  /** Approve and complete act at once; reject (after its notes, when the policy requires them) and cancel ask first. */
  function choose(name: ActionName): void {
    if (name === 'reject' && notesRequired && notes.trim() === '') {
      setNotesError('Notes are required to reject: the access policy asks you to say why.');
      notesField.current?.focus();
      return;
    }
    setNotesError('');
    if (name === 'reject' || name === 'cancel') setConfirming(name);
    else void act(name);
  }

  const canDecide = allowed.approve.allow || allowed.reject.allow;
  // An unknown outcome leaves Complete usable: trying it answers OUTCOME_UNKNOWN, and the warning
  // that follows offers Send again as the deliberate second step.
  const refused = ACTIONS.filter(({ name }) => !allowed[name].allow);
  return html`
    <${Section} title="Actions">
      ${canDecide &&
      html`
        <label for=${notesId}>Approver notes <span class="muted">(${notesRequired ? 'required to reject' : 'optional'}, up to ${NOTES_MAX} characters)</span></label>
        <textarea
          id=${notesId}
          ref=${notesField}
          name="notes"
          rows="3"
          maxlength=${NOTES_MAX}
          placeholder="Why you approve or reject; the requestor sees this."
          value=${notes}
          aria-invalid=${notesError ? 'true' : undefined}
          aria-describedby=${notesError ? notesErrorId : undefined}
          onInput=${(event: Event) => setNotes((event.target as HTMLTextAreaElement).value)}
        />
        <p class="field-error" id=${notesErrorId} role="alert">${notesError}</p>
      `}
      <div class="actions">
        ${ACTIONS.map(
          ({ name, label, style }) => html`
            <button type="button" class=${style} data-action=${name} disabled=${!(allowed[name].allow || allowed[name].resendConfirmRequired) || acting || busy} aria-describedby=${allowed[name].allow ? undefined : reasonsId} onClick=${() => choose(name)}>${label}</button>
          `,
        )}
      </div>
      ${refused.length > 0 &&
      html`
        <ul class="action-reasons" id=${reasonsId} aria-label="Why some actions are unavailable">
          ${refused.map(({ name, label }) => html`<li data-action=${name}><strong>${label}:</strong> ${reasonsOf(allowed[name].reasons)}</li>`)}
        </ul>
      `}
      ${confirming &&
      html`<${ConfirmDialog}
        action=${confirming}
        title=${confirming === 'reject' ? 'Reject this request?' : 'Cancel this request?'}
        text=${confirming === 'reject'
          ? `The request ends as rejected${notes.trim() ? ', with your notes' : ''}; the requestor must submit the change again. This cannot be undone.`
          : 'The request ends as canceled and its object is free again. This cannot be undone.'}
        confirmLabel=${confirming === 'reject' ? 'Reject' : 'Cancel request'}
        onConfirm=${() => {
          const name = confirming;
          setConfirming(null);
          void act(name);
        }}
        onClose=${() => setConfirming(null)}
      />`}
    <//>
  `;
}

/**
 * A modal question before an action that cannot be undone: the browser's own <dialog> (focus moves
 * into it and stays, Escape closes it), with the safe choice focused first.
 */
function ConfirmDialog(props: { action: string; title: string; text: string; confirmLabel: string; onConfirm: () => void; onClose: () => void }) {
  const dialog = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  const textId = useId();
  useEffect(() => {
    const element = dialog.current;
    if (element && !element.open) element.showModal();
    return () => element?.close();
  }, []);
  // Escape closes the dialog only, not the pane behind it.
  const onKeyDown = (event: KeyboardEvent) => {
    if (event.key === 'Escape') event.stopPropagation();
  };
  return html`
    <dialog ref=${dialog} class="confirm" data-confirm=${props.action} aria-labelledby=${titleId} aria-describedby=${textId} onClose=${props.onClose} onKeyDown=${onKeyDown}>
      <h2 id=${titleId}>${props.title}</h2>
      <p id=${textId}>${props.text}</p>
      <div class="actions">
        <button type="button" class="button-secondary" data-confirm-choice="keep" autofocus onClick=${props.onClose}>Keep it</button>
        <button type="button" class="button-danger" data-confirm-choice="confirm" onClick=${props.onConfirm}>${props.confirmLabel}</button>
      </div>
    </dialog>
  `;
}

function reasonsOf(reasons: string[]): string {
  return reasons.length ? [...new Set(reasons)].join('; ') : 'not allowed';
}

/** Calls the API for one action and says how it went; `offerResend` runs when the user chooses Send again. */
async function perform(context: ConsoleContext, r: RequestResource, name: ActionName, notes: string, resend: boolean, offerResend: () => void): Promise<void> {
  const { api, notify } = context;
  try {
    if (name === 'complete') return showOutcome(context, await api.complete(r.id, resend));
    const updated = name === 'approve' ? await api.approve(r.id, notes) : name === 'reject' ? await api.reject(r.id, notes) : await api.cancel(r.id);
    const verb = { approve: 'Approved', reject: 'Rejected', cancel: 'Canceled' }[name];
    notify('success', `${verb}. The request is now ${statusLabel(updated.status).toLowerCase()}.`);
  } catch (error) {
    if (!(error instanceof ApiError && error.code === 'OUTCOME_UNKNOWN')) return context.reportError(error, ACTIONS.find((a) => a.name === name)!.label);
    // After a replay whose outcome is unknown, sending again is the requestor's deliberate choice.
    const dismiss = notify(
      'warning',
      error.message,
      html`<p>An earlier completion may or may not have reached the upstream. Check the upstream first; send again only if the change is not there.</p>`,
      html`<button type="button" class="button-danger" onClick=${() => (dismiss(), offerResend())}>Send again</button>`,
    );
  }
}

/** The upstream's answer to complete, as a notification that stays until dismissed. */
function showOutcome({ notify }: ConsoleContext, outcome: CompleteOutcome): void {
  const ok = outcome.upstreamStatus < 400;
  const kind = ok ? 'success' : outcome.requestStatus === 'failed' ? 'error' : 'warning';
  const status = `${outcome.upstreamStatus} ${outcome.upstreamStatusText}`;
  const title = ok ? `Completed: the upstream answered ${status}.` : `The upstream answered ${status}; the request is ${statusLabel(outcome.requestStatus).toLowerCase()}.`;
  notify(
    kind,
    title,
    html`<p class="muted">Request status: ${statusLabel(outcome.requestStatus)}</p>`,
    outcome.body ? html`<pre class="code-block outcome-body">${prettyJson(outcome.body) ?? outcome.body}</pre>` : html`<p class="muted">The upstream sent no body.</p>`,
  );
}
