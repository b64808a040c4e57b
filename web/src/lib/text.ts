// User text on screen: what people typed is shown as text, never as markup
// (Svelte escapes it), with two more rules. Bidirectional overrides and
// isolates (U+202A-U+202E, U+2066-U+2069) are dropped, so a subject cannot
// show "gpj.exe" as "exe.jpg" or reorder what follows it; the text is also
// set in a <bdi> by UserText.svelte. And links: only http, https and mailto
// become clickable, opening apart from the desk (noopener noreferrer).

const BIDI_CONTROLS = /[\u202A-\u202E\u2066-\u2069]/g;

/** The text without bidirectional override or isolate characters. */
export function clean(text: string | null | undefined): string {
  return (text ?? '').replace(BIDI_CONTROLS, '');
}

export type Segment = { text: string; href?: undefined } | { text: string; href: string };

// A run that starts like a link and goes on to the next space or angle bracket.
const LINK = /\b(?:https?:\/\/|mailto:)[^\s<>"]+/gi;
// What usually follows a link in a sentence rather than belonging to it.
const TRAILING = /[.,;:!?)\]}'»”]+$/;

/** Splits text into plain runs and links (http, https, mailto only). */
export function linkify(text: string): Segment[] {
  const out: Segment[] = [];
  let last = 0;
  for (const m of text.matchAll(LINK)) {
    let raw = m[0];
    const start = m.index ?? 0;
    const trail = TRAILING.exec(raw);
    // Keep a closing parenthesis that closes one opened inside the link.
    if (trail) {
      let cut = trail[0];
      if (cut.startsWith(')') && (raw.match(/\(/g)?.length ?? 0) > (raw.slice(0, -cut.length).match(/\)/g)?.length ?? 0))
        cut = cut.slice(1);
      if (cut) raw = raw.slice(0, raw.length - cut.length);
    }
    const href = safeHref(raw);
    if (!href) continue;
    if (start > last) out.push({ text: text.slice(last, start) });
    out.push({ text: raw, href });
    last = start + raw.length;
  }
  if (last < text.length) out.push({ text: text.slice(last) });
  return out;
}

/** The link if it is an http(s) or mailto URL the browser parses, else null. */
export function safeHref(raw: string): string | null {
  try {
    const u = new URL(raw);
    if (u.protocol === 'http:' || u.protocol === 'https:') return u.href;
    if (u.protocol === 'mailto:' && raw.length > 7) return raw;
    return null;
  } catch {
    return null;
  }
}
