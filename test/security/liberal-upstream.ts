/**
 * A liberal recording upstream for the security suite: a management API that deliberately
 * honours every reading a real server behind the gateway might make of a call, keeps objects so
 * a change can be observed, and records every mutation it executes with the readings it had.
 *
 * It is a second opinion on the gateway: written without importing anything from src/, so a
 * mistake in the gateway's normaliser is not repeated here. Where a server could read a call in
 * more than one way (an override header honoured or ignored, a rewrite header, one decoding or
 * two), every reading is kept: the primary one is executed on the state, and the call counts as
 * touching a protected object when ANY of its readings would have. That is the promise under test:
 * whatever some server might have done with what the gateway forwarded, no protected object moved
 * unless the change was approved and completed.
 *
 * What it honours (on any method, in any letter case of header names and values):
 * - X-HTTP-Method-Override, X-HTTP-Method, X-Method-Override (first value of a comma list is the
 *   primary reading; every value is a reading); MERGE as PATCH (OData v3);
 * - X-Original-URL, X-Rewrite-URL (replace the path and query);
 * - absolute-form targets and `//host/path` read as a network-path reference;
 * - percent-decoding once and until stable, `%uXXXX`, overlong UTF-8 (`%C0%AF` is `/`), `\` as
 *   `/`, NUL truncating the path, `;params` stripped, trailing spaces and dots trimmed (IIS),
 *   `//` collapsing, dot segments, Unicode folding (NFKC, zero-width characters removed, Turkish
 *   and full case folding), `/v1.0` and `/beta` prefixes, OData keys `x('42')`, `x(id='42')`,
 *   `x(displayName='a')`, `x(42)`, type-cast segments (`microsoft.graph.*`) ignored;
 * - `$batch` at any depth on any mutation, JSON with any content type, keys in any case and
 *   repeated keys read both ways, executing each sub-request with the same liberal reading,
 *   nested batches included;
 * - Content-Encoding and Transfer-Encoding codings gzip, x-gzip, deflate (zlib or raw) and br,
 *   stacked in any order; protocol upgrades (the request is executed, then 200).
 */
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { brotliDecompressSync, gunzipSync, inflateRawSync, inflateSync } from 'node:zlib';

/** One way a server may have read a call: the effective method and the folded, canonical path. */
export interface Reading {
  method: string;
  /** Lower-case segments after every liberal rewrite, without the API version. */
  segments: string[];
}

/** What a reading does to a protected object, or null when it changes no protected object. */
export interface ProtectedChange {
  family: ProtectedFamily;
  /** `/deviceappmanagement/mobileapps/42`, or the collection for a create. */
  object: string;
  operation: 'create' | 'modify' | 'delete' | 'action';
}

/** One call the upstream executed (directly, inside a batch, or after an upgrade). */
export interface Execution {
  seq: number;
  via: 'http' | 'batch' | 'upgrade';
  /** As received (the raw request target, or the batch sub-request url). */
  method: string;
  target: string;
  headers: Record<string, string>;
  readings: Reading[];
  /** The primary reading's effect on a protected object (null for none). */
  change: ProtectedChange | null;
  /** Every protected change any reading would make. Non-empty means a protected object was touched. */
  protectedReadings: ProtectedChange[];
  body: unknown;
  status: number;
}

export type ProtectedFamily = 'apps' | 'scripts' | 'accessPolicies' | 'roleDefinitions' | 'roleAssignments' | 'groups';

/**
 * What config/profile-types/*.yaml protects, as collections below which every change to an object
 * is protected. Groups: membership, ownership, the group itself, and creates (a create may carry
 * `members@odata.bind`, and a new group may be named like an approver group). Other changes below
 * a group (settings, photos) are not counted here: a narrower oracle, never a stricter one.
 */
export const PROTECTED_COLLECTIONS: { family: ProtectedFamily; prefix: string[]; createProtected: boolean }[] = [
  { family: 'apps', prefix: ['deviceappmanagement', 'mobileapps'], createProtected: true },
  { family: 'scripts', prefix: ['devicemanagement', 'devicemanagementscripts'], createProtected: true },
  { family: 'accessPolicies', prefix: ['devicemanagement', 'operationapprovalpolicies'], createProtected: true },
  { family: 'roleDefinitions', prefix: ['devicemanagement', 'roledefinitions'], createProtected: true },
  { family: 'roleAssignments', prefix: ['devicemanagement', 'roleassignments'], createProtected: true },
  { family: 'groups', prefix: ['groups'], createProtected: true },
];

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
const OVERRIDE_HEADERS = ['x-http-method-override', 'x-http-method', 'x-method-override'];
const REWRITE_HEADERS = ['x-original-url', 'x-rewrite-url'];
/** The most a compressed body is inflated to here; a bigger one is executed undecoded. */
const MAX_INFLATED = 32 * 1024 * 1024;
const MAX_BATCH_DEPTH = 4;

/** Objects the upstream starts with: protected ones and a few unprotected ones. */
function seed(): Map<string, Record<string, unknown>> {
  return new Map<string, Record<string, unknown>>([
    ['/deviceappmanagement/mobileapps/42', { id: '42', displayName: 'Contoso Portal' }],
    ['/deviceappmanagement/mobileapps/43', { id: '43', displayName: 'Contoso Mail' }],
    ['/devicemanagement/devicemanagementscripts/7', { id: '7', displayName: 'Set wallpaper' }],
    ['/devicemanagement/operationapprovalpolicies/1', { id: '1', displayName: 'Apps need approval' }],
    ['/devicemanagement/roledefinitions/r1', { id: 'r1', displayName: 'Help desk operator' }],
    ['/devicemanagement/roleassignments/a1', { id: 'a1', displayName: 'Help desk' }],
    ['/groups/g1', { id: 'g1', displayName: 'app-approvers', members: ['bob'] }],
    ['/users/u1', { id: 'u1', displayName: 'Alice' }],
    ['/devicemanagement/manageddevices/d1', { id: 'd1', deviceName: 'PC-1' }],
  ]);
}

const SEEDED = new Set(seed().keys());

export class LiberalUpstream {
  readonly executions: Execution[] = [];
  private objects = seed();
  private seq = 0;
  private inFlight = 0;
  private server?: http.Server;
  private readonly sockets = new Set<Socket>();
  port = 0;

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** The protected objects as they are now, as one string to compare before and after a call. */
  protectedState(): string {
    // A group created through an unprotected create is nobody's approver group: not protected state.
    const entries = [...this.objects]
      .filter(([key]) => {
        const change = classifyObjectKey(key);
        return change !== null && (SEEDED.has(key) || PROTECTED_COLLECTIONS.find((c) => c.family === change.family)!.createProtected);
      })
      .sort(([a], [b]) => a.localeCompare(b));
    return JSON.stringify(entries);
  }

  /** Executions since `mark` (an index into `executions`) that touched a protected object in any reading. */
  protectedSince(mark: number): Execution[] {
    return this.executions.slice(mark).filter((e) => e.protectedReadings.length > 0);
  }

  /** Resolves once no call is being received or executed. */
  async idle(): Promise<void> {
    while (this.inFlight > 0) await new Promise((r) => setTimeout(r, 5));
  }

  async start(): Promise<this> {
    // Lenient parsing on purpose: whatever the gateway sends, this server tries to act on it.
    const server = http.createServer({ insecureHTTPParser: true, maxHeaderSize: 256 * 1024 }, (req, res) => {
      this.inFlight++;
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('error', () => this.inFlight--);
      req.on('end', () => {
        try {
          const answer = this.execute('http', req.method ?? 'GET', req.url ?? '/', flatHeaders(req.rawHeaders), Buffer.concat(chunks), 0);
          const payload = JSON.stringify(answer.body ?? null);
          res.writeHead(answer.status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) });
          res.end(payload);
        } finally {
          this.inFlight--;
        }
      });
    });
    server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    // An upgrade (websocket, h2c) is honoured the liberal way: the request itself is executed.
    server.on('upgrade', (req: http.IncomingMessage, socket: Socket, head: Buffer) => {
      this.inFlight++;
      const declared = Number(req.headers['content-length'] ?? 0) || 0;
      let body = head;
      const finish = (): void => {
        socket.off('data', onData);
        try {
          const answer = this.execute('upgrade', req.method ?? 'GET', req.url ?? '/', flatHeaders(req.rawHeaders), body.subarray(0, declared), 0);
          socket.end(`HTTP/1.1 ${answer.status} OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n`);
        } finally {
          this.inFlight--;
        }
      };
      const onData = (c: Buffer): void => {
        body = Buffer.concat([body, c]);
        if (body.length >= declared) finish();
      };
      if (body.length >= declared) finish();
      else {
        socket.on('data', onData);
        socket.once('close', () => body.length < declared && finish());
      }
    });
    server.on('connect', (_req: http.IncomingMessage, socket: Socket) => socket.destroy());
    server.on('clientError', (_err, socket: Socket) => socket.destroy());
    server.keepAliveTimeout = 1000;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
    return this;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Executes one call: its primary reading on the state; every reading is recorded. */
  private execute(via: Execution['via'], method: string, target: string, headers: Record<string, string>, raw: Buffer | unknown, depth: number, batchBase: string[] = []): { status: number; body: unknown } {
    const readings = readingsOf(method, target, headers, batchBase);
    const primary = readings[0]!;
    const decoded = Buffer.isBuffer(raw) ? decodeBody(raw, headers) : undefined;
    const body = decoded !== undefined ? parseBody(decoded) : raw;
    const protectedReadings = readings.map(protectedChange).filter((c): c is ProtectedChange => c !== null);
    const record = (status: number, change: ProtectedChange | null): void => {
      if (SAFE_METHODS.has(primary.method) && protectedReadings.length === 0 && !isBatch(primary)) return;
      this.executions.push({ seq: ++this.seq, via, method, target, headers, readings, change, protectedReadings, body, status });
    };

    if (isBatch(primary) && !SAFE_METHODS.has(primary.method)) {
      record(200, null);
      const batch = decoded !== undefined ? parseJsonAll(decoded.toString('utf8').replace(/^\ufeff/, '')) : typeof raw === 'string' ? parseJsonAll(raw) : raw;
      return { status: 200, body: { responses: this.executeBatch(batch, primary.segments.slice(0, -1), depth) } };
    }
    if (SAFE_METHODS.has(primary.method)) {
      record(200, null);
      const found = this.objects.get(`/${primary.segments.join('/')}`);
      return found ? { status: 200, body: found } : { status: 404, body: { error: { code: 'NotFound', message: 'no such object' } } };
    }
    const change = protectedChange(primary);
    const status = this.apply(primary, body);
    record(status, status < 300 ? change : null);
    return { status, body: { executed: primary.method, path: `/${primary.segments.join('/')}` } };
  }

  private executeBatch(body: unknown, base: string[], depth: number): unknown[] {
    if (depth >= MAX_BATCH_DEPTH) return [];
    const out: unknown[] = [];
    for (const sub of batchRequests(body)) {
      const answer = this.execute('batch', sub.method, sub.url, sub.headers, sub.body, depth + 1, base);
      out.push({ id: sub.id, status: answer.status, body: answer.body });
    }
    return out;
  }

  /** Applies a mutation to the objects; 405 for a change this API has no meaning for. */
  private apply(reading: Reading, body: unknown): number {
    const path = `/${reading.segments.join('/')}`;
    const located = locate(reading.segments);
    const fields = typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as Record<string, unknown>) : { value: body };
    if (located?.kind === 'collection') {
      if (reading.method !== 'POST') return 405;
      const id = `n${this.seq + 1}`;
      this.objects.set(`${path}/${id}`, { ...fields, id });
      return 201;
    }
    if (located?.kind === 'object') {
      if (reading.method === 'POST') return 405;
      if (reading.method === 'DELETE') this.objects.delete(located.object);
      else this.objects.set(located.object, { ...(this.objects.get(located.object) ?? {}), ...fields });
      return 204;
    }
    if (located?.kind === 'below') {
      const current = this.objects.get(located.object) ?? {};
      const actions = Array.isArray(current.actions) ? current.actions : [];
      this.objects.set(located.object, { ...current, actions: [...actions, { method: reading.method, path, body }] });
      return 204;
    }
    // Anything else: remembered as an object of its own, so unprotected changes work too.
    if (reading.method === 'DELETE') this.objects.delete(path);
    else this.objects.set(path, { ...(this.objects.get(path) ?? {}), ...fields });
    return 204;
  }
}

/**
 * Starts a liberal upstream on a free loopback port.
 * @example const upstream = await startLiberalUpstream(); const mark = upstream.executions.length; … upstream.protectedSince(mark);
 */
export async function startLiberalUpstream(): Promise<LiberalUpstream> {
  return new LiberalUpstream().start();
}

function flatHeaders(raw: string[]): Record<string, string> {
  // Repeated headers joined as a server would ("a, b"); names lower-cased, any case accepted.
  const out: Record<string, string> = {};
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    out[name] = out[name] === undefined ? raw[i + 1]! : `${out[name]}, ${raw[i + 1]!}`;
  }
  return out;
}

function isBatch(reading: Reading): boolean {
  return reading.segments.length > 0 && reading.segments[reading.segments.length - 1] === '$batch';
}

// ---------------------------------------------------------------------------------------------
// Readings

/**
 * Every reading a liberal server may make of a call; the first is the one this upstream executes.
 * @example readingsOf('POST', '/deviceAppManagement/mobileApps/42', { 'x-http-method': 'GET' })[1]; // { method: 'POST', segments: [...] }
 */
export function readingsOf(method: string, target: string, headers: Record<string, string>, batchBase: string[] = []): Reading[] {
  const methods = methodReadings(method, headers);
  const targets: string[] = [];
  for (const name of REWRITE_HEADERS) if (headers[name] !== undefined) targets.push(headers[name]!);
  targets.push(target);
  const paths: string[][] = [];
  for (const t of targets) {
    for (const segments of pathReadings(t)) {
      paths.push(segments);
      // A batch sub-request url is relative to the folder that holds $batch, or to the root.
      if (batchBase.length > 0) paths.push(stripVersion([...batchBase, ...segments]));
    }
  }
  const seen = new Set<string>();
  const out: Reading[] = [];
  for (const p of paths) {
    for (const m of methods) {
      const key = `${m} /${p.join('/')}`;
      if (seen.has(key)) continue;
      seen.add(key);
      out.push({ method: m, segments: p });
    }
  }
  return out;
}

function methodReadings(sent: string, headers: Record<string, string>): string[] {
  const overrides: string[] = [];
  for (const name of OVERRIDE_HEADERS) {
    const value = headers[name];
    if (value === undefined) continue;
    for (const v of value.split(',')) overrides.push(v.trim().toUpperCase());
  }
  const all = [...overrides.filter((v) => v !== ''), sent.trim().toUpperCase()];
  return [...new Set(all.map((m) => (m === 'MERGE' ? 'PATCH' : m)))];
}

/**
 * The liberal readings of a request target's path: decoded once, and decoded until stable.
 * @example pathReadings('/v1.0/deviceAppManagement%252FmobileApps/42'); // [['deviceappmanagement%2fmobileapps', '42'], ['deviceappmanagement', 'mobileapps', '42']]
 */
export function pathReadings(target: string): string[][] {
  const raws: string[] = [];
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(target)) {
    raws.push(safeUrl(target)?.pathname ?? target);
  } else {
    raws.push(target);
    // `//host/path` is a network-path reference to a URL parser: host, then /path.
    if (target.startsWith('//')) {
      const u = safeUrl(target, 'http://upstream.invalid');
      if (u) raws.push(u.pathname);
    }
  }
  const out: string[][] = [];
  for (const raw of raws) {
    const path = raw.split(/[?#]/, 1)[0]!;
    out.push(canonicalSegments(decode(path, 1)));
    out.push(canonicalSegments(decode(path, 6)));
  }
  return out;
}

function safeUrl(text: string, base?: string): URL | undefined {
  try {
    return new URL(text, base);
  } catch {
    return undefined;
  }
}

/** Percent-decodes `rounds` times, the forgiving way: bad escapes stay, %uXXXX and overlong UTF-8 decode. */
function decode(path: string, rounds: number): string {
  let text = path.replace(/;[^/]*/g, ''); // path parameters stripped before decoding (Tomcat)
  for (let i = 0; i < rounds; i++) {
    const next = decodeOnce(text);
    if (next === text) break;
    text = next;
  }
  return text;
}

function decodeOnce(text: string): string {
  // Overlong forms of "/", "." and "\" first: an old decoder reads them as the ASCII character.
  let t = text.replace(/%c0%af|%e0%80%af/gi, '/').replace(/%c0%ae|%e0%80%ae/gi, '.').replace(/%c1%9c/gi, '\\');
  t = t.replace(/%u([0-9a-f]{4})/gi, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16)));
  // Runs of valid escapes decode as UTF-8; an invalid sequence decodes byte by byte (latin1).
  return t.replace(/(?:%[0-9a-f]{2})+/gi, (run) => {
    const bytes = Buffer.from(run.replace(/%/g, ''), 'hex');
    const utf8 = bytes.toString('utf8');
    return utf8.includes('\ufffd') ? bytes.toString('latin1') : utf8;
  });
}

/** Zero-width and invisible characters a lenient comparer drops. */
const INVISIBLE = /[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180e\u200b-\u200f\u202a-\u202e\u2060-\u206f\ufe00-\ufe0f\ufeff]/g;

function fold(segment: string): string {
  const plain = segment.normalize('NFKC').replace(INVISIBLE, '');
  // Turkish dotted and dotless i, then full case folding (ſ → S → s, K → k).
  return plain.replace(/[\u0130\u0131]/g, 'i').toUpperCase().toLowerCase().normalize('NFKC');
}

function canonicalSegments(decoded: string): string[] {
  let path = decoded;
  const nul = path.indexOf('\0');
  if (nul >= 0) path = path.slice(0, nul);
  path = path.replace(/\\/g, '/');
  const out: string[] = [];
  for (const rawSegment of path.split('/')) {
    let segment = fold(rawSegment.replace(/;.*$/, '').replace(/[\t\n\r]/g, ''));
    if (!/^\.+$/.test(segment.trim())) segment = segment.replace(/[ .]+$/, ''); // IIS trims trailing dots and spaces
    segment = segment.trim();
    if (segment === '' || segment === '.') continue;
    if (segment === '..') {
      out.pop();
      continue;
    }
    for (const part of odataKey(segment)) out.push(part);
  }
  return stripVersion(out);
}

/** `name('42')`, `name(id='42')`, `name(anyKey='v')`, `name(42)`, `fn()` → the segments a server routes on. */
function odataKey(segment: string): string[] {
  const m = /^([^()]+)\((.*)\)$/.exec(segment);
  if (!m) return [segment];
  const inner = m[2]!;
  if (inner === '') return [m[1]!];
  const first = inner.split(',')[0]!;
  const value = first.includes('=') ? first.slice(first.indexOf('=') + 1) : first;
  const key = value.replace(/^'(.*)'$/, '$1').replace(/''/g, "'");
  return key === '' ? [m[1]!] : [m[1]!, key];
}

function stripVersion(segments: string[]): string[] {
  if (segments[0] === 'v1.0' || segments[0] === 'beta') return segments.slice(1);
  return segments;
}

// ---------------------------------------------------------------------------------------------
// Protected objects

type Located = { kind: 'collection' | 'object' | 'below'; family: ProtectedFamily; object: string; createProtected: boolean; rest: string[] };

const isTypeCast = (s: string): boolean => s.startsWith('microsoft.graph.');

/** Where a path lands among the protected collections, type casts skipped, or null. */
function locate(segments: string[]): Located | null {
  for (const c of PROTECTED_COLLECTIONS) {
    if (c.prefix.some((p, i) => segments[i] !== p)) continue;
    const collection = `/${c.prefix.join('/')}`;
    const rest = segments.slice(c.prefix.length);
    // A type cast right after the collection names a type, not an object (typed creates, typed ids);
    // one right after the id, as the last segment, casts the object. Any other is an action.
    while (rest.length > 0 && isTypeCast(rest[0]!)) rest.shift();
    if (rest.length === 2 && isTypeCast(rest[1]!)) rest.pop();
    if (rest.length === 0) return { kind: 'collection', family: c.family, object: collection, createProtected: c.createProtected, rest };
    const object = `${collection}/${rest[0]}`;
    if (rest.length === 1) return { kind: 'object', family: c.family, object, createProtected: c.createProtected, rest };
    return { kind: 'below', family: c.family, object, createProtected: c.createProtected, rest: rest.slice(1) };
  }
  return null;
}

/**
 * The protected change a reading makes, or null: creates in a protected collection, changes and
 * deletes of a protected object, and any change below one (assign, assignments, members/$ref…).
 * For groups, what grants rights: creates, the group itself, its members and owners.
 * @example protectedChange({ method: 'POST', segments: ['groups', 'g1', 'members', '$ref'] }); // { family: 'groups', object: '/groups/g1', operation: 'action' }
 */
export function protectedChange(reading: Reading): ProtectedChange | null {
  if (SAFE_METHODS.has(reading.method)) return null;
  const at = locate(reading.segments);
  if (at === null) return null;
  if (at.kind === 'collection') return reading.method === 'POST' && at.createProtected ? { family: at.family, object: at.object, operation: 'create' } : null;
  if (at.kind === 'object') {
    if (reading.method === 'POST') return null; // 405 here
    return { family: at.family, object: at.object, operation: reading.method === 'DELETE' ? 'delete' : 'modify' };
  }
  if (at.family === 'groups' && at.rest[0] !== 'members' && at.rest[0] !== 'owners') return null;
  return { family: at.family, object: at.object, operation: 'action' };
}

function classifyObjectKey(key: string): ProtectedChange | null {
  return protectedChange({ method: 'PATCH', segments: key.split('/').filter(Boolean) });
}

// ---------------------------------------------------------------------------------------------
// Bodies and batches

/** Undoes every content and transfer coding it knows, last applied first; what fails stays as it is. */
function decodeBody(raw: Buffer, headers: Record<string, string>): Buffer {
  const codings = [headers['content-encoding'] ?? '', headers['transfer-encoding'] ?? '']
    .flatMap((h) => h.split(','))
    .map((c) => c.trim().toLowerCase())
    .filter((c) => c !== '' && c !== 'chunked' && c !== 'identity');
  let body = raw;
  for (const coding of codings.reverse()) {
    try {
      if (coding === 'gzip' || coding === 'x-gzip') body = gunzipSync(body, { maxOutputLength: MAX_INFLATED });
      else if (coding === 'deflate') {
        try {
          body = inflateSync(body, { maxOutputLength: MAX_INFLATED });
        } catch {
          body = inflateRawSync(body, { maxOutputLength: MAX_INFLATED });
        }
      } else if (coding === 'br') body = brotliDecompressSync(body, { maxOutputLength: MAX_INFLATED });
    } catch {
      return body;
    }
  }
  return body;
}

/** JSON when it parses (a byte order mark allowed), else the text. */
function parseBody(body: Buffer): unknown {
  if (body.length === 0) return undefined;
  const text = body.toString('utf8').replace(/^\ufeff/, '');
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

interface SubRequest {
  id: string;
  method: string;
  url: string;
  headers: Record<string, string>;
  body: unknown;
}

/** Sub-requests of a JSON batch, keys matched in any case; a repeated key gives one sub-request per value. */
function batchRequests(batch: unknown): SubRequest[] {
  const lists = valuesOf(batch, 'requests').filter(Array.isArray) as unknown[][];
  const out: SubRequest[] = [];
  for (const list of lists) {
    for (const item of list) {
      const methods = valuesOf(item, 'method').filter((v): v is string => typeof v === 'string');
      const urls = valuesOf(item, 'url').filter((v): v is string => typeof v === 'string');
      const headers: Record<string, string> = {};
      for (const h of valuesOf(item, 'headers')) {
        for (const [k, v] of entriesOf(h)) if (typeof v === 'string') headers[k.toLowerCase()] = headers[k.toLowerCase()] === undefined ? v : `${headers[k.toLowerCase()]}, ${v}`;
      }
      const bodyValue = valuesOf(item, 'body')[0];
      const id = String(valuesOf(item, 'id')[0] ?? '');
      for (const method of methods.length ? methods : ['GET']) {
        for (const url of urls) out.push({ id, method, url: url.startsWith('/') || /^[a-z]+:/i.test(url) ? url : `/${url}`, headers, body: bodyValue });
      }
    }
  }
  return out;
}

/** Every entry of a parsed object, repeated keys included (see parseJsonAll). */
const ENTRIES = Symbol('entries');
type WithEntries = Record<string, unknown> & { [ENTRIES]?: [string, unknown][] };

function entriesOf(value: unknown): [string, unknown][] {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return [];
  return (value as WithEntries)[ENTRIES] ?? Object.entries(value);
}

function valuesOf(value: unknown, key: string): unknown[] {
  return entriesOf(value).filter(([k]) => k.toLowerCase() === key).map(([, v]) => v);
}

/**
 * A JSON parser that keeps every value of a repeated key (JSON.parse keeps the last, other parsers
 * the first): objects carry all their entries under a symbol. Lenient: what it cannot read is undefined.
 */
function parseJsonAll(text: string): unknown {
  let i = 0;
  const ws = (): void => {
    while (i < text.length && ' \t\r\n'.includes(text[i]!)) i++;
  };
  const value = (): unknown => {
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      const obj: WithEntries = {};
      const entries: [string, unknown][] = [];
      ws();
      if (text[i] === '}') i++;
      else
        for (;;) {
          ws();
          const key = value();
          ws();
          if (typeof key !== 'string' || text[i] !== ':') throw new Error('bad object');
          i++;
          const v = value();
          entries.push([key, v]);
          obj[key] = v;
          ws();
          if (text[i] === ',') i++;
          else if (text[i] === '}') {
            i++;
            break;
          } else throw new Error('bad object');
        }
      Object.defineProperty(obj, ENTRIES, { value: entries, enumerable: false });
      return obj;
    }
    if (c === '[') {
      i++;
      const arr: unknown[] = [];
      ws();
      if (text[i] === ']') i++;
      else
        for (;;) {
          arr.push(value());
          ws();
          if (text[i] === ',') i++;
          else if (text[i] === ']') {
            i++;
            break;
          } else throw new Error('bad array');
        }
      return arr;
    }
    const m = /^(?:"(?:[^"\\]|\\.)*"|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null)/.exec(text.slice(i, i + 1_000_000));
    if (!m) throw new Error('bad value');
    i += m[0].length;
    return JSON.parse(m[0]);
  };
  try {
    const v = value();
    ws();
    return i === text.length ? v : undefined;
  } catch {
    return undefined;
  }
}
