// `git distill check <name>... --base <rev> --head <rev>`: run auditor checks over a range, apply the policy, render, exit by fail level.
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { loadRepoConfig } from '../../config/load.ts';
import { DistillError, EXIT } from '../../errors.ts';
import { createGit } from '../../io/git.ts';
import { loadCheckPolicy } from '../../checks/load-policy.ts';
import { FAIL_LEVELS, shouldFail, type FailLevel } from '../../checks/policy.ts';
import { CHECK_RUNNERS, findRunner, resolveCheckRange, runChecks, type CheckRunner } from '../../checks/registry.ts';
import { renderMarkdown, renderReportsJson, renderReportsText, renderSarif } from '../../checks/report.ts';
import { readRepoRoot } from '../../read/read-distilled.ts';
import { createGitStore } from '../../store/git-store.ts';
import type { CliEnv, Command, ParsedValues } from '../command.ts';

const HELP = `usage: git distill check <check>... [--base <rev>] [--head <rev>] [--json | --sarif | --md] [--out FILE] [--fail-level L]

Run auditor checks over a range and report their findings. With --base, each check also runs at the
merge-base of base and head, and only what the range introduced may block; the policy and the baseline
are then read from that base commit, so a change cannot excuse itself. Without --base, everything found
at head counts, with the working tree's .distill/config.json and baseline.

checks: ${'${CHECKS}'}

options:
  --base <rev>       compare with merge-base(<rev>, head) (a PR's target branch)
  --head <rev>       the commit to check (default HEAD)
  --json             print {checks: [{check, base_oid, head_oid, counts, findings}], counts}
  --sarif            print SARIF 2.1.0 (one run per check)
  --md               print the Markdown a PR comment shows
  --out FILE         write the output to FILE instead of stdout
  --fail-level L     block (default, or checks.fail_level), warn, or never: exit 1 when a finding's
                     disposition is at or above it
  -h, --help         this help

exit: 0 nothing at or above the fail level, 1 something is, 2 usage or config error, 4 git failure.
`;

function help(runners: readonly CheckRunner[]): string {
  const list = runners.length === 0 ? '(none in this build)' : runners.map((r) => `${r.cli_name} (${r.title})`).join(', ');
  return HELP.replace('${CHECKS}', list);
}

function parseFailLevel(value: string | undefined, fallback: FailLevel): FailLevel {
  if (value === undefined) return fallback;
  if (!(FAIL_LEVELS as readonly string[]).includes(value)) {
    throw new DistillError('E_USAGE', `--fail-level must be one of ${FAIL_LEVELS.join(', ')}, got '${value}'`, { hint: 'git distill check prd-drift --fail-level warn' });
  }
  return value as FailLevel;
}

/** The command's body, with the runners injectable so tests can run it over checks of their own. */
export async function runCheckCommand(env: CliEnv, values: ParsedValues, positionals: string[], runners: readonly CheckRunner[] = CHECK_RUNNERS): Promise<number> {
  if (positionals.length === 0) {
    throw new DistillError('E_USAGE', 'name at least one check', {
      hint: runners.length === 0 ? 'git distill help check' : `git distill check ${runners.map((r) => r.cli_name).join(' ')} --base main`,
    });
  }
  const formats = (['json', 'sarif', 'md'] as const).filter((f) => values[f] === true);
  if (formats.length > 1) throw new DistillError('E_USAGE', `choose one of --json, --sarif, --md (got ${formats.map((f) => `--${f}`).join(' ')})`, { hint: 'git distill check prd-drift --sarif --out drift.sarif' });
  for (const name of positionals) findRunner(name, runners);
  const git = createGit({ cwd: env.cwd });
  const root = await readRepoRoot(git);
  const rootGit = createGit({ cwd: root });
  const { config } = loadRepoConfig(root);
  const base = typeof values.base === 'string' ? values.base : null;
  const head = typeof values.head === 'string' ? values.head : 'HEAD';
  const store = createGitStore({ git: rootGit, ref: config.ref, tool_version: env.version });
  try {
    // The policy comes from the merge-base the checks compare with.
    const { base_oid } = await resolveCheckRange(rootGit, { base, head });
    const loaded = await loadCheckPolicy(rootGit, root, base_oid, config);
    const failLevel = parseFailLevel(typeof values['fail-level'] === 'string' ? values['fail-level'] : undefined, loaded.checks.fail_level);
    // The checks run with the config the policy came from (the base's on a PR), except where the branch lives.
    const ctx = { git: rootGit, repo_root: root, store, config: { ...loaded.config, ref: config.ref }, tool_version: env.version };
    const reports = await runChecks(ctx, positionals, { base, head }, loaded.policy, runners);
    const format = formats[0];
    const text =
      format === 'json' ? renderReportsJson(reports) : format === 'sarif' ? renderSarif(reports, env.version) : format === 'md' ? renderMarkdown(reports) : renderReportsText(reports);
    if (typeof values.out === 'string') {
      writeFileSync(resolve(env.cwd, values.out), text);
      env.stderr(`git-distill: wrote ${values.out}\n`);
    } else {
      env.stdout(text);
    }
    const failed = shouldFail(reports.flatMap((r) => r.findings), failLevel);
    if (failed && format !== undefined) env.stderr(`git-distill: findings at or above fail level '${failLevel}'\n`);
    return failed ? EXIT.findings : EXIT.ok;
  } finally {
    await store.close();
  }
}

export const checkCommand: Command = {
  name: 'check',
  summary: 'run auditor checks (kb-query, prd-drift) over a range; exit 1 at the fail level',
  get help() {
    return help(CHECK_RUNNERS);
  },
  options: {
    base: { type: 'string' },
    head: { type: 'string' },
    json: { type: 'boolean' },
    sarif: { type: 'boolean' },
    md: { type: 'boolean' },
    out: { type: 'string' },
    'fail-level': { type: 'string' },
  },
  allowPositionals: true,
  run: (env, values, positionals) => runCheckCommand(env, values, positionals),
};
