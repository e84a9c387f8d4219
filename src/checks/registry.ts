// The checks `git distill check` and the action run: each runner reads through the context, then calls its pure check.
import Fuse from 'fuse.js';
import type { DistillConfig } from '../../schemas/config.ts';
import type { Finding } from '../../schemas/finding.ts';
import { DistillError } from '../errors.ts';
import type { Git } from '../io/git.ts';
import type { DistillStore } from '../store/store.ts';
import { markIntroduced, sortFindings, type CheckRule } from './check.ts';
import { applyPolicy, type Policy } from './policy.ts';
import type { CheckReport } from './report.ts';
import { kbQueryRunner } from './runners/kb-query.ts';
import { prdDriftRunner } from './runners/prd-drift.ts';

export interface CheckContext {
  /** src/io/git.ts, at the repository root. */
  git: Git;
  repo_root: string;
  /** The distill branch: runners read it; a runner writes only through its own stage. */
  store: DistillStore;
  config: DistillConfig;
  tool_version: string;
}

export interface CheckRunner {
  /** The Finding.check value: `kb_query`, `prd_drift`. */
  id: string;
  /** `git distill check <cli_name>`: `kb-query`, `prd-drift`. */
  cli_name: string;
  title: string;
  rules: readonly CheckRule[];
  /**
   * true: the framework also runs the check at the merge-base and marks what the range introduced.
   * false: the runner sets introduced_by itself (kb_query's findings are about the PR's own diff).
   */
  compare_with_base: boolean;
  /** Read through ctx (git at the given commits, the distill branch), build the snapshot, call the pure check. */
  run(ctx: CheckContext, rev: { base_oid: string | null; head_oid: string }): Promise<Finding[]>;
}

/** Every check git-distill ships; a check registers with one import and one entry here. */
export const CHECK_RUNNERS: readonly CheckRunner[] = [kbQueryRunner, prdDriftRunner];

/** The runner `name` (id or cli name) names; E_USAGE with the closest names otherwise. */
export function findRunner(name: string, runners: readonly CheckRunner[] = CHECK_RUNNERS): CheckRunner {
  const found = runners.find((r) => r.id === name || r.cli_name === name);
  if (found !== undefined) return found;
  const names = runners.map((r) => r.cli_name);
  const close = new Fuse(names, { threshold: 0.5 }).search(name).map((m) => m.item);
  const hint =
    close.length > 0 ? `did you mean: git distill check ${close[0]}` : names.length > 0 ? `known checks: ${names.join(', ')}` : 'this build has no checks';
  throw new DistillError('E_USAGE', `no check named '${name}'`, { hint, details: { check: name, known: names } });
}

/**
 * The commits a check compares: head, and merge-base(base, head) when a base is named (null when there is
 * none, or when the two share no history: then nothing is on "the base").
 */
export async function resolveCheckRange(git: Git, range: { base: string | null; head: string }): Promise<{ base_oid: string | null; head_oid: string }> {
  const head_oid = await git.revParse(`${range.head}^{commit}`);
  if (range.base === null) return { base_oid: null, head_oid };
  const r = await git.run(['merge-base', await git.revParse(`${range.base}^{commit}`), head_oid], { allowExit: [1] });
  return { base_oid: r.exitCode === 0 ? r.stdoutText.trim() : null, head_oid };
}

/**
 * Run the named checks over a range and apply the policy. `range.base` given: compare with
 * merge-base(base, head), so only what the range introduced is `pr`. `range.base` null: the check
 * stands alone and everything it finds at head counts as introduced (there is no base to excuse it).
 */
export async function runChecks(
  ctx: CheckContext,
  names: readonly string[],
  range: { base: string | null; head: string },
  policy: Policy,
  runners: readonly CheckRunner[] = CHECK_RUNNERS,
): Promise<CheckReport[]> {
  const selected = [...new Set(names.map((n) => findRunner(n, runners)))];
  const { base_oid, head_oid } = await resolveCheckRange(ctx.git, range);
  const reports: CheckReport[] = [];
  for (const runner of selected) {
    const rev = { base_oid, head_oid };
    let findings = await runner.run(ctx, rev);
    if (runner.compare_with_base) {
      const before = base_oid === null ? [] : await runner.run(ctx, { base_oid: null, head_oid: base_oid });
      findings = markIntroduced(findings, before);
    }
    reports.push({
      check: runner.id,
      title: runner.title,
      rules: runner.rules,
      base_oid,
      head_oid,
      findings: sortFindings(applyPolicy(findings, policy)),
    });
  }
  return reports;
}
