// Invariant 4 as a property: over generated mixed histories, no text of a run not scored accepted reaches any SFT row, in either format.
import { describe, expect, test } from 'bun:test';
import fc from 'fast-check';
import { buildExport } from './build-export.ts';
import { fixturePlan, scoreFixtureRuns, type Outcome, type RunSpec } from './export.fixture.ts';
import { validateSftOpenAi, validateSftTrl } from './validate.ts';

const OUTCOMES: readonly Outcome[] = ['accept', 'partial', 'reject', 'review', 'override_accept', 'override_reject'];
const WORDS = ['parser', 'cache', 'token', 'branch', 'commit', 'schema', 'index', 'retry', 'lock', 'queue', 'hook', 'store'];

const runArb = fc.record({
  outcome: fc.constantFrom(...OUTCOMES),
  task: fc.integer({ min: 0, max: 3 }),
  prompt: fc.array(fc.constantFrom(...WORDS), { minLength: 3, maxLength: 12 }),
  answer: fc.array(fc.constantFrom(...WORDS), { minLength: 3, maxLength: 12 }),
  tool: fc.boolean(),
  minute: fc.integer({ min: 0, max: 500 }),
});

/** Each run's texts carry a marker no other run has, so any byte of it in an output is traceable to that run. */
interface GenRun {
  outcome: Outcome;
  task: number;
  prompt: string[];
  answer: string[];
  tool: boolean;
  minute: number;
}

function buildSpecs(runs: GenRun[]): RunSpec[] {
  return runs.map((r, i) => ({
    run_id: `run-${i}`,
    task_id: `task-${r.task}`,
    outcome: r.outcome,
    prompt: `${r.prompt.join(' ')} qmark${i}prompt`,
    answer: `${r.answer.join(' ')} qmark${i}answer`,
    minute: r.minute,
    ...(r.tool ? { tool: { name: 'Bash', input_summary: `{"command":"grep qmark${i}tool src"}`, result: `qmark${i}result` } } : {}),
  }));
}

const sftText = (files: ReadonlyMap<string, string>) => [...files.entries()].filter(([p]) => p.startsWith('sft/')).map(([, t]) => t).join('');

describe('SFT no-leak (DESIGN invariant 4)', () => {
  for (const format of ['trl', 'openai'] as const) {
    test(`no text of a partially accepted, rejected, unreviewed or overridden-to-reject run reaches SFT (${format})`, () => {
      fc.assert(
        fc.property(fc.array(runArb, { minLength: 1, maxLength: 14 }), (generated) => {
          const runs = scoreFixtureRuns(buildSpecs(generated));
          const built = buildExport(runs, [], fixturePlan({ kinds: ['sft', 'kto'], format }));
          const sft = sftText(built.files);
          const kto = [...built.files.entries()].filter(([p]) => p.startsWith('kto/')).map(([, t]) => t).join('');
          const accepted = new Set(runs.filter((r) => r.run.category === 'accepted').map((r) => r.run.run_id));
          for (const r of runs) {
            const i = r.run.run_id.slice('run-'.length);
            const marks = [`qmark${i}prompt`, `qmark${i}answer`, `qmark${i}tool`, `qmark${i}result`];
            if (!accepted.has(r.run.run_id)) {
              for (const m of marks) expect(sft.includes(m)).toBe(false);
              // The marker survives the pipeline: a rejected run's answer does reach KTO (label false), so absence from SFT is not an accident of redaction.
              if (r.run.category === 'rejected') expect(kto.includes(`qmark${i}answer`)).toBe(true);
            }
          }
          const summary = built.kinds.find((k) => k.kind === 'sft')!;
          expect(summary.runs_by_category.partially_accepted + summary.runs_by_category.rejected + summary.runs_by_category.needs_human_review).toBe(0);
          // Every accepted run is accounted for: a row, a duplicate dropped, or a skip with a reason.
          expect(summary.runs_by_category.accepted + summary.exact_duplicates + summary.near_duplicates + summary.skipped + summary.refused).toBe(accepted.size);
          for (const id of accepted) {
            const i = id.slice('run-'.length);
            if (summary.exact_duplicates + summary.near_duplicates === 0) expect(sft.includes(`qmark${i}answer`)).toBe(true);
          }
          const receipt = JSON.parse(built.files.get('receipts/sft.json')!) as { record_counts: Record<string, number> };
          expect(receipt.record_counts['runs:rejected']).toBe(0);
          expect(receipt.record_counts['runs:partially_accepted']).toBe(0);
          expect(receipt.record_counts['runs:needs_human_review']).toBe(0);
          expect(receipt.record_counts['runs:accepted']).toBe(summary.runs_by_category.accepted);
        }),
        { numRuns: 60, seed: 20261204 },
      );
    });
  }

  test('the generated histories cover every category, overrides in both directions included', () => {
    const runs = scoreFixtureRuns(buildSpecs(OUTCOMES.map((outcome, i) => ({ outcome, task: i % 4, prompt: ['a', 'b', 'c'], answer: ['d', 'e', 'f'], tool: false, minute: i }))));
    expect(runs.map((r) => r.run.category)).toEqual(['accepted', 'partially_accepted', 'rejected', 'needs_human_review', 'accepted', 'rejected']);
  });

  test('the validators refuse an SFT row from a non-accepted run even if a builder produced one', () => {
    const runs = scoreFixtureRuns([{ run_id: 'r1', outcome: 'accept', prompt: 'fix the bug', answer: 'fixed it' }]);
    const trl = buildExport(runs, [], fixturePlan({ kinds: ['sft'] }));
    const row = JSON.parse(trl.files.get('sft/instruction_response.jsonl')!.trim()) as Record<string, unknown>;
    expect(validateSftTrl(row)).toBeNull();
    expect(validateSftTrl({ ...row, category: 'rejected' })).toContain('SFT takes only runs scored "accepted"');
    const oa = buildExport(runs, [], fixturePlan({ kinds: ['sft'], format: 'openai' }));
    const line = JSON.parse(oa.files.get('sft/instruction_response.jsonl')!.trim()) as unknown;
    const side = JSON.parse(oa.files.get('sft/instruction_response.provenance.jsonl')!.trim()) as Record<string, unknown>;
    expect(validateSftOpenAi(line, side)).toBeNull();
    expect(validateSftOpenAi(line, { ...side, categories: ['needs_human_review'] })).toContain('only runs scored "accepted"');
  });
});
