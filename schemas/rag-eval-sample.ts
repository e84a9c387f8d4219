// RagEvalSample: one row of the RAG eval set in the Ragas single-turn shape, plus the run it came from (DESIGN section 13).
import { z } from 'zod';
import { ProvenanceSchema, Sha256Schema } from './provenance.ts';

export const RAG_EVAL_SAMPLE_SCHEMA_VERSION = 1;

const Text = z.string().regex(/\S/, 'must not be blank');

export const RagEvalSampleSchema = z.strictObject({
  schema_version: z.literal(RAG_EVAL_SAMPLE_SCHEMA_VERSION),
  /** sha256 of the canonical JSON of user_input, retrieved_contexts and reference: the exact-dedup key. */
  id: Sha256Schema,
  /**
   * Ragas SingleTurnSample fields. `response` is absent (Ragas makes every field optional): the system
   * under test fills it; a response copied from the reference would score every response metric perfectly.
   */
  user_input: Text,
  retrieved_contexts: z.array(Text).min(1),
  /** The accepted answer: the ground truth a retriever-plus-model should reach. */
  reference: Text,
  run_id: z.string().min(1),
  task_type: z.string().min(1),
  provenance: ProvenanceSchema,
});

export type RagEvalSample = z.infer<typeof RagEvalSampleSchema>;
