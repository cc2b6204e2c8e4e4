/** The console's hash routes: what each hash opens, that anything unknown is My requests, and the list's query in the URL. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EMPTY_QUERY, listHash, parseRoute } from '../../src/console/app/route';

test('reads list pages with and without an open request', () => {
  assert.deepEqual(parseRoute('#/received'), { page: 'received', id: null, query: EMPTY_QUERY });
  assert.deepEqual(parseRoute('#/mine/r%2F1'), { page: 'mine', id: 'r/1', query: EMPTY_QUERY });
  assert.deepEqual(parseRoute('#/all/abc'), { page: 'all', id: 'abc', query: EMPTY_QUERY });
  assert.deepEqual(parseRoute('#received/abc'), { page: 'received', id: 'abc', query: EMPTY_QUERY });
  assert.deepEqual(parseRoute('#/received/%E0%A4%A'), { page: 'received', id: null, query: EMPTY_QUERY }, 'a broken escape opens no request');
});

test('reads the pages without a request', () => {
  assert.deepEqual(parseRoute('#/policies'), { page: 'policies' });
  assert.deepEqual(parseRoute('#/audit/ignored'), { page: 'audit' });
});

test('falls back to My requests for an empty or unknown hash', () => {
  for (const hash of ['', '#', '#/', '#/nope', '#/Mine']) assert.deepEqual(parseRoute(hash), { page: 'mine', id: null, query: EMPTY_QUERY }, hash);
});

test('the filters and the page travel in the hash, and read back the same', () => {
  const query = { ...EMPTY_QUERY, status: 'needsApproval', profileType: 'scripts', requestor: 'alice', q: 'mobileApps/4 2', from: '2026-12-01', to: '2026-12-05', cursor: 'abc_-', page: 3 };
  const hash = listHash('received', 'r-1', query);
  assert.equal(hash, '#/received/r-1?status=needsApproval&profileType=scripts&requestor=alice&q=mobileApps%2F4+2&from=2026-12-01&to=2026-12-05&cursor=abc_-&page=3');
  assert.deepEqual(parseRoute(hash), { page: 'received', id: 'r-1', query });
  assert.equal(listHash('mine', null, EMPTY_QUERY), '#/mine');
  // A page number without its cursor is page 1; a day that is not a day is dropped.
  assert.deepEqual(parseRoute('#/mine?page=4&from=yesterday'), { page: 'mine', id: null, query: EMPTY_QUERY });
});
