// Receipt: what one stage read and wrote over one commit (or one ingest), hashed so anyone can verify it.
import { z } from 'zod';
import { IsoTimeSchema, OidSchema, Sha256Schema } from './provenance.ts';

export const RECEIPT_SCHEMA_VERSION = 1;

export const ReceiptInputFileSchema = z.strictObject({
  path: z.string().min(1),
  sha256: Sha256Schema,
  bytes: z.int().min(0),
  lines: z.int().min(0),
});

export const ReceiptOutputFileSchema = z.strictObject({
  path: z.string().min(1),
  sha256: Sha256Schema,
});

export const ReceiptSchema = z.strictObject({
  schema_version: z.literal(RECEIPT_SCHEMA_VERSION),
  /** collect, score, ... */
  stage: z.string().min(1),
  /** The command line that ran the stage, e.g. "git-distill ingest data/_kb". */
  command: z.string().min(1),
  /** The source commit; null only for `git distill ingest` run outside a git repository. */
  git_sha: OidSchema.nullable(),
  tool_version: z.string().min(1),
  config_sha256: Sha256Schema,
  input_files: z.array(ReceiptInputFileSchema),
  output_files: z.array(ReceiptOutputFileSchema),
  /** in, out, quarantined, redacted, blank, and per-stage extras (e.g. redacted:<rule>). */
  record_counts: z.record(z.string(), z.int().min(0)),
  /** True only when every output record passed its schema validator. */
  validation_pass: z.boolean(),
  errors: z.array(z.string()),
  warnings: z.array(z.string()),
  duration_ms: z.number().min(0),
  started_at: IsoTimeSchema,
  ended_at: IsoTimeSchema,
  /** sha256 of the previous receipt in the chain (canonical JSON); null for the first. */
  prev_receipt_sha256: Sha256Schema.nullable(),
});

export type Receipt = z.infer<typeof ReceiptSchema>;
