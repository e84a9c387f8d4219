// Keeps the index current with the distill branch: catch up from the head it last indexed, or rebuild from the branch alone.
import type { DistillStore } from '../store/store.ts';
import { PLAYBOOKS_DIR, sourceOidOfPath } from '../store/layout.ts';
import { buildCommitDocuments, buildPlaybookDocument } from './documents.ts';
import type { Embedder } from './embedders.ts';
import type { SearchIndex } from './search-index.ts';

export interface SyncSource {
  store: DistillStore;
  /**
   * Root-relative paths that differ between two distill commits, or null when that cannot be told (the old
   * commit is gone: a rewritten or re-fetched branch), which rebuilds everything.
   */
  changedPaths(from: string, to: string): Promise<string[] | null>;
}

export interface SyncReport {
  /** `none` (already current), `incremental` (from the indexed head), `full` (from the branch alone), `reembed` (same documents, a new embedder). */
  mode: 'none' | 'incremental' | 'full' | 'reembed';
  head: string | null;
  sources_indexed: number;
  playbooks_indexed: number;
  documents: number;
  embedded: number;
  /** Folders or playbooks that could not be read into documents, with why; they are left out, nothing else is. */
  skipped: Array<{ path: string; reason: string }>;
}

const isPlaybookPath = (p: string) => p.startsWith(`${PLAYBOOKS_DIR}/`) && p.endsWith('.json');
const playbookIdOf = (p: string) => p.slice(PLAYBOOKS_DIR.length + 1, -'.json'.length);
const why = (e: unknown) => (e instanceof Error ? e.message.split('\n')[0] ?? e.message : String(e));

/**
 * Bring the index to the distill branch's head. Distilling a commit changes only its folder (and derived
 * files), so catching up re-reads just the folders that changed since the indexed head; `full` re-reads all.
 */
export async function syncIndex(index: SearchIndex, source: SyncSource, embedder: Embedder, opts: { full?: boolean; recordVectors?: boolean } = {}): Promise<SyncReport> {
  const head = await source.store.head();
  const indexed = index.getMeta('indexed_head');
  const report: SyncReport = { mode: 'none', head, sources_indexed: 0, playbooks_indexed: 0, documents: 0, embedded: 0, skipped: [] };
  const embedderChanged = index.getMeta('embedder') !== embedder.key;
  const recordVectors = opts.recordVectors !== false;
  if (opts.full !== true && indexed === (head ?? '') && !embedderChanged && index.recordVectorsAre(embedder.key, recordVectors)) {
    report.documents = index.count();
    return report;
  }
  let sources: string[] = [];
  let playbooks: string[] = [];
  let full = opts.full === true || indexed === null || indexed === '' || head === null;
  if (!full && head !== null && indexed !== null && indexed !== head) {
    const changed = await source.changedPaths(indexed, head);
    if (changed === null) full = true;
    else {
      sources = [...new Set(changed.map(sourceOidOfPath).filter((o): o is string => o !== null))].sort();
      playbooks = changed.filter(isPlaybookPath).sort();
    }
  }
  if (full) {
    sources = head === null ? [] : await source.store.listSources();
    playbooks = head === null ? [] : (await source.store.listPaths(PLAYBOOKS_DIR)).filter(isPlaybookPath);
  }
  report.mode = full ? 'full' : indexed !== (head ?? '') ? 'incremental' : embedderChanged ? 'reembed' : 'none';
  // Read first, write in one transaction: a crash leaves the old state and the old indexed_head, so the next sync redoes it.
  const folders = new Map<string, ReturnType<typeof buildCommitDocuments> | null>();
  for (const oid of sources) {
    const files = await source.store.readCommit(oid);
    if (files === null) {
      folders.set(oid, null);
      continue;
    }
    try {
      folders.set(oid, buildCommitDocuments(oid, files));
    } catch (error) {
      folders.set(oid, null);
      report.skipped.push({ path: `commits/${oid.slice(0, 2)}/${oid}`, reason: why(error) });
    }
  }
  const books = new Map<string, ReturnType<typeof buildPlaybookDocument> | null>();
  for (const path of playbooks) {
    const bytes = await source.store.readPath(path);
    if (bytes === null) {
      books.set(path, null);
      continue;
    }
    try {
      books.set(path, buildPlaybookDocument(bytes));
    } catch (error) {
      books.set(path, null);
      report.skipped.push({ path, reason: why(error) });
    }
  }
  index.transaction(() => {
    if (full) index.clearDocuments();
    for (const [oid, docs] of folders) {
      index.deleteSource(oid);
      if (docs !== null) index.addDocuments(docs);
      report.sources_indexed++;
    }
    for (const [path, doc] of books) {
      index.deleteDocument(`playbook:${playbookIdOf(path)}`);
      if (doc !== null) index.addDocuments([doc]);
      report.playbooks_indexed++;
    }
  });
  if (embedderChanged) index.resetVectors();
  report.embedded = await index.embedMissing(embedder, { recordVectors });
  index.transaction(() => {
    index.setMeta('indexed_head', head ?? '');
    index.setMeta('embedder', embedder.key);
  });
  report.documents = index.count();
  return report;
}
