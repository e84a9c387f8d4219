// The user's own git, hooks and all: for the demo, which shows what the installed hooks do on a real commit.
// Everything else goes through io/git.ts, which runs git with hooks disabled.
import { DistillError } from '../errors.ts';

export function runUserGit(cwd: string, args: readonly string[], env: Record<string, string> = {}): string {
  const r = Bun.spawnSync(['git', ...args], { cwd, env: { ...process.env, ...env }, stdout: 'pipe', stderr: 'pipe' });
  if (r.exitCode !== 0) {
    throw new DistillError('E_GIT_FAILED', `git ${args.join(' ')} failed (exit ${r.exitCode}) in ${cwd}: ${r.stderr.toString().trim()}`, {
      details: { argv: ['git', ...args], status: r.exitCode, cwd },
    });
  }
  return r.stdout.toString().trim();
}
