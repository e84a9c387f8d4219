// Test-only: builds a valid distilled commit folder (manifest, records, chained collect → link → score receipts) without the run pipeline.
import { canonicalJson, sha256Hex } from '../canonical.ts';
import { emptySignals } from '../collect/adapter.ts';
import { computeRunSignals } from '../score/run-signals.ts';
import { buildReceipt, receiptSha256, redactionCounts, renderReceipt } from '../receipts/receipt.ts';
import { COMMIT_FILES, receiptFile } from '../store/layout.ts';
import { ManifestSchema, type Manifest } from '../../schemas/manifest.ts';
import { EvidenceRecordSchema, type EvidenceRecord } from '../../schemas/evidence-record.ts';
import { QuarantineEntrySchema, type QuarantineEntry } from '../../schemas/quarantine-entry.ts';
import { ScoredRunSchema, type ScoreCategory, type ScoredRun } from '../../schemas/scored-run.ts';

export interface FolderSpec {
  source_oid: string;
  subject?: string;
  /** Evidence records per run; one run per entry. */
  runs?: Array<{ category: ScoreCategory; evidence: number; link_by?: 'oid' | 'files' | 'session' }>;
  quarantined?: number;
  redacted?: number;
}

export interface BuiltFolder {
  files: Map<string, Uint8Array>;
  manifest: Manifest;
  evidence: EvidenceRecord[];
  scored: ScoredRun[];
  quarantine: QuarantineEntry[];
}

export const FIXTURE_COMMITTED_AT = '2024-01-01T00:00:00Z';
export const FIXTURE_CONFIG_SHA = sha256Hex('config');
export const FIXTURE_RULES_SHA = sha256Hex('rules');
export const FIXTURE_TOOL_VERSION = '0.1.0-test';

const enc = new TextEncoder();
const EMPTY_SHA = sha256Hex('');

function jsonl(records: unknown[]): string {
  return records.map((r) => canonicalJson(r) + '\n').join('');
}

function evidenceRecord(source: string, runId: string, i: number, linkBy: 'oid' | 'files' | 'session'): EvidenceRecord {
  return EvidenceRecordSchema.parse({
    schema_version: 1,
    evidence_id: sha256Hex(`${runId}:${i}`),
    source_format: 'lakehouse:mode_experiments',
    kind: 'model_call',
    run_id: runId,
    task_id: `task-${runId}`,
    task_type: 'code_review',
    timestamp: '2024-01-01T00:00:00Z',
    model_name: 'model-a',
    model_provider: 'acme',
    model_role: 'executor',
    input_hash: EMPTY_SHA,
    output_hash: EMPTY_SHA,
    input_text: null,
    output_text: `answer ${i}`,
    source_files: ['src/parser.ts'],
    commands_run: [],
    tool_calls: [],
    retrieved_context: [],
    observer_notes: '',
    scratchpad_summary: null,
    success_markers: [],
    failure_markers: [],
    validation_results: [],
    human_override: null,
    signals: { ...emptySignals(), run_ok: true },
    cost_usd: null,
    latency_ms: 1200,
    tokens: null,
    link_hints: { oids: [], cwd: null, branch: null },
    links: [{ oid: source, by: linkBy, detail: `linked by ${linkBy}` }],
    unmapped_fields: [],
    provenance: {
      source_file: 'data/_kb/mode_experiments.jsonl',
      line_offset: i + 1,
      byte_offset: i * 100,
      pointer: null,
      sig_hash: sha256Hex(`sig:${runId}:${i}`),
      recorded_at: FIXTURE_COMMITTED_AT,
    },
  });
}

function scoredRun(runId: string, category: ScoreCategory, evidence: EvidenceRecord[]): ScoredRun {
  return ScoredRunSchema.parse({
    schema_version: 1,
    run_id: runId,
    category,
    reasons: [
      {
        rule_id: `rule.${category}`,
        category,
        signal: 'run_ok',
        evidence_ids: evidence.map((e) => e.evidence_id).sort(),
        detail: `${category} because of data/_kb/mode_experiments.jsonl:${evidence[0]?.provenance.line_offset ?? 1}`,
      },
    ],
    signals: { ...computeRunSignals([]).signals, run_ok: true, outcome_evidence: evidence.length, positive_evidence: evidence.length },
    evidence_count: evidence.length,
    task_type: 'code_review',
    task_id: `task-${runId}`,
    model_names: ['model-a'],
    scored_at: FIXTURE_COMMITTED_AT,
    scorer_version: '1.0.0',
    rules_sha256: FIXTURE_RULES_SHA,
  });
}

function quarantineEntry(i: number): QuarantineEntry {
  return QuarantineEntrySchema.parse({
    schema_version: 1,
    source_file: 'data/_kb/observer_reviews.jsonl',
    source_format: 'lakehouse:observer_reviews',
    line_offset: 10 + i,
    byte_offset: 1000 + i * 50,
    pointer: null,
    byte_length: 40,
    reason_code: 'invalid_json',
    reason: 'Unexpected end of JSON input',
    line_sha256: sha256Hex(`bad:${i}`),
    excerpt: '{"run_id":"run-b","verdict":"rej',
    recorded_at: FIXTURE_COMMITTED_AT,
  });
}

/** A folder exactly as the run pipeline is specified to write it: canonical JSON, hashes and chain consistent. */
export function buildFolder(spec: FolderSpec): BuiltFolder {
  const source = spec.source_oid;
  const runs = spec.runs ?? [
    { category: 'accepted', evidence: 2 },
    { category: 'rejected', evidence: 1 },
  ];
  const evidence: EvidenceRecord[] = [];
  const scored: ScoredRun[] = [];
  const linksBy: Record<string, number> = {};
  runs.forEach((r, k) => {
    const runId = `run-${String(k + 1).padStart(2, '0')}`;
    const by = r.link_by ?? 'oid';
    const mine = Array.from({ length: r.evidence }, (_, i) => evidenceRecord(source, runId, evidence.length + i, by));
    evidence.push(...mine);
    scored.push(scoredRun(runId, r.category, mine));
    linksBy[by] = (linksBy[by] ?? 0) + 1;
  });
  const quarantine = Array.from({ length: spec.quarantined ?? 1 }, (_, i) => quarantineEntry(i));
  const redacted = spec.redacted ?? 1;

  const files = new Map<string, Uint8Array>();
  const put = (path: string, text: string) => {
    files.set(path, enc.encode(text));
    return sha256Hex(text);
  };
  const evSha = put(COMMIT_FILES.evidence, jsonl(evidence));
  const qSha = put(COMMIT_FILES.quarantine, jsonl(quarantine));
  const scSha = put(COMMIT_FILES.scored, jsonl(scored));
  const blank = 1;
  const byCategory = { accepted: 0, partially_accepted: 0, rejected: 0, needs_human_review: 0 };
  for (const s of scored) byCategory[s.category]++;
  const redactions: Record<string, number> = redacted > 0 ? { 'aws-access-key': redacted } : {};

  const common = {
    command: `git-distill run ${source}`,
    git_sha: source,
    tool_version: FIXTURE_TOOL_VERSION,
    config_sha256: FIXTURE_CONFIG_SHA,
    errors: [],
    warnings: [],
    duration_ms: 5,
    started_at: FIXTURE_COMMITTED_AT,
    ended_at: FIXTURE_COMMITTED_AT,
  };
  const collect = buildReceipt({
    ...common,
    stage: 'collect',
    input_files: [{ path: 'data/_kb/mode_experiments.jsonl', sha256: sha256Hex('input'), bytes: 100, lines: evidence.length + quarantine.length + blank }],
    output_files: [
      { path: COMMIT_FILES.evidence, sha256: evSha },
      { path: COMMIT_FILES.quarantine, sha256: qSha },
    ],
    record_counts: { in: evidence.length + quarantine.length + blank, out: evidence.length, quarantined: quarantine.length, blank, ...redactionCounts(redactions) },
    validation_pass: true,
    prev_receipt_sha256: null,
  });
  const evInput = { path: COMMIT_FILES.evidence, sha256: evSha, bytes: files.get(COMMIT_FILES.evidence)!.length, lines: evidence.length };
  const link = buildReceipt({
    ...common,
    stage: 'link',
    input_files: [evInput],
    output_files: [{ path: COMMIT_FILES.evidence, sha256: evSha }],
    record_counts: { in: evidence.length, out: evidence.length, runs: runs.length, ...Object.fromEntries(Object.keys(linksBy).sort().map((k) => [`runs_by:${k}`, linksBy[k]!])) },
    validation_pass: true,
    prev_receipt_sha256: receiptSha256(collect),
  });
  const score = buildReceipt({
    ...common,
    stage: 'score',
    input_files: [evInput],
    output_files: [{ path: COMMIT_FILES.scored, sha256: scSha }],
    record_counts: { in: evidence.length, out: scored.length, ...byCategory },
    validation_pass: true,
    prev_receipt_sha256: receiptSha256(link),
  });
  const collectSha = put(receiptFile('collect'), renderReceipt(collect));
  const linkSha = put(receiptFile('link'), renderReceipt(link));
  const scoreSha = put(receiptFile('score'), renderReceipt(score));

  const manifest = ManifestSchema.parse({
    schema_version: 1,
    source_oid: source,
    subject: spec.subject ?? 'Fix parser',
    committed_at: FIXTURE_COMMITTED_AT,
    tool_version: FIXTURE_TOOL_VERSION,
    config_sha256: FIXTURE_CONFIG_SHA,
    rules_sha256: FIXTURE_RULES_SHA,
    counts: {
      lines: evidence.length + quarantine.length + blank,
      evidence: evidence.length,
      quarantined: quarantine.length,
      blank,
      runs: scored.length,
      runs_by_category: byCategory,
      redacted,
    },
    redactions_by_rule: redactions,
    links_by: linksBy,
    formats: { 'lakehouse:mode_experiments': 1, 'lakehouse:observer_reviews': 1 },
    files: [
      { path: COMMIT_FILES.evidence, sha256: evSha },
      { path: COMMIT_FILES.quarantine, sha256: qSha },
      { path: receiptFile('collect'), sha256: collectSha },
      { path: receiptFile('link'), sha256: linkSha },
      { path: receiptFile('score'), sha256: scoreSha },
      { path: COMMIT_FILES.scored, sha256: scSha },
    ].sort((a, b) => (a.path < b.path ? -1 : 1)),
    stages: ['collect', 'link', 'score'],
  });
  put(COMMIT_FILES.manifest, canonicalJson(manifest) + '\n');
  return { files, manifest, evidence, scored, quarantine };
}
