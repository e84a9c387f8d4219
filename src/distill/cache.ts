// The local, rebuildable cache (`.distill/cache/`): read checkpoints, pending evidence, run links, seen ids, the write journal, and the step lock.
import { Database } from 'bun:sqlite';
import { mkdirSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import type { EvidenceRecord } from '../../schemas/evidence-record.ts';
import type { ReadCheckpoint } from '../io/checkpoint.ts';
import { DistillError } from '../errors.ts';
import type { RunLink } from './link.ts';
import type { CachedSummary, DerivedTotal, SummaryCache } from '../derived/derived-files.ts';
import type { FolderSummary } from '../derived/folder-summary.ts';

export const CACHE_DIR = join('.distill', 'cache');
export const STATE_DB = 'state.sqlite';
export const LOCK_DB = 'lock.sqlite';

/** Long enough for a queue of runs ahead of us; SQLite's busy handler waits, the OS frees a dead holder's lock. */
const BUSY_TIMEOUT_MS = 10 * 60 * 1000;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS checkpoints (path TEXT PRIMARY KEY, format TEXT, checkpoint TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS pending (evidence_id TEXT PRIMARY KEY, run_id TEXT NOT NULL, record TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS pending_run ON pending (run_id);
CREATE TABLE IF NOT EXISTS run_links (run_id TEXT PRIMARY KEY, oid TEXT NOT NULL, by TEXT NOT NULL, detail TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS seen (evidence_id TEXT PRIMARY KEY, oid TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS covered (source_file TEXT PRIMARY KEY, end_offset INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS derived_folders (source_oid TEXT PRIMARY KEY, manifest_sha256 TEXT NOT NULL, summary TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS derived_defer (origin TEXT NOT NULL, source_oid TEXT NOT NULL, PRIMARY KEY (origin, source_oid));
CREATE TABLE IF NOT EXISTS journal (seq INTEGER PRIMARY KEY AUTOINCREMENT, source_oid TEXT NOT NULL, subject TEXT NOT NULL, date TEXT NOT NULL, files TEXT NOT NULL);
`;

/** A distill-branch write decided and made durable in the cache before it reaches the ref. */
export interface JournalEntry {
  seq: number;
  source_oid: string;
  subject: string;
  date: string;
  files: Map<string, Uint8Array>;
}

export interface SourceCheckpoint {
  /** The adapter chosen at the first read; later reads force it (a resumed read has no header lines to detect from). */
  format: string | null;
  checkpoint: ReadCheckpoint;
}

/** Everything one step changes, applied in one transaction. */
export interface StepUpdate {
  checkpoints: Array<{ path: string; format: string | null; checkpoint: ReadCheckpoint }>;
  /** New evidence that did not link. */
  add_pending: EvidenceRecord[];
  /** Pending evidence that linked. */
  remove_pending: string[];
  run_links: RunLink[];
  seen: Array<{ evidence_id: string; oid: string }>;
  journal: Array<Omit<JournalEntry, 'seq'>>;
}

export interface DistillCache {
  readonly path: string;
  /** Hold the cross-process step lock while `fn` runs; released on return, throw, or process death. */
  withLock<T>(fn: () => Promise<T>): Promise<T>;
  getMeta(key: string): string | null;
  setMeta(key: string, value: string): void;
  checkpoint(path: string): SourceCheckpoint | null;
  pending(): EvidenceRecord[];
  runLink(runId: string): RunLink | null;
  isSeen(evidenceId: string): boolean;
  /** After a restore: bytes [0, n) of a source whose lines the branch already counted (reread for pending evidence only). */
  coveredUntil(sourceFile: string): number;
  journal(): JournalEntry[];
  /** Apply a step's changes atomically (journal rows included). */
  applyStep(update: StepUpdate): void;
  deleteJournal(seqs: number[]): void;
  /**
   * Move runs and their evidence to a rewritten commit (amend, rebase, patch-id) and journal its folder,
   * atomically: later records of those runs then follow them to the new oid.
   */
  applyCarry(update: { run_links: RunLink[]; seen: Array<{ evidence_id: string; oid: string }>; journal: Array<Omit<JournalEntry, 'seq'>> }): void;
  /** Rebuild run_links and seen from what the distill branch holds (after the cache was deleted). */
  restore(links: RunLink[], seen: Array<{ evidence_id: string; oid: string }>, covered: Map<string, number>): void;
  /** Per-folder summaries behind the derived files (playbooks, ledger), keyed by each folder's manifest sha256. */
  readonly derived: SummaryCache;
  close(): void;
}

function open(path: string): Database {
  const db = new Database(path, { create: true });
  db.run(`PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS}`);
  return db;
}

function encodeFiles(files: Map<string, Uint8Array>): string {
  const out: Record<string, string> = {};
  for (const [p, b] of files) out[p] = Buffer.from(b).toString('base64');
  return JSON.stringify(out);
}

function decodeFiles(text: string): Map<string, Uint8Array> {
  const raw = JSON.parse(text) as Record<string, string>;
  return new Map(Object.entries(raw).map(([p, b]) => [p, new Uint8Array(Buffer.from(b, 'base64'))]));
}

/**
 * Open (creating) the cache under `<repoRoot>/.distill/cache/`. The directory gets its own
 * `.gitignore` of `*`, so `git status` stays clean without touching the user's ignore files.
 */
export function openDistillCache(repoRoot: string): DistillCache {
  const dir = join(repoRoot, CACHE_DIR);
  try {
    mkdirSync(dir, { recursive: true });
    const ignore = join(dir, '.gitignore');
    if (!existsSync(ignore)) writeFileSync(ignore, '*\n');
  } catch (cause) {
    throw new DistillError('E_INPUT_UNREADABLE', `cannot create the cache directory ${dir}`, {
      hint: 'check the permissions of the repository directory',
      details: { path: dir },
      cause,
    });
  }
  const path = join(dir, STATE_DB);
  const db = open(path);
  db.run('PRAGMA journal_mode = WAL');
  db.run('PRAGMA synchronous = FULL');
  db.exec(SCHEMA);
  // A separate file for the lock: the state database commits in the middle of a step (the journal),
  // so its own transactions cannot also be the step-long mutex.
  const lockDb = open(join(dir, LOCK_DB));
  lockDb.exec('CREATE TABLE IF NOT EXISTS lock (id INTEGER PRIMARY KEY)');

  const q = {
    getMeta: db.query<{ value: string }, [string]>('SELECT value FROM meta WHERE key = ?'),
    setMeta: db.query('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value'),
    checkpoint: db.query<{ format: string | null; checkpoint: string }, [string]>('SELECT format, checkpoint FROM checkpoints WHERE path = ?'),
    setCheckpoint: db.query(
      'INSERT INTO checkpoints (path, format, checkpoint) VALUES (?, ?, ?) ON CONFLICT (path) DO UPDATE SET format = excluded.format, checkpoint = excluded.checkpoint',
    ),
    pending: db.query<{ record: string }, []>('SELECT record FROM pending ORDER BY evidence_id'),
    addPending: db.query('INSERT OR IGNORE INTO pending (evidence_id, run_id, record) VALUES (?, ?, ?)'),
    removePending: db.query('DELETE FROM pending WHERE evidence_id = ?'),
    runLink: db.query<{ run_id: string; oid: string; by: string; detail: string }, [string]>('SELECT run_id, oid, by, detail FROM run_links WHERE run_id = ?'),
    setRunLink: db.query('INSERT OR IGNORE INTO run_links (run_id, oid, by, detail) VALUES (?, ?, ?, ?)'),
    seen: db.query<{ oid: string }, [string]>('SELECT oid FROM seen WHERE evidence_id = ?'),
    setSeen: db.query('INSERT OR IGNORE INTO seen (evidence_id, oid) VALUES (?, ?)'),
    moveRunLink: db.query(
      'INSERT INTO run_links (run_id, oid, by, detail) VALUES (?, ?, ?, ?) ON CONFLICT (run_id) DO UPDATE SET oid = excluded.oid, by = excluded.by, detail = excluded.detail',
    ),
    moveSeen: db.query('INSERT INTO seen (evidence_id, oid) VALUES (?, ?) ON CONFLICT (evidence_id) DO UPDATE SET oid = excluded.oid'),
    covered: db.query<{ end_offset: number }, [string]>('SELECT end_offset FROM covered WHERE source_file = ?'),
    setCovered: db.query('INSERT INTO covered (source_file, end_offset) VALUES (?, ?) ON CONFLICT (source_file) DO UPDATE SET end_offset = excluded.end_offset'),
    journal: db.query<{ seq: number; source_oid: string; subject: string; date: string; files: string }, []>(
      'SELECT seq, source_oid, subject, date, files FROM journal ORDER BY seq',
    ),
    addJournal: db.query('INSERT INTO journal (source_oid, subject, date, files) VALUES (?, ?, ?, ?)'),
    deleteJournal: db.query('DELETE FROM journal WHERE seq = ?'),
    summaries: db.query<{ source_oid: string; manifest_sha256: string; summary: string }, []>('SELECT source_oid, manifest_sha256, summary FROM derived_folders'),
    putSummary: db.query(
      'INSERT INTO derived_folders (source_oid, manifest_sha256, summary) VALUES (?, ?, ?) ON CONFLICT (source_oid) DO UPDATE SET manifest_sha256 = excluded.manifest_sha256, summary = excluded.summary',
    ),
    deleteSummary: db.query('DELETE FROM derived_folders WHERE source_oid = ?'),
    summary: db.query<{ source_oid: string; manifest_sha256: string; summary: string }, [string]>('SELECT source_oid, manifest_sha256, summary FROM derived_folders WHERE source_oid = ?'),
    deferralsTo: db.query<{ n: number }, [string]>('SELECT 1 AS n FROM derived_defer WHERE origin = ? LIMIT 1'),
    addDefer: db.query('INSERT OR IGNORE INTO derived_defer (origin, source_oid) VALUES (?, ?)'),
    clearDefer: db.query('DELETE FROM derived_defer WHERE source_oid = ?'),
  };
  const DERIVED_TOTAL_KEY = 'derived_total';
  const DERIVED_HEAD_KEY = 'derived_head';
  const putSummaries = db.transaction((put: readonly CachedSummary[], remove: readonly string[], total: DerivedTotal) => {
    // Cleared first: until the caller marks a head again, the rows may describe a tree not yet on the branch.
    q.setMeta.run(DERIVED_HEAD_KEY, '');
    for (const row of put) {
      q.putSummary.run(row.source_oid, row.manifest_sha256, JSON.stringify(row.summary));
      q.clearDefer.run(row.source_oid);
      for (const g of row.summary.groups) for (const origin of g.defer_to) q.addDefer.run(origin, row.source_oid);
    }
    for (const oid of remove) {
      q.deleteSummary.run(oid);
      q.clearDefer.run(oid);
    }
    q.setMeta.run(DERIVED_TOTAL_KEY, JSON.stringify(total));
  }) as SummaryCache['putSummaries'];
  const rowOf = (r: { source_oid: string; manifest_sha256: string; summary: string }): CachedSummary => ({
    source_oid: r.source_oid,
    manifest_sha256: r.manifest_sha256,
    summary: JSON.parse(r.summary) as FolderSummary,
  });
  const derived: SummaryCache = {
    mirroredHead: () => {
      const v = q.getMeta.get(DERIVED_HEAD_KEY)?.value ?? '';
      return v === '' ? null : v;
    },
    summaries: () => new Map(q.summaries.all().map((r) => [r.source_oid, rowOf(r)])),
    summary: (oid) => {
      const r = q.summary.get(oid);
      return r === null ? null : rowOf(r);
    },
    hasDeferralsTo: (oid) => q.deferralsTo.get(oid) !== null,
    total: () => {
      const v = q.getMeta.get(DERIVED_TOTAL_KEY)?.value;
      return v === undefined ? null : (JSON.parse(v) as DerivedTotal);
    },
    putSummaries,
    markMirrored: (head) => {
      q.setMeta.run(DERIVED_HEAD_KEY, head ?? '');
    },
  };

  let locked = false;

  return {
    path,
    async withLock(fn) {
      if (locked) throw new DistillError('E_INTERNAL', 'the distill step lock is not re-entrant');
      lockDb.run('BEGIN EXCLUSIVE');
      locked = true;
      try {
        return await fn();
      } finally {
        locked = false;
        lockDb.run('ROLLBACK');
      }
    },
    getMeta: (key) => q.getMeta.get(key)?.value ?? null,
    setMeta: (key, value) => {
      q.setMeta.run(key, value);
    },
    checkpoint(p) {
      const row = q.checkpoint.get(p);
      return row === null ? null : { format: row.format, checkpoint: JSON.parse(row.checkpoint) as ReadCheckpoint };
    },
    pending: () => q.pending.all().map((r) => JSON.parse(r.record) as EvidenceRecord),
    runLink(runId) {
      const row = q.runLink.get(runId);
      return row === null ? null : { run_id: row.run_id, oid: row.oid, by: row.by as RunLink['by'], detail: row.detail };
    },
    isSeen: (id) => q.seen.get(id) !== null,
    coveredUntil: (f) => q.covered.get(f)?.end_offset ?? 0,
    journal: () =>
      q.journal.all().map((r) => ({ seq: r.seq, source_oid: r.source_oid, subject: r.subject, date: r.date, files: decodeFiles(r.files) })),
    applyStep: db.transaction((u: StepUpdate) => {
      for (const c of u.checkpoints) q.setCheckpoint.run(c.path, c.format, JSON.stringify(c.checkpoint));
      for (const id of u.remove_pending) q.removePending.run(id);
      for (const r of u.add_pending) q.addPending.run(r.evidence_id, r.run_id, JSON.stringify(r));
      for (const l of u.run_links) q.setRunLink.run(l.run_id, l.oid, l.by, l.detail);
      for (const s of u.seen) q.setSeen.run(s.evidence_id, s.oid);
      for (const j of u.journal) q.addJournal.run(j.source_oid, j.subject, j.date, encodeFiles(j.files));
    }) as (u: StepUpdate) => void,
    applyCarry: db.transaction((u: { run_links: RunLink[]; seen: Array<{ evidence_id: string; oid: string }>; journal: Array<Omit<JournalEntry, 'seq'>> }) => {
      for (const l of u.run_links) q.moveRunLink.run(l.run_id, l.oid, l.by, l.detail);
      for (const x of u.seen) q.moveSeen.run(x.evidence_id, x.oid);
      for (const j of u.journal) q.addJournal.run(j.source_oid, j.subject, j.date, encodeFiles(j.files));
    }) as DistillCache['applyCarry'],
    deleteJournal: db.transaction((seqs: number[]) => {
      for (const s of seqs) q.deleteJournal.run(s);
    }) as (seqs: number[]) => void,
    restore: db.transaction((links: RunLink[], seen: Array<{ evidence_id: string; oid: string }>, covered: Map<string, number>) => {
      for (const l of links) q.setRunLink.run(l.run_id, l.oid, l.by, l.detail);
      for (const s of seen) q.setSeen.run(s.evidence_id, s.oid);
      for (const [f, n] of covered) q.setCovered.run(f, n);
    }) as (links: RunLink[], seen: Array<{ evidence_id: string; oid: string }>, covered: Map<string, number>) => void,
    derived,
    close() {
      db.close();
      lockDb.close();
    },
  };
}
