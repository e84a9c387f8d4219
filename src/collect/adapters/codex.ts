// Adapter for OpenAI Codex CLI rollouts (~/.codex/sessions/YYYY/MM/DD/rollout-*.jsonl), current and pre-envelope shapes.
import { emptyDraft } from '../adapter.ts';
import type { Adapter, EvidenceDraft, MapResult, SourceLocation } from '../adapter.ts';
import {
  appendUnique,
  asCount,
  asInt,
  asString,
  buildCommandOutcome,
  computeRelativePath,
  computeTokenDelta,
  computeTokenMax,
  extractBlockText,
  extractPatchPaths,
  extractUnmappedFields,
  isRecord,
  parseTimestamp,
  renderErrorLine,
  renderShort,
} from './session-common.ts';
import type { TokenCounts } from './session-common.ts';

const SOURCE_ID = 'codex';

/** A tool call waiting for its output, keyed by call_id. */
interface PendingCall {
  name: string;
  input_summary: string | null;
  /** The shell command of a shell-like call; null for other tools. */
  command: string | null;
  /** Paths an apply_patch (as a tool or a shell heredoc) writes, cwd-relative. */
  patch_paths: string[];
}

export interface CodexState {
  session_id: string | null;
  task_type: string;
  /** The session header's cwd: where the session was launched. Written paths are made relative to it. */
  root_cwd: string | null;
  cwd: string | null;
  branch: string | null;
  /** From the latest turn_context (or the pre-envelope header). */
  model: string | null;
  /** session_meta.model_provider as configured; null when the rollout does not say. */
  provider: string | null;
  pending: Map<string, PendingCall>;
  /** Call ids already turned into a tool_result: a later report of the same call (exec_command_end after function_call_output) is meta. */
  resolved: Set<string>;
  /** The last human prompt and the channel it came on: Codex writes each prompt as a response_item and as an event_msg. */
  last_prompt: { text: string; channel: 'response_item' | 'event_msg' } | null;
  /** Cumulative token usage already attributed (token_count events repeat and accumulate). */
  tokens_counted: TokenCounts | null;
}

/** Top-level fields of a rollout line; the pre-envelope header's fields are read from the line itself. */
const KNOWN_FIELDS: ReadonlySet<string> = new Set(['timestamp', 'type', 'payload']);
const LEGACY_HEADER_FIELDS: ReadonlySet<string> = new Set(['id', 'timestamp', 'instructions', 'git', 'cwd', 'originator', 'cli_version']);

/** Envelope types that must carry a payload object. */
const ENVELOPE_TYPES: ReadonlySet<string> = new Set(['session_meta', 'turn_context', 'response_item', 'event_msg', 'compacted']);
const SHELL_TOOLS: ReadonlySet<string> = new Set(['shell', 'shell_command', 'exec_command', 'local_shell', 'container.exec']);
/** User-role messages Codex composes itself (instructions, environment, permissions): context, not a person's prompt. */
const INJECTED_PROMPT_RE =
  /^\s*(?:<environment_context>|<user_instructions>|<permissions instructions>|<INSTRUCTIONS>|<collaboration_mode>|<turn_aborted>|# AGENTS\.md instructions)/;
/** Tool outputs that state a failure when no exit code or success flag is given. */
const FAILURE_TEXT_RE = /^(?:patch rejected|apply_patch verification failed|failed to apply patch|error:|execution error|sandbox error)/i;

function parseJsonObject(text: unknown): Record<string, unknown> | null {
  if (typeof text !== 'string' || !text.trimStart().startsWith('{')) return null;
  try {
    const value: unknown = JSON.parse(text);
    return isRecord(value) ? value : null;
  } catch {
    return null;
  }
}

/** A command given as argv: the script of `bash -lc <script>`, else the words joined. */
function renderArgv(argv: unknown): string | null {
  if (typeof argv === 'string') return asString(argv);
  if (!Array.isArray(argv) || !argv.every((a) => typeof a === 'string')) return null;
  const words = argv as string[];
  const script = words.length === 3 && /(?:^|\/)(?:ba|z|da)?sh$/.test(words[0] ?? '') && /^-l?c$/.test(words[1] ?? '') ? words[2] : null;
  return asString(script ?? words.join(' '));
}

function modelProvider(state: CodexState): string | null {
  if (state.provider !== null) return state.provider;
  return state.model !== null && /^(?:gpt-|o\d|codex-)/.test(state.model) ? 'openai' : null;
}

/** Registers a tool call from a response item and returns the ToolCall the model_call draft lists. */
function registerCall(payload: Record<string, unknown>, state: CodexState): { name: string; call_id: string | null; input_summary: string | null } {
  const type = payload.type;
  const call_id = asString(payload.call_id) ?? asString(payload.id);
  let name = asString(payload.name) ?? (type === 'local_shell_call' ? 'local_shell' : 'unknown');
  let args: Record<string, unknown> | null = null;
  let raw = '';
  if (type === 'function_call') {
    raw = typeof payload.arguments === 'string' ? payload.arguments : JSON.stringify(payload.arguments ?? null);
    args = isRecord(payload.arguments) ? payload.arguments : parseJsonObject(payload.arguments);
  } else if (type === 'custom_tool_call') {
    raw = typeof payload.input === 'string' ? payload.input : '';
  } else if (type === 'local_shell_call' && isRecord(payload.action)) {
    args = { command: payload.action.command, workdir: payload.action.working_directory };
  }
  if (type === 'web_search_call') name = 'web_search';

  const workdir = args !== null ? asString(args.workdir) : null;
  const command = SHELL_TOOLS.has(name) && args !== null ? renderArgv(args.command ?? args.cmd) : null;
  const patch = name === 'apply_patch' ? (args !== null ? (asString(args.input) ?? raw) : raw) : (command ?? '');
  const patch_paths = patch.includes('*** Begin Patch')
    ? extractPatchPaths(patch).map((p) => computeRelativePath(p, state.root_cwd ?? state.cwd, workdir ?? state.cwd))
    : [];

  let input_summary: string | null;
  if (command !== null) input_summary = renderShort(command);
  else if (name === 'apply_patch') input_summary = patch_paths.length > 0 ? renderShort(`patch: ${patch_paths.join(', ')}`) : null;
  else if (name === 'update_plan' && args !== null && Array.isArray(args.plan)) input_summary = `${args.plan.length} steps`;
  else if (type === 'web_search_call' && isRecord(payload.action)) input_summary = asString(payload.action.query);
  else input_summary = raw.length > 0 && raw !== '{}' ? renderShort(raw) : null;

  if (call_id !== null && type !== 'web_search_call') state.pending.set(call_id, { name, input_summary, command, patch_paths });
  return { name, call_id, input_summary };
}

/** The text, exit code and success flag of a function_call_output / custom_tool_call_output. */
function parseCallOutput(output: unknown): { text: string; body: string; exit_code: number | null; success: boolean | null; running: boolean } {
  let text = '';
  let exit_code: number | null = null;
  let success: boolean | null = null;
  const structured = parseJsonObject(output);
  if (structured !== null && typeof structured.output === 'string') {
    // codex <= 0.4x: {"output": "...", "metadata": {"exit_code": 0, "duration_seconds": 0.1}}
    text = structured.output;
    exit_code = isRecord(structured.metadata) ? asInt(structured.metadata.exit_code) : null;
  } else if (typeof output === 'string') {
    text = output;
  } else if (isRecord(output)) {
    text = typeof output.content === 'string' ? output.content : extractBlockText(output.content ?? output.content_items);
    success = typeof output.success === 'boolean' ? output.success : null;
  } else {
    text = extractBlockText(output);
  }
  if (exit_code === null) {
    // shell_command: "Exit code: 0\nWall time: ..."; unified exec: "Process exited with code 0".
    const stated = /^(?:Exit code: |Process exited with code )(-?\d+)/m.exec(text)?.[1];
    if (stated !== undefined) exit_code = Number(stated);
  }
  // Shell tools prefix their output with a header (exit code, wall time, chunk id) ending in "Output:".
  const header = /^(?:(?:Exit code|Wall time|Chunk ID|Original token count|Process exited with code|Process running with session ID)[: ].*\n)+Output:\n/.exec(text);
  const body = header !== null ? text.slice(header[0].length) : text;
  return { text, body, exit_code, success, running: /^Process running with session ID/m.test(text) };
}

function applyShellOutcome(draft: EvidenceDraft, command: string, exit_code: number | null, ok: boolean, output: string): void {
  if (exit_code === null) {
    // Without an exit status the tool's verdict stands, but a validation cannot be claimed either way.
    draft.commands_run.push({ command, exit_code: null });
    return;
  }
  const outcome = buildCommandOutcome(command, exit_code, ok, output);
  draft.commands_run.push(outcome.command_run);
  draft.failure_markers.push(...outcome.failure_markers);
  draft.success_markers.push(...outcome.success_markers);
  if (outcome.validation !== null) draft.validation_results.push(outcome.validation);
  appendUnique(draft.link_hints.oids, outcome.oids);
}

/** Fills a tool_result draft for one finished call. `source_paths` overrides the pending call's patch paths. */
function fillToolResult(
  draft: EvidenceDraft,
  state: CodexState,
  call_id: string | null,
  fallbackName: string,
  result: { text: string; body: string; errorText: string; exit_code: number | null; ok: boolean; command: string | null; running: boolean },
  source_paths: string[] | null,
): void {
  const pending = call_id !== null ? state.pending.get(call_id) : undefined;
  if (call_id !== null) {
    state.pending.delete(call_id);
    state.resolved.add(call_id);
  }
  const name = pending?.name ?? fallbackName;
  draft.kind = 'tool_result';
  draft.model_role = 'tool';
  draft.output_text = result.text.length > 0 ? result.text : null;
  draft.tool_calls.push({
    name,
    call_id,
    input_summary: pending?.input_summary ?? null,
    ok: result.ok,
    error: result.ok ? null : renderErrorLine(result.errorText) || 'error',
  });
  if (!result.ok) draft.failure_markers.push(`tool_error:${name}`);
  const command = result.command ?? pending?.command ?? null;
  if (command !== null) applyShellOutcome(draft, command, result.running ? null : result.exit_code, result.ok, result.body);
  if (result.ok) appendUnique(draft.source_files, source_paths ?? pending?.patch_paths ?? []);
}

function mapResponseItem(payload: Record<string, unknown>, draft: EvidenceDraft, state: CodexState): void {
  const type = asString(payload.type);
  if (type === 'message') {
    const role = asString(payload.role);
    const text = extractBlockText(payload.content);
    if (role === 'assistant') {
      draft.kind = 'model_call';
      draft.model_name = state.model;
      draft.model_provider = modelProvider(state);
      draft.output_text = text.length > 0 ? text : null;
    } else if (role === 'user') {
      draft.input_text = text.length > 0 ? text : null;
      // Pre-envelope rollouts name the cwd only inside the injected environment context.
      const cwd = state.cwd === null ? /<cwd>([^<\n]+)<\/cwd>/.exec(text)?.[1] : undefined;
      if (cwd !== undefined) {
        state.cwd = cwd;
        state.root_cwd ??= cwd;
      }
      if (!INJECTED_PROMPT_RE.test(text)) mapPrompt(text, 'response_item', draft, state);
    } else {
      draft.input_text = text.length > 0 ? text : null;
    }
    return;
  }
  if (type === 'function_call' || type === 'custom_tool_call' || type === 'local_shell_call' || type === 'web_search_call') {
    draft.kind = 'model_call';
    draft.model_name = state.model;
    draft.model_provider = modelProvider(state);
    const call = registerCall(payload, state);
    draft.tool_calls.push({ ...call, ok: null, error: null });
    return;
  }
  if (type === 'function_call_output' || type === 'custom_tool_call_output') {
    const call_id = asString(payload.call_id);
    if (call_id !== null && state.resolved.has(call_id)) return; // already reported by an event: stays meta
    const out = parseCallOutput(payload.output);
    const pending = call_id !== null ? state.pending.get(call_id) : undefined;
    const ok =
      out.exit_code !== null ? out.exit_code === 0 : out.success !== null ? out.success : !FAILURE_TEXT_RE.test(out.text.trimStart());
    fillToolResult(draft, state, call_id, pending?.name ?? 'unknown', { ...out, errorText: out.body, ok, command: null }, null);
  }
  // reasoning and anything newer: meta
}

/**
 * A prompt typed by the user. Codex records it twice (response_item message and event_msg user_message);
 * the second copy is meta so each prompt counts once whichever order the two arrive in.
 */
function mapPrompt(text: string, channel: 'response_item' | 'event_msg', draft: EvidenceDraft, state: CodexState): void {
  const last = state.last_prompt;
  if (last !== null && last.channel !== channel && last.text.trim() === text.trim()) {
    state.last_prompt = null;
    return;
  }
  state.last_prompt = { text, channel };
  draft.kind = 'message';
  draft.model_role = 'human';
  draft.input_text = text.length > 0 ? text : null;
}

function mapEvent(payload: Record<string, unknown>, draft: EvidenceDraft, state: CodexState): void {
  const type = asString(payload.type);
  if (type === 'user_message') {
    mapPrompt(typeof payload.message === 'string' ? payload.message : '', 'event_msg', draft, state);
  } else if (type === 'token_count') {
    const total = isRecord(payload.info) && isRecord(payload.info.total_token_usage) ? payload.info.total_token_usage : null;
    if (total === null) return;
    // OpenAI counts cached tokens inside input_tokens; our buckets are disjoint (input = uncached prompt).
    const cached = asCount(total.cached_input_tokens);
    const current = { input: Math.max(0, asCount(total.input_tokens) - cached), output: asCount(total.output_tokens), cached };
    draft.tokens = computeTokenDelta(current, state.tokens_counted);
    state.tokens_counted = computeTokenMax(state.tokens_counted, current);
    draft.model_name = state.model;
    draft.model_provider = modelProvider(state);
  } else if (type === 'exec_command_end') {
    const call_id = asString(payload.call_id);
    if (call_id !== null && state.resolved.has(call_id)) return;
    const exit_code = asInt(payload.exit_code);
    const text = asString(payload.aggregated_output) ?? [asString(payload.stdout), asString(payload.stderr)].filter((s) => s !== null).join('\n');
    const errorText = asString(payload.stderr) ?? text;
    fillToolResult(
      draft,
      state,
      call_id,
      'shell',
      { text, body: text, errorText, exit_code, ok: exit_code === 0, command: renderArgv(payload.command), running: false },
      null,
    );
  } else if (type === 'patch_apply_end') {
    const call_id = asString(payload.call_id);
    if (call_id !== null && state.resolved.has(call_id)) return;
    const ok = payload.success !== false;
    const text = [asString(payload.stdout), asString(payload.stderr)].filter((s) => s !== null).join('\n');
    const changed = isRecord(payload.changes) ? Object.keys(payload.changes).map((p) => computeRelativePath(p, state.root_cwd ?? state.cwd, state.cwd)) : null;
    fillToolResult(
      draft,
      state,
      call_id,
      'apply_patch',
      { text, body: text, errorText: asString(payload.stderr) ?? text, exit_code: null, ok, command: null, running: false },
      changed,
    );
  } else if (type === 'error' || type === 'stream_error') {
    draft.kind = 'message';
    draft.output_text = asString(payload.message);
    draft.failure_markers.push(`agent_error:${renderShort(asString(payload.message) ?? 'unknown', 120)}`);
  }
  // agent_message / agent_reasoning repeat response items; task_started, turn_aborted, ...: meta
}

/** Reads a session header (session_meta payload, or the pre-envelope first line) into the state. */
function applySessionMeta(meta: Record<string, unknown>, draft: EvidenceDraft, state: CodexState): void {
  const cwd = asString(meta.cwd);
  if (cwd !== null) {
    state.cwd = cwd;
    state.root_cwd = cwd;
  }
  const provider = asString(meta.model_provider);
  if (provider !== null) state.provider = provider.toLowerCase();
  const model = asString(meta.model);
  if (model !== null) state.model = model;
  state.task_type = isRecord(meta.source) && 'subagent' in meta.source ? 'subagent_session' : 'coding_session';
  if (isRecord(meta.git)) {
    const branch = asString(meta.git.branch);
    if (branch !== null) state.branch = branch;
    const commit = asString(meta.git.commit_hash);
    // The HEAD the session started from: the header names it, so it is an oid hint of this line only.
    if (commit !== null && /^[0-9a-f]{7,40}$/.test(commit)) draft.link_hints.oids.push(commit);
  }
}

function reject(code: 'missing_field' | 'wrong_type' | 'not_an_object', reason: string): MapResult {
  return { ok: false, rejection: { code, reason } };
}

function describeValue(value: unknown): string {
  return Array.isArray(value) ? 'an array' : value === null ? 'null' : typeof value;
}

function mapLine(value: unknown, _at: SourceLocation, state: CodexState): MapResult {
  if (!isRecord(value)) return reject('not_an_object', `expected a JSON object, got ${describeValue(value)}`);
  if (typeof value.type === 'string' && ENVELOPE_TYPES.has(value.type) && value.payload === undefined) {
    return reject('missing_field', `payload: a '${value.type}' line carries its content in payload`);
  }
  const enveloped = typeof value.type === 'string' && 'payload' in value;
  // Rollouts before the {timestamp, type, payload} envelope: a header {id, timestamp, instructions, git},
  // then {record_type: "state"} markers and bare response items.
  const legacyHeader = !enveloped && value.type === undefined && asString(value.id) !== null && value.record_type === undefined;
  const type = enveloped ? (value.type as string) : legacyHeader ? 'session_meta' : null;
  const payload = enveloped ? value.payload : value;
  if (enveloped && !isRecord(payload)) return reject('wrong_type', `payload: expected an object on a '${type}' line, got ${describeValue(payload)}`);
  const body = payload as Record<string, unknown>;

  const draft = emptyDraft({ kind: 'meta', run_id: 'pending', task_id: 'pending', task_type: 'coding_session', model_role: 'executor' });
  if (type === 'session_meta') {
    const id = asString(body.id);
    if (id === null) return reject('missing_field', `${enveloped ? 'payload.id' : 'id'}: the session header must name its session`);
    state.session_id = id;
    applySessionMeta(body, draft, state);
  } else if (state.session_id === null) {
    return reject('missing_field', 'session_meta.payload.id: no session header before this line, so it belongs to no session');
  }
  const session = state.session_id as string;

  if (type === 'turn_context') {
    const model = asString(body.model);
    if (model !== null) state.model = model;
    const cwd = asString(body.cwd);
    if (cwd !== null) state.cwd = cwd;
    draft.model_name = state.model;
    draft.model_provider = modelProvider(state);
  } else if (type === 'response_item') {
    mapResponseItem(body, draft, state);
  } else if (type === 'event_msg') {
    mapEvent(body, draft, state);
  } else if (!enveloped && type === null && value.record_type === undefined) {
    mapResponseItem(body, draft, state);
  }

  draft.run_id = `${SOURCE_ID}:${session}`;
  draft.task_id = session;
  draft.task_type = state.task_type;
  draft.timestamp = parseTimestamp(value.timestamp);
  draft.link_hints.cwd = state.cwd;
  draft.link_hints.branch = state.branch;
  draft.unmapped_fields = enveloped ? extractUnmappedFields(value, KNOWN_FIELDS) : legacyHeader ? extractUnmappedFields(value, LEGACY_HEADER_FIELDS) : [];
  return { ok: true, draft };
}

function detect(probe: { path: string; first: unknown }): number {
  const first = probe.first;
  if (!isRecord(first)) return 0;
  if (first.type === 'session_meta' && isRecord(first.payload)) return 95;
  const rollout = /(?:^|[\\/])rollout-[^\\/]*\.jsonl$/.test(probe.path);
  if (first.type === undefined && asString(first.id) !== null && 'instructions' in first) return rollout ? 80 : 60;
  if (rollout && typeof first.type === 'string' && 'payload' in first) return 60;
  return 0;
}

/** Codex CLI rollout JSONL: a session is a run; model outputs, tool outputs and exec/patch events are evidence. */
export const codexAdapter: Adapter<CodexState> = {
  id: SOURCE_ID,
  description: 'OpenAI Codex CLI rollouts (~/.codex/sessions/YYYY/MM/DD/rollout-*.jsonl)',
  container: 'jsonl',
  stateful: true,
  detect,
  init(): CodexState {
    return {
      session_id: null,
      task_type: 'coding_session',
      root_cwd: null,
      cwd: null,
      branch: null,
      model: null,
      provider: null,
      pending: new Map(),
      resolved: new Set(),
      last_prompt: null,
      tokens_counted: null,
    };
  },
  map: mapLine,
};
