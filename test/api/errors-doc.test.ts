/**
 * docs/api.md's error table lists exactly the codes of src/errors.ts, each with the
 * registry's status: no undocumented code, no documented code that does not exist.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { errorRegistry, ApiError } from '../../src/errors';
import { PROJECT_ROOT } from '../../src/config/gateway-config';

function documentedCodes(): Map<string, string> {
  const doc = readFileSync(`${PROJECT_ROOT}docs/api.md`, 'utf8');
  const section = doc.split(/^## Error codes$/m)[1];
  assert.ok(section, 'docs/api.md has an "## Error codes" section');
  const rows = new Map<string, string>();
  for (const match of section.split(/^## /m)[0]!.matchAll(/^\| `([A-Z_]+)` \| ([^|]+) \|/gm)) {
    assert.ok(!rows.has(match[1]!), `${match[1]} is listed twice`);
    rows.set(match[1]!, match[2]!.trim());
  }
  return rows;
}

test('the error table of docs/api.md matches the registry, code for code and status for status', () => {
  const documented = documentedCodes();
  assert.deepEqual([...documented.keys()].sort(), Object.keys(errorRegistry).sort());
  for (const [code, entry] of Object.entries(errorRegistry)) {
    assert.ok(documented.get(code)!.split(',').map((s) => s.trim()).includes(String(entry.status)), `${code}: the doc says ${documented.get(code)}, the registry ${entry.status}`);
  }
});

test('an ApiError renders the documented shape', () => {
  const error = new ApiError('INVALID_STATE', { requestId: 'r1', status: 'approved' });
  assert.equal(error.httpStatus, 409);
  assert.deepEqual(error.body(), { error: { code: 'INVALID_STATE', message: errorRegistry.INVALID_STATE.message, requestId: 'r1', status: 'approved' } });
  assert.equal(new ApiError('UPSTREAM_UNAVAILABLE', {}, undefined, 504).httpStatus, 504);
});
