/**
 * The inference behind `countersign init` on the shapes real documents have but the fixtures lack:
 * routes one call could match twice, segments and names the loader cannot take as written,
 * untagged operations, a root route, and a tag with more routes than a profile type may hold. Each
 * result is written as profile types and loaded by the gateway's own loader.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { stringify } from 'yaml';
import { inferProfileTypes, MAX_ROUTES_PER_TYPE } from '../../src/cli/infer-profile-types';
import type { ApiOperation } from '../../src/cli/openapi-document';
import { loadProfileTypes } from '../../src/config/profile-types';

const dir = mkdtempSync(join(tmpdir(), 'countersign-infer-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const op = (method: string, path: string, extra: Partial<ApiOperation> = {}): ApiOperation => ({ method, path, tags: [], responses: ['200'], ...extra });

/** Writes the inferred types as init does and loads them with the gateway's loader. */
function load(name: string, operations: ApiOperation[]) {
  const inferred = inferProfileTypes(operations);
  const config = join(dir, name);
  mkdirSync(join(config, 'profile-types'), { recursive: true });
  for (const t of inferred.profileTypes) {
    writeFileSync(join(config, 'profile-types', `${t.name}.yaml`), stringify({ name: t.name, description: t.source, routes: t.routes.map(({ method, path, operation }) => ({ method, path, operation })) }));
  }
  return { inferred, loaded: loadProfileTypes(config) };
}

test('overlapping routes become one route that matches both; odd segments and names become parameters', () => {
  const { inferred, loaded } = load('odd', [
    op('PATCH', '/things/{thing-id}/parts', { tags: ['Things & Stuff'] }),
    op('PATCH', '/things/special/{partId}', { tags: ['Things & Stuff'] }),
    op('PUT', '/files/{name}.json', { operationId: 'putFile' }),
    op('POST', '/', { operationId: 'rootAction' }),
    op('GET', '/things', { tags: ['Things & Stuff'] }),
    op('DELETE', '/Things/{id}/Owners/{ownerId}', { tags: ['Things & Stuff'] }),
    op('POST', '/things/{id}/archive', { operationId: 'archiveThing', tags: ['Things & Stuff'] }),
    op('POST', '/things/{id}/children', { operationId: 'createChild', tags: ['Things & Stuff'] }),
  ]);
  assert.deepEqual(
    loaded.map((t) => [t.name, t.routes.map((r) => `${r.method} ${r.path} ${r.operation}`)]),
    [
      ['files', ['PUT /files/{p2} modify']],
      [
        'things-stuff',
        [
          'PATCH /things/{thing_id}/{p3} modify',
          'DELETE /Things/{id}/Owners/{ownerId} assign',
          'POST /things/{id}/archive modify',
          'POST /things/{id}/children create',
        ],
      ],
    ],
  );
  assert.equal(inferred.notes.length, 2, inferred.notes.join('\n'));
  assert.match(inferred.notes[0]!, /PATCH \/things\/special\/\{partId\} \(PATCH \/things\/special\/\{partId\}\) overlaps PATCH \/things\/\{thing_id\}\/\{p3\} of things-stuff: one route covers them \(modify\)/);
  assert.match(inferred.notes[1]!, /POST \/ \(rootAction\) was left out/);
});

test('a general route swallows every route it overlaps, across tags, until nothing overlaps', () => {
  const { inferred, loaded } = load('cascade', [
    op('POST', '/orgs/{org}/actions/runner-groups', { tags: ['actions'], responses: ['201'] }),
    op('POST', '/orgs/{org}/teams', { tags: ['teams'], responses: ['201'] }),
    op('POST', '/orgs/{org}/actions/variables', { tags: ['actions'], responses: ['201'] }),
    op('POST', '/orgs/{org}/{security_product}/{enablement}', { tags: ['code-security'] }),
    op('POST', '/orgs/{org}/attestations/bulk-list', { tags: ['orgs'] }),
  ]);
  assert.deepEqual(
    loaded.map((t) => [t.name, t.routes.map((r) => `${r.method} ${r.path} ${r.operation}`)]),
    [
      ['actions', ['POST /orgs/{org}/{p3}/{p4} create']],
      ['teams', ['POST /orgs/{org}/teams create']],
    ],
  );
  assert.equal(inferred.profileTypes.find((t) => t.name === 'orgs'), undefined, 'a type left without routes is not written');
  assert.match(inferred.notes.join('\n'), /POST \/orgs\/\{org\}\/\{security_product\}\/\{enablement\} .*, POST \/orgs\/\{org\}\/actions\/variables of actions .* overlap POST \/orgs\/\{org\}\/\{p3\}\/\{p4\} of actions/);
});

test('a tag with more routes than a profile type may hold is split, and each part loads', () => {
  const operations = Array.from({ length: MAX_ROUTES_PER_TYPE + 5 }, (_, i) => op('DELETE', `/big/r${i}/{id}`, { tags: ['big'] }));
  const { inferred, loaded } = load('big', operations);
  assert.deepEqual(loaded.map((t) => [t.name, t.routes.length]).sort(), [['big', MAX_ROUTES_PER_TYPE], ['big-2', 5]]);
  assert.match(inferred.notes.join('\n'), /big has more than 200 mutating routes: routes 201… are in profile type big-2/);
});
