// The bounded BM25 core: term records round-trip, and the threshold ranking over cut lists equals scoring every document whenever it says so.
import { describe, expect, test } from 'bun:test';
import fc from 'fast-check';
import { decodeTermRecord, encodeTermRecord, rankBounded, recordTf, scoreRecord, termIdf, termImpact, type Posting, type QueryList, type TermRecordRow } from './bm25.ts';

describe('term weights', () => {
  test('a weight grows with the frequency, falls with the length, and saturates below k1 + 1', () => {
    expect(termImpact(2, 100)).toBeGreaterThan(termImpact(1, 100));
    expect(termImpact(1, 50)).toBeGreaterThan(termImpact(1, 500));
    expect(termImpact(10_000, 10)).toBeLessThan(2.2);
  });

  test('idf is positive even for a term in every document, and rarer terms weigh more', () => {
    expect(termIdf(100, 100)).toBeGreaterThan(0);
    expect(termIdf(1, 100)).toBeGreaterThan(termIdf(50, 100));
  });
});

describe('term records', () => {
  test('round-trip any set of (term id, tf), and find each tf by id', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.tuple(fc.nat({ max: 2 ** 32 - 1 }), fc.integer({ min: 1, max: 0xffff })), { selector: (e) => e[0], maxLength: 200 }), (entries) => {
        const record = encodeTermRecord(entries);
        expect(decodeTermRecord(record)).toEqual([...entries].sort((a, b) => a[0] - b[0]));
        for (const [id, tf] of entries) expect(recordTf(record, id)).toBe(tf);
        if (!entries.some(([id]) => id === 7)) expect(recordTf(record, 7)).toBe(0);
      }),
    );
  });

  test('a record read at an odd offset of a larger buffer decodes the same', () => {
    const record = encodeTermRecord([[3, 1], [9, 4]]);
    const buffer = new Uint8Array(record.length + 1);
    buffer.set(record, 1);
    expect(recordTf(buffer.subarray(1), 9)).toBe(4);
  });
});

// ---- the ranking against a brute-force reference ----

interface Fixture {
  /** Per document: term id → tf. */
  docs: Array<Map<number, number>>;
  query: number[];
}

function lengthOf(doc: Map<number, number>): number {
  let n = 0;
  for (const tf of doc.values()) n += tf;
  return n;
}

/** The lists a query would read (best `depth` postings of each query term) and the records, from plain documents. */
function listsOf(f: Fixture, depth: number): { lists: QueryList[]; records: Map<number, TermRecordRow> } {
  const records = new Map<number, TermRecordRow>(f.docs.map((d, i) => [i, { len: lengthOf(d), record: encodeTermRecord([...d]) }]));
  const lists = f.query.map((term) => {
    const postings: Posting[] = [];
    f.docs.forEach((d, doc) => {
      const tf = d.get(term);
      if (tf !== undefined) postings.push({ doc, impact: termImpact(tf, lengthOf(d)), tie: (doc * 7919) % 1009 });
    });
    postings.sort((a, b) => b.impact - a.impact || a.tie - b.tie || a.doc - b.doc);
    return { term, idf: termIdf(postings.length, f.docs.length), df: postings.length, postings: postings.slice(0, depth) };
  }).filter((l) => l.df > 0);
  return { lists, records };
}

/** Scores of every document, best first (the reference the bounded ranking must match). */
function bruteForce(lists: QueryList[], records: Map<number, TermRecordRow>): Array<{ doc: number; score: number }> {
  return [...records].map(([doc, row]) => ({ doc, score: scoreRecord(lists, row) })).filter((s) => s.score > 0).sort((a, b) => b.score - a.score || a.doc - b.doc);
}

const topScores = (scored: Array<{ doc: number; score: number }>, n: number) => [...scored].sort((a, b) => b.score - a.score || a.doc - b.doc).slice(0, n).map((s) => s.score);

const fixture = fc.record({
  docs: fc.array(fc.array(fc.tuple(fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 4 })), { minLength: 1, maxLength: 12 }).map((pairs) => new Map(pairs)), { minLength: 1, maxLength: 80 }),
  query: fc.uniqueArray(fc.integer({ min: 1, max: 12 }), { minLength: 1, maxLength: 4 }),
});

describe('rankBounded', () => {
  test('with every list whole, it is exact and gives the brute-force top n', () => {
    fc.assert(
      fc.property(fixture, fc.integer({ min: 1, max: 20 }), (f, n) => {
        const { lists, records } = listsOf(f, 1_000);
        const ranking = rankBounded(lists, n, (docs) => new Map(docs.flatMap((d) => (records.has(d) ? [[d, records.get(d) as TermRecordRow]] : []))), 10_000);
        expect(ranking.exact).toBe(true);
        expect(topScores(ranking.scored, n)).toEqual(topScores(bruteForce(lists, records), n));
      }),
    );
  });

  test('with lists cut short, whenever it says exact its top n is the brute-force top n', () => {
    let exactCases = 0;
    fc.assert(
      fc.property(fixture, fc.integer({ min: 1, max: 10 }), fc.integer({ min: 1, max: 8 }), (f, n, depth) => {
        const { lists, records } = listsOf(f, depth);
        const ranking = rankBounded(lists, n, (docs) => new Map(docs.map((d) => [d, records.get(d) as TermRecordRow])), 10_000);
        if (!ranking.exact) return;
        exactCases++;
        expect(topScores(ranking.scored, n)).toEqual(topScores(bruteForce(lists, records), n));
      }),
      { numRuns: 500 },
    );
    // The property is not vacuous: many cut fixtures are certified.
    expect(exactCases).toBeGreaterThan(100);
  });

  test('a document in no list can still rank: then the ranking says it is not exact', () => {
    // Term 1: doc 0 holds it 4 times; the list read stops there. Doc 1 holds terms 1 and 2 once each and sits in
    // neither read list, yet it outscores doc 0 and doc 2 (term 2 alone).
    const f: Fixture = {
      docs: [new Map([[1, 4]]), new Map([[1, 1], [2, 1]]), new Map([[2, 4]]), new Map([[1, 1]]), new Map([[2, 1]])],
      query: [1, 2],
    };
    const { lists, records } = listsOf(f, 1);
    const ranking = rankBounded(lists, 1, (docs) => new Map(docs.map((d) => [d, records.get(d) as TermRecordRow])), 100);
    expect(bruteForce(lists, records)[0]?.doc).toBe(1);
    expect(ranking.scored.some((s) => s.doc === 1)).toBe(false);
    expect(ranking.exact).toBe(false);
  });

  test('stops scoring at the budget and says the ranking is approximate', () => {
    const f: Fixture = { docs: Array.from({ length: 50 }, (_, i) => new Map([[1, 1 + (i % 3)], [2, 1 + (i % 5)]])), query: [1, 2] };
    const { lists, records } = listsOf(f, 10);
    const ranking = rankBounded(lists, 5, (docs) => new Map(docs.map((d) => [d, records.get(d) as TermRecordRow])), 3);
    expect(ranking.scored.length).toBe(3);
    expect(ranking.exact).toBe(false);
  });
});
