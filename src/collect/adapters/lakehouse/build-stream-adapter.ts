// The engine behind every lakehouse adapter: interprets one stream's table to map a JSONL line to an EvidenceDraft.
import type { Adapter, EvidenceDraft, MapRejection, MapResult } from '../../adapter.ts';
import { emptyDraft } from '../../adapter.ts';
import { detectStream } from './detect-stream.ts';
import { inferModelProvider } from './infer-model-provider.ts';
import { describeValue, isRecord, parseField, type FieldValue } from './parse-field.ts';
import { buildFields, type DraftTarget, type FieldSpec, type StreamSpec } from './stream-spec.ts';

function reject(code: MapRejection['code'], reason: string): MapResult {
  return { ok: false, rejection: { code, reason } };
}

/**
 * The version gate of DESIGN section 5. Streams that never wrote a schema_version are read as
 * the known version: the producers are foreign, and most of their lines carry none.
 */
function checkSchemaVersion(spec: StreamSpec, line: Readonly<Record<string, unknown>>): MapResult | null {
  const v = line['schema_version'];
  if (v === undefined || v === null) return null;
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) {
    return reject('wrong_type', `${spec.stream} line has \`schema_version\` of the wrong type: expected an integer, got ${describeValue(v)}`);
  }
  if (v > spec.schema_version) {
    return reject('schema_version', `schema_version ${v} is newer than this git-distill understands (${spec.schema_version}): upgrade git-distill`);
  }
  if (v < spec.schema_version) {
    return reject('schema_version', `schema_version ${v} is older than this git-distill understands (${spec.schema_version}): run git distill migrate`);
  }
  return null;
}

const NON_BLANK = /\S/;

/** Blank strings say nothing; only an optional `text` keeps one (an empty response is a fact about the call). */
function isAbsent(value: unknown, spec: FieldSpec): boolean {
  if (value === undefined || value === null) return true;
  // /\S/ is trim()'s notion of non-blank, found without copying the string (trim copies a text ending in a newline).
  if (typeof value !== 'string' || NON_BLANK.test(value)) return false;
  return !(spec.type === 'text' && spec.required === null);
}

function pushStrings(into: string[], value: FieldValue): void {
  if (typeof value === 'string') into.push(value);
  else if (Array.isArray(value)) for (const v of value) if (typeof v === 'string') into.push(v);
}

function applyTarget(draft: EvidenceDraft, target: DraftTarget, value: FieldValue): void {
  const s = draft.signals;
  switch (target) {
    case 'timestamp':
    case 'model_name':
    case 'input_text':
    case 'output_text':
    case 'observer_notes':
      if (typeof value === 'string') draft[target] = value;
      return;
    case 'source_files':
    case 'retrieved_context':
      pushStrings(draft[target], value);
      return;
    case 'link_oids':
      pushStrings(draft.link_hints.oids, value);
      return;
    case 'cost_usd':
    case 'latency_ms':
      if (typeof value === 'number') draft[target] = value;
      return;
    case 'signals.observer_verdict':
      if (value === 'accept' || value === 'reject') s.observer_verdict = value;
      return;
    case 'signals.observer_confidence':
      if (typeof value === 'number') s.observer_confidence = value;
      return;
    case 'signals.auditor_verdict':
      if (value === 'pass' || value === 'warn' || value === 'block') s.auditor_verdict = value;
      return;
    case 'signals.applier_action':
      if (value === 'applied' || value === 'skipped' || value === 'reverted' || value === 'gate_failed') s.applier_action = value;
      return;
    case 'signals.accepted_on_attempt':
      if (typeof value === 'number') s.accepted_on_attempt = value;
      return;
    case 'signals.run_ok':
      if (typeof value === 'boolean') s.run_ok = value;
      return;
  }
}

/** A table prepared once: its fields in order, the ones that land in the draft, and the names it reads. */
interface CompiledStream {
  readonly entries: ReadonlyArray<readonly [string, FieldSpec]>;
  readonly targets: ReadonlyArray<readonly [string, DraftTarget]>;
  readonly known: ReadonlySet<string>;
}

// Made once per table instead of per line (Object.entries twice per line was a fifth of mapping).
const COMPILED = new WeakMap<StreamSpec, CompiledStream>();

function compileStream(spec: StreamSpec): CompiledStream {
  let c = COMPILED.get(spec);
  if (c === undefined) {
    const entries = Object.entries(spec.fields);
    const targets: Array<readonly [string, DraftTarget]> = [];
    for (const [name, f] of entries) if (f.to !== null) targets.push([name, f.to]);
    c = { entries, targets, known: new Set(['schema_version', ...entries.map(([name]) => name)]) };
    COMPILED.set(spec, c);
  }
  return c;
}

/** Map one parsed JSONL value through a stream's table. Pure. */
export function mapStreamLine(spec: StreamSpec, value: unknown): MapResult {
  const stream = spec.stream;
  if (!isRecord(value)) return reject('not_an_object', `${stream} line is ${describeValue(value)}, not an object`);
  const versionProblem = checkSchemaVersion(spec, value);
  if (versionProblem !== null) return versionProblem;

  const compiled = compileStream(spec);
  const values = new Map<string, FieldValue>();
  for (const [name, fieldSpec] of compiled.entries) {
    const raw = Object.hasOwn(value, name) ? value[name] : undefined;
    if (isAbsent(raw, fieldSpec)) {
      if (fieldSpec.required === null) continue;
      const how = typeof raw === 'string' ? `has an empty \`${name}\`` : `has no \`${name}\``;
      return reject('missing_field', `${stream} line ${how}: ${fieldSpec.required}`);
    }
    const parsed = parseField(raw, fieldSpec.type);
    if (!parsed.ok) {
      return reject('wrong_type', `${stream} line has \`${name}\` of the wrong type: expected ${parsed.expected}, got ${parsed.got}`);
    }
    values.set(name, parsed.value);
  }

  const f = buildFields(stream, values);
  const draft = emptyDraft({
    kind: spec.kind,
    run_id: spec.run_id(f),
    task_id: spec.task_id(f),
    task_type: spec.task_type(f),
    model_role: spec.model_role,
  });
  for (const [name, to] of compiled.targets) {
    const v = values.get(name);
    if (v !== undefined) applyTarget(draft, to, v);
  }
  if (spec.finish !== null) {
    const problem = spec.finish(f, draft);
    if (problem !== null) return { ok: false, rejection: problem };
  }
  if (draft.model_provider === null) draft.model_provider = inferModelProvider(draft.model_name);
  const unmapped: string[] = [];
  for (const k of Object.keys(value)) if (!compiled.known.has(k)) unmapped.push(k);
  if (unmapped.length > 1) unmapped.sort();
  draft.unmapped_fields = unmapped;
  return { ok: true, draft };
}

/** One adapter per stream table: id `lakehouse:<stream>`, one JSON object per line, no per-file state. */
export function buildStreamAdapter(spec: StreamSpec): Adapter<null> {
  return {
    id: `lakehouse:${spec.stream}`,
    description: spec.description,
    container: 'jsonl',
    detect: (probe) => detectStream(spec, probe),
    init: () => null,
    map: (value) => mapStreamLine(spec, value),
  };
}
