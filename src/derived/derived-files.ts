// Derived files (playbooks/, ledger/models.jsonl): a pure function of the commit folders at one distill head plus the approvals log.
import { canonicalJson, sha256Hex } from '../canonical.ts';
import { PlaybookApprovalSchema, type PlaybookApproval } from '../../schemas/approval.ts';
import type { DistillConfig } from '../../schemas/config.ts';
import type { DistillStore } from '../store/store.ts';
import { COMMIT_FILES, COMMITS_DIR, commitDir, LEDGER_MODELS_FILE, PLAYBOOK_APPROVALS_FILE, PLAYBOOKS_DIR, playbookFile, sourceOidOfPath } from '../store/layout.ts';
import { computeLedger, mergeCells, type LedgerOptions } from '../ledger/compute-ledger.ts';
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

/**
 * What every counted folder adds up to: merged ledger cells and the playbook runs (each with the folder it
 * counts from). Kept for the mirrored head, so a write adds its folder and subtracts the folder's old summary
 * instead of reading every folder's summary again.
 */
export interface DerivedTotal {
  /** SUMMARY_VERSION of the summaries it adds up; a total of another version is recounted. */
  v: typeof SUMMARY_VERSION;
  cells: LedgerCell[];
  runs: Array<[string, PlaybookRun]>;
}

/** Per-folder summaries kept between runs (the SQLite cache); rebuildable from the branch at any time. */
export interface SummaryCache {
  /** The distill head whose folders the stored summaries (and total) mirror exactly, or null when unknown. */
  mirroredHead(): string | null;
  summaries(): Map<string, CachedSummary>;
  /** One folder's row, or null. */
  summary(sourceOid: string): CachedSummary | null;
  /** Whether any stored folder holds runs carried from `sourceOid` (its arrival changes what they count). */
  hasDeferralsTo(sourceOid: string): boolean;
  /** The total stored with the rows; meaningful only while mirroredHead() is the head in hand. */
  total(): DerivedTotal | null;
  /** Upsert and delete rows and store the total they add up to; clears the mirrored head until markMirrored. */
  putSummaries(put: readonly CachedSummary[], remove: readonly string[], total: DerivedTotal): void;
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

/** Every folder's summary at the view, read through the cache where the manifest is unchanged; `rows` are the ones to store. */
async function readSummaries(view: DerivedView, opts: DerivedOptions): Promise<{ summaries: Map<string, FolderSummary>; rows: CachedSummary[]; removed: string[] }> {
  const cache = opts.cache;
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
  return { summaries: out, rows: put, removed: [...cached.keys()].filter((oid) => !shas.has(oid)) };
}

/** The ledger cells and playbook runs that count: each run once, where it was first distilled. */
export function computeTotal(summaries: ReadonlyMap<string, FolderSummary>): DerivedTotal {
  const cells: LedgerCell[] = [];
  const runs = new Map<string, [string, PlaybookRun]>();
  for (const oid of [...summaries.keys()].sort(cmp)) {
    for (const group of summaries.get(oid)!.groups) {
      // A rewritten commit's folder repeats runs of the folder it was carried from: those count there.
      if (group.defer_to.some((other) => summaries.has(other))) continue;
      cells.push(...group.cells);
      for (const r of group.runs) if (!runs.has(r.run_id)) runs.set(r.run_id, [oid, r]);
    }
  }
  return { v: SUMMARY_VERSION, cells: mergeCells(cells), runs: [...runs.values()] };
}

function addCounts(into: Record<string, number>, from: Record<string, number>, sign: 1 | -1): void {
  for (const [k, n] of Object.entries(from)) {
    const v = (into[k] ?? 0) + sign * n;
    if (v === 0) delete into[k];
    else into[k] = v;
  }
}

/**
 * The total with folder `oid`'s old summary taken out and its new one put in, or null when that cannot be
 * done exactly (a cell's latest update would have to be recomputed from the other folders).
 */
export function replaceInTotal(
  total: DerivedTotal,
  oid: string,
  old: FolderSummary | null,
  next: FolderSummary,
  isFolder: (other: string) => boolean,
): DerivedTotal | null {
  const counted = (s: FolderSummary | null) => (s === null ? [] : s.groups.filter((g) => !g.defer_to.some(isFolder)));
  const cells = new Map(total.cells.map((c) => [`${c.task_type}\0${c.model_name}`, structuredClone(c)]));
  const nextCells = new Map(counted(next).flatMap((g) => g.cells).map((c) => [`${c.task_type}\0${c.model_name}`, c]));
  for (const c of counted(old).flatMap((g) => g.cells)) {
    const key = `${c.task_type}\0${c.model_name}`;
    const t = cells.get(key);
    if (t === undefined) return null;
    // Taking out the latest update is exact only if the new summary brings one at least as late (the same commit's date).
    if (c.last_updated >= t.last_updated && !((nextCells.get(key)?.last_updated ?? '') >= c.last_updated)) return null;
    t.samples -= c.samples;
    t.successes -= c.successes;
    t.cost_nanos -= c.cost_nanos;
    t.cost_runs -= c.cost_runs;
    addCounts(t.providers, c.providers, -1);
    addCounts(t.failure_modes, c.failure_modes, -1);
    addCounts(t.rescued_by, c.rescued_by, -1);
    addCounts(t.escalation_roles, c.escalation_roles, -1);
    addCounts(t.latency, c.latency, -1);
    if (t.samples === 0) cells.delete(key);
  }
  const merged = mergeCells([...cells.values(), ...nextCells.values()]);
  const runs = new Map(total.runs.filter(([from]) => from !== oid).map(([from, r]) => [r.run_id, [from, r] as [string, PlaybookRun]]));
  for (const g of counted(next)) {
    for (const r of g.runs) {
      const have = runs.get(r.run_id);
      if (have === undefined || oid < have[0]) runs.set(r.run_id, [oid, r]);
    }
  }
  return { v: SUMMARY_VERSION, cells: merged, runs: [...runs.values()].sort(([, a], [, b]) => cmp(a.run_id, b.run_id)) };
}

/** Every derived path → its bytes, plus null for each derived path present in the view that should no longer exist. */
export async function computeDerivedFiles(view: DerivedView, opts: DerivedOptions): Promise<Map<string, Uint8Array | null>> {
  const overlay = new Map<string, CachedSummary>();
  for (const [oid, files] of opts.folders ?? new Map<string, ReadonlyMap<string, Uint8Array>>()) {
    const manifest = files.get(COMMIT_FILES.manifest);
    overlay.set(oid, { source_oid: oid, manifest_sha256: manifest === undefined ? '' : sha256Hex(manifest), summary: summarizeFolderFiles(oid, files) });
  }
  const total = await readTotal(view, opts, overlay);

  const approvalsBytes = opts.meta?.get(PLAYBOOK_APPROVALS_FILE) ?? (await view.readPath(PLAYBOOK_APPROVALS_FILE));
  const out = new Map<string, Uint8Array | null>();
  for (const playbook of computePlaybooks(
    total.runs.map(([, r]) => r),
    statusesFrom(parseApprovals(approvalsBytes)),
    opts.playbooks,
  )) {
    out.set(playbookFile(playbook.playbook_id), encoder.encode(canonicalJson(playbook) + '\n'));
  }
  const ledger = computeLedger(total.cells, opts.ledger);
  if (ledger.length > 0) out.set(LEDGER_MODELS_FILE, encoder.encode(ledger.map((e) => canonicalJson(e) + '\n').join('')));
  else if ((await view.readPath(LEDGER_MODELS_FILE)) !== null) out.set(LEDGER_MODELS_FILE, null);
  for (const path of await view.listPaths(PLAYBOOKS_DIR)) if (!out.has(path)) out.set(path, null);
  return new Map([...out].sort(([a], [b]) => cmp(a, b)));
}

/**
 * The total at the view with `overlay` written over it. With a cache that mirrors the head, only the overlay's
 * folders are touched (cost follows the new evidence); otherwise every manifest is read and unchanged folders
 * come from the cache.
 */
async function readTotal(view: DerivedView, opts: DerivedOptions, overlay: ReadonlyMap<string, CachedSummary>): Promise<DerivedTotal> {
  const cache = opts.cache;
  const mirrored = cache !== undefined && opts.head !== undefined && opts.head !== null && cache.mirroredHead() === opts.head;
  if (mirrored) {
    // A total kept by an older git-distill holds summaries of another shape: recounted below.
    let total = cache.total();
    if (total?.v !== SUMMARY_VERSION) total = null;
    for (const [oid, row] of overlay) {
      if (total === null) break;
      const old = cache.summary(oid);
      if (old === null && cache.hasDeferralsTo(oid)) total = null;
      else total = replaceInTotal(total, oid, old?.summary ?? null, row.summary, (o) => overlay.has(o) || cache.summary(o) !== null);
    }
    if (total !== null) {
      cache.putSummaries([...overlay.values()], [], total);
      return total;
    }
  }
  const read = await readSummaries(view, opts);
  for (const [oid, row] of overlay) read.summaries.set(oid, row.summary);
  const total = computeTotal(read.summaries);
  cache?.putSummaries([...read.rows, ...overlay.values()], read.removed, total);
  if (cache !== undefined && overlay.size === 0 && opts.head !== undefined) cache.markMirrored(opts.head);
  return total;
}
