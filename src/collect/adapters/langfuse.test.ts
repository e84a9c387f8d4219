// Tests for the Langfuse adapter: every public sample trace with jq-checked counts, edge-case fixtures, detection and collect.
import { describe, expect, test } from 'bun:test';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { sha256Hex } from '../../canonical.ts';
import { IngestConfigSchema } from '../../../schemas/config.ts';
import type { Adapter, EvidenceDraft } from '../adapter.ts';
import { collectSource, detectAdapter } from '../collect.ts';
import type { CollectIo } from '../collect.ts';
import { buildTestRecord, resolveSamplesDir, runJsonAdapter, kindsOf as kinds, draftAt, listFilesRecursive as listFiles, probeValue, scoreJsonRun } from './adapter-test-helper.ts';
import { claudeCodeAdapter } from './claude-code.ts';
import { codexAdapter } from './codex.ts';
import { copilotCliAdapter } from './copilot-cli.ts';
import { langfuseAdapter } from './langfuse.ts';

const SAMPLES = resolveSamplesDir('langfuse');
const ALL_SAMPLES = join(SAMPLES, '..');
const FIXTURES = join(import.meta.dir, '../../../tests/fixtures/langfuse');







interface Expected {
  file: string;
  trace_id: string;
  items: number;
  kinds: Record<string, number>;
  /** Pointers in mapping order: the trace, then observations by startTime then id. */
  order: string[] | null;
  models: string[];
  providers: string[];
  tools: string[];
  /** Sums over the generations' usageDetails / totalCost (jq). */
  tokens: { input: number; output: number; cached: number };
  cost: number;
  score_notes: string[];
}

// Checked with jq: observation counts by type, usageDetails input/output and totalCost summed over GENERATIONs.
const EXPECTED: Expected[] = [
  {
    file: 'google-adk-2025-08-28.json',
    trace_id: 'b82a0bdc1994fc5d1c8576ca032543f7',
    items: 6,
    kinds: { meta: 3, model_call: 2, tool_result: 1 },
    order: ['/trace', '/observations/2', '/observations/3', '/observations/1', '/observations/4', '/observations/0'],
    models: ['gemini-2.0-flash'],
    // llm.provider wins over gen_ai.system, which ADK sets to its own name (gcp.vertex.agent).
    providers: ['google'],
    tools: ['say_hello'],
    tokens: { input: 67, output: 9, cached: 0 },
    cost: 1.03e-5,
    score_notes: ['score toxicity = NUMERIC 0 (EVAL)', 'score hallucination = NUMERIC 0 (EVAL)'],
  },
  {
    file: 'langgraph-2025-08-22.json',
    trace_id: 'e1fde3efec57ce8a69bafd3fb928a7eb',
    items: 10,
    kinds: { meta: 8, model_call: 2 },
    order: null,
    models: ['gpt-4o-2024-08-06'],
    providers: ['openai'],
    // LangGraph records its tool node as a plain SPAN with no tool type or span kind: not read as a tool call.
    tools: [],
    tokens: { input: 168, output: 66, cached: 0 },
    cost: 0.000234,
    score_notes: ['score hallucination = NUMERIC 0.1 (EVAL)', 'score toxicity = NUMERIC 0 (EVAL)'],
  },
  {
    file: 'openai-agents-2025-09-30.json',
    trace_id: 'fee618f96dc31e0ca38b2f7b26eb8b29',
    items: 6,
    kinds: { meta: 3, model_call: 2, tool_result: 1 },
    // Both AGENT spans start at the same millisecond: the id breaks the tie.
    order: ['/trace', '/observations/1', '/observations/0', '/observations/3', '/observations/4', '/observations/2'],
    models: ['gpt-4.1-2025-04-14'],
    providers: ['openai'],
    tools: ['get_weather'],
    tokens: { input: 140, output: 44, cached: 0 },
    cost: 0.000632,
    score_notes: ['score toxicity = NUMERIC 0.8 (EVAL)', 'score hallucination = NUMERIC 0 (EVAL)'],
  },
  {
    file: 'pydantic-ai-tools-2025-12-04.json',
    trace_id: '7a38edd8123db47ad8dcb8aa4c5e3926',
    items: 13,
    kinds: { meta: 6, model_call: 4, tool_result: 3 },
    order: null,
    models: ['gpt-4o-mini-2024-07-18'],
    providers: ['openai'],
    tools: ['get_pun_suggestion', 'get_dad_joke_suggestion', 'get_one_liner_suggestion'],
    tokens: { input: 1315, output: 209, cached: 0 },
    cost: 0.000322649999,
    score_notes: [],
  },
];

describe('langfuse sample traces', () => {
  for (const e of EXPECTED) {
    describe(e.file, () => {
      const run = runJsonAdapter(langfuseAdapter, join(SAMPLES, e.file));
      const all = run.evidence.map((x) => x.draft);

      test('maps the trace and every observation as one run, rejecting none', () => {
        expect(run.items).toBe(e.items);
        expect(run.rejections).toEqual([]);
        expect(kinds(run)).toEqual(e.kinds);
        expect(new Set(all.map((d) => d.run_id))).toEqual(new Set([`langfuse:${e.trace_id}`]));
        if (e.order !== null) expect(run.evidence.map((x) => x.pointer)).toEqual(e.order);
        const stamps = all.slice(1).map((d) => d.timestamp ?? '');
        expect(stamps).toEqual([...stamps].sort());
      });

      test('generations carry model, provider, tokens and cost', () => {
        const calls = all.filter((d) => d.kind === 'model_call');
        expect([...new Set(calls.map((d) => d.model_name))]).toEqual(e.models);
        expect([...new Set(calls.map((d) => d.model_provider))]).toEqual(e.providers);
        const tokens = calls.reduce(
          (sum, d) => ({
            input: sum.input + (d.tokens?.input ?? 0),
            output: sum.output + (d.tokens?.output ?? 0),
            cached: sum.cached + (d.tokens?.cached ?? 0),
          }),
          { input: 0, output: 0, cached: 0 },
        );
        expect(tokens).toEqual(e.tokens);
        expect(calls.reduce((sum, d) => sum + (d.cost_usd ?? 0), 0)).toBeCloseTo(e.cost, 12);
        expect(calls.every((d) => d.latency_ms !== null && d.latency_ms > 0)).toBe(true);
        // Only generations carry tokens: agent spans that total their children's usage would double-count.
        expect(all.filter((d) => d.kind !== 'model_call').every((d) => d.tokens === null)).toBe(true);
      });

      test('tool observations are successful tool results', () => {
        const calls = all.flatMap((d) => d.tool_calls);
        expect(calls.map((c) => c.name)).toEqual(e.tools);
        expect(calls.every((c) => c.ok === true && c.error === null)).toBe(true);
        expect(all.flatMap((d) => d.failure_markers)).toEqual([]);
      });

      test('evaluator scores that are not pass/fail outcomes stay notes, and signals stay null', () => {
        const trace = draftAt(run, '/trace');
        expect(trace.kind).toBe('meta');
        const notes = trace.observer_notes.split('; ').filter((n) => n.startsWith('score ')).map((n) => n.replace(/: .*$/, ''));
        expect(notes).toEqual(e.score_notes);
        expect(all.flatMap((d) => d.validation_results)).toEqual([]);
        for (const d of all) expect(Object.values(d.signals).every((v) => v === null)).toBe(true);
      });

      test('finalize accepts every draft', () => {
        run.evidence.forEach(({ draft }, i) => expect(buildTestRecord('langfuse', draft, i + 1).kind).toBe(draft.kind));
      });
    });
  }

  test('a pydantic-ai tool keeps its gen_ai.tool.call.id and arguments', () => {
    const run = runJsonAdapter(langfuseAdapter, join(SAMPLES, 'pydantic-ai-tools-2025-12-04.json'));
    expect(draftAt(run, '/observations/8').tool_calls).toEqual([
      {
        name: 'get_dad_joke_suggestion',
        call_id: 'call_WxZcCvSDhGT4RJHlcU01k10x',
        input_summary: '{"topic":"programming"}',
        ok: true,
        error: null,
      },
    ]);
    expect(draftAt(run, '/observations/8').output_text).toBe(
      "Dad joke idea: Use a classic setup-punchline format about 'programming' with a groan-worthy twist",
    );
  });
});

describe('langfuse fixtures', () => {
  const run = runJsonAdapter(langfuseAdapter, join(FIXTURES, 'errored-trace.json'));

  test('a clearly pass/fail outcome score becomes a validation result; evaluator scores stay notes', () => {
    const trace = draftAt(run, '/trace');
    expect(trace.validation_results).toEqual([
      { name: 'score:correctness', passed: false, detail: 'BOOLEAN False (EVAL): The fix does not compile.' },
      { name: 'score:Task Success', passed: true, detail: 'CATEGORICAL pass (ANNOTATION)' },
    ]);
    expect(trace.failure_markers).toEqual(['score_failed:correctness']);
    expect(trace.success_markers).toEqual(['score_passed:Task Success']);
    // helpfulness 0.7 is not pass/fail; toxicity 1 does not measure the outcome.
    expect(trace.observer_notes).toBe(
      'trace fix-bug; session fixture-session; tags ci; score helpfulness = NUMERIC 0.7 (EVAL); score toxicity = NUMERIC 1 (EVAL)',
    );
    expect(trace.latency_ms).toBe(4500);
    expect(trace.cost_usd).toBeNull();
    expect(trace.unmapped_fields).toEqual(['customField']);
  });

  test('an errored tool observation is a failed tool call with the status message as its error', () => {
    const tool = draftAt(run, '/observations/0');
    expect(tool.kind).toBe('tool_result');
    expect(tool.tool_calls).toEqual([
      { name: 'run_tests', call_id: 'obs-tool-err', input_summary: '{"path":"tests/"}', ok: false, error: 'Traceback (most recent call last):' },
    ]);
    expect(tool.failure_markers).toEqual(['tool_error:run_tests']);
    expect(tool.latency_ms).toBe(1500);
  });

  test('an errored generation and an errored span are failure markers', () => {
    const gen = draftAt(run, '/observations/1');
    expect(gen.kind).toBe('model_call');
    expect(gen.model_name).toBe('gpt-4o');
    expect(gen.model_provider).toBe('openai');
    expect(gen.tokens).toBeNull();
    expect(gen.failure_markers).toEqual(['generation_error:chat']);
    expect(gen.observer_notes).toBe('GENERATION chat; error: 429 rate limited');
    const span = draftAt(run, '/observations/3');
    expect(span.kind).toBe('message');
    expect(span.failure_markers).toEqual(['span_error:agent']);
  });

  test('OpenInference string token counts and cost attributes are read when usageDetails is absent', () => {
    const gen = draftAt(run, '/observations/2');
    expect(gen.model_name).toBe('claude-sonnet-4');
    expect(gen.model_provider).toBe('anthropic');
    expect(gen.tokens).toEqual({ input: 120, output: 30, cached: 100 });
    expect(gen.cost_usd).toBe(0.0021);
    expect(gen.latency_ms).toBe(1000);
    const cached = draftAt(run, '/observations/4');
    expect(cached.tokens).toEqual({ input: 500, output: 40, cached: 400 });
    expect(cached.observer_notes).toBe('GENERATION chat; warning: slow response');
  });

  test('quarantines an observation that is not an object, one without id and one without type', () => {
    expect(run.rejections).toEqual([
      { pointer: '/observations/7', code: 'missing_field', reason: 'type: every Langfuse observation names its type (GENERATION, SPAN, TOOL, ...)' },
      { pointer: '/observations/6', code: 'missing_field', reason: 'id: a SPAN observation without its id cannot be told apart from its siblings' },
      { pointer: '/observations/5', code: 'not_an_object', reason: 'expected a JSON object, got number' },
    ]);
    expect(run.items).toBe(9);
    expect(run.evidence.length).toBe(6);
  });

  test('a trace without an id is one run named by the sha256 of the trace', () => {
    const anon = runJsonAdapter(langfuseAdapter, join(FIXTURES, 'no-trace-id.json'));
    expect(anon.rejections).toEqual([]);
    const ids = [...new Set(anon.evidence.map((x) => x.draft.run_id))];
    expect(ids.length).toBe(1);
    expect(ids[0]).toMatch(/^langfuse:sha256-[0-9a-f]{16}$/);
    expect(draftAt(anon, '/observations/0').tokens).toEqual({ input: 10, output: 5, cached: 0 });
  });

  test('split refuses a document without a trace object or an observations array', () => {
    expect(langfuseAdapter.split?.({ trace: {}, observations: {} })).toEqual({
      ok: false,
      reason: 'observations: a Langfuse export carries its observations as an array',
    });
    expect(langfuseAdapter.split?.({ observations: [] })).toEqual({ ok: false, reason: 'trace: a Langfuse export carries its trace as an object' });
    expect(langfuseAdapter.split?.('x')).toEqual({ ok: false, reason: 'expected a Langfuse export object {trace, observations}, got string' });
  });

  test('finalize accepts every fixture draft', () => {
    run.evidence.forEach(({ draft }, i) => expect(buildTestRecord('langfuse', draft, i + 1).kind).toBe(draft.kind));
  });
});

describe('langfuse ordering', () => {
  test('the evidence does not depend on the order of the observations array', () => {
    const doc = JSON.parse(readFileSync(join(SAMPLES, 'pydantic-ai-tools-2025-12-04.json'), 'utf8')) as { trace: unknown; observations: unknown[] };
    const mapAll = (observations: unknown[]): EvidenceDraft[] => {
      const split = langfuseAdapter.split?.({ trace: doc.trace, observations });
      if (split === undefined || !split.ok) throw new Error('split failed');
      const state = langfuseAdapter.init('x.json');
      return split.items.flatMap((item, i) => {
        const r = langfuseAdapter.map(item.value, { source_file: 'x.json', line: i + 1, byte_offset: 0, pointer: item.pointer }, state);
        return r.ok ? [r.draft] : [];
      });
    };
    const reference = mapAll(doc.observations);
    expect(reference.length).toBe(13);
    fc.assert(
      fc.property(fc.shuffledSubarray(doc.observations, { minLength: doc.observations.length, maxLength: doc.observations.length }), (shuffled) => {
        expect(mapAll(shuffled)).toEqual(reference);
      }),
      { numRuns: 50 },
    );
  });
});

/** The category and first rule the scorer gives the run of a file (records get distinct evidence ids). */
function scoreFile(path: string): [string, string | undefined] {
  const [scored] = scoreJsonRun('langfuse', runJsonAdapter(langfuseAdapter, path));
  return [scored?.category ?? 'none', scored?.reasons[0]?.rule_id];
}

describe('langfuse runs as the scorer sees them', () => {
  test('a trace with only evaluator scores carries no outcome: needs_human_review', () => {
    for (const e of EXPECTED) expect(scoreFile(join(SAMPLES, e.file))).toEqual(['needs_human_review', 'outcome.none']);
  });

  test('a failed correctness score rejects the run', () => {
    expect(scoreFile(join(FIXTURES, 'errored-trace.json'))).toEqual(['rejected', 'hard.failed_validation']);
  });
});

describe('langfuse detection', () => {
  test('scores only the Langfuse samples above 0', () => {
    const files = listFiles(ALL_SAMPLES).filter((p) => !p.endsWith('SOURCES.md'));
    expect(files.length).toBeGreaterThan(20);
    const claimed = files.filter((path) => langfuseAdapter.detect({ path, first: probeValue(path) }) > 0);
    expect(claimed.map((p) => relative(ALL_SAMPLES, p)).sort()).toEqual(EXPECTED.map((e) => `langfuse/${e.file}`));
  });

  test('wins detection for its samples and fixtures against the other adapters', () => {
    const adapters = [claudeCodeAdapter, codexAdapter, copilotCliAdapter, langfuseAdapter] as unknown as Adapter[];
    const paths = [...EXPECTED.map((e) => join(SAMPLES, e.file)), join(FIXTURES, 'errored-trace.json'), join(FIXTURES, 'no-trace-id.json')];
    for (const path of paths) expect(detectAdapter(adapters, path, probeValue(path), 'json')?.id).toBe('langfuse');
  });

  test('scores 0 when observations are not Langfuse-shaped', () => {
    expect(langfuseAdapter.detect({ path: 'x.json', first: { trace: { id: 't' }, observations: [{ foo: 1 }] } })).toBe(0);
    expect(langfuseAdapter.detect({ path: 'x.json', first: { trace: 't', observations: [] } })).toBe(0);
    expect(langfuseAdapter.detect({ path: 'x.json', first: { trace: { id: 't' }, observations: [] } })).toBe(90);
  });
});

describe('langfuse through collect', () => {
  test('every item ends as evidence or quarantine', async () => {
    const path = join(FIXTURES, 'errored-trace.json');
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
    const pointers: Array<string | null> = [];
    const quarantined: Array<string | null> = [];
    const summary = await collectSource(
      io,
      { path, display_path: 'errored-trace.json', format: null },
      {
        adapters: [claudeCodeAdapter, codexAdapter, copilotCliAdapter, langfuseAdapter] as unknown as Adapter[],
        recorded_at: '2026-01-01T00:00:00Z',
        ingest: IngestConfigSchema.parse({}),
        redact: (t) => t,
      },
      { evidence: (r) => void pointers.push(r.provenance.pointer), quarantine: (q) => void quarantined.push(q.pointer) },
    );
    expect(summary.format).toBe('langfuse');
    expect(summary.lines).toBe(9);
    expect(summary.evidence).toBe(6);
    expect(summary.quarantined).toBe(3);
    expect(pointers).toEqual(['/trace', '/observations/2', '/observations/3', '/observations/0', '/observations/1', '/observations/4']);
    expect(quarantined).toEqual(['/observations/7', '/observations/6', '/observations/5']);
    expect(summary.unmapped_fields).toEqual({ customField: 1 });
  });
});
