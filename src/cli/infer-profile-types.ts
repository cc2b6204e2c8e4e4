/**
 * From an upstream's operations to profile types, for `countersign init`: one profile type per tag
 * (or per top-level collection when an operation has no tag), holding every mutating route with
 * the operation (create, modify, delete, assign) its method and path suggest. The result is a
 * starting point that passes the loader's checks; a person reviews it before switching a policy on.
 */
import type { Operation } from '../config/policy-definitions';
import type { ApiOperation } from './openapi-document';

const MUTATIONS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
/** The loader's limit of routes per profile type (src/config/profile-types.ts): larger groups are split. */
export const MAX_ROUTES_PER_TYPE = 200;
/** A literal segment the profile type loader accepts (src/config/profile-types.ts). */
const LITERAL = /^[A-Za-z0-9._~!$&'()*+,=:@-]+$/;
const PARAM = /^\{([^{}]+)\}$/;
/** Sub-resources below an object that grant or take away access: changing them is an assignment. */
const ASSIGN_SEGMENT = /^(assign|assignments?|members?|memberships?|owners?|roles?|roleAssignments?|permissions?|collaborators?|grants?)$/i;
/** An operation named like a create (addPet, teams/create, placeOrder). */
const CREATE_NAME = /(^|[/_.\s-])(create|add|new|insert|place|register)|^(create|add|new|insert|place|register)/i;

export interface InferredRoute {
  method: string;
  /** A template the loader accepts: parameters renamed to `{name}` form where needed. */
  path: string;
  operation: Operation;
  /** `operationId: summary` of the document's operation(s), for the YAML comment. */
  note: string;
}

export interface InferredProfileType {
  name: string;
  /** The tag, or `/collection` when grouped by path. */
  source: string;
  routes: InferredRoute[];
}

export interface Inference {
  profileTypes: InferredProfileType[];
  /** Things a reviewer should know: merged overlapping routes, skipped operations. */
  notes: string[];
}

/**
 * @example
 * const { profileTypes } = inferProfileTypes((await readOpenApi('petstore.json')).operations);
 * profileTypes.map((t) => t.name); // ['pet', 'store', 'user']
 */
export function inferProfileTypes(operations: ApiOperation[]): Inference {
  const notes: string[] = [];
  const byName = new Map<string, InferredProfileType>();
  const sourceNames = new Map<string, string>();
  const all: { type: InferredProfileType; route: InferredRoute; literals: (string | null)[] }[] = [];

  for (const op of operations) {
    if (!MUTATIONS.has(op.method)) continue;
    const segments = op.path.split('/').filter((s) => s !== '');
    if (segments.length === 0) {
      notes.push(`${op.method} ${op.path} (${label(op)}) was left out: a route on the root path cannot be a profile type's; protect it by hand if it changes something`);
      continue;
    }
    const template = toTemplate(segments);
    const source = op.tags[0] ?? `/${PARAM.test(segments[0]!) ? '{root}' : segments[0]}`;
    let name = sourceNames.get(source);
    if (name === undefined) {
      name = uniqueName(toName(source), byName);
      sourceNames.set(source, name);
      byName.set(name, { name, source, routes: [] });
    }
    const type = byName.get(name)!;
    const route: InferredRoute = { method: op.method, path: template.path, operation: inferOperation(op, segments), note: label(op) };

    // Two routes that one call could match would make the loader refuse the configuration, and the
    // policy has no "more specific route wins". The strict answer is one route that matches them all
    // (parameters where they differ), not dropping one: merged until nothing overlaps it any more.
    let target: (typeof all)[number] | undefined;
    let literals = template.literals;
    const covered: string[] = [];
    for (;;) {
      const clashes = all.filter((r) => r !== target && r.route.method === route.method && overlap(r.literals, literals));
      if (clashes.length === 0) break;
      target ??= clashes.shift()!;
      for (const other of clashes) {
        all.splice(all.indexOf(other), 1);
        other.type.routes.splice(other.type.routes.indexOf(other.route), 1);
        covered.push(`${other.route.method} ${other.route.path} of ${other.type.name} (${other.route.note})`);
      }
      const merged = [target.literals, literals, ...clashes.map((c) => c.literals)];
      literals = literals.map((_, i) => (merged.every((m) => m[i] === merged[0]![i]) ? merged[0]![i]! : null));
      const parts = target.route.path.split('/').slice(1);
      target.route.path = `/${literals.map((l, i) => (l !== null ? parts[i] : parts[i]!.startsWith('{') ? parts[i] : `{p${i + 1}}`)).join('/')}`;
      target.literals = literals;
    }
    if (target) {
      covered.unshift(`${op.method} ${op.path} (${label(op)})`);
      target.route.note += `; also ${covered.join('; ')}`;
      notes.push(`${covered.join(', ')} overlap${covered.length === 1 ? 's' : ''} ${target.route.method} ${target.route.path} of ${target.type.name}: one route covers them (${target.route.operation}), so enable that type's policy for them`);
      continue;
    }
    type.routes.push(route);
    all.push({ type, route, literals: template.literals });
  }
  const profileTypes: InferredProfileType[] = [];
  const taken = new Map(byName);
  for (const type of byName.values()) {
    for (let i = 0; i < type.routes.length; i += MAX_ROUTES_PER_TYPE) {
      const part = i === 0 ? type.name : uniqueName(`${type.name}-${i / MAX_ROUTES_PER_TYPE + 1}`, taken);
      taken.set(part, type);
      if (i > 0) notes.push(`${type.name} has more than ${MAX_ROUTES_PER_TYPE} mutating routes: routes ${i + 1}… are in profile type ${part}`);
      profileTypes.push({ ...type, name: part, routes: type.routes.slice(i, i + MAX_ROUTES_PER_TYPE) });
    }
  }
  return { profileTypes, notes };
}

/** The path as the loader reads it, and its literals (lower case; null for a parameter). */
function toTemplate(segments: string[]): { path: string; literals: (string | null)[] } {
  const literals: (string | null)[] = [];
  const names = new Set<string>();
  const parts = segments.map((segment, i) => {
    const param = PARAM.exec(segment);
    if (!param && LITERAL.test(segment) && segment !== '.' && segment !== '..') {
      literals.push(segment.toLowerCase());
      return segment;
    }
    // A parameter, or a segment the loader could not take as a literal (`{name}.json`, spaces):
    // a parameter matches it and more, the strict reading.
    literals.push(null);
    let name = (param?.[1] ?? '').replace(/[^A-Za-z0-9_]/g, '_').replace(/^[^A-Za-z]+/, '');
    if (name === '' || names.has(name)) name = `p${i + 1}`;
    names.add(name);
    return `{${name}}`;
  });
  return { path: `/${parts.join('/')}`, literals };
}

function overlap(a: (string | null)[], b: (string | null)[]): boolean {
  return a.length === b.length && a.every((l, i) => l === null || b[i] === null || l === b[i]);
}

/**
 * The operation a mutating call most likely is: an assignment when it changes who has access below
 * an object (members, owners, roles, assignments), else by method; a POST creates when it names a
 * collection (no parameter at all, a 201 answer, or a create-like operation name) and otherwise
 * acts on the object its path names.
 */
function inferOperation(op: ApiOperation, segments: string[]): Operation {
  const firstParam = segments.findIndex((s) => !LITERAL.test(s) || PARAM.test(s));
  if (firstParam >= 0 && segments.slice(firstParam + 1).some((s) => !PARAM.test(s) && ASSIGN_SEGMENT.test(s))) return 'assign';
  if (/assign|permission|member/i.test(op.operationId ?? '')) return 'assign';
  if (op.method === 'DELETE') return 'delete';
  if (op.method === 'PUT' || op.method === 'PATCH') return 'modify';
  const last = segments[segments.length - 1]!;
  if (PARAM.test(last)) return 'modify';
  if (firstParam < 0 || op.responses.includes('201') || CREATE_NAME.test(op.operationId ?? '') || CREATE_NAME.test(op.summary ?? '')) return 'create';
  return 'modify';
}

/** A profile type name from a tag or collection: letters, digits, _ and -, starting with a letter. */
function toName(source: string): string {
  const name = source
    .replace(/[{}]/g, '')
    .replace(/[^A-Za-z0-9_-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .toLowerCase();
  const started = /^[a-z]/.test(name) ? name : `t-${name}`;
  return started.slice(0, 56).replace(/-+$/, '') || 'api';
}

function uniqueName(base: string, taken: Map<string, unknown>): string {
  if (!taken.has(base)) return base;
  for (let n = 2; ; n++) if (!taken.has(`${base}-${n}`)) return `${base}-${n}`;
}

function label(op: ApiOperation): string {
  const text = [op.operationId, op.summary].filter((s) => s !== undefined && s !== '').join(': ');
  // One line, bounded: it goes into a YAML comment.
  return (text || `${op.method} ${op.path}`).replace(/[\r\n\t]+/g, ' ').replace(/[\u0000-\u001f\u007f]/g, '').slice(0, 160);
}
