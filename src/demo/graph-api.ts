/**
 * The demo's management API: a small, in-memory stand-in for the Microsoft Graph routes that the
 * shipped profile types protect (mobile apps, device management scripts, operation approval
 * policies, groups with their members and owners, Intune role definitions, role assignments and
 * scope tags; and, in intune-fixtures.ts, compliance and configuration policies, managed devices
 * and their actions, device categories, resource operations and every other script kind). Every
 * mutating route it serves is listed by demoMutatingRoutes(), from the same collections the
 * handler answers from. It answers the way Graph does, so that the official Graph SDKs work against it
 * unchanged and a walkthrough against the gateway looks like one against the real thing:
 * - every route with and without the `/v1.0` and `/beta` prefixes;
 * - lists as `{ "@odata.context", "value" }`, paged by `$top` with `$skiptoken` (or `$skip`), and an
 *   absolute `@odata.nextLink` on this API's own origin;
 * - 201 with an absolute `Location` on create; 204 on PATCH, DELETE, assign and `$ref` changes;
 * - an `ETag` on every object and child read (weak, from its content, so any change changes it), and
 *   `If-Match` honoured on PATCH and DELETE of an object or child: 412 `PreconditionFailed` when it
 *   names another version (the gateway's stale check and its If-Match on replay use these);
 * - `GET …/{id}/assignments` on every assignable object (what its last `assign` set);
 * - child collections below an object (`assignments`, `groupAssignments`, `settings`,
 *   `scheduledActionsForRule`): list, create (201), read, PATCH and DELETE (204);
 * - bound actions (`assign`, `wipe`, `retire`, `scheduleActionsForRules`, …) and collection
 *   actions (`managedDevices/executeAction`), 204 or 200 with the action's result;
 * - JSON batching (`POST /$batch`, at most 20 requests, `dependsOn` honoured);
 * - refusals as `{ "error": { "code", "message", "innerError": { date, request-id, client-request-id } } }`;
 * - every call must carry a bearer token, any of config/demo/tokens.yaml (the gateway forwards the
 *   caller's, and the completer's at replay), so a client that drops its token sees 401
 *   `InvalidAuthenticationToken` instead of working by accident.
 *
 * The seeded groups mirror config/demo/tokens.yaml, so the demo shows who is in which approver
 * group; changing them here changes what this API answers, not the demo's static tokens.
 *
 * The unprefixed paths (`/deviceAppManagement/mobileApps`) match the profile types' routes one to
 * one and are what the README walkthrough uses. Graph ignores case in paths; so does this API.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import { createHash, randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { loadStaticTokens, type StaticTokens } from '../identity/static-tokens';
import { bearerToken } from '../identity/bearer-token';
import { findName, GraphError, makeCollection, type Collection, type GraphObject } from './graph-collection';
import { intuneCollections } from './intune-fixtures';

/** Bodies larger than this are refused with 413, like Graph's own request size limit (4 MB). */
const BODY_LIMIT_BYTES = 4 * 1024 * 1024;
/** Idempotency keys remembered; the oldest is forgotten first. */
const IDEMPOTENCY_CAPACITY = 10_000;
/** Longest Idempotency-Key accepted. */
const IDEMPOTENCY_KEY_MAX = 255;
/** Graph's own limit of requests in one JSON batch. */
const BATCH_MAX_REQUESTS = 20;
/** Largest `$top` Graph accepts on most collections. */
const TOP_MAX = 999;
/** Page size when the client sends no `$top` (Graph's default for directory collections). */
const PAGE_DEFAULT = 100;
/** Longest `client-request-id` echoed back; a longer one is replaced, not reflected. */
const CLIENT_REQUEST_ID_MAX = 128;
/** The version prefixes Graph serves; each route answers with and without one. */
const VERSIONS = ['v1.0', 'beta'];
/** The demo's identities: any of these tokens is accepted. */
const DEMO_TOKENS_FILE = fileURLToPath(new URL('../../config/demo/tokens.yaml', import.meta.url));

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
  /** `http://127.0.0.1:<port>`, or `https://…` when started with `tls`. */
  url: string;
  /** Calls that reached this API, oldest first (at most the last 1,000). */
  calls(): GraphCall[];
  close(): Promise<void>;
}

export interface GraphApiOptions {
  /** Static tokens accepted as bearer tokens; default config/demo/tokens.yaml. */
  tokensFile?: string;
  /** Serve HTTPS with this certificate and key (PEM), as Graph does; default plain HTTP. */
  tls?: { cert: string | Buffer; key: string | Buffer };
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
  // The approver groups of config/access-policies and their members as config/demo/tokens.yaml has them.
  const groupSeed: [id: string, description: string, members: string[], owners: string[]][] = [
    ['helpdesk', 'Makes changes', ['alice', 'carol'], ['frank']],
    ['app-approvers', 'Approves app changes', ['bob', 'carol'], ['frank']],
    ['script-approvers', 'Approves script changes', ['bob', 'carol'], ['frank']],
    ['policy-approvers', 'Approves access-policy changes', ['dave'], ['frank']],
    ['security-approvers', 'Approves access-policy changes after policy-approvers (second stage)', ['heidi'], ['frank']],
    ['group-approvers', 'Approves group membership and ownership changes', ['frank'], ['dave']],
    ['role-approvers', 'Approves Intune role changes', ['frank'], ['dave']],
    ['auditors', 'Sees every request and the audit trail', ['erin'], ['frank']],
    ['compliance-approvers', 'Approves compliance policy changes', ['grace'], ['frank']],
    ['configuration-approvers', 'Approves configuration policy changes', ['grace'], ['frank']],
    ['device-action-approvers', 'Approves wipe, retire and delete of devices', ['grace'], ['frank']],
    ['tenant-approvers', 'Approves tenant configuration changes (device categories)', ['grace'], ['frank']],
  ];
  const groups: GraphObject[] = groupSeed.map(([id, description]) => ({
    id,
    '@odata.type': '#microsoft.graph.group',
    displayName: id,
    description,
    mailEnabled: false,
    securityEnabled: true,
    groupTypes: [],
    createdDateTime: created,
  }));
  const refs = new Map(groupSeed.map(([id, , members, owners]) => [id, { members: new Set(members), owners: new Set(owners) }]));
  const roleDefinitions: GraphObject[] = [
    {
      id: 'rd-helpdesk',
      '@odata.type': '#microsoft.graph.deviceAndAppManagementRoleDefinition',
      displayName: 'Help Desk Operator',
      description: 'Reads devices and apps, runs remote tasks',
      isBuiltIn: true,
      rolePermissions: [{ resourceActions: [{ allowedResourceActions: ['Microsoft.Intune_ManagedApps_Read', 'Microsoft.Intune_RemoteTasks_RebootNow'] }] }],
    },
    {
      id: 'rd-app-manager',
      '@odata.type': '#microsoft.graph.deviceAndAppManagementRoleDefinition',
      displayName: 'Application Manager',
      description: 'Creates, changes and assigns apps',
      isBuiltIn: true,
      rolePermissions: [{ resourceActions: [{ allowedResourceActions: ['Microsoft.Intune_MobileApps_Create', 'Microsoft.Intune_MobileApps_Assign'] }] }],
    },
  ];
  const roleAssignments: GraphObject[] = [
    {
      id: 'ra-helpdesk',
      '@odata.type': '#microsoft.graph.deviceAndAppManagementRoleAssignment',
      displayName: 'Helpdesk operators',
      description: 'The helpdesk group as Help Desk Operator over all devices',
      members: ['helpdesk'],
      scopeMembers: ['all-devices'],
      roleScopeTagIds: ['0'],
      roleDefinitionId: 'rd-helpdesk',
    },
  ];
  const roleScopeTags: GraphObject[] = [
    { id: '0', '@odata.type': '#microsoft.graph.roleScopeTag', displayName: 'Default', description: 'Every object without another tag', isBuiltIn: true },
    { id: '1', '@odata.type': '#microsoft.graph.roleScopeTag', displayName: 'Finance', description: 'Finance devices and apps', isBuiltIn: false },
  ];
  const make = (path: string, odataType: string, required: string[], items: GraphObject[], assignField?: string): Collection =>
    makeCollection(path, odataType, required, items, { assignField });
  return [
    make('/deviceAppManagement/mobileApps', '#microsoft.graph.mobileApp', ['displayName'], apps, 'mobileAppAssignments'),
    makeCollection('/deviceManagement/deviceManagementScripts', '#microsoft.graph.deviceManagementScript', ['displayName', 'scriptContent'], scripts, {
      assignField: 'deviceManagementScriptAssignments',
      children: { assignments: '#microsoft.graph.deviceManagementScriptAssignment', groupAssignments: '#microsoft.graph.deviceManagementScriptGroupAssignment' },
      seedChildren: {
        '7': {
          assignments: [{ id: '7_all-devices', '@odata.type': '#microsoft.graph.deviceManagementScriptAssignment', target: { '@odata.type': '#microsoft.graph.allDevicesAssignmentTarget' } }],
          groupAssignments: [{ id: '7_helpdesk', '@odata.type': '#microsoft.graph.deviceManagementScriptGroupAssignment', targetGroupId: 'helpdesk' }],
        },
      },
    }),
    make('/deviceManagement/operationApprovalPolicies', '#microsoft.graph.operationApprovalPolicy', ['displayName', 'policyType'], policies),
    { ...make('/groups', '#microsoft.graph.group', ['displayName'], groups), links: { names: ['members', 'owners'], refs } },
    make('/deviceManagement/roleDefinitions', '#microsoft.graph.deviceAndAppManagementRoleDefinition', ['displayName', 'rolePermissions'], roleDefinitions),
    make('/deviceManagement/roleAssignments', '#microsoft.graph.deviceAndAppManagementRoleAssignment', ['displayName', 'roleDefinitionId'], roleAssignments),
    make('/deviceManagement/roleScopeTags', '#microsoft.graph.roleScopeTag', ['displayName'], roleScopeTags, 'assignments'),
    ...intuneCollections(),
  ];
}

/**
 * Takes `members@odata.bind` / `owners@odata.bind` (arrays of directory object URLs) out of a create
 * or PATCH body of a collection with links: Graph binds them as references, not as properties.
 */
function takeBindings(collection: Collection, input: Record<string, unknown>): Record<string, string[]> | undefined {
  if (!collection.links) return undefined;
  const bound: Record<string, string[]> = {};
  for (const link of collection.links.names) {
    const field = `${link}@odata.bind`;
    if (!(field in input)) continue;
    const urls = input[field];
    if (!Array.isArray(urls) || urls.length > 20) throw new GraphError(400, 'BadRequest', `the property '${field}' must be an array of at most 20 directory object URLs`);
    bound[link] = urls.map((url) => referencedId({ '@odata.id': url }));
    delete input[field];
  }
  return bound;
}

/** The ids in one item's navigation property (members, owners), made empty on first use. */
function linkSet(collection: Collection, id: string, link: string): Set<string> {
  const refs = collection.links!.refs;
  const item = refs.get(id) ?? refs.set(id, {}).get(id)!;
  return (item[link] ??= new Set());
}

/** Longest directory object id a `$ref` may name. */
const REF_ID_MAX = 128;

/**
 * The id a `$ref` body names: `{ "@odata.id": "https://graph.microsoft.com/v1.0/directoryObjects/{id}" }`
 * (or `…/users/{id}`, `…/groups/{id}`): its last path segment.
 */
function referencedId(body: Record<string, unknown>): string {
  const ref = body['@odata.id'];
  if (typeof ref !== 'string') throw new GraphError(400, 'BadRequest', "the property '@odata.id' is required");
  let last: string | undefined;
  try {
    last = new URL(ref, 'https://graph.microsoft.com').pathname.split('/').filter(Boolean).pop();
  } catch {
    last = undefined;
  }
  const id = last === undefined ? '' : decodeURIComponent(last);
  if (id === '' || id.length > REF_ID_MAX || !/^[A-Za-z0-9._@-]+$/.test(id)) {
    throw new GraphError(400, 'BadRequest', "'@odata.id' must be the URL of a directory object, such as https://graph.microsoft.com/v1.0/directoryObjects/{id}");
  }
  return id;
}

/**
 * One page of a collection, as Graph pages: `$top` items from the position `$skiptoken` (opaque
 * to clients; here the offset in base64url) or `$skip` names, and the link to the next page when
 * more remain. Query option names ignore case, as Graph's do.
 */
function page<T>(items: T[], query: URLSearchParams, nextUrl: (top: number, skiptoken: string) => string): { value: T[]; nextLink?: string } {
  const option = (name: string): string | undefined => {
    for (const [key, value] of query) if (key.toLowerCase() === name) return value;
    return undefined;
  };
  const count = (name: string, raw: string | undefined, max: number, fallback: number): number => {
    if (raw === undefined) return fallback;
    if (!/^\d{1,7}$/.test(raw) || Number(raw) > max) throw new GraphError(400, 'BadRequest', `Invalid value '${raw}' for the query option '${name}': expected a whole number from 0 to ${max}.`);
    return Number(raw);
  };
  const top = count('$top', option('$top'), TOP_MAX, PAGE_DEFAULT);
  let offset = count('$skip', option('$skip'), Number.MAX_SAFE_INTEGER, 0);
  const skiptoken = option('$skiptoken');
  if (skiptoken !== undefined) {
    const decoded = skiptoken.length <= 32 ? Buffer.from(skiptoken, 'base64url').toString('utf8') : '';
    if (!/^\d{1,9}$/.test(decoded)) throw new GraphError(400, 'BadRequest', "The '$skiptoken' is not one this API issued; follow '@odata.nextLink' as it is.");
    offset += Number(decoded);
  }
  const value = items.slice(offset, offset + top);
  const next = offset + top;
  return next < items.length && top > 0 ? { value, nextLink: nextUrl(top, Buffer.from(String(next)).toString('base64url')) } : { value };
}

/**
 * Path segments with an OData key in parentheses (`mobileApps('42')`, as Graph's `Location` headers
 * spell it) split into the collection and the key, so such a URL reads the same object.
 */
function splitKeys(segments: string[]): string[] {
  return segments.flatMap((segment) => {
    const match = /^([^()']+)\('([^()']*)'\)$/.exec(segment) ?? /^([^()']+)\(([^()',=]+)\)$/.exec(segment);
    return match ? [match[1]!, match[2]!] : [segment];
  });
}

interface Answer {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

/**
 * Graph's 404: directory objects (groups) answer `Request_ResourceNotFound`, Intune's routes
 * `ResourceNotFound`.
 */
function notFound(collection: Collection, key: string): GraphError {
  const code = collection.links ? 'Request_ResourceNotFound' : 'ResourceNotFound';
  return new GraphError(404, code, `No ${collection.odataType.replace('#microsoft.graph.', '')} with id '${key}' was found.`);
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

/** Where one call is answered: this API's origin plus the version prefix the call used, if any. */
interface Call {
  method: string;
  segments: string[];
  query: URLSearchParams;
  body: Buffer;
  /** `v1.0`, `beta`, or undefined for the unprefixed routes. */
  version: string | undefined;
  /** The `If-Match` header, when the call sent one. */
  ifMatch?: string;
}

/**
 * An object's version as an ETag: weak (it is computed from the content, not stored), and changed by
 * any change of the object.
 * @example etagOf({ id: '42', displayName: 'x' }) // 'W/"5c1d…"'
 */
export function etagOf(item: GraphObject): string {
  return `W/"${createHash('sha256').update(JSON.stringify(item)).digest('base64url').slice(0, 22)}"`;
}

/** 412 unless `ifMatch` (absent, `*`, or a list of ETags) names the object's current version; W/ is ignored, as Graph does. */
function checkIfMatch(ifMatch: string | undefined, item: GraphObject): void {
  if (ifMatch === undefined || ifMatch.trim() === '*') return;
  const bare = (tag: string): string => tag.trim().replace(/^W\//, '');
  const current = bare(etagOf(item));
  if (!ifMatch.split(',').some((tag) => bare(tag) === current)) {
    throw new GraphError(412, 'PreconditionFailed', 'The If-Match header does not match the object\'s current ETag: it was changed since it was read.');
  }
}

/** One mutating route the demo API serves, and a call that it answers with success. */
export interface DemoRoute {
  method: 'POST' | 'PATCH' | 'DELETE';
  /** The route as a template, with its version prefix when it has one: `/v1.0/deviceManagement/managedDevices/{id}/wipe`. */
  path: string;
  /** The same route naming seeded objects, and a body it accepts: a fresh API answers it 2xx. */
  example: { path: string; body?: Record<string, unknown> };
}

/**
 * Every mutating route this API serves, read from the collections the handler answers from (so a
 * route added to a collection is listed here without anyone copying it): creates, PATCH and DELETE
 * of an object, its child collections, its bound actions, the collection's actions, group `$ref`
 * changes, and `$batch`; each without and with `/v1.0` and `/beta`. PUT is not served (405).
 * @example demoMutatingRoutes().find((r) => r.path === '/deviceManagement/managedDevices/{id}/wipe')
 * // { method: 'POST', path: …, example: { path: '/deviceManagement/managedDevices/d-laptop-7/wipe', body: { … } } }
 */
export function demoMutatingRoutes(): DemoRoute[] {
  const routes: DemoRoute[] = [];
  const add = (method: DemoRoute['method'], path: string, examplePath: string, body?: Record<string, unknown>): void => {
    routes.push({ method, path, example: { path: examplePath, ...(body === undefined ? {} : { body }) } });
  };
  for (const collection of seed()) {
    const [first] = collection.items.keys();
    if (first === undefined) throw new Error(`demo: ${collection.path} has no seeded object to name in its examples`);
    const item = `${collection.path}/{id}`;
    const example = `${collection.path}/${encodeURIComponent(first)}`;
    if (collection.creatable) add('POST', collection.path, collection.path, collection.example);
    add('PATCH', item, example, collection.patchExample);
    add('DELETE', item, example);
    for (const [name, action] of Object.entries(collection.actions)) add('POST', `${item}/${name}`, `${example}/${name}`, action.example);
    for (const [name, action] of Object.entries(collection.collectionActions)) add('POST', `${collection.path}/${name}`, `${collection.path}/${name}`, action.example);
    for (const child of Object.keys(collection.children)) {
      const [seeded] = collection.childItems.get(first)?.get(child.toLowerCase())?.keys() ?? [];
      if (seeded === undefined) throw new Error(`demo: ${collection.path}/${first}/${child} has no seeded child to name in its examples`);
      const childExample = `${example}/${child}/${encodeURIComponent(seeded)}`;
      add('POST', `${item}/${child}`, `${example}/${child}`, { target: { '@odata.type': '#microsoft.graph.groupAssignmentTarget', groupId: 'helpdesk' } });
      add('PATCH', `${item}/${child}/{childId}`, childExample, { target: { '@odata.type': '#microsoft.graph.groupAssignmentTarget', groupId: 'auditors' } });
      add('DELETE', `${item}/${child}/{childId}`, childExample);
    }
    for (const link of collection.links?.names ?? []) {
      const [member] = collection.links!.refs.get(first)?.[link] ?? [];
      add('POST', `${item}/${link}/$ref`, `${example}/${link}/$ref`, { '@odata.id': 'https://graph.microsoft.com/v1.0/directoryObjects/grace' });
      if (member !== undefined) add('DELETE', `${item}/${link}/{memberId}/$ref`, `${example}/${link}/${encodeURIComponent(member)}/$ref`);
    }
  }
  add('POST', '/$batch', '/$batch', { requests: [{ id: '1', method: 'GET', url: '/deviceManagement/deviceCategories' }] });
  const unversioned = [...routes];
  for (const version of VERSIONS) {
    for (const r of unversioned) routes.push({ ...r, path: `/${version}${r.path}`, example: { ...r.example, path: `/${version}${r.example.path}` } });
  }
  return routes;
}

/**
 * Starts the demo Graph API on 127.0.0.1. Port 0 (the default) picks a free port.
 *
 * @example
 * const graph = await startGraphApi();
 * await fetch(`${graph.url}/v1.0/deviceAppManagement/mobileApps?$top=1`, { headers: { authorization: 'Bearer demo-alice' } });
 * // { "@odata.context": …, "value": [ … ], "@odata.nextLink": "http://127.0.0.1:…/v1.0/…?$top=1&$skiptoken=…" }
 * await graph.close();
 */
export async function startGraphApi(port = 0, options: GraphApiOptions = {}): Promise<GraphApi> {
  const tokens: StaticTokens = loadStaticTokens(options.tokensFile ?? DEMO_TOKENS_FILE);
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

  /** Absolute links start at this API's origin and keep the version the call used, as Graph's do. */
  const root = (version: string | undefined): string => (version === undefined ? baseUrl : `${baseUrl}/${version}`);
  const context = (version: string | undefined, collection: Collection, entity = false): string =>
    `${root(version)}/$metadata#${collection.path.slice(1)}${entity ? '/$entity' : ''}`;

  /** A list answer: one page of `items` and, when more remain, the absolute link to the next. */
  const list = (call: Call, odataContext: string, items: unknown[]): Answer => {
    const path = `/${call.segments.map(encodeURIComponent).join('/')}`;
    const { value, nextLink } = page(items, call.query, (top, skiptoken) => `${root(call.version)}${path}?$top=${top}&$skiptoken=${skiptoken}`);
    return { status: 200, body: { '@odata.context': odataContext, value, ...(nextLink ? { '@odata.nextLink': nextLink } : {}) } };
  };

  const handle = (call: Call): Answer => {
    const { method, segments, body, version } = call;
    const found = find(segments);
    if (!found) throw new GraphError(400, 'BadRequest', `Resource not found for the segment '${segments.join('/')}'.`);
    const { collection, rest } = found;
    const link = collection.links && rest[1] !== undefined ? collection.links.names.find((n) => n.toLowerCase() === rest[1]!.toLowerCase()) : undefined;
    if (link !== undefined) return handleLink(call, collection, rest[0]!, link, rest.slice(2));
    const child = findName(Object.keys(collection.children), rest[1]);
    if (child !== undefined) return handleChild(call, collection, rest[0]!, child, rest.slice(2));
    if (collection.assignField !== undefined && rest.length === 2 && rest[1]!.toLowerCase() === 'assignments' && method === 'GET') {
      // An object whose assignments are no child collection: what its last assign set.
      const key = decodeURIComponent(rest[0]!);
      const item = collection.items.get(key);
      if (!item) throw notFound(collection, key);
      const assignments = Array.isArray(item.assignments) ? item.assignments : [];
      return list(call, `${root(version)}/$metadata#${collection.path.slice(1)}('${key}')/assignments`, assignments);
    }
    const [id, action, ...extra] = rest;
    if (extra.length > 0) throw new GraphError(400, 'BadRequest', `Resource not found for the segment '${extra.join('/')}'.`);

    // An action bound to the collection (`POST managedDevices/executeAction`) before reading the segment as an id.
    const collectionAction = action === undefined ? findName(Object.keys(collection.collectionActions), id) : undefined;
    if (collectionAction !== undefined) {
      if (method !== 'POST') throw new GraphError(405, 'MethodNotAllowed', `${method} is not allowed on ${collection.path}/${collectionAction}; send POST`);
      const answer = collection.collectionActions[collectionAction]!.run(parseJsonObject(body, true), collection);
      return answer.body === undefined ? { status: answer.status } : { status: answer.status, body: answer.body };
    }

    if (id === undefined) {
      if (method === 'GET') {
        return list(call, context(version, collection), [...collection.items.values()]);
      }
      if (method === 'POST' && collection.creatable) {
        const input = parseJsonObject(body, true);
        checkWritable(input);
        for (const field of collection.required) {
          if (input[field] === undefined || input[field] === null || input[field] === '') {
            throw new GraphError(400, 'BadRequest', `the property '${field}' is required`);
          }
        }
        const at = now();
        const id = randomUUID();
        const bound = takeBindings(collection, input);
        const created: GraphObject = {
          '@odata.type': collection.odataType,
          ...input,
          id,
          createdDateTime: at,
          lastModifiedDateTime: at,
        };
        if (collection.path.endsWith('operationApprovalPolicies')) delete created.createdDateTime;
        collection.items.set(created.id, created);
        for (const [link, ids] of Object.entries(bound ?? {})) for (const member of ids) linkSet(collection, id, link).add(member);
        return {
          status: 201,
          body: { '@odata.context': context(version, collection, true), ...created },
          headers: { location: `${root(version)}${collection.path}('${created.id}')` },
        };
      }
      throw new GraphError(405, 'MethodNotAllowed', `${method} is not allowed on ${collection.path}`);
    }

    const key = decodeURIComponent(id);
    const item = collection.items.get(key);
    if (!item) throw notFound(collection, key);

    if (action !== undefined) {
      const name = findName(Object.keys(collection.actions), action);
      if (name === undefined || method !== 'POST') {
        throw new GraphError(400, 'BadRequest', `Resource not found for the segment '${action}'.`);
      }
      // Actions without parameters (syncDevice, retire) are sent without a body.
      const answer = collection.actions[name]!.run(item, parseJsonObject(body, false), collection);
      return answer.body === undefined ? { status: answer.status } : { status: answer.status, body: answer.body };
    }

    switch (method) {
      case 'GET':
        return { status: 200, body: { '@odata.context': context(version, collection, true), ...item }, headers: { etag: etagOf(item) } };
      case 'PATCH': {
        checkIfMatch(call.ifMatch, item);
        const patch = parseJsonObject(body, true);
        checkWritable(patch);
        const bound = takeBindings(collection, patch);
        Object.assign(item, patch, { id: item.id, lastModifiedDateTime: now() });
        // Graph adds what members@odata.bind names in a PATCH to the group's members.
        for (const [link, ids] of Object.entries(bound ?? {})) {
          const set = linkSet(collection, key, link);
          for (const member of ids) set.add(member);
        }
        return { status: 204 };
      }
      case 'DELETE':
        checkIfMatch(call.ifMatch, item);
        collection.items.delete(key);
        collection.links?.refs.delete(key);
        collection.childItems.delete(key);
        return { status: 204 };
      default:
        throw new GraphError(405, 'MethodNotAllowed', `${method} is not allowed on ${collection.path}/{id}`);
    }
  };

  /**
   * A child collection below one object (`…/{id}/assignments`, `…/{id}/settings`): GET lists it,
   * POST adds a child (201 with Location), and one child is read, changed (PATCH, 204) or removed
   * (DELETE, 204).
   */
  const handleChild = (call: Call, collection: Collection, id: string, child: string, tail: string[]): Answer => {
    const { method, body, version } = call;
    const key = decodeURIComponent(id);
    const item = collection.items.get(key);
    if (!item) throw notFound(collection, key);
    const kinds = collection.childItems.get(key) ?? collection.childItems.set(key, new Map()).get(key)!;
    const children = kinds.get(child.toLowerCase()) ?? kinds.set(child.toLowerCase(), new Map()).get(child.toLowerCase())!;
    const odataType = collection.children[child]!;
    const here = `${collection.path}('${key}')/${child}`;
    const childContext = (entity: boolean): string => `${root(version)}/$metadata#${here.slice(1)}${entity ? '/$entity' : ''}`;
    if (tail.length === 0) {
      if (method === 'GET') return list(call, childContext(false), [...children.values()]);
      if (method !== 'POST') throw new GraphError(405, 'MethodNotAllowed', `${method} is not allowed on ${collection.path}/{id}/${child}`);
      const input = parseJsonObject(body, true);
      checkWritable(input);
      const created: GraphObject = { '@odata.type': odataType, ...input, id: randomUUID() };
      children.set(created.id, created);
      item.lastModifiedDateTime = now();
      return { status: 201, body: { '@odata.context': childContext(true), ...created }, headers: { location: `${root(version)}${here}('${created.id}')` } };
    }
    if (tail.length > 1) throw new GraphError(400, 'BadRequest', `Resource not found for the segment '${tail.slice(1).join('/')}'.`);
    const childKey = decodeURIComponent(tail[0]!);
    const found = children.get(childKey);
    if (!found) throw new GraphError(404, 'ResourceNotFound', `No ${odataType.replace('#microsoft.graph.', '')} with id '${childKey}' was found.`);
    switch (method) {
      case 'GET':
        return { status: 200, body: { '@odata.context': childContext(true), ...found }, headers: { etag: etagOf(found) } };
      case 'PATCH': {
        checkIfMatch(call.ifMatch, found);
        const patch = parseJsonObject(body, true);
        checkWritable(patch);
        Object.assign(found, patch, { id: found.id });
        item.lastModifiedDateTime = now();
        return { status: 204 };
      }
      case 'DELETE':
        checkIfMatch(call.ifMatch, found);
        children.delete(childKey);
        item.lastModifiedDateTime = now();
        return { status: 204 };
      default:
        throw new GraphError(405, 'MethodNotAllowed', `${method} is not allowed on ${collection.path}/{id}/${child}/{id}`);
    }
  };

  /**
   * A group's members or owners: `GET …/{id}/members` lists them, `POST …/{id}/members/$ref` adds
   * the object its `@odata.id` names, `DELETE …/{id}/members/{memberId}/$ref` removes one.
   */
  const handleLink = (call: Call, collection: Collection, id: string, link: string, tail: string[]): Answer => {
    const { method, body } = call;
    const key = decodeURIComponent(id);
    const item = collection.items.get(key);
    if (!item) throw notFound(collection, key);
    const set = linkSet(collection, key, link);
    const isRef = (segment: string | undefined): boolean => segment?.toLowerCase() === '$ref';
    if (tail.length === 0 && method === 'GET') {
      const members = [...set].map((member) => ({ '@odata.type': '#microsoft.graph.directoryObject', id: member }));
      return list(call, `${root(call.version)}/$metadata#directoryObjects`, members);
    }
    if (tail.length === 1 && isRef(tail[0]) && method === 'POST') {
      const member = referencedId(parseJsonObject(body, true));
      if (set.has(member)) throw new GraphError(400, 'BadRequest', 'One or more added object references already exist for the following modified properties: ' + `'${link}'.`);
      set.add(member);
      return { status: 204 };
    }
    if (tail.length === 2 && isRef(tail[1]) && method === 'DELETE') {
      const member = decodeURIComponent(tail[0]!);
      if (!set.delete(member)) throw new GraphError(404, 'Request_ResourceNotFound', `'${member}' is not in ${link} of '${key}'.`);
      return { status: 204 };
    }
    throw new GraphError(400, 'BadRequest', `Resource not found for the segment '${[link, ...tail].join('/')}'.`);
  };

  /** Graph's error body: `request-id` is the answer's own header, `client-request-id` echoes the client's. */
  const errorBody = (e: GraphError, requestId: string, clientRequestId: string): unknown => ({
    error: { code: e.code, message: e.message, innerError: { date: now(), 'request-id': requestId, 'client-request-id': clientRequestId } },
  });

  /** The version prefix (if any) and the decoded path segments, OData keys split off. */
  const route = (pathname: string): { version: string | undefined; segments: string[] } => {
    const segments = pathname.split('/').filter(Boolean).map((s) => {
      try {
        return decodeURIComponent(s);
      } catch {
        throw new GraphError(400, 'BadRequest', 'the path is not valid percent-encoding');
      }
    });
    const version = VERSIONS.find((v) => v === segments[0]?.toLowerCase());
    return { version, segments: splitKeys(version === undefined ? segments : segments.slice(1)) };
  };

  const isBatch = (segments: string[]): boolean => segments.length === 1 && segments[0]!.toLowerCase() === '$batch';

  /**
   * JSON batching as Graph does it: each of at most 20 requests runs against the same routes, in
   * order; one whose `dependsOn` names a failed request is answered 424 without running. Ids are
   * checked before anything runs, so a malformed batch changes nothing.
   */
  const batch = (outer: Call, requestId: string, clientRequestId: string): Answer => {
    if (outer.method !== 'POST') throw new GraphError(405, 'MethodNotAllowed', `${outer.method} is not allowed on $batch; send POST`);
    const input = parseJsonObject(outer.body, true);
    const requests = input.requests;
    if (!Array.isArray(requests) || requests.length === 0 || requests.length > BATCH_MAX_REQUESTS) {
      throw new GraphError(400, 'BadRequest', `'requests' must be an array of 1 to ${BATCH_MAX_REQUESTS} requests`);
    }
    const ids = new Set<string>();
    const checked = requests.map((request: unknown, i) => {
      const at = `requests[${i}]`;
      if (typeof request !== 'object' || request === null || Array.isArray(request)) throw new GraphError(400, 'BadRequest', `${at} must be an object`);
      const { id, method, url, headers, body, dependsOn } = request as Record<string, unknown>;
      if (typeof id !== 'string' || id === '' || id.length > 64) throw new GraphError(400, 'BadRequest', `${at}.id must be a string of 1 to 64 characters`);
      if (ids.has(id)) throw new GraphError(400, 'BadRequest', `the request id '${id}' is used twice in the batch`);
      if (typeof method !== 'string' || !/^(GET|POST|PATCH|PUT|DELETE)$/i.test(method)) throw new GraphError(400, 'BadRequest', `${at}.method must be GET, POST, PATCH, PUT or DELETE`);
      if (typeof url !== 'string' || url.length > 2048 || /^[a-z][a-z0-9+.-]*:/i.test(url) || url.startsWith('//')) throw new GraphError(400, 'BadRequest', `${at}.url must be a relative URL such as /deviceAppManagement/mobileApps`);
      if (headers !== undefined && (typeof headers !== 'object' || headers === null || Array.isArray(headers))) throw new GraphError(400, 'BadRequest', `${at}.headers must be an object`);
      const needs = dependsOn === undefined ? [] : dependsOn;
      if (!Array.isArray(needs) || !needs.every((d) => typeof d === 'string' && ids.has(d))) {
        throw new GraphError(400, 'BadRequest', `${at}.dependsOn must list ids of requests earlier in the batch`);
      }
      ids.add(id);
      const bytes = body === undefined || body === null ? Buffer.alloc(0) : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
      return { id, method: method.toUpperCase(), url, body: bytes, dependsOn: needs as string[] };
    });
    const statuses = new Map<string, number>();
    const responses = checked.map((request) => {
      let answer: Answer;
      if (request.dependsOn.some((d) => statuses.get(d)! >= 400)) {
        const e = new GraphError(424, 'FailedDependency', `a request that '${request.id}' depends on failed`);
        answer = { status: e.status, body: errorBody(e, requestId, clientRequestId) };
      } else {
        const url = new URL(request.url.startsWith('/') ? request.url : `/${request.url}`, 'http://graph.local');
        try {
          const { version, segments } = route(url.pathname);
          if (isBatch(segments)) throw new GraphError(400, 'BadRequest', 'a batch cannot contain another $batch');
          // A sub-request's URL is relative to the batch's version; the SDK also sends `/v1.0/…`.
          answer = handle({ method: request.method, segments, query: url.searchParams, body: request.body, version: version ?? outer.version });
        } catch (error) {
          const e = error instanceof GraphError ? error : new GraphError(500, 'InternalServerError', 'unexpected error');
          answer = { status: e.status, body: errorBody(e, requestId, clientRequestId), headers: e.headers };
        }
        log.push({ method: request.method, path: url.pathname, status: answer.status, replayed: false });
        if (log.length > 1000) log.shift();
      }
      statuses.set(request.id, answer.status);
      // Graph spells a sub-response's header names capitalised (`Location`, `Content-Type`), and the SDK reads them so.
      const headers = Object.fromEntries(Object.entries(answer.headers ?? {}).map(([name, value]) => [name.replace(/(^|-)[a-z]/g, (c) => c.toUpperCase()), value]));
      if (answer.body !== undefined) headers['Content-Type'] = 'application/json; odata.metadata=minimal; charset=utf-8';
      return { id: request.id, status: answer.status, headers, ...(answer.body === undefined ? {} : { body: answer.body }) };
    });
    return { status: 200, body: { responses } };
  };

  const send = (res: ServerResponse, status: number, body: string | undefined, headers: Record<string, string>): void => {
    const all: Record<string, string> = { ...headers };
    if (body !== undefined) all['content-type'] = 'application/json; odata.metadata=minimal; charset=utf-8';
    res.writeHead(status, all);
    res.end(body);
  };

  const listener = (req: IncomingMessage, res: ServerResponse): void => {
    void (async () => {
      const method = (req.method ?? 'GET').toUpperCase();
      const url = new URL(req.url ?? '/', 'http://graph.local');
      const rawKey = req.headers['idempotency-key'];
      const idempotencyKey = typeof rawKey === 'string' ? rawKey : undefined;
      const requestId = randomUUID();
      // Graph echoes the client's id for correlation; a missing or oversized one gets a fresh id.
      const rawClientId = req.headers['client-request-id'];
      const clientRequestId = typeof rawClientId === 'string' && rawClientId !== '' && rawClientId.length <= CLIENT_REQUEST_ID_MAX ? rawClientId : randomUUID();
      const ids = { 'request-id': requestId, 'client-request-id': clientRequestId };
      const record = (status: number, replayed: boolean): void => {
        log.push({ method, path: url.pathname, status, idempotencyKey, replayed });
        if (log.length > 1000) log.shift();
      };
      try {
        const body = await readBody(req);
        // Graph checks the token before anything else, so a client that lost its token learns so at once.
        let token: string;
        try {
          token = bearerToken(req.headers.authorization);
        } catch {
          throw new GraphError(401, 'InvalidAuthenticationToken', 'Access token is empty.', { 'www-authenticate': 'Bearer realm="countersign-demo"' });
        }
        if (!tokens.lookup(token)) {
          throw new GraphError(401, 'InvalidAuthenticationToken', 'Access token validation failure: not a token of config/demo/tokens.yaml.', {
            'www-authenticate': 'Bearer realm="countersign-demo", error="invalid_token"',
          });
        }
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
            send(res, previous.status, previous.body, { ...previous.headers, ...ids, 'idempotent-replayed': 'true' });
            return;
          }
        }
        const { version, segments } = route(url.pathname);
        const ifMatch = typeof req.headers['if-match'] === 'string' ? req.headers['if-match'] : undefined;
        const call: Call = { method, segments, query: url.searchParams, body, version, ...(ifMatch !== undefined ? { ifMatch } : {}) };
        const answer = isBatch(segments) ? batch(call, requestId, clientRequestId) : handle(call);
        const text = answer.body === undefined ? undefined : JSON.stringify(answer.body);
        // Only successes are remembered, so a client may fix a refused call and send it again.
        if (idempotencyKey !== undefined && answer.status < 400) {
          idempotency.set(idempotencyKey, { fingerprint: `${method} ${url.pathname.toLowerCase()}`, status: answer.status, body: text, headers: answer.headers ?? {} });
          if (idempotency.size > IDEMPOTENCY_CAPACITY) idempotency.delete(idempotency.keys().next().value!);
        }
        record(answer.status, false);
        send(res, answer.status, text, { ...answer.headers, ...ids });
      } catch (error) {
        const e = error instanceof GraphError ? error : new GraphError(500, 'InternalServerError', 'unexpected error');
        record(e.status, false);
        if (res.headersSent) return res.destroy();
        send(res, e.status, JSON.stringify(errorBody(e, requestId, clientRequestId)), { ...e.headers, ...ids });
      }
    })();
  };
  const server: Server = options.tls ? createTlsServer({ cert: options.tls.cert, key: options.tls.key }, listener) : createServer(listener);

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (!address || typeof address !== 'object') throw new Error('graph api: no address');
  baseUrl = `${options.tls ? 'https' : 'http'}://127.0.0.1:${address.port}`;

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
