// A run's evidence as a chat: user, assistant (with tool calls) and tool turns in source order, and the turn SFT/DPO/KTO learn from; pure.
import type { EvidenceRecord, ToolCall } from '../../schemas/evidence-record.ts';
import type { Provenance } from '../../schemas/provenance.ts';

/** A tool call with its arguments as an object: TRL's shape. The OpenAI renderer turns it into a JSON string once. */
export interface TurnToolCall {
  id: string;
  name: string;
  arguments: Record<string, unknown>;
}

export type Turn =
  | { role: 'user'; content: string; provenance: Provenance }
  | { role: 'assistant'; content: string; tool_calls: TurnToolCall[]; provenance: Provenance }
  | { role: 'tool'; name: string; tool_call_id: string; content: string; provenance: Provenance };

export interface Conversation {
  turns: Turn[];
  /** Index in `turns` of the assistant turn the run ends on (the one SFT takes as completion); null when there is none. */
  final: number | null;
}

/** Evidence in the order it happened: timestamp when both have one, else where it sits in its source. */
export function compareEvidence(a: EvidenceRecord, b: EvidenceRecord): number {
  if (a.timestamp !== null && b.timestamp !== null && a.timestamp !== b.timestamp) return a.timestamp < b.timestamp ? -1 : 1;
  const pa = a.provenance;
  const pb = b.provenance;
  if (pa.source_file !== pb.source_file) return pa.source_file < pb.source_file ? -1 : 1;
  if (pa.line_offset !== pb.line_offset) return pa.line_offset - pb.line_offset;
  const ptrA = pa.pointer ?? '';
  const ptrB = pb.pointer ?? '';
  if (ptrA !== ptrB) return ptrA < ptrB ? -1 : 1;
  return a.evidence_id < b.evidence_id ? -1 : a.evidence_id > b.evidence_id ? 1 : 0;
}

/**
 * The arguments object of a call. Evidence keeps a short rendering (`input_summary`): a JSON object
 * stays that object; anything else becomes `{input: <summary>}`, so TRL always gets an object.
 */
export function buildToolArguments(call: ToolCall): Record<string, unknown> {
  const summary = call.input_summary;
  if (summary === null || summary === '') return {};
  if (summary.startsWith('{')) {
    try {
      const parsed: unknown = JSON.parse(summary);
      if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed as Record<string, unknown>;
    } catch {
      // A capped rendering of JSON is no longer JSON: keep it as text.
    }
  }
  return { input: summary };
}

const nonBlank = (text: string | null): text is string => text !== null && /\S/.test(text);

/** Build the chat of one run from its evidence (any order in, source order out). */
export function buildConversation(evidence: readonly EvidenceRecord[]): Conversation {
  const ordered = [...evidence].sort(compareEvidence);
  const turns: Turn[] = [];
  let callSeq = 0;
  const last = () => turns[turns.length - 1];
  for (const rec of ordered) {
    if (rec.kind === 'message') {
      // A person's prompt, or a lead agent's prompt to a subagent; system errors and tool chatter are not turns.
      if (rec.model_role !== 'human' && rec.model_role !== 'executor') continue;
      const text = nonBlank(rec.input_text) ? rec.input_text : rec.output_text;
      if (nonBlank(text)) turns.push({ role: 'user', content: text, provenance: rec.provenance });
      continue;
    }
    if (rec.kind === 'model_call') {
      // A single-call record (mode_experiments) carries its own prompt in input_text.
      const prev = last();
      if (nonBlank(rec.input_text) && !(prev?.role === 'user' && prev.content === rec.input_text)) {
        turns.push({ role: 'user', content: rec.input_text, provenance: rec.provenance });
      }
      const calls: TurnToolCall[] = rec.tool_calls.map((c) => ({ id: c.call_id ?? `call_${++callSeq}`, name: c.name, arguments: buildToolArguments(c) }));
      const content = rec.output_text ?? '';
      if (!nonBlank(content) && calls.length === 0) continue;
      turns.push({ role: 'assistant', content, tool_calls: calls, provenance: rec.provenance });
      continue;
    }
    if (rec.kind === 'tool_result') {
      const results = rec.tool_calls;
      const parts = results.length > 1 ? (rec.output_text ?? '').split('\n\n') : [];
      results.forEach((c, i) => {
        const content = c.error ?? (results.length === 1 ? (rec.output_text ?? '') : parts.length === results.length ? (parts[i] ?? '') : (rec.output_text ?? ''));
        turns.push({ role: 'tool', name: c.name, tool_call_id: c.call_id ?? `call_${callSeq}`, content, provenance: rec.provenance });
      });
    }
  }
  // The turn a trainer learns: the last assistant turn with text (the answer), else the last assistant turn.
  let final: number | null = null;
  for (let i = turns.length - 1; i >= 0; i--) {
    const t = turns[i]!;
    if (t.role !== 'assistant') continue;
    if (nonBlank(t.content)) {
      final = i;
      break;
    }
    final ??= i;
  }
  return { turns, final };
}

/** Every tool call a run's turns make, by name: the `tools` column. */
export function collectToolNames(turns: readonly Turn[]): string[] {
  const names = new Set<string>();
  for (const t of turns) if (t.role === 'assistant') for (const c of t.tool_calls) names.add(c.name);
  return [...names].sort();
}
