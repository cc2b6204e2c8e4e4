/**
 * Sign-in: paste a bearer token, or pick one of the demo's identities when the gateway lists
 * them. The token is checked with GET /me before it is kept for the tab.
 */
import { ApiClient, ApiError, fetchDemoIdentities } from './api-client';
import type { Me } from './api-types';
import { h, replaceChildren } from './dom';

const TOKEN_MAX = 8192;

export function signInView(apiPrefix: string, notice: string | null, onSignedIn: (token: string, me: Me) => void): HTMLElement {
  const error = h('p', { class: 'form-error', role: 'alert' }, notice ?? '');
  const input = h('input', {
    id: 'token',
    name: 'token',
    type: 'password',
    autocomplete: 'off',
    spellcheck: 'false',
    maxlength: TOKEN_MAX,
    required: true,
    'aria-describedby': 'token-help',
  });
  const submit = h('button', { type: 'submit', class: 'button-primary' }, 'Sign in');

  async function attempt(token: string): Promise<void> {
    error.textContent = '';
    submit.disabled = true;
    try {
      const me = await new ApiClient(apiPrefix, token).me();
      onSignedIn(token, me);
    } catch (e) {
      error.textContent =
        e instanceof ApiError && (e.status === 401 || e.status === 403) ? 'The gateway did not accept this token.' : e instanceof Error ? e.message : 'Sign-in failed.';
    } finally {
      submit.disabled = false;
    }
  }

  const form = h(
    'form',
    { class: 'sign-in-form', 'aria-labelledby': 'sign-in-title' },
    h('label', { for: 'token' }, 'Bearer token'),
    input,
    h('p', { id: 'token-help', class: 'muted' }, 'The token you use with the gateway. It is kept only in this browser tab.'),
    submit,
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const token = input.value.trim();
    if (token) void attempt(token);
  });

  const demo = h('div', { class: 'demo-identities' });
  void fetchDemoIdentities().then((identities) => {
    if (!identities.length) return;
    replaceChildren(
      demo,
      h('h2', {}, 'Demo identities'),
      h('p', { class: 'muted' }, 'This gateway runs the demo; sign in as one of its users.'),
      h(
        'ul',
        { class: 'identity-list' },
        identities.map((identity) => {
          const button = h(
            'button',
            { type: 'button', class: 'identity', 'data-user': identity.userId },
            h('span', { class: 'identity-name' }, identity.userId),
            h('span', { class: 'identity-groups' }, identity.groups.join(', ') || 'no groups'),
            identity.description ? h('span', { class: 'identity-description' }, identity.description) : null,
          );
          button.addEventListener('click', () => void attempt(identity.token));
          return h('li', {}, button);
        }),
      ),
    );
  });

  return h(
    'main',
    { class: 'sign-in', id: 'main' },
    h(
      'div',
      { class: 'sign-in-card' },
      h('p', { class: 'brand brand-large' }, h('span', { class: 'brand-mark', 'aria-hidden': 'true' }, '✓✓'), 'Countersign'),
      h('h1', { id: 'sign-in-title' }, 'Sign in'),
      h('p', { class: 'intro' }, 'Review, approve and complete changes to protected resources.'),
      form,
      error,
      demo,
    ),
  );
}
