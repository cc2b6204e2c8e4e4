/**
 * The pane's break-glass and schedule sections: who completed the request without approvals, why,
 * and its review after the fact (with the review form for an approver who may review it); and when
 * a scheduled replay will run (with Unschedule for the requestor).
 */
import { html } from 'htm/preact';
import { useId, useRef, useState } from 'preact/hooks';
import type { RequestResource } from './api-types';
import { useConsole } from './context';
import { Facts, Section, Time } from './pane-section';

const NOTES_MAX = 1000;

export function BreakGlassSection({ request: r, onActed }: { request: RequestResource; onActed: () => void }) {
  const context = useConsole();
  const [notes, setNotes] = useState('');
  const [acting, setActing] = useState(false);
  const actingNow = useRef(false);
  const notesId = useId();
  if (!r.breakGlass) return null;
  const b = r.breakGlass;

  async function review(): Promise<void> {
    if (actingNow.current) return;
    actingNow.current = true;
    setActing(true);
    try {
      await context.api.review(r.id, notes.trim());
      context.notify('success', 'Reviewed. The break-glass has left the review queue.');
      setNotes('');
    } catch (error) {
      context.reportError(error, 'Review');
    } finally {
      actingNow.current = false;
      setActing(false);
      onActed();
      context.changed();
    }
  }

  return html`
    <${Section} title="Break-glass" class="break-glass">
      <p class="callout callout-rejection" data-break-glass=${r.review ? 'reviewed' : 'unreviewed'}>
        Completed by ${b.userId} without approvals (break-glass) · <${Time} iso=${b.at} />
      </p>
      <${Facts}
        rows=${[
          ['Reason', html`<span class="notes" data-notes="break-glass">${b.reason}</span>`],
          ['Review', r.review ? html`by <strong>${r.review.userId}</strong> · <${Time} iso=${r.review.at} />` : 'waiting for an approver of its groups'],
          r.review && ['Review notes', html`<span class="notes" data-notes="review">${r.review.notes || '(no notes)'}</span>`],
        ]}
      />
      ${r.allowedActions.review?.allow &&
      html`
        <label for=${notesId}>Review notes <span class="muted">(up to ${NOTES_MAX} characters)</span></label>
        <textarea id=${notesId} name="review-notes" rows="3" maxlength=${NOTES_MAX} placeholder="What you checked, and what you found." value=${notes} onInput=${(event: Event) => setNotes((event.target as HTMLTextAreaElement).value)} />
        <div class="actions"><button type="button" class="button-primary" data-action="review" disabled=${acting} onClick=${() => void review()}>Mark reviewed</button></div>
      `}
    <//>
  `;
}

export function ScheduleSection({ request: r, onActed }: { request: RequestResource; onActed: () => void }) {
  const context = useConsole();
  const [acting, setActing] = useState(false);
  if (!r.scheduledFor) return null;
  const mayUnschedule = r.requestor.userId === context.me.userId;

  async function unschedule(): Promise<void> {
    setActing(true);
    try {
      await context.api.unschedule(r.id);
      context.notify('success', 'Unscheduled. The request stays approved.');
    } catch (error) {
      context.reportError(error, 'Unschedule');
    } finally {
      setActing(false);
      onActed();
      context.changed();
    }
  }

  return html`
    <${Section} title="Scheduled replay" class="scheduled">
      <${Facts} rows=${[['Replayed at', html`<${Time} iso=${r.scheduledFor} />`]]} />
      ${mayUnschedule && html`<div class="actions"><button type="button" class="button-secondary" data-action="unschedule" disabled=${acting} onClick=${() => void unschedule()}>Unschedule</button></div>`}
    <//>
  `;
}
