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
  model: string;
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
      kind: 'model_call',
      run_id: runId,
      task_id: `fix ${runId.replace(/\d+/g, '')}`,
      task_type,
      timestamp: `2024-01-01T00:0${i}:00Z`,
      model_name: s.model,
      model_provider: 'acme',
      model_role: s.role ?? 'executor',
      input_hash: EMPTY,
      output_hash: EMPTY,
      input_text: null,
      output_text: null,
      source_files: s.files ?? ['src/auth/login.ts'],
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
    expect(p!.commands_worked).toEqual(['bun test']);
    expect(p!.commands_failed).toEqual(['bun test']);
    expect(p!.model_routing_path).toEqual(['small']);
    expect(p!.escalation_threshold).toBe(2);
    expect(p!.recovery_strategy).toContain('switch to big after small fails');
    expect(p!.acceptance_criteria[0]).toBe('validation "bun test" passes');
    expect(playbooksOf(await computeDerivedFiles(await storeWith(FOLDERS), { ...OPTS, playbooks: { min_runs: 4, max_items: 10 } }))).toEqual([]);
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
