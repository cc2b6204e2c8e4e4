/**
 * The scripts' contract headers and the error translator agree with each other (no Redis needed).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { scriptError, ScriptErrorCode, TransitionError } from '../../src/requests/errors';
import { loadScript, loadScripts } from '../../src/requests/scripts';
import { requestKeys } from '../../src/requests/keys';

const DIR = join(import.meta.dirname, '../../src/requests/scripts');
const files = readdirSync(DIR).filter((f) => f.endsWith('.lua'));

test('every transition has its own script, named with its key count', () => {
  assert.deepEqual(files.sort(), [
    'approve-3.lua', 'begin-complete-3.lua', 'break-glass-3.lua', 'cancel-4.lua', 'claim-scheduled-3.lua', 'create-5.lua',
    'expire-4.lua', 'finish-complete-4.lua', 'reject-4.lua', 'release-lease-1.lua', 'remove-4.lua', 'renew-lease-1.lua', 'review-3.lua',
    'schedule-3.lua', 'settle-notifications-3.lua', 'trim-audit-2.lua', 'unschedule-3.lua', 'warn-expiring-2.lua',
  ]);
  assert.equal(Object.keys(loadScripts()).length, files.length);
});

for (const file of files) {
  test(`${file} opens with a contract header that matches its key count and return codes`, () => {
    const source = readFileSync(join(DIR, file), 'utf8');
    assert.ok(source.startsWith('--[['), 'starts with a block comment');
    const header = source.slice(0, source.indexOf(']]'));
    for (const section of ['Preconditions:', 'Input:', 'Output:']) assert.ok(header.includes(section), `header has ${section}`);
    const count = Number(/-(\d+)\.lua$/.exec(file)?.[1]);
    const declared = [...header.matchAll(/KEYS\[(\d+)\]/g)].map((m) => Number(m[1]));
    assert.deepEqual([...new Set(declared)], Array.from({ length: count }, (_, i) => i + 1));
    const body = source.slice(source.indexOf(']]'));
    const returned = new Set([...body.matchAll(/return \{ (-\d+),/g)].map((m) => Number(m[1])));
    const documented = new Set([...header.matchAll(/\{(-\d+), /g)].map((m) => Number(m[1])));
    assert.deepEqual([...returned].sort(), [...documented].sort(), 'every code returned is documented, and only those');
    for (const code of returned) assert.ok(Object.values(ScriptErrorCode).includes(code), `code ${code} is in ScriptErrorCode`);
    if (!file.startsWith('remove')) assert.ok(header.includes('Audit event:'), 'names its audit event');
    // Includes resolve, each at most once.
    const loaded = loadScript(file.replace('.lua', ''));
    assert.ok(!loaded.source.includes('--- @include'));
  });
}

test('every script return code translates to a TransitionError naming the script', () => {
  const expected: Record<number, string> = {
    [-1]: 'REQUEST_NOT_FOUND', [-2]: 'INVALID_STATE', [-3]: 'OBJECT_LOCKED', [-4]: 'SELF_APPROVAL',
    [-5]: 'ALREADY_APPROVED', [-6]: 'NOT_REQUESTOR', [-7]: 'COMPLETE_IN_PROGRESS', [-8]: 'OUTCOME_UNKNOWN',
    [-9]: 'CLAIM_LOST', [-10]: 'INVALID_STATE', [-11]: 'INVALID_STATE',
    [-12]: 'NOT_BREAK_GLASS', [-13]: 'ALREADY_REVIEWED', [-14]: 'NOT_SCHEDULED',
    [-15]: 'NOT_CURRENT_STAGE', [-16]: 'ALREADY_REJECTED', [-20]: 'INVALID_STATE',
  };
  for (const code of Object.values(ScriptErrorCode).filter((v): v is number => typeof v === 'number')) {
    const error = scriptError('approve-3', code, 'r1', 'approved');
    assert.ok(error instanceof TransitionError);
    assert.equal(error.code, expected[code]);
    assert.match(error.message, /approve-3/);
    assert.equal(error.requestId, 'r1');
  }
  const locked = scriptError('create-5', ScriptErrorCode.ObjectLocked, 'r2', 'r1');
  assert.equal(locked.openRequestId, 'r1');
  assert.equal(locked.status, undefined);
  assert.equal(scriptError('approve-3', ScriptErrorCode.InvalidState, 'r1', 'rejected').status, 'rejected');
});

test('deployment names that would break the hash tag are refused', () => {
  assert.equal(requestKeys('default').request('x'), 'maa:{default}:req:x');
  for (const bad of ['', 'a}b', '{x}', 'a b', 'x'.repeat(65)]) assert.throws(() => requestKeys(bad), TypeError);
});
