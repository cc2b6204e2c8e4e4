/**
 * The demo's management API: a small, in-memory stand-in for the Intune routes of Microsoft Graph
 * that the shipped profile types protect (mobile apps, device management scripts, operation
 * approval policies). It answers the way Graph does (`{ "@odata.context", "value" }` lists,
 * 201 on create, 204 on PATCH, DELETE and assign, `{ "error": { "code", "message" } }` refusals),
 * so a walkthrough against the gateway looks like one against the real thing.
 *
 * Paths carry no version prefix (`/deviceAppManagement/mobileApps`, not `/beta/...`) so they match
 * the profile types' routes one to one. Graph ignores case in paths; so does this API.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';

/** Bodies larger than this are refused with 413, like Graph's own request size limit (4 MB). */
const BODY_LIMIT_BYTES = 4 * 1024 * 1024;
/** Idempotency keys remembered; the oldest is forgotten first. */
const IDEMPOTENCY_CAPACITY = 10_000;
/** Longest Idempotency-Key accepted. */
const IDEMPOTENCY_KEY_MAX = 255;

type GraphObject = Record<string, unknown> & { id: string };

interface Collection {
  /** Path of the collection as Graph spells it. */
  path: string;
  /** The `@odata.type` of new objects when the client sends none. */
  odataType: string;
  /** The name of the list in an assign body (`mobileAppAssignments`, …); absent when the type has no assign. */
  assignField?: string;
  /** Properties a create must carry. */
  required: string[];
  items: Map<string, GraphObject>;
}

interface StoredAnswer {
  fingerprint: string;
  status: number;
  body: string | undefined;
  headers: Record<string, string>;
}

/** A recorded call, for tests and the demo's own checks: what reached the upstream. */
export interface GraphCall {
  method: string;
  path: string;
  status: number;
  idempotencyKey?: string;
  replayed: boolean;
}

export interface GraphApi {
  url: string;
  /** Calls that reached this API, oldest first (at most the last 1,000). */
  calls(): GraphCall[];
  close(): Promise<void>;
}

function now(): string {
  return new Date().toISOString();
}

/** Seed data: a few objects of each kind, with stable ids the README's walkthrough uses. */
function seed(): Collection[] {
  const created = '2026-11-01T09:00:00Z';
  const apps: GraphObject[] = [
    {
      id: '42',
      '@odata.type': '#microsoft.graph.win32LobApp',
      displayName: 'Contoso Portal',
      description: 'Line-of-business portal for every desk',
      publisher: 'Contoso IT',
      installCommandLine: 'setup.exe /quiet',
      isFeatured: false,
      createdDateTime: created,
      lastModifiedDateTime: created,
    },
    {
      id: '43',
      '@odata.type': '#microsoft.graph.webApp',
      displayName: 'Expense Reports',
      description: 'Shortcut to the expense site',
      publisher: 'Contoso Finance',
      appUrl: 'https://expenses.contoso.example',
      isFeatured: true,
      createdDateTime: created,
      lastModifiedDateTime: created,
    },
  ];
  const scripts: GraphObject[] = [
    {
      id: '7',
      '@odata.type': '#microsoft.graph.deviceManagementScript',
      displayName: 'Set time zone',
      description: 'Sets the time zone of shared devices',
      fileName: 'set-time-zone.ps1',
      runAsAccount: 'system',
      enforceSignatureCheck: false,
      scriptContent: Buffer.from('Set-TimeZone -Id "W. Europe Standard Time"\n').toString('base64'),
      createdDateTime: created,
      lastModifiedDateTime: created,
    },
  ];
  const policies: GraphObject[] = [
    {
      id: 'p1',
      '@odata.type': '#microsoft.graph.operationApprovalPolicy',
      displayName: 'Apps need a second admin',
      description: 'Every app change is approved by app-approvers',
      policyType: 'app',
      policyPlatform: 'notApplicable',
      approverGroupIds: ['app-approvers'],
      lastModifiedDateTime: created,
    },
  ];
  const make = (path: string, odataType: string, required: string[], items: GraphObject[], assignField?: string): Collection => ({
    path,
    odataType,
    required,
    assignField,
    items: new Map(items.map((item) => [item.id, item])),
  });
  return [
    make('/deviceAppManagement/mobileApps', '#microsoft.graph.mobileApp', ['displayName'], apps, 'mobileAppAssignments'),
    make('/deviceManagement/deviceManagementScripts', '#microsoft.graph.deviceManagementScript', ['displayName', 'scriptContent'], scripts, 'deviceManagementScriptAssignments'),
    make('/deviceManagement/operationApprovalPolicies', '#microsoft.graph.operationApprovalPolicy', ['displayName', 'policyType'], policies),
  ];
}

class GraphError extends Error {
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message);
  }
}

interface Answer {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

/** Reads the body up to the limit; refuses a larger one with 413 rather than buffer it. */
function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > BODY_LIMIT_BYTES) {
        reject(new GraphError(413, 'RequestEntityTooLarge', `the body is larger than ${BODY_LIMIT_BYTES} bytes`));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function parseJsonObject(body: Buffer, required: boolean): Record<string, unknown> {
  if (body.length === 0) {
    if (required) throw new GraphError(400, 'BadRequest', 'a JSON body is required');
    return {};
  }
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch {
    throw new GraphError(400, 'BadRequest', 'the body is not valid JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new GraphError(400, 'BadRequest', 'the body must be a JSON object');
  }
  return value as Record<string, unknown>;
}

/** Properties a client may not set: the server owns them. */
const READ_ONLY = new Set(['id', 'createdDateTime', 'lastModifiedDateTime']);

function checkWritable(patch: Record<string, unknown>): void {
  for (const key of Object.keys(patch)) {
    if (READ_ONLY.has(key)) throw new GraphError(400, 'BadRequest', `the property '${key}' is read-only`);
  }
}

/**
 * Starts the demo Graph API on 127.0.0.1. Port 0 (the default) picks a free port.
 *
 * @example
 * const graph = await startGraphApi();
 * await fetch(`${graph.url}/deviceAppManagement/mobileApps`); // { "@odata.context": …, "value": [...] }
 * await graph.close();
 */
export async function startGraphApi(port = 0): Promise<GraphApi> {
  const collections = seed();
  const idempotency = new Map<string, StoredAnswer>();
  const log: GraphCall[] = [];
  let baseUrl = '';

  const find = (segments: string[]): { collection: Collection; rest: string[] } | undefined => {
    for (const collection of collections) {
      const parts = collection.path.split('/').filter(Boolean);
      if (segments.length < parts.length) continue;
      if (parts.every((part, i) => part.toLowerCase() === segments[i]!.toLowerCase())) {
        return { collection, rest: segments.slice(parts.length) };
      }
    }
    return undefined;
  };

  const context = (collection: Collection, entity = false): string =>
    `${baseUrl}/$metadata#${collection.path.slice(1)}${entity ? '/$entity' : ''}`;

  const handle = (method: string, segments: string[], body: Buffer): Answer => {
    const found = find(segments);
    if (!found) throw new GraphError(400, 'BadRequest', `Resource not found for the segment '${segments.join('/')}'.`);
    const { collection, rest } = found;
    const [id, action, ...extra] = rest;
    if (extra.length > 0) throw new GraphError(400, 'BadRequest', `Resource not found for the segment '${extra.join('/')}'.`);

    if (id === undefined) {
      if (method === 'GET') {
        return { status: 200, body: { '@odata.context': context(collection), value: [...collection.items.values()] } };
      }
      if (method === 'POST') {
        const input = parseJsonObject(body, true);
        checkWritable(input);
        for (const field of collection.required) {
          if (input[field] === undefined || input[field] === null || input[field] === '') {
            throw new GraphError(400, 'BadRequest', `the property '${field}' is required`);
          }
        }
        const at = now();
        const created: GraphObject = {
          '@odata.type': collection.odataType,
          ...input,
          id: randomUUID(),
          createdDateTime: at,
          lastModifiedDateTime: at,
        };
        if (collection.path.endsWith('operationApprovalPolicies')) delete created.createdDateTime;
        collection.items.set(created.id, created);
        return {
          status: 201,
          body: { '@odata.context': context(collection, true), ...created },
          headers: { location: `${baseUrl}${collection.path}('${created.id}')` },
        };
      }
      throw new GraphError(405, 'MethodNotAllowed', `${method} is not allowed on ${collection.path}`);
    }

    const key = decodeURIComponent(id);
    const item = collection.items.get(key);
    if (!item) throw new GraphError(404, 'ResourceNotFound', `No ${collection.odataType.replace('#microsoft.graph.', '')} with id '${key}' was found.`);

    if (action !== undefined) {
      if (action.toLowerCase() !== 'assign' || !collection.assignField || method !== 'POST') {
        throw new GraphError(400, 'BadRequest', `Resource not found for the segment '${action}'.`);
      }
      const input = parseJsonObject(body, true);
      const assignments = input[collection.assignField];
      if (!Array.isArray(assignments)) {
        throw new GraphError(400, 'BadRequest', `the property '${collection.assignField}' must be an array`);
      }
      item.assignments = assignments;
      item.lastModifiedDateTime = now();
      return { status: 204 };
    }

    switch (method) {
      case 'GET':
        return { status: 200, body: { '@odata.context': context(collection, true), ...item } };
      case 'PATCH': {
        const patch = parseJsonObject(body, true);
        checkWritable(patch);
        Object.assign(item, patch, { id: item.id, lastModifiedDateTime: now() });
        return { status: 204 };
      }
      case 'DELETE':
        collection.items.delete(key);
        return { status: 204 };
      default:
        throw new GraphError(405, 'MethodNotAllowed', `${method} is not allowed on ${collection.path}/{id}`);
    }
  };

  const send = (res: ServerResponse, status: number, body: string | undefined, headers: Record<string, string>): void => {
    const all: Record<string, string> = { 'request-id': randomUUID(), ...headers };
    if (body !== undefined) all['content-type'] = 'application/json; odata.metadata=minimal; charset=utf-8';
    res.writeHead(status, all);
    res.end(body);
  };

  const server: Server = createServer((req, res) => {
    void (async () => {
      const method = (req.method ?? 'GET').toUpperCase();
      const url = new URL(req.url ?? '/', 'http://graph.local');
      const rawKey = req.headers['idempotency-key'];
      const idempotencyKey = typeof rawKey === 'string' ? rawKey : undefined;
      const record = (status: number, replayed: boolean): void => {
        log.push({ method, path: url.pathname, status, idempotencyKey, replayed });
        if (log.length > 1000) log.shift();
      };
      try {
        const body = await readBody(req);
        if (idempotencyKey !== undefined) {
          if (idempotencyKey.length === 0 || idempotencyKey.length > IDEMPOTENCY_KEY_MAX) {
            throw new GraphError(400, 'BadRequest', `Idempotency-Key must be 1 to ${IDEMPOTENCY_KEY_MAX} characters`);
          }
          const previous = idempotency.get(idempotencyKey);
          const fingerprint = `${method} ${url.pathname.toLowerCase()}`;
          if (previous) {
            // The same key for another call is a client bug; answering the first call's result would hide it.
            if (previous.fingerprint !== fingerprint) {
              throw new GraphError(422, 'IdempotencyKeyReused', 'this Idempotency-Key was used for another call');
            }
            record(previous.status, true);
            send(res, previous.status, previous.body, { ...previous.headers, 'idempotent-replayed': 'true' });
            return;
          }
        }
        const segments = url.pathname.split('/').filter(Boolean).map((s) => {
          try {
            return decodeURIComponent(s);
          } catch {
            throw new GraphError(400, 'BadRequest', 'the path is not valid percent-encoding');
          }
        });
        const answer = handle(method, segments, body);
        const text = answer.body === undefined ? undefined : JSON.stringify(answer.body);
        // Only successes are remembered, so a client may fix a refused call and send it again.
        if (idempotencyKey !== undefined && answer.status < 400) {
          idempotency.set(idempotencyKey, { fingerprint: `${method} ${url.pathname.toLowerCase()}`, status: answer.status, body: text, headers: answer.headers ?? {} });
          if (idempotency.size > IDEMPOTENCY_CAPACITY) idempotency.delete(idempotency.keys().next().value!);
        }
        record(answer.status, false);
        send(res, answer.status, text, answer.headers ?? {});
      } catch (error) {
        const e = error instanceof GraphError ? error : new GraphError(500, 'InternalServerError', 'unexpected error');
        record(e.status, false);
        if (res.headersSent) return res.destroy();
        send(res, e.status, JSON.stringify({ error: { code: e.code, message: e.message, innerError: { date: now() } } }), {});
      }
    })();
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (!address || typeof address !== 'object') throw new Error('graph api: no address');
  baseUrl = `http://127.0.0.1:${address.port}`;

  return {
    url: baseUrl,
    calls: () => [...log],
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
