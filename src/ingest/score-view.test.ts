// The spool's positional score view decodes to exactly the score view: the scorer cannot tell spilled runs from held ones.
import { expect, test } from 'bun:test';
import fc from 'fast-check';
import type { EvidenceRecord } from '../../schemas/evidence-record.ts';
import { makeEvidence } from '../../tests/fixtures/score/make-evidence.ts';
import { canonicalJson, sha256Hex } from '../canonical.ts';
import { decodeScoreView, encodeScoreView, scoreView } from './score-view.ts';
import { scoreRuns } from '../score/score.ts';
import { DEFAULT_RULES } from '../score/rules.ts';

const text = fc.string({ maxLength: 12 });
const nullable = <T>(arb: fc.Arbitrary<T>): fc.Arbitrary<T | null> => fc.option(arb, { nil: null });
const unit = fc.double({ min: 0, max: 1, noNaN: true });

// Every field varies, including the ones scoreView blanks: the round trip must blank them the same way.
const recordArb: fc.Arbitrary<EvidenceRecord> = fc
  .record({
    run_id: fc.string({ minLength: 1, maxLength: 8 }),
    task_id: fc.string({ minLength: 1, maxLength: 8 }),
    task_type: fc.string({ minLength: 1, maxLength: 8 }),
    source_format: fc.constantFrom('lakehouse:audits', 'codex', 'claude-code'),
    kind: fc.constantFrom('model_call' as const, 'verdict' as const, 'patch' as const),
    model_role: fc.constantFrom('executor' as const, 'observer' as const, 'human' as const),
    timestamp: nullable(fc.constantFrom('2025-01-01T00:00:00Z', '2025-01-01T02:00:00.123+02:00')),
    model_name: nullable(text),
    model_provider: nullable(text),
    input_text: nullable(text),
    output_text: nullable(text),
    source_files: fc.array(text, { maxLength: 2 }),
    commands_run: fc.array(fc.record({ command: text, exit_code: nullable(fc.integer()) }), { maxLength: 2 }),
    tool_calls: fc.array(
      fc.record({ name: fc.string({ minLength: 1 }), call_id: nullable(text), input_summary: nullable(text), ok: nullable(fc.boolean()), error: nullable(text) }),
      { maxLength: 3 },
    ),
    retrieved_context: fc.array(text, { maxLength: 2 }),
    observer_notes: text,
    scratchpad_summary: nullable(text),
    success_markers: fc.array(text, { maxLength: 3 }),
    failure_markers: fc.array(text, { maxLength: 3 }),
    validation_results: fc.array(fc.record({ name: fc.string({ minLength: 1 }), passed: fc.boolean(), detail: text }), { maxLength: 3 }),
    human_override: nullable(fc.record({ decision: fc.constantFrom('accept' as const, 'reject' as const), reason: text, by: text })),
    signals: fc.record({
      observer_verdict: nullable(fc.constantFrom('accept' as const, 'reject' as const)),
      observer_confidence: nullable(unit),
      auditor_verdict: nullable(fc.constantFrom('pass' as const, 'warn' as const, 'block' as const)),
      applier_action: nullable(fc.constantFrom('applied' as const, 'skipped' as const, 'reverted' as const, 'gate_failed' as const)),
      accepted_on_attempt: nullable(fc.integer({ min: 1, max: 9 })),
      exit_status: nullable(text),
      run_ok: nullable(fc.boolean()),
      grounding: nullable(unit),
      fatal_tool_error: nullable(fc.boolean()),
    }),
    cost_usd: nullable(fc.double({ min: 0, max: 100, noNaN: true })),
    latency_ms: nullable(fc.integer({ min: 0 })),
    tokens: nullable(fc.record({ input: fc.nat(), output: fc.nat(), cached: fc.nat() })),
    link_hints: fc.record({ oids: fc.array(text, { maxLength: 2 }), cwd: nullable(text), branch: nullable(text) }),
    unmapped_fields: fc.array(text, { maxLength: 2 }),
    source_file: fc.string({ minLength: 1, maxLength: 20 }),
    line_offset: fc.integer({ min: 1, max: 1e9 }),
    byte_offset: fc.nat(),
    pointer: nullable(fc.constantFrom('', '/0', '/steps/3')),
  })
  .map(({ source_file, line_offset, byte_offset, pointer, ...o }) => {
    const r = makeEvidence({ ...o, provenance: { source_file, line_offset, byte_offset, pointer } });
    return { ...r, evidence_id: sha256Hex(`${source_file}:${byte_offset}`), input_hash: sha256Hex(o.input_text ?? '') };
  });

test('decode(encode(record)) is the score view of the record, through JSON as the spool writes it', () => {
  fc.assert(
    fc.property(recordArb, (record) => {
      const line = JSON.stringify(encodeScoreView(record));
      const back = decodeScoreView(record.run_id, JSON.parse(line) as unknown[]);
      expect(back).toEqual(scoreView(record));
      // The scorer's last tie-break compares canonical JSON of whole views: that must agree too.
      expect(canonicalJson(back)).toBe(canonicalJson(scoreView(record)));
    }),
    { numRuns: 300 },
  );
});

test('the encoding leaves out what scoreView blanks, so a record with long texts spools small', () => {
  const long = 'x'.repeat(10_000);
  const record = makeEvidence({ input_text: long, output_text: long, observer_notes: long, source_files: [long] });
  const line = JSON.stringify(encodeScoreView(record));
  expect(line.length).toBeLessThan(400);
  expect(line.length).toBeLessThan(JSON.stringify(scoreView(record)).length / 2);
});

test('runs score to the same bytes from score views as from whole records', () => {
  const opts = { rules: DEFAULT_RULES, scored_at: '2026-01-01T00:00:00.000Z', scorer_version: '1.0.0' };
  fc.assert(
    fc.property(fc.array(recordArb, { minLength: 1, maxLength: 12 }), fc.integer({ min: 1, max: 3 }), (records, runs) => {
      // A few runs of several records each, so run-level aggregation (latest, most frequent, order) is exercised.
      // One evidence id is one piece of evidence (ingest derives it from the bytes read): distinct records get
      // distinct ids, and the exact repeat of a record at the end is the same evidence read twice.
      const distinct = records.map((r, i) => ({ ...r, run_id: `run-${i % runs}`, evidence_id: sha256Hex(String(i)) }));
      const grouped = [...distinct, distinct[0]!];
      const whole = scoreRuns(grouped, opts);
      expect(canonicalJson(scoreRuns(grouped.map(scoreView), opts))).toBe(canonicalJson(whole));
      const spooled = grouped.map((r) => decodeScoreView(r.run_id, JSON.parse(JSON.stringify(encodeScoreView(r))) as unknown[]));
      expect(canonicalJson(scoreRuns(spooled, opts))).toBe(canonicalJson(whole));
    }),
    { numRuns: 150 },
  );
}, 30_000);
