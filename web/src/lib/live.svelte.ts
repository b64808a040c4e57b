// The live channel (GET /api/v1/live, a WebSocket): ticket events and
// presence from the server; watch/unwatch from us. Reconnects with
// exponential backoff and re-announces what this tab is watching. After a
// reconnect, listeners get {type:"reconnected"} so they can refetch what
// they may have missed.
import type { LiveMessage } from './types';

export type LiveNotice = LiveMessage | { type: 'reconnected' };
type Listener = (m: LiveNotice) => void;

export const live = $state<{ state: 'off' | 'connecting' | 'open' | 'retrying' }>({ state: 'off' });

const listeners = new Set<Listener>();
const watching = new Map<number, 'viewing' | 'replying'>();
let socket: WebSocket | null = null;
let retryTimer: ReturnType<typeof setTimeout> | null = null;
let attempt = 0;
let wanted = false;
let everOpened = false;

export function onLive(fn: Listener): () => void {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

function emit(m: LiveNotice): void {
  for (const fn of listeners) {
    try {
      fn(m);
    } catch (e) {
      console.error(e);
    }
  }
}

function send(obj: unknown): void {
  if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(obj));
}

export function startLive(): void {
  wanted = true;
  if (!socket && !retryTimer) open();
}

export function stopLive(): void {
  wanted = false;
  everOpened = false;
  watching.clear();
  if (retryTimer) clearTimeout(retryTimer);
  retryTimer = null;
  const s = socket;
  socket = null;
  s?.close(1000);
  live.state = 'off';
}

function open(): void {
  retryTimer = null;
  live.state = attempt === 0 ? 'connecting' : 'retrying';
  const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
  let s: WebSocket;
  try {
    s = new WebSocket(`${proto}//${location.host}/api/v1/live`);
  } catch {
    scheduleRetry();
    return;
  }
  socket = s;
  s.onopen = () => {
    if (socket !== s) return;
    attempt = 0;
    live.state = 'open';
    for (const [ticket_id, state] of watching) send({ type: 'watch', ticket_id, state });
    if (everOpened) emit({ type: 'reconnected' });
    everOpened = true;
  };
  s.onmessage = (ev) => {
    if (socket !== s || typeof ev.data !== 'string') return;
    let m: LiveMessage;
    try {
      m = JSON.parse(ev.data) as LiveMessage;
    } catch {
      return;
    }
    if (m && (m.type === 'event' || m.type === 'presence')) emit(m);
  };
  s.onclose = () => {
    if (socket !== s) return;
    socket = null;
    scheduleRetry();
  };
  s.onerror = () => {
    /* onclose follows */
  };
}

function scheduleRetry(): void {
  if (!wanted) return;
  live.state = 'retrying';
  const base = Math.min(30_000, 1000 * 2 ** attempt);
  attempt = Math.min(attempt + 1, 10);
  const delay = base / 2 + Math.random() * (base / 2);
  retryTimer = setTimeout(open, delay);
}

/** Announces that this tab views (or replies to) a ticket; staff only on the server. */
export function watch(ticket_id: number, state: 'viewing' | 'replying'): void {
  if (watching.get(ticket_id) === state) return;
  watching.set(ticket_id, state);
  send({ type: 'watch', ticket_id, state });
}

export function unwatch(ticket_id: number): void {
  if (!watching.delete(ticket_id)) return;
  send({ type: 'unwatch', ticket_id });
}
