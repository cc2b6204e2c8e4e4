/**
 * Every bound on what a caller can bring in, in one place. Identity, the gateway, the API and the
 * store all import these values, so a value one layer accepts is never refused by the next (a limit
 * written twice drifts, and the drift used to surface as a 503 from the store while Redis was up).
 *
 * Every character limit counts Unicode code points (`charCount`), never UTF-16 code units: an emoji
 * is one character wherever it is counted. The store still checks these bounds itself (a refusal
 * there is a 422 naming the limit, not a 503), but the edge checks first with the same numbers.
 */

export const LIMITS = {
  /** A user id, in characters (canonical form, invariant 9). */
  userIdChars: 256,
  /** One group name, in characters. */
  groupChars: 256,
  /**
   * Groups one caller may carry: what identity accepts, what the store keeps with a request (its
   * requestor) and what `view=received` reads. 1,000 covers directory-sized memberships (an Entra ID
   * token lists at most 200 before it switches to an overage claim); the store keeps at most
   * 1,000 × 256 characters per request, small beside a body, and a received list asks one index per group.
   */
  callerGroups: 1000,
  /** Approver groups of one decision (from the access policies that matched one call). */
  approverGroups: 100,
  /** `X-MAA-Justification`, decoded, in characters. */
  justificationChars: 1000,
  /** An approver's notes on approve or reject, in characters. */
  notesChars: 1000,
  /** Headers a parked call keeps for its replay (src/gateway/stored-headers.ts), and their value length. */
  storedHeaders: 100,
  storedHeaderValueChars: 8 * 1024,
  objectKeyChars: 1024,
  pathChars: 8192,
  queryChars: 8192,
  /** The store's ceiling for a parked body; the gateway's own limit is configurable (default 10 MiB) and lower. */
  bodyBytes: 64 * 1024 * 1024,
  /** The store's ceiling for the snapshot of an object read at park; the gateway's own limit (requests.snapshotLimitBytes) is lower. */
  snapshotBytes: 16 * 1024 * 1024,
  maxRequiredApprovals: 20,
  /** What the store keeps of an upstream's answer to a replay. */
  previewBytes: 4096,
  reasonChars: 1000,
  /** A complete's claim lease. */
  maxLeaseMs: 24 * 60 * 60 * 1000,
  /** Items of one page of `GET /requests`. */
  listPage: { default: 25, max: 100 },
  /** Events of one page of `GET /audit`. */
  auditPage: { default: 100, max: 1000 },
  /**
   * `GET /requests` with filters (profile type, requestor, object text, dates): the filters are applied to the
   * requests themselves, so one call reads at most `scan` of them, most recently changed first, for its page
   * and as many again for its `total` (which says `totalExact: false` past that). Text filters are bounded too.
   */
  listFilter: { scan: 1000, textChars: 200, profileTypeChars: 128 },
  /** `GET /events`: live streams one user may hold open at once, and in all (each holds a socket). */
  eventStreams: { perUser: 4, total: 1000 },
} as const;

/**
 * What a request id looks like. The store generates random UUIDs; anything that does not match
 * cannot name a request, so it is a 404 without a Redis call, and never reaches a key name.
 * @example REQUEST_ID_PATTERN.test('3f0c6f4e-8a1b-4c55-9d0e-2b7f1c9a4d10') // true
 */
export const REQUEST_ID_PATTERN = /^[A-Za-z0-9-]{1,64}$/;

/**
 * The length of a text as every limit above counts it: Unicode code points.
 * @example charCount('👍👍') // 2 (while '👍👍'.length is 4)
 */
export function charCount(text: string): number {
  let count = 0;
  // for…of walks code points; no array of a possibly long string is built.
  for (const _ of text) count++;
  return count;
}
