/**
 * The signed-in key: kept in sessionStorage only (gone with the tab; never in a URL, a cookie or a
 * log), with the ad account an organisation-admin key chose.
 */
const KEY = 'cdp.session';

export interface Session {
  key: string;
  adAccountId?: string;
}

export function currentSession(): Session | null {
  try {
    const raw = sessionStorage.getItem(KEY);
    return raw ? (JSON.parse(raw) as Session) : null;
  } catch {
    return null;
  }
}

export function saveSession(s: Session): void {
  sessionStorage.setItem(KEY, JSON.stringify(s));
}

export function clearSession(): void {
  sessionStorage.removeItem(KEY);
}
