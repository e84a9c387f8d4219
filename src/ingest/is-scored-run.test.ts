// The compiled ScoredRun check agrees with zod, on the schema fixtures and on corruptions of a real scored run.
import { expect, test } from 'bun:test';
import fc from 'fast-check';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ScoredRunSchema } from '../../schemas/scored-run.ts';
import { isScoredRun } from './is-scored-run.ts';

const FIXTURES = join(import.meta.dir, '../../tests/schemas/fixtures/scored-run');

function fixtures(kind: 'valid' | 'invalid'): Array<[string, unknown]> {
  return readdirSync(join(FIXTURES, kind))
    .filter((f) => f.endsWith('.json'))
    .map((f) => [f, JSON.parse(readFileSync(join(FIXTURES, kind, f), 'utf8')) as unknown]);
}

test('is compiled: it answers without calling zod', () => {
  const original = ScoredRunSchema.safeParse;
  ScoredRunSchema.safeParse = () => {
    throw new Error('zod was called');
  };
  try {
    for (const [, value] of fixtures('valid')) expect(isScoredRun(value)).toBe(true);
  } finally {
    ScoredRunSchema.safeParse = original;
  }
});

test('agrees with zod on every schema fixture, valid and invalid', () => {
  const all = [...fixtures('valid'), ...fixtures('invalid')];
  expect(fixtures('invalid').length).toBeGreaterThan(3);
  for (const [name, value] of all) {
    expect({ name, compiled: isScoredRun(value) }).toEqual({ name, compiled: ScoredRunSchema.safeParse(value).success });
  }
});

const PATHS = [
  ['reasons'], ['reasons', '0'], ['reasons', '0', 'evidence_ids'], ['reasons', '0', 'category'], ['signals', 'grounding'],
  ['signals', 'fatal_tool_error'], ['signals', 'auditor_blocks'], ['signals', 'extra'], ['evidence_count'], ['model_names'],
  ['scored_at'], ['rules_sha256'], ['task_id'], ['extra'],
] as const;
const VALUES: readonly unknown[] = [undefined, null, '', 'x', 0, 1, -1, 0.5, 1.5, Number.NaN, true, [], ['a'], {}, '2026-01-01T00:00:00Z', 'a'.repeat(64)];

test('agrees with zod on random corruptions of a valid scored run', () => {
  const [, base] = fixtures('valid')[0]!;
  fc.assert(
    fc.property(fc.constantFrom(...PATHS), fc.oneof(fc.constantFrom(...VALUES), fc.jsonValue()), (path, value) => {
      const copy = structuredClone(base) as Record<string, unknown>;
      let node = copy;
      for (const k of path.slice(0, -1)) node = node[k] as Record<string, unknown>;
      const last = path[path.length - 1]!;
      if (value === undefined) delete node[last];
      else node[last] = value;
      expect(isScoredRun(copy)).toBe(ScoredRunSchema.safeParse(copy).success);
    }),
    { numRuns: 1000, seed: 11 },
  );
});
