/**
 * Reads what the engine needs from an `opa build -t wasm` bundle (.tar.gz): the policy Wasm and
 * the bundle's own data. The tar format (ustar, PAX headers, GNU long names) is tar-stream's
 * business; this module only picks the two files out, so a prebuilt bundle loads without OPA
 * or any other tool present.
 */
import { Readable } from 'node:stream';
import { gunzipSync } from 'node:zlib';
import { extract } from 'tar-stream';
import { PolicyBuildError } from './errors';

/** A bundle far larger than any policy is refused rather than unpacked. */
const MAX_UNPACKED_BYTES = 64 * 1024 * 1024;

/** The bundle files the engine reads, by their path inside the bundle. */
const WANTED = new Set(['policy.wasm', 'data.json']);

export interface BundleContents {
  wasm: Buffer;
  /** The bundle's data.json, `{}` when it has none. */
  data: Record<string, unknown>;
  /** The manifest's `revision` (`opa build --revision`; `countersign policy build` writes the git commit), when it has one. */
  revision?: string;
}

/** A manifest revision longer than this is cut: it is shown in /readyz and stored with requests. */
const MAX_REVISION_CHARS = 200;

/**
 * Extracts policy.wasm and data.json from a bundle; rejects with PolicyBuildError when it is not one.
 * @example
 * const { wasm, data } = await readBundle(readFileSync('.build/policy.tar.gz'), '.build/policy.tar.gz');
 */
export async function readBundle(tarGz: Buffer, name = 'bundle'): Promise<BundleContents> {
  return bundleContents(await unpackBundle(tarGz, name, (path) => WANTED.has(path) || path === '.manifest'), name);
}

/**
 * Every regular file of a bundle by its path (`./` and `/` prefixes dropped), for signature checks;
 * `keep` chooses which files' contents are read. Rejects with PolicyBuildError when it is not a bundle.
 */
export async function unpackBundle(tarGz: Buffer, name = 'bundle', keep: (path: string) => boolean = () => true): Promise<Map<string, Buffer>> {
  let tar: Buffer;
  try {
    // Unpacked in one step so the size bound holds before any tar parsing.
    tar = gunzipSync(tarGz, { maxOutputLength: MAX_UNPACKED_BYTES });
  } catch (error) {
    throw new PolicyBuildError(`${name} is not a gzip'd OPA bundle: ${(error as Error).message}`);
  }
  try {
    return await regularFiles(tar, keep);
  } catch (error) {
    throw new PolicyBuildError(`${name}: damaged tar archive: ${(error as Error).message}`);
  }
}

/** The engine's part of an unpacked bundle: policy.wasm, data.json and the manifest's revision. */
export function bundleContents(files: Map<string, Buffer>, name = 'bundle'): BundleContents {
  const wasm = files.get('policy.wasm');
  if (!wasm) throw new PolicyBuildError(`${name} has no policy.wasm: build it with \`opa build -t wasm\``);
  let data: Record<string, unknown> = {};
  const json = files.get('data.json');
  if (json && json.length > 0) {
    const parsed: unknown = JSON.parse(json.toString('utf8'));
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) data = parsed as Record<string, unknown>;
  }
  const revision = manifestRevision(files.get('.manifest'), name);
  return { wasm, data, ...(revision ? { revision } : {}) };
}

function manifestRevision(manifest: Buffer | undefined, name: string): string | undefined {
  if (!manifest || manifest.length === 0) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(manifest.toString('utf8'));
  } catch (error) {
    throw new PolicyBuildError(`${name}: .manifest is not JSON: ${(error as Error).message}`);
  }
  const revision = (parsed as { revision?: unknown } | null)?.revision;
  return typeof revision === 'string' && revision.length > 0 ? revision.slice(0, MAX_REVISION_CHARS) : undefined;
}

/** The regular files `keep` chooses (`./` and `/` prefixes ignored). */
async function regularFiles(tar: Buffer, keep: (path: string) => boolean): Promise<Map<string, Buffer>> {
  const files = new Map<string, Buffer>();
  const entries = extract();
  Readable.from([tar]).pipe(entries);
  for await (const entry of entries) {
    const path = entry.header.name.replace(/^\.?\/+/, '');
    if (entry.header.type !== 'file' || !keep(path)) {
      entry.resume();
      continue;
    }
    const chunks: Buffer[] = [];
    for await (const chunk of entry) chunks.push(chunk as Buffer);
    files.set(path, Buffer.concat(chunks));
  }
  return files;
}
