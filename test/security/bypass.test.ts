/**
 * The adversarial suite (issue 8, "The proof"): attack requests, written as raw HTTP/1.1 bytes,
 * sent through the running gateway to the liberal upstream. After EACH row: no protected object
 * changed at the upstream under any reading the upstream could have made, and, where the row says
 * so, the gateway parked the call (202) or refused it with the expected status instead of
 * forwarding it. A last group walks changes through approve and complete: then, and only then,
 * the upstream changes exactly the approved object.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import { auth } from '../support/harness';
import { assertNothingProtectedChanged, attack, BODY_LIMIT, startAttackRig, type AttackRig, type Outcome } from './attack-harness';
import { exchange, rawRequest, type HeaderList, type RawRequestOptions } from './raw-http';

/**
 * What the gateway must answer besides keeping the promise: `parked` (202), a status (the first
 * answer), `refused` (a 4xx, or the connection dropped without an answer), `guarded` (parked or
 * refused: not forwarded), `promise` (only that nothing protected changed), or `{ last }` (the
 * status of the last of several pipelined answers).
 */
type Expect = 'parked' | 'refused' | 'guarded' | 'promise' | number | { last: number };

interface Row {
  name: string;
  bytes: Buffer | Buffer[];
  expect: Expect;
  /** Ends the client's side after writing: a body read until the connection closes needs it. */
  halfClose?: boolean;
}

const rows: Row[] = [];
const row = (category: string, name: string, bytes: Buffer | Buffer[], expect: Expect, halfClose = false): void => {
  rows.push({ name: `${category}: ${name}`, bytes, expect, halfClose });
};

const JSON_TYPE: HeaderList = [['Content-Type', 'application/json']];
const req = (method: string, target: string, body?: string | Buffer, options: RawRequestOptions = {}): Buffer =>
  rawRequest(method, target, { ...options, headers: [...JSON_TYPE, ...(options.headers ?? [])], ...(body !== undefined ? { body } : {}) });

// ---------------------------------------------------------------------------------------------
// The protected changes every path variant is tried on (one per profile type).

interface Target {
  name: string;
  method: string;
  segments: string[];
  body: string;
}

const TARGETS: Target[] = [
  { name: 'app PATCH', method: 'PATCH', segments: ['deviceAppManagement', 'mobileApps', '42'], body: '{"displayName":"pwned"}' },
  { name: 'script assign', method: 'POST', segments: ['deviceManagement', 'deviceManagementScripts', '7', 'assign'], body: '{"deviceManagementScriptAssignments":[{"target":{"@odata.type":"#microsoft.graph.allDevicesAssignmentTarget"}}]}' },
  { name: 'access policy create', method: 'POST', segments: ['deviceManagement', 'operationApprovalPolicies'], body: '{"displayName":"nothing needs approval"}' },
  { name: 'role definition PATCH', method: 'PATCH', segments: ['deviceManagement', 'roleDefinitions', 'r1'], body: '{"rolePermissions":[{"resourceActions":[{"allowedResourceActions":["*"]}]}]}' },
  { name: 'group member add', method: 'POST', segments: ['groups', 'g1', 'members', '$ref'], body: '{"@odata.id":"https://graph.microsoft.com/v1.0/directoryObjects/mallory"}' },
];

const join = (s: string[]): string => `/${s.join('/')}`;
const pct = (c: string): string => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`;
/** Replaces the first character `from` in the path's segments with `to` (undefined when there is none). */
const swapFirst = (s: string[], from: RegExp, to: string): string | undefined => {
  const path = join(s);
  return from.test(path) ? path.replace(from, to) : undefined;
};

/** Spellings of a path: [name, target or undefined when it does not apply, what the gateway must do]. */
const PATH_VARIANTS: [category: string, name: string, spell: (s: string[]) => string | undefined, Expect][] = [
  ['separators', 'as written', (s) => join(s), 'parked'],
  ['separators', 'every slash doubled', (s) => `//${s.join('//')}`, 'parked'],
  ['separators', 'trailing slash', (s) => `${join(s)}/`, 'parked'],
  ['dot segments', '"./" inside', (s) => `/${s[0]}/./${s.slice(1).join('/')}`, 'parked'],
  ['dot segments', '"x/../" inside', (s) => `/${s[0]}/x/../${s.slice(1).join('/')}`, 'parked'],
  ['dot segments', 'leading "/foo/../"', (s) => `/foo/..${join(s)}`, 'parked'],
  ['dot segments', '"/../" above the root', (s) => `/..${join(s)}`, 400],
  ['case and Unicode', 'upper case', (s) => join(s).toUpperCase().replace('$REF', '$ref'), 'parked'],
  ['case and Unicode', 'lower case', (s) => join(s).toLowerCase(), 'parked'],
  ['encodings', 'first letter percent-encoded', (s) => `/${s.map((x) => `${pct(x[0]!)}${x.slice(1)}`).join('/')}`, 'parked'],
  ['encodings', 'every letter percent-encoded', (s) => `/${s.map((x) => [...x].map(pct).join('')).join('/')}`, 'parked'],
  ['encodings', '%2F for the second slash', (s) => `/${s[0]}%2F${s.slice(1).join('/')}`, 400],
  ['encodings', '%2f (lower case) for the last slash', (s) => `/${s.slice(0, -1).join('/')}%2f${s[s.length - 1]}`, 400],
  ['encodings', '%252F double-encoded slash', (s) => `/${s[0]}%252F${s.slice(1).join('/')}`, 400],
  ['encodings', '%5C encoded backslash', (s) => `/${s[0]}%5C${s.slice(1).join('/')}`, 400],
  ['separators', 'raw backslash', (s) => `/${s[0]}\\${s.slice(1).join('/')}`, 400],
  ['dot segments', 'encoded dot segment %2e%2e', (s) => `/${s[0]}/x/%2e%2e/${s.slice(1).join('/')}`, 400],
  ['dot segments', 'half-encoded dot segment .%2E', (s) => `/${s[0]}/x/.%2E/${s.slice(1).join('/')}`, 400],
  ['separators', '";" path parameter', (s) => `/${s[0]};v=1/${s.slice(1).join('/')}`, 400],
  ['separators', '%3B encoded path parameter', (s) => `/${s[0]}%3Bv=1/${s.slice(1).join('/')}`, 'guarded'],
  ['encodings', '%00 NUL then junk', (s) => `${join(s)}%00.json`, 400],
  ['encodings', '%0A line feed', (s) => `/${s[0]}%0A/${s.slice(1).join('/')}`, 400],
  ['encodings', '%09 tab', (s) => `${join(s)}%09`, 400],
  ['encodings', 'overlong UTF-8 slash %C0%AF', (s) => `/${s[0]}%C0%AF${s.slice(1).join('/')}`, 400],
  ['encodings', 'IIS %u002F slash', (s) => `/${s[0]}%u002F${s.slice(1).join('/')}`, 400],
  ['versions', '/v1.0 prefix', (s) => `/v1.0${join(s)}`, 'parked'],
  ['versions', '/beta prefix', (s) => `/beta${join(s)}`, 'parked'],
  ['versions', '/V1.0 prefix, upper case', (s) => `/V1.0${join(s)}`, 'parked'],
  ['versions', '/v1.0// prefix', (s) => `/v1.0/${join(s)}`, 'parked'],
  ['versions', '/v1.0/../beta/ prefix', (s) => `/v1.0/../beta${join(s)}`, 'parked'],
  ['versions', '/v1.0%2F prefix', (s) => `/v1.0%2F${s.join('/')}`, 400],
  ['case and Unicode', 'full-width first letter (NFKC look-alike)', (s) => `/${s.map((x, i) => (i === 0 ? `${encodeURIComponent(String.fromCharCode(x.charCodeAt(0) + 0xfee0))}${x.slice(1)}` : x)).join('/')}`, 'guarded'],
  ['case and Unicode', 'long s (ſ) for s', (s) => swapFirst(s, /s/, '%C5%BF'), 'guarded'],
  ['case and Unicode', 'dotless ı for i', (s) => swapFirst(s, /i/, '%C4%B1'), 'guarded'],
  ['case and Unicode', 'Kelvin sign for k', (s) => swapFirst(s, /k/, '%E2%84%AA'), 'guarded'],
  ['case and Unicode', 'zero-width space inside a segment', (s) => `/${s[0]!.slice(0, 3)}%E2%80%8B${s[0]!.slice(3)}/${s.slice(1).join('/')}`, 'guarded'],
  ['separators', 'trailing dot on a segment (IIS)', (s) => `/${s[0]}./${s.slice(1).join('/')}`, 'guarded'],
  ['separators', 'trailing %20 on a segment', (s) => `/${s[0]}%20/${s.slice(1).join('/')}`, 'guarded'],
  ['separators', 'query string', (s) => `${join(s)}?$select=id&x=1`, 'parked'],
  ['separators', 'fragment', (s) => `${join(s)}#x`, 400],
  ['absolute-form', 'absolute-form target', (s) => `http://gateway.test${join(s)}`, 400],
  ['absolute-form', 'network-path target //host/path', (s) => `//evil.example${join(s)}`, 'promise'],
];

for (const target of TARGETS) {
  for (const [category, variant, spell, expect] of PATH_VARIANTS) {
    const path = spell(target.segments);
    if (path === undefined) continue;
    row(category, `${target.name} ${variant} (${path.slice(0, 80)})`, req(target.method, path, target.body), expect);
  }
}

// ---------------------------------------------------------------------------------------------
// OData forms

const APP = '/deviceAppManagement/mobileApps';
const SCRIPTS = '/deviceManagement/deviceManagementScripts';
const PATCH_BODY = '{"displayName":"pwned"}';
for (const [name, target, expect] of [
  ["key in quotes mobileApps('42')", `${APP}('42')`, 'parked'],
  ["named key mobileApps(id='42')", `${APP}(id='42')`, 'parked'],
  ['bare key mobileApps(42)', `${APP}(42)`, 'parked'],
  ['percent-encoded quotes', `${APP}(%2742%27)`, 'parked'],
  ["doubled quote inside the key ('4''2')", `${APP}('4''2')`, 'parked'],
  ["alternate key (displayName='x')", `${APP}(displayName='Contoso%20Portal')`, 400],
  ['composite key', `${APP}(id='42',x='1')`, 400],
  ['encoded slash inside the key', `${APP}('4%2F2')`, 400],
  ["dot-dot as a key ('..')", `${APP}('..')/42`, 400],
  ['unbalanced parenthesis', `${APP}('42'`, 400],
  ['text after the parenthesis', `${APP}('42')x`, 400],
  ['type cast before the id', `${APP}/microsoft.graph.webApp/42`, 'parked'],
  ['type cast after the id', `${APP}/42/microsoft.graph.webApp`, 'parked'],
  ['type cast before a key in parentheses', `${APP}/microsoft.graph.webApp('42')`, 'parked'],
  ["script key form deviceManagementScripts('7')", `${SCRIPTS}('7')`, 'parked'],
  ['type cast and version together', `/beta${APP}/microsoft.graph.win32LobApp/42`, 'parked'],
] as [string, string, Expect][]) {
  row('OData forms', `PATCH ${name}`, req('PATCH', target, PATCH_BODY), expect);
}
row('OData forms', 'typed create POST mobileApps/microsoft.graph.win32LobApp', req('POST', `${APP}/microsoft.graph.win32LobApp`, '{"displayName":"x"}'), 'parked');
// A create's object key is built from its displayName (decision.rego, joined with concat): a name
// that is not a string, or is shaped like a format string, must still leave the create guarded.
for (const [name, body] of [
  ['a number', '{"displayName":7}'],
  ['an array', '{"displayName":["a","b"]}'],
  ['an object', '{"displayName":{"x":"y"}}'],
  ['null', '{"displayName":null}'],
] as [string, string][]) {
  row('bodies', `create POST mobileApps whose displayName is ${name}`, req('POST', APP, body), 'guarded');
}
row('bodies', 'create POST mobileApps whose displayName is a format string (%s %v %d)', req('POST', APP, '{"displayName":"%s %v %d"}'), 'parked');
// JSON.parse makes an own `__proto__` key, which an assignment (Object.assign) into the policy's
// input would turn into a prototype: the body must reach the policy as the value it parsed to.
row('bodies', 'PATCH whose body has an own __proto__ key before the change', req('PATCH', `${APP}/42`, '{"__proto__":{"displayName":"harmless"},"displayName":"pwned"}'), 'parked');
row('bodies', 'create POST mobileApps whose body is only an own __proto__ key', req('POST', APP, '{"__proto__":{"displayName":"x"}}'), 'guarded');
row('OData forms', "assign through a key form mobileApps('42')/assign", req('POST', `${APP}('42')/assign`, '{"mobileAppAssignments":[]}'), 'parked');
row('OData forms', 'namespace-qualified action microsoft.graph.assign', req('POST', `${SCRIPTS}/7/microsoft.graph.assign`, '{}'), 'parked');
row('OData forms', 'PUT $value of an app icon', req('PUT', `${APP}/42/largeIcon/$value`, 'AAAA', { headers: [['Content-Type', 'image/png']] }), 'parked');
row('OData forms', "group member remove by key form groups('g1')/members('bob')/$ref", req('DELETE', "/groups('g1')/members('bob')/$ref"), 'parked');

// ---------------------------------------------------------------------------------------------
// Method overrides

const ASSIGN = `${SCRIPTS}/7/assign`;
const ASSIGN_BODY = '{"deviceManagementScriptAssignments":[]}';
const OVERRIDE_NAMES = ['X-HTTP-Method-Override', 'X-HTTP-Method', 'X-Method-Override'];
const NAME_CASES = [(n: string) => n, (n: string) => n.toLowerCase(), (n: string) => n.toUpperCase()];
for (const [i, name] of OVERRIDE_NAMES.entries()) {
  for (const value of ['GET', 'HEAD', 'OPTIONS', 'get', 'GET, GET', ' GET', 'GET,PATCH']) {
    const header = NAME_CASES[(i + value.length) % 3]!(name);
    row('overrides', `POST script assign with ${header}: ${JSON.stringify(value)}`, req('POST', ASSIGN, ASSIGN_BODY, { headers: [[header, value]] }), 400);
  }
  for (const value of ['PATCH', 'DELETE', 'PUT']) {
    row('overrides', `POST app 42 with ${name}: ${value} is that change, parked`, req('POST', `${APP}/42`, PATCH_BODY, { headers: [[name, value]] }), 'parked');
  }
}
for (const [method, value, target] of [
  ['PATCH', 'GET', `${APP}/42`],
  ['PUT', 'DELETE', `${APP}/42`],
  ['DELETE', 'GET', `${APP}/42`],
  ['GET', 'DELETE', `${APP}/42`],
  ['GET', 'POST', '/deviceManagement/operationApprovalPolicies'],
  ['HEAD', 'PATCH', `${APP}/42`],
  ['OPTIONS', 'POST', ASSIGN],
  ['PATCH', 'PATCH', `${APP}/42`],
] as const) {
  row('overrides', `${method} with X-HTTP-Method-Override: ${value} (only honoured on POST)`, req(method, target, method === 'GET' || method === 'HEAD' ? undefined : PATCH_BODY, { headers: [['X-HTTP-Method-Override', value]] }), 400);
}
row('overrides', 'two override headers disagree (PATCH, GET)', req('POST', ASSIGN, ASSIGN_BODY, { headers: [['X-HTTP-Method', 'PATCH'], ['X-Method-Override', 'GET']] }), 400);
row('overrides', 'one override header repeated (GET then POST)', req('POST', ASSIGN, ASSIGN_BODY, { headers: [['X-HTTP-Method-Override', 'GET'], ['X-HTTP-Method-Override', 'POST']] }), 400);
for (const value of ['MERGE', 'TRACE', 'CONNECT', 'PROPFIND', '']) {
  row('overrides', `override to ${JSON.stringify(value)}`, req('POST', `${APP}/42`, PATCH_BODY, { headers: [['X-HTTP-Method', value]] }), 400);
}
row('overrides', 'override header name with a space before the colon', req('POST', ASSIGN, ASSIGN_BODY, { headers: [['X-HTTP-Method-Override ', 'GET']] }), 'refused');
row('overrides', 'override value padded to 4 KiB', req('POST', ASSIGN, ASSIGN_BODY, { headers: [['X-HTTP-Method', `GET${' '.repeat(4096)}`]] }), 'refused');
row('overrides', 'unknown method MERGE (PATCH to OData v3)', req('MERGE', `${APP}/42`, PATCH_BODY), 'refused');
row('overrides', 'override to PATCH on an unprotected object is forwarded as PATCH', req('POST', '/users/u1', '{"displayName":"A"}', { headers: [['X-HTTP-Method', 'PATCH']] }), 'promise');
for (const name of ['X-Original-URL', 'X-Rewrite-URL', 'x-original-url', 'X-REWRITE-URL']) {
  row('overrides', `PATCH /users/u1 with ${name} naming app 42`, req('PATCH', '/users/u1', PATCH_BODY, { headers: [[name, `${APP}/42`]] }), 400);
}
row('overrides', 'POST /users with X-Rewrite-URL naming a group member add', req('POST', '/users', '{"@odata.id":"x"}', { headers: [['X-Rewrite-URL', '/groups/g1/members/$ref']] }), 400);
row('overrides', 'GET /users with X-Original-URL and an override to DELETE', req('GET', '/users', undefined, { headers: [['X-Original-URL', `${APP}/42`], ['X-HTTP-Method-Override', 'DELETE']] }), 400);
row('overrides', 'GET with X-Original-URL alone', req('GET', '/users', undefined, { headers: [['X-Original-URL', `${APP}/42`]] }), 400);
row('overrides', 'POST override GET on a protected create (issue 8, finding 1)', req('POST', '/deviceManagement/operationApprovalPolicies', '{"displayName":"x"}', { headers: [['X-HTTP-Method', 'GET']] }), 400);

// ---------------------------------------------------------------------------------------------
// Batches

const batchOf = (...requests: unknown[]): string => JSON.stringify({ requests });
const PROTECTED_SUB = { id: '1', method: 'PATCH', url: `${APP}/42`, headers: { 'Content-Type': 'application/json' }, body: { displayName: 'pwned' } };
const READ_SUB = { id: '0', method: 'GET', url: '/users' };
for (const path of ['/$batch', '/v1.0/$batch', '/beta/$batch', '/V1.0/$BATCH', '/%24batch', '/v1.0//$batch', '/users/../$batch']) {
  row('batches', `protected PATCH inside POST ${path}`, req('POST', path, batchOf(READ_SUB, PROTECTED_SUB)), 403);
}
for (const [name, body, expect] of [
  ['override GET inside a sub-request', batchOf({ id: '1', method: 'POST', url: ASSIGN, headers: { 'X-HTTP-Method-Override': 'GET' }, body: {} }), 'refused'],
  ['override DELETE inside a sub-request', batchOf({ id: '1', method: 'POST', url: `${APP}/42`, headers: { 'x-http-method': 'DELETE' } }), 'refused'],
  ['X-Original-URL inside a sub-request', batchOf({ id: '1', method: 'PATCH', url: '/users/u1', headers: { 'X-Original-URL': `${APP}/42` }, body: { displayName: 'x' } }), 'refused'],
  ['nested batch with a protected change', batchOf({ id: '1', method: 'POST', url: '/$batch', headers: { 'content-type': 'application/json' }, body: { requests: [PROTECTED_SUB] } }), 'refused'],
  ['"url" twice (first unprotected)', `{"requests":[{"id":"1","method":"PATCH","url":"/users/u1","url":"${APP}/42","body":{}}]}`, 'refused'],
  ['"url" twice (first protected)', `{"requests":[{"id":"1","method":"PATCH","url":"${APP}/42","url":"/users/u1","body":{}}]}`, 'refused'],
  ['"URL" in upper case beside "url"', `{"requests":[{"id":"1","method":"PATCH","url":"/users/u1","URL":"${APP}/42","body":{}}]}`, 'refused'],
  ['"Method" beside "method"', `{"requests":[{"id":"1","method":"GET","Method":"DELETE","url":"${APP}/42"}]}`, 'refused'],
  ['unicode-escaped url', `{"requests":[{"id":"1","method":"PATCH","url":"/deviceAppManagement/mobile\\u0041pps/42","body":{}}]}`, 'refused'],
  ['relative url without a leading slash', batchOf({ ...PROTECTED_SUB, url: 'deviceAppManagement/mobileApps/42' }), 403],
  ['absolute url to Graph', batchOf({ ...PROTECTED_SUB, url: 'https://graph.microsoft.com/v1.0/deviceAppManagement/mobileApps/42' }), 'refused'],
  ['url with %2F', batchOf({ ...PROTECTED_SUB, url: '/deviceAppManagement%2FmobileApps/42' }), 'refused'],
  ['url climbing out of an unprotected path', batchOf({ ...PROTECTED_SUB, url: '/users/../deviceAppManagement/mobileApps/42' }), 403],
  ['lower-case method', batchOf({ ...PROTECTED_SUB, method: 'patch' }), 403],
  ['method MERGE', batchOf({ ...PROTECTED_SUB, method: 'MERGE' }), 'refused'],
  ['method with a trailing space', batchOf({ ...PROTECTED_SUB, method: 'PATCH ' }), 'refused'],
  ['21 sub-requests, the last protected', batchOf(...Array.from({ length: 20 }, (_, i) => ({ id: `r${i}`, method: 'GET', url: '/users' })), { ...PROTECTED_SUB, id: 'last' }), 'refused'],
  ['byte order mark before the JSON', `\ufeff${batchOf(PROTECTED_SUB)}`, 'refused'],
  ['group member add inside', batchOf({ id: '1', method: 'POST', url: '/groups/g1/members/$ref', body: { '@odata.id': 'x' } }), 403],
  ['role assignment create inside', batchOf({ id: '1', method: 'POST', url: '/v1.0/deviceManagement/roleAssignments', body: { displayName: 'x' } }), 403],
] as [string, string, Expect][]) {
  row('batches', name, req('POST', '/$batch', body), expect);
}
row('batches', 'protected sub-request whose body has an own __proto__ key', req('POST', '/$batch', `{"requests":[{"id":"1","method":"PATCH","url":"${APP}/42","headers":{"Content-Type":"application/json"},"body":{"__proto__":{"x":1},"displayName":"pwned"}}]}`), 'refused');
row('batches', 'text/plain content type', rawRequest('POST', '/$batch', { headers: [['Content-Type', 'text/plain']], body: batchOf(PROTECTED_SUB) }), 'refused');
row('batches', 'no content type', rawRequest('POST', '/$batch', { body: batchOf(PROTECTED_SUB) }), 'refused');
row('batches', 'multipart/mixed content type with JSON inside', rawRequest('POST', '/$batch', { headers: [['Content-Type', 'multipart/mixed; boundary=b']], body: batchOf(PROTECTED_SUB) }), 'refused');
row('batches', 'override GET on the batch POST', req('POST', '/$batch', batchOf(PROTECTED_SUB), { headers: [['X-HTTP-Method-Override', 'GET']] }), 400);
row('batches', 'override PATCH on the batch POST', req('POST', '/$batch', batchOf(PROTECTED_SUB), { headers: [['X-HTTP-Method', 'PATCH']] }), 'refused');
row('batches', 'PUT to $batch', req('PUT', '/$batch', batchOf(PROTECTED_SUB)), 'refused');
row('batches', 'batch below a protected folder with a relative sub-url', req('POST', '/deviceAppManagement/$batch', batchOf({ ...PROTECTED_SUB, url: 'mobileApps/42' })), 'refused');
row('batches', 'gzip-compressed batch', req('POST', '/$batch', gzipSync(batchOf(PROTECTED_SUB)), { headers: [['Content-Encoding', 'gzip']] }), 'refused');
row('batches', 'deflate-compressed batch', req('POST', '/$batch', deflateSync(batchOf(PROTECTED_SUB)), { headers: [['Content-Encoding', 'deflate']] }), 'refused');
row('batches', 'brotli-compressed batch', req('POST', '/$batch', brotliCompressSync(batchOf(PROTECTED_SUB)), { headers: [['Content-Encoding', 'br']] }), 'refused');
row('batches', 'a batch of unprotected calls is forwarded', req('POST', '/$batch', batchOf(READ_SUB, { id: '1', method: 'PATCH', url: '/users/u1', body: { displayName: 'A' } })), 'promise');

// ---------------------------------------------------------------------------------------------
// Smuggling: framing that two HTTP parsers could read two ways

const SMUGGLED = `PATCH ${APP}/42 HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${PATCH_BODY.length}\r\n\r\n${PATCH_BODY}`;
const chunked = (payload: string | Buffer): Buffer => {
  const b = Buffer.isBuffer(payload) ? payload : Buffer.from(payload);
  return Buffer.concat([Buffer.from(`${b.length.toString(16)}\r\n`), b, Buffer.from('\r\n0\r\n\r\n')]);
};
const framed = (headers: HeaderList, body: Buffer | string, method = 'POST', target = '/users'): Buffer =>
  rawRequest(method, target, { headers: [...JSON_TYPE, ...headers], body, contentLength: false });
row('smuggling', 'CL.TE: Content-Length and Transfer-Encoding: chunked, protected request after the 0 chunk', framed([['Content-Length', '6'], ['Transfer-Encoding', 'chunked']], `0\r\n\r\n${SMUGGLED}`), 'refused');
row('smuggling', 'TE.CL: Transfer-Encoding first, then Content-Length', framed([['Transfer-Encoding', 'chunked'], ['Content-Length', '4']], `${SMUGGLED.length.toString(16)}\r\n${SMUGGLED}\r\n0\r\n\r\n`), 'refused');
row('smuggling', 'Transfer-Encoding: gzip, chunked on a batch', framed([['Transfer-Encoding', 'gzip, chunked']], chunked(gzipSync(batchOf(PROTECTED_SUB))), 'POST', '/$batch'), 400);
row('smuggling', 'Transfer-Encoding: gzip, chunked on a protected PATCH', framed([['Transfer-Encoding', 'gzip, chunked']], chunked(gzipSync(PATCH_BODY)), 'PATCH', `${APP}/42`), 400);
row('smuggling', 'Transfer-Encoding: chunked, identity', framed([['Transfer-Encoding', 'chunked, identity']], chunked(SMUGGLED)), 'refused');
row('smuggling', 'Transfer-Encoding twice (chunked, then identity)', framed([['Transfer-Encoding', 'chunked'], ['Transfer-Encoding', 'identity']], chunked(SMUGGLED)), 'refused');
row('smuggling', 'Transfer-Encoding: xchunked', framed([['Transfer-Encoding', 'xchunked']], chunked(SMUGGLED)), 'refused');
row('smuggling', 'Transfer-Encoding with a space before the colon', framed([['Transfer-Encoding ', 'chunked'], ['Content-Length', '4']], chunked(SMUGGLED)), 'refused');
row('smuggling', 'Transfer-Encoding folded onto a second line (obs-fold)', framed([['Transfer-Encoding', '\r\n chunked'], ['Content-Length', '4']], chunked(SMUGGLED)), 'refused');
row('smuggling', 'two different Content-Length headers', framed([['Content-Length', '4'], ['Content-Length', String(SMUGGLED.length)]], SMUGGLED), 'refused');
row('smuggling', 'two equal Content-Length headers around a protected body', framed([['Content-Length', String(PATCH_BODY.length)], ['Content-Length', String(PATCH_BODY.length)]], PATCH_BODY, 'PATCH', `${APP}/42`), 'guarded');
row('smuggling', 'Content-Length: +4', framed([['Content-Length', '+4']], `{}\r\n${SMUGGLED}`), 'refused');
row('smuggling', 'chunk size overflow', framed([['Transfer-Encoding', 'chunked']], `fffffffffffffffff1\r\n${SMUGGLED}\r\n0\r\n\r\n`), 'refused');
row('smuggling', 'chunk extension hiding a request', framed([['Transfer-Encoding', 'chunked']], `0;x=${'a'.repeat(10)}\r\n\r\n${SMUGGLED}`), 'promise');
row('smuggling', 'bare LF line endings on a protected PATCH', Buffer.from(`PATCH ${APP}/42 HTTP/1.1\nHost: x\nAuthorization: Bearer test-token-alice\nContent-Type: application/json\nContent-Length: ${PATCH_BODY.length}\nConnection: close\n\n${PATCH_BODY}`), 'guarded');
row('smuggling', 'HTTP/1.0 protected PATCH read until close (no Content-Length)', rawRequest('PATCH', `${APP}/42`, { version: 'HTTP/1.0', contentLength: false, headers: JSON_TYPE, body: PATCH_BODY }), 'guarded', true);

// ---------------------------------------------------------------------------------------------
// Pipelining: a second request in the same packet

const keep: RawRequestOptions = { close: false };
row('pipelining', 'GET /users then a protected PATCH', [req('GET', '/users', undefined, keep), req('PATCH', `${APP}/42`, PATCH_BODY)], { last: 202 });
row('pipelining', 'unprotected PATCH then a protected PATCH overridden to GET', [req('PATCH', '/users/u1', '{}', keep), req('POST', ASSIGN, ASSIGN_BODY, { headers: [['X-HTTP-Method', 'GET']] })], { last: 400 });
row('pipelining', 'GET, GET, then DELETE of a script', [req('GET', '/users', undefined, keep), req('GET', '/me', undefined, keep), req('DELETE', `${SCRIPTS}/7`)], { last: 202 });
row('pipelining', 'Content-Length shorter than the body: the rest is a protected request', framed([['Content-Length', '2']], `{}${SMUGGLED}`), 'promise');
row('pipelining', 'a protected request after an oversized body', [req('POST', '/users', Buffer.alloc(BODY_LIMIT + 10, 0x20), keep), req('PATCH', `${APP}/42`, PATCH_BODY)], 'promise');
row('pipelining', 'a protected request after a 400', [req('PATCH', `${APP}%2F42`, PATCH_BODY, keep), req('DELETE', `${APP}/42`)], 'promise');
row('pipelining', 'a batch after a read', [req('GET', '/users', undefined, keep), req('POST', '/$batch', batchOf(PROTECTED_SUB))], { last: 403 });
row('pipelining', 'unauthenticated protected change pipelined behind an authenticated read', [req('GET', '/users', undefined, keep), rawRequest('PATCH', `${APP}/42`, { authorization: null, headers: JSON_TYPE, body: PATCH_BODY })], { last: 401 });

// ---------------------------------------------------------------------------------------------
// Absolute-form and other request targets

row('absolute-form', 'PATCH http://gateway.test/… (absolute-form)', req('PATCH', `http://gateway.test${APP}/42`, PATCH_BODY), 400);
row('absolute-form', 'PATCH HTTP://GATEWAY.TEST/… (upper case scheme)', req('PATCH', `HTTP://GATEWAY.TEST${APP}/42`, PATCH_BODY), 400);
row('absolute-form', 'POST https://graph.microsoft.com/v1.0/… (another host)', req('POST', `https://graph.microsoft.com/v1.0${ASSIGN}`, ASSIGN_BODY), 400);
row('absolute-form', 'PATCH * (asterisk-form)', req('PATCH', '*', PATCH_BODY), 400);
row('absolute-form', 'GET http://… (absolute-form read)', req('GET', `http://gateway.test${APP}/42`), 400);
row('absolute-form', 'CONNECT gateway.test:443 (authority-form)', rawRequest('CONNECT', 'gateway.test:443'), 'refused');
row('absolute-form', 'DELETE with the absolute-form of a batch', req('POST', 'http://gateway.test/$batch', batchOf(PROTECTED_SUB)), 400);

// ---------------------------------------------------------------------------------------------
// Upgrade and Expect

row('upgrade/expect', 'protected PATCH with Upgrade: websocket and Connection: Upgrade', req('PATCH', `${APP}/42`, PATCH_BODY, { close: false, headers: [['Upgrade', 'websocket'], ['Connection', 'Upgrade'], ['Sec-WebSocket-Key', 'dGhlIHNhbXBsZSBub25jZQ=='], ['Sec-WebSocket-Version', '13']] }), 'refused');
row('upgrade/expect', 'protected POST with Upgrade: h2c and HTTP2-Settings', req('POST', ASSIGN, ASSIGN_BODY, { close: false, headers: [['Upgrade', 'h2c'], ['Connection', 'Upgrade, HTTP2-Settings'], ['HTTP2-Settings', 'AAMAAABkAAQAAP__']] }), 'refused');
row('upgrade/expect', 'unprotected POST with Upgrade but no Connection: Upgrade', req('POST', '/users', '{}', { headers: [['Upgrade', 'websocket']] }), 400);
row('upgrade/expect', 'GET with Upgrade: websocket (a read may not change protocols either)', req('GET', `${APP}/42`, undefined, { close: false, headers: [['Upgrade', 'websocket'], ['Connection', 'Upgrade']] }), 'refused');
row('upgrade/expect', 'override GET with Upgrade on a protected POST', req('POST', ASSIGN, ASSIGN_BODY, { headers: [['X-HTTP-Method', 'GET'], ['Upgrade', 'websocket']] }), 400);
row('upgrade/expect', 'Upgrade on a batch with a protected change', req('POST', '/$batch', batchOf(PROTECTED_SUB), { headers: [['Upgrade', 'websocket']] }), 'refused');
row('upgrade/expect', 'Expect: 100-continue on a protected PATCH', req('PATCH', `${APP}/42`, PATCH_BODY, { headers: [['Expect', '100-continue']] }), 'parked');
row('upgrade/expect', 'Expect: 100-continue on a batch with a protected change', req('POST', '/$batch', batchOf(PROTECTED_SUB), { headers: [['Expect', '100-continue']] }), 403);
row('upgrade/expect', 'Expect: something-else', req('PATCH', `${APP}/42`, PATCH_BODY, { headers: [['Expect', 'something-else']] }), 417);

// ---------------------------------------------------------------------------------------------
// Compressed bodies

const bomb = gzipSync(Buffer.alloc(20 * 1024 * 1024, 0x20), { level: 9 });
const encoded = (encoding: string, body: Buffer, method = 'PATCH', target = `${APP}/42`): Buffer => req(method, target, body, { headers: [['Content-Encoding', encoding]] });
row('compressed bodies', 'gzip on a protected PATCH', encoded('gzip', gzipSync(PATCH_BODY)), 'parked');
row('compressed bodies', 'deflate on a protected PATCH', encoded('deflate', deflateSync(PATCH_BODY)), 'parked');
row('compressed bodies', 'br on a protected PATCH', encoded('br', brotliCompressSync(PATCH_BODY)), 'parked');
row('compressed bodies', 'GZIP in upper case on a protected PATCH', encoded('GZIP', gzipSync(PATCH_BODY)), 'guarded');
row('compressed bodies', `zip bomb (${bomb.length} bytes → 20 MiB) on a protected PATCH`, encoded('gzip', bomb), 413);
row('compressed bodies', 'zip bomb on an unprotected POST', encoded('gzip', bomb, 'POST', '/users'), 413);
row('compressed bodies', 'zip bomb on a batch', encoded('gzip', bomb, 'POST', '/$batch'), 413);
row('compressed bodies', 'corrupt gzip stream on a protected PATCH', encoded('gzip', Buffer.concat([gzipSync(PATCH_BODY).subarray(0, 12), Buffer.from('garbage')])), 400);
row('compressed bodies', 'truncated deflate stream on a batch', encoded('deflate', deflateSync(batchOf(PROTECTED_SUB)).subarray(0, 20), 'POST', '/$batch'), 400);
row('compressed bodies', 'stacked gzip, gzip', encoded('gzip, gzip', gzipSync(gzipSync(PATCH_BODY))), 415);
row('compressed bodies', 'stacked gzip, br on a batch', encoded('gzip, br', brotliCompressSync(gzipSync(batchOf(PROTECTED_SUB))), 'POST', '/$batch'), 415);
row('compressed bodies', 'two Content-Encoding headers on a batch', req('POST', '/$batch', gzipSync(gzipSync(batchOf(PROTECTED_SUB))), { headers: [['Content-Encoding', 'gzip'], ['Content-Encoding', 'gzip']] }), 415);
row('compressed bodies', 'unknown encoding compress', encoded('compress', Buffer.from(PATCH_BODY)), 415);
row('compressed bodies', 'unknown encoding x-gzip on a batch', encoded('x-gzip', gzipSync(batchOf(PROTECTED_SUB)), 'POST', '/$batch'), 'refused');

// ---------------------------------------------------------------------------------------------
// Oversized parts

const manyHeaders: HeaderList = Array.from({ length: 200 }, (_, i) => [`X-Filler-${i}`, 'x']);
row('oversized', '20 KiB header value on a protected PATCH', req('PATCH', `${APP}/42`, PATCH_BODY, { headers: [['X-Filler', 'a'.repeat(20 * 1024)]] }), 431);
row('oversized', '200 headers then an override to GET', req('POST', ASSIGN, ASSIGN_BODY, { headers: [...manyHeaders, ['X-HTTP-Method', 'GET']] }), 'refused');
row('oversized', '9,000-character path that resolves to app 42', req('PATCH', `${'/x/..'.repeat(1800)}${APP}/42`, PATCH_BODY), 'refused');
row('oversized', '9,000-character id', req('PATCH', `${APP}/${'4'.repeat(9000)}`, PATCH_BODY), 'refused');
row('oversized', '500 "../" segments above the root', req('PATCH', `${'/..'.repeat(500)}${APP}/42`, PATCH_BODY), 400);
row('oversized', '150 query parameters on a protected PATCH', req('PATCH', `${APP}/42?${Array.from({ length: 150 }, (_, i) => `p${i}=1`).join('&')}`, PATCH_BODY), 'refused');
row('oversized', 'body over the limit on a protected PATCH (Content-Length)', req('PATCH', `${APP}/42`, Buffer.alloc(BODY_LIMIT + 1, 0x20)), 413);
row('oversized', 'body over the limit on a protected PATCH (chunked)', framed([['Transfer-Encoding', 'chunked']], chunked(Buffer.alloc(BODY_LIMIT + 1, 0x20)), 'PATCH', `${APP}/42`), 413);
row('oversized', 'body over the limit on a batch', req('POST', '/$batch', `${batchOf(PROTECTED_SUB)}${' '.repeat(BODY_LIMIT)}`), 413);
row('oversized', 'Content-Length announcing more than the limit on a batch', framed([['Content-Length', String(BODY_LIMIT * 4)]], batchOf(PROTECTED_SUB), 'POST', '/$batch'), 413);

// ---------------------------------------------------------------------------------------------

let rig: AttackRig;
before(async () => {
  rig = await startAttackRig();
});
after(async () => {
  await rig?.close();
});

function checkExpectation(name: string, expect: Expect, outcome: Outcome): void {
  const first = outcome.statuses[0];
  const said = `[${name}] gateway answered ${JSON.stringify(outcome.statuses)}: ${outcome.exchange.raw.slice(0, 300)}`;
  if (expect === 'promise') return;
  if (expect === 'parked') {
    assert.equal(first, 202, `${said}\n  expected the call to be parked (202)`);
    return;
  }
  if (typeof expect === 'number') {
    assert.equal(first, expect, `${said}\n  expected ${expect}`);
    return;
  }
  if (typeof expect === 'object') {
    assert.ok(outcome.statuses.length >= 2, `${said}\n  expected an answer to every pipelined request`);
    assert.equal(outcome.statuses[outcome.statuses.length - 1], expect.last, `${said}\n  expected the last answer to be ${expect.last}`);
    return;
  }
  const refused = first === undefined ? outcome.exchange.closedByServer : first >= 400 && first < 500;
  if (expect === 'refused') assert.ok(refused, `${said}\n  expected a 4xx refusal`);
  else assert.ok(refused || first === 202, `${said}\n  expected the call to be parked (202) or refused (4xx), not forwarded`);
}

describe(`bypass attempts through the gateway (${rows.length} rows)`, () => {
  test('the table holds at least 200 attacks, each with its own name', () => {
    assert.ok(rows.length >= 200, `${rows.length} rows`);
    assert.equal(new Set(rows.map((r) => r.name)).size, rows.length, 'row names must be unique');
  });

  for (const r of rows) {
    test(r.name, async () => {
      const outcome = await attack(rig, r.bytes, { halfClose: r.halfClose === true });
      assertNothingProtectedChanged(r.name, outcome);
      checkExpectation(r.name, r.expect, outcome);
    });
  }
});

// ---------------------------------------------------------------------------------------------
// Approved and completed: the only way a protected object changes.

async function api(method: string, path: string, user: 'alice' | 'bob' | 'dave' | 'heidi', body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`${rig.harness.baseUrl}/maa/v1${path}`, {
    method,
    headers: { authorization: auth(user), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, json: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

describe('approved and completed changes reach the upstream once, on the approved object', () => {
  // laterStages: the shipped access-policies policy has two stages (policy-approvers, then security-approvers).
  const cases: { name: string; bytes: Buffer; approver: 'bob' | 'dave'; laterStages?: 'heidi'[]; object: string; check?: (body: unknown) => void }[] = [
    { name: 'plain PATCH of app 42', bytes: req('PATCH', `${APP}/42`, '{"displayName":"Approved 1"}'), approver: 'bob', object: '/deviceappmanagement/mobileapps/42', check: (b) => assert.deepEqual(b, { displayName: 'Approved 1' }) },
    { name: 'PATCH //deviceAppManagement//mobileApps//42 (issue 8, finding 7)', bytes: req('PATCH', '//deviceAppManagement//mobileApps//42', '{"displayName":"Approved 2"}'), approver: 'bob', object: '/deviceappmanagement/mobileapps/42' },
    { name: "PATCH through the OData key form mobileApps('43') and /beta", bytes: req('PATCH', "/beta/deviceAppManagement/mobileApps('43')", '{"displayName":"Approved 3"}'), approver: 'bob', object: '/deviceappmanagement/mobileapps/43' },
    { name: 'POST with X-HTTP-Method: DELETE is replayed as DELETE', bytes: req('POST', `${SCRIPTS}/7`, '', { headers: [['X-HTTP-Method', 'DELETE']] }), approver: 'bob', object: '/devicemanagement/devicemanagementscripts/7' },
    { name: 'gzip-compressed PATCH: the upstream gets what the approver read (issue 8, finding 6)', bytes: encoded('gzip', gzipSync('{"displayName":"Approved 5"}')), approver: 'bob', object: '/deviceappmanagement/mobileapps/42', check: (b) => assert.deepEqual(b, { displayName: 'Approved 5' }) },
    { name: 'access policy change', bytes: req('PATCH', '/deviceManagement/operationApprovalPolicies/1', '{"displayName":"Approved 6"}'), approver: 'dave', laterStages: ['heidi'], object: '/devicemanagement/operationapprovalpolicies/1' },
  ];

  for (const c of cases) {
    test(c.name, async () => {
      const mark = rig.upstream.executions.length;
      const ex = await exchange(rig.port, c.bytes);
      assert.equal(ex.responses[0]?.status, 202, `[${c.name}] not parked: ${ex.raw.slice(0, 300)}`);
      const id = (JSON.parse(ex.responses[0]!.body) as { requestId: string }).requestId;
      assert.equal(rig.upstream.protectedSince(mark).length, 0, `[${c.name}] reached the upstream before approval`);

      assert.equal((await api('POST', `/requests/${id}/approve`, c.approver, { notes: 'ok' })).status, 200);
      for (const next of c.laterStages ?? []) assert.equal((await api('POST', `/requests/${id}/approve`, next, { notes: 'ok' })).status, 200);
      assert.equal(rig.upstream.protectedSince(mark).length, 0, `[${c.name}] reached the upstream on approval, before complete`);
      const done = await api('POST', `/requests/${id}/complete`, 'alice');
      assert.ok(done.status < 300, `[${c.name}] complete answered ${done.status} ${JSON.stringify(done.json)}`);
      await rig.upstream.idle();

      const touched = rig.upstream.protectedSince(mark);
      assert.equal(touched.length, 1, `[${c.name}] expected exactly one upstream change, got ${touched.length}`);
      const [execution] = touched;
      assert.equal(execution!.headers['idempotency-key'], id, `[${c.name}] the change was not the replay of request ${id}`);
      // Under every reading the upstream could make, it is the approved object and nothing else.
      for (const change of execution!.protectedReadings) assert.equal(change.object, c.object, `[${c.name}] a reading touched ${change.object}`);
      c.check?.(execution!.body);

      // A second complete sends nothing (invariant 2).
      const again = await api('POST', `/requests/${id}/complete`, 'alice');
      assert.equal(again.status, 409, `[${c.name}] a second complete answered ${again.status}`);
      await rig.upstream.idle();
      assert.equal(rig.upstream.protectedSince(mark).length, 1, `[${c.name}] a second complete reached the upstream`);
    });
  }

  test('a rejected change never reaches the upstream', async () => {
    const mark = rig.upstream.executions.length;
    const ex = await exchange(rig.port, req('DELETE', `${APP}/43`));
    assert.equal(ex.responses[0]?.status, 202);
    const id = (JSON.parse(ex.responses[0]!.body) as { requestId: string }).requestId;
    assert.equal((await api('POST', `/requests/${id}/reject`, 'bob', { notes: 'no' })).status, 200);
    assert.notEqual((await api('POST', `/requests/${id}/complete`, 'alice')).status, 200);
    await rig.upstream.idle();
    assert.equal(rig.upstream.protectedSince(mark).length, 0);
  });
});
