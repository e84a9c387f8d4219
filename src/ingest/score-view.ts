// The record as the scorer reads it, and a compact positional encoding of it for the run spool.
import type { EvidenceRecord } from '../../schemas/evidence-record.ts';

const NO_HINTS: EvidenceRecord['link_hints'] = { oids: [], cwd: null, branch: null };

/**
 * The record as the scorer reads it (src/score reads ids, provenance, kind, model, markers, validations,
 * the override, signals and each tool call's outcome): everything else is blanked so the run groups held
 * in memory, or spilled to disk and read back, stay small. The type stays EvidenceRecord on purpose.
 */
export function scoreView(record: EvidenceRecord): EvidenceRecord {
  return {
    ...record,
    input_hash: '',
    output_hash: '',
    input_text: null,
    output_text: null,
    source_files: [],
    commands_run: [],
    tool_calls: record.tool_calls.map((t) => ({ name: t.name, call_id: null, input_summary: null, ok: t.ok, error: null })),
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
 * a third of the size (1,281 → ~450 bytes a record on the bench data), and so a third of the bytes
 * to stringify, write, read back and parse. The run id is not in it: the spool stores it beside.
 */
export type EncodedScoreView = unknown[];

/** Score view → positional array. decodeScoreView(encodeScoreView(r)) deep-equals scoreView(r). */
export function encodeScoreView(record: EvidenceRecord): EncodedScoreView {
  const s = record.signals;
  const p = record.provenance;
  const tools: unknown[] = [];
  for (const t of record.tool_calls) tools.push(t.name, t.ok);
  const validations: unknown[] = [];
  for (const v of record.validation_results) validations.push(v.name, v.passed, v.detail);
  const o = record.human_override;
  const k = record.tokens;
  return [
    record.schema_version,
    record.evidence_id,
    record.source_format,
    record.kind,
    record.task_id,
    record.task_type,
    record.timestamp,
    record.model_name,
    record.model_provider,
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
    record.cost_usd,
    record.latency_ms,
    k === null ? null : [k.input, k.output, k.cached],
    p.source_file,
    p.line_offset,
    p.byte_offset,
    p.pointer,
    p.sig_hash,
    p.recorded_at,
  ];
}

type R = EvidenceRecord;

/** The inverse of encodeScoreView, for arrays it wrote (the spool is ours; nothing else writes one). */
export function decodeScoreView(run_id: string, a: EncodedScoreView): EvidenceRecord {
  const tools = a[10] as unknown[];
  const tool_calls: R['tool_calls'] = [];
  for (let i = 0; i < tools.length; i += 2) {
    tool_calls.push({ name: tools[i] as string, call_id: null, input_summary: null, ok: tools[i + 1] as boolean | null, error: null });
  }
  const vs = a[13] as unknown[];
  const validation_results: R['validation_results'] = [];
  for (let i = 0; i < vs.length; i += 3) {
    validation_results.push({ name: vs[i] as string, passed: vs[i + 1] as boolean, detail: vs[i + 2] as string });
  }
  const o = a[14] as [NonNullable<R['human_override']>['decision'], string, string] | null;
  const s = a[15] as unknown[];
  const k = a[18] as [number, number, number] | null;
  return {
    schema_version: a[0] as R['schema_version'],
    evidence_id: a[1] as string,
    source_format: a[2] as string,
    kind: a[3] as R['kind'],
    run_id,
    task_id: a[4] as string,
    task_type: a[5] as string,
    timestamp: a[6] as string | null,
    model_name: a[7] as string | null,
    model_provider: a[8] as string | null,
    model_role: a[9] as R['model_role'],
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
    success_markers: a[11] as string[],
    failure_markers: a[12] as string[],
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
    cost_usd: a[16] as number | null,
    latency_ms: a[17] as number | null,
    tokens: k === null ? null : { input: k[0], output: k[1], cached: k[2] },
    link_hints: NO_HINTS,
    links: [],
    unmapped_fields: [],
    provenance: {
      source_file: a[19] as string,
      line_offset: a[20] as number,
      byte_offset: a[21] as number,
      pointer: a[22] as string | null,
      sig_hash: a[23] as string,
      recorded_at: a[24] as string,
    },
  };
}
