// Shared by `run` and `backfill`: resolve revisions to commits, distill each in order, render the result lines.
import { DistillError } from '../errors.ts';
import type { Git } from '../io/git.ts';
import type { DistillContext, DistillResult } from './run.ts';
import { distillCommit } from './run.ts';

const OID_RE = /^[0-9a-f]{40}$/;

/** `<rev>` → [its commit]; `A..B` (or `A...B`) → its commits, oldest first. Read-only git. */
export async function resolveCommits(git: Git, spec: string): Promise<string[]> {
  if (spec.startsWith('-')) throw new DistillError('E_GIT_BAD_REVISION', `not a revision: ${JSON.stringify(spec)}`, { hint: 'git distill run HEAD~3..HEAD' });
  if (spec.includes('..')) {
    const r = await git.run(['rev-list', '--reverse', spec, '--'], { allowExit: [128] });
    if (r.exitCode !== 0) {
      throw new DistillError('E_GIT_BAD_REVISION', `unknown revision range ${JSON.stringify(spec)}`, {
        hint: 'list recent commits with: git log --oneline -10',
        details: { rev: spec, stderr: r.stderr.trim() },
      });
    }
    return r.stdoutText.split('\n').filter((l) => OID_RE.test(l));
  }
  return [await git.revParse(`${spec}^{commit}`)];
}

/** Commits of the current branch along first parents not yet distilled, oldest first. */
export async function undistilledCommits(git: Git, ctx: DistillContext): Promise<string[]> {
  const head = await git.run(['rev-parse', '--verify', '-q', 'HEAD^{commit}'], { allowExit: [1, 128] });
  if (head.exitCode !== 0) return [];
  const all = (await git.run(['rev-list', '--first-parent', '--reverse', 'HEAD', '--'])).stdoutText.split('\n').filter((l) => OID_RE.test(l));
  const done = new Set(await ctx.store.listSources());
  return all.filter((oid) => !done.has(oid));
}

export async function distillAll(
  ctx: DistillContext,
  oids: readonly string[],
  opts: { attach: boolean; onDone?: (result: DistillResult, index: number) => void },
): Promise<DistillResult[]> {
  const results: DistillResult[] = [];
  for (const [i, oid] of oids.entries()) {
    const r = await distillCommit(ctx, oid, { attach: opts.attach });
    results.push(r);
    opts.onDone?.(r, i);
  }
  return results;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

export function renderResultLine(r: DistillResult): string {
  const c = r.runs_by_category;
  const cats = `${c.accepted} accepted, ${c.partially_accepted} partially accepted, ${c.rejected} rejected, ${c.needs_human_review} needs review`;
  const extra = r.updated.length === 0 ? '' : `; late records added to ${r.updated.map((o) => o.slice(0, 7)).join(', ')}`;
  return `${r.oid.slice(0, 7)} distilled: ${r.evidence} evidence, ${plural(r.runs, 'run')} (${cats}), ${r.quarantined} quarantined${extra}\n`;
}

export function resultJson(r: DistillResult): Record<string, unknown> {
  return { ...r };
}
