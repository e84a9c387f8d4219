// The shape of one CLI command and the environment it runs in (injected, so commands are testable in-process).
import type { ParseArgsConfig } from 'node:util';

export interface CliEnv {
  cwd: string;
  /** Data: what a script reads. */
  stdout(text: string): void;
  /** Progress and diagnostics. */
  stderr(text: string): void;
  stderrIsTTY: boolean;
  now(): Date;
  version: string;
  env: Record<string, string | undefined>;
}

export type OptionSpec = NonNullable<ParseArgsConfig['options']>;
export type ParsedValues = Record<string, string | boolean | string[] | boolean[] | undefined>;

export interface Command {
  name: string;
  summary: string;
  /** Usage lines and option help, printed by --help. */
  help: string;
  options: OptionSpec;
  allowPositionals: boolean;
  /** Returns the exit code. Throws DistillError for failures the edge renders. */
  run(env: CliEnv, values: ParsedValues, positionals: string[]): Promise<number>;
}
