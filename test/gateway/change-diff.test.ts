/**
 * The diff of a parked call (src/gateway/change-diff.ts), without I/O: RFC 7396's own merge-patch
 * examples, PUT and DELETE against a snapshot, JSON Pointer escaping, base64 text fields decoded
 * (and left alone when they are not text), the line diff's fallback past its edit limit, and
 * assignment targets compared whatever their key order.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { assignmentChanges, changeDiff, fieldChanges, lineDiff, mergePatch } from '../../src/gateway/change-diff';
import { changedSince } from '../../src/gateway/object-snapshot';
import type { ApprovalRequest, SnapshotRecord } from '../../src/requests/types';

function request(method: string, path: string, operation: ApprovalRequest['decision']['operation'] = 'modify'): ApprovalRequest {
  return {
    id: 'r1',
    status: 'needsApproval',
    createdAt: '',
    updatedAt: '',
    requestor: { userId: 'alice', groups: [] },
    justification: '',
    call: { method, path, query: '', headers: { 'content-type': 'application/json' }, bodySha256: '', bodySize: 0 },
    decision: { profileType: 'apps', objectKey: 'apps:/x', operation, policies: ['p'], approverGroups: ['g'], requiredApprovals: 1 },
    approvals: [],
    history: [],
  };
}
const json = (value: unknown): Buffer => Buffer.from(JSON.stringify(value));
const captured = (object: unknown): { record: SnapshotRecord; bytes: Buffer } => {
  const bytes = json(object);
  return { record: { state: 'captured', at: '2026-12-05T00:00:00.000Z', sha256: createHash('sha256').update(bytes).digest('hex'), bytes: bytes.length }, bytes };
};
const b64 = (text: string): string => Buffer.from(text).toString('base64');

describe('mergePatch', () => {
  // RFC 7396, Appendix A.
  const cases: [unknown, unknown, unknown][] = [
    [{ a: 'b' }, { a: 'c' }, { a: 'c' }],
    [{ a: 'b' }, { b: 'c' }, { a: 'b', b: 'c' }],
    [{ a: 'b' }, { a: null }, {}],
    [{ a: 'b', b: 'c' }, { a: null }, { b: 'c' }],
    [{ a: ['b'] }, { a: 'c' }, { a: 'c' }],
    [{ a: 'c' }, { a: ['b'] }, { a: ['b'] }],
    [{ a: { b: 'c' } }, { a: { b: 'd', c: null } }, { a: { b: 'd' } }],
    [{ a: [{ b: 'c' }] }, { a: [1] }, { a: [1] }],
    [['a', 'b'], ['c', 'd'], ['c', 'd']],
    [{ a: 'b' }, ['c'], ['c']],
    [{ a: 'foo' }, null, null],
    [{ a: 'foo' }, 'bar', 'bar'],
    [{ e: null }, { a: 1 }, { e: null, a: 1 }],
    [[1, 2], { a: 'b', c: null }, { a: 'b' }],
    [{}, { a: { bb: { ccc: null } } }, { a: { bb: {} } }],
  ];
  for (const [target, patch, result] of cases) {
    test(`${JSON.stringify(target)} + ${JSON.stringify(patch)} = ${JSON.stringify(result)}`, () => {
      assert.deepEqual(mergePatch(target, patch), result);
    });
  }
});

describe('changeDiff', () => {
  test('PATCH: nested changes as JSON Pointers, ~ and / escaped; the answer\'s @odata.context is not the object', () => {
    const diff = changeDiff(request('PATCH', '/a/1'), json({ settings: { 'a/b': 2, 'c~d': null } }), captured({ '@odata.context': 'x', settings: { 'a/b': 1, 'c~d': true, keep: 1 } }));
    assert.deepEqual(diff.changes, [
      { path: '/settings/a~1b', kind: 'changed', before: 1, after: 2 },
      { path: '/settings/c~0d', kind: 'removed', before: true },
    ]);
  });

  test('PUT: the replacement against the snapshot; DELETE: every field removed', () => {
    const put = changeDiff(request('PUT', '/a/1'), json({ id: '1', name: 'new' }), captured({ id: '1', name: 'old', extra: true }));
    assert.deepEqual(put.changes, [
      { path: '/name', kind: 'changed', before: 'old', after: 'new' },
      { path: '/extra', kind: 'removed', before: true },
    ]);
    const del = changeDiff(request('DELETE', '/a/1', 'delete'), null, captured({ id: '1', name: 'old' }));
    assert.deepEqual(del.changes.map((c) => `${c.kind} ${c.path}`), ['removed /id', 'removed /name']);
  });

  test('a compressed body is diffed as the upstream reads it', async () => {
    const { gzipSync } = await import('node:zlib');
    const r = request('PATCH', '/a/1');
    r.call.headers['content-encoding'] = 'gzip';
    const diff = changeDiff(r, gzipSync(json({ name: 'new' })), captured({ name: 'old' }));
    assert.deepEqual(diff.changes, [{ path: '/name', kind: 'changed', before: 'old', after: 'new' }]);
  });

  test('base64 text fields are decoded and line-diffed; added and removed scripts too; binary stays as it is', () => {
    const changed = fieldChanges({ scriptContent: b64('a\nb\n') }, { scriptContent: b64('a\nc\n') })[0]!;
    assert.equal(changed.encoding, 'base64');
    assert.deepEqual(changed.text, { before: 'a\nb\n', after: 'a\nc\n', lines: [{ op: ' ', text: 'a' }, { op: '-', text: 'b' }, { op: '+', text: 'c' }] });
    const added = fieldChanges({}, { detectionScriptContent: b64('x\r\ny') })[0]!;
    assert.deepEqual(added.text, { after: 'x\r\ny', lines: [{ op: '+', text: 'x' }, { op: '+', text: 'y' }] });
    const binary = fieldChanges({}, { scriptContent: Buffer.from([0, 1, 2, 255]).toString('base64') })[0]!;
    assert.equal(binary.encoding, undefined);
    const notBase64 = fieldChanges({}, { scriptContent: 'not base64!' })[0]!;
    assert.equal(notBase64.text, undefined);
    // Only the named fields: another base64 value is shown as it is.
    assert.equal(fieldChanges({}, { largeIcon: b64('text') })[0]!.encoding, undefined);
  });

  test('a line diff past its edit limit shows the old text removed and the new added', () => {
    const before = Array.from({ length: 6000 }, (_, i) => `a${i}`).join('\n');
    const after = Array.from({ length: 6000 }, (_, i) => `b${i}`).join('\n');
    const lines = lineDiff(before, after);
    assert.equal(lines.length, 12000);
    assert.ok(lines.slice(0, 6000).every((l) => l.op === '-'));
    assert.ok(lines.slice(6000).every((l) => l.op === '+'));
  });

  test('assign: targets compared whatever their key order; a POST to …/assignments adds one', () => {
    const current = { value: [{ id: 'x_0', target: { groupId: 'g1', '@odata.type': 't' } }, { id: 'x_1', target: { '@odata.type': 't', groupId: 'g2' } }] };
    const body = { mobileAppAssignments: [{ target: { '@odata.type': 't', groupId: 'g1' } }, { target: { '@odata.type': 't', groupId: 'g3' } }] };
    assert.deepEqual(assignmentChanges(current, body, true), { added: [{ '@odata.type': 't', groupId: 'g3' }], removed: [{ '@odata.type': 't', groupId: 'g2' }] });
    assert.deepEqual(assignmentChanges(current, { target: { groupId: 'g9' } }, false), { added: [{ groupId: 'g9' }], removed: [] });
    const diff = changeDiff(request('POST', '/apps/1/assign', 'assign'), json(body), captured(current));
    assert.deepEqual(diff.changes, []);
    assert.equal(diff.assignments?.added.length, 1);
  });

  test('a create: every field added, nothing read; a request parked before snapshots says so', () => {
    const diff = changeDiff(request('POST', '/apps', 'create'), json({ displayName: 'n' }), { record: { state: 'none', at: 'x', error: 'a create' }, bytes: null });
    assert.deepEqual(diff.changes, [{ path: '/displayName', kind: 'added', after: 'n' }]);
    assert.equal(diff.snapshot.state, 'none');
    assert.equal(changeDiff(request('PATCH', '/a/1'), json({}), { record: undefined, bytes: null }).snapshot.state, 'none');
  });
});

describe('changedSince', () => {
  const at = '2026-12-05T00:00:00.000Z';
  test('ETag when both have one, else the content hash; gone is changed; a failed read cannot tell', () => {
    const withEtag: SnapshotRecord = { state: 'captured', at, etag: 'W/"1"', sha256: 'a', bytes: 1 };
    assert.equal(changedSince(withEtag, { record: { ...withEtag, sha256: 'b' } }), null, 'same ETag: unchanged, whatever the bytes');
    assert.match(changedSince(withEtag, { record: { ...withEtag, etag: 'W/"2"' } }) ?? '', /ETag changed/);
    const noEtag: SnapshotRecord = { state: 'captured', at, sha256: 'a', bytes: 1 };
    assert.equal(changedSince(noEtag, { record: noEtag }), null);
    assert.match(changedSince(noEtag, { record: { ...noEtag, sha256: 'b' } }) ?? '', /content changed/);
    assert.match(changedSince(noEtag, { record: { state: 'failed', at }, status: 404 }) ?? '', /gone/);
    assert.equal(changedSince(noEtag, { record: { state: 'failed', at, error: 'x' }, status: 503 }), undefined);
    const large: SnapshotRecord = { state: 'tooLarge', at };
    assert.equal(changedSince(large, { record: large }), undefined, 'too large without an ETag: cannot tell');
  });
});
