// `git distill drift [<rev>] [--base <rev>]` and `--log`: the requirement docs' claims against the tree, stored per commit on the distill branch.
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { PRD_DRIFT_CHECK_ID, PRD_DRIFT_RULES, prdDriftCheck } from '../../../checks/prd-drift.ts';
import { DriftReportSchema, type DriftReport } from '../../../schemas/drift-report.ts';
import { markIntroduced, sortFindings } from '../../checks/check.ts';
import { loadCheckPolicy } from '../../checks/load-policy.ts';
import { applyPolicy } from '../../checks/policy.ts';
import { resolveCheckRange } from '../../checks/registry.ts';
import { renderMarkdown, renderReportsText, renderSarif, type CheckReport } from '../../checks/report.ts';
import { loadRepoConfig } from '../../config/load.ts';
import { canonicalJson } from '../../canonical.ts';
import { computeDrift } from '../../drift/index.ts';
import { renderDriftLog, renderDriftSummary, type DriftLogRow } from '../../drift/render-drift.ts';
import { findRepoRoot, openDistillContext } from '../../distill/open-context.ts';
import { storeCommitDrift } from '../../distill/run.ts';
import { DistillError, EXIT } from '../../errors.ts';
import { createGit } from '../../io/git.ts';
import { COMMIT_FILES, commitDir } from '../../store/layout.ts';
import { openRepoStore } from '../../read/read-distilled.ts';
import type { CliEnv, Command, ParsedValues } from '../command.ts';

const HELP = `usage: git distill drift [<rev>] [--base <rev>] [--json | --md] [--sarif FILE] [--no-store]
       git distill drift --log [<rev>] [-n N] [--json]

Check the requirement docs (drift.docs in .distill/config.json; default docs/PRD.md, docs/PHASES.md,
PRD.md, ROADMAP.md) against the tree of a commit (default HEAD), read from git, never from the working
tree: ids, phases and checkbox items, their status, the paths, symbols and tests they name, trace tags
such as @req FR-012 in code and tests, and <!-- verified: <sha> --> stamps. The report (a DriftReport,
no base) is stored as drift.json in the commit's folder on the distill branch.

With --base, the report also runs at merge-base(<base>, <rev>), and each finding says whether the
range introduced it (pr) or it was already there (base). To gate a PR on drift, use
git distill check prd-drift --base <rev>, which exits 1 at the fail level.

--log shows drift per commit along first parents (default the 20 newest): claims, done, verified,
phantom, stale and findings, from stored reports, computed (not stored) for commits without one.

options:
  --base <rev>   compare with merge-base(<rev>, <rev>)
  --json         print the DriftReport (with --log: one object per commit)
  --md           print the findings as the PR comment's Markdown
  --sarif FILE   also write the findings as SARIF 2.1.0 to FILE
  --no-store     do not write drift.json to the distill branch
  --log          drift per commit over history
  -n N           with --log: how many commits (default 20)
  -h, --help     this help

exit: 0 (the report is data; findings do not fail it), 2 usage or config error, 4 git failure.
`;

function parseCount(value: ParsedValues[string]): number {
  if (value === undefined) return 20;
  const n = Number(value);
  if (typeof value !== 'string' || !Number.isInteger(n) || n < 1) throw new DistillError('E_USAGE', `-n must be a positive whole number, got '${String(value)}'`, { hint: 'git distill drift --log -n 50' });
  return n;
}

/** Read only: stored reports from the branch, the others computed (never stored); no cache is opened. */
async function runLog(env: CliEnv, values: ParsedValues, rev: string): Promise<number> {
  const count = parseCount(values.n);
  const { git, root, store } = await openRepoStore(env.cwd, env.version);
  try {
    const { config } = loadRepoConfig(root);
    const head = await git.revParse(`${rev}^{commit}`);
    const rows: DriftLogRow[] = [];
    const listing = await git.run(['log', '--first-parent', `--max-count=${count}`, '--no-show-signature', '--no-color', '-z', '--format=%H%x1f%cI%x1f%s', head, '--']);
    for (const rec of listing.stdoutText.split('\0')) {
      const [oid, date, subject] = rec.replace(/^\n/, '').split('\x1f');
      if (oid === undefined || oid === '' || date === undefined) continue;
      const stored = await store.readPath(`${commitDir(oid)}/${COMMIT_FILES.drift}`);
      const report = stored !== null ? DriftReportSchema.parse(JSON.parse(new TextDecoder().decode(stored))) : ((await computeDrift({ git, store, config, commit: oid }))?.report ?? null);
      const source: DriftLogRow['source'] = stored !== null ? 'stored' : report !== null ? 'computed' : 'no docs';
      rows.push({ oid, committed_at: date, subject: subject ?? '', source, report });
    }
    const json = () => JSON.stringify(rows.map((r) => ({ oid: r.oid, committed_at: r.committed_at, subject: r.subject, source: r.source, claim_count: r.report?.claim_count ?? 0, summary: r.report?.summary ?? null, findings: r.report?.findings.length ?? 0 })));
    env.stdout(values.json === true ? json() + '\n' : renderDriftLog(rows));
    return EXIT.ok;
  } finally {
    await store.close();
  }
}

async function run(env: CliEnv, values: ParsedValues, positionals: string[]): Promise<number> {
  if (positionals.length > 1) throw new DistillError('E_USAGE', `drift takes one revision, got ${positionals.length}`, { hint: 'git distill drift HEAD~1' });
  if (values.json === true && values.md === true) throw new DistillError('E_USAGE', 'choose one of --json and --md', { hint: 'git distill drift --json' });
  const rev = positionals[0] ?? 'HEAD';
  if (values.log === true) {
    if (values.base !== undefined || values.md === true || values.sarif !== undefined) throw new DistillError('E_USAGE', '--log shows stored reports; it takes no --base, --md or --sarif', { hint: 'git distill drift --log -n 20' });
    return runLog(env, values, rev);
  }
  if (values.n !== undefined) throw new DistillError('E_USAGE', '-n goes with --log', { hint: 'git distill drift --log -n 20' });
  const repoRoot = await findRepoRoot(createGit({ cwd: env.cwd }));
  const { config } = loadRepoConfig(repoRoot);
  const opened = await openDistillContext({ cwd: repoRoot, config, tool_version: env.version });
  try {
    const { git, ctx } = opened;
    const base = typeof values.base === 'string' ? values.base : null;
    const { base_oid, head_oid } = await resolveCheckRange(git, { base, head: rev });
    const stored = values['no-store'] === true ? null : await storeCommitDrift(ctx, head_oid);
    const result = stored !== null ? stored.drift : ((await computeDrift({ git, store: ctx.store, config, commit: head_oid }))?.folder ?? null);
    if (result === null) {
      env.stderr(`git-distill: ${head_oid.slice(0, 12)} has none of the requirement docs (${config.drift.docs.join(', ')})\n  next: name your docs in .distill/config.json under drift.docs\n`);
      if (values.json === true) env.stdout('null\n');
      return EXIT.ok;
    }
    let findings = result.report.findings;
    if (base !== null) {
      const before = base_oid === null ? null : ((await computeDrift({ git, store: ctx.store, config, commit: base_oid }))?.findings ?? []);
      findings = markIntroduced(findings, before);
    }
    const report: DriftReport = { ...result.report, base_oid: base === null ? null : base_oid, findings: sortFindings(findings) };
    const policy = await loadCheckPolicy(git, repoRoot, base_oid, config);
    const checkReport: CheckReport = { check: PRD_DRIFT_CHECK_ID, title: prdDriftCheck.title, rules: PRD_DRIFT_RULES, base_oid: report.base_oid, head_oid, findings: sortFindings(applyPolicy(findings, policy.policy)) };
    if (typeof values.sarif === 'string') {
      writeFileSync(resolve(env.cwd, values.sarif), renderSarif([checkReport], env.version));
      env.stderr(`git-distill: wrote ${values.sarif}\n`);
    }
    // Canonical JSON: without --base these are exactly the bytes stored as drift.json.
    if (values.json === true) env.stdout(canonicalJson(report) + '\n');
    else if (values.md === true) env.stdout(renderMarkdown([checkReport]));
    else env.stdout(renderDriftSummary(report) + renderReportsText([checkReport]));
    if (stored !== null && stored.drift !== null) env.stderr(stored.changed ? `git-distill: stored ${commitDir(head_oid)}/${COMMIT_FILES.drift} on ${ctx.store.ref}\n` : `git-distill: ${commitDir(head_oid)}/${COMMIT_FILES.drift} on ${ctx.store.ref} is up to date\n`);
    return EXIT.ok;
  } finally {
    await opened.close();
  }
}

export const driftCommand: Command = {
  name: 'drift',
  summary: "check the requirement docs' claims against a commit's tree; store the report",
  help: HELP,
  options: {
    base: { type: 'string' },
    json: { type: 'boolean' },
    md: { type: 'boolean' },
    sarif: { type: 'string' },
    'no-store': { type: 'boolean' },
    log: { type: 'boolean' },
    n: { type: 'string', short: 'n' },
  },
  allowPositionals: true,
  run,
};
