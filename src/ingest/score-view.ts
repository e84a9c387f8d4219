// The record as the scorer reads it, and a compact positional encoding of it for the run spool.
import type { EvidenceRecord } from '../../schemas/evidence-record.ts';

const NO_HINTS: EvidenceRecord['link_hints'] = { oids: [], cwd: null, branch: null };

/**
 * The record as the scorer reads it (src/score reads the evidence id, task ids and type, timestamp, the
 * provenance's location, the model name, markers, validations, the override, signals and each tool
 * call's outcome and error): everything else is blanked so the run groups held in memory, or spilled to
 * disk and read back, stay small. The type stays EvidenceRecord on purpose. score-view.test.ts checks
 * that runs score to the same bytes from views as from whole records.
 */
export function scoreView(record: EvidenceRecord): EvidenceRecord {
  return {
    ...record,
    source_format: '',
    model_provider: null,
    cost_usd: null,
    latency_ms: null,
    tokens: null,
    provenance: { ...record.provenance, sig_hash: '', recorded_at: '' },
    input_hash: '',
    output_hash: '',
    input_text: null,
    output_text: null,
    source_files: [],
    commands_run: [],
    tool_calls: record.tool_calls.map((t) => ({ name: t.name, call_id: null, input_summary: null, ok: t.ok, error: t.error })),
    retrieved_context: [],
    observer_notes: '',
    scratchpad_summary: null,
    link_hints: NO_HINTS,
    links: [],
    unmapped_fields: [],
  };
}

/**
 * A score view as one flat array of values in a fixed order: no key names, and the fields scoreView
 * blanks are not stored at all. Spooling this instead of the view's JSON object makes the spool about
 * a third of the size (1,281 → ~385 characters a record with its run id, on the bench data), and so a third of the bytes
 * to stringify, write, read back and parse. The run id is not in it: the spool stores it beside.
 */
export type EncodedScoreView = unknown[];

/** Score view → positional array. decodeScoreView(encodeScoreView(r)) deep-equals scoreView(r). */
export function encodeScoreView(record: EvidenceRecord): EncodedScoreView {
  const s = record.signals;
  const p = record.provenance;
  const tools: unknown[] = [];
  for (const t of record.tool_calls) tools.push(t.name, t.ok, t.error);
  const validations: unknown[] = [];
  for (const v of record.validation_results) validations.push(v.name, v.passed, v.detail);
  const o = record.human_override;
  return [
    record.schema_version,
    record.evidence_id,
    record.kind,
    record.task_id,
    record.task_type,
    record.timestamp,
    record.model_name,
    record.model_role,
    tools,
    record.success_markers,
    record.failure_markers,
    validations,
    o === null ? null : [o.decision, o.reason, o.by],
    [
      s.observer_verdict,
      s.observer_confidence,
      s.auditor_verdict,
      s.applier_action,
      s.accepted_on_attempt,
      s.exit_status,
      s.run_ok,
      s.grounding,
      s.fatal_tool_error,
    ],
    p.source_file,
    p.line_offset,
    p.byte_offset,
    p.pointer,
  ];
}

type R = EvidenceRecord;

/** The inverse of encodeScoreView, for arrays it wrote (the spool is ours; nothing else writes one). */
export function decodeScoreView(run_id: string, a: EncodedScoreView): EvidenceRecord {
  const tools = a[8] as unknown[];
  const tool_calls: R['tool_calls'] = [];
  for (let i = 0; i < tools.length; i += 3) {
    tool_calls.push({ name: tools[i] as string, call_id: null, input_summary: null, ok: tools[i + 1] as boolean | null, error: tools[i + 2] as string | null });
  }
  const vs = a[11] as unknown[];
  const validation_results: R['validation_results'] = [];
  for (let i = 0; i < vs.length; i += 3) {
    validation_results.push({ name: vs[i] as string, passed: vs[i + 1] as boolean, detail: vs[i + 2] as string });
  }
  const o = a[12] as [NonNullable<R['human_override']>['decision'], string, string] | null;
  const s = a[13] as unknown[];
  return {
    schema_version: a[0] as R['schema_version'],
    evidence_id: a[1] as string,
    source_format: '',
    kind: a[2] as R['kind'],
    run_id,
    task_id: a[3] as string,
    task_type: a[4] as string,
    timestamp: a[5] as string | null,
    model_name: a[6] as string | null,
    model_provider: null,
    model_role: a[7] as R['model_role'],
    input_hash: '',
    output_hash: '',
    input_text: null,
    output_text: null,
    source_files: [],
    commands_run: [],
    tool_calls,
    retrieved_context: [],
    observer_notes: '',
    scratchpad_summary: null,
    success_markers: a[9] as string[],
    failure_markers: a[10] as string[],
    validation_results,
    human_override: o === null ? null : { decision: o[0], reason: o[1], by: o[2] },
    signals: {
      observer_verdict: s[0] as R['signals']['observer_verdict'],
      observer_confidence: s[1] as number | null,
      auditor_verdict: s[2] as R['signals']['auditor_verdict'],
      applier_action: s[3] as R['signals']['applier_action'],
      accepted_on_attempt: s[4] as number | null,
      exit_status: s[5] as string | null,
      run_ok: s[6] as boolean | null,
      grounding: s[7] as number | null,
      fatal_tool_error: s[8] as boolean | null,
    },
    cost_usd: null,
    latency_ms: null,
    tokens: null,
    link_hints: NO_HINTS,
    links: [],
    unmapped_fields: [],
    provenance: {
      source_file: a[14] as string,
      line_offset: a[15] as number,
      byte_offset: a[16] as number,
      pointer: a[17] as string | null,
      sig_hash: '',
      recorded_at: '',
    },
  };
}
