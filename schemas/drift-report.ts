// DriftReport: per commit, which requirement docs were parsed, how many claims they make, and the drift findings (DESIGN sections 14 and 15).
import { z } from 'zod';
import { FindingSchema } from './finding.ts';
import { OidSchema } from './provenance.ts';

export const DRIFT_REPORT_SCHEMA_VERSION = 1;

export const DriftDocSchema = z.strictObject({
  /** Repository-relative path of the requirement doc. */
  path: z.string().min(1),
  /** The doc's blob at the commit, so a report names exactly the text it judged. */
  blob_oid: OidSchema,
  claim_count: z.int().min(0),
});
export type DriftDoc = z.infer<typeof DriftDocSchema>;

const count = z.int().min(0);

/** What the claims say and how many of them hold, the way a phase sweep reports it. */
export const DriftSummarySchema = z.strictObject({
  /** Claims by the status the docs give them. */
  by_status: z.strictObject({ done: count, in_progress: count, planned: count, blocked: count, deferred: count, unknown: count }),
  /** Done claims whose named paths, symbols or trace tags were all found, with no finding against them. */
  verified: count,
  /** Done claims naming something that does not exist, or with no implementation at all. */
  phantom: count,
  /** Done claims that name nothing this check can look up (no path, symbol, test or traced id). */
  unverifiable: count,
  /** Claims under a `verified` stamp whose evidence files changed since that commit. */
  stale: count,
  /** Findings by rule id, every rule present. */
  by_rule: z.record(z.string(), count),
});
export type DriftSummary = z.infer<typeof DriftSummarySchema>;

export const DriftReportSchema = z
  .strictObject({
    schema_version: z.literal(DRIFT_REPORT_SCHEMA_VERSION),
    /** The commit whose tree the claims were resolved against. */
    commit_oid: OidSchema,
    /** The merge-base a PR was compared with; null outside a PR. */
    base_oid: OidSchema.nullable(),
    docs: z.array(DriftDocSchema),
    /** Claims over all docs. */
    claim_count: z.int().min(0),
    summary: DriftSummarySchema,
    findings: z.array(FindingSchema),
  })
  .superRefine((report, ctx) => {
    const total = report.docs.reduce((sum, doc) => sum + doc.claim_count, 0);
    if (total !== report.claim_count) {
      ctx.addIssue({
        code: 'custom',
        path: ['claim_count'],
        message: `claim_count ${report.claim_count} differs from the sum over docs (${total})`,
      });
    }
    const byStatus = Object.values(report.summary.by_status).reduce((a, n) => a + n, 0);
    if (byStatus !== report.claim_count) {
      ctx.addIssue({ code: 'custom', path: ['summary', 'by_status'], message: `claims by status add up to ${byStatus}, not claim_count ${report.claim_count}` });
    }
    const judged = report.summary.verified + report.summary.phantom + report.summary.unverifiable;
    if (judged > report.summary.by_status.done) {
      ctx.addIssue({ code: 'custom', path: ['summary'], message: `verified + phantom + unverifiable is ${judged}, more than the ${report.summary.by_status.done} done claims` });
    }
    const paths = new Set<string>();
    report.docs.forEach((doc, i) => {
      if (paths.has(doc.path)) ctx.addIssue({ code: 'custom', path: ['docs', i, 'path'], message: `doc "${doc.path}" listed twice` });
      paths.add(doc.path);
    });
    // A fingerprint names one finding; two with the same one would be counted twice against the baseline.
    const fingerprints = new Set<string>();
    report.findings.forEach((finding, i) => {
      if (fingerprints.has(finding.fingerprint)) {
        ctx.addIssue({ code: 'custom', path: ['findings', i, 'fingerprint'], message: `duplicate fingerprint ${finding.fingerprint}` });
      }
      fingerprints.add(finding.fingerprint);
    });
    if (report.base_oid === null) {
      report.findings.forEach((finding, i) => {
        if (finding.introduced_by !== 'unknown') {
          ctx.addIssue({
            code: 'custom',
            path: ['findings', i, 'introduced_by'],
            message: `introduced_by "${finding.introduced_by}" needs a base_oid to compare with`,
          });
        }
      });
    }
  });

export type DriftReport = z.infer<typeof DriftReportSchema>;
