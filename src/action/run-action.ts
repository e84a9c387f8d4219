// The PR job as one function: distill, run the checks, report (sticky comment, check run or status, summary, SARIF, outputs), exit by fail level.
import type { CheckReport } from '../checks/report.ts';
import { renderMarkdown, renderSarif } from '../checks/report.ts';
import { countDispositions, shouldFail, type DisposedFinding, type FailLevel } from '../checks/policy.ts';
import { isDistillError } from '../errors.ts';
import { redactText } from '../redact/redact.ts';
import { buildAnnotations, renderWorkflowCommands, renderWorkflowMessage } from './annotations.ts';
import type { ActionEnv } from './env.ts';
import type { PullRequestEvent } from './event.ts';
import { httpStatusOf, type CheckConclusion, type CheckResult, type CommentResult, type ForgeClient } from './forge.ts';

/** Opens the sticky comment's body; the comment is found by it and updated in place. */
export const COMMENT_MARKER = '<!-- git-distill:pr-comment -->';
/** GitHub's comment limit is 65,536 characters; the rest of the room is for the footer. */
export const COMMENT_MAX_CHARS = 60_000;

export interface ActionInputs {
  /** The action's fail-level input; null: the policy's (`checks.fail_level`, read from the base commit). */
  fail_level: FailLevel | null;
  push: boolean;
  sarif_path: string;
  /** The check run's name or the status context. */
  check_name: string;
}

/** How a merged PR's distilled data was linked to the commit the forge made (squash or rebase). */
export interface MergeLink {
  pr_commit: string;
  merged_commit: string;
  /** `patch-id` (the diffs match) or `pr-number` (they differ, e.g. a conflict resolved while merging). */
  by: 'patch-id' | 'pr-number';
  detail: string;
  carried: boolean;
}

export interface ActionDeps {
  env: ActionEnv;
  event: PullRequestEvent;
  inputs: ActionInputs;
  /** null when there is no token: nothing is posted. */
  forge: ForgeClient | null;
  /** Bring the distill branch up to date and distill the PR's commits; returns a line for the summary. */
  distill(event: PullRequestEvent): Promise<string>;
  /** Run the checks over base..head with the policy applied (runChecks of src/checks/registry.ts), and the policy's fail level. */
  runChecks(range: { base: string; head: string }): Promise<{ reports: CheckReport[]; fail_level: FailLevel }>;
  /** For a merged PR: link its data to the forge's merge commit. */
  linkMerged(event: PullRequestEvent): Promise<MergeLink[]>;
  /** Push the distill branch (fetch, merge, retry); returns a line for the summary. */
  push(): Promise<string>;
  writeFile(path: string, text: string): void;
  appendFile(path: string, text: string): void;
  /** Workflow commands (annotations, warnings) go here: the runner reads the job's stdout. */
  stdout(text: string): void;
  tool_version: string;
}

export interface ActionResult {
  exit_code: number;
  failed: boolean;
  counts: Record<'block' | 'warn' | 'info' | 'off', number>;
  comment: CommentResult | null;
  check: CheckResult | null;
  /** Annotations sent through the Checks API, or printed as workflow commands. */
  annotations: { total: number; via: 'check_run' | 'workflow_commands' | 'none' };
  links: MergeLink[];
  /** What could not be posted and why: the job went on without it. */
  degraded: string[];
  /** The failure message when git-distill itself failed (then the job fails too). */
  crashed: string | null;
  sarif_path: string | null;
}

const redact = (text: string) => redactText(text).text;

/** Redact every text a finding carries before anything is rendered or posted (DESIGN 19): PR content is untrusted. */
export function redactReports(reports: readonly CheckReport[]): CheckReport[] {
  return reports.map((r) => ({
    ...r,
    findings: r.findings.map(
      (f): DisposedFinding => ({
        ...f,
        title: redact(f.title),
        message: redact(f.message),
        disposition_reason: redact(f.disposition_reason),
        location: f.location === null ? null : { ...f.location, path: redact(f.location.path) },
        evidence: f.evidence.map((e) => ({ ...e, lookup: redact(e.lookup), detail: redact(e.detail) })),
      }),
    ),
  }));
}

function conclusionOf(findings: readonly DisposedFinding[], failed: boolean): CheckConclusion {
  if (failed) return 'failure';
  return findings.some((f) => f.disposition === 'warn' || f.disposition === 'block') ? 'neutral' : 'success';
}

function describeForgeError(what: string, error: unknown): string {
  const status = httpStatusOf(error);
  const why = status === 403 || status === 401 || status === 404 ? 'the token cannot write here (a fork PR has a read-only token)' : 'the forge refused';
  const message = (error as Error)?.message ?? String(error);
  return `${what}: ${status === null ? '' : `HTTP ${status}, `}${why}: ${redact(message).split('\n')[0]}`;
}

/** `key=value` lines for GITHUB_OUTPUT; every value is one line (outputs are strings). */
export function renderOutputs(outputs: Record<string, string>): string {
  return Object.entries(outputs)
    .map(([k, v]) => `${k}=${v.replace(/[\r\n]+/g, ' ')}\n`)
    .join('');
}

/** Run the PR job. Never throws: a failure inside git-distill is reported (summary, ::error::, a failed check) and exits non-zero. */
export async function runAction(deps: ActionDeps): Promise<ActionResult> {
  const { env, event, inputs } = deps;
  const degraded: string[] = [];
  const result: ActionResult = {
    exit_code: 0,
    failed: false,
    counts: { block: 0, warn: 0, info: 0, off: 0 },
    comment: null,
    check: null,
    annotations: { total: 0, via: 'none' },
    links: [],
    degraded,
    crashed: null,
    sarif_path: null,
  };
  const notes: string[] = [];
  try {
    if (event.merged_as !== null) {
      result.links = await deps.linkMerged(event);
      for (const l of result.links) notes.push(`linked ${l.pr_commit.slice(0, 12)} → ${l.merged_commit.slice(0, 12)} by ${l.by}: ${l.detail}`);
    }
    notes.push(await deps.distill(event));

    const checked = await deps.runChecks({ base: event.base_sha, head: event.head_sha });
    const failLevel = inputs.fail_level ?? checked.fail_level;
    const reports = redactReports(checked.reports);
    const findings = reports.flatMap((r) => r.findings);
    result.failed = shouldFail(findings, failLevel);
    result.counts = countDispositions(findings);

    deps.writeFile(inputs.sarif_path, renderSarif(reports, deps.tool_version));
    result.sarif_path = inputs.sarif_path;

    const md = redact(renderMarkdown(reports, { marker: COMMENT_MARKER, max_chars: COMMENT_MAX_CHARS }));
    const verdict = `${result.failed ? 'fails' : 'passes'} at fail level \`${failLevel}\``;
    const body = `${md}\n<sub>git-distill ${deps.tool_version} · ${verdict} · PR #${event.number} at \`${event.head_sha.slice(0, 12)}\`</sub>\n`;
    const annotations = buildAnnotations(reports);
    result.annotations.total = annotations.length;

    if (deps.forge === null) {
      degraded.push('no token: nothing was posted to the forge (set the token input)');
    } else {
      try {
        result.comment = await deps.forge.upsertComment(event.number, COMMENT_MARKER, body);
      } catch (error) {
        degraded.push(describeForgeError('PR comment', error));
      }
      try {
        result.check = await deps.forge.publishCheck({
          head_sha: event.head_sha,
          name: inputs.check_name,
          conclusion: conclusionOf(findings, result.failed),
          title: `${findings.length} finding${findings.length === 1 ? '' : 's'}: ${result.counts.block} block, ${result.counts.warn} warn, ${result.counts.info} info`,
          summary: body,
          annotations,
          target_url: env.run_url,
        });
      } catch (error) {
        degraded.push(describeForgeError(env.forge === 'gitea' ? 'commit status' : 'check run', error));
      }
    }
    if (result.check?.kind === 'check_run') {
      result.annotations.via = 'check_run';
    } else if (annotations.length > 0) {
      // No Checks API (Gitea, or a read-only token): the runner makes annotations from workflow commands.
      deps.stdout(renderWorkflowCommands(annotations));
      result.annotations.via = 'workflow_commands';
    }

    if (inputs.push) {
      try {
        notes.push(await deps.push());
      } catch (error) {
        degraded.push(`distill branch push: ${redact((error as Error)?.message ?? String(error))}`);
      }
    }
    for (const d of degraded) deps.stdout(renderWorkflowMessage('warning', 'git-distill', d));
    if (env.summary_path !== null) {
      const extra = [...notes, ...degraded.map((d) => `⚠️ ${d}`)].map((n) => `- ${redact(n)}`).join('\n');
      deps.appendFile(env.summary_path, `${md.slice(COMMENT_MARKER.length + 1)}\n${extra}\n`);
    }
    result.exit_code = result.failed ? 1 : 0;
  } catch (error) {
    const message = redact(isDistillError(error) ? `${error.message}${error.hint === undefined ? '' : ` (next: ${error.hint})`}` : ((error as Error)?.stack ?? String(error)));
    result.crashed = message;
    result.failed = true;
    // A DistillError keeps its exit code (all non-zero); anything else is an internal error: 2, never 0.
    result.exit_code = isDistillError(error) ? Math.max(1, error.exitCode) : 2;
    deps.stdout(renderWorkflowMessage('failure', 'git-distill failed', message));
    if (deps.forge !== null) {
      try {
        await deps.forge.reportCrash(event.head_sha, inputs.check_name, message, env.run_url);
      } catch (reportError) {
        degraded.push(describeForgeError('failure report', reportError));
      }
    }
    if (env.summary_path !== null) {
      try {
        deps.appendFile(env.summary_path, `## git-distill failed\n\n\`\`\`\n${message.slice(0, 60_000)}\n\`\`\`\n`);
      } catch {
        // The summary is best effort here: the exit code already says it failed.
      }
    }
  }
  if (env.output_path !== null) {
    const outputs: Record<string, string> = {
      'sarif-file': result.sarif_path ?? '',
      findings: String(result.counts.block + result.counts.warn + result.counts.info + result.counts.off),
      block: String(result.counts.block),
      warn: String(result.counts.warn),
      info: String(result.counts.info),
      off: String(result.counts.off),
      failed: String(result.failed),
      'exit-code': String(result.exit_code),
      'comment-url': result.comment?.url ?? '',
      degraded: String(degraded.length > 0),
    };
    try {
      deps.appendFile(env.output_path, renderOutputs(outputs));
    } catch (error) {
      deps.stdout(renderWorkflowMessage('failure', 'git-distill', `cannot write GITHUB_OUTPUT: ${(error as Error).message}`));
      if (result.exit_code === 0) result.exit_code = 2;
    }
  }
  return result;
}
