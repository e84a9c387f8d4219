// PlaybookApproval (schemas/approval.ts): one person's decision on a playbook, a line of `meta/playbook-approvals.jsonl` on the distill branch.
import { z } from 'zod';
import { IsoTimeSchema } from './provenance.ts';
import { PlaybookIdSchema } from './playbook.ts';

export const PLAYBOOK_APPROVAL_SCHEMA_VERSION = 1;

export const PlaybookApprovalSchema = z.strictObject({
  schema_version: z.literal(PLAYBOOK_APPROVAL_SCHEMA_VERSION),
  playbook_id: PlaybookIdSchema,
  /** The status the person set; the latest decision per playbook (by `at`, then line order) wins. */
  status: z.enum(['approved', 'retired', 'proposed']),
  /** Who decided: `Name <email>` from git config. */
  by: z.string().min(1),
  at: IsoTimeSchema,
});

export type PlaybookApproval = z.infer<typeof PlaybookApprovalSchema>;
