/**
 * The oracle's own test: sent straight to the liberal upstream (no gateway), the attacks of the
 * suite DO change protected objects. Without this, a liberal upstream that honoured nothing would
 * let bypass.test.ts and property.test.ts pass whatever the gateway did.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { startLiberalUpstream, type LiberalUpstream } from './liberal-upstream';
import { exchange, rawRequest, type HeaderList } from './raw-http';

let upstream: LiberalUpstream;
before(async () => {
  upstream = await startLiberalUpstream();
});
after(async () => {
  await upstream?.stop();
});

const J: HeaderList = [['Content-Type', 'application/json']];
const batch = (sub: unknown): string => JSON.stringify({ requests: [sub] });

/** [name, bytes, the protected object the upstream must have touched]. */
const CASES: [string, Buffer, string][] = [
  ['plain PATCH', rawRequest('PATCH', '/deviceAppManagement/mobileApps/42', { headers: J, body: '{"displayName":"x"}' }), '/deviceappmanagement/mobileapps/42'],
  ['override to GET, read as the POST it is', rawRequest('POST', '/deviceManagement/deviceManagementScripts/7/assign', { headers: [...J, ['X-HTTP-Method', 'GET']], body: '{}' }), '/devicemanagement/devicemanagementscripts/7'],
  ['override on a GET', rawRequest('GET', '/deviceAppManagement/mobileApps/43', { headers: [['x-method-override', 'DELETE']] }), '/deviceappmanagement/mobileapps/43'],
  ['X-Original-URL', rawRequest('PATCH', '/users/u1', { headers: [...J, ['X-Original-URL', '/deviceManagement/roleDefinitions/r1']], body: '{}' }), '/devicemanagement/roledefinitions/r1'],
  ['%2F and double encoding', rawRequest('PATCH', '/deviceAppManagement%252FmobileApps%2F42', { headers: J, body: '{}' }), '/deviceappmanagement/mobileapps/42'],
  ['dot segments, doubled slashes, case', rawRequest('PATCH', '//DEVICEAPPMANAGEMENT/x/..//mobileapps/./42/', { headers: J, body: '{}' }), '/deviceappmanagement/mobileapps/42'],
  ['OData key and type cast', rawRequest('PATCH', "/beta/deviceAppManagement/mobileApps/microsoft.graph.webApp(id='42')", { headers: J, body: '{}' }), '/deviceappmanagement/mobileapps/42'],
  ['full-width letters', rawRequest('PATCH', '/deviceAppManagement/%EF%BD%8DobileApps/42', { headers: J, body: '{}' }), '/deviceappmanagement/mobileapps/42'],
  ['overlong UTF-8 slash', rawRequest('PATCH', '/deviceAppManagement%C0%AFmobileApps/42', { headers: J, body: '{}' }), '/deviceappmanagement/mobileapps/42'],
  ['group member add', rawRequest('POST', '/v1.0/groups/g1/members/$ref', { headers: J, body: '{"@odata.id":"x"}' }), '/groups/g1'],
  ['gzip batch with text/plain and "URL" key', rawRequest('POST', '/$batch', { headers: [['Content-Type', 'text/plain'], ['Content-Encoding', 'gzip']], body: gzipSync(batch({ id: '1', method: 'GET', URL: '/me', url: '/deviceManagement/roleAssignments', Method: 'POST', body: {} })) }), '/devicemanagement/roleassignments'],
  ['repeated "url" key in a batch (first one)', rawRequest('POST', '/v1.0/$batch', { headers: J, body: '{"requests":[{"id":"1","method":"DELETE","url":"/deviceManagement/operationApprovalPolicies/1","url":"/me"}]}' }), '/devicemanagement/operationapprovalpolicies/1'],
  ['nested batch', rawRequest('POST', '/$batch', { headers: J, body: batch({ id: '1', method: 'POST', url: '/$batch', body: { requests: [{ id: 'a', method: 'PATCH', url: 'deviceAppManagement/mobileApps/43', body: {} }] } }) }), '/deviceappmanagement/mobileapps/43'],
  ['upgrade request', rawRequest('PATCH', '/deviceAppManagement/mobileApps/42', { headers: [...J, ['Upgrade', 'websocket'], ['Connection', 'Upgrade']], body: '{}', close: false }), '/deviceappmanagement/mobileapps/42'],
];

describe('the liberal upstream honours what a real server might', () => {
  for (const [name, bytes, object] of CASES) {
    test(name, async () => {
      const mark = upstream.executions.length;
      await exchange(upstream.port, bytes, { waitMs: 500 });
      await upstream.idle();
      const touched = upstream.protectedSince(mark).flatMap((e) => e.protectedReadings.map((c) => c.object));
      assert.ok(touched.includes(object), `${name}: touched ${JSON.stringify(touched)}, expected ${object}`);
    });
  }

  test('unprotected changes and reads touch nothing protected', async () => {
    const mark = upstream.executions.length;
    for (const bytes of [
      rawRequest('PATCH', '/users/u1', { headers: J, body: '{}', close: false }),
      rawRequest('POST', '/users', { headers: J, body: '{"displayName":"new"}', close: false }),
      rawRequest('PATCH', '/groups/g1/photo', { headers: J, body: '{}', close: false }),
      rawRequest('GET', '/deviceAppManagement/mobileApps/42'),
    ]) {
      await exchange(upstream.port, bytes, { waitMs: 300 });
    }
    await upstream.idle();
    assert.deepEqual(upstream.protectedSince(mark), []);
  });
});
