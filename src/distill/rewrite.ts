// Carry distilled data to rewritten commits: git's post-rewrite pairs (amend, rebase) and `git patch-id --stable` matches.
import type { Git } from '../io/git.ts';
import { buildFolderFiles, emptyFolderContent, mergeFolderContent, parseFolderFiles } from './build-folder.ts';
import { withLink, type RunLink } from './link.ts';
import { drainJournal, folderSetup, restoreFromStore, sameFiles, type DistillContext } from './run.ts';

export interface CarryResult {
  old_oid: string;
  new_oid: string;
  carried: boolean;
  /** Why nothing was carried, or how it was. */
  detail: string;
  evidence: number;
}

/**
 * Copy the folder of `oldOid` to `newOid`, every record relinked with `by` and `detail`, and move its runs
 * in the cache so later records of those runs follow the new commit. The old folder stays: history is
 * never rewritten on the distill branch. Carrying the same pair twice changes nothing.
 */
export async function carryCommit(ctx: DistillContext, oldOid: string, newOid: string, by: 'rewrite' | 'patch-id', detail: string): Promise<CarryResult> {
  return ctx.cache.withLock(async () => {
    await drainJournal(ctx);
    await restoreFromStore(ctx);
    const base = { old_oid: oldOid, new_oid: newOid };
    if (oldOid === newOid) return { ...base, carried: false, detail: 'same commit', evidence: 0 };
    const stored = await ctx.store.readCommit(oldOid);
    if (stored === null) return { ...base, carried: false, detail: `${oldOid.slice(0, 12)} was never distilled`, evidence: 0 };
    const old = parseFolderFiles(stored);
    const target = await ctx.store.readCommit(newOid);
    const targetContent = target === null ? emptyFolderContent() : parseFolderFiles(target);
    const have = new Set(targetContent.reads.map((r) => r.path));
    const haveIds = new Set(targetContent.evidence.map((r) => r.evidence_id));
    if (target !== null && old.reads.every((r) => have.has(r.path)) && old.evidence.every((r) => haveIds.has(r.evidence_id))) {
      return { ...base, carried: false, detail: 'already carried', evidence: 0 };
    }
    const runs = [...new Set(old.evidence.map((r) => r.run_id))].sort();
    const links: RunLink[] = runs.map((run_id) => ({ run_id, oid: newOid, by, detail }));
    const evidence = old.evidence.map((r) => withLink(r, { run_id: r.run_id, oid: newOid, by, detail }));
    const facts = await ctx.commitFacts(newOid);
    const files = buildFolderFiles(mergeFolderContent(targetContent, { ...old, evidence }), facts, folderSetup(ctx));
    if (sameFiles(target, files)) return { ...base, carried: false, detail: 'already carried', evidence: 0 };
    ctx.cache.applyCarry({
      run_links: links,
      seen: evidence.map((r) => ({ evidence_id: r.evidence_id, oid: newOid })),
      journal: [{ source_oid: newOid, subject: facts.subject, date: facts.committed_at, files }],
    });
    await drainJournal(ctx);
    return { ...base, carried: true, detail, evidence: evidence.length };
  });
}

/** `git patch-id --stable` of each commit (commits with an empty diff, such as merges, have none). */
export async function computePatchIds(git: Git, oids: readonly string[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  if (oids.length === 0) return out;
  // One `git log -p` over every commit, piped into one patch-id: two processes whatever the count.
  const log = await git.run(['log', '--no-walk=unsorted', '-p', '--no-color', '--no-ext-diff', '--format=commit %H', '--first-parent', ...oids]);
  const ids = await git.run(['patch-id', '--stable'], { input: log.stdout });
  for (const line of ids.stdoutText.split('\n')) {
    const [patch, commit] = line.split(' ');
    if (patch !== undefined && commit !== undefined && patch !== '') out.set(commit, patch);
  }
  return out;
}
