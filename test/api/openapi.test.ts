/**
 * The OpenAPI description (src/api/openapi.ts) is valid OpenAPI 3.1 and names exactly the routes
 * the gateway's app serves under the API prefix.
 *
 * The official OAS 3.1 JSON Schema cannot be fetched here, so the structural check below is
 * written from the specification (https://spec.openapis.org/oas/v3.1.0): the fixed fields of the
 * objects this project uses, every $ref resolves, every operation has responses, every path
 * template parameter is declared (and only those), operationIds are unique, security requirements
 * name declared schemes, and every schema is valid JSON Schema 2020-12 (Ajv compiles it).
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import Ajv2020 from 'ajv/dist/2020';
import { openApiDocument, openApiDocumentFor } from '../../src/api/openapi';
import { ApiError, errorRegistry } from '../../src/errors';
import { createInputCheck, checkInput, type RequestParts } from '../../src/api/validate';
import { REQUEST_STATUSES } from '../../src/requests/statuses';
import request from 'supertest';
import type { Express } from 'express';
import { loadGatewayConfig } from '../../src/config/gateway-config';
import { createGateway } from '../../src/server';
import type { Identity } from '../../src/identity/types';
import type { PolicyEngine } from '../../src/policy/types';
import type { RequestStore } from '../../src/requests/types';
type Json = Record<string, unknown>;
const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;
const PARAMETER_LOCATIONS = ['query', 'header', 'path', 'cookie'];
const STATUS_KEY = /^(default|[1-5](\d\d|XX))$/;

/** The OAS 3.1 objects this checker knows, as JSON Schema (a subset of the official schema, same rules). */
const oasSchema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  type: 'object',
  required: ['openapi', 'info'],
  anyOf: [{ required: ['paths'] }, { required: ['components'] }, { required: ['webhooks'] }],
  properties: {
    openapi: { type: 'string', pattern: '^3\\.1\\.\\d+(-.+)?$' },
    jsonSchemaDialect: { type: 'string', format: 'uri' },
    info: {
      type: 'object',
      required: ['title', 'version'],
      properties: {
        title: { type: 'string' },
        summary: { type: 'string' },
        description: { type: 'string' },
        version: { type: 'string' },
        license: {
          type: 'object',
          required: ['name'],
          properties: { name: { type: 'string' }, identifier: { type: 'string' }, url: { type: 'string' } },
          not: { required: ['identifier', 'url'] },
        },
      },
    },
    servers: { type: 'array', items: { type: 'object', required: ['url'], properties: { url: { type: 'string' } } } },
    paths: { type: 'object', propertyNames: { pattern: '^/' } },
    security: { type: 'array', items: { type: 'object', additionalProperties: { type: 'array', items: { type: 'string' } } } },
    tags: { type: 'array', items: { type: 'object', required: ['name'] } },
    components: {
      type: 'object',
      propertyNames: {
        enum: ['schemas', 'responses', 'parameters', 'examples', 'requestBodies', 'headers', 'securitySchemes', 'links', 'callbacks', 'pathItems'],
      },
      properties: {
        securitySchemes: {
          type: 'object',
          additionalProperties: {
            type: 'object',
            required: ['type'],
            properties: { type: { enum: ['apiKey', 'http', 'mutualTLS', 'oauth2', 'openIdConnect'] } },
            if: { properties: { type: { const: 'http' } } },
            then: { required: ['scheme'] },
          },
        },
      },
    },
  },
  patternProperties: { '^x-': {} },
  additionalProperties: false,
};

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Resolves a local JSON pointer (`#/a/b`), or undefined. */
function resolvePointer(doc: unknown, ref: string): unknown {
  if (!ref.startsWith('#')) return undefined;
  let node: unknown = doc;
  for (const raw of ref.slice(1).split('/').slice(1)) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (!isObject(node) && !Array.isArray(node)) return undefined;
    node = (node as Json)[key];
    if (node === undefined) return undefined;
  }
  return node;
}

function deref(doc: unknown, value: unknown): unknown {
  let node = value;
  for (let i = 0; i < 10 && isObject(node) && typeof node.$ref === 'string'; i++) node = resolvePointer(doc, node.$ref);
  return node;
}

function walkRefs(node: unknown, at: string, visit: (ref: string, at: string) => void): void {
  if (Array.isArray(node)) node.forEach((item, i) => walkRefs(item, `${at}/${i}`, visit));
  else if (isObject(node)) {
    for (const [key, value] of Object.entries(node)) {
      if (key === '$ref' && typeof value === 'string') visit(value, at);
      else walkRefs(value, `${at}/${key}`, visit);
    }
  }
}

/** Rewrites component schema refs into $defs, so each schema compiles on its own in Ajv. */
function toDefs(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(toDefs);
  if (!isObject(node)) return node;
  return Object.fromEntries(
    Object.entries(node).map(([key, value]) => [
      key,
      key === '$ref' && typeof value === 'string' ? value.replace('#/components/schemas/', '#/$defs/') : toDefs(value),
    ]),
  );
}

/** Every problem found in the document; an empty list means it is valid as far as this checker sees. */
function checkOpenApi(doc: unknown): string[] {
  const problems: string[] = [];
  // The meta-schema uses anyOf-of-required and if/then like the official one; strict mode would refuse those idioms.
  const ajv = new Ajv2020({ allErrors: true, strict: true, strictRequired: false, strictTypes: false, validateFormats: false });
  const validateOas = ajv.compile(oasSchema);
  if (!validateOas(doc)) {
    for (const e of validateOas.errors ?? []) problems.push(`document${e.instancePath}: ${e.message}`);
  }
  if (!isObject(doc)) return problems;

  walkRefs(doc, '#', (ref, at) => {
    if (!ref.startsWith('#/')) problems.push(`${at}: external $ref ${ref} is not allowed here`);
    else if (resolvePointer(doc, ref) === undefined) problems.push(`${at}: $ref ${ref} does not resolve`);
  });

  const schemes = isObject(doc.components) && isObject(doc.components.securitySchemes) ? doc.components.securitySchemes : {};
  const checkSecurity = (security: unknown, at: string) => {
    if (security === undefined) return;
    if (!Array.isArray(security)) return problems.push(`${at}: security must be an array`);
    for (const requirement of security) {
      for (const name of Object.keys(isObject(requirement) ? requirement : {})) {
        if (!(name in schemes)) problems.push(`${at}: security scheme "${name}" is not declared`);
      }
    }
  };
  checkSecurity(doc.security, 'security');

  const operationIds = new Set<string>();
  const paths = isObject(doc.paths) ? doc.paths : {};
  for (const [path, itemRaw] of Object.entries(paths)) {
    const item = deref(doc, itemRaw);
    if (!isObject(item)) {
      problems.push(`paths.${path}: not an object`);
      continue;
    }
    const templated = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]!);
    const pathLevel = Array.isArray(item.parameters) ? item.parameters : [];
    const operations = METHODS.filter((m) => item[m] !== undefined);
    if (operations.length === 0) problems.push(`paths.${path}: no operations`);
    for (const method of operations) {
      const at = `paths.${path}.${method}`;
      const op = item[method];
      if (!isObject(op)) {
        problems.push(`${at}: not an object`);
        continue;
      }
      if (typeof op.operationId === 'string') {
        if (operationIds.has(op.operationId)) problems.push(`${at}: operationId ${op.operationId} is used twice`);
        operationIds.add(op.operationId);
      }
      checkSecurity(op.security, at);

      // Operation parameters override path-level ones with the same name and location.
      const params = new Map<string, Json>();
      for (const raw of [...pathLevel, ...(Array.isArray(op.parameters) ? op.parameters : [])]) {
        const p = deref(doc, raw);
        if (!isObject(p) || typeof p.name !== 'string' || typeof p.in !== 'string') {
          problems.push(`${at}: a parameter lacks name or in`);
          continue;
        }
        if (!PARAMETER_LOCATIONS.includes(p.in)) problems.push(`${at}: parameter ${p.name} has in "${p.in}"`);
        if ((p.schema === undefined) === (p.content === undefined)) problems.push(`${at}: parameter ${p.name} needs exactly one of schema and content`);
        if (p.in === 'path' && p.required !== true) problems.push(`${at}: path parameter ${p.name} must be required: true`);
        params.set(`${p.in}:${p.name}`, p);
      }
      for (const name of templated) {
        if (!params.has(`path:${name}`)) problems.push(`${at}: path parameter {${name}} is not declared`);
      }
      for (const key of params.keys()) {
        if (key.startsWith('path:') && !templated.includes(key.slice(5))) problems.push(`${at}: parameter ${key} is not in the path`);
      }

      if (op.requestBody !== undefined) {
        const body = deref(doc, op.requestBody);
        if (!isObject(body) || !isObject(body.content)) problems.push(`${at}: requestBody needs content`);
      }
      const responses = op.responses;
      if (!isObject(responses) || Object.keys(responses).length === 0) {
        problems.push(`${at}: no responses`);
        continue;
      }
      for (const [status, raw] of Object.entries(responses)) {
        if (!STATUS_KEY.test(status)) problems.push(`${at}: response key "${status}" is not a status code or default`);
        const response = deref(doc, raw);
        if (!isObject(response) || typeof response.description !== 'string') problems.push(`${at}.responses.${status}: needs a description`);
      }
    }
  }

  // Every schema (components and inline) must be valid JSON Schema 2020-12.
  const defs = toDefs(isObject(doc.components) && isObject(doc.components.schemas) ? doc.components.schemas : {}) as Json;
  const schemaAjv = new Ajv2020({ strict: true, validateFormats: false });
  schemaAjv.addKeyword('example');
  for (const name of Object.keys(defs)) {
    try {
      schemaAjv.compile({ $defs: defs, $ref: `#/$defs/${name}` });
    } catch (error) {
      problems.push(`components.schemas.${name}: ${(error as Error).message}`);
    }
  }
  const inline: { at: string; schema: unknown }[] = [];
  const collect = (node: unknown, at: string) => {
    if (Array.isArray(node)) node.forEach((n, i) => collect(n, `${at}/${i}`));
    else if (isObject(node)) {
      for (const [key, value] of Object.entries(node)) {
        if (key === 'schema' && !at.includes('/components/schemas')) inline.push({ at: `${at}/schema`, schema: value });
        else collect(value, `${at}/${key}`);
      }
    }
  };
  collect({ paths: doc.paths, components: { ...(isObject(doc.components) ? doc.components : {}), schemas: undefined } }, '#');
  for (const { at, schema } of inline) {
    try {
      schemaAjv.compile({ $defs: defs, ...(toDefs(schema) as Json) });
    } catch (error) {
      problems.push(`${at}: ${(error as Error).message}`);
    }
  }
  return problems;
}

/** Compiles a validator for one component schema, for checking examples against it. */
function componentValidator(doc: Json, name: string) {
  const components = doc.components as Json;
  const defs = toDefs(components.schemas) as Json;
  const ajv = new Ajv2020({ strict: true, validateFormats: false });
  return ajv.compile({ $defs: defs, $ref: `#/$defs/${name}` });
}

const doc = JSON.parse(JSON.stringify(openApiDocument)) as Json;

describe('OpenAPI description', () => {
  test('is valid OpenAPI 3.1', () => {
    assert.deepEqual(checkOpenApi(doc), []);
    assert.equal(doc.openapi, '3.1.0');
  });

  test('the checker catches what it claims to catch', () => {
    const broken = JSON.parse(JSON.stringify(openApiDocument)) as Json & { paths: Record<string, Record<string, Json>> };
    broken.paths['/requests/{id}']!.get!.parameters = [];
    broken.paths['/me']!.get!.responses = {};
    (broken.paths['/audit']!.get!.responses as Json)['200'] = { $ref: '#/components/responses/Nope' };
    (broken.paths['/access-policies']!.get as Json).security = [{ basicAuth: [] }];
    ((broken.components as Json).schemas as Json).Me = { type: 'object', required: 'userId' };
    broken.openapi = '3.0.3';
    const problems = checkOpenApi(broken).join('\n');
    assert.match(problems, /path parameter \{id\} is not declared/);
    assert.match(problems, /paths\.\/me\.get: no responses/);
    assert.match(problems, /\$ref #\/components\/responses\/Nope does not resolve/);
    assert.match(problems, /security scheme "basicAuth" is not declared/);
    assert.match(problems, /components\.schemas\.Me:/);
    assert.match(problems, /document\/openapi: must match pattern/);
  });

  test('every operation needs bearer auth except the description itself', () => {
    assert.deepEqual(doc.security, [{ bearerAuth: [] }]);
    const paths = doc.paths as Record<string, Record<string, Json>>;
    for (const [path, item] of Object.entries(paths)) {
      for (const [method, op] of Object.entries(item)) {
        if (path === '/openapi.json') assert.deepEqual(op.security, [], 'openapi.json is public');
        else assert.equal(op.security, undefined, `${method} ${path} keeps the document's bearer auth`);
        const responses = op.responses as Json;
        if (path !== '/openapi.json') assert.ok(responses['401'], `${method} ${path} documents 401`);
      }
    }
  });

  test('the error shape lists every code of src/errors.ts', () => {
    const errorSchema = ((doc.components as Json).schemas as Json).Error as { properties: { error: { properties: { code: { enum: string[] } } } } };
    assert.deepEqual([...errorSchema.properties.error.properties.code.enum].sort(), Object.keys(errorRegistry).sort());
    const validate = componentValidator(doc, 'Error');
    assert.ok(validate({ error: { code: 'SELF_APPROVAL', message: 'the requestor cannot approve their own request', requestId: 'x', status: 'approved' } }));
    assert.ok(!validate({ error: { code: 'SELF_APPROVAL' } }), 'message is required');
    assert.ok(!validate({ error: { code: 'NO_SUCH_CODE', message: 'x' } }), 'unknown codes are not in the shape');
  });

  test("docs/api.md's request example fits the Request schema", () => {
    const validate = componentValidator(doc, 'Request');
    const at = '2026-11-27T15:00:00.000Z';
    const sha = 'a'.repeat(64);
    const example = {
      id: '3f0c',
      status: 'completed',
      createdAt: at,
      updatedAt: at,
      requestor: { userId: 'alice', groups: ['helpdesk'] },
      justification: 'Ticket INC-1234: fix the install command',
      call: { method: 'PATCH', path: '/deviceAppManagement/mobileApps/42', query: '', headers: { 'content-type': 'application/json' }, bodySha256: sha, bodySize: 31 },
      decision: { profileType: 'apps', objectKey: 'apps:/deviceappmanagement/mobileapps/42', operation: 'modify', policies: ['apps-require-second-admin'], approverGroups: ['app-approvers'], requiredApprovals: 1 },
      approvals: [{ userId: 'bob', at, notes: 'Looks right' }],
      completion: { userId: 'alice', at, upstreamStatus: 204, upstreamBodyPreview: '' },
      history: [{ at, actor: 'alice', action: 'create', from: null, to: 'needsApproval' }],
      bodyPreview: { encoding: 'utf8', text: '{"displayName":"Contoso Portal"}', truncated: false },
      allowedActions: {
        approve: { allow: false, reasons: ['the requestor cannot approve their own request'] },
        reject: { allow: false, reasons: ['…'] },
        cancel: { allow: false, reasons: [] },
        complete: { allow: false, reasons: [] },
      },
    };
    assert.ok(validate(example), JSON.stringify(validate.errors));
    assert.ok(!validate({ ...example, status: 'pending' }), 'an unknown status does not fit');
  });

  test('another prefix changes only the server URL', () => {
    const other = openApiDocumentFor('/approvals/v2');
    assert.deepEqual(other.servers, [{ url: '/approvals/v2', description: openApiDocument.servers[0]!.description }]);
    assert.deepEqual(other.paths, openApiDocument.paths);
  });
});


/**
 * Stands in for a dependency the route table does not use: building the app registers routes
 * without calling policy, store or identity, and any call would fail this test loudly.
 */
function unused<T>(name: string): T {
  return new Proxy({}, {
    get: (_target, property) => {
      if (property === 'then') return undefined;
      throw new Error(`the route table test touched ${name}.${String(property)}`);
    },
  }) as T;
}

interface Layer {
  route?: { path: string | string[]; methods: Record<string, boolean> };
  handle?: { stack?: Layer[] };
  rawPath?: unknown;
}

/** Every "METHOD /path" the Express app routes, with mount prefixes joined and `:id` written `{id}`. */
function servedRoutes(app: Express): string[] {
  const found: string[] = [];
  const walk = (stack: Layer[], prefix: string) => {
    for (const layer of stack) {
      if (layer.route) {
        const paths = Array.isArray(layer.route.path) ? layer.route.path : [layer.route.path];
        for (const path of paths) {
          for (const [method, on] of Object.entries(layer.route.methods)) {
            if (on && method !== '_all') found.push(`${method.toUpperCase()} ${prefix}${path}`.replace(/:([A-Za-z0-9_]+)/g, '{$1}'));
          }
        }
      } else if (layer.handle?.stack) {
        // A mounted router; its mount path is the layer's raw path ('/' when mounted without one).
        const mount = typeof layer.rawPath === 'string' && layer.rawPath !== '/' ? layer.rawPath : '';
        walk(layer.handle.stack, `${prefix}${mount}`);
      }
    }
  };
  const router = (app as unknown as { router: { stack: Layer[] } }).router;
  walk(router.stack, '');
  return found;
}

describe('OpenAPI coverage of the gateway app', () => {
  for (const prefix of ['/maa/v1', '/approvals/v2']) {
    test(`names exactly the routes the app serves under ${prefix}`, async () => {
      const config = loadGatewayConfig({ env: {}, overrides: { upstream: { url: 'http://127.0.0.1:9' }, api: { prefix }, identity: { staticTokensFile: 'config/demo/tokens.yaml' } } });
      const gateway = createGateway({
        config,
        policy: unused<PolicyEngine>('policy'),
        store: unused<RequestStore>('store'),
        identity: unused<Identity>('identity'),
      });
      try {
        const all = servedRoutes(gateway.app);
        assert.ok(all.includes('GET /healthz'), `the walk sees the app's routes: ${all.join(', ')}`);
        const served = all.filter((r) => r.split(' ')[1]!.startsWith(`${prefix}/`)).map((r) => r.replace(` ${prefix}/`, ' /')).sort();
        const documented = Object.entries(openApiDocument.paths as Record<string, Record<string, unknown>>)
          .flatMap(([path, item]) => Object.keys(item).filter((k) => METHODS.includes(k as never)).map((m) => `${m.toUpperCase()} ${path}`))
          .sort();
        assert.deepEqual(served.filter((r) => !documented.includes(r)), [], 'served but not described');
        assert.deepEqual(documented.filter((r) => !served.includes(r)), [], 'described but not served');

        // The app serves this description at ${prefix}/openapi.json, without a token, for its own prefix.
        const answer = await request(gateway.app).get(`${prefix}/openapi.json`).expect(200).expect('content-type', /json/);
        assert.deepEqual(answer.body, JSON.parse(JSON.stringify(openApiDocumentFor(prefix))));
      } finally {
        await gateway.close();
      }
    });
  }
});

/** A request as the routes see it after express.json: params, query, parsed body, headers. */
function call(parts: { params?: Record<string, string>; query?: Record<string, unknown>; body?: unknown; headers?: Record<string, string> }): RequestParts {
  return { params: parts.params ?? {}, query: parts.query ?? {}, body: parts.body, headers: parts.headers ?? {} } as unknown as RequestParts;
}

function refusal(fn: () => unknown): ApiError {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof ApiError, String(error));
    return error;
  }
  assert.fail('the input was accepted');
}

type Operation = { operationId: string; parameters?: Json[]; responses: Record<string, { description?: string }> };

/** Every operation of the served document, with its path and its parameters resolved. */
function operations(): { path: string; op: Operation; params: Json[] }[] {
  const out: { path: string; op: Operation; params: Json[] }[] = [];
  for (const [path, item] of Object.entries(doc.paths as Record<string, Record<string, Operation>>)) {
    for (const op of Object.values(item)) out.push({ path, op, params: (op.parameters ?? []).map((p) => deref(doc, p) as Json) });
  }
  return out;
}

describe('API input checks come from the document', () => {
  const goodId = '3f0c2b7e-0000-4000-8000-000000000001';

  test('every operation refuses an unknown query parameter with VALIDATION_FAILED, as its 422 response documents', () => {
    for (const { path, op, params } of operations()) {
      if (op.operationId === 'getOpenApi') continue;
      const error = refusal(() => checkInput(op.operationId, call({ params: path.includes('{id}') ? { id: goodId } : {}, query: { colour: 'red' } })));
      assert.equal(error.code, 'VALIDATION_FAILED', op.operationId);
      assert.deepEqual(error.details.fields, ['colour']);
      assert.match(error.message, /unknown query parameter: colour/);
      assert.match(op.responses[String(error.httpStatus)]?.description ?? '', /^VALIDATION_FAILED/, `${op.operationId} documents ${error.httpStatus} VALIDATION_FAILED`);
      // An id that fails the RequestId schema is a 404 without asking Redis, as each such operation documents.
      if (params.some((p) => p.in === 'path')) {
        const missing = refusal(() => checkInput(op.operationId, call({ params: { id: '../me' } })));
        assert.equal(missing.code, 'REQUEST_NOT_FOUND');
        assert.match(op.responses['404']?.description ?? '', /^REQUEST_NOT_FOUND/, op.operationId);
      }
    }
  });

  test("each query parameter's schema is what refuses a bad value, and its default fills a missing one", () => {
    const list = (query: Record<string, unknown>) => checkInput('listRequests', call({ query }));
    assert.deepEqual(list({}).query, { view: 'mine', limit: 25 });
    assert.deepEqual(list({ view: 'all', status: 'approved', limit: '100', cursor: 'c' }).query, { view: 'all', status: 'approved', limit: 100, cursor: 'c' });
    for (const status of REQUEST_STATUSES) assert.equal(list({ status }).query.status, status);
    const cases: [Record<string, unknown>, string, RegExp][] = [
      [{ view: 'everyone' }, 'view', /view must be one of mine, received, all/],
      [{ status: 'pending' }, 'status', /status must be one of needsApproval, approved/],
      [{ limit: '0' }, 'limit', /limit must be an integer from 1 to 100/],
      [{ limit: '101' }, 'limit', /from 1 to 100/],
      [{ limit: '0x10' }, 'limit', /limit must be an integer/],
      [{ limit: ' 5' }, 'limit', /limit must be an integer/],
      [{ limit: ['5', '6'] }, 'limit', /limit must be given once/],
      [{ cursor: 'c'.repeat(1025) }, 'cursor', /cursor must be at most 1024 characters/],
    ];
    for (const [query, field, message] of cases) {
      const error = refusal(() => list(query));
      assert.equal(error.code, 'VALIDATION_FAILED', JSON.stringify(query));
      assert.deepEqual(error.details.fields, [field]);
      assert.match(error.message, message);
    }
    const audit = (query: Record<string, unknown>) => checkInput('listAuditEvents', call({ query }));
    assert.deepEqual(audit({ since: '2026-11-27T15:00:00Z', order: 'desc' }).query, { since: '2026-11-27T15:00:00Z', order: 'desc', limit: 100 });
    for (const since of ['yesterday', '2026-11-27', '2026-13-45T99:00:00Z']) assert.deepEqual(refusal(() => audit({ since })).details.fields, ['since'], since);
    assert.deepEqual(refusal(() => audit({ requestId: 'a/b' })).details.fields, ['requestId']);
    assert.deepEqual(refusal(() => audit({ order: 'up' })).details.fields, ['order']);
    assert.deepEqual(refusal(() => checkInput('completeRequest', call({ params: { id: goodId }, query: { resend: 'yes' } }))).details.fields, ['resend']);
  });

  test('bodies: the Notes schema for verdicts, no fields for cancel and complete, JSON only', () => {
    const approve = (body: unknown, headers: Record<string, string> = {}) => checkInput('approveRequest', call({ params: { id: goodId }, body, headers }));
    assert.equal(approve({ notes: 'é'.repeat(1000) }).body.notes, 'é'.repeat(1000));
    // Notes are counted in characters, not UTF-16 units: 1,000 emoji fit.
    assert.equal(approve({ notes: '😀'.repeat(1000) }).body.notes, '😀'.repeat(1000));
    assert.deepEqual(approve(undefined).body, {});
    assert.match(refusal(() => approve({ notes: 'x'.repeat(1001) })).message, /notes must be at most 1000 characters/);
    assert.match(refusal(() => approve({ notes: 5 })).message, /notes must be a string/);
    assert.deepEqual(refusal(() => approve({ notes: 'ok', extra: 1, more: 2 })).details.fields, ['extra', 'more']);
    assert.match(refusal(() => approve(['notes'])).message, /the body must be a JSON object/);
    assert.match(refusal(() => approve(undefined, { 'content-length': '8' })).message, /the body must be JSON/);
    // A GET's body means nothing and is ignored, as before.
    assert.deepEqual(checkInput('getMe', call({ body: { anything: 1 } })).body, {});
    for (const operationId of ['cancelRequest', 'completeRequest']) {
      assert.deepEqual(checkInput(operationId, call({ params: { id: goodId }, body: {} })).body, {});
      const error = refusal(() => checkInput(operationId, call({ params: { id: goodId }, body: { notes: 'no' } })));
      assert.equal(error.code, 'VALIDATION_FAILED');
      assert.deepEqual(error.details.fields, ['notes']);
    }
  });

  test('a change to the document changes the checks: nothing is written twice', () => {
    const changed = JSON.parse(JSON.stringify(openApiDocument)) as Json & { components: { schemas: Record<string, Json> }; paths: Record<string, Record<string, Json>> };
    (changed.components.schemas.Notes!.properties as Record<string, Json>).notes!.maxLength = 10;
    const listParams = changed.paths['/requests']!.get!.parameters as Json[];
    (listParams.find((p) => p.name === 'limit')!.schema as Json).maximum = 5;
    const stricter = createInputCheck(changed);
    const notes = call({ params: { id: goodId }, body: { notes: 'eleven char' } });
    assert.equal(checkInput('approveRequest', notes).body.notes, 'eleven char');
    assert.match(refusal(() => stricter('approveRequest', notes)).message, /at most 10 characters/);
    assert.equal(checkInput('listRequests', call({ query: { limit: '6' } })).query.limit, 6);
    assert.match(refusal(() => stricter('listRequests', call({ query: { limit: '6' } }))).message, /from 1 to 5/);
  });
});
