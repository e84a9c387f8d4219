// Tests for the mini-swe-agent adapter: the public sample with hand-checked commands, v2 fixtures, edge cases, and scoring.
import { describe, expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildTestRecord, resolveSamplesDir, runJsonAdapter, type JsonRun, kindsOf as kinds, scoreJsonRun } from './adapter-test-helper.ts';
import { miniSweAgentAdapter } from './mini-swe-agent.ts';
import { sweAgentAdapter } from './swe-agent.ts';

const SAMPLES = resolveSamplesDir('mini-swe-agent');
const FIXTURES = join(import.meta.dir, '../../../tests/fixtures/mini-swe-agent');




function score(run: JsonRun) {
  const scored = scoreJsonRun('mini-swe-agent', run);
  expect(scored).toHaveLength(1);
  const only = scored[0];
  if (only === undefined) throw new Error('no scored run');
  return only;
}

describe('miniSweAgentAdapter on the public sample', () => {
  const path = join(SAMPLES, 'github_issue.traj.json');

  test('maps github_issue.traj.json: 22 messages, 10 commands with their return codes', () => {
    const run = runJsonAdapter(miniSweAgentAdapter, path);
    expect(run.items).toBe(22);
    expect(run.rejections).toEqual([]);
    expect(kinds(run)).toEqual({ message: 1, meta: 1, model_call: 10, tool_result: 10 });
    expect(new Set(run.evidence.map((x) => x.draft.run_id))).toEqual(new Set(['mini-swe-agent:github_issue:9ba53d814f19bf97']));
    expect(new Set(run.evidence.map((x) => x.draft.task_id))).toEqual(new Set(['github_issue']));

    const results = run.evidence.filter((x) => x.draft.kind === 'tool_result').map((x) => x.draft);
    expect(results.flatMap((d) => d.commands_run)).toEqual([
      { command: 'cat /Users/fuchur/Documents/24/git_sync/swe-agent-test-repo/tests/./missing_colon.py', exit_code: 1 },
      { command: 'ls -la', exit_code: 0 },
      { command: 'ls -la tests/', exit_code: 0 },
      { command: 'cat tests/missing_colon.py', exit_code: 0 },
      { command: "sed -i 's/def division(a: float, b: float) -> float/def division(a: float, b: float) -> float:/' tests/missing_colon.py", exit_code: 0 },
      { command: 'cat tests/missing_colon.py', exit_code: 0 },
      { command: 'python3 tests/missing_colon.py', exit_code: 0 },
      { command: 'python3 -c "from tests.missing_colon import division; print(division(23, 0))"', exit_code: 1 },
      {
        command:
          'cat > tests/missing_colon.py << \'EOF\'\n#!/usr/bin/env python3\n\n\ndef division(a: float, b: float) -> float:\n    if b == 0:\n        raise ValueError("Cannot divide by zero")\n    return a/b\n\n\nif __name__ == "__main__":\n    print(division(123, 15))\nEOF',
        exit_code: 0,
      },
      // The submit command's output is the submission, recorded without a return code.
      { command: 'echo COMPLETE_TASK_AND_SUBMIT_FINAL_OUTPUT && git add -A && git diff --cached', exit_code: null },
    ]);
    const calls = results.flatMap((d) => d.tool_calls);
    expect(calls.map((c) => c.ok)).toEqual([false, true, true, true, true, true, true, false, true, true]);
    expect(calls.filter((c) => !c.ok).map((c) => c.error)).toEqual([
      'cat: /Users/fuchur/Documents/24/git_sync/swe-agent-test-repo/tests/./missing_colon.py: No such file or directory',
      'Traceback (most recent call last):',
    ]);
    expect(results.flatMap((d) => d.failure_markers)).toEqual([
      'tool_error:bash',
      'exit_code:1:cat /Users/fuchur/Documents/24/git_sync/swe-agent-test-repo/tests/./missing_colon.py',
      'tool_error:bash',
      'exit_code:1:python3 -c "from tests.missing_colon import division; print(division(23, 0))"',
    ]);
    expect(results.flatMap((d) => d.success_markers)).toEqual(['submitted']);
    expect(results.flatMap((d) => d.validation_results)).toEqual([]);
    expect(results.at(-1)?.source_files).toEqual(['tests/missing_colon.py']);

    const turns = run.evidence.filter((x) => x.draft.kind === 'model_call').map((x) => x.draft);
    expect(turns.every((d) => d.model_name === null && d.tool_calls.length === 1 && d.tool_calls[0]?.ok === null)).toBe(true);
    // A bare message list records no exit status; only the submission says how the run ended.
    expect(run.evidence.every((x) => x.draft.signals.exit_status === null)).toBe(true);
    const task = run.evidence.find((x) => x.draft.kind === 'message')?.draft;
    expect(task?.model_role).toBe('human');
    expect(task?.input_text?.startsWith('Please solve this issue: GitHub Issue: SyntaxError: invalid syntax')).toBe(true);
  });

  test('scores the sample accepted: its command errors were recovered and it submitted', () => {
    const scored = score(runJsonAdapter(miniSweAgentAdapter, path));
    expect(scored.category).toBe('accepted');
    expect(scored.signals.tool_errors_recovered).toBe(2);
    expect(scored.signals.fatal_tool_error).toBe(false);
  });
});

describe('miniSweAgentAdapter on v2 trajectories', () => {
  test('maps info, model, tokens, timestamps, format errors and test commands', () => {
    const run = runJsonAdapter(miniSweAgentAdapter, join(FIXTURES, 'submitted-tests-pass.traj.json'));
    expect(run.items).toBe(13);
    expect(run.rejections).toEqual([]);
    expect(kinds(run)).toEqual({ message: 1, meta: 3, model_call: 5, tool_result: 4 });
    const info = run.evidence[0]?.draft;
    expect(run.evidence[0]?.pointer).toBe('/info');
    expect(info?.signals.exit_status).toBe('submitted');
    expect(info?.cost_usd).toBe(0.06);
    expect(info?.observer_notes).toBe('api_calls: 5; mini_version: 2.0.0');
    expect(info?.source_files).toEqual(['src/calc.py']);
    expect(info?.unmapped_fields).toEqual([]);

    const turns = run.evidence.filter((x) => x.draft.kind === 'model_call').map((x) => x.draft);
    expect(new Set(turns.map((d) => d.model_name))).toEqual(new Set(['anthropic/claude-sonnet-4-5-20250929']));
    expect(turns.reduce((sum, d) => sum + (d.tokens?.input ?? 0), 0)).toBe(6400);
    expect(turns.reduce((sum, d) => sum + (d.tokens?.output ?? 0), 0)).toBe(225);
    expect(turns.every((d) => d.cost_usd === null)).toBe(true);
    expect(turns[0]?.timestamp).toBe('2026-01-01T00:00:00.000Z');
    // The turn with two bash blocks runs nothing.
    expect(turns[2]?.tool_calls).toEqual([]);

    const feedback = run.evidence.find((x) => x.pointer === '/messages/7')?.draft;
    expect(feedback?.kind).toBe('meta');
    expect(feedback?.failure_markers).toEqual(['format_error']);

    expect(run.evidence.flatMap((x) => x.draft.validation_results)).toEqual([
      { name: 'tests', passed: false, detail: 'python -m pytest -q tests' },
      { name: 'tests', passed: true, detail: 'python -m pytest -q tests' },
    ]);
    for (const { draft, line } of run.evidence) expect(buildTestRecord('mini-swe-agent', draft, line).kind).toBe(draft.kind);
  });

  test('a submitted run whose tests pass after failing is partially accepted, not rejected', () => {
    const scored = score(runJsonAdapter(miniSweAgentAdapter, join(FIXTURES, 'submitted-tests-pass.traj.json')));
    expect(scored.category).toBe('partially_accepted');
    expect(scored.reasons.map((r) => r.rule_id)).toEqual(['blemish.partial_tests', 'success']);
    expect(scored.model_names).toEqual(['anthropic/claude-sonnet-4-5-20250929']);
  });

  test('a run that hit its limits is rejected on its exit status', () => {
    const run = runJsonAdapter(miniSweAgentAdapter, join(FIXTURES, 'limits-exceeded.traj.json'));
    expect(run.items).toBe(10);
    expect(run.evidence[0]?.draft.signals.exit_status).toBe('limitsexceeded');
    expect(run.evidence[0]?.draft.output_text).toBeNull();
    const scored = score(run);
    expect(scored.category).toBe('rejected');
    expect(scored.reasons.map((r) => r.rule_id)).toEqual(['hard.exit_status', 'hard.failed_validation', 'outcome.no_positive']);
  });

  test('a run that exited with an error is never accepted, even with passing tests', () => {
    const path = join(FIXTURES, 'submitted-tests-pass.traj.json');
    const doc = JSON.parse(readFileSync(path, 'utf8')) as { info: Record<string, unknown> };
    doc.info.exit_status = 'RuntimeError';
    const scored = score(runJsonAdapter(miniSweAgentAdapter, path, doc));
    expect(scored.category).toBe('rejected');
    expect(scored.reasons[0]?.rule_id).toBe('hard.exit_status');
  });
});

describe('miniSweAgentAdapter edge cases', () => {
  test('quarantines a message that is not an object and one without a role, and marks a timeout as an error', () => {
    const run = runJsonAdapter(miniSweAgentAdapter, join(FIXTURES, 'malformed-items.traj.json'));
    expect(run.items).toBe(6);
    expect(run.rejections).toEqual([
      { pointer: '/1', code: 'not_an_object', reason: '/1: not a JSON object' },
      { pointer: '/2', code: 'missing_field', reason: 'role: message has no role' },
    ]);
    expect(run.evidence.map((x) => [x.pointer, x.draft.kind])).toEqual([
      ['/0', 'meta'],
      ['/3', 'message'],
      ['/4', 'model_call'],
      ['/5', 'tool_result'],
    ]);
    const timeout = run.evidence[3]?.draft;
    expect(timeout?.commands_run).toEqual([{ command: 'sleep 100', exit_code: null }]);
    expect(timeout?.tool_calls[0]?.ok).toBe(false);
    expect(timeout?.failure_markers).toEqual(['tool_error:bash:timeout']);
    // The run ended on that error: the scorer calls it fatal.
    const scored = score(run);
    expect(scored.category).toBe('rejected');
    expect(scored.reasons[0]?.rule_id).toBe('hard.fatal_tool_error');
  });

  test('split refuses documents that are neither a message list nor an object with messages', () => {
    expect(miniSweAgentAdapter.split?.({ info: {} })).toEqual({ ok: false, reason: 'messages: missing or not an array' });
    expect(miniSweAgentAdapter.split?.('x')).toEqual({ ok: false, reason: 'a mini-swe-agent trajectory is a JSON object or a list of messages' });
  });

  test('detects v2 files by trajectory_format and older ones by their <returncode> observations', () => {
    const v2 = JSON.parse(readFileSync(join(FIXTURES, 'submitted-tests-pass.traj.json'), 'utf8')) as unknown;
    expect(miniSweAgentAdapter.detect({ path: 'x.traj.json', first: v2 })).toBe(95);
    const bare = JSON.parse(readFileSync(join(SAMPLES, 'github_issue.traj.json'), 'utf8')) as unknown;
    expect(miniSweAgentAdapter.detect({ path: 'github_issue.traj.json', first: bare })).toBe(90);
    expect(miniSweAgentAdapter.detect({ path: 'chat.json', first: bare })).toBe(75);
    expect(miniSweAgentAdapter.detect({ path: 'chat.json', first: [{ role: 'user', content: 'hi' }] })).toBe(0);
    expect(sweAgentAdapter.detect({ path: 'x.traj.json', first: v2 })).toBe(0);
  });
});
