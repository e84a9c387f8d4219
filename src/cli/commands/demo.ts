// `git distill demo`: ingest the bundled example logs into a temporary folder and show what came out.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { EXIT } from '../../errors.ts';
import type { CliEnv, Command } from '../command.ts';
import { ingestCommand } from './ingest.ts';

const HELP = `usage: git distill demo

Ingest the example logs bundled with git-distill (examples/logs: Claude Code, Codex and auditor-loop
streams, with a few deliberately broken lines) into a temporary folder and print the summary.
`;

export const EXAMPLES_DIR = resolve(import.meta.dir, '..', '..', '..', 'examples', 'logs');

async function run(env: CliEnv): Promise<number> {
  const out = mkdtempSync(join(tmpdir(), 'git-distill-demo-'));
  env.stderr(`git distill ingest ${EXAMPLES_DIR} --out ${out}\n\n`);
  const code = await ingestCommand.run(
    { ...env, cwd: resolve(EXAMPLES_DIR) },
    { out, 'recorded-at': '2026-01-01T00:00:00Z' },
    ['.'],
  );
  if (code !== EXIT.ok) return code;
  env.stdout(`\nlook inside: ${out}/scored.jsonl (one line per run, with reasons)\n`);
  return EXIT.ok;
}

export const demoCommand: Command = {
  name: 'demo',
  summary: 'ingest the bundled example logs and print the summary',
  help: HELP,
  options: {},
  allowPositionals: false,
  run,
};
