/**
 * `countersign explain --user` takes the user id through the same canonical form as the gateway's
 * identity (invariant 9), so what it prints is the id the gateway would decide on.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { run as explain } from '../../src/cli/explain';

async function capture(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await explain(args, { stdout: { write: (t: string) => (out += t) }, stderr: { write: (t: string) => (err += t) } });
  return { code, out, err };
}

const CALL = ['--method', 'PATCH', '--path', '/deviceAppManagement/mobileApps/42'];

describe('countersign explain --user', () => {
  test('is made canonical: " ＡＬＩＣＥ " is alice', async () => {
    const r = await capture([...CALL, '--user', ' ＡＬＩＣＥ ']);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /, never alice; access policy apps-approval\n$/);
  });

  test('an id that is empty once canonical is a usage error, with the reason', async () => {
    const r = await capture([...CALL, '--user', ' \u200B ']);
    assert.equal(r.code, 2);
    assert.equal(r.out, '');
    assert.equal(r.err, 'countersign explain: --user: user id is empty once canonicalised (NFKC, trimmed, case-folded)\n');
  });
});
