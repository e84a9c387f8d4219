// Tests for the Copilot CLI adapter: the public sample session with hand-checked counts, edge-case fixtures, detection and collect.
import { describe, expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { sha256Hex } from '../../canonical.ts';
import { IngestConfigSchema } from '../../../schemas/config.ts';
import type { Adapter, EvidenceDraft } from '../adapter.ts';
import { collectSource, detectAdapter } from '../collect.ts';
import type { CollectIo, SourceSummary } from '../collect.ts';
import { buildTestRecord, resolveSamplesDir, runJsonAdapter, type JsonRun, kindsOf as kinds, draftAt, listFilesRecursive as listFiles, probeValue, scoreJsonRun } from './adapter-test-helper.ts';
import { claudeCodeAdapter } from './claude-code.ts';
import { codexAdapter } from './codex.ts';
import { copilotCliAdapter } from './copilot-cli.ts';
import { langfuseAdapter } from './langfuse.ts';

const SAMPLES = resolveSamplesDir('copilot-cli');
const ALL_SAMPLES = join(SAMPLES, '..');
const FIXTURES = join(import.meta.dir, '../../../tests/fixtures/copilot-cli');




function drafts(run: JsonRun): EvidenceDraft[] {
  return run.evidence.map((e) => e.draft);
}




describe('copilot-cli sample session', () => {
  const run = runJsonAdapter(copilotCliAdapter, join(SAMPLES, 'test_conversation_copilot.json'));
  const all = drafts(run);
  const runId = 'copilot-cli:0b2a81da-02cf-4cbb-ae14-07c597b84f4e';

  test('maps the header and each of the 23 timeline events, rejecting none', () => {
    // jq '.timeline | length' = 23 (info 2, user 1, copilot 5, tool_call_completed 15); chatMessages is empty.
    expect(run.items).toBe(24);
    expect(run.rejections).toEqual([]);
    expect(kinds(run)).toEqual({ message: 1, meta: 3, model_call: 5, tool_result: 15 });
    expect(new Set(all.map((d) => d.run_id))).toEqual(new Set([runId]));
    expect(new Set(all.map((d) => d.task_id))).toEqual(new Set(['0b2a81da-02cf-4cbb-ae14-07c597b84f4e']));
  });

  test('the header is meta stamped with the session start and accounts for chatMessages', () => {
    const header = draftAt(run, '');
    expect(header.kind).toBe('meta');
    expect(header.timestamp).toBe('2025-10-11T12:54:52.206Z');
    expect(header.observer_notes).toBe('session header; 0 chatMessages not mapped (the timeline records the same turns)');
  });

  test('the user turn is a human message and assistant turns are model calls without a model name', () => {
    const user = draftAt(run, '/timeline/2');
    expect(user.kind).toBe('message');
    expect(user.model_role).toBe('human');
    expect(user.input_text?.startsWith('## 任務')).toBe(true);
    const last = draftAt(run, '/timeline/22');
    expect(last.kind).toBe('model_call');
    expect(last.model_name).toBeNull();
    expect(last.tokens).toBeNull();
    expect(last.output_text?.startsWith('Excellent! All tasks completed successfully.')).toBe(true);
  });

  test('15 tool calls all succeed; names and call ids come from the events', () => {
    const calls = all.flatMap((d) => d.tool_calls);
    expect(calls.length).toBe(15);
    expect(calls.every((c) => c.ok === true && c.error === null)).toBe(true);
    const byName: Record<string, number> = {};
    for (const c of calls) byName[c.name] = (byName[c.name] ?? 0) + 1;
    expect(byName).toEqual({ bash: 4, 'github-mcp-server-web_search': 1, str_replace_editor: 10 });
    expect(draftAt(run, '/timeline/4').tool_calls[0]).toEqual({
      name: 'str_replace_editor',
      call_id: 'toolu_01Mx6TvUBjF3WtcTQtkgSq2k',
      input_summary: 'view /home/wei/repo/VibeCodingTracker/Cargo.toml',
      ok: true,
      error: null,
    });
    expect(all.flatMap((d) => d.failure_markers)).toEqual([]);
  });

  test('shell commands keep the exit code from the log, and cargo check is a passed typecheck', () => {
    const commands = all.flatMap((d) => d.commands_run);
    expect(commands.length).toBe(4);
    expect(commands.every((c) => c.exit_code === 0)).toBe(true);
    const check = draftAt(run, '/timeline/18');
    expect(check.validation_results).toEqual([
      { name: 'typecheck', passed: true, detail: 'cd /home/wei/repo/VibeCodingTracker && cargo check 2>&1 | head -20' },
    ]);
    expect(all.flatMap((d) => d.validation_results).length).toBe(1);
  });

  test('files written by str_replace and create are source files; viewed files are not', () => {
    const files = [...new Set(all.flatMap((d) => d.source_files))].sort();
    // The session records no cwd, so the paths stay as the agent wrote them.
    expect(files).toEqual([
      '/home/wei/repo/VibeCodingTracker/CHANGELOG_DEMO.md',
      '/home/wei/repo/VibeCodingTracker/Cargo.toml',
      '/home/wei/repo/VibeCodingTracker/README.md',
      '/home/wei/repo/VibeCodingTracker/src/cli.rs',
    ]);
    expect(draftAt(run, '/timeline/4').source_files).toEqual([]);
  });

  test('the format records no outcome, so every signal stays null', () => {
    for (const d of all) expect(Object.values(d.signals).every((v) => v === null)).toBe(true);
    expect(all.flatMap((d) => d.link_hints.oids)).toEqual([]);
  });

  test('finalize accepts every draft', () => {
    run.evidence.forEach(({ draft }, i) => expect(buildTestRecord('copilot-cli', draft, i + 1).run_id).toBe(runId));
  });
});

describe('copilot-cli fixtures', () => {
  test('an errored session: failed tests, a declined call, an error event and a commit', () => {
    const run = runJsonAdapter(copilotCliAdapter, join(FIXTURES, 'errored-session.json'));
    expect(run.items).toBe(12);
    expect(kinds(run)).toEqual({ message: 2, meta: 2, model_call: 1, tool_result: 4 });
    expect(draftAt(run, '').observer_notes).toBe('session header; 2 chatMessages not mapped (the timeline records the same turns)');

    const tests = draftAt(run, '/timeline/3');
    expect(tests.tool_calls).toEqual([
      { name: 'bash', call_id: 'call_test_1', input_summary: 'cd /repo && npm test', ok: false, error: 'FAIL src/parser.test.ts' },
    ]);
    expect(tests.commands_run).toEqual([{ command: 'cd /repo && npm test', exit_code: 1 }]);
    expect(tests.failure_markers).toEqual(['tool_error:bash', 'exit_code:1:cd /repo && npm test', 'tests_failed:cd /repo && npm test']);
    expect(tests.validation_results).toEqual([{ name: 'tests', passed: false, detail: 'cd /repo && npm test' }]);

    expect(draftAt(run, '/timeline/4').source_files).toEqual(['/repo/src/parser.ts']);

    const declined = draftAt(run, '/timeline/5');
    expect(declined.failure_markers).toEqual(['tool_rejected_by_user:bash']);
    expect(declined.tool_calls[0]?.ok).toBe(false);
    // A declined command never ran: no exit code to report.
    expect(declined.commands_run).toEqual([]);

    const commit = draftAt(run, '/timeline/9');
    expect(commit.commands_run).toEqual([{ command: "cd /repo && git commit -am 'Fix parser off-by-one'", exit_code: 0 }]);
    expect(commit.link_hints.oids).toEqual(['1a2b3c4']);

    expect(draftAt(run, '/timeline/10').failure_markers).toEqual(['copilot_error']);
    for (const { draft } of run.evidence) expect(Object.values(draft.signals).every((v) => v === null)).toBe(true);
  });

  test('quarantines an event that is not an object, one without its type, and a tool call without a name', () => {
    const run = runJsonAdapter(copilotCliAdapter, join(FIXTURES, 'errored-session.json'));
    expect(run.rejections).toEqual([
      { pointer: '/timeline/6', code: 'not_an_object', reason: 'expected a JSON object, got number' },
      { pointer: '/timeline/7', code: 'missing_field', reason: 'type: every Copilot CLI timeline event names its type' },
      { pointer: '/timeline/8', code: 'missing_field', reason: 'name: a tool_call_completed event names the tool it ran' },
    ]);
    expect(run.evidence.length + run.rejections.length).toBe(run.items);
  });

  test('a session without sessionId is one run named by the sha256 of its header', () => {
    const run = runJsonAdapter(copilotCliAdapter, join(FIXTURES, 'no-session-id.json'));
    expect(run.rejections).toEqual([]);
    const ids = new Set(drafts(run).map((d) => d.run_id));
    expect(ids.size).toBe(1);
    const [id] = [...ids];
    expect(id).toMatch(/^copilot-cli:sha256-[0-9a-f]{16}$/);
    // Stable: a second read names the same run.
    expect(runJsonAdapter(copilotCliAdapter, join(FIXTURES, 'no-session-id.json')).evidence[0]?.draft.run_id).toBe(id);
  });

  test('refuses a session whose turns are only in chatMessages rather than silently dropping them', () => {
    const doc = JSON.parse(readFileSync(join(FIXTURES, 'chat-only.json'), 'utf8'));
    expect(copilotCliAdapter.split?.(doc)).toEqual({
      ok: false,
      reason: 'timeline: empty while chatMessages holds 1 messages; only the timeline is read',
    });
    expect(copilotCliAdapter.split?.({ sessionId: 'x', chatMessages: [] })).toEqual({
      ok: false,
      reason: 'timeline: a Copilot CLI session carries its events in a timeline array',
    });
    expect(copilotCliAdapter.split?.([1, 2])).toEqual({ ok: false, reason: 'expected a Copilot CLI session object, got an array' });
  });

  test('finalize accepts every fixture draft', () => {
    for (const file of ['errored-session.json', 'no-session-id.json']) {
      const run = runJsonAdapter(copilotCliAdapter, join(FIXTURES, file));
      run.evidence.forEach(({ draft }, i) => expect(buildTestRecord('copilot-cli', draft, i + 1).kind).toBe(draft.kind));
    }
  });
});

/** The category and first rule the scorer gives the run of a file (records get distinct evidence ids). */
function scoreFile(path: string): [string, string | undefined] {
  const [scored] = scoreJsonRun('copilot-cli', runJsonAdapter(copilotCliAdapter, path));
  return [scored?.category ?? 'none', scored?.reasons[0]?.rule_id];
}

describe('copilot-cli runs as the scorer sees them', () => {
  test('the sample session passes its cargo check: accepted on that evidence', () => {
    expect(scoreFile(join(SAMPLES, 'test_conversation_copilot.json'))).toEqual(['accepted', 'success']);
  });

  test('a session whose tests fail and never pass again is rejected', () => {
    expect(scoreFile(join(FIXTURES, 'errored-session.json'))).toEqual(['rejected', 'hard.failed_validation']);
  });

  test('a session with no tool results or validations needs human review', () => {
    expect(scoreFile(join(FIXTURES, 'no-session-id.json'))).toEqual(['needs_human_review', 'outcome.none']);
  });
});

describe('copilot-cli detection', () => {
  test('scores only the Copilot CLI samples above 0', () => {
    const files = listFiles(ALL_SAMPLES).filter((p) => !p.endsWith('SOURCES.md'));
    expect(files.length).toBeGreaterThan(20);
    const claimed = files.filter((path) => copilotCliAdapter.detect({ path, first: probeValue(path) }) > 0);
    expect(claimed.map((p) => relative(ALL_SAMPLES, p))).toEqual(['copilot-cli/test_conversation_copilot.json']);
  });

  test('wins detection for its sample and fixtures against the other adapters', () => {
    const adapters = [claudeCodeAdapter, codexAdapter, langfuseAdapter, copilotCliAdapter] as unknown as Adapter[];
    for (const path of [join(SAMPLES, 'test_conversation_copilot.json'), join(FIXTURES, 'errored-session.json'), join(FIXTURES, 'no-session-id.json')]) {
      expect(detectAdapter(adapters, path, probeValue(path), 'json')?.id).toBe('copilot-cli');
    }
  });

  test('is surer of a session kept under ~/.copilot/', () => {
    const doc = { sessionId: 's', startTime: '2026-01-01T00:00:00Z', chatMessages: [], timeline: [] };
    expect(copilotCliAdapter.detect({ path: '/home/u/.copilot/history-session-state/s.json', first: doc })).toBe(95);
    expect(copilotCliAdapter.detect({ path: '/tmp/s.json', first: doc })).toBe(90);
  });

  test('scores 0 for documents without a timeline array', () => {
    expect(copilotCliAdapter.detect({ path: 'x.json', first: { sessionId: 'a', chatMessages: [] } })).toBe(0);
    expect(copilotCliAdapter.detect({ path: 'x.json', first: { timeline: [{ type: 'step' }] } })).toBe(0);
    expect(copilotCliAdapter.detect({ path: 'x.json', first: [] })).toBe(0);
  });
});

describe('copilot-cli through collect', () => {
  test('every item ends as evidence or quarantine, with the header at pointer ""', async () => {
    const path = join(FIXTURES, 'errored-session.json');
    const text = readFileSync(path, 'utf8');
    const io: CollectIo = {
      readLines: () => {
        throw new Error('not a JSONL source');
      },
      parseJson: () => {
        throw new Error('not a JSONL source');
      },
      readJsonDocument: async () => ({ ok: true, value: JSON.parse(text), bytes: text.length, sha256: sha256Hex(text) }),
    };
    const records: Array<{ kind: string; pointer: string | null }> = [];
    const quarantined: string[] = [];
    const summary: SourceSummary = await collectSource(
      io,
      { path, display_path: 'errored-session.json', format: null },
      {
        adapters: [claudeCodeAdapter, codexAdapter, langfuseAdapter, copilotCliAdapter] as unknown as Adapter[],
        recorded_at: '2026-01-01T00:00:00Z',
        ingest: IngestConfigSchema.parse({}),
        redact: (t) => t,
      },
      {
        evidence: (r) => void records.push({ kind: r.kind, pointer: r.provenance.pointer }),
        quarantine: (q) => void quarantined.push(`${q.pointer}:${q.reason_code}`),
      },
    );
    expect(summary.format).toBe('copilot-cli');
    expect(summary.format_by).toBe('detected');
    expect(summary.lines).toBe(12);
    expect(summary.evidence).toBe(9);
    expect(summary.quarantined).toBe(3);
    expect(quarantined).toEqual(['/timeline/6:not_an_object', '/timeline/7:missing_field', '/timeline/8:missing_field']);
    expect(records[0]).toEqual({ kind: 'meta', pointer: '' });
  });
});
