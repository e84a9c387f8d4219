// bench/search: kb_query retrieval quality on planted histories, and query latency / vector recall at two index sizes, side by side.
//
//   node_modules/.bin/bun bench/search.ts [--sizes 10000,100000] [--queries 60] [--cases 60] [--seed 7] [--filler 0,100000]
//                                        [--ef 100,500,2000] [--parts eval,scale] [--index-dir DIR] [--max-scored 256] [--json]
//
// (a) eval: generatePlantedHistory → the auditor-loop JSONL is read by the real `git-distill ingest` (adapters,
//     redaction, scoring) → evidence and scores cut into commit folders → the search index → per labelled PR,
//     the kb_query runner's snapshot and the pure check; the planted run's rank among the findings gives
//     recall@5 and MRR. A "newest rejection on the file first" ordering is printed beside it for reference.
//     With --filler N the same index also holds N runs on other files in the planted runs' own words.
// (b) scale: synthetic documents at each size in their own index; the same queries alternate between sizes.
//     Two phases, each with one worker process per size: the vector reference (HNSW, brute force), then the
//     product's queries in processes that hold only the index, as one `git distill query` process does.
//     Columns: the product's query (BM25 + vectors + fusion, default config), BM25 alone (bounded lists), BM25
//     scoring every match (the exhaustive path), the HNSW graph, and an exact brute-force scan over every vector
//     held in one Float32Array; the bounded BM25's overlap with the exhaustive one, and HNSW's recall@10
//     against that scan; with --ef, HNSW's recall@10 and p50 at each ef_search.
import { existsSync, mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { buildDiffQuery, parseUnifiedDiff, runKbQuery } from '../checks/kb-query.ts';
import { defaultConfig } from '../schemas/config.ts';
import { sha256Hex } from '../src/canonical.ts';
import { buildKbQuerySnapshot } from '../src/checks/runners/kb-query.ts';
import { buildCommitDocuments, DOC_KINDS, type IndexDocument } from '../src/search/documents.ts';
import { createHashedEmbedder } from '../src/search/embedders.ts';
import { buildFtsQuery } from '../src/search/fts-query.ts';
import { runSearch } from '../src/search/search.ts';
import { SearchIndex } from '../src/search/search-index.ts';
import { LIST_PARAMS } from '../src/search/bm25.ts';
import { HNSW_PARAMS, loadHnsw, scoreExact, type ScoredId } from '../src/search/vectors.ts';
import { DEFAULT_PLANTED, generateFiller, generatePlantedHistory, type FillerRun } from './gen-planted-history.ts';

const ROOT = resolve(import.meta.dir, '..');
const args = process.argv.slice(2);
const flag = (name: string, fallback: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? (args[i + 1] ?? fallback) : fallback;
};
const asJson = args.includes('--json');
const sizes = flag('sizes', '10000,100000').split(',').map(Number);
const queriesN = Number(flag('queries', '60'));
const parts = flag('parts', 'eval,scale').split(',');
const seed = Number(flag('seed', '7'));
const casesN = Number(flag('cases', String(DEFAULT_PLANTED.cases)));
const fillers = flag('filler', '0').split(',').map(Number);
const efs = args.includes('--ef') ? flag('ef', '').split(',').map(Number) : [];
/** Keep the scale indexes here and reuse them on the next run (a million records take ~50 minutes to build). */
const indexDir = args.includes('--index-dir') ? resolve(flag('index-dir', '')) : null;
/** Score at most this many documents per bounded keyword ranking (LIST_PARAMS.max_scored; read-time only, no rebuild). */
const maxScored = Number(flag('max-scored', String(LIST_PARAMS.max_scored)));
/** Internal: this process is the worker of one size (see worker()), in one role. */
const workerSize = args.includes('--worker') ? Number(flag('worker', '')) : null;
const workerRole = flag('role', 'query') as WorkerRole;
const log = (s: string) => process.stderr.write(`${s}\n`);
const work = mkdtempSync(join(tmpdir(), 'gd-bench-search-'));
const report: Record<string, unknown> = { date: new Date().toISOString(), machine: machine() };

function machine(): string {
  const os = require('node:os') as typeof import('node:os');
  return `${os.cpus()[0]?.model ?? 'cpu'} ×${os.cpus().length}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${os.platform()} ${os.release()}, Bun ${Bun.version}`;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s.length % 2 === 1 ? (s[(s.length - 1) / 2] as number) : ((s[s.length / 2 - 1] as number) + (s[s.length / 2] as number)) / 2;
};
const fmt = (x: number, d = 2) => (Number.isFinite(x) ? x.toFixed(d) : 'n/a');

// ---- (a) retrieval evaluation ----------------------------------------------------------------------------

async function evaluate(): Promise<void> {
  const history = generatePlantedHistory({ ...DEFAULT_PLANTED, seed, cases: casesN });
  const logs = join(work, 'planted', 'data', '_kb');
  mkdirSync(logs, { recursive: true });
  for (const [name, text] of history.streams) writeFileSync(join(logs, name), text);
  const out = join(work, 'planted-out');
  log(`eval: ${history.runs} runs, ${history.cases.length} planted cases; ingesting with bin/git-distill ingest`);
  const proc = Bun.spawnSync([join(ROOT, 'bin', 'git-distill'), 'ingest', logs, '--out', out, '--json', '--recorded-at', '2025-04-01T00:00:00Z'], { stdout: 'pipe', stderr: 'pipe' });
  if (proc.exitCode !== 0) throw new Error(`ingest failed: ${proc.stderr.toString()}`);
  // Cut evidence and scores into one folder per commit, as `git distill run` would have stored them.
  const byCommit = new Map<number, { evidence: string[]; scored: string[] }>();
  const slot = (runId: string) => {
    const c = history.run_commit.get(runId) ?? 0;
    const s = byCommit.get(c) ?? { evidence: [], scored: [] };
    byCommit.set(c, s);
    return s;
  };
  for (const line of readFileSync(join(out, 'evidence.jsonl'), 'utf8').split('\n')) if (line !== '') slot(JSON.parse(line).run_id).evidence.push(line);
  for (const line of readFileSync(join(out, 'scored.jsonl'), 'utf8').split('\n')) if (line !== '') slot(JSON.parse(line).run_id).scored.push(line);
  const enc = new TextEncoder();
  const planted: IndexDocument[] = [];
  for (const [c, s] of [...byCommit].sort((a, b) => a[0] - b[0])) {
    const oid = sha256Hex(`commit ${c}`).slice(0, 40);
    const committedAt = new Date(Date.parse('2025-03-01T00:00:00Z') + c * 3_600_000).toISOString();
    const files = new Map([
      ['evidence.jsonl', enc.encode(s.evidence.join('\n') + '\n')],
      ['scored.jsonl', enc.encode(s.scored.join('\n') + '\n')],
    ]);
    planted.push(...buildCommitDocuments(oid, files).map((d) => ({ ...d, committed_at: committedAt })));
  }
  const rows: Array<Record<string, unknown>> = [];
  for (const filler of fillers) rows.push(await evaluateWith(history, planted, filler));
  report.eval = rows;
  if (!asJson) {
    console.log(`\n(a) kb_query on planted histories: ${history.runs} runs ingested → ${planted.length} documents, ${history.cases.length} labelled PRs (seed ${seed})\n`);
    console.log('| ordering | filler runs | documents | recall@1 | recall@5 | MRR | kb_query searches ranked exactly |');
    console.log('|---|---|---|---|---|---|---|');
    for (const r of rows as Array<ReturnType<typeof evalRow>>) {
      const f = r.filler.toLocaleString('en-US');
      const d = r.documents.toLocaleString('en-US');
      console.log(`| kb_query (all cases) | ${f} | ${d} | ${fmt(r.kb_query.recall_at_1)} | ${fmt(r.kb_query.recall_at_5)} | ${fmt(r.kb_query.mrr)} | ${r.exact_searches}/${r.cases} |`);
      console.log(`| kb_query, PR names it literally (${r.kb_query_literal.cases}) | ${f} | ${d} | | ${fmt(r.kb_query_literal.recall_at_5)} | ${fmt(r.kb_query_literal.mrr)} | |`);
      console.log(`| kb_query, PR names it in other words (${r.kb_query_paraphrased.cases}) | ${f} | ${d} | | ${fmt(r.kb_query_paraphrased.recall_at_5)} | ${fmt(r.kb_query_paraphrased.mrr)} | |`);
      console.log(`| newest rejection on the file first (reference) | ${f} | ${d} | | ${fmt(r.newest_rejection_first.recall_at_5)} | ${fmt(r.newest_rejection_first.mrr)} | |`);
    }
    console.log('\nThe planted run in the diff query\'s keyword list alone (BM25, first 100):\n');
    console.log('| filler runs | bounded lists recall@10 | @100 | MRR | every match scored recall@10 | @100 | MRR |');
    console.log('|---|---|---|---|---|---|---|');
    for (const r of rows as Array<ReturnType<typeof evalRow>>) {
      const b = r.keyword_bounded;
      const f = r.keyword_every_match;
      console.log(`| ${r.filler.toLocaleString('en-US')} | ${fmt(b.recall_at_10)} | ${fmt(b.recall_at_100)} | ${fmt(b.mrr)} | ${fmt(f.recall_at_10)} | ${fmt(f.recall_at_100)} | ${fmt(f.mrr)} |`);
    }
    console.log(`\ntarget recall@5 ≥ 0.9: ${rows.every((r) => (r as ReturnType<typeof evalRow>).kb_query.recall_at_5 >= 0.9) ? 'met' : 'NOT met'}`);
  }
}

/** Filler runs as the index holds a run: its evidence document, and a failure document when it was rejected. */
function fillerDocuments(runs: readonly FillerRun[]): IndexDocument[] {
  const docs: IndexDocument[] = [];
  runs.forEach((r, i) => {
    const oid = sha256Hex(`filler commit ${Math.floor(i / 8)}`).slice(0, 40);
    const category = r.rejected ? 'rejected' : 'accepted';
    const facts = { reasons: r.reason === null ? [] : [r.reason], failure_markers: [], override_reason: r.reason, failed_validations: [] };
    const base = { source_oid: oid, committed_at: '2025-02-01T00:00:00.000Z', run_id: r.run_id, category, task_type: 'scrum_review', models: ['kimi-k2:1t'], files: [r.file], facts };
    const evidenceText = ['scrum_review', r.file, r.text, ...(r.reason === null ? [] : [`human reject: ${r.reason}`])].join('\n');
    docs.push({ ...base, doc_id: `evidence:${oid}:${r.run_id}`, kind: 'evidence', title: `${category} scrum_review ${r.run_id} on ${r.file}`, text: evidenceText, content_hash: sha256Hex(evidenceText) });
    if (r.reason !== null) {
      const failureText = `${r.file}\nrejected by a person: ${r.reason}`;
      docs.push({ ...base, doc_id: `failure:${oid}:${r.run_id}`, kind: 'failure', title: `rejected scrum_review ${r.run_id} on ${r.file}`, text: failureText, content_hash: sha256Hex(failureText) });
    }
  });
  return docs;
}

function evalRow(filler: number, documents: number, cases: number, ranks: number[], literal: number[], paraphrased: number[], baseline: number[], exactSearches: number, keyword: { bounded: number[]; full: number[] }) {
  const recall = (rs: number[], k: number) => rs.filter((r) => r <= k).length / Math.max(1, rs.length);
  const mrr = (rs: number[]) => rs.reduce((s, r) => s + (Number.isFinite(r) ? 1 / r : 0), 0) / Math.max(1, rs.length);
  return {
    filler,
    documents,
    cases,
    kb_query: { recall_at_1: recall(ranks, 1), recall_at_5: recall(ranks, 5), mrr: mrr(ranks) },
    kb_query_literal: { cases: literal.length, recall_at_5: recall(literal, 5), mrr: mrr(literal) },
    kb_query_paraphrased: { cases: paraphrased.length, recall_at_5: recall(paraphrased, 5), mrr: mrr(paraphrased) },
    newest_rejection_first: { recall_at_5: recall(baseline, 5), mrr: mrr(baseline) },
    exact_searches: exactSearches,
    // The planted run's place in the diff query's keyword list alone: bounded lists vs scoring every match.
    keyword_bounded: { recall_at_10: recall(keyword.bounded, 10), recall_at_100: recall(keyword.bounded, 100), mrr: mrr(keyword.bounded) },
    keyword_every_match: { recall_at_10: recall(keyword.full, 10), recall_at_100: recall(keyword.full, 100), mrr: mrr(keyword.full) },
    target_recall_at_5: 0.9,
  };
}

async function evaluateWith(history: ReturnType<typeof generatePlantedHistory>, planted: readonly IndexDocument[], filler: number): Promise<ReturnType<typeof evalRow>> {
  const index = SearchIndex.open({ path: join(work, `planted-${filler}.sqlite`), lists: { ...LIST_PARAMS, max_scored: maxScored } });
  const embedder = createHashedEmbedder(256);
  index.transaction(() => index.addDocuments(planted));
  const runs = generateFiller(filler, seed);
  for (let i = 0; i < runs.length; i += 10_000) index.transaction(() => index.addDocuments(fillerDocuments(runs.slice(i, i + 10_000))));
  await index.embedMissing(embedder, { batch: 5000 });
  log(`eval: ${index.count()} documents indexed (${filler} filler runs)`);
  const config = defaultConfig();
  const ranks: number[] = [];
  const baseline: number[] = [];
  const byKind = { literal: [] as number[], paraphrased: [] as number[] };
  let exactSearches = 0;
  const keyword = { bounded: [] as number[], full: [] as number[] };
  const rankOf = (hits: ReadonlyArray<{ doc_id: string }>, runId: string) => {
    const at = hits.findIndex((h) => h.doc_id.endsWith(`:${runId}`));
    return at < 0 ? Infinity : at + 1;
  };
  for (const c of history.cases) {
    const changes = parseUnifiedDiff(c.diff);
    const terms = buildFtsQuery(buildDiffQuery(changes)).terms;
    keyword.bounded.push(rankOf(index.keywordSearch(terms, {}, 100).hits, c.planted_run_id));
    keyword.full.push(rankOf(index.keywordSearch(terms, { kinds: DOC_KINDS }, 100).hits, c.planted_run_id));
    const snapshot = await buildKbQuerySnapshot({ index, embedder }, config, { base_oid: null, head_oid: '0'.repeat(40) }, changes);
    // The runner's own search, asked again to see how its keyword list was ranked.
    if ((await runSearch(index, embedder, { text: buildDiffQuery(changes), k: Math.max(100, config.search.candidates), filters: {} }, config.search)).keyword.exact) exactSearches++;
    const findings = runKbQuery(snapshot);
    const at = findings.findIndex((f) => f.evidence.some((e) => e.lookup === `run ${c.planted_run_id}`));
    const rank = at < 0 ? Infinity : at + 1;
    ranks.push(rank);
    (c.paraphrased ? byKind.paraphrased : byKind.literal).push(rank);
    const rejected = snapshot.past_runs.filter((r) => r.files.includes(c.file) && r.category === 'rejected').sort((a, b) => ((b.committed_at ?? '') < (a.committed_at ?? '') ? -1 : (b.committed_at ?? '') > (a.committed_at ?? '') ? 1 : a.run_id < b.run_id ? -1 : 1));
    const b = rejected.findIndex((r) => r.run_id === c.planted_run_id);
    baseline.push(b < 0 ? Infinity : b + 1);
  }
  const documents = index.count();
  index.close();
  return evalRow(filler, documents, history.cases.length, ranks, byKind.literal, byKind.paraphrased, baseline, exactSearches, keyword);
}

// ---- (b) scale --------------------------------------------------------------------------------------------

function mulberry32(s: number): () => number {
  let a = s >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const VOCAB = (() => {
  const rnd = mulberry32(99);
  const syll = ['ka', 'to', 're', 'mi', 'su', 'no', 'la', 'vi', 'do', 'pe', 'ra', 'chi', 'en', 'or', 'ul', 'an', 'is', 'et'];
  const words = new Set<string>();
  while (words.size < 5000) {
    let w = '';
    const n = 2 + Math.floor(rnd() * 3);
    for (let i = 0; i < n; i++) w += syll[Math.floor(rnd() * syll.length)];
    words.add(w);
  }
  return [...words];
})();

/** A Zipf-ish word: a few words are everywhere, most are rare, as in agent logs. */
function zipfWord(rnd: () => number): string {
  const i = Math.min(VOCAB.length - 1, Math.floor(VOCAB.length * rnd() ** 3));
  return VOCAB[i] as string;
}

function syntheticDoc(i: number, rnd: () => number): IndexDocument {
  const words = Array.from({ length: 30 + Math.floor(rnd() * 40) }, () => zipfWord(rnd));
  const file = `src/${zipfWord(rnd)}/${zipfWord(rnd)}.ts`;
  const text = `${file} ${words.join(' ')}`;
  const kinds = ['evidence', 'failure', 'lesson', 'evidence'] as const;
  return {
    doc_id: `evidence:${String(i).padStart(8, '0')}`,
    kind: kinds[i % kinds.length] as IndexDocument['kind'],
    source_oid: sha256Hex(`c${Math.floor(i / 100)}`).slice(0, 40),
    committed_at: '2025-01-01T00:00:00.000Z',
    run_id: `run-${i}`,
    category: ['accepted', 'rejected', 'partially_accepted', 'needs_human_review'][i % 4] as string,
    task_type: ['scrum_review', 'patch', 'audit'][i % 3] as string,
    models: [['kimi-k2:1t', 'gpt-oss:120b', 'qwen3-coder:480b'][i % 3] as string],
    files: [file],
    title: `run ${i}`,
    text,
    facts: null,
    content_hash: sha256Hex(text),
  };
}

interface Sized {
  n: number;
  index: SearchIndex;
  /** Every vector, for the brute-force column (empty unless asked for). */
  matrix: Float32Array;
  ids: Int32Array;
  build: { fts_s: number; embed_s: number; hnsw_s: number; reused: boolean };
}

/** Build the index of `n` synthetic documents at `path` (or reuse a complete one); with `holdVectors`, hold every vector for the brute-force column. */
async function buildSized(n: number, path: string, embedderDim: number, holdVectors: boolean): Promise<Sized> {
  const index = SearchIndex.open({ path, lists: { ...LIST_PARAMS, max_scored: maxScored } });
  const embedder = createHashedEmbedder(embedderDim);
  const reused = index.count() === n && index.getMeta('bench_complete') === 'yes' && existsSync(index.hnswPath);
  let fts_s = 0;
  let embed_s = 0;
  let hnsw_s = 0;
  if (!reused) {
    index.clearDocuments();
    const rnd = mulberry32(seed * 1000 + 1);
    let t = performance.now();
    for (let start = 0; start < n; start += 10_000) {
      const batch = Array.from({ length: Math.min(10_000, n - start) }, (_, j) => syntheticDoc(start + j, rnd));
      index.transaction(() => index.addDocuments(batch));
      log(`scale ${n}: ${Math.min(n, start + 10_000)} documents`);
    }
    fts_s = (performance.now() - t) / 1000;
    t = performance.now();
    await index.embedMissing(embedder, { batch: 5000 });
    embed_s = (performance.now() - t) / 1000;
    t = performance.now();
    const [probe] = await embedder.embed(['warm']);
    await index.vectorSearch(embedder.key, probe as Float32Array, {}, 10, 0); // builds and writes the HNSW side file
    hnsw_s = (performance.now() - t) / 1000;
    index.setMeta('bench_complete', 'yes');
    log(`scale ${n}: built (fts ${fmt(fts_s)} s, embed ${fmt(embed_s)} s, hnsw ${fmt(hnsw_s)} s)`);
  }
  if (!holdVectors) return { n, index, matrix: new Float32Array(0), ids: new Int32Array(0), build: { fts_s, embed_s, hnsw_s, reused } };
  // The brute-force column's vectors, all in one Float32Array (the fastest exact scan this runtime can do),
  // filled a chunk at a time so no million small arrays are ever alive at once.
  const docs = index.listDocuments({});
  const matrix = new Float32Array(docs.length * embedderDim);
  const ids = new Int32Array(docs.length);
  for (let i = 0; i < docs.length; i += 10_000) {
    const chunk = docs.slice(i, i + 10_000);
    const vectors = await embedder.embed(chunk.map((d) => d.text));
    chunk.forEach((d, j) => {
      matrix.set(vectors[j] as Float32Array, (i + j) * embedderDim);
      ids[i + j] = d.id;
    });
  }
  return { n, index, matrix, ids, build: { fts_s, embed_s, hnsw_s, reused } };
}

function bruteForce(s: Sized, q: Float32Array, k: number, dim: number): ScoredId[] {
  const rows = s.ids.length;
  const cands = {
    *[Symbol.iterator]() {
      for (let r = 0; r < rows; r++) yield { id: s.ids[r] as number, vector: s.matrix.subarray(r * dim, (r + 1) * dim) };
    },
  };
  return scoreExact(q, cands, k);
}

const DIM = 256;
const COLS = ['product', 'bm25', 'bm25_all', 'hnsw', 'brute'] as const;
type Column = (typeof COLS)[number];

type WorkerRole = 'query' | 'vector';

/** One query's figures on one size: a query worker fills the product's and BM25's, a vector worker the rest. */
interface QueryFigures {
  ms: Partial<Record<Column, number>>;
  hnsw_recall?: number;
  hnsw_tenth?: number;
  bm25_overlap?: number;
  bm25_exact?: boolean;
  product_candidates?: boolean;
  sweep?: Array<{ ef: number; ms: number; recall: number }>;
}

/**
 * A worker holds one size's index, as a `git distill query` process holds its own: nothing of the other sizes
 * and none of the build's garbage shares its heap (a heap holding a million small objects made every query of
 * a process about three times slower, whichever index it asked). A `query` worker times what the product does;
 * a `vector` worker holds the HNSW graph and every vector for the brute-force reference, whose scan of the
 * whole matrix (1 GB at a million records) between queries would otherwise evict the caches the next query
 * runs in (measured: the million-record product query 14 ms alone, 20 ms after each scan). Protocol: one JSON
 * line `{ready, build}`, then per query text read on stdin one JSON line of QueryFigures.
 */
async function worker(n: number, path: string, role: WorkerRole): Promise<void> {
  const b = await buildSized(n, path, DIM, role === 'vector');
  Bun.gc(true);
  const embedder = createHashedEmbedder(DIM);
  const config = defaultConfig().search;
  const { ctor } = await loadHnsw();
  const overlap = (x: readonly string[], y: readonly string[]) => x.filter((v) => y.includes(v)).length / Math.max(1, y.length);
  process.stdout.write(`${JSON.stringify({ ready: true, build: b.build })}\n`);
  for await (const line of console) {
    if (line.trim() === '') continue;
    const text = JSON.parse(line) as string;
    process.stdout.write(`${JSON.stringify(role === 'query' ? await queryFigures(text) : await vectorFigures(text))}\n`);
  }
  b.index.close();

  async function queryFigures(text: string): Promise<QueryFigures> {
    const terms = buildFtsQuery(text).terms;
    let s = performance.now();
    const product = await runSearch(b.index, embedder, { text, k: 10, filters: {} }, config);
    const ms: QueryFigures['ms'] = { product: performance.now() - s };
    s = performance.now();
    const bounded = b.index.keywordSearch(terms, {}, config.candidates);
    ms.bm25 = performance.now() - s;
    s = performance.now();
    // A filter every document passes takes the exhaustive path: every match scored.
    const all = b.index.keywordSearch(terms, { kinds: DOC_KINDS }, config.candidates);
    ms.bm25_all = performance.now() - s;
    return {
      ms,
      bm25_overlap: overlap(bounded.hits.slice(0, 10).map((h) => h.doc_id), all.hits.slice(0, 10).map((h) => h.doc_id)),
      bm25_exact: bounded.info.exact,
      product_candidates: product.vector.method === 'candidates',
    };
  }

  async function vectorFigures(text: string): Promise<QueryFigures> {
    const [q] = await embedder.embed([text]);
    let s = performance.now();
    const approx = await b.index.vectorSearch(embedder.key, q as Float32Array, {}, 10, 0);
    const ms: QueryFigures['ms'] = { hnsw: performance.now() - s };
    s = performance.now();
    const exact = bruteForce(b, q as Float32Array, 10, DIM);
    ms.brute = performance.now() - s;
    const got = new Set(approx.hits.map((h) => h.id));
    const sweep: NonNullable<QueryFigures['sweep']> = [];
    if (ctor !== null) {
      const graph = b.index.syncHnsw(embedder.key, ctor, DIM);
      for (const ef of efs) {
        graph.setEf(ef);
        s = performance.now();
        const r = graph.searchKnn(Array.from(q as Float32Array), 10);
        const took = performance.now() - s;
        const found = new Set(r.neighbors);
        sweep.push({ ef, ms: took, recall: exact.filter((h) => found.has(h.id)).length / Math.max(1, exact.length) });
      }
    }
    return {
      ms,
      hnsw_recall: exact.filter((h) => got.has(h.id)).length / Math.max(1, exact.length),
      // How near HNSW's 10th neighbour is to the true 10th: a miss among near-ties costs little.
      hnsw_tenth: (approx.hits[approx.hits.length - 1]?.score ?? 0) / Math.max(1e-9, exact[exact.length - 1]?.score ?? 1),
      sweep,
    };
  }
}

/** A running worker: its next stdout line, and a line to its stdin. */
function startWorker(n: number, dir: string, role: WorkerRole) {
  const proc = Bun.spawn([process.execPath, import.meta.path, '--worker', String(n), '--role', role, '--index-dir', dir, '--seed', String(seed), '--max-scored', String(maxScored), ...(efs.length > 0 ? ['--ef', efs.join(',')] : [])], {
    stdin: 'pipe',
    stdout: 'pipe',
    stderr: 'inherit',
  });
  const reader = proc.stdout.getReader();
  const decoder = new TextDecoder();
  let buffered = '';
  const next = async (): Promise<unknown> => {
    for (;;) {
      const nl = buffered.indexOf('\n');
      if (nl >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        return JSON.parse(line);
      }
      const { value, done } = await reader.read();
      if (done) throw new Error(`bench ${role} worker for ${n} records exited (code ${await proc.exited}) before answering`);
      buffered += decoder.decode(value, { stream: true });
    }
  };
  const ask = async (text: string): Promise<QueryFigures> => {
    proc.stdin.write(`${JSON.stringify(text)}\n`);
    proc.stdin.flush();
    return (await next()) as QueryFigures;
  };
  return { proc, next, ask };
}

async function scale(): Promise<void> {
  const { status } = await loadHnsw();
  if (!status.available) log(`hnswlib-node is not available (${status.error}): the hnsw column falls back to exact scoring`);
  const dir = indexDir ?? join(work, 'scale');
  mkdirSync(dir, { recursive: true });
  const rnd = mulberry32(seed + 5);
  const queries = Array.from({ length: queriesN + 5 }, () => Array.from({ length: 2 + Math.floor(rnd() * 4) }, () => zipfWord(rnd)).join(' '));
  const figures = new Map<number, QueryFigures[]>(sizes.map((n) => [n, queries.slice(5).map(() => ({ ms: {} }))]));
  const builds = new Map<number, Sized['build']>();
  // The vector phase first (its workers build any index missing, one size after another, so build times are not
  // shared out), then the query phase in fresh processes. In each, every query runs on every size before the
  // next query, so load on the machine hits all sizes alike.
  for (const role of ['vector', 'query'] as const) {
    const workers: Array<{ n: number; w: ReturnType<typeof startWorker> }> = [];
    for (const n of sizes) {
      const w = startWorker(n, dir, role);
      const ready = (await w.next()) as { build: Sized['build'] };
      if (!builds.has(n)) builds.set(n, ready.build);
      workers.push({ n, w });
    }
    for (const [qi, text] of queries.entries()) {
      for (const { n, w } of workers) {
        const f = await w.ask(text);
        if (qi < 5) continue;
        const into = figures.get(n)?.[qi - 5] as QueryFigures;
        Object.assign(into, { ...f, ms: { ...into.ms, ...f.ms } });
      }
    }
    for (const { w } of workers) {
      w.proc.stdin.end();
      await w.proc.exited;
    }
  }
  const mean = (xs: number[]) => xs.reduce((x, y) => x + y, 0) / Math.max(1, xs.length);
  const rows = sizes.map((n) => {
    const build = builds.get(n) as Sized['build'];
    const fs = figures.get(n) ?? [];
    return {
      records: n,
      build,
      p50_ms: Object.fromEntries(COLS.map((c) => [c, median(fs.map((f) => f.ms[c] ?? Number.NaN))])) as Record<Column, number>,
      bm25_overlap_at_10: mean(fs.map((f) => f.bm25_overlap ?? 0)),
      bm25_exact_share: fs.filter((f) => f.bm25_exact).length / Math.max(1, fs.length),
      product_vector_over_keyword_list_share: fs.filter((f) => f.product_candidates).length / Math.max(1, fs.length),
      hnsw_recall_at_10: mean(fs.map((f) => f.hnsw_recall ?? 0)),
      hnsw_tenth_similarity_ratio: mean(fs.map((f) => f.hnsw_tenth ?? 0)),
      hnsw_ef_sweep: efs.map((ef) => {
        const at = fs.flatMap((f) => (f.sweep ?? []).filter((x) => x.ef === ef));
        return { ef, p50_ms: median(at.map((x) => x.ms)), recall_at_10: mean(at.map((x) => x.recall)) };
      }),
    };
  });
  const small = rows[0];
  const large = rows[rows.length - 1];
  const ratios =
    small === undefined || large === undefined
      ? null
      : {
          product_large_over_small: large.p50_ms.product / small.p50_ms.product,
          bm25_large_over_small: large.p50_ms.bm25 / small.p50_ms.bm25,
          bm25_all_large_over_small: large.p50_ms.bm25_all / small.p50_ms.bm25_all,
          hnsw_large_over_small: large.p50_ms.hnsw / small.p50_ms.hnsw,
          brute_large_over_small: large.p50_ms.brute / small.p50_ms.brute,
          hnsw_speedup_over_brute_small: small.p50_ms.brute / small.p50_ms.hnsw,
          hnsw_speedup_over_brute_large: large.p50_ms.brute / large.p50_ms.hnsw,
        };
  report.scale = { queries: queriesN, dim: DIM, hnsw: status, hnsw_params: HNSW_PARAMS, lists: { ...LIST_PARAMS, max_scored: maxScored }, rows, ratios };
  if (!asJson) {
    const build = (r: (typeof rows)[number]) => (r.build.reused ? `reused from ${dir}` : `${fmt(r.build.fts_s, 1)} / ${fmt(r.build.embed_s, 1)} / ${fmt(r.build.hnsw_s, 1)}`);
    console.log(`\n(b) query latency, ${queriesN} queries alternating between sizes (after 5 warm-up); per size one process for the vector reference, then one for the product's queries; hashed embedder ${DIM} dims; p50 in ms\n`);
    console.log('| records | product query (BM25 + vectors + RRF) | BM25, bounded lists | BM25, every match | HNSW k=10 | exact brute force k=10 | build: FTS + lists / embed / HNSW (s) |');
    console.log('|---|---|---|---|---|---|---|');
    for (const r of rows) {
      console.log(`| ${r.records.toLocaleString('en-US')} | ${fmt(r.p50_ms.product)} | ${fmt(r.p50_ms.bm25)} | ${fmt(r.p50_ms.bm25_all)} | ${fmt(r.p50_ms.hnsw, 3)} | ${fmt(r.p50_ms.brute)} | ${build(r)} |`);
    }
    console.log('\n| records | bounded BM25 top 10 ∩ every-match top 10 | bounded rankings proven exact | product queries whose vector list ranked the keyword list | HNSW recall@10 vs exact | HNSW 10th similarity / exact 10th |');
    console.log('|---|---|---|---|---|---|');
    for (const r of rows) {
      console.log(`| ${r.records.toLocaleString('en-US')} | ${fmt(r.bm25_overlap_at_10, 3)} | ${fmt(r.bm25_exact_share)} | ${fmt(r.product_vector_over_keyword_list_share)} | ${fmt(r.hnsw_recall_at_10, 3)} | ${fmt(r.hnsw_tenth_similarity_ratio, 3)} |`);
    }
    if (efs.length > 0) {
      console.log(`\n| records | ${efs.map((ef) => `ef ${ef}: recall@10 / p50 ms`).join(' | ')} |`);
      console.log(`|---|${efs.map(() => '---').join('|')}|`);
      for (const r of rows) console.log(`| ${r.records.toLocaleString('en-US')} | ${r.hnsw_ef_sweep.map((e) => `${fmt(e.recall_at_10, 3)} / ${fmt(e.p50_ms, 3)}`).join(' | ')} |`);
    }
    if (ratios !== null && rows.length > 1) {
      console.log(`\n| ratio (${large?.records.toLocaleString('en-US')} / ${small?.records.toLocaleString('en-US')}) | value |`);
      console.log('|---|---|');
      console.log(`| product query p50 | ${fmt(ratios.product_large_over_small)} |`);
      console.log(`| BM25 p50, bounded lists | ${fmt(ratios.bm25_large_over_small)} |`);
      console.log(`| BM25 p50, every match | ${fmt(ratios.bm25_all_large_over_small)} |`);
      console.log(`| HNSW p50 | ${fmt(ratios.hnsw_large_over_small)} |`);
      console.log(`| brute force p50 | ${fmt(ratios.brute_large_over_small)} |`);
      console.log(`| HNSW speedup over brute force at ${small?.records.toLocaleString('en-US')} | ${fmt(ratios.hnsw_speedup_over_brute_small, 1)}× |`);
      console.log(`| HNSW speedup over brute force at ${large?.records.toLocaleString('en-US')} | ${fmt(ratios.hnsw_speedup_over_brute_large, 1)}× |`);
    }
  }
}

try {
  if (workerSize !== null) await worker(workerSize, join(indexDir ?? work, `scale-${workerSize}.sqlite`), workerRole);
  else {
    if (parts.includes('eval')) await evaluate();
    if (parts.includes('scale')) await scale();
    if (asJson) console.log(JSON.stringify(report, null, 2));
    else console.log(`\n${report.machine as string}; ${report.date as string}`);
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
