/**
 * Reads an upstream's OpenAPI 3 document for `countersign init`: from a file or an http(s) URL,
 * bounded in size and time, validated and dereferenced by @readme/openapi-parser (a maintained
 * parser, not a hand-written one), and reduced to the list of its operations.
 */
import { readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { dereference, validate, compileErrors } from '@readme/openapi-parser';
import { parse as parseYaml } from 'yaml';

/** Larger descriptions exist (GitHub's is about 12 MB), but not much larger; this bounds a mistake. */
export const MAX_OPENAPI_BYTES = 64 * 1024 * 1024;
/** How long fetching a description from a URL may take. */
const FETCH_TIMEOUT_MS = 30_000;

export const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

/** One operation of the document: what the profile type inference needs of it. */
export interface ApiOperation {
  method: string;
  /** The path template as the document writes it, e.g. /pet/{petId}. */
  path: string;
  tags: string[];
  operationId?: string;
  summary?: string;
  /** Response status keys (`201`, `2XX`, `default`). */
  responses: string[];
}

export interface ApiDocument {
  title: string;
  version: string;
  /** `3.0.3`, `3.1.0`. */
  openapi: string;
  /** The first `servers` URL as written, when the document has one. */
  server?: string;
  operations: ApiOperation[];
}

/** Why a document could not be used; `code` is stable (docs/cli.md). */
export class OpenApiError extends Error {
  constructor(
    readonly code: 'OPENAPI_UNREADABLE' | 'OPENAPI_INVALID' | 'OPENAPI_UNSUPPORTED',
    message: string,
  ) {
    super(`${code}: ${message}`);
    this.name = 'OpenApiError';
  }
}

/**
 * Loads, validates and dereferences an OpenAPI 3.x document (JSON or YAML) from a path or URL.
 * External `$ref`s are not followed: the document must be self-contained (bundle it first).
 * @example
 * const doc = await readOpenApi('test/fixtures/openapi/petstore.json');
 * doc.operations.filter((o) => o.method === 'post').length; // 6
 */
export async function readOpenApi(source: string): Promise<ApiDocument> {
  const { text, where } = await readSource(source);
  let raw: unknown;
  try {
    raw = /^\s*[{[]/.test(text) ? JSON.parse(text) : parseYaml(text, { maxAliasCount: 100 });
  } catch (error) {
    throw new OpenApiError('OPENAPI_INVALID', `${where} is neither JSON nor YAML: ${(error as Error).message}`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new OpenApiError('OPENAPI_INVALID', `${where} is not an OpenAPI document (no top-level object)`);
  }
  const version = (raw as { openapi?: unknown; swagger?: unknown }).openapi;
  if (typeof version !== 'string' || !version.startsWith('3.')) {
    const swagger = (raw as { swagger?: unknown }).swagger;
    throw new OpenApiError(
      'OPENAPI_UNSUPPORTED',
      `${where} is ${typeof swagger === 'string' ? `Swagger ${swagger}` : 'not OpenAPI 3'}; init reads OpenAPI 3.0 and 3.1 (convert Swagger 2.0 first, e.g. with swagger2openapi)`,
    );
  }
  // The parser validates a copy (it dereferences what it is given), then dereferences ours.
  const options = { resolve: { external: false }, dereference: { circular: 'ignore' as const } };
  let result;
  try {
    result = await validate(structuredClone(raw) as never, options);
  } catch (error) {
    throw new OpenApiError('OPENAPI_INVALID', `${where}: ${(error as Error).message}`);
  }
  if (!result.valid) throw new OpenApiError('OPENAPI_INVALID', `${where} is not a valid OpenAPI ${version} document:\n${compileErrors(result).trim()}`);
  let doc: Record<string, unknown>;
  try {
    doc = (await dereference(raw as never, options)) as unknown as Record<string, unknown>;
  } catch (error) {
    throw new OpenApiError('OPENAPI_INVALID', `${where}: ${(error as Error).message}`);
  }
  const info = (doc.info ?? {}) as { title?: string; version?: string };
  const operations: ApiOperation[] = [];
  for (const [path, item] of Object.entries((doc.paths ?? {}) as Record<string, Record<string, unknown>>)) {
    if (!item || typeof item !== 'object') continue;
    for (const method of HTTP_METHODS) {
      const op = item[method] as { tags?: string[]; operationId?: string; summary?: string; responses?: Record<string, unknown> } | undefined;
      if (!op) continue;
      operations.push({
        method: method.toUpperCase(),
        path,
        tags: Array.isArray(op.tags) ? op.tags.filter((t) => typeof t === 'string') : [],
        ...(typeof op.operationId === 'string' ? { operationId: op.operationId } : {}),
        ...(typeof op.summary === 'string' ? { summary: op.summary } : {}),
        responses: Object.keys(op.responses ?? {}),
      });
    }
  }
  const server = (doc.servers as { url?: unknown }[] | undefined)?.[0]?.url;
  return { title: info.title ?? '(untitled)', version: info.version ?? '', openapi: version, ...(typeof server === 'string' ? { server } : {}), operations };
}

/** The document's text and how to name it in messages (an absolute path, or the URL). */
async function readSource(source: string): Promise<{ text: string; where: string }> {
  if (/^https?:\/\//i.test(source)) {
    let response: Response;
    try {
      response = await fetch(source, { signal: AbortSignal.timeout(FETCH_TIMEOUT_MS), headers: { accept: 'application/json, application/yaml;q=0.9, */*;q=0.5' } });
    } catch (error) {
      const cause = (error as Error).cause instanceof Error ? ((error as Error).cause as Error).message : (error as Error).message;
      throw new OpenApiError('OPENAPI_UNREADABLE', `${source}: ${cause}`);
    }
    if (!response.ok) throw new OpenApiError('OPENAPI_UNREADABLE', `${source} answered HTTP ${response.status}`);
    const declared = Number(response.headers.get('content-length') ?? 0);
    if (declared > MAX_OPENAPI_BYTES) throw new OpenApiError('OPENAPI_UNREADABLE', `${source} is larger than ${MAX_OPENAPI_BYTES} bytes`);
    const body = Buffer.from(await response.arrayBuffer());
    if (body.length > MAX_OPENAPI_BYTES) throw new OpenApiError('OPENAPI_UNREADABLE', `${source} is larger than ${MAX_OPENAPI_BYTES} bytes`);
    return { text: body.toString('utf8'), where: source };
  }
  const path = resolve(source);
  try {
    if (statSync(path).size > MAX_OPENAPI_BYTES) throw new OpenApiError('OPENAPI_UNREADABLE', `${path} is larger than ${MAX_OPENAPI_BYTES} bytes`);
    return { text: readFileSync(path, 'utf8'), where: path };
  } catch (error) {
    if (error instanceof OpenApiError) throw error;
    throw new OpenApiError('OPENAPI_UNREADABLE', `${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
}
