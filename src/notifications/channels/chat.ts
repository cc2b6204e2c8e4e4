/**
 * Slack and Microsoft Teams incoming webhooks: a readable message with who, what object, the
 * justification and a link to the request in the console. The incoming-webhook URL is itself
 * the credential (notifications-config.ts reads it from a file or the environment).
 *
 * User text (justification, notes, paths) is escaped for each format: Slack's mrkdwn treats
 * `<`, `>` and `&` as control characters (a justification could otherwise write a link or an
 * @channel mention); Teams' Adaptive Cards render markdown, so its control characters are escaped.
 */
import type { ChannelConfig } from '../notifications-config';
import type { NotificationMessage } from '../message';
import { postJson, type Channel } from './channel';

type ChatConfig = Extract<ChannelConfig, { type: 'slack' | 'teams' }>;

/** Slack mrkdwn: &, < and > are the only characters to escape (api.slack.com "Escaping text"). */
export function slackEscape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Adaptive Card TextBlock markdown: a backslash before each character markdown gives meaning to. */
export function teamsEscape(text: string): string {
  return text.replace(/[\\`*_{}[\]()#+\-.!|<>~]/g, (c) => `\\${c}`);
}

/** Slack: a plain-text fallback (`text`, shown in notifications) and blocks for the channel. */
export function slackBody(message: NotificationMessage): unknown {
  const fields = message.facts.map((f) => ({ type: 'mrkdwn', text: `*${slackEscape(f.label)}*\n${slackEscape(f.value)}` }));
  const blocks: unknown[] = [
    { type: 'section', text: { type: 'mrkdwn', text: `*${slackEscape(message.title)}*` } },
    // Slack allows at most 10 fields per section.
    ...chunk(fields, 10).map((part) => ({ type: 'section', fields: part })),
  ];
  if (message.link) {
    blocks.push({ type: 'actions', elements: [{ type: 'button', text: { type: 'plain_text', text: 'Open in Countersign' }, url: message.link }] });
  }
  return { text: message.title, blocks };
}

/** Teams: an Adaptive Card in the message envelope Teams' incoming webhooks and Workflows accept. */
export function teamsBody(message: NotificationMessage): unknown {
  const content: Record<string, unknown> = {
    $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
    type: 'AdaptiveCard',
    version: '1.4',
    body: [
      { type: 'TextBlock', text: teamsEscape(message.title), weight: 'Bolder', wrap: true },
      { type: 'FactSet', facts: message.facts.map((f) => ({ title: teamsEscape(f.label), value: teamsEscape(f.value) })) },
    ],
  };
  if (message.link) content.actions = [{ type: 'Action.OpenUrl', title: 'Open in Countersign', url: message.link }];
  return { type: 'message', attachments: [{ contentType: 'application/vnd.microsoft.card.adaptive', contentUrl: null, content }] };
}

function chunk<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

export function chatChannel(config: ChatConfig): Channel {
  const render = config.type === 'slack' ? slackBody : teamsBody;
  return {
    config,
    async deliver(message, _recipients, timeoutMs) {
      await postJson(config.url, JSON.stringify(render(message)), {}, timeoutMs);
    },
  };
}
