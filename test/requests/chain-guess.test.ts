/**
 * ChainGuess: what a create guesses of the audit chain's head (src/requests/audit-chain.ts). The
 * script checks every guess (test/requests/audit-chain.redis.test.ts); these say when the store
 * guesses at all, so that one store's back-to-back creates bring their links hashed, and creates
 * racing another writer stop hashing in vain.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ChainGuess, GENESIS_HASH, linkHash, type GuessedLink } from '../../src/requests/audit-chain';

const content = (n: number) => n.toString(16).padStart(64, '0');

test('no guess before a reply names the head; then each create sent guesses on the one sent before it', () => {
  const guess = new ChainGuess();
  assert.equal(guess.next(content(1)), undefined);
  const first = linkHash(GENESIS_HASH, content(1));
  guess.settled(undefined, first);
  const a = guess.next(content(2))!;
  const b = guess.next(content(3))!;
  assert.equal(a.prev, first);
  assert.equal(a.hash, linkHash(first, content(2)));
  assert.equal(a.raw.toString('hex'), a.hash);
  assert.equal(b.prev, a.hash);
  assert.equal(b.hash, linkHash(a.hash, content(3)));
  guess.settled(a, a.hash);
  guess.settled(b, b.hash);
  assert.equal(guess.next(content(4))!.prev, b.hash);
});

/** A store that knows the head (content(100)) and has sent two creates on guesses: a, then b. */
function twoGuessesInFlight(): { guess: ChainGuess; a: GuessedLink; b: GuessedLink } {
  const guess = new ChainGuess();
  guess.next(content(1));
  guess.settled(undefined, content(100));
  return { guess, a: guess.next(content(2))!, b: guess.next(content(3))! };
}

test('a miss stops guessing until no create is in flight; the last reply then names the head', () => {
  const { guess, a, b } = twoGuessesInFlight();
  // Another writer came first: a's event links to its event, not to the guessed head.
  guess.settled(a, content(101));
  assert.equal(guess.next(content(4)), undefined, 'b is still in flight on a wrong guess');
  guess.settled(b, content(102));
  guess.settled(undefined, content(103));
  assert.equal(guess.next(content(5))!.prev, content(103));
});

test('a create that failed (a lock, a timeout) stops guessing until the store is quiet', () => {
  const { guess, a, b } = twoGuessesInFlight();
  guess.settled(a, undefined);
  assert.equal(guess.next(content(4)), undefined);
  guess.settled(b, content(101));
  assert.equal(guess.next(content(5)), undefined, 'the create sent without a guess is in flight');
});
