// Runs the CLI in-process with captured stdout/stderr and a pinned clock.
import { runCli } from '../../src/cli/main.ts';
import type { CliEnv } from '../../src/cli/command.ts';
import pkg from '../../package.json' with { type: 'json' };

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export async function runCliCaptured(argv: string[], opts: { cwd: string; now?: string; env?: Record<string, string | undefined> }): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const fixed = new Date(opts.now ?? '2026-02-03T04:05:06.000Z');
  const env: CliEnv = {
    cwd: opts.cwd,
    stdout: (t) => {
      stdout += t;
    },
    stderr: (t) => {
      stderr += t;
    },
    stderrIsTTY: false,
    now: () => fixed,
    // The real version, so in-process runs write the same bytes as `bin/git-distill` child processes.
    version: pkg.version,
    env: opts.env ?? {},
  };
  const code = await runCli(argv, env);
  return { code, stdout, stderr };
}
