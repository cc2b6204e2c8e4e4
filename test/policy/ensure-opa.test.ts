/**
 * ensureOpa: `countersign policy …` and `explain` (through buildBundle and testPolicies) build the OPA
 * CLI when it is missing, as `npm run demo` does, instead of failing right after `npm install`.
 * A stand-in install script takes the place of scripts/install-opa.sh (which runs `go install`).
 */
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { buildOpaIfMissing, ensureOpa, resolveOpaBin } from '../../src/policy/opa-cli';
import { PolicyBuildError } from '../../src/policy/errors';

const dir = mkdtempSync(join(tmpdir(), 'countersign-ensure-opa-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('a missing OPA is built by the install script; one that is there, or named, is used as it is', () => {
  const bin = join(dir, 'tools/bin/opa');
  const script = join(dir, 'install.sh');
  writeFileSync(script, `mkdir -p "${join(dir, 'tools/bin')}"\nprintf '#!/bin/sh\\necho "Version: 1.22.3"\\n' > "${bin}"\nchmod +x "${bin}"\necho built "$0"\n`);
  chmodSync(script, 0o755);
  assert.equal(existsSync(bin), false);
  assert.equal(buildOpaIfMissing(bin, script), bin);
  assert.ok(existsSync(bin), 'the script ran and made the binary');
  // Now it is there: the script is not run again (it would fail).
  writeFileSync(script, 'exit 7\n');
  assert.equal(buildOpaIfMissing(bin, script), bin);

  // A named binary is never built or replaced.
  assert.equal(ensureOpa('/nowhere/opa'), '/nowhere/opa');
  assert.equal(resolveOpaBin(), process.env.OPA_BIN ?? ensureOpa());
});

test('an install that fails says what to do, naming the binary it looked for', () => {
  const bin = join(dir, 'never/opa');
  const script = join(dir, 'fail.sh');
  writeFileSync(script, 'echo "opa: Go is needed" >&2\nexit 1\n');
  assert.throws(() => buildOpaIfMissing(bin, script), (error: unknown) => {
    assert.ok(error instanceof PolicyBuildError);
    assert.match(error.message, new RegExp(`could not build OPA into ${bin.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: install Go .* or set OPA_BIN`));
    return true;
  });
});
