// Turns any user text into its search terms and a safe FTS5 MATCH expression: words only, each quoted, OR-ed (pure).
import { terms as termsOf } from './terms.ts';

/** More terms than this add nothing to BM25 but cost time; a 100 KB paste keeps its first distinct terms. */
export const MAX_QUERY_TERMS = 64;

export interface FtsQuery {
  /** Distinct lower-cased terms, in first-seen order. */
  terms: string[];
  /** `"a" OR "b"`, or null when the text holds no searchable term. */
  match: string | null;
}

/** `"a" OR "b"` for terms of `buildFtsQuery`: each is only letters, digits, marks and _, so quoting makes a complete FTS5 string. */
export function renderMatch(terms: readonly string[]): string | null {
  return terms.length === 0 ? null : terms.map((t) => `"${t}"`).join(' OR ');
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
  for (const term of termsOf(scanned)) {
    if (seen.has(term)) continue;
    seen.add(term);
    terms.push(term);
    if (terms.length >= MAX_QUERY_TERMS) break;
  }
  return { terms, match: renderMatch(terms) };
}
