// Turns rendered as TRL conversational messages (arguments an object) or OpenAI chat fine-tuning messages (arguments a JSON string); pure.
import type { AssistantMessage, ChatMessage, ChatTool } from '../../schemas/sft-sample.ts';
import type { Turn } from './conversation.ts';

export function renderTrlMessage(turn: Turn): ChatMessage {
  if (turn.role === 'user') return { role: 'user', content: turn.content };
  if (turn.role === 'tool') return { role: 'tool', name: turn.name, content: turn.content };
  return renderTrlAssistant(turn);
}

export function renderTrlAssistant(turn: Extract<Turn, { role: 'assistant' }>): AssistantMessage {
  if (turn.tool_calls.length === 0) return { role: 'assistant', content: turn.content };
  return {
    role: 'assistant',
    content: turn.content,
    tool_calls: turn.tool_calls.map((c) => ({ type: 'function' as const, function: { name: c.name, arguments: c.arguments } })),
  };
}

function jsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value === 'object' ? 'object' : typeof value;
}

/**
 * The `tools` column: one function per tool name the turns call, its parameters the argument keys
 * seen (with their JSON type; several types become a list). Logs keep calls, not the tool
 * definitions, so this is the schema the calls themselves imply.
 */
export function buildTools(turns: readonly Turn[]): ChatTool[] {
  const byName = new Map<string, Map<string, Set<string>>>();
  for (const t of turns) {
    if (t.role !== 'assistant') continue;
    for (const c of t.tool_calls) {
      const props = byName.get(c.name) ?? new Map<string, Set<string>>();
      byName.set(c.name, props);
      for (const [k, v] of Object.entries(c.arguments)) {
        const types = props.get(k) ?? new Set<string>();
        types.add(jsonType(v));
        props.set(k, types);
      }
    }
  }
  return [...byName.keys()].sort().map((name) => {
    const props = byName.get(name)!;
    const properties: Record<string, unknown> = {};
    for (const k of [...props.keys()].sort()) {
      const types = [...props.get(k)!].sort();
      properties[k] = { type: types.length === 1 ? types[0] : types };
    }
    return {
      type: 'function' as const,
      function: { name, description: `${name}, as the agent called it`, parameters: { type: 'object', properties } },
    };
  });
}

/** An OpenAI chat fine-tuning message: only the keys that format allows. */
export type OpenAiMessage =
  | { role: 'user'; content: string }
  | { role: 'tool'; tool_call_id: string; content: string }
  | {
      role: 'assistant';
      content: string | null;
      tool_calls?: Array<{ id: string; type: 'function'; function: { name: string; arguments: string } }>;
      weight?: 0 | 1;
    };

/** `weight` marks which assistant turns are trained (1) and which are context (0); omitted for DPO outputs. */
export function renderOpenAiMessage(turn: Turn, weight: 0 | 1 | null): OpenAiMessage {
  if (turn.role === 'user') return { role: 'user', content: turn.content };
  if (turn.role === 'tool') return { role: 'tool', tool_call_id: turn.tool_call_id, content: turn.content };
  const msg: OpenAiMessage = { role: 'assistant', content: turn.content === '' && turn.tool_calls.length > 0 ? null : turn.content };
  if (turn.tool_calls.length > 0) {
    // The one place arguments become a string: JSON.stringify of the object, never of a string.
    msg.tool_calls = turn.tool_calls.map((c) => ({ id: c.id, type: 'function' as const, function: { name: c.name, arguments: JSON.stringify(c.arguments) } }));
  }
  if (weight !== null) msg.weight = weight;
  return msg;
}

/** `parallel_tool_calls` says whether any assistant turn made several calls at once. */
export function hasParallelToolCalls(turns: readonly Turn[]): boolean {
  return turns.some((t) => t.role === 'assistant' && t.tool_calls.length > 1);
}
