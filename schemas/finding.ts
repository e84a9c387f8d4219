// Finding: one result of an auditor check (kb_query, prd_drift), with evidence and a line-independent fingerprint (DESIGN section 15).
import { z } from 'zod';
import { Sha256Schema } from './provenance.ts';

export const FINDING_SCHEMA_VERSION = 1;

export const SeveritySchema = z.enum(['critical', 'high', 'medium', 'low', 'info']);
export type Severity = z.infer<typeof SeveritySchema>;

/** On a PR: did the PR introduce it, was it already on the merge-base, or can we not tell. Only `pr` may block. */
export const IntroducedBySchema = z.enum(['pr', 'base', 'unknown']);
export type IntroducedBy = z.infer<typeof IntroducedBySchema>;

/** Lines are 1-based and inclusive; both null when the finding is about a whole file (a missing path). */
export const FindingLocationSchema = z
  .strictObject({
    path: z.string().min(1),
    start_line: z.int().min(1).nullable(),
    end_line: z.int().min(1).nullable(),
  })
  .superRefine((location, ctx) => {
    const { start_line, end_line } = location;
    if ((start_line === null) !== (end_line === null)) {
      ctx.addIssue({ code: 'custom', path: ['end_line'], message: 'start_line and end_line are both set or both null' });
    } else if (start_line !== null && end_line !== null && end_line < start_line) {
      ctx.addIssue({ code: 'custom', path: ['end_line'], message: `end_line ${end_line} is before start_line ${start_line}` });
    }
  });
export type FindingLocation = z.infer<typeof FindingLocationSchema>;

/** One thing the check looked up (a path, a symbol, a test name, a past run) and whether it was found. */
export const FindingEvidenceSchema = z.strictObject({
  lookup: z.string().min(1),
  found: z.boolean(),
  detail: z.string(),
});
export type FindingEvidence = z.infer<typeof FindingEvidenceSchema>;

export const FindingSchema = z.strictObject({
  schema_version: z.literal(FINDING_SCHEMA_VERSION),
  /** The check's id (kb_query, prd_drift). */
  check: z.string().min(1),
  /** The rule's stable id inside the check. */
  rule_id: z.string().min(1),
  title: z.string().min(1),
  message: z.string().min(1),
  severity: SeveritySchema,
  location: FindingLocationSchema.nullable(),
  evidence: z.array(FindingEvidenceSchema),
  /** sha256 of check, rule and subject, never line numbers, so a baseline survives edits above the finding. */
  fingerprint: Sha256Schema,
  introduced_by: IntroducedBySchema,
});

export type Finding = z.infer<typeof FindingSchema>;
