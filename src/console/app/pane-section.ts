/** The building blocks of the request pane: a titled section, a list of facts, a time. */
import type { ComponentChildren } from 'preact';
import { html } from 'htm/preact';
import { useId } from 'preact/hooks';
import { formatTime } from './format';

/**
 * A section of the pane, labelled by its heading.
 * @example html`<${Section} title="Approvals">…<//>`
 */
export function Section({ title, class: extra, state, children }: { title: string; class?: string; state?: string; children?: ComponentChildren }) {
  const id = useId();
  return html`
    <section class=${extra ? `pane-section ${extra}` : 'pane-section'} aria-labelledby=${id} data-state=${state}>
      <h3 id=${id}>${title}</h3>
      ${children}
    </section>
  `;
}

/** Term and value pairs; a null row is left out. */
export function Facts({ rows }: { rows: ([string, ComponentChildren] | null | false | undefined)[] }) {
  return html`<dl class="facts">${rows.map((row) => row && html`<dt>${row[0]}</dt><dd>${row[1]}</dd>`)}</dl>`;
}

export function Time({ iso }: { iso: string }) {
  return html`<time datetime=${iso}>${formatTime(iso)}</time>`;
}
