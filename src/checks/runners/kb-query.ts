// kb_query's runner: reads the range's diff with git and the search index (caught up with the distill branch), builds the snapshot.
import {
  buildDiffQuery,
  changeTerms,
  KB_QUERY_CHECK_ID,
  KB_QUERY_RULES,
  kbQueryCheck,
  parseUnifiedDiff,
  type ChangedFile,
  type KbQuerySnapshot,
  type ModelStat,
  type PastRun,
  type PlaybookRef,
} from '../../../checks/kb-query.ts';
import type { Finding } from '../../../schemas/finding.ts';
import { isDistillError } from '../../errors.ts';
import type { Git } from '../../io/git.ts';
import { openSearch, runSearch } from '../../search/index.ts';
import type { SearchIndex, StoredDocument } from '../../search/search-index.ts';
import type { FetchLike } from '../../search/embedders.ts';
import type { CheckContext, CheckRunner } from '../registry.ts';

/** Files past this many in one diff are left out of the snapshot (a vendored tree or a mass rename says little per file). */
export const MAX_CHANGED_FILES = 200;
const RUN_KINDS = ['evidence', 'failure', 'lesson'] as const;

/** The unified diff of the range: base..head, or head against its parent (the empty tree for a root commit). */
export async function readRangeDiff(git: Git, rev: { base_oid: string | null; head_oid: string }): Promise<string> {
  const common = ['--no-color', '--no-ext-diff', '--no-renames', '--no-textconv', '-U0'];
  if (rev.base_oid !== null) return (await git.run(['diff', ...common, rev.base_oid, rev.head_oid, '--'])).stdoutText;
  return (await git.run(['diff-tree', '-p', '--root', ...common, rev.head_oid, '--'])).stdoutText;
}

const WORD = /[A-Za-z_][A-Za-z0-9_]{3,}/g;

function wordsOf(docs: readonly StoredDocument[]): Set<string> {
  const words = new Set<string>();
  for (const d of docs) for (const m of d.text.matchAll(WORD)) words.add(m[0].toLowerCase());
  return words;
}

/** Past runs on the changed files, one per run id (the newest distilled copy when a rewrite carried it). */
export function collectPastRuns(index: SearchIndex, changes: readonly ChangedFile[], ranks: ReadonlyMap<string, number>): PastRun[] {
  const docsByRun = new Map<string, StoredDocument[]>();
  for (const change of changes) {
    for (const d of index.listDocuments({ file: change.path, kinds: RUN_KINDS }, 2000)) {
      if (d.run_id === null || d.source_oid === null || !d.files.includes(change.path)) continue;
      const key = `${d.run_id}\0${d.source_oid}`;
      const list = docsByRun.get(key) ?? [];
      if (!list.some((x) => x.doc_id === d.doc_id)) list.push(d);
      docsByRun.set(key, list);
    }
  }
  const newest = new Map<string, PastRun>();
  for (const docs of docsByRun.values()) {
    const main = docs.find((d) => d.kind === 'evidence') ?? (docs[0] as StoredDocument);
    const facts = main.facts ?? { reasons: [], failure_markers: [], override_reason: null, failed_validations: [] };
    const words = wordsOf(docs);
    const shared: Record<string, string[]> = {};
    for (const c of changes) if (main.files.includes(c.path)) shared[c.path] = changeTerms(c).filter((t) => words.has(t));
    const rank = Math.min(...docs.map((d) => ranks.get(d.doc_id) ?? Infinity));
    const run: PastRun = {
      run_id: main.run_id as string,
      source_oid: main.source_oid as string,
      committed_at: main.committed_at,
      category: main.category ?? 'needs_human_review',
      task_type: main.task_type,
      models: main.models,
      files: main.files,
      reasons: facts.reasons,
      failure_markers: facts.failure_markers,
      failed_validations: facts.failed_validations,
      override_reason: facts.override_reason,
      relevance_rank: Number.isFinite(rank) ? rank : null,
      shared_terms: shared,
    };
    const prev = newest.get(run.run_id);
    if (prev === undefined || (prev.committed_at ?? '') < (run.committed_at ?? '') || ((prev.committed_at ?? '') === (run.committed_at ?? '') && prev.source_oid < run.source_oid)) {
      newest.set(run.run_id, run);
    }
  }
  return [...newest.values()].sort((a, b) => (a.run_id < b.run_id ? -1 : a.run_id > b.run_id ? 1 : 0));
}

/** Accepted and rejected counts per model on each task type, one vote per run. */
export function collectModelStats(index: SearchIndex, taskTypes: readonly string[]): ModelStat[] {
  const out: ModelStat[] = [];
  for (const taskType of [...new Set(taskTypes)].sort()) {
    const seen = new Set<string>();
    const stats = new Map<string, ModelStat>();
    for (const d of index.listDocuments({ task_type: taskType, kinds: ['evidence'] })) {
      if (d.run_id === null || seen.has(d.run_id)) continue;
      seen.add(d.run_id);
      for (const model of d.models) {
        const s = stats.get(model) ?? { task_type: taskType, model, runs: 0, accepted: 0, rejected: 0 };
        s.runs++;
        if (d.category === 'accepted' || d.category === 'partially_accepted') s.accepted++;
        if (d.category === 'rejected') s.rejected++;
        stats.set(model, s);
      }
    }
    out.push(...[...stats.values()].sort((a, b) => (a.model < b.model ? -1 : 1)));
  }
  return out;
}

/** Everything the pure check needs, read from the index for one set of changes. */
export async function buildKbQuerySnapshot(
  search: { index: SearchIndex; embedder: Parameters<typeof runSearch>[1] },
  config: CheckContext['config'],
  rev: { base_oid: string | null; head_oid: string },
  changes: ChangedFile[],
): Promise<KbQuerySnapshot> {
  const ranks = new Map<string, number>();
  const query = buildDiffQuery(changes);
  try {
    const result = await runSearch(search.index, search.embedder, { text: query, k: Math.max(100, config.search.candidates), filters: {} }, config.search);
    for (const h of result.hits) ranks.set(h.doc_id, h.rank);
  } catch (error) {
    // A diff with no searchable word (only punctuation in its paths) still gets the per-file lookups.
    if (!isDistillError(error) || error.code !== 'E_USAGE') throw error;
  }
  const past = collectPastRuns(search.index, changes, ranks);
  const playbooks: PlaybookRef[] = search.index.listDocuments({ kinds: ['playbook'] }).map((d) => ({
    playbook_id: d.doc_id.slice('playbook:'.length),
    title: d.title,
    status: d.category ?? 'proposed',
    task_type: d.task_type ?? '',
    files: d.files,
    relevance_rank: ranks.get(d.doc_id) ?? null,
  }));
  const model_stats = collectModelStats(search.index, past.flatMap((r) => (r.task_type === null ? [] : [r.task_type])));
  return { base_oid: rev.base_oid, head_oid: rev.head_oid, changes, past_runs: past, playbooks, model_stats };
}

/** The runner, with the embedder's fetch injectable for tests. */
export function createKbQueryRunner(opts: { fetch?: FetchLike; env?: Record<string, string | undefined> } = {}): CheckRunner {
  return {
    id: KB_QUERY_CHECK_ID,
    cli_name: 'kb-query',
    title: kbQueryCheck.title,
    rules: KB_QUERY_RULES,
    // Its findings are about the range's own diff: every one is introduced by it.
    compare_with_base: false,
    async run(ctx: CheckContext, rev): Promise<Finding[]> {
      const changes = parseUnifiedDiff(await readRangeDiff(ctx.git, rev)).slice(0, MAX_CHANGED_FILES);
      if (changes.length === 0) return [];
      // CheckContext carries no environment; the only variable read is the one search.embedder.api_key_env names.
      const search = await openSearch({ git: ctx.git, store: ctx.store, repo_root: ctx.repo_root, config: ctx.config, env: opts.env ?? process.env, ...(opts.fetch === undefined ? {} : { fetch: opts.fetch }) });
      try {
        return kbQueryCheck.run(await buildKbQuerySnapshot(search, ctx.config, rev, changes));
      } finally {
        search.close();
      }
    },
  };
}

export const kbQueryRunner: CheckRunner = createKbQueryRunner();
