// The declarative table format for the auditor/scrum loop's JSONL streams, and the helpers the tables are written with.
import type { EvidenceKind, ModelRole } from '../../../../schemas/evidence-record.ts';
import { canonicalJson, sha256Hex } from '../../../canonical.ts';
import { DistillError } from '../../../errors.ts';
import type { EvidenceDraft, MapRejection } from '../../adapter.ts';
import type { FieldType, FieldValue } from './parse-field.ts';

/** Draft fields a source field can land in one-to-one. Anything else is the stream's `finish` code. */
export type DraftTarget =
  | 'timestamp'
  | 'model_name'
  | 'input_text'
  | 'output_text'
  | 'observer_notes'
  | 'source_files'
  | 'retrieved_context'
  | 'cost_usd'
  | 'latency_ms'
  | 'link_oids'
  | 'signals.observer_verdict'
  | 'signals.observer_confidence'
  | 'signals.auditor_verdict'
  | 'signals.applier_action'
  | 'signals.accepted_on_attempt'
  | 'signals.run_ok';

export interface FieldSpec {
  readonly type: FieldType;
  /** Identifying fields only: why a line is useless without it, quoted in the `missing_field` rejection. */
  readonly required: string | null;
  readonly to: DraftTarget | null;
}

/** An identifying field: a line without it is quarantined with `why`. */
export function req(type: FieldType, why: string, to: DraftTarget | null = null): FieldSpec {
  return { type, required: why, to };
}

/** An optional field: absent or null is fine; present with the wrong type is not. */
export function opt(type: FieldType, to: DraftTarget | null = null): FieldSpec {
  return { type, required: null, to };
}

/** The checked, normalized fields of one line, as the table's rules and code read them. */
export interface Fields {
  readonly stream: string;
  /** The normalized value, or null when absent. */
  raw(name: string): FieldValue | null;
  str(name: string): string | null;
  num(name: string): number | null;
  bool(name: string): boolean | null;
  list(name: string): readonly unknown[] | null;
  /** A required string field (id, sha, timestamp, string, enum): the engine has checked it is there. */
  need(name: string): string;
}

export function buildFields(stream: string, values: ReadonlyMap<string, FieldValue>): Fields {
  return new LineFields(stream, values);
}

/** Fields over one line's checked values: methods on the prototype, so a line costs one object, not six closures. */
class LineFields implements Fields {
  readonly stream: string;
  readonly #values: ReadonlyMap<string, FieldValue>;

  constructor(stream: string, values: ReadonlyMap<string, FieldValue>) {
    this.stream = stream;
    this.#values = values;
  }

  raw(name: string): FieldValue | null {
    return this.#values.get(name) ?? null;
  }

  str(name: string): string | null {
    const v = this.#values.get(name);
    return typeof v === 'string' ? v : null;
  }

  num(name: string): number | null {
    const v = this.#values.get(name);
    return typeof v === 'number' ? v : null;
  }

  bool(name: string): boolean | null {
    const v = this.#values.get(name);
    return typeof v === 'boolean' ? v : null;
  }

  list(name: string): readonly unknown[] | null {
    const v = this.#values.get(name);
    return Array.isArray(v) ? (v as readonly unknown[]) : null;
  }

  need(name: string): string {
    const v = this.str(name);
    // Reaching this is a table bug (a rule reading a field it did not declare required), not bad input.
    if (v === null) throw new DistillError('E_INTERNAL', `lakehouse table for ${this.stream} reads \`${name}\` as required but it is not`);
    return v;
  }
}

/** How detection recognises a stream from its first line when the file name does not say. */
export interface Signature {
  /** Every one of these keys is present. */
  readonly all: readonly string[];
  /** At least one of these is present (empty: no such condition). */
  readonly any: readonly string[];
  /**
   * Tells apart streams whose lines share one shape (audit_facts / audit_lessons, the distilled_*
   * trio): a true cue adds a little confidence. Null: no cue.
   */
  readonly cue: ((first: Readonly<Record<string, unknown>>) => boolean) | null;
}

export type Rule = (f: Fields) => string;

/** One stream of the auditor/scrum loop, as a table the engine interprets. */
export interface StreamSpec {
  /** The stream's file stem (`scrum_reviews` for `scrum_reviews.jsonl`); the adapter id is `lakehouse:<stream>`. */
  readonly stream: string;
  readonly description: string;
  readonly kind: EvidenceKind;
  readonly model_role: ModelRole;
  /** The schema_version this git-distill reads; a line carrying another one is rejected. */
  readonly schema_version: number;
  /** Every field the adapter reads. Keys of a line not listed here go to `unmapped_fields`. */
  readonly fields: Readonly<Record<string, FieldSpec>>;
  readonly run_id: Rule;
  readonly task_id: Rule;
  readonly task_type: Rule;
  readonly signature: Signature;
  /**
   * Code for what a table cannot say (signals from several fields, markers, rendered text).
   * Mutates the draft; returns a rejection when the line is malformed in a way types cannot catch.
   */
  readonly finish: ((f: Fields, draft: EvidenceDraft) => MapRejection | null) | null;
}

// ---- rules the tables are written with ----

/** The record's own `run_id` when it has one, otherwise `derive`. */
export function ownRunIdOr(derive: Rule): Rule {
  return (f) => f.str('run_id') ?? derive(f);
}

/** A field's value, as declared required. */
export function field(name: string): Rule {
  return (f) => f.need(name);
}

/** An optional field's value, or `fallback` when absent. */
export function fieldOr(name: string, fallback: string | Rule): Rule {
  return (f) => f.str(name) ?? (typeof fallback === 'string' ? fallback : fallback(f));
}

export function constant(value: string): Rule {
  return () => value;
}

/**
 * The auditor's unit of work is one PR head: `pr-<pr_number>@<head_sha[0:12]>`, so an audit and
 * the facts, lessons and consensus splits extracted from it share one run. Twelve hex digits keep
 * ids readable and are unique within any one repository's history in practice.
 */
export function prHeadRunId(f: Fields): string {
  return `pr-${f.need('pr_number')}@${f.need('head_sha').slice(0, 12)}`;
}

/**
 * One scrum cycle on a file: `scrum:<file>@<UTC date of tsField>`. scrum_reviews and auto_apply
 * carry no shared cycle id, but the applier acts on a review within minutes of it, so the file and
 * the UTC day join them. Known limits: a cycle straddling UTC midnight splits in two, and two
 * cycles on one file in one day merge (both rare in the loop's daily cadence).
 */
export function scrumRunId(tsField: string): Rule {
  return (f) => `scrum:${f.need('file')}@${f.need(tsField).slice(0, 10)}`;
}

/**
 * When nothing joins: `<stream>:<first 16 hex of sha256(canonical JSON of the key fields)>`.
 * Stable across reruns and re-reads (it depends only on the normalized key values), and two lines
 * with the same key fields are the same run.
 */
export function hashRunId(keys: readonly string[]): Rule {
  return (f) => {
    const picked: Record<string, FieldValue | null> = {};
    for (const k of keys) picked[k] = f.raw(k);
    return `${f.stream}:${sha256Hex(canonicalJson(picked)).slice(0, 16)}`;
  };
}

/** A rejection raised by a stream's code, phrased like the engine's own. */
export function wrongType(f: Fields, name: string, expected: string, got: string): MapRejection {
  return { code: 'wrong_type', reason: `${f.stream} line has \`${name}\` of the wrong type: expected ${expected}, got ${got}` };
}

/** One line of at most `max` characters: markers and rendered summaries stay readable. */
export function clipLine(text: string, max = 160): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length <= max ? flat : `${flat.slice(0, max - 1)}…`;
}

/** The first string among `keys` of an object item (findings, gates, votes name things differently). */
export function pickString(item: Readonly<Record<string, unknown>>, keys: readonly string[]): string | null {
  for (const k of keys) {
    const v = item[k];
    if (typeof v === 'string' && v.trim() !== '') return v;
    if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  }
  return null;
}

/** `1 patch`, `2 patches`. */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}
