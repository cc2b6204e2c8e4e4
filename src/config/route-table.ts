/**
 * The route-by-route table of what the profile types protect, as docs/policy.md shows it. Rendered
 * from the loaded YAML so the documentation cannot drift from what ships: a test compares the table
 * in docs/policy.md with this rendering of config/.
 */
import type { LoadedProfileType } from './profile-types';

const METHOD_ORDER = ['POST', 'PATCH', 'PUT', 'DELETE', '*'];

/** The object a route's calls are keyed on (docs/policy.md, object keys): the path up to its first parameter, or the collection and the new object's name for a create. */
function objectOf(path: string, operation: string): string {
  const segments = path.split('/').slice(1);
  const firstParam = segments.findIndex((s) => s.startsWith('{'));
  if (firstParam >= 0) return `/${segments.slice(0, firstParam + 1).join('/')}`;
  return operation === 'create' ? `${path}#create:<displayName>` : path;
}

/**
 * One row per profile type and route template: the methods of that template and the operation each
 * is decided as (`*` is any of POST, PUT, PATCH, DELETE). Paths are shown as written in the YAML;
 * each also matches behind the type's API versions (`/v1.0`, `/beta`).
 * @example routeTable(loadPolicyConfig('config').profileTypes)
 * // | profile type | route | methods → operation | one object per |
 * // | --- | --- | --- | --- |
 * // | `accessPolicies` | `/deviceManagement/operationApprovalPolicies` | POST → create | `/deviceManagement/operationApprovalPolicies#create:<displayName>` |
 */
export function routeTable(types: LoadedProfileType[]): string {
  const rows = ['| profile type | route | methods → operation | one object per |', '| --- | --- | --- | --- |'];
  for (const type of [...types].sort((a, b) => a.name.localeCompare(b.name))) {
    const byPath = new Map<string, { method: string; operation: string }[]>();
    for (const route of type.routes) {
      const list = byPath.get(route.path) ?? byPath.set(route.path, []).get(route.path)!;
      list.push({ method: route.method, operation: route.operation });
    }
    for (const [path, methods] of byPath) {
      const byOperation = new Map<string, string[]>();
      for (const m of [...methods].sort((a, b) => METHOD_ORDER.indexOf(a.method) - METHOD_ORDER.indexOf(b.method))) {
        const list = byOperation.get(m.operation) ?? byOperation.set(m.operation, []).get(m.operation)!;
        list.push(m.method === '*' ? 'any method' : m.method);
      }
      const cell = [...byOperation].map(([operation, ms]) => `${ms.join(', ')} → ${operation}`).join('; ');
      const object = objectOf(path, methods[0]!.operation);
      rows.push(`| \`${type.name}\` | \`${path}\` | ${cell} | \`${object}\` |`);
    }
  }
  return rows.join('\n');
}
