// The ledger's terminal view: row order (task type, then success), the filters, and what a filter that selects nothing says.
import { describe, expect, test } from 'bun:test';
import fc from 'fast-check';
import type { LedgerCell } from '../derived/folder-summary.ts';
import { buildLedgerEntry } from './compute-ledger.ts';
import { describeNoRow, filterLedger, renderLedger, sortLedger } from './render-ledger.ts';

function entry(task_type: string, model_name: string, successes: number, samples: number) {
  const cell: LedgerCell = {
    task_type,
    model_name,
    providers: {},
    samples,
    successes,
    failure_modes: samples > successes ? { 'rejected: hard.failed_validation': samples - successes } : {},
    rescued_by: {},
    escalation_roles: {},
    cost_nanos: 0,
    cost_runs: 0,
    latency: {},
    last_updated: '2026-01-01T00:00:00Z',
  };
  return buildLedgerEntry(cell, { failure_modes: 5 });
}

// In no particular order: two task types, success rates that tie, sample counts that tie.
const ENTRIES = [
  entry('scrum_review', 'qwen3-coder:480b', 1, 4),
  entry('bugfix', 'gpt-oss:120b', 2, 4),
  entry('scrum_review', 'kimi-k2:1t', 9, 10),
  entry('bugfix', 'qwen3-coder:480b', 3, 3),
  entry('bugfix', 'kimi-k2:1t', 5, 10),
  entry('bugfix', 'deepseek-v3.1', 2, 4),
];
const ORDER = [
  'bugfix qwen3-coder:480b', // 100%
  'bugfix kimi-k2:1t', // 50% of 10
  'bugfix deepseek-v3.1', // 50% of 4: model name breaks the tie
  'bugfix gpt-oss:120b',
  'scrum_review kimi-k2:1t', // 90%
  'scrum_review qwen3-coder:480b', // 25%
];

describe('the ledger table', () => {
  test('rows go by task type, then success rate (highest first), then runs, then model', () => {
    expect(sortLedger(ENTRIES).map((e) => `${e.task_type} ${e.model_name}`)).toEqual(ORDER);
    const lines = renderLedger(ENTRIES, 5).split('\n');
    expect(lines[0]).toMatch(/^TASK TYPE\s+MODEL\s+SUCCESS \(95% CI\)\s+RUNS/);
    expect(lines.slice(1, 7).map((l) => l.split(/\s{2,}/).slice(0, 2).join(' '))).toEqual(ORDER);
    expect(lines[1]).toContain('100% (44%–100%)');
    expect(lines[1]).toContain('too few runs to trust (3 < 5)');
    expect(lines[2]).not.toContain('too few runs');
  });

  test('the order does not depend on the order rows are read in (property)', () => {
    fc.assert(
      fc.property(fc.shuffledSubarray(ENTRIES, { minLength: ENTRIES.length, maxLength: ENTRIES.length }), (shuffled) => {
        expect(renderLedger(shuffled, 5)).toBe(renderLedger(ENTRIES, 5));
      }),
      { numRuns: 50, seed: 5 },
    );
  });

  test('--task-type and --model select rows, alone and together', () => {
    const names = (f: Parameters<typeof filterLedger>[1]) => sortLedger(filterLedger(ENTRIES, f)).map((e) => `${e.task_type} ${e.model_name}`);
    expect(names({ task_type: 'scrum_review', model: null })).toEqual(['scrum_review kimi-k2:1t', 'scrum_review qwen3-coder:480b']);
    expect(names({ task_type: null, model: 'kimi-k2:1t' })).toEqual(['bugfix kimi-k2:1t', 'scrum_review kimi-k2:1t']);
    expect(names({ task_type: 'bugfix', model: 'gpt-oss:120b' })).toEqual(['bugfix gpt-oss:120b']);
    expect(names({ task_type: null, model: null })).toEqual(ORDER);
  });

  test('a filter that selects nothing names the filter and the closest name, never "the ledger is empty"', () => {
    expect(describeNoRow(ENTRIES, { task_type: 'bugfx', model: null })).toBe("no ledger row for --task-type bugfx (did you mean 'bugfix'?)");
    expect(describeNoRow(ENTRIES, { task_type: null, model: 'kimi-k2' })).toBe("no ledger row for --model kimi-k2 (did you mean 'kimi-k2:1t'?)");
    expect(describeNoRow(ENTRIES, { task_type: 'translation', model: null })).toBe('no ledger row for --task-type translation (known task types: bugfix, scrum_review)');
    expect(describeNoRow(ENTRIES, { task_type: 'scrum_review', model: 'deepseek-v3.1' })).toBe(
      'no ledger row for --task-type scrum_review and --model deepseek-v3.1: deepseek-v3.1 has rows for bugfix',
    );
    expect(renderLedger([], 5)).toBe('the ledger is empty: no scored run names a model yet\n');
  });
});
