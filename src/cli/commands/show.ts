// `git distill show <rev>`: what was distilled for one commit: manifest summary, runs, links, quarantine, receipts; reads only.
import { DistillError, EXIT } from '../../errors.ts';
import { openRepoStore, readVerifiedFolder, resolveCommit } from '../../read/read-distilled.ts';
import { buildShowJson, buildShowView, renderShow } from '../../read/render-show.ts';
import { readCommitPlaybooks } from '../../playbooks/commit-playbooks.ts';
import type { CliEnv, Command, ParsedValues } from '../command.ts';

const HELP = `usage: git distill show [<rev>] [--json]

Show what was distilled for one commit (default HEAD): the manifest's figures, every run with its
category, how it was linked to the commit and the first reason for its score, the quarantined lines
(file:line and why), and each receipt (stage, whether validation passed, its counts), then whether the
folder verifies. Exits 1 when the commit is not distilled.

options:
  --json      print {oid, subject, distilled, path, manifest, runs, links, quarantine, receipts,
              verified, problems}; runs are ScoredRun records, receipts in chain order
  -h, --help  this help
`;

async function run(env: CliEnv, values: ParsedValues, positionals: string[]): Promise<number> {
  if (positionals.length > 1) {
    throw new DistillError('E_USAGE', `show takes one revision, got ${positionals.length}`, { hint: 'git distill show HEAD~1' });
  }
  const rev = positionals[0] ?? 'HEAD';
  const { git, store } = await openRepoStore(env.cwd, env.version);
  try {
    const commit = await resolveCommit(git, rev);
    const folder = await readVerifiedFolder(store, commit.oid);
    if (folder === null) {
      if (values.json === true) {
        env.stdout(JSON.stringify({ oid: commit.oid, subject: commit.subject, distilled: false, path: null, manifest: null, runs: [], links: {}, quarantine: [], receipts: [], verified: null, problems: [] }) + '\n');
      }
      env.stderr(`git-distill: ${commit.short} ${commit.subject} is not distilled (nothing for it on ${store.ref})\n`);
      env.stderr(`  next: git distill run ${rev}\n`);
      return EXIT.findings;
    }
    const view = buildShowView(commit, folder.path, folder.files, folder.problems, await readCommitPlaybooks(store, commit.oid, folder.files));
    env.stdout(values.json === true ? JSON.stringify(buildShowJson(view)) + '\n' : renderShow(view));
    if (folder.problems.length > 0) env.stderr(`git-distill: ${commit.short} does not verify\n  next: git distill verify ${rev}\n`);
    return EXIT.ok;
  } finally {
    await store.close();
  }
}

export const showCommand: Command = {
  name: 'show',
  summary: 'what was distilled for one commit: runs, links, quarantine, receipts',
  help: HELP,
  options: { json: { type: 'boolean' } },
  allowPositionals: true,
  run,
};
