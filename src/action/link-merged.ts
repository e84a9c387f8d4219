// A PR the forge merged as new commits (squash or rebase): carry its distilled data to them, by patch-id, else by PR number.
import { DistillError } from '../errors.ts';
import type { Git } from '../io/git.ts';
import { carryCommit, computePatchIds } from '../distill/rewrite.ts';
import type { DistillContext } from '../distill/run.ts';
import type { PullRequestEvent } from './event.ts';
import type { MergeLink } from './run-action.ts';

const OID = /^[0-9a-f]{40}$|^[0-9a-f]{64}$/;
const lines = (text: string) => text.split('\n').filter((l) => OID.test(l));

async function combinedPatchId(git: Git, from: string, to: string): Promise<string | null> {
  const diff = await git.run(['diff', '--no-color', '--no-ext-diff', from, to]);
  if (diff.stdout.length === 0) return null;
  const id = await git.run(['patch-id', '--stable'], { input: diff.stdout });
  return id.stdoutText.split(' ')[0] || null;
}

/**
 * Link the PR's commits to the commit(s) the forge wrote when it merged the PR:
 * - a merge commit or a fast-forward keeps the PR's commits reachable: nothing to do;
 * - a rebase merge: each PR commit goes to the new commit with the same `git patch-id --stable`;
 * - a squash merge: when the PR's whole diff has the merge commit's patch-id, every PR commit goes to it by
 *   patch-id; when it differs (a conflict resolved on merge), by PR number. The link's detail says which.
 */
export async function linkMergedPr(ctx: DistillContext, git: Git, event: PullRequestEvent): Promise<MergeLink[]> {
  const merged = event.merged_as;
  if (merged === null) return [];
  const exists = await git.run(['cat-file', '-e', `${merged}^{commit}`], { allowExit: [1, 128] });
  if (exists.exitCode !== 0) {
    throw new DistillError('E_GIT_BAD_REVISION', `the merge commit ${merged} of PR #${event.number} is not in this clone`, {
      hint: 'check out with full history (actions/checkout with fetch-depth: 0)',
      details: { merged, pr: event.number },
    });
  }
  const mb = await git.run(['merge-base', event.base_sha, event.head_sha], { allowExit: [1] });
  const base = mb.exitCode === 0 ? mb.stdoutText.trim() : event.base_sha;
  const prCommits = lines((await git.run(['rev-list', '--reverse', `${base}..${event.head_sha}`, '--'])).stdoutText);
  if (prCommits.length === 0) return [];
  const parents = (await git.run(['rev-list', '--parents', '-n', '1', merged])).stdoutText.trim().split(' ').slice(1);
  if (prCommits.includes(merged) || parents.includes(event.head_sha)) return [];

  const candidates = lines((await git.run(['rev-list', '--first-parent', '--reverse', '-n', String(prCommits.length), merged, '--'])).stdoutText);
  const ids = await computePatchIds(git, [...prCommits, ...candidates]);
  const byPatch = new Map<string, string>();
  for (const c of candidates) {
    const id = ids.get(c);
    if (id !== undefined && !byPatch.has(id)) byPatch.set(id, c);
  }
  const plan: Array<{ from: string; to: string; by: MergeLink['by']; detail: string }> = [];
  const rebased = prCommits.map((c) => ({ c, to: byPatch.get(ids.get(c) ?? '') }));
  if (prCommits.length > 1 && rebased.every((r) => r.to !== undefined && r.to !== r.c)) {
    for (const r of rebased) {
      plan.push({ from: r.c, to: r.to!, by: 'patch-id', detail: `PR #${event.number} rebase-merged: patch-id ${ids.get(r.c)!.slice(0, 12)} of ${r.c.slice(0, 12)}` });
    }
  } else {
    const prId = await combinedPatchId(git, base, event.head_sha);
    const mergedId = await combinedPatchId(git, parents[0] ?? base, merged);
    const same = prId !== null && prId === mergedId;
    for (const c of prCommits) {
      plan.push({
        from: c,
        to: merged,
        by: same ? 'patch-id' : 'pr-number',
        detail: same
          ? `PR #${event.number} squash-merged as ${merged.slice(0, 12)}: patch-id ${prId.slice(0, 12)} of the PR's diff`
          : `PR #${event.number} squash-merged as ${merged.slice(0, 12)}, linked by PR number (the merged diff's patch-id differs)`,
      });
    }
  }
  const out: MergeLink[] = [];
  for (const p of plan) {
    // The evidence link records `patch-id` when the diffs match, `rewrite` (with the PR number in its detail) when not.
    const carried = await carryCommit(ctx, p.from, p.to, p.by === 'patch-id' ? 'patch-id' : 'rewrite', p.detail);
    out.push({ pr_commit: p.from, merged_commit: p.to, by: p.by, detail: p.detail, carried: carried.carried });
  }
  return out;
}
