/**
 * The console's entry point: a stored token is checked with GET /me, then the signed-in
 * console is shown; otherwise the sign-in page. The token lives in sessionStorage (session.ts).
 */
import { html, render } from 'htm/preact';
import { useCallback, useEffect, useState } from 'preact/hooks';
import { ApiClient, ApiError } from './api-client';
import type { Me } from './api-types';
import { ConsoleFrame, type SignOutReason } from './console-frame';
import { forgetToken, storedToken, storeToken } from './session';
import { SignIn } from './sign-in-view';

const apiPrefix = document.querySelector<HTMLMetaElement>('meta[name="countersign-api-prefix"]')?.content || '/maa/v1';

type Session = { state: 'checking' } | { state: 'signedOut'; notice: string | null } | { state: 'signedIn'; api: ApiClient; me: Me };

/** Why the tab was signed out, as the sign-in page says it. */
const NOTICES: Record<SignOutReason, string> = { expired: 'Your session is no longer valid; sign in again.', signedOut: 'You signed out.' };

function App() {
  const [session, setSession] = useState<Session>({ state: 'checking' });

  const signOut = useCallback((reason: SignOutReason) => {
    forgetToken();
    setSession({ state: 'signedOut', notice: NOTICES[reason] });
  }, []);

  useEffect(() => {
    const token = storedToken();
    if (!token) return setSession({ state: 'signedOut', notice: null });
    const api = new ApiClient(apiPrefix, token);
    api.me().then(
      (me) => setSession({ state: 'signedIn', api, me }),
      (error: unknown) => {
        if (error instanceof ApiError && error.status === 401) signOut('expired');
        else setSession({ state: 'signedOut', notice: error instanceof Error ? error.message : 'The gateway could not be reached.' });
      },
    );
  }, []);

  const signedIn = (token: string, me: Me) => {
    storeToken(token);
    setSession({ state: 'signedIn', api: new ApiClient(apiPrefix, token), me });
  };

  if (session.state === 'checking') return null;
  if (session.state === 'signedOut') return html`<${SignIn} apiPrefix=${apiPrefix} notice=${session.notice} onSignedIn=${signedIn} />`;
  return html`<${ConsoleFrame} api=${session.api} me=${session.me} onSignOut=${signOut} />`;
}

render(html`<${App} />`, document.getElementById('app')!);
