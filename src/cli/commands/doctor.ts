// `git distill doctor`: check the tools, the repository's setup and git-distill's local state; one line per check.
import { EXIT } from '../../errors.ts';
import type { CliEnv, Command, ParsedValues } from '../command.ts';
import { DistillError } from '../../errors.ts';
import { buildChecks, doctorExitCode, renderChecks } from '../../doctor/build-checks.ts';
import { readDoctorFacts } from '../../doctor/read-doctor-facts.ts';

const HELP = `usage: git distill doctor [--json]

Check that git-distill can work here, and say what to do where it cannot:
  git        git 2.25 or newer
  bun        the Bun running git-distill
  repo       inside a git work tree
  config     .distill/config.json present and valid (or the defaults)
  sources    the configured sources match files; sources.found: agent logs init finds for this repository
             (Claude Code, Codex and Gemini CLI sessions, Aider's history) that no configured source reads
  hooks      post-commit, post-rewrite and pre-push installed, chained hooks present
  hooks.bin  the git-distill the hooks call exists
  branch     the distill branch and its FORMAT; branch.folders: the newest folders verify
  cache      .distill/cache opens; writes an interrupted run left unfinished
  queue      commits post-commit queued that no worker has distilled yet
  native.*   optional native modules (hnswlib-node: approximate vector search)

Each check is ok (✓), a warning (!) or a failure (✗). Read-only: doctor changes nothing.

options:
  --json      print {"ok": bool, "checks": [{id, status, message, hint}]}
  -h, --help  this help

exit status: 0 when nothing failed (warnings included), 1 when a check failed.
`;

/** The newest folders doctor verifies: enough to catch a bad last write, cheap on any branch. */
const FOLDERS_TO_VERIFY = 3;
const NATIVE_MODULES = ['hnswlib-node'] as const;

async function run(env: CliEnv, values: ParsedValues, positionals: string[]): Promise<number> {
  if (positionals.length > 0) throw new DistillError('E_USAGE', 'doctor takes no arguments', { hint: 'git distill doctor' });
  const facts = await readDoctorFacts({
    cwd: env.cwd,
    bun_version: Bun.version,
    tool_version: env.version,
    folders_to_verify: FOLDERS_TO_VERIFY,
    native_modules: NATIVE_MODULES,
    home: env.env['HOME'] || null,
    claude_dir: env.env['CLAUDE_CONFIG_DIR'] || null,
    codex_dir: env.env['CODEX_HOME'] || null,
  });
  const checks = buildChecks(facts);
  const code = doctorExitCode(checks) === 0 ? EXIT.ok : EXIT.findings;
  if (values.json === true) env.stdout(JSON.stringify({ ok: code === EXIT.ok, checks }) + '\n');
  else env.stdout(renderChecks(checks));
  return code;
}

export const doctorCommand: Command = {
  name: 'doctor',
  summary: 'check git, the hooks, the config, the distill branch and the cache',
  help: HELP,
  options: {
    json: { type: 'boolean' },
  },
  allowPositionals: true,
  run,
};
