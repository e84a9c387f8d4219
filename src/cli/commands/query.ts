// `git distill query "<text>"`: ranked evidence, lessons, failures and playbooks from the hybrid index; reads only.
import Fuse from 'fuse.js';
import { loadRepoConfig } from '../../config/load.ts';
import { DistillError, EXIT } from '../../errors.ts';
import { createGit } from '../../io/git.ts';
import { readRepoRoot, resolveCommit } from '../../read/read-distilled.ts';
import { openSearch, runSearch, type SearchFilters, type SearchHit } from '../../search/index.ts';
import type { SearchIndex } from '../../search/search-index.ts';
import { createGitStore } from '../../store/git-store.ts';
import { ScoreCategorySchema } from '../../../schemas/scored-run.ts';
import { PlaybookStatusSchema } from '../../../schemas/playbook.ts';
import type { CliEnv, Command, ParsedValues } from '../command.ts';

const HELP = `usage: git distill query "<text>" [--k N] [--task-type T] [--file PATH] [--category C] [--model M] [--since <rev>] [--json]

Search what the team's agents already learned: evidence summaries, lessons, failures (rejected runs and
why) and playbooks, ranked by BM25 and vectors fused by reciprocal rank. The index lives in
.distill/cache/search.sqlite and catches up with the distill branch before every query.

Any text is a query: punctuation and search operators are treated as plain words.

options:
  --k N              results to show (default 10, at most 1000)
  --task-type T      only records of this task type
  --file PATH        only records that touched PATH (a file, or a directory and everything under it)
  --category C       accepted, partially_accepted, rejected, needs_human_review (playbooks: proposed, approved, retired)
  --model M          only records of runs that used model M
  --since <rev>      only records distilled under commits in <rev>..HEAD (playbooks drop out)
  --json             print {query, terms, filters, resolved, index, keyword, vector, results: [...]}
  -h, --help         this help

A mistyped --file, --task-type or --model is matched to the closest indexed name, and the match is said.
exit: 0 (also with no results), 2 usage or config error, 4 git failure.
`;

export interface Resolved {
  flag: string;
  given: string;
  used: string;
}

/** `value` when the index knows it (for --file: a path or a directory of one); else the closest known name, or an error. */
export function resolveName(index: SearchIndex, flag: string, column: 'task_type' | 'model' | 'file', value: string): Resolved | null {
  const known = index.distinctValues(column);
  const dir = value.replace(/\/+$/, '');
  if (known.includes(value) || (column === 'file' && known.some((k) => k.startsWith(`${dir}/`)))) return null;
  if (known.length === 0) return null;
  const best = new Fuse(known, { threshold: 0.4, ignoreLocation: true }).search(value)[0];
  if (best === undefined) {
    throw new DistillError('E_USAGE', `${flag} '${value}' matches nothing in the index`, {
      hint: `known: ${known.slice(0, 8).join(', ')}${known.length > 8 ? ', …' : ''}`,
      details: { flag, value },
    });
  }
  return { flag, given: value, used: best.item };
}

function parseK(value: string | boolean | undefined): number {
  if (value === undefined) return 10;
  const k = Number(value);
  if (typeof value !== 'string' || !/^\d+$/.test(value) || k < 1 || k > 1000) {
    throw new DistillError('E_USAGE', `--k must be a whole number from 1 to 1000, got '${String(value)}'`, { hint: 'git distill query "flaky test" --k 20' });
  }
  return k;
}

const str = (v: string | boolean | undefined | string[] | boolean[]) => (typeof v === 'string' ? v : null);

function hitJson(h: SearchHit) {
  return {
    rank: h.rank,
    kind: h.kind,
    doc_id: h.doc_id,
    score: h.score,
    ranks: h.ranks,
    title: h.title,
    snippet: h.snippet,
    run_id: h.run_id,
    category: h.category,
    task_type: h.task_type,
    models: h.models,
    files: h.files,
    commit: h.source_oid,
    committed_at: h.committed_at,
  };
}

function renderHit(h: SearchHit): string {
  const where = h.source_oid === null ? 'playbooks/' : `commit ${h.source_oid.slice(0, 12)}`;
  const lines = [
    `${String(h.rank).padStart(2)}. [${h.kind}] ${h.title}`,
    `    ${[h.run_id === null ? null : `run ${h.run_id}`, h.category, h.task_type, where].filter((x) => x !== null).join(' · ')}`,
    `    ${h.snippet}`,
  ];
  return lines.join('\n') + '\n';
}

async function run(env: CliEnv, values: ParsedValues, positionals: string[]): Promise<number> {
  if (positionals.length === 0) throw new DistillError('E_USAGE', 'query needs the text to search for', { hint: 'git distill query "retry backoff"' });
  const text = positionals.join(' ');
  const k = parseK(values.k as string | undefined);
  const category = str(values.category);
  const allowed = [...ScoreCategorySchema.options, ...PlaybookStatusSchema.options] as string[];
  if (category !== null && !allowed.includes(category)) {
    const close = new Fuse(allowed, { threshold: 0.5 }).search(category)[0]?.item;
    throw new DistillError('E_USAGE', `--category must be one of ${allowed.join(', ')}, got '${category}'`, { hint: close === undefined ? 'git distill help query' : `did you mean --category ${close}` });
  }
  const git = createGit({ cwd: env.cwd });
  const root = await readRepoRoot(git);
  const rootGit = createGit({ cwd: root });
  const { config } = loadRepoConfig(root);
  const store = createGitStore({ git: rootGit, ref: config.ref, tool_version: env.version });
  try {
    let sourceOids: string[] | null = null;
    const since = str(values.since);
    if (since !== null) {
      const from = await resolveCommit(rootGit, since);
      const r = await rootGit.run(['rev-list', `${from.oid}..HEAD`, '--']);
      sourceOids = r.stdoutText.split('\n').filter((l) => l !== '');
    }
    const search = await openSearch({ git: rootGit, store, repo_root: root, config, env: env.env });
    try {
      for (const s of search.sync.skipped) env.stderr(`git-distill: left out of the index: ${s.path}: ${s.reason}\n`);
      const resolved: Resolved[] = [];
      const pick = (flag: string, column: 'task_type' | 'model' | 'file', value: string | null) => {
        if (value === null) return null;
        const r = resolveName(search.index, flag, column, value);
        if (r === null) return value;
        resolved.push(r);
        env.stderr(`git-distill: ${flag} '${r.given}' is not in the index; did you mean '${r.used}'? using it\n`);
        return r.used;
      };
      const filters: SearchFilters = {
        task_type: pick('--task-type', 'task_type', str(values['task-type'])),
        file: pick('--file', 'file', str(values.file)),
        model: pick('--model', 'model', str(values.model)),
        category,
        source_oids: sourceOids,
      };
      const result = await runSearch(search.index, search.embedder, { text, k, filters }, config.search);
      if (values.json === true) {
        env.stdout(
          JSON.stringify({
            query: text.length > 2000 ? `${text.slice(0, 2000)}…` : text,
            terms: result.terms,
            filters: { task_type: filters.task_type, file: filters.file, category, model: filters.model, since },
            resolved,
            index: { documents: search.sync.documents, head: search.sync.head, embedder: search.embedder.key, sync: search.sync.mode, embedded: search.sync.embedded },
            keyword: result.keyword,
            vector: result.vector,
            results: result.hits.map(hitJson),
          }) + '\n',
        );
      } else if (result.hits.length === 0) {
        env.stdout(search.sync.documents === 0 ? 'nothing is indexed yet\n' : 'no results\n');
        if (search.sync.documents === 0) env.stderr('  next: git distill run (or git distill pull), then query again\n');
      } else {
        env.stdout(result.hits.map(renderHit).join(''));
      }
      return EXIT.ok;
    } finally {
      search.close();
    }
  } finally {
    await store.close();
  }
}

export const queryCommand: Command = {
  name: 'query',
  summary: 'search evidence, lessons, failures and playbooks (BM25 + vectors)',
  help: HELP,
  options: {
    k: { type: 'string' },
    'task-type': { type: 'string' },
    file: { type: 'string' },
    category: { type: 'string' },
    model: { type: 'string' },
    since: { type: 'string' },
    json: { type: 'boolean' },
  },
  allowPositionals: true,
  run,
};
