// `git distill push [<remote>]`: fetch, union-merge, push the distill branch without force; retry with jitter when the race is lost.
import { DistillError, EXIT } from '../../errors.ts';
import { DEFAULT_ATTEMPTS, DEFAULT_REMOTE, openSync } from '../../sync/open-sync.ts';
import { pushDistill } from '../../sync/sync.ts';
import type { CliEnv, Command, ParsedValues } from '../command.ts';
import { parseAttempts, renderIntegrate } from './pull.ts';

const HELP = `usage: git distill push [<remote>] [--attempts N] [--json]

Share the distill branch: fetch <remote>'s (default: origin) into refs/remotes/<remote>/distill, merge it
into ours as \`git distill pull\` does, then push without force. When another clone pushed in between,
the push is rejected: fetch, merge and push again, after a pause with jitter (50 ms doubling to 2 s).
Nothing you have distilled is ever overwritten, here or on the remote.

options:
  --attempts N   push tries before giving up (default ${DEFAULT_ATTEMPTS})
  --json         print the result as JSON

exit: 0 pushed or already there, 2 usage, 4 git failure (no access, remote unreachable),
5 the race was lost on every try (rerun git distill push).
`;

async function run(env: CliEnv, values: ParsedValues, positionals: string[]): Promise<number> {
  if (positionals.length > 1) throw new DistillError('E_USAGE', 'push takes at most one remote', { hint: 'git distill push origin' });
  const remote = positionals[0] ?? DEFAULT_REMOTE;
  const opened = await openSync(env.cwd, 'push', remote, env.version, parseAttempts(values.attempts));
  try {
    const result = await pushDistill(opened.opts);
    if (values.json === true) {
      env.stdout(`${JSON.stringify({ remote, ...result })}\n`);
    } else {
      const merged = result.action === 'merged' || result.action === 'created' || result.action === 'fast-forward' ? renderIntegrate(result, remote) : '';
      const tries = result.attempts > 1 ? ` after ${result.attempts} tries` : '';
      const what = result.pushed
        ? `pushed ${(result.after ?? '').slice(0, 12)} to ${remote}${tries}\n`
        : result.after === null
          ? 'nothing distilled yet; nothing to push\n'
          : `${remote} already has ${result.after.slice(0, 12)}\n`;
      env.stdout(merged + what);
    }
    return EXIT.ok;
  } finally {
    await opened.close();
  }
}

export const pushCommand: Command = {
  name: 'push',
  summary: 'fetch, union-merge and push the distill branch (no force, retries a lost race)',
  help: HELP,
  options: { attempts: { type: 'string' }, json: { type: 'boolean' } },
  allowPositionals: true,
  run,
};
