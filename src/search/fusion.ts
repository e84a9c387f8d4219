// Weighted reciprocal rank fusion of ranked lists (pure): score(d) = Σ w_i / (k + rank_i(d)).

export const RRF_K = 60;

export interface RankedList {
  name: string;
  weight: number;
  /** Document ids, best first. */
  ids: readonly string[];
}

export interface FusedHit {
  id: string;
  score: number;
  /** 1-based rank in each list that has the document. */
  ranks: Record<string, number>;
}

/** Fused hits, best first; equal scores fall back to doc id so the order never depends on input order. */
export function fuseRankings(lists: readonly RankedList[], k: number = RRF_K): FusedHit[] {
  const hits = new Map<string, FusedHit>();
  for (const list of lists) {
    if (list.weight <= 0) continue;
    list.ids.forEach((id, i) => {
      const hit = hits.get(id) ?? { id, score: 0, ranks: {} };
      if (hit.ranks[list.name] !== undefined) return; // a list names a document once; keep its best rank
      hit.ranks[list.name] = i + 1;
      hit.score += list.weight / (k + i + 1);
      hits.set(id, hit);
    });
  }
  return [...hits.values()].sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}
