// The registry of every persisted record schema: JSON Schema generation, fixture tests and version checks walk it.
import type { z } from 'zod';
import { BaselineSchema } from './baseline.ts';
import { DistillConfigSchema } from './config.ts';
import { DriftReportSchema } from './drift-report.ts';
import { EvidenceRecordSchema } from './evidence-record.ts';
import { FindingSchema } from './finding.ts';
import { ModelLedgerEntrySchema } from './model-ledger-entry.ts';
import { PlaybookSchema } from './playbook.ts';
import { PlaybookApprovalSchema } from './approval.ts';
import { PreferenceSampleSchema } from './preference-sample.ts';
import { ProvenanceSchema } from './provenance.ts';
import { QuarantineEntrySchema } from './quarantine-entry.ts';
import { RagSampleSchema } from './rag-sample.ts';
import { ManifestSchema } from './manifest.ts';
import { ReceiptSchema } from './receipt.ts';
import { ScoredRunSchema } from './scored-run.ts';
import { KtoSampleSchema } from './kto-sample.ts';
import { RagEvalSampleSchema } from './rag-eval-sample.ts';
import { ScratchpadSummarySchema } from './scratchpad-summary.ts';
import { SftSampleSchema } from './sft-sample.ts';

export interface SchemaEntry {
  /** kebab-case, the schema's file name under schemas/ and schemas/json/ (`<name>.schema.json`). */
  readonly name: string;
  /** The type's name, used as the JSON Schema title. */
  readonly title: string;
  /** What the record is, plus the invariants JSON Schema cannot express (zod refinements). */
  readonly description: string;
  readonly schema: z.ZodType;
}

/** Every persisted record: each carries `schema_version` and is parsed through `parseRecord`. */
export const RECORD_SCHEMAS: readonly SchemaEntry[] = [
  {
    name: 'evidence-record',
    title: 'EvidenceRecord',
    description: 'One normalized, redacted record per agent-log line or event, with provenance.',
    schema: EvidenceRecordSchema,
  },
  {
    name: 'quarantine-entry',
    title: 'QuarantineEntry',
    description: 'A source line that could not become evidence: where it is and why, never the raw line.',
    schema: QuarantineEntrySchema,
  },
  {
    name: 'scored-run',
    title: 'ScoredRun',
    description: 'One run judged by the scoring rules into a category, with the signals the rules saw and a reason per fired rule.',
    schema: ScoredRunSchema,
  },
  {
    name: 'playbook',
    title: 'Playbook',
    description:
      'A procedure distilled from accepted runs of one task signature. Also enforced: source_run_ids are unique.',
    schema: PlaybookSchema,
  },
  {
    name: 'approval',
    title: 'PlaybookApproval',
    description:
      'One decision on a playbook (approve, retire, back to proposed), a line of meta/playbook-approvals.jsonl; the latest per playbook wins.',
    schema: PlaybookApprovalSchema,
  },
  {
    name: 'scratchpad-summary',
    title: 'ScratchpadSummary',
    description: "An agent scratchpad normalized into objective, steps, decisions and the next command.",
    schema: ScratchpadSummarySchema,
  },
  {
    name: 'model-ledger-entry',
    title: 'ModelLedgerEntry',
    description:
      'How one model fares on one task type. Also enforced: success_ci.low <= success_rate <= success_ci.high; ' +
      'latency_p50 <= latency_p95, both set or both null; no failure mode counted more often than sample_count.',
    schema: ModelLedgerEntrySchema,
  },
  {
    name: 'rag-sample',
    title: 'RagSample',
    description: 'One retrievable chunk of accepted or partially accepted knowledge, with task tags and provenance.',
    schema: RagSampleSchema,
  },
  {
    name: 'sft-sample',
    title: 'SftSample',
    description:
      'One SFT row: TRL prompt-completion conversational plus metadata. Only runs scored accepted. ' +
      'Also enforced: the prompt does not end with an assistant message.',
    schema: SftSampleSchema,
  },
  {
    name: 'preference-sample',
    title: 'PreferenceSample',
    description:
      'One preference pair: TRL conversational preference plus reason, origin and both runs. ' +
      'Also enforced: chosen_run_id differs from rejected_run_id; chosen differs from rejected.',
    schema: PreferenceSampleSchema,
  },
  {
    name: 'kto-sample',
    title: 'KtoSample',
    description:
      'One KTO row: TRL unpaired preference (prompt, completion, label) plus the run. ' +
      'Also enforced: label is true exactly when category is accepted; the prompt does not end with an assistant message.',
    schema: KtoSampleSchema,
  },
  {
    name: 'rag-eval-sample',
    title: 'RagEvalSample',
    description: 'One row of the RAG eval set in the Ragas single-turn shape (user_input, retrieved_contexts, response, reference), plus the run.',
    schema: RagEvalSampleSchema,
  },
  {
    name: 'receipt',
    title: 'Receipt',
    description: "What one stage read and wrote over one commit, hashed so anyone can verify it.",
    schema: ReceiptSchema,
  },
  {
    name: 'manifest',
    title: 'Manifest',
    description: 'What was distilled for one source commit: counts, links, formats and the sha256 of every other file of its folder.',
    schema: ManifestSchema,
  },
  {
    name: 'finding',
    title: 'Finding',
    description:
      'One result of an auditor check. Also enforced: location lines are both set or both null, end_line >= start_line.',
    schema: FindingSchema,
  },
  {
    name: 'drift-report',
    title: 'DriftReport',
    description:
      'Per commit: the requirement docs parsed, their claims and the drift findings. Also enforced: claim_count is ' +
      'the sum over docs and of summary.by_status; verified + phantom + unverifiable <= done; doc paths and finding ' +
      'fingerprints are unique; introduced_by is unknown when base_oid is null.',
    schema: DriftReportSchema,
  },
  {
    name: 'baseline',
    title: 'Baseline',
    description: 'Finding fingerprints a team has accepted (off in the policy). Also enforced: each fingerprint once.',
    schema: BaselineSchema,
  },
  {
    name: 'config',
    title: 'DistillConfig',
    description: 'The committed configuration file .distill/config.json.',
    schema: DistillConfigSchema,
  },
];

/** Shared parts of records, with no schema_version of their own; generated as JSON Schema for reuse. */
export const SCHEMA_FRAGMENTS: readonly SchemaEntry[] = [
  {
    name: 'provenance',
    title: 'Provenance',
    description: "Where a record came from: source file, line, byte offset, the raw record's sig_hash, and when.",
    schema: ProvenanceSchema,
  },
];

export function findRecordSchema(name: string): SchemaEntry | undefined {
  return RECORD_SCHEMAS.find((entry) => entry.name === name);
}
