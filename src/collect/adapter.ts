// The adapter contract: one raw log format → EvidenceDrafts, one per line (JSONL) or item (JSON document, Markdown transcript).
import type { LineSplitter } from './group-text.ts';
import type {
  CommandRun,
  EvidenceKind,
  HumanOverride,
  ModelRole,
  Signals,
  ToolCall,
  ValidationResult,
} from '../../schemas/evidence-record.ts';

/** Where a value sits in its source: collect builds provenance from this. */
export interface SourceLocation {
  source_file: string;
  /** 1-based line (JSONL; a Markdown item's first line) or item index + 1 (JSON container). */
  line: number;
  /** Byte offset of the line (of a Markdown item's first line); 0 for a JSON container's items. */
  byte_offset: number;
  /** JSON pointer of the item inside a JSON document; null for JSONL. */
  pointer: string | null;
}

/**
 * What an adapter produces for one line. Collect adds the rest (evidence_id, hashes, provenance,
 * schema_version, links), redacts, caps text, and validates against EvidenceRecordSchema.
 * input_text/output_text are given in full; collect hashes the full redacted text and caps what it stores.
 */
export interface EvidenceDraft {
  kind: EvidenceKind;
  run_id: string;
  task_id: string;
  task_type: string;
  timestamp: string | null;
  model_name: string | null;
  model_provider: string | null;
  model_role: ModelRole;
  input_text: string | null;
  output_text: string | null;
  source_files: string[];
  commands_run: CommandRun[];
  tool_calls: ToolCall[];
  retrieved_context: string[];
  observer_notes: string;
  scratchpad_summary: string | null;
  success_markers: string[];
  failure_markers: string[];
  validation_results: ValidationResult[];
  human_override: HumanOverride | null;
  signals: Signals;
  cost_usd: number | null;
  latency_ms: number | null;
  tokens: { input: number; output: number; cached: number } | null;
  link_hints: { oids: string[]; cwd: string | null; branch: string | null };
  unmapped_fields: string[];
}

/** A line the adapter cannot map: the reason names the field. */
export interface MapRejection {
  code: 'missing_field' | 'wrong_type' | 'not_an_object' | 'schema_version';
  reason: string;
}

export type MapResult = { ok: true; draft: EvidenceDraft } | { ok: false; rejection: MapRejection };

/**
 * What detection sees: the file's path and its first value — the first JSONL object, the whole JSON document,
 * or for Markdown the first non-blank lines as one string.
 */
export interface DetectProbe {
  path: string;
  first: unknown;
}

export interface Adapter<S = unknown> {
  /** Stable id, used as source_format and with --format: 'lakehouse:mode_experiments', 'claude-code', 'codex'. */
  readonly id: string;
  readonly description: string;
  /**
   * jsonl: one value per line. json: one document, split into items by `split`. markdown: a text transcript whose
   * lines `splitLines` groups into items; each item's text (its lines joined with '\n') is the value `map` gets.
   */
  readonly container: 'jsonl' | 'json' | 'markdown';
  /**
   * True when mapping a line depends on earlier lines of the file (a session header, pending tool calls).
   * A read that resumes mid-file then replays the earlier lines through `map` to rebuild the state.
   */
  readonly stateful?: true;
  /**
   * How sure the adapter is that this is its format, on one scale for every adapter: 0 = not mine,
   * 95 = named or shaped exactly like it, 50–70 = the right keys without its name. Highest wins. Pure.
   */
  detect(probe: DetectProbe): number;
  /** Per-file state (a session header seen earlier in the file, a pending tool call, ...). */
  init(source_file: string): S;
  /** JSON containers only: the items of the document, each with its JSON pointer. */
  split?(doc: unknown): { ok: true; items: Array<{ pointer: string; value: unknown }> } | { ok: false; reason: string };
  /** Markdown containers only: a fresh splitter for one read of a file (it may keep state across lines). */
  splitLines?(): LineSplitter;
  /** Map one value. Pure apart from `state`, which it may update. */
  map(value: unknown, at: SourceLocation, state: S): MapResult;
}

/** A signals object with nothing known. */
export function emptySignals(): Signals {
  return {
    observer_verdict: null,
    observer_confidence: null,
    auditor_verdict: null,
    applier_action: null,
    accepted_on_attempt: null,
    exit_status: null,
    run_ok: null,
    grounding: null,
    fatal_tool_error: null,
  };
}

/** A draft with every list empty and every optional field null; adapters spread their fields over it. */
export function emptyDraft(
  base: Pick<EvidenceDraft, 'kind' | 'run_id' | 'task_id' | 'task_type' | 'model_role'>,
): EvidenceDraft {
  // Named one by one: spreading `base` cost a fifth of lakehouse mapping.
  return {
    kind: base.kind,
    run_id: base.run_id,
    task_id: base.task_id,
    task_type: base.task_type,
    model_role: base.model_role,
    timestamp: null,
    model_name: null,
    model_provider: null,
    input_text: null,
    output_text: null,
    source_files: [],
    commands_run: [],
    tool_calls: [],
    retrieved_context: [],
    observer_notes: '',
    scratchpad_summary: null,
    success_markers: [],
    failure_markers: [],
    validation_results: [],
    human_override: null,
    signals: emptySignals(),
    cost_usd: null,
    latency_ms: null,
    tokens: null,
    link_hints: { oids: [], cwd: null, branch: null },
    unmapped_fields: [],
  };
}
