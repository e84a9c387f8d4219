// Tests for the SWE-agent adapter: every public sample trajectory with hand-checked counts, edge-case fixtures, and scoring.
import { describe, expect, test } from 'bun:test';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { EvidenceRecord } from '../../../schemas/evidence-record.ts';
import type { ScoredRun } from '../../../schemas/scored-run.ts';
import { sha256Hex } from '../../canonical.ts';
import { SCORER_VERSION, scoreRuns } from '../../score/score.ts';
import { DEFAULT_RULES } from '../../score/rules.ts';
import { IngestConfigSchema } from '../../../schemas/config.ts';
import type { Adapter } from '../adapter.ts';
import { collectSource } from '../collect.ts';
import type { CollectIo, SourceSummary } from '../collect.ts';
import { buildTestRecord, resolveSamplesDir, runJsonAdapter, type JsonRun, kindsOf as kinds, scoreJsonRun } from './adapter-test-helper.ts';
import { miniSweAgentAdapter } from './mini-swe-agent.ts';
import { extractTestValidation, parseTestOutcome, sweAgentAdapter } from './swe-agent.ts';

const SAMPLES = resolveSamplesDir('swe-agent');
const FIXTURES = join(import.meta.dir, '../../../tests/fixtures/swe-agent');




/** Records as collect would build them, each with its own evidence id so the scorer keeps them all. */

function score(adapterId: string, run: JsonRun) {
  const scored = scoreJsonRun(adapterId, run);
  expect(scored).toHaveLength(1);
  const only = scored[0];
  if (only === undefined) throw new Error('no scored run');
  return only;
}

interface Expected {
  file: string;
  items: number;
  kinds: Record<string, number>;
  run_id: string;
  model: string | null;
  /** Actions of the trajectory, in order (first line). */
  actions: string[];
  errored: string[];
  exit_status: string;
  cost: number | null;
  tokens: { input: number; output: number; cached: number } | null;
  submission_files: string[];
  edited: string[];
  task_start: string;
  latency_ms_total: number;
  category: ScoredRun['category'];
}

// Counted with jq: items = info (+ replay_config) + history before the first assistant turn minus the demonstration
// + one model_call per assistant turn + one tool_result per trajectory step. History observations repeat the steps.
const EXPECTED: Expected[] = [
  {
    file: 'pydicom__pydicom-1458.traj',
    items: 27,
    kinds: { message: 1, meta: 2, model_call: 12, tool_result: 12 },
    run_id: 'swe-agent:pydicom__pydicom-1458:c23fb11019b18548',
    model: null,
    actions: ['create', 'edit', 'python', 'find_file', 'open', 'edit', 'edit', 'edit', 'edit', 'python', 'rm', 'submit'],
    errored: ['edit', 'edit', 'edit'],
    exit_status: 'submitted',
    cost: 1.26719,
    tokens: { input: 122612, output: 1369, cached: 0 },
    submission_files: ['pydicom/pixel_data_handlers/numpy_handler.py'],
    edited: ['reproduce_bug.py', 'pydicom/pixel_data_handlers/numpy_handler.py'],
    task_start: "We're currently solving the following issue within our repository. Here's the issue text:\nISSUE:\nPixel Representation attribute should be optional",
    latency_ms_total: 0,
    category: 'accepted',
  },
  {
    file: 'swe-agent__test-repo-i1.traj',
    items: 13,
    kinds: { message: 1, meta: 2, model_call: 5, tool_result: 5 },
    run_id: 'swe-agent:swe-agent__test-repo-i1:43e4a66a34f571ff',
    model: null,
    actions: ['find_file', 'open', 'edit', 'python', 'submit'],
    errored: [],
    exit_status: 'submitted',
    cost: 0.53839,
    tokens: { input: 52861, output: 326, cached: 0 },
    submission_files: ['tests/missing_colon.py'],
    edited: ['tests/missing_colon.py'],
    task_start: "We're currently solving the following issue within our repository. Here's the issue text:\nISSUE:\nSyntaxError",
    latency_ms_total: 0,
    category: 'accepted',
  },
  {
    file: 'marshmallow-code__marshmallow-1867.traj',
    items: 26,
    kinds: { message: 1, meta: 3, model_call: 11, tool_result: 11 },
    run_id: 'swe-agent:marshmallow-code__marshmallow-1867:9e91b2003f245de5',
    model: 'gpt-4o',
    actions: ['create', 'insert', 'python', 'ls', 'find_file', 'open', 'edit', 'edit', 'python', 'rm', 'submit'],
    errored: ['edit'],
    exit_status: 'submitted',
    // A replay: model_stats are zeroed, so neither cost nor tokens are recorded.
    cost: null,
    tokens: null,
    submission_files: ['src/marshmallow/fields.py'],
    edited: ['reproduce.py', 'src/marshmallow/fields.py'],
    task_start: "We're currently solving the following issue within our repository. Here's the issue text:\nISSUE:\nTimeDelta serialization precision",
    // jq '[.trajectory[].execution_time*1000|round]|add': each step's execution_time in whole ms.
    latency_ms_total: 3998,
    category: 'accepted',
  },
];

describe('sweAgentAdapter on the public samples', () => {
  for (const e of EXPECTED) {
    test(`maps ${e.file}: items, kinds, steps, outcome`, () => {
      const path = join(SAMPLES, e.file);
      const run = runJsonAdapter(sweAgentAdapter, path);
      expect(run.items).toBe(e.items);
      expect(run.rejections).toEqual([]);
      expect(run.evidence).toHaveLength(e.items);
      expect(kinds(run)).toEqual(e.kinds);
      expect(new Set(run.evidence.map((x) => x.draft.run_id))).toEqual(new Set([e.run_id]));
      expect(new Set(run.evidence.map((x) => x.draft.task_id))).toEqual(new Set([e.file.replace(/\.traj$/, '')]));

      const results = run.evidence.filter((x) => x.draft.kind === 'tool_result').map((x) => x.draft);
      expect(results.map((d) => d.tool_calls[0]?.name)).toEqual(e.actions);
      expect(results.flatMap((d) => d.tool_calls).filter((c) => c.ok === false).map((c) => c.name)).toEqual(e.errored);
      expect(results.flatMap((d) => d.failure_markers)).toEqual(e.errored.map((n) => `tool_error:${n}`));
      // SWE-agent records no exit codes: every command is listed with an unknown one.
      expect(results.flatMap((d) => d.commands_run).every((c) => c.exit_code === null)).toBe(true);
      expect(results.flatMap((d) => d.commands_run)).toHaveLength(e.actions.length);
      expect(results.flatMap((d) => d.validation_results)).toEqual([]);
      expect([...new Set(results.flatMap((d) => d.source_files))]).toEqual(e.edited);
      expect(results.reduce((sum, d) => sum + (d.latency_ms ?? 0), 0)).toBe(e.latency_ms_total);

      const calls = run.evidence.filter((x) => x.draft.kind === 'model_call').map((x) => x.draft);
      expect(calls.map((d) => d.model_name)).toEqual(calls.map(() => e.model));
      expect(calls.every((d) => d.tool_calls.length === 1 && d.tool_calls[0]?.ok === null)).toBe(true);

      const info = run.evidence[0];
      expect(info?.pointer).toBe('/info');
      expect(info?.draft.signals.exit_status).toBe(e.exit_status);
      expect(info?.draft.cost_usd).toBe(e.cost);
      expect(info?.draft.tokens).toEqual(e.tokens);
      expect(info?.draft.source_files).toEqual(e.submission_files);
      expect(info?.draft.output_text?.trimStart().startsWith('diff --git')).toBe(true);
      // Only the info item carries an outcome signal.
      expect(run.evidence.filter((x) => x.draft.signals.exit_status !== null)).toHaveLength(1);

      const task = run.evidence.find((x) => x.draft.kind === 'message')?.draft;
      expect(task?.model_role).toBe('human');
      expect(task?.input_text?.startsWith(e.task_start)).toBe(true);
      // No demonstration text reaches the evidence.
      expect(run.evidence.some((x) => (x.draft.input_text ?? '').includes('--- DEMONSTRATION ---'))).toBe(false);

      for (const { draft, line } of run.evidence) expect(buildTestRecord('swe-agent', draft, line).run_id).toBe(e.run_id);
      expect(score('swe-agent', run).category).toBe(e.category);
    });
  }

  test('interleaves each assistant turn with the step that executed it', () => {
    const run = runJsonAdapter(sweAgentAdapter, join(SAMPLES, 'swe-agent__test-repo-i1.traj'));
    expect(run.evidence.map((x) => x.pointer)).toEqual([
      '/info',
      '/history/0',
      '/history/2',
      '/history/3',
      '/trajectory/0',
      '/history/5',
      '/trajectory/1',
      '/history/7',
      '/trajectory/2',
      '/history/9',
      '/trajectory/3',
      '/history/11',
      '/trajectory/4',
    ]);
  });

  test('keeps the error line of a rejected edit', () => {
    const run = runJsonAdapter(sweAgentAdapter, join(SAMPLES, 'marshmallow-code__marshmallow-1867.traj'));
    const failed = run.evidence.find((x) => x.pointer === '/trajectory/6')?.draft.tool_calls[0];
    expect(failed?.error).toBe('Your proposed edit has introduced new syntax error(s). Please read this error message carefully and then retry editing the file.');
  });
});

describe('sweAgentAdapter outcomes through the scorer', () => {
  test('a submitted run whose trajectory ran passing tests is not rejected, with the tests as validations', () => {
    const run = runJsonAdapter(sweAgentAdapter, join(FIXTURES, 'submitted-tests-pass.traj'));
    expect(run.rejections).toEqual([]);
    const validations = run.evidence.flatMap((x) => x.draft.validation_results);
    expect(validations).toEqual([
      { name: 'tests', passed: false, detail: 'python -m pytest tests/test_calc.py' },
      { name: 'tests', passed: true, detail: 'python -m pytest tests/test_calc.py' },
      { name: 'tests', passed: true, detail: './run_tests.sh tests/test_calc.py' },
    ]);
    expect(run.evidence.flatMap((x) => x.draft.success_markers)).toEqual([
      'tests_passed:python -m pytest tests/test_calc.py',
      'tests_passed:./run_tests.sh tests/test_calc.py',
    ]);
    const scored = score('swe-agent', run);
    expect(scored.category).toBe('partially_accepted');
    expect(scored.reasons.map((r) => r.rule_id)).toEqual(['blemish.partial_tests', 'success']);
    expect(scored.signals.exit_status).toBe('submitted');
    expect(scored.signals.passed_validations).toBe(1);
    expect(scored.signals.failed_validations).toBe(0);
  });

  test('the same run without the early failing test is accepted', () => {
    const path = join(FIXTURES, 'submitted-tests-pass.traj');
    const doc = JSON.parse(readFileSync(path, 'utf8')) as { trajectory: unknown[]; history: unknown[] };
    doc.trajectory.splice(0, 1);
    doc.history.splice(3, 2);
    const scored = score('swe-agent', runJsonAdapter(sweAgentAdapter, path, doc));
    expect(scored.category).toBe('accepted');
    expect(scored.reasons.map((r) => r.rule_id)).toEqual(['success']);
  });

  test('a submitted run whose last test run failed is rejected', () => {
    const path = join(FIXTURES, 'submitted-tests-pass.traj');
    const doc = JSON.parse(readFileSync(path, 'utf8')) as { trajectory: Array<Record<string, unknown>> };
    const failing = doc.trajectory[0]?.observation;
    const last = doc.trajectory[3];
    if (last === undefined || typeof failing !== 'string') throw new Error('fixture changed');
    last.observation = failing;
    doc.trajectory.splice(4, 1); // drop ./run_tests.sh, which passed
    const scored = score('swe-agent', runJsonAdapter(sweAgentAdapter, path, doc));
    expect(scored.category).toBe('rejected');
    expect(scored.reasons[0]?.rule_id).toBe('hard.failed_validation');
  });

  test('a run that exited with an error is rejected even though its tests passed', () => {
    const run = runJsonAdapter(sweAgentAdapter, join(FIXTURES, 'exit-error.traj'));
    expect(run.evidence[0]?.draft.signals.exit_status).toBe('exit_error');
    expect(run.evidence[0]?.draft.output_text).toBeNull();
    const scored = score('swe-agent', run);
    expect(scored.category).toBe('rejected');
    expect(scored.reasons.map((r) => r.rule_id)).toContain('hard.exit_status');
    expect(scored.signals.passed_validations).toBe(1);
  });

  for (const status of ['exit_error', 'exit_cost', 'exit_format', 'exit_context', 'exit_environment_error', 'submitted (exit_cost)', 'early_exit']) {
    test(`a run with exit status "${status}" is never accepted`, () => {
      const path = join(FIXTURES, 'submitted-tests-pass.traj');
      const doc = JSON.parse(readFileSync(path, 'utf8')) as { info: Record<string, unknown> };
      doc.info.exit_status = status;
      const scored = score('swe-agent', runJsonAdapter(sweAgentAdapter, path, doc));
      expect(scored.category).toBe('rejected');
      expect(scored.reasons[0]?.rule_id).toBe('hard.exit_status');
      expect(scored.signals.exit_status).toBe(status);
    });
  }

  test('a trajectory with no info records no outcome, so a person decides', () => {
    const path = join(FIXTURES, 'submitted-tests-pass.traj');
    const doc = JSON.parse(readFileSync(path, 'utf8')) as { info?: unknown; trajectory: unknown[]; history: unknown[] };
    delete doc.info;
    doc.trajectory = doc.trajectory.slice(1, 3);
    doc.history = doc.history.slice(0, 3);
    const run = runJsonAdapter(sweAgentAdapter, path, doc);
    expect(run.evidence.every((x) => x.draft.signals.exit_status === null)).toBe(true);
    expect(score('swe-agent', run).category).toBe('needs_human_review');
  });
});

describe('sweAgentAdapter edge cases', () => {
  test('maps the fixture run: tokens, cost, source files, cwd-relative paths', () => {
    const run = runJsonAdapter(sweAgentAdapter, join(FIXTURES, 'submitted-tests-pass.traj'));
    // info, system prompt, task (the demonstration left out), 6 turns, 6 steps.
    expect(run.items).toBe(15);
    expect(kinds(run)).toEqual({ message: 1, meta: 2, model_call: 6, tool_result: 6 });
    const info = run.evidence[0]?.draft;
    expect(info?.cost_usd).toBe(0.1234);
    expect(info?.tokens).toEqual({ input: 4000, output: 300, cached: 0 });
    expect(info?.observer_notes).toBe('api_calls: 6');
    const edit = run.evidence.find((x) => x.pointer === '/trajectory/2')?.draft;
    expect(edit?.source_files).toEqual(['src/calc.py']);
    expect(edit?.link_hints.cwd).toBe('/repo');
    // The demonstration's failing pytest output is not this run's.
    expect(run.evidence.some((x) => x.pointer === '/history/1')).toBe(false);
  });

  test('quarantines malformed items with the field named and keeps the rest', () => {
    const run = runJsonAdapter(sweAgentAdapter, join(FIXTURES, 'malformed-items.traj'));
    expect(run.items).toBe(7);
    expect(run.rejections).toEqual([
      { pointer: '/history/0', code: 'missing_field', reason: 'role: history message has no role' },
      { pointer: '/trajectory/1', code: 'not_an_object', reason: '/trajectory/1: not a JSON object' },
      { pointer: '/trajectory/2', code: 'missing_field', reason: 'action: trajectory step has no action string' },
    ]);
    expect(run.evidence.map((x) => x.pointer)).toEqual(['/info', '/history/1', '/history/2', '/trajectory/0']);
    const info = run.evidence[0]?.draft;
    expect(info?.signals.exit_status).toBe('exit_format');
    expect(info?.observer_notes).toBe('api_calls: 3; swe_agent_version: 1.0.1');
    expect(info?.unmapped_fields).toEqual(['info.review']);
    expect(info?.cost_usd).toBeNull();
    for (const { draft, line } of run.evidence) expect(buildTestRecord('swe-agent', draft, line).kind).toBe(draft.kind);
  });

  test('split refuses a document without a trajectory array', () => {
    expect(sweAgentAdapter.split?.({ history: [] })).toEqual({ ok: false, reason: 'trajectory: missing or not an array' });
    expect(sweAgentAdapter.split?.([])).toEqual({ ok: false, reason: 'a SWE-agent trajectory is a JSON object' });
  });

  test('two runs of the same instance get different run ids', () => {
    const path = join(FIXTURES, 'submitted-tests-pass.traj');
    const doc = JSON.parse(readFileSync(path, 'utf8')) as { info: Record<string, unknown> };
    const first = runJsonAdapter(sweAgentAdapter, path).evidence[0]?.draft.run_id;
    doc.info.exit_status = 'exit_cost';
    const second = runJsonAdapter(sweAgentAdapter, path, doc).evidence[0]?.draft.run_id;
    expect(first).toMatch(/^swe-agent:submitted-tests-pass:[0-9a-f]{16}$/);
    expect(second).toMatch(/^swe-agent:submitted-tests-pass:[0-9a-f]{16}$/);
    expect(first).not.toBe(second);
  });
});

describe('test outcome parsing', () => {
  test('reads pytest, unittest and sympy summaries, and claims nothing without one', () => {
    expect(parseTestOutcome('===== 3 passed in 0.04s =====')).toBe(true);
    expect(parseTestOutcome('==== 1 failed, 2 passed in 0.05s ====')).toBe(false);
    expect(parseTestOutcome('==== 2 passed, 1 error in 0.05s ====')).toBe(false);
    expect(parseTestOutcome('==== no tests ran in 0.01s ====')).toBe(false);
    expect(parseTestOutcome('..F\n1 failed, 2 passed in 0.05s\n')).toBe(false);
    expect(parseTestOutcome('...\n3 passed, 1 warning in 0.04s\n')).toBe(true);
    expect(parseTestOutcome('Ran 4 tests in 0.010s\n\nOK\n')).toBe(true);
    expect(parseTestOutcome('Ran 4 tests in 0.010s\n\nFAILED (failures=1)\n')).toBe(false);
    expect(parseTestOutcome('tests finished: 10 passed, in 1.2 seconds')).toBe(true);
    expect(parseTestOutcome('tests finished: 9 passed, 1 failed, in 1.2 seconds')).toBe(false);
    expect(parseTestOutcome('Traceback (most recent call last):')).toBeNull();
  });

  test('names pytest, python -m pytest and ./run_tests commands as tests', () => {
    const pass = '=== 1 passed in 0.1s ===';
    expect(extractTestValidation('pytest -x tests/a.py', pass)).toEqual({ name: 'tests', passed: true, detail: 'pytest -x tests/a.py' });
    expect(extractTestValidation('cd /repo && python -m pytest', pass)?.passed).toBe(true);
    expect(extractTestValidation('./run_tests.sh', 'Ran 1 test in 0.1s\n\nOK')).toEqual({ name: 'tests', passed: true, detail: './run_tests.sh' });
    expect(extractTestValidation('python tests/runtests.py auth', 'Ran 1 test in 0.1s\n\nFAILED (errors=1)')?.passed).toBe(false);
    expect(extractTestValidation('python reproduce.py', pass)).toBeNull();
    expect(extractTestValidation('pytest tests', 'collected 0 items / 1 error')).toBeNull();
  });
});

describe('detection across every sample format', () => {
  function sampleFiles(): string[] {
    const root = join(SAMPLES, '..');
    const out: string[] = [];
    const walk = (dir: string): void => {
      for (const name of readdirSync(dir)) {
        const full = join(dir, name);
        if (statSync(full).isDirectory()) {
          if (relative(root, full) !== 'prd') walk(full);
        } else if (name !== 'SOURCES.md') out.push(full);
      }
    };
    walk(root);
    return out.sort();
  }

  /** What collect hands detect: the whole document for .json/.traj, else the first parsed line (or nothing). */
  function probeFirst(path: string): unknown {
    const text = readFileSync(path, 'utf8');
    if (/\.(json|traj)$/i.test(path)) return JSON.parse(text);
    const line = text.split('\n').find((l) => l.trim().length > 0) ?? '';
    try {
      return JSON.parse(line);
    } catch {
      return line;
    }
  }

  test('only SWE-agent samples score for swe-agent, only mini-swe-agent samples for mini-swe-agent', () => {
    const files = sampleFiles();
    expect(files.length).toBeGreaterThan(20);
    const claims: Record<string, string[]> = { 'swe-agent': [], 'mini-swe-agent': [] };
    for (const path of files) {
      const first = probeFirst(path);
      const rel = relative(join(SAMPLES, '..'), path);
      if (sweAgentAdapter.detect({ path, first }) > 0) claims['swe-agent']?.push(rel);
      if (miniSweAgentAdapter.detect({ path, first }) > 0) claims['mini-swe-agent']?.push(rel);
    }
    expect(claims).toEqual({
      'swe-agent': [
        'swe-agent/marshmallow-code__marshmallow-1867.traj',
        'swe-agent/pydicom__pydicom-1458.traj',
        'swe-agent/swe-agent__test-repo-i1.traj',
      ],
      'mini-swe-agent': ['mini-swe-agent/github_issue.traj.json'],
    });
  });
});

describe('both adapters through collect', () => {
  /** Collects one file with only these two adapters registered, keeping every record and quarantine entry. */
  async function collectFile(path: string, display: string): Promise<{ summary: SourceSummary; records: EvidenceRecord[]; quarantined: string[] }> {
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
    const records: EvidenceRecord[] = [];
    const quarantined: string[] = [];
    const summary = await collectSource(
      io,
      { path, display_path: display, format: null },
      {
        adapters: [sweAgentAdapter, miniSweAgentAdapter] as unknown as Adapter[],
        recorded_at: '2026-01-01T00:00:00Z',
        ingest: IngestConfigSchema.parse({}),
        redact: (t) => t,
      },
      { evidence: (r) => void records.push(r), quarantine: (q) => void quarantined.push(q.pointer ?? '') },
    );
    return { summary, records, quarantined };
  }

  const CASES: Array<{ path: string; format: string; lines: number; evidence: number; quarantined: string[]; category: ScoredRun['category'] }> = [
    { path: join(SAMPLES, 'pydicom__pydicom-1458.traj'), format: 'swe-agent', lines: 27, evidence: 27, quarantined: [], category: 'accepted' },
    { path: join(SAMPLES, 'swe-agent__test-repo-i1.traj'), format: 'swe-agent', lines: 13, evidence: 13, quarantined: [], category: 'accepted' },
    { path: join(SAMPLES, 'marshmallow-code__marshmallow-1867.traj'), format: 'swe-agent', lines: 26, evidence: 26, quarantined: [], category: 'accepted' },
    { path: join(FIXTURES, 'submitted-tests-pass.traj'), format: 'swe-agent', lines: 15, evidence: 15, quarantined: [], category: 'partially_accepted' },
    { path: join(FIXTURES, 'exit-error.traj'), format: 'swe-agent', lines: 11, evidence: 11, quarantined: [], category: 'rejected' },
    {
      path: join(FIXTURES, 'malformed-items.traj'),
      format: 'swe-agent',
      lines: 7,
      evidence: 4,
      quarantined: ['/history/0', '/trajectory/1', '/trajectory/2'],
      category: 'rejected',
    },
    { path: join(SAMPLES, '../mini-swe-agent/github_issue.traj.json'), format: 'mini-swe-agent', lines: 22, evidence: 22, quarantined: [], category: 'accepted' },
  ];

  for (const c of CASES) {
    test(`collects ${relative(join(SAMPLES, '../..'), c.path)} as ${c.format}, every item accounted for, scored ${c.category}`, async () => {
      const { summary, records, quarantined } = await collectFile(c.path, relative(join(SAMPLES, '../..'), c.path));
      expect(summary.format).toBe(c.format);
      expect(summary.format_by).toBe('detected');
      expect(summary.lines).toBe(c.lines);
      expect(summary.evidence).toBe(c.evidence);
      expect(records).toHaveLength(c.evidence);
      expect(quarantined.sort()).toEqual(c.quarantined);
      expect(summary.evidence + summary.quarantined).toBe(summary.lines);
      expect(new Set(records.map((r) => r.source_format))).toEqual(new Set([c.format]));
      const scored = scoreRuns(records, { rules: DEFAULT_RULES, scored_at: '2026-01-01T00:00:00Z', scorer_version: SCORER_VERSION });
      expect(scored.map((r) => r.category)).toEqual([c.category]);
    });
  }
});
