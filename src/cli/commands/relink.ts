// `git distill relink`: carry distilled data of rewritten commits to their new oids by `git patch-id --stable`.
import { EXIT, DistillError } from '../../errors.ts';
import type { CliEnv, Command, ParsedValues } from '../command.ts';
import { loadRepoConfig } from '../../config/load.ts';
import { createGit } from '../../io/git.ts';
import { findRepoRoot, openDistillContext } from '../../distill/open-context.ts';
import { carryCommit, computePatchIds, type CarryResult } from '../../distill/rewrite.ts';

const HELP = `usage: git distill relink [<rev>] [--max-count N] [--json]

After a rebase, cherry-pick or squash that post-rewrite did not see (hooks not installed, a rebase on
another machine, a forge merge), distilled data sits under oids no branch reaches any more. relink
finds those orphaned commits, computes \`git patch-id --stable\` for them and for the undistilled
commits of <rev> (default HEAD, newest --max-count, default 500), and carries each orphan's folder to
the commit with the same patch. Every carried record says so: links[].by = "patch-id".

options:
  --max-count <n>  how many commits of <rev>'s history to consider (default 500)
  --json           print {carried: [...], orphans, candidates}
`;

async function run(env: CliEnv, values: ParsedValues, positionals: string[]): Promise<number> {
  const git = createGit({ cwd: env.cwd });
  const repoRoot = await findRepoRoot(git);
  const rev = positionals[0] ?? 'HEAD';
  const maxCount = typeof values['max-count'] === 'string' ? Number(values['max-count']) : 500;
  if (!Number.isInteger(maxCount) || maxCount < 1) {
    throw new DistillError('E_USAGE', `--max-count must be a positive integer, not '${String(values['max-count'])}'`, { hint: 'git distill relink --max-count 1000' });
  }
  const { config } = loadRepoConfig(repoRoot);
  const opened = await openDistillContext({ cwd: repoRoot, config, tool_version: env.version, slack_seconds: config.link.slack_seconds });
  try {
    const distilled = await opened.ctx.store.listSources();
    // Reachable from any ref: the distill history is orphan, so it adds no source commit to this set.
    const reachable = new Set((await opened.git.run(['rev-list', '--all'])).stdoutText.split('\n').filter((l) => l !== ''));
    const orphans = distilled.filter((o) => !reachable.has(o));
    const verified = await opened.git.run(['rev-parse', '--verify', '--quiet', `${rev}^{commit}`], { allowExit: [1] });
    if (verified.exitCode !== 0) {
      throw new DistillError('E_GIT_BAD_REVISION', `'${rev}' is not a commit in ${repoRoot}`, { hint: 'git distill relink HEAD' });
    }
    const history = (await opened.git.run(['rev-list', `--max-count=${maxCount}`, verified.stdoutText.trim()])).stdoutText.split('\n').filter((l) => l !== '');
    const distilledSet = new Set(distilled);
    const candidates = history.filter((o) => !distilledSet.has(o));
    const carried: CarryResult[] = [];
    if (orphans.length > 0 && candidates.length > 0) {
      const orphanIds = await computePatchIds(opened.git, orphans);
      const candidateIds = await computePatchIds(opened.git, candidates);
      const byPatch = new Map<string, string>();
      // Oldest candidate last in rev-list order; the newest commit with a patch wins a tie.
      for (const c of [...candidates].reverse()) {
        const id = candidateIds.get(c);
        if (id !== undefined) byPatch.set(id, c);
      }
      for (const orphan of orphans) {
        const id = orphanIds.get(orphan);
        const target = id === undefined ? undefined : byPatch.get(id);
        if (id === undefined || target === undefined) continue;
        const result = await carryCommit(opened.ctx, orphan, target, 'patch-id', `patch-id ${id.slice(0, 12)} of ${orphan.slice(0, 12)}`);
        carried.push(result);
      }
    }
    if (values.json === true) {
      env.stdout(JSON.stringify({ carried, orphans: orphans.length, candidates: candidates.length }) + '\n');
    } else {
      for (const c of carried) env.stdout(`${c.carried ? 'carried' : 'skipped'} ${c.old_oid.slice(0, 7)} → ${c.new_oid.slice(0, 7)}  ${c.detail}${c.carried ? ` (${c.evidence} evidence)` : ''}\n`);
      env.stdout(`${carried.filter((c) => c.carried).length} carried; ${orphans.length} orphaned distilled commit(s), ${candidates.length} undistilled candidate(s)\n`);
    }
    return EXIT.ok;
  } finally {
    await opened.close();
  }
}

export const relinkCommand: Command = {
  name: 'relink',
  summary: 'carry distilled data of rewritten commits to their new oids by patch-id',
  help: HELP,
  options: { json: { type: 'boolean' }, 'max-count': { type: 'string' } },
  allowPositionals: true,
  run,
};
