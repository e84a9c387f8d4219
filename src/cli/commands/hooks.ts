// `git distill hooks install|uninstall|status`: put git-distill's hooks where git runs them, chaining the user's.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { DistillError, EXIT } from '../../errors.ts';
import { createGit } from '../../io/git.ts';
import { hookStatus, installHooks, uninstallHooks, type HooksResult, type HookStatus } from '../../hooks/install.ts';
import { renderManagerSnippets } from '../../hooks/plan-install.ts';
import type { CliEnv, Command, ParsedValues } from '../command.ts';

const HELP = `usage: git distill hooks install [--dry-run] [--json]
       git distill hooks uninstall [--dry-run] [--json]
       git distill hooks status [--json]
       git distill hooks snippets

install    write post-commit, post-rewrite and pre-push where git runs hooks (\`git rev-parse --git-path hooks\`:
           .git/hooks, core.hooksPath, a linked worktree's repository). A hook already there is kept: it is
           moved to <name>.pre-git-distill and runs first, with the same arguments and stdin, and its exit
           status stays the hook's. Under husky the lines go at the top of .husky/<name> instead. Installing
           twice changes nothing. Prints snippets for husky, lefthook and pre-commit if you prefer those.
uninstall  remove exactly what install added and put chained hooks back byte for byte.
status     which hooks are installed, what they chain, who manages them.
snippets   print the lines to paste into husky, lefthook or pre-commit instead.

The hooks never prompt and never fail your git command. post-commit only queues the commit and starts a
detached worker; GIT_DISTILL_DISABLE=1 skips git-distill in every hook; \`git config distill.pushOnPush true\`
makes pre-push push the distill branch too.

options:
  --dry-run   print what would change, change nothing
  --json      print one JSON object
  -h, --help  this help
`;

/** The launcher of this checkout/package, recorded in the hooks so they work without git-distill on PATH. */
function installingBin(): string | null {
  const bin = resolve(import.meta.dir, '../../../bin/git-distill');
  return existsSync(bin) ? bin : null;
}

function resultJson(r: HooksResult, dryRun: boolean): Record<string, unknown> {
  return {
    hooks_dir: r.hooks_dir,
    layout: r.layout.kind,
    husky_dir: r.layout.kind === 'husky' ? r.layout.husky_dir : null,
    dry_run: dryRun,
    changed: r.actions.some((a) => a.kind !== 'skip'),
    actions: r.actions.map((a) => ({
      kind: a.kind,
      hook: a.hook,
      path: a.kind === 'rename' ? a.to : a.path,
      from: a.kind === 'rename' ? a.from : null,
      note: a.note,
    })),
    snippets: r.snippets,
  };
}

function renderResult(r: HooksResult, verb: 'install' | 'uninstall', dryRun: boolean): string {
  const lines: string[] = [`hooks directory: ${r.hooks_dir}${r.layout.kind === 'husky' ? ` (husky ${r.layout.version}: scripts in ${r.layout.husky_dir})` : ''}`];
  const done = r.actions.filter((a) => a.kind !== 'skip');
  if (done.length === 0) lines.push(verb === 'install' ? 'already installed: nothing to do' : 'nothing of git-distill\'s to remove');
  for (const a of r.actions) lines.push(`${a.kind === 'skip' ? 'skipped: ' : dryRun ? '(dry run) ' : ''}${a.note}`);
  if (verb === 'install' && done.length > 0) {
    lines.push('', 'Using a hook manager instead? Paste these and run `git distill hooks install` once for the shims:', '', r.snippets.trimEnd());
  }
  return lines.join('\n') + '\n';
}

function renderStatus(s: HookStatus): string {
  const lines = [`hooks directory: ${s.hooks_dir}${s.layout === 'husky' ? ' (husky)' : ''}`];
  for (const h of s.hooks) {
    const state = h.installed ? 'installed' : 'not installed';
    lines.push(`${h.name.padEnd(13)} ${state}${h.chained === null ? '' : `, chains ${h.chained}`}${h.managed_by === null || h.managed_by === 'git-distill' ? '' : ` (file managed by ${h.managed_by})`}`);
  }
  return lines.join('\n') + '\n';
}

async function run(env: CliEnv, values: ParsedValues, positionals: string[]): Promise<number> {
  const [sub, ...extra] = positionals;
  if (sub === undefined || extra.length > 0 || !['install', 'uninstall', 'status', 'snippets'].includes(sub)) {
    throw new DistillError('E_USAGE', sub === undefined ? 'hooks needs a subcommand' : `unknown hooks subcommand '${positionals.join(' ')}'`, {
      hint: 'git distill hooks install',
    });
  }
  const json = values.json === true;
  if (sub === 'snippets') {
    env.stdout(json ? JSON.stringify({ snippets: renderManagerSnippets() }) + '\n' : renderManagerSnippets());
    return EXIT.ok;
  }
  const dryRun = values['dry-run'] === true;
  const git = createGit({ cwd: env.cwd });
  if (sub === 'status') {
    const s = await hookStatus(git);
    env.stdout(json ? JSON.stringify(s) + '\n' : renderStatus(s));
    return EXIT.ok;
  }
  const result =
    sub === 'install'
      ? await installHooks(git, { git_distill_bin: installingBin(), dry_run: dryRun, templates_dir: null })
      : await uninstallHooks(git, { dry_run: dryRun });
  env.stdout(json ? JSON.stringify(resultJson(result, dryRun)) + '\n' : renderResult(result, sub === 'install' ? 'install' : 'uninstall', dryRun));
  return EXIT.ok;
}

export const hooksCommand: Command = {
  name: 'hooks',
  summary: 'install or uninstall the git hooks (post-commit, post-rewrite, pre-push)',
  help: HELP,
  options: {
    json: { type: 'boolean' },
    'dry-run': { type: 'boolean' },
  },
  allowPositionals: true,
  run,
};
