import { describe, expect, test } from 'bun:test';
import { ScoredRunSchema } from '../../schemas/scored-run.ts';
import type { ScoredRun } from '../../schemas/scored-run.ts';
import { makeEvidence, makeRun } from '../../tests/fixtures/score/make-evidence.ts';
import type { EvidenceOverrides } from '../../tests/fixtures/score/make-evidence.ts';
import { DistillError } from '../errors.ts';
import { DEFAULT_RULES, resolveRules, rulesSha256 } from './rules.ts';
import type { ScoringRule } from './rules.ts';
import { SCORER_VERSION, scoreRuns } from './score.ts';

const SCORED_AT = '2025-02-01T00:00:00Z';

function scoreOne(items: readonly EvidenceOverrides[], rules: readonly ScoringRule[] = DEFAULT_RULES): ScoredRun {
  const runs = scoreRuns(makeRun('run-x', items), { rules, scored_at: SCORED_AT, scorer_version: SCORER_VERSION });
  expect(runs).toHaveLength(1);
  return ScoredRunSchema.parse(runs[0]);
}

const ruleIds = (run: ScoredRun): string[] => run.reasons.map((r) => r.rule_id);

const green: EvidenceOverrides[] = [
  { validation_results: [{ name: 'unit', passed: true, detail: '' }] },
  { signals: { auditor_verdict: 'pass', observer_verdict: 'accept', observer_confidence: 0.95 } },
  { success_markers: ['tests passed'], signals: { exit_status: 'submitted', run_ok: true } },
];

describe('human override (precedence 1)', () => {
  test('a human override decides a run\'s category whatever else the run\'s evidence says', () => {
    const accepted = scoreOne([
      { validation_results: [{ name: 'unit', passed: false, detail: '3 failed' }] },
      { signals: { auditor_verdict: 'block', applier_action: 'reverted', exit_status: 'error', fatal_tool_error: true } },
      { signals: { observer_verdict: 'reject', observer_confidence: 0.99 } },
      { human_override: { decision: 'accept', reason: 'flaky test, verified by hand', by: 'amy' } },
    ]);
    expect(accepted.category).toBe('accepted');
    expect(accepted.reasons[0]).toMatchObject({ rule_id: 'override.accept', category: 'accepted', signal: 'human_override' });
    expect(accepted.reasons[0]!.detail).toBe(
      'a human override accepted the run; human_override = "accept": human accept by amy: "flaky test, verified by hand" (data/_kb/stream.jsonl:4)',
    );
    // The overruled rules still give their reasons, after the deciding one.
    expect(ruleIds(accepted)).toEqual([
      'override.accept',
      'hard.exit_status',
      'hard.failed_validation',
      'hard.fatal_tool_error',
      'hard.reverted',
      'hard.auditor_block',
      'observer.confident_reject',
      'outcome.no_positive',
    ]);

    const rejected = scoreOne([...green, { human_override: { decision: 'reject', reason: 'wrong file', by: 'bob' } }]);
    expect(rejected.category).toBe('rejected');
    expect(ruleIds(rejected)).toEqual(['override.reject', 'success']);
  });

  test('the latest of several overrides decides', () => {
    const run = scoreOne([
      { timestamp: '2025-01-01T10:00:00Z', human_override: { decision: 'accept', reason: '', by: 'amy' } },
      { timestamp: '2025-01-01T09:00:00Z', human_override: { decision: 'reject', reason: '', by: 'bob' } },
    ]);
    expect(run.category).toBe('accepted');
  });
});

describe('hard failures (precedence 2)', () => {
  const cases: Array<[string, EvidenceOverrides]> = [
    ['hard.failed_validation', { validation_results: [{ name: 'cargo test', passed: false, detail: '1 failed' }] }],
    ['hard.gate_failed', { signals: { applier_action: 'gate_failed' } }],
    ['hard.reverted', { signals: { applier_action: 'reverted' } }],
    ['hard.fatal_tool_error', { tool_calls: [{ name: 'Bash', call_id: 'c1', input_summary: null, ok: false, error: 'exit 2' }] }],
    ['hard.exit_status', { signals: { exit_status: 'max_iterations' } }],
    ['hard.run_not_ok', { signals: { run_ok: false } }],
    ['hard.auditor_block', { signals: { auditor_verdict: 'block' } }],
  ];
  for (const [rule, failure] of cases) {
    test(`${rule} rejects a run that otherwise succeeded, citing the failing evidence`, () => {
      const items = [{ success_markers: ['done'], signals: { accepted_on_attempt: 1 } }, failure];
      const run = scoreOne(items);
      const failing = makeRun('run-x', items)[1]!;
      expect(run.category).toBe('rejected');
      expect(run.reasons[0]!.rule_id).toBe(rule);
      expect(run.reasons[0]!.evidence_ids).toEqual([failing.evidence_id]);
      expect(run.reasons[0]!.detail).toContain('(data/_kb/stream.jsonl:2)');
    });
  }

  test('tests that failed and passed later do not reject the run; they are a blemish', () => {
    const run = scoreOne([
      { validation_results: [{ name: 'unit', passed: false, detail: '' }] },
      { validation_results: [{ name: 'unit', passed: true, detail: '' }] },
    ]);
    expect(run.category).toBe('partially_accepted');
    expect(ruleIds(run)).toEqual(['blemish.partial_tests', 'success']);
  });

  test('an observer accept does not outweigh failed tests (a fact beats an opinion)', () => {
    const run = scoreOne([
      { validation_results: [{ name: 'unit', passed: false, detail: '' }] },
      { signals: { observer_verdict: 'accept', observer_confidence: 0.9 } },
    ]);
    expect(run.category).toBe('rejected');
    expect(run.reasons[0]!.rule_id).toBe('hard.failed_validation');
  });
});

describe('observer rejection (precedence 3)', () => {
  test('a confident observer rejection (>= 0.7) with no override is rejected', () => {
    const run = scoreOne([...green.slice(0, 1), { signals: { observer_verdict: 'reject', observer_confidence: 0.82 } }]);
    expect(run.category).toBe('rejected');
    expect(run.reasons[0]).toMatchObject({ rule_id: 'observer.confident_reject', signal: 'observer_reject_confidence' });
    expect(run.reasons[0]!.detail).toBe(
      'an observer rejected the run with confidence at or above the threshold; observer_reject_confidence = 0.82: ' +
        'observer rejected with confidence 0.82 (data/_kb/stream.jsonl:2)',
    );
  });

  test('exactly 0.7 is confident; 0.69 needs a person', () => {
    expect(scoreOne([{ signals: { observer_verdict: 'reject', observer_confidence: 0.7 } }]).category).toBe('rejected');
    const unsure = scoreOne([{ success_markers: ['ok'] }, { signals: { observer_verdict: 'reject', observer_confidence: 0.69 } }]);
    expect(unsure.category).toBe('needs_human_review');
    expect(unsure.reasons[0]).toMatchObject({ rule_id: 'observer.unsure_reject', signal: 'observer_rejects' });
  });

  test('an observer rejection with no stated confidence needs a person', () => {
    const run = scoreOne([{ signals: { observer_verdict: 'reject', observer_confidence: null } }]);
    expect(run.category).toBe('needs_human_review');
    expect(run.reasons[0]!.rule_id).toBe('observer.unsure_reject');
  });

  test('a confident observer rejection stands against an auditor pass', () => {
    const run = scoreOne([{ signals: { auditor_verdict: 'pass', observer_verdict: 'reject', observer_confidence: 0.9 } }]);
    expect(run.category).toBe('rejected');
  });
});

describe('conflicts and missing outcomes (precedence 4)', () => {
  test('an observer accept with an auditor block is a conflict for a person, not a rejection', () => {
    const items: EvidenceOverrides[] = [
      { signals: { auditor_verdict: 'block' }, provenance: { source_file: 'data/_auditor/audits.jsonl' } },
      { signals: { observer_verdict: 'accept', observer_confidence: 0.9 } },
    ];
    const run = scoreOne(items);
    const ev = makeRun('run-x', items);
    expect(run.category).toBe('needs_human_review');
    expect(run.reasons[0]).toMatchObject({
      rule_id: 'conflict.auditor_block_observer_accept',
      signal: 'auditor_blocks+observer_accepts',
      evidence_ids: ev.map((e) => e.evidence_id).sort(),
    });
    expect(ruleIds(run)).toEqual(['conflict.auditor_block_observer_accept', 'hard.auditor_block', 'success']);
  });

  test('a run with no outcome signal at all needs human review', () => {
    const run = scoreOne([{ kind: 'meta', model_name: 'm' }, { kind: 'message', output_text: 'hello' }]);
    expect(run.category).toBe('needs_human_review');
    expect(run.reasons).toEqual([
      {
        rule_id: 'outcome.none',
        category: 'needs_human_review',
        signal: 'outcome_evidence',
        evidence_ids: [],
        detail: "none of the run's evidence carries an outcome signal; outcome_evidence = 0",
      },
    ]);
  });

  test('a run with outcome signals but no sign of success needs human review', () => {
    const run = scoreOne([{ failure_markers: ['tool error'] }, { signals: { grounding: 0.9 } }]);
    expect(run.category).toBe('needs_human_review');
    expect(run.reasons[0]!.rule_id).toBe('outcome.no_positive');
  });
});

describe('blemishes and success (precedence 5 and 6)', () => {
  test('accepted on attempt 2 is partially accepted', () => {
    const run = scoreOne([{ signals: { accepted_on_attempt: 2 } }]);
    expect(run.category).toBe('partially_accepted');
    expect(ruleIds(run)).toEqual(['blemish.retried', 'success']);
  });

  test('an auditor warn is partially accepted', () => {
    expect(scoreOne([{ signals: { auditor_verdict: 'warn' } }]).category).toBe('partially_accepted');
  });

  test('grounding below the threshold is partially accepted; at the threshold it is accepted', () => {
    expect(scoreOne([{ success_markers: ['ok'], signals: { grounding: 0.49 } }]).category).toBe('partially_accepted');
    expect(scoreOne([{ success_markers: ['ok'], signals: { grounding: 0.5 } }]).category).toBe('accepted');
  });

  test('success markers, passed validations and no failure are accepted', () => {
    const run = scoreOne(green);
    expect(run.category).toBe('accepted');
    expect(ruleIds(run)).toEqual(['success']);
    expect(run.reasons[0]!.evidence_ids).toHaveLength(3);
  });

  test('recovered tool errors alone do not spoil an otherwise clean run', () => {
    const run = scoreOne([
      { tool_calls: [{ name: 'Bash', call_id: null, input_summary: null, ok: false, error: 'typo' }] },
      { tool_calls: [{ name: 'Bash', call_id: null, input_summary: null, ok: true, error: null }] },
      { success_markers: ['tests passed'] },
    ]);
    expect(run.category).toBe('accepted');
    expect(run.signals.tool_errors_recovered).toBe(1);
  });
});

describe('scoreRuns', () => {
  test('groups by run_id, sorts runs by id, and stamps every run with the injected time, version and rules hash', () => {
    const ev = [
      ...makeRun('b-run', [{ success_markers: ['ok'], model_name: 'gpt-x' }], 'b.jsonl'),
      ...makeRun('a-run', [{ model_name: 'qwen' }, { model_name: 'claude', task_type: 'patch' }, { model_name: 'qwen', task_type: 'patch' }], 'a.jsonl'),
    ];
    const runs = scoreRuns(ev, { rules: DEFAULT_RULES, scored_at: SCORED_AT, scorer_version: 'test-1' });
    expect(runs.map((r) => r.run_id)).toEqual(['a-run', 'b-run']);
    expect(runs[0]).toMatchObject({
      schema_version: 1,
      evidence_count: 3,
      task_type: 'patch',
      model_names: ['claude', 'qwen'],
      scored_at: SCORED_AT,
      scorer_version: 'test-1',
      rules_sha256: rulesSha256(DEFAULT_RULES),
    });
    for (const run of runs) expect(ScoredRunSchema.safeParse(run).success).toBe(true);
  });

  test('when no rule matches, the run needs human review with a no_rule_matched reason', () => {
    const run = scoreOne([{ success_markers: ['ok'] }], []);
    expect(run.category).toBe('needs_human_review');
    expect(run.reasons).toEqual([
      {
        rule_id: 'no_rule_matched',
        category: 'needs_human_review',
        signal: 'none',
        evidence_ids: [],
        detail: "no scoring rule matched this run's signals (1 evidence records); a person should decide",
      },
    ]);
  });

  test('a reason spells out at most three supporting notes per signal but cites every evidence id', () => {
    const items = Array.from({ length: 5 }, (): EvidenceOverrides => ({ signals: { applier_action: 'reverted' } }));
    const run = scoreOne(items);
    expect(run.reasons[0]!.evidence_ids).toHaveLength(5);
    expect(run.reasons[0]!.detail).toEndWith('(data/_kb/stream.jsonl:3), and 2 more');
  });

  test('refuses a scored_at that is not an ISO date-time and an invalid rule set', () => {
    const ev = [makeEvidence()];
    expect(() => scoreRuns(ev, { rules: DEFAULT_RULES, scored_at: 'yesterday', scorer_version: 'v' })).toThrow(DistillError);
    const bad = [{ ...DEFAULT_RULES[0]!, when: { signal: 'reverts', op: '>', value: 'many' } }] as unknown as ScoringRule[];
    expect(() => scoreRuns(ev, { rules: bad, scored_at: SCORED_AT, scorer_version: 'v' })).toThrow(
      'scoring rule "override.accept": ">" needs a number, got "many"',
    );
  });

  test('a threshold override from config changes the outcome and the rules hash', () => {
    const items: EvidenceOverrides[] = [{ signals: { observer_verdict: 'reject', observer_confidence: 0.75 } }];
    expect(scoreOne(items).category).toBe('rejected');
    const stricter = resolveRules(DEFAULT_RULES, { thresholds: { observer_confidence: 0.8 }, disable: [], rules: [] });
    const run = scoreOne(items, stricter);
    expect(run.category).toBe('needs_human_review');
    expect(run.rules_sha256).not.toBe(rulesSha256(DEFAULT_RULES));
  });
});
