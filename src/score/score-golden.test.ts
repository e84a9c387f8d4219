import { describe, expect, test } from 'bun:test';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ScoredRunSchema } from '../../schemas/scored-run.ts';
import { makeRun } from '../../tests/fixtures/score/make-evidence.ts';
import type { EvidenceOverrides } from '../../tests/fixtures/score/make-evidence.ts';
import { canonicalJson } from '../canonical.ts';
import { DEFAULT_RULES, resolveScoringConfig } from './rules.ts';
import { scoreRuns } from './score.ts';

const FIXTURES = join(import.meta.dir, '../../tests/fixtures/score');
const GOLDEN = join(FIXTURES, 'scored.golden.jsonl');

interface Case {
  run_id: string;
  why: string;
  expect: string;
  expect_with_config: string;
  evidence: EvidenceOverrides[];
}

const { cases } = JSON.parse(readFileSync(join(FIXTURES, 'cases.json'), 'utf8')) as { cases: Case[] };
const evidence = cases.flatMap((c) => makeRun(c.run_id, c.evidence));
const OPTS = { scored_at: '2025-04-01T00:00:00Z', scorer_version: 'golden' };

describe('scoring scenarios (tests/fixtures/score/cases.json)', () => {
  const byDefault = new Map(scoreRuns(evidence, { ...OPTS, rules: DEFAULT_RULES }).map((r) => [r.run_id, r]));
  const configRules = resolveScoringConfig(JSON.parse(readFileSync(join(FIXTURES, 'scoring-config.json'), 'utf8')));
  const byConfig = new Map(scoreRuns(evidence, { ...OPTS, rules: configRules }).map((r) => [r.run_id, r]));

  for (const c of cases) {
    test(`${c.run_id}: ${c.why}`, () => {
      expect(byDefault.get(c.run_id)?.category).toBe(c.expect as never);
      expect(byConfig.get(c.run_id)?.category).toBe(c.expect_with_config as never);
    });
  }

  test('the scored output matches the golden file byte for byte (UPDATE_GOLDEN=1 rewrites it)', () => {
    const runs = scoreRuns(evidence, { ...OPTS, rules: DEFAULT_RULES });
    for (const run of runs) ScoredRunSchema.parse(run);
    const text = runs.map((r) => `${canonicalJson(r)}\n`).join('');
    if (process.env.UPDATE_GOLDEN === '1') writeFileSync(GOLDEN, text);
    expect(existsSync(GOLDEN)).toBe(true);
    expect(text).toBe(readFileSync(GOLDEN, 'utf8'));
  });
});
