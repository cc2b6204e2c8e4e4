/**
 * How a parked change is answered (`requests.parkedResponse`), and the approval code that lets
 * the requestor's client complete it by resending the identical call (docs/graph.md).
 *
 * Neither answer has the shape of the resource the client asked to change: a client that takes a
 * 2xx body for the object (the Graph SDK resolves its promise with it) must not find an `id` there
 * and use the request's id as the new object's. `approvalRequired` goes further and answers in the
 * upstream's own error shape, so SDKs throw, as Intune's Multi Admin Approval does for automation.
 */
import { hash, randomFillSync, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import type { GatewayConfig } from '../config/types';
import { REQUEST_ID_PATTERN } from '../limits';
import type { ApprovalRequest, RequestDecision } from '../requests/types';

/** The headers a client resends the call with: ours, and the one Intune's automation uses. */
const APPROVAL_CODE_HEADERS = ['x-maa-approval-code', 'x-msft-approval-code'] as const;

/** The secret half of an approval code `<request id>.<secret>`: 32 random bytes in base64url. */
const SECRET = /^[A-Za-z0-9_-]{43}$/;

/**
 * Random bytes for secrets, drawn from the CSPRNG 8 KiB at a time (as node's randomUUID does):
 * one draw per 256 parks instead of one per park, which showed in the park's profile. Each 32
 * bytes handed out are zeroed in the pool, so a secret lives only in its own copy.
 */
const randomPool = Buffer.alloc(8192);
let randomOffset = randomPool.length;

function random32(): Buffer {
  if (randomOffset + 32 > randomPool.length) {
    randomFillSync(randomPool);
    randomOffset = 0;
  }
  const bytes = Buffer.from(randomPool.subarray(randomOffset, randomOffset + 32));
  randomPool.fill(0, randomOffset, randomOffset + 32);
  randomOffset += 32;
  return bytes;
}

/**
 * A fresh approval code's secret (256 random bits) and the SHA-256 the store keeps of it.
 * @example const { secret, sha256 } = newApprovalSecret(); // code = `${requestId}.${secret}`
 */
export function newApprovalSecret(): { secret: string; sha256: string } {
  const secret = random32().toString('base64url');
  return { secret, sha256: sha256Hex(secret) };
}

function sha256Hex(text: string): string {
  return hash('sha256', text, 'hex');
}

/** The approval code a call carries; undefined when none, null when it is sent twice or differently. */
export function approvalCodeOf(headers: IncomingHttpHeaders): string | null | undefined {
  let code: string | undefined;
  for (const name of APPROVAL_CODE_HEADERS) {
    const value = headers[name];
    if (value === undefined) continue;
    if (Array.isArray(value) || (code !== undefined && code !== value.trim())) return null;
    code = value.trim();
  }
  return code;
}

/**
 * The request id an approval code names, when the code is well formed and its secret is the one
 * stored for that request; compared in constant time.
 */
export function requestIdOfCode(code: string): { id: string; secret: string } | null {
  // The id finds the request (the store's own id pattern), the secret proves the requestor's copy.
  const dot = code.lastIndexOf('.');
  const id = code.slice(0, dot);
  const secret = code.slice(dot + 1);
  return dot > 0 && REQUEST_ID_PATTERN.test(id) && SECRET.test(secret) ? { id, secret } : null;
}

export function codeMatches(request: ApprovalRequest, secret: string): boolean {
  const stored = request.approvalCodeSha256;
  if (stored === undefined) return false;
  return timingSafeEqual(Buffer.from(sha256Hex(secret), 'hex'), Buffer.from(stored, 'hex'));
}

/** From whom: the approver groups, or a staged request's stages in order. */
function whoApproves(decision: RequestDecision, groups: string): string {
  if (!decision.stages) return `from ${groups}`;
  return `in stages, in order: ${decision.stages.map((s) => `${s.name} (${s.requiredApprovals} from ${s.approverGroups.join(', ')})`).join(', then ')}`;
}

/**
 * Writes the answer to a parked (or resent but not yet approved) change.
 * @example answerParked(res, config, created, decision, `${created.id}.${secret}`);
 */
export function answerParked(res: ServerResponse, config: GatewayConfig, request: ApprovalRequest, decision: RequestDecision, approvalCode: string | undefined): void {
  const location = `${config.api.prefix}/requests/${encodeURIComponent(request.id)}`;
  const summary = {
    requestId: request.id,
    status: request.status,
    profileType: decision.profileType,
    operation: decision.operation,
    objectKey: decision.objectKey,
    requiredApprovals: decision.requiredApprovals,
    approverGroups: decision.approverGroups,
    ...(decision.stages ? { stages: decision.stages } : {}),
    bodySha256: request.call.bodySha256,
    location,
    ...(approvalCode ? { approvalCode } : {}),
  };
  let status: number;
  let payload: string;
  if (config.requests.parkedResponse === 'approvalRequired') {
    status = 403;
    const groups = decision.approverGroups.join(', ');
    payload = JSON.stringify({
      error: {
        code: 'ApprovalRequired',
        message:
          `This change needs ${decision.requiredApprovals === 1 ? 'an approval' : `${decision.requiredApprovals} approvals`} ${whoApproves(decision, groups)} (approval request ${request.id}). ` +
          'Once it is approved, send the identical request again with the header X-MAA-Approval-Code.',
        // `request-id` and `date` as Graph names them, so SDKs fill GraphError.requestId and .date.
        // Object.assign, not `{ ...summary, … }`: see docs/operations.md ("an object spread").
        innerError: Object.assign({}, summary, { 'request-id': request.id, date: new Date().toISOString() }),
      },
    });
  } else {
    status = 202;
    payload = JSON.stringify(summary);
  }
  res.writeHead(status, {
    location,
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(payload),
    'cache-control': 'no-store',
    'x-maa-request-id': request.id,
    'x-maa-request-status': request.status,
    ...(approvalCode ? { 'x-maa-approval-code': approvalCode } : {}),
  });
  res.end(payload);
}
