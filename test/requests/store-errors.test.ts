/**
 * Every store error carries a stable code, and apiErrorFrom is the one mapping to an answer:
 * input errors 422, unavailability 503, refused transitions 403/404/409 with the request's id.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError, apiErrorFrom, errorRegistry } from '../../src/errors';
import { PolicyUnavailableError } from '../../src/policy/errors';
import { scriptError, ScriptErrorCode, StoreError, StoreInputError, StoreUnavailableError } from '../../src/requests/errors';

test('every store error is a StoreError with a code, and maps to a documented code and status', () => {
  const transitions = Object.values(ScriptErrorCode)
    .filter((v): v is number => typeof v === 'number')
    .map((code) => scriptError('approve-3', code, 'r1', 'approved'));
  for (const error of [...transitions, new StoreInputError('x is longer than 5 characters (the limit)'), new StoreUnavailableError('down')]) {
    assert.ok(error instanceof StoreError);
    const answer = apiErrorFrom(error);
    assert.ok(answer.code in errorRegistry);
    assert.equal(answer.httpStatus, errorRegistry[answer.code].status);
    assert.ok(answer.httpStatus >= 400 && answer.httpStatus < 500 ? error.code !== 'STORE_UNAVAILABLE' : error.code === 'STORE_UNAVAILABLE');
  }
});

test('input → 422 naming the limit; unavailable → 503 without internals; locked → 409 naming the open request', () => {
  const input = apiErrorFrom(new StoreInputError('justification is longer than 1000 characters (the limit)'));
  assert.deepEqual([input.httpStatus, input.code, input.message], [422, 'VALIDATION_FAILED', 'justification is longer than 1000 characters (the limit)']);

  const down = apiErrorFrom(new StoreUnavailableError('redis did not answer within 2000 ms at 10.0.0.5'));
  assert.deepEqual([down.httpStatus, down.code, down.message], [503, 'STORE_UNAVAILABLE', errorRegistry.STORE_UNAVAILABLE.message]);

  const locked = apiErrorFrom(scriptError('create-5', ScriptErrorCode.ObjectLocked, 'new-id', 'open-id'));
  assert.deepEqual([locked.httpStatus, locked.code, locked.details.requestId], [409, 'OBJECT_LOCKED', 'open-id']);

  const state = apiErrorFrom(scriptError('approve-3', ScriptErrorCode.InvalidState, 'r1', 'rejected'));
  assert.deepEqual([state.httpStatus, state.code, state.details], [409, 'INVALID_STATE', { requestId: 'r1', status: 'rejected' }]);
});

test('other throws: ApiError kept, policy down 503, parser errors by their type, anything else 500', () => {
  const own = new ApiError('FORBIDDEN', { reasons: ['no'] });
  assert.equal(apiErrorFrom(own), own);
  assert.equal(apiErrorFrom(new PolicyUnavailableError('no bundle')).code, 'POLICY_UNAVAILABLE');
  assert.equal(apiErrorFrom(Object.assign(new Error('bad'), { type: 'entity.parse.failed' })).code, 'INVALID_JSON');
  assert.equal(apiErrorFrom(Object.assign(new Error('big'), { type: 'entity.too.large' })).code, 'BODY_TOO_LARGE');
  // A name string is not a code: only the class (and so its code) counts.
  assert.equal(apiErrorFrom(Object.assign(new Error('x'), { name: 'StoreUnavailableError' })).code, 'INTERNAL');
  assert.equal(apiErrorFrom(new TypeError('bug')).code, 'INTERNAL');
  assert.equal(apiErrorFrom('a string').httpStatus, 500);
});
