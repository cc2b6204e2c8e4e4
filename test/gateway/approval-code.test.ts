/**
 * Approval codes' secrets: 256 random bits each, never repeated (they come from a pool of
 * CSPRNG bytes refilled every 256 secrets), stored only as their SHA-256, and matched only by
 * the secret they were made with.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { codeMatches, newApprovalSecret, requestIdOfCode } from '../../src/gateway/parked-answer';
import type { ApprovalRequest } from '../../src/requests/types';

test('a thousand secrets, across several refills of the random pool: all distinct, 43 base64url characters, stored as their SHA-256', () => {
  const secrets = Array.from({ length: 1000 }, () => newApprovalSecret());
  assert.equal(new Set(secrets.map((s) => s.secret)).size, 1000);
  for (const { secret, sha256 } of secrets) {
    assert.match(secret, /^[A-Za-z0-9_-]{43}$/);
    assert.notEqual(Buffer.from(secret, 'base64url').toString('hex'), '0'.repeat(64), 'never the pool\'s zeroed bytes');
    assert.equal(sha256, createHash('sha256').update(secret).digest('hex'));
  }
  // Bytes look random: of 32,000 bytes, each value appears (a pool handed out twice or zeroed would not).
  const counts = new Set(secrets.flatMap((s) => [...Buffer.from(s.secret, 'base64url')]));
  assert.equal(counts.size, 256);
});

test('a code names its request, and only its own secret matches it', () => {
  const id = '3f0c2a9e-8e2b-4c1d-9a7e-3b5d2c1e0f11';
  const mine = newApprovalSecret();
  const other = newApprovalSecret();
  const request = { id, approvalCodeSha256: mine.sha256 } as ApprovalRequest;
  assert.deepEqual(requestIdOfCode(`${id}.${mine.secret}`), { id, secret: mine.secret });
  assert.equal(codeMatches(request, mine.secret), true);
  assert.equal(codeMatches(request, other.secret), false);
});
