/**
 * The store call's deadline: calls that start close together share one expiry, and each still
 * rejects, and has its queued commands dropped (its signal aborts), no earlier than its own `ms`
 * and no later than `ms + WINDOW_MS`.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Deadline, WINDOW_MS } from '../../src/requests/deadline';
import { StoreUnavailableError } from '../../src/requests/errors';

const never = () => new Promise<never>(() => undefined);
// The deadline's timer is unref'd (it must not hold a gateway open); a store's socket keeps the loop
// alive in use, and this interval does here.
const keepAlive = setInterval(() => undefined, 1000);
after(() => clearInterval(keepAlive));

test('a call that gets no answer rejects with StoreUnavailableError between ms and ms + WINDOW_MS', async () => {
  const ms = 60;
  const started = performance.now();
  const deadline = new Deadline(ms);
  await assert.rejects(deadline.race(never()), (error: unknown) => error instanceof StoreUnavailableError && /within 60 ms/.test(error.message));
  const waited = performance.now() - started;
  assert.ok(waited >= ms - 1, `rejected after ${waited} ms, before its ${ms} ms`);
  // Timers are late on a busy machine, never early: the upper bound gets slack, the lower none.
  assert.ok(waited < ms + WINDOW_MS + 200, `rejected only after ${waited} ms`);
  assert.equal(deadline.passed, true);
  assert.equal(deadline.signal.aborted, true);
  deadline.end();
});

test('calls of one window share a signal; a later call gets a window of its own', async () => {
  const first = new Deadline(1000);
  const second = new Deadline(1000);
  assert.equal(first.signal, second.signal);
  await sleep(WINDOW_MS + 5);
  const later = new Deadline(1000);
  assert.notEqual(later.signal, first.signal);
  for (const deadline of [first, second, later]) deadline.end();
});

test('deadlines of different lengths never share an expiry', () => {
  const short = new Deadline(50);
  const long = new Deadline(5000);
  assert.notEqual(short.signal, long.signal);
  short.end();
  long.end();
});

test('a call that settles in time is not aborted, even when another call of its window runs out', async () => {
  const ms = 40;
  const quick = new Deadline(ms);
  const slow = new Deadline(ms);
  assert.equal(await quick.race(Promise.resolve('answered')), 'answered');
  quick.end();
  await assert.rejects(slow.race(never()), StoreUnavailableError);
  slow.end();
  // The window's signal aborted for the slow call; the quick one had nothing left queued under it.
  assert.equal(quick.passed, true);
});

test('a call whose deadline already passed rejects at once, and its late promise cannot go unhandled', async () => {
  const deadline = new Deadline(20);
  await assert.rejects(deadline.race(never()), StoreUnavailableError);
  const late = Promise.reject(new Error('late reply'));
  await assert.rejects(deadline.race(late), StoreUnavailableError);
  deadline.end();
});

test('nothing fires for a window whose calls have all ended', async () => {
  const deadlines = Array.from({ length: 5 }, () => new Deadline(30));
  await sleep(WINDOW_MS + 5);
  for (const deadline of deadlines) deadline.end();
  deadlines[0]!.end(); // a second end is harmless: the window does not count a call twice
  await sleep(30 + WINDOW_MS + 30);
  assert.equal(deadlines[0]!.signal.aborted, false);
});

test('a window whose calls all ended before it closed lets go of their replies once the next window opens', async () => {
  // A busy gateway's store calls often all end inside their window. Such a window used to keep its
  // timer (ms + WINDOW_MS) and, through its expiry, every reply its calls raced, outliving the young
  // generation (docs/operations.md).
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  let reply: WeakRef<object> | undefined;
  await (async () => {
    const deadline = new Deadline(2000);
    const value = { rows: new Array(1000).fill('reply') };
    reply = new WeakRef(value);
    await deadline.race(Promise.resolve(value));
    deadline.end();
  })();
  await sleep(WINDOW_MS + 2);
  new Deadline(2000).end(); // opens the next window
  await sleep(0);
  gc();
  assert.equal(reply!.deref(), undefined);
});
