// argv → command: parses flags, renders DistillErrors once, and is the only place that exits the process.
import { parseArgs } from 'node:util';
import pkg from '../../package.json' with { type: 'json' };
import { DistillError, EXIT, isDistillError } from '../errors.ts';
import type { CliEnv, Command } from './command.ts';
import { ingestCommand } from './commands/ingest.ts';
import { demoCommand } from './commands/demo.ts';
import { hooksCommand } from './commands/hooks.ts';
import { hookCommand } from './commands/hook.ts';
import { relinkCommand } from './commands/relink.ts';
import { doctorCommand } from './commands/doctor.ts';
import { runCommand } from './commands/run.ts';
import { backfillCommand } from './commands/backfill.ts';
import { logCommand } from './commands/log.ts';
import { showCommand } from './commands/show.ts';
import { verifyCommand } from './commands/verify.ts';
import { initCommand } from './commands/init.ts';
import { checkCommand } from './commands/check.ts';
import { playbooksCommand } from './commands/playbooks.ts';
import { ledgerCommand } from './commands/ledger.ts';
import { scratchpadCommand } from './commands/scratchpad.ts';
import { pushCommand } from './commands/push.ts';
import { pullCommand } from './commands/pull.ts';
import { actionCommand } from './commands/action.ts';
import { queryCommand } from './commands/query.ts';
import { reindexCommand } from './commands/reindex.ts';
import { exportCommand } from './commands/export.ts';
import { driftCommand } from './commands/drift.ts';

export const COMMANDS: readonly Command[] = [
  initCommand,
  hooksCommand,
  runCommand,
  backfillCommand,
  logCommand,
  showCommand,
  verifyCommand,
  exportCommand,
  relinkCommand,
  playbooksCommand,
  ledgerCommand,
  scratchpadCommand,
  doctorCommand,
  driftCommand,
  checkCommand,
  pushCommand,
  pullCommand,
  actionCommand,
  queryCommand,
  reindexCommand,
  ingestCommand,
  demoCommand,
  hookCommand,
];

function topHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    'usage: git distill <command> [options]',
    '',
    'Distill AI agent logs into evidence, scores and receipts that live beside your code.',
    '',
    'commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Every command takes --help and --json. `git distill <command> --help` may open a man page',
    'in git itself; use `git distill help <command>` or `git-distill <command> --help` instead.',
    '',
  ].join('\n');
}

function renderError(env: CliEnv, error: DistillError, json: boolean): void {
  if (json) {
    env.stdout(JSON.stringify({ error: error.toJSON() }) + '\n');
  }
  env.stderr(`git-distill: ${error.message}\n`);
  if (error.hint !== undefined) env.stderr(`  next: ${error.hint}\n`);
}

export async function runCli(argv: readonly string[], env: CliEnv): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined || first === '--help' || first === '-h') {
    env.stdout(topHelp());
    return first === undefined ? EXIT.usage : EXIT.ok;
  }
  if (first === '--version' || first === '-V' || first === 'version') {
    env.stdout(`git-distill ${env.version}\n`);
    return EXIT.ok;
  }
  if (first === 'help') {
    const target = COMMANDS.find((c) => c.name === rest[0]);
    env.stdout(target === undefined ? topHelp() : target.help);
    return EXIT.ok;
  }
  const command = COMMANDS.find((c) => c.name === first);
  const json = rest.includes('--json');
  try {
    if (command === undefined) {
      throw new DistillError('E_USAGE', `'${first}' is not a git-distill command`, { hint: 'git distill --help' });
    }
    if (rest.includes('--help') || rest.includes('-h')) {
      env.stdout(command.help);
      return EXIT.ok;
    }
    if (rest.includes('--version')) {
      env.stdout(`git-distill ${env.version}\n`);
      return EXIT.ok;
    }
    let parsed: ReturnType<typeof parseArgs>;
    try {
      parsed = parseArgs({ args: [...rest], options: command.options, allowPositionals: command.allowPositionals, strict: true });
    } catch (error) {
      throw new DistillError('E_USAGE', `${command.name}: ${(error as Error).message}`, { hint: `git distill help ${command.name}` });
    }
    return await command.run(env, parsed.values as Record<string, string | boolean | undefined>, parsed.positionals);
  } catch (error) {
    if (isDistillError(error)) {
      renderError(env, error, json);
      return error.exitCode;
    }
    const internal = new DistillError('E_INTERNAL', `internal error: ${(error as Error)?.stack ?? String(error)}`, {
      hint: 'rerun with the same arguments; if it repeats, report it with this message',
    });
    renderError(env, internal, json);
    return EXIT.usage;
  }
}

export function processEnv(): CliEnv {
  return {
    cwd: process.cwd(),
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    stderrIsTTY: process.stderr.isTTY === true,
    now: () => new Date(),
    version: pkg.version,
    env: process.env,
  };
}

if (import.meta.main) {
  const code = await runCli(process.argv.slice(2), processEnv());
  process.exitCode = code;
}
