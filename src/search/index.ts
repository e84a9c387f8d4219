// The search stage's surface: open the index under .distill/cache/, catch it up with the distill branch, query it.
import { join } from 'node:path';
import type { DistillConfig } from '../../schemas/config.ts';
import type { Git } from '../io/git.ts';
import type { DistillStore } from '../store/store.ts';
import { LIST_PARAMS } from './bm25.ts';
import { createEmbedder, type Embedder, type FetchLike } from './embedders.ts';
import { SEARCH_DB, SearchIndex } from './search-index.ts';
import { vectorListWithinKeywordList } from './search.ts';
import { syncIndex, type SyncReport } from './sync.ts';

export { runSearch, type SearchHit, type SearchRequest, type SearchResult } from './search.ts';
export type { SearchFilters } from './search-index.ts';
export type { SyncReport } from './sync.ts';

/** `.distill/cache/` beside the run cache; rebuildable, ignored by the cache's own .gitignore. */
export function searchIndexPath(repoRoot: string): string {
  return join(repoRoot, '.distill', 'cache', SEARCH_DB);
}

export interface OpenSearchOptions {
  git: Git;
  store: DistillStore;
  repo_root: string;
  config: DistillConfig;
  env: Record<string, string | undefined>;
  fetch?: FetchLike;
  /** Drop the index and rebuild from the distill branch alone (`git distill reindex`). */
  rebuild?: boolean;
}

export interface OpenedSearch {
  index: SearchIndex;
  embedder: Embedder;
  sync: SyncReport;
  close(): void;
}

/** Paths that differ between two distill commits; null when either is unknown (rebuild instead). */
async function changedPaths(git: Git, from: string, to: string): Promise<string[] | null> {
  const r = await git.run(['diff-tree', '-r', '--no-renames', '--name-only', '-z', from, to], { allowExit: [128] });
  if (r.exitCode !== 0) return null;
  return r.stdoutText.split('\0').filter((p) => p !== '');
}

/** The index, current with the distill branch's head (incremental when it can be). */
export async function openSearch(opts: OpenSearchOptions): Promise<OpenedSearch> {
  const path = searchIndexPath(opts.repo_root);
  if (opts.rebuild === true) SearchIndex.remove(path);
  const embedder = createEmbedder(opts.config.search.embedder, opts.env, opts.fetch);
  const index = SearchIndex.open({ path, lists: { ...LIST_PARAMS, max_scored: opts.config.search.max_scored } });
  try {
    const sync = await syncIndex(index, { store: opts.store, changedPaths: (a, b) => changedPaths(opts.git, a, b) }, embedder, {
      full: opts.rebuild === true,
      recordVectors: vectorListWithinKeywordList(opts.config.search, embedder),
    });
    return { index, embedder, sync, close: () => index.close() };
  } catch (error) {
    index.close();
    throw error;
  }
}
