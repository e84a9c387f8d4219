// `git distill action`: the PR job in one command, from the standard GitHub Actions / Gitea Actions environment.
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createForgeClient } from '../../action/forge.ts';
import { readActionEnv, type ForgeKind } from '../../action/env.ts';
import { parsePullRequestEvent, type PullRequestEvent } from '../../action/event.ts';
import { linkMergedPr } from '../../action/link-merged.ts';
import { runAction, type ActionResult } from '../../action/run-action.ts';
import { loadCheckPolicy } from '../../checks/load-policy.ts';
import { FAIL_LEVELS, type FailLevel } from '../../checks/policy.ts';
import { CHECK_RUNNERS, findRunner, resolveCheckRange, runChecks, type CheckRunner } from '../../checks/registry.ts';
import { loadRepoConfig } from '../../config/load.ts';
import { openDistillContext, type OpenedContext } from '../../distill/open-context.ts';
import { distillAll, resolveCommits } from '../../distill/run-commits.ts';
import { DistillError } from '../../errors.ts';
import { createGit } from '../../io/git.ts';
import { readRepoRoot } from '../../read/read-distilled.ts';
import { createGitStore } from '../../store/git-store.ts';
import { DEFAULT_ATTEMPTS, DEFAULT_REMOTE, openSync } from '../../sync/open-sync.ts';
import { pullDistill, pushDistill } from '../../sync/sync.ts';
import type { CliEnv, Command, ParsedValues } from '../command.ts';

const HELP = `usage: git distill action [--checks LIST] [--fail-level L] [--push true|false] [--api-url URL]
                          [--forge github|gitea] [--sarif FILE] [--distill true|false] [--json]

The pull request job (what action.yml runs). Reads GITHUB_REPOSITORY, GITHUB_EVENT_PATH, GITHUB_TOKEN,
GITHUB_API_URL, GITHUB_OUTPUT and GITHUB_STEP_SUMMARY (Gitea's runner sets the same names), then:
  1. pulls the distill branch from origin and distills the PR's commits (merge-base..head);
     for a merged PR event, links its data to the squash or rebase commit (patch-id, else PR number);
  2. runs the checks over merge-base..head; the policy comes from the base commit;
  3. posts one sticky PR comment (found by a hidden marker, updated in place), a check run with the
     findings as annotations, 50 a request (GitHub) or a commit status (Gitea), the job summary, a SARIF
     file, and outputs: sarif-file, findings, block, warn, info, off, failed, exit-code, comment-url, degraded;
  4. with --push true, pushes the distill branch (fetch, merge, retry).
A token that cannot write (a fork's PR) degrades to the job summary and workflow-command annotations;
the exit code still follows the fail level. Secrets are redacted from everything posted.

options:
  --checks LIST      checks to run, comma or space separated (default: ${'${CHECKS}'})
  --fail-level L     block, warn or never (default: checks.fail_level of the base's config, else block)
  --push B           push the distill branch at the end (default false)
  --api-url URL      REST API base (default GITHUB_API_URL; Gitea: https://host/api/v1)
  --forge F          github or gitea (default: gitea when GITEA_ACTIONS=true or the API ends in /api/v1)
  --sarif FILE       where the SARIF goes (default $RUNNER_TEMP/git-distill.sarif)
  --distill B        distill the PR's commits first (default true)
  --check-name N     the check run's name / the status context (default git-distill)
  --json             print the result as JSON on stdout (workflow commands are printed there too)

exit: 0 below the fail level, 1 at or above it, 2 usage or an internal failure, 3 bad event file,
4 git failure (the PR's commits are not in this clone: check out with fetch-depth: 0).
`;

function parseBool(name: string, value: ParsedValues[string], fallback: boolean): boolean {
  if (value === undefined || value === '') return fallback;
  if (value === 'true' || value === true) return true;
  if (value === 'false') return false;
  throw new DistillError('E_USAGE', `--${name} must be true or false, got '${String(value)}'`, { hint: `git distill action --${name} true` });
}

function parseChecks(value: ParsedValues[string], runners: readonly CheckRunner[]): string[] {
  if (typeof value !== 'string' || value.trim() === '') return runners.map((r) => r.id);
  const names = value.split(/[\s,]+/).filter((n) => n !== '');
  return [...new Set(names.map((n) => findRunner(n, runners).id))];
}

function parseFailLevel(value: ParsedValues[string]): FailLevel | null {
  if (value === undefined || value === '') return null;
  if (typeof value !== 'string' || !(FAIL_LEVELS as readonly string[]).includes(value)) {
    throw new DistillError('E_USAGE', `--fail-level must be one of ${FAIL_LEVELS.join(', ')}, got '${String(value)}'`, { hint: 'git distill action --fail-level warn' });
  }
  return value as FailLevel;
}

function parseForge(value: ParsedValues[string]): ForgeKind | undefined {
  if (value === undefined || value === '') return undefined;
  if (value !== 'github' && value !== 'gitea') throw new DistillError('E_USAGE', `--forge must be github or gitea, got '${String(value)}'`, { hint: 'git distill action --forge gitea' });
  return value;
}

function readEvent(path: string): PullRequestEvent {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (cause) {
    throw new DistillError('E_INPUT_NOT_FOUND', `cannot read the event file ${path}`, { hint: 'GITHUB_EVENT_PATH must name the event payload the runner wrote', details: { path }, cause });
  }
  return parsePullRequestEvent(text, path);
}

/** The command's body, with the check runners injectable (tests run it over checks of their own). */
export async function runActionCommand(env: CliEnv, values: ParsedValues, runners: readonly CheckRunner[] = CHECK_RUNNERS): Promise<number> {
  const overrides: { api_url?: string; forge?: ForgeKind } = {};
  if (typeof values['api-url'] === 'string' && values['api-url'] !== '') overrides.api_url = values['api-url'];
  const forgeKind = parseForge(values.forge);
  if (forgeKind !== undefined) overrides.forge = forgeKind;
  const aenv = readActionEnv(env.env, overrides);
  const names = parseChecks(values.checks, runners);
  const failLevel = parseFailLevel(values['fail-level']);
  const push = parseBool('push', values.push, false);
  const distillFirst = parseBool('distill', values.distill, true);
  const event = readEvent(aenv.event_path);
  const root = await readRepoRoot(createGit({ cwd: env.cwd }));
  const git = createGit({ cwd: root });
  const { config } = loadRepoConfig(root);
  const sarifPath = resolve(env.cwd, typeof values.sarif === 'string' ? values.sarif : join(aenv.temp_dir ?? root, 'git-distill.sarif'));
  const hasOrigin = (await git.run(['config', '--get', `remote.${DEFAULT_REMOTE}.url`], { allowExit: [1] })).exitCode === 0;

  let opened: OpenedContext | null = null;
  const context = async () => (opened ??= await openDistillContext({ cwd: root, config, tool_version: env.version, slack_seconds: config.link.slack_seconds }));
  const store = createGitStore({ git, ref: config.ref, tool_version: env.version });
  const forge =
    aenv.token === null ? null : createForgeClient({ kind: aenv.forge, api_url: aenv.api_url, token: aenv.token, owner: aenv.owner, repo: aenv.repo, user_agent: `git-distill/${env.version}` });

  let result: ActionResult;
  try {
    result = await runAction({
      env: aenv,
      event,
      inputs: { fail_level: failLevel, push, sarif_path: sarifPath, check_name: typeof values['check-name'] === 'string' ? values['check-name'] : 'git-distill' },
      forge,
      async distill(ev) {
        const notes: string[] = [];
        if (hasOrigin) {
          const sync = await openSync(root, 'pull', DEFAULT_REMOTE, env.version, DEFAULT_ATTEMPTS);
          try {
            const pulled = await pullDistill(sync.opts);
            notes.push(`distill branch: ${pulled.action} from ${DEFAULT_REMOTE}`);
          } catch (error) {
            // Without the remote's distill branch the checks see less history; they still run.
            notes.push(`distill branch not pulled: ${(error as Error).message}`);
          } finally {
            await sync.close();
          }
        }
        if (!distillFirst) return [...notes, 'distill skipped (--distill false)'].join('; ');
        const { base_oid, head_oid } = await resolveCheckRange(git, { base: ev.base_sha, head: ev.head_sha });
        const ctx = await context();
        const oids = await resolveCommits(git, base_oid === null ? head_oid : `${base_oid}..${head_oid}`);
        const results = await distillAll(ctx.ctx, oids, { attach: false });
        const evidence = results.reduce((n, r) => n + r.evidence, 0);
        notes.push(`distilled ${results.length} commit${results.length === 1 ? '' : 's'} of the PR (${evidence} evidence)`);
        return notes.join('; ');
      },
      async runChecks(range) {
        const { base_oid } = await resolveCheckRange(git, range);
        const loaded = await loadCheckPolicy(git, root, base_oid, config);
        // The checks run with the config the policy came from (the base's on a PR), except where the branch lives.
        const ctx = { git, repo_root: root, store, config: { ...loaded.config, ref: config.ref }, tool_version: env.version };
        return { reports: await runChecks(ctx, names, range, loaded.policy, runners), fail_level: loaded.checks.fail_level };
      },
      async linkMerged(ev) {
        return linkMergedPr((await context()).ctx, git, ev);
      },
      async push() {
        const sync = await openSync(root, 'push', DEFAULT_REMOTE, env.version, DEFAULT_ATTEMPTS);
        try {
          const pushed = await pushDistill(sync.opts);
          return pushed.pushed ? `pushed the distill branch to ${DEFAULT_REMOTE} (${pushed.attempts} tr${pushed.attempts === 1 ? 'y' : 'ies'})` : `${DEFAULT_REMOTE} already had the distill branch`;
        } finally {
          await sync.close();
        }
      },
      writeFile: (path, text) => writeFileSync(path, text),
      appendFile: (path, text) => appendFileSync(path, text),
      stdout: env.stdout,
      tool_version: env.version,
    });
  } finally {
    await store.close();
    if (opened !== null) await (opened as OpenedContext).close();
  }
  if (values.json === true) env.stdout(`${JSON.stringify(result)}\n`);
  const c = result.counts;
  env.stderr(
    result.crashed !== null
      ? `git-distill: the action failed: ${result.crashed.split('\n')[0]}\n`
      : `git-distill: ${c.block} block, ${c.warn} warn, ${c.info} info, ${c.off} accepted; ${result.failed ? 'failing' : 'passing'}${result.degraded.length > 0 ? ` (degraded: ${result.degraded.length})` : ''}; SARIF ${existsSync(sarifPath) ? sarifPath : 'not written'}\n`,
  );
  return result.exit_code;
}

export const actionCommand: Command = {
  name: 'action',
  summary: 'the PR job: distill, run the checks, post the sticky comment, check run or status, SARIF',
  get help() {
    return HELP.replace('${CHECKS}', CHECK_RUNNERS.length === 0 ? 'every registered check' : CHECK_RUNNERS.map((r) => r.cli_name).join(', '));
  },
  options: {
    checks: { type: 'string' },
    'fail-level': { type: 'string' },
    push: { type: 'string' },
    'api-url': { type: 'string' },
    forge: { type: 'string' },
    sarif: { type: 'string' },
    distill: { type: 'string' },
    'check-name': { type: 'string' },
    json: { type: 'boolean' },
  },
  allowPositionals: false,
  run: (env, values) => runActionCommand(env, values),
};
