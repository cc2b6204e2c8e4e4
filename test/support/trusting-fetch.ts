/**
 * A fetch dispatcher that trusts a test's self-signed certificate, for the Graph client tests.
 */
import assert from 'node:assert/strict';

/**
 * A fetch dispatcher that trusts `ca`. Node's fetch is undici's, and Node 20 does not let one import
 * undici's Agent without the undici package; the global dispatcher (made by the first fetch) is one,
 * so a second Agent of its class trusts the test's certificate without touching anything else.
 * @example const dispatcher = await trusting(cert); await fetch(url, { dispatcher } as RequestInit);
 */
export async function trusting(ca: string): Promise<unknown> {
  await fetch('http://127.0.0.1:1').catch(() => undefined);
  const global = (globalThis as Record<symbol, unknown>)[Symbol.for('undici.globalDispatcher.1')] as object | undefined;
  assert.ok(global, "Node's fetch has a global dispatcher");
  const Agent = global.constructor as new (options: unknown) => unknown;
  return new Agent({ connect: { ca } });
}
