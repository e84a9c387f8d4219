// Tables for per-run results: the model trust ledger, scenario outcomes, and contract analyses.
import { describeValue, isRecord, oneOf, renderText } from './parse-field.ts';
import {
  clipLine,
  fieldOr,
  hashRunId,
  opt,
  ownRunIdOr,
  pickString,
  plural,
  req,
  wrongType,
  type StreamSpec,
} from './stream-spec.ts';

/** An error entry of model_trust: a string, or `{model, error|message|reason}`. */
function renderError(item: unknown): string | null {
  if (typeof item === 'string') return item.trim() === '' ? null : clipLine(item);
  if (!isRecord(item)) return item === null || item === undefined ? null : clipLine(renderText(item));
  const model = pickString(item, ['model', 'accepted_model', 'name']);
  const message = pickString(item, ['error', 'message', 'reason', 'detail']) ?? renderText(item);
  return `${model === null ? '' : `${model}: `}${clipLine(message)}`;
}

export const MODEL_TRUST: StreamSpec = {
  stream: 'model_trust',
  description: 'Lakehouse model trust ledger (model_trust.jsonl): which model a run accepted, after how many attempts',
  kind: 'trust',
  model_role: 'executor',
  schema_version: 1,
  fields: {
    run_id: req('string', 'a trust entry must name its run'),
    task_type: req('string', 'a trust entry must name its task type'),
    accepted_model: opt('string', 'model_name'),
    attempts_made: opt('attempt'),
    confidence_avg: opt('fraction'),
    errors: opt('list'),
    thin_rejections: opt('json'),
    ts: opt('timestamp', 'timestamp'),
  },
  // The record's own run id: the entry joins the run it rates.
  run_id: (f) => f.need('run_id'),
  task_id: (f) => f.need('run_id'),
  task_type: (f) => f.need('task_type'),
  signature: { all: ['run_id', 'task_type', 'attempts_made'], any: ['accepted_model', 'confidence_avg', 'thin_rejections'], cue: null },
  finish: (f, d) => {
    const model = f.str('accepted_model');
    const attempts = f.num('attempts_made');
    const confidence = f.num('confidence_avg');
    if (model !== null) {
      // attempts_made counts the accepted attempt too, so it is the attempt that was accepted.
      if (attempts !== null) d.signals.accepted_on_attempt = attempts;
      const on = attempts === null ? '' : ` on attempt ${attempts}`;
      d.success_markers.push(`accepted ${model}${on}${confidence === null ? '' : ` (confidence_avg ${confidence})`}`);
    } else if (attempts !== null) {
      d.failure_markers.push(`no model accepted after ${plural(attempts, 'attempt')}`);
    }
    for (const item of f.list('errors') ?? []) {
      const text = renderError(item);
      if (text !== null) d.failure_markers.push(`error: ${text}`);
    }
    const thin = f.raw('thin_rejections');
    if (typeof thin === 'number') {
      if (!Number.isSafeInteger(thin) || thin < 0) return wrongType(f, 'thin_rejections', 'an integer ≥ 0 or a list', 'a negative or fractional number');
      if (thin > 0) d.failure_markers.push(`${plural(thin, 'response')} rejected as too thin`);
    } else if (Array.isArray(thin)) {
      for (const item of thin) {
        const text = renderError(item);
        if (text !== null) d.failure_markers.push(`thin rejection: ${text}`);
      }
    } else if (thin !== null) {
      return wrongType(f, 'thin_rejections', 'an integer ≥ 0 or a list', describeValue(thin));
    }
    return null;
  },
};

/** Model names from `models`: a list of names, a single name, or a map keyed by name. */
function modelNames(value: unknown): string[] {
  if (typeof value === 'string') return value.trim() === '' ? [] : [value];
  if (Array.isArray(value)) return value.flatMap((v) => (typeof v === 'string' ? [v] : isRecord(v) ? [pickString(v, ['model', 'name'])].filter((x): x is string => x !== null) : []));
  if (isRecord(value)) return Object.keys(value);
  return [];
}

export const OUTCOMES: StreamSpec = {
  stream: 'outcomes',
  description: 'Lakehouse scenario outcomes (outcomes.jsonl): event and citation tallies of one run',
  kind: 'outcome',
  model_role: 'tool',
  schema_version: 1,
  fields: {
    run_id: req('string', 'an outcome must name its run'),
    total_events: req('count', 'an outcome must say how many events the run had'),
    ok_events: req('count', 'an outcome must say how many events succeeded'),
    created_at: opt('timestamp', 'timestamp'),
    sig_hash: opt('string'),
    models: opt('json'),
    total_citations: opt('count'),
    total_gap_signals: opt('count'),
    task_type: opt('string'),
  },
  // The record's own run id: the outcome joins the run it tallies.
  run_id: (f) => f.need('run_id'),
  // Runs with one signature are one scenario: the producer's sig_hash groups them.
  task_id: (f) => {
    const sig = f.str('sig_hash');
    return sig === null ? f.need('run_id') : `signature:${sig}`;
  },
  task_type: fieldOr('task_type', 'scenario'),
  signature: { all: ['run_id', 'total_events', 'ok_events'], any: [], cue: null },
  finish: (f, d) => {
    const total = f.num('total_events') ?? 0;
    const ok = f.num('ok_events') ?? 0;
    if (ok > total) return wrongType(f, 'ok_events', 'at most `total_events`', 'a larger count');
    // No events at all says nothing about success either way.
    if (total > 0) {
      d.signals.run_ok = ok === total;
      if (ok === total) d.success_markers.push(`all ${plural(total, 'event')} ok`);
      else d.failure_markers.push(`${total - ok} of ${plural(total, 'event')} failed`);
    }
    // Grounding = citations / (citations + gap signals): a citation is a statement backed by
    // retrieved evidence, a gap signal one the run flagged as unsupported. Both must be present;
    // a missing count is unknown, not zero.
    const citations = f.num('total_citations');
    const gaps = f.num('total_gap_signals');
    if (citations !== null && gaps !== null && citations + gaps > 0) d.signals.grounding = citations / (citations + gaps);
    const names = modelNames(f.raw('models'));
    // A run served by several models has no single model to credit.
    if (names.length === 1 && names[0] !== undefined) d.model_name = names[0];
    return null;
  },
};

export const CONTRACT_ANALYSES: StreamSpec = {
  stream: 'contract_analyses',
  description: 'Lakehouse contract analyses (contract_analyses.jsonl): one analysed permit per line, with the observer’s review',
  kind: 'analysis',
  model_role: 'executor',
  schema_version: 1,
  fields: {
    ts: req('timestamp', 'an analysis must say when it ran', 'timestamp'),
    ok: req('boolean', 'an analysis must say whether it succeeded', 'signals.run_ok'),
    permit_id: req('id', 'an analysis must name the permit it analysed'),
    run_id: opt('string'),
    analysis: opt('text', 'output_text'),
    prompt: opt('text', 'input_text'),
    model: opt('string', 'model_name'),
    error: opt('text'),
    matrix_corpora: opt('string_list', 'retrieved_context'),
    matrix_hits: opt('json'),
    matrix_ms: opt('number'),
    observer_verdict: opt(oneOf(['accept', 'reject'], { accepted: 'accept', rejected: 'reject' }), 'signals.observer_verdict'),
    observer_conf: opt('fraction', 'signals.observer_confidence'),
    observer_notes: opt('text', 'observer_notes'),
    observer_src: opt('string'),
    cost: opt('number', 'cost_usd'),
    duration_ms: opt('number', 'latency_ms'),
    task_class: opt('string'),
  },
  // Nothing else names a permit analysis, so each (time, permit) is its own run.
  run_id: ownRunIdOr(hashRunId(['ts', 'permit_id'])),
  // Re-analyses of one permit are one task.
  task_id: (f) => `permit:${f.need('permit_id')}`,
  task_type: fieldOr('task_class', 'contract_analysis'),
  signature: { all: ['permit_id', 'ok'], any: ['analysis', 'observer_verdict', 'matrix_hits', 'matrix_corpora'], cue: null },
  finish: (f, d) => {
    const error = f.str('error');
    if (f.bool('ok') === true) d.success_markers.push('analysis ok');
    else d.failure_markers.push(`analysis failed${error === null || error === '' ? '' : `: ${clipLine(error)}`}`);

    const hits = f.raw('matrix_hits');
    let hitCount: number | null = null;
    if (Array.isArray(hits)) {
      hitCount = hits.length;
      for (const h of hits) {
        const text = typeof h === 'string' ? h : isRecord(h) ? (pickString(h, ['text', 'content', 'snippet', 'doc_id', 'id']) ?? renderText(h)) : null;
        if (text !== null && text !== '') d.retrieved_context.push(text);
      }
    } else if (typeof hits === 'number' && Number.isSafeInteger(hits) && hits >= 0) {
      hitCount = hits;
    } else if (hits !== null) {
      return wrongType(f, 'matrix_hits', 'an integer ≥ 0 or a list', describeValue(hits));
    }

    // Retrieval telemetry and the observer's source have no field of their own; they join the notes.
    const extras: string[] = [];
    const corpora = f.list('matrix_corpora');
    const ms = f.num('matrix_ms');
    if (hitCount !== null || ms !== null) {
      const from = corpora === null ? '' : ` from ${plural(corpora.length, 'corpus', 'corpora')}`;
      extras.push(`matrix: ${hitCount === null ? '?' : plural(hitCount, 'hit')}${from}${ms === null ? '' : ` in ${ms} ms`}`);
    }
    const src = f.str('observer_src');
    if (src !== null) extras.push(`observer: ${src}`);
    if (extras.length > 0) d.observer_notes = [d.observer_notes, ...extras.map((e) => `[${e}]`)].filter((s) => s !== '').join(' ');
    return null;
  },
};

export const OUTCOME_STREAMS: readonly StreamSpec[] = [MODEL_TRUST, OUTCOMES, CONTRACT_ANALYSES];
