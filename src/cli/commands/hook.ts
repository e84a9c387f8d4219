// `git-distill hook <worker|post-rewrite|pre-push>`: what the installed hook shims call. Never fails the user's git command.
import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { EXIT, DistillError } from '../../errors.ts';
import type { CliEnv, Command, ParsedValues } from '../command.ts';
import { loadRepoConfig } from '../../config/load.ts';
import { createGit } from '../../io/git.ts';
import { findRepoRoot, openDistillContext } from '../../distill/open-context.ts';
import { drainWork, withWorkerLock, type WorkerReport } from '../../distill/worker.ts';
import { distillStateDir } from '../../hooks/queue.ts';
import { DEFAULT_ATTEMPTS, openSync } from '../../sync/open-sync.ts';
import { pushDistill } from '../../sync/sync.ts';

const HELP = `usage: git-distill hook <worker|post-rewrite|pre-push> [args]

Called by the hooks that \`git distill hooks install\` writes; not meant to be run by hand, though it
is safe to:

  worker                 distill every queued commit and apply saved rewrites (what post-commit starts)
  post-rewrite <kind> <file>   carry distilled data from old to new oids after an amend or rebase
  pre-push <remote> <url>      push the distill branch to <remote> (git distill push), when git config
                               distill.pushOnPush is true; a failure is logged, the user's push goes on

Everything it does is logged to <git-dir>/distill/worker.log. It always exits 0 from a hook
(GIT_DISTILL_HOOK=1), so a failure here never fails a commit or a push.
`;

function logLine(gitDir: string, now: Date, text: string): void {
  try {
    mkdirSync(distillStateDir(gitDir), { recursive: true });
    appendFileSync(join(distillStateDir(gitDir), 'worker.log'), `${now.toISOString()} ${text}\n`);
  } catch {
    // Logging must never be the reason a hook fails.
  }
}

function summarize(report: WorkerReport): string {
  const parts = [`distilled ${report.distilled.length}`, `carried ${report.carried.filter((c) => c.carried).length}`];
  if (report.invalid.length > 0) parts.push(`ignored ${report.invalid.length} bad queue line(s)`);
  if (report.errors.length > 0) parts.push(`errors: ${report.errors.join('; ')}`);
  return parts.join(', ');
}

async function work(env: CliEnv): Promise<WorkerReport> {
  const git = createGit({ cwd: env.cwd });
  const repoRoot = await findRepoRoot(git);
  const gitDir = (await git.run(['rev-parse', '--absolute-git-dir'])).stdoutText.trim();
  return withWorkerLock(gitDir, async () => {
    const { config } = loadRepoConfig(repoRoot);
    const opened = await openDistillContext({ cwd: repoRoot, config, tool_version: env.version, slack_seconds: config.link.slack_seconds });
    try {
      const report = await drainWork(opened.ctx, gitDir);
      logLine(gitDir, env.now(), summarize(report));
      return report;
    } finally {
      await opened.close();
    }
  });
}

/**
 * pre-push <remote> <url>: push the distill branch alongside the user's push (the shim only calls this when
 * distill.pushOnPush is true). A remote given only as a URL has no tracking ref to fetch into: skipped.
 */
async function prePush(env: CliEnv, args: string[], json: boolean, fromHook: boolean): Promise<number> {
  const [remote] = args;
  const git = createGit({ cwd: env.cwd });
  const gitDir = await git.gitDir();
  if (remote === undefined || remote === '') throw new DistillError('E_USAGE', 'pre-push needs the remote name', { hint: 'git-distill hook pre-push origin <url>' });
  const named = await git.run(['config', '--get', `remote.${remote}.url`], { allowExit: [1] });
  if (named.exitCode !== 0) {
    const text = `pre-push: ${remote} is a URL, not a configured remote; distill branch not pushed (git distill push <remote>)`;
    logLine(gitDir, env.now(), text);
    if (!fromHook) env.stderr(`git-distill: ${text}\n`);
    return EXIT.ok;
  }
  const opened = await openSync(env.cwd, 'push', remote, env.version, DEFAULT_ATTEMPTS);
  try {
    const result = await pushDistill(opened.opts);
    const text = `pre-push: ${result.pushed ? `pushed ${(result.after ?? '').slice(0, 12)}` : 'nothing to push'} to ${remote} (${result.action}, ${result.attempts} tr${result.attempts === 1 ? 'y' : 'ies'})`;
    logLine(gitDir, env.now(), text);
    if (json) env.stdout(`${JSON.stringify({ remote, ...result })}\n`);
    else if (!fromHook) env.stderr(`git-distill: ${text}\n`);
    return EXIT.ok;
  } finally {
    await opened.close();
  }
}

async function run(env: CliEnv, values: ParsedValues, positionals: string[]): Promise<number> {
  const [sub] = positionals;
  const fromHook = env.env['GIT_DISTILL_HOOK'] === '1';
  try {
    if (sub === 'worker' || sub === 'post-rewrite') {
      // post-rewrite's file is already saved under <git-dir>/distill/rewrites/: the worker applies it.
      const report = await work(env);
      if (values.json === true) env.stdout(JSON.stringify(report) + '\n');
      else if (!fromHook) env.stdout(summarize(report) + '\n');
      return EXIT.ok;
    }
    if (sub === 'pre-push') return await prePush(env, positionals.slice(1), values.json === true, fromHook);
    throw new DistillError('E_USAGE', `unknown hook '${sub ?? ''}'`, { hint: 'git-distill hook worker' });
  } catch (error) {
    if (!fromHook) throw error;
    // From a hook: record why in the log and let git carry on.
    try {
      const gitDir = (await createGit({ cwd: env.cwd }).run(['rev-parse', '--absolute-git-dir'])).stdoutText.trim();
      logLine(gitDir, env.now(), `hook ${sub ?? ''} failed: ${(error as Error).message}`);
    } catch {
      // Not even a repository: nothing to log to.
    }
    return EXIT.ok;
  }
}

export const hookCommand: Command = {
  name: 'hook',
  summary: 'entry point for the installed hooks (worker, post-rewrite, pre-push)',
  help: HELP,
  options: { json: { type: 'boolean' } },
  allowPositionals: true,
  run,
};
