/**
 * The gateway's own read of a parked object (its snapshot, sent through undici since 2026-12-06)
 * for calls spelled as an attacker would: whatever the spelling, the read is one GET of the
 * canonical path the call was parked under, to the configured upstream, with none of the caller's
 * headers but its credential, and every liberal reading of that target names the parked object
 * and no other. A read an upstream could take for another object, or for a change, would show the
 * approver the wrong object, or change one before any approval.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startHarness, startSuite, type Harness, type Suite } from '../support/harness';
import { protectedChange, readingsOf } from './liberal-upstream';
import { exchange, rawRequest, type HeaderList } from './raw-http';

let suite: Suite;
let h: Harness;
before(async () => {
  suite = await startSuite();
  h = await startHarness(suite);
});
after(async () => {
  await h?.close();
  await suite?.close();
});

const J: HeaderList = [['Content-Type', 'application/json']];
/** The only headers a snapshot read carries (node's server adds none of its own to what it records). */
const READ_HEADERS = new Set(['host', 'accept', 'accept-encoding', 'x-maa-read', 'authorization', 'connection']);

/** [name, request target, extra headers, the protected object every reading of the read must name]. */
const SPELLINGS: [string, string, HeaderList, string][] = [
  ['plain', '/deviceAppManagement/mobileApps/42', [], '/deviceappmanagement/mobileapps/42'],
  ['with a query, which the read leaves out', '/deviceAppManagement/mobileApps/42?$select=displayName&x=%2F..%2F', [], '/deviceappmanagement/mobileapps/42'],
  ['dot segments and doubled slashes', '/deviceAppManagement/x/..//mobileApps/./43', [], '/deviceappmanagement/mobileapps/43'],
  ['letter case', '/DEVICEAPPMANAGEMENT/MobileApps/44', [], '/deviceappmanagement/mobileapps/44'],
  ['OData key and type cast', "/beta/deviceAppManagement/mobileApps/microsoft.graph.webApp(id='45')", [], '/deviceappmanagement/mobileapps/45'],
  ['percent-encoded letters', '/deviceAppManagement/%6DobileApps/46', [], '/deviceappmanagement/mobileapps/46'],
  // Rewrite headers (X-Original-URL and the like) are refused before any read; these pass, and stay with the call.
  ['caller headers naming another host or session', '/deviceManagement/deviceManagementScripts/7', [['Cookie', 'session=secret'], ['Forwarded', 'host=evil.example'], ['X-Forwarded-Host', 'evil.example'], ['X-Forwarded-Prefix', '/users']], '/devicemanagement/devicemanagementscripts/7'],
];

for (const [name, target, headers, object] of SPELLINGS) {
  test(`the snapshot read of a call spelled "${name}" is one GET of the parked object, and nothing else`, async () => {
    const readsBefore = h.upstream.snapshotReads.length;
    const { responses, raw } = await exchange(Number(new URL(h.baseUrl).port), rawRequest('PATCH', target, { headers: [...J, ...headers], body: '{"displayName":"x"}' }));
    assert.equal(responses[0]?.status, 202, raw);
    const requestId = JSON.parse(responses[0]!.body).requestId as string;
    const parked = await h.store.get(requestId);
    assert.ok(parked);

    const reads = h.upstream.snapshotReads.slice(readsBefore);
    assert.equal(reads.length, 1, 'one read per park');
    const read = reads[0]!;
    assert.equal(read.method, 'GET');
    assert.equal(read.url, parked.call.path, 'the canonical path the call was parked under, without its query');
    assert.equal(read.body.length, 0);
    assert.equal(read.headers.host, new URL(h.upstream.url).host);
    assert.equal(read.headers.authorization, 'Bearer test-token-alice');
    for (const header of Object.keys(read.headers)) assert.ok(READ_HEADERS.has(header), `the read carried ${header}`);

    // Read as liberally as any upstream might, as if it were a change: always the parked object.
    const objects = readingsOf('PATCH', read.url, read.headers as Record<string, string>).map((reading) => protectedChange(reading)?.object ?? null);
    assert.deepEqual([...new Set(objects)], [object]);
    assert.equal(parked.snapshot?.path, read.url);

    await h.http.post(`/maa/v1/requests/${requestId}/cancel`).set('authorization', 'Bearer test-token-alice').send({});
  });
}
