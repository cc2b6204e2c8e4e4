/**
 * Measures what the console costs a browser: every response the page loads (count and bytes,
 * body and headers as Chromium's network layer counted them), from a cold cache, in Debian's
 * headless Chromium against the real demo stack. Not a test: a figure for docs/console.md.
 *
 *   node --import tsx test/console/page-weight.ts
 *
 * Two loads: the sign-in page (what anyone opening the URL gets), and bob's Received requests
 * after signing in (adds `GET /me` and the list).
 */
import { chromium, type Page, type Response } from 'playwright-core';
import { startDemo } from '../../src/demo/start-demo';
import { startRedis } from '../support/redis-server';

const CHROMIUM = '/usr/bin/chromium';

interface Row {
  url: string;
  status: number;
  body: number;
  headers: number;
}

/**
 * Records every response of the page while `run` runs, then sums their sizes. The live event
 * stream (`GET /events`) never ends, so it is left out: its body is a few bytes per change.
 */
async function measure(page: Page, run: () => Promise<void>, idle = true): Promise<Row[]> {
  const responses: Response[] = [];
  const listener = (response: Response) => void (new URL(response.url()).pathname.endsWith('/events') || responses.push(response));
  page.on('response', listener);
  await run();
  // A signed-in page never goes network-idle (the event stream stays open): `run` waits for what it shows.
  if (idle) await page.waitForLoadState('networkidle');
  page.off('response', listener);
  const rows: Row[] = [];
  for (const response of responses) {
    const sizes = await response.request().sizes();
    rows.push({ url: new URL(response.url()).pathname + new URL(response.url()).search, status: response.status(), body: sizes.responseBodySize, headers: sizes.responseHeadersSize });
  }
  return rows;
}

function print(title: string, rows: Row[]): void {
  const body = rows.reduce((sum, row) => sum + row.body, 0);
  const headers = rows.reduce((sum, row) => sum + row.headers, 0);
  console.log(`\n${title}: ${rows.length} requests, ${body} body bytes + ${headers} header bytes = ${body + headers} bytes (${((body + headers) / 1000).toFixed(1)} kB)`);
  for (const row of rows) console.log(`  ${String(row.status).padEnd(4)} ${String(row.body).padStart(7)} + ${String(row.headers).padStart(4)}  ${row.url}`);
}

const redis = await startRedis();
const demo = await startDemo({ port: 0, redisUrl: redis.url, log: false });
const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'] });
try {
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  const page = await context.newPage();
  print(
    'sign-in page, cold cache',
    await measure(page, async () => {
      await page.goto(`${demo.gatewayUrl}/maa/console/`);
      await page.locator('button.identity[data-user="bob"]').waitFor();
    }),
  );
  print(
    'after signing in as bob (Received requests)',
    await measure(page, async () => {
      await page.locator('button.identity[data-user="bob"]').click();
      await page.locator('.whoami-user[data-user="bob"]').waitFor();
      await page.locator('.topbar a[href="#/received"]').click();
      await page.locator('.live-state[data-live="live"]').waitFor();
      await page.locator('.list-panel:not([aria-busy]) .list-count[data-total]').waitFor();
    }, false),
  );
  await context.close();
} finally {
  await browser.close();
  await demo.stop();
  await redis.stop();
}
