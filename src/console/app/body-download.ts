/**
 * Saves a request's parked body as a file. The bytes are fetched with the bearer token (a plain
 * link could not send it), checked against the stored SHA-256 when the browser can hash, and
 * handed to the browser as a download from a short-lived object URL: never rendered in the page.
 */
import type { ApiClient } from './api-client';

/** How long the object URL lives after the click; the browser reads it when the download starts. */
const REVOKE_AFTER_MS = 10_000;

/** `<id>.json` for a JSON body, `<id>.body` for anything else. */
export function bodyFileName(id: string, contentType: string): string {
  const type = contentType.split(';')[0]!.trim().toLowerCase();
  const json = type === 'application/json' || /^application\/[a-z0-9.+-]*\+json$/.test(type);
  // The id comes from the API; keep the file name to characters every file system takes.
  return `${id.replace(/[^A-Za-z0-9_-]/g, '_')}.${json ? 'json' : 'body'}`;
}

/** Hex SHA-256 of the bytes, or null where the browser offers no Web Crypto (plain http off localhost). */
async function sha256Hex(blob: Blob): Promise<string | null> {
  if (!globalThis.crypto?.subtle) return null;
  const digest = await crypto.subtle.digest('SHA-256', await blob.arrayBuffer());
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}

/**
 * Fetches and saves the body; throws ApiError on a refusal, Error when the bytes do not match.
 * @example await downloadBody(api, request.id, request.call.bodySha256)
 */
export async function downloadBody(api: Pick<ApiClient, 'requestBody'>, id: string, expectedSha256: string): Promise<string> {
  const body = await api.requestBody(id);
  const actual = await sha256Hex(body.blob);
  if (actual !== null && actual !== expectedSha256) throw new Error('The downloaded body does not match its SHA-256; it was not saved.');
  const name = bodyFileName(id, body.contentType);
  // A generic type: the browser saves the bytes rather than opening them.
  const url = URL.createObjectURL(new Blob([body.blob], { type: 'application/octet-stream' }));
  const link = document.createElement('a');
  link.href = url;
  link.download = name;
  link.hidden = true;
  document.body.appendChild(link);
  try {
    link.click();
  } finally {
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), REVOKE_AFTER_MS);
  }
  return name;
}
