/**
 * Notifications in one aria-live region, so screen readers announce outcomes (approve,
 * reject, the upstream's answer to complete) without moving focus.
 */
import { h, type Child } from './dom';

export type NotificationKind = 'success' | 'error' | 'info' | 'warning';

export class Notifications {
  readonly element: HTMLElement;

  constructor() {
    this.element = h('section', { class: 'notifications', 'aria-live': 'polite', 'aria-label': 'Notifications' });
  }

  /**
   * Shows a notification. Success and info ones fade after a while unless they carry detail;
   * errors and anything with detail stay until dismissed.
   */
  show(kind: NotificationKind, title: string, ...detail: Child[]): HTMLElement {
    const dismiss = h('button', { type: 'button', class: 'notification-dismiss', 'aria-label': 'Dismiss notification' }, '×');
    const note = h(
      'div',
      { class: `notification notification-${kind}`, role: kind === 'error' ? 'alert' : 'status', 'data-kind': kind },
      h('div', { class: 'notification-body' }, h('p', { class: 'notification-title' }, title), detail),
      dismiss,
    );
    dismiss.addEventListener('click', () => note.remove());
    this.element.prepend(note);
    while (this.element.children.length > 4) this.element.lastElementChild?.remove();
    if ((kind === 'success' || kind === 'info') && detail.length === 0) {
      setTimeout(() => note.remove(), 6000);
    }
    return note;
  }

  clear(): void {
    this.element.replaceChildren();
  }
}
