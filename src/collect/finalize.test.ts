import { describe, expect, test } from 'bun:test';
import fc from 'fast-check';
import { EvidenceRecordSchema } from '../../schemas/evidence-record.ts';
import { emptyDraft } from './adapter.ts';
import { finalizeDraft, isEvidenceRecord } from './finalize.ts';

const at = { source_file: 'logs/a.jsonl', line: 3, byte_offset: 120, pointer: null };
const opts = {
  source_format: 'lakehouse:mode_experiments',
  sig_hash: 'a'.repeat(64),
  recorded_at: '2026-01-01T00:00:00.000Z',
  max_text_chars: 1000,
  redact: (text: string) => text,
};

function validRecord(): Record<string, unknown> {
  const draft = emptyDraft({ kind: 'model_call', run_id: 'run-1', task_id: 'task-1', task_type: 'review', model_role: 'executor' });
  draft.timestamp = '2026-03-01T08:03:54.290Z';
  draft.input_text = 'prompt';
  draft.tool_calls = [{ name: 'Bash', call_id: 'c1', input_summary: 'ls', ok: true, error: null }];
  draft.validation_results = [{ name: 'gate', passed: true, detail: 'ok' }];
  draft.signals.observer_confidence = 0.5;
  draft.tokens = { input: 1, output: 2, cached: 0 };
  const result = finalizeDraft(draft, at, opts);
  if (!result.ok) throw new Error(result.reason);
  return result.record as unknown as Record<string, unknown>;
}

// Paths into a record and values to put there: wrong types, out-of-range numbers, bad patterns, extra keys.
const PATHS: readonly (readonly string[])[] = [
  ['schema_version'], ['evidence_id'], ['kind'], ['run_id'], ['timestamp'], ['model_role'], ['input_text'],
  ['source_files'], ['tool_calls', '0', 'name'], ['tool_calls', '0', 'ok'], ['tool_calls', '0'],
  ['validation_results', '0', 'name'], ['signals', 'observer_confidence'], ['signals', 'accepted_on_attempt'],
  ['signals', 'observer_verdict'], ['signals'], ['cost_usd'], ['latency_ms'], ['tokens', 'input'], ['tokens'],
  ['link_hints', 'cwd'], ['links'], ['provenance', 'line_offset'], ['provenance', 'byte_offset'],
  ['provenance', 'recorded_at'], ['provenance', 'sig_hash'], ['provenance', 'pointer'], ['human_override'],
  ['extra_key'], ['signals', 'extra_key'], ['provenance', 'extra_key'],
];
const VALUES: readonly unknown[] = [
  undefined, null, '', 'x', 'accept', '2026-02-30T00:00:00Z', '2026-01-01T00:00:00+01:00', 'a'.repeat(64), 'A'.repeat(64),
  0, 1, -1, 0.5, 1.5, 2, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53, true, [], ['a'], [1], {}, { decision: 'accept', reason: '', by: 'me' },
];

function withValueAt(record: Record<string, unknown>, path: readonly string[], value: unknown): Record<string, unknown> {
  const copy = structuredClone(record);
  let node: Record<string, unknown> = copy;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    if (next === null || typeof next !== 'object') return copy;
    node = next as Record<string, unknown>;
  }
  const last = path[path.length - 1]!;
  if (value === undefined) delete node[last];
  else node[last] = value;
  return copy;
}

describe('isEvidenceRecord, compiled from EvidenceRecordSchema', () => {
  test('accepts a record finalizeDraft builds, as zod does', () => {
    const record = validRecord();
    expect(EvidenceRecordSchema.safeParse(record).success).toBe(true);
    expect(isEvidenceRecord(record)).toBe(true);
  });

  test('agrees with zod on every single-field corruption of a valid record', () => {
    const record = validRecord();
    let rejected = 0;
    for (const path of PATHS) {
      for (const value of VALUES) {
        const candidate = withValueAt(record, path, value);
        const zod = EvidenceRecordSchema.safeParse(candidate).success;
        expect({ path, value, compiled: isEvidenceRecord(candidate) }).toEqual({ path, value, compiled: zod });
        if (!zod) rejected++;
      }
    }
    // The corruptions must exercise the reject side, or the agreement above proves little.
    expect(rejected).toBeGreaterThan(PATHS.length * 10);
  });

  test('never accepts what zod rejects, on random corruptions of two fields', () => {
    const record = validRecord();
    fc.assert(
      fc.property(
        fc.constantFrom(...PATHS),
        fc.constantFrom(...VALUES),
        fc.constantFrom(...PATHS),
        fc.oneof(fc.constantFrom(...VALUES), fc.jsonValue()),
        (p1, v1, p2, v2) => {
          const candidate = withValueAt(withValueAt(record, p1, v1), p2, v2);
          expect(isEvidenceRecord(candidate)).toBe(EvidenceRecordSchema.safeParse(candidate).success);
        },
      ),
      { numRuns: 2000, seed: 7 },
    );
  });
});

describe('finalizeDraft', () => {
  test('returns the built record itself when it is valid', () => {
    const record = validRecord();
    expect(record['run_id']).toBe('run-1');
    expect(record['input_hash']).toBe(new Bun.CryptoHasher('sha256').update('prompt').digest('hex'));
    expect(record['provenance']).toEqual({
      source_file: 'logs/a.jsonl',
      line_offset: 3,
      byte_offset: 120,
      pointer: null,
      sig_hash: 'a'.repeat(64),
      recorded_at: '2026-01-01T00:00:00.000Z',
    });
  });

  test('two clones with different logs at the same path and offset give different evidence ids; the same record the same id', () => {
    const draft = emptyDraft({ kind: 'model_call', run_id: 'r', task_id: 't', task_type: 'review', model_role: 'executor' });
    const id = (sig_hash: string) => {
      const r = finalizeDraft(draft, at, { ...opts, sig_hash });
      if (!r.ok) throw new Error(r.reason);
      return r.record.evidence_id;
    };
    expect(id('a'.repeat(64))).toBe(id('a'.repeat(64)));
    expect(id('a'.repeat(64))).not.toBe(id('b'.repeat(64)));
  });

  test("rejects a draft with an empty run_id and names the field in zod's words", () => {
    const draft = emptyDraft({ kind: 'model_call', run_id: '', task_id: 't', task_type: 'review', model_role: 'executor' });
    const result = finalizeDraft(draft, at, opts);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toStartWith('mapped record is not a valid EvidenceRecord: run_id: ');
  });

  test('rejects a draft whose signals carry an out-of-range confidence', () => {
    const draft = emptyDraft({ kind: 'verdict', run_id: 'r', task_id: 't', task_type: 'review', model_role: 'observer' });
    draft.signals.observer_confidence = 1.5;
    const result = finalizeDraft(draft, at, opts);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toContain('signals.observer_confidence');
  });
});
