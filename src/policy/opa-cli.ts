/**
 * Runs the real OPA CLI: finds the binary, derives the Wasm capabilities file and builds the
 * policy bundle into a content-addressed cache under `.build/policy/<hash>/`.
 */
import { execFile, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { PolicyBuildError } from './errors';

const run = promisify(execFile);

/** The repository root (this file is src/policy/opa-cli.ts). */
export const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** The two entry points every bundle must export, in this order. */
export const ENTRYPOINTS = ['maa/decision', 'maa/authorize'] as const;

/** The OPA binary: an explicit path, else $OPA_BIN, else the one scripts/install-opa.sh builds. */
export function resolveOpaBin(opaBin?: string): string {
  return opaBin ?? process.env.OPA_BIN ?? join(PROJECT_ROOT, '.tools/bin/opa');
}

/**
 * Makes sure the OPA CLI is there before a command needs it: when neither `opaBin` nor OPA_BIN names
 * one and `.tools/bin/opa` is missing, builds the pinned version with scripts/install-opa.sh (as
 * `npm run demo` does), its progress on stderr, so `countersign policy test` and `explain` work right
 * after `npm install`. Returns the binary. An explicitly named binary is never replaced.
 * @example
 * const bin = ensureOpa(); // '/path/to/countersign/.tools/bin/opa'
 */
export function ensureOpa(opaBin?: string): string {
  const bin = resolveOpaBin(opaBin);
  if (opaBin !== undefined || process.env.OPA_BIN) return bin;
  return buildOpaIfMissing(bin, join(PROJECT_ROOT, 'scripts/install-opa.sh'));
}

/** ensureOpa's step with its paths given (tests use a stand-in script). */
export function buildOpaIfMissing(bin: string, installScript: string): string {
  if (existsSync(bin)) return bin;
  process.stderr.write(`countersign: OPA is missing at ${bin}; building it with ${installScript} (a few minutes, once)\n`);
  // Its output goes to stderr: stdout stays the command's own (explain --json, policy build's path).
  const result = spawnSync('bash', [installScript], { stdio: ['ignore', process.stderr, process.stderr] });
  if (result.status !== 0 || !existsSync(bin)) {
    throw new PolicyBuildError(`could not build OPA into ${bin}: install Go (https://go.dev/dl/) or set OPA_BIN to an OPA 1.x binary`);
  }
  return bin;
}

async function opa(bin: string, args: string[], cwd?: string): Promise<string> {
  try {
    const { stdout } = await run(bin, args, { cwd, maxBuffer: 16 * 1024 * 1024, timeout: 120_000 });
    return stdout;
  } catch (error) {
    const e = error as NodeJS.ErrnoException & { stderr?: string; stdout?: string };
    if (e.code === 'ENOENT') {
      throw new PolicyBuildError(`OPA is not at ${bin}: run scripts/install-opa.sh, set OPA_BIN, or give a prebuilt bundle`);
    }
    const output = `${e.stderr ?? ''}${e.stdout ?? ''}`.trim() || e.message;
    throw new PolicyBuildError(`opa ${args[0]} failed:\n${output}`, { cause: error });
  }
}

/**
 * The capabilities file for `opa build -t wasm`: the builtins that @open-policy-agent/opa-wasm's
 * runtime implements (its shipped capabilities.json), with the ABI versions, features and future
 * keywords of the OPA doing the build, less the nondeterministic rand.intn. That file predates
 * OPA 1.x, so it lacks `rego_v1`; taking features from OPA keeps v1 syntax legal while a builtin
 * the runtime lacks still fails the build.
 */
export async function deriveCapabilities(opaBin: string): Promise<object> {
  const shipped = JSON.parse(readFileSync(opaWasmCapabilitiesFile(), 'utf8')) as {
    builtins: unknown[];
    wasm_abi_versions?: unknown[];
  };
  const current = JSON.parse(await opa(opaBin, ['capabilities', '--current'])) as Record<string, unknown>;
  let abi = current.wasm_abi_versions as unknown[] | undefined;
  if (!abi) {
    // An OPA built with CGO_ENABLED=0 has no Wasm engine, and `--current` then lists no ABI
    // versions; the same release's own capabilities file has them.
    const version = /^Version: (\S+)/m.exec(await opa(opaBin, ['version']))?.[1];
    if (version) {
      const released = JSON.parse(await opa(opaBin, ['capabilities', '--version', `v${version}`])) as Record<string, unknown>;
      abi = released.wasm_abi_versions as unknown[] | undefined;
    }
  }
  return {
    // rand.intn is the one nondeterministic builtin the runtime offers; leaving it out keeps every
    // decision a pure function of input and data, which the engine's decision memo relies on.
    builtins: shipped.builtins.filter((b) => (b as { name?: string }).name !== 'rand.intn'),
    wasm_abi_versions: abi ?? shipped.wasm_abi_versions,
    features: current.features ?? [],
    future_keywords: current.future_keywords ?? [],
  };
}

/** The capabilities.json shipped beside @open-policy-agent/opa-wasm (not in its package exports). */
function opaWasmCapabilitiesFile(): string {
  let dir = dirname(createRequire(import.meta.url).resolve('@open-policy-agent/opa-wasm'));
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return join(dir, 'capabilities.json');
}

/** Rego sources of a policies folder (tests excluded), sorted: what a bundle is built from. */
export function regoSources(policiesDir: string): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      if (entry.name.startsWith('.')) continue;
      const full = join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name.endsWith('.rego') && !entry.name.endsWith('_test.rego')) out.push(full);
    }
  };
  walk(policiesDir);
  return out;
}

export interface BuiltBundle {
  /** The bundle .tar.gz. */
  path: string;
  /** Content hash of the sources, capabilities and OPA that produced it. */
  hash: string;
  /** Whether it came from the cache. */
  cached: boolean;
}

/**
 * Builds `policiesDir` with `opa build -t wasm` into `<cacheDir>/<hash>/bundle.tar.gz`, or returns
 * the cached bundle when the same sources, capabilities and OPA built it before.
 * @example
 * const { path } = await buildBundle({ policiesDir: 'policies' });
 */
export async function buildBundle(options: {
  policiesDir: string;
  opaBin?: string;
  cacheDir?: string;
  /** Sign with OPA's bundle signing: a PEM private key file and its JWS algorithm (OPA's default RS256). */
  signing?: { keyFile: string; alg?: string };
  /** The manifest's revision (`opa build --revision`), e.g. gitRevision()'s. */
  revision?: string;
}): Promise<BuiltBundle> {
  const opaBin = ensureOpa(options.opaBin);
  const policiesDir = resolve(options.policiesDir);
  const cacheDir = options.cacheDir ?? join(PROJECT_ROOT, '.build/policy');
  const sources = regoSources(policiesDir);
  if (sources.length === 0) throw new PolicyBuildError(`no .rego files in ${policiesDir}`);
  const capabilities = await deriveCapabilities(opaBin);
  const binStat = statSync(opaBin);
  const hash = createHash('sha256');
  hash.update(`opa ${binStat.size} ${binStat.mtimeMs}\n`);
  hash.update(JSON.stringify(capabilities));
  hash.update(ENTRYPOINTS.join(','));
  // A signed or revised build is another bundle: the key (hashed with the rest, never stored) and revision are part of its identity.
  if (options.revision !== undefined) hash.update(`\0revision\0${options.revision}`);
  if (options.signing) {
    let key: Buffer;
    try {
      key = readFileSync(options.signing.keyFile);
    } catch (error) {
      throw new PolicyBuildError(`cannot read the signing key ${options.signing.keyFile}: ${(error as Error).message}`);
    }
    hash.update(`\0signing\0${options.signing.alg ?? 'RS256'}\0`);
    hash.update(key);
  }
  for (const file of sources) {
    hash.update(`\0${relative(policiesDir, file)}\0`);
    hash.update(readFileSync(file));
  }
  const digest = hash.digest('hex').slice(0, 32);
  const target = join(cacheDir, digest);
  const bundle = join(target, 'bundle.tar.gz');
  if (existsSync(bundle)) return { path: bundle, hash: digest, cached: true };

  // Build beside the cache entry and rename it into place, so a concurrent build (another test
  // file, another process) never sees a half-written bundle.
  const work = join(cacheDir, `.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
  mkdirSync(work, { recursive: true });
  try {
    writeFileSync(join(work, 'capabilities.json'), JSON.stringify(capabilities, null, 1));
    const args = ['build', '-t', 'wasm', '--capabilities', join(work, 'capabilities.json'), '--ignore', '*_test.rego', '-o', join(work, 'bundle.tar.gz')];
    for (const e of ENTRYPOINTS) args.push('-e', e);
    if (options.revision !== undefined) args.push('--revision', options.revision);
    if (options.signing) {
      // Signing needs bundle mode; run from inside the folder so the signed names are the files' own paths.
      args.push('--bundle', '--signing-key', resolve(options.signing.keyFile), ...(options.signing.alg ? ['--signing-alg', options.signing.alg] : []));
      await opa(opaBin, [...args, '.'], policiesDir);
    } else {
      await opa(opaBin, [...args, policiesDir]);
    }
    try {
      renameSync(work, target);
    } catch (error) {
      if (!existsSync(bundle)) throw error;
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return { path: bundle, hash: digest, cached: false };
}

/**
 * The git commit the policy and its configuration come from: `git rev-parse HEAD`, with `-dirty`
 * when any of `dirs` has changes not committed (untracked files included); undefined outside a git
 * checkout or without git. Recorded in the bundle's manifest so a gateway can say what it runs.
 * @example
 * gitRevision(['policies', 'config']); // '3f2c1e0…9ab-dirty'
 */
export function gitRevision(dirs: string[]): string | undefined {
  const cwd = resolve(dirs[0] ?? '.');
  const head = spawnSync('git', ['rev-parse', 'HEAD'], { cwd, encoding: 'utf8' });
  if (head.status !== 0 || !/^[0-9a-f]{40,64}\s*$/.test(head.stdout)) return undefined;
  const status = spawnSync('git', ['status', '--porcelain', '--', ...dirs.map((d) => resolve(d))], { cwd, encoding: 'utf8' });
  const dirty = status.status !== 0 || status.stdout.trim().length > 0;
  return `${head.stdout.trim()}${dirty ? '-dirty' : ''}`;
}

/** `opa check` then `opa test -v` on the policies folder; returns OPA's output. */
export async function testPolicies(options: { policiesDir: string; opaBin?: string; verbose?: boolean }): Promise<string> {
  const opaBin = ensureOpa(options.opaBin);
  // Absolute, so OPA's messages name files a reader can open from anywhere.
  const policiesDir = resolve(options.policiesDir);
  await opa(opaBin, ['check', policiesDir]);
  // OPA cancels a test case after 5 s by default; on a loaded machine (a CI runner, two cores
  // running the suite) a heavy case took longer and failed as "context deadline exceeded".
  return opa(opaBin, ['test', '--timeout=60s', ...(options.verbose === false ? [] : ['-v']), policiesDir]);
}
