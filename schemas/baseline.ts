// Baseline: finding fingerprints a team has accepted, so `git distill check` stops reporting them (DESIGN 15).
import { z } from 'zod';
import { Sha256Schema } from './provenance.ts';

export const BASELINE_SCHEMA_VERSION = 1;

export const BaselineEntrySchema = z.strictObject({
  fingerprint: Sha256Schema,
  /** The check and rule the fingerprint came from, so a reader of the file knows what was accepted. */
  check: z.string().min(1),
  rule_id: z.string().min(1),
  /** Why it was accepted. */
  note: z.string().default(''),
});

export const BaselineSchema = z
  .strictObject({
    schema_version: z.literal(BASELINE_SCHEMA_VERSION),
    fingerprints: z.array(BaselineEntrySchema),
  })
  .superRefine((baseline, ctx) => {
    const seen = new Set<string>();
    baseline.fingerprints.forEach((entry, i) => {
      if (seen.has(entry.fingerprint)) {
        ctx.addIssue({ code: 'custom', path: ['fingerprints', i, 'fingerprint'], message: `fingerprint ${entry.fingerprint} listed twice` });
      }
      seen.add(entry.fingerprint);
    });
  });

export type Baseline = z.infer<typeof BaselineSchema>;
