/**
 * Fetches a policy bundle over HTTP(S) as OPA's bundle service protocol does: a plain GET, with
 * `If-None-Match` carrying the ETag of the bundle already held, so an unchanged bundle costs a
 * 304 and no download. Any static file server (or an OPA bundle server) serves it. The body is
 * bounded while it streams: a server cannot make the gateway hold more than `maxBytes`.
 */
import { PolicyUnavailableError, errorText } from './errors';

export type BundleFetch = { status: 'not-modified' } | { status: 'fetched'; bytes: Buffer; etag?: string };

/**
 * @example
 * const got = await fetchBundle({ url: 'https://bundles.example.com/countersign.tar.gz', etag, maxBytes: 16 << 20, timeoutMs: 10_000 });
 * if (got.status === 'fetched') load(got.bytes);
 */
export async function fetchBundle(options: { url: string; etag?: string; maxBytes: number; timeoutMs: number }): Promise<BundleFetch> {
  const { url, etag, maxBytes } = options;
  let response: Response;
  try {
    response = await fetch(url, {
      headers: { accept: 'application/gzip, application/octet-stream', ...(etag ? { 'if-none-match': etag } : {}) },
      redirect: 'error',
      signal: AbortSignal.timeout(options.timeoutMs),
    });
  } catch (error) {
    throw new PolicyUnavailableError(`the bundle server at ${url} did not answer: ${errorText((error as { cause?: unknown }).cause ?? error)}`);
  }
  if (response.status === 304) {
    await response.body?.cancel();
    return { status: 'not-modified' };
  }
  if (response.status !== 200) {
    await response.body?.cancel();
    throw new PolicyUnavailableError(`the bundle server at ${url} answered ${response.status} (a 200 with the bundle, or 304, was expected)`);
  }
  const declared = Number(response.headers.get('content-length') ?? NaN);
  if (declared > maxBytes) {
    await response.body?.cancel();
    throw new PolicyUnavailableError(`the bundle at ${url} is ${declared} bytes, more than the ${maxBytes} allowed`);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of (response.body ?? []) as unknown as AsyncIterable<Uint8Array>) {
      size += chunk.byteLength;
      if (size > maxBytes) throw new PolicyUnavailableError(`the bundle at ${url} is more than the ${maxBytes} bytes allowed`);
      chunks.push(Buffer.from(chunk));
    }
  } catch (error) {
    if (error instanceof PolicyUnavailableError) throw error;
    throw new PolicyUnavailableError(`the bundle download from ${url} broke off: ${errorText(error)}`);
  }
  const tag = response.headers.get('etag') ?? undefined;
  return { status: 'fetched', bytes: Buffer.concat(chunks), ...(tag ? { etag: tag } : {}) };
}
