import { useEffect, useRef } from 'preact/hooks';

/**
 * A page's title in the tab, and its heading focused when the page opens, as a screen reader
 * user expects after following a link.
 * @example const heading = useHeading('Audit'); html`<h1 tabindex="-1" ref=${heading}>Audit</h1>`
 */
export function useHeading(title: string) {
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    document.title = `${title} · Countersign`;
    heading.current?.focus();
  }, [title]);
  return heading;
}
