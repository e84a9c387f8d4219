// The search core: FTS5 query sanitizing against real SQLite, fusion, snippets, the hashed embedder, exact scoring, the index's filters.
import { afterAll, describe, expect, test } from 'bun:test';
import fc from 'fast-check';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isDistillError } from '../errors.ts';
import { defaultConfig } from '../../schemas/config.ts';
import { sha256Hex } from '../canonical.ts';
import type { IndexDocument } from './documents.ts';
import { computeHashedVector, createHashedEmbedder } from './embedders.ts';
import { buildFtsQuery } from './fts-query.ts';
import { fuseRankings } from './fusion.ts';
import { runSearch, vectorListWithinKeywordList } from './search.ts';
import { SearchIndex } from './search-index.ts';
import { buildSnippet } from './snippet.ts';
import { scoreExact } from './vectors.ts';

const temp = mkdtempSync(join(tmpdir(), 'gd-search-'));
afterAll(() => rmSync(temp, { recursive: true, force: true }));

function doc(id: string, text: string, over: Partial<IndexDocument> = {}): IndexDocument {
  return {
    doc_id: id,
    kind: 'evidence',
    source_oid: 'a'.repeat(40),
    committed_at: '2024-01-01T00:00:00.000Z',
    run_id: id,
    category: 'accepted',
    task_type: 'scrum_review',
    models: ['kimi-k2'],
    files: ['src/x.ts'],
    title: `run ${id}`,
    text,
    facts: null,
    content_hash: sha256Hex(text),
    ...over,
  };
}

async function filledIndex(name: string, docs: IndexDocument[]) {
  const index = SearchIndex.open({ path: join(temp, `${name}.sqlite`) });
  index.transaction(() => index.addDocuments(docs));
  const embedder = createHashedEmbedder(64);
  await index.embedMissing(embedder);
  return { index, embedder };
}

describe('buildFtsQuery', () => {
  test('quotes every word and drops operators', () => {
    expect(buildFtsQuery('retry* NEAR(a b) -flaky "x" OR y:z ^col')).toEqual({
      terms: ['retry', 'near', 'a', 'b', 'flaky', 'x', 'or', 'y', 'z', 'col'],
      match: '"retry" OR "near" OR "a" OR "b" OR "flaky" OR "x" OR "or" OR "y" OR "z" OR "col"',
    });
  });

  test('has no match for text without words', () => {
    expect(buildFtsQuery('').match).toBeNull();
    expect(buildFtsQuery(' *** -- "" () ').match).toBeNull();
  });

  test('keeps at most 64 distinct terms of any input', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 2000 }), (s) => {
        const q = buildFtsQuery(s);
        expect(q.terms.length).toBeLessThanOrEqual(64);
        if (q.match !== null) expect(q.match).toMatch(/^"[\p{L}\p{N}\p{M}\p{Co}_]+"( OR "[\p{L}\p{N}\p{M}\p{Co}_]+")*$/u);
      }),
    );
  });
});

describe('hostile query text against a real FTS5 index', () => {
  const hostile = [
    '"',
    '"unbalanced',
    'retry*',
    '*',
    'NEAR(retry backoff, 2)',
    'NEAR(',
    '-retry',
    'retry - backoff',
    "'; DROP TABLE docs; --",
    'x" OR 1=1 --',
    'title:retry',
    '{title text}: retry',
    'AND OR NOT',
    '^retry',
    'retry AND',
    '\u0000 retry \u0000',
    'ПОВТОР 重试 🔁 retry',
    'retry backoff '.repeat(8000), // ~100 KB
  ];

  test('every input gets results or a clear E_USAGE, never an SQL or FTS error', async () => {
    const { index, embedder } = await filledIndex('hostile', [doc('r1', 'retry backoff cap removed in fetchWithRetry'), doc('r2', 'parser handles empty input')]);
    const config = defaultConfig().search;
    const outcomes: string[] = [];
    for (const text of [...hostile, '', '   ', '*** -- ()']) {
      try {
        const result = await runSearch(index, embedder, { text, k: 5, filters: {} }, config);
        outcomes.push(`hits:${result.hits.length}`);
      } catch (error) {
        if (!isDistillError(error) || error.code !== 'E_USAGE') throw error;
        expect(error.message).toMatch(/^the query (is empty|has no searchable words)/);
        outcomes.push('usage');
      }
    }
    // Wordless inputs are a usage message; everything else searches (the junk words simply match nothing).
    expect(outcomes).toEqual(['usage', 'hits:2', 'hits:2', 'usage', 'hits:2', 'hits:2', 'hits:2', 'hits:2', 'hits:2', 'hits:2', 'hits:2', 'hits:2', 'hits:2', 'hits:2', 'hits:2', 'hits:2', 'hits:2', 'hits:2', 'usage', 'usage', 'usage']);
    expect((await runSearch(index, embedder, { text: 'NEAR(retry backoff, 2)', k: 5, filters: {} }, config)).hits[0]?.doc_id).toBe('r1');
    index.close();
  });
});

describe('the index', () => {
  test('filters by task type, file or directory, category, model, kind and commits', async () => {
    const b = 'b'.repeat(40);
    const { index, embedder } = await filledIndex('filters', [
      doc('r1', 'retry backoff', { files: ['src/net/fetch.ts'] }),
      doc('r2', 'retry backoff', { task_type: 'patch', category: 'rejected', models: ['gpt'], source_oid: b }),
      doc('r3', 'retry backoff', { kind: 'playbook', source_oid: null, files: ['src/net/'] }),
      doc('r4', 'retry_backoff 100%_done', { files: ['src/net_x/a.ts'] }),
    ]);
    const ids = async (filters: Parameters<typeof runSearch>[2]['filters']) => (await runSearch(index, embedder, { text: 'retry backoff', k: 10, filters }, defaultConfig().search)).hits.map((h) => h.doc_id).sort();
    expect(await ids({ task_type: 'patch' })).toEqual(['r2']);
    expect(await ids({ file: 'src/net' })).toEqual(['r1', 'r3']);
    expect(await ids({ file: 'src/net_' })).toEqual([]);
    expect(await ids({ category: 'rejected' })).toEqual(['r2']);
    expect(await ids({ model: 'gpt' })).toEqual(['r2']);
    expect(await ids({ kinds: ['playbook'] })).toEqual(['r3']);
    expect(await ids({ source_oids: [b] })).toEqual(['r2']);
    expect(await ids({ source_oids: [] })).toEqual([]);
    index.close();
  });

  test('an identifier with underscores is one term', async () => {
    const { index, embedder } = await filledIndex('underscore', [doc('r1', 'set retry_backoff to 5'), doc('r2', 'retry and backoff are separate words here')]);
    const result = await runSearch(index, embedder, { text: 'retry_backoff', k: 5, filters: {} }, { ...defaultConfig().search, weights: { keyword: 1, vector: 0 } });
    expect(result.hits.map((h) => h.doc_id)).toEqual(['r1']);
    index.close();
  });

  test('the vector list orders the keyword list alone when nothing outside it could reach the fused top n', async () => {
    const docs = Array.from({ length: 15 }, (_, i) => doc(`r${String(i).padStart(2, '0')}`, `retry backoff attempt ${i} ${'padding '.repeat(i % 4)}`));
    docs.push(doc('typo', 'fetchWithRetries hammered the upstream'));
    const { index, embedder } = await filledIndex('vector-scope', docs);
    const config = { ...defaultConfig().search, candidates: 10 };
    // Hashed embedder (weight 0.3) and a full keyword list of 10: a vector-only document scores at most 0.3/61 < 1/70.
    const full = await runSearch(index, embedder, { text: 'retry backoff', k: 5, filters: {} }, config);
    expect(full.vector).toEqual({ method: 'candidates', candidates: 10 });
    expect(full.hits.every((h) => h.ranks.keyword !== undefined)).toBe(true);
    // Nothing matches the words: the vector side searches every document and finds the near spelling.
    const typo = await runSearch(index, embedder, { text: 'fetchwithretry', k: 5, filters: {} }, config);
    expect(typo.vector.method).toBe('exact');
    expect(typo.hits[0]?.doc_id).toBe('typo');
    // With the vector list weighted like the keyword list, an outsider could rank: every document is searched.
    const heavy = await runSearch(index, embedder, { text: 'retry backoff', k: 5, filters: {} }, { ...config, weights: { keyword: 1, vector: 1 } });
    expect(heavy.vector).toEqual({ method: 'exact', candidates: 16 });
    index.close();
  });

  test('unchanged text is embedded once; a new embedder embeds again, its vectors apart', async () => {
    const { index } = await filledIndex('embed-once', [doc('r1', 'same text'), doc('r2', 'same text'), doc('r3', 'other text')]);
    expect(await index.embedMissing(createHashedEmbedder(64))).toBe(0);
    expect(await index.embedMissing(createHashedEmbedder(32))).toBe(2);
    index.close();
  });

  test('term records carry the current embedder\'s vectors: the keyword list\'s cost no other read, and agree with the table', async () => {
    const docs = Array.from({ length: 40 }, (_, i) => doc(`v${String(i).padStart(2, '0')}`, `retry backoff item${i} word${(i * 7) % 11}`));
    const { index, embedder } = await filledIndex('record-vectors', docs);
    const keyword = index.keywordSearch(['retry', 'word3'], {}, 20).hits;
    expect(keyword.length).toBe(20);
    expect(keyword.every((h) => h.vector !== null && h.vector.byteLength === 64 * 4)).toBe(true);
    const [q] = await embedder.embed(['retry word3']);
    const fromRecords = index.vectorSearchAmong(embedder.key, q as Float32Array, keyword, 20).hits;
    // The same documents without their record vectors: read by content hash from the embeddings table.
    const fromTable = index.vectorSearchAmong(embedder.key, q as Float32Array, keyword.map((h) => ({ ...h, vector: null })), 20).hits;
    expect(fromRecords).toEqual(fromTable);
    expect(fromRecords).toEqual(index.exactVectorSearch(embedder.key, q as Float32Array, {}, 40).filter((h) => keyword.some((k) => k.id === h.id)));
    // Another embedder replaces the records' vectors; until then a query in its space reads the table.
    const other = createHashedEmbedder(32);
    const [q32] = await other.embed(['retry word3']);
    expect(index.vectorSearchAmong(other.key, q32 as Float32Array, keyword, 20).hits).toEqual([]);
    await index.embedMissing(other);
    const again = index.keywordSearch(['retry', 'word3'], {}, 20).hits;
    expect(again.every((h) => h.vector?.byteLength === 32 * 4)).toBe(true);
    expect(index.vectorSearchAmong(other.key, q32 as Float32Array, again, 20).hits).toEqual(index.vectorSearchAmong(other.key, q32 as Float32Array, again.map((h) => ({ ...h, vector: null })), 20).hits);
    // A document added later has no vector in its record until embedded, and is still scored from the table.
    index.transaction(() => index.addDocuments([doc('late', 'retry word3 late')]));
    const late = index.keywordSearch(['retry', 'word3'], {}, 41).hits.find((h) => h.doc_id === 'late');
    expect(late?.vector).toBeNull();
    index.close();
  });

  test('records hold no vectors when the vector list is never computed over the keyword list', async () => {
    const config = defaultConfig().search;
    const hashed = createHashedEmbedder(64);
    const model = { key: 'ollama:http://127.0.0.1:11434:nomic-embed-text', embed: hashed.embed };
    // The hashed embedder weighted 0.3: an outsider gets at most 0.3/61, under the 100th keyword hit's 1/160.
    expect(vectorListWithinKeywordList(config, hashed)).toBe(true);
    // A model weighted 1 (the default for HTTP embedders) or a hashed one weighted like the keyword list: never.
    expect(vectorListWithinKeywordList(config, model)).toBe(false);
    expect(vectorListWithinKeywordList({ ...config, weights: { keyword: 1, vector: 1 } }, hashed)).toBe(false);
    const docs = Array.from({ length: 12 }, (_, i) => doc(`n${String(i).padStart(2, '0')}`, `retry backoff item${i}`));
    const { index, embedder } = await filledIndex('no-record-vectors', docs);
    expect(index.keywordSearch(['retry'], {}, 12).hits.every((h) => h.vector !== null)).toBe(true);
    await index.embedMissing(embedder, { recordVectors: false });
    const hits = index.keywordSearch(['retry'], {}, 12).hits;
    expect(hits.every((h) => h.vector === null)).toBe(true);
    expect(index.getMeta('record_vectors')).toBe('');
    // Still ranked, from the embeddings table.
    const [q] = await embedder.embed(['retry item3']);
    expect(index.vectorSearchAmong(embedder.key, q as Float32Array, hits, 3).hits[0]?.id).toBe(hits.find((h) => h.doc_id === 'n03')?.id);
    await index.embedMissing(embedder);
    expect(index.keywordSearch(['retry'], {}, 12).hits.every((h) => h.vector?.byteLength === 64 * 4)).toBe(true);
    index.close();
  });

  test('the HNSW side agrees with exact search and follows adds and deletes', async () => {
    const docs = Array.from({ length: 300 }, (_, i) => doc(`d${String(i).padStart(3, '0')}`, `topic${i % 17} item${i} word${(i * 7) % 23}`));
    const { index, embedder } = await filledIndex('hnsw', docs);
    const [q] = await embedder.embed(['topic3 word5']);
    const exact = index.exactVectorSearch(embedder.key, q as Float32Array, {}, 10);
    const approx = await index.vectorSearch(embedder.key, q as Float32Array, {}, 10, 0);
    expect(approx.info.method).toBe('hnsw');
    const overlap = approx.hits.filter((h) => exact.some((e) => e.id === h.id)).length;
    expect(overlap).toBeGreaterThanOrEqual(9);
    index.transaction(() => index.deleteDocument('d003'));
    const best = exact[0]?.id;
    const after = await index.vectorSearch(embedder.key, q as Float32Array, {}, 300, 0);
    expect(after.hits.length).toBe(299);
    const d003 = index.listDocuments({}).find((d) => d.doc_id === 'd003');
    expect(d003).toBeUndefined();
    expect(best).toBeDefined();
    index.close();
  });
});

describe('pure helpers', () => {
  test('fusion sums weighted reciprocal ranks and breaks ties by id', () => {
    const fused = fuseRankings([
      { name: 'keyword', weight: 1, ids: ['a', 'b'] },
      { name: 'vector', weight: 0.5, ids: ['b', 'c'] },
    ]);
    expect(fused.map((f) => f.id)).toEqual(['b', 'a', 'c']);
    expect(fused[0]?.score).toBeCloseTo(1 / 62 + 0.5 / 61, 12);
    expect(fused[0]?.ranks).toEqual({ keyword: 2, vector: 1 });
    expect(fuseRankings([{ name: 'k', weight: 1, ids: ['z'] }, { name: 'v', weight: 1, ids: ['y'] }]).map((f) => f.id)).toEqual(['y', 'z']);
  });

  test('snippets bracket matched terms in the densest window', () => {
    const text = `${'filler '.repeat(50)}the retry backoff cap was removed ${'tail '.repeat(50)}`;
    const s = buildSnippet(text, ['retry', 'backoff'], 80);
    expect(s).toContain('[retry] [backoff] cap');
    expect(s.startsWith('…')).toBe(true);
    expect(buildSnippet('short text', ['absent'])).toBe('short text');
  });

  test('the hashed embedder is deterministic, unit length, and near for shared words', () => {
    const a = computeHashedVector('retry backoff in fetchWithRetry', 256);
    expect(Buffer.from(a.buffer).equals(Buffer.from(computeHashedVector('retry backoff in fetchWithRetry', 256).buffer))).toBe(true);
    expect(a.reduce((s, x) => s + x * x, 0)).toBeCloseTo(1, 5);
    const dot = (x: Float32Array, y: Float32Array) => x.reduce((s, v, i) => s + v * (y[i] ?? 0), 0);
    expect(dot(a, computeHashedVector('retries with backoff', 256))).toBeGreaterThan(dot(a, computeHashedVector('parser handles empty input', 256)));
  });

  test('exact scoring keeps the k best with a total order', () => {
    const v = (x: number, y: number) => Float32Array.from([x, y]);
    const hits = scoreExact(v(1, 0), [{ id: 3, vector: v(0.5, 0) }, { id: 1, vector: v(1, 0) }, { id: 2, vector: v(0.5, 0) }, { id: 4, vector: v(0, 1) }], 3);
    expect(hits.map((h) => h.id)).toEqual([1, 2, 3]);
  });
});
