/**
 * Sign-in: paste a bearer token, or pick one of the demo's identities when the gateway lists
 * them. The token is checked with GET /me before it is kept for the tab.
 */
import { html } from 'htm/preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiClient, ApiError, fetchDemoIdentities } from './api-client';
import type { DemoIdentity, Me } from './api-types';

const TOKEN_MAX = 8192;

interface SignInProps {
  apiPrefix: string;
  notice: string | null;
  onSignedIn: (token: string, me: Me) => void;
}

export function SignIn({ apiPrefix, notice, onSignedIn }: SignInProps) {
  const [error, setError] = useState(notice ?? '');
  const [checking, setChecking] = useState(false);
  const [identities, setIdentities] = useState<DemoIdentity[]>([]);
  const input = useRef<HTMLInputElement>(null);

  useEffect(() => {
    document.title = 'Sign in · Countersign';
    input.current?.focus();
    void fetchDemoIdentities().then(setIdentities);
  }, []);

  async function attempt(token: string): Promise<void> {
    setError('');
    setChecking(true);
    try {
      onSignedIn(token, await new ApiClient(apiPrefix, token).me());
    } catch (e) {
      setError(e instanceof ApiError && (e.status === 401 || e.status === 403) ? 'The gateway did not accept this token.' : e instanceof Error ? e.message : 'Sign-in failed.');
      setChecking(false);
    }
  }

  function submit(event: Event): void {
    event.preventDefault();
    const token = input.current?.value.trim();
    if (token) void attempt(token);
  }

  return html`
    <main class="sign-in" id="main">
      <div class="sign-in-card">
        <p class="brand brand-large"><span class="brand-mark" aria-hidden="true">✓✓</span>Countersign</p>
        <h1 id="sign-in-title">Sign in</h1>
        <p class="intro">Review, approve and complete changes to protected resources.</p>
        <form class="sign-in-form" aria-labelledby="sign-in-title" onSubmit=${submit}>
          <label for="token">Bearer token</label>
          <input ref=${input} id="token" name="token" type="password" autocomplete="off" spellcheck=${false} maxlength=${TOKEN_MAX} required aria-describedby="token-help" />
          <p id="token-help" class="muted">The token you use with the gateway. It is kept only in this browser tab.</p>
          <button type="submit" class="button-primary" disabled=${checking}>Sign in</button>
        </form>
        <p class="form-error" role="alert">${error}</p>
        <div class="demo-identities">
          ${identities.length > 0 &&
          html`
            <h2>Demo identities</h2>
            <p class="muted">This gateway runs the demo; sign in as one of its users.</p>
            <ul class="identity-list">
              ${identities.map(
                (identity) => html`
                  <li key=${identity.userId}>
                    <button type="button" class="identity" data-user=${identity.userId} onClick=${() => void attempt(identity.token)}>
                      <span class="identity-name">${identity.userId}</span>
                      <span class="identity-groups">${identity.groups.join(', ') || 'no groups'}</span>
                      ${identity.description && html`<span class="identity-description">${identity.description}</span>`}
                    </button>
                  </li>
                `,
              )}
            </ul>
          `}
        </div>
      </div>
    </main>
  `;
}
