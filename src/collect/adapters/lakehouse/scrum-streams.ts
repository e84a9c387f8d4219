// Tables for the scrum loop's streams: mode runner calls, per-file reviews, and the applier's actions.
import type { ValidationResult } from '../../../../schemas/evidence-record.ts';
import type { MapRejection } from '../../adapter.ts';
import { describeValue, isRecord, oneOf, renderText } from './parse-field.ts';
import {
  clipLine,
  constant,
  field,
  hashRunId,
  opt,
  ownRunIdOr,
  pickString,
  plural,
  req,
  scrumRunId,
  wrongType,
  type Fields,
  type StreamSpec,
} from './stream-spec.ts';

/** Both scrum streams report one task type, so a joined review + apply run has a single one. */
const SCRUM_TASK_TYPE = 'scrum_review';

/** A retrieved source as context text: its text when it carries one, else its name, else its JSON. */
function sourceToContext(item: unknown): string | null {
  if (typeof item === 'string') return item.trim() === '' ? null : item;
  if (typeof item === 'number' || typeof item === 'boolean') return String(item);
  if (isRecord(item)) {
    return pickString(item, ['text', 'content', 'snippet', 'chunk']) ?? pickString(item, ['doc_id', 'id', 'source', 'path', 'corpus']) ?? renderText(item);
  }
  return null;
}

export const MODE_EXPERIMENTS: StreamSpec = {
  stream: 'mode_experiments',
  description: 'Lakehouse mode runner telemetry (mode_experiments.jsonl): one model call per line',
  kind: 'model_call',
  model_role: 'executor',
  schema_version: 1,
  fields: {
    ts: req('timestamp', 'a model call must say when it ran', 'timestamp'),
    task_class: req('string', 'a model call must name its task class'),
    model: req('string', 'a model call must name the model that answered', 'model_name'),
    run_id: opt('string'),
    mode: opt('string'),
    file_path: opt('string', 'source_files'),
    sources: opt('list'),
    latency_ms: opt('number', 'latency_ms'),
    prompt: opt('text', 'input_text'),
    response: opt('text', 'output_text'),
    error: opt('text'),
  },
  // Each call is its own run: the mode runner's A/B calls on one file must stay apart so the
  // ledger can compare modes and models; they share the task_id instead.
  run_id: ownRunIdOr(hashRunId(['ts', 'task_class', 'mode', 'model', 'file_path'])),
  // The task is the task class applied to one file; calls without a file share the class.
  task_id: (f) => {
    const file = f.str('file_path');
    return file === null ? f.need('task_class') : `${f.need('task_class')}:${file}`;
  },
  task_type: field('task_class'),
  signature: { all: ['ts', 'task_class', 'model'], any: ['mode', 'latency_ms', 'response', 'sources'], cue: null },
  finish: (f, d) => {
    for (const item of f.list('sources') ?? []) {
      const context = sourceToContext(item);
      if (context !== null) d.retrieved_context.push(context);
    }
    // The draft has no field for the route taken; the mode is kept as a note beside the call.
    const mode = f.str('mode');
    if (mode !== null) d.observer_notes = `mode: ${mode}`;
    const error = f.str('error');
    if (error !== null && error.trim() !== '') {
      d.failure_markers.push(`mode runner error: ${clipLine(error)}`);
      d.signals.run_ok = false;
    } else if (f.str('response') === '') {
      d.failure_markers.push('mode runner returned an empty response');
    }
    return null;
  },
};

export const SCRUM_REVIEWS: StreamSpec = {
  stream: 'scrum_reviews',
  description: 'Lakehouse scrum master reviews (scrum_reviews.jsonl): one reviewed file per line',
  kind: 'review',
  model_role: 'reviewer',
  schema_version: 1,
  fields: {
    file: req('string', 'a review must name the file it reviewed', 'source_files'),
    reviewed_at: req('timestamp', 'a review must say when it ran; its run id joins the applier action on that file that day', 'timestamp'),
    run_id: opt('string'),
    accepted_model: opt('string', 'model_name'),
    accepted_on_attempt: opt('attempt', 'signals.accepted_on_attempt'),
    verdict: opt('string'),
    review: opt('text', 'output_text'),
  },
  // Joins auto_apply: `scrum:<file>@<UTC date>` (see scrumRunId for the rule and its limits).
  run_id: ownRunIdOr(scrumRunId('reviewed_at')),
  // The task is "review this file": retries on later days share it, which is what preference pairs need.
  task_id: (f) => `scrum:${f.need('file')}`,
  task_type: constant(SCRUM_TASK_TYPE),
  signature: { all: ['file', 'reviewed_at'], any: ['accepted_model', 'accepted_on_attempt', 'review', 'verdict'], cue: null },
  finish: (f, d) => {
    const attempt = f.num('accepted_on_attempt');
    if (attempt !== null) {
      const model = f.str('accepted_model');
      d.success_markers.push(`review accepted on attempt ${attempt}${model === null ? '' : ` from ${model}`}`);
      if (attempt === 2) d.failure_markers.push('attempt 1 failed');
      if (attempt > 2) d.failure_markers.push(`attempts 1..${attempt - 1} failed`);
    }
    // A verdict judges the file, not the review run, so it is not a marker; it stays as a note.
    const verdict = f.str('verdict');
    if (verdict !== null) d.observer_notes = `scrum verdict: ${verdict}`;
    return null;
  },
};

const GATE_NAME_KEYS = ['name', 'gate', 'id', 'check'];
const GATE_PASSED_KEYS = ['passed', 'ok', 'pass', 'success'];
const GATE_DETAIL_KEYS = ['detail', 'reason', 'error', 'message', 'output', 'stderr'];

function gateResult(name: string, value: unknown): ValidationResult | null {
  if (typeof value === 'boolean') return { name, passed: value, detail: '' };
  if (!isRecord(value)) return null;
  for (const k of GATE_PASSED_KEYS) {
    const passed = value[k];
    if (typeof passed === 'boolean') return { name, passed, detail: clipLine(pickString(value, GATE_DETAIL_KEYS) ?? '', 400) };
  }
  const status = pickString(value, ['status', 'result']);
  if (status !== null && /^(pass(ed)?|ok|success)$/i.test(status)) return { name, passed: true, detail: clipLine(pickString(value, GATE_DETAIL_KEYS) ?? '', 400) };
  if (status !== null && /^(fail(ed)?|error)$/i.test(status)) return { name, passed: false, detail: clipLine(pickString(value, GATE_DETAIL_KEYS) ?? '', 400) };
  return null;
}

/**
 * The applier's gates as validation results. Two shapes are read: a list of
 * `{name|gate, passed|ok, detail|reason|error}` objects, or a map `{gate_name: boolean | {passed, …}}`.
 */
function parseGates(f: Fields, gates: unknown): ValidationResult[] | MapRejection {
  const expected = 'a list of {name, passed} objects or a map of gate name to result';
  const out: ValidationResult[] = [];
  if (Array.isArray(gates)) {
    for (const [i, item] of gates.entries()) {
      const name = isRecord(item) ? pickString(item, GATE_NAME_KEYS) : null;
      const result = name === null ? null : gateResult(name, item);
      if (result === null) return wrongType(f, `gates[${i}]`, 'an object with a name and a passed flag', describeValue(item));
      out.push(result);
    }
    return out;
  }
  if (isRecord(gates)) {
    for (const [name, value] of Object.entries(gates)) {
      const result = gateResult(name, value);
      if (result === null) return wrongType(f, `gates.${name}`, 'a boolean or an object with a passed flag', describeValue(value));
      out.push(result);
    }
    return out;
  }
  return wrongType(f, 'gates', expected, describeValue(gates));
}

export const AUTO_APPLY: StreamSpec = {
  stream: 'auto_apply',
  description: 'Lakehouse scrum applier actions (auto_apply.jsonl): gates run and what was done to one file',
  kind: 'patch',
  model_role: 'tool',
  schema_version: 1,
  fields: {
    file: req('string', 'an applier action must name the file it patched', 'source_files'),
    ts: req('timestamp', 'an applier action must say when it ran; its run id joins the review of that file that day', 'timestamp'),
    action: req(oneOf(['applied', 'skipped', 'reverted', 'gate_failed'], { 'gate-failed': 'gate_failed', gate_fail: 'gate_failed', revert: 'reverted', apply: 'applied', skip: 'skipped' }), 'an applier action must say what it did', 'signals.applier_action'),
    run_id: opt('string'),
    patches_applied: opt('count'),
    gates: opt('json'),
    reason: opt('text'),
  },
  // Joins scrum_reviews: `scrum:<file>@<UTC date>` (see scrumRunId).
  run_id: ownRunIdOr(scrumRunId('ts')),
  task_id: (f) => `scrum:${f.need('file')}`,
  task_type: constant(SCRUM_TASK_TYPE),
  signature: { all: ['file', 'action'], any: ['patches_applied', 'gates'], cue: null },
  finish: (f, d) => {
    const gates = f.raw('gates');
    if (gates !== null) {
      const parsed = parseGates(f, gates);
      if (!Array.isArray(parsed)) return parsed;
      d.validation_results.push(...parsed);
      for (const g of parsed) if (!g.passed) d.failure_markers.push(`gate ${g.name} failed${g.detail === '' ? '' : `: ${clipLine(g.detail)}`}`);
    }
    const reason = f.str('reason');
    const because = reason === null || reason.trim() === '' ? '' : `: ${clipLine(reason)}`;
    const action = f.need('action');
    if (action === 'reverted') d.failure_markers.push(`patch reverted${because}`);
    if (action === 'gate_failed' && !d.validation_results.some((g) => !g.passed)) d.failure_markers.push(`applier gate failed${because}`);
    if (action === 'applied') {
      const n = f.num('patches_applied');
      // "applied" with zero patches did nothing worth calling a success.
      if (n === null) d.success_markers.push('patch applied');
      else if (n > 0) d.success_markers.push(`applied ${plural(n, 'patch', 'patches')}`);
    }
    return null;
  },
};

export const SCRUM_STREAMS: readonly StreamSpec[] = [MODE_EXPERIMENTS, SCRUM_REVIEWS, AUTO_APPLY];
