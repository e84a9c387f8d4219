// Adapters for Gemini CLI chat recordings (~/.gemini/tmp/<projectHash>/chats/session-*.json and .jsonl).
import { emptyDraft } from '../adapter.ts';
import type { Adapter, DetectProbe, EvidenceDraft, MapResult, SourceLocation } from '../adapter.ts';
import { inferModelProvider } from './lakehouse/infer-model-provider.ts';
import {
  appendUnique,
  asCount,
  asString,
  buildCommandOutcome,
  computeRelativePath,
  computeTokenDelta,
  computeTokenMax,
  extractBlockText,
  extractUnmappedFields,
  isRecord,
  parseTimestamp,
  renderErrorLine,
  renderShort,
} from './session-common.ts';
import type { TokenCounts } from './session-common.ts';

const SOURCE_ID = 'gemini-cli';
const JSONL_SOURCE_ID = 'gemini-cli-jsonl';

/** What has been attributed of one message id: the JSONL log rewrites a message in full each time it changes. */
interface SeenMessage {
  tokens: TokenCounts | null;
  /** Tool call ids already reported with a final status. */
  resolved: Set<string>;
}

export interface GeminiCliState {
  session_id: string | null;
  task_type: string;
  /** The project directory when the header names one (`directories`); file paths are made relative to it. */
  cwd: string | null;
  seen: Map<string, SeenMessage>;
}

/** Header fields of a session (the JSON document's top level, or the JSONL first line). */
const HEADER_FIELDS: ReadonlySet<string> = new Set(['sessionId', 'projectHash', 'startTime', 'lastUpdated', 'kind', 'summary', 'directories', 'messages']);
const MESSAGE_FIELDS: ReadonlySet<string> = new Set(['id', 'timestamp', 'type', 'content', 'displayContent', 'toolCalls', 'thoughts', 'tokens', 'model']);
const TOOL_CALL_FIELDS: ReadonlySet<string> = new Set([
  'id',
  'name',
  'args',
  'result',
  'status',
  'timestamp',
  'displayName',
  'description',
  'resultDisplay',
  'renderOutputAsMarkdown',
]);
/** Tool statuses after which the call will not change (coreToolScheduler's Status). */
const FINAL_STATUSES: ReadonlySet<string> = new Set(['success', 'error', 'cancelled']);
/** Tools that write the file named by args.file_path (or args.path). */
const WRITE_TOOLS: ReadonlySet<string> = new Set(['write_file', 'replace', 'edit', 'smart_edit', 'write_new_file']);
const SHELL_TOOLS: ReadonlySet<string> = new Set(['run_shell_command', 'shell']);

function reject(code: 'missing_field' | 'wrong_type' | 'not_an_object', reason: string): MapResult {
  return { ok: false, rejection: { code, reason } };
}

function describeValue(value: unknown): string {
  return Array.isArray(value) ? 'an array' : value === null ? 'null' : typeof value;
}

/**
 * Usage as disjoint buckets. Gemini's promptTokenCount (`input`) includes the cached part; thoughts are
 * billed as output; `tool` (toolUsePromptTokenCount) is prompt the model read.
 */
function messageTokens(tokens: unknown): TokenCounts | null {
  if (!isRecord(tokens)) return null;
  const cached = asCount(tokens.cached);
  return {
    input: Math.max(0, asCount(tokens.input) - cached) + asCount(tokens.tool),
    output: asCount(tokens.output) + asCount(tokens.thoughts),
    cached,
  };
}

/** The text a tool result carries: functionResponse.response.output (or .error), else resultDisplay. */
function toolResultText(call: Record<string, unknown>): { text: string; errorText: string | null } {
  const parts = Array.isArray(call.result) ? call.result : call.result !== undefined && call.result !== null ? [call.result] : [];
  const texts: string[] = [];
  let errorText: string | null = null;
  for (const part of parts) {
    if (typeof part === 'string') texts.push(part);
    else if (isRecord(part) && isRecord(part.functionResponse) && isRecord(part.functionResponse.response)) {
      const response = part.functionResponse.response;
      const output = asString(response.output);
      const error = asString(response.error);
      if (output !== null) texts.push(output);
      if (error !== null) {
        texts.push(error);
        errorText ??= error;
      }
    } else if (isRecord(part) && typeof part.text === 'string') texts.push(part.text);
  }
  if (texts.length === 0 && typeof call.resultDisplay === 'string') texts.push(call.resultDisplay);
  return { text: texts.join('\n'), errorText };
}

/**
 * The shell tool's report: "Command: …\nDirectory: …\nOutput: <output>\nError: …\nExit Code: N\nSignal: …".
 * Returns the command's own output (what follows "Output: ") and the exit code, null when not stated.
 */
function parseShellOutput(text: string): { output: string; exit_code: number | null } {
  const stated = /^Exit Code: (-?\d+)/m.exec(text)?.[1];
  const body = /^Output: ([\s\S]*?)(?=\n(?:Error|Exit Code|Signal|Background PIDs|Process Group PGID): |$(?![\s\S]))/m.exec(text)?.[1];
  return { output: body ?? text, exit_code: stated !== undefined ? Number(stated) : null };
}

function renderToolInput(name: string, args: Record<string, unknown>): string | null {
  const command = asString(args.command);
  if (SHELL_TOOLS.has(name) && command !== null) return renderShort(command);
  const path = asString(args.file_path) ?? asString(args.absolute_path) ?? asString(args.path) ?? asString(args.dir_path);
  if (path !== null) return renderShort(path);
  const pattern = asString(args.pattern) ?? asString(args.query) ?? asString(args.url);
  if (pattern !== null) return renderShort(pattern);
  return null;
}

/** Adds one tool call to the draft: with its result when its status is final, else as a request. */
function applyToolCall(call: Record<string, unknown>, draft: EvidenceDraft, state: GeminiCliState): void {
  const name = asString(call.name) ?? 'unknown';
  const call_id = asString(call.id);
  const args = isRecord(call.args) ? call.args : {};
  const input_summary = renderToolInput(name, args);
  const status = asString(call.status);
  if (status === null || !FINAL_STATUSES.has(status)) {
    draft.tool_calls.push({ name, call_id, input_summary, ok: null, error: null });
    return;
  }
  const { text, errorText } = toolResultText(call);
  const command = SHELL_TOOLS.has(name) ? asString(args.command) : null;
  const shell = command !== null ? parseShellOutput(text) : null;
  // The shell tool succeeds whenever the command ran; a non-zero exit is the command failing.
  const ok = status === 'success' && (shell?.exit_code ?? 0) === 0;
  let error: string | null = null;
  if (status === 'cancelled') error = 'cancelled';
  else if (status !== 'success') error = renderErrorLine(errorText ?? text) || 'error';
  else if (!ok) error = `exit code ${shell?.exit_code ?? '?'}`;
  draft.tool_calls.push({ name, call_id, input_summary, ok, error });
  if (status === 'cancelled') draft.failure_markers.push(`tool_cancelled:${name}`);
  else if (!ok) draft.failure_markers.push(`tool_error:${name}`);

  if (command !== null && shell !== null) {
    // Without an "Exit Code" line no validation can be claimed either way.
    if (shell.exit_code === null) draft.commands_run.push({ command, exit_code: null });
    else {
      const outcome = buildCommandOutcome(command, shell.exit_code, ok, shell.output);
      draft.commands_run.push(outcome.command_run);
      draft.failure_markers.push(...outcome.failure_markers);
      draft.success_markers.push(...outcome.success_markers);
      if (outcome.validation !== null) draft.validation_results.push(outcome.validation);
      appendUnique(draft.link_hints.oids, outcome.oids);
    }
  }
  const path = WRITE_TOOLS.has(name) ? (asString(args.file_path) ?? asString(args.path)) : null;
  if (ok && path !== null) appendUnique(draft.source_files, [computeRelativePath(path, state.cwd)]);
}

function baseDraft(state: GeminiCliState): EvidenceDraft {
  const session = state.session_id ?? 'pending';
  return emptyDraft({ kind: 'meta', run_id: `${SOURCE_ID}:${session}`, task_id: session, task_type: state.task_type, model_role: 'executor' });
}

/** Reads a session header into the state and returns its meta draft, or a rejection naming sessionId. */
function mapHeader(header: Record<string, unknown>, state: GeminiCliState): MapResult {
  const id = asString(header.sessionId);
  if (id === null) return reject('missing_field', 'sessionId: the session header must name its session');
  state.session_id = id;
  // Subagent recordings say kind "subagent"; the main chat says "main".
  state.task_type = asString(header.kind) === 'subagent' ? 'subagent_session' : 'coding_session';
  const directories = Array.isArray(header.directories) ? header.directories : [];
  const dir = asString(directories[0]);
  if (dir !== null) state.cwd = dir;
  const draft = baseDraft(state);
  draft.timestamp = parseTimestamp(header.startTime);
  draft.link_hints.cwd = state.cwd;
  draft.unmapped_fields = extractUnmappedFields(header, HEADER_FIELDS);
  return { ok: true, draft };
}

/**
 * One message record. `withResults`: tool calls carry their results in this draft (JSONL, where a line is
 * one item); otherwise they are listed as requests and their results come as separate items (JSON).
 */
function mapMessage(message: Record<string, unknown>, state: GeminiCliState, withResults: boolean): MapResult {
  if (state.session_id === null) return reject('missing_field', 'sessionId: no session header before this message, so it belongs to no session');
  const type = asString(message.type);
  if (type === null) return reject('missing_field', 'type: a message names its type (user, gemini, info, error, warning)');
  const id = asString(message.id);
  const draft = baseDraft(state);
  draft.timestamp = parseTimestamp(message.timestamp);
  draft.link_hints.cwd = state.cwd;
  draft.unmapped_fields = extractUnmappedFields(message, MESSAGE_FIELDS);
  const text = extractBlockText(message.content);

  if (type === 'user') {
    const seen = id !== null && state.seen.has(id);
    if (id !== null) state.seen.set(id, state.seen.get(id) ?? { tokens: null, resolved: new Set() });
    if (!seen) {
      draft.kind = 'message';
      draft.model_role = 'human';
      draft.input_text = text.length > 0 ? text : null;
    }
    return { ok: true, draft };
  }
  if (type === 'error') {
    draft.kind = 'message';
    draft.output_text = text.length > 0 ? text : null;
    draft.failure_markers.push(`agent_error:${renderShort(text.length > 0 ? text : 'unknown', 120)}`);
    return { ok: true, draft };
  }
  if (type !== 'gemini') {
    // info and warning: the CLI talking to the user, not a model turn
    draft.output_text = text.length > 0 ? text : null;
    return { ok: true, draft };
  }

  const model = asString(message.model);
  const prior = id !== null ? state.seen.get(id) : undefined;
  const seen: SeenMessage = prior ?? { tokens: null, resolved: new Set() };
  if (id !== null) state.seen.set(id, seen);
  const current = messageTokens(message.tokens);
  if (current !== null) {
    const delta = computeTokenDelta(current, seen.tokens);
    seen.tokens = computeTokenMax(seen.tokens, current);
    if (delta.input + delta.output + delta.cached > 0) draft.tokens = delta;
  }
  const calls = Array.isArray(message.toolCalls) ? message.toolCalls.filter(isRecord) : [];

  // Tool results of a rewrite name no model; a model call, or a rewrite adding tokens, does.
  if (prior === undefined || draft.tokens !== null) {
    draft.model_name = model;
    draft.model_provider = inferModelProvider(model);
  }
  if (prior === undefined) {
    draft.kind = 'model_call';
    draft.output_text = text.length > 0 ? text : null;
    for (const call of calls) {
      if (withResults) {
        applyToolCall(call, draft, state);
        const callId = asString(call.id);
        if (callId !== null && FINAL_STATUSES.has(asString(call.status) ?? '')) seen.resolved.add(callId);
      } else {
        const name = asString(call.name) ?? 'unknown';
        const args = isRecord(call.args) ? call.args : {};
        draft.tool_calls.push({ name, call_id: asString(call.id), input_summary: renderToolInput(name, args), ok: null, error: null });
      }
    }
    return { ok: true, draft };
  }
  // A rewrite of a message already seen: only the tool calls that finished since count.
  const outputs: string[] = [];
  for (const call of calls) {
    const callId = asString(call.id);
    const final = FINAL_STATUSES.has(asString(call.status) ?? '');
    if (!final || (callId !== null && seen.resolved.has(callId))) continue;
    if (callId !== null) seen.resolved.add(callId);
    applyToolCall(call, draft, state);
    const output = toolResultText(call).text;
    if (output.length > 0) outputs.push(output);
  }
  if (draft.tool_calls.length > 0) {
    draft.kind = 'tool_result';
    draft.model_role = 'tool';
    draft.output_text = outputs.length > 0 ? outputs.join('\n\n') : null;
  }
  return { ok: true, draft };
}

/** A tool call item of the JSON document: its result. */
function mapToolCallItem(call: unknown, state: GeminiCliState): MapResult {
  if (!isRecord(call)) return reject('not_an_object', `expected a tool call object, got ${describeValue(call)}`);
  if (state.session_id === null) return reject('missing_field', 'sessionId: the document names no session, so this tool call belongs to no run');
  if (asString(call.name) === null) return reject('missing_field', 'name: a tool call names its tool');
  const draft = baseDraft(state);
  draft.kind = 'tool_result';
  draft.model_role = 'tool';
  draft.timestamp = parseTimestamp(call.timestamp);
  draft.link_hints.cwd = state.cwd;
  applyToolCall(call, draft, state);
  const text = toolResultText(call).text;
  draft.output_text = text.length > 0 ? text : null;
  draft.unmapped_fields = extractUnmappedFields(call, TOOL_CALL_FIELDS);
  return { ok: true, draft };
}

function initState(): GeminiCliState {
  return { session_id: null, task_type: 'coding_session', cwd: null, seen: new Map() };
}

function isMessageShape(value: Record<string, unknown>): boolean {
  return typeof value.id === 'string' && typeof value.type === 'string';
}

/** The session-file name Gemini CLI writes: chats/session-<time>-<id>.json[l]. */
const SESSION_PATH_RE = /(?:^|[\\/])session-[^\\/]*\.jsonl?$/;

function detectJson(probe: DetectProbe): number {
  const doc = probe.first;
  if (!isRecord(doc) || typeof doc.sessionId !== 'string' || !Array.isArray(doc.messages)) return 0;
  if (typeof doc.projectHash === 'string') return 90;
  // A bare {sessionId, messages} is also Copilot-like; only the file name makes it ours.
  return SESSION_PATH_RE.test(probe.path) && doc.messages.every((m) => isRecord(m) && isMessageShape(m)) ? 60 : 0;
}

function detectJsonl(probe: DetectProbe): number {
  const first = probe.first;
  if (!isRecord(first) || typeof first.sessionId !== 'string') return 0;
  // The same header opens a legacy .json document, which the JSON reader owns.
  if (/\.json$/i.test(probe.path)) return 0;
  if (typeof first.projectHash === 'string' && 'startTime' in first) return 90;
  return SESSION_PATH_RE.test(probe.path) && 'startTime' in first ? 60 : 0;
}

type Split = { ok: true; items: Array<{ pointer: string; value: unknown }> } | { ok: false; reason: string };

/**
 * The header (the top-level fields other than messages, at pointer ''), then each message, each followed
 * by its tool calls: the header comes first so every item knows its session.
 */
function splitJson(doc: unknown): Split {
  if (!isRecord(doc)) return { ok: false, reason: `a Gemini CLI session is a JSON object, got ${describeValue(doc)}` };
  if (!Array.isArray(doc.messages)) return { ok: false, reason: 'messages: a Gemini CLI session holds its messages in an array' };
  const { messages, ...header } = doc;
  const items: Array<{ pointer: string; value: unknown }> = [{ pointer: '', value: header }];
  (messages as unknown[]).forEach((message, i) => {
    items.push({ pointer: `/messages/${i}`, value: message });
    if (!isRecord(message) || !Array.isArray(message.toolCalls)) return;
    message.toolCalls.forEach((call, j) => items.push({ pointer: `/messages/${i}/toolCalls/${j}`, value: call }));
  });
  return { ok: true, items };
}

function mapJsonItem(value: unknown, at: SourceLocation, state: GeminiCliState): MapResult {
  if (at.pointer === '' || at.pointer === null) {
    if (!isRecord(value)) return reject('not_an_object', `expected the session object, got ${describeValue(value)}`);
    return mapHeader(value, state);
  }
  if (/\/toolCalls\/\d+$/.test(at.pointer)) return mapToolCallItem(value, state);
  if (!isRecord(value)) return reject('not_an_object', `expected a message object, got ${describeValue(value)}`);
  return mapMessage(value, state, false);
}

function mapJsonlLine(value: unknown, _at: SourceLocation, state: GeminiCliState): MapResult {
  if (!isRecord(value)) return reject('not_an_object', `expected a JSON object, got ${describeValue(value)}`);
  if ('$set' in value) {
    if (!isRecord(value.$set)) return reject('wrong_type', `$set: expected an object of header fields, got ${describeValue(value.$set)}`);
    if (state.session_id === null) return reject('missing_field', 'sessionId: no session header before this update, so it belongs to no session');
    // Metadata patches (lastUpdated, summary) and context rebuilds ($set.messages after a compression)
    // restate what earlier lines recorded: meta.
    const draft = baseDraft(state);
    draft.link_hints.cwd = state.cwd;
    draft.timestamp = parseTimestamp(value.$set.lastUpdated);
    return { ok: true, draft };
  }
  if ('$rewindTo' in value) {
    if (state.session_id === null) return reject('missing_field', 'sessionId: no session header before this rewind, so it belongs to no session');
    const draft = baseDraft(state);
    draft.link_hints.cwd = state.cwd;
    draft.observer_notes = `the conversation was rewound to message ${asString(value.$rewindTo) ?? '?'}`;
    return { ok: true, draft };
  }
  if (isMessageShape(value) || 'type' in value) return mapMessage(value, state, true);
  return mapHeader(value, state);
}

/** Gemini CLI's legacy session JSON: one document, a run per session. */
export const geminiCliAdapter: Adapter<GeminiCliState> = {
  id: SOURCE_ID,
  description: 'Gemini CLI chat sessions, legacy JSON (~/.gemini/tmp/<projectHash>/chats/session-*.json)',
  container: 'json',
  stateful: true,
  detect: detectJson,
  split: splitJson,
  init: initState,
  map: mapJsonItem,
};

/** Gemini CLI's JSONL session log: a header, then messages rewritten in full as they change, `$set` and `$rewindTo` lines. */
export const geminiCliJsonlAdapter: Adapter<GeminiCliState> = {
  id: JSONL_SOURCE_ID,
  description: 'Gemini CLI chat sessions, JSONL (~/.gemini/tmp/<projectHash>/chats/session-*.jsonl)',
  container: 'jsonl',
  stateful: true,
  detect: detectJsonl,
  init: initState,
  map: mapJsonlLine,
};
