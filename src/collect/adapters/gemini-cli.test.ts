// Tests for the Gemini CLI adapters: both public sessions (JSON and JSONL) with hand-checked counts, fixtures, detection.
import { describe, expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Adapter } from '../adapter.ts';
import { buildTestRecord, countByKind, resolveSamplesDir, runAdapterOnFile, runJsonAdapter, type JsonRun, collectAndScore, countKinds as kinds, sumTokens, listFilesRecursive } from './adapter-test-helper.ts';
import { geminiCliAdapter, geminiCliJsonlAdapter } from './gemini-cli.ts';

const SAMPLES = resolveSamplesDir('gemini-cli');
const FIXTURES = join(import.meta.dir, '../../../tests/fixtures/gemini-cli');






describe('gemini-cli adapter on the legacy JSON session', () => {
  const path = join(SAMPLES, 'test_conversation_gemini.json');
  const run = (): JsonRun => runJsonAdapter(geminiCliAdapter, path);

  test('splits the header, 4 messages and 7 tool calls and maps each one', () => {
    const r = run();
    const drafts = r.evidence.map((e) => e.draft);
    expect(r.rejections).toEqual([]);
    expect(r.items).toBe(12);
    expect(r.evidence.map((e) => e.pointer).slice(0, 6)).toEqual([
      '',
      '/messages/0',
      '/messages/1',
      '/messages/1/toolCalls/0',
      '/messages/1/toolCalls/1',
      '/messages/1/toolCalls/2',
    ]);
    expect(kinds(drafts)).toEqual({ message: 1, meta: 1, model_call: 3, tool_result: 7 });
    expect(new Set(drafts.map((d) => d.run_id))).toEqual(new Set(['gemini-cli:8a20078e-2d5e-4f81-a640-9b879bbb7e6d']));
    expect(new Set(drafts.map((d) => d.task_type))).toEqual(new Set(['coding_session']));
  });

  test('lists the requested calls on model turns and their results on tool_result items', () => {
    const drafts = run().evidence.map((e) => e.draft);
    const calls = drafts.filter((d) => d.kind === 'model_call');
    expect(calls.map((d) => d.tool_calls.length)).toEqual([3, 4, 0]);
    expect(calls.flatMap((d) => d.tool_calls).every((c) => c.ok === null)).toBe(true);
    expect(calls.every((d) => d.model_name === 'gemini-3.1-pro-preview-customtools' && d.model_provider === 'google')).toBe(true);
    const results = drafts.filter((d) => d.kind === 'tool_result');
    expect(results.map((d) => [d.tool_calls[0]?.name, d.tool_calls[0]?.call_id, d.tool_calls[0]?.ok])).toEqual([
      ['read_file', 'x0m3mt27', true],
      ['read_file', 'rqzc29g2', true],
      ['read_file', 'l2as7v57', true],
      ['write_file', 'reowrf4k', true],
      ['write_file', 'vq4402cf', true],
      ['write_file', 'xa5yqj1z', true],
      ['write_file', 'emugd1qz', true],
    ]);
    expect(results.every((d) => d.model_role === 'tool' && d.output_text !== null)).toBe(true);
    expect([...new Set(drafts.flatMap((d) => d.source_files))].sort()).toEqual(['CONTRIBUTING.md', 'README.md', 'README.zh-CN.md', 'README.zh-TW.md']);
    expect(drafts.flatMap((d) => d.failure_markers)).toEqual([]);
  });

  test('sums the model turns\' tokens with the cached part out of input and thoughts in output', () => {
    // jq: input - cached + tool, output + thoughts, cached, over the three gemini messages.
    expect(sumTokens(run().evidence.map((e) => e.draft))).toEqual({ input: 36522, output: 20941, cached: 39826 });
  });

  test('records the one human prompt and no outcome signal', () => {
    const drafts = run().evidence.map((e) => e.draft);
    const humans = drafts.filter((d) => d.model_role === 'human');
    expect(humans.length).toBe(1);
    expect(humans[0]?.input_text?.startsWith('請幫我依照專案實際狀況更新 README.md')).toBe(true);
    expect(drafts.every((d) => d.signals.exit_status === null && d.signals.run_ok === null)).toBe(true);
    expect(drafts.flatMap((d) => d.validation_results)).toEqual([]);
  });

  test('every draft becomes a valid EvidenceRecord', () => {
    run().evidence.forEach(({ draft }, i) => expect(buildTestRecord('gemini-cli', draft, i + 1).kind).toBe(draft.kind));
  });
});

describe('gemini-cli-jsonl adapter on the JSONL session', () => {
  const path = join(SAMPLES, 'test_conversation_gemini.jsonl');

  test('maps the 28 lines: one model call per message id, tool results from its rewrite', () => {
    const r = runAdapterOnFile(geminiCliJsonlAdapter, path);
    const drafts = r.evidence.map((e) => e.draft);
    expect(r.rejections).toEqual([]);
    expect(r.lines).toBe(28);
    expect(r.evidence.length).toBe(28);
    expect(countByKind(r)).toEqual({ message: 3, meta: 14, model_call: 6, tool_result: 5 });
    expect(r.evidence.filter((e) => e.draft.kind === 'tool_result').map((e) => e.line)).toEqual([8, 11, 14, 17, 26]);
    const results = drafts.filter((d) => d.kind === 'tool_result');
    expect(results.map((d) => d.tool_calls.length)).toEqual([5, 3, 1, 1, 2]);
    expect(results.flatMap((d) => d.tool_calls).every((c) => c.ok === true)).toBe(true);
    // The 12 distinct tool call ids of the file, each reported once.
    expect(new Set(results.flatMap((d) => d.tool_calls.map((c) => c.call_id))).size).toBe(12);
    expect(results.every((d) => d.model_name === null && d.tokens === null)).toBe(true);
    expect(new Set(drafts.map((d) => d.run_id))).toEqual(new Set(['gemini-cli:0ab84937-9fe7-4284-986a-33c832af0b6a']));
    expect([...new Set(drafts.flatMap((d) => d.source_files))]).toEqual(['GEMINI.md']);
    expect(drafts.flatMap((d) => d.failure_markers)).toEqual([]);
  });

  test('names the model of each turn: flash for the /init turns, pro after the switch', () => {
    const calls = runAdapterOnFile(geminiCliJsonlAdapter, path).evidence.filter((e) => e.draft.kind === 'model_call');
    expect(calls.map((e) => [e.line, e.draft.model_name])).toEqual([
      [6, 'gemini-3-flash-preview'],
      [9, 'gemini-3-flash-preview'],
      [12, 'gemini-3-flash-preview'],
      [15, 'gemini-3-flash-preview'],
      [20, 'gemini-3-flash-preview'],
      [24, 'gemini-3.1-pro-preview'],
    ]);
  });

  test('counts the tokens of a rewritten message once', () => {
    // jq over the distinct gemini message ids: input - cached + tool, output + thoughts, cached.
    expect(sumTokens(runAdapterOnFile(geminiCliJsonlAdapter, path).evidence.map((e) => e.draft))).toEqual({
      input: 153635,
      output: 4293,
      cached: 48951,
    });
  });

  test('keeps the three user turns as human messages and the info lines as meta', () => {
    const r = runAdapterOnFile(geminiCliJsonlAdapter, path);
    expect(r.evidence.filter((e) => e.draft.model_role === 'human').map((e) => e.line)).toEqual([4, 18, 22]);
    expect(r.evidence.find((e) => e.line === 27)?.draft).toMatchObject({ kind: 'meta', output_text: 'Request cancelled.' });
  });

  test('every draft becomes a valid EvidenceRecord', () => {
    for (const { line, draft } of runAdapterOnFile(geminiCliJsonlAdapter, path).evidence) {
      expect(buildTestRecord('gemini-cli-jsonl', draft, line).run_id).toBe(draft.run_id);
    }
  });
});

describe('gemini-cli adapters on edge-case fixtures', () => {
  test('fails a non-zero shell exit, an errored edit and a cancelled write; keeps the successful write', () => {
    const r = runJsonAdapter(geminiCliAdapter, join(FIXTURES, 'session-outcomes.json'));
    expect(r.items).toBe(10);
    expect(r.rejections.map((x) => [x.pointer, x.code, x.reason.split(':')[0]])).toEqual([
      ['/messages/2', 'not_an_object', 'expected a message object, got string'],
      ['/messages/4', 'missing_field', 'type'],
    ]);
    expect(r.evidence.length + r.rejections.length).toBe(r.items);
    const byPointer = new Map(r.evidence.map((e) => [e.pointer, e.draft]));
    const shell = byPointer.get('/messages/1/toolCalls/0');
    expect(shell?.tool_calls[0]).toMatchObject({ name: 'run_shell_command', ok: false, error: 'exit code 1' });
    expect(shell?.commands_run).toEqual([{ command: 'npm test', exit_code: 1 }]);
    expect(shell?.validation_results).toEqual([{ name: 'tests', passed: false, detail: 'npm test' }]);
    expect(shell?.failure_markers).toEqual(['tool_error:run_shell_command', 'exit_code:1:npm test', 'tests_failed:npm test']);
    expect(byPointer.get('/messages/1/toolCalls/1')?.tool_calls[0]).toMatchObject({
      name: 'replace',
      ok: false,
      error: 'Failed to edit, 0 occurrences found for old_string in /home/dev/project/src/a.ts.',
    });
    expect(byPointer.get('/messages/1/toolCalls/1')?.source_files).toEqual([]);
    expect(byPointer.get('/messages/1/toolCalls/2')?.tool_calls[0]).toMatchObject({ name: 'write_file', ok: false, error: 'cancelled' });
    expect(byPointer.get('/messages/1/toolCalls/2')?.failure_markers).toEqual(['tool_cancelled:write_file']);
    // directories[0] is the project root: written paths become relative to it.
    expect(byPointer.get('/messages/1/toolCalls/3')?.source_files).toEqual(['src/c.ts']);
    expect(byPointer.get('/messages/1')?.tokens).toEqual({ input: 700, output: 150, cached: 300 });
    expect(byPointer.get('/messages/3')).toMatchObject({ kind: 'message', failure_markers: ['agent_error:[API Error: quota exceeded]'] });
    expect(r.evidence.every((e) => e.draft.link_hints.cwd === '/home/dev/project')).toBe(true);
    r.evidence.forEach(({ draft }, i) => expect(buildTestRecord('gemini-cli', draft, i + 1).kind).toBe(draft.kind));
  });

  test('quarantines a session without sessionId, naming the field on every item', () => {
    const r = runJsonAdapter(geminiCliAdapter, join(FIXTURES, 'session-missing-id.json'));
    expect(r.evidence).toEqual([]);
    expect(r.rejections.map((x) => [x.pointer, x.code, x.reason.split(':')[0]])).toEqual([
      ['', 'missing_field', 'sessionId'],
      ['/messages/0', 'missing_field', 'sessionId'],
    ]);
  });

  test('refuses a document without a messages array', () => {
    expect(geminiCliAdapter.split?.({ sessionId: 'x' })).toEqual({ ok: false, reason: 'messages: a Gemini CLI session holds its messages in an array' });
    expect(geminiCliAdapter.split?.([1])).toEqual({ ok: false, reason: 'a Gemini CLI session is a JSON object, got an array' });
  });

  test('reports a rewritten tool call once, when it finishes, and quarantines lines before the header', () => {
    const r = runAdapterOnFile(geminiCliJsonlAdapter, join(FIXTURES, 'session-rewrites.jsonl'));
    expect(r.rejections.map((x) => [x.line, x.code, x.reason.split(':')[0]])).toEqual([
      [1, 'missing_field', 'sessionId'],
      [10, 'not_an_object', 'expected a JSON object, got an array'],
      [11, 'wrong_type', '$set'],
    ]);
    expect(r.evidence.map((e) => [e.line, e.draft.kind])).toEqual([
      [2, 'meta'],
      [3, 'message'],
      [4, 'meta'],
      [5, 'model_call'],
      [6, 'meta'],
      [7, 'tool_result'],
      [8, 'meta'],
      [9, 'meta'],
      [12, 'meta'],
    ]);
    const result = r.evidence.find((e) => e.line === 7)?.draft;
    expect(result?.tool_calls).toEqual([{ name: 'run_shell_command', call_id: 's1', input_summary: 'git commit -am fix', ok: true, error: null }]);
    expect(result?.commands_run).toEqual([{ command: 'git commit -am fix', exit_code: 0 }]);
    // The commit line follows the tool's "Output: " prefix.
    expect(result?.link_hints.oids).toEqual(['9f8e7d6']);
    expect(r.evidence.find((e) => e.line === 5)?.draft.tokens).toEqual({ input: 400, output: 30, cached: 100 });
    expect(sumTokens(r.evidence.map((e) => e.draft))).toEqual({ input: 400, output: 30, cached: 100 });
    expect(r.evidence.find((e) => e.line === 9)?.draft.observer_notes).toBe('the conversation was rewound to message u1');
    expect(r.evidence.every((e) => e.draft.task_type === 'subagent_session' && e.draft.link_hints.cwd === '/repo')).toBe(true);
  });
});

describe('gemini-cli detection over every public sample', () => {
  const root = join(SAMPLES, '..');
  const firstValue = (path: string): unknown => {
    const text = readFileSync(path, 'utf8');
    try {
      return /\.(json|traj)$/i.test(path) ? JSON.parse(text) : JSON.parse(text.split('\n')[0] ?? '');
    } catch {
      return undefined;
    }
  };
  const claimedBy = (adapter: Pick<Adapter, 'detect'>): string[] =>
    listFilesRecursive(root)
      .filter((path) => adapter.detect({ path, first: firstValue(path) }) > 0)
      .map((path) => path.slice(root.length + 1))
      .sort();

  test('the JSON adapter claims only the legacy session', () => {
    expect(claimedBy(geminiCliAdapter)).toEqual(['gemini-cli/test_conversation_gemini.json']);
  });

  test('the JSONL adapter claims only the JSONL session', () => {
    expect(claimedBy(geminiCliJsonlAdapter)).toEqual(['gemini-cli/test_conversation_gemini.jsonl']);
  });
});

describe('gemini-cli sessions through collect and the scorer', () => {
  const ADAPTERS = [geminiCliAdapter, geminiCliJsonlAdapter] as unknown as Adapter[];
  const CASES: Array<{ path: string; format: string; lines: number; quarantined: string[]; category: string }> = [
    // Reads and writes with no test and no error: nothing says whether the work is right.
    { path: join(SAMPLES, 'test_conversation_gemini.json'), format: 'gemini-cli', lines: 12, quarantined: [], category: 'needs_human_review' },
    { path: join(SAMPLES, 'test_conversation_gemini.jsonl'), format: 'gemini-cli-jsonl', lines: 28, quarantined: [], category: 'needs_human_review' },
    {
      path: join(FIXTURES, 'session-outcomes.json'),
      format: 'gemini-cli',
      lines: 10,
      quarantined: ['/messages/2', '/messages/4'],
      category: 'rejected',
    },
    { path: join(FIXTURES, 'session-rewrites.jsonl'), format: 'gemini-cli-jsonl', lines: 12, quarantined: ['1', '10', '11'], category: 'needs_human_review' },
  ];
  for (const c of CASES) {
    test(`collects ${c.path.split('/').slice(-2).join('/')} as ${c.format}, every item accounted for, scored ${c.category}`, async () => {
      const { summary, records, quarantined, categories } = await collectAndScore(ADAPTERS, c.path);
      expect(summary.format).toBe(c.format);
      expect(summary.format_by).toBe('detected');
      expect(summary.lines - summary.blank).toBe(c.lines);
      expect(records.length + quarantined.length).toBe(c.lines);
      expect(quarantined).toEqual(c.quarantined);
      expect(new Set(records.map((r) => r.source_format))).toEqual(new Set([c.format]));
      expect(categories).toEqual([c.category]);
    });
  }
});
