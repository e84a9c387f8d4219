// The export as bytes: candidate rows → validated (fail-closed) → deduplicated → split → JSONL, receipts, dataset card; pure.
import { canonicalJson, sha256Hex } from '../canonical.ts';
import type { TextRedactor } from '../collect/finalize.ts';
import { buildReceipt, receiptSha256, redactionCounts, renderReceipt } from '../receipts/receipt.ts';
import type { ExportConfig } from '../../schemas/config.ts';
import type { Playbook } from '../../schemas/playbook.ts';
import type { Receipt } from '../../schemas/receipt.ts';
import type { ScoreCategory } from '../../schemas/scored-run.ts';
import {
  buildKtoCandidates,
  buildPreferenceCandidates,
  buildRagCandidates,
  buildRagEvalCandidates,
  buildSftCandidates,
  type Candidate,
  type ExportFormat,
  type ExportRun,
  type Skip,
} from './build-rows.ts';
import { assignSplit, dedupRows, SPLIT_NAMES, type SplitName } from './curate.ts';
import { renderDatasetCard } from './render-card.ts';
import { validateRow } from './validate.ts';

export const EXPORT_KINDS = ['rag', 'sft', 'preference', 'kto'] as const;
export type ExportKind = (typeof EXPORT_KINDS)[number];

export const CATEGORIES: readonly ScoreCategory[] = ['accepted', 'partially_accepted', 'rejected', 'needs_human_review'];

export interface ExportPlan {
  kinds: readonly ExportKind[];
  format: ExportFormat;
  config: ExportConfig;
  redact: TextRedactor;
  /** The command line, for the receipts. */
  command: string;
  tool_version: string;
  config_sha256: string;
  /** HEAD when the export ran: its oid goes into every receipt, its committer date stands for the clock. */
  head: { oid: string; committed_at: string };
  /** `--since <rev>`: the commit it named, or null for all of HEAD's history. */
  since: { rev: string; oid: string } | null;
  /** Distilled source commits read. */
  commits: number;
  /** The stored files read (`commits/<xx>/<oid>/{evidence,scored}.jsonl`), for the receipts. */
  input_files: Receipt['input_files'];
}

/** One output dataset (a Hugging Face config): where its rows go and how they are split. */
export interface DatasetSummary {
  kind: ExportKind;
  config_name: string;
  /** Folder and file stem: `<dir>/<stem>.jsonl` is train, `<dir>/<stem>.<split>.jsonl` the others. */
  dir: string;
  stem: string;
  format: string;
  /** Rows per split, only splits with rows have files. */
  splits: Record<SplitName, number>;
  files: string[];
  rows: number;
}

export interface KindSummary {
  kind: ExportKind;
  datasets: DatasetSummary[];
  candidates: number;
  refused: number;
  exact_duplicates: number;
  near_duplicates: number;
  skipped: number;
  /** Skips by reason code (`SkipCode`), in code order. */
  skipped_by_code: Record<string, number>;
  /** Runs whose content reached a written row, by category (the no-leak proof for SFT). */
  runs_by_category: Record<ScoreCategory, number>;
  /** KTO: desirable (true) and undesirable (false) rows written. */
  labels: { true: number; false: number } | null;
  receipt_path: string;
}

export interface Refusal {
  kind: ExportKind;
  format: string;
  id: string | null;
  run_ids: string[];
  reason: string;
}

export interface BuiltExport {
  /** Export-relative path → file text. */
  files: Map<string, string>;
  kinds: KindSummary[];
  refusals: Refusal[];
}

const splitFile = (dir: string, stem: string, split: SplitName, suffix = ''): string =>
  split === 'train' ? `${dir}/${stem}${suffix}.jsonl` : `${dir}/${stem}.${split}${suffix}.jsonl`;

interface DatasetSpec {
  config_name: string;
  dir: string;
  stem: string;
  /** A fixed split for every row (the RAG corpus is not split), or null to split by task group. */
  fixed_split: SplitName | null;
  candidates: Candidate[];
}

interface WrittenDataset {
  summary: DatasetSummary;
  files: Array<[string, string]>;
  rows: Candidate[];
  refusals: Refusal[];
  exact: number;
  near: number;
  /** Lines whose written bytes did not pass their validator again. */
  errors: string[];
}

function writeDataset(kind: ExportKind, spec: DatasetSpec, config: ExportConfig): WrittenDataset {
  const refusals: Refusal[] = [];
  const valid: Candidate[] = [];
  for (const c of spec.candidates) {
    const verdict = validateRow(c.format, c.row, c.sidecar === null ? null : { ...c.sidecar, line: 1 });
    if (verdict === null) valid.push(c);
    else refusals.push({ kind, format: c.format, id: c.id, run_ids: c.runs.map((r) => r.run_id), reason: verdict });
  }
  const dedup = dedupRows(valid, config.near_dup, config.seed);
  const bySplit = new Map<SplitName, Candidate[]>(SPLIT_NAMES.map((s) => [s, []]));
  for (const c of dedup.kept) bySplit.get(spec.fixed_split ?? assignSplit(c.group, config.seed, config.splits))!.push(c);
  const files: Array<[string, string]> = [];
  const errors: string[] = [];
  const splits = { train: 0, validation: 0, test: 0 };
  const format = spec.candidates[0]?.format ?? '';
  for (const split of SPLIT_NAMES) {
    const rows = bySplit.get(split)!.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    splits[split] = rows.length;
    if (rows.length === 0) continue;
    const lines = rows.map((c) => canonicalJson(c.row) + '\n');
    const sidecars = rows.some((c) => c.sidecar !== null) ? rows.map((c, i) => canonicalJson({ ...c.sidecar, line: i + 1 }) + '\n') : null;
    // Fail-closed twice: what was written is parsed back and validated again, line against sidecar line.
    lines.forEach((line, i) => {
      const verdict = validateRow(rows[i]!.format, JSON.parse(line), sidecars === null ? null : JSON.parse(sidecars[i]!));
      if (verdict !== null) errors.push(`${splitFile(spec.dir, spec.stem, split)}:${i + 1}: ${verdict}`);
    });
    files.push([splitFile(spec.dir, spec.stem, split), lines.join('')]);
    if (sidecars !== null) files.push([splitFile(spec.dir, spec.stem, split, '.provenance'), sidecars.join('')]);
  }
  return {
    summary: {
      kind,
      config_name: spec.config_name,
      dir: spec.dir,
      stem: spec.stem,
      format,
      splits,
      files: files.map(([p]) => p),
      rows: dedup.kept.length,
    },
    files,
    rows: dedup.kept,
    refusals,
    exact: dedup.exact_duplicates,
    near: dedup.near_duplicates,
    errors,
  };
}

function datasetSpecs(kind: ExportKind, runs: readonly ExportRun[], playbooks: readonly Playbook[], plan: ExportPlan, counts: Map<string, number>): { specs: DatasetSpec[]; skips: Skip[] } {
  switch (kind) {
    case 'sft': {
      const r = buildSftCandidates(runs, plan.format, plan.redact, counts);
      return { specs: [{ config_name: 'sft', dir: 'sft', stem: 'instruction_response', fixed_split: null, candidates: r.candidates }], skips: r.skips };
    }
    case 'preference': {
      const r = buildPreferenceCandidates(runs, plan.format, plan.redact, counts);
      return { specs: [{ config_name: 'preference', dir: 'preference', stem: 'dpo', fixed_split: null, candidates: r.candidates }], skips: r.skips };
    }
    case 'kto': {
      const r = buildKtoCandidates(runs, plan.redact, counts);
      return { specs: [{ config_name: 'kto', dir: 'kto', stem: 'kto', fixed_split: null, candidates: r.candidates }], skips: r.skips };
    }
    case 'rag': {
      const chunks = buildRagCandidates(runs, playbooks, plan.config.rag_chunk_chars, plan.redact, counts);
      const evalSet = buildRagEvalCandidates(runs, chunks.candidates, plan.redact, counts);
      return {
        specs: [
          { config_name: 'rag_chunks', dir: 'rag', stem: 'chunks', fixed_split: 'train', candidates: chunks.candidates },
          { config_name: 'rag_eval', dir: 'rag', stem: 'eval', fixed_split: 'test', candidates: evalSet.candidates },
        ],
        skips: [...chunks.skips, ...evalSet.skips],
      };
    }
  }
}

/** Build every requested kind over the runs and playbooks; the same input always gives the same bytes. */
export function buildExport(runsIn: readonly ExportRun[], playbooks: readonly Playbook[], plan: ExportPlan): BuiltExport {
  // Input order must not matter: runs are visited by run_id.
  const runs = [...runsIn].sort((a, b) => (a.run.run_id < b.run.run_id ? -1 : a.run.run_id > b.run.run_id ? 1 : 0));
  const files = new Map<string, string>();
  const kinds: KindSummary[] = [];
  const refusals: Refusal[] = [];
  let prev: string | null = null;
  const ordered = EXPORT_KINDS.filter((k) => plan.kinds.includes(k));
  for (const kind of ordered) {
    const counts = new Map<string, number>();
    const { specs, skips } = datasetSpecs(kind, runs, playbooks, plan, counts);
    const written = specs.map((s) => writeDataset(kind, s, plan.config));
    const drawn = new Map<string, ScoreCategory>();
    for (const w of written) for (const c of w.rows) for (const r of c.runs) drawn.set(r.run_id, r.category);
    const runsByCategory = Object.fromEntries(CATEGORIES.map((c) => [c, 0])) as Record<ScoreCategory, number>;
    for (const category of drawn.values()) runsByCategory[category]++;
    const labels =
      kind === 'kto'
        ? { true: written.flatMap((w) => w.rows).filter((c) => (c.row as { label: boolean }).label).length, false: written.flatMap((w) => w.rows).filter((c) => !(c.row as { label: boolean }).label).length }
        : null;
    for (const w of written) for (const [p, text] of w.files) files.set(p, text);
    const kindRefusals = written.flatMap((w) => w.refusals);
    refusals.push(...kindRefusals);
    const rows = written.reduce((n, w) => n + w.summary.rows, 0);
    const candidates = specs.reduce((n, s) => n + s.candidates.length, 0);
    const exact = written.reduce((n, w) => n + w.exact, 0);
    const near = written.reduce((n, w) => n + w.near, 0);
    const splitCounts: Record<string, number> = {};
    for (const w of written) for (const s of SPLIT_NAMES) splitCounts[`split:${s}`] = (splitCounts[`split:${s}`] ?? 0) + w.summary.splits[s];
    const byRule = Object.fromEntries([...counts.entries()].sort(([a], [b]) => (a < b ? -1 : 1)));
    const errors = written.flatMap((w) => w.errors);
    const warnings = skips.map((s) => `skipped ${s.run_id}: ${s.code}: ${s.reason}`).sort();
    const skippedBy = new Map<string, number>();
    for (const s of skips) skippedBy.set(s.code, (skippedBy.get(s.code) ?? 0) + 1);
    const skipped = Object.fromEntries([...skippedBy].sort(([a], [b]) => (a < b ? -1 : 1)));
    if (labels !== null && labels.false > 0) {
      const ratio = labels.true / labels.false;
      // TRL's KTO guide: desirable_weight·n_desirable / (undesirable_weight·n_undesirable) should sit in [1, 4/3].
      if (ratio < 1 || ratio > 4 / 3) warnings.push(`desirable:undesirable is ${labels.true}:${labels.false} (${ratio.toFixed(3)}); TRL suggests weighting so the ratio sits in [1, 1.333]`);
    }
    const receipt = buildReceipt({
      stage: `export-${kind}`,
      command: plan.command,
      git_sha: plan.head.oid,
      tool_version: plan.tool_version,
      config_sha256: plan.config_sha256,
      input_files: plan.input_files,
      output_files: written.flatMap((w) => w.files.map(([path, text]) => ({ path, sha256: sha256Hex(text) }))),
      record_counts: {
        in: runs.length,
        candidates,
        out: rows,
        refused: kindRefusals.length,
        'duplicates:exact': exact,
        'duplicates:near': near,
        skipped: skips.length,
        ...Object.fromEntries(Object.entries(skipped).map(([code, n]) => [`skipped:${code}`, n])),
        ...Object.fromEntries(CATEGORIES.map((c) => [`runs:${c}`, runsByCategory[c]])),
        ...splitCounts,
        ...(labels === null ? {} : { 'label:true': labels.true, 'label:false': labels.false }),
        ...redactionCounts(byRule),
      },
      validation_pass: errors.length === 0,
      errors,
      warnings,
      duration_ms: 0,
      started_at: plan.head.committed_at,
      ended_at: plan.head.committed_at,
      prev_receipt_sha256: prev,
    });
    const receiptPath = `receipts/${kind}.json`;
    files.set(receiptPath, renderReceipt(receipt));
    prev = receiptSha256(receipt);
    kinds.push({
      kind,
      datasets: written.map((w) => w.summary),
      candidates,
      refused: kindRefusals.length,
      exact_duplicates: exact,
      near_duplicates: near,
      skipped: skips.length,
      skipped_by_code: skipped,
      runs_by_category: runsByCategory,
      labels,
      receipt_path: receiptPath,
    });
  }
  files.set('refused.jsonl', refusals.map((r) => canonicalJson(r) + '\n').join(''));
  files.set('README.md', renderDatasetCard({ plan, kinds, refused: refusals.length }));
  return { files: new Map([...files.entries()].sort(([a], [b]) => (a < b ? -1 : 1))), kinds, refusals };
}
