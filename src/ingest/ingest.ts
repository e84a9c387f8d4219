// The ingest pipeline: collect (read, map, redact, validate) → group by run → score, with optional outputs and receipts.
import { join } from 'node:path';
import { canonicalJson, sha256Hex } from '../canonical.ts';
import type { DistillConfig } from '../../schemas/config.ts';
import type { EvidenceRecord } from '../../schemas/evidence-record.ts';
import type { ScoredRun } from '../../schemas/scored-run.ts';
import type { Receipt } from '../../schemas/receipt.ts';
import type { Adapter } from '../collect/adapter.ts';
import { collectSource, type CollectIo, type CollectSource, type SourceSummary } from '../collect/collect.ts';
import type { TextRedactor } from '../collect/finalize.ts';
import { isScoredRun } from './is-scored-run.ts';
import { buildReceipt, receiptSha256, redactionCounts, renderReceipt } from '../receipts/receipt.ts';
import { scoreRuns } from '../score/score.ts';
import type { ScoringRule } from '../score/rules.ts';
import { RunSpool, type SpoolCodec } from '../io/run-spool.ts';
import { decodeScoreView, encodeScoreView, scoreView } from './score-view.ts';
import { digestFile, openHashedWriter, writeFileHashed, type HashedWriter } from '../io/fs.ts';

export { scoreView } from './score-view.ts';

/** The run spool writes score views in their compact positional form (score-view.ts). */
export const SCORE_VIEW_CODEC: SpoolCodec<EvidenceRecord> = { encode: encodeScoreView, decode: (run_id, a) => decodeScoreView(run_id, a as unknown[]) };

export const CATEGORIES = ['accepted', 'partially_accepted', 'rejected', 'needs_human_review'] as const;

/** What both ingest paths take; the parallel path's workers rebuild adapters, reader and redactor from `config`. */
export interface IngestRequestBase {
  sources: CollectSource[];
  config: DistillConfig;
  rules: ScoringRule[];
  rules_sha256: string;
  scorer_version: string;
  /** Injected: provenance.recorded_at and scored_at (the source commit's date in hooks). */
  recorded_at: string;
  /** Write evidence.jsonl, scored.jsonl, quarantine.jsonl and receipts/ here; null = write nothing. */
  out_dir: string | null;
  /** For receipts. */
  command: string;
  git_sha: string | null;
  tool_version: string;
  /** Injected clock for receipt timing only; never reaches a record. */
  now: () => Date;
  /** Spill run groups to disk above this many records (bounded memory). */
  spool_records?: number;
  onSource?: (summary: SourceSummary) => void;
}

export interface IngestRequest extends IngestRequestBase {
  adapters: readonly Adapter[];
  redact: TextRedactor;
}

export interface IngestSummary {
  lines: number;
  evidence: number;
  quarantined: number;
  blank: number;
  runs: number;
  runs_by_category: Record<(typeof CATEGORIES)[number], number>;
  redactions_by_rule: Record<string, number>;
  /** Adapter id → number of files read with it. */
  formats: Record<string, number>;
  quarantined_by_reason: Record<string, number>;
  sources: SourceSummary[];
  /** Files no adapter read, each with why and what to do. */
  skipped: Array<{ source_file: string; reason: string; hint: string }>;
  out_dir: string | null;
  receipts: Receipt[];
}

export function addCounts(into: Record<string, number>, from: Record<string, number>): void {
  for (const [k, v] of Object.entries(from)) into[k] = (into[k] ?? 0) + v;
}

function sorted(record: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const k of Object.keys(record).sort()) out[k] = record[k]!;
  return out;
}

/** A summary with nothing counted yet. */
export function emptyIngestSummary(out_dir: string | null): IngestSummary {
  return {
    lines: 0,
    evidence: 0,
    quarantined: 0,
    blank: 0,
    runs: 0,
    runs_by_category: { accepted: 0, partially_accepted: 0, rejected: 0, needs_human_review: 0 },
    redactions_by_rule: {},
    formats: {},
    quarantined_by_reason: {},
    sources: [],
    skipped: [],
    out_dir,
    receipts: [],
  };
}

/** What to do about a file that was not read. */
export const SKIPPED_HINT = 'git distill ingest --list-formats names the formats read; --format <id> reads the file as one of them';

/** Add one source's counts to the ingest summary; false when the source was skipped (and so not read). */
export function addSourceSummary(summary: IngestSummary, s: SourceSummary): boolean {
  summary.sources.push(s);
  if (s.skipped !== null) {
    summary.skipped.push({ source_file: s.source_file, reason: s.skipped, hint: SKIPPED_HINT });
    return false;
  }
  summary.lines += s.lines;
  summary.evidence += s.evidence;
  summary.quarantined += s.quarantined;
  summary.blank += s.blank;
  addCounts(summary.redactions_by_rule, s.redactions);
  addCounts(summary.quarantined_by_reason, s.quarantined_by_reason);
  if (s.format !== null) summary.formats[s.format] = (summary.formats[s.format] ?? 0) + 1;
  return true;
}

/** Once every source is in: the per-rule and per-reason counts in key order, so the output never depends on input order. */
export function sortSummaryCounts(summary: IngestSummary): void {
  summary.redactions_by_rule = sorted(summary.redactions_by_rule);
  summary.quarantined_by_reason = sorted(summary.quarantined_by_reason);
}

export type WrittenFile = { sha256: string; bytes: number; lines: number };

export interface ReceiptInput {
  started: Date;
  input_files: Receipt['input_files'];
  evidence: WrittenFile;
  quarantine: WrittenFile;
  scored: WrittenFile;
  scored_valid: boolean;
}

/** Build and write receipts/collect.json and receipts/score.json, and put them in the summary. */
export async function writeIngestReceipts(req: IngestRequestBase, out: string, summary: IngestSummary, r: ReceiptInput): Promise<void> {
  const config_sha256 = sha256Hex(canonicalJson(req.config));
  const ev = r.evidence;
  const sc = r.scored;
  const reconciled = summary.lines === summary.evidence + summary.quarantined + summary.blank;
  const collectEnded = req.now();
  const collect = buildReceipt({
    stage: 'collect',
    command: req.command,
    git_sha: req.git_sha,
    tool_version: req.tool_version,
    config_sha256,
    input_files: r.input_files,
    output_files: [
      { path: 'evidence.jsonl', sha256: ev.sha256 },
      { path: 'quarantine.jsonl', sha256: r.quarantine.sha256 },
    ],
    record_counts: {
      in: summary.lines,
      out: summary.evidence,
      quarantined: summary.quarantined,
      blank: summary.blank,
      ...redactionCounts(summary.redactions_by_rule),
    },
    validation_pass: reconciled && ev.lines === summary.evidence,
    errors: reconciled ? [] : [`counts do not reconcile: ${summary.lines} lines ≠ evidence + quarantined + blank`],
    warnings: summary.skipped.map((s) => `skipped ${s.source_file}: ${s.reason}`),
    duration_ms: Math.max(0, collectEnded.getTime() - r.started.getTime()),
    started_at: r.started.toISOString(),
    ended_at: collectEnded.toISOString(),
    prev_receipt_sha256: null,
  });
  const scoreEnded = req.now();
  const score = buildReceipt({
    stage: 'score',
    command: req.command,
    git_sha: req.git_sha,
    tool_version: req.tool_version,
    config_sha256,
    input_files: [{ path: 'evidence.jsonl', sha256: ev.sha256, bytes: ev.bytes, lines: ev.lines }],
    output_files: [{ path: 'scored.jsonl', sha256: sc.sha256 }],
    record_counts: { in: summary.evidence, out: summary.runs, ...summary.runs_by_category },
    validation_pass: r.scored_valid && sc.lines === summary.runs,
    errors: r.scored_valid ? [] : ['a scored run failed ScoredRunSchema'],
    warnings: [`rules_sha256 ${req.rules_sha256}`],
    duration_ms: Math.max(0, scoreEnded.getTime() - collectEnded.getTime()),
    started_at: collectEnded.toISOString(),
    ended_at: scoreEnded.toISOString(),
    prev_receipt_sha256: receiptSha256(collect),
  });
  await writeFileHashed(join(out, 'receipts', 'collect.json'), renderReceipt(collect));
  await writeFileHashed(join(out, 'receipts', 'score.json'), renderReceipt(score));
  summary.receipts = [collect, score];
}

/** The sequential path (`--jobs 1`), and the reference the parallel path (parallel.ts) must match byte for byte. */
export async function runIngest(io: CollectIo, req: IngestRequest): Promise<IngestSummary> {
  const started = req.now();
  const out = req.out_dir;
  const evidenceOut: HashedWriter | null = out === null ? null : openHashedWriter(join(out, 'evidence.jsonl'));
  const quarantineOut: HashedWriter | null = out === null ? null : openHashedWriter(join(out, 'quarantine.jsonl'));
  const spool = new RunSpool<EvidenceRecord>({ memoryRecords: req.spool_records ?? 10_000, codec: SCORE_VIEW_CODEC });
  const summary = emptyIngestSummary(out);

  try {
    const sink = {
      evidence(record: EvidenceRecord) {
        evidenceOut?.write(canonicalJson(record));
        spool.add(record.run_id, scoreView(record));
      },
      quarantine(entry: Parameters<typeof canonicalJson>[0]) {
        quarantineOut?.write(canonicalJson(entry));
      },
    };
    const inputFiles: Receipt['input_files'] = [];
    for (const source of req.sources) {
      const s = await collectSource(io, source, { adapters: req.adapters, recorded_at: req.recorded_at, ingest: req.config.ingest, redact: req.redact }, sink);
      const read = addSourceSummary(summary, s);
      req.onSource?.(s);
      if (read && out !== null) {
        const d = await digestFile(source.path);
        inputFiles.push({ path: source.display_path, sha256: d.sha256, bytes: d.bytes, lines: d.lines });
      }
    }
    sortSummaryCounts(summary);

    const scoredOut: HashedWriter | null = out === null ? null : openHashedWriter(join(out, 'scored.jsonl'));
    let scoredValid = true;
    for (const group of spool.groups()) {
      const [scored] = scoreRuns(group.records, { rules: req.rules, scored_at: req.recorded_at, scorer_version: req.scorer_version });
      if (scored === undefined) continue;
      if (!isScoredRun(scored)) scoredValid = false;
      summary.runs++;
      summary.runs_by_category[scored.category]++;
      scoredOut?.write(canonicalJson(scored satisfies ScoredRun));
    }

    if (out !== null && evidenceOut !== null && quarantineOut !== null && scoredOut !== null) {
      await writeIngestReceipts(req, out, summary, {
        started,
        input_files: inputFiles,
        evidence: await evidenceOut.close(),
        quarantine: await quarantineOut.close(),
        scored: await scoredOut.close(),
        scored_valid: scoredValid,
      });
    }
    return summary;
  } finally {
    spool.dispose();
  }
}
