// EvidenceRecord: one normalized, redacted record per source line or event (DESIGN section 5).
import { z } from 'zod';
import { IsoTimeSchema, OidSchema, ProvenanceSchema, Sha256Schema } from './provenance.ts';

export const EVIDENCE_SCHEMA_VERSION = 1;

export const ModelRoleSchema = z.enum([
  'executor',
  'reviewer',
  'verifier',
  'extractor',
  'categorizer',
  'observer',
  'human',
  'tool',
]);
export type ModelRole = z.infer<typeof ModelRoleSchema>;

/** What the source line is: the scorer and the later stages read evidence by kind. */
export const EvidenceKindSchema = z.enum([
  'model_call', // one model request/response (mode_experiments, an assistant turn)
  'message', // a user or system message in a session
  'tool_result', // the result of one or more tool calls
  'review', // a reviewer's review (scrum_reviews)
  'verdict', // a verdict on a PR or attempt (audits, observer_reviews)
  'patch', // an applier's action (auto_apply)
  'fact', // an extracted fact, lesson or distilled text
  'consensus', // a consensus split (audit_discrepancies)
  'escalation', // a failure cluster (observer_escalations)
  'trust', // a per-run model trust entry (model_trust)
  'outcome', // a per-run outcome (outcomes)
  'override', // a human override
  'analysis', // a complete analysis record (contract_analyses)
  'drift_signal', // phase sweep / doc drift
  'meta', // session metadata with no outcome (headers, snapshots, summaries)
]);
export type EvidenceKind = z.infer<typeof EvidenceKindSchema>;

export const CommandRunSchema = z.strictObject({
  command: z.string(),
  /** Exit code when the log says it; null when unknown. */
  exit_code: z.int().nullable(),
});
export type CommandRun = z.infer<typeof CommandRunSchema>;

export const ToolCallSchema = z.strictObject({
  /** Tool name as the agent called it (Bash, Edit, shell, apply_patch, ...). */
  name: z.string().min(1),
  /** The producer's id for the call, to pair calls with results; null when absent. */
  call_id: z.string().nullable(),
  /** Short, redacted rendering of the arguments. */
  input_summary: z.string().nullable(),
  /** true = succeeded, false = errored, null = no result seen in this record. */
  ok: z.boolean().nullable(),
  /** Redacted error text when ok is false. */
  error: z.string().nullable(),
});
export type ToolCall = z.infer<typeof ToolCallSchema>;

export const ValidationResultSchema = z.strictObject({
  name: z.string().min(1),
  passed: z.boolean(),
  detail: z.string(),
});
export type ValidationResult = z.infer<typeof ValidationResultSchema>;

export const HumanOverrideSchema = z.strictObject({
  decision: z.enum(['accept', 'reject']),
  reason: z.string(),
  by: z.string(),
});
export type HumanOverride = z.infer<typeof HumanOverrideSchema>;

export const TokensSchema = z.strictObject({
  input: z.int().min(0),
  output: z.int().min(0),
  cached: z.int().min(0),
});

export const LinkSchema = z.strictObject({
  oid: OidSchema,
  by: z.enum(['oid', 'files', 'session', 'manual', 'rewrite', 'patch-id']),
  detail: z.string(),
});
export type Link = z.infer<typeof LinkSchema>;

/**
 * Outcome signals as the producer stated them, for the scorer. Null means the record does not say.
 * Markers (success_markers, failure_markers) are the human-readable side of the same facts.
 */
export const SignalsSchema = z.strictObject({
  observer_verdict: z.enum(['accept', 'reject']).nullable(),
  observer_confidence: z.number().min(0).max(1).nullable(),
  auditor_verdict: z.enum(['pass', 'warn', 'block']).nullable(),
  applier_action: z.enum(['applied', 'skipped', 'reverted', 'gate_failed']).nullable(),
  /** The attempt on which the output was accepted (1 = first try). */
  accepted_on_attempt: z.int().min(1).nullable(),
  /** The agent's own exit status (submitted, error, max_iterations, ...), lower-cased. */
  exit_status: z.string().nullable(),
  /** An explicit success flag of the run or call (ok, success). */
  run_ok: z.boolean().nullable(),
  /** Grounding or citation rate in [0,1]. */
  grounding: z.number().min(0).max(1).nullable(),
  /** A tool error ended the run (no later successful step). */
  fatal_tool_error: z.boolean().nullable(),
});
export type Signals = z.infer<typeof SignalsSchema>;

export const EvidenceRecordSchema = z.strictObject({
  schema_version: z.literal(EVIDENCE_SCHEMA_VERSION),
  /** sha256 of source_format, source_file, byte_offset and pointer: stable identity of this evidence. */
  evidence_id: Sha256Schema,
  /** The adapter that read it: 'lakehouse:mode_experiments', 'claude-code', 'codex', ... */
  source_format: z.string().min(1),
  kind: EvidenceKindSchema,
  run_id: z.string().min(1),
  task_id: z.string().min(1),
  task_type: z.string().min(1),
  timestamp: IsoTimeSchema.nullable(),
  model_name: z.string().nullable(),
  model_provider: z.string().nullable(),
  model_role: ModelRoleSchema,
  /** sha256 of the full (redacted, uncapped) input text; sha256 of "" when there is none. */
  input_hash: Sha256Schema,
  output_hash: Sha256Schema,
  /** Redacted and capped. */
  input_text: z.string().nullable(),
  output_text: z.string().nullable(),
  source_files: z.array(z.string()),
  commands_run: z.array(CommandRunSchema),
  tool_calls: z.array(ToolCallSchema),
  retrieved_context: z.array(z.string()),
  observer_notes: z.string(),
  scratchpad_summary: z.string().nullable(),
  success_markers: z.array(z.string()),
  failure_markers: z.array(z.string()),
  validation_results: z.array(ValidationResultSchema),
  human_override: HumanOverrideSchema.nullable(),
  signals: SignalsSchema,
  cost_usd: z.number().min(0).nullable(),
  latency_ms: z.number().min(0).nullable(),
  tokens: TokensSchema.nullable(),
  /** Hints for linking to a commit: oids named, cwd, branch. Filled by adapters, read by the linker. */
  link_hints: z.strictObject({
    oids: z.array(z.string()),
    cwd: z.string().nullable(),
    branch: z.string().nullable(),
  }),
  links: z.array(LinkSchema),
  /** Names of source fields the adapter did not map (kept out of the record, but counted). */
  unmapped_fields: z.array(z.string()),
  provenance: ProvenanceSchema,
});

export type EvidenceRecord = z.infer<typeof EvidenceRecordSchema>;
