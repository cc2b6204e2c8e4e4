/**
 * Change-window arithmetic (src/policy/change-windows.ts): inside or not, in a time zone with
 * daylight saving, overnight windows, the next opening, and several policies together.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChangeWindow } from '../../src/config/change-windows';
import { insideAll, insideWindow, nextOpening } from '../../src/policy/change-windows';

const office: ChangeWindow = { days: ['mon', 'tue', 'wed', 'thu', 'fri'], from: '09:00', to: '17:00', timeZone: 'Europe/Berlin' };
const at = (iso: string) => new Date(iso);

describe('change windows', () => {
  test('inside from the opening minute up to, not including, the closing one, in local time', () => {
    // Monday 7 December 2026: Berlin is UTC+1.
    assert.equal(insideWindow(office, at('2026-12-07T07:59:59Z')), false);
    assert.equal(insideWindow(office, at('2026-12-07T08:00:00Z')), true);
    assert.equal(insideWindow(office, at('2026-12-07T15:59:59Z')), true);
    assert.equal(insideWindow(office, at('2026-12-07T16:00:00Z')), false);
    // Saturday.
    assert.equal(insideWindow(office, at('2026-12-05T10:00:00Z')), false);
  });

  test('daylight saving: the same local hours are other UTC hours in summer', () => {
    // Monday 6 July 2026: Berlin is UTC+2.
    assert.equal(insideWindow(office, at('2026-07-06T07:00:00Z')), true);
    assert.equal(insideWindow(office, at('2026-07-06T15:00:00Z')), false);
    assert.equal(nextOpening([[office]], at('2026-07-04T12:00:00Z'))?.toISOString(), '2026-07-06T07:00:00.000Z');
  });

  test('an overnight window closes the next day', () => {
    const night: ChangeWindow = { days: ['fri'], from: '22:00', to: '02:00', timeZone: 'America/New_York' };
    assert.equal(insideWindow(night, at('2026-12-05T03:30:00Z')), true, 'Friday 22:30 in New York');
    assert.equal(insideWindow(night, at('2026-12-05T06:30:00Z')), true, 'Saturday 01:30');
    assert.equal(insideWindow(night, at('2026-12-05T07:00:00Z')), false, 'Saturday 02:00');
    assert.equal(nextOpening([[night]], at('2026-12-05T08:00:00Z'))?.toISOString(), '2026-12-12T03:00:00.000Z');
  });

  test('the next opening: now when open, else the first start; a whole day is "00:00" to "24:00"', () => {
    assert.equal(nextOpening([[office]], at('2026-12-07T10:00:00Z'))?.toISOString(), '2026-12-07T10:00:00.000Z');
    assert.equal(nextOpening([[office]], at('2026-12-05T07:00:00Z'))?.toISOString(), '2026-12-07T08:00:00.000Z');
    const sunday: ChangeWindow = { days: ['sun'], from: '00:00', to: '24:00', timeZone: 'UTC' };
    assert.equal(insideWindow(sunday, at('2026-12-06T23:59:00Z')), true);
    assert.equal(nextOpening([[sunday]], at('2026-12-07T00:00:00Z'))?.toISOString(), '2026-12-13T00:00:00.000Z');
  });

  test('several policies: every one must be open; the next opening is when they all are', () => {
    const lateTuesday: ChangeWindow = { days: ['tue'], from: '15:00', to: '24:00', timeZone: 'UTC' };
    const sets = [[office], [lateTuesday]];
    assert.equal(insideAll(sets, at('2026-12-07T15:30:00Z')), false, 'Monday: only the office window');
    assert.equal(insideAll([], at('2026-12-07T15:30:00Z')), true, 'no windows: no restriction');
    assert.equal(nextOpening(sets, at('2026-12-05T07:00:00Z'))?.toISOString(), '2026-12-08T15:00:00.000Z');
    // Windows that never overlap have no common opening.
    assert.equal(nextOpening([[office], [{ days: ['sat'], from: '10:00', to: '11:00', timeZone: 'UTC' }]], at('2026-12-05T12:00:00Z')), null);
  });
});
