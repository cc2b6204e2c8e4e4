/**
 * E-mail over SMTP with nodemailer: one message per event to its audience (the members of the
 * request's approver groups, or the requestor), at the addresses of the directory file
 * (src/identity/directory.ts). Plain text and a small HTML part with the same facts and the link.
 * An event whose audience has no address is skipped by the dispatcher, not retried.
 */
import nodemailer from 'nodemailer';
import type { ChannelConfig } from '../notifications-config';
import type { NotificationMessage } from '../message';
import { DeliveryError, type Channel } from './channel';

type EmailConfig = Extract<ChannelConfig, { type: 'email' }>;

function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

export function emailText(message: NotificationMessage): string {
  const lines = [message.title, '', ...message.facts.map((f) => `${f.label}: ${f.value}`)];
  if (message.link) lines.push('', `Open in Countersign: ${message.link}`);
  return `${lines.join('\n')}\n`;
}

function emailHtml(message: NotificationMessage): string {
  const rows = message.facts.map((f) => `<tr><th align="left" valign="top">${escapeHtml(f.label)}</th><td style="white-space:pre-wrap">${escapeHtml(f.value)}</td></tr>`).join('');
  const link = message.link ? `<p><a href="${escapeHtml(message.link)}">Open in Countersign</a></p>` : '';
  return `<p><strong>${escapeHtml(message.title)}</strong></p><table>${rows}</table>${link}`;
}

export function emailChannel(config: EmailConfig, timeoutMs: number): Channel {
  const transport = nodemailer.createTransport({
    host: config.smtp.host,
    port: config.smtp.port,
    secure: config.smtp.secure,
    ...(config.smtp.user ? { auth: { user: config.smtp.user, pass: config.smtp.password ?? '' } } : {}),
    connectionTimeout: timeoutMs,
    greetingTimeout: timeoutMs,
    socketTimeout: timeoutMs,
  });
  return {
    config,
    async deliver(message, recipients) {
      if (recipients.length === 0) return;
      try {
        const info = await transport.sendMail({
          from: config.from,
          to: [...recipients],
          // A line break in a subject would start a header; titles have none, but user text feeds them.
          subject: `[Countersign] ${message.title.replace(/[\r\n]+/g, ' ')}`,
          text: emailText(message),
          html: emailHtml(message),
          headers: { 'X-Countersign-Event': message.payload.type, 'X-Countersign-Request': message.entry.requestId },
          messageId: `<${message.id}.${message.entry.requestId}@countersign>`,
        });
        if (info.accepted.length === 0) throw new DeliveryError(`the SMTP server accepted none of ${recipients.length} recipients`);
      } catch (error) {
        if (error instanceof DeliveryError) throw error;
        const e = error as { code?: string; responseCode?: number; message?: string };
        throw new DeliveryError(`SMTP: ${e.code ?? 'error'}${e.responseCode ? ` ${e.responseCode}` : ''}`);
      }
    },
    close() {
      transport.close();
    },
  };
}
