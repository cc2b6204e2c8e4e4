/**
 * A notification channel: one configured destination (notifications-config.ts) that delivers a
 * message or throws DeliveryError with a reason. Channels keep no state between deliveries; the
 * dispatcher owns retries, backoff and dead letters, so each channel is only "send this once".
 */
import type { ChannelConfig } from '../notifications-config';
import type { NotificationMessage } from '../message';

/** A delivery that did not succeed; `reason` is logged and kept with the retry (never a secret). */
export class DeliveryError extends Error {
  override name = 'DeliveryError';
}

export interface Channel {
  readonly config: ChannelConfig;
  /**
   * Sends the message; resolves when the receiver accepted it. `recipients` are the e-mail
   * addresses of the event's audience (only the e-mail channel uses them).
   */
  deliver(message: NotificationMessage, recipients: readonly string[], timeoutMs: number): Promise<void>;
  close?(): void;
}

/** Whether a channel wants this event, by its `events` and `profileTypes` filters. */
export function channelWants(config: ChannelConfig, message: Pick<NotificationMessage, 'event' | 'request'>): boolean {
  if (config.events && !config.events.has(message.event.name as never)) return false;
  // A request removed before its event was delivered has no profile type: a filtered channel skips it.
  if (config.profileTypes && !(message.request && config.profileTypes.has(message.request.decision.profileType))) return false;
  return true;
}

/**
 * POSTs JSON with a timeout, following no redirects (a receiver that moved is a configuration to
 * fix, and a redirect could carry the signed body elsewhere); 2xx is delivered, anything else a
 * DeliveryError naming the status. The answer's body is read (bounded) and dropped.
 */
export async function postJson(url: string, body: string, headers: Record<string, string>, timeoutMs: number): Promise<void> {
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': 'countersign-notifications', ...headers },
      body,
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code;
    const reason = (error as Error).name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : (cause ?? (error as Error).message);
    throw new DeliveryError(`request failed: ${reason}`);
  }
  await response.body?.cancel().catch(() => undefined);
  if (response.status < 200 || response.status > 299) throw new DeliveryError(`receiver answered ${response.status}`);
}
