// Tables for the verdicts passed on runs: the observer's reviews and failure escalations, and human overrides.
import { oneOf } from './parse-field.ts';
import { clipLine, constant, fieldOr, hashRunId, opt, ownRunIdOr, plural, req, type StreamSpec } from './stream-spec.ts';

const ACCEPT_REJECT = oneOf(['accept', 'reject'], {
  accepted: 'accept',
  approve: 'accept',
  approved: 'accept',
  rejected: 'reject',
});

export const OBSERVER_REVIEWS: StreamSpec = {
  stream: 'observer_reviews',
  description: 'Lakehouse observer reviews (observer_reviews.jsonl): the observer’s verdict on one attempt',
  kind: 'verdict',
  model_role: 'observer',
  schema_version: 1,
  fields: {
    run_id: req('string', 'an observer review must name the run it reviewed'),
    verdict: req(ACCEPT_REJECT, 'an observer review must say accept or reject', 'signals.observer_verdict'),
    ts: opt('timestamp', 'timestamp'),
    confidence: opt('fraction', 'signals.observer_confidence'),
    notes: opt('text', 'observer_notes'),
    model: opt('string', 'model_name'),
    file: opt('string', 'source_files'),
    task_type: opt('string'),
  },
  // The reviewed run's own id: the review joins that run.
  run_id: (f) => f.need('run_id'),
  task_id: (f) => f.need('run_id'),
  task_type: fieldOr('task_type', 'observer_review'),
  signature: { all: ['run_id', 'verdict'], any: ['confidence', 'notes'], cue: null },
  finish: null,
};

export const OBSERVER_ESCALATIONS: StreamSpec = {
  stream: 'observer_escalations',
  description: 'Lakehouse observer escalations (observer_escalations.jsonl): one diagnosed failure cluster per line',
  kind: 'escalation',
  model_role: 'observer',
  schema_version: 1,
  fields: {
    sig_hash: req('string', 'an escalation must name the failure signature it clusters'),
    ts: opt('timestamp', 'timestamp'),
    run_id: opt('string'),
    cluster_size: opt('count'),
    analysis: opt('text', 'output_text'),
    mode: opt('string'),
    model: opt('string', 'model_name'),
  },
  // A cluster spans many runs, so it joins none of them: each escalation (signature + time) is its own.
  run_id: ownRunIdOr(hashRunId(['sig_hash', 'ts'])),
  // Escalations of one failure signature share a task: the failure mode they keep diagnosing.
  task_id: (f) => `failure:${f.need('sig_hash')}`,
  task_type: constant('observer_escalation'),
  signature: { all: ['sig_hash', 'cluster_size'], any: ['analysis', 'mode'], cue: null },
  finish: (f, d) => {
    const size = f.num('cluster_size');
    const mode = f.str('mode');
    const count = size === null ? '' : `: ${plural(size, 'occurrence')}`;
    d.failure_markers.push(`failure cluster ${clipLine(f.need('sig_hash'), 24)}${count}${mode === null ? '' : ` in mode ${mode}`}`);
    return null;
  },
};

export const HUMAN_OVERRIDES: StreamSpec = {
  stream: 'human_overrides',
  description: 'Lakehouse human overrides (human_overrides.jsonl): a person’s verdict on one run',
  kind: 'override',
  model_role: 'human',
  schema_version: 1,
  fields: {
    run_id: req('string', 'an override must name the run it decides'),
    decision: req(ACCEPT_REJECT, 'an override must say accept or reject'),
    ts: opt('timestamp', 'timestamp'),
    reason: opt('text'),
    by: opt('string'),
    task_type: opt('string'),
  },
  // The decided run's own id: the override joins that run and beats every rule there.
  run_id: (f) => f.need('run_id'),
  task_id: (f) => f.need('run_id'),
  task_type: fieldOr('task_type', 'human_override'),
  signature: { all: ['run_id', 'decision'], any: ['by', 'reason'], cue: null },
  finish: (f, d) => {
    const decision = f.need('decision') === 'accept' ? 'accept' : 'reject';
    // A missing author is recorded as such rather than guessed; the decision still stands.
    d.human_override = { decision, reason: f.str('reason') ?? '', by: f.str('by') ?? 'unknown' };
    return null;
  },
};

export const OBSERVER_STREAMS: readonly StreamSpec[] = [OBSERVER_REVIEWS, OBSERVER_ESCALATIONS, HUMAN_OVERRIDES];
