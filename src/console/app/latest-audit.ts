/**
 * The latest N audit events, newest first. The API reads the stream oldest first (from `since`
 * on, at most 1,000 a call), so the newest are found by reading forward from a recent time,
 * widening the window until it holds N events or reaches the stream's start.
 */
import type { ApiClient } from './api-client';
import type { AuditEvent } from './api-types';

/** The API's largest page. */
const PAGE = 1000;
/** Windows tried in turn, in ms back from now; null reads the whole stream. */
const WINDOWS: (number | null)[] = [15 * 60_000, 24 * 3_600_000, 30 * 24 * 3_600_000, null];
/** Most pages read in one window; past it the page says the list may not be the latest. */
const MAX_PAGES = 20;

export interface LatestAudit {
  events: AuditEvent[];
  /** False when the read stopped at MAX_PAGES before the stream's end. */
  complete: boolean;
}

/**
 * @example const { events } = await latestAudit(api, 100)
 */
export async function latestAudit(api: Pick<ApiClient, 'audit'>, count: number, now = Date.now()): Promise<LatestAudit> {
  let last: LatestAudit = { events: [], complete: true };
  for (const window of WINDOWS) {
    last = await readToEnd(api, count, window === null ? undefined : new Date(now - window).toISOString());
    if (last.events.length >= count || !last.complete) break;
  }
  return { events: last.events.reverse(), complete: last.complete };
}

/** Reads from `since` to the stream's end, keeping the last `count` events (oldest first). */
async function readToEnd(api: Pick<ApiClient, 'audit'>, count: number, since: string | undefined): Promise<LatestAudit> {
  let kept: AuditEvent[] = [];
  let lastId: string | null = null;
  for (let page = 0; page < MAX_PAGES; page++) {
    const { items } = await api.audit({ limit: PAGE, ...(since ? { since } : {}) });
    // `since` is inclusive and by time: events of the last page's final millisecond come again.
    const fresh = lastId === null ? items : items.filter((e) => compareIds(e.id, lastId!) > 0);
    kept = kept.concat(fresh).slice(-count);
    if (items.length < PAGE) return { events: kept, complete: true };
    // A whole page within one millisecond cannot be read past with `since`: stop rather than loop.
    if (fresh.length === 0) return { events: kept, complete: false };
    lastId = items[items.length - 1]!.id;
    since = items[items.length - 1]!.at;
  }
  return { events: kept, complete: false };
}

/** Orders Redis stream ids `<ms>-<seq>`. */
export function compareIds(a: string, b: string): number {
  const [am = 0, as = 0] = a.split('-').map(Number);
  const [bm = 0, bs = 0] = b.split('-').map(Number);
  return am - bm || as - bs;
}
