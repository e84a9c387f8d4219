// The optimised engine against the rule-by-rule reference: same text and counts on real logs, bench data and generated secrets.
import { describe, expect, test } from 'bun:test';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { redactInto } from './redact.ts';
import { referenceRedactInto } from './reference-redact.ts';
import { DEFAULT_REDACTION_RULES, type RedactionRule } from './rules.ts';

const SAMPLES = '/work/shared/samples';
const BENCH_DATA = join(import.meta.dir, '..', '..', 'bench', 'data', 'auditor-100mb-seed42');

// The default list, the list the JSON walker uses in identifier fields, and a list that drops every other rule.
const RULE_LISTS: Array<[string, readonly RedactionRule[]]> = [
  ['default rules', DEFAULT_REDACTION_RULES],
  ['no entropy rule', DEFAULT_REDACTION_RULES.filter((r) => r.kind !== 'entropy')],
  ['every other rule', DEFAULT_REDACTION_RULES.filter((_, i) => i % 2 === 1)],
];

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? files(p) : name === 'SOURCES.md' ? [] : [p];
  });
}

function stringsIn(v: unknown, out: string[]): void {
  if (typeof v === 'string') out.push(v);
  else if (Array.isArray(v)) for (const x of v) stringsIn(x, out);
  else if (typeof v === 'object' && v !== null) for (const x of Object.values(v)) stringsIn(x, out);
}

/** Each raw line, and each string of each line that parses: what redactText and collect's redactInto see. */
function linesAndFields(lines: readonly string[]): string[] {
  const out: string[] = [];
  for (const line of lines) {
    out.push(line);
    try {
      stringsIn(JSON.parse(line), out);
    } catch {
      // not JSON: the raw line is enough
    }
  }
  return out;
}

interface Mismatch {
  text: string;
  fast: string;
  reference: string;
}

/** Texts where the two engines disagree (at most 3, cut short), and how many texts the engines changed. */
function compare(texts: readonly string[], rules: readonly RedactionRule[]): { mismatches: Mismatch[]; changed: number; counts: Record<string, number> } {
  const mismatches: Mismatch[] = [];
  const fastTotals = new Map<string, number>();
  let changed = 0;
  for (const text of texts) {
    const fastCounts = new Map<string, number>();
    const refCounts = new Map<string, number>();
    const fast = redactInto(text, fastCounts, rules);
    const reference = referenceRedactInto(text, refCounts, rules);
    if (fast !== text) changed++;
    for (const [id, n] of fastCounts) fastTotals.set(id, (fastTotals.get(id) ?? 0) + n);
    const sameCounts = JSON.stringify([...fastCounts].sort()) === JSON.stringify([...refCounts].sort());
    if ((fast !== reference || !sameCounts) && mismatches.length < 3) {
      mismatches.push({ text: text.slice(0, 300), fast: `${fast.slice(0, 300)} ${JSON.stringify([...fastCounts])}`, reference: `${reference.slice(0, 300)} ${JSON.stringify([...refCounts])}` });
    }
  }
  return { mismatches, changed, counts: Object.fromEntries([...fastTotals].sort()) };
}

describe('redactInto agrees with the rule-by-rule reference', () => {
  const sampleTexts = linesAndFields(files(SAMPLES).flatMap((f) => readFileSync(f, 'utf8').split('\n')));

  for (const [name, rules] of RULE_LISTS) {
    test(`on every agent-log sample line and string field (${name})`, () => {
      const r = compare(sampleTexts, rules);
      expect(r.mismatches).toEqual([]);
      expect(sampleTexts.length).toBeGreaterThan(40_000);
      // The samples' ten opaque blobs, each seen as a raw line and again as its field.
      if (name === 'default rules') expect(r.counts).toEqual({ 'high-entropy-string': 20 });
    }, { timeout: 300_000 });
  }

  test.skipIf(!existsSync(BENCH_DATA))('on the generated auditor logs, planted secrets included', () => {
    const lines = readdirSync(BENCH_DATA)
      .filter((f) => f.endsWith('.jsonl'))
      .flatMap((f) => readFileSync(join(BENCH_DATA, f), 'utf8').split('\n', 400));
    const texts = linesAndFields(lines);
    for (const [, rules] of RULE_LISTS) expect(compare(texts, rules).mismatches).toEqual([]);
    // The data plants secrets of many kinds: the comparison must have covered redacting texts, not only clean ones.
    expect(compare(texts, DEFAULT_REDACTION_RULES).changed).toBeGreaterThan(20);
  }, { timeout: 300_000 });

  test('on generated texts mixing secrets of every kind with the characters rules key on', () => {
    const alnum = fc.constantFrom(...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'.split(''));
    const word = (min: number, max: number): fc.Arbitrary<string> => fc.array(alnum, { minLength: min, maxLength: max }).map((a) => a.join(''));
    const prefixes = ['gh' + 'p_', 'np' + 'm_', 'AK' + 'IA', 'sk-' + 'proj-', 'h' + 'f_', 'AI' + 'za', 'ey' + 'J', 'xo' + 'xb-', 'S' + 'K', 'sk-', 'key-', 'SG.', 'hv' + 's.', 'da' + 'pi', 'sig='];
    const piece = fc.oneof(
      fc.tuple(fc.constantFrom(...prefixes), word(8, 70)).map(([p, w]) => p + w),
      word(1, 40),
      fc.constantFrom(' ', '\n', '\\n', '/', '.', '=', '==', ':', '://', '@', ';', '"', "'", '~', '-', '--', '_', '[REDACTED:jwt]'),
      fc.constantFrom('password=', 'token: ', '"api_key": "', 'Authorization: Bearer ', 'bearer ', 'AccountKey=', 'https://u:', 'postgres://'),
      fc.constantFrom('-----BEGIN RSA PRIVATE KEY-----', '-----END RSA PRIVATE KEY-----', '"private_key": "'),
      fc.string({ maxLength: 8 }),
    );
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 30 }), fc.constantFrom(...RULE_LISTS.map(([, rules]) => rules)), (parts, rules) => {
        const text = parts.join('');
        const fastCounts = new Map<string, number>();
        const refCounts = new Map<string, number>();
        expect(redactInto(text, fastCounts, rules)).toBe(referenceRedactInto(text, refCounts, rules));
        expect([...fastCounts].sort()).toEqual([...refCounts].sort());
      }),
      { numRuns: 3000 },
    );
  }, { timeout: 300_000 });
});
