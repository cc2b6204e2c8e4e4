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
}

/**
 * Extracts policy.wasm and data.json from a bundle; rejects with PolicyBuildError when it is not one.
 * @example
 * const { wasm, data } = await readBundle(readFileSync('.build/policy.tar.gz'), '.build/policy.tar.gz');
 */
export async function readBundle(tarGz: Buffer, name = 'bundle'): Promise<BundleContents> {
  let tar: Buffer;
  try {
    // Unpacked in one step so the size bound holds before any tar parsing.
    tar = gunzipSync(tarGz, { maxOutputLength: MAX_UNPACKED_BYTES });
  } catch (error) {
    throw new PolicyBuildError(`${name} is not a gzip'd OPA bundle: ${(error as Error).message}`);
  }
  let files: Map<string, Buffer>;
  try {
    files = await wantedFiles(tar);
  } catch (error) {
    throw new PolicyBuildError(`${name}: damaged tar archive: ${(error as Error).message}`);
  }
  const wasm = files.get('policy.wasm');
  if (!wasm) throw new PolicyBuildError(`${name} has no policy.wasm: build it with \`opa build -t wasm\``);
  let data: Record<string, unknown> = {};
  const json = files.get('data.json');
  if (json && json.length > 0) {
    const parsed: unknown = JSON.parse(json.toString('utf8'));
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) data = parsed as Record<string, unknown>;
  }
  return { wasm, data };
}

/** The regular files named in WANTED at the bundle's root (`./` and `/` prefixes ignored). */
async function wantedFiles(tar: Buffer): Promise<Map<string, Buffer>> {
  const files = new Map<string, Buffer>();
  const entries = extract();
  Readable.from([tar]).pipe(entries);
  for await (const entry of entries) {
    const path = entry.header.name.replace(/^\.?\/+/, '');
    if (entry.header.type !== 'file' || !WANTED.has(path)) {
      entry.resume();
      continue;
    }
    const chunks: Buffer[] = [];
    for await (const chunk of entry) chunks.push(chunk as Buffer);
    files.set(path, Buffer.concat(chunks));
  }
  return files;
}
