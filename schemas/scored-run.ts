// ScoredRun: one run judged by the scoring rules into a category, with the signals the rules saw and a reason per fired rule (DESIGN section 8).
import { z } from 'zod';
import { IsoTimeSchema, Sha256Schema } from './provenance.ts';

export const SCORED_RUN_SCHEMA_VERSION = 1;

export const ScoreCategorySchema = z.enum(['accepted', 'partially_accepted', 'rejected', 'needs_human_review']);
export type ScoreCategory = z.infer<typeof ScoreCategorySchema>;

const CountSchema = z.int().min(0);

/**
 * What the rules see of a run: its evidence aggregated into scalars, so a rule is a comparison
 * of named values (src/score/rules.ts). Counts are 0 and values null when no evidence says.
 */
export const RunSignalsSchema = z.strictObject({
  /** Decision of the latest human override (by timestamp, then provenance order). */
  human_override: z.enum(['accept', 'reject']).nullable(),
  /** Validation names whose latest result failed. */
  failed_validations: CountSchema,
  /** Validation names whose latest result passed. */
  passed_validations: CountSchema,
  /** Validation names that failed at some point and passed later ("partial tests"). */
  recovered_validations: CountSchema,
  /** Applier records with action gate_failed. */
  gate_failures: CountSchema,
  /** Applier records with action reverted. */
  reverts: CountSchema,
  /** Applier records with action applied. */
  patches_applied: CountSchema,
  auditor_blocks: CountSchema,
  auditor_warns: CountSchema,
  auditor_passes: CountSchema,
  observer_rejects: CountSchema,
  /** Highest confidence among observer rejections that state one. */
  observer_reject_confidence: z.number().min(0).max(1).nullable(),
  observer_accepts: CountSchema,
  /** The run's last tool results errored with no later success, or a producer said a tool error ended the run. */
  fatal_tool_error: z.boolean(),
  /** Errored tool calls followed by a successful one. */
  tool_errors_recovered: CountSchema,
  /** The latest exit status the agent reported, lower-cased. */
  exit_status: z.string().nullable(),
  /** Whether that exit status means success; null when none was reported. */
  exit_status_ok: z.boolean().nullable(),
  /** The latest explicit ok/success flag of the run or a call. */
  run_ok: z.boolean().nullable(),
  /** Highest attempt on which an output was accepted (1 = first try). */
  accepted_on_attempt: z.int().min(1).nullable(),
  /** Lowest grounding / citation rate reported. */
  grounding: z.number().min(0).max(1).nullable(),
  success_markers: CountSchema,
  failure_markers: CountSchema,
  /** Evidence records that carry any outcome signal (verdict, validation, flag, marker, ...). */
  outcome_evidence: CountSchema,
  /** Evidence records that carry a positive outcome (success marker, passed validation, accept, pass, ok, ...). */
  positive_evidence: CountSchema,
});
export type RunSignals = z.infer<typeof RunSignalsSchema>;

export const SignalNameSchema = RunSignalsSchema.keyof();
export type SignalName = z.infer<typeof SignalNameSchema>;

export const ScoreReasonSchema = z.strictObject({
  /** The rule that fired, or `no_rule_matched` when none did. */
  rule_id: z.string().min(1),
  /** The category that rule assigns; the first reason's category is the run's. */
  category: ScoreCategorySchema,
  /** The signal(s) the rule tested, joined by '+'. */
  signal: z.string().min(1),
  /** evidence_id of every record that supports the signal, sorted. Empty when the signal is an absence. */
  evidence_ids: z.array(Sha256Schema),
  /** Human-readable: what was seen and where (source_file:line). */
  detail: z.string().min(1),
});
export type ScoreReason = z.infer<typeof ScoreReasonSchema>;

export const ScoredRunSchema = z.strictObject({
  schema_version: z.literal(SCORED_RUN_SCHEMA_VERSION),
  run_id: z.string().min(1),
  category: ScoreCategorySchema,
  /** One per fired rule, highest precedence first; the first decided the category. */
  reasons: z.array(ScoreReasonSchema).min(1),
  signals: RunSignalsSchema,
  evidence_count: z.int().min(1),
  /** The run's most frequent task_type / task_id (ties: code-unit order). */
  task_type: z.string().min(1),
  task_id: z.string().min(1),
  /** Distinct model names seen in the run, sorted. */
  model_names: z.array(z.string()),
  /** Injected by the caller, never read from the clock inside the scorer. */
  scored_at: IsoTimeSchema,
  scorer_version: z.string().min(1),
  /** sha256 of the canonical JSON of the resolved rule set. */
  rules_sha256: Sha256Schema,
});
export type ScoredRun = z.infer<typeof ScoredRunSchema>;
