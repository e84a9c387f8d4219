// Records a person's decision on a playbook: one line appended to meta/playbook-approvals.jsonl and the derived files recomputed, in one distill commit.
import type { DistillConfig } from '../../schemas/config.ts';
import type { PlaybookApproval } from '../../schemas/approval.ts';
import { writeWithRetry, type DistillStore } from '../store/store.ts';
import { PLAYBOOK_APPROVALS_FILE } from '../store/layout.ts';
import { computeDerivedFiles, derivedOptions, renderApprovals, type SummaryCache } from '../derived/derived-files.ts';

export interface DecisionContext {
  store: DistillStore;
  config: Pick<DistillConfig, 'playbooks' | 'ledger'>;
  cache?: SummaryCache;
  sleep(ms: number): Promise<void>;
}

/** Append the decision and recompute against the head each attempt builds on; returns the new head. */
export async function writePlaybookDecision(ctx: DecisionContext, decision: PlaybookApproval): Promise<string> {
  const head = await writeWithRetry(
    ctx.store,
    async (at) => {
      const approvals = renderApprovals(await ctx.store.readPath(PLAYBOOK_APPROVALS_FILE), [decision]);
      const meta = new Map([[PLAYBOOK_APPROVALS_FILE, approvals]]);
      const derived = await computeDerivedFiles(ctx.store, {
        ...derivedOptions(ctx.config),
        meta,
        ...(ctx.cache === undefined ? {} : { cache: ctx.cache, head: at }),
      });
      derived.set(PLAYBOOK_APPROVALS_FILE, approvals);
      return { source_oid: null, subject: `${decision.status} playbook ${decision.playbook_id}`, files: new Map(), derived, date: decision.at };
    },
    { attempts: 10, sleep: ctx.sleep },
  );
  ctx.cache?.markMirrored(head);
  return head;
}
