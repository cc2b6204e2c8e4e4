/**
 * The notification dispatcher: a background job that reads the outbox (outbox.ts) and delivers
 * each event to the channels that want it, at least once, with exponential backoff between
 * tries and a dead-letter list after the last; and that queues the "expires soon" warnings.
 *
 * One poll, top to bottom:
 *   1. take over events another dispatcher left idle (it stopped or died) - XAUTOCLAIM;
 *   2. this dispatcher's own pending events (waiting for a retry), then new ones - XREADGROUP;
 *   3. the events by request, `delivery.concurrency` requests at a time, each request's events in
 *      order: for each, the channels that want it and are due, delivered in parallel, and the round
 *      recorded at once by the settle script (progress, dead letters, the ack once all are done);
 *   4. the events that needed no delivery (no channel wants them, or none is configured) settled
 *      together, one script per page.
 * Polls never overlap; a failed poll (Redis down) is logged and tried again at the next one. A poll
 * that read a full page of new events is followed at once by one that reads only new events (steps
 * 2's second half to 4), so the outbox drains as fast as transitions fill it rather than a page per
 * poll interval, and the retries wait for the next full poll.
 *
 * `stop()` ends the loop and waits for the round in flight to settle, so a clean stop never leaves
 * a delivered event unrecorded; an unclean one (the process dies) leaves it pending, and the next
 * dispatcher delivers it again after `claimIdleMs` (at least once).
 */
import type { Logger } from 'pino';
import type { Counter } from 'prom-client';
import type { Directory } from '../identity/directory';
import type { ApprovalRequest, RequestStore } from '../requests/types';
import { channelWants, type Channel } from './channels/channel';
import { chatChannel } from './channels/chat';
import { emailChannel } from './channels/email';
import { webhookChannel } from './channels/webhook';
import { notificationEvent, type NotificationEvent, type OutboxEntry } from './events';
import { buildMessage } from './message';
import type { NotificationsConfig } from './notifications-config';
import { OUTBOX_PAGE, type DeadLetter, type EventProgress, type Outbox, type Settlement } from './outbox';

export interface DispatcherOptions {
  config: NotificationsConfig;
  outbox: Outbox;
  /** Reads the request at delivery (its justification, notes, groups). */
  store: Pick<RequestStore, 'get'>;
  /** E-mail addresses and approver group members; without it the e-mail channel has no recipients. */
  directory?: Pick<Directory, 'membersOf' | 'emailOf'>;
  /** The gateway's retention, to know when an open request expires (requests.retentionMs, approvedRetentionMs). */
  retention: { openMs: number; approvedMs: number };
  /** `countersign_notifications_total{channel, outcome}` (src/gateway/metrics.ts). */
  deliveries?: Counter<'channel' | 'outcome'>;
  logger?: Logger;
  /** Tests move time; default the clock. */
  now?: () => Date;
}

export interface NotificationDispatcher {
  stop(): Promise<void>;
}

/** How long before try `attempt + 1`, after `attempt` failed ones: base · 2^(attempt-1), capped, with up to 10 % jitter. */
export function backoffMs(attempt: number, baseMs: number, maxMs: number, random: () => number = Math.random): number {
  const plain = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(plain * (1 + 0.1 * random()));
}

/**
 * Who receives an event by e-mail: the approver groups' members (never the requestor, who may be
 * in one of them) or the requestor, at their directory addresses.
 */
export function recipientsOf(event: NotificationEvent, request: ApprovalRequest | null, directory: DispatcherOptions['directory']): string[] {
  if (!request || !directory || event.audience === 'none') return [];
  const users =
    event.audience === 'requestor'
      ? [request.requestor.userId]
      : [...new Set(request.decision.approverGroups.flatMap((g) => directory.membersOf(g)))].filter((u) => u !== request.requestor.userId);
  const addresses = users.map((u) => directory.emailOf(u)).filter((a): a is string => a !== undefined);
  return [...new Set(addresses)];
}

function createChannels(config: NotificationsConfig): Channel[] {
  return config.channels.map((c) => {
    switch (c.type) {
      case 'webhook':
        return webhookChannel(c);
      case 'slack':
      case 'teams':
        return chatChannel(c);
      case 'email':
        return emailChannel(c, config.delivery.timeoutMs);
    }
  });
}

/**
 * Starts delivering. Returns at once; the first poll runs right away.
 * @example
 * const dispatcher = startNotificationDispatcher({ config, outbox, store, directory, retention, logger });
 * // on shutdown
 * await dispatcher.stop();
 */
export function startNotificationDispatcher(options: DispatcherOptions): NotificationDispatcher {
  const { config, outbox, store, logger } = options;
  const now = options.now ?? (() => new Date());
  const channels = createChannels(config);
  const { delivery } = config;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let lastWarningScan = 0;
  let current: Promise<void> = Promise.resolve();

  /**
   * One event: deliver to the due channels that want it and record the round at once (so a crash
   * after a delivery re-sends only that one). Returns the settlement of an event that needed no
   * delivery, for the poll to record with the others; null when there is nothing (more) to record.
   */
  const handle = async (entry: OutboxEntry, progress: EventProgress): Promise<Settlement | null> => {
    const event = entry.requestId ? notificationEvent(entry) : null;
    // No event, or no channel to want it (a gateway without notifications): settled without
    // reading the request, with the rest of the page.
    if (!event || channels.length === 0) return { id: entry.id, progress: {}, settled: true, deadLetters: [] };
    // An event waiting for its retries: nothing to read or send before one is due.
    const t0 = now().getTime();
    const started = Object.keys(progress).length > 0;
    if (started && !channels.some((c) => !progress[c.config.name]?.state && (progress[c.config.name]?.nextMs ?? 0) <= t0)) return null;
    const request = await store.get(entry.requestId);
    const message = buildMessage(entry, event, request, config.consoleUrl, now());
    const recipients = recipientsOf(event, request, options.directory);
    // An e-mail channel with nobody to write to has nothing to do for this event.
    const wanted = channels.filter((c) => channelWants(c.config, message) && (c.config.type !== 'email' || recipients.length > 0));
    const t = now().getTime();
    const due = wanted.filter((c) => {
      const p = progress[c.config.name];
      return !p?.state && (p?.nextMs ?? 0) <= t;
    });
    const settledAlready = wanted.every((c) => progress[c.config.name]?.state);
    if (due.length === 0 && !settledAlready) return null;

    const deadLetters: DeadLetter[] = [];
    await Promise.all(
      due.map(async (channel) => {
        const name = channel.config.name;
        // A copy to fill in (Object.assign, not a spread: docs/operations.md, "an object spread").
        const p: EventProgress[string] = Object.assign({ attempts: 0 }, progress[name]);
        try {
          await channel.deliver(message, recipients, delivery.timeoutMs);
          p.attempts += 1;
          p.state = 'delivered';
          delete p.nextMs;
          delete p.lastError;
          options.deliveries?.inc({ channel: name, outcome: 'delivered' });
        } catch (error) {
          p.attempts += 1;
          p.lastError = (error as Error).message.slice(0, 500);
          if (p.attempts >= delivery.maxAttempts) {
            p.state = 'dead';
            delete p.nextMs;
            deadLetters.push({ eventId: entry.id, channel: name, requestId: entry.requestId, event: event.name, attempts: p.attempts, lastError: p.lastError, at: entry.at, deadAt: now().toISOString() });
            options.deliveries?.inc({ channel: name, outcome: 'dead' });
            logger?.error({ channel: name, eventId: entry.id, requestId: entry.requestId, attempts: p.attempts, reason: p.lastError }, 'notification given up: moved to the dead-letter list');
          } else {
            p.nextMs = now().getTime() + backoffMs(p.attempts, delivery.backoffMs, delivery.maxBackoffMs);
            options.deliveries?.inc({ channel: name, outcome: 'retried' });
            logger?.warn({ channel: name, eventId: entry.id, requestId: entry.requestId, attempts: p.attempts, reason: p.lastError }, 'notification not delivered; will retry');
          }
        }
        progress[name] = p;
      }),
    );
    // Channels that do not want the event are marked, so a poll can tell from the progress alone that nothing is due.
    for (const c of channels) if (!wanted.includes(c)) progress[c.config.name] = { attempts: 0, state: 'skipped' };
    const settlement = { id: entry.id, progress, settled: wanted.every((c) => progress[c.config.name]?.state), deadLetters };
    if (due.length === 0) return settlement;
    await outbox.settle([settlement]);
    return null;
  };

  /**
   * One poll; true when it read a full page of new events (more are likely waiting). A follow-up
   * poll (`newOnly`, right after a full page) reads only new events: retries are due by the clock,
   * and re-reading the pending ones on every page would cost a backlog its square.
   */
  const poll = async (newOnly: boolean): Promise<boolean> => {
    const entries = new Map<string, OutboxEntry>();
    if (!newOnly) {
      const t = now();
      if (t.getTime() - lastWarningScan >= config.expiryWarning.intervalMs) {
        lastWarningScan = t.getTime();
        const warned = await outbox.warnExpiring(t, options.retention, config.expiryWarning.beforeMs);
        if (warned > 0) logger?.info({ warned }, 'expiry warnings queued');
      }
      for (const e of await outbox.claimIdle(delivery.claimIdleMs)) entries.set(e.id, e);
      // Own pending entries, page by page (ids ascending), then the new ones.
      let after = '0';
      for (let page = 0; page < 10; page++) {
        const pending = await outbox.readOwnPending(after);
        for (const e of pending) entries.set(e.id, e);
        if (pending.length === 0) break;
        after = pending[pending.length - 1]!.id;
      }
    }
    const fresh = await outbox.readNew();
    for (const e of fresh) entries.set(e.id, e);
    if (entries.size === 0) return false;
    const progress = await outbox.progress([...entries.keys()]);
    // Each request's events in order (a receiver sees created before approved); requests side by side.
    const byRequest = new Map<string, OutboxEntry[]>();
    for (const entry of entries.values()) {
      const events = byRequest.get(entry.requestId);
      if (events) events.push(entry);
      else byRequest.set(entry.requestId, [entry]);
    }
    const settlements: Settlement[] = [];
    await inParallel([...byRequest.values()], delivery.concurrency, async (events) => {
      for (const entry of events) {
        if (stopped) return;
        try {
          const settlement = await handle(entry, progress.get(entry.id) ?? {});
          if (settlement) settlements.push(settlement);
        } catch (error) {
          // One event's failure (its request unreadable, Redis gone mid-way) leaves it pending for the next poll.
          logger?.warn({ eventId: entry.id, error: (error as Error).message }, 'notification round failed; retrying at the next poll');
        }
      }
    });
    // Unsettled, these stay pending and are read again at the next poll (nothing was sent for them).
    for (let i = 0; i < settlements.length; i += OUTBOX_PAGE) await outbox.settle(settlements.slice(i, i + OUTBOX_PAGE));
    return fresh.length >= OUTBOX_PAGE;
  };

  const loop = (newOnly = false): void => {
    if (stopped) return;
    current = poll(newOnly)
      .catch((error: unknown) => {
        logger?.warn({ error: (error as Error).message }, 'notification poll failed; retrying at the next poll');
        return false;
      })
      .then((more) => {
        if (stopped) return;
        timer = setTimeout(() => loop(more), more ? 0 : delivery.pollIntervalMs);
        timer.unref();
      });
  };
  loop();

  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await current;
      for (const channel of channels) channel.close?.();
    },
  };
}

/** Runs `work` on every item, at most `limit` at a time. */
async function inParallel<T>(items: T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < items.length) await work(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
}
