// The drift stage's surface: read a commit's docs and what they name through git and the distill branch, run the pure check, build the report.
import type { DistillConfig } from '../../schemas/config.ts';
import type { EvidenceRecord } from '../../schemas/evidence-record.ts';
import type { Finding } from '../../schemas/finding.ts';
import type { DriftReport } from '../../schemas/drift-report.ts';
import { buildDriftReport, runPrdDrift, type PrdDriftSnapshot, type PriorSignal } from '../../checks/prd-drift.ts';
import { sha256Hex } from '../canonical.ts';
import { DRIFT_STAGE } from '../distill/build-folder.ts';
import type { Git } from '../io/git.ts';
import type { DistillStore } from '../store/store.ts';
import { COMMIT_FILES, commitDir } from '../store/layout.ts';
import type { FolderDrift } from '../distill/build-folder.ts';
import { priorSignalOf, readDriftSnapshot, readSymbolHits, readTraces, selectDocs } from './read-snapshot.ts';
import { parseRequirementDoc } from './parse-requirements.ts';
import { DriftReportSchema } from '../../schemas/drift-report.ts';
import { ManifestSchema } from '../../schemas/manifest.ts';
import type { Receipt } from '../../schemas/receipt.ts';
import { canonicalJson } from '../canonical.ts';
import { receiptFile } from '../store/layout.ts';

const decoder = new TextDecoder();
// Stored evidence is canonical JSON: a record of this kind always carries exactly this text, so other lines are never parsed.
const DRIFT_SIGNAL_TEXT = '"kind":"drift_signal"';

type SignalRecord = Parameters<typeof priorSignalOf>[0];

/**
 * The auditor loop's drift signals stored under `commit` and its nearest `depth` ancestors on the distill branch.
 * `own`: the commit's evidence as it is about to be stored (the pipeline passes it before writing); else its stored folder.
 */
export async function readPriorSignals(git: Git, store: DistillStore, commit: string, depth: number, own?: readonly SignalRecord[]): Promise<PriorSignal[]> {
  const out: PriorSignal[] = [];
  if (own !== undefined) for (const r of own) push(out, priorSignalOf(r, commit));
  if (depth === 0) return out;
  const stored = new Set(await store.listSources());
  const ancestors: string[] = [];
  for await (const oid of git.records(['rev-list', `--max-count=${depth}`, commit], 10)) {
    if (own !== undefined && oid === commit) continue;
    if (stored.has(oid)) ancestors.push(oid);
  }
  const paths = ancestors.map((oid) => `${commitDir(oid)}/${COMMIT_FILES.evidence}`);
  let i = 0;
  for await (const [, bytes] of store.readPaths(paths)) {
    const oid = ancestors[i++] as string;
    if (bytes === null) continue;
    for (const line of decoder.decode(bytes).split('\n')) {
      if (!line.includes(DRIFT_SIGNAL_TEXT)) continue;
      push(out, priorSignalOf(JSON.parse(line) as SignalRecord, oid));
    }
  }
  return out.sort((a, b) => (a.run_id < b.run_id ? -1 : a.run_id > b.run_id ? 1 : a.source_oid < b.source_oid ? -1 : 1));
}

function push(out: PriorSignal[], s: PriorSignal | null): void {
  if (s !== null && !out.some((x) => x.run_id === s.run_id)) out.push(s);
}

export interface DriftResult {
  snapshot: PrdDriftSnapshot;
  findings: Finding[];
  report: DriftReport;
  /** What a commit folder stores: the standalone report (no base) and the docs it read. */
  folder: FolderDrift;
}

export interface ComputeDriftInput {
  git: Git;
  store: DistillStore;
  config: DistillConfig;
  /** Full oid. */
  commit: string;
  /** The commit's evidence when the caller holds it (the pipeline); else read from its stored folder. */
  own_evidence?: readonly EvidenceRecord[];
}

/** prd_drift at one commit, or null when its tree holds none of the configured requirement docs. */
export async function computeDrift(input: ComputeDriftInput): Promise<DriftResult | null> {
  const { git, store, config, commit } = input;
  const snapshot = await readDriftSnapshot({
    git,
    commit,
    config: config.drift,
    readPriorSignals: () => readPriorSignals(git, store, commit, config.drift.signal_depth, input.own_evidence),
  });
  if (snapshot === null) return null;
  const findings = runPrdDrift(snapshot);
  const report = buildDriftReport(snapshot, findings, null);
  const inputs = snapshot.docs.map((d) => ({
    path: d.path,
    sha256: sha256Hex(d.text),
    bytes: new TextEncoder().encode(d.text).length,
    lines: d.text === '' ? 0 : d.text.split('\n').length - (d.text.endsWith('\n') ? 1 : 0),
  }));
  return { snapshot, findings, report, folder: { report, inputs } };
}

export interface StepDriftInput extends ComputeDriftInput {
  own_evidence: readonly EvidenceRecord[];
  tool_version: string;
}

/**
 * The drift a distill step stores for a commit: its parent's stored report when the commit cannot have changed it,
 * else computed. A report is a function of the docs, the tree's paths, where the symbols the docs name and the
 * trace tags occur, deletions, stamps and the auditor loop's signals; findings never name the commit. So a commit
 * that only modifies files, none of them a doc, with no verified stamp in the docs, no earlier signal in the parent's
 * report and none of its own, and the same symbol and tag occurrences in the modified files before and after, has
 * its parent's report. Checking that costs a diff-tree and two greps of the modified files instead of two greps of
 * the whole tree.
 */
export async function computeStepDrift(input: StepDriftInput): Promise<FolderDrift | null> {
  return (await reuseParentDrift(input)) ?? (await computeDrift(input))?.folder ?? null;
}

const SIGNAL_LOOKUP = /^(?:phase_sweep_findings|doc_drift_corrections) /;

async function reuseParentDrift(input: StepDriftInput): Promise<FolderDrift | null> {
  const { git, store, config, commit } = input;
  if (input.own_evidence.some((r) => r.kind === 'drift_signal')) return null;
  const parents = (await git.run(['rev-list', '--parents', '-n', '1', commit])).stdoutText.trim().split(' ').slice(1);
  if (parents.length !== 1) return null;
  const parent = parents[0] as string;
  const dir = commitDir(parent);
  const [driftBytes, manifestBytes, receiptBytes] = await Promise.all([
    store.readPath(`${dir}/${COMMIT_FILES.drift}`),
    store.readPath(`${dir}/${COMMIT_FILES.manifest}`),
    store.readPath(`${dir}/${receiptFile(DRIFT_STAGE)}`),
  ]);
  if (driftBytes === null || manifestBytes === null || receiptBytes === null) return null;
  const manifest = ManifestSchema.safeParse(JSON.parse(decoder.decode(manifestBytes)));
  if (!manifest.success || manifest.data.tool_version !== input.tool_version || manifest.data.config_sha256 !== sha256Hex(canonicalJson(config))) return null;
  const parsed = DriftReportSchema.safeParse(JSON.parse(decoder.decode(driftBytes)));
  if (!parsed.success) return null;
  const report = parsed.data;
  if (report.findings.some((f) => f.evidence.some((e) => SIGNAL_LOOKUP.test(e.lookup)))) return null;
  const entries = (await git.run(['diff-tree', '-r', '-z', '--no-renames', '--name-status', parent, commit])).stdoutText.split('\0');
  const changed: string[] = [];
  for (let i = 0; i + 1 < entries.length; i += 2) {
    if (entries[i] !== 'M') return null;
    changed.push(entries[i + 1] as string);
  }
  if (selectDocs(changed, config.drift.docs).length > 0) return null;
  if (changed.length > 0) {
    const cat = git.catFileBatch();
    const texts: string[] = [];
    try {
      for (const d of report.docs) {
        const obj = await cat.read(d.blob_oid);
        if (obj === null) return null;
        texts.push(decoder.decode(obj.content));
      }
    } finally {
      await cat.close();
    }
    // A verified stamp's finding depends on what changed since it: such a commit is always computed.
    if (texts.some((t) => /<!--\s*verified/i.test(t))) return null;
    const symbols = new Set<string>();
    report.docs.forEach((d, i) => {
      for (const c of parseRequirementDoc(d.path, texts[i] as string, { id_patterns: config.drift.id_patterns }).claims) for (const r of c.refs) if (r.kind === 'symbol') symbols.add(r.target);
    });
    const sorted = [...symbols].sort();
    const [hitsBefore, hitsAfter, tracesBefore, tracesAfter] = await Promise.all([
      readSymbolHits(git, parent, sorted, config.drift.docs, changed),
      readSymbolHits(git, commit, sorted, config.drift.docs, changed),
      readTraces(git, parent, config.drift.trace_tags, config.drift.docs, changed),
      readTraces(git, commit, config.drift.trace_tags, config.drift.docs, changed),
    ]);
    if (canonicalJson(hitsBefore) !== canonicalJson(hitsAfter) || canonicalJson(tracesBefore) !== canonicalJson(tracesAfter)) return null;
  }
  const receipt = JSON.parse(decoder.decode(receiptBytes)) as Receipt;
  const reused = { ...report, commit_oid: commit };
  return { report: reused, inputs: receipt.input_files };
}
