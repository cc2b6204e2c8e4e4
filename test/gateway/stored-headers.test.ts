/** What of an intercepted call's headers is stored and replayed: the change, not the caller's client. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { storedHeaders } from '../../src/gateway/stored-headers';

test('credentials, connection, client and Countersign headers are dropped; the change is kept', () => {
  const stored = storedHeaders({
    'content-type': 'application/json',
    'if-match': 'W/"3"',
    prefer: 'return=representation',
    consistencylevel: 'eventual',
    'client-request-id': 'abc',
    authorization: 'Bearer secret',
    cookie: 'session=1',
    host: 'gateway:8080',
    'content-length': '10',
    connection: 'keep-alive, x-trace-hop',
    'x-trace-hop': 'only for this hop',
    'keep-alive': 'timeout=5',
    'x-http-method-override': 'PATCH',
    'x-maa-justification': 'why',
    'accept-encoding': 'gzip, br',
    'user-agent': 'curl/8',
    'sec-fetch-mode': 'cors',
    'sec-ch-ua': '"Chromium"',
    origin: 'http://localhost:8080',
    referer: 'http://localhost:8080/maa/console/',
    'x-forwarded-for': '10.0.0.1',
    'proxy-authorization': 'Basic x',
  });
  assert.deepEqual(stored, {
    'content-type': 'application/json',
    'if-match': 'W/"3"',
    prefer: 'return=representation',
    consistencylevel: 'eventual',
    'client-request-id': 'abc',
  });
});

test('multi-valued headers are joined, and oversized values are not stored', () => {
  const stored = storedHeaders({ 'x-tags': ['a', 'b'], 'x-huge': 'x'.repeat(9000) });
  assert.deepEqual(stored, { 'x-tags': 'a, b' });
});
