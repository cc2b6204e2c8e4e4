import { h } from './dom';
import { statusLabel } from './format';

/** The status as a coloured pill; the text carries the meaning, the colour only helps. */
export function statusBadge(status: string): HTMLElement {
  return h('span', { class: `badge badge-${status.replace(/[^a-zA-Z]/g, '')}`, 'data-status': status }, statusLabel(status));
}
