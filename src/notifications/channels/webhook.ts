/**
 * Generic webhooks, signed per Standard Webhooks (standardwebhooks.com) with the maintained
 * `standardwebhooks` library: headers `webhook-id` (the outbox entry id, the same on every retry,
 * for the receiver to dedupe), `webhook-timestamp` (Unix seconds of this attempt) and
 * `webhook-signature` (`v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.<body>">`). The body is the
 * payload documented in docs/notifications.md.
 */
import { Webhook } from 'standardwebhooks';
import type { ChannelConfig } from '../notifications-config';
import type { NotificationMessage } from '../message';
import { postJson, type Channel } from './channel';

type WebhookConfig = Extract<ChannelConfig, { type: 'webhook' }>;

export function webhookChannel(config: WebhookConfig): Channel {
  // The library takes the `whsec_` prefix or bare base64; it throws on a bad secret, which the config check refused already.
  const signer = new Webhook(config.secret);
  return {
    config,
    async deliver(message: NotificationMessage, _recipients, timeoutMs) {
      const body = JSON.stringify(message.payload);
      const at = new Date();
      const headers = {
        'webhook-id': message.id,
        'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
        'webhook-signature': signer.sign(message.id, at, body),
      };
      await postJson(config.url, body, headers, timeoutMs);
    },
  };
}
