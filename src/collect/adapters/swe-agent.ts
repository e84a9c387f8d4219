// Adapter for SWE-agent `.traj` files: the 0.x thought/action/observation trajectory and the 1.x function-calling one.
import { posix } from 'node:path';
import type { ValidationResult } from '../../../schemas/evidence-record.ts';
import { canonicalSha256 } from '../../canonical.ts';
import { emptyDraft } from '../adapter.ts';
import type { Adapter, EvidenceDraft, MapRejection, MapResult, SourceLocation } from '../adapter.ts';
import {
  MARKER_COMMAND_CAP,
  appendUnique,
  asInt,
  asString,
  computeRelativePath,
  extractBlockText,
  extractCommitOids,
  extractUnmappedFields,
  extractValidation,
  isRecord,
  renderErrorLine,
  renderShort,
  extractDiffPaths,
} from './session-common.ts';

const SOURCE_ID = 'swe-agent';
const TASK_TYPE = 'swe_agent_run';

export interface SweAgentState {
  /** Set by the first item mapped (the run's `info` when the file has one). */
  run_id: string | null;
  /** The instance id: SWE-agent names each trajectory `<instance_id>.traj`. */
  task_id: string;
  /** `replay_config.agent.model.name` (1.x); 0.x trajectories do not record the model. */
  model: string | null;
  /** The latest step's `working_dir`: the repository root inside the sandbox. */
  cwd: string | null;
}

/** A value that is no JSON item of this file: rejected with the field named. */
function reject(code: MapRejection['code'], reason: string): MapResult {
  return { ok: false, rejection: { code, reason } };
}

/** The file's base name without `.traj` / `.traj.json` / `.json`: the instance id both SWE-agents name trajectories by. */
export function taskIdFromPath(path: string): string {
  const base = posix.basename(path.replace(/\\/g, '/'));
  const stem = base.replace(/\.traj\.json$|\.traj$|\.json$/, '');
  return stem.length > 0 ? stem : base;
}

/**
 * A run id from the first item of the file: SWE-agent writes no run id, and the instance id alone is shared by
 * every run of one task, so the hash of the first item (the run's `info`: exit status, submission, stats) tells runs apart.
 */
export function deriveRunId(format: string, task_id: string, first: unknown): string {
  return `${format}:${task_id}:${canonicalSha256(first ?? null).slice(0, 16)}`;
}

/** Runners the shared rules do not name but SWE-bench repositories use (`./run_tests.sh`, `tests/runtests.py`, `bin/test`). */
const EXTRA_TEST_RE = /^(?:(?:python3?\s+|\.\/|bash\s+|sh\s+)?\S*\b(?:run_?tests?|runtests)(?:\.py|\.sh)?\b|bin\/test\b)/;

/**
 * A `tests` validation for a test command, when the runner's own summary says how it went. SWE-agent records no
 * exit codes, so a test command whose output carries no recognisable summary claims nothing either way.
 */
export function extractTestValidation(command: string, output: string): ValidationResult | null {
  const passed = parseTestOutcome(output);
  if (passed === null) return null;
  const shared = extractValidation(command, passed);
  if (shared !== null) return shared.name === 'tests' ? shared : null;
  const first = command.trim().split(/&&|\|\||;|\n/)[0]?.trim() ?? '';
  return EXTRA_TEST_RE.test(first) ? { name: 'tests', passed, detail: renderShort(command) } : null;
}

/**
 * Whether a test run's output reports success, from the runner's summary: pytest's `N failed, M passed in Xs`
 * line, unittest's `OK` / `FAILED (failures=N)`, sympy's `tests finished: N passed, M failed`. Null: no summary.
 */
export function parseTestOutcome(output: string): boolean | null {
  // pytest: "===== 1 failed, 3 passed in 0.12s =====" (also "no tests ran", "2 errors"); `-q` drops the rules.
  const pytest =
    [...output.matchAll(/^=+ (.*\b(?:passed|failed|errors?|no tests ran)\b.*?) =+\s*$/gm)].at(-1)?.[1] ??
    [...output.matchAll(/^(\d+ (?:passed|failed|errors?|skipped|deselected|xfailed|xpassed|warnings?)(?:, \d+ [a-z]+)*) in [\d.]+s\b.*$/gm)].at(-1)?.[1];
  if (pytest !== undefined) {
    if (/\b\d+ (?:failed|errors?)\b|no tests ran/.test(pytest)) return false;
    return /\b\d+ passed\b/.test(pytest) ? true : null;
  }
  const sympy = /^tests finished: (.*)$/m.exec(output)?.[1];
  if (sympy !== undefined) return !/\b[1-9]\d* (?:failed|exceptions?)\b/.test(sympy) && /\b\d+ passed\b/.test(sympy);
  // unittest / Django: "Ran 12 tests in 0.3s" then "OK" or "FAILED (failures=1, errors=2)".
  if (/^Ran \d+ tests? in /m.test(output)) {
    if (/^FAILED \(/m.test(output)) return false;
    if (/^OK(?: \(.*\))?\s*$/m.test(output)) return true;
  }
  return null;
}

/** Observations in which SWE-agent's own tools report that the action failed. */
const TOOL_ERROR_RE =
  /^(?:Your proposed edit has introduced new syntax error|Usage: |Error: |ERROR: |No replacement was performed|Invalid `|The command .* (?:timed out|took too long)|File .* not found$|(?:bash: )?(?:line \d+: )?\S+: command not found$)/m;

/** The first line of an action: the tool's name (`edit`, `python`, `str_replace_editor`). */
function toolName(action: string): string {
  return /^\s*(\S+)/.exec(action)?.[1] ?? 'unknown';
}

/** The sandbox state a step records: a JSON string (`{"open_file": ..., "working_dir": ...}`) or an object. */
function parseStepState(state: unknown): { open_file: string | null; working_dir: string | null } {
  let value: unknown = state;
  if (typeof state === 'string') {
    try {
      value = JSON.parse(state);
    } catch {
      value = null;
    }
  }
  if (!isRecord(value)) return { open_file: null, working_dir: null };
  const open = asString(value.open_file);
  return { open_file: open !== null && open !== 'n/a' ? open : null, working_dir: asString(value.working_dir) };
}


/** The file an editing action writes: `create p`, `str_replace_editor <cmd> p`, or the open file for `edit`/`insert`. */
function editedPath(action: string, open_file: string | null): string | null {
  const words = action.trim().split(/\s+/);
  const tool = words[0] ?? '';
  const unquote = (p: string | undefined): string | null => (p === undefined ? null : asString(p.replace(/^["']|["']$/g, '')));
  if (tool === 'create') return unquote(words[1]);
  if (tool === 'str_replace_editor' && ['create', 'str_replace', 'insert', 'undo_edit'].includes(words[1] ?? '')) return unquote(words[2]);
  if (tool === 'edit' || tool === 'insert' || tool === 'append') return open_file;
  return null;
}

const INFO_FIELDS: ReadonlySet<string> = new Set(['exit_status', 'submission', 'model_stats', 'swe_agent_version', 'swe_rex_version']);
/** Patch excerpts at three context widths (derived from the submission) and build hashes: nothing new to read. */
const INFO_IGNORED: ReadonlySet<string> = new Set(['edited_files30', 'edited_files50', 'edited_files70', 'swe_agent_hash', 'swe_rex_hash']);
const STEP_FIELDS: ReadonlySet<string> = new Set(['action', 'observation', 'response', 'thought', 'state', 'execution_time', 'messages', 'extra_info', 'query']);
const MESSAGE_FIELDS: ReadonlySet<string> = new Set(['role', 'content', 'agent', 'message_type', 'thought', 'action', 'tool_calls', 'tool_call_ids', 'is_demo', 'cache_control']);

function baseDraft(state: SweAgentState, kind: EvidenceDraft['kind'], model_role: EvidenceDraft['model_role']): EvidenceDraft {
  const draft = emptyDraft({ kind, run_id: state.run_id ?? '', task_id: state.task_id, task_type: TASK_TYPE, model_role });
  draft.link_hints.cwd = state.cwd;
  return draft;
}

function mapInfo(info: Record<string, unknown>, state: SweAgentState): MapResult {
  const draft = baseDraft(state, 'meta', 'executor');
  const status = asString(info.exit_status);
  // Only the producer's own status: `submitted`, `exit_cost`, `exit_error`, `submitted (exit_cost)`, ...
  if (status !== null) draft.signals.exit_status = status.trim().toLowerCase();
  const submission = asString(info.submission);
  draft.output_text = submission;
  if (submission !== null) draft.source_files = extractDiffPaths(submission);
  const stats = isRecord(info.model_stats) ? info.model_stats : null;
  const notes: string[] = [];
  if (stats !== null) {
    const cost = stats.instance_cost;
    const sent = asInt(stats.tokens_sent);
    const received = asInt(stats.tokens_received);
    // Replayed demonstrations zero the stats: no tokens at all means "not recorded", not a free run.
    const counted = sent !== null && received !== null && sent + received > 0;
    if (counted) draft.tokens = { input: sent, output: received, cached: 0 };
    if (typeof cost === 'number' && Number.isFinite(cost) && cost >= 0 && (cost > 0 || counted)) draft.cost_usd = cost;
    const calls = asInt(stats.api_calls);
    if (calls !== null) notes.push(`api_calls: ${calls}`);
  }
  for (const key of ['swe_agent_version', 'swe_rex_version']) {
    const version = asString(info[key]);
    if (version !== null) notes.push(`${key}: ${version}`);
  }
  draft.observer_notes = notes.join('; ');
  draft.model_name = state.model;
  const known = new Set([...INFO_FIELDS, ...INFO_IGNORED]);
  draft.unmapped_fields = extractUnmappedFields(info, known, 'info.');
  return { ok: true, draft };
}

/** `replay_config` (1.x): the run's configuration as a JSON string; read for the model name only. */
function mapReplayConfig(value: unknown, state: SweAgentState): MapResult {
  let config: unknown = value;
  if (typeof value === 'string') {
    try {
      config = JSON.parse(value);
    } catch {
      return reject('wrong_type', 'replay_config: not a JSON object or a string holding one');
    }
  }
  if (!isRecord(config)) return reject('wrong_type', 'replay_config: not a JSON object or a string holding one');
  const agent = isRecord(config.agent) ? config.agent : null;
  const model = agent !== null && isRecord(agent.model) ? asString(agent.model.name) : null;
  if (model !== null) state.model = model;
  const draft = baseDraft(state, 'meta', 'executor');
  draft.model_name = state.model;
  draft.observer_notes = 'replay_config';
  return { ok: true, draft };
}

function mapMessage(value: Record<string, unknown>, state: SweAgentState): MapResult {
  const role = asString(value.role);
  if (role === null) return reject('missing_field', 'role: history message has no role');
  // 1.x writes content as a string or as `[{type: 'text', text}]` blocks.
  const text = extractBlockText(value.content);
  const content = text.length > 0 ? text : null;
  const unmapped = extractUnmappedFields(value, MESSAGE_FIELDS);
  if (role === 'assistant') {
    const draft = baseDraft(state, 'model_call', 'executor');
    draft.model_name = state.model;
    draft.output_text = content;
    draft.scratchpad_summary = typeof value.thought === 'string' && value.thought.trim().length > 0 ? renderShort(value.thought) : null;
    const calls = Array.isArray(value.tool_calls) ? value.tool_calls.filter(isRecord) : [];
    if (calls.length > 0) {
      for (const call of calls) {
        const fn = isRecord(call.function) ? call.function : null;
        const args = fn !== null ? (typeof fn.arguments === 'string' ? fn.arguments : JSON.stringify(fn.arguments ?? null)) : '';
        draft.tool_calls.push({
          name: (fn !== null ? asString(fn.name) : null) ?? 'unknown',
          call_id: asString(call.id),
          input_summary: args.length > 0 && args !== '{}' ? renderShort(args) : null,
          ok: null,
          error: null,
        });
      }
    } else {
      const action = asString(value.action);
      if (action !== null) draft.tool_calls.push({ name: toolName(action), call_id: null, input_summary: renderShort(action), ok: null, error: null });
    }
    draft.unmapped_fields = unmapped;
    return { ok: true, draft };
  }
  // The preamble: the system prompt (configuration) and the task statement SWE-agent gives the model.
  const draft = baseDraft(state, role === 'system' ? 'meta' : 'message', role === 'system' ? 'executor' : 'human');
  draft.input_text = content;
  draft.unmapped_fields = unmapped;
  return { ok: true, draft };
}

function mapStep(step: Record<string, unknown>, state: SweAgentState): MapResult {
  if (typeof step.action !== 'string') return reject('missing_field', 'action: trajectory step has no action string');
  const action = step.action.trim();
  const observation = typeof step.observation === 'string' ? step.observation : step.observation === null || step.observation === undefined ? '' : JSON.stringify(step.observation);
  const stepState = parseStepState(step.state);
  if (stepState.working_dir !== null) state.cwd = stepState.working_dir;

  const draft = baseDraft(state, 'tool_result', 'tool');
  const name = toolName(action);
  const ok = !TOOL_ERROR_RE.test(observation);
  draft.input_text = action.length > 0 ? action : null;
  draft.output_text = observation.length > 0 ? observation : null;
  draft.tool_calls.push({ name, call_id: null, input_summary: renderShort(action), ok, error: ok ? null : renderErrorLine(observation) || 'error' });
  // SWE-agent records no exit codes; the command is listed with an unknown one.
  if (action.length > 0) draft.commands_run.push({ command: action, exit_code: null });
  if (!ok) draft.failure_markers.push(`tool_error:${name}`);
  const validation = extractTestValidation(action, observation);
  if (validation !== null) {
    draft.validation_results.push(validation);
    const short = renderShort(action, MARKER_COMMAND_CAP);
    (validation.passed ? draft.success_markers : draft.failure_markers).push(`tests_${validation.passed ? 'passed' : 'failed'}:${short}`);
  }
  if (ok) {
    const edited = editedPath(action, stepState.open_file);
    if (edited !== null) appendUnique(draft.source_files, [computeRelativePath(edited, state.cwd)]);
    appendUnique(draft.link_hints.oids, extractCommitOids(action, observation));
  }
  const seconds = step.execution_time;
  if (typeof seconds === 'number' && Number.isFinite(seconds) && seconds >= 0) draft.latency_ms = Math.round(seconds * 1000);
  draft.scratchpad_summary = typeof step.thought === 'string' && step.thought.trim().length > 0 ? renderShort(step.thought) : null;
  draft.unmapped_fields = extractUnmappedFields(step, STEP_FIELDS);
  return { ok: true, draft };
}

/**
 * The items of a trajectory: `info` (the outcome) first, so the run id hashes the run's own result; then
 * `replay_config`; then the history preamble (system prompt, task) and, in order, each assistant turn followed
 * by the trajectory step that executed it. Demonstrations (`is_demo`) are another run's transcript and are left
 * out, as are history observations, which repeat the trajectory's.
 */
function splitTrajectory(doc: unknown): { ok: true; items: Array<{ pointer: string; value: unknown }> } | { ok: false; reason: string } {
  if (!isRecord(doc)) return { ok: false, reason: 'a SWE-agent trajectory is a JSON object' };
  if (!Array.isArray(doc.trajectory)) return { ok: false, reason: 'trajectory: missing or not an array' };
  const items: Array<{ pointer: string; value: unknown }> = [];
  if (doc.info !== undefined) items.push({ pointer: '/info', value: doc.info });
  if (doc.replay_config !== undefined && doc.replay_config !== null) items.push({ pointer: '/replay_config', value: doc.replay_config });
  const history = Array.isArray(doc.history) ? doc.history : [];
  const turns: number[] = [];
  let inPreamble = true;
  history.forEach((message, i) => {
    if (isRecord(message) && message.is_demo === true) return;
    const role = isRecord(message) ? message.role : undefined;
    if (role === 'assistant') inPreamble = false;
    if (inPreamble) items.push({ pointer: `/history/${i}`, value: message });
    else if (role === 'assistant') turns.push(i);
  });
  const steps = doc.trajectory.length;
  for (let k = 0; k < Math.max(turns.length, steps); k++) {
    const turn = turns[k];
    if (turn !== undefined) items.push({ pointer: `/history/${turn}`, value: history[turn] });
    if (k < steps) items.push({ pointer: `/trajectory/${k}`, value: doc.trajectory[k] });
  }
  return { ok: true, items };
}

function mapItem(value: unknown, at: SourceLocation, state: SweAgentState): MapResult {
  if (state.run_id === null) state.run_id = deriveRunId(SOURCE_ID, state.task_id, value);
  const pointer = at.pointer ?? '';
  if (pointer === '/replay_config') return mapReplayConfig(value, state);
  if (!isRecord(value)) return reject('not_an_object', `${pointer || 'item'}: not a JSON object`);
  if (pointer === '/info') return mapInfo(value, state);
  if (pointer.startsWith('/history/')) return mapMessage(value, state);
  if (pointer.startsWith('/trajectory/')) return mapStep(value, state);
  return reject('wrong_type', `${pointer || 'item'}: not an item of a SWE-agent trajectory`);
}

export const sweAgentAdapter: Adapter<SweAgentState> = {
  id: SOURCE_ID,
  description: 'SWE-agent .traj trajectories (0.x thought/action/observation and 1.x function calling): steps, exit status, submission, cost',
  container: 'json',
  stateful: true,
  detect({ path, first }) {
    if (!isRecord(first) || !Array.isArray(first.trajectory)) return 0;
    if (!Array.isArray(first.history) && !isRecord(first.info)) return 0;
    const step = first.trajectory[0];
    // An empty trajectory (the run died before its first step) still has SWE-agent's info block.
    const stepShaped = step === undefined ? isRecord(first.info) && 'exit_status' in first.info : isRecord(step) && 'action' in step && 'observation' in step;
    if (!stepShaped) return 0;
    return /\.traj$/.test(path) ? 95 : 80;
  },
  init(source_file) {
    return { run_id: null, task_id: taskIdFromPath(source_file), model: null, cwd: null };
  },
  split: splitTrajectory,
  map: mapItem,
};
