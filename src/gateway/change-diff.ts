/**
 * What a parked call changes in the object (docs/api.md "The change"): the diff resource of
 * `GET /maa/v1/requests/{id}/diff`, and of a `409 STALE_OBJECT` against the object read again.
 *
 *   PATCH   the JSON merge-patch (RFC 7396) applied to the snapshot, against the snapshot
 *   PUT     the replacement against the snapshot
 *   DELETE  every top-level field of the snapshot, removed
 *   POST    a create (or an action): every field of the body, added
 *   assign  the targets added and removed, against the object's assignments read at park
 *
 * Field changes come from microdiff, as JSON Pointers into the object. A field that holds text as
 * base64 (an Intune script's `scriptContent`, a remediation's detection and remediation scripts) is
 * decoded and line-diffed with the `diff` package, so the approver reads the script, not base64.
 * Pure: no I/O; the caller hands in the stored body and snapshot.
 */
import { diffLines } from 'diff';
import microdiff from 'microdiff';
import { decodeBodySync } from '../policy/body-encoding';
import type { Operation } from '../policy/types';
import type { ApprovalRequest, SnapshotRecord } from '../requests/types';

export type ChangeKind = 'added' | 'removed' | 'changed';

export interface TextLine {
  op: ' ' | '-' | '+';
  text: string;
}

export interface FieldChange {
  /** JSON Pointer (RFC 6901) into the object. */
  path: string;
  kind: ChangeKind;
  before?: unknown;
  after?: unknown;
  /** Set when the field holds base64 text, decoded: both sides and their line diff. */
  encoding?: 'base64';
  text?: { before?: string; after?: string; lines: TextLine[] };
}

export interface SnapshotView {
  state: SnapshotRecord['state'];
  at?: string;
  etag?: string;
  sha256?: string;
  bytes?: number;
  error?: string;
}

export interface ChangeDiff {
  requestId: string;
  operation: Operation;
  method: string;
  path: string;
  snapshot: SnapshotView;
  changes: FieldChange[];
  /** Assign operations only: the targets the call adds and removes. */
  assignments?: { added: unknown[]; removed: unknown[] };
  /** Set when the list of changes was cut at MAX_CHANGES. */
  truncated?: true;
}

/** Fields Intune sends as base64 of a script's text (deviceManagementScript, deviceHealthScript, shell scripts). */
export const BASE64_TEXT_FIELDS: ReadonlySet<string> = new Set(['scriptContent', 'detectionScriptContent', 'remediationScriptContent']);

/** More changes than this are cut (a replacement of a huge object); the snapshot and body stay downloadable. */
const MAX_CHANGES = 2_000;
/**
 * Past this many edits, or this long, a line diff shows the old text removed and the new added
 * instead of searching on: the diff runs on the event loop. (Measured: two unrelated 6,000-line
 * scripts took 2.9 s with a 5,000-edit budget; with these bounds the fallback answers in ~0.1 s.)
 */
const MAX_LINE_EDITS = 1_000;
const LINE_DIFF_TIMEOUT_MS = 100;
/** Bodies are inflated for the diff up to this, as for the preview; the gateway capped them at park anyway. */
const INFLATE_LIMIT = 64 * 1024 * 1024;
/** Properties of a Graph answer that describe the answer, not the object. */
const ANSWER_ANNOTATIONS = ['@odata.context', '@odata.etag'];

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function parseJson(bytes: Buffer | null | undefined): unknown {
  if (!bytes || bytes.length === 0) return undefined;
  try {
    return JSON.parse(bytes.toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * RFC 7396 JSON merge-patch: objects merge key by key, `null` removes, anything else replaces.
 * (No maintained JavaScript package is installed for it; the RFC's algorithm is these lines.)
 * @example mergePatch({ a: 1, b: { c: 2 } }, { b: { c: null, d: 3 } }) // { a: 1, b: { d: 3 } }
 */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return patch;
  const result: Json = isObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = mergePatch(result[key], value);
  }
  return result;
}

/** The snapshot as the object: the answer's own annotations left out. */
function objectOf(snapshot: unknown): Json {
  if (!isObject(snapshot)) return {};
  const object = { ...snapshot };
  for (const key of ANSWER_ANNOTATIONS) delete object[key];
  return object;
}

/** RFC 6901: `~` and `/` escaped in each segment. */
function pointer(path: ReadonlyArray<string | number>): string {
  return path.map((segment) => `/${String(segment).replace(/~/g, '~0').replace(/\//g, '~1')}`).join('');
}

const BASE64 = /^[A-Za-z0-9+/\r\n]*={0,2}$/;

/** The text a base64 field holds, or undefined when it is not base64 of UTF-8 text. */
function decodedText(value: unknown): string | undefined {
  if (typeof value !== 'string' || !BASE64.test(value)) return undefined;
  try {
    const text = new TextDecoder('utf-8', { fatal: true }).decode(Buffer.from(value, 'base64'));
    // A NUL says binary, whatever the decoder accepted.
    return text.includes('\u0000') ? undefined : text.replace(/^\uFEFF/, '');
  } catch {
    return undefined;
  }
}

function splitLines(text: string): string[] {
  if (text === '') return [];
  const lines = text.split(/\r?\n/);
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/**
 * The line diff of two texts: unchanged lines ' ', removed '-', added '+', in order.
 * @example lineDiff('a\nb\n', 'a\nc\n') // [{op:' ',text:'a'},{op:'-',text:'b'},{op:'+',text:'c'}]
 */
export function lineDiff(before: string, after: string): TextLine[] {
  const parts = diffLines(before, after, { maxEditLength: MAX_LINE_EDITS, timeout: LINE_DIFF_TIMEOUT_MS });
  if (parts === undefined) {
    return [...splitLines(before).map((text) => ({ op: '-' as const, text })), ...splitLines(after).map((text) => ({ op: '+' as const, text }))];
  }
  return parts.flatMap((part) => splitLines(part.value).map((text) => ({ op: part.added ? ('+' as const) : part.removed ? ('-' as const) : (' ' as const), text })));
}

/** Adds the decoded text and its line diff to a change of a base64 text field. */
function withText(change: FieldChange, field: string | number | undefined): FieldChange {
  if (typeof field !== 'string' || !BASE64_TEXT_FIELDS.has(field)) return change;
  const before = change.kind === 'added' ? '' : decodedText(change.before);
  const after = change.kind === 'removed' ? '' : decodedText(change.after);
  if (before === undefined || after === undefined) return change;
  return {
    ...change,
    encoding: 'base64',
    text: { ...(change.kind === 'added' ? {} : { before }), ...(change.kind === 'removed' ? {} : { after }), lines: lineDiff(before, after) },
  };
}

/** Every difference between two objects, as field changes. */
export function fieldChanges(before: Json, after: Json): FieldChange[] {
  return microdiff(before, after).map((d) => {
    const change: FieldChange =
      d.type === 'CREATE'
        ? { path: pointer(d.path), kind: 'added', after: d.value }
        : d.type === 'REMOVE'
          ? { path: pointer(d.path), kind: 'removed', before: d.oldValue }
          : { path: pointer(d.path), kind: 'changed', before: d.oldValue, after: d.value };
    return withText(change, d.path[d.path.length - 1]);
  });
}

/** A target's identity for comparing assignment lists: its JSON with keys sorted. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (isObject(value)) {
    return `{${Object.keys(value)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonical(value[key])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** What an assignment assigns to: its `target` when it has one (Graph's shape), else the assignment itself without its id. */
function targetOf(assignment: unknown): unknown {
  if (!isObject(assignment)) return assignment;
  if (assignment.target !== undefined) return assignment.target;
  const { id: _id, '@odata.type': _type, ...rest } = assignment;
  return rest;
}

/** The assignment list of an assign body: the first array property (`mobileAppAssignments`, `assignments`, …). */
function assignmentList(body: unknown): unknown[] {
  if (!isObject(body)) return [];
  for (const value of Object.values(body)) if (Array.isArray(value)) return value;
  return [];
}

/**
 * Targets added and removed: `assign` replaces the object's assignments with the body's list; a
 * POST to an assignments collection adds one.
 */
export function assignmentChanges(current: unknown, body: unknown, replaces: boolean): { added: unknown[]; removed: unknown[] } {
  const existing = (isObject(current) && Array.isArray(current.value) ? current.value : Array.isArray(current) ? current : []).map(targetOf);
  const wanted = replaces ? assignmentList(body).map(targetOf) : [targetOf(body)];
  const have = new Set(existing.map(canonical));
  const keep = new Set(wanted.map(canonical));
  return {
    added: wanted.filter((t) => !have.has(canonical(t))),
    removed: replaces ? existing.filter((t) => !keep.has(canonical(t))) : [],
  };
}

/** Whether a call is an assignment: `POST …/assign`, or a POST to an `…/assignments` collection. */
export function assignKind(method: string, path: string): 'replace' | 'add' | null {
  if (method !== 'POST') return null;
  const last = path.slice(path.lastIndexOf('/') + 1).toLowerCase();
  return last === 'assign' ? 'replace' : last === 'assignments' ? 'add' : null;
}

function snapshotView(record: SnapshotRecord | undefined): SnapshotView {
  if (!record) return { state: 'none', error: 'the request was parked before the gateway kept snapshots' };
  const { path: _path, ...view } = record;
  return view;
}

/**
 * The diff resource of a request, against `snapshot` (the one read at park, or the object read again).
 * @example changeDiff(request, await store.getBody(id), { record: request.snapshot, bytes: await store.getSnapshot(id) })
 */
export function changeDiff(request: ApprovalRequest, body: Buffer | null, snapshot: { record: SnapshotRecord | undefined; bytes: Buffer | null }): ChangeDiff {
  const { method, path } = request.call;
  const decoded = body ? decodeBodySync(body, request.call.headers['content-encoding'], INFLATE_LIMIT) : null;
  const input = parseJson(decoded?.ok ? decoded.body : body);
  const captured = snapshot.record?.state === 'captured' ? parseJson(snapshot.bytes) : undefined;
  const diff: ChangeDiff = { requestId: request.id, operation: request.decision.operation, method, path, snapshot: snapshotView(snapshot.record), changes: [] };

  const assign = assignKind(method, path);
  if (assign !== null && request.decision.operation === 'assign') {
    diff.assignments = assignmentChanges(captured, input, assign === 'replace');
    return diff;
  }
  const before = objectOf(captured);
  let changes: FieldChange[];
  if (method === 'DELETE') changes = fieldChanges(before, {});
  else if (method === 'PATCH') changes = fieldChanges(before, objectOf(mergePatch(before, isObject(input) ? input : {})));
  else if (method === 'PUT') changes = fieldChanges(before, isObject(input) ? input : {});
  else changes = fieldChanges({}, isObject(input) ? input : {});
  if (changes.length > MAX_CHANGES) {
    diff.truncated = true;
    changes = changes.slice(0, MAX_CHANGES);
  }
  diff.changes = changes;
  return diff;
}
