/**
 * Bypass 3: JSON batching. A `$batch` call carries up to 20 calls in its body; each is normalised
 * and decided against the shipped policy, and a batch with a protected change, or one we cannot
 * read exactly as the upstream will, is refused.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { decideBatch, isBatchPath, MAX_BATCH_REQUESTS, type BatchVerdict } from '../../src/policy/batch';
import { createPolicyEngine } from '../../src/policy/engine';
import { normalizeCall } from '../../src/policy/normalize-call';
import type { PolicyEngine } from '../../src/policy/types';

const caller = { userId: 'alice', groups: ['helpdesk'] };
const json = { 'content-type': 'application/json' };

type Sub = { id: string; method: string; url: string; headers?: Record<string, string>; body?: unknown };

describe('isBatchPath', () => {
  test('the batch endpoints, with or without a version, after normalisation', () => {
    for (const url of ['/$batch', '/v1.0/$batch', '/beta/$batch', '/v1.0/%24batch', '/V1.0/$BATCH/', '//beta//$batch', '/odata/$batch']) {
      const n = normalizeCall({ method: 'POST', url, headers: {} }, { caseInsensitive: true });
      assert.ok(n.ok && isBatchPath(n.call.path), url);
    }
    for (const path of ['/', '/batch', '/v1.0', '/v1.0/$batchx', '/$batch/x', '/deviceappmanagement/mobileapps/42']) assert.equal(isBatchPath(path), false, path);
  });
});

describe('decideBatch against the shipped policy', () => {
  let engine: PolicyEngine;
  before(async () => {
    engine = await createPolicyEngine({ policiesDir: 'policies', configDir: 'config' });
  });
  after(() => engine.close());

  const decide = (requests: unknown, extra: { batchPath?: string; headers?: Record<string, string>; raw?: boolean } = {}): BatchVerdict =>
    decideBatch(engine, {
      body: extra.raw === false ? { requests } : Buffer.from(JSON.stringify({ requests })),
      headers: extra.headers ?? json,
      caller,
      caseInsensitive: true,
      ...(extra.batchPath ? { batchPath: extra.batchPath } : {}),
    });

  const refusedWith = (verdict: BatchVerdict, code: string, reason: RegExp, ids?: string[]): void => {
    assert.equal(verdict.ok, false, 'the batch was allowed');
    if (verdict.ok) return;
    assert.equal(verdict.code, code, verdict.reason);
    assert.match(verdict.reason, reason);
    if (ids) assert.deepEqual(verdict.requestIds, ids);
  };

  test('allowed: reads of protected objects, and changes of unprotected ones', () => {
    const requests: Sub[] = [
      { id: '1', method: 'GET', url: '/deviceAppManagement/mobileApps/42' },
      { id: '2', method: 'GET', url: "deviceAppManagement/mobileApps('42')/assignments" },
      { id: '3', method: 'PATCH', url: '/me', headers: { 'content-type': 'application/json' }, body: { displayName: 'x' } },
      { id: '4', method: 'POST', url: '/deviceManagement/managedDevices/9/syncDevice' },
    ];
    assert.deepEqual(decide(requests), { ok: true });
    assert.deepEqual(decide(requests, { raw: false }), { ok: true });
    assert.deepEqual(decide(requests, { batchPath: '/v1.0/$batch' }), { ok: true });
  });

  test('refused: any protected change, in any spelling, names the sub-requests', () => {
    const requests: Sub[] = [
      { id: 'a', method: 'GET', url: '/deviceAppManagement/mobileApps/42' },
      { id: 'b', method: 'PATCH', url: '/deviceAppManagement/mobileApps/42', body: { displayName: 'x' } },
      { id: 'c', method: 'PATCH', url: '/me' },
      { id: 'd', method: 'POST', url: "deviceManagement/deviceManagementScripts('7')/assign" },
      { id: 'e', method: 'DELETE', url: '/v1.0/deviceManagement/operationApprovalPolicies/p1' },
      { id: 'f', method: 'POST', url: '/beta/deviceAppManagement/mobileApps', body: { displayName: 'New' } },
    ];
    const verdict = decide(requests);
    refusedWith(verdict, 'BATCH_NOT_ALLOWED', /send protected changes one at a time, so each can be approved/, ['b', 'd', 'e', 'f']);
    assert.match((verdict as { reason: string }).reason, /"b" \(modify of apps\)/);
  });

  test('refused: a method override in the sub-request headers is honoured', () => {
    const verdict = decide([{ id: '1', method: 'POST', url: '/deviceAppManagement/mobileApps/42', headers: { 'X-HTTP-Method-Override': 'PATCH' } }]);
    refusedWith(verdict, 'BATCH_NOT_ALLOWED', /"1" \(modify of apps\)/, ['1']);
  });

  test('refused: a url relative to the versioned batch is judged resolved against it too', () => {
    // Any reading that is protected refuses the batch: as written and under /v1.0.
    refusedWith(decide([{ id: '1', method: 'PATCH', url: 'deviceAppManagement/mobileApps/42' }], { batchPath: '/v1.0/$batch' }), 'BATCH_NOT_ALLOWED', /modify of apps/);
  });

  test('invalid: a sub-request that cannot be normalised', () => {
    refusedWith(decide([{ id: 'x', method: 'PATCH', url: "/deviceAppManagement/mobileApps('4','2')" }]), 'BATCH_INVALID', /"x" cannot be interpreted safely: a composite key/, ['x']);
    refusedWith(decide([{ id: 'y', method: 'PATCH', url: '/deviceAppManagement/mobileApps%2F42' }]), 'BATCH_INVALID', /encoded slash/, ['y']);
    refusedWith(decide([{ id: 'z', method: 'GET', url: '/x', headers: { 'x-http-method-override': 'DELETE' } }]), 'BATCH_INVALID', /only honoured on POST/, ['z']);
    refusedWith(decide([{ id: 'm', method: 'MERGE', url: '/x' }]), 'BATCH_INVALID', /not supported/, ['m']);
  });

  test('invalid: too many requests, none, or not a batch at all', () => {
    const many = Array.from({ length: MAX_BATCH_REQUESTS + 1 }, (_, i) => ({ id: String(i), method: 'GET', url: '/me' }));
    refusedWith(decide(many), 'BATCH_INVALID', /at most 20 requests, not 21/);
    assert.deepEqual(decide(many.slice(0, MAX_BATCH_REQUESTS)), { ok: true });
    refusedWith(decide([]), 'BATCH_INVALID', /non-empty array/);
    const raw = (body: unknown, headers: Record<string, string> = json): BatchVerdict => decideBatch(engine, { body, headers, caller, caseInsensitive: true });
    refusedWith(raw(undefined), 'BATCH_INVALID', /no body/);
    refusedWith(raw(Buffer.from('{"requests": [')), 'BATCH_INVALID', /not JSON/);
    refusedWith(raw(Buffer.from([0x7b, 0xff, 0x7d])), 'BATCH_INVALID', /UTF-8/);
    refusedWith(raw(Buffer.from('\ufeff{"requests":[]}')), 'BATCH_INVALID', /byte order mark/);
    refusedWith(raw('[1,2]'), 'BATCH_INVALID', /must be a JSON object/);
    refusedWith(raw('{"requests":[],"extra":1}'), 'BATCH_INVALID', /unknown field\(s\) in the batch: "extra"/);
    refusedWith(raw('--boundary\r\n', { 'content-type': 'multipart/mixed; boundary=boundary' }), 'BATCH_INVALID', /must be JSON/);
  });

  test('invalid: malformed sub-requests', () => {
    refusedWith(decide(['x']), 'BATCH_INVALID', /requests\[0\] must be an object/);
    refusedWith(decide([{ method: 'GET', url: '/me' }]), 'BATCH_INVALID', /requests\[0\]\.id must be a string/);
    refusedWith(decide([{ id: 1, method: 'GET', url: '/me' }]), 'BATCH_INVALID', /id must be a string/);
    refusedWith(decide([{ id: '1', method: 'GET', url: '/me' }, { id: '1', method: 'GET', url: '/me' }]), 'BATCH_INVALID', /used twice/, ['1']);
    refusedWith(decide([{ id: '1', url: '/me' }]), 'BATCH_INVALID', /needs a method/);
    refusedWith(decide([{ id: '1', method: 'GET' }]), 'BATCH_INVALID', /needs a relative url/);
    refusedWith(decide([{ id: '1', method: 'PATCH', url: 'https://graph.microsoft.com/v1.0/deviceAppManagement/mobileApps/42' }]), 'BATCH_INVALID', /absolute url/);
    refusedWith(decide([{ id: '1', method: 'PATCH', url: '//graph.microsoft.com/v1.0/x' }]), 'BATCH_INVALID', /absolute url/);
    refusedWith(decide([{ id: '1', method: 'GET', url: '/me', headers: { a: 1 } }]), 'BATCH_INVALID', /header values must be strings/);
    refusedWith(decide([{ id: '1', method: 'POST', url: '/v1.0/$batch' }]), 'BATCH_INVALID', /batch inside a batch/);
    refusedWith(decide([{ id: '1', method: 'GET', url: '/me', dependsOn: 'x' }]), 'BATCH_INVALID', /dependsOn/);
  });

  test('invalid: a second spelling of a field, which another parser could read instead', () => {
    // JSON.parse keeps the last "url"; another parser may keep the first, or bind "URL" to url.
    const twice = '{"requests":[{"id":"1","method":"PATCH","url":"/deviceAppManagement/mobileApps/42","url":"/me"}]}';
    refusedWith(decideBatch(engine, { body: Buffer.from(twice), headers: json, caller, caseInsensitive: true }), 'BATCH_INVALID', /repeats the key "url"/);
    const cased = '{"requests":[{"id":"1","method":"PATCH","URL":"/deviceAppManagement/mobileApps/42","url":"/me"}]}';
    refusedWith(decideBatch(engine, { body: Buffer.from(cased), headers: json, caller, caseInsensitive: true }), 'BATCH_INVALID', /repeats the key "url"/);
    const escaped = '{"requests":[{"id":"1","method":"PATCH","\\u0075rl":"/deviceAppManagement/mobileApps/42","url":"/me"}]}';
    refusedWith(decideBatch(engine, { body: escaped, headers: json, caller, caseInsensitive: true }), 'BATCH_INVALID', /repeats the key "url"/);
    // Already parsed, the duplicate is gone, but a second letter case is still an unknown field.
    refusedWith(decide([{ id: '1', method: 'GET', url: '/me', URL: '/deviceAppManagement/mobileApps/42' }], { raw: false }), 'BATCH_INVALID', /unknown field\(s\) "URL"/);
    refusedWith(decide([{ id: '1', method: 'POST', url: '/me', headers: { 'X-HTTP-Method-Override': 'PATCH', 'x-http-method-override': 'GET' } }], { raw: false }), 'BATCH_INVALID', /header "x-http-method-override" twice/);
    // Repeated keys in different objects are fine.
    assert.deepEqual(decide([{ id: '1', method: 'GET', url: '/me' }, { id: '2', method: 'GET', url: '/me' }]), { ok: true });
  });
});
