// Adapter for OpenHands event trajectories (a JSON list of action/observation events, as saved for replay).
import { canonicalSha256 } from '../../canonical.ts';
import { emptyDraft } from '../adapter.ts';
import type { Adapter, DetectProbe, EvidenceDraft, MapResult, SourceLocation } from '../adapter.ts';
import { inferModelProvider } from './lakehouse/infer-model-provider.ts';
import {
  appendUnique,
  asCount,
  asInt,
  asString,
  buildCommandOutcome,
  computeRelativePath,
  extractUnmappedFields,
  isRecord,
  parseTimestamp,
  renderErrorLine,
  renderShort,
} from './session-common.ts';

const SOURCE_ID = 'openhands';
/** Hex digits of the first event's sha256 that name a trajectory with no id of its own. */
const RUN_ID_HEX = 16;

/** An agent action waiting for its observation. */
interface PendingAction {
  name: string;
  call_id: string | null;
  input_summary: string | null;
  command: string | null;
  /** The file an edit/write action targets, as the action spells it. */
  path: string | null;
}

export interface OpenHandsState {
  /** `openhands:<sha256 of the first event>`; set by the first item, which collect always maps first. */
  run_id: string | null;
  task_id: string | null;
  /** The shell's working directory as the latest command observation reported it. */
  cwd: string | null;
  /** The model of the latest LLM response: agent messages without tool metadata inherit it. */
  model: string | null;
  /** Pending actions by event id (observations name it in `cause`) and by tool_call_id. */
  pending_by_event: Map<number, PendingAction>;
  pending_by_call: Map<string, PendingAction>;
  /** LLM responses whose usage was already attributed (one response can carry several actions). */
  counted_responses: Set<string>;
  /** llm_metrics.accumulated_cost already attributed. */
  cost_counted: number;
}

/** Fields every event may carry that the adapter reads or knowingly ignores. */
const KNOWN_FIELDS: ReadonlySet<string> = new Set([
  'id',
  'timestamp',
  'source',
  'message',
  'action',
  'args',
  'observation',
  'content',
  'extras',
  'cause',
  'success',
  'tool_call_metadata',
  'llm_metrics',
  'timeout',
  'hidden',
]);

/** Agent actions that are not tool calls. */
const NON_TOOL_ACTIONS: ReadonlySet<string> = new Set(['message', 'system', 'recall', 'change_agent_state', 'null']);
/** Observations that report no tool result. */
const NON_TOOL_OBSERVATIONS: ReadonlySet<string> = new Set(['agent_state_changed', 'null', 'recall']);
const EDIT_ACTIONS: ReadonlySet<string> = new Set(['edit', 'write']);

/**
 * OpenHands writes `datetime.now().isoformat()`: no zone. Read it as UTC so the timestamp does not
 * depend on the reading machine's zone.
 */
function parseEventTimestamp(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  const zoned = /(?:Z|[+-]\d{2}:?\d{2})$/.test(value) ? value : `${value}Z`;
  return parseTimestamp(zoned);
}

function textOf(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

/** Usage of one LLM response as disjoint buckets: input = uncached prompt, cached = cache reads. */
function usageTokens(usage: unknown): { input: number; output: number; cached: number } | null {
  if (!isRecord(usage)) return null;
  // litellm counts cache reads inside prompt_tokens (Anthropic's cache_read_input_tokens, OpenAI's cached_tokens).
  const details = isRecord(usage.prompt_tokens_details) ? usage.prompt_tokens_details : null;
  const cached = asCount(usage.cache_read_input_tokens) || (details !== null ? asCount(details.cached_tokens) : 0);
  return { input: Math.max(0, asCount(usage.prompt_tokens) - cached), output: asCount(usage.completion_tokens), cached };
}

/** Model, tokens and cost of the LLM response behind an agent action, each counted once per response. */
function applyModelResponse(event: Record<string, unknown>, draft: EvidenceDraft, state: OpenHandsState): void {
  const meta = isRecord(event.tool_call_metadata) ? event.tool_call_metadata : null;
  const response = meta !== null && isRecord(meta.model_response) ? meta.model_response : null;
  if (response !== null) {
    const model = asString(response.model);
    if (model !== null) state.model = model;
    const id = asString(response.id);
    if (id === null || !state.counted_responses.has(id)) {
      if (id !== null) state.counted_responses.add(id);
      draft.tokens = usageTokens(response.usage);
    }
  }
  draft.model_name = state.model;
  draft.model_provider = inferModelProvider(state.model);
  const metrics = isRecord(event.llm_metrics) ? event.llm_metrics : null;
  const cost = metrics !== null && typeof metrics.accumulated_cost === 'number' ? metrics.accumulated_cost : null;
  if (cost !== null && Number.isFinite(cost) && cost > state.cost_counted) {
    draft.cost_usd = cost - state.cost_counted;
    state.cost_counted = cost;
  }
}

function renderActionInput(action: string, args: Record<string, unknown>): string | null {
  const command = asString(args.command);
  if (action === 'run' && command !== null) return renderShort(command);
  if (action === 'run_ipython') return asString(args.code) !== null ? renderShort(textOf(args.code)) : null;
  const path = asString(args.path);
  if (path !== null) return renderShort(`${action}: ${path}`);
  const url = asString(args.url);
  if (url !== null) return renderShort(url);
  return null;
}

function mapAgentAction(event: Record<string, unknown>, action: string, draft: EvidenceDraft, state: OpenHandsState): void {
  const args = isRecord(event.args) ? event.args : {};
  draft.kind = 'model_call';
  applyModelResponse(event, draft, state);
  if (action === 'message') {
    const text = asString(args.content) ?? asString(event.message);
    draft.output_text = text;
    return;
  }
  // The model's text before a tool call is its thought; finish carries the final answer.
  const text = action === 'finish' ? (asString(args.final_thought) ?? asString(args.thought) ?? asString(event.message)) : asString(args.thought);
  draft.output_text = text;
  const meta = isRecord(event.tool_call_metadata) ? event.tool_call_metadata : null;
  const name = (meta !== null ? asString(meta.function_name) : null) ?? action;
  const call_id = meta !== null ? asString(meta.tool_call_id) : null;
  const input_summary = renderActionInput(action, args);
  draft.tool_calls.push({ name, call_id, input_summary, ok: null, error: null });
  // finish ends the run and gets no observation: it is not by itself a success.
  if (action === 'finish') return;
  const pending: PendingAction = {
    name,
    call_id,
    input_summary,
    command: action === 'run' ? asString(args.command) : null,
    path: EDIT_ACTIONS.has(action) ? asString(args.path) : null,
  };
  const id = asInt(event.id);
  if (id !== null) state.pending_by_event.set(id, pending);
  if (call_id !== null) state.pending_by_call.set(call_id, pending);
}

/** The pending action an observation answers: by `cause`, else by tool_call_id. Removes it. */
function takePending(event: Record<string, unknown>, state: OpenHandsState): PendingAction | null {
  const cause = asInt(event.cause);
  const meta = isRecord(event.tool_call_metadata) ? event.tool_call_metadata : null;
  const call_id = meta !== null ? asString(meta.tool_call_id) : null;
  const pending = (cause !== null ? state.pending_by_event.get(cause) : undefined) ?? (call_id !== null ? state.pending_by_call.get(call_id) : undefined);
  if (pending === undefined) return null;
  for (const [key, value] of state.pending_by_event) if (value === pending) state.pending_by_event.delete(key);
  if (pending.call_id !== null) state.pending_by_call.delete(pending.call_id);
  return pending;
}

/** Python tracebacks and IPython's error banners: the cell failed. */
const IPYTHON_ERROR_RE = /Traceback \(most recent call last\)|^-{20,}\n\w+(?:Error|Exception)/m;
/** OpenHands' hard timeout suffix; the soft one ("no new output after N seconds") leaves the command running. */
const TIMED_OUT_RE = /command timed out|timed out after \d+/i;

function mapToolObservation(
  event: Record<string, unknown>,
  observation: string,
  pending: PendingAction | null,
  draft: EvidenceDraft,
  state: OpenHandsState,
): void {
  const extras = isRecord(event.extras) ? event.extras : {};
  const content = textOf(event.content);
  const meta = isRecord(event.tool_call_metadata) ? event.tool_call_metadata : null;
  const name = pending?.name ?? (meta !== null ? asString(meta.function_name) : null) ?? (observation === 'error' ? 'unknown' : observation);
  const call_id = pending?.call_id ?? (meta !== null ? asString(meta.tool_call_id) : null);
  draft.kind = 'tool_result';
  draft.model_role = 'tool';
  draft.output_text = content.length > 0 ? content : asString(event.message);

  let ok: boolean | null = typeof event.success === 'boolean' ? event.success : true;
  let error: string | null = null;
  if (observation === 'error') {
    ok = false;
    // The editor prefixes its errors with a bare "ERROR:" line; the reason is on the next one.
    const text = (content.length > 0 ? content : textOf(event.message)).replace(/^\s*ERROR:\s*\n/, '');
    error = renderErrorLine(text) || 'error';
  } else if (observation === 'user_rejected') {
    ok = false;
    error = 'the user rejected the action';
    draft.failure_markers.push(`user_rejected:${name}`);
  } else if (observation === 'run') {
    const metadata = isRecord(extras.metadata) ? extras.metadata : {};
    const cwd = asString(metadata.working_dir);
    if (cwd !== null) state.cwd = cwd;
    const command = pending?.command ?? asString(extras.command) ?? '';
    const code = asInt(metadata.exit_code) ?? asInt(extras.exit_code);
    // -1 is OpenHands' "no exit status": still running after the soft timeout, or killed by the hard one.
    const exit_code = code === -1 ? null : code;
    const suffix = textOf(metadata.suffix);
    if (exit_code === null) {
      const timedOut = TIMED_OUT_RE.test(suffix) || TIMED_OUT_RE.test(content);
      ok = timedOut ? false : null;
      error = timedOut ? 'command timed out' : null;
      draft.observer_notes = timedOut ? 'the command timed out' : 'the command was still running when the tool returned (exit code -1)';
      if (command.length > 0) draft.commands_run.push({ command, exit_code: null });
    } else {
      ok = exit_code === 0;
      error = ok ? null : renderErrorLine(content) || `exit code ${exit_code}`;
      if (command.length > 0) {
        const outcome = buildCommandOutcome(command, exit_code, ok, content);
        draft.commands_run.push(outcome.command_run);
        draft.failure_markers.push(...outcome.failure_markers);
        draft.success_markers.push(...outcome.success_markers);
        if (outcome.validation !== null) draft.validation_results.push(outcome.validation);
        appendUnique(draft.link_hints.oids, outcome.oids);
      }
    }
  } else if (observation === 'run_ipython') {
    if (IPYTHON_ERROR_RE.test(content)) {
      ok = false;
      // The exception line closes the traceback: "ModuleNotFoundError: No module named 'x'".
      const raised = [...content.matchAll(/^\w+(?:Error|Exception): .*$/gm)].at(-1)?.[0];
      error = renderErrorLine(raised ?? content);
    }
  } else if (EDIT_ACTIONS.has(observation) && ok === true) {
    const path = asString(extras.path) ?? pending?.path ?? null;
    if (path !== null) appendUnique(draft.source_files, [computeRelativePath(path, state.cwd)]);
  }
  if (ok === false && error === null) error = renderErrorLine(content) || 'error';
  if (ok === false && observation !== 'user_rejected') draft.failure_markers.push(`tool_error:${name}`);
  draft.tool_calls.push({ name, call_id, input_summary: pending?.input_summary ?? null, ok, error });
}

function reject(code: 'missing_field' | 'wrong_type' | 'not_an_object', reason: string): MapResult {
  return { ok: false, rejection: { code, reason } };
}

function describeValue(value: unknown): string {
  return Array.isArray(value) ? 'an array' : value === null ? 'null' : typeof value;
}

function mapEvent(value: unknown, _at: SourceLocation, state: OpenHandsState): MapResult {
  if (state.run_id === null) {
    // A trajectory names no run; its first event (with its timestamp) identifies it.
    const hash = canonicalSha256(value).slice(0, RUN_ID_HEX);
    state.run_id = `${SOURCE_ID}:${hash}`;
    state.task_id = hash;
  }
  if (!isRecord(value)) return reject('not_an_object', `expected an event object, got ${describeValue(value)}`);
  const action = asString(value.action);
  const observation = asString(value.observation);
  if (action === null && observation === null) {
    return reject('missing_field', 'action/observation: an event is either an action or an observation and names its type');
  }
  const source = asString(value.source);
  const draft = emptyDraft({
    kind: 'meta',
    run_id: state.run_id,
    task_id: state.task_id ?? state.run_id,
    task_type: 'coding_session',
    model_role: 'executor',
  });

  if (action !== null) {
    if (action === 'message' && source === 'user') {
      const args = isRecord(value.args) ? value.args : {};
      draft.kind = 'message';
      draft.model_role = 'human';
      draft.input_text = asString(args.content) ?? asString(value.message);
    } else if (source === 'agent' && (action === 'message' || !NON_TOOL_ACTIONS.has(action))) {
      mapAgentAction(value, action, draft, state);
    }
    // system prompt, recall, change_agent_state and non-agent actions: meta
  } else if (observation !== null) {
    if (observation === 'agent_state_changed') {
      const extras = isRecord(value.extras) ? value.extras : {};
      const agentState = asString(extras.agent_state);
      draft.observer_notes = agentState !== null ? `agent state: ${agentState}` : '';
      if (agentState === 'error') {
        // The agent stopped on an error (an exception, the iteration or budget limit): its own exit status.
        draft.signals.exit_status = 'error';
        const reason = asString(extras.reason);
        draft.failure_markers.push(`agent_state:error${reason !== null ? `:${renderShort(reason, 120)}` : ''}`);
      }
    } else if (!NON_TOOL_OBSERVATIONS.has(observation)) {
      const pending = takePending(value, state);
      const answersTool = pending !== null || isRecord(value.tool_call_metadata) || observation === 'error' || observation === 'user_rejected';
      if (answersTool) mapToolObservation(value, observation, pending, draft, state);
    }
  }

  draft.timestamp = parseEventTimestamp(value.timestamp);
  draft.link_hints.cwd = state.cwd;
  draft.unmapped_fields = extractUnmappedFields(value, KNOWN_FIELDS);
  return { ok: true, draft };
}

function isEvent(value: unknown): boolean {
  return (
    isRecord(value) &&
    typeof value.source === 'string' &&
    (typeof value.action === 'string' || typeof value.observation === 'string') &&
    ('id' in value || 'timestamp' in value)
  );
}

function detect(probe: DetectProbe): number {
  // Evaluation/resolver output.jsonl lines are objects holding a `history`: another reader's job.
  if (!Array.isArray(probe.first) || probe.first.length === 0) return 0;
  const sample = probe.first.slice(0, 5);
  if (!sample.every(isEvent)) return 0;
  const sources = new Set(sample.map((e) => (e as Record<string, unknown>).source));
  return [...sources].every((s) => s === 'agent' || s === 'user' || s === 'environment') ? 90 : 0;
}

function split(doc: unknown): { ok: true; items: Array<{ pointer: string; value: unknown }> } | { ok: false; reason: string } {
  if (!Array.isArray(doc)) return { ok: false, reason: `an OpenHands trajectory is a JSON array of events, got ${describeValue(doc)}` };
  return { ok: true, items: doc.map((value, index) => ({ pointer: `/${index}`, value })) };
}

/** OpenHands trajectories: one run per file; agent actions are model calls, their observations tool results. */
export const openHandsAdapter: Adapter<OpenHandsState> = {
  id: SOURCE_ID,
  description: 'OpenHands event trajectories (JSON list of action/observation events)',
  container: 'json',
  stateful: true,
  detect,
  split,
  init(): OpenHandsState {
    return {
      run_id: null,
      task_id: null,
      cwd: null,
      model: null,
      pending_by_event: new Map(),
      pending_by_call: new Map(),
      counted_responses: new Set(),
      cost_counted: 0,
    };
  },
  map: mapEvent,
};
