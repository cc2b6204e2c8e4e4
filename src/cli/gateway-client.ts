/**
 * The CLI's HTTP client of the approval API: one place that knows the base URL, the bearer token,
 * the timeout and how a failed call maps to an exit code (docs/cli.md).
 */
import { clean } from './format';

/** Exit codes that scripts rely on; docs/cli.md documents them and a test checks they match. */
export const ExitCode = {
  ok: 0,
  /** The gateway refused the call (4xx): not allowed, not found, wrong state, bad input. */
  refused: 1,
  /** The command line was wrong; nothing was sent. */
  usage: 2,
  /** The gateway could not be reached, timed out or answered 5xx. */
  unavailable: 3,
  /** complete reached the upstream and the upstream refused the change: the request is failed. */
  upstreamRefused: 4,
  /** audit verify or evidence verify: the audit chain or the evidence file does not verify. */
  unverified: 5,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** The CLI refuses an answer larger than this rather than hold it all in memory. */
const ANSWER_LIMIT_BYTES = 8 * 1024 * 1024;
const DEFAULT_TIMEOUT_MS = 30_000;

export class CliError extends Error {
  constructor(readonly exitCode: ExitCode, message: string, readonly details?: unknown) {
    super(message);
    this.name = 'CliError';
  }
}

export interface GatewayAnswer {
  status: number;
  headers: Headers;
  /** The body as text ('' when none). */
  text: string;
  /** The body parsed as JSON when it is JSON, else undefined. */
  json: unknown;
}

export interface ClientOptions {
  /** Gateway base URL, e.g. http://localhost:8080 */
  url: string;
  token: string;
  /** API prefix, default /maa/v1 */
  prefix?: string;
  timeoutMs?: number;
  /** The largest answer read (default 8 MiB); an evidence file of a large body needs more. */
  maxBytes?: number;
}

/** The refusal shape of docs/api.md. */
export interface ApiError {
  code: string;
  message: string;
  reasons?: string[];
  requestId?: string;
  status?: string;
}

export function apiError(json: unknown): ApiError | undefined {
  if (typeof json !== 'object' || json === null) return undefined;
  const error = (json as { error?: unknown }).error;
  if (typeof error !== 'object' || error === null) return undefined;
  const { code, message } = error as { code?: unknown; message?: unknown };
  if (typeof code !== 'string' || typeof message !== 'string') return undefined;
  return error as ApiError;
}

async function readLimited(response: Response, limit = ANSWER_LIMIT_BYTES): Promise<string> {
  if (!response.body) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.length;
    if (size > limit) {
      await reader.cancel();
      throw new CliError(ExitCode.unavailable, `the gateway's answer is larger than ${limit} bytes`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * Calls the approval API. Never throws for an HTTP status: the caller decides what a status means.
 * Throws CliError(unavailable) when the gateway cannot be reached or times out.
 *
 * @example
 * const answer = await callApi({ url: 'http://localhost:8080', token: 'demo-bob' }, 'GET', '/requests?view=received');
 */
export async function callApi(options: ClientOptions, method: string, path: string, body?: unknown): Promise<GatewayAnswer> {
  const base = options.url.replace(/\/+$/, '');
  const prefix = (options.prefix ?? '/maa/v1').replace(/\/+$/, '');
  const target = `${base}${prefix}${path}`;
  const headers: Record<string, string> = { authorization: `Bearer ${options.token}`, accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  let response: Response;
  try {
    response = await fetch(target, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      redirect: 'manual',
      signal: AbortSignal.timeout(options.timeoutMs ?? DEFAULT_TIMEOUT_MS),
    });
  } catch (error) {
    const cause = error instanceof Error && error.cause instanceof Error ? error.cause.message : error instanceof Error ? error.message : String(error);
    throw new CliError(ExitCode.unavailable, `cannot reach the gateway at ${base}: ${cause}`);
  }
  const text = await readLimited(response, options.maxBytes);
  let json: unknown;
  if ((response.headers.get('content-type') ?? '').includes('json') && text.length > 0) {
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
  }
  return { status: response.status, headers: response.headers, text, json };
}

/** Turns a non-2xx answer of the approval API into a CliError with the right exit code. */
export function refusal(answer: GatewayAnswer): CliError {
  const error = apiError(answer.json);
  const what = error ? `${error.code}: ${error.message}` : `HTTP ${answer.status}`;
  // The gateway often says its reasons in the message too: each is printed once.
  const unsaid = (error?.reasons ?? []).filter((reason) => !error!.message.includes(reason));
  const reasons = unsaid.length ? ` (${unsaid.join('; ')})` : '';
  const holder = error?.requestId ? ` [request ${error.requestId}]` : '';
  const code = answer.status >= 500 ? ExitCode.unavailable : ExitCode.refused;
  // The message and reasons can quote other people's input (group names, ids): cleaned like any such text.
  return new CliError(code, `${answer.status >= 500 ? 'gateway error' : 'refused'}: ${clean(`${what}${reasons}${holder}`)}`, answer.json ?? answer.text);
}
