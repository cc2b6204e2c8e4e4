import { html } from 'htm/preact';

/**
 * A path with a line-break opportunity before each inner slash, so long paths wrap at segments.
 * @example html`<a href=${href}><${PathText} path=${item.call.path} /></a>`
 */
export function PathText({ path }: { path: string }) {
  return path.split('/').map((segment, index) => (index === 0 ? segment : index === 1 ? '/' + segment : html`<wbr />/${segment}`));
}
