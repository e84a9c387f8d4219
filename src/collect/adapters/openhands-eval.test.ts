// Tests for the OpenHands evaluation/resolver adapter: both public output.jsonl files line by line, edge fixtures, detection.
import { describe, expect, test } from 'bun:test';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { EvidenceRecord } from '../../../schemas/evidence-record.ts';
import { DEFAULT_RULES } from '../../score/rules.ts';
import { SCORER_VERSION, scoreRuns } from '../../score/score.ts';
import type { EvidenceDraft } from '../adapter.ts';
import { buildTestRecord, collectAndScore, resolveSamplesDir, runAdapterOnFile } from './adapter-test-helper.ts';
import { openHandsEvalAdapter } from './openhands-eval.ts';
import { extractDiffPaths } from './session-common.ts';

const SAMPLES = resolveSamplesDir('openhands');
const EVAL_FILE = join(SAMPLES, 'multi_swe_bench-examples/output.jsonl');
const RESOLVER_FILE = join(SAMPLES, 'resolver-mock_output/output.jsonl');
const EDGE_FILE = join(import.meta.dir, '../../../tests/fixtures/openhands-eval/edge-cases.jsonl');

/** The fields a line's assertions look at; the rest is checked once, in the edge fixture. */
interface ExpectedLine {
  run_id: string;
  task_id: string;
  task_type: string;
  model_name: string | null;
  timestamp: string | null;
  latency_ms: number | null;
  cost_usd: number | null;
  tokens: EvidenceDraft['tokens'];
  source_files: string[];
  failure_markers: string[];
  success_markers: string[];
  validation_results: EvidenceDraft['validation_results'];
  exit_status: string | null;
  run_ok: boolean | null;
  output_start: string | null;
  input_start: string;
}

function pick(draft: EvidenceDraft): ExpectedLine {
  return {
    run_id: draft.run_id,
    task_id: draft.task_id,
    task_type: draft.task_type,
    model_name: draft.model_name,
    timestamp: draft.timestamp,
    latency_ms: draft.latency_ms,
    cost_usd: draft.cost_usd,
    tokens: draft.tokens,
    source_files: draft.source_files,
    failure_markers: draft.failure_markers,
    success_markers: draft.success_markers,
    validation_results: draft.validation_results,
    exit_status: draft.signals.exit_status,
    run_ok: draft.signals.run_ok,
    output_start: draft.output_text === null ? null : draft.output_text.slice(0, 40),
    input_start: (draft.input_text ?? '').slice(0, 40),
  };
}

const MODEL = 'openai/openrouter-llama-4-maverick';
const EVAL_INPUT = '<uploaded_files>\n/workspace/ponylang__po';
const RESOLVER_INPUT = 'Please fix the following issue for the r';

// Checked with jq: metadata.start_time, first/last history timestamps, metrics.accumulated_*,
// test_result.git_patch headers, observations that are `error` or carry success:false, the `run`
// observations' commands and exit codes, and each run's finish action.
const EVAL_LINES: ExpectedLine[] = [
  {
    run_id: 'openhands-eval:ponylang__ponyc-4595',
    task_id: 'ponylang__ponyc-4595',
    task_type: 'swe_task',
    model_name: MODEL,
    timestamp: '2025-04-30T16:31:22.000Z',
    latency_ms: 88241,
    cost_usd: 0,
    tokens: { input: 565158, output: 2558, cached: 0 },
    source_files: ['src/libponyc/ast/parser.c'],
    failure_markers: ['tool_error:5 errored tool results'],
    success_markers: [],
    // `cd … && make` then `make clean && make`, both exit 2: the latest build is the one kept.
    validation_results: [{ name: 'build', passed: false, detail: 'make clean && make' }],
    exit_status: null,
    run_ok: null,
    output_start: 'The issue with the `ponyc` compiler segf',
    input_start: EVAL_INPUT,
  },
  {
    run_id: 'openhands-eval:ponylang__ponyc-4593',
    task_id: 'ponylang__ponyc-4593',
    task_type: 'swe_task',
    model_name: MODEL,
    timestamp: '2025-04-30T16:40:51.000Z',
    latency_ms: 114481,
    cost_usd: 0,
    tokens: { input: 410169, output: 5156, cached: 0 },
    source_files: ['packages/cli/command_parser.pony'],
    // One `error` observation and two commands with a non-zero exit.
    failure_markers: ['tool_error:3 errored tool results'],
    success_markers: [],
    validation_results: [],
    exit_status: null,
    run_ok: null,
    output_start: 'Unable to make necessary changes to the ',
    input_start: EVAL_INPUT,
  },
  {
    run_id: 'openhands-eval:ponylang__ponyc-4588',
    task_id: 'ponylang__ponyc-4588',
    task_type: 'swe_task',
    model_name: MODEL,
    timestamp: '2025-04-30T17:07:20.000Z',
    latency_ms: 449887,
    cost_usd: 0,
    tokens: { input: 938015, output: 5627, cached: 0 },
    source_files: ['src/libponyc/expr/match.c'],
    failure_markers: ['error:max_iterations', 'tool_error:13 errored tool results'],
    success_markers: [],
    validation_results: [
      { name: 'build', passed: false, detail: 'export LLVM_DIR=/usr/lib/llvm-14/cmake && cd /workspace/ponylang__ponyc__0.1 && make' },
    ],
    exit_status: 'max_iterations',
    run_ok: null,
    // Stopped by the iteration limit: no finish action, no final message.
    output_start: null,
    input_start: EVAL_INPUT,
  },
];

const RESOLVER_LINES: ExpectedLine[] = [
  {
    run_id: 'openhands-resolver:neubig/pr-viewer#5',
    task_id: 'neubig/pr-viewer#5',
    task_type: 'issue_resolution',
    model_name: null,
    timestamp: null,
    latency_ms: null,
    cost_usd: 0.070713,
    tokens: null,
    source_files: ['LICENSE'],
    failure_markers: [],
    success_markers: ['resolver:success'],
    validation_results: [],
    exit_status: null,
    run_ok: true,
    output_start: 'The MIT License has been successfully ad',
    input_start: RESOLVER_INPUT,
  },
  {
    run_id: 'openhands-resolver:neubig/pr-viewer#1',
    task_id: 'neubig/pr-viewer#1',
    task_type: 'issue_resolution',
    model_name: null,
    timestamp: null,
    latency_ms: null,
    cost_usd: 1.152933,
    tokens: null,
    source_files: ['src/App.css', 'src/PullRequestViewer.tsx'],
    failure_markers: [],
    success_markers: ['resolver:success'],
    validation_results: [],
    exit_status: null,
    run_ok: true,
    output_start: 'The App.css file already contains the ne',
    input_start: RESOLVER_INPUT,
  },
];

describe('public samples, one outcome per line', () => {
  for (const [file, expected] of [
    [EVAL_FILE, EVAL_LINES],
    [RESOLVER_FILE, RESOLVER_LINES],
  ] as const) {
    test(`${relative(SAMPLES, file)}: every line is one run-level outcome with its recorded figures`, () => {
      const run = runAdapterOnFile(openHandsEvalAdapter, file);
      expect(run.rejections).toEqual([]);
      expect(run.lines).toBe(expected.length);
      expect(run.evidence.map((e) => e.line)).toEqual(expected.map((_, i) => i + 1));
      expect(run.evidence.map((e) => pick(e.draft))).toEqual([...expected]);
      for (const { line, draft } of run.evidence) {
        expect(draft.kind).toBe('outcome');
        expect(draft.model_role).toBe('executor');
        // Counts live in markers: a whole run is one record, not one entry per event.
        expect(draft.tool_calls).toEqual([]);
        expect(draft.unmapped_fields).toEqual([]);
        expect(buildTestRecord(openHandsEvalAdapter.id, draft, line).run_id).toBe(draft.run_id);
      }
    });
  }

  test('the agent’s own task_completed claim is a note, never the outcome', () => {
    const run = runAdapterOnFile(openHandsEvalAdapter, EVAL_FILE);
    expect(run.evidence.map((e) => e.draft.observer_notes)).toEqual([
      'agent claimed task_completed=partial',
      'agent claimed task_completed=false',
      '',
    ]);
  });

  test('the resolver’s result_explanation is kept as a note', () => {
    const run = runAdapterOnFile(openHandsEvalAdapter, RESOLVER_FILE);
    expect(run.evidence[0]?.draft.observer_notes.startsWith('resolver: The AI agent has successfully added the MIT License')).toBe(true);
  });
});

describe('edge-case fixture', () => {
  const run = runAdapterOnFile(openHandsEvalAdapter, EDGE_FILE);

  test('quarantines the line with no id fields, naming them, the non-object line and a history that is not a list', () => {
    expect(run.lines).toBe(5);
    expect(run.rejections).toEqual([
      { line: 2, code: 'missing_field', reason: 'instance_id, issue.number: the line names neither an evaluation instance nor a resolver issue' },
      { line: 3, code: 'not_an_object', reason: 'line is an array, not a JSON object' },
      { line: 5, code: 'wrong_type', reason: 'history: expected an array of events, got string' },
    ]);
    expect(run.evidence.map((e) => e.line)).toEqual([1, 4]);
  });

  test('an errored, graded evaluation run: error status, benchmark verdict, latest test result, commit, cached tokens', () => {
    const draft = run.evidence[0]?.draft;
    if (draft === undefined) throw new Error('line 1 was not mapped');
    expect(draft.run_id).toBe('openhands-eval:acme__widget-7');
    expect(draft.model_name).toBe('anthropic/claude-sonnet-4');
    expect(draft.model_provider).toBe('anthropic');
    expect(draft.signals.exit_status).toBe('error');
    expect(draft.signals.run_ok).toBe(false);
    expect(draft.failure_markers).toEqual(['error:Agent got stuck in a loop', 'tool_error:2 errored tool results', 'unresolved']);
    // pytest failed, then passed: the later run is the one kept.
    expect(draft.validation_results).toEqual([{ name: 'tests', passed: true, detail: 'python -m pytest tests/test_widget.py' }]);
    expect(draft.link_hints.oids).toEqual(['5c1b231']);
    // A removed line reading `-- a/not/a/header.py` inside a hunk is not a file header.
    expect(draft.source_files).toEqual(['src/widget.py']);
    expect(draft.tokens).toEqual({ input: 600, output: 200, cached: 400 });
    expect(draft.cost_usd).toBe(0.25);
    expect(draft.timestamp).toBe('2025-05-01T10:00:00.000Z');
    expect(draft.latency_ms).toBe(29000);
    expect(draft.input_text).toBe('Fix the widget overflow.');
    expect(draft.output_text).toBe('I fixed the overflow and the tests pass.');
    expect(draft.unmapped_fields).toEqual(['extra_field']);
    expect(buildTestRecord(openHandsEvalAdapter.id, draft, 1).signals.exit_status).toBe('error');
  });

  test('a failed resolver run whose issue has no number: hashed id, comment as output, run_ok false', () => {
    const draft = run.evidence[1]?.draft;
    if (draft === undefined) throw new Error('line 4 was not mapped');
    expect(draft.run_id).toMatch(/^openhands-resolver:[0-9a-f]{16}$/);
    expect(draft.task_id).toBe(draft.run_id.slice('openhands-resolver:'.length));
    expect(draft.task_type).toBe('issue_resolution');
    expect(draft.signals.run_ok).toBe(false);
    expect(draft.signals.exit_status).toBe(null);
    expect(draft.failure_markers).toEqual(['resolver:unsuccessful', 'comment_unsuccessful:1 of 2']);
    expect(draft.output_text).toBe('I could not reproduce the crash.');
    expect(draft.input_text).toBe('Crash on start');
    expect(draft.source_files).toEqual(['old.txt', 'new.txt']);
    expect(draft.cost_usd).toBe(0.5);
  });

  test('the hashed resolver id is stable across reads', () => {
    const again = runAdapterOnFile(openHandsEvalAdapter, EDGE_FILE);
    expect(again.evidence[1]?.draft.run_id).toBe(run.evidence[1]?.draft.run_id ?? 'missing');
  });
});

describe('extractDiffPaths', () => {
  test('reads added, deleted and renamed files from headers, and apply_patch envelopes', () => {
    const patch = [
      'diff --git a/new.md b/new.md',
      'new file mode 100644',
      '--- /dev/null',
      '+++ b/new.md',
      '@@ -0,0 +1 @@',
      '+hello',
      'diff --git a/gone.md b/gone.md',
      'deleted file mode 100644',
      '--- a/gone.md',
      '+++ /dev/null',
      '@@ -1 +0,0 @@',
      '-bye',
      '*** Update File: env/app.ts',
    ].join('\r\n');
    expect(extractDiffPaths(patch)).toEqual(['new.md', 'gone.md', 'env/app.ts']);
  });
});

describe('through collect and the real scorer', () => {
  /** Each run's category, by run id, as the default rules score the collected records. */
  function categoriesByRun(records: EvidenceRecord[]): Record<string, string> {
    const scored = scoreRuns(records, { rules: DEFAULT_RULES, scored_at: '2026-01-01T00:00:00Z', scorer_version: SCORER_VERSION });
    return Object.fromEntries(scored.map((r) => [r.run_id, r.category]));
  }

  test('the evaluation file reconciles, and the run that hit the iteration limit is never accepted', async () => {
    const { summary, records, quarantined } = await collectAndScore([openHandsEvalAdapter], EVAL_FILE);
    expect(records).toHaveLength(3);
    expect(quarantined).toEqual([]);
    expect(summary.lines).toBe(summary.evidence + summary.quarantined + summary.blank);
    expect(records.map((r) => r.source_format)).toEqual(['openhands-eval', 'openhands-eval', 'openhands-eval']);
    expect(records.find((r) => r.run_id === 'openhands-eval:ponylang__ponyc-4588')?.signals.exit_status).toBe('max_iterations');
    // 4595 ended on a failed build; 4593 records no outcome at all, so a human decides.
    expect(categoriesByRun(records)).toEqual({
      'openhands-eval:ponylang__ponyc-4595': 'rejected',
      'openhands-eval:ponylang__ponyc-4593': 'needs_human_review',
      'openhands-eval:ponylang__ponyc-4588': 'rejected',
    });
  });

  test('the resolver file yields two runs the success flag accepts, and quarantines nothing', async () => {
    const { records, quarantined } = await collectAndScore([openHandsEvalAdapter], RESOLVER_FILE);
    expect(quarantined).toEqual([]);
    expect(categoriesByRun(records)).toEqual({
      'openhands-resolver:neubig/pr-viewer#5': 'accepted',
      'openhands-resolver:neubig/pr-viewer#1': 'accepted',
    });
  });

  test('the edge fixture quarantines exactly its three bad lines, and neither failed run is accepted', async () => {
    const { summary, records, quarantined } = await collectAndScore([openHandsEvalAdapter], EDGE_FILE);
    expect(records).toHaveLength(2);
    expect(quarantined).toEqual(['2', '3', '5']);
    expect(summary.lines).toBe(summary.evidence + summary.quarantined + summary.blank);
    expect(Object.values(categoriesByRun(records))).toEqual(['rejected', 'rejected']);
  });
});

describe('detection across every sample format', () => {
  const root = join(SAMPLES, '..');

  function sampleFiles(): string[] {
    const out: string[] = [];
    const walk = (dir: string): void => {
      for (const name of readdirSync(dir)) {
        const full = join(dir, name);
        if (statSync(full).isDirectory()) walk(full);
        else if (name !== 'SOURCES.md') out.push(full);
      }
    };
    walk(root);
    return out.sort();
  }

  /** What collect hands detect: the whole document for .json/.traj, else the first parsed line (or the raw text). */
  function probeFirst(path: string): unknown {
    const text = readFileSync(path, 'utf8');
    const first = /\.(json|traj)$/i.test(path) ? text : (text.split('\n').find((l) => l.trim().length > 0) ?? '');
    try {
      return JSON.parse(first);
    } catch {
      return first;
    }
  }

  test('only the two OpenHands output.jsonl samples score, at 90', () => {
    const files = sampleFiles();
    expect(files.length).toBeGreaterThan(20);
    const claims: Record<string, number> = {};
    for (const path of files) {
      const score = openHandsEvalAdapter.detect({ path, first: probeFirst(path) });
      if (score > 0) claims[relative(root, path)] = score;
    }
    expect(claims).toEqual({
      'openhands/multi_swe_bench-examples/output.jsonl': 90,
      'openhands/resolver-mock_output/output.jsonl': 90,
    });
  });

  test('scores 0 for an OpenHands event list and for a line with instance_id but no history', () => {
    expect(openHandsEvalAdapter.detect({ path: 'x.jsonl', first: [{ id: 0, source: 'user', action: 'message' }] })).toBe(0);
    expect(openHandsEvalAdapter.detect({ path: 'x.jsonl', first: { instance_id: 'a', metrics: {} } })).toBe(0);
    expect(openHandsEvalAdapter.detect({ path: 'x.jsonl', first: { issue: { number: 1 }, git_patch: '' } })).toBe(90);
  });
});
