/**
 * The scheduler: every `requests.scheduleIntervalMs`, each gateway reads the scheduled replays that
 * are due and replays them through the one replay, claimed by claim-scheduled (the same lease as
 * complete). Every gateway on one Redis runs it; the claim is atomic, so each scheduled replay is
 * sent once, by whichever gateway claims it first, and the others are told NOT_SCHEDULED.
 *
 * A scheduled replay has no caller: it is sent without the requestor's Authorization (which the
 * gateway never stores), as the scheduler: with upstream.auth clientCredentials it carries the gateway's token;
 * When it answers 401 or 403, nothing was changed: the request stays approved (replay.ts, withoutCaller).
 */
import type { Logger } from 'pino';
import type { PolicyEngine } from '../policy/types';
import { TransitionError } from '../requests/errors';
import type { RequestStore } from '../requests/types';
import { outsideChangeWindow } from './change-window-gate';
import { errorSummary } from './logger';
import type { Replay } from './replay';

/** Who the audit stream names for scheduled replays. */
export const SCHEDULER_ACTOR = 'countersign:scheduler';
/** Due replays taken per tick; the rest wait for the next one. */
const BATCH = 20;

export interface SchedulerDeps {
  store: RequestStore;
  policy: PolicyEngine;
  replay: Replay;
  intervalMs: number;
  logger: Logger;
}

/**
 * Starts the loop; runs never overlap and a failed run is logged and tried again at the next tick.
 * The timer does not keep the process alive. `tick` runs one pass now (tests, shutdown-free).
 * @example const scheduler = startScheduler({ store, policy, replay, intervalMs: 5000, logger }); scheduler.stop();
 */
export function startScheduler(deps: SchedulerDeps): { stop(): void; tick(): Promise<void> } {
  const { store, policy, replay, logger } = deps;
  let running: Promise<void> | null = null;
  let stopped = false;

  const runOne = async (id: string): Promise<void> => {
    const request = await store.get(id);
    if (request === null) return;
    const now = new Date();
    const outside = request.scheduledFor && Date.parse(request.scheduledFor) <= now.getTime() ? outsideChangeWindow(policy, request, now, 'replayed') : null;
    if (outside) {
      // The calendar changed since it was scheduled: refuse, as complete would, and say so.
      await store.unschedule(id, SCHEDULER_ACTOR, now, true);
      logger.warn({ requestId: id, nextWindowStart: outside.details.nextWindowStart }, 'scheduled replay outside its change window: unscheduled, nothing was sent');
      return;
    }
    const result = await replay({
      id,
      actor: { userId: SCHEDULER_ACTOR, groups: [] },
      authorization: undefined,
      resend: false,
      claim: (leaseMs) => store.claimScheduled(id, SCHEDULER_ACTOR, leaseMs),
      withoutCaller: true,
    });
    logger.info({ requestId: id, requestStatus: result.requestStatus, upstreamStatus: result.upstream?.status }, 'scheduled replay');
  };

  const pass = async (): Promise<void> => {
    const ids = await store.dueScheduled(new Date(), BATCH);
    for (const id of ids) {
      if (stopped) return;
      try {
        await runOne(id);
      } catch (error) {
        // Another gateway claimed it (NOT_SCHEDULED), or it moved on: not this gateway's to send.
        if (error instanceof TransitionError) logger.debug({ requestId: id, code: error.code }, 'scheduled replay not claimed');
        else logger.warn({ requestId: id, err: errorSummary(error) }, 'scheduled replay failed; retrying at the next interval');
      }
    }
  };

  const tick = (): Promise<void> => {
    if (stopped) return Promise.resolve();
    if (!running) {
      running = pass()
        .catch((error: unknown) => logger.warn({ err: errorSummary(error) }, 'scheduler pass failed; retrying at the next interval'))
        .finally(() => {
          running = null;
        });
    }
    return running;
  };
  const timer = setInterval(() => void tick(), deps.intervalMs);
  timer.unref();
  return {
    stop() {
      stopped = true;
      clearInterval(timer);
    },
    tick,
  };
}
