// Pure: an adapter's draft → a redacted, capped, hashed, validated EvidenceRecord (or the reason it is not one).
import { canonicalJson, sha256Hex } from '../canonical.ts';
import { EVIDENCE_SCHEMA_VERSION, EvidenceRecordSchema, type EvidenceRecord } from '../../schemas/evidence-record.ts';
import type { EvidenceDraft, SourceLocation } from './adapter.ts';

/** Redacts one string and adds what it found to `counts` (rule id → occurrences). */
export type TextRedactor = (text: string, counts: Map<string, number>) => string;

export interface FinalizeOptions {
  source_format: string;
  sig_hash: string;
  recorded_at: string;
  max_text_chars: number;
  redact: TextRedactor;
}

export type FinalizeResult =
  | { ok: true; record: EvidenceRecord; redactions: Map<string, number> }
  | { ok: false; reason: string; redactions: Map<string, number> };

const TRUNCATION_MARK = '\n[truncated by git-distill: the hash covers the full text]';

function cap(text: string | null, max: number): string | null {
  if (text === null || text.length <= max) return text;
  return text.slice(0, max) + TRUNCATION_MARK;
}

/** sha256 of the identity of one piece of evidence: which adapter read which bytes. */
export function computeEvidenceId(source_format: string, at: SourceLocation): string {
  return sha256Hex(canonicalJson([source_format, at.source_file, at.byte_offset, at.pointer]));
}

/**
 * Redact every free-text field of the draft (ids, paths, hashes and timestamps are left alone),
 * hash the full redacted texts, cap what is stored, and validate. Redaction happens first, so no
 * later step — hashing, capping, the schema error message — ever sees a secret.
 */
export function finalizeDraft(draft: EvidenceDraft, at: SourceLocation, opts: FinalizeOptions): FinalizeResult {
  const counts = new Map<string, number>();
  const r = (text: string): string => opts.redact(text, counts);
  const rn = (text: string | null): string | null => (text === null ? null : r(text));

  const input_text = rn(draft.input_text);
  const output_text = rn(draft.output_text);
  const candidate = {
    schema_version: EVIDENCE_SCHEMA_VERSION,
    evidence_id: computeEvidenceId(opts.source_format, at),
    source_format: opts.source_format,
    kind: draft.kind,
    run_id: draft.run_id,
    task_id: draft.task_id,
    task_type: draft.task_type,
    timestamp: draft.timestamp,
    model_name: draft.model_name,
    model_provider: draft.model_provider,
    model_role: draft.model_role,
    input_hash: sha256Hex(input_text ?? ''),
    output_hash: sha256Hex(output_text ?? ''),
    input_text: cap(input_text, opts.max_text_chars),
    output_text: cap(output_text, opts.max_text_chars),
    source_files: [...new Set(draft.source_files)].sort(),
    commands_run: draft.commands_run.map((c) => ({ command: r(c.command), exit_code: c.exit_code })),
    tool_calls: draft.tool_calls.map((t) => ({
      name: t.name,
      call_id: t.call_id,
      input_summary: rn(t.input_summary),
      ok: t.ok,
      error: rn(t.error),
    })),
    retrieved_context: draft.retrieved_context.map(r),
    observer_notes: r(draft.observer_notes),
    scratchpad_summary: rn(draft.scratchpad_summary),
    success_markers: draft.success_markers.map(r),
    failure_markers: draft.failure_markers.map(r),
    validation_results: draft.validation_results.map((v) => ({ name: v.name, passed: v.passed, detail: r(v.detail) })),
    human_override:
      draft.human_override === null
        ? null
        : { decision: draft.human_override.decision, reason: r(draft.human_override.reason), by: draft.human_override.by },
    signals: draft.signals,
    cost_usd: draft.cost_usd,
    latency_ms: draft.latency_ms,
    tokens: draft.tokens,
    link_hints: draft.link_hints,
    links: [],
    unmapped_fields: [...new Set(draft.unmapped_fields)].sort(),
    provenance: {
      source_file: at.source_file,
      line_offset: at.line,
      byte_offset: at.byte_offset,
      pointer: at.pointer,
      sig_hash: opts.sig_hash,
      recorded_at: opts.recorded_at,
    },
  };
  const parsed = EvidenceRecordSchema.safeParse(candidate);
  if (!parsed.success) {
    const issues = parsed.error.issues
      .slice(0, 3)
      .map((i) => `${i.path.join('.') || '(record)'}: ${i.message}`)
      .join('; ');
    return { ok: false, reason: `mapped record is not a valid EvidenceRecord: ${issues}`, redactions: counts };
  }
  return { ok: true, record: parsed.data, redactions: counts };
}
