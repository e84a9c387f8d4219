// Curation: dedup survivors independent of input order, seeded MinHash, splits stable as runs are added; exports byte-identical run to run.
import { describe, expect, test } from 'bun:test';
import fc from 'fast-check';
import { defaultConfig } from '../../schemas/config.ts';
import { buildExport } from './build-export.ts';
import { assignSplit, buildMinHashSeeds, buildShingles, computeMinHash, dedupRows, estimateJaccard, normalizeText } from './curate.ts';
import { fixturePlan, scoreFixtureRuns, type RunSpec } from './export.fixture.ts';
import { sha256Hex } from '../canonical.ts';

const cfg = defaultConfig().export;
const WORDS = 'the parser drops the last token when the input ends without a newline so tokenize must read to the end of the buffer and flush the pending token before it returns the list of tokens to the caller'.split(' ');

function shuffle<T>(items: readonly T[], keys: readonly number[]): T[] {
  return items.map((v, i) => ({ v, k: keys[i % Math.max(1, keys.length)] ?? 0, i })).sort((a, b) => a.k - b.k || a.i - b.i).map((x) => x.v);
}

describe('dedup', () => {
  test('exact duplicates differ only in case and whitespace; the smallest id survives', () => {
    const rows = [
      { id: 'b', group: 'g', text: 'Fix  the Parser' },
      { id: 'a', group: 'g', text: 'fix the parser' },
      { id: 'c', group: 'g', text: 'something else entirely here' },
    ];
    const out = dedupRows(rows, cfg.near_dup, cfg.seed);
    expect(out.kept.map((r) => r.id)).toEqual(['a', 'c']);
    expect(out.exact_duplicates).toBe(1);
    expect(normalizeText('  Fix\n\tthe  Parser ')).toBe('fix the parser');
  });

  test('a near duplicate (one word of two hundred changed) is removed, an unrelated text is kept', () => {
    const long = Array.from({ length: 200 }, (_, i) => `${WORDS[i % WORDS.length]}${Math.floor(i / WORDS.length)}`);
    const base = long.join(' ');
    const edited = long.map((w, i) => (i === 100 ? 'drain' : w)).join(' ');
    const other = [...long].reverse().join(' ');
    const out = dedupRows(
      [
        { id: sha256Hex(base), group: 'g', text: base },
        { id: sha256Hex(edited), group: 'g', text: edited },
        { id: sha256Hex(other), group: 'g', text: other },
      ],
      cfg.near_dup,
      cfg.seed,
    );
    expect(out.near_duplicates).toBe(1);
    expect(out.kept.length).toBe(2);
    expect(out.kept.map((r) => r.text)).toContain(other);
  });

  test('survivors are the same whatever order the rows arrive in', () => {
    const textArb = fc.array(fc.constantFrom(...WORDS.slice(0, 12)), { minLength: 3, maxLength: 30 }).map((w) => w.join(' '));
    fc.assert(
      fc.property(fc.array(textArb, { minLength: 1, maxLength: 25 }), fc.array(fc.integer(), { minLength: 1, maxLength: 25 }), (texts, keys) => {
        const rows = texts.map((text, i) => ({ id: sha256Hex(`${i}:${text}`), group: `g${i % 3}`, text }));
        const a = dedupRows(rows, cfg.near_dup, cfg.seed);
        const b = dedupRows(shuffle(rows, keys), cfg.near_dup, cfg.seed);
        expect(b.kept.map((r) => r.id)).toEqual(a.kept.map((r) => r.id));
        expect(b.exact_duplicates + b.near_duplicates).toBe(a.exact_duplicates + a.near_duplicates);
      }),
      { numRuns: 50, seed: 7 },
    );
  });

  test('MinHash is seeded: the same seed gives the same signature, another seed another', () => {
    const sh = buildShingles(normalizeText(WORDS.join(' ')), 5);
    const one = computeMinHash(sh, buildMinHashSeeds('s1', 128));
    expect([...computeMinHash(sh, buildMinHashSeeds('s1', 128))]).toEqual([...one]);
    expect([...computeMinHash(sh, buildMinHashSeeds('s2', 128))]).not.toEqual([...one]);
    expect(estimateJaccard(one, one)).toBe(1);
  });
});

describe('splits', () => {
  test('a task group always lands in the same split, and the shares follow the config', () => {
    const counts = { train: 0, validation: 0, test: 0 };
    for (let i = 0; i < 2000; i++) counts[assignSplit(`task-${i}`, cfg.seed, cfg.splits)]++;
    expect(assignSplit('task-7', cfg.seed, cfg.splits)).toBe(assignSplit('task-7', cfg.seed, cfg.splits));
    // 2000 draws: each share within 3 points of its target.
    expect(Math.abs(counts.train / 2000 - 0.8)).toBeLessThan(0.03);
    expect(Math.abs(counts.validation / 2000 - 0.1)).toBeLessThan(0.03);
  });

  const spec = (i: number): RunSpec => ({
    run_id: `run-${i}`,
    task_id: `task-${i % 7}`,
    outcome: i % 3 === 0 ? 'reject' : 'accept',
    prompt: `question ${i}: ${WORDS.slice(i % 10, (i % 10) + 6).join(' ')}`,
    answer: `answer ${i} ${WORDS.slice((i * 3) % 20, ((i * 3) % 20) + 8).join(' ')} done${i}`,
    minute: i,
    fact: `lesson ${i}: ${WORDS.slice(i % 15, (i % 15) + 9).join(' ')}`,
  });

  /** Row id → the file it sits in, over every data file of the export. */
  function placement(files: ReadonlyMap<string, string>): Map<string, string> {
    const out = new Map<string, string>();
    for (const [path, text] of files) {
      if (!path.endsWith('.jsonl') || path.includes('provenance') || path === 'refused.jsonl') continue;
      for (const line of text.split('\n')) if (line !== '') out.set((JSON.parse(line) as { id: string }).id, path);
    }
    return out;
  }

  test('adding runs never moves an existing row to another split', () => {
    const before = placement(buildExport(scoreFixtureRuns(Array.from({ length: 24 }, (_, i) => spec(i))), [], fixturePlan()).files);
    const after = placement(buildExport(scoreFixtureRuns(Array.from({ length: 40 }, (_, i) => spec(i))), [], fixturePlan()).files);
    expect(before.size).toBeGreaterThan(20);
    expect(new Set(before.values()).size).toBeGreaterThan(4); // rows really spread over several files and splits
    for (const [id, path] of before) if (after.has(id)) expect(after.get(id)).toBe(path);
  });

  test('exporting twice, or from runs in another order, gives identical bytes', () => {
    const runs = scoreFixtureRuns(Array.from({ length: 20 }, (_, i) => spec(i)));
    for (const format of ['trl', 'openai'] as const) {
      const a = buildExport(runs, [], fixturePlan({ format }));
      const b = buildExport(runs, [], fixturePlan({ format }));
      const c = buildExport([...runs].reverse().map((r) => ({ ...r, evidence: [...r.evidence].reverse() })), [], fixturePlan({ format }));
      expect([...b.files]).toEqual([...a.files]);
      expect([...c.files]).toEqual([...a.files]);
    }
  });
});
