/**
 * The one shared http-proxy-middleware instance every forwarded call goes through: reads
 * streamed untouched, and unprotected mutations whose body the gateway already buffered.
 * Built once at start, with a keep-alive agent, and used on node's own http server (no
 * Express on this path: Express's per-request work halves proxy throughput).
 */
import http from 'node:http';
import https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createProxyMiddleware, debugProxyErrorsPlugin, proxyEventsPlugin, type RequestHandler } from 'http-proxy-middleware';
import { ApiError, sendError } from '../errors';
import { createPublicLinks, LINK_REWRITE_LIMIT_BYTES, type PublicLinks } from './public-links';

/** The body of a mutation that was buffered to be decided on; set by the request path. */
const BUFFERED_BODY = Symbol('countersign.bufferedBody');

type WithBody = IncomingMessage & { [BUFFERED_BODY]?: Buffer };

/** Marks `req` as already read: the proxy writes `body` instead of piping the (ended) stream. */
export function setBufferedBody(req: IncomingMessage, body: Buffer): void {
  (req as WithBody)[BUFFERED_BODY] = body;
  // http-proxy emits proxyReq (where the body is written) only when the outgoing request has
  // no `Expect` header; the client's 100-continue was answered by node already, so drop it.
  // Only when present: a delete turns the headers object slow for the proxy's header copy.
  if (req.headers.expect !== undefined) delete req.headers.expect;
}

/**
 * A keep-alive agent for the upstream's scheme; shared by the proxy and the replay. Its socket
 * timeout is set once per socket (not re-armed per request, which costs on the hot path); the
 * proxy turns a socket timeout into 504, and idle pooled sockets that time out are closed.
 */
export function createUpstreamAgent(upstreamUrl: string, timeoutMs: number): http.Agent {
  const options = {
    keepAlive: true,
    timeout: timeoutMs,
    // Unlimited sockets on purpose: with a socket queue, http-proxy would end an already-read
    // request before its socket (and our proxyReq body write) arrives. See setBufferedBody.
    maxSockets: Infinity,
    maxFreeSockets: 256,
  };
  return new URL(upstreamUrl).protocol === 'https:' ? new https.Agent(options) : new http.Agent(options);
}

export interface ProxyOptions {
  target: string;
  /** From createUpstreamAgent: it carries the upstream timeout. */
  agent: http.Agent;
  /** Called once per upstream failure, for logs and metrics. */
  onUpstreamError?: (error: NodeJS.ErrnoException, req: IncomingMessage) => void;
  /**
   * `upstream.publicUrl`: links in answers that point at the upstream are rewritten to it
   * (public-links.ts). Absent: answers are piped by http-proxy untouched, as fast as ever.
   */
  publicUrl?: string;
}

/**
 * Creates the proxy. Calls are forwarded with their path, query, headers and body unchanged
 * (Host becomes the upstream's). An upstream that does not answer gets our documented error:
 * 504 UPSTREAM_UNAVAILABLE on a timeout, 502 otherwise.
 * @example const proxy = createProxy({ target: 'http://127.0.0.1:9000', agent: createUpstreamAgent('http://127.0.0.1:9000', 30000) }); proxy(req, res);
 */
export function createProxy(options: ProxyOptions): RequestHandler {
  const links = createPublicLinks(options.target, options.publicUrl);
  return createProxyMiddleware<IncomingMessage, ServerResponse>({
    target: options.target,
    changeOrigin: true,
    agent: options.agent,
    // Only with publicUrl do we write answers ourselves; without it http-proxy pipes them as before.
    selfHandleResponse: links !== null,
    // The default plugins include a logger that builds a URL per response; keep only the one
    // that guards sockets against crashes, and our own event handlers.
    ejectPlugins: true,
    plugins: [debugProxyErrorsPlugin, proxyEventsPlugin],
    on: {
      proxyReq(proxyReq, req) {
        // The agent's socket timeout fires 'timeout' here; destroying with ETIMEDOUT lets `error`
        // tell it from a reset (504, not 502).
        proxyReq.once('timeout', () => {
          proxyReq.destroy(Object.assign(new Error('the upstream timed out'), { code: 'ETIMEDOUT' }));
        });
        const body = (req as WithBody)[BUFFERED_BODY];
        // Order matters: this runs on the socket event, before the ended request's pipe calls end().
        if (body !== undefined && body.length > 0) proxyReq.write(body);
      },
      proxyRes(proxyRes: IncomingMessage, req: IncomingMessage, res: ServerResponse) {
        // Keep-Alive is hop-by-hop: it describes the upstream's connection to us, and relayed it
        // would make the client retire its connection to the gateway on the upstream's timeout.
        if (proxyRes.headers['keep-alive'] !== undefined) delete proxyRes.headers['keep-alive'];
        if (links !== null) relayWithPublicLinks(links, proxyRes, req, res);
      },
      error(error, req, res) {
        const err = error as NodeJS.ErrnoException;
        options.onUpstreamError?.(err, req);
        if (!('writeHead' in res)) {
          res.destroy();
          return;
        }
        const status = err.code === 'ETIMEDOUT' ? 504 : 502;
        sendError(res, new ApiError('UPSTREAM_UNAVAILABLE', {}, `the upstream did not answer (${err.code ?? 'error'})`, status));
      },
    },
  });
}

/**
 * Writes the upstream's answer with its links rewritten (selfHandleResponse). Headers are copied
 * as http-proxy's own web-outgoing passes copy them; a JSON body within the limit is read whole,
 * rewritten and sent with a new Content-Length; any other body is piped as it comes. Reading stops
 * at LINK_REWRITE_LIMIT_BYTES: a body that turns out larger is sent on unchanged, what was read
 * first and then the rest as it streams.
 */
function relayWithPublicLinks(links: PublicLinks, proxyRes: IncomingMessage, req: IncomingMessage, res: ServerResponse): void {
  const headers = links.rewriteHeaders({ ...proxyRes.headers });
  // As http-proxy's removeChunked and setConnection passes: framing follows the client's HTTP version.
  if (req.httpVersion === '1.0') {
    delete headers['transfer-encoding'];
    headers.connection = req.headers.connection ?? 'close';
  } else if (headers.connection === undefined) {
    headers.connection = req.headers.connection ?? 'keep-alive';
  }
  const writeHead = (): void => {
    res.statusCode = proxyRes.statusCode ?? 502;
    if (proxyRes.statusMessage) res.statusMessage = proxyRes.statusMessage;
    for (const [name, value] of Object.entries(headers)) if (value !== undefined) res.setHeader(name, value);
  };
  // A broken upstream body breaks the client's answer too, rather than ending it short and "complete".
  proxyRes.once('error', () => res.destroy());
  proxyRes.once('aborted', () => res.destroy());
  // A client that went away frees the upstream socket instead of leaving its answer unread.
  res.once('close', () => {
    if (!res.writableFinished) proxyRes.destroy();
  });

  const status = proxyRes.statusCode ?? 502;
  const hasBody = req.method !== 'HEAD' && status >= 200 && status !== 204 && status !== 304;
  if (!hasBody || !links.wantsBody(headers)) {
    writeHead();
    proxyRes.pipe(res);
    return;
  }

  const chunks: Buffer[] = [];
  let size = 0;
  const onData = (chunk: Buffer): void => {
    size += chunk.length;
    chunks.push(chunk);
    if (size <= LINK_REWRITE_LIMIT_BYTES) return;
    // Larger than the limit after all: stop reading whole and stream on unchanged.
    proxyRes.off('data', onData);
    proxyRes.off('end', onEnd);
    proxyRes.pause();
    writeHead();
    for (const buffered of chunks) res.write(buffered);
    chunks.length = 0;
    proxyRes.pipe(res);
  };
  const onEnd = (): void => {
    const body = Buffer.concat(chunks, size);
    const encoding = headers['content-encoding'];
    void links.rewriteBody(body, Array.isArray(encoding) ? encoding.join(',') : encoding).then((rewritten) => {
      if (res.destroyed) return;
      if (rewritten !== null) {
        delete headers['content-encoding'];
        delete headers['transfer-encoding'];
        headers['content-length'] = String(rewritten.length);
      }
      writeHead();
      res.end(rewritten ?? body);
    });
  };
  proxyRes.on('data', onData);
  proxyRes.on('end', onEnd);
}
