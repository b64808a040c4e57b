// Hash routing: `#/queue/mine`, `#/tickets/42`, `#/admin/users`, with an
// optional query after the path (`#/queue/open?type=incident&sort=-priority`)
// for what a screen wants kept in the address: filters and sort. The server
// serves index.html for any non-API path, so history routing would work too;
// the hash keeps deep links working with any static file server.

function parse(): { parts: string[]; query: URLSearchParams } {
  const raw = location.hash.replace(/^#\/?/, '');
  const q = raw.indexOf('?');
  const path = q >= 0 ? raw.slice(0, q) : raw;
  const parts = path.split('/').filter(Boolean).map((p) => {
    try {
      return decodeURIComponent(p);
    } catch {
      return p;
    }
  });
  return { parts, query: new URLSearchParams(q >= 0 ? raw.slice(q + 1) : '') };
}

export const route = $state<{ parts: string[]; query: URLSearchParams }>(parse());

window.addEventListener('hashchange', () => {
  const next = parse();
  route.parts = next.parts;
  route.query = next.query;
});

export function navigate(path: string): void {
  const target = '#' + (path.startsWith('/') ? path : '/' + path);
  if (location.hash === target) return;
  location.hash = target;
}

export function href(path: string): string {
  return '#' + (path.startsWith('/') ? path : '/' + path);
}

/** The current path with `query` (empty values left out), e.g. "/queue/open?type=incident". */
export function withQuery(path: string, query: Record<string, string>): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v) p.set(k, v);
  const s = p.toString();
  return s ? `${path}?${s}` : path;
}

/**
 * Puts a screen's state in the address without a new history entry (a
 * filter changed, a search typed): a reload or a shared link shows the same.
 */
export function replaceQuery(query: Record<string, string>): void {
  const raw = location.hash.replace(/^#\/?/, '');
  const q = raw.indexOf('?');
  const path = '/' + (q >= 0 ? raw.slice(0, q) : raw);
  const target = '#' + withQuery(path, query);
  if (location.hash === target) return;
  history.replaceState(history.state, '', target);
  route.query = parse().query;
}
