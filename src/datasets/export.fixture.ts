// Test-only: session-shaped runs (user prompt, assistant turns, tool calls) with an outcome the real scorer turns into each category; auditor-loop lines through the real adapter.
import { canonicalSha256, sha256Hex } from '../canonical.ts';
import { LAKEHOUSE_ADAPTERS } from '../collect/adapters/lakehouse/index.ts';
import { finalizeDraft } from '../collect/finalize.ts';
import { buildFolderFiles, emptyFolderContent } from '../distill/build-folder.ts';
import { scoreRuns } from '../score/score.ts';
import { buildScoring, buildRedactor } from '../wiring.ts';
import { defaultConfig } from '../../schemas/config.ts';
import type { EvidenceRecord, Signals } from '../../schemas/evidence-record.ts';
import { makeEvidence, type EvidenceOverrides } from '../../tests/fixtures/score/make-evidence.ts';
import type { ExportRun } from './build-rows.ts';
import type { ExportPlan } from './build-export.ts';

/**
 * What decides the category under the default rules: accept → accepted, partial → partially_accepted
 * (accepted on a second attempt), reject → rejected (run_ok false), review → needs_human_review (no
 * outcome), override_accept / override_reject → a human override against the other signals.
 */
export type Outcome = 'accept' | 'partial' | 'reject' | 'review' | 'override_accept' | 'override_reject';

export interface RunSpec {
  run_id: string;
  task_id?: string;
  task_type?: string;
  outcome: Outcome;
  prompt: string;
  answer: string;
  /** A tool call (and its result) before the answer. */
  tool?: { name: string; input_summary: string; result: string };
  /** Minutes after 2024-01-01T00:00Z the run starts. */
  minute?: number;
  retrieved_context?: string[];
  /** A fact or lesson the run extracted (RAG). */
  fact?: string;
}

function record(spec: RunSpec, i: number, o: EvidenceOverrides): EvidenceRecord {
  const minute = (spec.minute ?? 0) + i;
  const source_file = `logs/${spec.run_id}.jsonl`;
  return makeEvidence({
    evidence_id: sha256Hex(`${source_file}:${i + 1}`),
    source_format: 'claude-code',
    kind: 'message',
    run_id: spec.run_id,
    task_id: spec.task_id ?? `task-${spec.run_id}`,
    task_type: spec.task_type ?? 'code_edit',
    timestamp: new Date(Date.UTC(2024, 0, 1, 0, minute)).toISOString(),
    model_name: 'model-a',
    model_provider: 'acme',
    ...o,
    provenance: { source_file, line_offset: i + 1, byte_offset: i * 100, sig_hash: sha256Hex(`sig:${spec.run_id}:${i}`), recorded_at: '2024-01-01T00:00:00.000Z' },
  });
}

const OUTCOME_SIGNALS: Record<Outcome, Partial<Signals>> = {
  accept: { run_ok: true },
  partial: { run_ok: true, accepted_on_attempt: 2 },
  reject: { run_ok: false },
  review: {},
  override_accept: { run_ok: false },
  override_reject: { run_ok: true },
};

/** The evidence of one run: user prompt, optional tool call and result, the answer carrying the outcome, optional override and fact. */
export function makeSessionRun(spec: RunSpec): EvidenceRecord[] {
  const out: EvidenceRecord[] = [];
  let i = 0;
  out.push(record(spec, i++, { kind: 'message', model_role: 'human', input_text: spec.prompt }));
  if (spec.tool !== undefined) {
    const call = { name: spec.tool.name, call_id: `toolu_${spec.run_id}`, input_summary: spec.tool.input_summary, ok: null, error: null };
    out.push(record(spec, i++, { kind: 'model_call', output_text: null, tool_calls: [call] }));
    out.push(record(spec, i++, { kind: 'tool_result', model_role: 'tool', output_text: spec.tool.result, tool_calls: [{ ...call, ok: true }] }));
  }
  out.push(record(spec, i++, { kind: 'model_call', output_text: spec.answer, signals: OUTCOME_SIGNALS[spec.outcome], retrieved_context: spec.retrieved_context ?? [] }));
  if (spec.outcome === 'override_accept' || spec.outcome === 'override_reject') {
    const decision = spec.outcome === 'override_accept' ? 'accept' : 'reject';
    out.push(record(spec, i++, { kind: 'override', model_role: 'human', human_override: { decision, reason: `reviewed ${spec.run_id} by hand`, by: 'alice' } }));
  }
  if (spec.fact !== undefined) out.push(record(spec, i++, { kind: 'fact', model_role: 'extractor', output_text: spec.fact }));
  return out;
}

/** Raw lines of one auditor-loop stream (`audit_discrepancies`, ...) as ingest stores them: the real adapter, redaction and provenance. */
export function makeLakehouseEvidence(stream: string, lines: readonly Record<string, unknown>[]): EvidenceRecord[] {
  const adapter = LAKEHOUSE_ADAPTERS.find((a) => a.id === `lakehouse:${stream}`)!;
  const source_file = `data/_kb/${stream}.jsonl`;
  const redact = buildRedactor(defaultConfig());
  let byte_offset = 0;
  return lines.map((value, i) => {
    const at = { source_file, line: i + 1, byte_offset, pointer: null };
    byte_offset += JSON.stringify(value).length + 1;
    const mapped = adapter.map(value, at, adapter.init(source_file));
    if (!mapped.ok) throw new Error(`${stream} line ${i + 1}: ${mapped.rejection.reason}`);
    const opts = { source_format: adapter.id, sig_hash: canonicalSha256(value), recorded_at: '2024-01-01T00:00:00.000Z', max_text_chars: 16_000, redact };
    const done = finalizeDraft(mapped.draft, at, opts);
    if (!done.ok) throw new Error(`${stream} line ${i + 1}: ${done.reason}`);
    return done.record;
  });
}

/** Runs scored by the real scorer with the default rules, as the export reads them from the branch; `extra` is evidence of other runs (auditor lines). */
export function scoreFixtureRuns(specs: readonly RunSpec[], extra: readonly EvidenceRecord[] = [], source_oid = 'a'.repeat(40)): ExportRun[] {
  const evidence = [...specs.flatMap(makeSessionRun), ...extra];
  const { rules, scorer_version } = buildScoring(defaultConfig());
  const scored = scoreRuns(evidence, { rules, scored_at: '2024-01-01T00:00:00.000Z', scorer_version });
  return scored.map((run) => ({ run, source_oid, evidence: evidence.filter((e) => e.run_id === run.run_id) }));
}

/** A commit folder exactly as `git distill run` writes it, holding these runs (scored by the real scorer). */
export function buildFixtureFolder(specs: readonly RunSpec[], commit: { oid: string; subject: string; committed_at: string }): Map<string, Uint8Array> {
  const { rules, rules_sha256, scorer_version } = buildScoring(defaultConfig());
  const evidence = specs.flatMap(makeSessionRun).map((e) => ({ ...e, links: [{ oid: commit.oid, by: 'oid' as const, detail: 'fixture' }] }));
  const content = { ...emptyFolderContent(), evidence, read_counts: { lines: evidence.length, evidence: evidence.length, quarantined: 0, blank: 0 } };
  return buildFolderFiles(content, commit, { config_sha256: sha256Hex('config'), rules, rules_sha256, scorer_version, tool_version: '0.1.0-test' });
}

/** An export plan with the default config and redactor, pinned head and date. */
export function fixturePlan(over: Partial<ExportPlan> = {}): ExportPlan {
  const config = defaultConfig();
  return {
    kinds: ['rag', 'sft', 'preference', 'kto'],
    format: 'trl',
    config: config.export,
    redact: buildRedactor(config),
    command: 'git-distill export all --format trl',
    tool_version: '0.1.0-test',
    config_sha256: sha256Hex('config'),
    head: { oid: 'b'.repeat(40), committed_at: '2024-01-01T00:00:00.000Z' },
    since: null,
    commits: 1,
    input_files: [],
    ...over,
  };
}
