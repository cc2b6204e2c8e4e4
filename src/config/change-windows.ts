/**
 * `changeWindows:` of an access policy (docs/policy.md, "Change windows"): weekly ranges of local
 * time in an IANA time zone, inside which a request of the policy may be completed. Weekly ranges
 * rather than cron: a window has a start and an end, which a cron line (a set of instants) does
 * not say, and "Mon–Fri 09:00–17:00 Europe/Berlin" is what change calendars are written as.
 * This file is the YAML schema and its checks; src/policy/change-windows.ts evaluates windows.
 */
import type { YamlFile } from './yaml-file';

export const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

export interface ChangeWindow {
  /** The days on which the window opens (local to `timeZone`). */
  days: Weekday[];
  /** `HH:MM`, local; the window opens at this minute. */
  from: string;
  /** `HH:MM` or `24:00`, local; the window closes at this minute. Earlier than `from`: it closes the next day. */
  to: string;
  /** IANA time zone, e.g. `Europe/Berlin` or `UTC`. */
  timeZone: string;
}

/** A policy has at most this many windows: a calendar, not a list of dates. */
export const MAX_CHANGE_WINDOWS = 20;

/** The JSON Schema of `changeWindows`, for the access policy's schema. */
export const changeWindowsSchema = {
  type: 'array',
  minItems: 1,
  maxItems: MAX_CHANGE_WINDOWS,
  items: {
    type: 'object',
    additionalProperties: false,
    required: ['days', 'from', 'to', 'timeZone'],
    properties: {
      days: { type: 'array', minItems: 1, maxItems: 7, uniqueItems: true, items: { type: 'string', enum: [...WEEKDAYS] } },
      from: { type: 'string', pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]$', description: 'a time of day HH:MM from 00:00 to 23:59, such as "09:00"' },
      to: { type: 'string', pattern: '^(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$', description: 'a time of day HH:MM from 00:00 to 24:00, such as "17:00"' },
      timeZone: { type: 'string', minLength: 1, maxLength: 64 },
    },
  },
} as const;

/**
 * What the schema cannot say: the time zone must be one this Node knows (IANA, full ICU), and a
 * window must not be empty. Returns one `file:line:column: …` line per problem.
 * @example checkChangeWindows(file, [{ days: ['mon'], from: '09:00', to: '09:00', timeZone: 'Mars/Olympus' }])
 */
export function checkChangeWindows(file: YamlFile, windows: readonly ChangeWindow[]): string[] {
  const issues: string[] = [];
  windows.forEach((window, i) => {
    if (!isTimeZone(window.timeZone)) {
      issues.push(`${file.where(['changeWindows', i, 'timeZone'])}: changeWindows.${i}.timeZone "${window.timeZone}" is not an IANA time zone (such as Europe/Berlin or UTC)`);
    }
    if (window.from === window.to) {
      issues.push(`${file.where(['changeWindows', i, 'to'])}: changeWindows.${i} opens and closes at ${window.from}: an empty window (use from "00:00" to "24:00" for a whole day)`);
    }
  });
  return issues;
}

function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}
