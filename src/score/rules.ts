// Scoring rules as data: a small condition language over RunSignals, the default rule set of DESIGN section 8, and config overrides.
import { z } from 'zod';
import { ScoreCategorySchema, SignalNameSchema } from '../../schemas/scored-run.ts';
import type { RunSignals, SignalName } from '../../schemas/scored-run.ts';
import { canonicalSha256 } from '../canonical.ts';
import { DistillError } from '../errors.ts';

export const ComparisonOpSchema = z.enum(['==', '!=', '>', '>=', '<', '<=']);
export type ComparisonOp = z.infer<typeof ComparisonOpSchema>;

const ThresholdNameSchema = z.string().regex(/^[a-z][a-z0-9_]*$/, 'expected a snake_case threshold name');
const RuleIdSchema = z
  .string()
  .regex(/^[a-z][a-z0-9_]*(?:\.[a-z0-9_]+)*$/, 'expected a rule id like "hard.failed_validation"');

/** The id of the reason given when no rule matches a run; reserved, so no rule may use it. */
export const NO_RULE_MATCHED = 'no_rule_matched';

export const ComparisonSchema = z.strictObject({
  signal: SignalNameSchema,
  op: ComparisonOpSchema,
  value: z.union([z.number(), z.string(), z.boolean(), z.null()]),
  /** Names a threshold: a config `thresholds` entry of that name replaces `value`. */
  threshold: ThresholdNameSchema.optional(),
});
export type Comparison = z.infer<typeof ComparisonSchema>;

// Recursive, so the type is written out once here and the schema is checked against it.
export type Condition = Comparison | { all: Condition[] } | { any: Condition[] } | { not: Condition };

export const ConditionSchema: z.ZodType<Condition> = z.lazy(() =>
  z.union([
    ComparisonSchema,
    z.strictObject({ all: z.array(ConditionSchema) }),
    z.strictObject({ any: z.array(ConditionSchema) }),
    z.strictObject({ not: ConditionSchema }),
  ]),
);

export const ScoringRuleSchema = z
  .strictObject({
    id: RuleIdSchema,
    /** Higher decides first; the highest-precedence matching rule sets the category. */
    precedence: z.int(),
    category: ScoreCategorySchema,
    /** What the rule means, without numbers (thresholds can change): the start of each reason's detail. */
    description: z.string().min(1),
    when: ConditionSchema,
  })
  .refine((r) => r.id !== NO_RULE_MATCHED, { message: `"${NO_RULE_MATCHED}" is reserved`, path: ['id'] });
export type ScoringRule = z.infer<typeof ScoringRuleSchema>;

/**
 * The `scoring` section of `.distill/config.json`: change thresholds by name, drop rules by id,
 * and replace (same id) or add rules.
 */
export const ScoringRulesConfigSchema = z.strictObject({
  thresholds: z.record(ThresholdNameSchema, z.number()).default({}),
  disable: z.array(RuleIdSchema).default([]),
  rules: z.array(ScoringRuleSchema).default([]),
});
export type ScoringRulesConfig = z.output<typeof ScoringRulesConfigSchema>;

type SignalType = 'count' | 'number' | 'boolean' | 'string';

/** The value type of each signal, so a config comparing a count with a string is refused, not silently false. */
export const SIGNAL_TYPES: Readonly<Record<SignalName, SignalType>> = {
  human_override: 'string',
  failed_validations: 'count',
  passed_validations: 'count',
  recovered_validations: 'count',
  gate_failures: 'count',
  reverts: 'count',
  patches_applied: 'count',
  auditor_blocks: 'count',
  auditor_warns: 'count',
  auditor_passes: 'count',
  observer_rejects: 'count',
  observer_reject_confidence: 'number',
  observer_accepts: 'count',
  fatal_tool_error: 'boolean',
  tool_errors_recovered: 'count',
  exit_status: 'string',
  exit_status_ok: 'boolean',
  run_ok: 'boolean',
  accepted_on_attempt: 'number',
  grounding: 'number',
  success_markers: 'count',
  failure_markers: 'count',
  outcome_evidence: 'count',
  positive_evidence: 'count',
};

export const DEFAULT_THRESHOLDS = {
  /** An observer rejection at or above this confidence rejects the run; below it, a person decides. */
  observer_confidence: 0.7,
  /** A grounding (citation) rate below this is a blemish. */
  grounding: 0.5,
} as const;

const cmp = (signal: SignalName, op: ComparisonOp, value: number | string | boolean | null): Comparison => ({
  signal,
  op,
  value,
});
const observerConfident: Comparison = {
  signal: 'observer_reject_confidence',
  op: '>=',
  value: DEFAULT_THRESHOLDS.observer_confidence,
  threshold: 'observer_confidence',
};

/**
 * DESIGN section 8, highest precedence first. Tiers: 1000 human override; 900 mechanical hard
 * failures (facts: tests, gates, reverts, tool errors, exit status, ok flags); 850 a reviewer
 * conflict (auditor block + observer accept); 800 auditor block; 700/650 observer reject by
 * confidence; 500/450 no (positive) outcome; 400 blemishes; 300 success.
 *
 * Why the conflict sits between the two kinds of hard failure: an auditor block and an observer
 * accept are two model opinions that disagree, so a person decides (DESIGN's own example);
 * a failed test or gate is a fact, and an observer's accept does not outweigh it. A confident
 * observer rejection stays `rejected` whatever the auditor said (the issue's "done when").
 */
export const DEFAULT_RULES: readonly ScoringRule[] = [
  {
    id: 'override.accept',
    precedence: 1000,
    category: 'accepted',
    description: 'a human override accepted the run',
    when: cmp('human_override', '==', 'accept'),
  },
  {
    id: 'override.reject',
    precedence: 1000,
    category: 'rejected',
    description: 'a human override rejected the run',
    when: cmp('human_override', '==', 'reject'),
  },
  {
    id: 'hard.failed_validation',
    precedence: 900,
    category: 'rejected',
    description: 'a validation failed and did not pass later',
    when: cmp('failed_validations', '>', 0),
  },
  {
    id: 'hard.gate_failed',
    precedence: 900,
    category: 'rejected',
    description: 'an applier gate failed',
    when: cmp('gate_failures', '>', 0),
  },
  {
    id: 'hard.reverted',
    precedence: 900,
    category: 'rejected',
    description: 'the applier reverted a patch',
    when: cmp('reverts', '>', 0),
  },
  {
    id: 'hard.fatal_tool_error',
    precedence: 900,
    category: 'rejected',
    description: 'a tool error ended the run',
    when: cmp('fatal_tool_error', '==', true),
  },
  {
    id: 'hard.exit_status',
    precedence: 900,
    category: 'rejected',
    description: 'the agent exited with a status other than success',
    when: cmp('exit_status_ok', '==', false),
  },
  {
    id: 'hard.run_not_ok',
    precedence: 900,
    category: 'rejected',
    description: "the run's latest ok flag is false",
    when: cmp('run_ok', '==', false),
  },
  {
    id: 'conflict.auditor_block_observer_accept',
    precedence: 850,
    category: 'needs_human_review',
    description: 'the auditor blocked what the observer accepted',
    when: { all: [cmp('auditor_blocks', '>', 0), cmp('observer_accepts', '>', 0)] },
  },
  {
    id: 'hard.auditor_block',
    precedence: 800,
    category: 'rejected',
    description: 'the auditor blocked the run',
    when: cmp('auditor_blocks', '>', 0),
  },
  {
    id: 'observer.confident_reject',
    precedence: 700,
    category: 'rejected',
    description: 'an observer rejected the run with confidence at or above the threshold',
    when: observerConfident,
  },
  {
    id: 'observer.unsure_reject',
    precedence: 650,
    category: 'needs_human_review',
    description: 'an observer rejected the run with confidence below the threshold (or none stated)',
    when: { all: [cmp('observer_rejects', '>', 0), { not: observerConfident }] },
  },
  {
    id: 'outcome.none',
    precedence: 500,
    category: 'needs_human_review',
    description: "none of the run's evidence carries an outcome signal",
    when: cmp('outcome_evidence', '==', 0),
  },
  {
    id: 'outcome.no_positive',
    precedence: 450,
    category: 'needs_human_review',
    description: 'the run has outcome signals but no sign of success',
    when: { all: [cmp('outcome_evidence', '>', 0), cmp('positive_evidence', '==', 0)] },
  },
  {
    id: 'blemish.retried',
    precedence: 400,
    category: 'partially_accepted',
    description: 'the output was accepted only after an earlier attempt failed',
    when: cmp('accepted_on_attempt', '>', 1),
  },
  {
    id: 'blemish.auditor_warn',
    precedence: 400,
    category: 'partially_accepted',
    description: 'the auditor passed the run with warnings',
    when: cmp('auditor_warns', '>', 0),
  },
  {
    id: 'blemish.low_grounding',
    precedence: 400,
    category: 'partially_accepted',
    description: 'grounding fell below the threshold',
    when: { signal: 'grounding', op: '<', value: DEFAULT_THRESHOLDS.grounding, threshold: 'grounding' },
  },
  {
    id: 'blemish.partial_tests',
    precedence: 400,
    category: 'partially_accepted',
    description: 'a validation failed before it passed',
    when: cmp('recovered_validations', '>', 0),
  },
  {
    id: 'success',
    precedence: 300,
    category: 'accepted',
    description: 'the run shows success (a success marker, passed validation, accept, pass, applied patch or ok status)',
    when: cmp('positive_evidence', '>', 0),
  },
];

/** Highest precedence first; equal precedence by id, so the order never depends on how rules were listed. */
export function sortRules(rules: readonly ScoringRule[]): ScoringRule[] {
  return [...rules].sort((a, b) => b.precedence - a.precedence || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

function isComparison(c: Condition): c is Comparison {
  return 'signal' in c;
}

/**
 * Evaluate a condition. Comparisons with `==`/`!=` are strict equality (so `== null` tests absence);
 * ordering comparisons are false unless both sides are numbers, so a null signal never satisfies
 * `>`, `>=`, `<` or `<=`. `all: []` is true, `any: []` is false.
 */
export function evaluateCondition(condition: Condition, signals: RunSignals): boolean {
  if (isComparison(condition)) {
    const actual = signals[condition.signal];
    const expected = condition.value;
    switch (condition.op) {
      case '==':
        return actual === expected;
      case '!=':
        return actual !== expected;
      default:
        if (typeof actual !== 'number' || typeof expected !== 'number') return false;
        if (condition.op === '>') return actual > expected;
        if (condition.op === '>=') return actual >= expected;
        if (condition.op === '<') return actual < expected;
        return actual <= expected;
    }
  }
  if ('all' in condition) return condition.all.every((c) => evaluateCondition(c, signals));
  if ('any' in condition) return condition.any.some((c) => evaluateCondition(c, signals));
  return !evaluateCondition(condition.not, signals);
}

/**
 * The signals a rule's reason names and cites: those of its comparisons outside any `not`
 * (a negated comparison is about an absence), or all of them when every one is negated.
 */
export function citedSignals(condition: Condition): SignalName[] {
  const positive: SignalName[] = [];
  const all: SignalName[] = [];
  const walk = (c: Condition, negated: boolean): void => {
    if (isComparison(c)) {
      if (!all.includes(c.signal)) all.push(c.signal);
      if (!negated && !positive.includes(c.signal)) positive.push(c.signal);
    } else if ('all' in c) {
      for (const child of c.all) walk(child, negated);
    } else if ('any' in c) {
      for (const child of c.any) walk(child, negated);
    } else {
      walk(c.not, !negated);
    }
  };
  walk(condition, false);
  return positive.length > 0 ? positive : all;
}

function* comparisons(condition: Condition): Generator<Comparison> {
  if (isComparison(condition)) {
    yield condition;
  } else if ('all' in condition) {
    for (const c of condition.all) yield* comparisons(c);
  } else if ('any' in condition) {
    for (const c of condition.any) yield* comparisons(c);
  } else {
    yield* comparisons(condition.not);
  }
}

function mapComparisons(condition: Condition, f: (c: Comparison) => Comparison): Condition {
  if (isComparison(condition)) return f(condition);
  if ('all' in condition) return { all: condition.all.map((c) => mapComparisons(c, f)) };
  if ('any' in condition) return { any: condition.any.map((c) => mapComparisons(c, f)) };
  return { not: mapComparisons(condition.not, f) };
}

function configError(message: string, details: Record<string, unknown>): DistillError {
  return new DistillError('E_CONFIG_INVALID', message, {
    hint: 'fix the "scoring" section of .distill/config.json',
    details,
  });
}

/** Problems a schema cannot see: a comparison whose value does not fit its signal's type. */
function comparisonProblem(c: Comparison): string | null {
  const type = SIGNAL_TYPES[c.signal];
  const v = c.value;
  if (c.op === '==' || c.op === '!=') {
    if (v === null) return null;
    const fits =
      type === 'count' || type === 'number'
        ? typeof v === 'number'
        : type === 'boolean'
          ? typeof v === 'boolean'
          : typeof v === 'string';
    return fits ? null : `${c.signal} holds a ${type}, so comparing it with ${JSON.stringify(v)} can never be true`;
  }
  if (type !== 'count' && type !== 'number') return `${c.signal} holds a ${type}; "${c.op}" needs a number`;
  if (typeof v !== 'number') return `"${c.op}" needs a number, got ${JSON.stringify(v)}`;
  return null;
}

/**
 * Validate a rule set (schema, unique ids, comparable values); throws E_CONFIG_INVALID naming
 * the rule. Returns the parsed rules.
 */
export function assertValidRules(rules: readonly unknown[]): ScoringRule[] {
  const parsed: ScoringRule[] = [];
  const ids = new Set<string>();
  rules.forEach((raw, index) => {
    const result = ScoringRuleSchema.safeParse(raw);
    if (!result.success) {
      const issue = result.error.issues[0];
      const where = issue === undefined ? '' : ` at ${issue.path.join('.') || '(root)'}: ${issue.message}`;
      throw configError(`scoring rule #${index + 1} is invalid${where}`, { index, issues: result.error.issues });
    }
    const rule = result.data;
    if (ids.has(rule.id)) throw configError(`scoring rule id "${rule.id}" appears twice`, { rule_id: rule.id });
    ids.add(rule.id);
    for (const c of comparisons(rule.when)) {
      const problem = comparisonProblem(c);
      if (problem !== null) throw configError(`scoring rule "${rule.id}": ${problem}`, { rule_id: rule.id });
    }
    parsed.push(rule);
  });
  return parsed;
}

/**
 * Apply a config override to a rule set: replace or add `rules` by id, drop `disable`d ids, then
 * set every comparison that names a threshold to the configured value. Unknown ids and
 * threshold names are errors (a typo must not silently keep the default). Returns the rules
 * sorted by precedence, ready for scoreRuns and rulesSha256.
 */
export function resolveRules(
  defaults: readonly ScoringRule[],
  override: ScoringRulesConfig | null,
): ScoringRule[] {
  const base = assertValidRules(defaults);
  if (override === null) return sortRules(base);

  const byId = new Map(base.map((r) => [r.id, r]));
  const added = assertValidRules(override.rules);
  for (const rule of added) {
    if (override.disable.includes(rule.id)) {
      throw configError(`scoring rule "${rule.id}" is both given and disabled`, { rule_id: rule.id });
    }
    byId.set(rule.id, rule);
  }
  for (const id of override.disable) {
    if (!byId.delete(id)) {
      throw configError(`cannot disable scoring rule "${id}": no rule has that id`, {
        rule_id: id,
        known: [...byId.keys()].sort(),
      });
    }
  }

  let rules = [...byId.values()];
  const used = new Set<string>();
  for (const rule of rules) {
    for (const c of comparisons(rule.when)) if (c.threshold !== undefined) used.add(c.threshold);
  }
  for (const [name, value] of Object.entries(override.thresholds).sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (!used.has(name)) {
      throw configError(`unknown scoring threshold "${name}"`, { threshold: name, known: [...used].sort() });
    }
    if (!Number.isFinite(value)) throw configError(`scoring threshold "${name}" must be a finite number`, { threshold: name });
    rules = rules.map((rule) => ({
      ...rule,
      when: mapComparisons(rule.when, (c) => (c.threshold === name ? { ...c, value } : c)),
    }));
  }
  return sortRules(rules);
}

/**
 * Parse the `scoring` section of `.distill/config.json` (the config schema leaves it opaque so
 * that the scorer owns its shape); `where` names the file in errors.
 */
export function parseScoringConfig(raw: unknown, where = '.distill/config.json'): ScoringRulesConfig {
  const parsed = ScoringRulesConfigSchema.safeParse(raw ?? {});
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.map((i) => `scoring.${i.path.join('.')}: ${i.message}`).join('; ');
  throw new DistillError('E_CONFIG_INVALID', `${where} has an invalid "scoring" section: ${issues}`, {
    hint: `fix the "scoring" section of ${where}`,
    details: { path: where, issues: parsed.error.issues },
  });
}

/** The rule set a config's `scoring` section asks for: DEFAULT_RULES with the override applied. */
export function resolveScoringConfig(raw: unknown, where = '.distill/config.json'): ScoringRule[] {
  return resolveRules(DEFAULT_RULES, parseScoringConfig(raw, where));
}

/** sha256 of the canonical JSON of a rule set in precedence order: the rules_sha256 of every ScoredRun it produced. */
export function rulesSha256(rules: readonly ScoringRule[]): string {
  return canonicalSha256(sortRules(rules));
}

