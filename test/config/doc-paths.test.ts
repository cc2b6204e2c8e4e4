/**
 * The docs and the shipped configuration never point at a file the checkout does not have: every
 * `config/…` and `docs/…` path named in README.md, docs/*.md and config/**\/*.yaml exists. Paths
 * that are patterns (`*`, `<name>`, `{id}`) or part of a longer path (`src/config/…`,
 * `/srv/countersign/config/…`, an example of an error message) are not checkout paths and are skipped.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import { PROJECT_ROOT } from '../../src/config/gateway-config';

function yamlFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? yamlFiles(join(dir, e.name)) : /\.ya?ml$/.test(e.name) ? [join(dir, e.name)] : [],
  );
}

/** A checkout path: starts a word (not after `/`, `.` or a letter), runs until a character no path here has. */
const MENTION = /(?<![\w/.~-])(?:config|docs)\/[A-Za-z0-9_./-]*[A-Za-z0-9_/-]/g;

test('every config/ and docs/ path in README.md, docs/*.md and config/**/*.yaml exists', () => {
  const files = [
    join(PROJECT_ROOT, 'README.md'),
    ...readdirSync(join(PROJECT_ROOT, 'docs')).filter((n) => n.endsWith('.md')).map((n) => join(PROJECT_ROOT, 'docs', n)),
    ...yamlFiles(join(PROJECT_ROOT, 'config')),
  ];
  const missing: string[] = [];
  let checked = 0;
  for (const file of files) {
    const text = readFileSync(file, 'utf8');
    for (const match of text.matchAll(MENTION)) {
      const next = text[match.index + match[0].length] ?? '';
      // A pattern or placeholder, not a file: config/profile-types/*.yaml, config/access-policies/<name>.yaml.
      if (/[*<{]/.test(next)) continue;
      checked++;
      if (!existsSync(join(PROJECT_ROOT, match[0]))) {
        const line = text.slice(0, match.index).split('\n').length;
        missing.push(`${relative(PROJECT_ROOT, file)}:${line}: ${match[0]}`);
      }
    }
  }
  assert.ok(checked > 20, `found only ${checked} mentions: the pattern no longer matches the docs`);
  assert.deepEqual(missing, [], 'paths named in the docs or configuration that the checkout does not have');
});
