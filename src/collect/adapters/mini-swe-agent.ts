// Adapter for mini-swe-agent `.traj.json` files: chat messages whose observations carry <returncode>/<output>, and the run's info.
import { emptyDraft } from '../adapter.ts';
import type { Adapter, EvidenceDraft, MapRejection, MapResult, SourceLocation } from '../adapter.ts';
import {
  appendUnique,
  asInt,
  asString,
  buildCommandOutcome,
  extractBlockText,
  extractUnmappedFields,
  isRecord,
  renderErrorLine,
  renderShort,
  extractDiffPaths,
} from './session-common.ts';
import { deriveRunId, extractTestValidation, taskIdFromPath } from './swe-agent.ts';

const SOURCE_ID = 'mini-swe-agent';
const TASK_TYPE = 'mini_swe_agent_run';

export interface MiniSweAgentState {
  run_id: string | null;
  task_id: string;
  /** `info.config.model.model_name`; bare message lists do not record the model. */
  model: string | null;
  /** The command of the latest assistant turn, waiting for its observation. */
  pending: { command: string; call_id: string | null } | null;
  /** Whether an assistant turn has been seen: user messages before it are the task, after it observations. */
  started: boolean;
  /** The previous message was an assistant turn with no runnable action: the next user message is format-error feedback. */
  awaiting_feedback: boolean;
}

/** The marker a command echoes to submit (`MINI_SWE_AGENT_FINAL_OUTPUT` before v1.0). */
const SUBMIT_RE = /\b(?:COMPLETE_TASK_AND_SUBMIT_FINAL_OUTPUT|MINI_SWE_AGENT_FINAL_OUTPUT)\b/;
/** The one action of an assistant turn: a ```bash (or ```mswea_bash_command) block. */
const ACTION_RE = /```(?:bash|mswea_bash_command)\s*\n([\s\S]*?)\n```/g;
const MESSAGE_FIELDS: ReadonlySet<string> = new Set(['role', 'content', 'extra', 'tool_calls', 'tool_call_id', 'name', 'reasoning_content']);
const INFO_FIELDS: ReadonlySet<string> = new Set(['exit_status', 'submission', 'model_stats', 'config', 'mini_version']);

function reject(code: MapRejection['code'], reason: string): MapResult {
  return { ok: false, rejection: { code, reason } };
}

function baseDraft(state: MiniSweAgentState, kind: EvidenceDraft['kind'], model_role: EvidenceDraft['model_role']): EvidenceDraft {
  return emptyDraft({ kind, run_id: state.run_id ?? '', task_id: state.task_id, task_type: TASK_TYPE, model_role });
}

/** The command of an assistant turn: the single bash block (v1), or a tool call's `command` argument (v2 tool calling). */
function extractAction(message: Record<string, unknown>, content: string): { command: string; call_id: string | null } | null {
  if (Array.isArray(message.tool_calls)) {
    for (const call of message.tool_calls) {
      if (!isRecord(call) || !isRecord(call.function)) continue;
      const raw = call.function.arguments;
      let args: unknown = raw;
      if (typeof raw === 'string') {
        try {
          args = JSON.parse(raw);
        } catch {
          args = null;
        }
      }
      const command = isRecord(args) ? asString(args.command) : null;
      if (command !== null) return { command, call_id: asString(call.id) };
    }
  }
  // mini-swe-agent runs only a turn with exactly one block; two or more is a format error it answers with feedback.
  const blocks = [...content.matchAll(ACTION_RE)].map((m) => m[1] ?? '');
  const only = blocks.length === 1 ? asString(blocks[0]?.trim()) : null;
  return only !== null ? { command: only, call_id: null } : null;
}

/** `<returncode>N</returncode>` and the output (`<output>`, or `<output_head>`/`<output_tail>` when truncated). */
function parseObservation(content: string, extra: Record<string, unknown> | null): { exit_code: number | null; output: string } {
  const stated = /<returncode>\s*(-?\d+)\s*<\/returncode>/.exec(content)?.[1];
  const exit_code = stated !== undefined ? Number(stated) : extra !== null ? asInt(extra.returncode) : null;
  const parts = [...content.matchAll(/<output(?:_head|_tail)?>\n?([\s\S]*?)<\/output(?:_head|_tail)?>/g)].map((m) => m[1] ?? '');
  return { exit_code, output: parts.length > 0 ? parts.join('\n') : content };
}

function epochToIso(value: unknown): string | null {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? new Date(value * 1000).toISOString() : null;
}

function mapInfo(info: Record<string, unknown>, state: MiniSweAgentState): MapResult {
  const config = isRecord(info.config) ? info.config : null;
  const model = config !== null && isRecord(config.model) ? asString(config.model.model_name) : null;
  if (model !== null) state.model = model;
  const draft = baseDraft(state, 'meta', 'executor');
  draft.model_name = state.model;
  const status = asString(info.exit_status);
  // mini-swe-agent's exit status is the name of the exception that ended the run: Submitted, LimitsExceeded, ...
  if (status !== null) draft.signals.exit_status = status.trim().toLowerCase();
  const submission = asString(info.submission);
  draft.output_text = submission;
  if (submission !== null) draft.source_files = extractDiffPaths(submission);
  const stats = isRecord(info.model_stats) ? info.model_stats : null;
  const notes: string[] = [];
  if (stats !== null) {
    const cost = stats.instance_cost;
    if (typeof cost === 'number' && Number.isFinite(cost) && cost >= 0) draft.cost_usd = cost;
    const calls = asInt(stats.api_calls);
    if (calls !== null) notes.push(`api_calls: ${calls}`);
  }
  const version = asString(info.mini_version);
  if (version !== null) notes.push(`mini_version: ${version}`);
  draft.observer_notes = notes.join('; ');
  draft.unmapped_fields = extractUnmappedFields(info, INFO_FIELDS, 'info.');
  return { ok: true, draft };
}

function mapMessage(value: Record<string, unknown>, state: MiniSweAgentState): MapResult {
  const role = asString(value.role);
  if (role === null) return reject('missing_field', 'role: message has no role');
  const content = extractBlockText(value.content);
  const extra = isRecord(value.extra) ? value.extra : null;
  const unmapped = extractUnmappedFields(value, MESSAGE_FIELDS);

  if (role === 'assistant') {
    state.started = true;
    const draft = baseDraft(state, 'model_call', 'executor');
    draft.model_name = state.model;
    draft.output_text = content.length > 0 ? content : null;
    const action = extractAction(value, content);
    state.pending = action;
    state.awaiting_feedback = action === null;
    if (action !== null) draft.tool_calls.push({ name: 'bash', call_id: action.call_id, input_summary: renderShort(action.command), ok: null, error: null });
    const usage = extra !== null && isRecord(extra.response) && isRecord(extra.response.usage) ? extra.response.usage : null;
    const input = usage !== null ? asInt(usage.prompt_tokens) : null;
    const output = usage !== null ? asInt(usage.completion_tokens) : null;
    if (input !== null && output !== null) draft.tokens = { input, output, cached: 0 };
    // Cost stays on the info item (the run's total), so summing a run's cost never counts a call twice.
    draft.timestamp = extra !== null ? epochToIso(extra.timestamp) : null;
    draft.unmapped_fields = unmapped;
    return { ok: true, draft };
  }
  if (role === 'system' || !state.started) {
    const draft = baseDraft(state, role === 'system' ? 'meta' : 'message', role === 'system' ? 'executor' : 'human');
    draft.input_text = content.length > 0 ? content : null;
    draft.unmapped_fields = unmapped;
    return { ok: true, draft };
  }

  const pending = state.pending;
  const feedback = state.awaiting_feedback;
  state.pending = null;
  state.awaiting_feedback = false;
  const observed = parseObservation(content, extra);
  const draft = baseDraft(state, 'tool_result', 'tool');
  draft.timestamp = extra !== null ? epochToIso(extra.timestamp) : null;
  draft.output_text = content.length > 0 ? content : null;
  draft.unmapped_fields = unmapped;
  if (pending === null) {
    if (feedback) {
      // mini-swe-agent's answer to a turn without exactly one action: the model's error, no command ran.
      draft.kind = 'meta';
      draft.model_role = 'executor';
      draft.failure_markers.push('format_error');
      return { ok: true, draft };
    }
    // Nothing was asked: a person typing in interactive mode.
    if (role === 'user' && observed.exit_code === null) {
      draft.kind = 'message';
      draft.model_role = 'human';
      draft.input_text = draft.output_text;
      draft.output_text = null;
    }
    return { ok: true, draft };
  }
  draft.input_text = pending.command;
  if (observed.exit_code === null && SUBMIT_RE.test(pending.command)) {
    // The submit command's output is the submission itself, recorded without a return code.
    draft.tool_calls.push({ name: 'bash', call_id: pending.call_id, input_summary: renderShort(pending.command), ok: true, error: null });
    draft.commands_run.push({ command: pending.command, exit_code: null });
    draft.success_markers.push('submitted');
    draft.source_files = extractDiffPaths(content);
    return { ok: true, draft };
  }
  const timedOut = observed.exit_code === null && /timed out/i.test(content);
  const ok = observed.exit_code !== null ? observed.exit_code === 0 : !timedOut;
  draft.tool_calls.push({
    name: 'bash',
    call_id: pending.call_id,
    input_summary: renderShort(pending.command),
    ok,
    error: ok ? null : renderErrorLine(observed.output) || `exit code ${observed.exit_code ?? 'unknown'}`,
  });
  if (!ok) draft.failure_markers.push(timedOut ? 'tool_error:bash:timeout' : 'tool_error:bash');
  if (observed.exit_code === null) {
    draft.commands_run.push({ command: pending.command, exit_code: null });
    return { ok: true, draft };
  }
  const outcome = buildCommandOutcome(pending.command, observed.exit_code, ok, observed.output);
  draft.commands_run.push(outcome.command_run);
  draft.failure_markers.push(...outcome.failure_markers);
  draft.success_markers.push(...outcome.success_markers);
  // The exit code settles a test command; runners the shared rules miss (`./run_tests.sh`) are judged by their summary.
  const validation = outcome.validation ?? extractTestValidation(pending.command, observed.output);
  if (validation !== null) draft.validation_results.push(validation);
  appendUnique(draft.link_hints.oids, outcome.oids);
  return { ok: true, draft };
}

/** The items: `info` first (the run id hashes it), then every message; a bare list (older files) is the messages. */
function splitTrajectory(doc: unknown): { ok: true; items: Array<{ pointer: string; value: unknown }> } | { ok: false; reason: string } {
  if (Array.isArray(doc)) return { ok: true, items: doc.map((value, i) => ({ pointer: `/${i}`, value })) };
  if (!isRecord(doc)) return { ok: false, reason: 'a mini-swe-agent trajectory is a JSON object or a list of messages' };
  if (!Array.isArray(doc.messages)) return { ok: false, reason: 'messages: missing or not an array' };
  const items: Array<{ pointer: string; value: unknown }> = [];
  if (doc.info !== undefined) items.push({ pointer: '/info', value: doc.info });
  doc.messages.forEach((value, i) => items.push({ pointer: `/messages/${i}`, value }));
  return { ok: true, items };
}

function mapItem(value: unknown, at: SourceLocation, state: MiniSweAgentState): MapResult {
  if (state.run_id === null) state.run_id = deriveRunId(SOURCE_ID, state.task_id, value);
  const pointer = at.pointer ?? '';
  if (!isRecord(value)) return reject('not_an_object', `${pointer || 'item'}: not a JSON object`);
  if (pointer === '/info') return mapInfo(value, state);
  return mapMessage(value, state);
}

const CHAT_ROLES: ReadonlySet<unknown> = new Set(['system', 'user', 'assistant', 'tool']);

function isChatMessage(value: unknown): boolean {
  return isRecord(value) && CHAT_ROLES.has(value.role) && ('content' in value || 'tool_calls' in value);
}

export const miniSweAgentAdapter: Adapter<MiniSweAgentState> = {
  id: SOURCE_ID,
  description: 'mini-swe-agent .traj.json trajectories: chat messages, bash commands with return codes, exit status, submission, cost',
  container: 'json',
  stateful: true,
  detect({ path, first }) {
    const named = /\.traj\.json$/.test(path);
    if (isRecord(first)) {
      if (typeof first.trajectory_format === 'string' && first.trajectory_format.startsWith('mini-swe-agent')) return 95;
      if (!Array.isArray(first.messages) || !isRecord(first.info) || !named) return 0;
      return first.messages.every(isChatMessage) ? 70 : 0;
    }
    // Older files are a bare list of messages; the <returncode> observations are mini-swe-agent's own shape.
    if (!Array.isArray(first) || first.length === 0 || !first.every(isChatMessage)) return 0;
    const observed = first.some((m) => isRecord(m) && m.role === 'user' && typeof m.content === 'string' && /<returncode>-?\d+<\/returncode>/.test(m.content));
    if (!observed) return 0;
    return named ? 90 : 75;
  },
  init(source_file) {
    return { run_id: null, task_id: taskIdFromPath(source_file), model: null, pending: null, started: false, awaiting_feedback: false };
  },
  split: splitTrajectory,
  map: mapItem,
};
