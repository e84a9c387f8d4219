// BM25 over impact-ordered postings cut to each term's best documents (champion lists, Manning et al. ch. 7), pure:
// the weights, the per-document term record, and a ranking that reads a bounded number of postings and says when
// it is provably the same as scoring every document.
import { sha256Hex } from '../canonical.ts';

export const BM25_K1 = 1.2;
export const BM25_B = 0.75;
/** A title occurrence counts this many text occurrences (as FTS5's bm25 column weight did). */
export const TITLE_WEIGHT = 2;
/**
 * The length BM25 normalizes against. A constant, not the collection's running average: then a document's
 * weight for a term depends on that document alone, so each term's list is ordered once, an incremental index
 * and a rebuilt one hold the same lists, and a bound read off one list holds for every document not in it.
 * 256 tokens sits between the auditor loop's short records and capped session transcripts (~1,000).
 */
export const PIVOT_LEN = 256;

export interface ListParams {
  /** Postings a query reads in all, shared among its terms (a term's list: its best documents by weight)... */
  read_budget: number;
  /** ...and at most this many from one term. */
  read_max: number;
  /** Postings kept per term; the slack past read_max absorbs deletions before a list must be rebuilt. */
  kept: number;
  /** Documents a query scores in full (from their term records), at most; past this the ranking is approximate. */
  max_scored: number;
}

/** The index's list sizes (tests shrink them to reach cut lists with a few documents). */
export const LIST_PARAMS: ListParams = { read_budget: 8192, read_max: 2048, kept: 2560, max_scored: 256 };

/** How deep a query of `terms` index terms reads each list. */
export function readDepth(terms: number, params: ListParams): number {
  return Math.max(1, Math.min(params.read_max, Math.floor(params.read_budget / Math.max(1, terms))));
}

/** A term's weight in one document: BM25's saturated, length-normalized frequency. */
export function termImpact(tf: number, len: number): number {
  return (tf * (BM25_K1 + 1)) / (tf + BM25_K1 * (1 - BM25_B + (BM25_B * len) / PIVOT_LEN));
}

/** Inverse document frequency, always positive (Lucene's form): a term in every document still counts a little. */
export function termIdf(df: number, docs: number): number {
  return Math.log(1 + (docs - df + 0.5) / (df + 0.5));
}

/** A document's place among equal weights: 52 bits of sha256(doc_id), the same in every index that holds it. */
export function docTie(docId: string): number {
  return Number.parseInt(sha256Hex(docId).slice(0, 13), 16);
}

// ---- the per-document term record: sorted term ids and their weighted frequencies ----

/** `u32 n, u32 ids[n] ascending, u16 tf[n]`, little-endian. */
export function encodeTermRecord(entries: ReadonlyArray<readonly [number, number]>): Uint8Array {
  const sorted = [...entries].sort((a, b) => a[0] - b[0]);
  const bytes = new Uint8Array(4 + sorted.length * 6);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, sorted.length, true);
  sorted.forEach(([id, tf], i) => {
    view.setUint32(4 + i * 4, id, true);
    view.setUint16(4 + sorted.length * 4 + i * 2, Math.min(tf, 0xffff), true);
  });
  return bytes;
}

function viewOf(record: Uint8Array): DataView {
  return new DataView(record.buffer, record.byteOffset, record.byteLength);
}

/** Every (term id, tf) of a record, ids ascending. */
export function decodeTermRecord(record: Uint8Array): Array<[number, number]> {
  const view = viewOf(record);
  const n = view.getUint32(0, true);
  return Array.from({ length: n }, (_, i) => [view.getUint32(4 + i * 4, true), view.getUint16(4 + n * 4 + i * 2, true)]);
}

/** The weighted frequency of one term id in a record (binary search), 0 when absent. */
export function recordTf(record: Uint8Array, id: number): number {
  const view = viewOf(record);
  return findTf(view, view.getUint32(0, true), id);
}

function findTf(view: DataView, n: number, id: number): number {
  let lo = 0;
  let hi = n - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const at = view.getUint32(4 + mid * 4, true);
    if (at === id) return view.getUint16(4 + n * 4 + mid * 2, true);
    if (at < id) lo = mid + 1;
    else hi = mid - 1;
  }
  return 0;
}

// ---- ranking over bounded lists ----

export interface Posting {
  doc: number;
  impact: number;
  tie: number;
}

export interface QueryList {
  /** The term's id (what term records hold). */
  term: number;
  idf: number;
  /** The term's best postings, weight descending (then tie ascending), as deep as the query reads. */
  postings: readonly Posting[];
  /** The term's document frequency: when it exceeds postings.length, documents outside the list may hold the term. */
  df: number;
}

export interface TermRecordRow {
  len: number;
  record: Uint8Array;
}

export interface BoundedRanking {
  /** Every document scored in full, with its BM25 score, unordered: the top n are among them. */
  scored: Array<{ doc: number; score: number }>;
  /**
   * True when no document outside `scored` can score above the n-th of `scored`: the top n equal scoring every
   * document. False when a truncated list leaves room for an unseen document, or the scoring budget ran out.
   */
  exact: boolean;
  /** Candidate documents seen in the lists (scored or not). */
  candidates: number;
}

/** The full BM25 score of one document for the query's lists (terms in query order, so the float sum is reproducible). */
export function scoreRecord(lists: readonly QueryList[], row: TermRecordRow): number {
  const view = viewOf(row.record);
  const n = view.getUint32(0, true);
  let score = 0;
  for (const l of lists) {
    const tf = findTf(view, n, l.term);
    if (tf > 0) score += l.idf * termImpact(tf, row.len);
  }
  return score;
}

/**
 * The top `n` by BM25 from each term's best postings (a threshold algorithm over impact-ordered lists). Every
 * document in some list gets a lower bound (its weights where seen) and an upper bound (plus, for each cut list
 * that did not show it, that list's last weight). Candidates are scored in full from their term records, best
 * lower bound first (under a budget, the likeliest winners go first), until the n-th full score beats the upper
 * bound of every candidate left, or `maxScored` are scored. A document in no list scores at most the sum of
 * the cut lists' last weights: when the n-th score beats that too, the result is exact. `readRecords` returns
 * the term records of the asked documents (one it lacks is left out).
 */
export function rankBounded(
  lists: readonly QueryList[],
  n: number,
  readRecords: (docs: number[]) => Map<number, TermRecordRow>,
  maxScored: number,
): BoundedRanking {
  // Per cut list, the most a document outside its postings can get from that term.
  const bound = lists.map((l) => (l.df > l.postings.length && l.postings.length > 0 ? l.idf * (l.postings[l.postings.length - 1] as Posting).impact : 0));
  // A list cut to nothing (df > 0, no postings read) cannot bound anything: the ranking cannot be exact.
  const unbounded = lists.some((l) => l.df > 0 && l.postings.length === 0);
  const unseen = bound.reduce((a, b) => a + b, 0);
  const cands = new Map<number, { doc: number; tie: number; lower: number; upper: number }>();
  for (let i = 0; i < lists.length; i++) {
    const l = lists[i] as QueryList;
    const slack = bound[i] as number;
    for (const p of l.postings) {
      const w = l.idf * p.impact;
      const c = cands.get(p.doc);
      if (c === undefined) cands.set(p.doc, { doc: p.doc, tie: p.tie, lower: w, upper: unseen + w - slack });
      else {
        c.lower += w;
        c.upper += w - slack;
      }
    }
  }
  const order = [...cands.values()].sort((a, b) => b.lower - a.lower || a.tie - b.tie || a.doc - b.doc);
  // restUpper[i]: the highest upper bound among order[i..] (what the candidates not yet scored could reach).
  const restUpper = new Float64Array(order.length + 1).fill(-Infinity);
  for (let i = order.length - 1; i >= 0; i--) restUpper[i] = Math.max(restUpper[i + 1] as number, (order[i] as { upper: number }).upper);
  const scored: Array<{ doc: number; score: number }> = [];
  // The n-th best full score so far (kept sorted descending; n is small).
  const best: number[] = [];
  const nth = () => (best.length >= n ? (best[n - 1] as number) : -Infinity);
  const BATCH = 64;
  // Bounds and full scores are float sums in different orders: a hair of slack keeps a rounding error from cutting a tie.
  const above = (score: number, limit: number) => score > limit + Math.abs(limit) * 1e-12;
  let i = 0;
  let capped = false;
  while (i < order.length) {
    // Stop when no remaining candidate can reach the n-th score (strictly: an equal score could still win on doc_id).
    if (best.length >= n && above(nth(), restUpper[i] as number)) break;
    if (scored.length >= maxScored) {
      capped = true;
      break;
    }
    const batch = order.slice(i, Math.min(order.length, i + BATCH, i + maxScored - scored.length));
    i += batch.length;
    const rows = readRecords(batch.map((c) => c.doc));
    for (const c of batch) {
      const row = rows.get(c.doc);
      if (row === undefined) continue;
      const score = scoreRecord(lists, row);
      scored.push({ doc: c.doc, score });
      let at = Math.min(best.length, n);
      while (at > 0 && (best[at - 1] as number) < score) at--;
      if (at < n) {
        best.splice(at, 0, score);
        if (best.length > n) best.pop();
      }
    }
  }
  // Exact: nothing left unscored could reach the n-th score, neither a listed candidate nor an unlisted document.
  const exact = !capped && !unbounded && (best.length >= n ? above(nth(), Math.max(restUpper[i] as number, unseen)) : i === order.length && unseen === 0);
  return { scored, exact, candidates: cands.size };
}
