// Helpers shared by the portal and the console.
import type { TicketEvent } from './types';

/** Adds events to a timeline, once each, in id order. */
export function mergeEvents(list: TicketEvent[], add: TicketEvent[]): TicketEvent[] {
  const byId = new Map(list.map((e) => [e.id, e]));
  for (const e of add) byId.set(e.id, e);
  return [...byId.values()].sort((a, b) => a.id - b.id);
}

/**
 * A ticket's number from its id, as the server writes it (SD- and six
 * digits), for the places the API gives only the id (a follow-up event).
 */
export function ticketNumber(id: number): string {
  return `SD-${String(id).padStart(6, '0')}`;
}

/** The ticket id in "SD-000301", "sd-301" or "301", else null. */
export function parseTicketNumber(text: string): number | null {
  const m = /^\s*(?:sd-?\s*)?0*(\d{1,12})\s*$/i.exec(text);
  if (!m) return null;
  const n = Number(m[1]);
  return Number.isSafeInteger(n) && n > 0 ? n : null;
}
