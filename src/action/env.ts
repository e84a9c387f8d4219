// The action's environment: the standard GitHub Actions variables (Gitea's act_runner sets the same names), read once at the edge.
import { DistillError } from '../errors.ts';

export type ForgeKind = 'github' | 'gitea';

export interface ActionEnv {
  forge: ForgeKind;
  /** REST base: https://api.github.com, or a Gitea's https://host/api/v1. */
  api_url: string;
  owner: string;
  repo: string;
  event_name: string;
  event_path: string;
  /** null: no token at all (then nothing is posted; summary and workflow commands only). */
  token: string | null;
  /** Files the runner reads back: step outputs and the job summary; null when not set (a local run). */
  output_path: string | null;
  summary_path: string | null;
  /** Where the SARIF file goes when --sarif is not given. */
  temp_dir: string | null;
  /** A link to the run, for statuses (GITHUB_SERVER_URL/GITHUB_REPOSITORY/actions/runs/GITHUB_RUN_ID). */
  run_url: string | null;
}

function required(env: Record<string, string | undefined>, name: string): string {
  const value = env[name];
  if (value === undefined || value === '') {
    throw new DistillError('E_USAGE', `${name} is not set: git distill action runs inside a GitHub Actions or Gitea Actions job`, {
      hint: `set ${name} (the runner sets it), or run the checks locally with: git distill check kb-query prd-drift --base main`,
      details: { variable: name },
    });
  }
  return value;
}

/**
 * Read the job's environment. The forge is Gitea when the runner says so (GITEA_ACTIONS=true) or the API
 * base ends in /api/v1 (Gitea's layout); `forge` overrides both. `api_url` (the action's input) beats GITHUB_API_URL.
 */
export function readActionEnv(env: Record<string, string | undefined>, overrides: { api_url?: string; forge?: ForgeKind } = {}): ActionEnv {
  const repository = required(env, 'GITHUB_REPOSITORY');
  const slash = repository.indexOf('/');
  if (slash <= 0 || slash === repository.length - 1) {
    throw new DistillError('E_USAGE', `GITHUB_REPOSITORY must be owner/repo, got '${repository}'`, { hint: 'set GITHUB_REPOSITORY=owner/repo' });
  }
  const apiUrl = (overrides.api_url ?? env['GITHUB_API_URL'] ?? 'https://api.github.com').replace(/\/+$/, '');
  const forge = overrides.forge ?? (env['GITEA_ACTIONS'] === 'true' || /\/api\/v1$/.test(apiUrl) ? 'gitea' : 'github');
  const nonEmpty = (name: string) => (env[name] === undefined || env[name] === '' ? null : env[name]!);
  const server = nonEmpty('GITHUB_SERVER_URL');
  const runId = nonEmpty('GITHUB_RUN_ID');
  return {
    forge,
    api_url: apiUrl,
    owner: repository.slice(0, slash),
    repo: repository.slice(slash + 1),
    event_name: env['GITHUB_EVENT_NAME'] ?? 'pull_request',
    event_path: required(env, 'GITHUB_EVENT_PATH'),
    token: nonEmpty('GITHUB_TOKEN'),
    output_path: nonEmpty('GITHUB_OUTPUT'),
    summary_path: nonEmpty('GITHUB_STEP_SUMMARY'),
    temp_dir: nonEmpty('RUNNER_TEMP'),
    run_url: server !== null && runId !== null ? `${server.replace(/\/+$/, '')}/${repository}/actions/runs/${runId}` : null,
  };
}
