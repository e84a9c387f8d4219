// The union merge of two distill trees: commit folders by union, meta/ files by the sorted union of their lines, derived files recomputed.
import { sha256Hex } from '../canonical.ts';
import { COMMIT_FILES, commitDir, COMMITS_DIR, FORMAT_FILE, LEDGER_DIR, META_DIR, PLAYBOOKS_DIR, sourceOidOfPath } from '../store/layout.ts';
import type { DistillStore } from '../store/store.ts';

/** What a merge reads of a tree, and what the derive function is given. */
export type StoreView = Pick<DistillStore, 'listPaths' | 'readPaths' | 'readPath'>;

/**
 * Recomputes the derived files (playbooks/, ledger/) from a whole tree: root-relative path → bytes, null deletes.
 * Derived files are never merged by text; push and pull recompute them with computeDerivedFiles (src/sync/open-sync.ts).
 */
export type DeriveFiles = (view: StoreView) => Promise<Map<string, Uint8Array | null>>;

/** How a commit folder both sides hold with different bytes was decided. */
export interface FolderConflict {
  source_oid: string;
  kept: 'ours' | 'theirs';
  /** The comparison that decided it, in words. */
  reason: string;
}

export interface MergePlan {
  /** Root-relative path → bytes (set) or null (delete a file or folder), applied on top of our tree. */
  files: Map<string, Uint8Array | null>;
  /** Source oids whose folder only theirs had, now copied. */
  added: string[];
  conflicts: FolderConflict[];
  /** meta/ files whose lines were merged (they differed). */
  meta_merged: string[];
  /** Derived paths the derive function changed. */
  derived: string[];
  /** Other root files only theirs had, or that differed (kept by the rule in pickOther). */
  other: string[];
}

const DERIVED_DIRS = [PLAYBOOKS_DIR, LEDGER_DIR];
const isDerived = (path: string) => DERIVED_DIRS.some((d) => path === d || path.startsWith(`${d}/`));
const isMeta = (path: string) => path.startsWith(`${META_DIR}/`);

const decoder = new TextDecoder();
const encoder = new TextEncoder();

function sameBytes(a: Uint8Array | null | undefined, b: Uint8Array | null | undefined): boolean {
  if (a == null || b == null) return a == null && b == null;
  return Buffer.compare(a, b) === 0;
}

async function readMany(view: StoreView, paths: readonly string[]): Promise<Map<string, Uint8Array | null>> {
  const out = new Map<string, Uint8Array | null>();
  for await (const [path, bytes] of view.readPaths(paths)) out.set(path, bytes);
  return out;
}

/** Group `commits/<xx>/<oid>/<rel>` paths by source oid. */
function foldersOf(paths: readonly string[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const p of paths) {
    const oid = sourceOidOfPath(p);
    if (oid === null) continue;
    const list = out.get(oid) ?? [];
    list.push(p);
    out.set(oid, list);
  }
  return out;
}

/** A folder's weight for the conflict rule: what its manifest says it read, then its size. */
interface FolderWeight {
  lines: number;
  evidence: number;
  files: number;
  bytes: number;
  digest: string;
}

function weigh(folder: ReadonlyMap<string, Uint8Array | null>, oid: string): FolderWeight {
  let lines = -1;
  let evidence = -1;
  const manifest = folder.get(`${commitDir(oid)}/${COMMIT_FILES.manifest}`);
  if (manifest !== null && manifest !== undefined) {
    try {
      const parsed = JSON.parse(decoder.decode(manifest)) as { counts?: { lines?: unknown; evidence?: unknown } };
      if (typeof parsed.counts?.lines === 'number') lines = parsed.counts.lines;
      if (typeof parsed.counts?.evidence === 'number') evidence = parsed.counts.evidence;
    } catch {
      // An unreadable manifest says nothing: the other side wins unless it is unreadable too.
    }
  }
  const entries = [...folder].filter((e): e is [string, Uint8Array] => e[1] !== null).sort(([a], [b]) => (a < b ? -1 : 1));
  const digest = sha256Hex(entries.map(([p, b]) => `${p}\0${sha256Hex(b)}`).join('\n'));
  return { lines, evidence, files: entries.length, bytes: entries.reduce((n, [, b]) => n + b.length, 0), digest };
}

/**
 * Both sides distilled the same commit with different bytes (two clones read different logs for it). The
 * folder whose manifest says more wins: more source lines read, then more evidence, then more files, then
 * more bytes, then the greater content digest. Symmetric, so both clones decide the same way.
 */
export function pickFolder(ours: FolderWeight, theirs: FolderWeight): { kept: 'ours' | 'theirs'; reason: string } {
  const keys: Array<[keyof Omit<FolderWeight, 'digest'>, string]> = [
    ['lines', 'source lines read'],
    ['evidence', 'evidence records'],
    ['files', 'files'],
    ['bytes', 'bytes'],
  ];
  for (const [key, words] of keys) {
    if (ours[key] !== theirs[key]) {
      const kept = ours[key] > theirs[key] ? 'ours' : 'theirs';
      return { kept, reason: `more ${words} (${Math.max(ours[key], theirs[key])} vs ${Math.min(ours[key], theirs[key])})` };
    }
  }
  return { kept: ours.digest >= theirs.digest ? 'ours' : 'theirs', reason: 'same size: the greater content digest' };
}

/** The sorted, de-duplicated union of two files' lines, each line ending in `\n`. */
export function unionLines(a: Uint8Array | null, b: Uint8Array | null): Uint8Array {
  const lines = new Set<string>();
  for (const bytes of [a, b]) {
    if (bytes === null) continue;
    for (const line of decoder.decode(bytes).split('\n')) if (line !== '') lines.add(line);
  }
  const sorted = [...lines].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0));
  return encoder.encode(sorted.map((l) => `${l}\n`).join(''));
}

/** Our tree with `files` applied on top, as the derive function sees the merged result before it is committed. */
export function overlayView(base: StoreView, files: ReadonlyMap<string, Uint8Array | null>): StoreView {
  const deletedUnder = (path: string) => {
    for (const [p, b] of files) if (b === null && (path === p || path.startsWith(`${p}/`))) return true;
    return false;
  };
  const read = async (path: string): Promise<Uint8Array | null> => {
    const set = files.get(path);
    if (set !== undefined && set !== null) return set.slice();
    if (deletedUnder(path)) return null;
    return base.readPath(path);
  };
  return {
    async listPaths(dir) {
      const prefix = dir === '' ? '' : `${dir}/`;
      const out = new Set((await base.listPaths(dir)).filter((p) => !deletedUnder(p)));
      for (const [p, b] of files) if (b !== null && p.startsWith(prefix)) out.add(p);
      return [...out].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    },
    readPath: read,
    async *readPaths(paths) {
      for (const p of paths) yield [p, await read(p)] as [string, Uint8Array | null];
    },
  };
}

/**
 * Plan the merge of `theirs` into `ours`: reads both trees, decides every path, then runs `derive` over the
 * merged view. Same two trees → the same plan, whichever side is ours (every rule is symmetric).
 */
export async function planUnionMerge(ours: StoreView, theirs: StoreView, derive: DeriveFiles): Promise<MergePlan> {
  const [ourPaths, theirPaths] = await Promise.all([ours.listPaths(''), theirs.listPaths('')]);
  const ourSet = new Set(ourPaths);
  const files = new Map<string, Uint8Array | null>();
  const plan: MergePlan = { files, added: [], conflicts: [], meta_merged: [], derived: [], other: [] };

  // 1. Commit folders: union; a folder on both sides is compared by its manifest first (it lists every file's sha256).
  const ourFolders = foldersOf(ourPaths.filter((p) => p.startsWith(`${COMMITS_DIR}/`)));
  const theirFolders = foldersOf(theirPaths.filter((p) => p.startsWith(`${COMMITS_DIR}/`)));
  const onlyTheirs = [...theirFolders.keys()].filter((oid) => !ourFolders.has(oid)).sort();
  const shared = [...theirFolders.keys()].filter((oid) => ourFolders.has(oid)).sort();
  const copy = await readMany(theirs, onlyTheirs.flatMap((oid) => theirFolders.get(oid) ?? []));
  for (const [path, bytes] of copy) if (bytes !== null) files.set(path, bytes);
  plan.added = onlyTheirs;

  const manifestOf = (oid: string) => `${commitDir(oid)}/${COMMIT_FILES.manifest}`;
  const [ourManifests, theirManifests] = await Promise.all([readMany(ours, shared.map(manifestOf)), readMany(theirs, shared.map(manifestOf))]);
  for (const oid of shared) {
    const ourList = ourFolders.get(oid) ?? [];
    const theirList = theirFolders.get(oid) ?? [];
    const sameList = ourList.length === theirList.length && ourList.every((p, i) => p === theirList[i]);
    const m = manifestOf(oid);
    // Same paths and the same manifest (it holds every other file's sha256): the same folder, read nothing more.
    // This keeps a sync's cost with the folders that differ, not with the branch's size.
    if (sameList && ourManifests.get(m) != null && sameBytes(ourManifests.get(m), theirManifests.get(m))) continue;
    const [a, b] = await Promise.all([readMany(ours, ourList), readMany(theirs, theirList)]);
    if (sameList && ourList.every((p) => sameBytes(a.get(p), b.get(p)))) continue;
    plan.conflicts.push(decideFolder(oid, a, b, files));
  }

  // 2. meta/: every file is a set of lines.
  const metaPaths = [...new Set([...ourPaths, ...theirPaths].filter(isMeta))].sort();
  const [ourMeta, theirMeta] = await Promise.all([readMany(ours, metaPaths), readMany(theirs, metaPaths)]);
  for (const path of metaPaths) {
    const merged = unionLines(ourMeta.get(path) ?? null, theirMeta.get(path) ?? null);
    if (!sameBytes(merged, ourMeta.get(path) ?? null)) {
      files.set(path, merged);
      plan.meta_merged.push(path);
    }
  }

  // 3. Any other root file (not FORMAT, a folder, meta or derived): copied when only theirs has it, else the rule of pickOther.
  const others = theirPaths.filter((p) => p !== FORMAT_FILE && !p.startsWith(`${COMMITS_DIR}/`) && !isMeta(p) && !isDerived(p));
  const [ourOther, theirOther] = await Promise.all([readMany(ours, others.filter((p) => ourSet.has(p))), readMany(theirs, others)]);
  for (const path of others) {
    const t = theirOther.get(path) ?? null;
    const o = ourOther.get(path) ?? null;
    if (t === null || sameBytes(o, t)) continue;
    if (o === null || pickOther(o, t) === 'theirs') {
      files.set(path, t);
      plan.other.push(path);
    }
  }

  // 4. Derived files: recomputed from the merged tree, never taken from either side's text.
  const derived = await derive(overlayView(ours, files));
  const derivedPaths = [...derived.keys()].sort();
  const current = await readMany(ours, derivedPaths);
  for (const path of derivedPaths) {
    const bytes = derived.get(path) ?? null;
    if (bytes === null ? current.get(path) == null : sameBytes(bytes, current.get(path))) continue;
    files.set(path, bytes);
    plan.derived.push(path);
  }
  return plan;
}

function decideFolder(
  oid: string,
  ours: ReadonlyMap<string, Uint8Array | null>,
  theirs: ReadonlyMap<string, Uint8Array | null>,
  files: Map<string, Uint8Array | null>,
): FolderConflict {
  const decision = pickFolder(weigh(ours, oid), weigh(theirs, oid));
  if (decision.kept === 'theirs') {
    // The folder is replaced whole: delete ours, then set every file of theirs.
    files.set(commitDir(oid), null);
    for (const [path, bytes] of theirs) if (bytes !== null) files.set(path, bytes);
  }
  return { source_oid: oid, ...decision };
}

/** A root file both sides hold with different bytes and no merge rule of its own: the greater sha256 wins (symmetric). */
export function pickOther(ours: Uint8Array, theirs: Uint8Array): 'ours' | 'theirs' {
  return sha256Hex(ours) >= sha256Hex(theirs) ? 'ours' : 'theirs';
}
