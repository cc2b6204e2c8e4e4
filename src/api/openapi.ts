/**
 * The OpenAPI 3.1 description of the approval API (docs/api.md), served at `${prefix}/openapi.json`.
 * Schemas are JSON Schema 2020-12, as OpenAPI 3.1 uses it. test/api/openapi.test.ts checks the
 * document's structure and that it names every route the gateway's app serves, and no other.
 *
 * Paths are relative to the server URL `/maa/v1` (the default `api.prefix`); `openApiDocumentFor`
 * gives the same document for another prefix.
 */

import { REQUEST_STATUSES } from '../requests/statuses';
import { errorRegistry } from '../errors';
import { LIMITS } from '../limits';

/**
 * What a request id can look like: the store makes random UUIDs, so anything else cannot name a
 * request. The API refuses other ids with 404 before asking Redis, and the CLI before sending.
 */
// one pattern: see src/limits.ts
export const REQUEST_ID_PATTERN = '^[A-Za-z0-9-]{1,64}$';

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const errorResponse = (description: string) => ({
  description,
  content: { 'application/json': { schema: ref('Error') } },
});
const requestResponse = (description: string) => ({
  description,
  content: { 'application/json': { schema: ref('Request') } },
});
const standardErrors = {
  '401': { $ref: '#/components/responses/Unauthenticated' },
  '503': { $ref: '#/components/responses/Unavailable' },
};
const idParameter = { $ref: '#/components/parameters/RequestId' };
const noFields = { required: false, content: { 'application/json': { schema: ref('NoFields') } } };
const isoTime = { type: 'string', format: 'date-time' };
const statusSchema = ref('RequestStatus');
const verdict = {
  type: 'object',
  required: ['userId', 'at', 'notes'],
  properties: {
    userId: { type: 'string' },
    at: isoTime,
    notes: { type: 'string' },
    stage: { type: 'string', description: 'A staged request: the stage the verdict was given in.' },
  },
};

const schemas = {
  Error: {
    type: 'object',
    description: 'Every refusal has this one shape.',
    required: ['error'],
    properties: {
      error: {
        type: 'object',
        required: ['code', 'message'],
        properties: {
          code: { type: 'string', enum: Object.keys(errorRegistry), description: 'A documented, stable code (src/errors.ts).' },
          message: { type: 'string' },
          reasons: { type: 'array', items: { type: 'string' }, description: 'Policy reasons, when a policy refused.' },
          requestId: { type: 'string', description: 'The open request that holds the object (OBJECT_LOCKED).' },
          status: { ...statusSchema, description: "The request's current status (409)." },
          fields: { type: 'array', items: { type: 'string' }, description: 'Which fields failed validation (422).' },
          subRequests: { type: 'array', items: { type: 'string' }, description: "The ids of a JSON batch's sub-requests that carry protected changes (BATCH_NOT_ALLOWED)." },
          nextWindowStart: { ...isoTime, description: 'OUTSIDE_CHANGE_WINDOW: when the next change window of the request opens; absent when none opens in the next 8 days.' },
        },
      },
      diff: { ...ref('ChangeDiff'), description: 'STALE_OBJECT only: the parked call against the object as it is upstream now.' },
    },
  },
  Snapshot: {
    type: 'object',
    description: 'What the gateway read of the object when the call was parked (or, in a STALE_OBJECT answer, when complete read it again).',
    required: ['state'],
    properties: {
      state: {
        type: 'string',
        enum: ['captured', 'failed', 'none', 'tooLarge'],
        description: 'captured: read and kept; failed: the read failed (recorded, the call was parked anyway); none: nothing to read (a create or an action); tooLarge: larger than requests.snapshotLimitBytes, compared by its ETag only.',
      },
      at: isoTime,
      path: { type: 'string', description: 'The path that was read: the object\'s, or its assignments collection for an assign (on the request only).' },
      etag: { type: 'string', description: "The upstream's ETag, when it sent one." },
      sha256: { type: 'string', pattern: '^[0-9a-f]{64}$' },
      bytes: { type: 'integer', minimum: 0 },
      error: { type: 'string', description: 'failed, tooLarge, none: why.' },
    },
  },
  FieldChange: {
    type: 'object',
    required: ['path', 'kind'],
    properties: {
      path: { type: 'string', description: 'JSON Pointer (RFC 6901) into the object.', examples: ['/displayName'] },
      kind: { type: 'string', enum: ['added', 'removed', 'changed'] },
      before: { description: 'The value in the snapshot (changed, removed).' },
      after: { description: 'The value the call leaves (changed, added).' },
      encoding: { type: 'string', enum: ['base64'], description: 'The field holds base64 of text (scriptContent, detectionScriptContent, remediationScriptContent): `text` has it decoded.' },
      text: {
        type: 'object',
        required: ['lines'],
        properties: {
          before: { type: 'string' },
          after: { type: 'string' },
          lines: {
            type: 'array',
            items: { type: 'object', required: ['op', 'text'], properties: { op: { type: 'string', enum: [' ', '-', '+'] }, text: { type: 'string' } } },
          },
        },
      },
    },
  },
  ChangeDiff: {
    type: 'object',
    description:
      'What the parked call changes in the object: PATCH = the JSON merge-patch applied to the snapshot, against it; PUT = the replacement against it; DELETE = every field removed; ' +
      'a create = every field of the body added; an assign = the targets added and removed (docs/api.md "The change").',
    required: ['requestId', 'operation', 'method', 'path', 'snapshot', 'changes'],
    properties: {
      requestId: { type: 'string' },
      operation: ref('Operation'),
      method: { type: 'string' },
      path: { type: 'string' },
      snapshot: ref('Snapshot'),
      changes: { type: 'array', items: ref('FieldChange') },
      assignments: {
        type: 'object',
        description: 'Assign operations only.',
        required: ['added', 'removed'],
        properties: { added: { type: 'array', items: {} }, removed: { type: 'array', items: {} } },
      },
      truncated: { type: 'boolean', enum: [true], description: 'Set when more than 2,000 changes were cut.' },
    },
  },
  RequestStatus: {
    type: 'string',
    description: 'The lifecycle of src/requests/statuses.ts: needsApproval and approved are open, the others final.',
    enum: [...REQUEST_STATUSES],
  },
  Operation: { type: 'string', enum: ['create', 'modify', 'delete', 'assign'] },
  Caller: {
    type: 'object',
    required: ['userId', 'groups'],
    properties: { userId: { type: 'string' }, groups: { type: 'array', items: { type: 'string' } } },
  },
  ParkedCall: {
    type: 'object',
    description: 'The intercepted call, exactly as it will be replayed.',
    required: ['method', 'path', 'query', 'headers', 'bodySha256', 'bodySize'],
    properties: {
      method: { type: 'string' },
      path: { type: 'string', description: 'As the client sent it (not normalised).' },
      query: { type: 'string', description: "Raw query string without '?', '' when none." },
      headers: { type: 'object', additionalProperties: { type: 'string' } },
      bodySha256: { type: 'string', pattern: '^[0-9a-f]{64}$' },
      bodySize: { type: 'integer', minimum: 0 },
    },
  },
  Decision: {
    type: 'object',
    required: ['profileType', 'objectKey', 'operation', 'policies', 'approverGroups', 'requiredApprovals'],
    properties: {
      profileType: { type: 'string', examples: ['apps'] },
      objectKey: { type: 'string', examples: ['apps:/deviceappmanagement/mobileapps/42'] },
      operation: ref('Operation'),
      policies: { type: 'array', items: { type: 'string' } },
      approverGroups: { type: 'array', items: { type: 'string' } },
      requiredApprovals: { type: 'integer', minimum: 1 },
      // The change-control keys of docs/policy.md, each present only when the access policy says so.
      stages: {
        type: 'array',
        description: 'A staged policy: its stages in order, fixed when the request was parked.',
        items: ref('PolicyStage'),
      },
      rejectPolicy: { type: 'string', enum: ['majority'], description: 'Present when a rejection ends the request only by a majority of the current stage.' },
      justification: { type: 'string', enum: ['required'] },
      rejectNotes: { type: 'string', enum: ['required'] },
      onStale: { type: 'string', enum: ['allow'], description: 'Present when every applying policy says `onStale: allow`: complete replays even when the object changed upstream since it was parked.' },
      expiresAfterMs: { type: 'integer', minimum: 1, description: "The policy's own expiry of an open request (expiresAfter)." },
      approvedExpiresAfterMs: { type: 'integer', minimum: 1, description: "The policy's own expiry of an approved request (approvedExpiresAfter)." },
      why: { type: 'array', items: { type: 'string' }, description: 'Which condition (when, appliesTo, exempt) made the call protected.' },
      policyRevision: { type: 'string', maxLength: 200, description: 'The policy that decided: its bundle\'s revision (the git commit `countersign policy build` recorded) when it has one, else the content hash of the loaded bundle and data. Absent on requests parked before it was recorded.', examples: ['a5783b8d5f657c0f2f9d3ee7687aa5cc96785692'] },
    },
  },
  PolicyStage: {
    type: 'object',
    required: ['name', 'approverGroups', 'requiredApprovals'],
    properties: {
      name: { type: 'string', examples: ['security'] },
      approverGroups: { type: 'array', items: { type: 'string' } },
      requiredApprovals: { type: 'integer', minimum: 1 },
    },
  },
  StageProgress: {
    type: 'object',
    required: ['name', 'approverGroups', 'requiredApprovals', 'approvedBy', 'remainingApprovals', 'state'],
    properties: {
      name: { type: 'string' },
      approverGroups: { type: 'array', items: { type: 'string' } },
      requiredApprovals: { type: 'integer', minimum: 1 },
      approvedBy: { type: 'array', items: { type: 'string' }, description: 'Who approved in this stage.' },
      remainingApprovals: { type: 'integer', minimum: 0, description: 'Approvals still missing in this stage.' },
      state: { type: 'string', enum: ['done', 'current', 'waiting'] },
    },
  },
  Verdict: verdict,
  Completion: {
    type: 'object',
    required: ['userId', 'at', 'upstreamStatus', 'upstreamBodyPreview'],
    properties: {
      userId: { type: 'string' },
      at: isoTime,
      upstreamStatus: { type: 'integer' },
      upstreamBodyPreview: { type: 'string', description: "Up to 4 KiB of the upstream's answer." },
      reason: { type: 'string' },
    },
  },
  HistoryEntry: {
    type: 'object',
    required: ['at', 'actor', 'action', 'from', 'to'],
    properties: {
      at: isoTime,
      actor: { type: 'string' },
      action: ref('AuditAction'),
      from: { oneOf: [statusSchema, { type: 'null' }] },
      to: statusSchema,
      notesSha256: { type: 'string' },
    },
  },
  AuditAction: {
    type: 'string',
    enum: ['create', 'approve', 'reject', 'cancel', 'begin-complete', 'finish-complete', 'expire', 'break-glass', 'review', 'schedule', 'unschedule'],
  },
  ActionVerdict: {
    type: 'object',
    required: ['allow', 'reasons'],
    properties: {
      allow: { type: 'boolean', description: 'Whether the call, as it is, would be accepted now.' },
      reasons: { type: 'array', items: { type: 'string' }, description: 'Why not, when allow is false.' },
      resendConfirmRequired: {
        type: 'boolean',
        const: true,
        description:
          'complete only, present only when true: an earlier replay may have reached the upstream (outcome unknown), so a plain ' +
          'complete answers 409 OUTCOME_UNKNOWN; after checking the upstream the requestor may send it again with `?resend=confirm`.',
      },
    },
  },
  Request: {
    type: 'object',
    description: 'An approval request. Optional fields are absent when they do not apply.',
    required: ['id', 'status', 'createdAt', 'updatedAt', 'requestor', 'justification', 'call', 'decision', 'approvals', 'history'],
    properties: {
      id: { type: 'string' },
      status: statusSchema,
      createdAt: isoTime,
      updatedAt: isoTime,
      requestor: ref('Caller'),
      justification: { type: 'string', maxLength: 1000 },
      call: ref('ParkedCall'),
      decision: ref('Decision'),
      approvals: { type: 'array', items: ref('Verdict') },
      rejection: ref('Verdict'),
      rejections: {
        type: 'array',
        items: ref('Verdict'),
        description: 'rejectPolicy majority: every rejection, those short of the majority too.',
      },
      stage: {
        type: ['string', 'null'],
        description: 'A staged request: the stage whose approvers act now; null when none waits (approved or ended).',
      },
      stages: { type: 'array', items: ref('StageProgress'), description: 'A staged request: each stage, who approved in it and who is left.' },
      expiresAt: {
        ...isoTime,
        description: "An open request: when it expires unless its status changes (its access policy's expiresAfter / approvedExpiresAfter, else the gateway's retention).",
      },
      cancellation: { type: 'object', required: ['userId', 'at'], properties: { userId: { type: 'string' }, at: isoTime } },
      requestSha256: { type: 'string', pattern: '^[0-9a-f]{64}$', description: 'Pins the stored requestor, justification, call and decision; the create audit event carries it (docs/security.md).' },
      completion: ref('Completion'),
      claim: {
        type: 'object',
        description: 'Set while a complete is in flight.',
        required: ['userId', 'at', 'leaseUntil'],
        properties: { userId: { type: 'string' }, at: isoTime, leaseUntil: isoTime },
      },
      history: { type: 'array', items: ref('HistoryEntry') },
      breakGlass: {
        type: 'object',
        description: 'Set when the requestor completed it without approvals by break-glass; it then waits for an approver\'s `review`.',
        required: ['userId', 'at', 'reason'],
        properties: { userId: { type: 'string' }, at: isoTime, reason: { type: 'string', maxLength: 1000 } },
      },
      review: { ...verdict, description: 'The after-the-fact review of a break-glass by an approver.' },
      scheduledFor: { ...isoTime, description: 'When the scheduler replays this approved request (inside a change window); cancel with DELETE …/schedule.' },
      snapshot: { ...ref('Snapshot'), description: 'What the gateway read of the object when the call was parked (GET …/diff shows the change against it); absent on requests parked before snapshots.' },
      bodyPreview: {
        type: 'object',
        description: 'The first 64 KiB of the parked body.',
        required: ['encoding', 'text', 'truncated'],
        properties: { encoding: { type: 'string', enum: ['utf8', 'base64'] }, text: { type: 'string' }, truncated: { type: 'boolean' } },
      },
      allowedActions: {
        type: 'object',
        description: 'What the caller may do now (policy and status together).',
        required: ['approve', 'reject', 'cancel', 'complete'],
        properties: {
          approve: ref('ActionVerdict'),
          reject: ref('ActionVerdict'),
          cancel: ref('ActionVerdict'),
          complete: ref('ActionVerdict'),
          breakGlass: { ...ref('ActionVerdict'), description: 'Complete without approvals (`{"breakGlass": {"reason"}}` to …/complete); the reason\'s length is not part of this verdict.' },
          review: { ...ref('ActionVerdict'), description: 'Review this break-glass (…/review).' },
        },
      },
    },
  },
  RequestPage: {
    type: 'object',
    required: ['items', 'total', 'totalExact'],
    properties: {
      items: { type: 'array', items: ref('Request') },
      nextCursor: { type: 'string', description: 'Absent on the last page.' },
      total: { type: 'integer', minimum: 0, description: 'How many requests match the query (view, status, filters), every page together.' },
      totalExact: { type: 'boolean', description: `False when \`total\` counts only the ${LIMITS.listFilter.scan.toLocaleString('en')} most recently changed candidates; there may be more.` },
    },
  },
  Notes: {
    type: 'object',
    additionalProperties: false,
    properties: { notes: { type: 'string', maxLength: 1000, description: 'Approver notes, shown to the requestor.' } },
  },
  CompleteOptions: {
    type: 'object',
    description: 'No body (or `{}`): complete now. `breakGlass`: complete without approvals. `scheduledFor`: schedule the replay. At most one of the two.',
    additionalProperties: false,
    maxProperties: 1,
    properties: {
      breakGlass: {
        type: 'object',
        additionalProperties: false,
        required: ['reason'],
        properties: { reason: { type: 'string', maxLength: 1000, description: 'Why the change cannot wait; at least `breakGlassMinReasonChars` characters (config/roles.yaml, default 20).' } },
      },
      scheduledFor: { ...isoTime, description: 'When to replay: in the future, inside a change window of the request\'s access policies, before the request\'s `expiresAt`.' },
    },
  },
  BreakGlassPage: {
    type: 'object',
    required: ['items'],
    properties: { items: { type: 'array', items: ref('Request') } },
  },
  NoFields: {
    type: 'object',
    description: 'This call takes no body fields: send no body, or `{}`.',
    maxProperties: 0,
  },
  AuditEvent: {
    type: 'object',
    required: ['id', 'at', 'requestId', 'actor', 'action', 'from', 'to'],
    properties: {
      id: { type: 'string' },
      at: isoTime,
      requestId: { type: 'string' },
      actor: { type: 'string' },
      action: ref('AuditAction'),
      from: { oneOf: [statusSchema, { type: 'null' }] },
      to: statusSchema,
      notesSha256: { type: 'string' },
      resend: { type: 'boolean' },
      requestSha256: { type: 'string', pattern: '^[0-9a-f]{64}$', description: 'create only: pins the parked requestor, justification, call and decision (docs/security.md).' },
      seq: { type: 'integer', minimum: 1, description: "The event's place in the audit hash chain. Absent on events written before the chain existed." },
      prevHash: { type: 'string', pattern: '^[0-9a-f]{64}$', description: 'The hash of the event before it; 64 zeros for the first.' },
      hash: { type: 'string', pattern: '^[0-9a-f]{64}$', description: 'SHA-256 of prevHash and this event\'s contentHash (docs/security.md, "Tamper-evident audit trail").' },
      chainVersion: { type: 'integer', enum: [2], description: 'The chain formula the event was written with: 2 leaves seq out of contentHash. Absent on events of version 1.' },
    },
  },
  ChainPoint: {
    type: 'object',
    required: ['seq', 'hash'],
    properties: {
      seq: { type: 'integer', minimum: 0 },
      hash: { type: 'string' },
      id: { type: 'string', description: 'Stream id of that event.' },
      at: isoTime,
    },
  },
  AuditHead: {
    type: 'object',
    required: ['head', 'checkpoint'],
    properties: {
      head: { description: 'The last event of the chain; null before the first.', oneOf: [ref('ChainPoint'), { type: 'null' }] },
      checkpoint: {
        description: 'Where retention trimmed the stream: the last trimmed event (verification starts there), when, and how many events were trimmed in all; null while nothing was.',
        oneOf: [
          { type: 'object', required: ['seq', 'hash', 'trimmed'], properties: { seq: { type: 'integer' }, hash: { type: 'string' }, id: { type: 'string' }, at: isoTime, trimmedAt: isoTime, trimmed: { type: 'integer' } } },
          { type: 'null' },
        ],
      },
    },
  },
  Evidence: {
    type: 'object',
    description: 'One request\'s evidence file (docs/security.md, "Evidence files"); `countersign evidence verify` checks it offline.',
    required: ['countersignEvidence', 'exportedAt', 'exportedBy', 'request', 'stored', 'body', 'chain'],
    properties: {
      countersignEvidence: { const: 1 },
      exportedAt: isoTime,
      exportedBy: { type: 'string' },
      request: { type: 'object', description: 'The request as stored.' },
      stored: {
        type: 'object',
        description: 'The stored requestor, justification, call and decision strings, exactly; their requestSha256 is in the create event.',
        required: ['requestor', 'justification', 'call', 'decision'],
        properties: { requestor: { type: 'string' }, justification: { type: 'string' }, call: { type: 'string' }, decision: { type: 'string' } },
      },
      body: {
        oneOf: [
          { type: 'object', required: ['encoding', 'sha256', 'bytes', 'data'], properties: { encoding: { const: 'base64' }, sha256: { type: 'string' }, bytes: { type: 'integer' }, data: { type: 'string' } } },
          { type: 'null' },
        ],
      },
      chain: {
        type: 'object',
        required: ['precedingHash', 'firstSeq', 'entries', 'end', 'head'],
        properties: {
          precedingHash: { type: 'string', description: 'The hash the first entry links to.' },
          firstSeq: { type: 'integer', minimum: 1 },
          entries: { type: 'array', description: "In chain order: the request's events in full, every other event as its contentHash.", items: { oneOf: [ref('AuditEvent'), { type: 'string' }] } },
          end: ref('ChainPoint'),
          head: { oneOf: [ref('ChainPoint'), { type: 'null' }] },
        },
      },
    },
  },
  AccessPolicy: {
    type: 'object',
    required: ['name', 'description', 'profileType', 'approverGroups', 'requiredApprovals', 'enabled', 'routes'],
    properties: {
      name: { type: 'string' },
      description: { type: 'string' },
      profileType: { type: 'string' },
      approverGroups: { type: 'array', items: { type: 'string' } },
      requiredApprovals: { type: 'integer', minimum: 1 },
      enabled: { type: 'boolean' },
      stages: { type: 'array', items: ref('PolicyStage'), description: 'A staged policy: its stages, in order (approverGroups are all of theirs, requiredApprovals the sum).' },
      rejectPolicy: { type: 'string', enum: ['any', 'majority'] },
      justification: { type: 'string', enum: ['required', 'optional'] },
      rejectNotes: { type: 'string', enum: ['required', 'optional'] },
      onStale: { type: 'string', enum: ['refuse', 'allow'], description: 'What complete does when the object changed upstream since the call was parked (docs/policy.md "Stale objects").' },
      when: {
        type: 'object',
        description: 'Conditions on the call (docs/policy.md "Conditions").',
        properties: {
          methods: { type: 'array', items: { type: 'string' } },
          operations: { type: 'array', items: ref('Operation') },
          bodyFields: { type: 'array', items: { type: 'string' } },
        },
      },
      appliesTo: { type: 'array', items: { type: 'string' }, description: 'Requestor groups the policy applies to only.' },
      exempt: { type: 'array', items: { type: 'string' }, description: 'Requestor groups the policy never applies to.' },
      expiresAfterMs: { type: 'integer', minimum: 1 },
      approvedExpiresAfterMs: { type: 'integer', minimum: 1 },
      changeWindows: {
        type: 'array',
        description: 'When present, its requests are completed only inside one of these weekly windows (docs/policy.md, "Change windows").',
        items: {
          type: 'object',
          required: ['days', 'from', 'to', 'timeZone'],
          properties: {
            days: { type: 'array', items: { type: 'string', enum: ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] } },
            from: { type: 'string', examples: ['09:00'] },
            to: { type: 'string', examples: ['17:00'], description: 'Earlier than `from`: the window closes the next day.' },
            timeZone: { type: 'string', examples: ['Europe/Berlin'] },
          },
        },
      },
      routes: {
        type: 'array',
        items: {
          type: 'object',
          required: ['method', 'path', 'operation'],
          properties: { method: { type: 'string' }, path: { type: 'string' }, operation: ref('Operation') },
        },
      },
    },
  },
  Me: {
    type: 'object',
    required: ['userId', 'groups', 'auditor'],
    properties: { userId: { type: 'string' }, groups: { type: 'array', items: { type: 'string' } }, auditor: { type: 'boolean' } },
  },
  ParkedAnswer: {
    type: 'object',
    description: 'The 202 answer of the proxy side when a protected mutation is parked (outside this prefix).',
    required: ['id', 'status', 'profileType', 'operation', 'objectKey', 'requiredApprovals', 'approverGroups', 'bodySha256', 'location'],
    properties: {
      id: { type: 'string' },
      status: statusSchema,
      profileType: { type: 'string' },
      operation: ref('Operation'),
      objectKey: { type: 'string' },
      requiredApprovals: { type: 'integer' },
      approverGroups: { type: 'array', items: { type: 'string' } },
      stages: { type: 'array', items: ref('PolicyStage'), description: 'A staged policy: its stages, in order.' },
      bodySha256: { type: 'string' },
      location: { type: 'string' },
    },
  },
} as const;

function buildDocument(prefix: string) {
  const verdictOperation = (action: 'approve' | 'reject') => ({
    operationId: `${action}Request`,
    summary: action === 'approve' ? 'Approve a request' : 'Reject a request',
    description:
      action === 'approve'
        ? 'By an approver who is not the requestor. The request becomes `approved` when `requiredApprovals` distinct approvers approved; ' +
          'a staged request counts the approval in its current stage (only that stage\'s approvers act) and is approved when its last stage is.'
        : 'By an approver who is not the requestor. The request becomes `rejected`; under `rejectPolicy: majority` only once more than half of ' +
          'the current stage\'s required approvals have rejected (until then the rejection is listed in `rejections`).',
    tags: ['requests'],
    parameters: [idParameter],
    requestBody: { required: false, content: { 'application/json': { schema: ref('Notes') } } },
    responses: {
      '200': requestResponse('The request after the change.'),
      '403': errorResponse('FORBIDDEN or SELF_APPROVAL: the policy does not allow this caller to act, with its reasons.'),
      '404': errorResponse('REQUEST_NOT_FOUND: no such request, or the caller may not see it.'),
      '409': errorResponse('INVALID_STATE (with the current status), ALREADY_APPROVED, ALREADY_REJECTED, or NOT_CURRENT_STAGE (a staged request whose current stage is not the caller\'s).'),
      '422': errorResponse(
        'VALIDATION_FAILED: unknown fields or query parameters, a body that is not JSON, or notes longer than 1,000 characters. ' +
          'REJECT_NOTES_REQUIRED: a reject without notes under `rejectNotes: required`.',
      ),
      ...standardErrors,
    },
  });

  return {
    openapi: '3.1.0',
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    info: {
      title: 'Countersign approval API',
      version: '1.0.0',
      summary: 'Multiple administrative approval for any management REST API.',
      description:
        'Protected mutations sent through the gateway are parked (202 with a request id) until a different administrator ' +
        'from an approver group approves them; the requestor then completes the request and the gateway replays the parked call. ' +
        'This API lists, shows, approves, rejects, cancels and completes those requests.',
      license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
    },
    servers: [{ url: prefix, description: 'The gateway, under `api.prefix`.' }],
    security: [{ bearerAuth: [] }],
    tags: [
      { name: 'requests', description: 'Approval requests and their transitions.' },
      { name: 'audit', description: 'The audit trail.' },
      { name: 'policies', description: 'The access policies in force.' },
      { name: 'meta', description: 'Who am I, and this description.' },
    ],
    paths: {
      '/requests': {
        get: {
          operationId: 'listRequests',
          summary: 'List requests, most recently changed first',
          tags: ['requests'],
          parameters: [
            {
              name: 'view',
              in: 'query',
              description: '`mine`: my requests; `received`: those my groups may approve; `all`: every request (auditors only).',
              schema: { type: 'string', enum: ['mine', 'received', 'all'], default: 'mine' },
            },
            { name: 'status', in: 'query', schema: statusSchema },
            { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 100, default: 25 } },
            { name: 'cursor', in: 'query', description: 'The `nextCursor` of the previous page.', schema: { type: 'string', maxLength: 1024 } },
            {
              name: 'profileType',
              in: 'query',
              description: 'Only requests of this profile type (exactly, e.g. `scripts`).',
              schema: { type: 'string', minLength: 1, maxLength: LIMITS.listFilter.profileTypeChars },
            },
            {
              name: 'requestor',
              in: 'query',
              description: "Only this requestor's requests; the id is compared in its canonical form (case-folded, trimmed).",
              schema: { type: 'string', minLength: 1, maxLength: LIMITS.userIdChars },
            },
            {
              name: 'q',
              in: 'query',
              description: "Only requests whose object (the call's path or the object key) contains this text, case-insensitive.",
              schema: { type: 'string', minLength: 1, maxLength: LIMITS.listFilter.textChars },
            },
            { name: 'createdFrom', in: 'query', description: 'Only requests made at or after this time.', schema: { type: 'string', format: 'date-time' } },
            { name: 'createdTo', in: 'query', description: 'Only requests made before this time.', schema: { type: 'string', format: 'date-time' } },
          ],
          description: `With any of profileType, requestor, q, createdFrom or createdTo the requests themselves are read and filtered, most recently changed first: at most ${LIMITS.listFilter.scan.toLocaleString('en')} for the page (a page may then hold fewer than \`limit\` items and still carry \`nextCursor\`) and as many for \`total\` (\`totalExact: false\` past that).`,
          responses: {
            '200': { description: 'One page of requests.', content: { 'application/json': { schema: ref('RequestPage') } } },
            '403': errorResponse('`view=all` by a caller who is not an auditor.'),
            '422': errorResponse('VALIDATION_FAILED: an unknown, repeated or invalid query parameter.'),
            ...standardErrors,
          },
        },
      },
      '/requests/{id}': {
        get: {
          operationId: 'getRequest',
          summary: 'Show a request',
          description: 'For the requestor, members of its approver groups, and auditors.',
          tags: ['requests'],
          parameters: [idParameter],
          responses: {
            '200': requestResponse('The request, with `allowedActions` for the caller.'),
            '404': errorResponse('REQUEST_NOT_FOUND: no such request, or the caller may not see it (the two are not told apart).'),
            '422': errorResponse('VALIDATION_FAILED: a query parameter was given.'),
            ...standardErrors,
          },
        },
      },
      '/requests/{id}/body': {
        get: {
          operationId: 'getRequestBody',
          summary: 'The parked body bytes',
          description: 'Exactly the bytes that will be replayed, with the stored content type.',
          tags: ['requests'],
          parameters: [idParameter],
          responses: {
            '200': {
              description: 'The parked body.',
              content: { '*/*': { schema: { type: 'string', contentMediaType: 'application/octet-stream' } } },
            },
            '404': errorResponse('REQUEST_NOT_FOUND: no such request, the caller may not see it, or its body is gone.'),
            '422': errorResponse('VALIDATION_FAILED: a query parameter was given.'),
            ...standardErrors,
          },
        },
      },
      '/requests/{id}/diff': {
        get: {
          operationId: 'getRequestDiff',
          summary: 'What the parked call changes in the object',
          description: 'The change against the object as it was read when the call was parked (its snapshot); same view rights as the request.',
          tags: ['requests'],
          parameters: [idParameter],
          responses: {
            '200': { description: 'The diff.', content: { 'application/json': { schema: ref('ChangeDiff') } } },
            '404': errorResponse('REQUEST_NOT_FOUND: no such request, or the caller may not see it.'),
            '422': errorResponse('VALIDATION_FAILED: a query parameter was given.'),
            ...standardErrors,
          },
        },
      },
      '/requests/{id}/approve': { post: verdictOperation('approve') },
      '/requests/{id}/reject': { post: verdictOperation('reject') },
      '/requests/{id}/cancel': {
        post: {
          operationId: 'cancelRequest',
          summary: 'Cancel a request',
          description: 'By the requestor, before approval.',
          tags: ['requests'],
          parameters: [idParameter],
          requestBody: noFields,
          responses: {
            '200': requestResponse('The request, `canceled`.'),
            '403': errorResponse('FORBIDDEN: only the requestor may cancel.'),
            '404': errorResponse('REQUEST_NOT_FOUND: no such request, or the caller may not see it.'),
            '409': errorResponse('INVALID_STATE: the request is no longer awaiting approval.'),
            '422': errorResponse('VALIDATION_FAILED: a body or query parameter was given.'),
            ...standardErrors,
          },
        },
      },
      '/requests/{id}/complete': {
        post: {
          operationId: 'completeRequest',
          summary: 'Complete an approved request: replay the parked call upstream',
          description:
            "By the requestor, once approved. The answer is the upstream's status, headers and body, relayed; the header " +
            "`X-MAA-Request-Status` tells the request's new status: upstream 2xx/3xx → `completed`, 4xx → `failed`, the object changed upstream since it was parked → `stale` (409 STALE_OBJECT, nothing sent), " +
            '5xx, timeout or refused connection → stays `approved`. Without that header the answer is the gateway\'s own refusal.',
          tags: ['requests'],
          parameters: [
            idParameter,
            {
              name: 'resend',
              in: 'query',
              description: 'After `409 OUTCOME_UNKNOWN`, and having checked the upstream, send the call again on purpose.',
              schema: { type: 'string', enum: ['confirm'] },
            },
          ],
          requestBody: { required: false, content: { 'application/json': { schema: ref('CompleteOptions') } } },
          responses: {
            '202': requestResponse('`scheduledFor` was given: the replay is scheduled; the request shows `scheduledFor`.'),
            default: {
              description: "The upstream's answer, relayed.",
              headers: { 'X-MAA-Request-Status': { $ref: '#/components/headers/RequestStatus' } },
              content: { '*/*': { schema: {} } },
            },
            '403': errorResponse('FORBIDDEN: only the requestor may complete; break-glass only by a member of a break-glass group.'),
            '404': errorResponse('REQUEST_NOT_FOUND: no such request, or the caller may not see it.'),
            '409': errorResponse(
              'INVALID_STATE (not approved; for break-glass: not needsApproval), COMPLETE_IN_PROGRESS, OUTCOME_UNKNOWN, CLAIM_LOST, ' +
                'OUTSIDE_CHANGE_WINDOW (now, or `scheduledFor`, is outside a change window; `nextWindowStart` says when the next opens), or ' +
                'STALE_OBJECT (the object changed upstream since the call was parked, or the upstream answered 412 to If-Match: nothing was sent, the request is now `stale`; `diff` is the change against the object as it is now).',
            ),
            '422': errorResponse(
              'VALIDATION_FAILED: unknown fields, an unknown query parameter, resend other than `confirm`, or `scheduledFor` not in the future or not before the request\'s `expiresAt`; ' +
                'BREAK_GLASS_REASON_REQUIRED: the break-glass reason is shorter than breakGlassMinReasonChars.',
            ),
                        '502': errorResponse('UPSTREAM_UNAVAILABLE: the upstream refused the connection; or UPSTREAM_AUTH_FAILED: the gateway could not obtain its credential for the upstream (upstream.auth), the message says why. Either way the request stays approved.'),
            '504': errorResponse('UPSTREAM_UNAVAILABLE: the upstream timed out (the send, or the read of the object before it); the request stays approved.'),
            ...standardErrors,
            '503': errorResponse('SNAPSHOT_UNAVAILABLE: the object could not be read again to check it is unchanged (the upstream refused the read); nothing was sent, the request stays approved. Or STORE_UNAVAILABLE, POLICY_UNAVAILABLE.'),
          },
        },
      },
      '/requests/{id}/schedule': {
        delete: {
          operationId: 'unscheduleRequest',
          summary: 'Cancel a scheduled replay',
          description: 'By the requestor, until the scheduler claims it. The request stays approved.',
          tags: ['requests'],
          parameters: [idParameter],
          requestBody: noFields,
          responses: {
            '200': requestResponse('The request, without `scheduledFor`.'),
            '403': errorResponse('FORBIDDEN or NOT_REQUESTOR: only the requestor may unschedule.'),
            '404': errorResponse('REQUEST_NOT_FOUND: no such request, or the caller may not see it.'),
            '409': errorResponse('NOT_SCHEDULED (nothing scheduled, or the scheduler claimed it already) or INVALID_STATE (not approved).'),
            '422': errorResponse('VALIDATION_FAILED: a body or query parameter was given.'),
            ...standardErrors,
          },
        },
      },
      '/requests/{id}/review': {
        post: {
          operationId: 'reviewRequest',
          summary: 'Review a break-glass after the fact',
          description: 'By a member of its approver groups who is not the requestor, once. The request leaves the review queue.',
          tags: ['requests'],
          parameters: [idParameter],
          requestBody: { required: false, content: { 'application/json': { schema: ref('Notes') } } },
          responses: {
            '200': requestResponse('The request, with `review`.'),
            '403': errorResponse('FORBIDDEN or SELF_APPROVAL: not an approver of the request, or its requestor.'),
            '404': errorResponse('REQUEST_NOT_FOUND: no such request, or the caller may not see it.'),
            '409': errorResponse('NOT_BREAK_GLASS (nothing to review) or ALREADY_REVIEWED.'),
            '422': errorResponse('VALIDATION_FAILED: unknown fields, or notes longer than 1,000 characters.'),
            ...standardErrors,
          },
        },
      },
      '/break-glass': {
        get: {
          operationId: 'listBreakGlass',
          summary: 'Break-glass requests, newest first: the review queue',
          description: 'The break-glass requests the caller may see (approvers of their groups, auditors, the requestor).',
          tags: ['requests'],
          parameters: [
            { name: 'reviewed', in: 'query', description: '`false` (default): waiting for review; `true`: reviewed.', schema: { type: 'string', enum: ['false', 'true'], default: 'false' } },
            { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 100, default: 25 } },
          ],
          responses: {
            '200': { description: 'Break-glass requests.', content: { 'application/json': { schema: ref('BreakGlassPage') } } },
            '422': errorResponse('VALIDATION_FAILED: an unknown, repeated or invalid query parameter.'),
            ...standardErrors,
          },
        },
      },
      '/audit': {
        get: {
          operationId: 'listAuditEvents',
          summary: 'The audit trail',
          description: "Auditors see every event; a request's viewers may ask for that request's events.",
          tags: ['audit'],
          parameters: [
            { name: 'requestId', in: 'query', description: "One request's events.", schema: { type: 'string', pattern: REQUEST_ID_PATTERN } },
            { name: 'since', in: 'query', description: 'An RFC 3339 time, e.g. `2026-11-27T15:00:00Z`.', schema: isoTime },
            { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 1000, default: 100 } },
            { name: 'order', in: 'query', description: '`asc` (default): oldest first from `since`; `desc`: newest first, back to `since`.', schema: { type: 'string', enum: ['asc', 'desc'] } },
            {
              name: 'format',
              in: 'query',
              description: '`json` (default), or `ndjson`: the whole stream for a SIEM, auditors only, one event per line oldest first after `cursor`, every field as stored; `X-MAA-Cursor` is the cursor of the next page (the last line\'s id). Not with `requestId`, `since` or `order`.',
              schema: { type: 'string', enum: ['json', 'ndjson'] },
            },
            { name: 'cursor', in: 'query', description: 'ndjson only: the stream id after which to start (the last `X-MAA-Cursor`).', schema: { type: 'string', pattern: '^[0-9]{1,20}-[0-9]{1,20}$' } },
          ],
          responses: {
            '200': {
              description: 'Audit events, with their chain fields; `head` (auditors only) is the chain head when the events are read.',
              headers: { 'X-MAA-Cursor': { description: 'ndjson: the cursor of the next page.', schema: { type: 'string' } } },
              content: {
                'application/json': {
                  schema: { type: 'object', required: ['items'], properties: { items: { type: 'array', items: ref('AuditEvent') }, head: { oneOf: [ref('ChainPoint'), { type: 'null' }] } } },
                },
                'application/x-ndjson': { schema: { type: 'string', description: 'One AuditEvent as JSON per line.' } },
              },
            },
            '403': errorResponse('Not an auditor, and no requestId given (or ndjson).'),
            '404': errorResponse('REQUEST_NOT_FOUND: the named request does not exist or is not visible to the caller.'),
            '422': errorResponse('VALIDATION_FAILED: an unknown, repeated or invalid query parameter.'),
            ...standardErrors,
          },
        },
      },
      '/audit/head': {
        get: {
          operationId: 'getAuditHead',
          summary: "The audit chain's head and retention checkpoint",
          description: 'Auditors only. Record the head outside Redis from time to time (a SIEM, a ticket, a signed log): an evidence file or `countersign audit verify` compared with it proves the chain was not rewritten since.',
          tags: ['audit'],
          responses: {
            '200': { description: 'The head and checkpoint.', content: { 'application/json': { schema: ref('AuditHead') } } },
            '403': errorResponse('FORBIDDEN: not an auditor.'),
            '422': errorResponse('VALIDATION_FAILED: a query parameter was given.'),
            ...standardErrors,
          },
        },
      },
      '/requests/{id}/evidence': {
        get: {
          operationId: 'getRequestEvidence',
          summary: "One request's evidence file",
          description: "For the request's viewers: the request, its exact body (base64) and SHA-256, the stored strings its create event pins, and the audit chain from the hash before its first event to the chain head, its own events in full and every other event as a contentHash. `countersign evidence verify` checks it offline.",
          tags: ['audit'],
          parameters: [idParameter],
          responses: {
            '200': { description: 'The evidence file.', content: { 'application/json': { schema: ref('Evidence') } } },
            '404': errorResponse('REQUEST_NOT_FOUND: no such request, or the caller may not see it.'),
            '409': errorResponse('AUDIT_CHAIN_BROKEN: an audit event the file would cover does not verify; the message names it.'),
            '422': errorResponse('VALIDATION_FAILED: a query parameter was given.'),
            ...standardErrors,
          },
        },
      },
      '/events': {
        get: {
          operationId: 'streamEvents',
          summary: 'Live updates (Server-Sent Events)',
          description:
            'A `text/event-stream` of the transitions of requests the caller may view, fed from the audit stream. ' +
            'First `event: ready` (the stream is live: every later change reaches it), then one `event: request` per transition, its `id` the audit event id and its `data` `{ "requestId", "action", "to", "at" }`; ' +
            'read the request itself with `GET /requests/{id}`. A comment line every 15 s keeps the connection open; the stream ends after 10 minutes (reconnect, and the token is checked again). ' +
            `Authenticated by the Authorization header like every call (read it with fetch(), not EventSource, so the token never goes in a URL). At most ${LIMITS.eventStreams.perUser} streams per user.`,
          tags: ['requests'],
          responses: {
            '200': {
              description: 'The event stream; it stays open.',
              content: { 'text/event-stream': { schema: { type: 'string' } } },
            },
            '422': errorResponse('VALIDATION_FAILED: a query parameter was given.'),
            '429': errorResponse(`TOO_MANY_STREAMS: the caller already holds ${LIMITS.eventStreams.perUser} streams, or the gateway ${LIMITS.eventStreams.total}.`),
            ...standardErrors,
          },
        },
      },
      '/access-policies': {
        get: {
          operationId: 'listAccessPolicies',
          summary: 'The access policies in force',
          tags: ['policies'],
          responses: {
            '200': {
              description: 'Access policies with the routes of their profile type.',
              content: {
                'application/json': {
                  schema: { type: 'object', required: ['items'], properties: { items: { type: 'array', items: ref('AccessPolicy') } } },
                },
              },
            },
            '422': errorResponse('VALIDATION_FAILED: a query parameter was given.'),
            ...standardErrors,
          },
        },
      },
      '/me': {
        get: {
          operationId: 'getMe',
          summary: 'Who the caller is',
          tags: ['meta'],
          responses: {
            '200': { description: 'The caller.', content: { 'application/json': { schema: ref('Me') } } },
            '422': errorResponse('VALIDATION_FAILED: a query parameter was given.'),
            ...standardErrors,
          },
        },
      },
      '/openapi.json': {
        get: {
          operationId: 'getOpenApi',
          summary: 'This description',
          tags: ['meta'],
          security: [],
          responses: {
            '200': { description: 'The OpenAPI 3.1 description.', content: { 'application/json': { schema: { type: 'object' } } } },
          },
        },
      },
    },
    components: {
      securitySchemes: {
        bearerAuth: {
          type: 'http',
          scheme: 'bearer',
          description: 'A JWT from the configured issuer, or a static token (local use and the demo: `demo-alice`, …).',
        },
      },
      parameters: {
        RequestId: {
          name: 'id',
          in: 'path',
          required: true,
          description: 'The request id. One that cannot be an id is answered 404 REQUEST_NOT_FOUND, like an unknown one.',
          schema: { type: 'string', pattern: REQUEST_ID_PATTERN },
        },
      },
      headers: {
        RequestStatus: {
          description: "The request's status after this call; `unknown` when it could not be read back.",
          schema: { oneOf: [statusSchema, { const: 'unknown' }] },
        },
      },
      responses: {
        Unauthenticated: errorResponse('UNAUTHENTICATED: no bearer token, or one that is not valid.'),
        Unavailable: errorResponse('Redis or the policy is not ready; the call was not acted on.'),
      },
      schemas,
    },
  };
}

/**
 * The description for another API prefix (the paths are the same; only the server URL differs).
 * @example
 * openApiDocumentFor('/approvals/v1').servers[0].url; // '/approvals/v1'
 */
export function openApiDocumentFor(prefix: string) {
  return buildDocument(prefix);
}

/** The description for the default prefix `/maa/v1`. */
export const openApiDocument = buildDocument('/maa/v1');
