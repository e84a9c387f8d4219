// Each lakehouse adapter on its fixture: concrete run ids, signals, markers and roles, joins across streams, and schema validity.
import { describe, expect, test } from 'bun:test';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EVIDENCE_SCHEMA_VERSION, EvidenceRecordSchema } from '../../../../schemas/evidence-record.ts';
import { sha256Hex } from '../../../canonical.ts';
import type { Adapter, EvidenceDraft } from '../../adapter.ts';
import { LAKEHOUSE_ADAPTERS, LAKEHOUSE_STREAM_NAMES } from './index.ts';
import { parseConsensusVotes } from './audit-streams.ts';

const FIXTURES = join(import.meta.dir, '../../../../tests/fixtures/lakehouse');

function adapterFor(stream: string): Adapter {
  const adapter = LAKEHOUSE_ADAPTERS.find((a) => a.id === `lakehouse:${stream}`);
  if (adapter === undefined) throw new Error(`no adapter for ${stream}`);
  return adapter;
}

function fixtureValues(stream: string): unknown[] {
  return readFileSync(join(FIXTURES, `${stream}.jsonl`), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as unknown);
}

/** Every line of a stream's fixture mapped; a rejection fails the test with its reason. */
function drafts(stream: string): EvidenceDraft[] {
  const adapter = adapterFor(stream);
  return fixtureValues(stream).map((value, i) => {
    const result = adapter.map(value, { source_file: `${stream}.jsonl`, line: i + 1, byte_offset: 0, pointer: null }, adapter.init(`${stream}.jsonl`));
    if (!result.ok) throw new Error(`${stream} line ${i + 1}: ${result.rejection.reason}`);
    return result.draft;
  });
}

function at<T>(list: readonly T[], i: number): T {
  const item = list[i];
  if (item === undefined) throw new Error(`no item ${i}`);
  return item;
}

/** What collect adds around a draft, so the draft can be checked against the real record schema. */
function asRecord(stream: string, d: EvidenceDraft, line: number): unknown {
  const { link_hints, unmapped_fields, ...rest } = d;
  return {
    ...rest,
    schema_version: EVIDENCE_SCHEMA_VERSION,
    evidence_id: sha256Hex(`${stream}:${line}`),
    source_format: `lakehouse:${stream}`,
    input_hash: sha256Hex(d.input_text ?? ''),
    output_hash: sha256Hex(d.output_text ?? ''),
    link_hints,
    links: [],
    unmapped_fields,
    provenance: { source_file: `${stream}.jsonl`, line_offset: line, byte_offset: 0, pointer: null, sig_hash: sha256Hex('x'), recorded_at: '2026-04-27T12:00:00Z' },
  };
}

describe('every lakehouse stream', () => {
  test('has exactly one adapter, with id lakehouse:<stream>, in DESIGN 7.1 order', () => {
    expect(LAKEHOUSE_ADAPTERS.map((a) => a.id)).toEqual(LAKEHOUSE_STREAM_NAMES.map((s) => `lakehouse:${s}`));
    expect(LAKEHOUSE_ADAPTERS).toHaveLength(18);
    for (const a of LAKEHOUSE_ADAPTERS) expect(a.container).toBe('jsonl');
  });

  for (const stream of LAKEHOUSE_STREAM_NAMES) {
    test(`maps every line of ${stream}.jsonl to a draft that passes the EvidenceRecord schema`, () => {
      const ds = drafts(stream);
      expect(ds.length).toBeGreaterThanOrEqual(3);
      ds.forEach((d, i) => {
        const parsed = EvidenceRecordSchema.safeParse(asRecord(stream, d, i + 1));
        if (!parsed.success) throw new Error(`${stream} line ${i + 1}: ${parsed.error.message}`);
        expect([...d.unmapped_fields].sort()).toEqual(d.unmapped_fields);
      });
    });
  }
});

describe('lakehouse:mode_experiments', () => {
  const ds = drafts('mode_experiments');
  test('maps one mode runner call: model, provider, latency, file, sources, response', () => {
    const d = at(ds, 0);
    expect(d.kind).toBe('model_call');
    expect(d.model_role).toBe('executor');
    expect(d.run_id).toMatch(/^mode_experiments:[0-9a-f]{16}$/);
    expect(d.task_type).toBe('scrum_review');
    expect(d.task_id).toBe('scrum_review:crates/vectord/src/pathway_memory.rs');
    expect(d.model_name).toBe('kimi-k2:1t');
    expect(d.model_provider).toBe('ollama');
    expect(d.latency_ms).toBe(18234);
    expect(d.timestamp).toBe('2026-04-25T14:02:11.482Z');
    expect(d.source_files).toEqual(['crates/vectord/src/pathway_memory.rs']);
    expect(d.retrieved_context).toEqual(['pathway_memory', 'lakehouse_arch_v1', 'lakehouse_answers_v1']);
    expect(d.output_text?.startsWith('## pathway_memory.rs\n- `insert` clones')).toBe(true);
    expect(d.observer_notes).toBe('mode: codereview_lakehouse');
    expect(d.unmapped_fields).toEqual(['response_chars']);
  });
  test('keeps calls of two modes on one file apart as runs but together as a task', () => {
    expect(at(ds, 0).run_id).not.toBe(at(ds, 1).run_id);
    expect(at(ds, 0).task_id).toBe(at(ds, 1).task_id);
    expect(at(ds, 1).retrieved_context).toEqual(['pub fn insert(&mut self, trace: Trace) -> Result<()>']);
  });
  test('uses the record run_id when present and marks an empty response', () => {
    const d = at(ds, 2);
    expect(d.run_id).toBe('mx-20260425-0007');
    expect(d.output_text).toBe('');
    expect(d.model_provider).toBe('openai');
    expect(d.failure_markers).toEqual(['mode runner returned an empty response']);
  });
  test('turns a runner error into a failure marker and run_ok false', () => {
    const d = at(ds, 3);
    expect(d.failure_markers).toEqual(['mode runner error: upstream 500: Internal Server Error from Ollama Cloud']);
    expect(d.signals.run_ok).toBe(false);
    expect(d.output_text).toBeNull();
  });
  test('tolerates a call with no file and lists unknown fields', () => {
    const d = at(ds, 4);
    expect(d.task_id).toBe('staffing_inference_lakehouse');
    expect(d.source_files).toEqual([]);
    expect(d.model_provider).toBe('anthropic');
    expect(d.unmapped_fields).toEqual(['temperature']);
  });
  test('derives the same run id on a second read', () => {
    expect(drafts('mode_experiments').map((d) => d.run_id)).toEqual(ds.map((d) => d.run_id));
  });
});

describe('lakehouse:scrum_reviews and lakehouse:auto_apply', () => {
  const reviews = drafts('scrum_reviews');
  const applies = drafts('auto_apply');
  test('a first-try review is accepted on attempt 1 with no failure marker', () => {
    const d = at(reviews, 0);
    expect(d.kind).toBe('review');
    expect(d.model_role).toBe('reviewer');
    expect(d.run_id).toBe('scrum:crates/gateway/src/v1/mode.rs@2026-04-25');
    expect(d.task_id).toBe('scrum:crates/gateway/src/v1/mode.rs');
    expect(d.signals.accepted_on_attempt).toBe(1);
    expect(d.success_markers).toEqual(['review accepted on attempt 1 from kimi-k2:1t']);
    expect(d.failure_markers).toEqual([]);
    expect(d.observer_notes).toBe('scrum verdict: needs_patch');
    expect(d.output_text?.startsWith('### mode.rs')).toBe(true);
  });
  test('a review accepted on attempt 3 says attempts 1..2 failed; a JSON review becomes its JSON text', () => {
    const d = at(reviews, 1);
    expect(d.signals.accepted_on_attempt).toBe(3);
    expect(d.failure_markers).toEqual(['attempts 1..2 failed']);
    expect(JSON.parse(d.output_text ?? 'null')).toEqual({
      summary: 'treeSplitFile drops the last shard when the file length is an exact multiple of the shard size',
      findings: [{ line: 212, issue: 'off-by-one in shard loop' }],
      patches: 1,
    });
    expect(at(reviews, 2).failure_markers).toEqual(['attempt 1 failed']);
    expect(at(reviews, 2).unmapped_fields).toEqual(['tree_split_shards']);
  });
  test('tolerates a review with only its file and time', () => {
    const d = at(reviews, 3);
    expect(d.signals.accepted_on_attempt).toBeNull();
    expect(d.model_name).toBeNull();
    expect(d.output_text).toBeNull();
    expect(d.success_markers).toEqual([]);
  });
  test('an applier action joins the review of its file and day', () => {
    expect(applies.map((d) => d.run_id)).toEqual(reviews.map((d) => d.run_id));
    expect(applies.map((d) => d.task_id)).toEqual(reviews.map((d) => d.task_id));
    expect(new Set([...applies, ...reviews].map((d) => d.task_type))).toEqual(new Set(['scrum_review']));
  });
  test('applied: passed gates become passed validations and a success marker', () => {
    const d = at(applies, 0);
    expect(d.kind).toBe('patch');
    expect(d.model_role).toBe('tool');
    expect(d.signals.applier_action).toBe('applied');
    expect(d.validation_results.map((v) => [v.name, v.passed])).toEqual([
      ['cargo_check', true],
      ['cargo_test', true],
      ['clippy', true],
      ['diff_size', true],
      ['no_todo', true],
    ]);
    expect(d.success_markers).toEqual(['applied 2 patches']);
    expect(d.failure_markers).toEqual([]);
  });
  test('gate_failed: the failed gate is a failed validation and a failure marker', () => {
    const d = at(applies, 1);
    expect(d.signals.applier_action).toBe('gate_failed');
    expect(d.validation_results).toEqual([
      { name: 'bun_test', passed: true, detail: '' },
      { name: 'no_todo', passed: false, detail: 'todo!() macro call introduced at line 212' },
    ]);
    expect(d.failure_markers).toEqual(['gate no_todo failed: todo!() macro call introduced at line 212']);
    expect(d.success_markers).toEqual([]);
  });
  test('reverted: a revert marker with its reason, and gates given as a map', () => {
    const d = at(applies, 2);
    expect(d.signals.applier_action).toBe('reverted');
    expect(d.validation_results).toEqual([
      { name: 'typecheck', passed: true, detail: '' },
      { name: 'bun_test', passed: false, detail: '' },
    ]);
    expect(d.failure_markers).toEqual(['gate bun_test failed', 'patch reverted: tests failed after apply: 3 failing in kb_query.test.ts']);
    expect(d.unmapped_fields).toEqual(['branch']);
  });
  test('skipped: no marker either way', () => {
    const d = at(applies, 3);
    expect(d.signals.applier_action).toBe('skipped');
    expect(d.success_markers).toEqual([]);
    expect(d.failure_markers).toEqual([]);
  });
});

describe('the auditor streams', () => {
  const audits = drafts('audits');
  const facts = drafts('audit_facts');
  const lessons = drafts('audit_lessons');
  const splits = drafts('audit_discrepancies');
  const pr41 = 'pr-41@f753e11c2a9d';
  const head41 = 'f753e11c2a9d4b8e6f0a1b3c5d7e9f2a4b6c8d0e';

  test('join on pr-<n>@<head_sha[0:12]> across audits, facts, lessons and discrepancies', () => {
    expect(audits.map((d) => d.run_id)).toEqual([pr41, 'pr-44@27b1d27605e4', 'pr-45@9c3e5a7b1d2f']);
    expect(facts.map((d) => d.run_id)).toEqual([pr41, pr41, 'pr-44@27b1d27605e4']);
    expect(lessons.map((d) => d.run_id)).toEqual([pr41, pr41, 'pr-45@9c3e5a7b1d2f']);
    expect(splits.map((d) => d.run_id)).toEqual([pr41, pr41, 'pr-44@27b1d27605e4']);
    const all = [...audits, ...facts, ...lessons, ...splits];
    expect(all.filter((d) => d.run_id === pr41)).toHaveLength(7);
    expect(new Set(all.map((d) => d.task_type))).toEqual(new Set(['pr_audit']));
    for (const d of all.filter((x) => x.run_id === pr41)) expect(d.link_hints.oids).toEqual([head41]);
  });
  test('a block verdict: auditor_verdict block and one failure marker per blocking finding', () => {
    const d = at(audits, 0);
    expect(d.kind).toBe('verdict');
    expect(d.model_role).toBe('reviewer');
    expect(d.task_id).toBe('pr-41');
    expect(d.signals.auditor_verdict).toBe('block');
    expect(d.failure_markers).toEqual([
      'blocking finding: static: todo!() macro call (tests/real-world/scrum_master_pipeline.ts:212)',
      'blocking finding: inference: PR body claims 48 tests passing; 46 found (auditor/schemas/distillation/schemas.test.ts)',
    ]);
    expect(d.source_files).toEqual(['tests/real-world/scrum_master_pipeline.ts', 'auditor/schemas/distillation/schemas.test.ts', 'scripts/distillation/transforms.ts']);
    expect(d.output_text?.split('\n')[0]).toBe('auditor verdict block: 4 findings');
    expect(d.timestamp).toBe('2026-04-26T22:41:09.000Z');
  });
  test('a warn verdict carries no marker; a pass verdict a success marker', () => {
    expect(at(audits, 1).signals.auditor_verdict).toBe('warn');
    expect(at(audits, 1).failure_markers).toEqual([]);
    expect(at(audits, 1).success_markers).toEqual([]);
    expect(at(audits, 1).unmapped_fields).toEqual(['duration_ms']);
    expect(at(audits, 2).signals.auditor_verdict).toBe('pass');
    expect(at(audits, 2).success_markers).toEqual(['auditor verdict pass']);
  });
  test('facts and lessons are extractor facts with their text as output', () => {
    const f = at(facts, 0);
    expect(f.kind).toBe('fact');
    expect(f.model_role).toBe('extractor');
    expect(f.model_name).toBe('qwen3-coder:480b');
    expect(f.output_text).toBe('TRANSFORMS in scripts/distillation/transforms.ts covers 12 source streams.');
    expect(f.observer_notes).toBe('verified by kimi-k2:1t');
    expect(f.unmapped_fields).toEqual(['entities', 'llm_team_run_id', 'relationships']);
    expect(at(lessons, 2).timestamp).toBeNull();
    expect(at(lessons, 2).model_name).toBeNull();
  });
  test('a consensus split renders its votes and resolution, per claim', () => {
    const d = at(splits, 0);
    expect(d.kind).toBe('consensus');
    expect(d.model_role).toBe('verifier');
    expect(d.task_id).toBe('pr-41:claim-2');
    expect(d.input_text).toBe('48 tests passing in 502ms');
    expect(d.output_text).toBe(
      [
        'resolution: fake (2 of 3)',
        'votes:',
        '- kimi-k2:1t: fake — only 46 test() calls in the three files',
        '- qwen3-coder:480b: verified — the PR body quotes the runner output',
        '- gpt-oss:120b: fake — count mismatch with the diff',
      ].join('\n'),
    );
    expect(at(splits, 1).output_text).toBe('resolution: verified\nvotes:\n- kimi-k2:1t: verified\n- qwen3-coder:480b: partial\n- gpt-oss:120b: verified');
    expect(at(splits, 2).output_text?.startsWith('resolution: unresolved\n')).toBe(true);
  });
  test('parseConsensusVotes reads back the votes and resolution a split was rendered with', () => {
    expect(parseConsensusVotes(at(splits, 0).output_text!)).toEqual({
      resolution: 'fake (2 of 3)',
      votes: [
        { voter: 'kimi-k2:1t', verdict: 'fake', reason: 'only 46 test() calls in the three files' },
        { voter: 'qwen3-coder:480b', verdict: 'verified', reason: 'the PR body quotes the runner output' },
        { voter: 'gpt-oss:120b', verdict: 'fake', reason: 'count mismatch with the diff' },
      ],
    });
    expect(parseConsensusVotes(at(splits, 2).output_text!)?.resolution).toBeNull();
    // A capped text (the store's truncation mark on its own line) or any other shape is unreadable, never guessed at.
    expect(parseConsensusVotes(`${at(splits, 0).output_text!.slice(0, 60)}\n[truncated by git-distill: the hash covers the full text]`)).toBeNull();
    expect(parseConsensusVotes('votes:\n- a: yes')).toBeNull();
  });
  test('property: any list of votes round-trips through the mapping and parseConsensusVotes', () => {
    const name = fc.stringMatching(/^[a-z0-9][a-z0-9.:/-]{0,20}$/).filter((x) => !x.includes(': '));
    const text = fc.string({ unit: fc.constantFrom('a', 'b', ' ', '\n', '—', ':', '-', '.'), maxLength: 40 });
    const voteArb = fc.record({ model: name, verdict: fc.constantFrom('fake', 'verified', 'partial', 'true', 'no'), reason: fc.option(text.filter((r) => /[ab]/.test(r)), { nil: null }) });
    fc.assert(
      fc.property(fc.array(voteArb, { minLength: 1, maxLength: 5 }), fc.option(text.filter((r) => /[ab]/.test(r)), { nil: null }), (votes, resolution) => {
        const line = { pr_number: 7, head_sha: 'a'.repeat(40), claim_idx: 1, claim: 'it works', votes: votes.map((v) => (v.reason === null ? { model: v.model, verdict: v.verdict } : v)), ...(resolution === null ? {} : { resolution }) };
        const adapter = adapterFor('audit_discrepancies');
        const mapped = adapter.map(line, { source_file: 'x.jsonl', line: 1, byte_offset: 0, pointer: null }, adapter.init('x.jsonl'));
        if (!mapped.ok) throw new Error(mapped.rejection.reason);
        const flat = (t: string) => t.replace(/\s+/g, ' ').trim();
        expect(parseConsensusVotes(mapped.draft.output_text!)).toEqual({
          resolution: resolution === null || flat(resolution) === '' ? null : flat(resolution),
          votes: votes.map((v) => ({ voter: v.model, verdict: v.verdict, reason: v.reason === null ? null : flat(v.reason) })),
        });
      }),
      { numRuns: 200, seed: 5 },
    );
  });
});

describe('observer, trust, outcome and override streams', () => {
  test('observer_reviews: verdict and confidence as signals, notes as observer notes', () => {
    const ds = drafts('observer_reviews');
    expect(ds.map((d) => [d.run_id, d.signals.observer_verdict, d.signals.observer_confidence])).toEqual([
      ['scrum-20260425-mode_rs-a1', 'accept', 0.92],
      ['scrum-20260425-pipeline_ts-a3', 'reject', 0.81],
      ['sc-20260425-heritage_foods-04', 'reject', 0.55],
      ['sc-20260425-riverfront_steel-02', 'accept', null],
    ]);
    expect(at(ds, 1).observer_notes).toBe('The patch introduces a todo!() and does not fix the shard loop.');
    expect(at(ds, 0).model_role).toBe('observer');
    expect(at(ds, 0).source_files).toEqual(['crates/gateway/src/v1/mode.rs']);
    expect(at(ds, 3).observer_notes).toBe('');
  });
  test('observer_escalations: a failure cluster with a hashed run id', () => {
    const ds = drafts('observer_escalations');
    expect(at(ds, 0).kind).toBe('escalation');
    expect(at(ds, 0).run_id).toMatch(/^observer_escalations:[0-9a-f]{16}$/);
    expect(at(ds, 0).task_id).toBe('failure:a3f91c0d7e2b4a68');
    expect(at(ds, 0).failure_markers).toEqual(['failure cluster a3f91c0d7e2b4a68: 7 occurrences in mode codereview_lakehouse']);
    expect(at(ds, 0).unmapped_fields).toEqual(['kb_preamble_chars']);
    expect(at(ds, 2).output_text).toBeNull();
  });
  test('model_trust: attempts_made is the accepted attempt; errors and thin rejections are failure markers', () => {
    const ds = drafts('model_trust');
    expect(at(ds, 0).signals.accepted_on_attempt).toBe(1);
    expect(at(ds, 0).failure_markers).toEqual([]);
    expect(at(ds, 1).signals.accepted_on_attempt).toBe(3);
    expect(at(ds, 1).model_name).toBe('qwen3-coder:480b');
    expect(at(ds, 1).failure_markers).toEqual(['error: gpt-oss:120b: timeout after 30000 ms', 'error: kimi-k2:1t: upstream 500', '1 response rejected as too thin']);
    expect(at(ds, 2).signals.accepted_on_attempt).toBeNull();
    expect(at(ds, 2).failure_markers[0]).toBe('no model accepted after 4 attempts');
    expect(at(ds, 2).failure_markers).toHaveLength(5);
    expect(at(ds, 3).task_type).toBe('staffing_inference');
    expect(at(ds, 3).success_markers).toEqual([]);
  });
  test('outcomes: run_ok is ok_events == total_events, grounding citations / (citations + gaps)', () => {
    const ds = drafts('outcomes');
    expect(at(ds, 0).signals.run_ok).toBe(true);
    expect(at(ds, 0).signals.grounding).toBe(30 / 32);
    expect(at(ds, 0).model_name).toBe('claude-sonnet-4-5');
    expect(at(ds, 0).task_id).toBe('signature:e0a4c2b9d18f7736');
    expect(at(ds, 1).signals.run_ok).toBe(false);
    expect(at(ds, 1).signals.grounding).toBe(0.5);
    expect(at(ds, 1).failure_markers).toEqual(['3 of 12 events failed']);
    expect(at(ds, 1).model_name).toBeNull();
    expect(at(ds, 2).signals.run_ok).toBeNull();
    expect(at(ds, 2).signals.grounding).toBeNull();
    expect(at(ds, 3).signals.grounding).toBeNull();
  });
  test('human_overrides: the decision, reason and author, role human', () => {
    const ds = drafts('human_overrides');
    expect(at(ds, 0).model_role).toBe('human');
    expect(at(ds, 0).kind).toBe('override');
    expect(at(ds, 0).human_override).toEqual({ decision: 'accept', reason: 'Checked the three candidates by hand; all hold the certification.', by: 'profit' });
    expect(at(ds, 2).human_override).toEqual({ decision: 'reject', reason: 'wrong permit year', by: 'unknown' });
  });
  test('observer, trust, outcome and override evidence of one run share its run id', () => {
    const run = 'sc-20260425-heritage_foods-04';
    const streams = ['observer_reviews', 'model_trust', 'outcomes', 'human_overrides'];
    for (const s of streams) expect(drafts(s).some((d) => d.run_id === run)).toBe(true);
  });
  test('contract_analyses: ok, observer fields, cost and duration', () => {
    const ds = drafts('contract_analyses');
    const d = at(ds, 0);
    expect(d.kind).toBe('analysis');
    expect(d.run_id).toMatch(/^contract_analyses:[0-9a-f]{16}$/);
    expect(d.task_id).toBe('permit:BLD-2026-004417');
    expect(d.signals).toMatchObject({ run_ok: true, observer_verdict: 'accept', observer_confidence: 0.9 });
    expect(d.cost_usd).toBe(0.0042);
    expect(d.latency_ms).toBe(5120);
    expect(d.model_provider).toBe('openai');
    expect(d.retrieved_context).toEqual(['chicago_permits_v1', 'entity_brief_v1']);
    expect(d.observer_notes).toBe('Grounded in two permit records. [matrix: 14 hits from 2 corpora in 338 ms] [observer: observer:3800]');
    expect(at(ds, 1).signals.run_ok).toBe(false);
    expect(at(ds, 1).failure_markers).toEqual(['analysis failed: matrix search timed out after 10000 ms']);
    expect(at(ds, 2).task_id).toBe('permit:88213');
    expect(at(ds, 2).signals).toMatchObject({ observer_verdict: 'reject', observer_confidence: 0.75 });
    expect(at(ds, 2).retrieved_context).toEqual(['DEMOLITION - 2 STORY FRAME GARAGE']);
  });
});

describe('distilled and drift streams', () => {
  test('distilled_* pass their text through as facts, embeddings left out', () => {
    for (const [stream, taskType] of [
      ['distilled_facts', 'distilled:factual'],
      ['distilled_procedures', 'distilled:procedural'],
      ['distilled_config_hints', 'distilled:config_hint'],
    ] as const) {
      const ds = drafts(stream);
      for (const d of ds) {
        expect(d.kind).toBe('fact');
        expect(d.model_role).toBe('extractor');
        expect(d.task_type).toBe(taskType);
        expect(d.unmapped_fields).toEqual(['categorizer', 'embed_dim', 'embedding', 'sig_hash', 'source_service']);
      }
    }
    const facts = drafts('distilled_facts');
    expect(at(facts, 0).run_id).toBe('ltr-7c10e2');
    expect(at(facts, 0).output_text).toBe("The gateway fans out every /v1/chat call to the observer's /event endpoint.");
    expect(at(facts, 2).task_id).toBe('ltr-81aa03');
    expect(at(facts, 2).observer_notes).toBe('');
  });
  test('phase_sweep_findings: a drift signal with claim tallies as markers', () => {
    const ds = drafts('phase_sweep_findings');
    const d = at(ds, 1);
    expect(d.kind).toBe('drift_signal');
    expect(d.task_id).toBe('phase:40');
    expect(d.success_markers).toEqual(['2 claims verified']);
    expect(d.failure_markers).toEqual(['2 claims fake']);
    expect(d.output_text).toBe('phase 40 (Tenant isolation): shipped\n- a single shared index; tenant filter applied post-search\n- tests/battery/isolation.rs does not exist');
    expect(d.retrieved_context).toEqual(['crates/vectord/src/index.rs']);
    expect(at(ds, 2).task_id).toBe('phase:42');
    expect(new Set(ds.map((x) => x.run_id)).size).toBe(3);
  });
  test('doc_drift_corrections: claim in, correction out, head_sha as a link hint', () => {
    const ds = drafts('doc_drift_corrections');
    const d = at(ds, 0);
    expect(d.kind).toBe('drift_signal');
    expect(d.input_text).toBe('Phase 40 ships per-tenant HNSW indexes');
    expect(d.output_text).toBe('Phase 40 ships a shared HNSW index with a post-search tenant filter');
    expect(d.source_files).toEqual(['docs/PRD.md']);
    expect(d.link_hints.oids).toEqual(['27b1d27605e4c9a8b3f1d0e2c4a6b8d0f1e3a5c7']);
    expect(at(ds, 2).task_id).toBe('doc:phase-43');
    expect(at(ds, 2).failure_markers).toEqual(['1 claim fake']);
  });
});
