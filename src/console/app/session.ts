/**
 * The signed-in bearer token, kept in sessionStorage: it lives as long as the browser tab
 * and is never shared with other tabs or written to disk by the page.
 */

const TOKEN_KEY = 'countersign.token';

export function storedToken(): string | null {
  try {
    return sessionStorage.getItem(TOKEN_KEY);
  } catch {
    return null;
  }
}

export function storeToken(token: string): void {
  sessionStorage.setItem(TOKEN_KEY, token);
}

export function forgetToken(): void {
  sessionStorage.removeItem(TOKEN_KEY);
}
