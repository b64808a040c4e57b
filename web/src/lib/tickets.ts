// Helpers shared by the portal and the console.
import type { TicketEvent } from './types';

/** Adds events to a timeline, once each, in id order. */
export function mergeEvents(list: TicketEvent[], add: TicketEvent[]): TicketEvent[] {
  const byId = new Map(list.map((e) => [e.id, e]));
  for (const e of add) byId.set(e.id, e);
  return [...byId.values()].sort((a, b) => a.id - b.id);
}
