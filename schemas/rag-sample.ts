// RagSample: one chunk of accepted or partially accepted knowledge for retrieval, with task tags and provenance (DESIGN section 13).
import { z } from 'zod';
import { ProvenanceSchema, Sha256Schema } from './provenance.ts';
import { ScoreCategorySchema } from './scored-run.ts';

export const RAG_SAMPLE_SCHEMA_VERSION = 1;

/** Rejected and unreviewed runs are not knowledge to retrieve; partially accepted ones still carry what worked. */
export const RagCategorySchema = ScoreCategorySchema.extract(['accepted', 'partially_accepted']);
export type RagCategory = z.infer<typeof RagCategorySchema>;

export const RagSampleSchema = z.strictObject({
  schema_version: z.literal(RAG_SAMPLE_SCHEMA_VERSION),
  /** sha256 of the chunk text: the exact-dedup key. */
  id: Sha256Schema,
  text: z.string().regex(/\S/, 'must not be blank'),
  task_tags: z.array(z.string().min(1)),
  category: RagCategorySchema,
  run_id: z.string().min(1),
  provenance: ProvenanceSchema,
});

export type RagSample = z.infer<typeof RagSampleSchema>;
