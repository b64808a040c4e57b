// Single-key shortcuts. Screens push a layer of handlers while mounted; the
// newest layer wins. Keys typed into a text field never trigger shortcuts
// (except Escape, which leaves the field).

export type KeyMap = Record<string, (e: KeyboardEvent) => void>;

const layers: KeyMap[] = [];

/** Adds a layer; returns its removal (use as an $effect cleanup). */
export function useKeys(map: KeyMap): () => void {
  layers.push(map);
  return () => {
    const i = layers.lastIndexOf(map);
    if (i >= 0) layers.splice(i, 1);
  };
}

export function isEditable(el: EventTarget | null): boolean {
  if (!(el instanceof HTMLElement)) return false;
  if (el.isContentEditable) return true;
  if (el instanceof HTMLTextAreaElement || el instanceof HTMLSelectElement) return true;
  if (el instanceof HTMLInputElement) {
    return !['checkbox', 'radio', 'button', 'submit', 'reset'].includes(el.type);
  }
  return false;
}

export function handleKey(e: KeyboardEvent): void {
  if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey || e.isComposing) return;
  if (isEditable(e.target)) {
    if (e.key === 'Escape') (e.target as HTMLElement).blur();
    return;
  }
  const t = e.target;
  if ((e.key === 'Enter' || e.key === ' ') && t instanceof HTMLElement && t.closest('a,button,summary,input,label'))
    return;
  for (let i = layers.length - 1; i >= 0; --i) {
    const fn = layers[i][e.key];
    if (fn) {
      e.preventDefault();
      fn(e);
      return;
    }
  }
}
