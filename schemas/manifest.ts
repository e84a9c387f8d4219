// Manifest: what was distilled for one source commit (commits/<xx>/<oid>/manifest.json on the distill branch).
import { z } from 'zod';
import { IsoTimeSchema, OidSchema, Sha256Schema } from './provenance.ts';

export const MANIFEST_SCHEMA_VERSION = 1;

export const ManifestSchema = z.strictObject({
  schema_version: z.literal(MANIFEST_SCHEMA_VERSION),
  source_oid: OidSchema,
  /** The source commit's subject line. */
  subject: z.string(),
  /** The source commit's committer date: the time every record of this folder was recorded at. */
  committed_at: IsoTimeSchema,
  tool_version: z.string().min(1),
  config_sha256: Sha256Schema,
  rules_sha256: Sha256Schema,
  counts: z.strictObject({
    /** Lines read from sources while distilling this commit (evidence + quarantined + blank of those reads). */
    lines: z.int().min(0),
    evidence: z.int().min(0),
    quarantined: z.int().min(0),
    blank: z.int().min(0),
    runs: z.int().min(0),
    runs_by_category: z.strictObject({
      accepted: z.int().min(0),
      partially_accepted: z.int().min(0),
      rejected: z.int().min(0),
      needs_human_review: z.int().min(0),
    }),
    redacted: z.int().min(0),
  }),
  redactions_by_rule: z.record(z.string(), z.int().min(0)),
  /** How the evidence got here: number of runs linked by each rule. */
  links_by: z.record(z.string(), z.int().min(0)),
  /** Adapter id → files read with it while distilling this commit. */
  formats: z.record(z.string(), z.int().min(0)),
  /** Every file of the folder except manifest.json itself, with its sha256 (what `verify` recomputes). */
  files: z.array(z.strictObject({ path: z.string().min(1), sha256: Sha256Schema })),
  /** The receipt stages in chain order. */
  stages: z.array(z.string().min(1)),
});

export type Manifest = z.infer<typeof ManifestSchema>;
