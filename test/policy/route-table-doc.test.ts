/**
 * docs/policy.md lists, route by route, what the shipped profile types protect. The table is the
 * YAML rendered by routeTable, so this fails when a route is added, removed or changed in config/
 * without the page (paste the printed table between the markers to update it).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { loadPolicyConfig } from '../../src/config/policy-config';
import { routeTable } from '../../src/config/route-table';

test('docs/policy.md shows every shipped route, as config/profile-types says', () => {
  const page = readFileSync('docs/policy.md', 'utf8');
  const match = /<!-- route-table:start -->\n([\s\S]*?)\n<!-- route-table:end -->/.exec(page);
  assert.ok(match, 'docs/policy.md has no <!-- route-table:start --> … <!-- route-table:end --> block');
  const expected = routeTable(loadPolicyConfig('config').profileTypes);
  assert.equal(match[1], expected, `docs/policy.md's route table is out of date; the table for config/ is:\n${expected}`);
});
