// KtoSample: one row of the KTO export, TRL unpaired preference (prompt, completion, label) plus the run it came from (DESIGN section 13).
import { z } from 'zod';
import { ProvenanceSchema, Sha256Schema } from './provenance.ts';
import { ScoreCategorySchema } from './scored-run.ts';
import { AssistantMessageSchema, ChatMessageSchema, ChatToolSchema } from './sft-sample.ts';

export const KTO_SAMPLE_SCHEMA_VERSION = 1;

/** Only clear verdicts label a completion: accepted is desirable, rejected is undesirable. */
export const KtoCategorySchema = ScoreCategorySchema.extract(['accepted', 'rejected']);

export const KtoSampleSchema = z
  .strictObject({
    schema_version: z.literal(KTO_SAMPLE_SCHEMA_VERSION),
    /** sha256 of the canonical JSON of prompt, completion, tools and label: the exact-dedup key. */
    id: Sha256Schema,
    prompt: z.array(ChatMessageSchema).min(1),
    completion: z.array(AssistantMessageSchema).min(1),
    tools: z.array(ChatToolSchema).min(1).optional(),
    /** true = desirable (the run was accepted), false = undesirable (rejected). */
    label: z.boolean(),
    run_id: z.string().min(1),
    task_type: z.string().min(1),
    category: KtoCategorySchema,
    provenance: ProvenanceSchema,
  })
  .superRefine((sample, ctx) => {
    if (sample.label !== (sample.category === 'accepted')) {
      ctx.addIssue({ code: 'custom', path: ['label'], message: `label ${String(sample.label)} contradicts category ${sample.category}` });
    }
    const last = sample.prompt[sample.prompt.length - 1];
    if (last !== undefined && last.role === 'assistant') {
      ctx.addIssue({ code: 'custom', path: ['prompt', sample.prompt.length - 1, 'role'], message: 'the prompt must end before the assistant turn it asks for, not with one' });
    }
  });

export type KtoSample = z.infer<typeof KtoSampleSchema>;
