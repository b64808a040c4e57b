// Hash routing: `#/queue/mine`, `#/tickets/42`, `#/admin/users`. The server
// serves index.html for any non-API path, so history routing would work too;
// the hash keeps deep links working with any static file server.

function current(): string[] {
  const raw = location.hash.replace(/^#\/?/, '').split('?')[0];
  return raw.split('/').filter(Boolean).map(decodeURIComponent);
}

export const route = $state<{ parts: string[] }>({ parts: current() });

window.addEventListener('hashchange', () => {
  route.parts = current();
});

export function navigate(path: string): void {
  const target = '#' + (path.startsWith('/') ? path : '/' + path);
  if (location.hash === target) return;
  location.hash = target;
}

export function href(path: string): string {
  return '#' + (path.startsWith('/') ? path : '/' + path);
}
