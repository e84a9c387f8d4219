// `git distill backfill`: distill every commit of the current branch (first parent) not yet on the distill branch, oldest first.
import { EXIT } from '../../errors.ts';
import type { CliEnv, Command, ParsedValues } from '../command.ts';
import { loadRepoConfig } from '../../config/load.ts';
import { warnWithoutSources } from '../warn-sources.ts';
import { findRepoRoot, openDistillContext } from '../../distill/open-context.ts';
import { distillAll, renderResultLine, resultJson, undistilledCommits } from '../../distill/run-commits.ts';
import { createGit } from '../../io/git.ts';
import { DistillError } from '../../errors.ts';

const HELP = `usage: git distill backfill [--json]

Distill every commit of the current branch (following first parents) that has no folder on the
distill branch yet, oldest first, exactly as \`git distill run\` would one by one.

options:
  --json     print a JSON array, one object per commit distilled
  -h, --help this help
`;

async function run(env: CliEnv, values: ParsedValues, positionals: string[]): Promise<number> {
  if (positionals.length > 0) throw new DistillError('E_USAGE', 'backfill takes no revision', { hint: 'git distill run <range> for a range' });
  const repoRoot = await findRepoRoot(createGit({ cwd: env.cwd }));
  const { config, path } = loadRepoConfig(repoRoot);
  warnWithoutSources(env, config, path);
  const opened = await openDistillContext({ cwd: repoRoot, config, tool_version: env.version, slack_seconds: config.link.slack_seconds });
  try {
    const oids = await undistilledCommits(opened.git, opened.ctx);
    const json = values.json === true;
    const tty = env.stderrIsTTY;
    const results = await distillAll(opened.ctx, oids, {
      attach: false,
      onDone: (r, i) => {
        if (tty) env.stderr(`\r\x1b[2K[${i + 1}/${oids.length}] ${r.oid.slice(0, 7)} ${r.subject.slice(0, 60)}`);
        if (!json) env.stdout(renderResultLine(r));
      },
    });
    if (tty && oids.length > 0) env.stderr('\r\x1b[2K');
    if (json) env.stdout(JSON.stringify(results.map(resultJson)) + '\n');
    else if (oids.length === 0) env.stdout('nothing to backfill: every commit of the branch is distilled\n');
    return EXIT.ok;
  } finally {
    await opened.close();
  }
}

export const backfillCommand: Command = {
  name: 'backfill',
  summary: 'distill every undistilled commit of the current branch',
  help: HELP,
  options: { json: { type: 'boolean' } },
  allowPositionals: true,
  run,
};
