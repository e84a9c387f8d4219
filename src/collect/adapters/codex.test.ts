// Tests for the Codex adapter: every public sample rollout, with hand-checked counts, plus edge-case fixtures.
import { describe, expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { claudeCodeAdapter } from './claude-code.ts';
import { codexAdapter } from './codex.ts';
import { buildTestRecord, countByKind, resolveSamplesDir, runAdapterOnFile } from './adapter-test-helper.ts';

const SAMPLES = resolveSamplesDir('codex');
const FIXTURES = join(import.meta.dir, '../../../tests/fixtures/codex');

interface Expected {
  file: string;
  lines: number;
  kinds: Record<string, number>;
  /** function_call / custom_tool_call items. */
  tool_calls: number;
  /** Outputs paired into tool_result evidence. */
  tool_results: number;
  errored: number;
  failure_markers: string[];
  commands: Array<{ command: string; exit_code: number | null }>;
  source_files: string[];
  model: string;
  provider: string | null;
  run_id: string;
  task_type: string;
  human_prompt_start: string;
  branch: string;
  cwd: string;
  oids: string[];
  /** The last token_count's total_token_usage, with cached tokens moved out of input. */
  tokens: { input: number; output: number; cached: number };
}

// Counted by hand and with jq: session_meta, turn_context, token_count, reasoning, agent_* events and
// injected context (AGENTS.md, environment_context, developer) are meta; the event_msg copy of a prompt is meta.
const EXPECTED: Expected[] = [
  {
    file: 'rollout-2026-01-22T10-15-23-019be37c-2706-70c0-8e0e-51985de49079.jsonl',
    lines: 24,
    kinds: { message: 1, meta: 21, model_call: 1, tool_result: 1 },
    tool_calls: 1,
    tool_results: 1,
    errored: 0,
    failure_markers: [],
    commands: [{ command: 'ls', exit_code: 0 }],
    source_files: [],
    model: 'gpt-5.1-codex-max',
    provider: 'openai',
    run_id: 'codex:019be37c-2706-70c0-8e0e-51985de49079',
    // session_meta.source is {"subagent": "review"}.
    task_type: 'subagent_session',
    human_prompt_start: 'base on @kb and official_conf, review the validator',
    branch: 'master',
    cwd: '/Users/mock_user/docker/codeserver2/project/antigravity_tmp/log-query-validator',
    oids: ['8ea135ca1226d40c7ac15cd34444aba4e8e7ebcd'],
    tokens: { input: 29953 - 23680, output: 398, cached: 23680 },
  },
  {
    file: 'rollout-2026-03-13T10-19-05-019ce4fd-8290-7501-afc4-0e9486733614.jsonl',
    lines: 24,
    kinds: { message: 1, meta: 21, model_call: 2 },
    // Truncated after the first exec_command call: its output is not in the file.
    tool_calls: 1,
    tool_results: 0,
    errored: 0,
    failure_markers: [],
    commands: [],
    source_files: [],
    model: 'gpt-5.4',
    provider: 'inf-codex',
    run_id: 'codex:019ce4fd-8290-7501-afc4-0e9486733614',
    task_type: 'coding_session',
    human_prompt_start: 'The apiserver chat/completion stream mode was not work well',
    branch: 'master',
    cwd: '/Users/mock_user/workspace/chat-ui-kit',
    oids: ['085f19648d16f112735ced1ee682cbbfb4aa01ab'],
    tokens: { input: 149594 - 100864, output: 2247, cached: 100864 },
  },
  {
    file: 'test_conversation_codex.jsonl',
    lines: 106,
    kinds: { message: 1, meta: 60, model_call: 27, tool_result: 18 },
    tool_calls: 18,
    tool_results: 18,
    errored: 1,
    // An empty apply patch through the shell: "patch rejected: empty patch", no exit code.
    failure_markers: ['tool_error:shell'],
    commands: [], // checked separately: 14 shell commands
    source_files: ['.python-version', 'README.zh-CN.md', 'README.zh-TW.md', 'go.mod'],
    model: 'aide-gpt-5',
    provider: null,
    run_id: 'codex:01996135-afde-7911-97f0-d863511eca56',
    task_type: 'coding_session',
    human_prompt_start: '# Context from my IDE setup:',
    branch: 'main',
    cwd: '/proj/ds906659/gai/claude-code',
    oids: ['87d292ac346e58c85dc4eef0a8dd13bd02ec0c7f'],
    tokens: { input: 270530 - 136832, output: 12551, cached: 136832 },
  },
];

describe('codex adapter on the public samples', () => {
  for (const expected of EXPECTED) {
    const path = join(SAMPLES, expected.file);

    test(`maps ${expected.file} with the hand-checked counts`, () => {
      const run = runAdapterOnFile(codexAdapter, path);
      const drafts = run.evidence.map((e) => e.draft);
      expect(run.rejections).toEqual([]);
      expect(run.lines).toBe(expected.lines);
      expect(run.evidence.length + run.rejections.length + run.blank).toBe(run.lines);
      expect(countByKind(run)).toEqual(expected.kinds);
      expect(drafts.filter((d) => d.kind === 'model_call').reduce((n, d) => n + d.tool_calls.length, 0)).toBe(expected.tool_calls);
      expect(drafts.filter((d) => d.kind === 'tool_result').reduce((n, d) => n + d.tool_calls.length, 0)).toBe(expected.tool_results);
      expect(drafts.flatMap((d) => d.tool_calls).filter((c) => c.ok === false).length).toBe(expected.errored);
      expect(drafts.flatMap((d) => d.failure_markers)).toEqual(expected.failure_markers);
      expect([...new Set(drafts.flatMap((d) => d.source_files))].sort()).toEqual(expected.source_files);
      expect(new Set(drafts.map((d) => d.run_id))).toEqual(new Set([expected.run_id]));
      expect(new Set(drafts.map((d) => d.task_type))).toEqual(new Set([expected.task_type]));
      expect(new Set(drafts.map((d) => d.task_id))).toEqual(new Set([expected.run_id.slice('codex:'.length)]));
      expect(new Set(drafts.flatMap((d) => (d.model_name === null ? [] : [d.model_name])))).toEqual(new Set([expected.model]));
      const calls = drafts.filter((d) => d.kind === 'model_call');
      expect(calls.every((d) => d.model_name === expected.model && d.model_provider === expected.provider)).toBe(true);
      expect(calls.every((d) => d.model_role === 'executor')).toBe(true);
      expect(drafts.filter((d) => d.kind === 'tool_result').every((d) => d.model_role === 'tool')).toBe(true);
      expect(drafts.every((d) => d.link_hints.branch === expected.branch && d.link_hints.cwd === expected.cwd)).toBe(true);
      expect([...new Set(drafts.flatMap((d) => d.link_hints.oids))]).toEqual(expected.oids);
      // The header names the commit the session started from; no other line claims it.
      expect(drafts[0]?.link_hints.oids).toEqual(expected.oids);
    });

    test(`counts each human prompt of ${expected.file} once`, () => {
      const humans = runAdapterOnFile(codexAdapter, path).evidence.filter((e) => e.draft.model_role === 'human');
      expect(humans.length).toBe(1);
      expect(humans[0]?.draft.kind).toBe('message');
      expect(humans[0]?.draft.input_text?.startsWith(expected.human_prompt_start)).toBe(true);
    });

    test(`sums token_count deltas of ${expected.file} to the session total`, () => {
      const drafts = runAdapterOnFile(codexAdapter, path).evidence.map((e) => e.draft);
      const sum = { input: 0, output: 0, cached: 0 };
      for (const d of drafts) {
        if (d.tokens === null) continue;
        sum.input += d.tokens.input;
        sum.output += d.tokens.output;
        sum.cached += d.tokens.cached;
      }
      expect(sum).toEqual(expected.tokens);
    });

    test(`every draft of ${expected.file} becomes a valid EvidenceRecord`, () => {
      for (const { line, draft } of runAdapterOnFile(codexAdapter, path).evidence) {
        expect(buildTestRecord('codex', draft, line).signals.fatal_tool_error).toBeNull();
      }
    });

    test(`detects ${expected.file} as codex and not as claude-code`, () => {
      const first: unknown = JSON.parse(readFileSync(path, 'utf8').split('\n')[0] ?? '');
      expect(codexAdapter.detect({ path, first })).toBeGreaterThan(0);
      expect(claudeCodeAdapter.detect({ path, first })).toBe(0);
    });
  }

  test('pairs the shell calls of the 0.39 rollout with their exit codes and patched files', () => {
    const drafts = runAdapterOnFile(codexAdapter, join(SAMPLES, 'test_conversation_codex.jsonl')).evidence.map((e) => e.draft);
    const commands = drafts.flatMap((d) => d.commands_run);
    expect(commands.length).toBe(14);
    expect(commands.filter((c) => c.exit_code === 0).length).toBe(13);
    expect(commands[0]).toEqual({ command: 'ls -la', exit_code: 0 });
    const rejected = drafts.find((d) => d.failure_markers.includes('tool_error:shell'));
    expect(rejected?.tool_calls[0]?.error).toBe('patch rejected: empty patch');
    expect(rejected?.commands_run[0]?.exit_code).toBeNull();
    expect(rejected?.source_files).toEqual([]);
    const plans = drafts.filter((d) => d.kind === 'model_call' && d.tool_calls[0]?.name === 'update_plan');
    expect(plans.map((d) => d.tool_calls[0]?.input_summary)).toEqual(['6 steps', '6 steps', '5 steps', '2 steps']);
  });
});

describe('codex adapter on edge-case fixtures', () => {
  test('quarantines lines before the session header, headers without an id and non-objects', () => {
    const run = runAdapterOnFile(codexAdapter, join(FIXTURES, 'malformed-lines.jsonl'));
    expect(run.lines).toBe(9);
    expect(run.blank).toBe(1);
    expect(run.rejections.map((r) => [r.line, r.code, r.reason.split(':')[0]])).toEqual([
      [1, 'missing_field', 'session_meta.payload.id'],
      [2, 'missing_field', 'payload.id'],
      [3, 'not_an_object', 'expected a JSON object, got an array'],
      [5, 'not_an_object', 'expected a JSON object, got null'],
      [7, 'wrong_type', 'payload'],
      [8, 'missing_field', 'payload'],
    ]);
    expect(run.evidence.map((e) => [e.line, e.draft.kind, e.draft.model_role])).toEqual([
      [6, 'meta', 'executor'],
      [9, 'message', 'human'],
    ]);
    expect(run.evidence[1]?.draft.unmapped_fields).toEqual(['extra_field']);
    expect(run.evidence.length + run.rejections.length + run.blank).toBe(run.lines);
  });

  const run = runAdapterOnFile(codexAdapter, join(FIXTURES, 'tool-events.jsonl'));
  const at = (line: number) => {
    const found = run.evidence.find((e) => e.line === line);
    if (found === undefined) throw new Error(`no evidence for line ${line}`);
    return found.draft;
  };

  test('maps every line of the event fixture', () => {
    expect(run.lines).toBe(22);
    expect(run.rejections).toEqual([]);
    expect(countByKind(run)).toEqual({ message: 2, meta: 9, model_call: 5, tool_result: 6 });
  });

  test('keeps the prompt that arrives first and makes its copy meta', () => {
    expect([at(3).kind, at(3).model_role, at(3).input_text]).toEqual(['message', 'human', 'fix the parser and run the tests']);
    expect([at(4).kind, at(4).model_role]).toEqual(['meta', 'executor']);
  });

  test('turns a failing unified-exec test run into a failed validation, and its exec_command_end into meta', () => {
    const d = at(6);
    expect(d.tool_calls).toEqual([
      { name: 'exec_command', call_id: 'call_test1', input_summary: 'npm test', ok: false, error: 'FAIL parser.test.ts' },
    ]);
    expect(d.commands_run).toEqual([{ command: 'npm test', exit_code: 1 }]);
    expect(d.failure_markers).toEqual(['tool_error:exec_command', 'exit_code:1:npm test', 'tests_failed:npm test']);
    expect(d.validation_results).toEqual([{ name: 'tests', passed: false, detail: 'npm test' }]);
    expect(at(7).kind).toBe('meta');
    expect(at(7).commands_run).toEqual([]);
  });

  test('lists the files of a successful apply_patch relative to the session cwd', () => {
    expect(at(8).tool_calls[0]?.input_summary).toBe('patch: src/parser.ts, src/parser.util.ts');
    expect(at(9).kind).toBe('tool_result');
    expect(at(9).source_files).toEqual(['src/parser.ts', 'src/parser.util.ts']);
  });

  test('takes a passing test run from exec_command_end when it comes before the output item', () => {
    const d = at(11);
    expect(d.kind).toBe('tool_result');
    expect(d.tool_calls[0]?.name).toBe('shell_command');
    expect(d.commands_run).toEqual([{ command: 'pytest -q tests/', exit_code: 0 }]);
    expect(d.validation_results).toEqual([{ name: 'tests', passed: true, detail: 'pytest -q tests/' }]);
    expect(d.success_markers).toEqual(['tests_passed:pytest -q tests/']);
    expect(at(12).kind).toBe('meta');
  });

  test('reads the exit code from the 0.4x JSON output and the commit id from git commit', () => {
    expect(at(14).commands_run).toEqual([{ command: "git commit -am 'fix parser'", exit_code: 0 }]);
    expect(at(14).link_hints.oids).toEqual(['4b825dc']);
  });

  test('turns a failed patch_apply_end into a tool error without source files', () => {
    const d = at(15);
    expect(d.tool_calls).toEqual([
      { name: 'apply_patch', call_id: 'call_patch2', input_summary: null, ok: false, error: 'Failed to find expected lines in src/missing.ts' },
    ]);
    expect(d.failure_markers).toEqual(['tool_error:apply_patch']);
    expect(d.source_files).toEqual([]);
  });

  test('keeps an output whose call was never seen, under an unknown tool name', () => {
    expect(at(16).tool_calls).toEqual([{ name: 'unknown', call_id: 'call_never_seen', input_summary: null, ok: true, error: null }]);
  });

  test('turns repeated cumulative token counts into deltas', () => {
    expect([at(17).tokens, at(18).tokens, at(19).tokens]).toEqual([
      { input: 400, output: 50, cached: 600 },
      { input: 0, output: 0, cached: 0 },
      { input: 300, output: 40, cached: 1200 },
    ]);
    expect(at(17).model_name).toBe('gpt-5-codex');
  });

  test('makes the assistant message the model call and its agent_message event meta', () => {
    expect(at(20).kind).toBe('meta');
    expect([at(21).kind, at(21).output_text, at(21).model_provider]).toEqual(['model_call', 'Fixed the parser; tests pass.', 'openai']);
  });

  test('keeps an error event as a failure marker', () => {
    expect([at(22).kind, at(22).failure_markers]).toEqual(['message', ['agent_error:stream disconnected before completion']]);
  });

  test('reads a rollout from before the {timestamp, type, payload} envelope', () => {
    const legacy = runAdapterOnFile(codexAdapter, join(FIXTURES, 'legacy-rollout.jsonl'));
    expect(legacy.rejections).toEqual([]);
    expect(legacy.evidence.map((e) => e.draft.kind)).toEqual([
      'meta',
      'meta',
      'meta',
      'message',
      'model_call',
      'meta',
      'tool_result',
      'model_call',
    ]);
    const drafts = legacy.evidence.map((e) => e.draft);
    expect(new Set(drafts.map((d) => d.run_id))).toEqual(new Set(['codex:5973b6c0-94b8-487b-a530-2aeb6098ae0e']));
    expect(drafts[0]?.link_hints).toEqual({ oids: ['2222222222222222222222222222222222222222'], cwd: null, branch: 'main' });
    // The cwd is only in the injected environment context.
    expect(drafts[6]?.link_hints.cwd).toBe('/work/legacy');
    expect(drafts[6]?.commands_run).toEqual([{ command: 'ls', exit_code: 0 }]);
    expect(drafts.every((d) => d.timestamp === null || d.timestamp === '2025-05-10T09:00:00.000Z')).toBe(true);
    expect(codexAdapter.detect({ path: 'rollout-2025-05-10-x.jsonl', first: JSON.parse(readFileSync(join(FIXTURES, 'legacy-rollout.jsonl'), 'utf8').split('\n')[0] ?? '') })).toBe(80);
  });

  test('detects nothing in a line that is not a Codex rollout', () => {
    expect(codexAdapter.detect({ path: 'x.jsonl', first: { type: 'user', sessionId: 's', uuid: 'u' } })).toBe(0);
    expect(codexAdapter.detect({ path: 'x.jsonl', first: 'text' })).toBe(0);
  });
});
