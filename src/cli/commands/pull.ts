// `git distill pull [<remote>]`: fetch the remote's distill branch into refs/remotes/<remote>/<branch> and merge it into ours.
import { DistillError, EXIT } from '../../errors.ts';
import { DEFAULT_ATTEMPTS, DEFAULT_REMOTE, openSync } from '../../sync/open-sync.ts';
import { pullDistill, type IntegrateResult } from '../../sync/sync.ts';
import type { CliEnv, Command, ParsedValues } from '../command.ts';

const HELP = `usage: git distill pull [<remote>] [--attempts N] [--json]

Fetch <remote>'s distill branch (default remote: origin) into refs/remotes/<remote>/distill, never into
the live ref, then merge it into the local distill branch: every commit folder of both sides (a folder
both hold with different bytes: the one whose manifest says more), every meta/ file as the sorted union
of its lines, derived files (playbooks/, ledger/) recomputed. The merge commit has both heads as
parents and the later of their dates, so two clones merging the same heads write the same commit.
Nothing is pushed; your checkout is not touched.

options:
  --attempts N   tries when another local git-distill moves the branch meanwhile (default ${DEFAULT_ATTEMPTS})
  --json         print the result as JSON

exit: 0 ok, 2 usage (not a configured remote), 4 git failure, 5 the branch kept moving (rerun).
`;

export function parseAttempts(value: ParsedValues[string]): number {
  if (value === undefined) return DEFAULT_ATTEMPTS;
  const n = Number(value);
  if (typeof value !== 'string' || !Number.isInteger(n) || n < 1 || n > 100) {
    throw new DistillError('E_USAGE', `--attempts must be a whole number from 1 to 100, got '${String(value)}'`, { hint: 'git distill push --attempts 5' });
  }
  return n;
}

export function renderIntegrate(r: IntegrateResult, remote: string): string {
  const short = (oid: string | null) => (oid === null ? 'nothing' : oid.slice(0, 12));
  const added = `${r.added.length} folder${r.added.length === 1 ? '' : 's'} added`;
  switch (r.action) {
    case 'no-remote-branch':
      return `${remote} has no distill branch yet; nothing to pull\n`;
    case 'up-to-date':
      return `up to date with ${r.tracking_ref} (${short(r.remote_head)})\n`;
    case 'created':
    case 'fast-forward':
      return `${r.action === 'created' ? 'created' : 'fast-forwarded'} ${short(r.before)} → ${short(r.after)} from ${r.tracking_ref}: ${added}\n`;
    case 'merged': {
      const conflicts = r.conflicts.map((c) => `  ${c.source_oid.slice(0, 12)}: both sides distilled it; kept ${c.kept} (${c.reason})\n`).join('');
      return (
        `merged ${r.tracking_ref} (${short(r.remote_head)}) into ${short(r.before)} → ${short(r.after)}: ` +
        `${added}, ${r.conflicts.length} decided, ` +
        `${r.meta_merged.length} meta file${r.meta_merged.length === 1 ? '' : 's'} merged, ${r.derived.length} derived file${r.derived.length === 1 ? '' : 's'} recomputed\n${conflicts}`
      );
    }
  }
}

async function run(env: CliEnv, values: ParsedValues, positionals: string[]): Promise<number> {
  if (positionals.length > 1) throw new DistillError('E_USAGE', 'pull takes at most one remote', { hint: 'git distill pull origin' });
  const remote = positionals[0] ?? DEFAULT_REMOTE;
  const opened = await openSync(env.cwd, 'pull', remote, env.version, parseAttempts(values.attempts));
  try {
    const result = await pullDistill(opened.opts);
    env.stdout(values.json === true ? `${JSON.stringify({ remote, ...result })}\n` : renderIntegrate(result, remote));
    return EXIT.ok;
  } finally {
    await opened.close();
  }
}

export const pullCommand: Command = {
  name: 'pull',
  summary: "fetch a remote's distill branch and union-merge it into ours",
  help: HELP,
  options: { attempts: { type: 'string' }, json: { type: 'boolean' } },
  allowPositionals: true,
  run,
};
