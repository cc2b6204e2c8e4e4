/**
 * Hand-written HTTP/1.1 for the security suite. curl, fetch and node's client clean up what an
 * attacker would not (dot segments, `//`, header case, framing), so attacks are written as bytes
 * and sent on a plain TCP socket; the answers are parsed back from the bytes received.
 */
import net from 'node:net';

export type HeaderList = [name: string, value: string][];

export interface RawRequestOptions {
  headers?: HeaderList;
  body?: Buffer | string;
  /** Adds `Content-Length: <body length>` (default true; false when framing is part of the attack). */
  contentLength?: boolean;
  /** Adds `Connection: close` (default true; false for all but the last request of a pipeline). */
  close?: boolean;
  /** The Authorization value; default alice's test token; null for none. */
  authorization?: string | null;
  /** The HTTP version of the request line (default HTTP/1.1). */
  version?: string;
}

export const ALICE = 'Bearer test-token-alice';

/**
 * One request as bytes: request line, Host, Authorization, the given headers, framing, body.
 * @example rawRequest('PATCH', '/deviceAppManagement//mobileApps/42', { body: '{}', headers: [['Content-Type', 'application/json']] })
 */
export function rawRequest(method: string, target: string, options: RawRequestOptions = {}): Buffer {
  const body = options.body === undefined ? Buffer.alloc(0) : Buffer.isBuffer(options.body) ? options.body : Buffer.from(options.body, 'utf8');
  const lines = [`${method} ${target} ${options.version ?? 'HTTP/1.1'}`, 'Host: gateway.test'];
  const authorization = options.authorization === undefined ? ALICE : options.authorization;
  if (authorization !== null) lines.push(`Authorization: ${authorization}`);
  for (const [name, value] of options.headers ?? []) lines.push(`${name}: ${value}`);
  if (options.contentLength !== false) lines.push(`Content-Length: ${body.length}`);
  if (options.close !== false) lines.push('Connection: close');
  return Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1'), body]);
}

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export interface Exchange {
  responses: RawResponse[];
  /** Everything the gateway sent back, for failure messages. */
  raw: string;
  /** Whether the gateway closed the connection (false: we gave up waiting). */
  closedByServer: boolean;
}

/**
 * Writes `bytes` (several buffers: written back to back, one packet where the OS allows) and
 * collects the answer until the gateway closes the connection or `waitMs` passes.
 * @example const { responses } = await exchange(port, rawRequest('GET', '/users'));
 */
export function exchange(port: number, bytes: Buffer | Buffer[], options: { waitMs?: number; halfClose?: boolean } = {}): Promise<Exchange> {
  const waitMs = options.waitMs ?? 2000;
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    const chunks: Buffer[] = [];
    let closedByServer = false;
    let settled = false;
    const done = (): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      const raw = Buffer.concat(chunks);
      resolve({ responses: parseResponses(raw), raw: raw.toString('latin1').slice(0, 2000), closedByServer });
    };
    const timer = setTimeout(done, waitMs);
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('end', () => {
      closedByServer = true;
      done();
    });
    socket.on('close', () => {
      closedByServer = true;
      done();
    });
    socket.on('error', () => done());
    socket.on('connect', () => {
      socket.setNoDelay(true);
      // write, not end: a half-closed client makes node abort requests still in progress; only a
      // body read until the connection closes (HTTP/1.0) needs the half-close to end.
      const all = Buffer.concat(Array.isArray(bytes) ? bytes : [bytes]);
      if (options.halfClose) socket.end(all);
      else socket.write(all);
    });
  });
}

/**
 * Parses back-to-back HTTP/1.1 responses; interim (1xx) answers are skipped, a truncated one ends the list.
 * @example parseResponses(Buffer.from('HTTP/1.1 202 Accepted\r\ncontent-length: 2\r\n\r\n{}')); // [{ status: 202, headers: {…}, body: '{}' }]
 */
export function parseResponses(raw: Buffer): RawResponse[] {
  const out: RawResponse[] = [];
  let at = 0;
  while (at < raw.length) {
    const end = raw.indexOf('\r\n\r\n', at);
    if (end < 0) break;
    const head = raw.subarray(at, end).toString('latin1').split('\r\n');
    const match = /^HTTP\/1\.[01] (\d{3})/.exec(head[0] ?? '');
    if (!match) break;
    const status = Number(match[1]);
    const headers: Record<string, string> = {};
    for (const line of head.slice(1)) {
      const colon = line.indexOf(':');
      if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    at = end + 4;
    if (status >= 100 && status < 200) continue;
    let body: Buffer;
    // 204 and 304 have no body whatever their headers say.
    if (status === 204 || status === 304) body = Buffer.alloc(0);
    else if (headers['transfer-encoding']?.toLowerCase().includes('chunked')) {
      const parts: Buffer[] = [];
      for (;;) {
        const lineEnd = raw.indexOf('\r\n', at);
        if (lineEnd < 0) break;
        const size = parseInt(raw.subarray(at, lineEnd).toString('latin1'), 16);
        at = lineEnd + 2;
        if (!Number.isFinite(size) || size === 0) {
          at = raw.indexOf('\r\n', at) + 2 || raw.length;
          break;
        }
        parts.push(raw.subarray(at, at + size));
        at += size + 2;
      }
      body = Buffer.concat(parts);
    } else if (headers['content-length'] !== undefined) {
      const length = Number(headers['content-length']);
      body = raw.subarray(at, at + length);
      at += length;
    } else {
      body = raw.subarray(at);
      at = raw.length;
    }
    out.push({ status, headers, body: body.toString('utf8') });
  }
  return out;
}
