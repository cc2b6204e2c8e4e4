/**
 * Evaluates access policies' change windows (src/config/change-windows.ts): whether an instant is
 * inside, and when the next window opens. The time-zone arithmetic is Intl's (Node's full ICU, the
 * IANA database with its daylight-saving rules), not the Rego's: the Wasm policy has no time zones.
 *
 * A request matched by several policies with windows may be completed only when every one of them
 * is open (each policy's own windows are alternatives; the policies together are all required).
 */
import { WEEKDAYS, type ChangeWindow } from '../config/change-windows';
import type { AccessPolicy } from '../config/policy-definitions';

/** How far ahead the next window is looked for: a weekly calendar repeats within 8 days. */
const LOOKAHEAD_DAYS = 8;
const MINUTE_MS = 60_000;

interface LocalTime {
  year: number;
  month: number;
  day: number;
  /** 0 = Sunday, as WEEKDAYS. */
  weekday: number;
  /** Minutes since local midnight. */
  minutes: number;
  seconds: number;
}

const formats = new Map<string, Intl.DateTimeFormat>();

function format(timeZone: string): Intl.DateTimeFormat {
  let f = formats.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formats.set(timeZone, f);
  }
  return f;
}

function localTime(ms: number, timeZone: string): LocalTime {
  const parts: Record<string, number> = {};
  for (const part of format(timeZone).formatToParts(new Date(ms))) {
    if (part.type !== 'literal') parts[part.type] = Number(part.value);
  }
  const { year = 1970, month = 1, day = 1, hour = 0, minute = 0, second = 0 } = parts;
  return { year, month, day, weekday: new Date(Date.UTC(year, month - 1, day)).getUTCDay(), minutes: hour * 60 + minute, seconds: second };
}

/** The instant a local wall time names in `timeZone` (a time skipped by a DST change lands just after the gap). */
function instantOf(year: number, month: number, day: number, minutes: number, timeZone: string): number {
  const wall = Date.UTC(year, month - 1, day, 0, minutes);
  const offsetAt = (ms: number): number => {
    const l = localTime(ms, timeZone);
    return Date.UTC(l.year, l.month - 1, l.day, 0, l.minutes, l.seconds) - Math.floor(ms / 1000) * 1000;
  };
  const first = wall - offsetAt(wall);
  const second = wall - offsetAt(first);
  return second === first ? first : Math.max(first, second);
}

function minutesOf(hhmm: string): number {
  const [h, m] = hhmm.split(':').map(Number);
  return h! * 60 + m!;
}

function dayIndex(day: string): number {
  return (WEEKDAYS as readonly string[]).indexOf(day);
}

/**
 * Whether `at` falls inside the window: from its opening minute up to, not including, its closing one.
 * @example insideWindow({ days: ['mon'], from: '09:00', to: '17:00', timeZone: 'UTC' }, new Date('2026-12-07T10:00:00Z')) // true
 */
export function insideWindow(window: ChangeWindow, at: Date): boolean {
  const local = localTime(at.getTime(), window.timeZone);
  const from = minutesOf(window.from);
  const to = minutesOf(window.to);
  const days = window.days.map(dayIndex);
  if (from < to) return days.includes(local.weekday) && local.minutes >= from && local.minutes < to;
  // Overnight: opens on one of `days` and closes the next day.
  return (days.includes(local.weekday) && local.minutes >= from) || (days.includes((local.weekday + 6) % 7) && local.minutes < to);
}

/** Whether `at` is inside one of the windows (an empty list is no restriction). */
export function insideWindows(windows: readonly ChangeWindow[], at: Date): boolean {
  return windows.length === 0 || windows.some((w) => insideWindow(w, at));
}

/** Openings of a window at or after `from`, within the lookahead. */
function openings(window: ChangeWindow, from: number): number[] {
  const start = localTime(from, window.timeZone);
  const days = window.days.map(dayIndex);
  const opensAt = minutesOf(window.from);
  const out: number[] = [];
  for (let i = 0; i <= LOOKAHEAD_DAYS; i++) {
    const date = new Date(Date.UTC(start.year, start.month - 1, start.day + i));
    if (!days.includes(date.getUTCDay())) continue;
    const at = instantOf(date.getUTCFullYear(), date.getUTCMonth() + 1, date.getUTCDate(), opensAt, window.timeZone);
    if (at >= from) out.push(at);
  }
  return out;
}

/**
 * The change-window sets that apply to a request: one per matched access policy that has windows.
 * @example windowSetsFor(policy.accessPolicies(), request.decision.policies)
 */
export function windowSetsFor(accessPolicies: readonly AccessPolicy[], names: readonly string[]): ChangeWindow[][] {
  return accessPolicies.filter((p) => names.includes(p.name) && p.changeWindows && p.changeWindows.length > 0).map((p) => p.changeWindows!);
}

/** Whether every set has one window open at `at` (no sets: always). */
export function insideAll(sets: readonly (readonly ChangeWindow[])[], at: Date): boolean {
  return sets.every((windows) => insideWindows(windows, at));
}

/**
 * The first instant at or after `from` when every set is open: `from` itself when they are, else the
 * earliest opening of some window at which all the others are open too; null when none within 8 days.
 * @example nextOpening([[{ days: ['sat'], from: '10:00', to: '12:00', timeZone: 'UTC' }]], new Date('2026-12-07T00:00:00Z')) // 2026-12-12T10:00:00.000Z
 */
export function nextOpening(sets: readonly (readonly ChangeWindow[])[], from: Date): Date | null {
  if (insideAll(sets, from)) return from;
  // Whole minutes: windows open on a minute, and the first candidate must not be before `from`.
  const start = Math.ceil(from.getTime() / MINUTE_MS) * MINUTE_MS;
  const candidates = [...new Set(sets.flatMap((windows) => windows.flatMap((w) => openings(w, start))))].sort((a, b) => a - b);
  for (const candidate of candidates) {
    if (insideAll(sets, new Date(candidate))) return new Date(candidate);
  }
  return null;
}
