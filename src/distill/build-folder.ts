// Pure: a commit folder's contents (evidence, quarantine, reads) ↔ its bytes on the distill branch, with scores, receipts and manifest.
import { canonicalJson, sha256Hex } from '../canonical.ts';
import { EvidenceRecordSchema, type EvidenceRecord } from '../../schemas/evidence-record.ts';
import { QuarantineEntrySchema, type QuarantineEntry } from '../../schemas/quarantine-entry.ts';
import { ScratchpadSummarySchema, type ScratchpadSummary } from '../../schemas/scratchpad-summary.ts';
import { ScoredRunSchema } from '../../schemas/scored-run.ts';
import { MANIFEST_SCHEMA_VERSION, ManifestSchema, type Manifest } from '../../schemas/manifest.ts';
import type { Receipt } from '../../schemas/receipt.ts';
import { DriftReportSchema, type DriftReport } from '../../schemas/drift-report.ts';
import { buildReceipt, receiptSha256, redactionCounts, renderReceipt } from '../receipts/receipt.ts';
import { scoreRuns } from '../score/score.ts';
import type { ScoringRule } from '../score/rules.ts';
import { COMMIT_FILES, receiptFile } from '../store/layout.ts';
import { compareEvidence } from './link.ts';
import { DistillError } from '../errors.ts';

export const STAGES = ['collect', 'link', 'score'] as const;
/** The stage after score when the folder holds a drift report. */
export const DRIFT_STAGE = 'drift';

/** One read of one source: `path` is `<source_file>#<start byte>-<end byte>`; sha256 and bytes cover that range. */
export type SourceRead = Receipt['input_files'][number];

/** What a folder holds, before rendering. Counts are those of the reads made while distilling this commit. */
export interface FolderContent {
  evidence: EvidenceRecord[];
  quarantine: QuarantineEntry[];
  reads: SourceRead[];
  /** Lines read, evidence produced by those reads (linked here or not), quarantined, blank. */
  read_counts: { lines: number; evidence: number; quarantined: number; blank: number };
  redactions_by_rule: Record<string, number>;
  formats: Record<string, number>;
  /** Summaries of scratchpad sources (format "scratchpad") that changed while distilling this commit; absent = none. */
  scratchpads?: ScratchpadSummary[];
  /** The commit's drift report with what it read (its requirement docs); absent = none (no docs at the commit). */
  drift?: FolderDrift;
}

/** A drift report as a folder stores it, with the docs it judged for the receipt. */
export interface FolderDrift {
  report: DriftReport;
  /** The requirement docs read: path (at the commit), sha256, bytes and lines of each. */
  inputs: Receipt['input_files'];
}

export interface FolderCommit {
  oid: string;
  subject: string;
  committed_at: string;
}

export interface FolderSetup {
  config_sha256: string;
  rules: readonly ScoringRule[];
  rules_sha256: string;
  scorer_version: string;
  tool_version: string;
}

export function emptyFolderContent(): FolderContent {
  return { evidence: [], quarantine: [], reads: [], read_counts: { lines: 0, evidence: 0, quarantined: 0, blank: 0 }, redactions_by_rule: {}, formats: {}, scratchpads: [] };
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
const encoder = new TextEncoder();
const decoder = new TextDecoder();

function quarantineKey(q: QuarantineEntry): string {
  return `${q.source_file}\0${q.line_offset}\0${q.byte_offset}\0${q.pointer ?? ''}\0${q.line_sha256}`;
}

function compareQuarantine(a: QuarantineEntry, b: QuarantineEntry): number {
  return cmp(a.source_file, b.source_file) || a.line_offset - b.line_offset || a.byte_offset - b.byte_offset || cmp(quarantineKey(a), quarantineKey(b));
}

const scratchpadKey = (s: ScratchpadSummary) => `${s.run_id}\0${s.source_scratchpad_hash}`;

function addInto(into: Record<string, number>, from: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = { ...into };
  for (const [k, v] of Object.entries(from)) out[k] = (out[k] ?? 0) + v;
  return sortKeys(out);
}

function sortKeys(r: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const k of Object.keys(r).sort(cmp)) out[k] = r[k]!;
  return out;
}

/**
 * `base` plus `add`: evidence and quarantine are sets (by evidence_id, by line), so merging the same
 * content twice changes nothing; reads and counts add up (a read is never merged twice: the write journal
 * makes each step happen once).
 */
export function mergeFolderContent(base: FolderContent, add: FolderContent): FolderContent {
  const evidence = new Map<string, EvidenceRecord>();
  for (const r of [...base.evidence, ...add.evidence]) if (!evidence.has(r.evidence_id)) evidence.set(r.evidence_id, r);
  const quarantine = new Map<string, QuarantineEntry>();
  for (const q of [...base.quarantine, ...add.quarantine]) if (!quarantine.has(quarantineKey(q))) quarantine.set(quarantineKey(q), q);
  return {
    evidence: [...evidence.values()].sort(compareEvidence),
    quarantine: [...quarantine.values()].sort(compareQuarantine),
    reads: [...base.reads, ...add.reads],
    read_counts: {
      lines: base.read_counts.lines + add.read_counts.lines,
      evidence: base.read_counts.evidence + add.read_counts.evidence,
      quarantined: base.read_counts.quarantined + add.read_counts.quarantined,
      blank: base.read_counts.blank + add.read_counts.blank,
    },
    redactions_by_rule: addInto(base.redactions_by_rule, add.redactions_by_rule),
    formats: addInto(base.formats, add.formats),
    scratchpads: [...new Map([...(base.scratchpads ?? []), ...(add.scratchpads ?? [])].map((s) => [scratchpadKey(s), s])).entries()]
      .sort(([a], [b]) => cmp(a, b))
      .map(([, s]) => s),
    // A drift report is a function of the commit's tree: the newer computation replaces the stored one.
    ...(add.drift !== undefined ? { drift: add.drift } : base.drift !== undefined ? { drift: base.drift } : {}),
  };
}

function jsonlLines(bytes: Uint8Array | undefined): unknown[] {
  if (bytes === undefined) return [];
  return decoder
    .decode(bytes)
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as unknown);
}

function jsonl(values: readonly unknown[]): string {
  return values.map((v) => canonicalJson(v) + '\n').join('');
}

/** Read a stored folder back into its content (the inverse of buildFolderFiles on what it keeps). */
export function parseFolderFiles(files: ReadonlyMap<string, Uint8Array>): FolderContent {
  const evidence = jsonlLines(files.get(COMMIT_FILES.evidence)).map((v) => EvidenceRecordSchema.parse(v));
  const quarantine = jsonlLines(files.get(COMMIT_FILES.quarantine)).map((v) => QuarantineEntrySchema.parse(v));
  const collectBytes = files.get(receiptFile('collect'));
  const manifestBytes = files.get(COMMIT_FILES.manifest);
  const content = emptyFolderContent();
  content.scratchpads = jsonlLines(files.get(COMMIT_FILES.scratchpads)).map((v) => ScratchpadSummarySchema.parse(v));
  content.evidence = evidence.sort(compareEvidence);
  content.quarantine = quarantine.sort(compareQuarantine);
  if (collectBytes !== undefined) {
    const collect = JSON.parse(decoder.decode(collectBytes)) as Receipt;
    const c = collect.record_counts;
    content.reads = collect.input_files;
    content.read_counts = { lines: c['in'] ?? 0, evidence: c['out'] ?? 0, quarantined: c['quarantined'] ?? 0, blank: c['blank'] ?? 0 };
  }
  if (manifestBytes !== undefined) {
    const manifest = JSON.parse(decoder.decode(manifestBytes)) as Manifest;
    content.redactions_by_rule = sortKeys(manifest.redactions_by_rule);
    content.formats = sortKeys(manifest.formats);
  }
  const driftBytes = files.get(COMMIT_FILES.drift);
  const driftReceipt = files.get(receiptFile(DRIFT_STAGE));
  if (driftBytes !== undefined) {
    const inputs = driftReceipt === undefined ? [] : (JSON.parse(decoder.decode(driftReceipt)) as Receipt).input_files;
    content.drift = { report: DriftReportSchema.parse(JSON.parse(decoder.decode(driftBytes))), inputs };
  }
  return content;
}

/**
 * Render a commit folder. Every receipt's started_at and ended_at are the commit's committer date and
 * duration_ms is 0: receipts are stored on the branch, and wall-clock timing would make two runs over
 * the same input differ by bytes (invariant 6). Timing belongs in the command's own output.
 */
export function buildFolderFiles(content: FolderContent, commit: FolderCommit, setup: FolderSetup): Map<string, Uint8Array> {
  const at = commit.committed_at;
  const command = `git-distill run ${commit.oid}`;
  const evidence = [...content.evidence].sort(compareEvidence);
  const quarantine = [...content.quarantine].sort(compareQuarantine);
  const scored = scoreRuns(evidence, { rules: setup.rules, scored_at: at, scorer_version: setup.scorer_version });
  const evidenceText = jsonl(evidence);
  const quarantineText = jsonl(quarantine);
  const scoredText = jsonl(scored);
  const evidenceSha = sha256Hex(evidenceText);
  const quarantineSha = sha256Hex(quarantineText);
  const scoredSha = sha256Hex(scoredText);
  const common = { command, git_sha: commit.oid, tool_version: setup.tool_version, config_sha256: setup.config_sha256, duration_ms: 0, started_at: at, ended_at: at };

  const rc = content.read_counts;
  const reconciled = rc.lines === rc.evidence + rc.quarantined + rc.blank;
  const evidenceValid = evidence.every((r) => EvidenceRecordSchema.safeParse(r).success);
  const quarantineValid = quarantine.every((q) => QuarantineEntrySchema.safeParse(q).success);
  const collect = buildReceipt({
    stage: 'collect',
    ...common,
    input_files: content.reads,
    output_files: [
      { path: COMMIT_FILES.evidence, sha256: evidenceSha },
      { path: COMMIT_FILES.quarantine, sha256: quarantineSha },
    ],
    record_counts: { in: rc.lines, out: rc.evidence, quarantined: rc.quarantined, blank: rc.blank, ...redactionCounts(content.redactions_by_rule) },
    validation_pass: reconciled && evidenceValid && quarantineValid,
    errors: [
      ...(reconciled ? [] : [`counts do not reconcile: ${rc.lines} lines ≠ ${rc.evidence} evidence + ${rc.quarantined} quarantined + ${rc.blank} blank`]),
      ...(evidenceValid ? [] : ['an evidence record failed EvidenceRecordSchema']),
      ...(quarantineValid ? [] : ['a quarantine entry failed QuarantineEntrySchema']),
    ],
    warnings: [],
    prev_receipt_sha256: null,
  });

  const runLinks = new Map<string, string>();
  let unlinked = 0;
  for (const r of evidence) {
    const link = r.links.find((l) => l.oid === commit.oid);
    if (link === undefined) unlinked++;
    else if (!runLinks.has(r.run_id)) runLinks.set(r.run_id, link.by);
  }
  const linksBy: Record<string, number> = {};
  for (const by of runLinks.values()) linksBy[by] = (linksBy[by] ?? 0) + 1;
  const link = buildReceipt({
    stage: 'link',
    ...common,
    input_files: [{ path: COMMIT_FILES.evidence, sha256: evidenceSha, bytes: encoder.encode(evidenceText).length, lines: evidence.length }],
    output_files: [{ path: COMMIT_FILES.evidence, sha256: evidenceSha }],
    record_counts: { in: evidence.length, out: evidence.length - unlinked, runs: runLinks.size, ...Object.fromEntries(Object.entries(sortKeys(linksBy)).map(([k, v]) => [`runs_by:${k}`, v])) },
    validation_pass: unlinked === 0,
    errors: unlinked === 0 ? [] : [`${unlinked} evidence record(s) carry no link to ${commit.oid}`],
    warnings: [],
    prev_receipt_sha256: receiptSha256(collect),
  });

  const byCategory = { accepted: 0, partially_accepted: 0, rejected: 0, needs_human_review: 0 };
  for (const s of scored) byCategory[s.category]++;
  const scoredValid = scored.every((s) => ScoredRunSchema.safeParse(s).success);
  const score = buildReceipt({
    stage: 'score',
    ...common,
    input_files: [{ path: COMMIT_FILES.evidence, sha256: evidenceSha, bytes: encoder.encode(evidenceText).length, lines: evidence.length }],
    output_files: [{ path: COMMIT_FILES.scored, sha256: scoredSha }],
    record_counts: { in: evidence.length, out: scored.length, ...byCategory },
    validation_pass: scoredValid,
    errors: scoredValid ? [] : ['a scored run failed ScoredRunSchema'],
    warnings: [`rules_sha256 ${setup.rules_sha256}`],
    prev_receipt_sha256: receiptSha256(link),
  });

  const files = new Map<string, string>([
    [COMMIT_FILES.evidence, evidenceText],
    [COMMIT_FILES.quarantine, quarantineText],
    [COMMIT_FILES.scored, scoredText],
    [receiptFile('collect'), renderReceipt(collect)],
    [receiptFile('link'), renderReceipt(link)],
    [receiptFile('score'), renderReceipt(score)],
  ]);
  // Only when there are some: folders without scratchpad sources keep their bytes.
  if ((content.scratchpads ?? []).length > 0) files.set(COMMIT_FILES.scratchpads, jsonl([...(content.scratchpads ?? [])].sort((a, b) => cmp(scratchpadKey(a), scratchpadKey(b)))));
  const stages: string[] = [...STAGES];
  if (content.drift !== undefined) {
    const { report, inputs } = content.drift;
    const driftText = canonicalJson(report) + '\n';
    const valid = DriftReportSchema.safeParse(report).success && report.commit_oid === commit.oid;
    const byRule = Object.entries(report.summary.by_rule).filter(([, n]) => n > 0);
    const drift = buildReceipt({
      stage: DRIFT_STAGE,
      ...common,
      input_files: inputs,
      output_files: [{ path: COMMIT_FILES.drift, sha256: sha256Hex(driftText) }],
      record_counts: { in: report.claim_count, out: report.findings.length, docs: report.docs.length, verified: report.summary.verified, phantom: report.summary.phantom, stale: report.summary.stale, ...Object.fromEntries(byRule.map(([k, v]) => [`rule:${k}`, v])) },
      validation_pass: valid,
      errors: valid ? [] : [`drift.json failed DriftReportSchema or names another commit than ${commit.oid}`],
      warnings: [],
      prev_receipt_sha256: receiptSha256(score),
    });
    files.set(COMMIT_FILES.drift, driftText);
    files.set(receiptFile(DRIFT_STAGE), renderReceipt(drift));
    stages.push(DRIFT_STAGE);
  }
  const redacted = Object.values(content.redactions_by_rule).reduce((a, n) => a + n, 0);
  const manifest: Manifest = ManifestSchema.parse({
    schema_version: MANIFEST_SCHEMA_VERSION,
    source_oid: commit.oid,
    subject: commit.subject,
    committed_at: at,
    tool_version: setup.tool_version,
    config_sha256: setup.config_sha256,
    rules_sha256: setup.rules_sha256,
    counts: {
      lines: rc.lines,
      evidence: evidence.length,
      quarantined: quarantine.length,
      blank: rc.blank,
      runs: scored.length,
      runs_by_category: byCategory,
      redacted,
    },
    redactions_by_rule: sortKeys(content.redactions_by_rule),
    links_by: sortKeys(linksBy),
    formats: sortKeys(content.formats),
    files: [...files.entries()].sort(([a], [b]) => cmp(a, b)).map(([path, text]) => ({ path, sha256: sha256Hex(text) })),
    stages,
  });
  files.set(COMMIT_FILES.manifest, canonicalJson(manifest) + '\n');
  return new Map([...files.entries()].sort(([a], [b]) => cmp(a, b)).map(([p, t]) => [p, encoder.encode(t)]));
}

/** The figures a command prints for one folder, read from its manifest bytes. */
export function folderSummary(files: ReadonlyMap<string, Uint8Array>): Manifest['counts'] & { links_by: Record<string, number> } {
  const bytes = files.get(COMMIT_FILES.manifest);
  if (bytes === undefined) throw new DistillError('E_STORE_CORRUPT', 'a commit folder has no manifest.json', { hint: 'git distill verify --all' });
  const m = ManifestSchema.parse(JSON.parse(decoder.decode(bytes)));
  return { ...m.counts, links_by: m.links_by };
}
