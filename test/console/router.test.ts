/**
 * The console router serves a self-contained page: the bundle, the stylesheet and the page,
 * each with the right content type, cache policy and a CSP that allows no inline script.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import express from 'express';
import request from 'supertest';
import { createConsoleRouter, CONSOLE_CSP } from '../../src/console/router';

function appWith(options: Parameters<typeof createConsoleRouter>[0]) {
  const app = express();
  app.use('/maa/console', createConsoleRouter(options));
  return app;
}

function assetUrls(html: string): { js: string; css: string } {
  const js = /<script src="(app-[0-9a-f]{12}\.js)" defer><\/script>/.exec(html)?.[1];
  const css = /<link rel="stylesheet" href="(console-[0-9a-f]{12}\.css)">/.exec(html)?.[1];
  assert.ok(js && css, 'the page links its hashed script and stylesheet');
  return { js, css };
}

describe('console router', () => {
  const app = appWith({ apiPrefix: '/maa/v1' });

  test('serves the page with a strict CSP, no inline script and the API prefix', async () => {
    const res = await request(app).get('/maa/console/').expect(200);
    assert.match(res.headers['content-type']!, /^text\/html; charset=utf-8/);
    assert.equal(res.headers['content-security-policy'], CONSOLE_CSP);
    assert.match(CONSOLE_CSP, /script-src 'self'(;|$)/);
    assert.doesNotMatch(CONSOLE_CSP, /unsafe-inline|unsafe-eval|https?:/);
    assert.equal(res.headers['cache-control'], 'no-cache');
    assert.equal(res.headers['x-content-type-options'], 'nosniff');
    assert.match(res.text, /<meta name="countersign-api-prefix" content="\/maa\/v1">/);
    // Every script element has a src: nothing inline for the CSP to refuse.
    for (const tag of res.text.match(/<script[^>]*>/g) ?? []) assert.match(tag, / src="/);
    assert.doesNotMatch(res.text, /https?:\/\//, 'no resource from another origin');
  });

  test('serves the bundle and stylesheet with their types and a long cache', async () => {
    const { js, css } = assetUrls((await request(app).get('/maa/console/')).text);
    const script = await request(app).get(`/maa/console/${js}`).expect(200);
    assert.match(script.headers['content-type']!, /^text\/javascript; charset=utf-8/);
    assert.equal(script.headers['cache-control'], 'public, max-age=31536000, immutable');
    assert.ok(script.text.length > 5000, 'the bundle holds the app');
    // Preact writes markup only for `dangerouslySetInnerHTML`, which the app never passes (checked below).
    assert.doesNotMatch(script.text, /insertAdjacentHTML|document\.write|\beval\(|new Function/, 'no markup writer or eval beside Preact');
    const style = await request(app).get(`/maa/console/${css}`).expect(200);
    assert.match(style.headers['content-type']!, /^text\/css; charset=utf-8/);
    assert.match(style.text, /:focus-visible/);
    const again = await request(app).get(`/maa/console/${css}`).set('If-None-Match', style.headers.etag!).expect(304);
    assert.equal(again.text, '');
  });

  test('sends the bundle and stylesheet gzipped to browsers that accept it, with their own ETag', async () => {
    const { js, css } = assetUrls((await request(app).get('/maa/console/')).text);
    for (const file of [js, css]) {
      const plain = await request(app).get(`/maa/console/${file}`).set('Accept-Encoding', 'identity').expect(200);
      assert.equal(plain.headers['content-encoding'], undefined);
      assert.equal(plain.headers.vary, 'Accept-Encoding');
      // supertest decodes the body; Content-Length is what crossed the wire.
      const packed = await request(app).get(`/maa/console/${file}`).set('Accept-Encoding', 'gzip, deflate, br').expect(200);
      assert.equal(packed.headers['content-encoding'], 'gzip');
      assert.ok(Number(packed.headers['content-length']) < Number(plain.headers['content-length']) / 2, `${file} gzipped is less than half its size`);
      assert.equal(packed.text, plain.text, `${file} gzipped decodes to the same text`);
      assert.notEqual(packed.headers.etag, plain.headers.etag, 'each representation has its own ETag');
      await request(app).get(`/maa/console/${file}`).set('Accept-Encoding', 'gzip').set('If-None-Match', packed.headers.etag!).expect(304);
    }
    // A q-value of 0 refuses a coding; the page is never compressed (it is tiny and not cached).
    const refused = await request(app).get(`/maa/console/${js}`).set('Accept-Encoding', 'gzip;q=0, br').expect(200);
    assert.equal(refused.headers['content-encoding'], undefined);
    const page = await request(app).get('/maa/console/').set('Accept-Encoding', 'gzip').expect(200);
    assert.equal(page.headers['content-encoding'], undefined);
  });

  test('API text never becomes markup: no app file writes HTML itself', () => {
    const dir = new URL('../../src/console/app/', import.meta.url);
    const files = readdirSync(dir).filter((name) => name.endsWith('.ts'));
    assert.ok(files.length > 10, 'the app files are found');
    for (const name of files) {
      const source = readFileSync(new URL(name, dir), 'utf8');
      assert.doesNotMatch(source, /dangerouslySetInnerHTML|innerHTML|outerHTML|insertAdjacentHTML|document\.write/, `${name} builds DOM only through Preact's text and attributes`);
    }
  });

  test('redirects the bare mount path to its slash so relative URLs resolve', async () => {
    const res = await request(app).get('/maa/console').expect(301);
    assert.equal(res.headers.location, '/maa/console/');
  });

  test('refuses unknown files and other methods with the error shape', async () => {
    const missing = await request(app).get('/maa/console/app.js').expect(404);
    assert.equal(missing.body.error.code, 'NOT_FOUND');
    const posted = await request(app).post('/maa/console/').expect(405);
    assert.equal(posted.body.error.code, 'METHOD_NOT_ALLOWED');
  });

  test('lists demo identities only when given them, never cached', async () => {
    await request(app).get('/maa/console/demo-identities.json').expect(404);
    const demo = appWith({ apiPrefix: '/maa/v1', demoIdentities: [{ token: 'demo-alice', userId: 'alice', groups: ['helpdesk'] }] });
    const res = await request(demo).get('/maa/console/demo-identities.json').expect(200);
    assert.equal(res.headers['cache-control'], 'no-store');
    assert.deepEqual(res.body, { items: [{ token: 'demo-alice', userId: 'alice', groups: ['helpdesk'] }] });
  });

  test('refuses an API prefix that is not a plain path', () => {
    assert.throws(() => createConsoleRouter({ apiPrefix: '"><script>' }), /apiPrefix must be a path/);
  });
});
