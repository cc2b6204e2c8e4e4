/**
 * A small fake upstream management API for one test: a real HTTP server on 127.0.0.1 that
 * records every call it receives (method, raw URL, headers, exact body bytes), so tests count
 * what reached the upstream at the upstream. By default it answers 200 with a JSON echo;
 * `respond` replaces the answer.
 *
 * The gateway's own reads of an object (its snapshot at park and its re-read at complete, marked
 * `X-MAA-Read: snapshot`) are kept apart in `snapshotReads` and answered by `respondToSnapshot`
 * (default: 200 with a fixed JSON object and no ETag), so `calls` counts what clients caused.
 */
import http from 'node:http';
import { createHash } from 'node:crypto';
import type { AddressInfo } from 'node:net';

export interface ReceivedCall {
  method: string;
  /** The raw request target as received. */
  url: string;
  headers: http.IncomingHttpHeaders;
  rawHeaders: string[];
  body: Buffer;
}

export type Responder = (call: ReceivedCall, res: http.ServerResponse) => void | Promise<void>;

export class TestUpstream {
  readonly calls: ReceivedCall[] = [];
  readonly snapshotReads: ReceivedCall[] = [];
  respond: Responder = defaultResponder;
  respondToSnapshot: Responder = defaultSnapshotResponder;
  private server?: http.Server;
  port = 0;

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Calls whose method is not GET/HEAD/OPTIONS. */
  get mutations(): ReceivedCall[] {
    return this.calls.filter((c) => !['GET', 'HEAD', 'OPTIONS'].includes(c.method));
  }

  /** Starts on a free port, or on `port` again after stop() (to bring a "down" upstream back). */
  async start(port = this.port): Promise<this> {
    const server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const call: ReceivedCall = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, rawHeaders: req.rawHeaders, body: Buffer.concat(chunks) };
        const snapshot = req.headers['x-maa-read'] === 'snapshot';
        (snapshot ? this.snapshotReads : this.calls).push(call);
        void Promise.resolve((snapshot ? this.respondToSnapshot : this.respond)(call, res)).catch(() => res.destroy());
      });
    });
    server.keepAliveTimeout = 1000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
    return this;
  }

  /** Stops listening and drops every connection (a crashed upstream). */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

function defaultResponder(call: ReceivedCall, res: http.ServerResponse): void {
  const payload = JSON.stringify({ method: call.method, url: call.url, bodySha256: createHash('sha256').update(call.body).digest('hex'), bodySize: call.body.length });
  res.writeHead(200, { 'content-type': 'application/json', 'x-upstream': 'yes' });
  res.end(payload);
}

function defaultSnapshotResponder(call: ReceivedCall, res: http.ServerResponse): void {
  const payload = JSON.stringify({ id: call.url.split('/').pop(), displayName: 'As it is upstream' });
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(payload);
}

export async function startUpstream(): Promise<TestUpstream> {
  return new TestUpstream().start(0);
}
