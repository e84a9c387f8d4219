// Derived files (playbooks/, ledger/models.jsonl): a pure function of the commit folders at one distill head plus the approvals log.
import { canonicalJson, sha256Hex } from '../canonical.ts';
import { PlaybookApprovalSchema, type PlaybookApproval } from '../../schemas/approval.ts';
import type { DistillConfig } from '../../schemas/config.ts';
import type { DistillStore } from '../store/store.ts';
import { COMMIT_FILES, COMMITS_DIR, commitDir, LEDGER_DIR, LEDGER_MODELS_FILE, PLAYBOOK_APPROVALS_FILE, PLAYBOOKS_DIR, playbookFile, sourceOidOfPath } from '../store/layout.ts';
import { computeLedger, type LedgerOptions } from '../ledger/compute-ledger.ts';
import { computePlaybooks, statusesFrom, type PlaybookOptions } from '../playbooks/compute-playbooks.ts';
import { summarizeFolder, summarizeFolderFiles, SUMMARY_VERSION, type FolderSummary, type LedgerCell, type PlaybookRun } from './folder-summary.ts';

/** What derived files read: a view of one distill tree (a DistillStore at its head satisfies it). */
export type DerivedView = Pick<DistillStore, 'listPaths' | 'readPaths' | 'readPath'>;

/** A folder's summary as the cache keeps it, keyed by the sha256 of the folder's manifest (which hashes every other file). */
export interface CachedSummary {
  source_oid: string;
  manifest_sha256: string;
  summary: FolderSummary;
}

/** Per-folder summaries kept between runs (the SQLite cache); rebuildable from the branch at any time. */
export interface SummaryCache {
  /** The distill head whose folders the stored summaries mirror exactly, or null when unknown. */
  mirroredHead(): string | null;
  summaries(): Map<string, CachedSummary>;
  /** Upsert and delete rows; clears the mirrored head (the rows may now describe a tree not yet written). */
  putSummaries(put: readonly CachedSummary[], remove: readonly string[]): void;
  markMirrored(head: string | null): void;
}

export interface DerivedOptions {
  playbooks: PlaybookOptions;
  ledger: LedgerOptions;
  /** Folders as they are about to be written over the view: source oid → the folder's files (relative paths). */
  folders?: ReadonlyMap<string, ReadonlyMap<string, Uint8Array>>;
  /** Root-relative files under meta/ about to be written over the view (a new approvals log). */
  meta?: ReadonlyMap<string, Uint8Array>;
  /** Summaries of folders already read; without it every folder is read. */
  cache?: SummaryCache;
  /** With `cache`: the head the view shows. When the cache mirrors it, only `folders` are summarized again. */
  head?: string | null;
}

/** The thresholds a repository's config sets (`playbooks`, `ledger`). */
export function derivedOptions(config: Pick<DistillConfig, 'playbooks' | 'ledger'>): Pick<DerivedOptions, 'playbooks' | 'ledger'> {
  return {
    playbooks: { min_runs: config.playbooks.min_runs, max_items: config.playbooks.max_items },
    ledger: { failure_modes: config.ledger.failure_modes },
  };
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
const manifestPath = (oid: string) => `${commitDir(oid)}/${COMMIT_FILES.manifest}`;

/** Parse the approvals log; a line that is not a valid decision is skipped (it stays on the branch for a person to see). */
export function parseApprovals(bytes: Uint8Array | null): PlaybookApproval[] {
  if (bytes === null) return [];
  const out: PlaybookApproval[] = [];
  for (const line of decoder.decode(bytes).split('\n')) {
    if (line.trim() === '') continue;
    try {
      const parsed = PlaybookApprovalSchema.safeParse(JSON.parse(line));
      if (parsed.success) out.push(parsed.data);
    } catch {
      // Not JSON: skipped, as above.
    }
  }
  return out;
}

/** The approvals log with `add` appended: canonical lines, sorted and distinct, so two clones merge by the union of lines. */
export function renderApprovals(existing: Uint8Array | null, add: readonly PlaybookApproval[]): Uint8Array {
  const lines = new Set<string>();
  if (existing !== null) for (const line of decoder.decode(existing).split('\n')) if (line.trim() !== '') lines.add(line);
  for (const a of add) lines.add(canonicalJson(PlaybookApprovalSchema.parse(a)));
  return encoder.encode([...lines].sort(cmp).map((l) => `${l}\n`).join(''));
}

/** Every folder's summary at the view, read through the cache where the manifest is unchanged. */
async function readSummaries(view: DerivedView, opts: DerivedOptions): Promise<Map<string, FolderSummary>> {
  const cache = opts.cache;
  if (cache !== undefined && opts.head !== undefined && opts.head !== null && cache.mirroredHead() === opts.head) {
    return new Map([...cache.summaries()].map(([oid, row]) => [oid, row.summary]));
  }
  const oids = (await view.listPaths(COMMITS_DIR))
    .map((p) => ({ p, oid: sourceOidOfPath(p) }))
    .filter((x): x is { p: string; oid: string } => x.oid !== null && x.p === manifestPath(x.oid))
    .map((x) => x.oid);
  const cached = cache?.summaries() ?? new Map<string, CachedSummary>();
  const shas = new Map<string, string>();
  for await (const [path, bytes] of view.readPaths(oids.map(manifestPath))) {
    const oid = sourceOidOfPath(path);
    if (oid !== null && bytes !== null) shas.set(oid, sha256Hex(bytes));
  }
  const out = new Map<string, FolderSummary>();
  const stale: string[] = [];
  for (const [oid, sha] of shas) {
    const row = cached.get(oid);
    if (row !== undefined && row.manifest_sha256 === sha && row.summary.v === SUMMARY_VERSION) out.set(oid, row.summary);
    else stale.push(oid);
  }
  const put: CachedSummary[] = [];
  const wanted = stale.flatMap((oid) => [`${commitDir(oid)}/${COMMIT_FILES.scored}`, `${commitDir(oid)}/${COMMIT_FILES.evidence}`]);
  let scored: Uint8Array | null = null;
  for await (const [path, bytes] of view.readPaths(wanted)) {
    const oid = sourceOidOfPath(path)!;
    if (path.endsWith(`/${COMMIT_FILES.scored}`)) {
      scored = bytes;
      continue;
    }
    const summary = summarizeFolder(oid, scored ?? undefined, bytes ?? undefined);
    out.set(oid, summary);
    put.push({ source_oid: oid, manifest_sha256: shas.get(oid)!, summary });
    scored = null;
  }
  if (cache !== undefined) {
    cache.putSummaries(
      put,
      [...cached.keys()].filter((oid) => !shas.has(oid)),
    );
    if (opts.head !== undefined) cache.markMirrored(opts.head);
  }
  return out;
}

/** The ledger cells and playbook runs that count: each run once, where it was first distilled. */
export function countedInputs(summaries: ReadonlyMap<string, FolderSummary>): { cells: LedgerCell[]; runs: PlaybookRun[] } {
  const cells: LedgerCell[] = [];
  const runs = new Map<string, PlaybookRun>();
  for (const oid of [...summaries.keys()].sort(cmp)) {
    for (const group of summaries.get(oid)!.groups) {
      // A rewritten commit's folder repeats runs of the folder it was carried from: those count there.
      if (group.defer_to.some((other) => summaries.has(other))) continue;
      cells.push(...group.cells);
      for (const r of group.runs) if (!runs.has(r.run_id)) runs.set(r.run_id, r);
    }
  }
  return { cells, runs: [...runs.values()] };
}

/** Every derived path → its bytes, plus null for each derived path present in the view that should no longer exist. */
export async function computeDerivedFiles(view: DerivedView, opts: DerivedOptions): Promise<Map<string, Uint8Array | null>> {
  const summaries = await readSummaries(view, opts);
  const overlay: CachedSummary[] = [];
  for (const [oid, files] of opts.folders ?? new Map<string, ReadonlyMap<string, Uint8Array>>()) {
    const summary = summarizeFolderFiles(oid, files);
    summaries.set(oid, summary);
    const manifest = files.get(COMMIT_FILES.manifest);
    if (manifest !== undefined) overlay.push({ source_oid: oid, manifest_sha256: sha256Hex(manifest), summary });
  }
  if (opts.cache !== undefined && overlay.length > 0) opts.cache.putSummaries(overlay, []);

  const approvalsBytes = opts.meta?.get(PLAYBOOK_APPROVALS_FILE) ?? (await view.readPath(PLAYBOOK_APPROVALS_FILE));
  const { cells, runs } = countedInputs(summaries);
  const out = new Map<string, Uint8Array | null>();
  for (const playbook of computePlaybooks(runs, statusesFrom(parseApprovals(approvalsBytes)), opts.playbooks)) {
    out.set(playbookFile(playbook.playbook_id), encoder.encode(canonicalJson(playbook) + '\n'));
  }
  const ledger = computeLedger(cells, opts.ledger);
  if (ledger.length > 0) out.set(LEDGER_MODELS_FILE, encoder.encode(ledger.map((e) => canonicalJson(e) + '\n').join('')));
  for (const path of [...(await view.listPaths(PLAYBOOKS_DIR)), ...(await view.listPaths(LEDGER_DIR))]) {
    if (!out.has(path)) out.set(path, null);
  }
  return new Map([...out].sort(([a], [b]) => cmp(a, b)));
}
