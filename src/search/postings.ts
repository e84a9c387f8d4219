// The keyword index's own tables in the search SQLite file: terms with their document frequency, each term's best
// postings by BM25 weight (cut at ListParams.kept), and one term record per document; exact under adds and deletes.
import type { Database, Statement } from 'bun:sqlite';
import { docTie, encodeTermRecord, decodeTermRecord, readDepth, termIdf, termImpact, TITLE_WEIGHT, type ListParams, type Posting, type QueryList, type TermRecordRow } from './bm25.ts';
import { countDocTerms } from './terms.ts';

export const POSTINGS_SCHEMA = `
CREATE TABLE IF NOT EXISTS terms (id INTEGER PRIMARY KEY, term TEXT NOT NULL UNIQUE, df INTEGER NOT NULL, stored INTEGER NOT NULL, cut_impact REAL, cut_tie INTEGER);
CREATE TABLE IF NOT EXISTS postings (term INTEGER NOT NULL, impact REAL NOT NULL, tie INTEGER NOT NULL, doc INTEGER NOT NULL, PRIMARY KEY (term, impact DESC, tie, doc)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS doc_terms (doc INTEGER PRIMARY KEY, doc_id TEXT NOT NULL, content_hash TEXT NOT NULL, len INTEGER NOT NULL, tie INTEGER NOT NULL, record BLOB NOT NULL, vector BLOB);
CREATE INDEX IF NOT EXISTS doc_terms_unembedded ON doc_terms (doc) WHERE vector IS NULL;
`;

/**
 * A term record with what ranking needs besides: the doc_id (order of equal scores), the vector's key, and the
 * vector itself in the index's current embedder (null until embedded): ranked documents' vectors then cost no
 * read beyond the record's.
 */
export interface StoredTermRecord extends TermRecordRow {
  doc_id: string;
  content_hash: string;
  vector: Uint8Array | null;
}

/** Where a term's stored list stops: the list holds exactly the documents with the term whose key sorts before it. */
interface Cut {
  impact: number;
  tie: number;
}

interface TermState {
  id: number;
  df: number;
  /** Postings in the table. */
  stored: number;
  /** null: the list holds every document with the term. */
  cut: Cut | null;
  /** Postings added in this transaction, not yet written: only those that survive the cut are (doc → posting). */
  pending: Map<number, Posting>;
}

/** Weight descending, then tie ascending: the lists' order. */
const before = (impact: number, tie: number, cut: Cut | null) => cut === null || impact > cut.impact || (impact === cut.impact && tie < cut.tie);
const listOrder = (a: Posting, b: Posting) => b.impact - a.impact || a.tie - b.tie || a.doc - b.doc;

/** Term states cached in one write transaction before they are written back (bounds memory on a huge rebuild). */
const MAX_CACHED_TERMS = 200_000;

export class Postings {
  private readonly db: Database;
  /** Term states touched in the current write transaction, by id, and by text for those looked up by text. */
  private readonly states = new Map<number, TermState>();
  private readonly byTerm = new Map<string, TermState>();
  /** Terms whose list may have fallen under read_max while cut: rebuilt at the end of the transaction. */
  private readonly short = new Set<number>();
  private docs: number | null = null;
  private readonly q: Record<'termsByText' | 'termById' | 'newTerms' | 'putTerm' | 'dropTerm' | 'addPosting' | 'delPosting' | 'addRecord' | 'getRecord' | 'delRecord' | 'tail' | 'cutList' | 'clearList', Statement>;

  readonly params: ListParams;

  constructor(db: Database, params: ListParams) {
    this.db = db;
    this.params = params;
    this.q = {
      termsByText: db.query('SELECT id, term, df, stored, cut_impact, cut_tie FROM terms WHERE term IN (SELECT value FROM json_each(?))'),
      termById: db.query('SELECT id, df, stored, cut_impact, cut_tie FROM terms WHERE id = ?'),
      newTerms: db.query('INSERT OR IGNORE INTO terms (term, df, stored) SELECT value, 0, 0 FROM json_each(?)'),
      putTerm: db.query('UPDATE terms SET df = ?, stored = ?, cut_impact = ?, cut_tie = ? WHERE id = ?'),
      dropTerm: db.query('DELETE FROM terms WHERE id = ?'),
      addPosting: db.query('INSERT INTO postings (term, impact, tie, doc) VALUES (?, ?, ?, ?)'),
      delPosting: db.query('DELETE FROM postings WHERE term = ? AND impact = ? AND tie = ? AND doc = ?'),
      addRecord: db.query('INSERT OR REPLACE INTO doc_terms (doc, doc_id, content_hash, len, tie, record) VALUES (?, ?, ?, ?, ?, ?)'),
      getRecord: db.query('SELECT len, tie, record FROM doc_terms WHERE doc = ?'),
      delRecord: db.query('DELETE FROM doc_terms WHERE doc = ?'),
      tail: db.query('SELECT doc, impact, tie FROM postings WHERE term = ? ORDER BY impact, tie DESC, doc DESC LIMIT ?'),
      cutList: db.query('DELETE FROM postings WHERE term = ? AND (impact < ? OR (impact = ? AND tie >= ?))'),
      clearList: db.query('DELETE FROM postings WHERE term = ?'),
    };
  }

  /** Documents indexed (kept as a counter: count(*) would read the whole table on every query). */
  docCount(): number {
    if (this.docs !== null) return this.docs;
    const row = this.db.query("SELECT value FROM meta WHERE key = 'doc_count'").get() as { value: string } | null;
    return row === null ? 0 : Number(row.value);
  }

  private setDocCount(n: number): void {
    this.docs = n;
  }

  /** The term's state: the one this transaction already holds (a delete may have changed it), else the row's. */
  private load(row: { id: number; df: number; stored: number; cut_impact: number | null; cut_tie: number | null } | null): TermState | null {
    if (row === null) return null;
    const held = this.states.get(row.id);
    if (held !== undefined) return held;
    const state: TermState = { id: row.id, df: row.df, stored: row.stored, cut: row.cut_impact === null ? null : { impact: row.cut_impact, tie: Number(row.cut_tie) }, pending: new Map() };
    this.states.set(state.id, state);
    return state;
  }

  /** Bring the states of `terms` into the cache, creating the terms the index has not seen: two statements for a whole batch. */
  private loadTerms(terms: readonly string[]): void {
    const wanted = terms.filter((t) => !this.byTerm.has(t));
    if (wanted.length === 0) return;
    const select = () => this.q.termsByText.all(JSON.stringify(wanted)) as Array<Parameters<Postings['load']>[0] & { term: string }>;
    let rows = select();
    if (rows.length < wanted.length) {
      this.q.newTerms.run(JSON.stringify(wanted));
      rows = select();
    }
    for (const row of rows) this.byTerm.set(row.term, this.load(row) as TermState);
  }

  private stateOfId(id: number): TermState {
    const cached = this.states.get(id);
    if (cached !== undefined) return cached;
    const state = this.load(this.q.termById.get(id) as Parameters<Postings['load']>[0]);
    if (state === null) throw new Error(`search index: term ${id} of a term record is missing (rebuild with git distill reindex)`);
    return state;
  }

  /** Index documents, each under its row id `doc`. */
  add(docs: ReadonlyArray<{ doc: number; doc_id: string; content_hash: string; title: string; text: string }>): void {
    const counted = docs.map((d) => ({ doc: d.doc, doc_id: d.doc_id, content_hash: d.content_hash, tie: docTie(d.doc_id), ...countDocTerms(d.title, d.text, TITLE_WEIGHT) }));
    this.loadTerms([...new Set(counted.flatMap((c) => [...c.tf.keys()]))]);
    for (const { doc, doc_id, content_hash, tie, len, tf } of counted) {
      const entries: Array<[number, number]> = [];
      for (const [term, f] of tf) {
        const state = this.byTerm.get(term) as TermState;
        state.df++;
        const impact = termImpact(f, len);
        if (before(impact, tie, state.cut)) state.pending.set(doc, { doc, impact, tie });
        entries.push([state.id, f]);
      }
      this.q.addRecord.run(doc, doc_id, content_hash, len, tie, encodeTermRecord(entries));
    }
    this.setDocCount(this.docCount() + docs.length);
    if (this.states.size > MAX_CACHED_TERMS) this.writeStates();
  }

  /** Unindex the document at row id `doc` (nothing when it has no record). */
  remove(doc: number): void {
    const row = this.q.getRecord.get(doc) as { len: number; tie: number; record: Uint8Array } | null;
    if (row === null) return;
    for (const [id, f] of decodeTermRecord(row.record)) {
      const state = this.stateOfId(id);
      state.df--;
      const impact = termImpact(f, row.len);
      if (state.pending.delete(doc) || !before(impact, row.tie, state.cut)) continue;
      this.q.delPosting.run(id, impact, row.tie, doc);
      state.stored--;
    }
    this.q.delRecord.run(doc);
    this.setDocCount(this.docCount() - 1);
    if (this.states.size > MAX_CACHED_TERMS) this.writeStates();
  }

  /** Every document removed. */
  clear(): void {
    this.db.exec('DELETE FROM terms; DELETE FROM postings; DELETE FROM doc_terms;');
    this.discard();
    this.setDocCount(0);
  }

  /** Forget the cached state (the transaction rolled back). */
  discard(): void {
    this.states.clear();
    this.byTerm.clear();
    this.short.clear();
    this.docs = null;
  }

  /**
   * Write back the cached term states. A list that would pass `kept` drops its tail: the `drop` lowest of the
   * stored and the pending postings (only the stored list's last `drop` can be among them), the highest dropped
   * becoming the cut; pending postings above the cut are inserted. Lists cut below read_max are noted.
   */
  private writeStates(): void {
    for (const s of this.states.values()) {
      if (s.df === 0) {
        this.q.dropTerm.run(s.id);
        continue;
      }
      const pending = [...s.pending.values()];
      s.pending.clear();
      const drop = s.stored + pending.length - this.params.kept;
      if (drop > 0) {
        pending.sort(listOrder);
        const stored = (this.q.tail.all(s.id, drop) as Posting[]).map((p) => ({ doc: p.doc, impact: p.impact, tie: Number(p.tie) }));
        const tail = [...stored, ...pending.slice(-drop)].sort(listOrder).slice(-drop);
        const top = tail[0] as Posting;
        s.cut = { impact: top.impact, tie: top.tie };
        s.stored -= this.q.cutList.run(s.id, s.cut.impact, s.cut.impact, s.cut.tie).changes;
      }
      for (const p of pending) {
        if (!before(p.impact, p.tie, s.cut)) continue;
        this.q.addPosting.run(s.id, p.impact, p.tie, p.doc);
        s.stored++;
      }
      if (s.cut !== null && s.stored >= s.df) s.cut = null;
      if (s.cut !== null && s.stored < Math.min(this.params.read_max, s.df)) this.short.add(s.id);
      this.q.putTerm.run(s.df, s.stored, s.cut?.impact ?? null, s.cut?.tie ?? null, s.id);
    }
    this.states.clear();
    this.byTerm.clear();
  }

  /** End of a write transaction: states written back, lists that deletions cut too short rebuilt from the term records. */
  finish(): void {
    this.writeStates();
    if (this.short.size > 0) this.rebuildLists([...this.short]);
    if (this.docs !== null) this.db.query("INSERT OR REPLACE INTO meta (key, value) VALUES ('doc_count', ?)").run(String(this.docs));
    this.discard();
  }

  /**
   * Rebuild the lists of `ids` from every term record (one scan). Only deletions make a cut list shorter than
   * read_max, and kept − read_max of them per term must hit the list first, so this is rare.
   */
  private rebuildLists(ids: number[]): void {
    const states = new Map<number, TermState>();
    for (const id of ids) {
      const row = this.q.termById.get(id) as Parameters<Postings['load']>[0];
      if (row === null) continue;
      const s = this.load(row) as TermState;
      if (s.cut !== null && s.stored < Math.min(this.params.read_max, s.df)) states.set(id, s);
    }
    if (states.size === 0) return;
    const found = new Map<number, Posting[]>([...states.keys()].map((id) => [id, []]));
    for (const row of this.db.query('SELECT doc, len, tie, record FROM doc_terms').iterate() as IterableIterator<{ doc: number; len: number; tie: number; record: Uint8Array }>) {
      for (const [id, f] of decodeTermRecord(row.record)) found.get(id)?.push({ doc: row.doc, impact: termImpact(f, row.len), tie: Number(row.tie) });
    }
    for (const [id, list] of found) {
      const s = states.get(id) as TermState;
      list.sort((a, b) => b.impact - a.impact || a.tie - b.tie || a.doc - b.doc);
      this.q.clearList.run(id);
      const kept = list.slice(0, this.params.kept);
      for (const p of kept) this.q.addPosting.run(id, p.impact, p.tie, p.doc);
      const next = list[this.params.kept];
      s.df = list.length;
      s.stored = kept.length;
      s.cut = next === undefined ? null : { impact: next.impact, tie: next.tie };
      this.q.putTerm.run(s.df, s.stored, s.cut?.impact ?? null, s.cut?.tie ?? null, id);
    }
    this.states.clear();
  }

  /** The query's terms that the index holds, in query order, each with its idf and best postings (readDepth of them). */
  readLists(terms: readonly string[]): QueryList[] {
    const rows = this.db.query('SELECT id, term, df FROM terms WHERE term IN (SELECT value FROM json_each(?))').all(JSON.stringify(terms)) as Array<{ id: number; term: string; df: number }>;
    const byTerm = new Map(rows.map((r) => [r.term, r]));
    const docs = this.docCount();
    const depth = readDepth(rows.length, this.params);
    const read = this.db.query('SELECT doc, impact, tie FROM postings WHERE term = ? ORDER BY impact DESC, tie, doc LIMIT ?');
    const lists: QueryList[] = [];
    for (const term of terms) {
      const r = byTerm.get(term);
      if (r === undefined) continue;
      const postings = (read.values(r.id, depth) as Array<[number, number, number]>).map(([doc, impact, tie]) => ({ doc, impact, tie }));
      lists.push({ term: r.id, idf: termIdf(r.df, docs), postings, df: r.df });
    }
    return lists;
  }

  /** Term records of the given documents (ranking then reads nothing from the docs table). */
  readRecords(docs: readonly number[]): Map<number, StoredTermRecord> {
    // values(), not all(): Bun's all() turns BLOB columns into objects an order of magnitude slower on a large file.
    const rows = this.db.query('SELECT doc, doc_id, content_hash, len, record, vector FROM doc_terms WHERE doc IN (SELECT value FROM json_each(?))').values(JSON.stringify(docs)) as Array<[number, string, string, number, Uint8Array, Uint8Array | null]>;
    return new Map(rows.map(([doc, doc_id, content_hash, len, record, vector]) => [doc, { doc_id, content_hash, len, record, vector }]));
  }
}
