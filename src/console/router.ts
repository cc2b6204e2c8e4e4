/**
 * Serves the web console (src/console/app: Preact components written with htm) from the gateway
 * itself: no CDN, no build step. The app is bundled and the stylesheet minified by esbuild in
 * memory once, when the router is created, so a broken console fails the gateway's start rather
 * than a user's page load.
 *
 * Files: `index.html` (never cached), `app-<hash>.js` and `console-<hash>.css` (content-hashed,
 * cached for a year, gzipped once at start for browsers that accept it), and `demo-identities.json` (only when the demo passes identities).
 * Every answer carries a strict Content-Security-Policy: no inline script, no other origin.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { constants, gzipSync } from 'node:zlib';
import { buildSync, transformSync } from 'esbuild';
import { Router, type Response } from 'express';

export interface ConsoleIdentity {
  token: string;
  userId: string;
  groups: string[];
  description?: string;
}

export interface ConsoleRouterOptions {
  /** Where the approval API is mounted, e.g. `/maa/v1`. The page calls it from the same origin. */
  apiPrefix: string;
  /** Static tokens to offer on the sign-in page. For the demo only: they hand out every listed identity. */
  demoIdentities?: ConsoleIdentity[];
}

/** The policy every console answer carries; the page needs nothing beyond its own origin. */
export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

interface Asset {
  body: Buffer;
  contentType: string;
  cacheControl: string;
  etag: string;
  /** The same bytes gzipped, for the large static files: a representation of its own, with its own ETag. */
  gzipped?: { body: Buffer; etag: string };
}

const here = (relative: string) => fileURLToPath(new URL(relative, import.meta.url));

function hashOf(body: Buffer | string): string {
  return createHash('sha256').update(body).digest('hex');
}

/** Bundles src/console/app/main.ts to one browser script. */
function bundleApp(): Buffer {
  const result = buildSync({
    entryPoints: [here('./app/main.ts')],
    bundle: true,
    write: false,
    format: 'iife',
    platform: 'browser',
    target: ['es2022'],
    minify: true,
    legalComments: 'none',
    logLevel: 'silent',
  });
  const output = result.outputFiles[0];
  if (!output) throw new Error('console: esbuild produced no output for src/console/app/main.ts');
  return Buffer.from(output.contents);
}

/** Minifies the stylesheet: whitespace and comments only, the rules are kept as written. */
function minifyCss(css: string): Buffer {
  return Buffer.from(transformSync(css, { loader: 'css', minify: true, legalComments: 'none', logLevel: 'silent' }).code);
}

/** Escapes a value for an HTML attribute in the page template. */
function escapeAttribute(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function asset(body: Buffer, contentType: string, cacheControl: string): Asset {
  return { body, contentType, cacheControl, etag: `"${hashOf(body).slice(0, 32)}"` };
}

/**
 * A static file also kept gzipped; done once at start, so a page load costs no CPU for it.
 * Only gzip: every browser takes it, and brotli's few per cent more cost ~200 ms at every start.
 */
function gzippedAsset(body: Buffer, contentType: string, cacheControl: string): Asset {
  const plain = asset(body, contentType, cacheControl);
  const gzipped = gzipSync(body, { level: constants.Z_BEST_COMPRESSION });
  return { ...plain, gzipped: { body: gzipped, etag: `${plain.etag.slice(0, -1)}-gzip"` } };
}

/**
 * The console's Express router; mount it where the console lives (the gateway uses `/maa/console`).
 * @example app.use('/maa/console', createConsoleRouter({ apiPrefix: '/maa/v1' }))
 */
export function createConsoleRouter(options: ConsoleRouterOptions): Router {
  if (!/^\/[A-Za-z0-9/_.-]*$/.test(options.apiPrefix)) {
    throw new Error(`console: apiPrefix must be a path such as "/maa/v1", got ${JSON.stringify(options.apiPrefix)}`);
  }
  const apiPrefix = options.apiPrefix.replace(/\/+$/, '');
  const js = bundleApp();
  const css = minifyCss(readFileSync(here('./static/console.css'), 'utf8'));
  const jsFile = `app-${hashOf(js).slice(0, 12)}.js`;
  const cssFile = `console-${hashOf(css).slice(0, 12)}.css`;
  const html = readFileSync(here('./static/index.html'), 'utf8')
    .replace('{{apiPrefix}}', escapeAttribute(apiPrefix))
    .replace('{{jsFile}}', jsFile)
    .replace('{{cssFile}}', cssFile);

  const immutable = 'public, max-age=31536000, immutable';
  const assets = new Map<string, Asset>([
    ['/', asset(Buffer.from(html), 'text/html; charset=utf-8', 'no-cache')],
    [`/${jsFile}`, gzippedAsset(js, 'text/javascript; charset=utf-8', immutable)],
    [`/${cssFile}`, gzippedAsset(css, 'text/css; charset=utf-8', immutable)],
  ]);
  if (options.demoIdentities) {
    const items = options.demoIdentities.map(({ token, userId, groups, description }) => ({ token, userId, groups, description }));
    // Tokens are secrets: never cached, never stored by a shared cache.
    assets.set('/demo-identities.json', asset(Buffer.from(JSON.stringify({ items })), 'application/json; charset=utf-8', 'no-store'));
  }

  const router = Router();
  router.use((req, res, next) => {
    res.set({
      'Content-Security-Policy': CONSOLE_CSP,
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'no-referrer',
      'X-Frame-Options': 'DENY',
      'Cross-Origin-Opener-Policy': 'same-origin',
    });
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.set('Allow', 'GET, HEAD');
      return sendError(res, 405, 'METHOD_NOT_ALLOWED', 'the console serves GET and HEAD only');
    }
    // `/maa/console` without its slash would resolve the page's relative asset URLs one level up.
    if (req.path === '/' && !req.originalUrl.split('?')[0]!.endsWith('/')) {
      const [path, query] = req.originalUrl.split('?');
      return res.redirect(301, `${path}/${query === undefined ? '' : '?' + query}`);
    }
    const found = assets.get(req.path);
    if (!found) return next();
    let { body, etag } = found;
    if (found.gzipped) {
      res.set('Vary', 'Accept-Encoding');
      // express's negotiation honours q-values: `gzip;q=0` refuses it.
      if (req.acceptsEncodings('gzip')) {
        ({ body, etag } = found.gzipped);
        res.set('Content-Encoding', 'gzip');
      }
    }
    res.set({ 'Content-Type': found.contentType, 'Cache-Control': found.cacheControl, ETag: etag });
    if (req.headers['if-none-match'] === etag) return res.status(304).end();
    res.status(200).send(body);
  });
  router.use((_req, res) => sendError(res, 404, 'NOT_FOUND', 'no such console file'));
  return router;
}

function sendError(res: Response, status: number, code: string, message: string): void {
  res.status(status).set('Cache-Control', 'no-store').json({ error: { code, message } });
}
