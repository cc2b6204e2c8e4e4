/**
 * The signed-in console: the top bar (navigation, who is signed in, Sign out), the
 * notifications, and the page the hash route names.
 */
import type { ComponentChildren } from 'preact';
import { html } from 'htm/preact';
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { AccessPolicies } from './access-policies-view';
import { ApiError, type ApiClient } from './api-client';
import type { Me } from './api-types';
import { AuditPage } from './audit-page-view';
import { ConsoleContextValue, type ConsoleContext } from './context';
import { NotificationList, useNotifications } from './notifications';
import { RequestList } from './request-list-view';
import { RequestPane } from './request-pane-view';
import { listHash, useHashRoute, type Route } from './route';
import { useLiveUpdates, type LiveState } from './live-updates';

export type SignOutReason = 'expired' | 'signedOut';

const PAGES: [Route['page'], string][] = [
  ['mine', 'My requests'],
  ['received', 'Received requests'],
  ['all', 'All requests'],
  ['audit', 'Audit'],
  ['policies', 'Access policies'],
];
const AUDITOR_PAGES: Route['page'][] = ['all', 'audit'];

/** Events closer together than this make one reading of the list and pane, not one each. */
const LIVE_COALESCE_MS = 150;

const LIVE_LABELS: Record<LiveState, string> = { connecting: 'Connecting…', live: 'Live', offline: 'Offline, retrying' };

interface FrameProps {
  api: ApiClient;
  me: Me;
  onSignOut: (reason: SignOutReason) => void;
}

export function ConsoleFrame({ api, me, onSignOut }: FrameProps) {
  const { notes, notify, dismiss } = useNotifications();
  const route = useHashRoute();
  const main = useRef<HTMLElement>(null);
  const [revision, setRevision] = useState(0);
  const context = useMemo<ConsoleContext>(
    () => ({
      api,
      me,
      notify,
      revision,
      changed: () => setRevision((n) => n + 1),
      reportError(error, what) {
        if (error instanceof ApiError && error.status === 401) return onSignOut('expired');
        const message = error instanceof Error ? error.message : String(error);
        const reasons = error instanceof ApiError ? error.reasons : [];
        notify('error', `${what} failed: ${message}`, reasons.length > 0 && html`<ul>${reasons.map((reason) => html`<li>${reason}</li>`)}</ul>`);
      },
    }),
    [api, me, notify, onSignOut, revision],
  );

  // Each change announced by the event stream makes the list and the open pane read again, in place.
  const pending = useRef<ReturnType<typeof setTimeout> | null>(null);
  useEffect(() => () => clearTimeout(pending.current ?? undefined), []);
  const live = useLiveUpdates(
    api,
    () => {
      if (pending.current) return;
      pending.current = setTimeout(() => {
        pending.current = null;
        context.changed();
      }, LIVE_COALESCE_MS);
    },
    () => onSignOut('expired'),
  );

  // The API refuses All requests and Audit to everyone else; the nav does not offer what would be refused.
  const links = PAGES.filter(([page]) => me.auditor || !AUDITOR_PAGES.includes(page));

  // A fragment link would be read as a route: the skip link moves focus itself.
  function skipToContent(event: Event): void {
    event.preventDefault();
    (main.current?.querySelector<HTMLElement>('h2[tabindex], h1[tabindex]') ?? main.current)?.focus();
  }

  return html`
    <${ConsoleContextValue.Provider} value=${context}>
      <a href="#main" class="skip-link" onClick=${skipToContent}>Skip to content</a>
      <header class="topbar">
        <p class="brand"><span class="brand-mark" aria-hidden="true">✓✓</span>Countersign</p>
        <nav aria-label="Console">
          <ul>
            ${links.map(([page, label]) => html`<li key=${page}><a href="#/${page}" aria-current=${route.page === page ? 'page' : undefined}>${label}</a></li>`)}
          </ul>
        </nav>
        <div class="whoami">
          <span class="live-state" data-live=${live} title="Lists and the open request update by themselves while live"><span class="live-dot" aria-hidden="true"></span>${LIVE_LABELS[live]}</span>
          <span class="whoami-user" data-user=${me.userId}>Signed in as <strong>${me.userId}</strong></span>
          <span class="whoami-groups">${me.groups.join(', ') || 'no groups'}${me.auditor ? ' · auditor' : ''}</span>
          <button type="button" class="button-quiet" onClick=${() => onSignOut('signedOut')}>Sign out</button>
        </div>
      </header>
      <${NotificationList} notes=${notes} onDismiss=${dismiss} />
      <main id="main" class="content" tabindex="-1" ref=${main}>${page(route, me)}</main>
    <//>
  `;
}

function page(route: Route, me: Me): ComponentChildren {
  if (AUDITOR_PAGES.includes(route.page) && !me.auditor) {
    const title = route.page === 'audit' ? 'Audit' : 'All requests';
    return html`<${Notice} key=${route.page} title=${title} text="Only auditors see this page. Each request you may view shows its own audit trail in its pane." />`;
  }
  if (route.page === 'audit') return html`<${AuditPage} />`;
  if (route.page === 'policies') return html`<${AccessPolicies} />`;
  // The list keeps its place while requests open and close in its pane (same key, same place);
  // its filters and page are the route's, so closing the pane returns to the same list.
  return html`
    <div class=${route.id ? 'split' : 'split split-single'}>
      <${RequestList} key=${route.page} kind=${route.page} selectedId=${route.id} query=${route.query} />
      ${route.id && html`<${RequestPane} key=${route.id} id=${route.id} closeHref=${listHash(route.page, null, route.query)} />`}
    </div>
  `;
}

/** A page that is not shown at all: a short sentence, focused like any page heading. */
function Notice({ title, text }: { title: string; text: ComponentChildren }) {
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    document.title = `${title} · Countersign`;
    heading.current?.focus();
  }, [title]);
  return html`
    <section class="list-panel" aria-labelledby="heading-notice">
      <h1 id="heading-notice" tabindex="-1" ref=${heading}>${title}</h1>
      <p class="intro not-auditor">${text}</p>
    </section>
  `;
}
