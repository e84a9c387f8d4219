// prd_drift's runner: the drift stage at one commit (docs and lookups read from git, earlier signals from the distill branch).
import { PRD_DRIFT_CHECK_ID, PRD_DRIFT_RULES, prdDriftCheck } from '../../../checks/prd-drift.ts';
import type { Finding } from '../../../schemas/finding.ts';
import { computeDrift } from '../../drift/index.ts';
import type { CheckContext, CheckRunner } from '../registry.ts';

export const prdDriftRunner: CheckRunner = {
  id: PRD_DRIFT_CHECK_ID,
  cli_name: 'prd-drift',
  title: prdDriftCheck.title,
  rules: PRD_DRIFT_RULES,
  // Drift is a property of a tree: the framework runs it at the merge-base too, and only what the range introduced may block.
  compare_with_base: true,
  async run(ctx: CheckContext, rev): Promise<Finding[]> {
    const result = await computeDrift({ git: ctx.git, store: ctx.store, config: ctx.config, commit: rev.head_oid });
    return result === null ? [] : result.findings;
  },
};
