// Tests for the Aider adapter: both public histories with counts checked by a script over the raw Markdown, fixtures for the outcomes aider reports, and collect's Markdown container.
import { describe, expect, test } from 'bun:test';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EvidenceRecord } from '../../../schemas/evidence-record.ts';
import type { QuarantineEntry } from '../../../schemas/quarantine-entry.ts';
import { IngestConfigSchema } from '../../../schemas/config.ts';
import { DEFAULT_RULES } from '../../score/rules.ts';
import { SCORER_VERSION, scoreRuns } from '../../score/score.ts';
import { ADAPTERS, collectIo } from '../../wiring.ts';
import { collectSource, detectAdapter, type SourceSummary } from '../collect.ts';
import { aiderAdapter, extractEdits, parseTokenCount } from './aider.ts';
import { resolveSamplesDir } from './adapter-test-helper.ts';

const SAMPLES = resolveSamplesDir('aider');
const FIXTURES = join(import.meta.dir, '../../../tests/fixtures/aider');

interface Collected {
  summary: SourceSummary;
  records: EvidenceRecord[];
  quarantined: QuarantineEntry[];
  /** Category by run id. */
  categories: Record<string, string>;
  reasons: Record<string, string[]>;
}

/** Collect a file the way ingest does (every adapter registered, detection on), then score its runs. */
async function collect(path: string, display = path, replay_until = 0, maxLineBytes?: number): Promise<Collected> {
  const records: EvidenceRecord[] = [];
  const quarantined: QuarantineEntry[] = [];
  const ingest = IngestConfigSchema.parse(maxLineBytes === undefined ? {} : { max_line_bytes: maxLineBytes });
  const summary = await collectSource(
    collectIo(),
    { path, display_path: display, format: replay_until > 0 ? 'aider' : null, replay_until },
    { adapters: ADAPTERS, recorded_at: '2026-01-01T00:00:00Z', ingest, redact: (t) => t },
    { evidence: (r) => void records.push(r), quarantine: (q) => void quarantined.push(q) },
  );
  const scored = scoreRuns(records, { rules: DEFAULT_RULES, scored_at: '2026-01-01T00:00:00Z', scorer_version: SCORER_VERSION });
  return {
    summary,
    records,
    quarantined,
    categories: Object.fromEntries(scored.map((s) => [s.run_id, s.category])),
    reasons: Object.fromEntries(scored.map((s) => [s.run_id, s.reasons.map((r) => r.rule_id)])),
  };
}

const calls = (records: EvidenceRecord[], name: string) => records.flatMap((r) => r.tool_calls.filter((c) => c.name === name));
const byKind = (records: EvidenceRecord[], kind: string) => records.filter((r) => r.kind === kind);
const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

describe('aider sample: afi-core (gpt-4o and gpt-4.1, diff edit format)', async () => {
  const file = 'afi-core/.aider.chat.history.md';
  const c = await collect(join(SAMPLES, file), file);
  const run = (time: string) => `aider:${file}@${time}`;

  test('is detected, and every item is evidence: its 2046 lines are 159 items and 145 blank separators', () => {
    expect(c.summary.format).toBe('aider');
    expect(c.summary.format_by).toBe('detected');
    expect(c.quarantined).toEqual([]);
    expect(c.summary).toMatchObject({ lines: 304, evidence: 159, quarantined: 0, blank: 145 });
    expect(c.summary.lines).toBe(c.summary.evidence + c.summary.quarantined + c.summary.blank);
  });

  test('9 sessions are 9 runs, each named by its file and start time', () => {
    // grep -c '^# aider chat started at' = 9
    expect(Object.keys(c.categories).sort()).toEqual(
      ['2025-07-15T11:38:37', '2025-07-15T14:53:34', '2025-07-15T15:06:38', '2025-07-15T15:18:04', '2025-07-16T20:10:38', '2025-07-16T20:11:30', '2025-07-22T17:49:27', '2025-07-23T11:25:21', '2025-08-04T13:59:12'].map(run),
    );
    expect(c.records.every((r) => r.timestamp === null && r.task_id === r.run_id && r.task_type === 'coding_session')).toBe(true);
  });

  test('user turns: 28 prompts, 12 commands the user ran, 9 confirmation answers', () => {
    // Runs of `#### ` lines (script): 49 = 28 prompts + 12 starting with / or ! + 9 "(Y)es/(N)o ... ]: answer" lines.
    expect(byKind(c.records, 'message').filter((r) => r.model_role === 'human')).toHaveLength(28);
    expect(c.records.filter((r) => r.kind === 'tool_result' && /^[/!]/.test(r.input_text ?? ''))).toHaveLength(12);
    expect(c.records.filter((r) => r.observer_notes === 'answer to a confirmation aider asked')).toHaveLength(9);
    expect(byKind(c.records, 'message')[0]?.input_text).toBe(
      'add a comment at the top of schemas/pipeline_config_schema.ts that says: "// This file defines the Zod schema for AFI\'s pipeline configuration"',
    );
  });

  test('27 SEARCH/REPLACE blocks in the replies name the files they edit', () => {
    // grep -c '^<<<<<<< SEARCH' = 28; one of them is inside aider's "failed to match" explanation, not a reply.
    const proposed = calls(c.records, 'search_replace');
    expect(proposed).toHaveLength(27);
    expect(proposed.slice(0, 2).map((p) => p.input_summary)).toEqual(['sync-afi.sh', 'aider-afi.sh']);
    expect(calls(c.records, 'whole_file')).toEqual([]);
  });

  test('17 "Applied edit to" lines (16 files) are successful edits, their files the source_files', () => {
    const applied = calls(c.records, 'edit').filter((e) => e.ok === true);
    expect(applied).toHaveLength(17);
    const files = new Set(byKind(c.records, 'tool_result').flatMap((r) => r.source_files));
    expect(files.size).toBe(16);
    expect(files.has('dist/index.js')).toBe(true);
  });

  test('the 13 "Commit <hash>" lines are link hints, in order', () => {
    expect(c.records.flatMap((r) => r.link_hints.oids)).toEqual(['dde0244', '9760d2f', '24aed81', 'c4b9dc7', '0d4b6dc', 'c3b2015', '6dec692', 'd101abd', '7f1724d', '8cba441', '96b3fd7', '9a6175d', '10dec01']);
  });

  test('models from the "Main model:" lines; tokens and cost from the 39 "Tokens:" lines', () => {
    expect(new Set(c.records.map((r) => r.model_name).filter((m) => m !== null))).toEqual(new Set(['gpt-4o', 'gpt-4.1']));
    expect(c.records.filter((r) => r.model_name !== null).every((r) => r.model_provider === 'openai')).toBe(true);
    const usage = c.records.filter((r) => r.tokens !== null);
    expect(usage).toHaveLength(39);
    // Sums of the printed (rounded) counts, by script: 325,900 sent, 10,269 received, $0.8113.
    expect(sum(usage.map((r) => r.tokens!.input))).toBe(325_900);
    expect(sum(usage.map((r) => r.tokens!.output))).toBe(10_269);
    expect(sum(usage.map((r) => r.cost_usd ?? 0))).toBeCloseTo(0.8113, 6);
  });

  test('the shell commands aider ran are commands_run with no exit code (the history does not keep it)', () => {
    const commands = c.records.flatMap((r) => r.commands_run);
    // 10 "> Running ..." lines, and one `!find ...` the user ran.
    expect(commands).toHaveLength(11);
    expect(commands.every((x) => x.exit_code === null)).toBe(true);
    expect(commands[0]?.command).toBe('chmod +x ~/AFI_Modular_Repos/*.sh');
  });

  test('the block that failed to match is a failed edit; the retry applied, so that session is partially accepted', () => {
    const failed = calls(c.records, 'edit').filter((e) => e.ok === false);
    expect(failed).toEqual([{ name: 'edit', call_id: null, input_summary: null, ok: false, error: '# 1 SEARCH/REPLACE block failed to match!' }]);
    const retried = c.records.find((r) => r.signals.accepted_on_attempt === 2);
    expect(retried?.source_files).toEqual(['cli_hooks/validator_invoker.ts']);
    expect(c.categories[run('2025-07-16T20:11:30')]).toBe('partially_accepted');
    expect(c.reasons[run('2025-07-16T20:11:30')]?.[0]).toBe('blemish.retried');
  });

  test('sessions with applied edits are accepted; the six with no outcome ask a person', () => {
    expect(c.categories[run('2025-07-15T14:53:34')]).toBe('accepted');
    expect(c.categories[run('2025-08-04T13:59:12')]).toBe('accepted');
    const review = Object.entries(c.categories).filter(([, cat]) => cat === 'needs_human_review');
    expect(review).toHaveLength(6);
    for (const [id] of review) expect(c.reasons[id]).toEqual(['outcome.none']);
  });
});

describe('aider sample: mozgoslav (local qwen, whole edit format, reasoning)', async () => {
  const file = 'mozgoslav/.aider.chat.history.md';
  const c = await collect(join(SAMPLES, file), file);
  const run = (time: string) => `aider:${file}@${time}`;
  const model = 'lm_studio/qwen3.6-35b-a3b-uncensored-hauhaucs-aggressive';

  test('4376 lines in 71 items and 59 blank separators, all evidence', () => {
    expect(c.summary).toMatchObject({ format: 'aider', lines: 130, evidence: 71, quarantined: 0, blank: 59 });
  });

  test('3 sessions: the first failed to reach the model, the second has no outcome, the third committed twice', () => {
    expect(c.categories).toEqual({
      [run('2026-04-22T22:40:12')]: 'rejected',
      [run('2026-04-22T22:40:47')]: 'needs_human_review',
      [run('2026-04-22T23:13:03')]: 'accepted',
    });
    expect(calls(c.records, 'model_api')[0]?.error).toStartWith('litellm.AuthenticationError: AuthenticationError: Lm_studioException');
  });

  test('11 prompts and 10 confirmation answers; one model, its provider from the litellm prefix', () => {
    expect(byKind(c.records, 'message')).toHaveLength(11);
    expect(c.records.filter((r) => r.observer_notes === 'answer to a confirmation aider asked')).toHaveLength(10);
    expect(new Set(c.records.map((r) => r.model_name).filter((m) => m !== null))).toEqual(new Set([model]));
    expect(c.records.find((r) => r.model_name === model)?.model_provider).toBe('lm_studio');
  });

  test('whole-file edits are read from the fences under a file name; 3 applied edits and 2 commits', () => {
    expect(calls(c.records, 'whole_file').map((w) => w.input_summary)).toEqual(['Topology', './analyzer-report-dictation-hotkey.md', '-> Swift binary отправляет CGEvent/AX в ОС']);
    expect(calls(c.records, 'edit').filter((e) => e.ok === true).map((e) => e.input_summary)).toEqual([
      'Topology',
      '-> Swift binary отправляет CGEvent/AX в ОС',
      './analyzer-report-dictation-hotkey.md',
    ]);
    expect(c.records.flatMap((r) => r.link_hints.oids)).toEqual(['2c924fe', 'f8bf6e6']);
  });

  test('reasoning is left out of the reply, also when ^C cut it off before its closing tag', () => {
    const replies = byKind(c.records, 'model_call');
    expect(replies.some((r) => (r.output_text ?? '').includes('thinking-content'))).toBe(false);
    expect(replies[0]?.output_text).toStartWith('Привет! Готов к работе.');
    expect(replies[0]?.observer_notes).toMatch(/^reasoning left out \(\d+ characters\)$/);
  });

  test('tokens from 14 "Tokens:" lines and no cost (a local model): 83,800 sent, 25,550 received by script', () => {
    const usage = c.records.filter((r) => r.tokens !== null);
    expect(usage).toHaveLength(14);
    expect(sum(usage.map((r) => r.tokens!.input))).toBe(83_800);
    expect(sum(usage.map((r) => r.tokens!.output))).toBe(25_550);
    expect(c.records.every((r) => r.cost_usd === null)).toBe(true);
  });
});

describe('aider outcomes (fixtures)', () => {
  test('a lint failure fixed by the next applied edit: lint failed then passed, so partially accepted', async () => {
    const c = await collect(join(FIXTURES, 'lint-fixed.aider.chat.history.md'), 'h.md');
    expect(c.summary.format).toBe('aider');
    expect(c.records.flatMap((r) => r.validation_results.map((v) => `${v.name} ${v.passed}`))).toEqual(['lint false', 'lint true']);
    expect(Object.values(c.categories)).toEqual(['partially_accepted']);
    expect(c.reasons['aider:h.md@2025-01-02T10:00:00']?.[0]).toBe('blemish.partial_tests');
    // "2.6k sent, 1.2k cache write, 2.2k cache hit, 45 received": the 2.2k hits are part of the 2.6k sent.
    expect(c.records.find((r) => r.tokens !== null)?.tokens).toEqual({ input: 400, output: 45, cached: 2200 });
    expect(c.records.find((r) => r.model_name !== null)?.model_name).toBe('anthropic/claude-sonnet-4-20250514');
  });

  describe('four sessions in one history', async () => {
    const c = await collect(join(FIXTURES, 'sessions.aider.chat.history.md'), 'h.md');
    const run = (time: string) => `aider:h.md@${time}`;

    test('a failing /test and an edit that never applied reject the run', () => {
      expect(c.categories[run('2025-01-03T09:00:00')]).toBe('rejected');
      expect(c.reasons[run('2025-01-03T09:00:00')]?.slice(0, 2)).toEqual(['hard.failed_validation', 'hard.fatal_tool_error']);
      const test = c.records.find((r) => r.input_text === '/test pytest -q');
      expect(test?.validation_results).toEqual([{ name: 'tests', passed: false, detail: 'pytest -q' }]);
      expect(test?.commands_run).toEqual([{ command: 'pytest -q', exit_code: null }]);
    });

    test("the user's /undo of aider's only commit rejects the run", () => {
      expect(c.categories[run('2025-01-03T09:30:00')]).toBe('rejected');
      const undo = c.records.find((r) => r.input_text === '/undo');
      expect(undo?.tool_calls).toEqual([{ name: 'undo', call_id: 'abc1234', input_summary: 'abc1234 refactor: rename foo to bar', ok: false, error: "the user undid aider's commit abc1234" }]);
      expect(undo?.failure_markers).toEqual(['undone_by_user:abc1234']);
    });

    test('a second session started in the same second is its own run; with no outcome it asks a person', () => {
      expect(c.categories[run('2025-01-03T09:30:00#2')]).toBe('needs_human_review');
      expect(c.reasons[run('2025-01-03T09:30:00#2')]).toEqual(['outcome.none']);
    });

    test('whole format: the fence under a file name is an edit, a quote in the reply stays in it, a passing /test has exit 0', () => {
      expect(c.categories[run('2025-01-03T11:00:00')]).toBe('accepted');
      const reply = c.records.find((r) => r.run_id === run('2025-01-03T11:00:00') && r.kind === 'model_call');
      expect(reply?.output_text).toBe('> Note: the banner is plain text.\n\nbanner.txt\n```\nhello\n```');
      expect(reply?.tool_calls.map((t) => `${t.name} ${t.input_summary}`)).toEqual(['whole_file banner.txt']);
      expect(reply?.model_provider).toBe('ollama');
      const passed = c.records.find((r) => r.input_text === '/test make check');
      expect(passed?.validation_results).toEqual([{ name: 'tests', passed: true, detail: 'make check' }]);
      expect(passed?.commands_run).toEqual([{ command: 'make check', exit_code: 0 }]);
      expect(c.records.find((r) => r.input_text === '/run ls -la')?.commands_run).toEqual([{ command: 'ls -la', exit_code: null }]);
    });
  });

  test('items before the first session header are quarantined with the reason; the rest is read', async () => {
    const c = await collect(join(FIXTURES, 'truncated', '.aider.chat.history.md'), 'truncated/.aider.chat.history.md');
    expect(c.quarantined.map((q) => [q.line_offset, q.reason_code])).toEqual([
      [1, 'missing_field'],
      [3, 'missing_field'],
      [12, 'missing_field'],
    ]);
    expect(c.quarantined[0]?.reason).toBe('session header: no "# aider chat started at ..." line before this item');
    expect(c.quarantined[0]?.excerpt).toBe('#### fix the typo in README.md  ');
    expect(c.summary).toMatchObject({ lines: 15, evidence: 5, quarantined: 3, blank: 7 });
  });
});

describe('collect: the Markdown container', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gd-aider-'));
  const history = ['', '# aider chat started at 2025-02-01 12:00:00', '', '> Model: gpt-4o with diff edit format  ', '', '#### add a test  ', '', 'Here it is.', '', 'More text.', ''].join('\n');

  test('an unreadable line and an item over the cap are quarantined; the counts still reconcile', async () => {
    const path = join(dir, 'bad.aider.chat.history.md');
    // Line 11 is not UTF-8, line 12 is longer than the cap, and lines 14-33 are one reply longer than the cap.
    const reply = Array.from({ length: 20 }, (_, i) => `${i} ${'y'.repeat(98)}`).join('\n');
    const bad = Buffer.concat([Buffer.from(history), Buffer.from([0xff, 0xfe, 0x0a]), Buffer.from(`#### ${'x'.repeat(1100)}  \n\n${reply}\n`)]);
    writeFileSync(path, bad);
    const c = await collect(path, 'bad.md', 0, 1024);
    expect(c.quarantined.map((q) => [q.line_offset, q.reason_code, q.byte_length])).toEqual([
      [11, 'invalid_utf8', 2],
      [12, 'line_too_long', 1107],
      [14, 'line_too_long', 2029],
    ]);
    expect(c.quarantined[2]?.reason).toBe('item (lines 14-33) is 2029 bytes, over the 1024-byte limit');
    expect(c.summary).toMatchObject({ lines: 12, evidence: 4, quarantined: 3, blank: 5 });
  });

  test('a resumed read replays the items before the offset for their state, counts none of them, and starts a new item there', async () => {
    const path = join(dir, '.aider.chat.history.md');
    writeFileSync(path, history);
    // Resume inside the reply, at "More text.": the session header is replayed, the reply's rest is a new item.
    const offset = Buffer.byteLength(history.slice(0, history.indexOf('More text.')));
    const c = await collect(path, '.aider.chat.history.md', offset);
    expect(c.summary).toMatchObject({ lines: 1, evidence: 1, quarantined: 0, blank: 0 });
    expect(c.records[0]).toMatchObject({ kind: 'model_call', output_text: 'More text.', model_name: 'gpt-4o', run_id: 'aider:.aider.chat.history.md@2025-02-01T12:00:00' });
    expect(c.records[0]?.provenance.line_offset).toBe(10);
  });

  test('a Markdown file no adapter claims is skipped whole, with the reason', async () => {
    const path = join(dir, 'README.md');
    writeFileSync(path, '# A project\n\nSome prose.\n');
    const c = await collect(path);
    expect(c.summary).toMatchObject({ skipped: 'no adapter recognised the text', lines: 0, evidence: 0 });
    rmSync(dir, { recursive: true, force: true });
  });
});

describe('aider detection and parsing helpers', () => {
  test('by name, by the session header in the first lines, and not otherwise', () => {
    expect(aiderAdapter.detect({ path: 'repo/.aider.chat.history.md', first: '' })).toBe(95);
    expect(aiderAdapter.detect({ path: 'chat.md', first: '# aider chat started at 2025-01-01 00:00:00\n> Aider v0.86.0  ' })).toBe(90);
    expect(aiderAdapter.detect({ path: 'notes.md', first: '# Notes\nnothing about aider' })).toBe(0);
    expect(detectAdapter(ADAPTERS, 'x/.aider.chat.history.md', '', 'markdown')?.id).toBe('aider');
    expect(detectAdapter(ADAPTERS, 'x/.aider.chat.history.md', {}, 'jsonl')).toBeNull();
  });

  test("token counts as aider prints them", () => {
    expect(['21', '3.2k', '1,234', '1.1M', '12k', 'x'].map(parseTokenCount)).toEqual([21, 3200, 1234, 1_100_000, 12_000, null]);
  });

  test('edit blocks: a file name above the fence, several blocks in one fence, decorated names', () => {
    const reply = ['**src/a.ts**', '```ts', '<<<<<<< SEARCH', 'a', '=======', 'b', '>>>>>>> REPLACE', '<<<<<<< SEARCH', 'c', '=======', 'd', '>>>>>>> REPLACE', '```', '', '`src/b.ts`:', '<<<<<<< SEARCH', '=======', 'e', '>>>>>>> REPLACE'].join('\n');
    expect(extractEdits(reply, 'diff')).toEqual([
      { kind: 'search_replace', file: 'src/a.ts' },
      { kind: 'search_replace', file: 'src/a.ts' },
      { kind: 'search_replace', file: 'src/b.ts' },
    ]);
    expect(extractEdits('# notes.txt\n```\nhi\n```\n\n```\nno name\n```', 'whole')).toEqual([{ kind: 'whole_file', file: 'notes.txt' }]);
    expect(extractEdits('# notes.txt\n```\nhi\n```', 'diff')).toEqual([]);
  });
});
