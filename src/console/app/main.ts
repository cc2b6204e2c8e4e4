/**
 * The console's entry point: sign-in, the page frame and the hash routes
 *   #/mine[/<id>]  #/received[/<id>]  #/policies
 * and for auditors   #/all[/<id>]  #/audit
 * Hash routes keep the gateway side to a handful of static files.
 */
import { AccessPoliciesView } from './access-policies-view';
import { ApiClient, ApiError } from './api-client';
import { AuditPageView } from './audit-page-view';
import type { Me } from './api-types';
import type { ConsoleContext } from './context';
import { h, replaceChildren } from './dom';
import { Notifications } from './notifications';
import { RequestListView, type ListKind } from './request-list-view';
import { RequestPaneView } from './request-pane-view';
import { forgetToken, storedToken, storeToken } from './session';
import { signInView } from './sign-in-view';

const root = document.getElementById('app')!;
const apiPrefix = document.querySelector<HTMLMetaElement>('meta[name="countersign-api-prefix"]')?.content || '/maa/v1';

type Route = { page: ListKind; id: string | null } | { page: 'policies' } | { page: 'audit' };

function parseRoute(hash: string): Route {
  const [page, id] = hash.replace(/^#\/?/, '').split('/');
  if (page === 'policies') return { page };
  if (page === 'audit') return { page };
  if (page === 'received' || page === 'mine' || page === 'all') return { page, id: id ? decodeURIComponent(id) : null };
  return { page: 'mine', id: null };
}

function showSignIn(notice: string | null): void {
  document.title = 'Sign in · Countersign';
  replaceChildren(
    root,
    signInView(apiPrefix, notice, (token, me) => {
      storeToken(token);
      startConsole(token, me);
    }),
  );
  root.querySelector<HTMLInputElement>('#token')?.focus();
}

function signOut(notice: string | null): void {
  forgetToken();
  window.removeEventListener('hashchange', onHashChange);
  showSignIn(notice);
}

let onHashChange: () => void = () => {};

function startConsole(token: string, me: Me): void {
  const notifications = new Notifications();
  const context: ConsoleContext = {
    api: new ApiClient(apiPrefix, token),
    me,
    notifications,
    reportError(error, what) {
      if (error instanceof ApiError && error.status === 401) {
        signOut('Your session is no longer valid; sign in again.');
        return;
      }
      const message = error instanceof Error ? error.message : String(error);
      const reasons = error instanceof ApiError ? error.reasons : [];
      notifications.show('error', `${what} failed: ${message}`, reasons.length ? h('ul', {}, reasons.map((r) => h('li', {}, r))) : null);
    },
  };

  const navLinks: Record<string, HTMLAnchorElement> = {
    mine: h('a', { href: '#/mine' }, 'My requests'),
    received: h('a', { href: '#/received' }, 'Received requests'),
  };
  // The API refuses these to everyone else; the nav does not offer what would be refused.
  if (me.auditor) {
    navLinks.all = h('a', { href: '#/all' }, 'All requests');
    navLinks.audit = h('a', { href: '#/audit' }, 'Audit');
  }
  navLinks.policies = h('a', { href: '#/policies' }, 'Access policies');
  const signOutButton = h('button', { type: 'button', class: 'button-quiet' }, 'Sign out');
  signOutButton.addEventListener('click', () => signOut('You signed out.'));
  const main = h('main', { id: 'main', class: 'content', tabindex: -1 });
  // A fragment link would be read as a route: the skip link moves focus itself.
  const skipLink = h('a', { href: '#main', class: 'skip-link' }, 'Skip to content');
  skipLink.addEventListener('click', (event) => {
    event.preventDefault();
    (main.querySelector<HTMLElement>('h2[tabindex], h1[tabindex]') ?? main).focus();
  });

  replaceChildren(
    root,
    skipLink,
    h(
      'header',
      { class: 'topbar' },
      h('p', { class: 'brand' }, h('span', { class: 'brand-mark', 'aria-hidden': 'true' }, '✓✓'), 'Countersign'),
      h('nav', { 'aria-label': 'Console' }, h('ul', {}, Object.values(navLinks).map((link) => h('li', {}, link)))),
      h(
        'div',
        { class: 'whoami' },
        h('span', { class: 'whoami-user', 'data-user': me.userId }, 'Signed in as ', h('strong', {}, me.userId)),
        h('span', { class: 'whoami-groups' }, me.groups.join(', ') || 'no groups', me.auditor ? ' · auditor' : ''),
        signOutButton,
      ),
    ),
    notifications.element,
    main,
  );

  // The list survives while requests are opened and closed in its pane.
  let list: RequestListView | null = null;
  let policies: AccessPoliciesView | null = null;

  /** A page that is not shown at all: a short sentence, focused like any page heading. */
  const showNotice = (title: string, text: string): void => {
    list = null;
    policies = null;
    document.title = `${title} · Countersign`;
    replaceChildren(
      main,
      h('section', { class: 'list-panel', 'aria-labelledby': 'heading-notice' }, h('h1', { id: 'heading-notice', tabindex: -1 }, title), h('p', { class: 'intro not-auditor' }, text)),
    );
    main.querySelector<HTMLElement>('h1')?.focus();
  };

  const render = (): void => {
    const route = parseRoute(location.hash);
    for (const [page, link] of Object.entries(navLinks)) {
      if (page === route.page) link.setAttribute('aria-current', 'page');
      else link.removeAttribute('aria-current');
    }
    if ((route.page === 'audit' || route.page === 'all') && !me.auditor) {
      showNotice(route.page === 'audit' ? 'Audit' : 'All requests', 'Only auditors see this page. Each request you may view shows its own audit trail in its pane.');
      return;
    }
    if (route.page === 'audit') {
      list = null;
      policies = null;
      const audit = new AuditPageView(context);
      document.title = 'Audit · Countersign';
      replaceChildren(main, audit.element);
      void audit.load();
      main.querySelector<HTMLElement>('h1')?.focus();
      return;
    }
    if (route.page === 'policies') {
      list = null;
      policies = new AccessPoliciesView(context);
      document.title = 'Access policies · Countersign';
      replaceChildren(main, policies.element);
      void policies.load();
      main.querySelector<HTMLElement>('h1')?.focus();
      return;
    }
    policies = null;
    const pageChanged = !list || list.kind !== route.page;
    if (pageChanged) {
      list = new RequestListView(route.page, context);
      void list.load();
    }
    const current = list!;
    current.select(route.id);
    document.title = `${{ mine: 'My requests', received: 'Received requests', all: 'All requests' }[route.page]} · Countersign`;
    if (route.id) {
      const pane = new RequestPaneView(route.id, `#/${route.page}`, context, () => void current.load());
      replaceChildren(main, h('div', { class: 'split' }, current.element, pane.element));
      void pane.load();
    } else {
      const hadPane = main.querySelector('.pane') !== null;
      replaceChildren(main, h('div', { class: 'split split-single' }, current.element));
      if (pageChanged || hadPane) main.querySelector<HTMLElement>('h1')?.focus();
    }
  };

  window.removeEventListener('hashchange', onHashChange);
  onHashChange = render;
  window.addEventListener('hashchange', onHashChange);
  render();
}

async function boot(): Promise<void> {
  const token = storedToken();
  if (!token) return showSignIn(null);
  try {
    startConsole(token, await new ApiClient(apiPrefix, token).me());
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) signOut('Your session is no longer valid; sign in again.');
    else showSignIn(error instanceof Error ? error.message : 'The gateway could not be reached.');
  }
}

void boot();
