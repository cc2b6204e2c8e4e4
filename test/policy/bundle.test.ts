/**
 * Reading a policy bundle (.tar.gz): the real `opa build -t wasm` output, hand-packed bundles
 * with `./` and `/` prefixes, PAX headers and long names, and clear refusals of what is not a
 * bundle. Bundles are packed with tar-stream so each case is exact.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { pack, type Header } from 'tar-stream';
import { PROJECT_ROOT } from '../../src/config/gateway-config';
import { readBundle } from '../../src/policy/bundle';
import { PolicyBuildError } from '../../src/policy/errors';
import { buildBundle } from '../../src/policy/opa-cli';

/** The smallest valid Wasm module: the magic number and version. */
const WASM = Buffer.from([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]);

/** Packs entries (header fields and content) into a gzip'd tar. */
async function tarGz(entries: { header: Partial<Header> & { name: string }; content?: Buffer | string }[]): Promise<Buffer> {
  const p = pack();
  const chunks: Buffer[] = [];
  p.on('data', (c) => chunks.push(c as Buffer));
  const ended = new Promise<void>((resolve, reject) => {
    p.on('end', resolve);
    p.on('error', reject);
  });
  for (const { header, content } of entries) {
    await new Promise<void>((resolve, reject) => p.entry(header, content ?? '', (error) => (error ? reject(error) : resolve())));
  }
  p.finalize();
  await ended;
  return gzipSync(Buffer.concat(chunks));
}

async function refused(bundle: Buffer, message: RegExp): Promise<void> {
  await assert.rejects(async () => readBundle(bundle, 'test.tar.gz'), (error: unknown) => {
    assert.ok(error instanceof PolicyBuildError, String(error));
    assert.match(error.message, message);
    return true;
  });
}

describe('readBundle', () => {
  test('the real opa build output: the Wasm and the data document', async () => {
    const { path } = await buildBundle({ policiesDir: join(PROJECT_ROOT, 'policies') });
    const bundle = await readBundle(readFileSync(path), path);
    assert.ok(bundle.wasm.subarray(0, 4).equals(WASM.subarray(0, 4)), 'starts with \\0asm');
    assert.ok(bundle.wasm.length > 1000);
    assert.equal(typeof bundle.data, 'object');
  });

  test('names with ./ and / prefixes; directories and other files are skipped; data.json is optional', async () => {
    const withData = await tarGz([
      { header: { name: './', type: 'directory' } },
      { header: { name: './.manifest' }, content: '{"revision":""}' },
      { header: { name: '/policy.wasm' }, content: WASM },
      { header: { name: './data.json' }, content: '{"countersign":{"x":1}}' },
    ]);
    const read = await readBundle(withData);
    assert.ok(read.wasm.equals(WASM));
    assert.deepEqual(read.data, { countersign: { x: 1 } });
    const withoutData = await readBundle(await tarGz([{ header: { name: 'policy.wasm' }, content: WASM }]));
    assert.deepEqual(withoutData.data, {});
  });

  test('a PAX header naming the entry is honoured (pax format, as GNU tar and bsdtar write it)', async () => {
    const bundle = await tarGz([
      { header: { name: 'PaxHeaders/policy', pax: { path: 'policy.wasm' } }, content: WASM },
      { header: { name: 'data.json' }, content: '{}' },
    ]);
    assert.ok((await readBundle(bundle)).wasm.equals(WASM));
  });

  test('a long name (past ustar\'s 100 + 155 characters) does not hide or rename other entries', async () => {
    const long = `${'nested-folder-with-a-long-name/'.repeat(10)}data.json`;
    assert.ok(long.length > 255);
    const bundle = await tarGz([
      { header: { name: long }, content: '{"wrong":true}' },
      { header: { name: 'policy.wasm' }, content: WASM },
      { header: { name: 'data.json' }, content: '{"right":true}' },
    ]);
    const read = await readBundle(bundle);
    assert.ok(read.wasm.equals(WASM));
    assert.deepEqual(read.data, { right: true });
  });

  test('refusals: not gzip, no policy.wasm, a damaged archive', async () => {
    await refused(Buffer.from('plain text'), /test\.tar\.gz is not a gzip'd OPA bundle/);
    await refused(await tarGz([{ header: { name: 'data.json' }, content: '{}' }]), /test\.tar\.gz has no policy\.wasm: build it with `opa build -t wasm`/);
    const whole = await tarGz([{ header: { name: 'policy.wasm' }, content: Buffer.alloc(4096, 1) }]);
    const { gunzipSync } = await import('node:zlib');
    const cut = gzipSync(gunzipSync(whole).subarray(0, 1024));
    await refused(cut, /test\.tar\.gz/);
  });
});
