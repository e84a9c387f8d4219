// SftSample: one row of the SFT export, TRL prompt-completion conversational plus our metadata; only accepted runs (DESIGN section 13).
import { z } from 'zod';
import { ProvenanceSchema, Sha256Schema } from './provenance.ts';
import type { ScoreCategory } from './scored-run.ts';

export const SFT_SAMPLE_SCHEMA_VERSION = 1;

/** TRL wants tool-call arguments as an object (the OpenAI format, written elsewhere, wants a JSON string). */
export const ChatToolCallSchema = z.strictObject({
  type: z.literal('function'),
  function: z.strictObject({
    name: z.string().min(1),
    arguments: z.record(z.string(), z.unknown()),
  }),
});
export type ChatToolCall = z.infer<typeof ChatToolCallSchema>;

export const SystemMessageSchema = z.strictObject({ role: z.literal('system'), content: z.string() });
export const UserMessageSchema = z.strictObject({ role: z.literal('user'), content: z.string() });
/**
 * content is always a string ("" for a turn that only calls tools) because common chat templates
 * trim it; tool_calls is absent rather than empty, as in TRL's own examples.
 */
export const AssistantMessageSchema = z.strictObject({
  role: z.literal('assistant'),
  content: z.string(),
  tool_calls: z.array(ChatToolCallSchema).min(1).optional(),
});
export const ToolMessageSchema = z.strictObject({
  role: z.literal('tool'),
  name: z.string().min(1),
  content: z.string(),
});

export const ChatMessageSchema = z.discriminatedUnion('role', [
  SystemMessageSchema,
  UserMessageSchema,
  AssistantMessageSchema,
  ToolMessageSchema,
]);
export type ChatMessage = z.infer<typeof ChatMessageSchema>;
export type AssistantMessage = z.infer<typeof AssistantMessageSchema>;

/** A tool the model could call, as TRL passes it to the chat template (a JSON Schema of the parameters). */
export const ChatToolSchema = z.strictObject({
  type: z.literal('function'),
  function: z.strictObject({
    name: z.string().min(1),
    description: z.string(),
    parameters: z.record(z.string(), z.unknown()),
  }),
});
export type ChatTool = z.infer<typeof ChatToolSchema>;

export const SftSampleSchema = z
  .strictObject({
    schema_version: z.literal(SFT_SAMPLE_SCHEMA_VERSION),
    /** sha256 of the canonical JSON of prompt, completion and tools: the exact-dedup key. */
    id: Sha256Schema,
    /** The messages before the accepted turn. */
    prompt: z.array(ChatMessageSchema).min(1),
    /** The accepted assistant turn(s). */
    completion: z.array(AssistantMessageSchema).min(1),
    tools: z.array(ChatToolSchema).min(1).optional(),
    run_id: z.string().min(1),
    task_type: z.string().min(1),
    /**
     * The no-leak invariant (DESIGN invariant 4) at the schema layer: a row from a run scored anything
     * but accepted cannot even be constructed, whatever the exporter's joins do.
     */
    category: z.literal('accepted' satisfies ScoreCategory, {
      error: (issue) =>
        `SFT takes only runs scored "accepted"; got ${JSON.stringify(issue.input)} (partially_accepted, rejected and needs_human_review never reach SFT)`,
    }),
    provenance: ProvenanceSchema,
  })
  .superRefine((sample, ctx) => {
    const last = sample.prompt[sample.prompt.length - 1];
    if (last !== undefined && last.role === 'assistant') {
      ctx.addIssue({
        code: 'custom',
        path: ['prompt', sample.prompt.length - 1, 'role'],
        message: 'the prompt must end before the assistant turn it asks for, not with one',
      });
    }
  });

export type SftSample = z.infer<typeof SftSampleSchema>;
