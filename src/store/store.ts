// The distill branch behind a narrow interface: one git-backed implementation, one in-memory twin, one conformance suite.
import { DistillError, isDistillError } from '../errors.ts';
import { commitDir, COMMITS_DIR, FORMAT_FILE, isSourceOid } from './layout.ts';

/** One write: a source commit's folder (replaced whole) plus derived files, committed as one distill commit. */
export interface StoreChange {
  /**
   * Full oid of the source commit this write distills; null for a write that touches no commit folder
   * (a `meta/` decision such as a playbook approval, plus the derived files it changes): `files` is then empty.
   */
  source_oid: string | null;
  /** One line for the distill commit's title (`distill <oid> <subject>`). */
  subject: string;
  /** Files of the commit folder, relative to `commits/<xx>/<oid>/`; the folder becomes exactly these. Non-empty unless source_oid is null. */
  files: ReadonlyMap<string, Uint8Array>;
  /** Root-relative derived and meta paths (`playbooks/...`, `ledger/...`, `meta/...`); null deletes. Never under `commits/`, never FORMAT. */
  derived: ReadonlyMap<string, Uint8Array | null>;
  /** The head this change was computed from; null for the first write. A stale value → E_STORE_RACE_LOST. */
  expected_head: string | null;
  /** ISO 8601 with timezone; the distill commit's author and committer date. */
  date: string;
}

/** A merge of another distill head into ours (see DistillStore.merge). */
export interface MergeChange {
  /** The other head: a distill commit this store can read (fetched into `refs/remotes/<remote>/distill`). */
  theirs: string;
  /** Our head the merge was computed from. */
  expected_head: string;
  /** Root-relative paths set (bytes) or deleted (null: a file or a whole folder) on top of our tree. Never FORMAT. */
  files: ReadonlyMap<string, Uint8Array | null>;
  /** One line for the merge commit's title (`distill merge <subject>`). */
  subject: string;
  /** ISO 8601 with timezone; the merge commit's author and committer date. */
  date: string;
}

export interface HistoryEntry {
  /** The distill commit. */
  commit: string;
  /** The source commit it distilled (from its Distill-Source trailer); null for a commit without one. */
  source_oid: string | null;
}

export interface DistillStore {
  /** The ref this store writes, e.g. `refs/heads/distill`. */
  readonly ref: string;
  /** The current distill commit, or null before the first write. */
  head(): Promise<string | null>;
  /** Source oids with a folder at head, sorted. */
  listSources(): Promise<string[]>;
  /** The folder of a source commit at head (relative path → bytes), or null when it was never distilled. */
  readCommit(sourceOid: string): Promise<Map<string, Uint8Array> | null>;
  /** The file at a root-relative path at head; null when missing or a directory. */
  readPath(path: string): Promise<Uint8Array | null>;
  /** Root-relative paths of every file under `dir` at head ('' for all), sorted. */
  listPaths(dir: string): Promise<string[]>;
  /**
   * Many files at one head, in the order given (null when missing): one head lookup and pipelined reads,
   * for a pass over every folder (rebuilding the cache) that must not cost a lookup per file.
   */
  readPaths(paths: readonly string[]): AsyncIterable<[string, Uint8Array | null]>;
  /**
   * Commit a change on top of `change.expected_head` and move the ref with compare-and-swap.
   * Returns the new head; when the change leaves the tree as it is, returns the head unchanged and commits nothing.
   */
  write(change: StoreChange): Promise<string>;
  /**
   * Commit a merge of `change.theirs` (another clone's distill head, already in this store's objects) into
   * head: parents [expected_head, theirs], our tree with `change.files` applied. Always commits, even when the
   * tree stays ours, so the result descends from theirs and pushes as a fast-forward. Stale expected_head →
   * E_STORE_RACE_LOST. The caller decides the merged content (src/sync/merge.ts); the store only records it.
   */
  merge(change: MergeChange): Promise<string>;
  /** Distill commits from head back along first parents, newest first. */
  history(): AsyncIterable<HistoryEntry>;
  /** Release long-lived resources (git processes). The store must not be used afterwards. */
  close(): Promise<void>;
}

/** A change with every path checked and both maps sorted, as both implementations apply it. */
export interface ValidatedChange {
  source_oid: string | null;
  /** Root-relative path → bytes, the whole new commit folder (empty when source_oid is null). */
  folder: Array<[string, Uint8Array]>;
  /** The commit folder's root-relative path; null when the change touches no folder. */
  folder_path: string | null;
  derived: Array<[string, Uint8Array | null]>;
}

const FORBIDDEN_SEGMENTS = new Set(['', '.', '..']);

function invalidPath(path: string, why: string): DistillError {
  return new DistillError('E_INTERNAL', `invalid store path ${JSON.stringify(path)}: ${why}`, { details: { path } });
}

/** Throw unless `path` is a clean relative path git can hold on every platform. */
export function assertStorePath(path: string): void {
  if (path.startsWith('/')) throw invalidPath(path, 'absolute');
  for (const seg of path.split('/')) {
    if (FORBIDDEN_SEGMENTS.has(seg)) throw invalidPath(path, 'empty, . or .. segment');
    if (seg.toLowerCase() === '.git') throw invalidPath(path, '.git segment');
    // NUL and line breaks would break git's line- and NUL-separated plumbing formats.
    if (/[\0\n\r]/.test(seg)) throw invalidPath(path, 'NUL or line break');
  }
}

/** Throw unless no path is a proper prefix directory of another (a file cannot also be a folder). */
function assertNoFileDirClash(paths: string[]): void {
  const files = new Set(paths);
  for (const p of paths) {
    const parts = p.split('/');
    for (let i = 1; i < parts.length; i++) {
      const dir = parts.slice(0, i).join('/');
      if (files.has(dir)) throw invalidPath(p, `${dir} is a file`);
    }
  }
}

const byPath = <T>(a: [string, T], b: [string, T]) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0);

/** Throw unless `oid` is a full lowercase source commit oid. */
export function assertSourceOid(oid: string): void {
  if (!isSourceOid(oid)) {
    throw new DistillError('E_INTERNAL', `source oid is not a full object id: ${JSON.stringify(oid)}`, {
      details: { source_oid: oid },
    });
  }
}

/** Check a change's oid and paths; pure. */
export function validateChange(change: StoreChange): ValidatedChange {
  if (change.source_oid !== null) assertSourceOid(change.source_oid);
  if (change.expected_head !== null && !isSourceOid(change.expected_head)) {
    throw new DistillError('E_INTERNAL', `expected_head is not a full object id: ${JSON.stringify(change.expected_head)}`);
  }
  if (change.source_oid === null && change.files.size > 0) {
    throw new DistillError('E_INTERNAL', 'a change without a source commit cannot carry folder files');
  }
  if (change.source_oid !== null && change.files.size === 0) {
    throw new DistillError('E_INTERNAL', `empty commit folder for ${change.source_oid}`, {
      details: { source_oid: change.source_oid },
    });
  }
  const folderPath = change.source_oid === null ? null : commitDir(change.source_oid);
  const folder: Array<[string, Uint8Array]> = [];
  for (const [rel, bytes] of change.files) {
    assertStorePath(rel);
    folder.push([`${folderPath}/${rel}`, bytes]);
  }
  const derived: Array<[string, Uint8Array | null]> = [];
  for (const [path, bytes] of change.derived) {
    assertStorePath(path);
    if (path === FORMAT_FILE || path === COMMITS_DIR || path.startsWith(`${COMMITS_DIR}/`)) {
      throw invalidPath(path, 'derived files live outside commits/ and FORMAT');
    }
    derived.push([path, bytes]);
  }
  folder.sort(byPath);
  derived.sort(byPath);
  assertNoFileDirClash([...folder.map(([p]) => p), ...derived.filter(([, b]) => b !== null).map(([p]) => p)]);
  return { source_oid: change.source_oid, folder, folder_path: folderPath, derived };
}

/** Check a merge's oids and paths; the files sorted by path (deletes and sets both). Pure. */
export function validateMerge(change: MergeChange): Array<[string, Uint8Array | null]> {
  for (const [what, oid] of [['theirs', change.theirs], ['expected_head', change.expected_head]] as const) {
    if (!isSourceOid(oid)) throw new DistillError('E_INTERNAL', `${what} is not a full object id: ${JSON.stringify(oid)}`);
  }
  const files: Array<[string, Uint8Array | null]> = [];
  for (const [path, bytes] of change.files) {
    assertStorePath(path);
    if (path === FORMAT_FILE) throw invalidPath(path, 'a merge never rewrites FORMAT');
    files.push([path, bytes]);
  }
  files.sort(byPath);
  assertNoFileDirClash(files.filter(([, b]) => b !== null).map(([p]) => p));
  return files;
}

export type ChangeWithoutHead = Omit<StoreChange, 'expected_head'>;

export interface RetryOptions {
  /** Total tries, at least 1. */
  attempts: number;
  /** Injected so tests and callers decide how time passes. */
  sleep: (ms: number) => Promise<void>;
  /** Pause before try `attempt` (1-based, after a loss); default 10ms doubling to 1s. Add jitter here. */
  backoff_ms?: (attempt: number) => number;
}

const defaultBackoff = (attempt: number) => Math.min(1000, 10 * 2 ** (attempt - 1));

/**
 * Write with compare-and-swap and retry: read head, build the change from it, write; on a lost race
 * re-read head and rebuild (derived files must be recomputed from the new head, never merged by text).
 */
export async function writeWithRetry(
  store: DistillStore,
  build: (head: string | null) => ChangeWithoutHead | Promise<ChangeWithoutHead>,
  opts: RetryOptions,
): Promise<string> {
  const attempts = Math.max(1, opts.attempts);
  const backoff = opts.backoff_ms ?? defaultBackoff;
  let lastLoss: DistillError | null = null;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    if (attempt > 1) await opts.sleep(backoff(attempt - 1));
    const head = await store.head();
    const change = await build(head);
    try {
      return await store.write({ ...change, expected_head: head });
    } catch (err) {
      if (!isDistillError(err) || err.code !== 'E_STORE_RACE_LOST') throw err;
      lastLoss = err;
    }
  }
  throw new DistillError('E_STORE_RACE_LOST', `${store.ref} kept moving: lost the race ${attempts} times`, {
    hint: lastLoss?.hint ?? 'run the command again',
    details: { ref: store.ref, attempts, last: lastLoss?.details ?? null },
    cause: lastLoss,
  });
}
