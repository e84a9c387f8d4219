// Scores runs: groups evidence by run_id, evaluates the rules on each run's signals, and gives one reason per fired rule.
import type { EvidenceRecord } from '../../schemas/evidence-record.ts';
import { IsoTimeSchema } from '../../schemas/provenance.ts';
import { SCORED_RUN_SCHEMA_VERSION } from '../../schemas/scored-run.ts';
import type { RunSignals, ScoreReason, ScoredRun, SignalName } from '../../schemas/scored-run.ts';
import { DistillError } from '../errors.ts';
import { computeRunSignals } from './run-signals.ts';
import type { SignalSupportMap } from './run-signals.ts';
import { NO_RULE_MATCHED, assertValidRules, citedSignals, evaluateCondition, rulesSha256, sortRules } from './rules.ts';
import type { ScoringRule } from './rules.ts';

/** Version of the scoring logic outside the rules (how evidence becomes signals). Bump when that changes. */
export const SCORER_VERSION = '1.0.0';

export interface ScoreOptions {
  /** A resolved rule set (resolveRules); its sha256 goes into every ScoredRun. */
  rules: readonly ScoringRule[];
  /** ISO time, injected: the scorer never reads the clock. */
  scored_at: string;
  scorer_version: string;
}

/** How many supporting notes a reason's detail spells out per signal; evidence_ids always lists them all. */
const NOTES_PER_SIGNAL = 3;

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The most frequent value; ties go to the first in code-unit order, so input order never matters. */
function mostFrequent(values: readonly string[]): string {
  const counts = new Map<string, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  let best: string | null = null;
  let bestCount = 0;
  for (const [v, n] of counts) {
    if (n > bestCount || (n === bestCount && best !== null && v < best)) {
      best = v;
      bestCount = n;
    }
  }
  if (best === null) throw new DistillError('E_INTERNAL', 'mostFrequent called with no values');
  return best;
}

function describeSignal(name: SignalName, signals: RunSignals, support: SignalSupportMap): string {
  const entries = support[name];
  const head = `${name} = ${JSON.stringify(signals[name])}`;
  if (entries.length === 0) return head;
  const shown = entries.slice(0, NOTES_PER_SIGNAL).map((e) => `${e.note} (${e.at})`);
  const more = entries.length > NOTES_PER_SIGNAL ? `, and ${entries.length - NOTES_PER_SIGNAL} more` : '';
  return `${head}: ${shown.join(', ')}${more}`;
}

function reasonFor(rule: ScoringRule, signals: RunSignals, support: SignalSupportMap): ScoreReason {
  const cited = citedSignals(rule.when);
  const ids = new Set<string>();
  for (const name of cited) for (const s of support[name]) ids.add(s.evidence_id);
  return {
    rule_id: rule.id,
    category: rule.category,
    signal: cited.join('+'),
    evidence_ids: [...ids].sort(compareStrings),
    detail: `${rule.description}; ${cited.map((n) => describeSignal(n, signals, support)).join('; ')}`,
  };
}

function noRuleReason(evidenceCount: number): ScoreReason {
  return {
    rule_id: NO_RULE_MATCHED,
    category: 'needs_human_review',
    signal: 'none',
    evidence_ids: [],
    detail: `no scoring rule matched this run's signals (${evidenceCount} evidence records); a person should decide`,
  };
}

function scoreOneRun(
  runId: string,
  evidence: readonly EvidenceRecord[],
  rules: readonly ScoringRule[],
  stamp: { scored_at: string; scorer_version: string; rules_sha256: string },
): ScoredRun {
  const { signals, support, evidence: ordered } = computeRunSignals(evidence);
  const reasons = rules.filter((r) => evaluateCondition(r.when, signals)).map((r) => reasonFor(r, signals, support));
  if (reasons.length === 0) reasons.push(noRuleReason(ordered.length));
  const decisive = reasons[0];
  if (decisive === undefined) throw new DistillError('E_INTERNAL', `run ${runId} has no reason`);
  const models = new Set<string>();
  for (const rec of ordered) if (rec.model_name !== null) models.add(rec.model_name);
  return {
    schema_version: SCORED_RUN_SCHEMA_VERSION,
    run_id: runId,
    category: decisive.category,
    reasons,
    signals,
    evidence_count: ordered.length,
    task_type: mostFrequent(ordered.map((r) => r.task_type)),
    task_id: mostFrequent(ordered.map((r) => r.task_id)),
    model_names: [...models].sort(compareStrings),
    scored_at: stamp.scored_at,
    scorer_version: stamp.scorer_version,
    rules_sha256: stamp.rules_sha256,
  };
}

// Callers score one run group at a time (ingest spools runs), so validating and hashing the
// same rule array per call would dominate; rule arrays are treated as immutable once scored with.
const prepared = new WeakMap<readonly ScoringRule[], { rules: ScoringRule[]; sha256: string }>();

function prepareRules(input: readonly ScoringRule[]): { rules: ScoringRule[]; sha256: string } {
  const cached = prepared.get(input);
  if (cached !== undefined) return cached;
  const rules = sortRules(assertValidRules(input));
  const entry = { rules, sha256: rulesSha256(rules) };
  prepared.set(input, entry);
  return entry;
}

/**
 * Score every run in `evidence` (grouped by run_id), sorted by run_id. Every rule that matches
 * a run adds one reason, highest precedence first; the first reason's rule decides the category.
 * When no rule matches, the run needs human review with a `no_rule_matched` reason. Pure:
 * the same evidence (in any order), rules and options give byte-identical output.
 */
export function scoreRuns(evidence: readonly EvidenceRecord[], opts: ScoreOptions): ScoredRun[] {
  if (!IsoTimeSchema.safeParse(opts.scored_at).success) {
    throw new DistillError('E_USAGE', `scored_at must be an ISO date-time with offset, got ${JSON.stringify(opts.scored_at)}`);
  }
  if (opts.scorer_version.trim() === '') throw new DistillError('E_USAGE', 'scorer_version must not be empty');
  const { rules, sha256 } = prepareRules(opts.rules);
  const stamp = { scored_at: opts.scored_at, scorer_version: opts.scorer_version, rules_sha256: sha256 };

  const byRun = new Map<string, EvidenceRecord[]>();
  for (const rec of evidence) {
    const group = byRun.get(rec.run_id);
    if (group === undefined) byRun.set(rec.run_id, [rec]);
    else group.push(rec);
  }
  return [...byRun.keys()]
    .sort(compareStrings)
    .map((runId) => scoreOneRun(runId, byRun.get(runId) ?? [], rules, stamp));
}
