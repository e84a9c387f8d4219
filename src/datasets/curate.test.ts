// Curation: dedup survivors independent of input order, seeded MinHash, splits stable as runs are added; exports byte-identical run to run.
import { describe, expect, test } from 'bun:test';
import fc from 'fast-check';
import { createHash } from 'node:crypto';
import { defaultConfig } from '../../schemas/config.ts';
import { buildExport } from './build-export.ts';
import { assignSplit, buildMinHashSeeds, buildShingles, computeMinHash, dedupRows, estimateJaccard, normalizeText } from './curate.ts';
import { fixturePlan, scoreFixtureRuns, type Outcome, type RunSpec } from './export.fixture.ts';
import { canonicalJson, sha256Hex } from '../canonical.ts';

const cfg = defaultConfig().export;
const WORDS = 'the parser drops the last token when the input ends without a newline so tokenize must read to the end of the buffer and flush the pending token before it returns the list of tokens to the caller'.split(' ');

function shuffle<T>(items: readonly T[], keys: readonly number[]): T[] {
  return items.map((v, i) => ({ v, k: keys[i % Math.max(1, keys.length)] ?? 0, i })).sort((a, b) => a.k - b.k || a.i - b.i).map((x) => x.v);
}

describe('dedup', () => {
  test('the earliest row of a cluster survives, whatever its id; among rows of one time the smallest id', () => {
    const rows = [
      { id: 'a', group: 'g1', time: '2024-01-02T00:00:00.000Z', text: 'fix the parser' },
      { id: 'z', group: 'g2', time: '2024-01-01T00:00:00.000Z', text: 'Fix the  parser' },
    ];
    expect(dedupRows(rows, cfg.near_dup, cfg.seed).kept.map((r) => r.id)).toEqual(['z']);
  });

  test('exact duplicates differ only in case and whitespace; the smallest id survives', () => {
    const rows = [
      { id: 'b', group: 'g', time: '', text: 'Fix  the Parser' },
      { id: 'a', group: 'g', time: '', text: 'fix the parser' },
      { id: 'c', group: 'g', time: '', text: 'something else entirely here' },
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
        { id: sha256Hex(base), group: 'g', time: '', text: base },
        { id: sha256Hex(edited), group: 'g', time: '', text: edited },
        { id: sha256Hex(other), group: 'g', time: '', text: other },
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
        const rows = texts.map((text, i) => ({ id: sha256Hex(`${i}:${text}`), group: `g${i % 3}`, time: `2024-01-01T00:0${i % 4}:00.000Z`, text }));
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

describe('the formulas the dataset card states', () => {
  // Recomputed here from the card's words with node:crypto, so a change to the code that the card does not follow fails.
  const sha = (text: string) => createHash('sha256').update(text).digest('hex');
  const fmix = (h: number) => {
    h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
    h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
    return (h ^ (h >>> 16)) >>> 0;
  };

  test('split: u = first 32 bits of sha256("split" NUL seed NUL task_id) / 2^32, cut at the configured shares', () => {
    for (let i = 0; i < 300; i++) {
      const u = Number.parseInt(sha(`split\0${cfg.seed}\0task-${i}`).slice(0, 8), 16) / 2 ** 32;
      const expected = u < cfg.splits.train ? 'train' : u < cfg.splits.train + cfg.splits.validation ? 'validation' : 'test';
      expect(assignSplit(`task-${i}`, cfg.seed, cfg.splits)).toBe(expected);
    }
  });

  test('MinHash: seed_i from sha256("minhash" NUL seed NUL i), shingles folded from murmur3 word hashes, h_i(x) = fmix32(x xor seed_i)', () => {
    const seeds = buildMinHashSeeds(cfg.seed, 8);
    expect([...seeds]).toEqual(Array.from({ length: 8 }, (_, i) => Number.parseInt(sha(`minhash\0${cfg.seed}\0${i}`).slice(0, 8), 16)));
    const words = normalizeText(WORDS.slice(0, 9).join(' ')).split(' ');
    const n = cfg.near_dup.shingle_words;
    const shingles = new Set<number>();
    for (let i = 0; i + n <= words.length; i++) {
      let h = n;
      for (const w of words.slice(i, i + n)) h = fmix((Math.imul(h, 0x9e3779b1) ^ (Bun.hash.murmur32v3(w, 0) >>> 0)) >>> 0);
      shingles.add(h);
    }
    expect([...buildShingles(words.join(' '), n)].sort()).toEqual([...shingles].sort());
    const sig = computeMinHash(Uint32Array.from(shingles), seeds);
    expect([...sig]).toEqual([...seeds].map((s) => Math.min(...[...shingles].map((x) => fmix((x ^ s) >>> 0)))));
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

  /** Every data line of the export → the file it sits in; a provenance sidecar line without its line number, which moves as rows are added. */
  function lines(files: ReadonlyMap<string, string>): Map<string, string> {
    const out = new Map<string, string>();
    for (const [path, text] of files) {
      if (!path.endsWith('.jsonl') || path === 'refused.jsonl') continue;
      for (const line of text.split('\n')) {
        if (line === '') continue;
        if (!path.endsWith('.provenance.jsonl')) out.set(line, path);
        else {
          const { line: _, ...rest } = JSON.parse(line) as { line: number };
          out.set(canonicalJson(rest), path);
        }
      }
    }
    return out;
  }

  test('adding runs never moves an existing row to another split', () => {
    const before = placement(buildExport(scoreFixtureRuns(Array.from({ length: 24 }, (_, i) => spec(i))), [], fixturePlan()).files);
    const after = placement(buildExport(scoreFixtureRuns(Array.from({ length: 40 }, (_, i) => spec(i))), [], fixturePlan()).files);
    expect(before.size).toBeGreaterThan(20);
    expect(new Set(before.values()).size).toBeGreaterThan(4); // rows really spread over several files and splits
    for (const [id, path] of before) expect(after.get(id)).toBe(path);
  });

  test('a later near-identical run in another task group does not take an earlier row out of its split', () => {
    // run-a's task lands in train; run-b's in test: before the fix the smaller id survived dedup, whichever run came first.
    const taskA = Array.from({ length: 50 }, (_, i) => `task-a${i}`).find((t) => assignSplit(t, cfg.seed, cfg.splits) === 'train')!;
    const taskB = Array.from({ length: 50 }, (_, i) => `task-b${i}`).find((t) => assignSplit(t, cfg.seed, cfg.splits) === 'test')!;
    const a: RunSpec = { run_id: 'run-a', task_id: taskA, outcome: 'accept', prompt: WORDS.slice(0, 20).join(' '), answer: WORDS.slice(10, 30).join(' '), minute: 0 };
    const before = lines(buildExport(scoreFixtureRuns([a]), [], fixturePlan({ kinds: ['sft'] })).files);
    expect([...before.values()]).toEqual(['sft/instruction_response.jsonl']);
    for (let k = 0; k < 12; k++) {
      // Twelve variants (one word appended to the answer): each row id differs, so some sort before run-a's.
      const b: RunSpec = { ...a, run_id: `run-b${k}`, task_id: taskB, answer: `${a.answer} ${WORDS[30 + k]}`, minute: 60 + k };
      const built = buildExport(scoreFixtureRuns([a, b]), [], fixturePlan({ kinds: ['sft'] }));
      expect(built.kinds[0]!.near_duplicates).toBe(1);
      const after = lines(built.files);
      for (const [line, path] of before) expect(after.get(line)).toBe(path);
      expect(built.files.has('sft/instruction_response.test.jsonl')).toBe(false);
    }
  });

  test('property: runs added after the exported ones keep every existing row, byte for byte, in the same file', () => {
    const runArb = fc.record({
      outcome: fc.constantFrom<Outcome>('accept', 'partial', 'reject', 'review', 'override_accept', 'override_reject'),
      task: fc.integer({ min: 0, max: 4 }),
      prompt: fc.array(fc.constantFrom(...WORDS.slice(0, 16)), { minLength: 8, maxLength: 30 }),
      answer: fc.array(fc.constantFrom(...WORDS.slice(8, 24)), { minLength: 8, maxLength: 30 }),
      tool: fc.boolean(),
      fact: fc.boolean(),
      minute: fc.integer({ min: 0, max: 300 }),
    });
    // An added run is new, or a copy of an existing run (exact, or one word longer: a near duplicate), in any task group.
    const addedArb = fc.record({ copy: fc.option(fc.nat(), { nil: null }), extra: fc.option(fc.constantFrom(...WORDS), { nil: null }), run: runArb });
    type Gen = { outcome: Outcome; task: number; prompt: string[]; answer: string[]; tool: boolean; fact: boolean; minute: number };
    const toSpec = (g: Gen, id: string, minute: number): RunSpec => ({
      run_id: id,
      task_id: `task-${g.task}`,
      outcome: g.outcome,
      prompt: g.prompt.join(' '),
      answer: g.answer.join(' '),
      minute,
      ...(g.tool ? { tool: { name: 'Bash', input_summary: `{"command":"grep ${g.prompt[0]} src"}`, result: g.answer.slice(0, 3).join(' ') } } : {}),
      ...(g.fact ? { fact: `lesson: ${g.answer.join(' ')}` } : {}),
    });
    fc.assert(
      fc.property(fc.array(runArb, { minLength: 1, maxLength: 10 }), fc.array(addedArb, { minLength: 1, maxLength: 8 }), fc.constantFrom('trl' as const, 'openai' as const), (base, added, format) => {
        const baseSpecs = base.map((g, i) => toSpec(g, `run-${i}`, g.minute));
        // Every added run starts after every exported one (the minutes of the base runs stay below 310).
        const addedSpecs = added.map((x, i) => {
          const src = x.copy === null ? null : base[x.copy % base.length]!;
          const g = src === null ? x.run : { ...src, task: x.run.task, outcome: x.run.outcome, answer: x.extra === null ? src.answer : [...src.answer, x.extra] };
          return toSpec(g, `new-${i}`, 1000 + i * 10);
        });
        const before = lines(buildExport(scoreFixtureRuns(baseSpecs), [], fixturePlan({ format })).files);
        const after = lines(buildExport(scoreFixtureRuns([...baseSpecs, ...addedSpecs]), [], fixturePlan({ format })).files);
        for (const [line, path] of before) expect({ line, path: after.get(line) }).toEqual({ line, path });
      }),
      { numRuns: 60, seed: 31 },
    );
  }, 120_000);

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
