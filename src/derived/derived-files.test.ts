// Derived files from real folders (built and scored by the pipeline's own buildFolderFiles): counts, dedup of carried runs, the cache, order independence.
import { describe, expect, test } from 'bun:test';
import fc from 'fast-check';
import { sha256Hex } from '../canonical.ts';
import { emptySignals } from '../collect/adapter.ts';
import { buildFolderFiles, emptyFolderContent } from '../distill/build-folder.ts';
import { resolveScoringConfig } from '../score/rules.ts';
import { createMemoryStore } from '../store/memory-store.ts';
import { LEDGER_MODELS_FILE, PLAYBOOK_APPROVALS_FILE } from '../store/layout.ts';
import { EvidenceRecordSchema, type EvidenceRecord } from '../../schemas/evidence-record.ts';
import type { ModelLedgerEntry } from '../../schemas/model-ledger-entry.ts';
import type { Playbook } from '../../schemas/playbook.ts';
import { computeDerivedFiles, renderApprovals, type CachedSummary, type DerivedOptions, type DerivedTotal, type DerivedView, type SummaryCache } from './derived-files.ts';
import { percentile, wilsonInterval } from '../ledger/compute-ledger.ts';

const OPTS: DerivedOptions = { playbooks: { min_runs: 2, max_items: 10 }, ledger: { failure_modes: 5 } };
const EMPTY = sha256Hex('');
const dec = new TextDecoder();
const oid = (n: number) => n.toString(16).padStart(2, '0').repeat(20);

interface Step {
  /** Null for a person's message (with `prompt`). */
  model: string | null;
  /** A person's message: the step is a `message` from a human carrying this text. */
  prompt?: string;
  role?: EvidenceRecord['model_role'];
  cost?: number;
  latency?: number;
  ok?: boolean;
  validations?: Array<[string, boolean]>;
  commands?: Array<[string, number]>;
  files?: string[];
}

/** One run's evidence, linked to `links` (the last is the folder's commit). */
function run(runId: string, steps: Step[], links: string[], task_type = 'bugfix'): EvidenceRecord[] {
  return steps.map((s, i) =>
    EvidenceRecordSchema.parse({
      schema_version: 1,
      evidence_id: sha256Hex(`${runId}:${i}`),
      source_format: 'lakehouse:mode_experiments',
      kind: s.prompt === undefined ? 'model_call' : 'message',
      run_id: runId,
      // Unique per run, as the auditor loop's and every session's ids are: a signature must never depend on it.
      task_id: runId,
      task_type,
      timestamp: `2024-01-01T00:0${i}:00Z`,
      model_name: s.model,
      model_provider: s.model === null ? null : 'acme',
      model_role: s.role ?? (s.prompt === undefined ? 'executor' : 'human'),
      input_hash: EMPTY,
      output_hash: EMPTY,
      input_text: s.prompt ?? null,
      output_text: null,
      source_files: s.files ?? (s.prompt === undefined ? ['src/auth/login.ts'] : []),
      commands_run: (s.commands ?? []).map(([command, exit_code]) => ({ command, exit_code })),
      tool_calls: [],
      retrieved_context: [],
      observer_notes: '',
      scratchpad_summary: null,
      success_markers: s.ok === true ? ['patch applied'] : [],
      failure_markers: s.ok === false ? ['patch rejected'] : [],
      validation_results: (s.validations ?? []).map(([name, passed]) => ({ name, passed, detail: '' })),
      human_override: null,
      signals: { ...emptySignals(), run_ok: s.ok ?? null },
      cost_usd: s.cost ?? null,
      latency_ms: s.latency ?? null,
      tokens: null,
      link_hints: { oids: [], cwd: null, branch: null },
      links: links.map((o) => ({ oid: o, by: o === links[0] ? 'files' : 'rewrite', detail: 'test' })),
      unmapped_fields: [],
      provenance: { source_file: `logs/${runId}.jsonl`, line_offset: i + 1, byte_offset: i * 10, pointer: null, sig_hash: sha256Hex(`${runId}/${i}`), recorded_at: '2024-01-01T00:00:00Z' },
    }),
  );
}

const setup = { config_sha256: EMPTY, rules: resolveScoringConfig({}), rules_sha256: EMPTY, scorer_version: 't', tool_version: 't' };
function folder(source: string, evidence: EvidenceRecord[]): Map<string, Uint8Array> {
  return buildFolderFiles({ ...emptyFolderContent(), evidence }, { oid: source, subject: 's', committed_at: '2024-01-02T00:00:00Z' }, setup);
}

async function storeWith(folders: Array<[string, Map<string, Uint8Array>]>) {
  const store = createMemoryStore();
  for (const [o, files] of folders) await store.write({ source_oid: o, subject: 's', files, derived: new Map(), expected_head: await store.head(), date: '2024-01-02T00:00:00Z' });
  return store;
}

function ledgerOf(derived: Map<string, Uint8Array | null>): ModelLedgerEntry[] {
  const b = derived.get(LEDGER_MODELS_FILE);
  return b === null || b === undefined ? [] : dec.decode(b).split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as ModelLedgerEntry);
}
const playbooksOf = (derived: Map<string, Uint8Array | null>) =>
  [...derived].filter(([p, b]) => p.startsWith('playbooks/') && b !== null).map(([, b]) => JSON.parse(dec.decode(b!)) as Playbook);

function memoryCache(): SummaryCache & { rows: Map<string, CachedSummary> } {
  let head: string | null = null;
  let stored: DerivedTotal | null = null;
  const rows = new Map<string, CachedSummary>();
  return {
    rows,
    mirroredHead: () => head,
    summaries: () => new Map(rows),
    summary: (o) => rows.get(o) ?? null,
    hasDeferralsTo: (o) => [...rows.values()].some((r) => r.summary.groups.some((g) => g.defer_to.includes(o))),
    total: () => structuredClone(stored),
    putSummaries(put, remove, total) {
      head = null;
      stored = structuredClone(total);
      for (const r of put) rows.set(r.source_oid, r);
      for (const o of remove) rows.delete(o);
    },
    markMirrored(h) {
      head = h;
    },
  };
}

/** A view that counts the files it reads. */
function counting(view: DerivedView): DerivedView & { reads: string[] } {
  const reads: string[] = [];
  return {
    reads,
    listPaths: (d) => view.listPaths(d),
    readPath: (p) => (reads.push(p), view.readPath(p)),
    async *readPaths(paths) {
      for await (const x of view.readPaths(paths)) {
        reads.push(x[0]);
        yield x;
      }
    },
  };
}

const A = oid(1);
const B = oid(2);
const C = oid(3);
const FOLDERS: Array<[string, Map<string, Uint8Array>]> = [
  [
    A,
    folder(A, [
      ...run('r1', [{ model: 'small', latency: 100, cost: 0.1, ok: false }, { model: 'big', latency: 900, cost: 0.3, ok: true, validations: [['bun test', true]], commands: [['bun test', 0]] }], [A]),
      ...run('r2', [{ model: 'small', latency: 200, cost: 0.2, ok: true, validations: [['bun test', true]] }], [A]),
    ]),
  ],
  [B, folder(B, [...run('r3', [{ model: 'small', latency: 300, ok: false, validations: [['bun test', false]], commands: [['bun test', 1]] }], [B])])],
  [C, folder(C, [...run('r4', [{ model: 'small', latency: 400, cost: 0.7, ok: true, validations: [['bun test', true]] }], [C])])],
];

describe('computeDerivedFiles', () => {
  test('the ledger: samples, wins for the last model, rescue, exact costs, nearest-rank latency', async () => {
    const derived = await computeDerivedFiles(await storeWith(FOLDERS), OPTS);
    const [big, small] = ledgerOf(derived);
    expect(big).toMatchObject({ model_name: 'big', sample_count: 1, success_rate: 1, latency_p50: 900, cost: { per_run: 0.3, per_accepted_run: 0.3 } });
    // small attempted r1 (lost to big), r2 (won), r3 (rejected), r4 (won).
    expect(small).toMatchObject({ model_name: 'small', sample_count: 4, success_rate: 0.5, best_partner_model: 'big', latency_p50: 200, latency_p95: 400 });
    expect(small!.cost).toEqual({ per_run: 0.333333333, per_accepted_run: 0.5 });
    expect(small!.failure_modes.map((f) => f.count).reduce((a, b) => a + b, 0)).toBe(2);
    expect(big!.escalation_role).toBe('executor');
  });

  test('playbooks: one per signature with enough runs, commands and validations from evidence, rejected runs give failures', async () => {
    const [p, ...rest] = playbooksOf(await computeDerivedFiles(await storeWith(FOLDERS), OPTS));
    expect(rest).toEqual([]);
    expect(p!.source_run_ids).toEqual(['r1', 'r2', 'r3', 'r4']);
    expect(p!.problem_pattern).toBe('bugfix of *.ts in src/auth');
    expect(p!.commands_worked).toEqual(['bun test']);
    // r3 (rejected) failed `bun test`, but it passed in the supporting runs: a step to take, its failure a failure mode.
    expect(p!.commands_failed).toEqual([]);
    expect(p!.known_failure_modes).toContain('rejected by hard.failed_validation');
    expect(p!.model_routing_path).toEqual(['small']);
    // r1: small failed once, big was accepted on the second attempt.
    expect(p!.escalation_threshold).toBe(1);
    expect(p!.recovery_strategy).toContain('switch to big after small fails');
    expect(p!.acceptance_criteria).toEqual([
      'validation "bun test" passes',
      'the scoring rule "success" accepts the run: the run shows success (a success marker, passed validation, accept, pass, applied patch or ok status)',
    ]);
    expect(playbooksOf(await computeDerivedFiles(await storeWith(FOLDERS), { ...OPTS, playbooks: { min_runs: 4, max_items: 10 } }))).toEqual([]);
  });

  test('commands from commands_run, apart from validations: worked, failed, and failed-then-fixed as recovery', async () => {
    const E = oid(5);
    const files = ['pkg/build/main.go'];
    const derived = await computeDerivedFiles(
      await storeWith([
        [
          E,
          folder(E, [
            ...run('b1', [{ model: 'm', ok: true, files, validations: [['unit tests', true]], commands: [['go mod download', 0], ['go build ./...', 2], ['go build ./...', 0]] }], [E], 'build'),
            ...run('b2', [{ model: 'm', ok: true, files, validations: [['unit tests', true]], commands: [['go mod download', 0], ['go vet ./...', 0]] }], [E], 'build'),
            ...run('b3', [{ model: 'm', ok: false, files, validations: [['unit tests', false]], commands: [['go mod download', 0], ['make generate', 1]] }], [E], 'build'),
          ]),
        ],
      ]),
      OPTS,
    );
    const [p] = playbooksOf(derived).filter((x) => x.task_type === 'build');
    expect(p!.source_run_ids).toEqual(['b1', 'b2', 'b3']);
    expect(p!.commands_worked).toEqual(['go mod download', 'unit tests', 'go build ./...', 'go vet ./...']);
    expect(p!.validation_steps).toEqual(['unit tests']);
    // `go build` failed, then passed in b1: recovery, not a command to avoid; `unit tests` failed only in the rejected b3.
    expect(p!.commands_failed).toEqual(['make generate']);
    expect(p!.recovery_strategy).toBe('fix what made `go build ./...` fail and run it again: it then passed (1 run)');
    expect(p!.acceptance_criteria[0]).toBe('validation "unit tests" passes');
    expect(p!.acceptance_criteria.join('\n')).not.toContain('patch applied');
    expect(p!.escalation_threshold).toBeNull();
  });

  test('sessions group by their first prompt, normalized, never by their ids; an unrelated prompt does not join', async () => {
    const F = oid(6);
    const session = (id: string, prompt: string, ok: boolean) =>
      run(id, [{ model: null, prompt }, { model: 'claude', ok, files: ['src/auth/login.ts'] }], [F], 'coding_session');
    const derived = await computeDerivedFiles(
      await storeWith([
        [
          F,
          folder(F, [
            ...session('0b0e4f9c-1111-4c5e-9a2b-000000000001', 'Fix the failing test in `src/auth/login.test.ts` (#12)\nIt fails since 3f9a2c1.', true),
            ...session('0b0e4f9c-1111-4c5e-9a2b-000000000002', 'fix the failing test in src/auth/session.test.ts (#345)', true),
            ...run(
              '0b0e4f9c-1111-4c5e-9a2b-000000000003',
              [{ model: null, prompt: '<command-name>/clear</command-name>' }, { model: null, prompt: 'fix the failing test in tests/x.test.ts (#7)' }, { model: 'claude', ok: true, files: ['src/auth/token.ts'] }],
              [F],
              'coding_session',
            ),
            ...session('0b0e4f9c-1111-4c5e-9a2b-000000000004', 'Add a dark mode toggle to the login page', true),
            ...session('0b0e4f9c-1111-4c5e-9a2b-000000000005', 'add a dark mode toggle to the settings page', true),
          ]),
        ],
      ]),
      OPTS,
    );
    const sessions = playbooksOf(derived).filter((p) => p.task_type === 'coding_session');
    expect(sessions.map((p) => [p.problem_pattern, p.source_run_ids.map((id) => id.slice(-1))])).toEqual([
      // The third session's first message is a lone /clear; its first task prompt names the same problem.
      ['fix the failing test in <path> (<n>)', ['1', '2', '3']],
    ]);
  });

  test('a run carried to a rewritten commit counts once, where it came from; alone, it counts in the new folder', async () => {
    const D = oid(4);
    const carried = folder(D, run('r4', [{ model: 'small', latency: 400, cost: 0.7, ok: true, validations: [['bun test', true]] }], [C, D]));
    const both = ledgerOf(await computeDerivedFiles(await storeWith([...FOLDERS, [D, carried]]), OPTS));
    const plain = ledgerOf(await computeDerivedFiles(await storeWith(FOLDERS), OPTS));
    expect(both).toEqual(plain);
    const moved = ledgerOf(await computeDerivedFiles(await storeWith([...FOLDERS.filter(([o]) => o !== C), [D, carried]]), OPTS));
    expect(moved).toEqual(plain);
  });

  test('the same folders in any write order give the same bytes (property)', async () => {
    const want = await computeDerivedFiles(await storeWith(FOLDERS), OPTS);
    await fc.assert(
      fc.asyncProperty(fc.shuffledSubarray(FOLDERS, { minLength: FOLDERS.length, maxLength: FOLDERS.length }), async (order) => {
        expect(await computeDerivedFiles(await storeWith(order), OPTS)).toEqual(want);
      }),
      { numRuns: 10, seed: 7 },
    );
  });

  test('with the cache: same bytes as without; a mirrored head reads only the new folder; a stale one reads only changed manifests', async () => {
    const store = await storeWith(FOLDERS.slice(0, 2));
    const cache = memoryCache();
    const view = counting(store);
    const [, cFiles] = FOLDERS[2]!;
    const head = await store.head();
    const first = await computeDerivedFiles(view, { ...OPTS, cache, head, folders: new Map([[C, cFiles]]) });
    expect(first).toEqual(await computeDerivedFiles(await storeWith(FOLDERS), OPTS));
    const newHead = await store.write({ source_oid: C, subject: 's', files: cFiles, derived: first, expected_head: head, date: '2024-01-02T00:00:00Z' });
    cache.markMirrored(newHead);
    view.reads.length = 0;
    const D = oid(4);
    const dFiles = folder(D, run('r5', [{ model: 'big', ok: true }], [D]));
    const next = await computeDerivedFiles(view, { ...OPTS, cache, head: newHead, folders: new Map([[D, dFiles]]) });
    expect(view.reads).toEqual([PLAYBOOK_APPROVALS_FILE]);
    expect(next).toEqual(await computeDerivedFiles(await storeWith([...FOLDERS, [D, dFiles]]), OPTS));
    // Another writer moved the head: every manifest is read, but only the folders whose manifest changed are parsed.
    cache.markMirrored('f'.repeat(40));
    view.reads.length = 0;
    await computeDerivedFiles(view, { ...OPTS, cache, head: newHead });
    expect(view.reads.filter((p) => p.endsWith('/evidence.jsonl'))).toEqual([]);
    expect(view.reads.filter((p) => p.endsWith('/manifest.json')).length).toBe(3);
  });

  test('a cached total an older git-distill kept (another summary version) is recounted, never adjusted', async () => {
    const store = await storeWith(FOLDERS.slice(0, 2));
    const cache = memoryCache();
    const head = await store.head();
    await computeDerivedFiles(store, { ...OPTS, cache, head });
    expect(cache.mirroredHead()).toBe(head);
    // What version 1 left: the same head mirrored, a total without `v` whose runs lack today's fields.
    const { v: _, ...old } = cache.total()!;
    cache.putSummaries([], [], { ...old, runs: [] } as unknown as DerivedTotal);
    cache.markMirrored(head);
    const [, cFiles] = FOLDERS[2]!;
    const next = await computeDerivedFiles(store, { ...OPTS, cache, head, folders: new Map([[C, cFiles]]) });
    expect(next).toEqual(await computeDerivedFiles(await storeWith(FOLDERS), OPTS));
  });

  test('incremental totals through the cache equal a full recount after any sequence of writes (property)', async () => {
    const D = oid(4);
    const pool: Array<[string, Map<string, Uint8Array>]> = [
      ...FOLDERS,
      // A replaced with one more run, a rewritten commit carrying r4 from C, and r3's folder grown.
      [A, folder(A, [...run('r1', [{ model: 'small', ok: false }, { model: 'big', ok: true }], [A]), ...run('r6', [{ model: 'big', latency: 50, ok: true }], [A])])],
      [D, folder(D, run('r4', [{ model: 'small', latency: 400, cost: 0.7, ok: true }], [C, D]))],
      [B, folder(B, [...run('r3', [{ model: 'small', ok: false }], [B]), ...run('r7', [{ model: 'tiny', ok: true }], [B], 'docs')])],
    ];
    await fc.assert(
      fc.asyncProperty(fc.array(fc.nat(pool.length - 1), { minLength: 1, maxLength: 8 }), async (picks) => {
        const store = createMemoryStore();
        const cache = memoryCache();
        for (const i of picks) {
          const [o, files] = pool[i]!;
          const head = await store.head();
          const derived = await computeDerivedFiles(store, { ...OPTS, cache, head, folders: new Map([[o, files]]) });
          const next = await store.write({ source_oid: o, subject: 's', files, derived, expected_head: head, date: '2024-01-02T00:00:00Z' });
          cache.markMirrored(next);
          expect(derived).toEqual(await computeDerivedFiles(store, OPTS));
        }
      }),
      { numRuns: 40, seed: 11 },
    );
  });

  test('approvals: the latest decision wins, survives recomputation, and merges by the union of lines', async () => {
    const store = await storeWith(FOLDERS);
    const [p] = playbooksOf(await computeDerivedFiles(store, OPTS));
    const id = p!.playbook_id;
    const approve = { schema_version: 1 as const, playbook_id: id, status: 'approved' as const, by: 'a', at: '2026-01-01T00:00:00Z' };
    const retire = { ...approve, status: 'retired' as const, by: 'b', at: '2026-01-02T00:00:00Z' };
    const mine = renderApprovals(null, [approve]);
    const theirs = renderApprovals(null, [retire]);
    // A merge takes the sorted union of lines; either order of union gives the same file.
    const merged = renderApprovals(mine, [retire]);
    expect(dec.decode(renderApprovals(theirs, [approve]))).toBe(dec.decode(merged));
    const status = async (bytes: Uint8Array) => playbooksOf(await computeDerivedFiles(store, { ...OPTS, meta: new Map([[PLAYBOOK_APPROVALS_FILE, bytes]]) }))[0]!.status;
    expect(await status(mine)).toBe('approved');
    expect(await status(merged)).toBe('retired');
    expect(await status(new TextEncoder().encode('not json\n{"schema_version":1}\n'))).toBe('proposed');
  });
});

describe('ledger arithmetic', () => {
  test('Wilson 95% interval matches published values and holds the rate', () => {
    expect(wilsonInterval(8, 10)).toEqual({ rate: 0.8, low: 0.490162, high: 0.943318 });
    expect(wilsonInterval(0, 1)).toEqual({ rate: 0, low: 0, high: 0.793451 });
    expect(wilsonInterval(5, 5).high).toBe(1);
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5000 }), fc.nat(), (n, k) => {
        const s = k % (n + 1);
        const { rate, low, high } = wilsonInterval(s, n);
        expect(low <= rate && rate <= high && low >= 0 && high <= 1).toBe(true);
      }),
      { numRuns: 300, seed: 3 },
    );
  });

  test('nearest-rank percentiles over a multiset', () => {
    expect(percentile({ '100': 1, '200': 1, '300': 1, '400': 1 }, 0.5)).toBe(200);
    expect(percentile({ '100': 19, '5000': 1 }, 0.95)).toBe(100);
    expect(percentile({ '100': 18, '5000': 2 }, 0.95)).toBe(5000);
    expect(percentile({}, 0.5)).toBeNull();
  });
});
