/** What every view of the signed-in console is given. */
import type { ApiClient } from './api-client';
import type { Me } from './api-types';
import type { Notifications } from './notifications';

export interface ConsoleContext {
  api: ApiClient;
  me: Me;
  notifications: Notifications;
  /** Turns a failed call into a notification; an invalid token signs the tab out. */
  reportError(error: unknown, what: string): void;
}
