// PreferenceSample: one chosen/rejected pair of the preference export, TRL conversational preference plus why and from which runs (DESIGN section 13).
import { z } from 'zod';
import { canonicalJson } from '../src/canonical.ts';
import { ProvenanceSchema, Sha256Schema } from './provenance.ts';
import { AssistantMessageSchema, ChatMessageSchema, ChatToolSchema, ToolMessageSchema } from './sft-sample.ts';

export const PREFERENCE_SAMPLE_SCHEMA_VERSION = 1;

/** Where the preference came from (DESIGN section 13). */
export const PreferenceOriginSchema = z.enum([
  'human_override', // a person accepted one output and rejected another
  'consensus_split', // an N=3 consensus vote split (audit_discrepancies)
  'retry', // a later attempt was accepted after a rejected one on the same task
]);
export type PreferenceOrigin = z.infer<typeof PreferenceOriginSchema>;

/**
 * One side of a pair: the run's own turns after the shared prompt, its answer last. A run that called
 * tools before answering keeps those calls and their results on its side, never in the shared prompt.
 */
const PreferenceSideSchema = z
  .array(z.discriminatedUnion('role', [AssistantMessageSchema, ToolMessageSchema]))
  .min(1)
  .refine((side) => side[0]?.role === 'assistant' && side[side.length - 1]?.role === 'assistant', 'a side starts with the model\'s turn and ends with its answer (assistant messages)');

export const PreferenceSampleSchema = z
  .strictObject({
    schema_version: z.literal(PREFERENCE_SAMPLE_SCHEMA_VERSION),
    /** sha256 of the canonical JSON of prompt, chosen, rejected and tools: the exact-dedup key. */
    id: Sha256Schema,
    /** What both runs saw: their common turns up to where the model's turns part. */
    prompt: z.array(ChatMessageSchema).min(1),
    chosen: PreferenceSideSchema,
    rejected: PreferenceSideSchema,
    tools: z.array(ChatToolSchema).min(1).optional(),
    /** Why chosen beats rejected: a pair without a reason teaches nothing anyone can check (DESIGN invariant 3). */
    reason: z.string().regex(/\S/, 'a preference pair needs a reason'),
    origin: PreferenceOriginSchema,
    chosen_run_id: z.string().min(1),
    rejected_run_id: z.string().min(1),
    task_type: z.string().min(1),
    /** Every source record the pair draws on: the chosen and rejected turns and whatever decided between them. */
    provenance: z.array(ProvenanceSchema).min(1, 'a preference pair needs the provenance of its source records'),
  })
  .superRefine((sample, ctx) => {
    if (sample.chosen_run_id === sample.rejected_run_id) {
      ctx.addIssue({
        code: 'custom',
        path: ['rejected_run_id'],
        message: `chosen and rejected come from the same run "${sample.chosen_run_id}"; a pair needs two different runs`,
      });
    }
    if (canonicalJson(sample.chosen) === canonicalJson(sample.rejected)) {
      ctx.addIssue({ code: 'custom', path: ['rejected'], message: 'chosen and rejected are identical' });
    }
  });

export type PreferenceSample = z.infer<typeof PreferenceSampleSchema>;
