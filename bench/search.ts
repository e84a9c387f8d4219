// bench/search: kb_query retrieval quality on planted histories, and query latency / vector recall at two index sizes, side by side.
//
//   node_modules/.bin/bun bench/search.ts [--sizes 10000,100000] [--queries 60] [--cases 60] [--seed 7] [--parts eval,scale] [--json]
//
// (a) eval: generatePlantedHistory → the auditor-loop JSONL is read by the real `git-distill ingest` (adapters,
//     redaction, scoring) → evidence and scores cut into commit folders → the search index → per labelled PR,
//     the kb_query runner's snapshot and the pure check; the planted run's rank among the findings gives
//     recall@5 and MRR. A "newest rejection on the file first" ordering is printed beside it for reference.
// (b) scale: synthetic documents at each size in their own index; the same queries alternate between sizes.
//     Columns: the product's query (BM25 + vectors + fusion, default config), BM25 alone, the HNSW graph, and an
//     exact brute-force scan over every vector held in one Float32Array; recall@10 of HNSW against that scan.
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseUnifiedDiff, runKbQuery } from '../checks/kb-query.ts';
import { defaultConfig } from '../schemas/config.ts';
import { sha256Hex } from '../src/canonical.ts';
import { buildKbQuerySnapshot } from '../src/checks/runners/kb-query.ts';
import { buildCommitDocuments, type IndexDocument } from '../src/search/documents.ts';
import { createHashedEmbedder } from '../src/search/embedders.ts';
import { buildFtsQuery } from '../src/search/fts-query.ts';
import { runSearch } from '../src/search/search.ts';
import { SearchIndex } from '../src/search/search-index.ts';
import { loadHnsw, scoreExact } from '../src/search/vectors.ts';
import { DEFAULT_PLANTED, generatePlantedHistory } from './gen-planted-history.ts';

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
  const index = SearchIndex.open({ path: join(work, 'planted.sqlite') });
  const embedder = createHashedEmbedder(256);
  const enc = new TextEncoder();
  let docs = 0;
  index.transaction(() => {
    for (const [c, s] of [...byCommit].sort((a, b) => a[0] - b[0])) {
      const oid = sha256Hex(`commit ${c}`).slice(0, 40);
      const manifest = { committed_at: new Date(Date.parse('2025-03-01T00:00:00Z') + c * 3_600_000).toISOString() };
      const files = new Map([
        ['evidence.jsonl', enc.encode(s.evidence.join('\n') + '\n')],
        ['scored.jsonl', enc.encode(s.scored.join('\n') + '\n')],
      ]);
      const built = buildCommitDocuments(oid, files).map((d) => ({ ...d, committed_at: manifest.committed_at }));
      docs += built.length;
      index.addDocuments(built);
    }
  });
  await index.embedMissing(embedder);
  const config = defaultConfig();
  const ranks: number[] = [];
  const baseline: number[] = [];
  const byKind = { literal: [] as number[], paraphrased: [] as number[] };
  for (const c of history.cases) {
    const changes = parseUnifiedDiff(c.diff);
    const snapshot = await buildKbQuerySnapshot({ index, embedder }, config, { base_oid: null, head_oid: '0'.repeat(40) }, changes);
    const findings = runKbQuery(snapshot);
    const at = findings.findIndex((f) => f.evidence.some((e) => e.lookup === `run ${c.planted_run_id}`));
    const rank = at < 0 ? Infinity : at + 1;
    ranks.push(rank);
    (c.paraphrased ? byKind.paraphrased : byKind.literal).push(rank);
    const rejected = snapshot.past_runs.filter((r) => r.files.includes(c.file) && r.category === 'rejected').sort((a, b) => ((b.committed_at ?? '') < (a.committed_at ?? '') ? -1 : (b.committed_at ?? '') > (a.committed_at ?? '') ? 1 : a.run_id < b.run_id ? -1 : 1));
    const b = rejected.findIndex((r) => r.run_id === c.planted_run_id);
    baseline.push(b < 0 ? Infinity : b + 1);
  }
  index.close();
  const recall = (rs: number[], k: number) => rs.filter((r) => r <= k).length / Math.max(1, rs.length);
  const mrr = (rs: number[]) => rs.reduce((s, r) => s + (Number.isFinite(r) ? 1 / r : 0), 0) / Math.max(1, rs.length);
  const evalReport = {
    runs: history.runs,
    documents: docs,
    cases: history.cases.length,
    kb_query: { recall_at_1: recall(ranks, 1), recall_at_5: recall(ranks, 5), mrr: mrr(ranks) },
    kb_query_literal: { cases: byKind.literal.length, recall_at_5: recall(byKind.literal, 5), mrr: mrr(byKind.literal) },
    kb_query_paraphrased: { cases: byKind.paraphrased.length, recall_at_5: recall(byKind.paraphrased, 5), mrr: mrr(byKind.paraphrased) },
    newest_rejection_first: { recall_at_5: recall(baseline, 5), mrr: mrr(baseline) },
    target_recall_at_5: 0.9,
  };
  report.eval = evalReport;
  if (!asJson) {
    console.log(`\n(a) kb_query on planted histories: ${history.runs} runs ingested → ${docs} documents, ${history.cases.length} labelled PRs (seed ${seed})\n`);
    console.log('| ordering | recall@1 | recall@5 | MRR |');
    console.log('|---|---|---|---|');
    console.log(`| kb_query (all cases) | ${fmt(evalReport.kb_query.recall_at_1)} | ${fmt(evalReport.kb_query.recall_at_5)} | ${fmt(evalReport.kb_query.mrr)} |`);
    console.log(`| kb_query, PR names it literally (${byKind.literal.length}) | | ${fmt(evalReport.kb_query_literal.recall_at_5)} | ${fmt(evalReport.kb_query_literal.mrr)} |`);
    console.log(`| kb_query, PR names it in other words (${byKind.paraphrased.length}) | | ${fmt(evalReport.kb_query_paraphrased.recall_at_5)} | ${fmt(evalReport.kb_query_paraphrased.mrr)} |`);
    console.log(`| newest rejection on the file first (reference) | | ${fmt(evalReport.newest_rejection_first.recall_at_5)} | ${fmt(evalReport.newest_rejection_first.mrr)} |`);
    console.log(`\ntarget recall@5 ≥ 0.9: ${evalReport.kb_query.recall_at_5 >= 0.9 ? 'met' : 'NOT met'}`);
  }
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
  matrix: Float32Array;
  ids: Int32Array;
  build: { fts_s: number; embed_s: number; hnsw_s: number };
}

async function buildSized(n: number, embedderDim: number): Promise<Sized> {
  const path = join(work, `scale-${n}.sqlite`);
  const index = SearchIndex.open({ path });
  const embedder = createHashedEmbedder(embedderDim);
  const rnd = mulberry32(seed * 1000 + 1);
  let t = performance.now();
  for (let start = 0; start < n; start += 10_000) {
    const batch = Array.from({ length: Math.min(10_000, n - start) }, (_, j) => syntheticDoc(start + j, rnd));
    index.transaction(() => index.addDocuments(batch));
    log(`scale ${n}: ${Math.min(n, start + 10_000)} documents`);
  }
  const fts_s = (performance.now() - t) / 1000;
  t = performance.now();
  await index.embedMissing(embedder, 5000);
  const embed_s = (performance.now() - t) / 1000;
  t = performance.now();
  const [probe] = await embedder.embed(['warm']);
  await index.vectorSearch(embedder.key, probe as Float32Array, {}, 10, 0); // builds and writes the HNSW side file
  const hnsw_s = (performance.now() - t) / 1000;
  log(`scale ${n}: built (fts ${fmt(fts_s)} s, embed ${fmt(embed_s)} s, hnsw ${fmt(hnsw_s)} s)`);
  // The brute-force column's vectors, all in memory: the fastest exact scan this runtime can do.
  const docs = index.listDocuments({});
  const matrix = new Float32Array(docs.length * embedderDim);
  const ids = new Int32Array(docs.length);
  const vectors = await embedder.embed(docs.map((d) => d.text));
  docs.forEach((d, i) => {
    matrix.set(vectors[i] as Float32Array, i * embedderDim);
    ids[i] = d.id;
  });
  return { n, index, matrix, ids, build: { fts_s, embed_s, hnsw_s } };
}

function bruteForce(s: Sized, q: Float32Array, k: number, dim: number): number[] {
  const rows = s.ids.length;
  const cands = {
    *[Symbol.iterator]() {
      for (let r = 0; r < rows; r++) yield { id: s.ids[r] as number, vector: s.matrix.subarray(r * dim, (r + 1) * dim) };
    },
  };
  return scoreExact(q, cands, k).map((h) => h.id);
}

async function scale(): Promise<void> {
  const { status } = await loadHnsw();
  if (!status.available) log(`hnswlib-node is not available (${status.error}): the hnsw column falls back to exact scoring`);
  const dim = 256;
  const built: Sized[] = [];
  for (const n of sizes) built.push(await buildSized(n, dim));
  const embedder = createHashedEmbedder(dim);
  const config = defaultConfig().search;
  const rnd = mulberry32(seed + 5);
  const queries = Array.from({ length: queriesN + 5 }, () => Array.from({ length: 2 + Math.floor(rnd() * 4) }, () => zipfWord(rnd)).join(' '));
  const cols = ['product', 'bm25', 'hnsw', 'brute'] as const;
  const times = new Map(built.map((b) => [b.n, Object.fromEntries(cols.map((c) => [c, [] as number[]])) as Record<(typeof cols)[number], number[]>]));
  const recall = new Map(built.map((b) => [b.n, [] as number[]]));
  // Round-robin: each query runs on every size before the next query, so load on the machine hits all alike.
  for (const [qi, text] of queries.entries()) {
    const warm = qi < 5;
    for (const b of built) {
      const t = times.get(b.n) as Record<(typeof cols)[number], number[]>;
      let s = performance.now();
      await runSearch(b.index, embedder, { text, k: 10, filters: {} }, config);
      const product = performance.now() - s;
      s = performance.now();
      b.index.keywordSearch(buildFtsQuery(text).match as string, {}, config.candidates);
      const bm25 = performance.now() - s;
      const [q] = await embedder.embed([text]);
      s = performance.now();
      const approx = await b.index.vectorSearch(embedder.key, q as Float32Array, {}, 10, 0);
      const hnsw = performance.now() - s;
      s = performance.now();
      const exact = bruteForce(b, q as Float32Array, 10, dim);
      const brute = performance.now() - s;
      if (warm) continue;
      t.product.push(product);
      t.bm25.push(bm25);
      t.hnsw.push(hnsw);
      t.brute.push(brute);
      const got = new Set(approx.hits.map((h) => h.id));
      (recall.get(b.n) as number[]).push(exact.filter((id) => got.has(id)).length / Math.max(1, exact.length));
    }
  }
  const rows = built.map((b) => {
    const t = times.get(b.n) as Record<(typeof cols)[number], number[]>;
    return {
      records: b.n,
      build: b.build,
      p50_ms: Object.fromEntries(cols.map((c) => [c, median(t[c])])) as Record<(typeof cols)[number], number>,
      hnsw_recall_at_10: (recall.get(b.n) as number[]).reduce((x, y) => x + y, 0) / Math.max(1, (recall.get(b.n) as number[]).length),
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
          hnsw_large_over_small: large.p50_ms.hnsw / small.p50_ms.hnsw,
          brute_large_over_small: large.p50_ms.brute / small.p50_ms.brute,
          hnsw_speedup_over_brute_small: small.p50_ms.brute / small.p50_ms.hnsw,
          hnsw_speedup_over_brute_large: large.p50_ms.brute / large.p50_ms.hnsw,
        };
  report.scale = { queries: queriesN, dim, hnsw: status, rows, ratios };
  for (const b of built) b.index.close();
  if (!asJson) {
    console.log(`\n(b) query latency, ${queriesN} queries alternating between sizes (after 5 warm-up), hashed embedder ${dim} dims; p50 in ms\n`);
    console.log('| records | product query (BM25 + vectors + RRF) | BM25 only | HNSW k=10 | exact brute force k=10 | HNSW recall@10 vs exact | build: FTS / embed / HNSW (s) |');
    console.log('|---|---|---|---|---|---|---|');
    for (const r of rows) {
      console.log(`| ${r.records.toLocaleString('en-US')} | ${fmt(r.p50_ms.product)} | ${fmt(r.p50_ms.bm25)} | ${fmt(r.p50_ms.hnsw, 3)} | ${fmt(r.p50_ms.brute)} | ${fmt(r.hnsw_recall_at_10, 3)} | ${fmt(r.build.fts_s, 1)} / ${fmt(r.build.embed_s, 1)} / ${fmt(r.build.hnsw_s, 1)} |`);
    }
    if (ratios !== null && rows.length > 1) {
      console.log(`\n| ratio (${large?.records.toLocaleString('en-US')} / ${small?.records.toLocaleString('en-US')}) | value |`);
      console.log('|---|---|');
      console.log(`| product query p50 | ${fmt(ratios.product_large_over_small)} |`);
      console.log(`| BM25 p50 | ${fmt(ratios.bm25_large_over_small)} |`);
      console.log(`| HNSW p50 | ${fmt(ratios.hnsw_large_over_small)} |`);
      console.log(`| brute force p50 | ${fmt(ratios.brute_large_over_small)} |`);
      console.log(`| HNSW speedup over brute force at ${small?.records.toLocaleString('en-US')} | ${fmt(ratios.hnsw_speedup_over_brute_small, 1)}× |`);
      console.log(`| HNSW speedup over brute force at ${large?.records.toLocaleString('en-US')} | ${fmt(ratios.hnsw_speedup_over_brute_large, 1)}× |`);
    }
  }
}

try {
  if (parts.includes('eval')) await evaluate();
  if (parts.includes('scale')) await scale();
  if (asJson) console.log(JSON.stringify(report, null, 2));
  else console.log(`\n${report.machine as string}; ${report.date as string}`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
