// The committed configuration file `.distill/config.json`: sources, limits, redaction, scoring overrides, hooks.
import { z } from 'zod';

export const CONFIG_SCHEMA_VERSION = 1;

export const SourceConfigSchema = z.strictObject({
  /** A file, directory or glob, relative to the repository root (or absolute, when the user names one). */
  path: z.string().min(1),
  /** An adapter id, or 'auto' to detect per file. */
  format: z.string().min(1).default('auto'),
  enabled: z.boolean().default(true),
});
export type SourceConfig = z.infer<typeof SourceConfigSchema>;

export const IngestConfigSchema = z.strictObject({
  /** Lines longer than this are quarantined (line_too_long), never held in memory whole. */
  max_line_bytes: z.int().min(1024).default(8 * 1024 * 1024),
  /** JSON nesting deeper than this is quarantined (too_deep). */
  max_depth: z.int().min(8).max(10_000).default(256),
  /** input_text / output_text are capped to this many characters (the hashes cover the full text). */
  max_text_chars: z.int().min(0).default(16_000),
  /** Whole-JSON formats (.json, .traj) larger than this are skipped with a warning. */
  max_json_bytes: z.int().min(1024).default(256 * 1024 * 1024),
});
export type IngestConfig = z.infer<typeof IngestConfigSchema>;

export const RedactConfigSchema = z.strictObject({
  /** Rule ids to switch off (for a known false positive); the entropy rule is `high-entropy`. */
  disabled_rules: z.array(z.string()).default([]),
});

export const LinkConfigSchema = z.strictObject({
  /** Evidence links by files or session when its time is within this many seconds of the commit's window. */
  slack_seconds: z.int().min(0).default(900),
});

export const ExportConfigSchema = z.strictObject({
  /** Seeds the split hash and the MinHash permutations: the same seed gives the same splits and survivors. */
  seed: z.string().min(1).default('git-distill'),
  /** Share of task groups per split; a task group lands in one split only, chosen by sha256(seed, task_id). */
  splits: z
    .strictObject({ train: z.number().min(0).max(1), validation: z.number().min(0).max(1), test: z.number().min(0).max(1) })
    .refine((s) => Math.abs(s.train + s.validation + s.test - 1) < 1e-9, 'train + validation + test must be 1')
    .default({ train: 0.8, validation: 0.1, test: 0.1 }),
  /** Near-duplicate removal: MinHash over word shingles, LSH bands; a pair at or above threshold is a duplicate. */
  near_dup: z
    .strictObject({
      enabled: z.boolean().default(true),
      num_perm: z.int().min(16).max(1024).default(128),
      bands: z.int().min(1).default(32),
      shingle_words: z.int().min(1).max(16).default(5),
      threshold: z.number().min(0).max(1).default(0.9),
    })
    .refine((n) => n.num_perm % n.bands === 0, 'num_perm must be a multiple of bands')
    .default({ enabled: true, num_perm: 128, bands: 32, shingle_words: 5, threshold: 0.9 }),
  /** RAG chunks are cut at paragraph, then line, then word boundaries to at most this many characters. */
  rag_chunk_chars: z.int().min(200).default(2000),
});
export type ExportConfig = z.infer<typeof ExportConfigSchema>;

export const DistillConfigSchema = z.strictObject({
  schema_version: z.literal(CONFIG_SCHEMA_VERSION),
  /** The distill branch's full ref name. */
  ref: z.string().regex(/^refs\//, 'ref must be a full ref name such as refs/heads/distill').default('refs/heads/distill'),
  sources: z.array(SourceConfigSchema).default([]),
  ingest: IngestConfigSchema.default(IngestConfigSchema.parse({})),
  redact: RedactConfigSchema.default(RedactConfigSchema.parse({})),
  link: LinkConfigSchema.default(LinkConfigSchema.parse({})),
  /** Overrides of the scoring rules (thresholds, rules replaced, disabled or added by id); validated by the scorer. */
  scoring: z.record(z.string(), z.unknown()).default({}),
  export: ExportConfigSchema.default(ExportConfigSchema.parse({})),
});
export type DistillConfig = z.infer<typeof DistillConfigSchema>;

/** The configuration used when there is no `.distill/config.json`. */
export function defaultConfig(): DistillConfig {
  return DistillConfigSchema.parse({ schema_version: CONFIG_SCHEMA_VERSION });
}
