// Small previews of a ticket's raster images. The server sends every file
// as an attachment (never rendered from the desk's origin), so the preview
// is not an <img> on the file's address: the bytes are fetched with the
// session and shown from memory, and only for the raster types a browser
// decodes without running anything. The page's Content-Security-Policy
// allows `img-src 'self' data:` and not `blob:`, so the preview is a data:
// URL read from the fetched blob (URL.createObjectURL would be blocked).
import type { Attachment } from './types';

export const RASTER_TYPES = new Set(['image/png', 'image/jpeg', 'image/gif', 'image/webp']);

/** Larger images get no preview: their name and size say enough, and the page stays light. */
const MAX_PREVIEW_BYTES = 8 * 1024 * 1024;

const cache = new Map<number, Promise<string | null>>();

export function hasPreview(a: Attachment): boolean {
  return RASTER_TYPES.has(a.content_type) && a.size > 0 && a.size <= MAX_PREVIEW_BYTES;
}

/** A data: URL of the image, or null when there is none to show. */
export function preview(a: Attachment): Promise<string | null> {
  if (!hasPreview(a)) return Promise.resolve(null);
  let p = cache.get(a.id);
  if (!p) {
    p = load(a);
    cache.set(a.id, p);
    p.then((v) => v === null && cache.delete(a.id)); // a failure may be retried on the next view
  }
  return p;
}

async function load(a: Attachment): Promise<string | null> {
  try {
    const res = await fetch(a.url, { credentials: 'same-origin' });
    if (!res.ok) return null;
    const type = (res.headers.get('Content-Type') ?? '').split(';')[0].trim().toLowerCase();
    if (!RASTER_TYPES.has(type)) return null; // the server's word on what the bytes are wins
    const blob = await res.blob();
    return await new Promise<string | null>((resolve) => {
      const r = new FileReader();
      r.onload = () => resolve(typeof r.result === 'string' && r.result.startsWith(`data:${type};`) ? r.result : null);
      r.onerror = () => resolve(null);
      r.readAsDataURL(new Blob([blob], { type }));
    });
  } catch {
    return null;
  }
}
