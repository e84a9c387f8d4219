// Runs the CLI in-process with captured stdout/stderr and a pinned clock.
import { runCli } from '../../src/cli/main.ts';
import type { CliEnv } from '../../src/cli/command.ts';

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
    version: '0.0.0-test',
    env: opts.env ?? {},
  };
  const code = await runCli(argv, env);
  return { code, stdout, stderr };
}
