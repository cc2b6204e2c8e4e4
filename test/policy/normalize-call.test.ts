import assert from 'node:assert/strict';
import type { IncomingHttpHeaders } from 'node:http';
import { describe, test } from 'node:test';
import { isMutation, normalizeCall } from '../../src/policy/normalize-call';

function path(url: string, caseInsensitive = true): string {
  const r = normalizeCall({ method: 'PATCH', url, headers: {} }, { caseInsensitive });
  assert.ok(r.ok, `refused ${url}: ${r.ok ? '' : r.reason}`);
  return r.call.path;
}

function refused(url: string, method = 'PATCH', headers: IncomingHttpHeaders = {}): string {
  const r = normalizeCall({ method, url, headers }, { caseInsensitive: true });
  assert.ok(!r.ok, `${method} ${url} was not refused`);
  return r.reason;
}

describe('path normalisation: the policy sees what the upstream acts on', () => {
  test('repeated and trailing slashes', () => {
    assert.equal(path('//deviceAppManagement///mobileApps/42/'), '/deviceappmanagement/mobileapps/42');
    assert.equal(path('/'), '/');
    assert.equal(path('///'), '/');
  });

  test('dot segments are resolved; percent-encoded ones are refused', () => {
    assert.equal(path('/deviceAppManagement/x/../mobileApps/./42'), '/deviceappmanagement/mobileapps/42');
    assert.equal(path('/deviceAppManagement/mobileApps/42/assign/..'), '/deviceappmanagement/mobileapps/42');
    assert.equal(path('/deviceAppManagement/mobileApps/42/.hidden/..x'), '/deviceappmanagement/mobileapps/42/.hidden/..x');
    assert.match(refused('/deviceAppManagement/x/%2e%2E/mobileApps/42'), /encoded dot segment/);
    assert.match(refused('/deviceAppManagement/mobileApps/%2E/42'), /encoded dot segment/);
    assert.match(refused('/deviceAppManagement/mobileApps/.%2e'), /encoded dot segment/);
  });

  test('percent-encoding of ordinary characters is decoded', () => {
    assert.equal(path('/device%41ppManagement/mobile%61pps/4%32'), '/deviceappmanagement/mobileapps/42');
    const read = normalizeCall({ method: 'GET', url: '/a/caf%C3%A9', headers: {} }, { caseInsensitive: false });
    assert.ok(read.ok);
    assert.equal(read.call.path, '/a/café');
  });

  test('letter case: lowered only when the upstream ignores it', () => {
    assert.equal(path('/DeviceAppManagement/MobileApps/AB', true), '/deviceappmanagement/mobileapps/ab');
    assert.equal(path('/DeviceAppManagement/MobileApps/AB', false), '/DeviceAppManagement/MobileApps/AB');
  });

  test('ambiguous encodings are refused, not guessed', () => {
    assert.match(refused('/deviceAppManagement/mobileApps%2F42'), /encoded slash/);
    assert.match(refused('/deviceAppManagement/mobileApps%2f42'), /encoded slash/);
    assert.match(refused('/deviceAppManagement%5Cmobileapps/42'), /encoded backslash/);
    assert.match(refused('/deviceAppManagement/mobileApps/42%00'), /NUL/);
    assert.match(refused('/deviceAppManagement/mobileApps/%252F42'), /double encoding/);
    assert.match(refused('/deviceAppManagement/mobileApps/%0a'), /control character/);
    assert.match(refused('/deviceAppManagement/mobileApps/%zz'), /malformed/);
    assert.match(refused('/deviceAppManagement/mobileApps/%4'), /malformed/);
    assert.match(refused('/deviceAppManagement/mobileApps/%C3'), /UTF-8/);
    assert.match(refused('/deviceAppManagement\\mobileApps/42'), /backslash/);
    assert.match(refused('/deviceAppManagement/mobileApps;v=1/42'), /path parameter/);
    assert.match(refused('/deviceAppManagement/mobile Apps/42'), /space/);
    assert.match(refused('/deviceAppManagement/mobileApps/é'), /non-ASCII/);
    assert.match(refused('/../deviceAppManagement'), /above the root/);
    assert.match(refused('/a/../..'), /above the root/);
  });

  test('request targets other than origin-form are refused', () => {
    assert.match(refused('http://upstream/deviceAppManagement/mobileApps/42'), /must start with/);
    assert.match(refused('*', 'OPTIONS'), /must start with/);
    assert.match(refused(''), /empty/);
    assert.match(refused('/a#frag'), /fragment/);
    assert.match(refused(`/${'a'.repeat(9000)}`), /longer than/);
  });

  test('the query is parsed to a record, repeated keys to lists, and kept out of the path', () => {
    const r = normalizeCall({ method: 'GET', url: '/deviceAppManagement/mobileApps?$filter=a%20eq%201&x=1&x=2&__proto__=p', headers: {} }, { caseInsensitive: true });
    assert.ok(r.ok);
    assert.equal(r.call.path, '/deviceappmanagement/mobileapps');
    assert.deepEqual(r.call.query, { $filter: 'a eq 1', x: ['1', '2'], ['__proto__']: 'p' });
    assert.equal(Object.getPrototypeOf(r.call.query), Object.prototype);
    const slashInQuery = normalizeCall({ method: 'GET', url: '/a?next=%2Fb', headers: {} }, { caseInsensitive: true });
    assert.ok(slashInQuery.ok);
    assert.deepEqual(slashInQuery.call.query, { next: '/b' });
  });

  test('too many query parameters are refused', () => {
    const url = `/a?${Array.from({ length: 101 }, (_, i) => `k${i}=1`).join('&')}`;
    assert.match(refused(url, 'GET'), /more than 100 query parameters/);
  });

  test('selected headers only, never credentials', () => {
    const r = normalizeCall(
      {
        method: 'PATCH',
        url: '/a',
        headers: { 'content-type': 'application/json', 'if-match': 'W/"1"', prefer: 'return=minimal', authorization: 'Bearer secret', cookie: 'c=1', 'x-other': 'y' },
      },
      { caseInsensitive: true },
    );
    assert.ok(r.ok);
    assert.deepEqual(r.call.headers, { 'content-type': 'application/json', 'if-match': 'W/"1"', prefer: 'return=minimal' });
  });
});

describe('OData key syntax: the policy sees the object a key in parentheses names', () => {
  test('a quoted, named or bare key becomes its own segment', () => {
    const want = '/deviceappmanagement/mobileapps/42';
    assert.equal(path("/deviceAppManagement/mobileApps('42')"), want);
    assert.equal(path("/deviceAppManagement/mobileApps(id='42')"), want);
    assert.equal(path('/deviceAppManagement/mobileApps(42)'), want);
    assert.equal(path('/deviceAppManagement/mobileApps(id=42)'), want);
    assert.equal(path('/deviceAppManagement/mobileApps%28%2742%27%29'), want);
    assert.equal(path("/v1.0/deviceAppManagement/mobileApps('42')/assign"), '/v1.0/deviceappmanagement/mobileapps/42/assign');
    assert.equal(
      path("/deviceAppManagement/mobileApps('42')/microsoft.graph.win32LobApp/contentVersions('1')"),
      '/deviceappmanagement/mobileapps/42/microsoft.graph.win32lobapp/contentversions/1',
    );
  });

  test("'' inside quotes is one quote; commas and = inside quotes are part of the key", () => {
    assert.equal(path("/a/items('it''s')", false), "/a/items/it's");
    assert.equal(path("/a/items('x,y=1')", false), '/a/items/x,y=1');
    assert.equal(path("/a/items(id='''')", false), "/a/items/'");
  });

  test('a key with parentheses in it is refused: its canonical form would read as a key again', () => {
    assert.match(refused("/a/items('x,y(z)=1')"), /parentheses/);
    assert.match(refused("/a/items('a(b')"), /parentheses/);
  });

  test('empty parentheses (a function without parameters) name the function', () => {
    assert.equal(path('/deviceAppManagement/mobileApps/microsoft.graph.delta()'), '/deviceappmanagement/mobileapps/microsoft.graph.delta');
  });

  test('".." after a keyed segment removes the whole segment, as the upstream does', () => {
    assert.equal(path("/deviceAppManagement/mobileApps('42')/.."), '/deviceappmanagement');
    assert.equal(path("/deviceAppManagement/x('1')/../mobileApps('42')"), '/deviceappmanagement/mobileapps/42');
  });

  test('forms with two readings are refused for changes', () => {
    assert.match(refused("/deviceAppManagement/mobileApps('4','2')"), /composite key/);
    assert.match(refused("/deviceAppManagement/mobileApps(id='4',x='2')"), /composite key/);
    // An alternate key would give the object a second object key (two open requests for one app).
    assert.match(refused("/deviceAppManagement/mobileApps(displayName='Contoso%20Portal')"), /alternate key/);
    assert.equal(path("/deviceAppManagement/mobileApps(ID='42')"), '/deviceappmanagement/mobileapps/42');
    assert.match(refused('/deviceAppManagement/mobileApps((42))'), /nested parentheses/);
    assert.match(refused("/deviceAppManagement/mobileApps(id=f('42'))"), /nested parentheses/);
    assert.match(refused("/deviceAppManagement/mobileApps('42'"), /unclosed/);
    assert.match(refused("/deviceAppManagement/mobileApps'42')"), /without/);
    assert.match(refused("/deviceAppManagement/mobile)Apps('42')"), /unbalanced/);
    assert.match(refused('/deviceAppManagement/mobileApps42)'), /"\)" without "\("/);
    assert.match(refused("/deviceAppManagement/mobileApps('42')x"), /text after/);
    assert.match(refused("/deviceAppManagement/mobileApps('42)"), /unbalanced quote/);
    assert.match(refused("/deviceAppManagement/mobileApps('4'2')"), /unbalanced quote/);
    assert.match(refused("/deviceAppManagement/mobileApps('4'+'2')"), /text after the closing quote/);
    assert.match(refused("/deviceAppManagement/mobileApps(4'2)"), /unbalanced quote/);
    assert.match(refused("/deviceAppManagement/mobileApps(4'2')"), /quote inside an unquoted key/);
    assert.match(refused("/deviceAppManagement/mobileApps('')"), /empty key/);
    assert.match(refused('/deviceAppManagement/mobileApps(id=)'), /empty key/);
    assert.match(refused("/deviceAppManagement/mobileApps(a=b='42')"), /two "="/);
    assert.match(refused("/deviceAppManagement/mobileApps(1x='42')"), /needs a name/);
    assert.match(refused("/deviceAppManagement/('42')"), /at the start/);
    assert.match(refused("/deviceAppManagement/mobileApps('..')"), /dot segment/);
    assert.match(refused("/deviceAppManagement/mobileApps('4','2')", 'POST', { 'x-http-method-override': 'DELETE' }), /composite key/);
  });

  test('reads with a form we cannot read pass unchanged: reads are never protected', () => {
    const url = "/drive/items/1/getActivitiesByInterval(startDateTime='2024-01-01',interval='day')";
    const r = normalizeCall({ method: 'GET', url, headers: {} }, { caseInsensitive: false });
    assert.ok(r.ok);
    assert.equal(r.call.path, url);
    assert.match(refused(url, 'POST', { 'x-http-method-override': 'PATCH' }), /composite key/);
  });
});

describe('method normalisation', () => {
  test('methods are upper-cased; unknown ones are refused', () => {
    const r = normalizeCall({ method: 'patch', url: '/a', headers: {} }, { caseInsensitive: true });
    assert.ok(r.ok);
    assert.equal(r.call.method, 'PATCH');
    assert.match(refused('/a', 'MERGE'), /not supported/);
    assert.match(refused('/a', 'PROPFIND'), /not supported/);
  });

  for (const header of ['x-http-method-override', 'x-http-method', 'x-method-override']) {
    test(`${header} on POST gives the effective method`, () => {
      const r = normalizeCall({ method: 'POST', url: '/a', headers: { [header]: 'delete' } }, { caseInsensitive: true });
      assert.ok(r.ok);
      assert.equal(r.call.method, 'DELETE');
    });
  }

  test('an override on anything but POST is refused', () => {
    assert.match(refused('/a', 'GET', { 'x-http-method-override': 'DELETE' }), /only honoured on POST/);
    assert.match(refused('/a', 'PATCH', { 'x-http-method': 'PATCH' }), /only honoured on POST/);
  });

  test('an override to an unknown method, or overrides that disagree, are refused', () => {
    assert.match(refused('/a', 'POST', { 'x-http-method-override': 'MERGE' }), /not supported/);
    assert.match(refused('/a', 'POST', { 'x-http-method-override': 'PATCH', 'x-http-method': 'DELETE' }), /disagree/);
    assert.match(refused('/a', 'POST', { 'x-method-override': 'PATCH, DELETE' }), /disagree/);
  });

  test('agreeing overrides are accepted', () => {
    const r = normalizeCall({ method: 'POST', url: '/a', headers: { 'x-http-method-override': 'PATCH', 'x-http-method': 'patch' } }, { caseInsensitive: true });
    assert.ok(r.ok);
    assert.equal(r.call.method, 'PATCH');
  });

  test('isMutation: anything but GET, HEAD and OPTIONS', () => {
    assert.deepEqual(['GET', 'head', 'OPTIONS', 'POST', 'PUT', 'patch', 'DELETE'].map(isMutation), [false, false, false, true, true, true, true]);
  });
});

describe('the canonical reading: decided and forwarded as one', () => {
  const read = (url: string, method = 'PATCH', headers: IncomingHttpHeaders = {}) => {
    const r = normalizeCall({ method, url, headers }, { caseInsensitive: true });
    assert.ok(r.ok, `refused ${url}: ${r.ok ? '' : r.reason}`);
    return r;
  };

  test('the target is the canonical path in its own letter case, with the query as received', () => {
    assert.equal(read('//deviceAppManagement//mobileApps//42?$select=id').target, '/deviceAppManagement/mobileApps/42?$select=id');
    assert.equal(read("/deviceAppManagement/mobileApps('42')/assign").target, '/deviceAppManagement/mobileApps/42/assign');
    assert.equal(read('/a/x/../b/./c/').target, '/a/b/c');
    assert.equal(read('/a/caf%C3%A9%20x/%41', 'GET').target, '/a/caf%C3%A9%20x/A');
  });

  test('an already canonical URL is its own target', () => {
    const url = '/deviceAppManagement/mobileApps/42/assign?x=1';
    assert.equal(read(url).target, url);
  });

  test('the target reads back as itself (the replay re-reads what the proxy sent)', () => {
    for (const url of ['//a//b', "/a/items('it''s')", '/a/caf%C3%A9%20x', '/a/%7Bb%7D', "/x/y(id='a,b=1')"]) {
      const once = read(url, 'GET');
      const twice = read(once.target, 'GET');
      assert.equal(twice.target, once.target, url);
      assert.equal(twice.call.path, once.call.path, url);
    }
  });

  test('a change whose segment some servers read as another is refused; a read passes', () => {
    for (const url of [
      '/deviceAppManagement/mobileApp%C5%BF/42',
      '/deviceManagement/deviceManagementScr%C4%B1pts/7',
      '/deviceAppManagement/%EF%BD%8DobileApps/42',
      '/deviceAppManagement/mobile%E2%80%8BApps/42',
      '/deviceAppManagement/mobileApps%3Bx=1/42',
      '/deviceAppManagement/mobileApps./42',
      '/deviceAppManagement/mobileApps%20/42',
      '/deviceAppManagement/mobileApps/%2042',
    ]) {
      refused(url);
      assert.ok(normalizeCall({ method: 'GET', url, headers: {} }, { caseInsensitive: true }).ok, url);
    }
  });

  test('an override may only name a change', () => {
    for (const to of ['GET', 'get', 'HEAD', 'OPTIONS', 'GET, GET']) {
      assert.match(refused('/a', 'POST', { 'x-http-method-override': to }), /may only name a change/);
    }
    assert.equal(read('/a', 'POST', { 'x-http-method': 'delete' }).call.method, 'DELETE');
  });

  test('rewrite headers, upgrades and transfer codings other than chunked are refused on any method', () => {
    for (const method of ['GET', 'POST']) {
      assert.match(refused('/a', method, { 'x-original-url': '/b' }), /x-original-url/);
      assert.match(refused('/a', method, { 'x-rewrite-url': '/b' }), /x-rewrite-url/);
      assert.match(refused('/a', method, { upgrade: 'h2c' }), /upgrade/i);
      assert.match(refused('/a', method, { 'transfer-encoding': 'gzip, chunked' }), /transfer-encoding/);
    }
    assert.equal(read('/a', 'POST', { 'transfer-encoding': 'chunked' }).call.method, 'POST');
  });
});
