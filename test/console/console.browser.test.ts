/**
 * The web console end to end, in Debian's headless Chromium (never a downloaded browser)
 * driven by playwright-core, against the real demo stack: redis-server, the demo Graph API and
 * the gateway with its policy. Changes are parked over HTTP as a script would; approving,
 * rejecting and completing happen in the page. Screenshots go to test-results/console/.
 */
import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { startDemo, type Demo } from '../../src/demo/start-demo';
import { startRedis, type TestRedis } from '../support/redis-server';

const AXE = readFileSync('node_modules/axe-core/axe.min.js', 'utf8');
const PHONE = { width: 390, height: 844 };
const LAPTOP = { width: 1280, height: 800 };

/** axe-core's violations on the page as it is now, as readable lines (none expected). */
async function axeViolations(page: Page): Promise<string[]> {
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(AXE);
  const result = (await page.evaluate(() => (window as unknown as { axe: { run(c: Document, o: object): Promise<unknown> } }).axe.run(document, { resultTypes: ['violations'] }))) as {
    violations: { id: string; help: string; nodes: { target: string[] }[] }[];
  };
  return result.violations.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(', ')})`);
}

/** The page does not scroll sideways. */
async function horizontalOverflow(page: Page): Promise<number> {
  return page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
}

/** Visible controls lower than 44 px (buttons, fields, nav links, the pane's back link, cards). */
async function smallTapTargets(page: Page): Promise<string[]> {
  return page.evaluate(() =>
    Array.from(document.querySelectorAll<HTMLElement>('button, select, input, textarea, summary, .topbar nav a, .pane-close, .request-card'))
      .filter((el) => el.offsetParent !== null && !el.closest('.visually-hidden, .skip-link'))
      .filter((el) => el.getBoundingClientRect().height < 44)
      .map((el) => `${el.tagName.toLowerCase()}.${el.className} "${(el.textContent ?? '').trim().slice(0, 20)}" ${Math.round(el.getBoundingClientRect().height)}px`),
  );
}

const CHROMIUM = '/usr/bin/chromium';
const SHOTS = 'test-results/console';
const TOKENS = { alice: 'demo-alice', bob: 'demo-bob', carol: 'demo-carol', erin: 'demo-erin', dave: 'demo-dave', heidi: 'demo-heidi' } as const;
type User = keyof typeof TOKENS;

interface Parked {
  id: string;
  status: string;
  bodySha256: string;
}

describe('web console in headless Chromium against the demo', () => {
  let redis: TestRedis;
  let demo: Demo;
  let browser: Browser;
  const contexts: BrowserContext[] = [];

  before(async () => {
    mkdirSync(SHOTS, { recursive: true });
    redis = await startRedis();
    demo = await startDemo({ port: 0, redisUrl: redis.url, log: false });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  });

  // Each signed-in tab holds a live event stream (4 per user at most): a test's tabs close when it ends.
  afterEach(async () => {
    for (const context of contexts.splice(0)) await context.close().catch(() => {});
  });

  after(async () => {
    for (const context of contexts) await context.close().catch(() => {});
    await browser?.close();
    await demo?.stop();
    await redis?.stop();
  });

  /** Parks a protected change the way any API client would: through the gateway, with a justification. */
  async function park(user: User, method: string, path: string, body: unknown, justification: string): Promise<Parked> {
    const response = await fetch(demo.gatewayUrl + path, {
      method,
      headers: { authorization: `Bearer ${TOKENS[user]}`, 'content-type': 'application/json', 'x-maa-justification': encodeURIComponent(justification) },
      body: JSON.stringify(body),
    });
    // The demo answers a parked change as Graph under Multi Admin Approval does: 403 ApprovalRequired.
    assert.equal(response.status, 403, `the gateway parks ${method} ${path}`);
    const { error } = (await response.json()) as { error: { code: string; innerError: { requestId: string; status: string; bodySha256: string } } };
    assert.equal(error.code, 'ApprovalRequired');
    assert.equal(error.innerError.status, 'needsApproval');
    return { id: error.innerError.requestId, status: error.innerError.status, bodySha256: error.innerError.bodySha256 };
  }

  /** A fresh tab (its own sessionStorage) for one user, on a laptop-sized screen unless told otherwise. */
  async function openConsole(viewport = { width: 1440, height: 900 }): Promise<Page> {
    const context = await browser.newContext({ viewport });
    contexts.push(context);
    const page = await context.newPage();
    page.setDefaultTimeout(10_000);
    const problems: string[] = [];
    page.on('pageerror', (error) => problems.push(String(error)));
    page.on('console', (message) => {
      // A gateway without the diff resource answers 404, and the pane falls back to the body: expected, not a problem.
      if (message.type() === 'error' && !(message.text().includes('status of 404') && message.location().url.endsWith('/diff'))) problems.push(message.text());
    });
    (page as Page & { problems: string[] }).problems = problems;
    await page.goto(`${demo.gatewayUrl}/maa/console/`);
    return page;
  }

  /** Signs in by picking the user from the demo's identity list. */
  async function signInAs(user: User, viewport?: { width: number; height: number }): Promise<Page> {
    const page = await openConsole(viewport);
    await page.locator(`button.identity[data-user="${user}"]`).click();
    await page.locator(`.whoami-user[data-user="${user}"]`).waitFor();
    return page;
  }

  async function openFromList(page: Page, view: 'mine' | 'received', id: string): Promise<void> {
    await page.locator(`.topbar a[href="#/${view}"]`).click();
    await page.locator(`.request-list[data-view="${view}"] [data-id="${id}"] a.object-link`).click();
    await page.locator('.pane .pane-title').waitFor();
    await page.locator('.pane:not([aria-busy])').waitFor();
  }

  function problemsOf(page: Page): string[] {
    return (page as Page & { problems: string[] }).problems;
  }

  test('alice submits, bob approves in the console, alice completes it there, and the change reaches the API', async () => {
    const change = { displayName: 'Contoso Portal v2' };
    const parked = await park('alice', 'PATCH', '/deviceAppManagement/mobileApps/42', change, 'Ticket INC-1234: rename the portal');

    // bob: the request is in his Received list, with everything he needs to decide.
    const bob = await signInAs('bob');
    await bob.locator('.topbar a[href="#/received"]').click();
    const row = bob.locator(`.request-list[data-view="received"] [data-id="${parked.id}"]`);
    await row.waitFor();
    const cells = await row.locator('td').allInnerTexts();
    assert.equal(cells[1], 'alice');
    assert.equal(cells[2], 'Modify');
    assert.equal(cells[3], 'apps');
    assert.equal(cells[4], '/deviceAppManagement/mobileApps/42');
    assert.equal(cells[5], 'Ticket INC-1234: rename the portal', 'the justification is in the list');
    assert.equal(cells[6], 'Needs approval');
    await bob.screenshot({ path: `${SHOTS}/received-list.png` });

    await openFromList(bob, 'received', parked.id);
    const pane = bob.locator('.pane');
    assert.equal(await pane.locator('.justification').textContent(), 'Ticket INC-1234: rename the portal');
    assert.deepEqual(JSON.parse((await pane.locator('.body-preview[data-format="json"]').textContent()) ?? ''), change);
    assert.equal(await pane.locator('.sha').getAttribute('data-sha256'), parked.bodySha256);
    assert.equal(await pane.locator('.approval-count').getAttribute('data-approvals'), '0/1');
    assert.equal(await pane.locator('button[data-action="complete"]').isDisabled(), true);
    await bob.screenshot({ path: `${SHOTS}/request-pane.png` });

    // From the keyboard: type the notes, Tab to Approve, press Enter.
    await pane.locator('textarea[name="notes"]').fill('Looks right; matches INC-1234');
    await pane.locator('textarea[name="notes"]').focus();
    await bob.keyboard.press('Tab');
    assert.equal(await bob.evaluate(() => document.activeElement?.getAttribute('data-action')), 'approve');
    await bob.keyboard.press('Enter');
    await pane.locator('.pane-header .badge[data-status="approved"]').waitFor();
    assert.equal(await pane.locator('.approval-count').getAttribute('data-approvals'), '1/1');
    assert.match((await pane.locator('.verdicts').textContent()) ?? '', /bob.*Looks right; matches INC-1234/s);
    await bob.locator('.notification-success').first().waitFor();

    // The pane reads the request's audit trail: alice created it, bob approved it, with his notes' digest.
    const trail = pane.locator('.timeline[data-state="loaded"] .timeline-row');
    await pane.locator('.timeline[data-state="loaded"] .timeline-row[data-action="approve"]').waitFor();
    const events = await trail.evaluateAll((rows) => rows.map((row) => `${row.getAttribute('data-action')}:${row.getAttribute('data-actor')}`));
    assert.deepEqual(events, ['create:alice', 'approve:bob']);
    const notesSha = createHash('sha256').update('Looks right; matches INC-1234').digest('hex');
    const digest = pane.locator('.timeline .timeline-row[data-action="approve"] .sha-short');
    assert.equal(await digest.getAttribute('title'), `SHA-256 of the notes: ${notesSha}`);
    assert.equal(await digest.textContent(), `${notesSha.slice(0, 12)}…`);
    assert.match(await pane.locator('.timeline .timeline-row[data-action="approve"]').innerText(), /Needs approval → Approved/);

    // Download body: the exact bytes alice sent, named after the request, as JSON.
    const [download] = await Promise.all([bob.waitForEvent('download'), pane.locator('button.download-body').click()]);
    assert.equal(download.suggestedFilename(), `${parked.id}.json`);
    const saved = readFileSync((await download.path())!);
    assert.equal(saved.toString('utf8'), JSON.stringify(change));
    assert.equal(createHash('sha256').update(saved).digest('hex'), parked.bodySha256);
    await bob.locator('.notification', { hasText: `${parked.id}.json` }).waitFor();
    // The object URL is revoked afterwards and left no link behind.
    assert.equal(await bob.locator('a[download]').count(), 0);
    while ((await bob.locator('.notification-dismiss').count()) > 0) await bob.locator('.notification-dismiss').first().click();
    await pane.locator(".timeline").screenshot({ path: `${SHOTS}/audit-trail.png` });

    // alice signs in with a pasted token and completes her approved request.
    const alice = await openConsole();
    await alice.locator('#token').fill(TOKENS.alice);
    await alice.locator('#token').press('Enter');
    await alice.locator('.whoami-user[data-user="alice"]').waitFor();
    await alice.locator(`.request-list[data-view="mine"] [data-id="${parked.id}"][data-status="approved"]`).waitFor();
    await alice.screenshot({ path: `${SHOTS}/my-requests.png` });
    await openFromList(alice, 'mine', parked.id);
    await alice.locator('.pane button[data-action="complete"]:not([disabled])').click();
    const outcome = alice.locator('.notifications .notification-success', { hasText: 'Completed' });
    await outcome.waitFor();
    assert.match((await outcome.textContent()) ?? '', /upstream answered 204/);
    assert.equal(await alice.locator('.notifications').getAttribute('aria-live'), 'polite');
    await alice.locator('.pane-header .badge[data-status="completed"]').waitFor();
    await alice.locator(`.request-list [data-id="${parked.id}"][data-status="completed"]`).waitFor();
    await alice.screenshot({ path: `${SHOTS}/completed.png` });

    // The demo API now holds the change.
    const app = (await (await fetch(`${demo.upstreamUrl}/deviceAppManagement/mobileApps/42`, { headers: { authorization: 'Bearer demo-alice' } })).json()) as { displayName: string };
    assert.equal(app.displayName, 'Contoso Portal v2');
    assert.deepEqual([...problemsOf(bob), ...problemsOf(alice)], []);
  });

  test('carol sees her own request in Received but cannot approve it, and the page says why', async () => {
    const parked = await park('carol', 'PATCH', '/deviceAppManagement/mobileApps/43', { displayName: 'Expense Reports 2' }, 'CHG-77: rename');
    const carol = await signInAs('carol');
    await carol.locator('.topbar a[href="#/received"]').click();
    const row = carol.locator(`.request-list[data-view="received"] [data-id="${parked.id}"]`);
    await row.waitFor();
    assert.match((await row.locator('.row-reason').textContent()) ?? '', /^Approve unavailable: .*own request/);

    await openFromList(carol, 'received', parked.id);
    const pane = carol.locator('.pane');
    assert.equal(await pane.locator('button[data-action="approve"]').isDisabled(), true);
    assert.equal(await pane.locator('button[data-action="reject"]').isDisabled(), true);
    assert.equal(await pane.locator('button[data-action="cancel"]').isDisabled(), false, 'the requestor may still cancel');
    assert.equal(await pane.locator('textarea[name="notes"]').count(), 0, 'no notes field for a decision she cannot make');
    assert.match(await pane.locator('.action-reasons li[data-action="approve"]').innerText(), /^Approve: .*own request/);
    assert.match(await pane.locator('.action-reasons li[data-action="reject"]').innerText(), /^Reject: .*own request/);
    assert.equal(await pane.locator('button[data-action="approve"]').getAttribute('aria-describedby'), await pane.locator('.action-reasons').getAttribute('id'));
    await carol.screenshot({ path: `${SHOTS}/own-request.png` });
    // Escape closes the pane and focus returns to the list's heading.
    await carol.keyboard.press('Escape');
    await carol.locator('.pane').waitFor({ state: 'detached' });
    assert.equal(await carol.evaluate(() => location.hash), '#/received');
    assert.equal(await carol.evaluate(() => document.activeElement?.id), 'heading-received');
    assert.deepEqual(problemsOf(carol), []);

    // An audit trail the gateway cannot give is a muted line; the rest of the pane still works.
    await carol.route('**/maa/v1/audit?*', (route) =>
      route.fulfill({ status: 503, contentType: 'application/json', body: JSON.stringify({ error: { code: 'STORE_UNAVAILABLE', message: 'the request store is unavailable' } }) }),
    );
    await openFromList(carol, 'received', parked.id);
    assert.equal(await pane.locator('.timeline[data-state="error"] .audit-unavailable').textContent(), 'The audit trail is not available: the request store is unavailable (STORE_UNAVAILABLE)');
    assert.equal(await pane.locator('.justification').textContent(), 'CHG-77: rename');
    assert.equal(await carol.locator('.notification-error').count(), 0, 'not reported as a failure of the page');
  });

  test('Refresh reads the list and the open pane again in place: half-typed notes and focus stay', async () => {
    const parked = await park('alice', 'PATCH', '/deviceAppManagement/mobileApps/45', { displayName: 'Refreshed' }, 'CHG-45: rename');
    const bob = await signInAs('bob');
    await openFromList(bob, 'received', parked.id);
    const notes = bob.locator('.pane textarea[name="notes"]');
    await notes.fill('Half-typed: checking with');
    await notes.focus();
    // A click event that does not move focus, as a live update would not.
    const [reread] = await Promise.all([
      bob.waitForResponse((response) => response.url().endsWith(`/maa/v1/requests/${encodeURIComponent(parked.id)}`)),
      bob.locator('.list-panel .toolbar button', { hasText: 'Refresh' }).dispatchEvent('click'),
    ]);
    assert.equal(reread.status(), 200);
    await bob.locator('.pane:not([aria-busy]) .timeline[data-state="loaded"]').waitFor();
    await bob.locator('.list-panel:not([aria-busy])').waitFor();
    assert.equal(await notes.inputValue(), 'Half-typed: checking with');
    assert.equal(await bob.evaluate(() => document.activeElement?.getAttribute('name')), 'notes');
    assert.deepEqual(problemsOf(bob), []);
  });

  test("a rejected request shows bob's notes to alice, and API text is shown as text", async () => {
    const justification = 'CHG-2041: set the time zone to UTC before the rollout';
    const notes = 'Needs a <b>change ticket</b> first & <img src=x onerror=alert(1)>';
    const parked = await park('alice', 'PATCH', '/deviceManagement/deviceManagementScripts/7', { displayName: 'Set time zone (UTC)' }, justification);

    const bob = await signInAs('bob');
    await openFromList(bob, 'received', parked.id);
    await bob.locator('.pane .timeline[data-state="loaded"]').waitFor();
    await bob.screenshot({ path: `${SHOTS}/received-pane.png` });
    await bob.locator('.pane textarea[name="notes"]').fill(notes);
    await bob.locator('.pane button[data-action="reject"]').click();
    // Reject asks first, in a modal dialog.
    await bob.locator('dialog.confirm[data-confirm="reject"] [data-confirm-choice="confirm"]').click();
    await bob.locator('.pane-header .badge[data-status="rejected"]').waitFor();

    const alice = await signInAs('alice');
    await openFromList(alice, 'mine', parked.id);
    const pane = alice.locator('.pane');
    assert.equal(await pane.locator('[data-notes="rejection"]').textContent(), notes);
    assert.match((await pane.locator('.callout-rejection .callout-title').textContent()) ?? '', /^Rejected by bob/);
    assert.equal(await pane.locator('.justification').textContent(), justification);
    assert.equal(await pane.locator('.callout-rejection img, .callout-rejection b').count(), 0, 'no markup from API text');
    assert.equal(await pane.locator('button[data-action]').count(), 0, 'an ended request offers no actions');
    assert.equal(await pane.locator('.ended').textContent(), 'No actions remain: the request is rejected.');
    assert.match(await pane.locator(".timeline").innerText(), /Rejected/);
    await alice.screenshot({ path: `${SHOTS}/rejected.png` });

    // The access policies page lists what the gateway enforces.
    await alice.locator('.topbar a[href="#/policies"]').click();
    const apps = alice.locator('.policy-card[data-policy="apps-approval"]');
    await apps.waitFor();
    assert.match(await apps.innerText(), /app-approvers/);
    assert.ok((await apps.locator('.routes tbody tr').count()) >= 1, 'each policy lists its routes');
    await alice.screenshot({ path: `${SHOTS}/access-policies.png` });

    // The status filter asks the API for one status only.
    await alice.locator('.topbar a[href="#/mine"]').click();
    await alice.locator('.request-list[data-view="mine"] [data-id]').first().waitFor();
    await alice.locator('.list-panel select[data-filter="status"]').selectOption('rejected');
    await alice.locator('.list-panel:not([aria-busy]) .request-list[data-view="mine"] [data-status="rejected"]').first().waitFor();
    await alice.locator('.list-panel:not([aria-busy])').waitFor();
    const statuses = await alice.locator('.request-list[data-view="mine"] [data-id]').evaluateAll((rows) => rows.map((row) => row.getAttribute('data-status')));
    assert.ok(statuses.length >= 1 && statuses.every((status) => status === 'rejected'), `only rejected rows: ${statuses.join(',')}`);

    // The token lives as long as the tab: a reload keeps alice signed in, signing out forgets it.
    await alice.reload();
    await alice.locator('.whoami-user[data-user="alice"]').waitFor();
    await alice.locator('.whoami button', { hasText: 'Sign out' }).click();
    await alice.locator('#token').waitFor();
    assert.equal(await alice.evaluate(() => sessionStorage.length), 0);
    assert.deepEqual([...problemsOf(bob), ...problemsOf(alice)], []);
  });
  test('pages through requests with the cursor, newest first', async () => {
    // 26 canceled requests: one more than a page. Each is canceled at once, which frees the object.
    const ids: string[] = [];
    for (let n = 0; n < 26; n++) {
      const parked = await park('alice', 'PATCH', '/deviceAppManagement/mobileApps/900', { notes: `draft ${n}` }, `draft ${n}`);
      const canceled = await fetch(`${demo.gatewayUrl}/maa/v1/requests/${parked.id}/cancel`, { method: 'POST', headers: { authorization: `Bearer ${TOKENS.alice}` } });
      assert.equal(canceled.status, 200);
      ids.push(parked.id);
    }
    const alice = await signInAs('alice');
    await alice.locator('.list-panel select[data-filter="status"]').selectOption('canceled');
    const rows = alice.locator('.request-list[data-view="mine"] [data-id]');
    await alice.locator('.list-panel:not([aria-busy]) .request-list [data-status="canceled"]').first().waitFor();
    assert.equal(await rows.count(), 25);
    assert.equal(await rows.first().getAttribute('data-id'), ids[25], 'the newest first');
    assert.equal(await alice.locator('.pager button', { hasText: 'Newer' }).isDisabled(), true);

    await alice.locator('.pager button', { hasText: 'Older' }).click();
    await alice.locator('.page-number', { hasText: 'Page 2' }).waitFor();
    await alice.locator('.list-panel:not([aria-busy])').waitFor();
    assert.match(await alice.evaluate(() => location.hash), /^#\/mine\?status=canceled&cursor=[\w-]+&page=2$/, 'the page is in the URL');
    assert.equal(await alice.locator('.list-count').getAttribute('data-total'), '26', 'the total of every page');
    assert.equal(await rows.count(), 1);
    assert.equal(await rows.first().getAttribute('data-id'), ids[0], 'the oldest last');
    assert.equal(await alice.locator('.pager button', { hasText: 'Older' }).isDisabled(), true);

    await alice.locator('.pager button', { hasText: 'Newer' }).click();
    await alice.locator('.page-number', { hasText: 'Page 1' }).waitFor();
    await alice.locator('.list-panel:not([aria-busy])').waitFor();
    assert.equal(await rows.count(), 25);
    assert.deepEqual(problemsOf(alice), []);
  });

  test('erin, an auditor, reads the latest audit events and opens a request from them; alice has no Audit page', async () => {
    // More than 100 events in the trail, so "the latest 100" differs from "the first 100".
    const auditCount = async () =>
      ((await (await fetch(`${demo.gatewayUrl}/maa/v1/audit?limit=1000`, { headers: { authorization: `Bearer ${TOKENS.erin}` } })).json()) as { items: { id: string }[] }).items;
    const drafts = Math.max(0, Math.ceil((102 - (await auditCount()).length) / 2));
    for (let n = 0; n < drafts; n++) {
      const draft = await park('carol', 'PATCH', '/deviceAppManagement/mobileApps/901', { notes: `audit ${n}` }, `audit ${n}`);
      const canceled = await fetch(`${demo.gatewayUrl}/maa/v1/requests/${draft.id}/cancel`, { method: 'POST', headers: { authorization: `Bearer ${TOKENS.carol}` } });
      assert.equal(canceled.status, 200);
    }
    const parked = await park('alice', 'PATCH', '/deviceAppManagement/mobileApps/44', { displayName: 'Audited' }, 'CHG-9: audited change');
    const all = { items: await auditCount() };
    assert.ok(all.items.length > 100, `the trail holds ${all.items.length} events`);

    const erin = await signInAs('erin');
    await erin.locator('.topbar a[href="#/audit"]').click();
    const rows = erin.locator('.audit-page:not([aria-busy]) .audit-table tbody tr');
    await rows.first().waitFor();
    const ids = await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-event') ?? ''));
    assert.deepEqual(ids, all.items.slice(-100).map((e) => e.id).reverse(), 'the latest 100, newest first');
    const order = (id: string) => id.split('-').map(Number) as [number, number];
    for (let i = 1; i < ids.length; i++) {
      const [a, b] = [order(ids[i - 1]!), order(ids[i]!)];
      assert.ok(a[0] > b[0] || (a[0] === b[0] && a[1] > b[1]), 'newest first');
    }
    const newest = rows.first();
    assert.equal(await newest.getAttribute('data-request'), parked.id, 'the latest event is the change just parked');
    assert.equal(await newest.getAttribute('data-action'), 'create');
    await erin.screenshot({ path: `${SHOTS}/audit-page.png` });
    await newest.locator('a.request-link').click();
    await erin.locator('.pane:not([aria-busy]) .pane-title').waitFor();
    assert.equal(await erin.evaluate(() => location.hash), `#/all/${parked.id}`);
    await erin.locator(`.request-list[data-view="all"] [data-id="${parked.id}"][aria-current="true"]`).waitFor();
    await erin.locator('.pane .timeline[data-state="loaded"] .timeline-row[data-action="create"][data-actor="alice"]').waitFor();

    const alice = await signInAs('alice');
    assert.equal(await alice.locator('.topbar a[href="#/audit"], .topbar a[href="#/all"]').count(), 0, 'no auditor pages in her nav');
    await alice.evaluate(() => (location.hash = '#/audit'));
    await alice.locator('.not-auditor').waitFor();
    assert.equal(await alice.locator('.audit-table').count(), 0);
    assert.deepEqual([...problemsOf(erin), ...problemsOf(alice)], []);
  });
  test('a two-stage access-policy change: the pane shows the current stage and who is left; dave, then heidi', async () => {
    const parked = await park('alice', 'PATCH', '/deviceManagement/operationApprovalPolicies/p1', { description: 'two stages' }, 'CHG-13: stages');
    const stagesOf = (page: Page) =>
      page.locator('.pane ol.stages > li').evaluateAll((items) => items.map((li) => `${li.getAttribute('data-stage-name')}:${li.className.replace('stage stage-', '')}`));

    // heidi (security) sees it waiting for the first stage, and why she cannot approve yet.
    const heidi = await signInAs('heidi');
    await openFromList(heidi, 'received', parked.id);
    const heidiPane = heidi.locator('.pane');
    assert.equal(await heidiPane.locator('.approval-count').getAttribute('data-stage'), 'policy');
    assert.deepEqual(await stagesOf(heidi), ['policy:current', 'security:waiting']);
    assert.equal(await heidiPane.locator('button[data-action="approve"]').isDisabled(), true);
    assert.match((await heidiPane.locator('.action-reasons li[data-action="approve"]').textContent()) ?? '', /current stage policy/);

    // dave (policy) approves in the page; the request moves to the security stage.
    const dave = await signInAs('dave');
    await openFromList(dave, 'received', parked.id);
    const davePane = dave.locator('.pane');
    await davePane.locator('textarea[name="notes"]').fill('policy reviewed');
    await davePane.locator('button[data-action="approve"]').click();
    await davePane.locator('.approval-count[data-stage="security"]').waitFor();
    assert.deepEqual(await stagesOf(dave), ['policy:done', 'security:current']);
    assert.match((await davePane.locator('li[data-stage-name="policy"] .verdicts').textContent()) ?? '', /dave.*policy reviewed/s);
    await dave.screenshot({ path: `${SHOTS}/request-pane-stages.png` });

    // heidi, on a fresh reading, approves the last stage.
    await openFromList(heidi, 'received', parked.id);
    await heidiPane.locator('button[data-action="approve"]:not([disabled])').click();
    await heidiPane.locator('.pane-header .badge[data-status="approved"]').waitFor();
    assert.deepEqual(await stagesOf(heidi), ['policy:done', 'security:done']);
    assert.deepEqual([...problemsOf(heidi), ...problemsOf(dave)], []);
  });

  test('on a phone (390×844): no sideways scroll, cards, a full-screen pane with Back, 44 px targets, live updates within 2 s, axe-clean', async () => {
    const signIn = await openConsole(PHONE);
    await signIn.locator('button.identity[data-user="bob"]').waitFor();
    assert.ok((await horizontalOverflow(signIn)) <= 0, 'sign-in page fits');
    assert.deepEqual(await axeViolations(signIn), [], 'sign-in page');

    const bob = await signInAs('bob', PHONE);
    await bob.locator('.topbar a[href="#/received"]').click();
    await bob.locator('.live-state[data-live="live"]').waitFor();
    await bob.locator('.list-panel:not([aria-busy])').waitFor();

    // A script whose body is one long base64 line: parked over HTTP, it reaches bob's open list by itself.
    const script = Buffer.from('Write-Host "hello"\n'.repeat(2000)).toString('base64');
    const started = Date.now();
    const parked = await park('alice', 'PATCH', '/deviceManagement/deviceManagementScripts/8', { scriptContent: script }, 'CHG-8: update the script');
    const card = bob.locator(`.request-cards[data-view="received"] [data-id="${parked.id}"]`);
    await card.waitFor({ timeout: 2000 });
    const listDelay = Date.now() - started;
    assert.ok(listDelay <= 2000, `the list showed it after ${listDelay} ms`);
    assert.equal(await bob.locator('.request-table').count(), 0, 'a phone lists cards, not a table');
    assert.equal(await card.locator('[data-justification]').textContent(), 'CHG-8: update the script');
    assert.match((await bob.locator('.list-count').textContent()) ?? '', /\d+ requests?/);
    assert.ok((await horizontalOverflow(bob)) <= 0, 'received list fits');
    assert.deepEqual(await smallTapTargets(bob), [], 'tap targets on the list');
    assert.deepEqual(await axeViolations(bob), [], 'received list');
    await bob.screenshot({ path: `${SHOTS}/phone-received.png`, fullPage: true });

    // The pane is the whole screen, with Back at its top; the script body wraps.
    await card.locator('a.object-link').click();
    await bob.locator('.pane:not([aria-busy]) .timeline[data-state="loaded"]').waitFor();
    assert.equal(await bob.locator('.request-list').isVisible(), false, 'the list waits behind the pane');
    const back = bob.locator('.pane a.pane-close[data-back]');
    assert.equal((await back.textContent())?.trim(), '← Back to the list');
    const box = (await bob.locator('.pane').boundingBox())!;
    assert.ok(box.y < 200 && box.width <= PHONE.width, `the pane starts on the first screen: ${JSON.stringify(box)}`);
    assert.ok((await horizontalOverflow(bob)) <= 0, 'the pane fits, the base64 line wraps');
    const bodyWidth = await bob.locator('.pane .body-preview').evaluate((el) => el.scrollWidth - el.clientWidth);
    assert.ok(bodyWidth <= 0, `the body wraps rather than scrolling ${bodyWidth} px`);
    assert.deepEqual(await smallTapTargets(bob), [], 'tap targets on the pane');
    assert.deepEqual(await axeViolations(bob), [], 'request pane');
    // One timeline: the creation once, not once from the history and once from the trail.
    assert.deepEqual(await bob.locator('.pane .timeline-row').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-action'))), ['create']);
    assert.match((await bob.locator('.pane .pane-expiry').textContent()) ?? '', /^Expires in \d+ days?/);
    await bob.screenshot({ path: `${SHOTS}/phone-pane.png`, fullPage: true });

    // Approved elsewhere (another tab, the CLI): the open pane follows within 2 s.
    const approvedAt = Date.now();
    const approved = await fetch(`${demo.gatewayUrl}/maa/v1/requests/${parked.id}/approve`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKENS.bob}`, 'content-type': 'application/json' },
      body: JSON.stringify({ notes: 'from the CLI' }),
    });
    assert.equal(approved.status, 200);
    await bob.locator('.pane-header .badge[data-status="approved"]').waitFor({ timeout: 2000 });
    assert.ok(Date.now() - approvedAt <= 2000, 'the pane updated within 2 s');
    assert.deepEqual(await bob.locator('.pane .timeline-row').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-action'))), ['create', 'approve']);

    // Back returns to the same list.
    await back.click();
    await bob.locator('.request-list').waitFor();
    assert.equal(await bob.evaluate(() => location.hash), '#/received');

    // Filters fold on a phone; applied, they are in the URL and survive a reload.
    await bob.locator('.filters-fold summary').click();
    await bob.locator('.filters input[data-filter="q"]').fill('deviceManagementScripts/8');
    await bob.locator('.filters [data-filter-apply]').click();
    await bob.waitForFunction(() => location.hash.includes('q=deviceManagementScripts%2F8'));
    await bob.reload();
    await bob.locator('.list-panel:not([aria-busy]) .list-count[data-total="1"]').waitFor();
    assert.equal(await bob.locator('.filters input[data-filter="q"]').inputValue(), 'deviceManagementScripts/8');
    assert.deepEqual(await bob.locator('.request-list [data-id]').evaluateAll((items) => items.map((i) => i.getAttribute('data-id'))), [parked.id]);

    // (Never networkidle: the live event stream stays open.)
    for (const [hash, loaded] of [['#/mine', '.list-panel:not([aria-busy]) .list-count[data-total]'], ['#/policies', '.policy-card']] as const) {
      await bob.evaluate((h) => (location.hash = h), hash);
      await bob.locator(loaded).first().waitFor();
      assert.ok((await horizontalOverflow(bob)) <= 0, `${hash} fits`);
      assert.deepEqual(await axeViolations(bob), [], hash);
    }
    assert.deepEqual(problemsOf(bob), []);
  });

  test('reject asks for notes when the policy requires them, and reject and cancel ask before acting', async () => {
    const parked = await park('alice', 'PATCH', '/deviceAppManagement/mobileApps/46', { displayName: 'Notes first' }, 'CHG-46');
    const bob = await signInAs('bob', PHONE);
    // This gateway's demo policies do not require reject notes: say the policy does, as a policy with `rejectNotes: required` would.
    await bob.route(`**/maa/v1/requests/${parked.id}`, async (route) => {
      try {
        const response = await route.fetch();
        const json = (await response.json()) as { decision: Record<string, unknown> };
        json.decision.rejectNotes = 'required';
        await route.fulfill({ response, json });
      } catch {
        // The tab closed while a reading was in flight (the test is over).
      }
    });
    await bob.evaluate((id) => (location.hash = `#/received/${id}`), parked.id);
    const pane = bob.locator('.pane:not([aria-busy])');
    await pane.locator('button[data-action="reject"]').click();
    assert.match((await pane.locator('.field-error').textContent()) ?? '', /Notes are required to reject/);
    assert.equal(await bob.evaluate(() => document.activeElement?.getAttribute('name')), 'notes');
    assert.equal(await bob.locator('dialog.confirm').count(), 0, 'no dialog without notes');
    assert.deepEqual(await axeViolations(bob), [], 'the notes error');

    await pane.locator('textarea[name="notes"]').fill('Not this week');
    await pane.locator('button[data-action="reject"]').click();
    const dialog = bob.locator('dialog.confirm[data-confirm="reject"]');
    await dialog.waitFor();
    assert.deepEqual(await axeViolations(bob), [], 'the confirmation');
    await dialog.locator('[data-confirm-choice="keep"]').click();
    await dialog.waitFor({ state: 'detached' });
    const still = (await (await fetch(`${demo.gatewayUrl}/maa/v1/requests/${parked.id}`, { headers: { authorization: `Bearer ${TOKENS.bob}` } })).json()) as { status: string };
    assert.equal(still.status, 'needsApproval', 'Keep it changes nothing');

    await pane.locator('button[data-action="reject"]').click();
    await dialog.locator('[data-confirm-choice="confirm"]').click();
    await bob.locator('.pane-header .badge[data-status="rejected"]').waitFor();
    await bob.unrouteAll({ behavior: 'ignoreErrors' });

    // alice cancels another request: also asked first.
    const other = await park('alice', 'PATCH', '/deviceAppManagement/mobileApps/47', { displayName: 'Cancel me' }, 'CHG-47');
    const alice = await signInAs('alice');
    await alice.evaluate((id) => (location.hash = `#/mine/${id}`), other.id);
    await alice.locator('.pane:not([aria-busy]) button[data-action="cancel"]').click();
    await alice.locator('dialog.confirm[data-confirm="cancel"] [data-confirm-choice="confirm"]').click();
    await alice.locator('.pane-header .badge[data-status="canceled"]').waitFor();
    assert.deepEqual([...problemsOf(bob), ...problemsOf(alice)], []);
  });

  test('at 1280×800 the list beside an open request cuts nothing, and the table alone fits', async () => {
    const parked = await park('alice', 'PATCH', '/deviceAppManagement/mobileApps/48', { displayName: 'Wide' }, 'CHG-48: a justification long enough to wrap over more than one line of the list beside the pane');
    const bob = await signInAs('bob', LAPTOP);
    await bob.locator('.topbar a[href="#/received"]').click();
    await bob.locator('.list-panel:not([aria-busy]) .request-table').waitFor();
    const tableCut = await bob.locator('.table-wrap').evaluate((el) => el.scrollWidth - el.clientWidth);
    assert.ok(tableCut <= 0, `the table fits: ${tableCut} px cut`);
    assert.ok((await horizontalOverflow(bob)) <= 0);
    assert.deepEqual(await axeViolations(bob), [], 'received table');

    await openFromList(bob, 'received', parked.id);
    const list = bob.locator('.list-panel');
    const cut = await list.evaluate((el) => el.scrollWidth - el.clientWidth);
    assert.ok(cut <= 0, `the list beside the pane cuts ${cut} px`);
    const listBox = (await list.boundingBox())!;
    const badge = (await bob.locator(`.request-list [data-id="${parked.id}"] .badge`).boundingBox())!;
    assert.ok(badge.x + badge.width <= listBox.x + listBox.width, 'the status is inside the list');
    assert.ok((await horizontalOverflow(bob)) <= 0);
    assert.deepEqual(await axeViolations(bob), [], 'list and pane');
    await bob.screenshot({ path: `${SHOTS}/laptop-split.png` });
    assert.deepEqual(problemsOf(bob), []);
  });
});
