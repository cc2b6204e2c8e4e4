/**
 * The business justification travels in `X-MAA-Justification`, percent-encoded UTF-8 (headers
 * are Latin-1 on the wire), at most LIMITS.justificationChars characters (code points) once
 * decoded: the one limit the store applies too, counted the same way.
 */
import { charCount, LIMITS } from '../limits';

export const JUSTIFICATION_MAX_CHARS = LIMITS.justificationChars;

/**
 * Every C0 control character (U+0000–U+001F, tab and line breaks included) and DEL. A
 * justification is one line shown to approvers and written to logs: a decoded line break or tab
 * could fake a second line or column there, so none is accepted (docs/api.md).
 */
const CONTROL = /[\u0000-\u001f\u007f]/;

/**
 * Decodes the header; '' when absent. Returns null when it is not valid percent-encoded UTF-8,
 * longer than the limit, or holds a control character.
 * @example parseJustification('Ticket%20INC-1234') // 'Ticket INC-1234'
 * @example parseJustification('line%0Abreak') // null
 */
export function parseJustification(header: string | string[] | undefined): string | null {
  if (header === undefined) return '';
  if (Array.isArray(header)) return null;
  // Bound the work before decoding: every character takes at most 12 encoded bytes (4 × %XX).
  if (header.length > JUSTIFICATION_MAX_CHARS * 12) return null;
  let text: string;
  try {
    text = decodeURIComponent(header);
  } catch {
    return null;
  }
  if (CONTROL.test(text)) return null;
  const trimmed = text.trim();
  if (charCount(trimmed) > JUSTIFICATION_MAX_CHARS) return null;
  return trimmed;
}
