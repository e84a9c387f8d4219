// `git distill run [<rev>|<range>]`: distill commits onto the distill branch in the foreground.
import { EXIT } from '../../errors.ts';
import type { CliEnv, Command, ParsedValues } from '../command.ts';
import { loadRepoConfig } from '../../config/load.ts';
import { warnWithoutSources } from '../warn-sources.ts';
import { findRepoRoot, openDistillContext } from '../../distill/open-context.ts';
import { distillAll, renderResultLine, resolveCommits, resultJson } from '../../distill/run-commits.ts';
import { createGit } from '../../io/git.ts';
import { DistillError } from '../../errors.ts';

const HELP = `usage: git distill run [<rev>|<range>] [--sync] [--attach] [--json]

Distill a commit (default HEAD), or each commit of a range A..B oldest first: read the new lines of
every configured source, link evidence to the commit (oid named, files changed in its time window,
session in this repository), score the runs and write the commit's folder with receipts to the
distill branch. Never touches the working tree, the index, HEAD or your branches.

options:
  --sync     run in the foreground (what run always does; accepted for the hooks)
  --attach   link every pending evidence record to this commit (by: manual)
  --json     print a JSON array, one object per commit
  -h, --help this help
`;

async function run(env: CliEnv, values: ParsedValues, positionals: string[]): Promise<number> {
  if (positionals.length > 1) {
    throw new DistillError('E_USAGE', 'run takes at most one revision or range', { hint: 'git distill run HEAD~3..HEAD' });
  }
  const repoRoot = await findRepoRoot(createGit({ cwd: env.cwd }));
  const { config, path } = loadRepoConfig(repoRoot);
  warnWithoutSources(env, config, path);
  const opened = await openDistillContext({ cwd: repoRoot, config, tool_version: env.version, slack_seconds: config.link.slack_seconds });
  try {
    const oids = await resolveCommits(opened.git, positionals[0] ?? 'HEAD');
    const attach = values.attach === true;
    if (attach && oids.length !== 1) {
      throw new DistillError('E_USAGE', '--attach needs a single commit, not a range', { hint: 'git distill run <rev> --attach' });
    }
    const json = values.json === true;
    const results = await distillAll(opened.ctx, oids, {
      attach,
      onDone: (r) => {
        if (!json) env.stdout(renderResultLine(r));
      },
    });
    if (json) env.stdout(JSON.stringify(results.map(resultJson)) + '\n');
    return EXIT.ok;
  } finally {
    await opened.close();
  }
}

export const runCommand: Command = {
  name: 'run',
  summary: 'distill a commit or a range onto the distill branch',
  help: HELP,
  options: {
    sync: { type: 'boolean' },
    attach: { type: 'boolean' },
    json: { type: 'boolean' },
  },
  allowPositionals: true,
  run,
};
