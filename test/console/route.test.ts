/** The console's hash routes: what each hash opens, and that anything unknown is My requests. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseRoute } from '../../src/console/app/route';

test('reads list pages with and without an open request', () => {
  assert.deepEqual(parseRoute('#/received'), { page: 'received', id: null });
  assert.deepEqual(parseRoute('#/mine/r%2F1'), { page: 'mine', id: 'r/1' });
  assert.deepEqual(parseRoute('#/all/abc'), { page: 'all', id: 'abc' });
  assert.deepEqual(parseRoute('#received/abc'), { page: 'received', id: 'abc' });
});

test('reads the pages without a request', () => {
  assert.deepEqual(parseRoute('#/policies'), { page: 'policies' });
  assert.deepEqual(parseRoute('#/audit/ignored'), { page: 'audit' });
});

test('falls back to My requests for an empty or unknown hash', () => {
  for (const hash of ['', '#', '#/', '#/nope', '#/Mine']) assert.deepEqual(parseRoute(hash), { page: 'mine', id: null }, hash);
});
