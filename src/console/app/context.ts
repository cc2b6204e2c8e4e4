/**
 * What every part of the signed-in console shares, as a Preact context: the API client, who is
 * signed in, the notifications, the one way to report a failed call, and a revision that pages
 * read again on.
 */
import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import type { ApiClient } from './api-client';
import type { Me } from './api-types';
import type { Notify } from './notifications';

export interface ConsoleContext {
  api: ApiClient;
  me: Me;
  notify: Notify;
  /** Grows whenever requests may have changed; whatever shows requests reads them again when it does. */
  revision: number;
  /** Says that requests may have changed (an action, or Refresh): the list, the open pane and the Audit page read again, in place. */
  changed(): void;
  /** Turns a failed call into a notification; an invalid token signs the tab out. */
  reportError(error: unknown, what: string): void;
}

export const ConsoleContextValue = createContext<ConsoleContext | null>(null);

/**
 * The signed-in console's context; only components under the signed-in frame use it.
 * @example const { api, notify } = useConsole();
 */
export function useConsole(): ConsoleContext {
  const context = useContext(ConsoleContextValue);
  if (!context) throw new Error('console: useConsole() outside the signed-in console');
  return context;
}
