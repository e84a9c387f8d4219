// The hook worker: drains the post-commit queue and the post-rewrite files, one worker at a time per worktree.
import { Database } from 'bun:sqlite';
import { mkdirSync, readFileSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { claimQueue, distillStateDir, finishClaim, listRewrites, parseRewritePairs } from '../hooks/queue.ts';
import type { DistillContext, DistillResult } from './run.ts';
import { distillAll } from './run-commits.ts';
import { carryCommit, type CarryResult } from './rewrite.ts';

export interface WorkerReport {
  distilled: DistillResult[];
  carried: CarryResult[];
  /** Queue lines that were not oids (a torn write or a hand edit). */
  invalid: string[];
  /** Commits or rewrites that failed, with why; the rest still ran. */
  errors: string[];
}

/**
 * Hold the per-worktree worker lock while `fn` runs. A second worker waits rather than exits, so an oid
 * queued while the first was finishing is never left behind. SQLite's lock dies with the process.
 */
export async function withWorkerLock<T>(gitDir: string, fn: () => Promise<T>): Promise<T> {
  const dir = distillStateDir(gitDir);
  mkdirSync(dir, { recursive: true });
  const db = new Database(join(dir, 'worker.lock'), { create: true });
  try {
    db.run('PRAGMA busy_timeout = 600000');
    db.run('BEGIN EXCLUSIVE');
    try {
      return await fn();
    } finally {
      db.run('ROLLBACK');
    }
  } finally {
    db.close();
  }
}

/** Apply every saved post-rewrite file (oldest first), then distill every queued commit, until both are empty. */
export async function drainWork(ctx: DistillContext, gitDir: string): Promise<WorkerReport> {
  const report: WorkerReport = { distilled: [], carried: [], invalid: [], errors: [] };
  for (;;) {
    const rewrites = await listRewrites(gitDir);
    for (const file of rewrites) {
      const { pairs } = parseRewritePairs(readFileSync(file.path, 'utf8'));
      for (const p of pairs) {
        const detail = `post-rewrite ${file.kind}: ${p.old_oid.slice(0, 12)} → ${p.new_oid.slice(0, 12)}`;
        try {
          report.carried.push(await carryCommit(ctx, p.old_oid, p.new_oid, 'rewrite', detail));
        } catch (error) {
          report.errors.push(`${detail}: ${(error as Error).message}`);
        }
      }
      unlinkSync(file.path);
    }
    const claim = await claimQueue(gitDir);
    report.invalid.push(...claim.invalid);
    if (claim.oids.length === 0 && rewrites.length === 0) {
      await finishClaim(gitDir, claim);
      return report;
    }
    for (const oid of claim.oids) {
      try {
        report.distilled.push(...(await distillAll(ctx, [oid], { attach: false })));
      } catch (error) {
        // A commit that cannot be distilled (gone after a gc, a corrupt object) must not block the rest.
        report.errors.push(`${oid}: ${(error as Error).message}`);
      }
    }
    await finishClaim(gitDir, claim);
  }
}
