/**
 * The canonical user id (invariant 9): the examples of issue 8, what "case-folded" means here, and
 * that the form is a fixed point for every code point of the first two planes and for random text.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { canonicalUserId, checkUserId } from '../../src/identity/user-id';
import { MAX_ID_LENGTH } from '../../src/identity/caller-claims';

describe('canonicalUserId', () => {
  test("the spellings of issue 8 are one id: 'alice ', fullwidth, capitals", () => {
    for (const spelling of ['alice', 'alice ', ' alice', 'Alice', 'ALICE', 'ａｌｉｃｅ', 'ＡＬＩＣＥ', '\u3000alice\t', 'aLiCe\u00a0']) {
      assert.equal(canonicalUserId(spelling), 'alice', JSON.stringify(spelling));
    }
    for (const spelling of ['bob', 'BOB', 'ｂｏｂ', ' bob ', 'Bob', 'ＢＯＢ', '𝐛𝐨𝐛', 'ⓑⓞⓑ']) {
      assert.equal(canonicalUserId(spelling), 'bob', JSON.stringify(spelling));
    }
  });

  test('ligatures and other compatibility forms become their letters (NFKC)', () => {
    assert.equal(canonicalUserId('ﬁona'), 'fiona');
    assert.equal(canonicalUserId('ﬀ'), 'ff');
    assert.equal(canonicalUserId('Ǆuro'), 'džuro');
    assert.equal(canonicalUserId('ǅuro'), 'džuro');
    assert.equal(canonicalUserId('\u212Aelvin'), 'kelvin'); // Kelvin sign
    assert.equal(canonicalUserId('user²'), 'user2');
    // Composed and decomposed accents are one id.
    assert.equal(canonicalUserId('Jose\u0301'), canonicalUserId('José'));
    assert.equal(canonicalUserId('José'), 'josé');
  });

  test('case folding joins what toLowerCase alone leaves apart', () => {
    assert.equal(canonicalUserId('Straße'), 'strasse');
    assert.equal(canonicalUserId('STRASSE'), 'strasse');
    assert.equal(canonicalUserId('STRAẞE'), 'strasse'); // capital sharp s
    assert.equal(canonicalUserId('ΟΔΟΣ'), canonicalUserId('οδοσ')); // final and medial sigma
    assert.equal(canonicalUserId('\u1C80'), 'в'); // Cyrillic rounded ve
    // The one join beyond Unicode's full case folding, documented: dotless i.
    assert.equal(canonicalUserId('admın'), 'admin');
  });

  test('invisible characters are removed; inner spaces and other scripts stay', () => {
    assert.equal(canonicalUserId('bob\u200B'), 'bob');
    assert.equal(canonicalUserId('b\u00ADo\u200Db\uFEFF'), 'bob');
    assert.equal(canonicalUserId('\u202Ebob'), 'bob');
    assert.equal(canonicalUserId('Bob Smith'), 'bob smith');
    // A Cyrillic look-alike is another script, not another case: it stays apart.
    assert.notEqual(canonicalUserId('\u0430lice'), 'alice');
    assert.equal(canonicalUserId('carol@Contoso.COM'), 'carol@contoso.com');
  });

  test('a canonical id is a fixed point, for every code point of planes 0 and 1', () => {
    const control = /[\u0000-\u001f\u007f]/;
    for (let cp = 0; cp < 0x20000; cp++) {
      if (cp >= 0xd800 && cp <= 0xdfff) continue;
      const c = String.fromCodePoint(cp);
      const once = canonicalUserId(c);
      if (canonicalUserId(once) !== once) assert.fail(`U+${cp.toString(16)} is not stable: ${JSON.stringify(once)}`);
      // Canonicalising never brings in a control character that checkUserId refused in the input.
      if (control.test(once) && !control.test(c)) assert.fail(`U+${cp.toString(16)} became a control character`);
    }
  });

  test('a canonical id is a fixed point for random text (fast-check)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 40 }), fc.string({ unit: 'binary', maxLength: 40 }), (a, b) => {
        for (const s of [a, b, `${a}${b}`]) {
          const once = canonicalUserId(s);
          assert.equal(canonicalUserId(once), once);
          assert.equal(once.trim(), once);
        }
      }),
      { numRuns: 2000 },
    );
  });
});

describe('checkUserId', () => {
  test('gives the canonical id of a valid one', () => {
    assert.deepEqual(checkUserId('Alice '), { ok: true, userId: 'alice' });
    assert.deepEqual(checkUserId('ＡＬＩＣＥ'), { ok: true, userId: 'alice' });
  });

  test('refuses what is empty once canonicalised, with the reason', () => {
    for (const empty of [' ', '\u3000', '\u200B', ' \u00AD ', '\uFEFF']) {
      assert.deepEqual(checkUserId(empty), { ok: false, reason: 'user id is empty once canonicalised (NFKC, trimmed, case-folded)' }, JSON.stringify(empty));
    }
  });

  test('refuses what is not a bounded printable string, before and after canonicalising', () => {
    for (const bad of ['', 'a\nb', 'a\u0000', 42, null, undefined, ['alice'], 'x'.repeat(MAX_ID_LENGTH + 1)]) {
      const result = checkUserId(bad);
      assert.equal(result.ok, false, JSON.stringify(bad));
      assert.match((result as { reason: string }).reason, /^user id must be 1 to 256 printable characters/);
    }
    assert.equal(checkUserId('x'.repeat(MAX_ID_LENGTH)).ok, true);
    // U+FDFA is one character that NFKC spells in eighteen: short on the way in, too long once canonical.
    const grows = '\uFDFA'.repeat(20);
    assert.equal(grows.length <= MAX_ID_LENGTH, true);
    assert.deepEqual(checkUserId(grows), { ok: false, reason: `user id is longer than ${MAX_ID_LENGTH} characters once canonicalised` });
  });

  test('the reason never repeats the id', () => {
    const result = checkUserId('secret-looking\u0007id');
    assert.equal(result.ok, false);
    assert.ok(!(result as { reason: string }).reason.includes('secret-looking'));
  });
});
