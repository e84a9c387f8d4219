// The drift stage's surface: read a commit's docs and what they name through git and the distill branch, run the pure check, build the report.
import type { DistillConfig } from '../../schemas/config.ts';
import type { EvidenceRecord } from '../../schemas/evidence-record.ts';
import type { Finding } from '../../schemas/finding.ts';
import type { DriftReport } from '../../schemas/drift-report.ts';
import { buildDriftReport, runPrdDrift, type PrdDriftSnapshot, type PriorSignal } from '../../checks/prd-drift.ts';
import { sha256Hex } from '../canonical.ts';
import type { Git } from '../io/git.ts';
import type { DistillStore } from '../store/store.ts';
import { COMMIT_FILES, commitDir } from '../store/layout.ts';
import type { FolderDrift } from '../distill/build-folder.ts';
import { priorSignalOf, readDriftSnapshot } from './read-snapshot.ts';

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
