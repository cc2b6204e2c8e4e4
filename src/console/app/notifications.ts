/**
 * Notifications in one aria-live region, so screen readers announce outcomes (approve,
 * reject, the upstream's answer to complete) without moving focus.
 */
import type { ComponentChildren } from 'preact';
import { useCallback, useState } from 'preact/hooks';
import { html } from 'htm/preact';

export type NotificationKind = 'success' | 'error' | 'info' | 'warning';

/** Shows a notification and returns the function that dismisses it. */
export type Notify = (kind: NotificationKind, title: string, ...detail: ComponentChildren[]) => () => void;

interface Note {
  id: number;
  kind: NotificationKind;
  title: string;
  detail: ComponentChildren[];
}

/** Older notifications beyond this many are dropped. */
const MAX_SHOWN = 4;
/** Success and info without detail fade after this long; errors and detail stay until dismissed. */
const FADE_MS = 6000;

let lastId = 0;

/**
 * The notifications of one signed-in tab and the function that adds one.
 * @example const { notes, notify, dismiss } = useNotifications(); notify('success', 'Approved.');
 */
export function useNotifications(): { notes: Note[]; notify: Notify; dismiss: (id: number) => void } {
  const [notes, setNotes] = useState<Note[]>([]);
  const dismiss = useCallback((id: number) => setNotes((shown) => shown.filter((note) => note.id !== id)), []);
  const notify = useCallback<Notify>(
    (kind, title, ...detail) => {
      const id = ++lastId;
      const shown = detail.filter((part) => part !== null && part !== undefined && part !== false);
      setNotes((current) => [{ id, kind, title, detail: shown }, ...current].slice(0, MAX_SHOWN));
      if ((kind === 'success' || kind === 'info') && shown.length === 0) setTimeout(() => dismiss(id), FADE_MS);
      return () => dismiss(id);
    },
    [dismiss],
  );
  return { notes, notify, dismiss };
}

export function NotificationList({ notes, onDismiss }: { notes: Note[]; onDismiss: (id: number) => void }) {
  return html`
    <section class="notifications" aria-live="polite" aria-label="Notifications">
      ${notes.map(
        (note) => html`
          <div key=${note.id} class="notification notification-${note.kind}" role=${note.kind === 'error' ? 'alert' : 'status'} data-kind=${note.kind}>
            <div class="notification-body"><p class="notification-title">${note.title}</p>${note.detail}</div>
            <button type="button" class="notification-dismiss" aria-label="Dismiss notification" onClick=${() => onDismiss(note.id)}>×</button>
          </div>
        `,
      )}
    </section>
  `;
}
