/**
 * Input checks of the approval API, compiled with Ajv from the OpenAPI document the gateway
 * serves (src/api/openapi.ts): each operation's path parameters, query parameters and JSON body
 * are checked against the schemas the document declares, so the description and the checks
 * cannot drift. A refusal keeps the project's one shape:
 *   - a path parameter that fails its schema → 404 REQUEST_NOT_FOUND (no request can have that id,
 *     so nothing is asked of Redis);
 *   - an unknown, repeated or invalid query parameter, or body field → 422 VALIDATION_FAILED with
 *     `fields`;
 *   - a body that is not `application/json` → 422 VALIDATION_FAILED.
 * Defaults declared in the document (`view=mine`, `limit=25`, …) are filled in here, so they too
 * live in one place.
 */
import Ajv2020, { type ErrorObject, type ValidateFunction } from 'ajv/dist/2020';
import type { Request } from 'express';
import { ApiError } from '../errors';
import { openApiDocument } from './openapi';

type Json = Record<string, unknown>;

/** What a route reads once its input passed: defaults filled in, integers as numbers. */
export interface RouteInput {
  params: Record<string, string>;
  query: Record<string, unknown>;
  body: Record<string, unknown>;
}

/** The parts of an Express request the checks read. */
export type RequestParts = Pick<Request, 'params' | 'query' | 'body' | 'headers'>;

interface OperationChecks {
  params: ValidateFunction;
  query: ValidateFunction;
  /** Absent for GET: a GET's body has no meaning, and is ignored as it always was. */
  body?: ValidateFunction;
  /** Query parameters declared as integers: their text is turned into a number before the check. */
  integers: string[];
}

/** An operation without a request body takes none: no body, or `{}`. */
const NO_BODY = { type: 'object', maxProperties: 0 };
/** Where component schemas are registered in Ajv; `#/components/schemas/X` refs are rewritten to it. */
const COMPONENTS_ID = 'countersign-openapi-components';
const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'];

/** RFC 3339 `date-time`, as OpenAPI means `format: date-time`; a date without a time or zone is refused. */
const DATE_TIME = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$/;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Rewrites component refs so every schema compiles against the one registered components schema. */
function componentRefs(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(componentRefs);
  if (!isObject(node)) return node;
  return Object.fromEntries(
    Object.entries(node).map(([key, value]) => [
      key,
      key === '$ref' && typeof value === 'string' ? value.replace('#/components/schemas/', `${COMPONENTS_ID}#/$defs/`) : componentRefs(value),
    ]),
  );
}

/** Follows a local `$ref` (`#/components/parameters/RequestId`) in the document. */
function resolve(document: Json, node: unknown): Json {
  let current = node;
  for (let depth = 0; depth < 8 && isObject(current) && typeof current.$ref === 'string'; depth++) {
    current = current.$ref
      .slice(2)
      .split('/')
      .reduce<unknown>((at, key) => (isObject(at) ? at[key] : undefined), document);
  }
  if (!isObject(current)) throw new Error(`the OpenAPI document has a $ref that does not resolve: ${JSON.stringify(node)}`);
  return current;
}

function objectSchema(parameters: Json[]): Json {
  return {
    type: 'object',
    properties: Object.fromEntries(parameters.map((p) => [p.name as string, componentRefs(p.schema)])),
    required: parameters.filter((p) => p.required === true).map((p) => p.name as string),
    additionalProperties: false,
  };
}

/** The schema's `type`, following one component ref. */
function schemaType(document: Json, schema: unknown): unknown {
  return isObject(schema) && typeof schema.$ref === 'string' ? resolve(document, schema).type : isObject(schema) ? schema.type : undefined;
}

/** The compiled checks of every operation of `document`, by operationId. */
function compile(document: Json): Map<string, OperationChecks> {
  const ajv = new Ajv2020({ allErrors: true, strict: true, useDefaults: true, verbose: true });
  ajv.addFormat('date-time', { type: 'string', validate: (value: string) => DATE_TIME.test(value) && !Number.isNaN(Date.parse(value)) });
  const components = resolve(document, { $ref: '#/components' });
  ajv.addSchema({ $id: COMPONENTS_ID, $defs: componentRefs(components.schemas) as Json });

  const checks = new Map<string, OperationChecks>();
  for (const item of Object.values(resolve(document, { $ref: '#/paths' }))) {
    if (!isObject(item)) continue;
    for (const method of HTTP_METHODS) {
      const operation = item[method];
      if (!isObject(operation) || typeof operation.operationId !== 'string') continue;
      const parameters = (Array.isArray(operation.parameters) ? operation.parameters : []).map((p) => resolve(document, p));
      const query = parameters.filter((p) => p.in === 'query');
      const body = isObject(operation.requestBody)
        ? (resolve(document, operation.requestBody).content as Json | undefined)?.['application/json']
        : undefined;
      checks.set(operation.operationId, {
        params: ajv.compile(objectSchema(parameters.filter((p) => p.in === 'path'))),
        query: ajv.compile(objectSchema(query)),
        ...(method === 'get' ? {} : { body: ajv.compile(isObject(body) ? (componentRefs(body.schema) as Json) : NO_BODY) }),
        integers: query.filter((p) => schemaType(document, p.schema) === 'integer').map((p) => p.name as string),
      });
    }
  }
  return checks;
}

/** The field an error is about: the property named in the path, or the unknown/missing one. */
function fieldOf(error: ErrorObject): string {
  const params = error.params as { additionalProperty?: string; missingProperty?: string };
  if (error.keyword === 'additionalProperties' && params.additionalProperty) return params.additionalProperty;
  if (error.keyword === 'required' && params.missingProperty) return params.missingProperty;
  return error.instancePath.split('/').filter(Boolean)[0] ?? '';
}

/** One readable sentence for an error, naming the field and the rule the schema sets. */
function sentence(error: ErrorObject, where: 'query parameter' | 'field', data: Json): string {
  const field = fieldOf(error);
  const schema = (error.parentSchema ?? {}) as Json;
  switch (error.keyword) {
    case 'additionalProperties':
      return `unknown ${where}: ${field}`;
    case 'required':
      return `${field} is required`;
    case 'maxProperties':
      return `this call takes no body fields (got ${Object.keys(data).slice(0, 20).join(', ')})`;
    case 'enum':
      return `${field} must be one of ${(schema.enum as unknown[]).join(', ')}`;
    case 'minimum':
    case 'maximum':
      return `${field} must be an integer from ${String(schema.minimum ?? '')} to ${String(schema.maximum ?? '')}`;
    case 'maxLength':
      return `${field} must be at most ${String(schema.maxLength)} characters`;
    case 'format':
      return `${field} must be an RFC 3339 ${String(schema.format)}, e.g. 2026-11-27T15:00:00Z`;
    case 'type':
      if (field === '') return 'the body must be a JSON object';
      if (where === 'query parameter' && Array.isArray(data[field])) return `${field} must be given once`;
      return `${field} must be ${schema.type === 'integer' ? 'an integer' : `a ${String(schema.type)}`}`;
    default:
      return `${field || 'the body'} ${error.message ?? 'is not valid'}`;
  }
}

function refuse(errors: ErrorObject[] | null | undefined, where: 'query parameter' | 'field', data: Json): ApiError {
  const list = errors ?? [];
  const fields = [...new Set(list.map((e) => (e.keyword === 'maxProperties' ? Object.keys(data) : [fieldOf(e)])).flat().filter(Boolean))].slice(0, 20);
  const message = [...new Set(list.map((e) => sentence(e, where, data)))].slice(0, 5).join('; ');
  return new ApiError('VALIDATION_FAILED', fields.length ? { fields } : {}, message || 'the request is invalid');
}

/** The body as JSON, `{}` when none was sent; a body express.json did not read was not JSON. */
function bodyOf(req: RequestParts): unknown {
  if (req.body !== undefined && req.body !== null) return req.body;
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > 0 || req.headers['transfer-encoding'] !== undefined) {
    throw new ApiError('VALIDATION_FAILED', {}, 'the body must be JSON (Content-Type: application/json)');
  }
  return {};
}

/** A fresh copy of the query, integers as numbers when they are written as plain digits. */
function queryOf(req: RequestParts, integers: string[]): Json {
  const query: Json = { ...(req.query as Json) };
  for (const name of integers) {
    const value = query[name];
    // Plain digits only: Number() would also take ' 5', '0x10' and '1e1'.
    if (typeof value === 'string' && /^\d{1,15}$/.test(value)) query[name] = Number(value);
  }
  return query;
}

/**
 * Compiles the input checks of every operation in `document`; the returned function checks one
 * call and returns its input with the document's defaults filled in.
 * @example
 * const checkInput = createInputCheck(openApiDocumentFor('/maa/v1'));
 * const { query } = checkInput('listRequests', req); // query.view === 'mine' when not given
 */
export function createInputCheck(document: object = openApiDocument): (operationId: string, req: RequestParts) => RouteInput {
  const checks = compile(JSON.parse(JSON.stringify(document)) as Json);
  return (operationId, req) => {
    const check = checks.get(operationId);
    if (!check) throw new Error(`no operation ${operationId} in the OpenAPI document`);
    const query = queryOf(req, check.integers);
    if (!check.query(query)) throw refuse(check.query.errors, 'query parameter', query);
    const body = check.body ? bodyOf(req) : {};
    if (check.body && !check.body(body)) throw refuse(check.body.errors, 'field', isObject(body) ? body : {});
    const params = { ...(req.params as Record<string, string>) };
    if (!check.params(params)) throw new ApiError('REQUEST_NOT_FOUND');
    return { params, query, body: body as Record<string, unknown> };
  };
}

/**
 * The checks of the served document (the paths are the same for every prefix).
 * @example const { params, body } = checkInput('approveRequest', req);
 */
export const checkInput = createInputCheck();
