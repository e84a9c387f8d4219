// One hybrid query: BM25 and vector candidates, fused by weighted reciprocal rank, with snippets (deterministic).
import type { SearchConfig } from '../../schemas/config.ts';
import { DistillError } from '../errors.ts';
import type { DocKind } from './documents.ts';
import type { Embedder } from './embedders.ts';
import { buildFtsQuery } from './fts-query.ts';
import { fuseRankings, RRF_K } from './fusion.ts';
import type { KeywordSearchInfo, SearchFilters, SearchIndex, StoredDocument, VectorSearchInfo } from './search-index.ts';
import { buildSnippet } from './snippet.ts';

export interface SearchRequest {
  text: string;
  k: number;
  filters: SearchFilters;
}

export interface SearchHit {
  rank: number;
  doc_id: string;
  kind: DocKind;
  /** The fused RRF score. */
  score: number;
  /** 1-based rank in the keyword and vector lists (absent when that list did not have it). */
  ranks: { keyword?: number; vector?: number };
  title: string;
  snippet: string;
  run_id: string | null;
  category: string | null;
  task_type: string | null;
  models: string[];
  files: string[];
  /** The source commit it was distilled under (null for playbooks). */
  source_oid: string | null;
  committed_at: string | null;
  doc: StoredDocument;
}

export interface SearchResult {
  terms: string[];
  hits: SearchHit[];
  keyword: KeywordSearchInfo;
  vector: VectorSearchInfo;
}

/** The vector list's weight when the config leaves it null: the hashed embedder adds robustness, not meaning. */
export function vectorWeight(config: SearchConfig, embedder: Embedder): number {
  if (config.weights.vector !== null) return config.weights.vector;
  return embedder.key.startsWith('hashed-') ? 0.3 : 1;
}

/**
 * Whether a full keyword list bounds the vector list: a document only the vector list holds scores at most
 * w_v / (k + 1) in fusion; when that is below what the keyword list's n-th gets, w_k / (k + n), no such document
 * can reach the fused top n, and the vector list need only order the keyword list's documents.
 */
export function vectorListWithinKeywordList(config: SearchConfig, embedder: Embedder, n = config.candidates): boolean {
  return vectorWeight(config, embedder) / (RRF_K + 1) < config.weights.keyword / (RRF_K + n);
}

/** Longer queries than this are embedded by their start (an HTTP embedder has a context limit too). */
const MAX_EMBED_QUERY_CHARS = 8000;

export async function runSearch(index: SearchIndex, embedder: Embedder, request: SearchRequest, config: SearchConfig): Promise<SearchResult> {
  const fts = buildFtsQuery(request.text);
  if (fts.match === null) {
    throw new DistillError('E_USAGE', request.text.trim() === '' ? 'the query is empty' : `the query has no searchable words: ${JSON.stringify(request.text.slice(0, 80))}`, {
      hint: 'git distill query "retry backoff in src/x.ts"',
    });
  }
  const n = Math.max(config.candidates, request.k);
  const { hits: keyword, info: keywordInfo } = index.keywordSearch(fts.terms, request.filters, n);
  const [queryVector] = await embedder.embed([request.text.slice(0, MAX_EMBED_QUERY_CHARS)]);
  const weights = { keyword: config.weights.keyword, vector: vectorWeight(config, embedder) };
  const vector =
    keyword.length >= n && vectorListWithinKeywordList(config, embedder, n)
      ? index.vectorSearchAmong(embedder.key, queryVector as Float32Array, keyword, n)
      : await index.vectorSearch(embedder.key, queryVector as Float32Array, request.filters, n, config.exact_max);
  const docIds = new Map<number, string>(keyword.map((d) => [d.id, d.doc_id]));
  for (const [id, docId] of index.docIdsOf(vector.hits.map((h) => h.id).filter((id) => !docIds.has(id)))) docIds.set(id, docId);
  // Equal vectors (the same text in two documents) are ordered by doc_id, not by row id: a rebuilt index numbers rows differently.
  const vectorIds = vector.hits
    .map((h) => ({ score: h.score, doc_id: docIds.get(h.id) }))
    .filter((x): x is { score: number; doc_id: string } => x.doc_id !== undefined)
    .sort((a, b) => b.score - a.score || (a.doc_id < b.doc_id ? -1 : a.doc_id > b.doc_id ? 1 : 0))
    .map((x) => x.doc_id);
  const fused = fuseRankings(
    [
      { name: 'keyword', weight: weights.keyword, ids: keyword.map((d) => d.doc_id) },
      { name: 'vector', weight: weights.vector, ids: vectorIds },
    ],
    RRF_K,
  );
  // Whole documents (text, facts) only for the hits returned.
  const top = fused.slice(0, request.k);
  const rowOf = new Map([...docIds].map(([id, docId]) => [docId, id]));
  const docs = index.documentsByIds(top.map((f) => rowOf.get(f.id) as number));
  const hits: SearchHit[] = [];
  for (const f of top) {
    const d = docs.get(rowOf.get(f.id) as number);
    if (d === undefined) continue;
    hits.push({
      rank: hits.length + 1,
      doc_id: d.doc_id,
      kind: d.kind,
      score: Number(f.score.toFixed(8)),
      ranks: f.ranks,
      title: d.title,
      snippet: buildSnippet(d.text, fts.terms),
      run_id: d.run_id,
      category: d.category,
      task_type: d.task_type,
      models: d.models,
      files: d.files,
      source_oid: d.source_oid,
      committed_at: d.committed_at,
      doc: d,
    });
  }
  return { terms: fts.terms, hits, keyword: keywordInfo, vector: vector.info };
}
