// One validator per output format: a row passes or is refused with a reason (fail-closed), checked again on the bytes written; pure.
import { z } from 'zod';
import { KtoSampleSchema } from '../../schemas/kto-sample.ts';
import { PreferenceSampleSchema } from '../../schemas/preference-sample.ts';
import { ProvenanceSchema } from '../../schemas/provenance.ts';
import { RagEvalSampleSchema } from '../../schemas/rag-eval-sample.ts';
import { RagSampleSchema } from '../../schemas/rag-sample.ts';
import { ScoreCategorySchema } from '../../schemas/scored-run.ts';
import { SftSampleSchema, type ChatMessage } from '../../schemas/sft-sample.ts';
import { renderIssuePath } from '../../schemas/versioned.ts';

/** Every file an export writes, by the format of its rows. */
export type RowFormat = 'sft-trl' | 'sft-openai' | 'preference-trl' | 'preference-openai' | 'kto-trl' | 'rag-chunk' | 'rag-eval' | 'provenance';

/** null when the row is valid; else why it is refused. */
export type Verdict = string | null;

function zodVerdict(result: z.ZodSafeParseResult<unknown>): Verdict {
  if (result.success) return null;
  const issue = result.error.issues[0]!;
  const path = renderIssuePath(issue.path);
  return `${path === '' ? '(row)' : path}: ${issue.message}`;
}

/**
 * Tool turns must answer a call made earlier in the same conversation (TRL's chat templates and OpenAI
 * both pair them): by name for TRL, by tool_call_id for OpenAI.
 */
function checkTrlToolPairing(messages: readonly ChatMessage[]): Verdict {
  const called = new Set<string>();
  for (const [i, m] of messages.entries()) {
    if (m.role === 'assistant') for (const c of m.tool_calls ?? []) called.add(c.function.name);
    if (m.role === 'tool' && !called.has(m.name)) return `prompt[${i}]: tool message for "${m.name}" answers no earlier tool call`;
  }
  return null;
}

/** Arguments that are a string holding JSON were encoded twice. */
function checkNotDoubleEncoded(messages: readonly ChatMessage[], where: string): Verdict {
  for (const [i, m] of messages.entries()) {
    if (m.role !== 'assistant') continue;
    for (const [j, c] of (m.tool_calls ?? []).entries()) {
      for (const [k, v] of Object.entries(c.function.arguments)) {
        if (typeof v === 'string' && /^\s*[{[]/.test(v)) {
          try {
            JSON.parse(v);
            return `${where}[${i}].tool_calls[${j}].function.arguments.${k}: holds JSON text; arguments must be one object, not encoded twice`;
          } catch {
            // Text that only starts like JSON is text.
          }
        }
      }
    }
  }
  return null;
}

export function validateSftTrl(row: unknown): Verdict {
  const parsed = SftSampleSchema.safeParse(row);
  if (!parsed.success) return zodVerdict(parsed);
  const all = [...parsed.data.prompt, ...parsed.data.completion];
  return checkTrlToolPairing(all) ?? checkNotDoubleEncoded(all, 'messages');
}

const OpenAiToolCallSchema = z.strictObject({
  id: z.string().min(1),
  type: z.literal('function'),
  function: z.strictObject({ name: z.string().min(1), arguments: z.string() }),
});
const OpenAiMessageSchema = z.discriminatedUnion('role', [
  z.strictObject({ role: z.literal('system'), content: z.string() }),
  z.strictObject({ role: z.literal('user'), content: z.string() }),
  z.strictObject({
    role: z.literal('assistant'),
    content: z.string().nullable(),
    tool_calls: z.array(OpenAiToolCallSchema).min(1).optional(),
    weight: z.union([z.literal(0), z.literal(1)]).optional(),
  }),
  z.strictObject({ role: z.literal('tool'), tool_call_id: z.string().min(1), content: z.string() }),
]);
type OpenAiMessageRow = z.infer<typeof OpenAiMessageSchema>;
const OpenAiToolSchema = z.strictObject({
  type: z.literal('function'),
  function: z.strictObject({ name: z.string().min(1), description: z.string(), parameters: z.record(z.string(), z.unknown()) }),
});
/** The keys OpenAI's chat fine-tuning format allows on a line, and no others. */
const OpenAiChatLineSchema = z.strictObject({
  messages: z.array(OpenAiMessageSchema).min(2),
  tools: z.array(OpenAiToolSchema).min(1).optional(),
  parallel_tool_calls: z.boolean().optional(),
});

/** Calls answered by id, arguments a JSON string of an object (not a string of a string), content or calls on each assistant turn. */
function checkOpenAiMessages(messages: readonly OpenAiMessageRow[], where: string): Verdict {
  const ids = new Set<string>();
  for (const [i, m] of messages.entries()) {
    if (m.role === 'assistant') {
      if ((m.content === null || m.content === '') && m.tool_calls === undefined) return `${where}[${i}]: an assistant turn needs content or tool_calls`;
      for (const [j, c] of (m.tool_calls ?? []).entries()) {
        let args: unknown;
        try {
          args = JSON.parse(c.function.arguments);
        } catch {
          return `${where}[${i}].tool_calls[${j}].function.arguments: not JSON`;
        }
        if (args === null || typeof args !== 'object' || Array.isArray(args)) {
          return `${where}[${i}].tool_calls[${j}].function.arguments: must be the JSON text of an object${typeof args === 'string' ? ' (it was encoded twice)' : ''}`;
        }
        ids.add(c.id);
      }
    }
    if (m.role === 'tool' && !ids.has(m.tool_call_id)) return `${where}[${i}]: tool message answers no earlier call with id "${m.tool_call_id}"`;
  }
  return null;
}

/** What the provenance sidecar holds for each line of an OpenAI file, line for line. */
export const SidecarRowSchema = z.strictObject({
  id: z.string().regex(/^[0-9a-f]{64}$/),
  line: z.int().min(1),
  run_ids: z.array(z.string().min(1)).min(1),
  categories: z.array(ScoreCategorySchema).min(1),
  task_type: z.string().min(1),
  provenance: z.array(ProvenanceSchema).min(1),
});
export type SidecarRow = z.infer<typeof SidecarRowSchema>;

export function validateSftOpenAi(row: unknown, sidecar: unknown): Verdict {
  const parsed = OpenAiChatLineSchema.safeParse(row);
  if (!parsed.success) return zodVerdict(parsed);
  const messages = parsed.data.messages;
  const last = messages[messages.length - 1]!;
  if (last.role !== 'assistant' || last.weight !== 1) return 'messages: the line must end with the trained assistant turn (weight 1)';
  for (const [i, m] of messages.slice(0, -1).entries()) {
    if (m.role === 'assistant' && m.weight !== 0) return `messages[${i}]: only the accepted turn is trained; earlier assistant turns carry weight 0`;
  }
  const side = SidecarRowSchema.safeParse(sidecar);
  if (!side.success) return `provenance sidecar: ${zodVerdict(side)}`;
  if (side.data.categories.some((c) => c !== 'accepted')) return `SFT takes only runs scored "accepted"; the sidecar names ${side.data.categories.join(', ')}`;
  return checkOpenAiMessages(messages, 'messages');
}

export function validatePreferenceTrl(row: unknown): Verdict {
  const parsed = PreferenceSampleSchema.safeParse(row);
  if (!parsed.success) return zodVerdict(parsed);
  const { prompt, chosen, rejected } = parsed.data;
  // Each side is read after the prompt alone: a tool result on one side answers a call of that side or of the prompt.
  return (
    checkTrlToolPairing([...prompt, ...chosen]) ??
    checkTrlToolPairing([...prompt, ...rejected]) ??
    checkNotDoubleEncoded([...prompt, ...chosen, ...rejected], 'messages')
  );
}

const OpenAiOutputSchema = z
  .array(OpenAiMessageSchema)
  .length(1, 'exactly one assistant message per output')
  .refine((out) => out[0]?.role === 'assistant' && out[0].weight === undefined, 'the output must be one assistant message without weight');
/** OpenAI's preference (DPO) fine-tuning line. */
const OpenAiPreferenceLineSchema = z.strictObject({
  input: z.strictObject({
    messages: z.array(OpenAiMessageSchema).min(1),
    tools: z.array(OpenAiToolSchema).min(1).optional(),
    parallel_tool_calls: z.boolean().optional(),
  }),
  preferred_output: OpenAiOutputSchema,
  non_preferred_output: OpenAiOutputSchema,
});

export function validatePreferenceOpenAi(row: unknown, sidecar: unknown): Verdict {
  const parsed = OpenAiPreferenceLineSchema.safeParse(row);
  if (!parsed.success) return zodVerdict(parsed);
  const { input, preferred_output, non_preferred_output } = parsed.data;
  const lastIn = input.messages[input.messages.length - 1]!;
  if (lastIn.role === 'assistant') return 'input.messages: must end before the turn the outputs answer';
  if (JSON.stringify(preferred_output) === JSON.stringify(non_preferred_output)) return 'preferred_output and non_preferred_output are identical';
  const side = SidecarRowSchema.safeParse(sidecar);
  if (!side.success) return `provenance sidecar: ${zodVerdict(side)}`;
  const [chosen, rejected] = side.data.run_ids;
  if (side.data.run_ids.length !== 2 || chosen === rejected) return 'provenance sidecar: a pair needs two different runs (chosen, rejected)';
  return (
    checkOpenAiMessages(input.messages, 'input.messages') ??
    checkOpenAiMessages([...input.messages, ...preferred_output], 'preferred_output') ??
    checkOpenAiMessages([...input.messages, ...non_preferred_output], 'non_preferred_output')
  );
}

export function validateKtoTrl(row: unknown): Verdict {
  const parsed = KtoSampleSchema.safeParse(row);
  if (!parsed.success) return zodVerdict(parsed);
  const all = [...parsed.data.prompt, ...parsed.data.completion];
  return checkTrlToolPairing(all) ?? checkNotDoubleEncoded(all, 'messages');
}

export function validateRagChunk(row: unknown): Verdict {
  return zodVerdict(RagSampleSchema.safeParse(row));
}

export function validateRagEval(row: unknown): Verdict {
  return zodVerdict(RagEvalSampleSchema.safeParse(row));
}

/** The validator of one format; `sidecar` is the provenance line matched to `row` (OpenAI formats only). */
export function validateRow(format: RowFormat, row: unknown, sidecar: unknown): Verdict {
  switch (format) {
    case 'sft-trl':
      return validateSftTrl(row);
    case 'sft-openai':
      return validateSftOpenAi(row, sidecar);
    case 'preference-trl':
      return validatePreferenceTrl(row);
    case 'preference-openai':
      return validatePreferenceOpenAi(row, sidecar);
    case 'kto-trl':
      return validateKtoTrl(row);
    case 'rag-chunk':
      return validateRagChunk(row);
    case 'rag-eval':
      return validateRagEval(row);
    case 'provenance':
      return zodVerdict(SidecarRowSchema.safeParse(row));
  }
}
