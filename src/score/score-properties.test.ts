import { describe, expect, test } from 'bun:test';
import fc from 'fast-check';
import type { EvidenceRecord } from '../../schemas/evidence-record.ts';
import { ScoredRunSchema } from '../../schemas/scored-run.ts';
import { makeEvidence } from '../../tests/fixtures/score/make-evidence.ts';
import { canonicalJson } from '../canonical.ts';
import { DEFAULT_RULES, resolveRules, sortRules } from './rules.ts';
import type { ScoringRule } from './rules.ts';
import { scoreRuns } from './score.ts';

const OPTS = { rules: DEFAULT_RULES, scored_at: '2025-02-01T00:00:00Z', scorer_version: 'prop' };

/** Mostly null, sometimes one of `values`: most evidence says nothing about most signals. */
function sparse<T>(values: fc.Arbitrary<T>): fc.Arbitrary<T | null> {
  return fc.oneof({ arbitrary: fc.constant(null), weight: 4 }, { arbitrary: values, weight: 1 });
}

const unit = fc.double({ min: 0, max: 1, noNaN: true });

const evidenceArb: fc.Arbitrary<EvidenceRecord> = fc
  .record({
    run_id: fc.constantFrom('run-a', 'run-b', 'run-c'),
    task_type: fc.constantFrom('review', 'patch'),
    model_name: sparse(fc.constantFrom('qwen', 'claude', 'gpt')),
    // Few distinct instants (one written with an offset), so ties fall through to provenance.
    timestamp: sparse(fc.constantFrom('2025-01-01T00:00:00Z', '2025-01-01T02:00:00+02:00', '2025-01-01T00:00:01Z')),
    source_file: fc.constantFrom('a.jsonl', 'b.jsonl'),
    // Few lines, so some records share an evidence_id: the same evidence read twice.
    line: fc.integer({ min: 1, max: 12 }),
    success_markers: fc.array(fc.constantFrom('tests passed', 'done'), { maxLength: 2 }),
    failure_markers: fc.array(fc.constantFrom('tool error', 'timeout'), { maxLength: 1 }),
    validation_results: fc.array(
      fc.record({ name: fc.constantFrom('unit', 'lint'), passed: fc.boolean(), detail: fc.constant('') }),
      { maxLength: 2 },
    ),
    human_override: sparse(
      fc.record({ decision: fc.constantFrom('accept' as const, 'reject' as const), reason: fc.constant('r'), by: fc.constant('p') }),
    ),
    tool_calls: fc.array(
      fc.record({
        name: fc.constantFrom('Bash', 'Edit'),
        call_id: fc.constant(null),
        input_summary: fc.constant(null),
        ok: fc.constantFrom(true, false, null),
        error: fc.constant(null),
      }),
      { maxLength: 2 },
    ),
    signals: fc.record({
      observer_verdict: sparse(fc.constantFrom('accept' as const, 'reject' as const)),
      observer_confidence: sparse(unit),
      auditor_verdict: sparse(fc.constantFrom('pass' as const, 'warn' as const, 'block' as const)),
      applier_action: sparse(fc.constantFrom('applied' as const, 'skipped' as const, 'reverted' as const, 'gate_failed' as const)),
      accepted_on_attempt: sparse(fc.integer({ min: 1, max: 3 })),
      exit_status: sparse(fc.constantFrom('submitted', 'error', 'max_iterations')),
      run_ok: sparse(fc.boolean()),
      grounding: sparse(unit),
      fatal_tool_error: sparse(fc.boolean()),
    }),
  })
  .map(({ source_file, line, ...rest }) => makeEvidence({ ...rest, provenance: { source_file, line_offset: line } }));

const evidenceListArb = fc.array(evidenceArb, { minLength: 1, maxLength: 25 });

describe('scoring properties', () => {
  test('the output, byte for byte, does not depend on the input order of evidence', () => {
    fc.assert(
      fc.property(
        evidenceListArb.chain((ev) => fc.tuple(fc.constant(ev), fc.shuffledSubarray(ev, { minLength: ev.length }))),
        ([ev, shuffled]) => {
          expect(canonicalJson(scoreRuns(shuffled, OPTS))).toBe(canonicalJson(scoreRuns(ev, OPTS)));
        },
      ),
      { numRuns: 300 },
    );
  });

  test('a rerun is byte-identical and leaves its input untouched', () => {
    fc.assert(
      fc.property(evidenceListArb, (ev) => {
        const before = canonicalJson(ev);
        const first = canonicalJson(scoreRuns(ev, OPTS));
        expect(canonicalJson(scoreRuns(ev, OPTS))).toBe(first);
        expect(canonicalJson(ev)).toBe(before);
      }),
      { numRuns: 100 },
    );
  });

  test('every scored run is valid, has reasons in precedence order led by the decisive one, and cites only its own evidence', () => {
    const precedence = new Map(DEFAULT_RULES.map((r) => [r.id, r.precedence]));
    fc.assert(
      fc.property(evidenceListArb, (ev) => {
        const runs = scoreRuns(ev, OPTS);
        expect(runs.map((r) => r.run_id)).toEqual([...new Set(ev.map((e) => e.run_id))].sort());
        for (const run of runs) {
          expect(ScoredRunSchema.safeParse(run).success).toBe(true);
          expect(run.reasons.length).toBeGreaterThanOrEqual(1);
          expect(run.reasons[0]!.category).toBe(run.category);
          const own = new Set(ev.filter((e) => e.run_id === run.run_id).map((e) => e.evidence_id));
          expect(run.evidence_count).toBe(own.size);
          const order = run.reasons.map((r) => precedence.get(r.rule_id) ?? -Infinity);
          expect(order).toEqual([...order].sort((a, b) => b - a));
          for (const reason of run.reasons) for (const id of reason.evidence_ids) expect(own.has(id)).toBe(true);
        }
      }),
      { numRuns: 300 },
    );
  });

  test('the latest human override decides the category whatever else the run says', () => {
    fc.assert(
      fc.property(evidenceListArb, fc.constantFrom('accept' as const, 'reject' as const), (ev, decision) => {
        const run = ev.map((e) => ({ ...e, run_id: 'run-o' }));
        const override = makeEvidence({
          run_id: 'run-o',
          timestamp: '2099-01-01T00:00:00Z',
          human_override: { decision, reason: 'looked at it', by: 'lead' },
          provenance: { source_file: 'data/_kb/human_overrides.jsonl', line_offset: 1 },
        });
        const [scored] = scoreRuns([...run, override], OPTS);
        expect(scored!.category).toBe(decision === 'accept' ? 'accepted' : 'rejected');
        expect(scored!.reasons[0]!.evidence_ids).toEqual([override.evidence_id]);
      }),
      { numRuns: 200 },
    );
  });

  test('an observer confidence threshold from config moves the line between rejected and needs_human_review', () => {
    fc.assert(
      fc.property(unit, unit, (confidence, threshold) => {
        const rules: ScoringRule[] = resolveRules(DEFAULT_RULES, {
          thresholds: { observer_confidence: threshold },
          disable: [],
          rules: [],
        });
        const ev = [makeEvidence({ signals: { observer_verdict: 'reject', observer_confidence: confidence } })];
        const [run] = scoreRuns(ev, { ...OPTS, rules });
        expect(run!.category).toBe(confidence >= threshold ? 'rejected' : 'needs_human_review');
      }),
      { numRuns: 200 },
    );
  });

  test('the rule set scores the same whatever order its rules are listed in', () => {
    fc.assert(
      fc.property(evidenceListArb, fc.shuffledSubarray([...DEFAULT_RULES], { minLength: DEFAULT_RULES.length }), (ev, rules) => {
        expect(canonicalJson(scoreRuns(ev, { ...OPTS, rules }))).toBe(canonicalJson(scoreRuns(ev, { ...OPTS, rules: sortRules(DEFAULT_RULES) })));
      }),
      { numRuns: 100 },
    );
  });
});
