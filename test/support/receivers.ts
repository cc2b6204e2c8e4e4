/**
 * Real notification receivers on loopback for tests: an HTTP receiver that verifies Standard
 * Webhooks signatures with the `standardwebhooks` library (as a customer's receiver would) and
 * counts what it acknowledged, and an SMTP server (`smtp-server`) that keeps every mail.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { Webhook } from 'standardwebhooks';

export interface ReceivedPost {
  headers: http.IncomingHttpHeaders;
  body: string;
  /** The JSON body. */
  json: unknown;
  /** With a secret: whether the signature verified. */
  verified?: boolean;
  /** The status this receiver answered. */
  answered: number;
}

export class HttpReceiver {
  /** Every POST received, in order, whatever was answered. */
  readonly posts: ReceivedPost[] = [];
  /** Answers 500 to this many posts first (a receiver that is down, then recovers). */
  failFirst = 0;
  /** Answers 500 to every post while true. */
  down = false;
  private server?: http.Server;
  private verifier?: Webhook;
  port = 0;

  constructor(secret?: string) {
    if (secret) this.verifier = new Webhook(secret);
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/hook`;
  }

  /** The posts it answered 2xx: what the sender may count as delivered. */
  get acknowledged(): ReceivedPost[] {
    return this.posts.filter((p) => p.answered >= 200 && p.answered < 300);
  }

  async start(port = this.port): Promise<this> {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        let verified: boolean | undefined;
        if (this.verifier) {
          try {
            this.verifier.verify(body, req.headers as Record<string, string>);
            verified = true;
          } catch {
            verified = false;
          }
        }
        const failing = this.down || this.posts.length < this.failFirst || verified === false;
        const answered = failing ? (verified === false ? 401 : 500) : 200;
        let json: unknown;
        try {
          json = JSON.parse(body);
        } catch {
          json = undefined;
        }
        this.posts.push({ headers: req.headers, body, json, ...(verified === undefined ? {} : { verified }), answered });
        res.writeHead(answered, { 'content-type': 'text/plain' }).end(failing ? 'no' : 'ok');
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(port, '127.0.0.1', () => resolve()));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

export async function startHttpReceiver(secret?: string): Promise<HttpReceiver> {
  return new HttpReceiver(secret).start();
}

export interface ReceivedMail {
  from: string;
  to: string[];
  /** The raw message, with quoted-printable soft breaks and escapes undone (enough to search its text). */
  text: string;
  subject: string;
}

export class SmtpReceiver {
  readonly mails: ReceivedMail[] = [];
  private server?: SMTPServer;
  port = 0;

  async start(): Promise<this> {
    this.server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS', 'AUTH'],
      logger: false,
      onData: (stream, session, callback) => {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          const raw = Buffer.concat(chunks).toString('utf8');
          const text = raw.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16)));
          const subject = /^Subject: (.*(?:\r?\n[ \t].*)*)/m.exec(raw)?.[1]?.replace(/\r?\n[ \t]/g, ' ') ?? '';
          this.mails.push({
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
            to: session.envelope.rcptTo.map((r) => r.address).sort(),
            text,
            subject,
          });
          callback();
        });
      },
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', () => resolve()));
    this.port = (this.server.server.address() as AddressInfo).port;
    return this;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

export async function startSmtpReceiver(): Promise<SmtpReceiver> {
  return new SmtpReceiver().start();
}

/** Waits until `check` holds, polling; fails with `what` after `ms` (a bound for a broken test, not a timing claim). */
export async function until(check: () => boolean | Promise<boolean>, what: string, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`timed out waiting for ${what}`);
}
