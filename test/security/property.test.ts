/**
 * Property-based bypass search (issue 8, "The proof"): fast-check builds random calls from
 * protected and unprotected paths, spelled every way the table in bypass.test.ts spells them
 * (letter case, percent-encoding, dot segments, doubled slashes, OData keys, type casts, API
 * versions), with random methods, override and rewrite headers, encodings and JSON batches, and
 * sends each through the running gateway to the liberal upstream as raw bytes. The property:
 * whatever the upstream executed, under any reading it could have made, touched no protected
 * object (a protected change must be parked or refused, never forwarded).
 *
 * COUNTERSIGN_PROPERTY_RUNS sets the number of runs (default 200: about 20 s on a busy two-core machine);
 * COUNTERSIGN_PROPERTY_SEED replays a failure's seed.
 */
import { after, before, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { assertNothingProtectedChanged, attack, startAttackRig, type AttackRig } from './attack-harness';
import { rawRequest, type HeaderList } from './raw-http';

const RUNS = Number(process.env.COUNTERSIGN_PROPERTY_RUNS ?? 200);
const SEED = process.env.COUNTERSIGN_PROPERTY_SEED === undefined ? undefined : Number(process.env.COUNTERSIGN_PROPERTY_SEED);

/** Paths to start from: [segments before the key, key, segments after]; protected and not. */
const BASES: [string[], string | null, string[]][] = [
  [['deviceAppManagement', 'mobileApps'], '42', []],
  [['deviceAppManagement', 'mobileApps'], '42', ['assign']],
  [['deviceAppManagement', 'mobileApps'], '43', ['assignments', 'a1']],
  [['deviceAppManagement', 'mobileApps'], null, []],
  [['deviceManagement', 'deviceManagementScripts'], '7', []],
  [['deviceManagement', 'deviceManagementScripts'], '7', ['assign']],
  [['deviceManagement', 'deviceManagementScripts'], null, []],
  [['deviceManagement', 'operationApprovalPolicies'], '1', []],
  [['deviceManagement', 'operationApprovalPolicies'], null, []],
  [['deviceManagement', 'roleDefinitions'], 'r1', []],
  [['deviceManagement', 'roleAssignments'], null, []],
  [['groups'], 'g1', ['members', '$ref']],
  [['groups'], 'g1', ['owners', '$ref']],
  [['groups'], 'g1', []],
  [['users'], 'u1', []],
  [['deviceManagement', 'managedDevices'], 'd1', []],
  [['groups'], null, []],
  [['me'], null, []],
];

const PROTECTED_PATHS = ['/deviceAppManagement/mobileApps/42', '/deviceManagement/deviceManagementScripts/7/assign', '/groups/g1/members/$ref', '/deviceManagement/roleDefinitions/r1'];

/** A small deterministic random source, so one fast-check integer drives many small choices. */
function prng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 0x100000000;
  };
}

const pct = (c: string): string => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`;

const spelledPath = fc
  .record({
    base: fc.constantFrom(...BASES),
    version: fc.constantFrom('', '/v1.0', '/beta', '/V1.0', '/BETA', '/v2.0'),
    keyForm: fc.constantFrom('segment', 'segment', "('k')", "(id='k')", '(k)', "(%27k%27)"),
    typeCast: fc.constantFrom('', '', 'before', 'after'),
    caseMode: fc.constantFrom('as', 'upper', 'lower', 'mixed'),
    encodeRate: fc.constantFrom(0, 0, 0.1, 0.4),
    noise: fc.array(fc.constantFrom('.', '..', '', 'x/..', '%2e', '%2e%2e', '%2F', '%5C', ';a=1', '%3B', '%20', '%00', '%E2%80%8B'), { maxLength: 2 }),
    trailing: fc.constantFrom('', '', '/', '?x=1', '/.', '.', '#f'),
    seed: fc.integer(),
  })
  .map(({ base, version, keyForm, typeCast, caseMode, encodeRate, noise, trailing, seed }) => {
    const rnd = prng(seed);
    const [before, key, afterKey] = base;
    const segments = [...before];
    if (typeCast === 'before') segments.push('microsoft.graph.webApp');
    if (key !== null) {
      if (keyForm === 'segment') segments.push(key);
      else segments[segments.length - 1] = `${segments[segments.length - 1]}${keyForm.replace('k', key)}`;
    }
    if (typeCast === 'after') segments.push('microsoft.graph.win32LobApp');
    segments.push(...afterKey);
    const spell = (segment: string): string =>
      [...segment]
        .map((c) => {
          let out = c;
          if (caseMode === 'upper' || (caseMode === 'mixed' && rnd() < 0.5)) out = out.toUpperCase();
          else if (caseMode === 'lower') out = out.toLowerCase();
          return /[A-Za-z0-9]/.test(out) && rnd() < encodeRate ? pct(out) : out;
        })
        .join('');
    const spelled = segments.map(spell);
    for (const n of noise) spelled.splice(Math.floor(rnd() * (spelled.length + 1)), 0, n);
    const sep = rnd() < 0.2 ? '//' : '/';
    return `${version}${sep}${spelled.join(sep)}${trailing}`;
  });

const method = fc.constantFrom('GET', 'HEAD', 'OPTIONS', 'POST', 'POST', 'PUT', 'PATCH', 'PATCH', 'DELETE', 'MERGE');

const headerSet = fc.subarray<[string, string]>(
  [
    ['X-HTTP-Method-Override', 'GET'],
    ['X-HTTP-Method', 'get'],
    ['X-Method-Override', 'PATCH'],
    ['x-http-method-override', 'DELETE'],
    ['X-HTTP-Method', 'GET, PATCH'],
    ['X-Original-URL', PROTECTED_PATHS[0]!],
    ['X-Rewrite-URL', PROTECTED_PATHS[2]!],
    ['Upgrade', 'websocket'],
    ['Content-Encoding', 'gzip'],
  ],
  { maxLength: 3 },
);

const subRequest = fc.record({ method, url: spelledPath, headers: headerSet }).map(({ method: m, url, headers }) => ({
  id: '1',
  method: m,
  url,
  headers: Object.fromEntries(headers.filter(([n]) => n !== 'Content-Encoding' && n !== 'Upgrade')),
  body: { displayName: 'x' },
}));

const call = fc.record({
  method,
  path: fc.oneof({ weight: 4, arbitrary: spelledPath }, { weight: 1, arbitrary: fc.constantFrom('/$batch', '/v1.0/$batch', '/BETA/$batch', '/%24batch') }),
  headers: headerSet,
  contentType: fc.constantFrom('application/json', 'application/json', 'text/plain', ''),
  sub: fc.array(subRequest, { minLength: 1, maxLength: 3 }),
});

let rig: AttackRig;
before(async () => {
  rig = await startAttackRig();
});
after(async () => {
  await rig?.close();
});

test(`no random call changes a protected object unapproved (${RUNS} runs)`, async () => {
  await fc.assert(
    fc.asyncProperty(call, async (c) => {
      const isBatch = /\$batch|%24batch/i.test(c.path);
      const json = isBatch ? JSON.stringify({ requests: c.sub.map((s, i) => ({ ...s, id: String(i + 1) })) }) : '{"displayName":"random"}';
      const gzip = c.headers.some(([n]) => n === 'Content-Encoding');
      const headers: HeaderList = [...c.headers, ...(c.contentType ? ([['Content-Type', c.contentType]] as HeaderList) : [])];
      const bodyless = c.method === 'GET' || c.method === 'HEAD';
      const body = bodyless ? undefined : gzip ? gzipSync(json) : json;
      const bytes = rawRequest(c.method, c.path, { headers, ...(body !== undefined ? { body } : {}) });
      const name = `${c.method} ${c.path} ${JSON.stringify(headers)}${isBatch ? ` batch ${json}` : ''}`;
      assertNothingProtectedChanged(name, await attack(rig, bytes));
    }),
    { numRuns: RUNS, endOnFailure: true, ...(SEED !== undefined ? { seed: SEED } : {}) },
  );
});
