// The keyword index's own tables against real SQLite, with lists shrunk so a few documents cut them: bounded ranking
// versus scoring every match, an incremental index versus one rebuilt from the same documents, rollbacks.
import { afterAll, describe, expect, test } from 'bun:test';
import { Database } from 'bun:sqlite';
import fc from 'fast-check';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sha256Hex } from '../canonical.ts';
import { termIdf, termImpact, TITLE_WEIGHT, type ListParams } from './bm25.ts';
import { DOC_KINDS, type IndexDocument } from './documents.ts';
import { buildFtsQuery } from './fts-query.ts';
import { SearchIndex } from './search-index.ts';
import { countDocTerms } from './terms.ts';

const temp = mkdtempSync(join(tmpdir(), 'gd-postings-'));
afterAll(() => rmSync(temp, { recursive: true, force: true }));
let seq = 0;
const SMALL: ListParams = { read_budget: 12, read_max: 6, kept: 9, max_scored: 1_000 };

function doc(id: string, text: string): IndexDocument {
  return {
    doc_id: id, kind: 'evidence', source_oid: sha256Hex(id).slice(0, 40), committed_at: null, run_id: id, category: 'accepted', task_type: 'patch',
    models: [], files: [], title: id, text, facts: null, content_hash: sha256Hex(text),
  };
}

function open(lists: ListParams = SMALL): SearchIndex {
  return SearchIndex.open({ path: join(temp, `i${seq++}.sqlite`), lists });
}

/** BM25 of every document for the query, computed from the texts alone: the reference the index must agree with. */
function fullBm25(docs: readonly IndexDocument[], text: string): Array<{ doc_id: string; score: number }> {
  const terms = buildFtsQuery(text).terms;
  const counted = docs.map((d) => ({ id: d.doc_id, ...countDocTerms(d.title, d.text, TITLE_WEIGHT) }));
  const df = new Map(terms.map((t) => [t, counted.filter((c) => c.tf.has(t)).length]));
  return counted
    .map((c) => ({ doc_id: c.id, score: terms.reduce((s, t) => s + (c.tf.has(t) ? termIdf(df.get(t) as number, docs.length) * termImpact(c.tf.get(t) as number, c.len) : 0), 0) }))
    .filter((s) => s.score > 0)
    .sort((a, b) => b.score - a.score || (a.doc_id < b.doc_id ? -1 : 1));
}

/** The keyword list by doc_id (row ids differ between indexes) and how it was ranked. */
function ids(index: SearchIndex, text: string, n: number) {
  const r = index.keywordSearch(buildFtsQuery(text).terms, {}, n);
  return { hits: r.hits.map((h) => h.doc_id), info: r.info };
}

/** Per term: df and the list's first min(read_max, df) postings as (weight, doc_id), what any query can read. */
function readableLists(index: SearchIndex, lists: ListParams = SMALL): Record<string, { df: number; head: string[] }> {
  const db = new Database(index.path, { readonly: true });
  try {
    const out: Record<string, { df: number; head: string[] }> = {};
    for (const t of db.query('SELECT id, term, df FROM terms ORDER BY term').all() as Array<{ id: number; term: string; df: number }>) {
      const head = db
        .query('SELECT p.impact, d.doc_id FROM postings p JOIN docs d ON d.id = p.doc WHERE p.term = ? ORDER BY p.impact DESC, p.tie, p.doc LIMIT ?')
        .all(t.id, Math.min(lists.read_max, t.df)) as Array<{ impact: number; doc_id: string }>;
      out[t.term] = { df: t.df, head: head.map((h) => `${h.impact} ${h.doc_id}`) };
    }
    return out;
  } finally {
    db.close();
  }
}

const VOCAB = ['retry', 'backoff', 'cap', 'token', 'cache', 'queue', 'lease', 'shard'];

describe('bounded keyword ranking on a real index', () => {
  test('where every query term is in fewer documents than a list holds, it is exact and equals full BM25', () => {
    // Each rare word is in 4 documents (twice in two of them), under the 6 postings a 2-term query reads per list.
    const docs = Array.from({ length: 40 }, (_, i) => doc(`d${String(i).padStart(2, '0')}`, `common filler ${i % 2 ? 'words' : 'text'} rare${i % 10}${i % 20 < 10 ? ` rare${i % 10}` : ''}`));
    const index = open();
    index.addDocuments(docs);
    const result = ids(index, 'rare3 rare7', 5);
    expect(result.info).toEqual({ method: 'bounded', exact: true, scored: expect.any(Number) });
    expect(result.hits).toEqual(fullBm25(docs, 'rare3 rare7').slice(0, 5).map((s) => s.doc_id));
    index.close();
  });

  test('with cut lists, a certified ranking equals full BM25, and the filtered (exhaustive) path equals it too', () => {
    // 60 documents over 8 words: every list is cut at 9 postings, yet three documents that say both words three
    // times outscore anything a list could hide (and tie with each other: doc_id orders them).
    const docs = Array.from({ length: 60 }, (_, i) => doc(`d${String(i).padStart(2, '0')}`, Array.from({ length: 3 + (i % 5) }, (_, j) => VOCAB[(i * 3 + j * 5) % VOCAB.length]).join(' ')));
    for (const id of ['zz2', 'zz0', 'zz1']) docs.push(doc(id, 'retry backoff retry backoff retry backoff'));
    const index = open();
    index.addDocuments(docs);
    const bounded = ids(index, 'retry backoff', 3);
    expect(bounded.info.exact).toBe(true);
    expect(bounded.hits).toEqual(['zz0', 'zz1', 'zz2']);
    expect(fullBm25(docs, 'retry backoff').slice(0, 3).map((s) => s.doc_id)).toEqual(['zz0', 'zz1', 'zz2']);
    const exhaustive = index.keywordSearch(['retry', 'backoff'], { kinds: DOC_KINDS }, 10);
    expect(exhaustive.info.method).toBe('exhaustive');
    expect(exhaustive.hits.map((h) => h.doc_id)).toEqual(fullBm25(docs, 'retry backoff').slice(0, 10).map((s) => s.doc_id));
    index.close();
  });

  test('an uncertified ranking says so, and stays deterministic', () => {
    const docs = Array.from({ length: 80 }, (_, i) => doc(`d${String(i).padStart(2, '0')}`, `${VOCAB[i % 8]} ${VOCAB[(i + 3) % 8]} ${VOCAB[(i * 5) % 8]}`));
    const index = open();
    index.addDocuments(docs);
    const a = ids(index, 'retry cache lease shard', 20);
    expect(a.info.exact).toBe(false);
    expect(ids(index, 'retry cache lease shard', 20)).toEqual(a);
    index.close();
  });

  test('max_scored caps the documents scored, but never below the list asked for', () => {
    const docs = Array.from({ length: 80 }, (_, i) => doc(`d${String(i).padStart(2, '0')}`, `${VOCAB[i % 8]} ${VOCAB[(i + 3) % 8]} ${VOCAB[(i * 5) % 8]}`));
    const scoredWith = (maxScored: number, n: number) => {
      const index = open({ ...SMALL, max_scored: maxScored });
      index.addDocuments(docs);
      const r = ids(index, 'retry cache lease shard', n);
      index.close();
      return r;
    };
    // Four terms read 3 postings each: 11 documents are candidates, and an uncertified ranking scores them all.
    expect(scoredWith(1_000, 5).info.scored).toBe(11);
    expect(scoredWith(6, 5).info.scored).toBe(6);
    // Asked for 10 with a cap of 6: at least 10 are scored, and 10 come back.
    const narrow = scoredWith(6, 10);
    expect(narrow.info.scored).toBeGreaterThanOrEqual(10);
    expect(narrow.hits.length).toBe(10);
  });
});

describe('incremental and rebuilt indexes', () => {
  const corpus = fc.array(fc.array(fc.constantFrom(...VOCAB), { minLength: 1, maxLength: 10 }), { minLength: 1, maxLength: 60 });

  test('after any adds, deletes and replacements (cutting, draining and refilling lists), the readable lists and results equal a rebuild', () => {
    // Per document: 0 kept; 1 deleted in the transaction that adds the next batch (as a sync replaces a folder);
    // 2 deleted at the end; 3 replaced by a changed text (same doc_id) with the next batch.
    const fate = fc.array(fc.constantFrom(0, 0, 1, 2, 3), { minLength: 60, maxLength: 60 });
    fc.assert(
      fc.property(corpus, fate, fc.integer({ min: 1, max: 4 }), (texts, fates, batches) => {
        const docs = texts.map((words, i) => doc(`d${String(i).padStart(3, '0')}`, words.join(' ')));
        const changed = (d: IndexDocument) => doc(d.doc_id, `${d.text} ${d.text.split(' ')[0]} cap`);
        const incremental = open();
        const size = Math.ceil(docs.length / batches);
        let previous: IndexDocument[] = [];
        const fateOf = (d: IndexDocument) => fates[docs.findIndex((x) => x.doc_id === d.doc_id)];
        // One more round than batches: the last batch's deletions and replacements go with an empty batch.
        for (let b = 0; b < docs.length + size; b += size) {
          const batch = docs.slice(b, b + size);
          incremental.transaction(() => {
            for (const d of previous) if (fateOf(d) === 1) incremental.deleteDocument(d.doc_id);
            incremental.addDocuments([...previous.filter((d) => fateOf(d) === 3).map(changed), ...batch]);
          });
          previous = batch;
        }
        incremental.transaction(() => {
          for (const d of docs) if (fateOf(d) === 2) incremental.deleteDocument(d.doc_id);
        });
        const kept = docs.flatMap((d, i) => (fates[i] === 0 ? [d] : fates[i] === 3 ? [changed(d)] : []));
        const rebuilt = open();
        rebuilt.addDocuments([...kept].reverse());
        expect(readableLists(incremental)).toEqual(readableLists(rebuilt));
        expect(incremental.count()).toBe(kept.length);
        for (const q of ['retry backoff', 'cap token cache queue', 'shard']) expect(ids(incremental, q, 5)).toEqual(ids(rebuilt, q, 5));
        incremental.close();
        rebuilt.close();
      }),
      { numRuns: 40 },
    );
  }, 120_000);

  test('deleting most of a cut list rebuilds it from the term records', () => {
    const docs = Array.from({ length: 30 }, (_, i) => doc(`d${String(i).padStart(2, '0')}`, `retry ${'pad '.repeat(i % 6)}`));
    const incremental = open();
    incremental.addDocuments(docs);
    // The nine best postings of `retry` are the shortest documents; delete eight of them.
    const best = ids(incremental, 'retry', 8).hits;
    incremental.transaction(() => {
      for (const id of best) incremental.deleteDocument(id);
    });
    const rebuilt = open();
    rebuilt.addDocuments(docs.filter((d) => !best.includes(d.doc_id)));
    expect(readableLists(incremental).retry).toEqual(readableLists(rebuilt).retry);
    expect(readableLists(incremental).retry?.head.length).toBe(SMALL.read_max);
    incremental.close();
    rebuilt.close();
  });

  test('a transaction that throws leaves the postings as they were', () => {
    const index = open();
    index.addDocuments(Array.from({ length: 20 }, (_, i) => doc(`d${i}`, `retry backoff ${VOCAB[i % 8]}`)));
    const before = readableLists(index);
    expect(() =>
      index.transaction(() => {
        index.addDocuments([doc('x1', 'retry retry retry cap')]);
        index.deleteDocument('d3');
        throw new Error('crash mid-sync');
      }),
    ).toThrow('crash mid-sync');
    expect(readableLists(index)).toEqual(before);
    index.addDocuments([doc('x2', 'cap')]);
    expect(index.count()).toBe(21);
    index.close();
  });

  test('an index whose lists were cut to another length is rebuilt, not misread', () => {
    const path = join(temp, 'lists-change.sqlite');
    const small = SearchIndex.open({ path, lists: SMALL });
    small.addDocuments([doc('d1', 'retry')]);
    small.close();
    const other = SearchIndex.open({ path, lists: { ...SMALL, kept: 20 } });
    expect(other.count()).toBe(0);
    other.close();
  });
});
