// A short excerpt of a document around the query's terms, matched terms in [brackets] (pure).
import { TERM } from './terms.ts';

/** The window of `width` characters with the most distinct matched terms (earliest on ties), terms bracketed. */
export function buildSnippet(text: string, terms: readonly string[], width = 160): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  const wanted = new Set(terms.map((t) => t.toLowerCase()));
  const matches: Array<{ start: number; end: number; term: string }> = [];
  for (const m of flat.matchAll(TERM)) {
    const term = m[0].toLowerCase();
    if (wanted.has(term)) matches.push({ start: m.index, end: m.index + m[0].length, term });
  }
  if (matches.length === 0) return flat.length <= width ? flat : `${flat.slice(0, width)}…`;
  let bestStart = matches[0]?.start ?? 0;
  let bestCount = 0;
  for (let i = 0; i < matches.length; i++) {
    const from = matches[i]?.start ?? 0;
    const distinct = new Set<string>();
    for (let j = i; j < matches.length && (matches[j]?.end ?? 0) - from <= width; j++) distinct.add(matches[j]?.term ?? '');
    if (distinct.size > bestCount) {
      bestCount = distinct.size;
      bestStart = from;
    }
  }
  const start = Math.max(0, bestStart - Math.floor(width / 4));
  const end = Math.min(flat.length, start + width);
  let out = '';
  let at = start;
  for (const m of matches) {
    if (m.start < start || m.end > end) continue;
    out += flat.slice(at, m.start) + `[${flat.slice(m.start, m.end)}]`;
    at = m.end;
  }
  out += flat.slice(at, end);
  return `${start > 0 ? '…' : ''}${out}${end < flat.length ? '…' : ''}`;
}
