// The committed configuration file `.distill/config.json`: sources, limits, redaction, scoring overrides, hooks.
import { z } from 'zod';
import { SeveritySchema } from './finding.ts';

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

export const DispositionSchema = z.enum(['block', 'warn', 'info', 'off']);

export const ChecksPolicyConfigSchema = z.strictObject({
  /** Severity → disposition; unnamed severities keep the defaults (critical, high → block; medium → warn; low, info → info). */
  severity: z.partialRecord(SeveritySchema, DispositionSchema).default({}),
  /** `<check>/<rule_id>` → disposition, over the severity's. */
  rules: z.record(z.string().regex(/^[a-z0-9_]+\/[A-Za-z0-9_.-]+$/, 'a rule key is <check>/<rule_id>, e.g. prd_drift/dangling_reference'), DispositionSchema).default({}),
});

export const ChecksConfigSchema = z.strictObject({
  policy: ChecksPolicyConfigSchema.default(ChecksPolicyConfigSchema.parse({})),
  /** Repository-relative path of the baseline of accepted finding fingerprints (schemas/baseline.ts); read at the base commit on a PR. */
  baseline: z.string().min(1).default('.distill/baseline.json'),
  /** The lowest disposition that makes `git distill check` (and the action) exit 1. */
  fail_level: z.enum(['block', 'warn', 'never']).default('block'),
});
export type ChecksConfig = z.infer<typeof ChecksConfigSchema>;
export const PlaybooksConfigSchema = z.strictObject({
  /** Accepted or partially accepted runs of one task signature needed before it becomes a playbook. */
  min_runs: z.int().min(1).default(2),
  /** Entries kept per list field of a playbook (commands, files, context, ...), most frequent first. */
  max_items: z.int().min(1).max(200).default(10),
});

export const LedgerConfigSchema = z.strictObject({
  /** Below this many runs, `git distill ledger` marks a row as too small a sample to trust. */
  min_samples: z.int().min(1).default(5),
  /** Failure modes kept per ledger entry, most common first. */
  failure_modes: z.int().min(1).max(50).default(5),
});

export const ScratchpadLlmConfigSchema = z.strictObject({
  /** Base URL of an OpenAI-compatible server; `/v1/chat/completions` is appended. */
  url: z.string().regex(/^https?:\/\//, 'url must start with http:// or https://'),
  model: z.string().min(1),
  /** A slower answer is dropped and the deterministic summary stands. */
  timeout_ms: z.int().min(1).max(600_000).default(10_000),
  /** Name of the environment variable holding the API key (never the key itself). */
  api_key_env: z.string().regex(/^[A-Z_][A-Z0-9_]*$/).nullable().default(null),
});

export const ScratchpadConfigSchema = z.strictObject({
  /** Optional refinement of deterministic summaries; null keeps git-distill fully offline. */
  llm: ScratchpadLlmConfigSchema.nullable().default(null),
});

export const SearchEmbedderConfigSchema = z.strictObject({
  /** `hashed` (offline, deterministic, the default), `ollama` (POST <url>/api/embed) or `openai` (POST <url>/v1/embeddings). */
  provider: z.enum(['hashed', 'ollama', 'openai']).default('hashed'),
  /** The endpoint's base URL (no path), e.g. http://127.0.0.1:11434; required for the HTTP providers. */
  url: z.string().url().nullable().default(null),
  /** The embedding model the endpoint serves; required for the HTTP providers. */
  model: z.string().min(1).nullable().default(null),
  /** Dimensions of the hashed embedder's vectors. */
  dim: z.int().min(16).max(4096).default(256),
  /** Texts per HTTP request. */
  batch_size: z.int().min(1).max(2048).default(64),
  /** Per HTTP request. */
  timeout_ms: z.int().min(100).max(600_000).default(30_000),
  /** Name of the environment variable holding the bearer token for `openai` (never the token itself). */
  api_key_env: z.string().regex(/^[A-Z_][A-Z0-9_]*$/).nullable().default(null),
});
export type SearchEmbedderConfig = z.infer<typeof SearchEmbedderConfigSchema>;

export const SearchConfigSchema = z.strictObject({
  embedder: SearchEmbedderConfigSchema.default(SearchEmbedderConfigSchema.parse({})),
  /** Weights of the two ranked lists in reciprocal rank fusion; the hashed embedder adds robustness, not meaning, so it weighs less. */
  weights: z
    .strictObject({ keyword: z.number().min(0).default(1), vector: z.number().min(0).nullable().default(null) })
    .default({ keyword: 1, vector: null }),
  /** Candidates taken from each list before fusion (DESIGN 12: 50 to 100). */
  candidates: z.int().min(10).max(1000).default(100),
  /** At or below this many candidate vectors, score exactly instead of asking HNSW. */
  exact_max: z.int().min(0).default(2_000),
  /**
   * Documents an unfiltered keyword ranking scores in full, at most (never fewer than `candidates`): more finds a
   * document that sits in few of the query's word lists at a large history, for more time per query.
   */
  max_scored: z.int().min(10).max(100_000).default(256),
});
export type SearchConfig = z.infer<typeof SearchConfigSchema>;
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

export const DriftConfigSchema = z.strictObject({
  /** Compute the drift report (drift.json) for every distilled commit whose tree holds one of the docs. */
  enabled: z.boolean().default(true),
  /** Requirement docs: repository paths or globs, read from the commit's tree (never the working tree). */
  docs: z.array(z.string().min(1)).default(['docs/PRD.md', 'docs/PHASES.md', 'PRD.md', 'ROADMAP.md']),
  /** Which files are tests (globs over repository paths): a done claim needs test evidence from one of them. */
  test_globs: z
    .array(z.string().min(1))
    .default(['**/*.test.*', '**/*.spec.*', '**/*_test.*', '**/test_*.*', '**/*Test.*', '**/*Tests.*', '**/*Spec.*', '**/test/**', '**/tests/**', '**/__tests__/**', '**/spec/**']),
  /** Tags in code and tests that trace to a requirement id: `@req FR-012`. */
  trace_tags: z.array(z.string().regex(/^[@A-Za-z][\w@-]*$/, 'a trace tag is a word such as @req')).default(['@req', '@requirement', '@implements']),
  /** Extra requirement id shapes (regular expression sources) besides FR-012, R45-KR1 and Phase 3. */
  id_patterns: z
    .array(
      z.string().min(1).refine((source) => {
        try {
          new RegExp(source);
          return true;
        } catch {
          return false;
        }
      }, 'not a valid regular expression'),
    )
    .default([]),
  /** How many ancestors of a commit are searched for the auditor loop's earlier drift signals. */
  signal_depth: z.int().min(0).max(10_000).default(200),
});
export type DriftConfig = z.infer<typeof DriftConfigSchema>;

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
  checks: ChecksConfigSchema.default(ChecksConfigSchema.parse({})),
  playbooks: PlaybooksConfigSchema.default(PlaybooksConfigSchema.parse({})),
  ledger: LedgerConfigSchema.default(LedgerConfigSchema.parse({})),
  scratchpad: ScratchpadConfigSchema.default(ScratchpadConfigSchema.parse({})),
  search: SearchConfigSchema.default(SearchConfigSchema.parse({})),
  export: ExportConfigSchema.default(ExportConfigSchema.parse({})),
  drift: DriftConfigSchema.default(DriftConfigSchema.parse({})),
});
export type DistillConfig = z.infer<typeof DistillConfigSchema>;

/** The configuration used when there is no `.distill/config.json`. */
export function defaultConfig(): DistillConfig {
  return DistillConfigSchema.parse({ schema_version: CONFIG_SCHEMA_VERSION });
}
