import { useEffect, useState } from 'preact/hooks';

/** Where the console switches to its phone layout: cards, a full-screen pane, filters folded away. */
export const PHONE_QUERY = '(max-width: 760px)';

/**
 * Whether a CSS media query matches now, following it as the window changes.
 * @example const phone = useMedia(PHONE_QUERY);
 */
export function useMedia(query: string): boolean {
  const [matches, setMatches] = useState(() => matchMedia(query).matches);
  useEffect(() => {
    const list = matchMedia(query);
    const follow = () => setMatches(list.matches);
    follow();
    list.addEventListener('change', follow);
    return () => list.removeEventListener('change', follow);
  }, [query]);
  return matches;
}
