/**
 * The business justification travels in `X-MAA-Justification`, percent-encoded UTF-8 (headers
 * are Latin-1 on the wire), or, as Intune's automation sends it, in
 * `X-Msft-Approval-Justification` as Base64 of UTF-8; at most LIMITS.justificationChars
 * characters (code points) once decoded: the one limit the store applies too, counted the same way.
 */
import type { IncomingHttpHeaders } from 'node:http';
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

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * The justification of a call from either header; '' when neither is sent, null when one is
 * malformed or both are sent (two answers to one question).
 * @example justificationOf({ 'x-msft-approval-justification': Buffer.from('INC-1234').toString('base64') }) // 'INC-1234'
 */
export function justificationOf(headers: IncomingHttpHeaders): string | null {
  const maa = headers['x-maa-justification'];
  const msft = headers['x-msft-approval-justification'];
  if (msft === undefined) return parseJustification(maa);
  if (maa !== undefined || Array.isArray(msft)) return null;
  const encoded = msft.trim();
  // Bound the work before decoding: every character takes at most 4 UTF-8 bytes, 4/3 in Base64.
  if (encoded.length > JUSTIFICATION_MAX_CHARS * 6 || !BASE64.test(encoded)) return null;
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(Buffer.from(encoded, 'base64'));
  } catch {
    return null;
  }
  if (CONTROL.test(text)) return null;
  const trimmed = text.trim();
  return charCount(trimmed) > JUSTIFICATION_MAX_CHARS ? null : trimmed;
}
