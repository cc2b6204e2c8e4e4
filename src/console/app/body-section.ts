/**
 * The pane's Body: its SHA-256, size and type, a preview (pretty-printed when it is JSON) and
 * Download body, which saves the exact parked bytes (body-download.ts).
 */
import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import type { RequestResource } from './api-types';
import { downloadBody } from './body-download';
import { useConsole } from './context';
import { formatBytes, prettyJson } from './format';
import { Facts, Section } from './pane-section';

export function BodySection({ request: r }: { request: RequestResource }) {
  const { api, notify, reportError } = useConsole();
  const [saving, setSaving] = useState(false);
  const preview = r.bodyPreview;

  async function save(): Promise<void> {
    setSaving(true);
    try {
      notify('info', `Saved the body as ${await downloadBody(api, r.id, r.call.bodySha256)}.`);
    } catch (error) {
      reportError(error, 'Downloading the body');
    } finally {
      setSaving(false);
    }
  }

  let content;
  if (!preview || r.call.bodySize === 0) content = html`<p class="muted">The call has no body.</p>`;
  else if (preview.encoding === 'base64') content = html`<p class="muted">The body is not UTF-8 text; shown as base64.</p><pre tabindex="0" class="code-block">${preview.text}</pre>`;
  else {
    const pretty = preview.truncated ? null : prettyJson(preview.text);
    content = html`<pre tabindex="0" class="code-block body-preview" data-format=${pretty ? 'json' : 'text'}>${pretty ?? preview.text}</pre>`;
  }

  return html`
    <${Section} title="Body">
      <${Facts}
        rows=${[
          ['SHA-256', html`<code class="sha" data-sha256=${r.call.bodySha256}>${r.call.bodySha256}</code>`],
          ['Size', formatBytes(r.call.bodySize)],
          ['Content type', r.call.headers['content-type'] ?? 'not given'],
        ]}
      />
      ${r.call.bodySize > 0 &&
      html`<div class="body-tools"><button type="button" class="button-secondary download-body" disabled=${saving} onClick=${() => void save()}>Download body</button></div>`}
      ${content}
      ${preview?.truncated && html`<p class="muted">Only the first 64 KiB are shown; the SHA-256 covers the whole body.</p>`}
    <//>
  `;
}
