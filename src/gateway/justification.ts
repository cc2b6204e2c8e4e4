/**
 * The business justification travels in `X-MAA-Justification`, percent-encoded UTF-8 (headers
 * are Latin-1 on the wire), at most 1,000 characters once decoded.
 */

export const JUSTIFICATION_MAX_CHARS = 1000;

/**
 * Decodes the header; '' when absent. Returns null when it is not valid percent-encoded UTF-8,
 * too long, or holds control characters other than tab and newline.
 * @example parseJustification('Ticket%20INC-1234') // 'Ticket INC-1234'
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
  if ([...text].length > JUSTIFICATION_MAX_CHARS) return null;
  if (/[\u0000-\u0008\u000b-\u001f\u007f]/.test(text)) return null;
  return text.trim();
}
