// The search index: one SQLite file (documents, FTS5, embeddings by content hash) and an HNSW side file, both rebuildable.
import { Database, type SQLQueryBindings } from 'bun:sqlite';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { dirname } from 'node:path';
import type { HierarchicalNSW } from 'hnswlib-node';
import { DistillError } from '../errors.ts';
import { LIST_PARAMS, rankBounded, scoreRecord, type ListParams } from './bm25.ts';
import type { DocKind, IndexDocument, RunFacts } from './documents.ts';
import type { Embedder } from './embedders.ts';
import { renderMatch } from './fts-query.ts';
import { Postings, POSTINGS_SCHEMA } from './postings.ts';
import { HNSW_PARAMS, loadHnsw, scoreExact, type ScoredId } from './vectors.ts';

/** Bump when the tables or the documents built from a folder change: an index of another version is rebuilt. */
export const INDEX_FORMAT = 3;
export const SEARCH_DB = 'search.sqlite';
export const SEARCH_HNSW = 'search.hnsw';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS docs (
  id INTEGER PRIMARY KEY AUTOINCREMENT, doc_id TEXT NOT NULL UNIQUE, kind TEXT NOT NULL, source_oid TEXT, committed_at TEXT,
  run_id TEXT, category TEXT, task_type TEXT, models TEXT NOT NULL, files TEXT NOT NULL, title TEXT NOT NULL, text TEXT NOT NULL,
  facts TEXT, content_hash TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS docs_source ON docs (source_oid);
CREATE INDEX IF NOT EXISTS docs_hash ON docs (content_hash);
CREATE TABLE IF NOT EXISTS doc_files (doc INTEGER NOT NULL, path TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS doc_files_path ON doc_files (path);
CREATE INDEX IF NOT EXISTS doc_files_doc ON doc_files (doc);
CREATE TABLE IF NOT EXISTS doc_models (doc INTEGER NOT NULL, model TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS doc_models_model ON doc_models (model);
CREATE INDEX IF NOT EXISTS doc_models_doc ON doc_models (doc);
CREATE VIRTUAL TABLE IF NOT EXISTS docs_fts USING fts5 (title, text, tokenize = "unicode61 remove_diacritics 0 categories 'L* N* Co M*' tokenchars '_'");
CREATE TABLE IF NOT EXISTS embeddings (embedder TEXT NOT NULL, content_hash TEXT NOT NULL, vector BLOB NOT NULL, PRIMARY KEY (embedder, content_hash));
CREATE TABLE IF NOT EXISTS hnsw_pending (seq INTEGER PRIMARY KEY AUTOINCREMENT, doc INTEGER NOT NULL, op TEXT NOT NULL);
${POSTINGS_SCHEMA}`;

export interface SearchFilters {
  task_type?: string | null;
  /** A repository path, or a directory: matches documents touching it or anything under it. */
  file?: string | null;
  category?: string | null;
  model?: string | null;
  kinds?: readonly DocKind[] | null;
  /** Only documents distilled under these source commits (a commit range); playbooks have none and drop out. */
  source_oids?: readonly string[] | null;
}

export interface StoredDocument extends IndexDocument {
  /** The row id: the HNSW label. */
  id: number;
}

export interface KeywordSearchInfo {
  /**
   * `bounded`: ranked from each term's best postings; `exhaustive`: every matching document that passes the
   * filters was scored.
   */
  method: 'bounded' | 'exhaustive';
  /** True when the list is provably what scoring every document gives (always for `exhaustive`). */
  exact: boolean;
  /** Documents scored in full. */
  scored: number;
}

/** A ranked document, by row id, doc_id and the key of its vector (documentsByIds reads the rest). */
export interface RankedId {
  id: number;
  doc_id: string;
  content_hash: string;
  /** The vector its term record holds, in the embedder of meta `record_vectors` (null: not embedded yet). */
  vector: Uint8Array | null;
}

export interface KeywordSearchResult {
  /** Best first; equal scores by doc_id. */
  hits: RankedId[];
  info: KeywordSearchInfo;
}

export interface VectorSearchInfo {
  /** `exact` scored every candidate document; `hnsw` asked the graph; `candidates` scored the keyword list's documents. */
  method: 'exact' | 'hnsw' | 'candidates';
  candidates: number;
}

export interface SearchIndexOptions {
  /** Path of the SQLite file; its HNSW side file sits beside it. */
  path: string;
  /** The keyword lists' sizes (default LIST_PARAMS); part of the format: an index built with others is rebuilt. */
  lists?: ListParams;
}

function rowToDoc(row: Record<string, unknown>): StoredDocument {
  return {
    id: Number(row.id),
    doc_id: String(row.doc_id),
    kind: String(row.kind) as DocKind,
    source_oid: (row.source_oid as string | null) ?? null,
    committed_at: (row.committed_at as string | null) ?? null,
    run_id: (row.run_id as string | null) ?? null,
    category: (row.category as string | null) ?? null,
    task_type: (row.task_type as string | null) ?? null,
    models: JSON.parse(String(row.models)) as string[],
    files: JSON.parse(String(row.files)) as string[],
    title: String(row.title),
    text: String(row.text),
    facts: row.facts === null ? null : (JSON.parse(String(row.facts)) as RunFacts),
    content_hash: String(row.content_hash),
  };
}

const escapeLike = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);

function toBlob(v: Float32Array): Uint8Array {
  return new Uint8Array(v.buffer.slice(v.byteOffset, v.byteOffset + v.byteLength));
}

function fromBlob(b: Uint8Array): Float32Array {
  if (b.byteOffset % 4 === 0) return new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4);
  const copy = new Uint8Array(b.byteLength);
  copy.set(b);
  return new Float32Array(copy.buffer);
}

export class SearchIndex {
  readonly path: string;
  readonly hnswPath: string;
  private readonly db: Database;
  private readonly postings: Postings;
  private hnsw: { embedder: string; graph: HierarchicalNSW } | null = null;

  private constructor(path: string, db: Database, lists: ListParams) {
    this.path = path;
    this.hnswPath = `${path.replace(/\.sqlite$/, '')}.hnsw`;
    this.db = db;
    this.postings = new Postings(db, lists);
  }

  /** Open (creating) the index; a file of another INDEX_FORMAT or list length, or one SQLite cannot read, is replaced by an empty index. */
  static open(opts: SearchIndexOptions): SearchIndex {
    const dir = dirname(opts.path);
    try {
      mkdirSync(dir, { recursive: true });
      // Like the run cache: the directory ignores itself, so a first query leaves `git status` clean.
      if (!existsSync(join(dir, '.gitignore'))) writeFileSync(join(dir, '.gitignore'), '*\n');
    } catch (cause) {
      throw new DistillError('E_INPUT_UNREADABLE', `cannot create the search index directory ${dir}`, { hint: 'check the permissions of the repository directory', details: { path: dir }, cause });
    }
    const lists = opts.lists ?? LIST_PARAMS;
    // What a stored index must match to be reused: its tables (INDEX_FORMAT) and the length its lists were cut to.
    const stamp = { format: String(INDEX_FORMAT), lists: `kept ${lists.kept}, read ${lists.read_max}` };
    const tryOpen = () => {
      const db = new Database(opts.path, { create: true });
      db.exec('PRAGMA busy_timeout = 60000');
      db.exec('PRAGMA journal_mode = WAL');
      // Building the lists writes, and ranking reads, all over the file: SQLite's default 2 MB page cache thrashes.
      db.exec('PRAGMA cache_size = -65536');
      db.exec(SCHEMA);
      const stored = new Map((db.query("SELECT key, value FROM meta WHERE key IN ('format', 'lists')").all() as Array<{ key: string; value: string }>).map((r) => [r.key, r.value]));
      if (stored.size === 0) {
        for (const [key, value] of Object.entries(stamp)) db.query('INSERT INTO meta (key, value) VALUES (?, ?)').run(key, value);
      } else if (stored.get('format') !== stamp.format || stored.get('lists') !== stamp.lists) {
        db.close();
        return null;
      }
      return db;
    };
    let db: Database | null;
    try {
      db = tryOpen();
    } catch {
      db = null;
    }
    if (db === null) {
      // The index is a cache: anything unreadable is removed and rebuilt from the distill branch.
      SearchIndex.remove(opts.path);
      db = tryOpen();
      if (db === null) throw new DistillError('E_INTERNAL', `cannot create the search index at ${opts.path}`);
    }
    return new SearchIndex(opts.path, db, lists);
  }

  /** Delete the index files (the SQLite file, its WAL, the HNSW side file). */
  static remove(path: string): void {
    for (const p of [path, `${path}-wal`, `${path}-shm`, `${path.replace(/\.sqlite$/, '')}.hnsw`]) rmSync(p, { force: true });
  }

  close(): void {
    this.db.close();
  }

  getMeta(key: string): string | null {
    const row = this.db.query('SELECT value FROM meta WHERE key = ?').get(key) as { value: string } | null;
    return row?.value ?? null;
  }

  setMeta(key: string, value: string): void {
    this.db.query('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)').run(key, value);
  }

  /**
   * Run `fn` in one write transaction (IMMEDIATE, so two processes syncing take turns); the postings' cached
   * term states are written back before it commits, and forgotten when it rolls back.
   */
  transaction<T>(fn: () => T): T {
    if (this.db.inTransaction) return fn();
    try {
      return this.db
        .transaction(() => {
          const result = fn();
          this.postings.finish();
          return result;
        })
        .immediate();
    } catch (error) {
      this.postings.discard();
      throw error;
    }
  }

  count(): number {
    return this.postings.docCount();
  }

  /** Remove every document (embeddings stay: they are keyed by content and reused). */
  clearDocuments(): void {
    this.transaction(() => {
      this.db.exec('DELETE FROM docs; DELETE FROM doc_files; DELETE FROM doc_models; DELETE FROM docs_fts; DELETE FROM hnsw_pending;');
      this.postings.clear();
    });
    this.invalidateHnsw();
  }

  private deleteRows(ids: number[]): void {
    if (!this.db.inTransaction) return this.transaction(() => this.deleteRows(ids));
    const del = [
      this.db.query('DELETE FROM docs WHERE id = ?'),
      this.db.query('DELETE FROM doc_files WHERE doc = ?'),
      this.db.query('DELETE FROM doc_models WHERE doc = ?'),
      this.db.query('DELETE FROM docs_fts WHERE rowid = ?'),
    ];
    const pending = this.db.query("INSERT INTO hnsw_pending (doc, op) VALUES (?, 'delete')");
    for (const id of ids) {
      this.postings.remove(id);
      for (const q of del) q.run(id);
      pending.run(id);
    }
  }

  /** Drop the documents distilled under `sourceOid`. */
  deleteSource(sourceOid: string): void {
    const ids = (this.db.query('SELECT id FROM docs WHERE source_oid = ?').all(sourceOid) as Array<{ id: number }>).map((r) => r.id);
    this.deleteRows(ids);
  }

  deleteDocument(docId: string): void {
    const ids = (this.db.query('SELECT id FROM docs WHERE doc_id = ?').all(docId) as Array<{ id: number }>).map((r) => r.id);
    this.deleteRows(ids);
  }

  addDocuments(docs: readonly IndexDocument[]): void {
    if (!this.db.inTransaction) return this.transaction(() => this.addDocuments(docs));
    const insert = this.db.query(
      `INSERT INTO docs (doc_id, kind, source_oid, committed_at, run_id, category, task_type, models, files, title, text, facts, content_hash)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
    );
    const file = this.db.query('INSERT INTO doc_files (doc, path) VALUES (?, ?)');
    const model = this.db.query('INSERT INTO doc_models (doc, model) VALUES (?, ?)');
    const fts = this.db.query('INSERT INTO docs_fts (rowid, title, text) VALUES (?, ?, ?)');
    const pending = this.db.query("INSERT INTO hnsw_pending (doc, op) VALUES (?, 'add')");
    const rows: Array<{ doc: number; doc_id: string; content_hash: string; title: string; text: string }> = [];
    for (const d of docs) {
      this.deleteDocument(d.doc_id);
      const row = insert.get(
        d.doc_id, d.kind, d.source_oid, d.committed_at, d.run_id, d.category, d.task_type,
        JSON.stringify(d.models), JSON.stringify(d.files), d.title, d.text, d.facts === null ? null : JSON.stringify(d.facts), d.content_hash,
      ) as { id: number };
      for (const p of d.files) file.run(row.id, p);
      for (const m of d.models) model.run(row.id, m);
      fts.run(row.id, d.title, d.text);
      rows.push({ doc: row.id, doc_id: d.doc_id, content_hash: d.content_hash, title: d.title, text: d.text });
      pending.run(row.id);
    }
    this.postings.add(rows);
  }

  /** Texts of documents with no embedding under `embedderKey`, by content hash (each text once). */
  missingEmbeddings(embedderKey: string): Array<{ content_hash: string; text: string }> {
    return this.db
      .query(
        `SELECT d.content_hash AS content_hash, min(d.text) AS text FROM docs d
         WHERE NOT EXISTS (SELECT 1 FROM embeddings e WHERE e.embedder = ? AND e.content_hash = d.content_hash)
         GROUP BY d.content_hash ORDER BY d.content_hash`,
      )
      .all(embedderKey) as Array<{ content_hash: string; text: string }>;
  }

  putEmbeddings(embedderKey: string, rows: ReadonlyArray<{ content_hash: string; vector: Float32Array }>): void {
    const q = this.db.query('INSERT OR REPLACE INTO embeddings (embedder, content_hash, vector) VALUES (?, ?, ?)');
    for (const r of rows) q.run(embedderKey, r.content_hash, toBlob(r.vector));
  }

  /**
   * Embed every document that has no vector in `embedder`'s space yet (unchanged text is never embedded twice),
   * then copy each document's vector into its term record: ranking reads that record anyway, so the vector
   * list over the keyword list's documents reads nothing more. The records hold one embedder's vectors (meta
   * `record_vectors`); another embedder's replace them. With `recordVectors` false (the config never computes
   * the vector list over the keyword list, e.g. an HTTP model weighted 1) they hold none: a 1,024-dim vector
   * would only make every record ranking reads four times larger.
   */
  async embedMissing(embedder: Embedder, opts: { batch?: number; recordVectors?: boolean } = {}): Promise<number> {
    const batch = opts.batch ?? 256;
    const inRecords = opts.recordVectors !== false;
    const missing = this.missingEmbeddings(embedder.key);
    for (let i = 0; i < missing.length; i += batch) {
      const part = missing.slice(i, i + batch);
      const vectors = await embedder.embed(part.map((m) => m.text));
      this.transaction(() => this.putEmbeddings(embedder.key, part.map((m, j) => ({ content_hash: m.content_hash, vector: vectors[j] as Float32Array }))));
    }
    this.transaction(() => {
      if (!this.recordVectorsAre(embedder.key, inRecords)) {
        this.db.exec('UPDATE doc_terms SET vector = NULL WHERE vector IS NOT NULL');
        this.setMeta('record_vectors', inRecords ? embedder.key : '');
      }
      if (!inRecords) return;
      // Only the records still without one (a partial index holds them), so an incremental sync touches only what it added.
      this.db
        .query(
          `UPDATE doc_terms SET vector = (SELECT e.vector FROM embeddings e WHERE e.embedder = ? AND e.content_hash = doc_terms.content_hash)
           WHERE doc IN (SELECT doc FROM doc_terms INDEXED BY doc_terms_unembedded WHERE vector IS NULL)`,
        )
        .run(embedder.key);
    });
    return missing.length;
  }

  /** Whether the term records hold `embedderKey`'s vectors (`inRecords`), or none (meta `record_vectors` is empty then). */
  recordVectorsAre(embedderKey: string, inRecords: boolean): boolean {
    return this.getMeta('record_vectors') === (inRecords ? embedderKey : '');
  }

  /** WHERE clauses over `d` (docs) for the filters, with their bindings. */
  private filterSql(f: SearchFilters): { sql: string; args: SQLQueryBindings[] } {
    const where: string[] = [];
    const args: SQLQueryBindings[] = [];
    if (f.task_type != null) {
      where.push('d.task_type = ?');
      args.push(f.task_type);
    }
    if (f.category != null) {
      where.push('d.category = ?');
      args.push(f.category);
    }
    if (f.file != null) {
      const dir = f.file.replace(/\/+$/, '');
      where.push("EXISTS (SELECT 1 FROM doc_files f WHERE f.doc = d.id AND (f.path = ? OR f.path LIKE ? ESCAPE '\\'))");
      args.push(dir, `${escapeLike(dir)}/%`);
    }
    if (f.model != null) {
      where.push('EXISTS (SELECT 1 FROM doc_models m WHERE m.doc = d.id AND m.model = ?)');
      args.push(f.model);
    }
    if (f.kinds != null) {
      where.push(`d.kind IN (${f.kinds.map(() => '?').join(',') || "''"})`);
      args.push(...f.kinds);
    }
    if (f.source_oids != null) {
      // A JSON array bound once: no limit on how many commits a range holds.
      where.push('d.source_oid IN (SELECT value FROM json_each(?))');
      args.push(JSON.stringify(f.source_oids));
    }
    return { sql: where.length === 0 ? '' : ` AND ${where.join(' AND ')}`, args };
  }

  /**
   * BM25 over title (weight 2) and text, best first, equal scores by doc_id; `terms` come from buildFtsQuery.
   * Without filters it reads each term's best postings (bounded, whatever the history); with filters it scores
   * every matching document that passes them (FTS5 finds those), which is exact.
   */
  keywordSearch(terms: readonly string[], filters: SearchFilters, limit: number): KeywordSearchResult {
    const f = this.filterSql(filters);
    const lists = this.postings.readLists(terms);
    if (lists.length === 0 || limit <= 0) return { hits: [], info: { method: f.sql === '' ? 'bounded' : 'exhaustive', exact: true, scored: 0 } };
    let scored: Array<{ doc: number; score: number }>;
    let info: KeywordSearchInfo;
    const seen = new Map<number, RankedId>();
    const readRecords = (docs: readonly number[]) => {
      const records = this.postings.readRecords(docs);
      for (const [doc, r] of records) seen.set(doc, { id: doc, doc_id: r.doc_id, content_hash: r.content_hash, vector: r.vector });
      return records;
    };
    if (f.sql === '') {
      const ranking = rankBounded(lists, limit, readRecords, Math.max(limit, this.postings.params.max_scored));
      scored = ranking.scored;
      info = { method: 'bounded', exact: ranking.exact, scored: scored.length };
    } else {
      const ids = (this.db.query(`SELECT d.id AS id FROM docs_fts JOIN docs d ON d.id = docs_fts.rowid WHERE docs_fts MATCH ?${f.sql}`).all(renderMatch(terms), ...f.args) as Array<{ id: number }>).map((r) => r.id);
      scored = [];
      for (let i = 0; i < ids.length; i += 4096) {
        const records = readRecords(ids.slice(i, i + 4096));
        for (const [doc, row] of records) {
          const score = scoreRecord(lists, row);
          if (score > 0) scored.push({ doc, score });
        }
      }
      info = { method: 'exhaustive', exact: true, scored: ids.length };
    }
    // The cut, then equal scores by doc_id (a rebuilt index numbers its rows differently).
    scored.sort((a, b) => b.score - a.score);
    const last = scored[Math.min(limit, scored.length) - 1];
    const top = last === undefined ? [] : scored.filter((s) => s.score >= last.score);
    const hits = top
      .map((t) => ({ score: t.score, hit: seen.get(t.doc) as RankedId }))
      .sort((a, b) => b.score - a.score || (a.hit.doc_id < b.hit.doc_id ? -1 : 1))
      .slice(0, limit)
      .map((t) => t.hit);
    return { hits, info };
  }

  /** doc_id of each row id that exists. */
  docIdsOf(ids: readonly number[]): Map<number, string> {
    const rows = this.db.query('SELECT id, doc_id FROM docs WHERE id IN (SELECT value FROM json_each(?))').values(JSON.stringify(ids)) as Array<[number, string]>;
    return new Map(rows);
  }

  /** Documents matching the filters (no text), in doc_id order. */
  listDocuments(filters: SearchFilters, limit = 1_000_000): StoredDocument[] {
    const f = this.filterSql(filters);
    return (this.db.query(`SELECT d.* FROM docs d WHERE 1${f.sql} ORDER BY d.doc_id LIMIT ?`).all(...f.args, limit) as Array<Record<string, unknown>>).map(rowToDoc);
  }

  documentsByIds(ids: readonly number[]): Map<number, StoredDocument> {
    const rows = this.db.query('SELECT d.* FROM docs d WHERE d.id IN (SELECT value FROM json_each(?))').all(JSON.stringify(ids)) as Array<Record<string, unknown>>;
    return new Map(rows.map((r) => [Number(r.id), rowToDoc(r)]));
  }

  countMatching(filters: SearchFilters): number {
    const f = this.filterSql(filters);
    return Number((this.db.query(`SELECT count(*) AS n FROM docs d WHERE 1${f.sql}`).get(...f.args) as { n: number }).n);
  }

  /** Exact inner product against every document matching the filters. */
  exactVectorSearch(embedderKey: string, query: Float32Array, filters: SearchFilters, k: number): ScoredId[] {
    const f = this.filterSql(filters);
    // values(), not all(): Bun's all() is far slower with BLOB columns on a large file.
    const rows = this.db.query(`SELECT d.id, e.vector FROM docs d JOIN embeddings e ON e.embedder = ? AND e.content_hash = d.content_hash WHERE 1${f.sql}`).values(embedderKey, ...f.args) as Array<[number, Uint8Array]>;
    return scoreExact(query, rows.map(([id, vector]) => ({ id, vector: fromBlob(vector) })), k);
  }

  /**
   * Exact inner product against the given documents (the keyword list's): their vectors come with their term
   * records when those hold `embedderKey`'s, else from the embeddings table by content hash.
   */
  vectorSearchAmong(embedderKey: string, query: Float32Array, docs: readonly RankedId[], k: number): { hits: ScoredId[]; info: VectorSearchInfo } {
    const inRecords = this.recordVectorsAre(embedderKey, true);
    const lacking = docs.filter((d) => !inRecords || d.vector === null).map((d) => d.content_hash);
    const rows =
      lacking.length === 0
        ? []
        : (this.db.query('SELECT content_hash, vector FROM embeddings WHERE embedder = ? AND content_hash IN (SELECT value FROM json_each(?))').values(embedderKey, JSON.stringify(lacking)) as Array<[string, Uint8Array]>);
    const vectors = new Map(rows.map(([hash, vector]) => [hash, fromBlob(vector)]));
    const candidates = docs.flatMap((d) => {
      const vector = inRecords && d.vector !== null ? fromBlob(d.vector) : vectors.get(d.content_hash);
      return vector === undefined ? [] : [{ id: d.id, vector }];
    });
    return { hits: scoreExact(query, candidates, k), info: { method: 'candidates', candidates: docs.length } };
  }

  /**
   * The `k` nearest documents by vector: exact when the filtered candidates number at most `exactMax` or
   * hnswlib cannot load, else the HNSW graph (brought up to date first, filtered by a label predicate).
   */
  async vectorSearch(embedderKey: string, query: Float32Array, filters: SearchFilters, k: number, exactMax: number): Promise<{ hits: ScoredId[]; info: VectorSearchInfo }> {
    const filtered = Object.values(filters).some((v) => v != null);
    const candidates = filtered ? this.countMatching(filters) : this.count();
    const { ctor } = await loadHnsw();
    if (candidates <= exactMax || ctor === null) {
      return { hits: this.exactVectorSearch(embedderKey, query, filters, k), info: { method: 'exact', candidates } };
    }
    const graph = this.syncHnsw(embedderKey, ctor, query.length);
    const allowed = filtered ? new Set(this.listDocumentIds(filters)) : null;
    const n = Math.min(k, graph.getCurrentCount());
    graph.setEf(Math.max(HNSW_PARAMS.ef_search, k));
    const result = allowed === null ? graph.searchKnn(Array.from(query), n) : graph.searchKnn(Array.from(query), n, (label: number) => allowed.has(label));
    const hits = result.neighbors.map((id, i) => ({ id, score: 1 - (result.distances[i] ?? 1) }));
    hits.sort((a, b) => b.score - a.score || a.id - b.id);
    return { hits, info: { method: 'hnsw', candidates } };
  }

  private listDocumentIds(filters: SearchFilters): number[] {
    const f = this.filterSql(filters);
    return (this.db.query(`SELECT d.id AS id FROM docs d WHERE 1${f.sql}`).all(...f.args) as Array<{ id: number }>).map((r) => r.id);
  }

  private invalidateHnsw(): void {
    this.hnsw = null;
    rmSync(this.hnswPath, { force: true });
    this.db.exec("DELETE FROM meta WHERE key IN ('hnsw_embedder', 'hnsw_seq'); DELETE FROM hnsw_pending;");
  }

  /** Forget the HNSW graph (a changed embedder): the next large query rebuilds it from the stored vectors. */
  resetVectors(): void {
    this.invalidateHnsw();
  }

  /**
   * The HNSW graph for `embedderKey`, current with the documents: loaded from the side file and given the
   * adds and deletes logged since it was written, or rebuilt from every stored vector when there is none.
   */
  syncHnsw(embedderKey: string, ctor: NonNullable<Awaited<ReturnType<typeof loadHnsw>>['ctor']>, dim: number): HierarchicalNSW {
    const pending = this.db.query('SELECT seq, doc, op FROM hnsw_pending ORDER BY seq').all() as Array<{ seq: number; doc: number; op: string }>;
    // Held in memory and nothing changed since: the common case of a second query in one process.
    if (this.hnsw?.embedder === embedderKey && pending.length === 0) return this.hnsw.graph;
    const vectorOf = this.db.query('SELECT e.vector AS vector FROM docs d JOIN embeddings e ON e.embedder = ? AND e.content_hash = d.content_hash WHERE d.id = ?');
    let graph: HierarchicalNSW | null = this.hnsw?.embedder === embedderKey ? this.hnsw.graph : null;
    if (graph === null && this.getMeta('hnsw_embedder') === embedderKey && existsSync(this.hnswPath)) {
      try {
        const g = new ctor('ip', dim);
        g.readIndexSync(this.hnswPath);
        graph = g;
      } catch {
        graph = null;
      }
    }
    let changed = pending.length > 0;
    if (graph === null) {
      const total = this.count();
      const g = new ctor('ip', dim);
      g.initIndex(Math.max(16, total), HNSW_PARAMS.m, HNSW_PARAMS.ef_construction, HNSW_PARAMS.seed);
      const rows = this.db.query('SELECT d.id AS id, e.vector AS vector FROM docs d JOIN embeddings e ON e.embedder = ? AND e.content_hash = d.content_hash ORDER BY d.id').iterate(embedderKey) as IterableIterator<{ id: number; vector: Uint8Array }>;
      for (const r of rows) g.addPoint(Array.from(fromBlob(r.vector)), r.id);
      graph = g;
      changed = true;
    } else {
      for (const p of pending) {
        if (p.op === 'delete') {
          try {
            graph.markDelete(p.doc);
          } catch {
            // Never added (a document deleted before the graph saw it).
          }
          continue;
        }
        const row = vectorOf.get(embedderKey, p.doc) as { vector: Uint8Array } | null;
        if (row === null) continue; // deleted again since, or not embedded
        if (graph.getCurrentCount() >= graph.getMaxElements()) graph.resizeIndex(Math.max(16, graph.getMaxElements() * 2));
        graph.addPoint(Array.from(fromBlob(row.vector)), p.doc);
      }
    }
    if (changed) {
      graph.writeIndexSync(this.hnswPath);
      this.transaction(() => {
        const last = pending[pending.length - 1];
        if (last !== undefined) this.db.query('DELETE FROM hnsw_pending WHERE seq <= ?').run(last.seq);
        this.setMeta('hnsw_embedder', embedderKey);
      });
    }
    this.hnsw = { embedder: embedderKey, graph };
    return graph;
  }

  /** Distinct values of a column, for "did you mean". */
  distinctValues(column: 'task_type' | 'category' | 'model' | 'file'): string[] {
    const sql =
      column === 'model'
        ? 'SELECT DISTINCT model AS v FROM doc_models ORDER BY v'
        : column === 'file'
          ? 'SELECT DISTINCT path AS v FROM doc_files ORDER BY v'
          : `SELECT DISTINCT ${column} AS v FROM docs WHERE ${column} IS NOT NULL ORDER BY v`;
    return (this.db.query(sql).all() as Array<{ v: string }>).map((r) => r.v);
  }
}
