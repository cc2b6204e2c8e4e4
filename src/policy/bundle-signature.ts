/**
 * Verifies an OPA bundle's `.signatures.json` the way OPA itself does (its bundle signing spec):
 * the file holds one compact JWS whose payload lists every file of the bundle with its SHA-256;
 * the JWS must verify with the configured public key, and the listed files and the bundle's files
 * must be the same set with the same hashes. Data files and `.manifest` are hashed over their
 * parsed JSON in OPA's canonical form (keys sorted, no spaces), everything else over its bytes.
 * Nothing of a bundle is loaded before this passes.
 */
import { createHash, type KeyObject } from 'node:crypto';
import { compactVerify } from 'jose';
import { PolicyUnavailableError, errorText } from './errors';

/** The JWS algorithms `opa build --signing-alg` offers that jose verifies with a PEM public key. */
export const BUNDLE_SIGNING_ALGS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512'] as const;
export type BundleSigningAlg = (typeof BUNDLE_SIGNING_ALGS)[number];

export const SIGNATURES_FILE = '.signatures.json';

/** Bounds what a signature file may hold: OPA writes one JWS of a few KiB. */
const MAX_SIGNATURES_BYTES = 1024 * 1024;

interface SignedFile {
  name: string;
  hash: string;
  algorithm: string;
}

/**
 * Throws PolicyUnavailableError naming the first problem: no signature, a JWS that does not verify
 * with `publicKey` (pinned to `alg`), a file missing from either side, or a hash that differs.
 * @example
 * await verifyBundleSignature(files, createPublicKey(readFileSync('bundle-public.pem')), 'RS256', url);
 */
export async function verifyBundleSignature(files: Map<string, Buffer>, publicKey: KeyObject, alg: BundleSigningAlg, name = 'bundle'): Promise<void> {
  const raw = files.get(SIGNATURES_FILE);
  if (!raw) throw new PolicyUnavailableError(`${name} is not signed: it has no ${SIGNATURES_FILE} (build it with \`countersign policy build --sign-key FILE\`)`);
  if (raw.length > MAX_SIGNATURES_BYTES) throw new PolicyUnavailableError(`${name}: ${SIGNATURES_FILE} is larger than ${MAX_SIGNATURES_BYTES} bytes`);
  let jws: unknown;
  try {
    const parsed = JSON.parse(raw.toString('utf8')) as { signatures?: unknown };
    jws = Array.isArray(parsed.signatures) && parsed.signatures.length === 1 ? parsed.signatures[0] : undefined;
  } catch {
    jws = undefined;
  }
  if (typeof jws !== 'string') throw new PolicyUnavailableError(`${name}: ${SIGNATURES_FILE} must hold exactly one JWS in "signatures"`);
  let payload: Uint8Array;
  try {
    ({ payload } = await compactVerify(jws, publicKey, { algorithms: [alg] }));
  } catch (error) {
    throw new PolicyUnavailableError(`${name}: the bundle signature does not verify with the configured public key (${alg}): ${errorText(error)}`);
  }
  const listed = signedFiles(payload, name);
  const unchecked = new Set([...files.keys()].filter((f) => f !== SIGNATURES_FILE));
  for (const file of listed) {
    const content = files.get(file.name);
    if (!content || !unchecked.delete(file.name)) throw new PolicyUnavailableError(`${name}: ${file.name} is in the signature but not in the bundle`);
    if (file.algorithm !== 'SHA-256') throw new PolicyUnavailableError(`${name}: ${file.name} is hashed with ${file.algorithm}; only SHA-256 is accepted`);
    if (fileHash(file.name, content, name) !== file.hash.toLowerCase()) throw new PolicyUnavailableError(`${name}: ${file.name} does not match its signed hash (the bundle was changed after signing)`);
  }
  if (unchecked.size > 0) throw new PolicyUnavailableError(`${name}: ${[...unchecked][0]} is in the bundle but not in its signature`);
}

function signedFiles(payload: Uint8Array, name: string): SignedFile[] {
  try {
    const body = JSON.parse(Buffer.from(payload).toString('utf8')) as { files?: unknown };
    if (Array.isArray(body.files) && body.files.every((f) => f && typeof f.name === 'string' && typeof f.hash === 'string' && typeof f.algorithm === 'string')) {
      return body.files as SignedFile[];
    }
  } catch {
    // reported below
  }
  throw new PolicyUnavailableError(`${name}: the signature's payload does not list files as {name, hash, algorithm}`);
}

/** OPA's hash of one bundle file: data files and the manifest over their canonical JSON. */
export function fileHash(path: string, content: Buffer, name = 'bundle'): string {
  const base = path.slice(path.lastIndexOf('/') + 1);
  const hash = createHash('sha256');
  if (base === 'data.json' || base === '.manifest') {
    let value: unknown;
    try {
      value = JSON.parse(content.toString('utf8'));
    } catch (error) {
      throw new PolicyUnavailableError(`${name}: ${path} is not JSON: ${errorText(error)}`);
    }
    hash.update(canonicalJson(value));
  } else if (base === 'data.yaml' || base === 'data.yml') {
    // OPA hashes YAML data over its parsed value; no bundle Countersign builds has one, so refuse.
    throw new PolicyUnavailableError(`${name}: ${path}: YAML data files are not supported in a signed bundle; use data.json`);
  } else {
    hash.update(content);
  }
  return hash.digest('hex');
}

/**
 * JSON as OPA's bundle hasher writes it: object keys sorted, no whitespace, `<>&` unescaped.
 * Go's encoder escapes U+2028 and U+2029 where JSON.stringify does not, so those are escaped here.
 */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const keys = Object.keys(value).sort();
    return `{${keys.map((k) => `${primitive(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return primitive(value);
}

function primitive(value: unknown): string {
  return JSON.stringify(value).replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}
