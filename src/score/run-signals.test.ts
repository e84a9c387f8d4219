import { describe, expect, test } from 'bun:test';
import { makeEvidence, makeRun } from '../../tests/fixtures/score/make-evidence.ts';
import { computeRunSignals, isSuccessExitStatus, orderRunEvidence, timestampMs } from './run-signals.ts';

const ok = (name: string) => ({ name, call_id: null, input_summary: null, ok: true, error: null });
const err = (name: string, error: string) => ({ name, call_id: null, input_summary: null, ok: false, error });

describe('orderRunEvidence', () => {
  test('orders by timestamp instant (offsets honoured), undated first, then by provenance', () => {
    const a = makeEvidence({ timestamp: '2025-01-01T12:00:00+02:00', provenance: { line_offset: 1 } }); // 10:00Z
    const b = makeEvidence({ timestamp: '2025-01-01T11:00:00Z', provenance: { line_offset: 2 } });
    const c = makeEvidence({ timestamp: null, provenance: { line_offset: 9 } });
    const d = makeEvidence({ timestamp: '2025-01-01T11:00:00Z', provenance: { line_offset: 3 } });
    expect(orderRunEvidence([b, d, a, c]).map((r) => r.provenance.line_offset)).toEqual([9, 1, 2, 3]);
  });

  test('keeps one record per evidence_id when the same evidence is read twice', () => {
    const r = makeEvidence({ success_markers: ['done'] });
    expect(orderRunEvidence([r, r, { ...r }])).toHaveLength(1);
  });
});

describe('computeRunSignals', () => {
  test('the latest human override wins, ordered by timestamp and not by input order', () => {
    const ev = makeRun('r', [
      { timestamp: '2025-01-02T00:00:00Z', human_override: { decision: 'reject', reason: 'late no', by: 'bob' } },
      { timestamp: '2025-01-01T00:00:00Z', human_override: { decision: 'accept', reason: 'early yes', by: 'amy' } },
    ]);
    const { signals, support } = computeRunSignals(ev);
    expect(signals.human_override).toBe('reject');
    expect(support.human_override).toEqual([
      { evidence_id: ev[0]!.evidence_id, at: 'data/_kb/stream.jsonl:1', note: 'human reject by bob: "late no"' },
    ]);
  });

  test('a validation counts by its latest result: failed-then-passed is recovered, not failed', () => {
    const ev = makeRun('r', [
      { validation_results: [{ name: 'unit', passed: false, detail: '2 failed' }] },
      { validation_results: [{ name: 'unit', passed: true, detail: '' }, { name: 'lint', passed: false, detail: 'E501' }] },
    ]);
    const { signals, support } = computeRunSignals(ev);
    expect(signals.failed_validations).toBe(1);
    expect(signals.passed_validations).toBe(1);
    expect(signals.recovered_validations).toBe(1);
    expect(support.failed_validations.map((s) => s.note)).toEqual(['validation "lint" failed: E501']);
    expect(support.recovered_validations.map((s) => s.at)).toEqual(['data/_kb/stream.jsonl:1', 'data/_kb/stream.jsonl:2']);
  });

  test('counts applier actions and auditor and observer verdicts, keeping the strongest rejection', () => {
    const ev = makeRun('r', [
      { signals: { applier_action: 'gate_failed' } },
      { signals: { applier_action: 'reverted' } },
      { signals: { applier_action: 'applied' } },
      { signals: { auditor_verdict: 'block' } },
      { signals: { auditor_verdict: 'warn' } },
      { signals: { observer_verdict: 'reject', observer_confidence: 0.4 } },
      { signals: { observer_verdict: 'reject', observer_confidence: 0.82 } },
      { signals: { observer_verdict: 'reject', observer_confidence: null } },
      { signals: { observer_verdict: 'accept', observer_confidence: 0.9 } },
    ]);
    const { signals, support } = computeRunSignals(ev);
    expect(signals).toMatchObject({
      gate_failures: 1,
      reverts: 1,
      patches_applied: 1,
      auditor_blocks: 1,
      auditor_warns: 1,
      auditor_passes: 0,
      observer_rejects: 3,
      observer_reject_confidence: 0.82,
      observer_accepts: 1,
    });
    expect(support.observer_reject_confidence).toEqual([
      { evidence_id: ev[6]!.evidence_id, at: 'data/_kb/stream.jsonl:7', note: 'observer rejected with confidence 0.82' },
    ]);
  });

  test('a run whose last tool results errored, with nothing succeeding after, has a fatal tool error', () => {
    const ev = makeRun('r', [
      { kind: 'tool_result', tool_calls: [err('Bash', 'command not found')] },
      { kind: 'tool_result', tool_calls: [ok('Edit')] },
      { kind: 'tool_result', tool_calls: [err('Bash', 'exit 1')] },
      { kind: 'message', failure_markers: ['gave up'] },
    ]);
    const { signals, support } = computeRunSignals(ev);
    expect(signals.fatal_tool_error).toBe(true);
    expect(signals.tool_errors_recovered).toBe(1);
    expect(support.fatal_tool_error.map((s) => s.at)).toEqual(['data/_kb/stream.jsonl:3']);
    expect(support.tool_errors_recovered[0]!.note).toBe('tool "Bash" errored: command not found, later recovered');
  });

  test('a tool error followed by a success marker or a success exit status is not fatal', () => {
    for (const later of [{ success_markers: ['tests green'] }, { signals: { exit_status: 'submitted' } }]) {
      const ev = makeRun('r', [{ tool_calls: [err('Bash', 'boom')] }, later]);
      const { signals } = computeRunSignals(ev);
      expect(signals.fatal_tool_error).toBe(false);
      expect(signals.tool_errors_recovered).toBe(1);
    }
  });

  test('a producer-reported fatal tool error counts even with no tool results', () => {
    const { signals } = computeRunSignals(makeRun('r', [{ signals: { fatal_tool_error: true } }]));
    expect(signals.fatal_tool_error).toBe(true);
  });

  test('exit status is the latest one, lower-cased, and classified as success or not', () => {
    const ev = makeRun('r', [
      { timestamp: '2025-01-01T00:00:02Z', signals: { exit_status: 'Max_Iterations' } },
      { timestamp: '2025-01-01T00:00:01Z', signals: { exit_status: 'submitted' } },
    ]);
    const { signals } = computeRunSignals(ev);
    expect(signals.exit_status).toBe('max_iterations');
    expect(signals.exit_status_ok).toBe(false);
    expect(isSuccessExitStatus(' Completed ')).toBe(true);
    expect(isSuccessExitStatus('exit_error')).toBe(false);
  });

  test('takes the highest accepted_on_attempt, the lowest grounding and the latest ok flag', () => {
    const ev = makeRun('r', [
      { signals: { accepted_on_attempt: 1, grounding: 0.9, run_ok: false } },
      { signals: { accepted_on_attempt: 3, grounding: 0.4, run_ok: true } },
      { signals: { accepted_on_attempt: 2, grounding: 0.6 } },
    ]);
    const { signals } = computeRunSignals(ev);
    expect(signals.accepted_on_attempt).toBe(3);
    expect(signals.grounding).toBe(0.4);
    expect(signals.run_ok).toBe(true);
  });

  test('counts markers and the records that carry any outcome or a positive one', () => {
    const ev = makeRun('r', [
      { kind: 'meta' },
      { success_markers: ['a', 'b'] },
      { failure_markers: ['c'] },
      { signals: { grounding: 0.7 } },
    ]);
    const { signals, support } = computeRunSignals(ev);
    expect(signals.success_markers).toBe(2);
    expect(signals.failure_markers).toBe(1);
    expect(signals.outcome_evidence).toBe(3);
    expect(signals.positive_evidence).toBe(1);
    expect(support.success_markers[0]!.note).toBe('success marker "a" (+1 more)');
    expect(support.outcome_evidence.map((s) => s.note)).toEqual([
      'carries success marker',
      'carries failure marker',
      'carries grounding 0.7',
    ]);
  });

  test('a run with no outcome at all has zero outcome evidence and null values', () => {
    const { signals } = computeRunSignals(makeRun('r', [{ kind: 'meta' }, { kind: 'message' }]));
    expect(signals).toEqual({
      human_override: null,
      failed_validations: 0,
      passed_validations: 0,
      recovered_validations: 0,
      gate_failures: 0,
      reverts: 0,
      patches_applied: 0,
      auditor_blocks: 0,
      auditor_warns: 0,
      auditor_passes: 0,
      observer_rejects: 0,
      observer_reject_confidence: null,
      observer_accepts: 0,
      fatal_tool_error: false,
      tool_errors_recovered: 0,
      exit_status: null,
      exit_status_ok: null,
      run_ok: null,
      accepted_on_attempt: null,
      grounding: null,
      success_markers: 0,
      failure_markers: 0,
      outcome_evidence: 0,
      positive_evidence: 0,
    });
  });
});

describe('timestampMs', () => {
  test('reads ISO date-times with fractions and offsets exactly as Date.parse does', () => {
    for (const t of [
      '2025-01-01T00:00:00Z',
      '2025-01-01T12:00:00+02:00',
      '2024-02-29T23:59:59.999-05:30',
      '2025-06-30T10:11:12.123456Z',
      '2025-06-30T10:11:12.5+00:00',
      '2025-06-30T10:11Z',
      '1999-12-31T23:59:60Z',
      '2025-02-29T00:00:00Z',
      '2024-13-01T00:00:00Z',
      '2024-04-31T24:00:00Z',
    ]) {
      const parsed = Date.parse(t);
      expect(timestampMs(t)).toBe(Number.isNaN(parsed) ? null : parsed);
    }
    expect(timestampMs(null)).toBeNull();
    expect(timestampMs('not a time')).toBeNull();
  });
});
