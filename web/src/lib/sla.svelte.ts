// Service-level countdowns: what a ticket's clocks say now, from what the
// server answered and how long ago (so that a test server whose clock runs
// ahead, or a browser whose clock is off, still counts right).
import type { Ticket, TicketSla } from './types';

/** A clock the countdowns share; it ticks while something shows one. */
export const slaClock = $state({ now: Date.now() });
let timer: ReturnType<typeof setInterval> | null = null;
let users = 0;

export function useSlaClock(): () => void {
  users++;
  if (!timer) timer = setInterval(() => (slaClock.now = Date.now()), 10_000);
  return () => {
    if (--users === 0 && timer) {
      clearInterval(timer);
      timer = null;
    }
  };
}

/** When the page received a ticket's clocks (stamped by whoever fetched it). */
const received = new WeakMap<TicketSla, number>();
export function stamp<T extends Ticket>(t: T): T {
  if (t.sla && !received.has(t.sla)) received.set(t.sla, Date.now());
  return t;
}

export type SlaState = 'ok' | 'warning' | 'breached' | 'paused' | 'met';
export interface Countdown {
  target: 'first_response' | 'resolution';
  /** Seconds left (negative once overdue); while paused, the business time left. */
  seconds: number | null;
  state: SlaState;
}

const ms = (iso: string | null) => (iso ? Date.parse(iso) : NaN);

/** The clock to watch: the first response while it is owed, then the resolution. */
export function countdown(sla: TicketSla | null | undefined, now: number): Countdown | null {
  if (!sla) return null;
  const since = (now - (received.get(sla) ?? now)) / 1000;
  const live = (left: number | null, due: string | null, warn: string | null, breached: boolean) => {
    if (left === null) return null;
    const s = Math.round(left - since);
    const warnBefore = (ms(due) - ms(warn)) / 1000; // seconds before the due that warn
    const state: SlaState = breached || s <= 0 ? 'breached' : Number.isFinite(warnBefore) && s <= warnBefore ? 'warning' : 'ok';
    return { s, state };
  };
  if (!sla.first_response_at && sla.first_response_seconds_left !== null) {
    const c = live(sla.first_response_seconds_left, sla.first_response_due_at, sla.first_response_warning_at,
      sla.first_response_breached);
    if (c) return { target: 'first_response', seconds: c.s, state: c.state };
  }
  if (sla.resolution_met) return { target: 'resolution', seconds: null, state: 'met' };
  if (sla.paused && !sla.resolution_breached)
    return { target: 'resolution', seconds: sla.resolution_seconds_left, state: 'paused' };
  const c = live(sla.resolution_seconds_left, sla.resolution_due_at, sla.resolution_warning_at, sla.resolution_breached);
  if (c) return { target: 'resolution', seconds: c.s, state: c.state };
  return null;
}

/** "45 min", "3 h 20 min", "2 d 4 h" (no sign). */
export function formatLeft(seconds: number): string {
  const m = Math.max(1, Math.round(Math.abs(seconds) / 60));
  if (m < 60) return `${m} min`;
  const h = Math.floor(m / 60);
  if (h < 48) return m % 60 ? `${h} h ${m % 60} min` : `${h} h`;
  const d = Math.floor(h / 24);
  return h % 24 ? `${d} d ${h % 24} h` : `${d} d`;
}
