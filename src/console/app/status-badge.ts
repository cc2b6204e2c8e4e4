import { html } from 'htm/preact';
import { statusLabel } from './format';

/** The status as a coloured pill; the text carries the meaning, the colour only helps. */
export function StatusBadge({ status }: { status: string }) {
  return html`<span class="badge badge-${status.replace(/[^a-zA-Z]/g, '')}" data-status=${status}>${statusLabel(status)}</span>`;
}
