// Helpers of the knowledge base screens: tags as typed, the letters a
// suggestion needs, and a version's line diff in blocks a person can read.
import type { DiffLine } from './types';

/** "impresora, red , impresora" -> ["impresora", "red"]. */
export function parseTags(text: string): string[] {
  const out: string[] = [];
  for (const raw of text.split(',')) {
    const tag = raw.trim();
    if (tag && !out.some((t) => t.toLowerCase() === tag.toLowerCase())) out.push(tag);
  }
  return out;
}

/** How many letters a text has (any script): suggestions start at three. */
export function letterCount(text: string): number {
  return text.match(/\p{L}/gu)?.length ?? 0;
}

export interface DiffRow {
  op: DiffLine['op'];
  text: string;
}

export type DiffBlock = { kind: 'lines'; rows: DiffRow[] } | { kind: 'skipped'; count: number };

/** Unchanged lines kept on each side of a change; longer unchanged runs fold. */
const CONTEXT = 2;

/** The diff's entries split into one row per line, long unchanged runs folded. */
export function diffBlocks(diff: DiffLine[]): DiffBlock[] {
  const rows: DiffRow[] = [];
  for (const d of diff) {
    const lines = d.text.split('\n');
    if (lines.length > 1 && lines[lines.length - 1] === '') lines.pop();
    for (const text of lines) rows.push({ op: d.op, text });
  }
  const blocks: DiffBlock[] = [];
  let lines: DiffRow[] = [];
  const flush = () => {
    if (lines.length) blocks.push({ kind: 'lines', rows: lines });
    lines = [];
  };
  let i = 0;
  while (i < rows.length) {
    if (rows[i].op !== 'equal') {
      lines.push(rows[i++]);
      continue;
    }
    let j = i;
    while (j < rows.length && rows[j].op === 'equal') j++;
    const run = rows.slice(i, j);
    const head = i === 0 ? 0 : CONTEXT; // context after the change before
    const tail = j === rows.length ? 0 : CONTEXT; // context before the next change
    if (run.length > head + tail + 1) {
      lines.push(...run.slice(0, head));
      flush();
      blocks.push({ kind: 'skipped', count: run.length - head - tail });
      lines.push(...run.slice(run.length - tail));
    } else lines.push(...run);
    i = j;
  }
  flush();
  return blocks;
}
