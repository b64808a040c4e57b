// Reply drafts, kept in localStorage per user and ticket, so that what an
// agent or a requester typed survives leaving the ticket, a reload and an
// expired session (the sign-in brings them back to the same ticket). Signing
// out on purpose forgets them: a shared computer keeps no one's notes.

export interface Draft {
  text: string;
  mode: 'reply' | 'note';
}

const PREFIX = 'sd.draft.';

const key = (userId: number, ticketId: number) => `${PREFIX}${userId}.${ticketId}`;

export function loadDraft(userId: number, ticketId: number): Draft | null {
  try {
    const raw = localStorage.getItem(key(userId, ticketId));
    if (!raw) return null;
    const d = JSON.parse(raw) as Partial<Draft>;
    if (typeof d.text !== 'string' || !d.text) return null;
    return { text: d.text, mode: d.mode === 'note' ? 'note' : 'reply' };
  } catch {
    return null;
  }
}

export function saveDraft(userId: number, ticketId: number, d: Draft): void {
  try {
    if (d.text.trim()) localStorage.setItem(key(userId, ticketId), JSON.stringify(d));
    else localStorage.removeItem(key(userId, ticketId));
  } catch {
    /* storage full or off: the draft lives only on this page */
  }
}

export function clearDraft(userId: number, ticketId: number): void {
  try {
    localStorage.removeItem(key(userId, ticketId));
  } catch {
    /* nothing kept */
  }
}

/** Forgets every draft of a user (on signing out). */
export function clearDrafts(userId: number): void {
  try {
    const mine = `${PREFIX}${userId}.`;
    for (let i = localStorage.length - 1; i >= 0; --i) {
      const k = localStorage.key(i);
      if (k?.startsWith(mine)) localStorage.removeItem(k);
    }
  } catch {
    /* nothing kept */
  }
}
