// `git distill reindex`: drop the search index and rebuild it from the distill branch alone.
import { loadRepoConfig } from '../../config/load.ts';
import { DistillError, EXIT } from '../../errors.ts';
import { createGit } from '../../io/git.ts';
import { readRepoRoot } from '../../read/read-distilled.ts';
import { openSearch } from '../../search/index.ts';
import { createGitStore } from '../../store/git-store.ts';
import type { CliEnv, Command, ParsedValues } from '../command.ts';

const HELP = `usage: git distill reindex [--json]

Delete the search index (.distill/cache/search.sqlite and its HNSW side file) and rebuild it from the
distill branch alone: every commit folder's evidence, lessons and failures, and every playbook. Nothing
else is read, so a fresh clone that fetched the distill branch gets the same index. Queries and
kb-query catch up incrementally on their own; run this after changing search.embedder, or to recover.

options:
  --json      print {head, documents, sources, playbooks, embedded, embedder, skipped}
  -h, --help  this help
`;

async function run(env: CliEnv, values: ParsedValues, positionals: string[]): Promise<number> {
  if (positionals.length > 0) throw new DistillError('E_USAGE', 'reindex takes no arguments', { hint: 'git distill reindex' });
  const git = createGit({ cwd: env.cwd });
  const root = await readRepoRoot(git);
  const rootGit = createGit({ cwd: root });
  const { config } = loadRepoConfig(root);
  const store = createGitStore({ git: rootGit, ref: config.ref, tool_version: env.version });
  try {
    const search = await openSearch({ git: rootGit, store, repo_root: root, config, env: env.env, rebuild: true });
    search.close();
    const s = search.sync;
    for (const k of s.skipped) env.stderr(`git-distill: left out of the index: ${k.path}: ${k.reason}\n`);
    if (values.json === true) {
      env.stdout(JSON.stringify({ head: s.head, documents: s.documents, sources: s.sources_indexed, playbooks: s.playbooks_indexed, embedded: s.embedded, embedder: search.embedder.key, skipped: s.skipped }) + '\n');
    } else {
      env.stdout(`indexed ${s.documents} documents from ${s.sources_indexed} commits and ${s.playbooks_indexed} playbooks (${s.embedded} embedded with ${search.embedder.key})\n`);
      if (s.head === null) env.stderr(`git-distill: ${store.ref} does not exist yet\n  next: git distill run, or git distill pull\n`);
    }
    return EXIT.ok;
  } finally {
    await store.close();
  }
}

export const reindexCommand: Command = {
  name: 'reindex',
  summary: 'rebuild the search index from the distill branch alone',
  help: HELP,
  options: { json: { type: 'boolean' } },
  allowPositionals: true,
  run,
};
