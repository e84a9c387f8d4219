// Tests for the Claude Code adapter: every public sample transcript, with hand-checked counts, plus edge-case fixtures.
import { describe, expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { claudeCodeAdapter } from './claude-code.ts';
import { codexAdapter } from './codex.ts';
import { buildTestRecord, countByKind, resolveSamplesDir, runAdapterOnFile } from './adapter-test-helper.ts';
import type { AdapterRun } from './adapter-test-helper.ts';

const SAMPLES = resolveSamplesDir('claude-code');
const FIXTURES = join(import.meta.dir, '../../../tests/fixtures/claude-code');

interface Expected {
  file: string;
  lines: number;
  kinds: Record<string, number>;
  /** tool_use blocks on assistant lines. */
  tool_calls: number;
  /** tool_result blocks paired into tool_result evidence. */
  tool_results: number;
  /** Tool results with is_error: true. */
  errored: number;
  failure_markers: Record<string, number>;
  validations: Record<string, number>;
  commands: number;
  source_files: string[];
  models: string[];
  /** Evidence count per run_id. */
  runs: Record<string, number>;
  human: number;
  oids: string[];
  /** Sums over the file; equal to jq's per-message-id maximum of usage, summed. */
  tokens: { input: number; output: number; cached: number };
}

// Counts checked by hand and with jq over the raw files (tool_use / tool_result / is_error blocks,
// Edit|MultiEdit|Write|NotebookEdit paths whose result did not error, usage per message id).
const EXPECTED: Expected[] = [
  {
    file: '5c0375b4-57a5-4f26-b12d-d022ee4e51b7.jsonl',
    lines: 53,
    kinds: { message: 3, meta: 1, model_call: 28, tool_result: 21 },
    tool_calls: 21,
    tool_results: 21,
    errored: 3,
    failure_markers: { 'tool_error:Bash': 1, 'tool_error:Edit': 1, 'tool_error:Task': 1 },
    validations: {},
    commands: 5,
    source_files: ['CLAUDE.md'],
    models: ['claude-sonnet-4-20250514'],
    runs: {
      'claude-code:5c0375b4-57a5-4f26-b12d-d022ee4e51b7': 31,
      'claude-code:5c0375b4-57a5-4f26-b12d-d022ee4e51b7:sidechain-6340ddef-f656-4b72-a065-82390f637678': 7,
      'claude-code:5c0375b4-57a5-4f26-b12d-d022ee4e51b7:sidechain-83e2917c-8940-4df6-a5a5-f2514f0d08c5': 15,
    },
    human: 1,
    oids: [],
    tokens: { input: 47876, output: 3629, cached: 324259 },
  },
  {
    file: 'b98095d7-b7ee-4d23-9d4c-beb9725d1dc5.jsonl',
    lines: 24,
    kinds: { message: 2, meta: 7, model_call: 9, tool_result: 6 },
    tool_calls: 6,
    tool_results: 6,
    errored: 0,
    failure_markers: {},
    validations: {},
    commands: 5,
    source_files: [],
    models: ['claude-opus-4-6'],
    runs: { 'claude-code:b98095d7-b7ee-4d23-9d4c-beb9725d1dc5': 24 },
    human: 2,
    oids: [],
    tokens: { input: 19222, output: 2250, cached: 127598 },
  },
  {
    file: 'ba79134d-b6e9-4867-af0c-6941038c9e4b.jsonl',
    lines: 76,
    kinds: { message: 6, model_call: 40, tool_result: 30 },
    tool_calls: 30,
    tool_results: 30,
    errored: 0,
    failure_markers: {},
    validations: {},
    commands: 6,
    source_files: ['CLAUDE.md', 'ai_music.py', 'requirements.txt'],
    models: ['claude-sonnet-4-20250514'],
    runs: { 'claude-code:ba79134d-b6e9-4867-af0c-6941038c9e4b': 76 },
    human: 6,
    oids: [],
    tokens: { input: 16163, output: 2266, cached: 503769 },
  },
  {
    file: 'cc1df109-4282-4321-8248-8bbcd471da78.jsonl',
    lines: 28,
    kinds: { message: 1, meta: 7, model_call: 12, tool_result: 8 },
    // Truncated by the repo author: two Agent calls never got their results.
    tool_calls: 10,
    tool_results: 8,
    errored: 0,
    failure_markers: {},
    validations: {},
    commands: 0,
    source_files: [],
    models: ['claude-opus-4-6'],
    runs: { 'claude-code:cc1df109-4282-4321-8248-8bbcd471da78': 28 },
    human: 1,
    oids: [],
    tokens: { input: 49483, output: 1488, cached: 80668 },
  },
  {
    file: 'cc1df109-4282-4321-8248-8bbcd471da78/subagents/agent-a0a2928875cb36a92.jsonl',
    lines: 28,
    kinds: { message: 1, meta: 1, model_call: 14, tool_result: 12 },
    tool_calls: 13,
    tool_results: 12,
    errored: 0,
    failure_markers: {},
    validations: {},
    commands: 0,
    source_files: [],
    models: ['claude-haiku-4-5-20251001'],
    runs: { 'claude-code:cc1df109-4282-4321-8248-8bbcd471da78:agent-a0a2928875cb36a92': 28 },
    human: 0,
    oids: [],
    tokens: { input: 66063, output: 1368, cached: 0 },
  },
  {
    file: 'd3ad4cdc-5657-435d-98fa-0035d53e383d.jsonl',
    lines: 137,
    kinds: { message: 5, meta: 1, model_call: 73, tool_result: 58 },
    tool_calls: 59,
    tool_results: 58,
    errored: 4,
    failure_markers: { 'tool_error:Bash': 3, 'tool_error:Edit': 1 },
    validations: {},
    commands: 11,
    source_files: [
      'ai_music_notebook.ipynb',
      'diverse_musical_ai.py',
      'model_comparison.py',
      'musical_ai_music.py',
      'musical_notebook.ipynb',
      'radical_musical_ai.py',
      'requirements.txt',
      'test_diverse_simple.py',
      'test_no_church.py',
    ],
    models: ['claude-sonnet-4-20250514'],
    runs: { 'claude-code:d3ad4cdc-5657-435d-98fa-0035d53e383d': 137 },
    human: 5,
    oids: [],
    tokens: { input: 174666, output: 16769, cached: 3754072 },
  },
  {
    file: 'fe5e1c67-53e7-4862-81ae-d0e013e3270b.jsonl',
    lines: 438,
    kinds: { message: 7, meta: 2, model_call: 262, tool_result: 167 },
    tool_calls: 167,
    tool_results: 167,
    errored: 23,
    failure_markers: {
      'build_failed:npm run build': 4,
      'tool_error:Bash': 9,
      'tool_error:Edit': 6,
      'tool_error:MultiEdit': 2,
      'tool_error:Read': 1,
      'tool_error:Write': 5,
      'typecheck_failed:cd /path/to/Demo/todo-app && npx tsc --noEmit --skipLibCheck': 1,
    },
    validations: { 'build:failed': 4, 'typecheck:failed': 1, 'typecheck:passed': 2 },
    // 61 Bash calls; the 5 BashOutput polls saw only running shells, so they add no command.
    commands: 61,
    source_files: [
      'CLAUDE.md',
      'components/AddTodo.tsx',
      'components/Filter.tsx',
      'components/TodoItem.tsx',
      'components/TodoList.tsx',
      'components/index.ts',
      'todo-app/src/app/page.tsx',
      'todo-app/src/components/AddTodoForm.tsx',
      'todo-app/src/components/Filter.tsx',
      'todo-app/src/components/TodoApp.tsx',
      'todo-app/src/components/TodoItem.tsx',
      'todo-app/src/components/TodoList.tsx',
      'todo-app/src/hooks/README.md',
      'todo-app/src/hooks/index.ts',
      'todo-app/src/hooks/useSimpleTodos.ts',
      'todo-app/src/hooks/useTodos.test.ts',
      'todo-app/src/hooks/useTodos.ts',
      'todo-app/src/lib/utils.ts',
      'todo-app/src/types/index.ts',
      'types/actions.ts',
      'types/filters.ts',
      'types/index.ts',
      'types/react.ts',
      'types/state.ts',
      'types/todo.ts',
      'types/utils.ts',
    ],
    models: ['claude-sonnet-4-20250514'],
    runs: {
      'claude-code:fe5e1c67-53e7-4862-81ae-d0e013e3270b': 33,
      'claude-code:fe5e1c67-53e7-4862-81ae-d0e013e3270b:sidechain-0d692b0f-17cb-4fd0-94fb-215dabcef803': 65,
      'claude-code:fe5e1c67-53e7-4862-81ae-d0e013e3270b:sidechain-60dade70-20bb-4edb-9dad-9f08267e0cc2': 86,
      'claude-code:fe5e1c67-53e7-4862-81ae-d0e013e3270b:sidechain-6690d10e-f521-4ac0-800d-e5eb7a2d8072': 21,
      'claude-code:fe5e1c67-53e7-4862-81ae-d0e013e3270b:sidechain-f4546a51-ea10-47e0-b4e0-76802974f8a9': 98,
      'claude-code:fe5e1c67-53e7-4862-81ae-d0e013e3270b:sidechain-f4ab2bf6-d642-431a-85cb-66691f24c404': 135,
    },
    human: 2,
    oids: [],
    tokens: { input: 138794, output: 51933, cached: 3647854 },
  },
  {
    file: 'fed8ce56-bc79-401f-a83e-af084253362f.jsonl',
    lines: 21,
    kinds: { message: 3, meta: 1, model_call: 10, tool_result: 7 },
    tool_calls: 7,
    tool_results: 7,
    errored: 2,
    // Both errors are the user declining `git commit` / `git push`, not tool failures.
    failure_markers: { 'tool_rejected_by_user:Bash': 2 },
    validations: {},
    commands: 5,
    source_files: [],
    models: ['claude-sonnet-4-20250514'],
    runs: { 'claude-code:fed8ce56-bc79-401f-a83e-af084253362f': 21 },
    human: 3,
    oids: ['5c1b231'],
    tokens: { input: 16088, output: 278, cached: 44544 },
  },
  {
    file: 'test_conversation_claude_code.jsonl',
    lines: 84,
    kinds: { message: 8, meta: 5, model_call: 41, tool_result: 30 },
    tool_calls: 30,
    // 31 tool_result blocks in the file; one is the resumed session replaying line 48 (same uuid).
    tool_results: 30,
    errored: 2,
    failure_markers: { 'tool_rejected_by_user:Edit': 1, 'tool_rejected_by_user:mcp__context7__resolve-library-id': 1 },
    validations: {},
    commands: 1,
    source_files: ['.python-version', 'Pydantic_Field_Usage_Guide.md', 'go.mod', '版本需求說明-繁體中文.md', '版本需求说明-简体中文.md'],
    models: ['claude-sonnet-4-20250514'],
    runs: {
      'claude-code:b162b1ae-97bc-475f-9b5f-ffbf55ca5b3f': 36,
      'claude-code:e9f146fa-3b20-48d0-9be4-d99ca901cae4': 48,
    },
    human: 8,
    oids: [],
    tokens: { input: 99162, output: 3860, cached: 1093509 },
  },
];

function tally(items: readonly string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const item of [...items].sort()) counts[item] = (counts[item] ?? 0) + 1;
  return counts;
}

function summarize(run: AdapterRun): Omit<Expected, 'file'> {
  const drafts = run.evidence.map((e) => e.draft);
  const sumTokens = { input: 0, output: 0, cached: 0 };
  for (const d of drafts) {
    if (d.tokens === null) continue;
    sumTokens.input += d.tokens.input;
    sumTokens.output += d.tokens.output;
    sumTokens.cached += d.tokens.cached;
  }
  return {
    lines: run.lines,
    kinds: countByKind(run),
    tool_calls: drafts.filter((d) => d.kind === 'model_call').reduce((n, d) => n + d.tool_calls.length, 0),
    tool_results: drafts.filter((d) => d.kind === 'tool_result').reduce((n, d) => n + d.tool_calls.length, 0),
    errored: drafts.flatMap((d) => d.tool_calls).filter((c) => c.ok === false).length,
    failure_markers: tally(drafts.flatMap((d) => d.failure_markers)),
    validations: tally(drafts.flatMap((d) => d.validation_results).map((v) => `${v.name}:${v.passed ? 'passed' : 'failed'}`)),
    commands: drafts.flatMap((d) => d.commands_run).length,
    source_files: [...new Set(drafts.flatMap((d) => d.source_files))].sort(),
    models: [...new Set(drafts.flatMap((d) => (d.model_name === null ? [] : [d.model_name])))].sort(),
    runs: tally(drafts.map((d) => d.run_id)),
    human: drafts.filter((d) => d.model_role === 'human').length,
    oids: [...new Set(drafts.flatMap((d) => d.link_hints.oids))].sort(),
    tokens: sumTokens,
  };
}

describe('claude-code adapter on the public samples', () => {
  for (const expected of EXPECTED) {
    const { file, ...numbers } = expected;
    test(`maps ${file} with the hand-checked counts`, () => {
      const run = runAdapterOnFile(claudeCodeAdapter, join(SAMPLES, file));
      expect(run.rejections).toEqual([]);
      expect(run.blank).toBe(0);
      expect(run.evidence.length + run.rejections.length + run.blank).toBe(run.lines);
      expect(summarize(run)).toEqual(numbers);
    });

    test(`every draft of ${file} becomes a valid EvidenceRecord`, () => {
      const run = runAdapterOnFile(claudeCodeAdapter, join(SAMPLES, file));
      for (const { line, draft } of run.evidence) {
        const record = buildTestRecord('claude-code', draft, line);
        expect(record.model_provider === null || record.model_provider === 'anthropic').toBe(true);
        expect(record.signals.fatal_tool_error).toBeNull();
      }
    });

    test(`detects ${file} as claude-code and not as codex`, () => {
      const first: unknown = JSON.parse(readFileSync(join(SAMPLES, file), 'utf8').split('\n')[0] ?? '');
      const probe = { path: join(SAMPLES, file), first };
      expect(claudeCodeAdapter.detect(probe)).toBeGreaterThan(0);
      expect(codexAdapter.detect(probe)).toBe(0);
    });
  }

  test('gives a sidechain file its own run, joined to the parent session by task_id', () => {
    const run = runAdapterOnFile(claudeCodeAdapter, join(SAMPLES, EXPECTED[4]?.file ?? ''));
    const drafts = run.evidence.map((e) => e.draft);
    expect(new Set(drafts.map((d) => d.task_id))).toEqual(new Set(['cc1df109-4282-4321-8248-8bbcd471da78']));
    expect(new Set(drafts.map((d) => d.task_type))).toEqual(new Set(['subagent_session']));
    // The lead agent wrote the prompt: it is not a human turn.
    expect(drafts[0]?.kind).toBe('message');
    expect(drafts[0]?.model_role).toBe('executor');
    expect(drafts.filter((d) => d.kind === 'model_call').every((d) => d.model_role === 'executor')).toBe(true);
  });

  test('places a file-history-snapshot before any sessionId in the session named by the file', () => {
    const run = runAdapterOnFile(claudeCodeAdapter, join(SAMPLES, 'cc1df109-4282-4321-8248-8bbcd471da78.jsonl'));
    const first = run.evidence[0];
    expect(first?.line).toBe(1);
    expect(first?.draft.kind).toBe('meta');
    expect(first?.draft.run_id).toBe('claude-code:cc1df109-4282-4321-8248-8bbcd471da78');
  });

  test('names the commit that git commit made and git push pushed, on those tool_results', () => {
    const run = runAdapterOnFile(claudeCodeAdapter, join(SAMPLES, 'fed8ce56-bc79-401f-a83e-af084253362f.jsonl'));
    const withOid = run.evidence.filter((e) => e.draft.link_hints.oids.length > 0);
    // Line 19: "[main 5c1b231] Add AI music ..."; line 20: "6eea407..5c1b231  main -> main" (the old side is not named).
    expect(withOid.map((e) => [e.line, e.draft.kind, e.draft.link_hints.oids])).toEqual([
      [19, 'tool_result', ['5c1b231']],
      [20, 'tool_result', ['5c1b231']],
    ]);
    expect(withOid.map((e) => (e.draft.commands_run[0]?.command ?? '').slice(0, 13))).toEqual(['git commit -m', 'git push orig']);
    expect(withOid.map((e) => e.draft.commands_run[0]?.exit_code)).toEqual([0, 0]);
  });

  test('keeps cwd and gitBranch as link hints, and the real prompts as human input', () => {
    const run = runAdapterOnFile(claudeCodeAdapter, join(SAMPLES, 'ba79134d-b6e9-4867-af0c-6941038c9e4b.jsonl'));
    const humans = run.evidence.filter((e) => e.draft.model_role === 'human').map((e) => e.draft);
    expect(humans[1]?.input_text).toBe('ok, now write the program using the instruction in README.md');
    expect(humans.every((d) => d.link_hints.cwd === '/Users/chip/dev/ai-music' && d.link_hints.branch === null)).toBe(true);
    const b98 = runAdapterOnFile(claudeCodeAdapter, join(SAMPLES, 'b98095d7-b7ee-4d23-9d4c-beb9725d1dc5.jsonl'));
    expect(b98.evidence[1]?.draft.link_hints).toEqual({ oids: [], cwd: '/Users/mock_user/workspace/chat-ui-kit', branch: 'master' });
  });

  test('records an errored Bash result with its first output line and no invented exit code', () => {
    const run = runAdapterOnFile(claudeCodeAdapter, join(SAMPLES, 'd3ad4cdc-5657-435d-98fa-0035d53e383d.jsonl'));
    const failed = run.evidence.map((e) => e.draft).filter((d) => d.failure_markers.includes('tool_error:Bash'));
    expect(failed.length).toBe(3);
    for (const d of failed) {
      expect(d.tool_calls[0]?.ok).toBe(false);
      expect((d.tool_calls[0]?.error ?? '').length).toBeGreaterThan(0);
      expect(d.commands_run[0]?.exit_code).toBeNull();
    }
  });
});

describe('claude-code adapter on edge-case fixtures', () => {
  test('quarantines non-objects and lines without their session, and still reconciles the count', () => {
    const run = runAdapterOnFile(claudeCodeAdapter, join(FIXTURES, 'malformed-lines.jsonl'));
    expect(run.lines).toBe(10);
    expect(run.blank).toBe(1);
    expect(run.rejections.map((r) => [r.line, r.code])).toEqual([
      [1, 'missing_field'],
      [2, 'not_an_object'],
      [3, 'not_an_object'],
      [5, 'missing_field'],
      [8, 'wrong_type'],
      [9, 'missing_field'],
    ]);
    expect(run.rejections[0]?.reason).toStartWith('sessionId:');
    expect(run.rejections[3]?.reason).toStartWith('sessionId:');
    expect(run.rejections[4]?.reason).toStartWith('message:');
    expect(run.rejections[5]?.reason).toStartWith('type:');
    expect(run.evidence.map((e) => [e.line, e.draft.kind])).toEqual([
      [6, 'message'],
      [7, 'meta'],
      [10, 'meta'],
    ]);
    expect(run.evidence.length + run.rejections.length + run.blank).toBe(run.lines);
  });

  test('normalizes an offset timestamp to UTC and reports unknown fields', () => {
    const run = runAdapterOnFile(claudeCodeAdapter, join(FIXTURES, 'malformed-lines.jsonl'));
    expect(run.evidence[0]?.draft.timestamp).toBe('2026-02-01T08:00:01.000Z');
    expect(run.evidence[2]?.draft.unmapped_fields).toEqual(['operation']);
  });

  const toolRun = runAdapterOnFile(claudeCodeAdapter, join(FIXTURES, 'tool-results.jsonl'));
  const at = (line: number) => {
    const found = toolRun.evidence.find((e) => e.line === line);
    if (found === undefined) throw new Error(`no evidence for line ${line}`);
    return found.draft;
  };

  test('maps every line of the tool fixture', () => {
    expect(toolRun.lines).toBe(17);
    expect(toolRun.rejections).toEqual([]);
    expect(countByKind(toolRun)).toEqual({ message: 3, meta: 2, model_call: 6, tool_result: 6 });
  });

  test('turns a failing test command into a failed validation with its exit code', () => {
    const d = at(4);
    expect(d.kind).toBe('tool_result');
    expect(d.model_role).toBe('tool');
    expect(d.tool_calls).toEqual([
      { name: 'Bash', call_id: 'toolu_test1', input_summary: 'cd /work/app && npm test', ok: false, error: 'Exit code 1' },
    ]);
    expect(d.commands_run).toEqual([{ command: 'cd /work/app && npm test', exit_code: 1 }]);
    expect(d.failure_markers).toEqual([
      'tool_error:Bash',
      'exit_code:1:cd /work/app && npm test',
      'tests_failed:cd /work/app && npm test',
    ]);
    expect(d.validation_results).toEqual([{ name: 'tests', passed: false, detail: 'cd /work/app && npm test' }]);
  });

  test('turns a passing test command into a passed validation and a success marker', () => {
    const d = at(8);
    expect(d.commands_run).toEqual([{ command: 'CI=1 bun test src/', exit_code: 0 }]);
    expect(d.validation_results).toEqual([{ name: 'tests', passed: true, detail: 'CI=1 bun test src/' }]);
    expect(d.success_markers).toEqual(['tests_passed:CI=1 bun test src/']);
    expect(d.failure_markers).toEqual([]);
  });

  test('lists only the files whose edit succeeded, relative to the session cwd when inside it', () => {
    const d = at(6);
    expect(d.source_files).toEqual(['src/sum.ts', '/elsewhere/notes.md']);
    expect(d.tool_calls.map((c) => [c.name, c.ok])).toEqual([
      ['Edit', true],
      ['Write', true],
      ['Edit', false],
    ]);
    expect(d.tool_calls[2]?.error).toBe('String to replace not found in file.');
    expect(d.failure_markers).toEqual(['tool_error:Edit']);
  });

  test('counts the usage of a message split over several lines once', () => {
    expect(at(2).tokens).toEqual({ input: 110, output: 5, cached: 1000 });
    expect(at(3).tokens).toEqual({ input: 0, output: 35, cached: 0 });
    expect(at(3).output_text).toBe('Running the tests.');
    expect(at(3).model_provider).toBe('anthropic');
  });

  test('takes the commit id from git commit output as an oid hint', () => {
    expect(at(10).link_hints).toEqual({ oids: ['9fceb02'], cwd: '/work/app', branch: 'feature/x' });
  });

  test('keeps a tool_result whose tool_use was never seen, under an unknown tool name', () => {
    expect(at(11).tool_calls).toEqual([
      { name: 'unknown', call_id: 'toolu_never_seen', input_summary: null, ok: true, error: null },
    ]);
    expect(at(11).output_text).toBe('orphan output');
  });

  test('marks a tool call the user declined as rejected by the user, with no command run', () => {
    expect(at(13).failure_markers).toEqual(['tool_rejected_by_user:Bash']);
    expect(at(13).commands_run).toEqual([]);
  });

  test('treats injected, synthetic and system-error lines for what they are', () => {
    expect([at(14).kind, at(14).model_role]).toEqual(['meta', 'executor']);
    expect([at(15).kind, at(15).model_name, at(15).failure_markers]).toEqual(['message', null, ['api_error']]);
    expect([at(16).kind, at(16).failure_markers]).toEqual(['message', ['system_error:api_error']]);
  });

  test('keeps a line a resumed session replays as meta under the new session', () => {
    const d = at(17);
    expect(d.kind).toBe('meta');
    expect(d.run_id).toBe('claude-code:33333333-3333-4333-8333-333333333333');
    expect(d.tool_calls).toEqual([]);
    expect(d.link_hints.oids).toEqual([]);
  });

  test('puts every line of a subagents/agent-<id>.jsonl file in the agent run, even without agentId', () => {
    const run = runAdapterOnFile(
      claudeCodeAdapter,
      join(FIXTURES, '44444444-4444-4444-8444-444444444444/subagents/agent-b1234.jsonl'),
    );
    expect(run.rejections).toEqual([]);
    expect(new Set(run.evidence.map((e) => e.draft.run_id))).toEqual(
      new Set(['claude-code:44444444-4444-4444-8444-444444444444:agent-b1234']),
    );
    expect(run.evidence.map((e) => [e.draft.kind, e.draft.model_role])).toEqual([
      ['meta', 'executor'],
      ['message', 'executor'],
      ['model_call', 'executor'],
      ['tool_result', 'tool'],
      ['model_call', 'executor'],
    ]);
    expect(run.evidence[3]?.draft.tool_calls[0]?.input_summary).toBe('parseConfig in /work/app/src');
    expect(run.evidence.every((e) => e.draft.task_id === '44444444-4444-4444-8444-444444444444')).toBe(true);
  });

  test('detects nothing in a line that is not Claude Code', () => {
    expect(claudeCodeAdapter.detect({ path: 'x.jsonl', first: [1] })).toBe(0);
    expect(claudeCodeAdapter.detect({ path: 'x.jsonl', first: { type: 'user', id: 'x', content: [] } })).toBe(0);
    expect(
      claudeCodeAdapter.detect({ path: 'session.jsonl', first: { sessionId: 'abc', projectHash: 'x', kind: 'main' } }),
    ).toBe(0);
  });
});
