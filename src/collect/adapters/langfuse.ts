// Adapter for Langfuse trace exports (`{trace, observations[]}`), which carry OpenTelemetry gen_ai.* and OpenInference attributes.
import { canonicalSha256 } from '../../canonical.ts';
import type { ToolCall, ValidationResult } from '../../../schemas/evidence-record.ts';
import { emptyDraft } from '../adapter.ts';
import type { Adapter, DetectProbe, EvidenceDraft, MapRejection, MapResult, SourceLocation } from '../adapter.ts';
import { asString, extractUnmappedFields, isRecord, parseTimestamp, renderErrorLine, renderShort } from './session-common.ts';

const SOURCE_ID = 'langfuse';
const TASK_TYPE = 'agent_trace';

export interface LangfuseState {
  /** The trace id (or its sha256 fallback) once the trace item has been mapped. */
  trace_id: string | null;
}

/** Trace fields the adapter reads or knowingly ignores (project bookkeeping, flags, cost already on the generations). */
const KNOWN_TRACE_FIELDS: ReadonlySet<string> = new Set([
  'id', 'name', 'timestamp', 'input', 'output', 'metadata', 'scores', 'tags', 'userId', 'sessionId', 'release', 'version',
  'environment', 'projectId', 'bookmarked', 'public', 'createdAt', 'updatedAt', 'latency', 'totalCost', 'htmlPath',
]);

/** Observation fields the adapter reads or knowingly ignores (per-side usage/cost duplicates, prompt links, bookkeeping). */
const KNOWN_OBSERVATION_FIELDS: ReadonlySet<string> = new Set([
  'id', 'traceId', 'type', 'name', 'startTime', 'endTime', 'completionStartTime', 'parentObservationId', 'level',
  'statusMessage', 'model', 'modelParameters', 'input', 'output', 'metadata', 'usageDetails', 'costDetails', 'usage',
  'totalCost', 'calculatedTotalCost', 'latency', 'timeToFirstToken', 'inputUsage', 'outputUsage', 'totalUsage',
  'inputCost', 'outputCost', 'calculatedInputCost', 'calculatedOutputCost', 'providedCostDetails', 'internalModelId',
  'promptId', 'promptName', 'promptVersion', 'projectId', 'environment', 'version', 'createdAt', 'updatedAt', 'scores',
  'usagePricingTierId', 'usagePricingTierName',
]);

/**
 * Score names that say what they measure as an outcome, higher meaning better. Evaluator scores such as
 * toxicity or hallucination describe the text, not whether the run did its job, so they stay notes.
 */
const OUTCOME_SCORE_RE =
  /^(?:is_)?(?:correct(?:ness)?|success(?:ful)?|succeeded|pass(?:ed)?|resolved|solved|task_(?:success|complete[d]?|completion)|complete[d]?|accuracy|exact_match|helpful(?:ness)?)$/;
const PASS_WORDS: ReadonlySet<string> = new Set(['pass', 'passed', 'true', 'yes', 'success', 'succeeded', 'correct', 'resolved']);
const FAIL_WORDS: ReadonlySet<string> = new Set(['fail', 'failed', 'false', 'no', 'failure', 'incorrect', 'unresolved']);

function reject(code: MapRejection['code'], reason: string): MapResult {
  return { ok: false, rejection: { code, reason } };
}

function describeNonObject(value: unknown): string {
  return Array.isArray(value) ? 'an array' : value === null ? 'null' : typeof value;
}

/** A finite number, or a numeric string (OpenInference writes token counts as strings), or null. */
function asNumber(value: unknown): number | null {
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value === 'string' && /^-?\d+(?:\.\d+)?(?:e-?\d+)?$/i.test(value.trim())) return Number(value);
  return null;
}

function asTokenCount(value: unknown): number {
  const n = asNumber(value);
  return n !== null && Number.isSafeInteger(n) && n > 0 ? n : 0;
}

/** Text of an input/output value: strings as they are (Langfuse often stores JSON-encoded strings), anything else as JSON. */
function renderValue(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return value.length > 0 ? value : null;
  const json = JSON.stringify(value);
  return json === undefined || json === '{}' || json === '[]' ? null : json;
}

/** The OpenTelemetry attributes Langfuse keeps under an observation's metadata.attributes ({} when absent). */
function readAttributes(metadata: unknown): Record<string, unknown> {
  if (!isRecord(metadata)) return {};
  return isRecord(metadata.attributes) ? metadata.attributes : {};
}

function firstString(...values: unknown[]): string | null {
  for (const v of values) {
    const s = asString(v);
    if (s !== null) return s;
  }
  return null;
}

/** Milliseconds the observation took: Langfuse's own latency (ms), else end minus start. */
function observationLatency(obs: Record<string, unknown>): number | null {
  const stated = asNumber(obs.latency);
  if (stated !== null && stated >= 0) return stated;
  const start = parseTimestamp(obs.startTime);
  const end = parseTimestamp(obs.endTime);
  if (start === null || end === null) return null;
  const ms = Date.parse(end) - Date.parse(start);
  return ms >= 0 ? ms : null;
}

/**
 * Tokens of one generation. Langfuse's usageDetails names buckets `input`, `output` and cache reads
 * (`input_cache_read`, `prompt_details.cache_read`, `cache_read_input_tokens`); the OTel attributes are the fallback.
 * `input` is taken as Langfuse records it: whether it already excludes cache reads depends on the instrumentation.
 */
function generationTokens(obs: Record<string, unknown>, attrs: Record<string, unknown>): EvidenceDraft['tokens'] {
  const usage = isRecord(obs.usageDetails) && Object.keys(obs.usageDetails).length > 0 ? obs.usageDetails : isRecord(obs.usage) ? obs.usage : null;
  if (usage !== null && ('input' in usage || 'output' in usage)) {
    let cached = 0;
    for (const [key, value] of Object.entries(usage)) if (/cache_read|cached/.test(key)) cached += asTokenCount(value);
    return { input: asTokenCount(usage.input), output: asTokenCount(usage.output), cached };
  }
  const input = attrs['gen_ai.usage.input_tokens'] ?? attrs['llm.token_count.prompt'];
  const output = attrs['gen_ai.usage.output_tokens'] ?? attrs['llm.token_count.completion'];
  if (input === undefined && output === undefined) return null;
  return { input: asTokenCount(input), output: asTokenCount(output), cached: asTokenCount(attrs['llm.token_count.prompt_details.cache_read']) };
}

function generationCost(obs: Record<string, unknown>, attrs: Record<string, unknown>): number | null {
  const details = isRecord(obs.costDetails) ? obs.costDetails.total : undefined;
  for (const candidate of [obs.totalCost, obs.calculatedTotalCost, details, attrs['operation.cost']]) {
    const n = asNumber(candidate);
    if (n !== null && n >= 0) return n;
  }
  return null;
}

/** Whether an observation is a tool execution: Langfuse's TOOL type, or the span kind the instrumentation stated. */
function isToolObservation(type: string, attrs: Record<string, unknown>): boolean {
  return type === 'TOOL' || attrs['openinference.span.kind'] === 'TOOL' || attrs['gen_ai.operation.name'] === 'execute_tool';
}

/** A score's value as pass/fail when it is clearly one (boolean, 0/1, or a pass/fail word), else null. */
function scorePassed(score: Record<string, unknown>): boolean | null {
  const word = asString(score.stringValue)?.trim().toLowerCase() ?? null;
  if (word !== null && PASS_WORDS.has(word)) return true;
  if (word !== null && FAIL_WORDS.has(word)) return false;
  if (typeof score.value === 'boolean') return score.value;
  const value = asNumber(score.value);
  if (value === 1) return true;
  if (value === 0) return false;
  return null;
}

/** Folds trace or observation scores into the draft: outcome scores as validation results, the rest as notes. */
function applyScores(scores: unknown, draft: EvidenceDraft, notes: string[]): void {
  if (!Array.isArray(scores)) return;
  for (const score of scores) {
    if (!isRecord(score)) continue;
    const name = asString(score.name);
    if (name === null) continue;
    const dataType = asString(score.dataType) ?? 'NUMERIC';
    const shown = asString(score.stringValue) ?? (score.value === undefined ? 'null' : JSON.stringify(score.value));
    const comment = asString(score.comment);
    const detail = `${dataType} ${shown}${asString(score.source) !== null ? ` (${String(score.source)})` : ''}${comment !== null ? `: ${renderShort(comment)}` : ''}`;
    const normal = name.trim().toLowerCase().replace(/[\s-]+/g, '_');
    const passed = OUTCOME_SCORE_RE.test(normal) ? scorePassed(score) : null;
    if (passed !== null) {
      draft.validation_results.push({ name: `score:${name}`, passed, detail } satisfies ValidationResult);
      (passed ? draft.success_markers : draft.failure_markers).push(`score_${passed ? 'passed' : 'failed'}:${name}`);
    } else {
      notes.push(`score ${name} = ${detail}`);
    }
  }
}

function mapTrace(trace: Record<string, unknown>, state: LangfuseState): MapResult {
  // The trace id names the run; an export without one still forms one run, named by the trace's content.
  const id = asString(trace.id) ?? `sha256-${canonicalSha256(trace).slice(0, 16)}`;
  state.trace_id = id;
  const draft = emptyDraft({ kind: 'meta', run_id: `${SOURCE_ID}:${id}`, task_id: id, task_type: TASK_TYPE, model_role: 'executor' });
  draft.timestamp = parseTimestamp(trace.timestamp);
  draft.input_text = renderValue(trace.input);
  draft.output_text = renderValue(trace.output);
  const notes: string[] = [];
  const name = asString(trace.name);
  if (name !== null) notes.push(`trace ${name}`);
  if (asString(trace.sessionId) !== null) notes.push(`session ${String(trace.sessionId)}`);
  if (Array.isArray(trace.tags) && trace.tags.length > 0) notes.push(`tags ${trace.tags.filter((t) => typeof t === 'string').join(', ')}`);
  applyScores(trace.scores, draft, notes);
  draft.observer_notes = notes.join('; ');
  const latency = asNumber(trace.latency);
  // Trace latency is in seconds, observation latency in milliseconds.
  draft.latency_ms = latency !== null && latency >= 0 ? latency * 1000 : null;
  draft.unmapped_fields = extractUnmappedFields(trace, KNOWN_TRACE_FIELDS);
  return { ok: true, draft };
}

function mapObservation(obs: Record<string, unknown>, state: LangfuseState): MapResult {
  const type = asString(obs.type);
  if (type === null) return reject('missing_field', 'type: every Langfuse observation names its type (GENERATION, SPAN, TOOL, ...)');
  const id = asString(obs.id);
  if (id === null) return reject('missing_field', `id: a ${type} observation without its id cannot be told apart from its siblings`);
  const traceId = state.trace_id ?? asString(obs.traceId);
  if (traceId === null) return reject('missing_field', 'traceId: no trace id on the export or on this observation');

  const attrs = readAttributes(obs.metadata);
  const metadata = isRecord(obs.metadata) ? obs.metadata : {};
  const name = asString(obs.name) ?? type.toLowerCase();
  const level = asString(obs.level) ?? 'DEFAULT';
  const errored = level === 'ERROR';
  const status = asString(obs.statusMessage);
  const notes: string[] = [`${type} ${name}`];

  const draft = emptyDraft({ kind: 'meta', run_id: `${SOURCE_ID}:${traceId}`, task_id: traceId, task_type: TASK_TYPE, model_role: 'executor' });
  draft.timestamp = parseTimestamp(obs.startTime);
  draft.latency_ms = observationLatency(obs);
  draft.input_text = renderValue(obs.input);
  draft.output_text = renderValue(obs.output);
  draft.unmapped_fields = extractUnmappedFields(obs, KNOWN_OBSERVATION_FIELDS);

  if (type === 'GENERATION') {
    draft.kind = 'model_call';
    draft.model_name = firstString(obs.model, attrs['gen_ai.response.model'], attrs['gen_ai.request.model'], attrs['llm.model_name'], metadata.ls_model_name);
    draft.model_provider = firstString(
      attrs['gen_ai.provider.name'], attrs['llm.provider'], attrs['gen_ai.system'], attrs['llm.system'], metadata.ls_provider,
    );
    draft.tokens = generationTokens(obs, attrs);
    draft.cost_usd = generationCost(obs, attrs);
    if (errored) draft.failure_markers.push(`generation_error:${name}`);
  } else if (isToolObservation(type, attrs)) {
    draft.kind = 'tool_result';
    draft.model_role = 'tool';
    const toolName = firstString(attrs['gen_ai.tool.name'], attrs['tool.name']) ?? name;
    const input = renderValue(obs.input) ?? renderValue(attrs['tool_arguments']) ?? renderValue(attrs['gcp.vertex.agent.tool_call_args']);
    const call: ToolCall = {
      name: toolName,
      call_id: asString(attrs['gen_ai.tool.call.id']) ?? id,
      input_summary: input !== null ? renderShort(input) : null,
      // A finished tool span without an ERROR level completed: Langfuse records failures as level ERROR.
      ok: !errored,
      error: errored ? renderErrorLine(status ?? '') || 'error' : null,
    };
    draft.tool_calls.push(call);
    if (draft.output_text === null) draft.output_text = renderValue(attrs['tool_response']);
    if (errored) draft.failure_markers.push(`tool_error:${toolName}`);
  } else if (errored) {
    // An errored agent or span step is a failure the run reports, not mere structure.
    draft.kind = 'message';
    draft.failure_markers.push(`${type.toLowerCase()}_error:${name}`);
  }
  if (errored && status !== null) notes.push(`error: ${renderShort(status)}`);
  if (level === 'WARNING') notes.push(`warning${status !== null ? `: ${renderShort(status)}` : ''}`);
  applyScores(obs.scores, draft, notes);
  draft.observer_notes = notes.join('; ');
  return { ok: true, draft };
}

function mapItem(value: unknown, at: SourceLocation, state: LangfuseState): MapResult {
  if (!isRecord(value)) return reject('not_an_object', `expected a JSON object, got ${describeNonObject(value)}`);
  if (at.pointer === '/trace') return mapTrace(value, state);
  return mapObservation(value, state);
}

/** Sort key of an observation: start time, then id, so the order never depends on the export's array order. */
function observationKey(value: unknown): [string, string] {
  if (!isRecord(value)) return ['\uffff', '\uffff'];
  return [parseTimestamp(value.startTime) ?? '\uffff', asString(value.id) ?? '\uffff'];
}

function split(doc: unknown): { ok: true; items: Array<{ pointer: string; value: unknown }> } | { ok: false; reason: string } {
  if (!isRecord(doc)) return { ok: false, reason: `expected a Langfuse export object {trace, observations}, got ${describeNonObject(doc)}` };
  if (!isRecord(doc.trace)) return { ok: false, reason: 'trace: a Langfuse export carries its trace as an object' };
  if (!Array.isArray(doc.observations)) return { ok: false, reason: 'observations: a Langfuse export carries its observations as an array' };
  const observations = doc.observations.map((value, index) => ({ index, value, key: observationKey(value) }));
  observations.sort((a, b) => {
    const [as, ai] = a.key;
    const [bs, bi] = b.key;
    if (as !== bs) return as < bs ? -1 : 1;
    if (ai !== bi) return ai < bi ? -1 : 1;
    return a.index - b.index;
  });
  return {
    ok: true,
    items: [
      { pointer: '/trace', value: doc.trace },
      ...observations.map((o) => ({ pointer: `/observations/${o.index}`, value: o.value })),
    ],
  };
}

function detect(probe: DetectProbe): number {
  const doc = probe.first;
  if (!isRecord(doc) || !isRecord(doc.trace) || !Array.isArray(doc.observations)) return 0;
  const first = doc.observations.find(isRecord);
  const observationShaped = first === undefined || ('type' in first && ('traceId' in first || 'startTime' in first));
  if (!observationShaped) return 0;
  return asString(doc.trace.id) !== null ? 90 : 70;
}

/** Langfuse trace exports: the trace is a run; its trace record is meta, each observation is evidence. */
export const langfuseAdapter: Adapter<LangfuseState> = {
  id: SOURCE_ID,
  description: 'Langfuse trace exports ({trace, observations[]}: generations, tools, spans, scores; OTel gen_ai.* / OpenInference attributes)',
  container: 'json',
  stateful: true,
  detect,
  init(): LangfuseState {
    return { trace_id: null };
  },
  split,
  map: mapItem,
};
