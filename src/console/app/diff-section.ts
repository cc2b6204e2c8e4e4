/**
 * The pane's first section: what the request changes in the object, from
 * `GET /requests/{id}/diff` (docs/api.md): each field's JSON Pointer with its value before and
 * after, a decoded script as a line diff, assignments added and removed, and how the object was
 * read when the call was parked. Every sign is text as well as colour (+, −, "added").
 */
import { html } from 'htm/preact';
import type { DiffChange, DiffResource } from './api-types';
import { formatBytes, formatTime, operationLabel } from './format';
import { Section } from './pane-section';

const KIND_LABELS: Record<DiffChange['kind'], string> = { added: 'Added', removed: 'Removed', changed: 'Changed' };

function valueText(value: unknown): string {
  if (typeof value === 'string') return value;
  return JSON.stringify(value, null, 2) ?? String(value);
}

function snapshotLine(diff: DiffResource): string {
  const s = diff.snapshot;
  switch (s.state) {
    case 'captured':
      return `Compared with the object as it was when the call was parked${s.at ? ` (${formatTime(s.at)})` : ''}${s.bytes !== undefined ? `, ${formatBytes(s.bytes)}` : ''}${s.etag ? `, ETag ${s.etag}` : ''}.`;
    case 'none':
      return 'A new object: there was nothing to read before.';
    case 'tooLarge':
      return `The object was too large to keep${s.error ? ` (${s.error})` : ''}: only the change itself is shown.`;
    case 'failed':
      return `The object could not be read when the call was parked${s.error ? ` (${s.error})` : ''}: only the change itself is shown.`;
    default:
      return '';
  }
}

export function DiffSection({ diff }: { diff: DiffResource }) {
  return html`
    <${Section} title="Change" class="diff">
      <p class="muted diff-snapshot" data-snapshot=${diff.snapshot.state}>${operationLabel(diff.operation)}: ${snapshotLine(diff)}</p>
      ${diff.changes.length === 0 && !diff.assignments && html`<p class="muted">No field changes.</p>`}
      <ul class="diff-changes">${diff.changes.map((change) => html`<${Change} change=${change} />`)}</ul>
      ${diff.assignments && html`<${Assignments} assignments=${diff.assignments} />`}
    <//>
  `;
}

function Change({ change }: { change: DiffChange }) {
  return html`
    <li class="diff-change diff-${change.kind}" data-path=${change.path} data-kind=${change.kind}>
      <p class="diff-path"><span class="diff-kind">${KIND_LABELS[change.kind] ?? change.kind}</span> <code>${change.path || '/'}</code>${change.encoding && html` <span class="muted">(${change.encoding}, decoded)</span>`}</p>
      ${change.text
        ? html`<pre tabindex="0" class="code-block diff-lines" aria-label="Line changes of ${change.path}">${change.text.lines.map(
            (line) => html`<span class="diff-line diff-line-${line.op === '+' ? 'add' : line.op === '-' ? 'remove' : 'same'}">${line.op === '-' ? '−' : line.op} ${line.text}\n</span>`,
          )}</pre>`
        : html`
            ${change.kind !== 'added' && html`<div class="diff-value diff-before"><span class="diff-label">Before</span><pre tabindex="0" class="code-block">${valueText(change.before)}</pre></div>`}
            ${change.kind !== 'removed' && html`<div class="diff-value diff-after"><span class="diff-label">After</span><pre tabindex="0" class="code-block">${valueText(change.after)}</pre></div>`}
          `}
    </li>
  `;
}

function Assignments({ assignments }: { assignments: NonNullable<DiffResource['assignments']> }) {
  const list = (title: string, items: unknown[], kind: string) => html`
    <div class="diff-assignments" data-assignments=${kind}>
      <p class="diff-label">${title} (${items.length})</p>
      ${items.length > 0 && html`<ul>${items.map((item) => html`<li><pre tabindex="0" class="code-block">${valueText(item)}</pre></li>`)}</ul>`}
    </div>
  `;
  return html`${list('Assignments added', assignments.added, 'added')}${list('Assignments removed', assignments.removed, 'removed')}`;
}
