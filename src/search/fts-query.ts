// Turns any user text into a safe FTS5 MATCH expression: words only, each quoted, OR-ed (pure).

/** More terms than this add nothing to BM25 but cost time; a 100 KB paste keeps its first distinct terms. */
export const MAX_QUERY_TERMS = 64;
/** FTS5's unicode61 tokenizer splits on anything that is not a letter, digit or the like; so do we. */
const TERM = /[\p{L}\p{N}\p{M}_]+/gu;
const MAX_TERM_CHARS = 64;

export interface FtsQuery {
  /** Distinct lower-cased terms, in first-seen order. */
  terms: string[];
  /** `"a" OR "b"`, or null when the text holds no searchable term. */
  match: string | null;
}

/**
 * Words of `text` as FTS5 string literals joined with OR. Operators (`*`, `NEAR(`, `-`, `:`, `^`, quotes,
 * AND/OR/NOT) become plain words or vanish, so no input can be an FTS5 or SQL syntax error.
 */
export function buildFtsQuery(text: string): FtsQuery {
  const terms: string[] = [];
  const seen = new Set<string>();
  // Scan a bounded prefix: the first MAX_QUERY_TERMS distinct words are all we keep anyway.
  const scanned = text.length > 200_000 ? text.slice(0, 200_000) : text;
  for (const m of scanned.matchAll(TERM)) {
    const term = m[0].toLowerCase().slice(0, MAX_TERM_CHARS);
    if (seen.has(term)) continue;
    seen.add(term);
    terms.push(term);
    if (terms.length >= MAX_QUERY_TERMS) break;
  }
  // A term is only letters, digits and _, so wrapping it in double quotes is a complete FTS5 string.
  return { terms, match: terms.length === 0 ? null : terms.map((t) => `"${t}"`).join(' OR ') };
}
