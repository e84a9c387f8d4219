// ScratchpadSummary: an agent's free-text scratchpad normalized into objective, steps and next command (DESIGN sections 5 and 9).
import { z } from 'zod';
import { ProvenanceSchema, Sha256Schema } from './provenance.ts';

export const SCRATCHPAD_SUMMARY_SCHEMA_VERSION = 1;

/** `unknown` is also what the deterministic path reports when an optional refining provider failed. */
export const ValidationStatusSchema = z.enum(['passed', 'failed', 'partial', 'unknown']);
export type ValidationStatus = z.infer<typeof ValidationStatusSchema>;

export const ScratchpadSummarySchema = z.strictObject({
  schema_version: z.literal(SCRATCHPAD_SUMMARY_SCHEMA_VERSION),
  run_id: z.string().min(1),
  /** null when the scratchpad states no objective. */
  current_objective: z.string().nullable(),
  completed_steps: z.array(z.string()),
  failed_steps: z.array(z.string()),
  pending_steps: z.array(z.string()),
  important_paths: z.array(z.string()),
  decisions: z.array(z.string()),
  unresolved_questions: z.array(z.string()),
  validation_status: ValidationStatusSchema,
  next_command: z.string().nullable(),
  /** sha256 of the scratchpad's raw bytes: a changed scratchpad is re-summarized, an unchanged one is not. */
  source_scratchpad_hash: Sha256Schema,
  provenance: ProvenanceSchema,
});

export type ScratchpadSummary = z.infer<typeof ScratchpadSummarySchema>;
