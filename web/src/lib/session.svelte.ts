// Who is signed in. The session itself is the HttpOnly cookie; the CSRF token
// lives in api.ts (memory + sessionStorage).
import { api, hasCsrf, setCsrf, setUnauthorizedHandler } from './api';
import { clearDrafts } from './drafts';
import { setLocale } from './i18n.svelte';
import type { User } from './types';

export const session = $state<{ user: User | null; ready: boolean; expired: boolean }>({
  user: null,
  ready: false,
  expired: false,
});

export function isStaff(u: User | null = session.user): boolean {
  return !!u && u.role !== 'requester';
}

/**
 * The queue a member of staff lands on: agents their own tickets, supervisors
 * and admins, who rarely hold tickets themselves, everything open.
 */
export function homeQueue(u: User | null = session.user): string {
  return u?.role === 'agent' ? 'mine' : 'open';
}

function adopt(user: User): void {
  session.user = user;
  session.expired = false;
  setLocale(user.language, user.timezone);
}

/** On load: a session survives a reload when its CSRF token does. */
export async function restore(): Promise<void> {
  setUnauthorizedHandler(() => {
    if (session.user) session.expired = true;
    session.user = null;
    setCsrf(null);
  });
  if (hasCsrf()) {
    try {
      adopt(await api.me());
    } catch {
      setCsrf(null);
    }
  }
  session.ready = true;
}

export async function signIn(email: string, password: string): Promise<void> {
  const r = await api.login(email, password);
  setCsrf(r.csrf_token);
  // /auth/me also carries group_ids (the login answer does not).
  let user = r.user;
  try {
    user = await api.me();
  } catch {
    /* keep the login's user */
  }
  adopt(user);
}

export async function signOut(): Promise<void> {
  if (session.user) clearDrafts(session.user.id);
  try {
    await api.logout();
  } catch {
    /* signed out anyway */
  }
  setCsrf(null);
  session.user = null;
}

export function updateSelf(user: User): void {
  const groups = session.user?.group_ids;
  adopt({ ...user, group_ids: user.group_ids ?? groups });
}
