import { describe, expect, test } from 'bun:test';
import type { RunSignals } from '../../schemas/scored-run.ts';
import { DistillError } from '../errors.ts';
import {
  DEFAULT_RULES,
  DEFAULT_THRESHOLDS,
  ScoringRulesConfigSchema,
  citedSignals,
  evaluateCondition,
  parseScoringConfig,
  resolveRules,
  resolveScoringConfig,
  rulesSha256,
  sortRules,
} from './rules.ts';
import type { Condition, ScoringRule } from './rules.ts';

const quiet: RunSignals = {
  human_override: null,
  failed_validations: 0,
  passed_validations: 0,
  recovered_validations: 0,
  gate_failures: 0,
  reverts: 0,
  patches_applied: 0,
  auditor_blocks: 0,
  auditor_warns: 0,
  auditor_passes: 0,
  observer_rejects: 0,
  observer_reject_confidence: null,
  observer_accepts: 0,
  fatal_tool_error: false,
  tool_errors_recovered: 0,
  exit_status: null,
  exit_status_ok: null,
  run_ok: null,
  accepted_on_attempt: null,
  grounding: null,
  success_markers: 0,
  failure_markers: 0,
  outcome_evidence: 0,
  positive_evidence: 0,
};

function expectConfigError(f: () => unknown, message: string): void {
  try {
    f();
  } catch (error) {
    expect(error).toBeInstanceOf(DistillError);
    expect((error as DistillError).code).toBe('E_CONFIG_INVALID');
    expect((error as DistillError).message).toContain(message);
    return;
  }
  throw new Error(`expected E_CONFIG_INVALID containing ${JSON.stringify(message)}`);
}

describe('the condition language', () => {
  const s: RunSignals = { ...quiet, failed_validations: 2, grounding: 0.4, exit_status: 'error', run_ok: true };

  test('compares a signal with a value', () => {
    expect(evaluateCondition({ signal: 'failed_validations', op: '>', value: 0 }, s)).toBe(true);
    expect(evaluateCondition({ signal: 'failed_validations', op: '<=', value: 1 }, s)).toBe(false);
    expect(evaluateCondition({ signal: 'exit_status', op: '==', value: 'error' }, s)).toBe(true);
    expect(evaluateCondition({ signal: 'run_ok', op: '!=', value: true }, s)).toBe(false);
  });

  test('== null tests absence, and an ordering comparison on a null signal is false either way', () => {
    expect(evaluateCondition({ signal: 'accepted_on_attempt', op: '==', value: null }, s)).toBe(true);
    expect(evaluateCondition({ signal: 'accepted_on_attempt', op: '>', value: 1 }, s)).toBe(false);
    expect(evaluateCondition({ signal: 'accepted_on_attempt', op: '<=', value: 1 }, s)).toBe(false);
  });

  test('combines with all, any and not; all of nothing is true, any of nothing is false', () => {
    const low: Condition = { signal: 'grounding', op: '<', value: 0.5 };
    const passed: Condition = { signal: 'passed_validations', op: '>', value: 0 };
    expect(evaluateCondition({ all: [low, { not: passed }] }, s)).toBe(true);
    expect(evaluateCondition({ any: [passed, { not: low }] }, s)).toBe(false);
    expect(evaluateCondition({ all: [] }, s)).toBe(true);
    expect(evaluateCondition({ any: [] }, s)).toBe(false);
  });

  test('a reason cites the signals outside any not, or all of them when every one is negated', () => {
    expect(
      citedSignals({ all: [{ signal: 'observer_rejects', op: '>', value: 0 }, { not: { signal: 'grounding', op: '<', value: 1 } }] }),
    ).toEqual(['observer_rejects']);
    expect(citedSignals({ not: { signal: 'grounding', op: '<', value: 1 } })).toEqual(['grounding']);
  });
});

describe('DEFAULT_RULES', () => {
  test('are plain JSON data that survive a round trip', () => {
    expect(JSON.parse(JSON.stringify(DEFAULT_RULES))).toEqual(DEFAULT_RULES);
  });

  test('are valid, with unique ids, and follow DESIGN section 8 from override down to success', () => {
    const rules = resolveRules(DEFAULT_RULES, null);
    expect(new Set(rules.map((r) => r.id)).size).toBe(DEFAULT_RULES.length);
    expect(rules[0]!.id.startsWith('override.')).toBe(true);
    expect(rules[rules.length - 1]!.id).toBe('success');
    const tier = (id: string) => rules.find((r) => r.id === id)!.precedence;
    expect(tier('hard.failed_validation')).toBeGreaterThan(tier('conflict.auditor_block_observer_accept'));
    expect(tier('conflict.auditor_block_observer_accept')).toBeGreaterThan(tier('hard.auditor_block'));
    expect(tier('hard.auditor_block')).toBeGreaterThan(tier('observer.confident_reject'));
    expect(tier('observer.unsure_reject')).toBeGreaterThan(tier('outcome.none'));
    expect(tier('outcome.no_positive')).toBeGreaterThan(tier('blemish.retried'));
    expect(tier('blemish.retried')).toBeGreaterThan(tier('success'));
  });

  test('carry the default thresholds', () => {
    const confident = DEFAULT_RULES.find((r) => r.id === 'observer.confident_reject')!;
    expect(confident.when).toEqual({
      signal: 'observer_reject_confidence',
      op: '>=',
      value: DEFAULT_THRESHOLDS.observer_confidence,
      threshold: 'observer_confidence',
    });
  });
});

describe('resolveRules', () => {
  test('an empty scoring section resolves to the defaults', () => {
    expect(resolveScoringConfig({})).toEqual(sortRules(DEFAULT_RULES));
    expect(resolveScoringConfig(undefined)).toEqual(sortRules(DEFAULT_RULES));
  });

  test('a threshold override changes every comparison that names it, and nothing else', () => {
    const rules = resolveScoringConfig({ thresholds: { observer_confidence: 0.9 } });
    const confident = rules.find((r) => r.id === 'observer.confident_reject')!;
    const unsure = rules.find((r) => r.id === 'observer.unsure_reject')!;
    expect(confident.when).toMatchObject({ value: 0.9 });
    expect(unsure.when).toEqual({
      all: [
        { signal: 'observer_rejects', op: '>', value: 0 },
        { not: { signal: 'observer_reject_confidence', op: '>=', value: 0.9, threshold: 'observer_confidence' } },
      ],
    });
    expect(rules.find((r) => r.id === 'blemish.low_grounding')!.when).toMatchObject({ value: DEFAULT_THRESHOLDS.grounding });
  });

  test('replaces a rule by id, adds a new one, and disables by id', () => {
    const strict: ScoringRule = {
      id: 'blemish.recovered_tool_errors',
      precedence: 400,
      category: 'partially_accepted',
      description: 'a tool error was recovered',
      when: { signal: 'tool_errors_recovered', op: '>', value: 0 },
    };
    const rules = resolveScoringConfig({
      disable: ['blemish.auditor_warn'],
      rules: [strict, { ...DEFAULT_RULES.find((r) => r.id === 'success')!, precedence: 301 }],
    });
    expect(rules.map((r) => r.id)).toContain('blemish.recovered_tool_errors');
    expect(rules.map((r) => r.id)).not.toContain('blemish.auditor_warn');
    expect(rules.find((r) => r.id === 'success')!.precedence).toBe(301);
    expect(rules).toHaveLength(DEFAULT_RULES.length);
  });

  test('refuses unknown ids, unknown thresholds, contradictions and ill-typed comparisons', () => {
    expectConfigError(() => resolveScoringConfig({ disable: ['hard.nope'] }), 'cannot disable scoring rule "hard.nope"');
    expectConfigError(() => resolveScoringConfig({ thresholds: { observer_confidnce: 0.8 } }), 'unknown scoring threshold "observer_confidnce"');
    const success = DEFAULT_RULES.find((r) => r.id === 'success')!;
    expectConfigError(() => resolveScoringConfig({ disable: ['success'], rules: [success] }), 'both given and disabled');
    expectConfigError(
      () => resolveScoringConfig({ rules: [{ ...success, when: { signal: 'run_ok', op: '==', value: 'yes' } }] }),
      'run_ok holds a boolean',
    );
    expectConfigError(() => resolveScoringConfig({ rules: [{ ...success, id: 'no_rule_matched' }] }), 'is reserved');
    expectConfigError(() => resolveScoringConfig({ rules: [success, success] }), 'appears twice');
    expectConfigError(() => parseScoringConfig({ rules: [{ id: 'x', when: { signal: 'nope', op: '>', value: 1 } }] }), 'scoring.rules.0');
    expectConfigError(() => parseScoringConfig({ treshold: {} }), 'invalid "scoring" section');
  });

  test('the schema fills in empty defaults for a partial override', () => {
    expect(ScoringRulesConfigSchema.parse({ disable: ['success'] })).toEqual({ thresholds: {}, disable: ['success'], rules: [] });
  });
});

describe('rulesSha256', () => {
  test('depends on the rules, not on the order they were listed in', () => {
    const reversed = [...DEFAULT_RULES].reverse();
    expect(rulesSha256(reversed)).toBe(rulesSha256(DEFAULT_RULES));
    expect(rulesSha256(DEFAULT_RULES)).toMatch(/^[0-9a-f]{64}$/);
    expect(rulesSha256(resolveScoringConfig({ thresholds: { grounding: 0.6 } }))).not.toBe(rulesSha256(DEFAULT_RULES));
  });
});
