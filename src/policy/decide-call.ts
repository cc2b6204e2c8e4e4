/**
 * The one decision of a call, used by the gateway, `countersign explain` and the benchmark, so
 * that what is explained, decided and forwarded is one reading (invariant 7):
 *
 *   normalise (normalize-call.ts) ─► decode the body (body-encoding.ts) ─► parse JSON once
 *   ─► policy decision ─► a JSON batch: every sub-request decided (batch.ts)
 *   ─► forward | park | refuse
 *
 * The gateway runs the same steps in two halves, because reads are routed before any body is
 * read and decoding may be asynchronous: `normalizeCall`, then `decodeBody`, then
 * `decideDecoded`. `decideCall` is the three in one, synchronously, for everything else.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { decideBatch, isBatchPath } from './batch';
import { decodeBodySync, isJsonContentType } from './body-encoding';
import { isMutation, normalizeCall, type NormalizeResult } from './normalize-call';
import type { Caller, CallInput, PolicyEngine, ProtectedDecision } from './types';

/** Codes of a refused call; each is an error code of docs/api.md (the gateway answers with it). */
export type RefusalCode =
  | 'UNSAFE_PATH'
  | 'BATCH_INVALID'
  | 'BATCH_NOT_ALLOWED'
  | 'POLICY_UNAVAILABLE'
  | 'UNSUPPORTED_CONTENT_ENCODING'
  | 'BODY_TOO_LARGE'
  | 'BODY_NOT_DECODABLE';

/** A normalised call: what the policy decides on, and the target that is forwarded. */
export type NormalizedCall = Extract<NormalizeResult, { ok: true }>;

export type CallVerdict =
  /** Not protected: forward `target` with `call.method`, and the body as received. */
  | { kind: 'forward'; call: Omit<CallInput, 'body'>; target: string; /** Which condition let a protected route's call pass. */ why?: string[] }
  /** Protected: park it; never forward it. */
  | { kind: 'park'; call: Omit<CallInput, 'body'>; target: string; decision: ProtectedDecision }
  | { kind: 'refuse'; code: RefusalCode; reason: string; subRequests?: string[]; error?: unknown };

export interface DecideOptions {
  /** Whether the upstream ignores letter case in paths (upstream.caseInsensitivePaths). */
  caseInsensitive: boolean;
}

/**
 * Decides a normalised mutation on its decoded body (the bytes the upstream will read).
 * Never throws: a policy failure is a refusal (POLICY_UNAVAILABLE), never a pass.
 * @example const verdict = decideDecoded(engine, normalized, decodedBody, req.headers, caller, { caseInsensitive: true });
 */
export function decideDecoded(
  engine: PolicyEngine,
  normalized: NormalizedCall,
  body: Buffer,
  headers: IncomingHttpHeaders,
  caller: Caller,
  options: DecideOptions,
): CallVerdict {
  const { call, target } = normalized;
  const batch = isBatchPath(call.path);
  try {
    // A batch's body is read by decideBatch from its bytes (a repeated key is only visible there),
    // so it is not parsed here too: every body is parsed once.
    let input: CallInput = call;
    if (!batch && body.length > 0 && isJsonContentType(headers['content-type'])) {
      try {
        // Object.assign, not `{ ...call, body }`: see docs/operations.md ("an object spread").
        input = Object.assign({}, call, { body: JSON.parse(body.toString('utf8')) as unknown });
      } catch {
        // Not JSON after all: decided without a body (the route alone may protect it).
      }
    }
    // A body the policy cannot read might still set fields upstream: a `when.bodyFields` condition
    // then holds (docs/policy.md "Conditions"), so an unreadable body never slips past it.
    if (!batch && body.length > 0 && input.body === undefined) input = Object.assign({}, call, { unreadableBody: true as const });
    const decision = engine.decide({ call: input, caller });
    if (decision.protected) return { kind: 'park', call, target, decision };

    // A JSON batch carries many calls in one body: judged as a whole it would pass as
    // unprotected, so every sub-request is decided as a call of its own.
    if (batch) {
      const verdict = decideBatch(engine, { body, headers, caller, caseInsensitive: options.caseInsensitive, batchPath: call.path });
      if (!verdict.ok) return { kind: 'refuse', code: verdict.code, reason: verdict.reason, ...(verdict.requestIds ? { subRequests: verdict.requestIds } : {}) };
    }
    return decision.why ? { kind: 'forward', call, target, why: decision.why } : { kind: 'forward', call, target };
  } catch (error) {
    return { kind: 'refuse', code: 'POLICY_UNAVAILABLE', reason: 'the policy could not decide; a protected change is refused, never passed', error };
  }
}

/**
 * Normalises, decodes and decides a whole call, synchronously: `countersign explain` and the
 * benchmark use it; the gateway runs the same steps around its body reading.
 * @example
 * decideCall(engine, { method: 'PATCH', url: '/deviceAppManagement/mobileApps/42', headers: {}, body: Buffer.alloc(0) },
 *            { userId: 'alice', groups: ['helpdesk'] }, { caseInsensitive: true, bodyLimitBytes: 10 * 1024 * 1024 });
 * // { kind: 'park', decision: { protected: true, profileType: 'apps', … }, … }
 */
export function decideCall(
  engine: PolicyEngine,
  raw: { method: string; url: string; headers: IncomingHttpHeaders; body: Buffer },
  caller: Caller,
  options: DecideOptions & { bodyLimitBytes: number },
): CallVerdict {
  const normalized = normalizeCall(raw, options);
  if (!normalized.ok) return { kind: 'refuse', code: 'UNSAFE_PATH', reason: normalized.reason };
  if (!isMutation(normalized.call.method)) return { kind: 'forward', call: normalized.call, target: normalized.target };
  const decoded = decodeBodySync(raw.body, raw.headers['content-encoding'], options.bodyLimitBytes);
  if (!decoded.ok) return { kind: 'refuse', code: decoded.code, reason: decoded.reason };
  return decideDecoded(engine, normalized, decoded.body, raw.headers, caller, options);
}
