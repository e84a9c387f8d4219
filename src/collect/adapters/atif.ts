// Adapter for ATIF, Harbor's Agent Trajectory Interchange Format (ATIF-v1.x): a trajectory is a run; each step, with its tool calls and their observations, is evidence.
import { canonicalSha256 } from '../../canonical.ts';
import { emptyDraft } from '../adapter.ts';
import type { Adapter, DetectProbe, EvidenceDraft, MapRejection, MapResult, SourceLocation } from '../adapter.ts';
import { inferModelProvider } from './lakehouse/infer-model-provider.ts';
import {
  appendUnique,
  asInt,
  asString,
  buildCommandOutcome,
  extractBlockText,
  extractUnmappedFields,
  isRecord,
  parseTimestamp,
  renderErrorLine,
  renderShort,
  SUMMARY_CAP,
} from './session-common.ts';

const SOURCE_ID = 'atif';
const TASK_TYPE = 'agent_trajectory';
const VERSION_RE = /^ATIF-v(\d+)\.(\d+)$/;

/** A tool call of the latest step, waiting for its observation. */
interface PendingCall {
  name: string;
  id: string | null;
  args: Record<string, unknown>;
}

/** One trajectory of the file (the root, or a subagent embedded under `subagent_trajectories`). */
interface Trajectory {
  run_id: string;
  task_id: string;
  model: string | null;
  /** The tool calls of the step read last: its observation item comes next. */
  calls: PendingCall[];
  /** Whether any step reported tokens / cost: then final_metrics' totals are not counted again. */
  step_tokens: boolean;
  step_cost: boolean;
}

export interface AtifState {
  /** By the JSON pointer of the trajectory ('' for the root). */
  trajectories: Map<string, Trajectory>;
}

const HEADER_FIELDS: ReadonlySet<string> = new Set(['schema_version', 'session_id', 'trajectory_id', 'agent', 'notes', 'continued_trajectory_ref']);
const STEP_FIELDS: ReadonlySet<string> = new Set(['step_id', 'timestamp', 'source', 'model_name', 'reasoning_effort', 'message', 'reasoning_content', 'tool_calls', 'metrics']);
const METRICS_FIELDS: ReadonlySet<string> = new Set(['prompt_tokens', 'completion_tokens', 'cached_tokens', 'cost_usd', 'prompt_token_ids', 'completion_token_ids', 'logprobs']);
const FINAL_FIELDS: ReadonlySet<string> = new Set(['total_prompt_tokens', 'total_completion_tokens', 'total_cached_tokens', 'total_cost_usd', 'total_steps']);
const SOURCES: ReadonlySet<string> = new Set(['system', 'user', 'agent']);
/** Arguments that hold a shell command, under the names agents give them. */
const COMMAND_ARGS = ['command', 'cmd', 'keystrokes', 'script'] as const;
/** How an observation states a command's exit code when the producer puts it in the text. */
const EXIT_IN_TEXT = [/<returncode>\s*(-?\d+)\s*<\/returncode>/, /\bexit(?:ed with)?(?: status| code)[:=]?\s*(-?\d+)\b/i];

function reject(code: MapRejection['code'], reason: string): MapResult {
  return { ok: false, rejection: { code, reason } };
}

/** The pointer of the trajectory an item belongs to: `/subagent_trajectories/0/steps/3` → `/subagent_trajectories/0`. */
function trajectoryOf(pointer: string): string {
  return pointer.replace(/\/(?:steps\/\d+(?:\/observation)?|final_metrics)$/, '');
}

function asNumber(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

function asCount(value: unknown): number | null {
  const n = asInt(value);
  return n !== null && n >= 0 ? n : null;
}

/** ATIF's prompt count includes the cached tokens; our buckets are disjoint (input = the uncached prompt). */
function tokensOf(prompt: unknown, completion: unknown, cached: unknown): EvidenceDraft['tokens'] {
  const p = asCount(prompt);
  const c = asCount(completion);
  if (p === null && c === null) return null;
  const hit = asCount(cached) ?? 0;
  return { input: Math.max(0, (p ?? 0) - hit), output: c ?? 0, cached: hit };
}

function baseDraft(t: Trajectory, kind: EvidenceDraft['kind'], role: EvidenceDraft['model_role']): EvidenceDraft {
  return emptyDraft({ kind, run_id: t.run_id, task_id: t.task_id, task_type: TASK_TYPE, model_role: role });
}

function mapHeader(header: Record<string, unknown>, pointer: string, state: AtifState): MapResult {
  const version = asString(header.schema_version);
  if (version === null) return reject('missing_field', 'schema_version: an ATIF trajectory names its version ("ATIF-v1.4")');
  const v = VERSION_RE.exec(version);
  if (v === null || v[1] !== '1') return reject('schema_version', `schema_version "${renderShort(version, 40)}": this adapter reads ATIF-v1.x`);
  const agent = isRecord(header.agent) ? header.agent : null;
  if (agent === null) return reject('missing_field', 'agent: an ATIF trajectory names the agent that produced it');
  const notes: string[] = [];
  // session_id is run-scoped (optional since v1.7, where trajectory_id names the document).
  const session = asString(header.session_id);
  const document = asString(header.trajectory_id);
  let id = session ?? document;
  if (id === null) {
    id = `sha256-${canonicalSha256(header).slice(0, 16)}`;
    notes.push('no session_id or trajectory_id: the run is named by the sha256 of the header');
  }
  // An embedded subagent is its own run, named under its parent's, on the parent's task.
  const parent = pointer === '' ? undefined : state.trajectories.get(pointer.replace(/\/subagent_trajectories\/\d+$/, ''));
  const run_id = parent === undefined ? `${SOURCE_ID}:${id}` : `${parent.run_id}:sub:${document ?? id}`;
  const model = asString(agent.model_name) ?? parent?.model ?? null;
  const t: Trajectory = { run_id, task_id: parent?.task_id ?? id, model, calls: [], step_tokens: false, step_cost: false };
  state.trajectories.set(pointer, t);

  const draft = baseDraft(t, 'meta', 'executor');
  draft.model_name = model;
  draft.model_provider = inferModelProvider(model);
  const name = asString(agent.name);
  const agentVersion = asString(agent.version);
  notes.unshift(`${version} trajectory of ${name ?? 'an unnamed agent'}${agentVersion === null ? '' : ` ${agentVersion}`}`);
  const continued = asString(header.continued_trajectory_ref);
  if (continued !== null) notes.push(`continued in ${renderShort(continued, 120)}`);
  const text = asString(header.notes);
  if (text !== null) notes.push(`notes: ${renderShort(text, 300)}`);
  draft.observer_notes = notes.join('; ');
  draft.unmapped_fields = [...extractUnmappedFields(header, HEADER_FIELDS), ...extractUnmappedFields(agent, new Set(['name', 'version', 'model_name']), 'agent.')].sort();
  return { ok: true, draft };
}

/** A short rendering of a call's arguments: the command, path or query it acts on, else the JSON. */
function renderArguments(args: Record<string, unknown>): string | null {
  const primary = COMMAND_ARGS.map((k) => asString(args[k])).find((v) => v !== null) ?? asString(args.path) ?? asString(args.file_path) ?? asString(args.query) ?? asString(args.url);
  if (primary !== null && primary !== undefined) return renderShort(primary);
  const json = JSON.stringify(args);
  return json === '{}' ? null : renderShort(json, SUMMARY_CAP);
}

/** Whether the producer marked a result as failed: `is_error`, or `extra` with is_error / error / a failed status / a non-zero exit code. */
function statedFailure(result: Record<string, unknown>): { failed: boolean; exit_code: number | null } {
  const extra = isRecord(result.extra) ? result.extra : {};
  const exit_code = asInt(extra.exit_code) ?? asInt(extra.returncode) ?? asInt(extra.exit_status) ?? null;
  const status = asString(extra.status)?.toLowerCase() ?? null;
  const failed =
    result.is_error === true ||
    extra.is_error === true ||
    asString(extra.error) !== null ||
    (status !== null && ['error', 'failed', 'failure', 'timeout'].includes(status)) ||
    (exit_code !== null && exit_code !== 0);
  return { failed, exit_code };
}

function exitCodeInText(text: string): number | null {
  for (const re of EXIT_IN_TEXT) {
    const m = re.exec(text);
    if (m?.[1] !== undefined) return Number(m[1]);
  }
  return null;
}

/** An observation: each result paired with its call of the step before, commands with their exit codes, what failed. */
function mapObservation(observation: Record<string, unknown>, t: Trajectory): MapResult {
  const draft = baseDraft(t, 'tool_result', 'tool');
  const results = Array.isArray(observation.results) ? observation.results.filter(isRecord) : [];
  const calls = new Map(t.calls.filter((c) => c.id !== null).map((c) => [c.id!, c]));
  t.calls = [];
  const outputs: string[] = [];
  const notes: string[] = [];
  for (const result of results) {
    const content = extractBlockText(result.content);
    if (content !== '') outputs.push(content);
    for (const ref of Array.isArray(result.subagent_trajectory_ref) ? result.subagent_trajectory_ref.filter(isRecord) : []) {
      notes.push(`delegated to subagent ${asString(ref.trajectory_id) ?? asString(ref.session_id) ?? asString(ref.trajectory_path) ?? '(unnamed)'}`);
    }
    const id = asString(result.source_call_id);
    const call = id === null ? undefined : calls.get(id);
    const stated = statedFailure(result);
    if (call === undefined) {
      // A result of an action outside tool calling (or of a call the step does not list): only its failure is read.
      if (!stated.failed) continue;
      draft.tool_calls.push({ name: 'observation', call_id: id, input_summary: null, ok: false, error: renderErrorLine(content) || 'the result is marked as an error' });
      draft.failure_markers.push('observation_error');
      continue;
    }
    const command = COMMAND_ARGS.map((k) => asString(call.args[k])).find((v) => v !== null) ?? null;
    const exit_code = stated.exit_code ?? (command !== null ? exitCodeInText(content) : null);
    const ok = !stated.failed && (exit_code === null || exit_code === 0);
    draft.tool_calls.push({ name: call.name, call_id: id, input_summary: renderArguments(call.args), ok, error: ok ? null : renderErrorLine(content) || `exit code ${exit_code ?? 'unknown'}` });
    if (!ok) draft.failure_markers.push(`tool_error:${call.name}`);
    const path = asString(call.args.path) ?? asString(call.args.file_path);
    if (path !== null && ok && /write|edit|create|replace|patch|save/i.test(call.name)) appendUnique(draft.source_files, [path]);
    if (command === null) continue;
    const outcome = buildCommandOutcome(command, exit_code, ok, content);
    draft.commands_run.push(outcome.command_run);
    draft.failure_markers.push(...outcome.failure_markers);
    draft.success_markers.push(...outcome.success_markers);
    if (outcome.validation !== null) draft.validation_results.push(outcome.validation);
    appendUnique(draft.link_hints.oids, outcome.oids);
  }
  draft.output_text = outputs.length > 0 ? outputs.join('\n') : null;
  draft.observer_notes = notes.join('; ');
  draft.unmapped_fields = extractUnmappedFields(observation, new Set(['results']), 'observation.');
  return { ok: true, draft };
}

function mapStep(step: Record<string, unknown>, t: Trajectory): MapResult {
  const stepId = asInt(step.step_id);
  if (stepId === null) return reject('missing_field', 'step_id: every ATIF step has an integer step_id');
  const source = asString(step.source);
  if (source === null || !SOURCES.has(source)) return reject('missing_field', `source: step ${stepId} has no source of system, user or agent`);
  const message = extractBlockText(step.message);
  const draft = baseDraft(t, source === 'agent' ? 'model_call' : source === 'user' ? 'message' : 'meta', source === 'user' ? 'human' : 'executor');
  draft.timestamp = parseTimestamp(step.timestamp);
  draft.unmapped_fields = extractUnmappedFields(step, STEP_FIELDS);
  t.calls = [];
  if (source !== 'agent') {
    draft.input_text = message === '' ? null : message;
    return { ok: true, draft };
  }
  draft.model_name = asString(step.model_name) ?? t.model;
  draft.model_provider = inferModelProvider(draft.model_name);
  draft.output_text = message === '' ? null : message;
  const reasoning = asString(step.reasoning_content);
  // The reasoning is the model's, not its answer: kept out of output_text, as the other session adapters do.
  if (reasoning !== null) draft.observer_notes = `reasoning left out (${reasoning.length} characters)`;
  for (const call of Array.isArray(step.tool_calls) ? step.tool_calls.filter(isRecord) : []) {
    const pending: PendingCall = { name: asString(call.function_name) ?? 'unnamed_tool', id: asString(call.tool_call_id), args: isRecord(call.arguments) ? call.arguments : {} };
    t.calls.push(pending);
    draft.tool_calls.push({ name: pending.name, call_id: pending.id, input_summary: renderArguments(pending.args), ok: null, error: null });
  }
  const metrics = isRecord(step.metrics) ? step.metrics : null;
  if (metrics !== null) {
    draft.tokens = tokensOf(metrics.prompt_tokens, metrics.completion_tokens, metrics.cached_tokens);
    const cost = asNumber(metrics.cost_usd);
    if (cost !== null && cost >= 0) draft.cost_usd = cost;
    if (draft.tokens !== null) t.step_tokens = true;
    if (draft.cost_usd !== null) t.step_cost = true;
    draft.unmapped_fields = [...draft.unmapped_fields, ...extractUnmappedFields(metrics, METRICS_FIELDS, 'metrics.')].sort();
  }
  return { ok: true, draft };
}

function mapFinalMetrics(metrics: Record<string, unknown>, t: Trajectory): MapResult {
  const draft = baseDraft(t, 'meta', 'executor');
  draft.model_name = t.model;
  draft.model_provider = inferModelProvider(t.model);
  const notes: string[] = [];
  const tokens = tokensOf(metrics.total_prompt_tokens, metrics.total_completion_tokens, metrics.total_cached_tokens);
  // The steps' own metrics are the finer record; the totals count only what no step reported.
  if (tokens !== null && !t.step_tokens) draft.tokens = tokens;
  else if (tokens !== null) notes.push('token totals not counted again (the steps report theirs)');
  const cost = asNumber(metrics.total_cost_usd);
  if (cost !== null && cost >= 0 && !t.step_cost) draft.cost_usd = cost;
  else if (cost !== null) notes.push('cost total not counted again (the steps report theirs)');
  const steps = asCount(metrics.total_steps);
  if (steps !== null) notes.unshift(`final metrics: ${steps} steps`);
  draft.observer_notes = notes.join('; ');
  draft.unmapped_fields = extractUnmappedFields(metrics, FINAL_FIELDS, 'final_metrics.');
  return { ok: true, draft };
}

function mapItem(value: unknown, at: SourceLocation, state: AtifState): MapResult {
  const pointer = at.pointer ?? '';
  if (!isRecord(value)) return reject('not_an_object', `${pointer || 'trajectory'}: not a JSON object`);
  const part = /\/(steps\/\d+\/observation|steps\/\d+|final_metrics)$/.exec(pointer)?.[1] ?? null;
  if (part === null) return mapHeader(value, pointer, state);
  const t = state.trajectories.get(trajectoryOf(pointer));
  if (t === undefined) return reject('missing_field', `${pointer}: the trajectory's header (schema_version, agent) was not read`);
  if (part === 'final_metrics') return mapFinalMetrics(value, t);
  return part.endsWith('/observation') ? mapObservation(value, t) : mapStep(value, t);
}

type Item = { pointer: string; value: unknown };

/**
 * The header (the trajectory without its steps, final metrics and subagents); each step without its observation,
 * then the observation (what the environment answered is the tool's record, not the model's); the final metrics;
 * then each subagent the same way.
 */
function splitTrajectory(doc: Record<string, unknown>, pointer: string, items: Item[]): string | null {
  const { steps, final_metrics, subagent_trajectories, ...header } = doc;
  if (!Array.isArray(steps)) return `${pointer}/steps: an ATIF trajectory carries its steps in an array`;
  items.push({ pointer, value: header });
  steps.forEach((value, i) => {
    if (!isRecord(value) || value.observation === undefined) {
      items.push({ pointer: `${pointer}/steps/${i}`, value });
      return;
    }
    const { observation, ...step } = value;
    items.push({ pointer: `${pointer}/steps/${i}`, value: step });
    items.push({ pointer: `${pointer}/steps/${i}/observation`, value: observation });
  });
  if (final_metrics !== undefined) items.push({ pointer: `${pointer}/final_metrics`, value: final_metrics });
  if (subagent_trajectories === undefined) return null;
  if (!Array.isArray(subagent_trajectories)) return `${pointer}/subagent_trajectories: expected an array`;
  for (const [i, sub] of subagent_trajectories.entries()) {
    if (!isRecord(sub)) return `${pointer}/subagent_trajectories/${i}: not a JSON object`;
    const problem = splitTrajectory(sub, `${pointer}/subagent_trajectories/${i}`, items);
    if (problem !== null) return problem;
  }
  return null;
}

function split(doc: unknown): { ok: true; items: Item[] } | { ok: false; reason: string } {
  if (!isRecord(doc)) return { ok: false, reason: 'an ATIF trajectory is a JSON object' };
  const items: Item[] = [];
  const problem = splitTrajectory(doc, '', items);
  return problem === null ? { ok: true, items } : { ok: false, reason: problem };
}

function detect(probe: DetectProbe): number {
  const doc = probe.first;
  if (!isRecord(doc) || !Array.isArray(doc.steps)) return 0;
  if (typeof doc.schema_version === 'string' && doc.schema_version.startsWith('ATIF-')) return 95;
  // Without the version: the root's agent object and steps that carry step_id and source.
  const first = doc.steps.find(isRecord);
  const stepShaped = first !== undefined && asInt(first.step_id) !== null && SOURCES.has(asString(first.source) ?? '');
  return isRecord(doc.agent) && asString(doc.agent.name) !== null && stepShaped ? 70 : 0;
}

/** ATIF trajectories (Harbor's Agent Trajectory Interchange Format, v1.0–v1.7): steps, tool calls and observations, metrics. */
export const atifAdapter: Adapter<AtifState> = {
  id: SOURCE_ID,
  description: "ATIF trajectories (Harbor's Agent Trajectory Interchange Format, ATIF-v1.x JSON): steps, tool calls with their observations, per-step and final metrics, embedded subagents",
  container: 'json',
  stateful: true,
  detect,
  init(): AtifState {
    return { trajectories: new Map() };
  },
  split,
  map: mapItem,
};
