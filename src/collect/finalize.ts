// Pure: an adapter's draft → a redacted, capped, hashed, validated EvidenceRecord (or the reason it is not one).
import { canonicalJson, sha256Hex } from '../canonical.ts';
import { EVIDENCE_SCHEMA_VERSION, EvidenceRecordSchema, type EvidenceRecord } from '../../schemas/evidence-record.ts';
import type { EvidenceDraft, SourceLocation } from './adapter.ts';

/** Redacts one string and adds what it found to `counts` (rule id → occurrences). */
export type TextRedactor = (text: string, counts: Map<string, number>) => string;

export interface FinalizeOptions {
  source_format: string;
  sig_hash: string;
  recorded_at: string;
  max_text_chars: number;
  redact: TextRedactor;
}

export type FinalizeResult =
  | { ok: true; record: EvidenceRecord; redactions: Map<string, number> }
  | { ok: false; reason: string; redactions: Map<string, number> };

const TRUNCATION_MARK = '\n[truncated by git-distill: the hash covers the full text]';

const EMPTY_SHA256 = sha256Hex('');

/** sha256 of a text, '' for none; most records have no input or no output, and that hash is a constant. */
function textHash(text: string | null): string {
  return text === null || text === '' ? EMPTY_SHA256 : sha256Hex(text);
}

/** The distinct strings in code-unit order; lists of none or one (most of them) without a Set. */
function distinctSorted(list: readonly string[]): string[] {
  if (list.length === 0) return [];
  if (list.length === 1) return [list[0]!];
  return [...new Set(list)].sort();
}

function cap(text: string | null, max: number): string | null {
  if (text === null || text.length <= max) return text;
  return text.slice(0, max) + TRUNCATION_MARK;
}

/** A predicate compiled from a zod schema: true only for values the schema would accept unchanged. */
type Check = (value: unknown) => boolean;

/** The zod internals compileCheck reads (zod 4's `_zod.def`). */
interface ZodDefLike {
  type: string;
  checks?: ReadonlyArray<{ _zod: { def: ZodCheckDef } }>;
  shape?: Readonly<Record<string, { _zod: { def: ZodDefLike } }>>;
  catchall?: { _zod: { def: ZodDefLike } };
  innerType?: { _zod: { def: ZodDefLike } };
  element?: { _zod: { def: ZodDefLike } };
  entries?: Readonly<Record<string, unknown>>;
  values?: readonly unknown[];
  format?: string;
  pattern?: RegExp;
}
interface ZodCheckDef {
  check: string;
  minimum?: number;
  value?: unknown;
  inclusive?: boolean;
  pattern?: RegExp;
}

class Unsupported extends Error {}

function patternCheck(pattern: RegExp | undefined): (s: string) => boolean {
  if (pattern === undefined) throw new Unsupported('string format without a pattern');
  const re = new RegExp(pattern.source, pattern.flags.replace('g', '').replace('y', ''));
  return (s) => re.test(s);
}

/**
 * Compile a zod schema into a plain predicate, for the subset EvidenceRecordSchema uses: strict objects,
 * arrays, nullable, enums, literals, booleans, strings (min length, regex and datetime patterns) and
 * numbers (safeint, inclusive or exclusive bounds). Anything else throws Unsupported, and the caller then
 * validates every record with zod. Each predicate is at least as strict as zod on its node — numbers must
 * be finite, unknown keys fail, a missing key fails because no node here accepts undefined — so `true`
 * means zod accepts the value as it is (zod 4 strict objects neither strip nor default). Why not zod
 * itself: its safeParse builds an issues context and deep-copies every record, about 15% of ingest CPU
 * on texts of a few KB; this walk reads each field once and copies nothing.
 */
function compileCheck(def: ZodDefLike): Check {
  switch (def.type) {
    case 'string': {
      const tests: Array<(s: string) => boolean> = [];
      for (const c of def.checks ?? []) {
        const cd = c._zod.def;
        if (cd.check === 'min_length' && typeof cd.minimum === 'number') {
          const min = cd.minimum;
          tests.push((s) => s.length >= min);
        } else if (cd.check === 'string_format') tests.push(patternCheck(cd.pattern));
        else throw new Unsupported(`string check ${cd.check}`);
      }
      // z.iso.datetime() and friends are string schemas carrying their own pattern.
      if (def.format !== undefined) tests.push(patternCheck(def.pattern));
      return (v) => {
        if (typeof v !== 'string') return false;
        for (const t of tests) if (!t(v)) return false;
        return true;
      };
    }
    case 'number': {
      const tests: Array<(n: number) => boolean> = [];
      if (def.format === 'safeint') tests.push(Number.isSafeInteger);
      else if (def.format !== undefined) throw new Unsupported(`number format ${def.format}`);
      for (const c of def.checks ?? []) {
        const cd = c._zod.def;
        const bound = cd.value;
        if (typeof bound !== 'number') throw new Unsupported(`number check ${cd.check}`);
        if (cd.check === 'greater_than') tests.push(cd.inclusive === true ? (n) => n >= bound : (n) => n > bound);
        else if (cd.check === 'less_than') tests.push(cd.inclusive === true ? (n) => n <= bound : (n) => n < bound);
        else throw new Unsupported(`number check ${cd.check}`);
      }
      return (v) => {
        if (typeof v !== 'number' || !Number.isFinite(v)) return false;
        for (const t of tests) if (!t(v)) return false;
        return true;
      };
    }
    case 'boolean':
      if ((def.checks ?? []).length > 0) throw new Unsupported('boolean checks');
      return (v) => typeof v === 'boolean';
    case 'literal': {
      const values = def.values ?? [];
      return (v) => values.includes(v);
    }
    case 'enum': {
      const members = new Set(Object.values(def.entries ?? {}));
      return (v) => typeof v === 'string' && members.has(v);
    }
    case 'nullable': {
      if (def.innerType === undefined) throw new Unsupported('nullable without inner type');
      const inner = compileCheck(def.innerType._zod.def);
      return (v) => v === null || inner(v);
    }
    case 'array': {
      if (def.element === undefined) throw new Unsupported('array without element');
      let min = 0;
      for (const c of def.checks ?? []) {
        const cd = c._zod.def;
        if (cd.check === 'min_length' && typeof cd.minimum === 'number') min = Math.max(min, cd.minimum);
        else throw new Unsupported(`array check ${cd.check}`);
      }
      const element = compileCheck(def.element._zod.def);
      return (v) => {
        if (!Array.isArray(v) || v.length < min) return false;
        for (let i = 0; i < v.length; i++) if (!element(v[i])) return false;
        return true;
      };
    }
    case 'object': {
      // Only strict objects: a plain z.object strips unknown keys, so its output would differ from its input.
      if (def.shape === undefined || def.catchall?._zod.def.type !== 'never' || (def.checks ?? []).length > 0) {
        throw new Unsupported('non-strict object');
      }
      const fields = Object.entries(def.shape).map(([k, s]) => [k, compileCheck(s._zod.def)] as const);
      const known = new Set(fields.map(([k]) => k));
      return (v) => {
        if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
        const o = v as Record<string, unknown>;
        for (const [k, check] of fields) if (!check(o[k])) return false;
        const keys = Object.keys(o);
        if (keys.length !== fields.length) return false;
        for (const k of keys) if (!known.has(k)) return false;
        return true;
      };
    }
    default:
      throw new Unsupported(`zod type ${def.type}`);
  }
}

/**
 * A zod schema as a predicate that is true exactly when `schema.safeParse(value)` succeeds and returns
 * the value unchanged; it falls back to zod itself if the schema grows past the compiled subset.
 */
export function compileSchemaCheck<T>(schema: { _zod: { def: unknown }; safeParse(value: unknown): { success: boolean } }): (value: unknown) => value is T {
  try {
    return compileCheck(schema._zod.def as ZodDefLike) as (value: unknown) => value is T;
  } catch (error) {
    if (error instanceof Unsupported) return ((v: unknown) => schema.safeParse(v).success) as (value: unknown) => value is T;
    throw error;
  }
}

/** EvidenceRecordSchema as a predicate. */
export const isEvidenceRecord = compileSchemaCheck<EvidenceRecord>(EvidenceRecordSchema);

/**
 * sha256 of the identity of one piece of evidence: which adapter read which record (its sig_hash) where. The
 * record's own hash is part of it because two clones keep different logs at the same path: their line 1 is the
 * same place but not the same evidence, and the distill branch holds both once the clones sync.
 */
export function computeEvidenceId(source_format: string, at: SourceLocation, sig_hash: string): string {
  return sha256Hex(canonicalJson([source_format, at.source_file, at.byte_offset, at.pointer, sig_hash]));
}

/**
 * Redact every free-text field of the draft (ids, paths, hashes and timestamps are left alone),
 * hash the full redacted texts, cap what is stored, and validate. Redaction happens first, so no
 * later step — hashing, capping, the schema error message — ever sees a secret.
 */
export function finalizeDraft(draft: EvidenceDraft, at: SourceLocation, opts: FinalizeOptions): FinalizeResult {
  const counts = new Map<string, number>();
  const r = (text: string): string => opts.redact(text, counts);
  const rn = (text: string | null): string | null => (text === null ? null : r(text));

  const input_text = rn(draft.input_text);
  const output_text = rn(draft.output_text);
  const candidate = {
    schema_version: EVIDENCE_SCHEMA_VERSION,
    evidence_id: computeEvidenceId(opts.source_format, at, opts.sig_hash),
    source_format: opts.source_format,
    kind: draft.kind,
    run_id: draft.run_id,
    task_id: draft.task_id,
    task_type: draft.task_type,
    timestamp: draft.timestamp,
    model_name: draft.model_name,
    model_provider: draft.model_provider,
    model_role: draft.model_role,
    input_hash: textHash(input_text),
    output_hash: textHash(output_text),
    input_text: cap(input_text, opts.max_text_chars),
    output_text: cap(output_text, opts.max_text_chars),
    source_files: distinctSorted(draft.source_files),
    commands_run: draft.commands_run.map((c) => ({ command: r(c.command), exit_code: c.exit_code })),
    tool_calls: draft.tool_calls.map((t) => ({
      name: t.name,
      call_id: t.call_id,
      input_summary: rn(t.input_summary),
      ok: t.ok,
      error: rn(t.error),
    })),
    retrieved_context: draft.retrieved_context.map(r),
    observer_notes: r(draft.observer_notes),
    scratchpad_summary: rn(draft.scratchpad_summary),
    success_markers: draft.success_markers.map(r),
    failure_markers: draft.failure_markers.map(r),
    validation_results: draft.validation_results.map((v) => ({ name: v.name, passed: v.passed, detail: r(v.detail) })),
    human_override:
      draft.human_override === null
        ? null
        : { decision: draft.human_override.decision, reason: r(draft.human_override.reason), by: draft.human_override.by },
    signals: draft.signals,
    cost_usd: draft.cost_usd,
    latency_ms: draft.latency_ms,
    tokens: draft.tokens,
    link_hints: draft.link_hints,
    links: [],
    unmapped_fields: distinctSorted(draft.unmapped_fields),
    provenance: {
      source_file: at.source_file,
      line_offset: at.line,
      byte_offset: at.byte_offset,
      pointer: at.pointer,
      sig_hash: opts.sig_hash,
      recorded_at: opts.recorded_at,
    },
  };
  // The compiled check accepts only what the schema accepts (see compileCheck), so a record it passes
  // is stored as built; anything it rejects goes to zod, which gives the reason (and the last word).
  if (isEvidenceRecord(candidate)) return { ok: true, record: candidate, redactions: counts };
  const parsed = EvidenceRecordSchema.safeParse(candidate);
  if (!parsed.success) {
    const issues = parsed.error.issues
      .slice(0, 3)
      .map((i) => `${i.path.join('.') || '(record)'}: ${i.message}`)
      .join('; ');
    return { ok: false, reason: `mapped record is not a valid EvidenceRecord: ${issues}`, redactions: counts };
  }
  return { ok: true, record: parsed.data, redactions: counts };
}
