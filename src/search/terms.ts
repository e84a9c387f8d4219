// The one tokenizer: query terms, the postings, the FTS5 table and snippets split text alike (pure).

/** Letters, digits, marks, private-use characters and `_`; the FTS5 table's unicode61 categories say the same. */
export const TERM = /[\p{L}\p{N}\p{M}\p{Co}_]+/gu;
/** Longer words are cut to their first this-many code points. */
export const MAX_TERM_CHARS = 64;

/** Cut at a code point boundary (a cut surrogate pair would not survive SQLite's UTF-8). */
function cutTerm(word: string): string {
  return word.length <= MAX_TERM_CHARS ? word : Array.from(word).slice(0, MAX_TERM_CHARS).join('');
}

/** The terms of `text` in order, repeats included: the text lower-cased whole, then split (documents and queries alike). */
export function* terms(text: string): Generator<string> {
  for (const m of text.toLowerCase().matchAll(TERM)) yield cutTerm(m[0]);
}

export interface DocTerms {
  /** Tokens in title and text: BM25's document length. */
  len: number;
  /** Term → weighted frequency: a title occurrence counts `titleWeight`, a text occurrence 1. */
  tf: Map<string, number>;
}

/** One document's term frequencies over title and text. */
export function countDocTerms(title: string, text: string, titleWeight: number): DocTerms {
  const tf = new Map<string, number>();
  let len = 0;
  for (const [part, weight] of [[title, titleWeight], [text, 1]] as const) {
    for (const m of part.toLowerCase().matchAll(TERM)) {
      const term = cutTerm(m[0]);
      tf.set(term, (tf.get(term) ?? 0) + weight);
      len++;
    }
  }
  return { len, tf };
}
