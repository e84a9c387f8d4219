// The vector side: exact inner-product scoring over typed arrays, and hnswlib-node loaded optionally for large sets.
import type { HierarchicalNSW } from 'hnswlib-node';

export interface ScoredId {
  id: number;
  score: number;
}

function dot(a: Float32Array, b: Float32Array): number {
  let s = 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) s += (a[i] ?? 0) * (b[i] ?? 0);
  return s;
}

/** The `k` highest inner products, best first; equal scores by ascending id so the order is total (pure). */
export function scoreExact(query: Float32Array, candidates: Iterable<{ id: number; vector: Float32Array }>, k: number): ScoredId[] {
  const top: ScoredId[] = [];
  const worse = (a: ScoredId, b: ScoredId) => a.score < b.score || (a.score === b.score && a.id > b.id);
  for (const c of candidates) {
    const hit = { id: c.id, score: dot(query, c.vector) };
    if (top.length === k && !worse(top[top.length - 1] as ScoredId, hit)) continue;
    let i = top.length;
    while (i > 0 && worse(top[i - 1] as ScoredId, hit)) i--;
    top.splice(i, 0, hit);
    if (top.length > k) top.pop();
  }
  return top;
}

export type HnswConstructor = typeof HierarchicalNSW;

export interface HnswStatus {
  available: boolean;
  /** Why it could not load (the native module missing or built for another runtime). */
  error: string | null;
}

let loaded: Promise<{ ctor: HnswConstructor | null; status: HnswStatus }> | null = null;

/** hnswlib-node, or null with the reason when its native module cannot load (search then scores exactly). */
export function loadHnsw(): Promise<{ ctor: HnswConstructor | null; status: HnswStatus }> {
  loaded ??= (async () => {
    try {
      const mod = await import('hnswlib-node');
      // Constructing one proves the native binding works, not just that the JS wrapper resolved.
      const probe = new mod.HierarchicalNSW('ip', 2);
      probe.initIndex(1);
      return { ctor: mod.HierarchicalNSW, status: { available: true, error: null } };
    } catch (error) {
      return { ctor: null, status: { available: false, error: error instanceof Error ? error.message.split('\n')[0] ?? error.message : String(error) } };
    }
  })();
  return loaded;
}

/** Graph parameters; a fixed seed makes the same inserts give the same graph. */
export const HNSW_PARAMS = { m: 16, ef_construction: 200, ef_search: 500, seed: 100 } as const;
