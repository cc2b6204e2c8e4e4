/**
 * The canonical user id (invariant 9 in DESIGN.md): one person is one string from identity onwards.
 *
 * Every source of a user id (JWT claim, static token file, directory file, `countersign explain
 * --user`) passes it through `checkUserId` once, where identity is resolved. Everything after that
 * (the policy's "not the requestor", the Lua scripts' "distinct approvers", the audit trail)
 * compares ids with plain equality, because two spellings of one person can no longer meet there.
 * Without this, `bob` and `BOB`, or `alice` and `"alice "` or fullwidth `ａｌｉｃｅ`, were two approvers.
 */
import { MAX_ID_LENGTH, isValidName } from './caller-claims';

/**
 * Zero-width spaces and joiners, soft hyphens, bidi controls, variation selectors, BOM: invisible,
 * so `bob` and `bob\u200B` look alike. Unicode's own caseless identifier form, NFKC_Casefold,
 * removes them too.
 */
const DEFAULT_IGNORABLE = /\p{Default_Ignorable_Code_Point}/gu;

/**
 * The canonical form of a user id, exactly:
 *
 * 1. `normalize('NFKC')`: compatibility forms become their plain letters (fullwidth `ＢＯＢ` → `BOB`,
 *    the ligature `ﬁ` → `fi`, `K` Kelvin sign → `K`); done first, so the steps below see plain letters.
 * 2. Default-ignorable code points removed (see above).
 * 3. `trim()`: leading and trailing white space (JavaScript's set: Unicode `Zs`, tab, line ends, BOM).
 * 4. Case folding as `toLowerCase().toUpperCase().toLowerCase()`, locale-independent. JavaScript has
 *    no case fold; `toLowerCase` alone leaves apart what Unicode full case folding joins (`ß`/`ss`,
 *    final `ς`/`σ`, Cyrillic letter variants such as `ᲀ`/`в`). Going through upper case joins them;
 *    lower case first makes capital `ẞ` end where `ß` does (`ss`), so the result is stable. Checked
 *    against every code point: it equals Unicode's full case folding except that dotless `ı` also
 *    joins `i`. That only ever makes two ids one person, never one person two ids.
 * 5. `normalize('NFKC')` again: case mapping can leave a string that is not normalised (`İ` lowers
 *    to `i` plus a combining dot), and the canonical form must be a fixed point:
 *    `canonicalUserId(canonicalUserId(x)) === canonicalUserId(x)`, for every string.
 *
 * It does not fold look-alikes from other scripts (Cyrillic `а` stays apart from Latin `a`): that is
 * beyond case and compatibility, and the identity provider's to prevent. It does not check: use
 * `checkUserId` for anything that comes from outside.
 * @example
 * canonicalUserId(' ＢＯＢ '); // 'bob'
 * canonicalUserId('Straße');  // 'strasse'
 */
export function canonicalUserId(id: string): string {
  return id
    .normalize('NFKC')
    .replace(DEFAULT_IGNORABLE, '')
    .trim()
    .toLowerCase()
    .toUpperCase()
    .toLowerCase()
    .normalize('NFKC');
}

export type UserIdCheck = { ok: true; userId: string } | { ok: false; reason: string };

/** What a valid user id is, for error messages and docs. */
export const USER_ID_RULE = `1 to ${MAX_ID_LENGTH} printable characters, not empty once trimmed`;

/**
 * Checks a user id from outside and returns its canonical form, or why it is refused: not text,
 * longer than MAX_ID_LENGTH (before and after canonicalising: NFKC can lengthen a string up to
 * eighteen-fold), a control character, or nothing left once canonicalised (`"  "`, `"\u200B"`).
 * The reason never repeats the id.
 * @example
 * checkUserId('Alice ');  // { ok: true, userId: 'alice' }
 * checkUserId(' \u3000'); // { ok: false, reason: 'user id is empty once canonicalised (NFKC, trimmed, case-folded)' }
 */
export function checkUserId(value: unknown): UserIdCheck {
  // Bounded before normalising, so the work done on a hostile claim is bounded too.
  if (!isValidName(value)) return { ok: false, reason: `user id must be ${USER_ID_RULE}` };
  const userId = canonicalUserId(value);
  if (userId === '') return { ok: false, reason: 'user id is empty once canonicalised (NFKC, trimmed, case-folded)' };
  if (userId.length > MAX_ID_LENGTH) return { ok: false, reason: `user id is longer than ${MAX_ID_LENGTH} characters once canonicalised` };
  return { ok: true, userId };
}
