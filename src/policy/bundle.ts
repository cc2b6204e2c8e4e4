/**
 * Reads what the engine needs from an `opa build -t wasm` bundle (.tar.gz): the policy Wasm and
 * the bundle's own data. A tiny ustar reader, because that is all a bundle is, and so that a
 * prebuilt bundle loads without OPA or any other tool present.
 */
import { gunzipSync } from 'node:zlib';
import { PolicyBuildError } from './errors';

/** A bundle far larger than any policy is refused rather than unpacked. */
const MAX_UNPACKED_BYTES = 64 * 1024 * 1024;

export interface BundleContents {
  wasm: Buffer;
  /** The bundle's data.json, `{}` when it has none. */
  data: Record<string, unknown>;
}

/** Extracts policy.wasm and data.json from a bundle; throws PolicyBuildError when it is not one. */
export function readBundle(tarGz: Buffer, name = 'bundle'): BundleContents {
  let tar: Buffer;
  try {
    tar = gunzipSync(tarGz, { maxOutputLength: MAX_UNPACKED_BYTES });
  } catch (error) {
    throw new PolicyBuildError(`${name} is not a gzip'd OPA bundle: ${(error as Error).message}`);
  }
  const files = new Map<string, Buffer>();
  let offset = 0;
  while (offset + 512 <= tar.length) {
    const header = tar.subarray(offset, offset + 512);
    if (header.every((b) => b === 0)) break;
    const field = (start: number, length: number): string => header.toString('latin1', start, start + length).replace(/\0.*$/s, '');
    const size = parseInt(field(124, 12).trim() || '0', 8);
    const type = field(156, 1) || '0';
    const prefix = field(345, 155);
    const path = (prefix ? `${prefix}/` : '') + field(0, 100);
    if (!Number.isFinite(size) || size < 0 || offset + 512 + size > tar.length) {
      throw new PolicyBuildError(`${name}: damaged tar entry at byte ${offset}`);
    }
    if (type === '0') files.set(path.replace(/^\.?\/+/, ''), tar.subarray(offset + 512, offset + 512 + size));
    offset += 512 + Math.ceil(size / 512) * 512;
  }
  const wasm = files.get('policy.wasm');
  if (!wasm) throw new PolicyBuildError(`${name} has no policy.wasm: build it with \`opa build -t wasm\``);
  let data: Record<string, unknown> = {};
  const json = files.get('data.json');
  if (json && json.length > 0) {
    const parsed: unknown = JSON.parse(json.toString('utf8'));
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) data = parsed as Record<string, unknown>;
  }
  return { wasm: Buffer.from(wasm), data };
}
