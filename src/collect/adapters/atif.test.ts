// Tests for the ATIF adapter on fixtures written from the ATIF RFC (no public sample exists): steps, observations, metrics, subagents, versions.
import { describe, expect, test } from 'bun:test';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import type { EvidenceRecord } from '../../../schemas/evidence-record.ts';
import { IngestConfigSchema } from '../../../schemas/config.ts';
import { DEFAULT_RULES } from '../../score/rules.ts';
import { SCORER_VERSION, scoreRuns } from '../../score/score.ts';
import { ADAPTERS, collectIo } from '../../wiring.ts';
import { collectSource, detectAdapter } from '../collect.ts';
import { atifAdapter } from './atif.ts';
import { listFilesRecursive, probeValue, resolveSamplesDir } from './adapter-test-helper.ts';

const FIXTURES = join(import.meta.dir, '../../../tests/fixtures/atif');

async function collect(name: string) {
  const records: EvidenceRecord[] = [];
  const quarantined: Array<{ pointer: string | null; code: string; reason: string }> = [];
  const summary = await collectSource(
    collectIo(),
    { path: join(FIXTURES, name), display_path: name, format: null },
    { adapters: ADAPTERS, recorded_at: '2026-01-01T00:00:00Z', ingest: IngestConfigSchema.parse({}), redact: (t) => t },
    { evidence: (r) => void records.push(r), quarantine: (q) => void quarantined.push({ pointer: q.pointer, code: q.reason_code, reason: q.reason }) },
  );
  const scored = scoreRuns(records, { rules: DEFAULT_RULES, scored_at: '2026-01-01T00:00:00Z', scorer_version: SCORER_VERSION });
  const at = (pointer: string) => records.find((r) => r.provenance.pointer === pointer)!;
  return { summary, records, quarantined, scored, at };
}

const kinds = (records: EvidenceRecord[]) => {
  const out: Record<string, number> = {};
  for (const r of records) out[r.kind] = (out[r.kind] ?? 0) + 1;
  return out;
};

describe('ATIF v1.4: a failing test, a fix, a passing test', async () => {
  const c = await collect('fix-tests.trajectory.json');
  const run = 'atif:0f3c2a1e-7b6d-4c59-9e21-5d8a4f1b2c3d';

  test('the header, 6 steps, 3 observations and the final metrics are 11 items, all evidence of one run', () => {
    expect(c.summary).toMatchObject({ format: 'atif', format_by: 'detected', lines: 11, evidence: 11, quarantined: 0 });
    expect(kinds(c.records)).toEqual({ meta: 3, message: 1, model_call: 4, tool_result: 3 });
    expect(new Set(c.records.map((r) => r.run_id))).toEqual(new Set([run]));
    expect(c.records.every((r) => r.task_id === '0f3c2a1e-7b6d-4c59-9e21-5d8a4f1b2c3d' && r.task_type === 'agent_trajectory')).toBe(true);
    expect(c.at('').observer_notes).toBe('ATIF-v1.4 trajectory of terminus-2 2.0.0; notes: Fixture written from the ATIF v1.4 RFC: a failing test, a fix, a passing test.');
    expect(c.at('').unmapped_fields).toEqual(['agent.extra']);
  });

  test('system, user and agent steps: prompt, task, replies with the model, reasoning left out', () => {
    expect(c.at('/steps/0')).toMatchObject({ kind: 'meta', input_text: 'You are a coding agent working in /app. Use the bash tool.' });
    expect(c.at('/steps/1')).toMatchObject({ kind: 'message', model_role: 'human', input_text: 'Make tests/test_sum.py pass.', timestamp: '2025-10-20T09:00:01.000Z' });
    const first = c.at('/steps/2');
    expect(first).toMatchObject({ kind: 'model_call', output_text: 'I will run the tests first.', model_name: 'anthropic/claude-sonnet-4-20250514', model_provider: 'anthropic' });
    expect(first.observer_notes).toBe('reasoning left out (27 characters)');
    expect(first.tool_calls).toEqual([{ name: 'bash', call_id: 'call_1', input_summary: 'pytest -q tests/test_sum.py', ok: null, error: null }]);
  });

  test('each observation pairs its results with the calls by source_call_id; exit codes from the text or extra', () => {
    const failed = c.at('/steps/2/observation');
    expect(failed.tool_calls).toEqual([{ name: 'bash', call_id: 'call_1', input_summary: 'pytest -q tests/test_sum.py', ok: false, error: 'F' }]);
    expect(failed.commands_run).toEqual([{ command: 'pytest -q tests/test_sum.py', exit_code: 1 }]);
    expect(failed.validation_results).toEqual([{ name: 'tests', passed: false, detail: 'pytest -q tests/test_sum.py' }]);
    const wrote = c.at('/steps/3/observation');
    expect(wrote.source_files).toEqual(['src/sum.py']);
    expect(wrote.tool_calls[0]?.ok).toBe(true);
    const passed = c.at('/steps/4/observation');
    expect(passed.commands_run).toEqual([{ command: 'pytest -q tests/test_sum.py', exit_code: 0 }]);
    expect(passed.validation_results).toEqual([{ name: 'tests', passed: true, detail: 'pytest -q tests/test_sum.py' }]);
  });

  test('tokens and cost from the steps (prompt minus cached = input); the final totals are not counted twice', () => {
    const tokens = c.records.filter((r) => r.tokens !== null).map((r) => r.tokens!);
    // 2100+2300+2400+2400 prompt, of which 0+2000+2000+1000 cached; 120+200+90+200 completion.
    expect(tokens.reduce((a, t) => ({ input: a.input + t.input, output: a.output + t.output, cached: a.cached + t.cached }), { input: 0, output: 0, cached: 0 })).toEqual({
      input: 4200,
      output: 610,
      cached: 5000,
    });
    expect(c.records.reduce((a, r) => a + (r.cost_usd ?? 0), 0)).toBeCloseTo(0.0213, 9);
    expect(c.at('/final_metrics')).toMatchObject({ tokens: null, cost_usd: null });
    expect(c.at('/final_metrics').observer_notes).toBe('final metrics: 6 steps; token totals not counted again (the steps report theirs); cost total not counted again (the steps report theirs)');
  });

  test('a test that failed and then passed: partially accepted', () => {
    expect(c.scored.map((s) => [s.run_id, s.category, s.reasons[0]?.rule_id])).toEqual([[run, 'partially_accepted', 'blemish.partial_tests']]);
  });
});

describe('ATIF v1.7: no session_id, an errored observation, an embedded subagent', async () => {
  const c = await collect('errored-no-session.trajectory.json');
  const root = c.at('').run_id;

  test('without session_id or trajectory_id the run is named by the sha256 of its header, and says so', () => {
    expect(root).toMatch(/^atif:sha256-[0-9a-f]{16}$/);
    expect(c.at('').observer_notes).toBe('ATIF-v1.7 trajectory of nemo-agent 1.7.0; no session_id or trajectory_id: the run is named by the sha256 of the header');
    expect(c.summary).toMatchObject({ lines: 10, evidence: 10, quarantined: 0 });
  });

  test('the subagent is its own run under its parent, on the parent task; the delegation is noted', () => {
    const sub = c.at('/subagent_trajectories/0/steps/1');
    expect(sub.run_id).toBe(`${root}:sub:sub-logs`);
    expect(sub.task_id).toBe(c.at('').task_id);
    expect(sub.tokens).toEqual({ input: 800, output: 20, cached: 0 });
    expect(c.at('/steps/1/observation').observer_notes).toBe('delegated to subagent sub-logs');
  });

  test('a result marked is_error is a failed call; ending the run on it rejects it, the subagent with no outcome asks a person', () => {
    expect(c.at('/steps/2/observation').tool_calls).toEqual([
      { name: 'read_file', call_id: 'r1', input_summary: 'logs/build.log', ok: false, error: "PermissionError: [Errno 13] Permission denied: 'logs/build.log'" },
    ]);
    const byRun = Object.fromEntries(c.scored.map((s) => [s.run_id, [s.category, s.reasons[0]?.rule_id]]));
    expect(byRun).toEqual({ [root]: ['rejected', 'hard.fatal_tool_error'], [`${root}:sub:sub-logs`]: ['needs_human_review', 'outcome.none'] });
  });
});

describe('ATIF edge cases', () => {
  test('a conversation with no outcome asks a person; with no step metrics, the final totals are the tokens and cost', async () => {
    const c = await collect('no-outcome.trajectory.json');
    expect(c.scored.map((s) => [s.run_id, s.category, s.reasons.map((r) => r.rule_id)])).toEqual([['atif:chat-42', 'needs_human_review', ['outcome.none']]]);
    expect(c.at('/final_metrics')).toMatchObject({ tokens: { input: 920, output: 124, cached: 200 }, cost_usd: 0.00078, model_name: 'gemini-2.5-flash', model_provider: 'google' });
  });

  test('another major version is refused with the version named; its steps are quarantined, not guessed at', async () => {
    const c = await collect('future-version.trajectory.json');
    expect(c.summary).toMatchObject({ format: 'atif', lines: 2, evidence: 0, quarantined: 2 });
    expect(c.quarantined).toEqual([
      { pointer: '', code: 'schema_version', reason: 'schema_version "ATIF-v2.0": this adapter reads ATIF-v1.x' },
      { pointer: '/steps/0', code: 'missing_field', reason: "/steps/0: the trajectory's header (schema_version, agent) was not read" },
    ]);
  });

  test('a step without step_id or source, and steps that are not an array, are refused with the field named', () => {
    const state = atifAdapter.init('x.json');
    const at = (pointer: string) => ({ source_file: 'x.json', line: 1, byte_offset: 0, pointer });
    expect(atifAdapter.map({ schema_version: 'ATIF-v1.2', session_id: 's', agent: { name: 'a', version: '1' } }, at(''), state).ok).toBe(true);
    expect(atifAdapter.map({ source: 'agent', message: '' }, at('/steps/0'), state)).toEqual({ ok: false, rejection: { code: 'missing_field', reason: 'step_id: every ATIF step has an integer step_id' } });
    expect(atifAdapter.map({ step_id: 2, source: 'tool', message: '' }, at('/steps/1'), state)).toEqual({
      ok: false,
      rejection: { code: 'missing_field', reason: 'source: step 2 has no source of system, user or agent' },
    });
    expect(atifAdapter.split!({ schema_version: 'ATIF-v1.4', steps: {} })).toEqual({ ok: false, reason: '/steps: an ATIF trajectory carries its steps in an array' });
  });
});

describe('ATIF detection', () => {
  test('by schema_version, else by the agent and step shape; no other adapter claims an ATIF file', () => {
    const full = JSON.parse(readFileSync(join(FIXTURES, 'fix-tests.trajectory.json'), 'utf8')) as Record<string, unknown>;
    expect(atifAdapter.detect({ path: 'trajectory.json', first: full })).toBe(95);
    const { schema_version: _v, ...unversioned } = full;
    expect(atifAdapter.detect({ path: 'trajectory.json', first: unversioned })).toBe(70);
    expect(atifAdapter.detect({ path: 'trajectory.json', first: { steps: [] } })).toBe(0);
    for (const a of ADAPTERS.filter((x) => x.id !== 'atif' && x.container === 'json')) expect(a.detect({ path: 'trajectory.json', first: full })).toBeLessThan(70);
  });

  test('no public sample of another format is taken for ATIF', () => {
    const samples = listFilesRecursive(join(resolveSamplesDir('claude-code'), '..')).filter((p) => /\.(json|traj)$/.test(p));
    expect(samples.length).toBeGreaterThan(5);
    for (const path of samples) expect(detectAdapter(ADAPTERS, path, probeValue(path), 'json')?.id).not.toBe('atif');
  });
});
