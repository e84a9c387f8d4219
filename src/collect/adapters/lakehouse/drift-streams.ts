// Tables for the earlier drift signals (phase sweeps, doc drift corrections): inputs to the drift stage.
import type { EvidenceDraft } from '../../adapter.ts';
import { isRecord, renderText } from './parse-field.ts';
import { clipLine, constant, hashRunId, opt, ownRunIdOr, pickString, plural, req, type Fields, type StreamSpec } from './stream-spec.ts';

/** Claim tallies as markers: verified claims are successes, fake and partial ones failures. */
function claimMarkers(f: Fields, d: EvidenceDraft): void {
  const verified = f.num('claims_verified');
  const fake = f.num('claims_fake');
  const partial = f.num('claims_partial');
  if (verified !== null && verified > 0) d.success_markers.push(`${plural(verified, 'claim')} verified`);
  if (fake !== null && fake > 0) d.failure_markers.push(`${plural(fake, 'claim')} fake`);
  if (partial !== null && partial > 0) d.failure_markers.push(`${plural(partial, 'claim')} only partly true`);
}

/** A finding or evidence item as one line of text. */
function itemText(item: unknown): string | null {
  if (typeof item === 'string') return item.trim() === '' ? null : item;
  if (isRecord(item)) return pickString(item, ['message', 'finding', 'claim', 'text', 'summary', 'path', 'file']) ?? renderText(item);
  if (item === null || item === undefined) return null;
  return renderText(item);
}

function items(value: unknown): string[] {
  const list = Array.isArray(value) ? value : value === null || value === undefined ? [] : [value];
  return list.map(itemText).filter((x): x is string => x !== null);
}

const DRIFT_FIELDS = {
  claims_verified: opt('count'),
  claims_fake: opt('count'),
  claims_partial: opt('count'),
  findings: opt('json'),
  evidence: opt('json'),
  run_id: opt('string'),
};

/** The findings as the drift signal's text, and the evidence as the context it cites. */
function renderDrift(f: Fields, d: EvidenceDraft, heading: string): void {
  const findings = items(f.raw('findings'));
  if (d.output_text === null) d.output_text = [heading, ...findings.map((x) => `- ${clipLine(x, 400)}`)].join('\n');
  d.retrieved_context.push(...items(f.raw('evidence')));
}

export const PHASE_SWEEP_FINDINGS: StreamSpec = {
  stream: 'phase_sweep_findings',
  description: 'Lakehouse phase sweep findings (phase_sweep_findings.jsonl): per-phase verification of shipped claims',
  kind: 'drift_signal',
  model_role: 'verifier',
  schema_version: 1,
  fields: {
    phase: req('id', 'a phase sweep finding must name its phase'),
    status: req('string', 'a phase sweep finding must state the phase status it checked'),
    phase_name: opt('string'),
    discovered_at: opt('timestamp', 'timestamp'),
    ...DRIFT_FIELDS,
  },
  // Sweeps name no run; one phase checked at one time is one run.
  run_id: ownRunIdOr(hashRunId(['phase', 'discovered_at'])),
  task_id: (f) => `phase:${f.need('phase')}`,
  task_type: constant('phase_sweep'),
  signature: { all: ['phase', 'status'], any: ['claims_verified', 'claims_fake', 'claims_partial'], cue: (first) => Object.hasOwn(first, 'phase_name') || Object.hasOwn(first, 'discovered_at') },
  finish: (f, d) => {
    claimMarkers(f, d);
    const name = f.str('phase_name');
    renderDrift(f, d, `phase ${f.need('phase')}${name === null ? '' : ` (${name})`}: ${f.need('status')}`);
    return null;
  },
};

export const DOC_DRIFT_CORRECTIONS: StreamSpec = {
  stream: 'doc_drift_corrections',
  description: 'Lakehouse doc drift corrections (doc_drift_corrections.jsonl): a doc claim found untrue and its correction',
  kind: 'drift_signal',
  model_role: 'verifier',
  schema_version: 1,
  fields: {
    doc: opt('string', 'source_files'),
    file: opt('string', 'source_files'),
    phase: opt('id'),
    status: opt('string'),
    claim: opt('text', 'input_text'),
    correction: opt('text', 'output_text'),
    ts: opt('timestamp', 'timestamp'),
    head_sha: opt('sha', 'link_oids'),
    ...DRIFT_FIELDS,
  },
  // Corrections name no run; one correction (what, when, which claim) is one run.
  run_id: ownRunIdOr(hashRunId(['doc', 'file', 'phase', 'ts', 'claim'])),
  // `finish` rejects a line naming none of these before the fallback could be stored.
  task_id: (f) => `doc:${f.str('doc') ?? f.str('file') ?? `phase-${f.str('phase') ?? '?'}`}`,
  task_type: constant('doc_drift'),
  signature: { all: ['correction'], any: ['doc', 'file', 'phase', 'claim'], cue: (first) => Object.hasOwn(first, 'correction') },
  finish: (f, d) => {
    if (f.str('doc') === null && f.str('file') === null && f.str('phase') === null) {
      return { code: 'missing_field', reason: 'doc_drift_corrections line has none of `doc`, `file`, `phase`: a correction must name the document or phase it corrects' };
    }
    claimMarkers(f, d);
    const what = f.str('doc') ?? f.str('file') ?? `phase ${f.str('phase') ?? ''}`;
    const status = f.str('status');
    renderDrift(f, d, `${what}${status === null ? '' : `: ${status}`}`);
    return null;
  },
};

export const DRIFT_STREAMS: readonly StreamSpec[] = [PHASE_SWEEP_FINDINGS, DOC_DRIFT_CORRECTIONS];
