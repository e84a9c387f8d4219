// Tests for the OpenHands adapter: both public trajectories with hand-checked counts, edge-case fixtures, detection.
import { describe, expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { canonicalSha256 } from '../../canonical.ts';
import type { Adapter } from '../adapter.ts';
import { buildTestRecord, resolveSamplesDir, runJsonAdapter, collectAndScore, kindsOf as kinds, sumTokens, listFilesRecursive } from './adapter-test-helper.ts';
import { openHandsAdapter } from './openhands.ts';

const SAMPLES = resolveSamplesDir('openhands');
const FIXTURES = join(import.meta.dir, '../../../tests/fixtures/openhands');






interface Expected {
  file: string;
  items: number;
  kinds: Record<string, number>;
  /** Tool calls listed on model_call drafts (finish included). */
  requested: string[];
  /** ok values of the tool_result drafts' calls, in order. */
  results: Array<boolean | null>;
  commands: Array<{ command: string; exit_code: number | null }>;
  source_files: string[];
  human_prompt_start: string;
  /** usage of the distinct LLM responses, as disjoint buckets (jq over tool_call_metadata.model_response). */
  tokens: { input: number; output: number; cached: number };
  cwd: string | null;
  last_agent_state: string;
}

// Counted by hand and with jq: agent_state_changed, NullObservations, change_agent_state and recall are meta.
const EXPECTED: Expected[] = [
  {
    file: 'basic_gui_mode.json',
    items: 18,
    kinds: { message: 1, meta: 8, model_call: 5, tool_result: 4 },
    requested: ['execute_bash', 'str_replace_editor', 'str_replace_editor', 'execute_bash'],
    // The http.server command was still running at the soft timeout (exit code -1): no verdict.
    results: [true, true, true, null],
    commands: [
      { command: 'mkdir -p /workspace/todo-app', exit_code: 0 },
      { command: 'cd /workspace/todo-app && python3 -m http.server 8000', exit_code: null },
    ],
    source_files: ['todo-app/app.js', 'todo-app/index.html'],
    human_prompt_start: 'I want to create a VueJS app',
    tokens: { input: 5504, output: 2024, cached: 11793 },
    cwd: '/workspace',
    last_agent_state: 'agent state: awaiting_user_input',
  },
  {
    file: 'wrong_initial_state.json',
    items: 8,
    kinds: { message: 1, model_call: 4, tool_result: 3 },
    requested: ['str_replace_editor', 'execute_bash', 'str_replace_editor', 'finish'],
    results: [true, true, true],
    commands: [{ command: 'mv /workspace/game_2048.py /workspace/2048.py', exit_code: 0 }],
    source_files: [],
    human_prompt_start: 'Please rename game_2048.py to 2048.py',
    tokens: { input: 3949, output: 358, cached: 10879 },
    cwd: '/workspace',
    last_agent_state: '',
  },
];

describe('openhands adapter on the public trajectories', () => {
  for (const expected of EXPECTED) {
    const path = join(SAMPLES, expected.file);

    test(`maps ${expected.file} with the hand-checked counts`, () => {
      const run = runJsonAdapter(openHandsAdapter, path);
      const drafts = run.evidence.map((e) => e.draft);
      expect(run.rejections).toEqual([]);
      expect(run.items).toBe(expected.items);
      expect(run.evidence.length).toBe(run.items);
      expect(kinds(run)).toEqual(expected.kinds);
      const calls = drafts.filter((d) => d.kind === 'model_call');
      expect(calls.flatMap((d) => d.tool_calls.map((c) => c.name))).toEqual(expected.requested);
      expect(calls.flatMap((d) => d.tool_calls).every((c) => c.ok === null)).toBe(true);
      expect(calls.every((d) => d.model_name === 'claude-3-5-sonnet-20241022' && d.model_provider === 'anthropic')).toBe(true);
      const results = drafts.filter((d) => d.kind === 'tool_result');
      expect(results.flatMap((d) => d.tool_calls.map((c) => c.ok))).toEqual(expected.results);
      expect(results.every((d) => d.model_role === 'tool')).toBe(true);
      // Each observation names the call it answers.
      expect(results.map((d) => d.tool_calls[0]?.call_id)).toEqual(
        calls.flatMap((d) => d.tool_calls).filter((c) => c.name !== 'finish').map((c) => c.call_id),
      );
      expect(drafts.flatMap((d) => d.commands_run)).toEqual(expected.commands);
      expect([...new Set(drafts.flatMap((d) => d.source_files))].sort()).toEqual(expected.source_files);
      expect(drafts.flatMap((d) => d.failure_markers)).toEqual([]);
      expect(sumTokens(drafts)).toEqual(expected.tokens);
      expect(drafts.at(-1)?.link_hints.cwd).toBe(expected.cwd);
      expect(drafts.at(-1)?.observer_notes).toBe(expected.last_agent_state);
      expect(drafts.flatMap((d) => d.unmapped_fields)).toEqual([]);
    });

    test(`names the run of ${expected.file} after the sha256 of its first event`, () => {
      const doc = JSON.parse(readFileSync(path, 'utf8')) as unknown[];
      const hash = canonicalSha256(doc[0]).slice(0, 16);
      const drafts = runJsonAdapter(openHandsAdapter, path).evidence.map((e) => e.draft);
      expect(new Set(drafts.map((d) => d.run_id))).toEqual(new Set([`openhands:${hash}`]));
      expect(new Set(drafts.map((d) => d.task_id))).toEqual(new Set([hash]));
    });

    test(`counts the one human prompt of ${expected.file}`, () => {
      const humans = runJsonAdapter(openHandsAdapter, path).evidence.filter((e) => e.draft.model_role === 'human');
      expect(humans.length).toBe(1);
      expect(humans[0]?.draft.kind).toBe('message');
      expect(humans[0]?.draft.input_text?.startsWith(expected.human_prompt_start)).toBe(true);
    });

    test(`records no outcome signal for ${expected.file}: a run with no tests and no error needs a human`, () => {
      const drafts = runJsonAdapter(openHandsAdapter, path).evidence.map((e) => e.draft);
      expect(drafts.every((d) => d.signals.exit_status === null && d.signals.run_ok === null && d.signals.fatal_tool_error === null)).toBe(true);
      expect(drafts.flatMap((d) => d.success_markers)).toEqual([]);
      expect(drafts.flatMap((d) => d.validation_results)).toEqual([]);
    });

    test(`every draft of ${expected.file} becomes a valid EvidenceRecord`, () => {
      const run = runJsonAdapter(openHandsAdapter, path);
      run.evidence.forEach(({ draft }, i) => {
        expect(buildTestRecord('openhands', draft, i + 1).run_id).toBe(draft.run_id);
      });
    });
  }

  test('reads the zone-less timestamps of basic_gui_mode.json as UTC', () => {
    const drafts = runJsonAdapter(openHandsAdapter, join(SAMPLES, 'basic_gui_mode.json')).evidence.map((e) => e.draft);
    expect(drafts[0]?.timestamp).toBe('2025-01-20T20:29:13.519Z');
    expect(drafts[17]?.timestamp).toBe('2025-01-20T20:30:35.429Z');
  });

  test('keeps the final answer of the finish action in wrong_initial_state.json without calling it a success', () => {
    const drafts = runJsonAdapter(openHandsAdapter, join(SAMPLES, 'wrong_initial_state.json')).evidence.map((e) => e.draft);
    const finish = drafts.at(-1);
    expect(finish?.kind).toBe('model_call');
    expect(finish?.tool_calls).toEqual([{ name: 'finish', call_id: 'toolu_01G98EmHEC8HgktRjJBYXqEa', input_summary: null, ok: null, error: null }]);
    expect(finish?.output_text?.startsWith('The file has been successfully renamed')).toBe(true);
    expect(finish?.signals.run_ok).toBeNull();
    expect(finish?.success_markers).toEqual([]);
  });
});

describe('openhands adapter on edge-case fixtures', () => {
  test('turns an errored run into failed validations, tool errors and the error exit status', () => {
    const run = runJsonAdapter(openHandsAdapter, join(FIXTURES, 'errored-run.json'));
    const drafts = run.evidence.map((e) => e.draft);
    expect(run.rejections).toEqual([]);
    expect(kinds(run)).toEqual({ message: 1, meta: 2, model_call: 3, tool_result: 4 });
    expect(drafts[3]?.validation_results).toEqual([
      { name: 'tests', passed: false, detail: 'cd /workspace/repo && python -m pytest tests/test_parser.py' },
    ]);
    expect(drafts[3]?.failure_markers).toEqual([
      'exit_code:1:cd /workspace/repo && python -m pytest tests/test_parser.py',
      'tests_failed:cd /workspace/repo && python -m pytest tests/test_parser.py',
      'tool_error:execute_bash',
    ]);
    expect(drafts[3]?.tool_calls[0]?.error).toBe('FAILED tests/test_parser.py::test_tuple - AssertionError');
    // The editor's error pairs with its edit by `cause`, and the bare "ERROR:" line is skipped.
    expect(drafts[5]?.tool_calls).toEqual([
      {
        name: 'str_replace_editor',
        call_id: 'call_2',
        input_summary: 'edit: /workspace/repo/src/parser.py',
        ok: false,
        error: 'No replacement was performed, old_str `return x` did not appear verbatim in /workspace/repo/src/parser.py.',
      },
    ]);
    expect(drafts[5]?.source_files).toEqual([]);
    expect(drafts[7]?.link_hints.oids).toEqual(['5c1b2317']);
    // An error observation answering no action still counts as a failed call.
    expect(drafts[8]?.tool_calls[0]).toMatchObject({ name: 'unknown', call_id: null, ok: false });
    expect(drafts[9]?.signals.exit_status).toBe('error');
    expect(drafts[9]?.failure_markers).toEqual([
      'agent_state:error:RuntimeError: Agent reached maximum iteration in headless mode. Current iteration: 5, max iteration: 5',
    ]);
    expect(drafts.filter((d) => d.signals.exit_status !== null).length).toBe(1);
    // gpt-4o counts cached tokens inside prompt_tokens; accumulated_cost grows, so each action gets the delta.
    expect(drafts[2]?.tokens).toEqual({ input: 600, output: 50, cached: 400 });
    expect(drafts[2]?.model_provider).toBe('openai');
    expect(drafts.map((d) => d.cost_usd).filter((c) => c !== null)).toEqual([0.25, 0.5]);
    expect(drafts[9]?.link_hints.cwd).toBe('/workspace/repo');
    run.evidence.forEach(({ draft }, i) => expect(buildTestRecord('openhands', draft, i + 1).kind).toBe(draft.kind));
  });

  test('quarantines items that are not objects or name neither an action nor an observation', () => {
    const run = runJsonAdapter(openHandsAdapter, join(FIXTURES, 'malformed-events.json'));
    expect(run.items).toBe(5);
    expect(run.rejections.map((r) => [r.pointer, r.code, r.reason.split(':')[0]])).toEqual([
      ['/1', 'not_an_object', 'expected an event object, got number'],
      ['/2', 'missing_field', 'action/observation'],
      ['/3', 'not_an_object', 'expected an event object, got null'],
    ]);
    expect(run.evidence.map((e) => [e.pointer, e.draft.kind])).toEqual([
      ['/0', 'message'],
      ['/4', 'model_call'],
    ]);
    expect(run.evidence.length + run.rejections.length).toBe(run.items);
    expect(run.evidence[0]?.draft.unmapped_fields).toEqual(['extra_field']);
    // A zoned timestamp keeps its zone.
    expect(run.evidence[0]?.draft.timestamp).toBe('2025-03-01T07:00:00.000Z');
    // finish alone is no success, and a run whose first event is malformed is still one run.
    expect(run.evidence[1]?.draft.signals.exit_status).toBeNull();
    expect(new Set(run.evidence.map((e) => e.draft.run_id)).size).toBe(1);
  });

  test('fails an IPython traceback, a timed-out command and a rejected action; counts a shared response once', () => {
    const drafts = runJsonAdapter(openHandsAdapter, join(FIXTURES, 'tool-edge-cases.json')).evidence.map((e) => e.draft);
    expect(drafts.map((d) => d.kind)).toEqual(['model_call', 'model_call', 'tool_result', 'tool_result', 'model_call', 'tool_result']);
    // Two actions from one LLM response: its usage is counted on the first.
    expect(drafts[0]?.tokens).toEqual({ input: 100, output: 10, cached: 0 });
    expect(drafts[1]?.tokens).toBeNull();
    expect(drafts[2]?.tool_calls[0]).toMatchObject({ name: 'execute_ipython_cell', ok: false, error: "ModuleNotFoundError: No module named 'missing_mod'" });
    expect(drafts[3]?.tool_calls[0]).toMatchObject({ name: 'execute_bash', ok: false, error: 'command timed out' });
    // No exit status: the command is listed, no validation is claimed either way.
    expect(drafts[3]?.commands_run).toEqual([{ command: 'npm test', exit_code: null }]);
    expect(drafts[3]?.validation_results).toEqual([]);
    expect(drafts[5]?.tool_calls[0]).toMatchObject({ name: 'execute_bash', ok: false, error: 'the user rejected the action' });
    expect(drafts[5]?.failure_markers).toEqual(['user_rejected:execute_bash']);
  });

  test('refuses a document that is not a list of events', () => {
    expect(openHandsAdapter.split?.({ history: [] })).toEqual({ ok: false, reason: 'an OpenHands trajectory is a JSON array of events, got object' });
    expect(openHandsAdapter.detect({ path: 'x.json', first: [] })).toBe(0);
    expect(openHandsAdapter.detect({ path: 'x.json', first: [{ id: 0, source: 'robot', action: 'run' }] })).toBe(0);
  });
});

describe('openhands detection over every public sample', () => {
  const root = join(SAMPLES, '..');
  const firstValue = (path: string): unknown => {
    const text = readFileSync(path, 'utf8');
    try {
      return /\.(json|traj)$/i.test(path) ? JSON.parse(text) : JSON.parse(text.split('\n')[0] ?? '');
    } catch {
      return undefined;
    }
  };

  test('claims the two trajectories and nothing else, evaluation output.jsonl files included', () => {
    const claimed = listFilesRecursive(root)
      .filter((path) => openHandsAdapter.detect({ path, first: firstValue(path) }) > 0)
      .map((path) => path.slice(root.length + 1))
      .sort();
    expect(claimed).toEqual(['openhands/basic_gui_mode.json', 'openhands/wrong_initial_state.json']);
  });

  test('scores each line of the evaluation and resolver outputs 0', () => {
    for (const file of ['multi_swe_bench-examples/output.jsonl', 'resolver-mock_output/output.jsonl']) {
      const lines = readFileSync(join(SAMPLES, file), 'utf8').split('\n').filter((l) => l.trim().length > 0);
      expect(lines.length).toBeGreaterThan(0);
      for (const line of lines) expect(openHandsAdapter.detect({ path: join(SAMPLES, file), first: JSON.parse(line) })).toBe(0);
    }
  });
});

describe('openhands trajectories through collect and the scorer', () => {
  const CASES: Array<{ path: string; items: number; category: string }> = [
    // No tests, no error: nothing says whether the work is right.
    { path: join(SAMPLES, 'basic_gui_mode.json'), items: 18, category: 'needs_human_review' },
    // finish alone is not a success.
    { path: join(SAMPLES, 'wrong_initial_state.json'), items: 8, category: 'needs_human_review' },
    { path: join(FIXTURES, 'errored-run.json'), items: 10, category: 'rejected' },
    { path: join(FIXTURES, 'tool-edge-cases.json'), items: 6, category: 'rejected' },
  ];
  for (const c of CASES) {
    test(`collects ${c.path.split('/').slice(-2).join('/')} as openhands, every item accounted for, scored ${c.category}`, async () => {
      const { summary, records, quarantined, categories } = await collectAndScore([openHandsAdapter] as unknown as Adapter[], c.path);
      expect(summary.format).toBe('openhands');
      expect(summary.format_by).toBe('detected');
      expect(summary.lines).toBe(c.items);
      expect(records).toHaveLength(c.items);
      expect(quarantined).toEqual([]);
      expect(records.every((r) => r.provenance.pointer?.startsWith('/') === true)).toBe(true);
      expect(categories).toEqual([c.category]);
    });
  }
});
