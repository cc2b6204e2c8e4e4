/**
 * X-MAA-Justification: percent-encoded UTF-8, at most LIMITS.justificationChars code points, and
 * no control character at all (docs/api.md): a decoded line break or tab is refused like NUL.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseJustification } from '../../src/gateway/justification';
import { LIMITS } from '../../src/limits';

test('every C0 control character and DEL is refused, encoded or raw', () => {
  const controls = [...Array.from({ length: 0x20 }, (_, i) => i), 0x7f];
  for (const code of controls) {
    const char = String.fromCharCode(code);
    assert.equal(parseJustification(`before${encodeURIComponent(char)}after`), null, `U+${code.toString(16).padStart(4, '0')} encoded`);
    assert.equal(parseJustification(`before${char}after`), null, `U+${code.toString(16).padStart(4, '0')} raw`);
  }
  for (const value of ['%0A', 'a%0Db', 'tab%09here', '%7F', 'line%0D%0Abreak']) assert.equal(parseJustification(value), null, value);
});

test('printable text passes, decoded and trimmed; absent is empty', () => {
  assert.equal(parseJustification(undefined), '');
  assert.equal(parseJustification('Ticket%20INC-1234%3A%20fix%20%E2%9C%93'), 'Ticket INC-1234: fix ✓');
  assert.equal(parseJustification('%20%20spaced%20%20'), 'spaced');
  // U+0080–U+009F (C1) and other Unicode text are not C0 controls: they are the requestor's words.
  assert.equal(parseJustification(encodeURIComponent('naïve café – 日本語')), 'naïve café – 日本語');
});

test('the limit counts code points: 1,000 emoji pass, 1,001 do not', () => {
  const emoji = '👍';
  assert.equal(parseJustification(encodeURIComponent(emoji.repeat(LIMITS.justificationChars))), emoji.repeat(LIMITS.justificationChars));
  assert.equal(parseJustification(encodeURIComponent(emoji.repeat(LIMITS.justificationChars + 1))), null);
  assert.equal(parseJustification('x'.repeat(LIMITS.justificationChars + 1)), null);
});

test('malformed percent-encoding and repeated headers are refused', () => {
  for (const value of ['%E2%28', '%', '%zz']) assert.equal(parseJustification(value), null, value);
  assert.equal(parseJustification(['a', 'b']), null);
});
