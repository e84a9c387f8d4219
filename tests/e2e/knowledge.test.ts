// End-to-end: playbooks and the ledger on real repositories distilled from auditor-loop logs: provenance, independent recount, approvals, determinism.
import { afterAll, describe, expect, setDefaultTimeout, test } from 'bun:test';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CACHE_PREFIX, makeRepo, snapshotUserState, type TestRepo } from '../helpers/git-repo.ts';
import { apply, at, CONFIG, kb, line, review, STEPS } from '../helpers/auditor-loop.ts';
import { runCliCaptured } from '../helpers/cli.ts';
import { createGitStore } from '../../src/store/git-store.ts';
import { createMemoryStore } from '../../src/store/memory-store.ts';
import { COMMIT_FILES, LEDGER_DIR, PLAYBOOKS_DIR } from '../../src/store/layout.ts';
import { computeDerivedFiles, derivedOptions } from '../../src/derived/derived-files.ts';
import { defaultConfig } from '../../schemas/config.ts';
import type { EvidenceRecord } from '../../schemas/evidence-record.ts';
import type { ScoredRun } from '../../schemas/scored-run.ts';
import type { Playbook } from '../../schemas/playbook.ts';
import type { ModelLedgerEntry } from '../../schemas/model-ledger-entry.ts';

// Several distills per test (a pull test: four, a push and a pull): seconds on a shared machine.
setDefaultTimeout(120_000);
const repos: TestRepo[] = [];
const temp = mkdtempSync(join(tmpdir(), 'gd-knowledge-e2e-'));
afterAll(async () => {
  for (const r of repos) await r.cleanup();
  rmSync(temp, { recursive: true, force: true });
});

async function cli(repo: TestRepo, args: string[], now?: string) {
  return runCliCaptured(args, { cwd: repo.dir, ...(now === undefined ? {} : { now }) });
}

/** A repository with the first `n` steps committed and each distilled right after its logs were written. */
async function distilledRepo(n = STEPS.length): Promise<{ repo: TestRepo; oids: string[] }> {
  const repo = await makeRepo();
  repos.push(repo);
  const oids: string[] = [];
  for (const step of STEPS.slice(0, n)) {
    const oid = await repo.commit(step.files, `step ${oids.length + 1}`, { date: step.date });
    for (const [file, text] of step.logs) kb(repo, file, text);
    const r = await cli(repo, ['run', oid, '--sync', '--json']);
    expect(r.code).toBe(0);
    oids.push(oid);
  }
  return { repo, oids };
}

interface Stored {
  scored: ScoredRun[];
  evidence: EvidenceRecord[];
  derived: Map<string, string>;
}

async function readStored(repo: TestRepo): Promise<Stored> {
  const store = createGitStore({ git: repo.git, ref: 'refs/heads/distill', tool_version: 'x' });
  const dec = new TextDecoder();
  const jsonl = <T>(b: Uint8Array | undefined) => (b === undefined ? [] : dec.decode(b).split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as T));
  try {
    const scored: ScoredRun[] = [];
    const evidence: EvidenceRecord[] = [];
    for (const oid of await store.listSources()) {
      const files = (await store.readCommit(oid))!;
      scored.push(...jsonl<ScoredRun>(files.get(COMMIT_FILES.scored)));
      evidence.push(...jsonl<EvidenceRecord>(files.get(COMMIT_FILES.evidence)));
    }
    const derived = new Map<string, string>();
    for (const p of [...(await store.listPaths(PLAYBOOKS_DIR)), ...(await store.listPaths(LEDGER_DIR))]) derived.set(p, dec.decode((await store.readPath(p))!));
    return { scored, evidence, derived };
  } finally {
    await store.close();
  }
}

describe('playbooks and ledger from auditor-loop logs', async () => {
  const { repo, oids } = await distilledRepo();
  const stored = await readStored(repo);

  test('playbooks list --json: every source run is a stored scored run and every command is in its evidence', async () => {
    const r = await cli(repo, ['playbooks', 'list', '--json']);
    expect(r.code).toBe(0);
    const playbooks = JSON.parse(r.stdout) as Playbook[];
    expect(playbooks.length).toBe(1);
    const byRun = new Map(stored.scored.map((s) => [s.run_id, s]));
    for (const p of playbooks) {
      expect(p.source_run_ids.length).toBeGreaterThan(0);
      expect(p.acceptance_criteria.length).toBeGreaterThan(0);
      for (const id of p.source_run_ids) expect(byRun.has(id)).toBe(true);
      const runEvidence = stored.evidence.filter((e) => p.source_run_ids.includes(e.run_id));
      const seen = new Set(runEvidence.flatMap((e) => [...e.commands_run.map((c) => c.command), ...e.validation_results.map((v) => v.name)]));
      for (const c of [...p.commands_worked, ...p.commands_failed]) expect(seen.has(c)).toBe(true);
    }
    const auth = playbooks[0]!;
    // Three accepted or partially accepted reviews under src/auth across three commits, one rejected: one playbook, updated in place.
    expect(auth.task_type).toBe('scrum_review');
    expect(auth.problem_pattern).toBe('scrum_review of *.ts in src/auth');
    expect(auth.source_run_ids).toEqual([
      'scrum:src/auth/login.ts@2024-01-01',
      'scrum:src/auth/logout.ts@2024-01-01',
      'scrum:src/auth/session.ts@2024-01-01',
      'scrum:src/auth/token.ts@2024-01-01',
    ]);
    expect(auth.commands_worked).toEqual(['bun_test', 'typecheck']);
    // bun_test failed in the rejected token.ts run but passed in every accepted one: a step, not a command to avoid.
    expect(auth.commands_failed).toEqual([]);
    // session.ts was accepted on attempt 2: one failed attempt.
    expect(auth.escalation_threshold).toBe(1);
    expect(auth.acceptance_criteria).toEqual([
      'validation "bun_test" passes',
      'validation "typecheck" passes',
      'the scoring rule "success" accepts the run: the run shows success (a success marker, passed validation, accept, pass, applied patch or ok status)',
    ]);
    expect(auth.known_failure_modes).toContain('attempt <n> failed');
    expect(auth.known_failure_modes.some((m) => m.startsWith('rejected by '))).toBe(true);
    expect(auth.repo_files_touched).toContain('src/auth/session.ts');
    expect(auth.status).toBe('proposed');
    expect(auth.created_at).toBe('2024-01-01T10:00:00.000Z');
  });

  test('show and log name the playbooks a commit created or updated', async () => {
    const [p] = JSON.parse((await cli(repo, ['playbooks', 'list', '--json'])).stdout) as Playbook[];
    const first = JSON.parse((await cli(repo, ['show', oids[0]!, '--json'])).stdout) as { playbooks: unknown[] };
    expect(first.playbooks).toEqual([{ playbook_id: p!.playbook_id, status: 'proposed', how: 'created' }]);
    const third = await cli(repo, ['show', oids[2]!]);
    expect(third.stdout).toContain(`playbooks  ${p!.playbook_id} (updated, proposed)`);
    const log = await cli(repo, ['log', '--oneline']);
    expect(log.stdout.split('\n').filter((l) => l.endsWith('· 1 playbook')).length).toBe(3);
    const json = JSON.parse((await cli(repo, ['log', '--json'])).stdout) as Array<{ playbooks: Array<{ how: string }> }>;
    expect(json.map((e) => e.playbooks.map((m) => m.how))).toEqual([['updated'], ['updated'], ['created']]);
  });

  test('the playbook keeps its id as runs are added (no near-duplicates)', async () => {
    const two = await distilledRepo(2);
    const early = JSON.parse((await cli(two.repo, ['playbooks', 'list', '--json'])).stdout) as Playbook[];
    const late = JSON.parse((await cli(repo, ['playbooks', 'list', '--json'])).stdout) as Playbook[];
    expect(early.map((p) => p.playbook_id)).toEqual(late.map((p) => p.playbook_id));
    expect(early[0]!.source_run_ids.length).toBe(3);
  });

  test('ledger --json agrees with a direct count over the stored scored runs', async () => {
    const r = await cli(repo, ['ledger', '--json']);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { min_samples: number; entries: Array<ModelLedgerEntry & { small_sample: boolean }> };
    // Recount: a run counts for each model that attempted it; it is a success for its last model when accepted.
    const expected = new Map<string, { n: number; wins: number; latencies: number[]; rescuers: string[] }>();
    for (const run of stored.scored) {
      const events = stored.evidence
        .filter((e) => e.run_id === run.run_id && e.model_name !== null && !['human', 'tool', 'observer'].includes(e.model_role))
        .sort((a, b) => (a.timestamp ?? '').localeCompare(b.timestamp ?? ''));
      const executors = events.filter((e) => e.model_role === 'executor');
      const models = [...new Set((executors.length > 0 ? executors : events).map((e) => e.model_name!))];
      const won = run.category === 'accepted' || run.category === 'partially_accepted';
      models.forEach((m, i) => {
        const key = `${run.task_type}|${m}`;
        const row = expected.get(key) ?? { n: 0, wins: 0, latencies: [], rescuers: [] };
        row.n++;
        if (won && i === models.length - 1) row.wins++;
        if (won && i < models.length - 1) row.rescuers.push(models[models.length - 1]!);
        const lat = events.filter((e) => e.model_name === m && e.latency_ms !== null).reduce((s, e) => s + e.latency_ms!, 0);
        if (events.some((e) => e.model_name === m && e.latency_ms !== null)) row.latencies.push(lat);
        expected.set(key, row);
      });
    }
    expect(out.entries.map((e) => `${e.task_type}|${e.model_name}`).sort()).toEqual([...expected.keys()].sort());
    for (const e of out.entries) {
      const want = expected.get(`${e.task_type}|${e.model_name}`)!;
      expect(e.sample_count).toBe(want.n);
      expect(e.success_rate).toBeCloseTo(want.wins / want.n, 6);
      expect(e.success_ci.low).toBeLessThanOrEqual(e.success_rate);
      expect(e.success_ci.high).toBeGreaterThanOrEqual(e.success_rate);
      expect(e.small_sample).toBe(want.n < 5);
      const sorted = want.latencies.sort((a, b) => a - b);
      expect(e.latency_p50).toBe(sorted.length === 0 ? null : sorted[Math.ceil(0.5 * sorted.length) - 1]!);
      expect(e.best_partner_model).toBe(want.rescuers[0] ?? null);
    }
    // The run where gpt-oss tried first and qwen's patch was accepted: qwen rescued gpt-oss.
    const gpt = out.entries.find((e) => e.task_type === 'bugfix' && e.model_name === 'gpt-oss:120b')!;
    expect(gpt.best_partner_model).toBe('qwen3-coder:480b');
    expect(gpt.sample_count).toBe(2);
    expect(gpt.success_rate).toBe(0);
    const text = await cli(repo, ['ledger']);
    expect(text.stdout).toContain('too few runs to trust');
    expect(text.stdout.split('\n')[0]).toMatch(/^TASK TYPE\s+MODEL\s+SUCCESS/);
  });

  test('ledger --task-type and --model filter rows; a filter that selects nothing says which and the closest name; the table goes by task type, then success', async () => {
    type Row = ModelLedgerEntry & { small_sample: boolean };
    const rows = async (...args: string[]) => (JSON.parse((await cli(repo, ['ledger', '--json', ...args])).stdout) as { entries: Row[] }).entries;
    const all = await rows();
    const key = (e: ModelLedgerEntry) => `${e.task_type}|${e.model_name}`;
    expect(new Set(all.map((e) => e.task_type))).toEqual(new Set(['bugfix', 'scrum_review']));
    expect(await rows('--task-type', 'bugfix')).toEqual(all.filter((e) => e.task_type === 'bugfix'));
    expect((await rows('--task-type', 'bugfix')).length).toBe(2);
    expect((await rows('--model', 'kimi-k2:1t')).map(key)).toEqual(['scrum_review|kimi-k2:1t']);
    expect((await rows('--task-type', 'bugfix', '--model', 'qwen3-coder:480b')).map(key)).toEqual(['bugfix|qwen3-coder:480b']);

    const typo = await cli(repo, ['ledger', '--task-type', 'bugfx']);
    expect(typo.code).toBe(0);
    expect(typo.stdout).toBe("no ledger row for --task-type bugfx (did you mean 'bugfix'?)\n");
    const typoJson = await cli(repo, ['ledger', '--model', 'kimi-k2', '--json']);
    expect(JSON.parse(typoJson.stdout).entries).toEqual([]);
    expect(typoJson.stderr).toBe("git-distill: no ledger row for --model kimi-k2 (did you mean 'kimi-k2:1t'?)\n");
    const none = await cli(repo, ['ledger', '--task-type', 'bugfix', '--model', 'kimi-k2:1t']);
    expect(none.stdout).toBe('no ledger row for --task-type bugfix and --model kimi-k2:1t: kimi-k2:1t has rows for scrum_review\n');

    // The table's rows, read back from the text: task type ascending, then success rate descending.
    const table = (await cli(repo, ['ledger'])).stdout.split('\n').slice(1, 1 + all.length).map((l) => l.split(/\s{2,}/));
    const rate = (r: string[]) => all.find((e) => e.task_type === r[0] && e.model_name === r[1])!.success_rate;
    expect(table.map((r) => `${r[0]}|${r[1]}`).sort()).toEqual(all.map(key).sort());
    for (let i = 1; i < table.length; i++) {
      const [a, b] = [table[i - 1]!, table[i]!];
      expect(a[0]! < b[0]! || (a[0] === b[0] && rate(a) >= rate(b))).toBe(true);
    }
    expect(table.map((r) => r[0])).toEqual(['bugfix', 'bugfix', ...all.filter((e) => e.task_type === 'scrum_review').map(() => 'scrum_review')]);
  });

  test('distilling the same history again in another repository gives byte-identical derived files', async () => {
    const again = await distilledRepo();
    const other = await readStored(again.repo);
    expect([...other.derived.keys()]).toEqual([...stored.derived.keys()]);
    for (const [p, text] of stored.derived) expect(other.derived.get(p)).toBe(text);
    expect(stored.derived.size).toBeGreaterThan(1);
  });

  test('the union of two clones’ folders, in any write order, gives the same derived bytes (no cache)', async () => {
    const store = createGitStore({ git: repo.git, ref: 'refs/heads/distill', tool_version: 'x' });
    const folders = new Map<string, Map<string, Uint8Array>>();
    for (const oid of oids) folders.set(oid, (await store.readCommit(oid))!);
    await store.close();
    const mem = createMemoryStore();
    for (const oid of [...oids].reverse()) {
      await mem.write({ source_oid: oid, subject: 's', files: folders.get(oid)!, derived: new Map(), expected_head: await mem.head(), date: at(13) });
    }
    const derived = await computeDerivedFiles(mem, derivedOptions(defaultConfig()));
    const dec = new TextDecoder();
    expect(new Map([...derived].map(([p, b]) => [p, b === null ? null : dec.decode(b)]))).toEqual(stored.derived);
  });

  test('approve survives recomputation; export writes one Markdown file per approved playbook', async () => {
    const [p] = JSON.parse((await cli(repo, ['playbooks', 'list', '--json'])).stdout) as Playbook[];
    const id = p!.playbook_id;
    const approved = await cli(repo, ['playbooks', 'approve', id, '--json'], '2026-02-03T04:05:06.000Z');
    expect(approved.code).toBe(0);
    expect(JSON.parse(approved.stdout)).toMatchObject({ playbook_id: id, status: 'approved' });
    const log = (await repo.git.run(['log', '-1', '--format=%s', 'refs/heads/distill'])).stdoutText.trim();
    expect(log).toBe(`distill: approved playbook ${id}`);
    // A new commit recomputes every derived file; the decision stays.
    const oid = await repo.commit({ 'src/auth/reset.ts': 'reset\n' }, 'step 4', { date: at(13) });
    kb(repo, 'scrum_reviews.jsonl', review('src/auth/reset.ts', at(12, 50), 'kimi-k2:1t', 1));
    kb(repo, 'auto_apply.jsonl', apply('src/auth/reset.ts', at(12, 52), true));
    expect((await cli(repo, ['run', oid, '--sync'])).code).toBe(0);
    const shown = JSON.parse((await cli(repo, ['playbooks', 'show', id, '--json'])).stdout) as Playbook;
    expect(shown.status).toBe('approved');
    expect(shown.source_run_ids).toContain('scrum:src/auth/reset.ts@2024-01-01');
    const out = join(temp, 'skills');
    const exported = await cli(repo, ['playbooks', 'export', '--format', 'md', '--out', out, '--json']);
    expect(JSON.parse(exported.stdout).files).toEqual([join(out, `${id}.md`)]);
    const md = readFileSync(join(out, `${id}.md`), 'utf8');
    expect(md.startsWith(`---\nname: ${id}\n`)).toBe(true);
    expect(md).toContain('- [ ] validation "bun_test" passes');
    expect(md).toContain('# scrum_review of *.ts in src/auth\n');
    expect(md).toContain('- Escalate (another model or a person) after 1 failed attempt (the slowest supporting run was accepted on attempt 2).');
    // Normalized markers of single runs are no criteria (`applied <n> patch`, `review accepted on attempt <n> from ...`).
    const doneWhen = md.slice(md.indexOf('## Done when'), md.indexOf('\n## ', md.indexOf('## Done when')));
    expect(doneWhen.split('\n').filter((l) => l.startsWith('- [ ] ')).length).toBe(3);
    expect(doneWhen).not.toMatch(/<n>|review accepted on attempt/);
    expect(md).not.toContain('## Avoid (failed before)');
    expect(existsSync(join(repo.dir, 'distill-playbooks'))).toBe(false);
  });

  test('export owns its folder: by default under the git dir with the checkout untouched; a retired playbook leaves no file; other folders are refused', async () => {
    const [p] = (JSON.parse((await cli(repo, ['playbooks', 'list', '--json'])).stdout) as Playbook[]).filter((x) => x.status === 'approved');
    const id = p!.playbook_id;
    const out = join(repo.dir, '.git', 'distill', 'playbooks');
    // retire records its decision through the distill cache, the one path git-distill writes inside a checkout.
    const user = () => snapshotUserState(repo.dir, undefined, [CACHE_PREFIX]);
    const before = await user();
    const first = await cli(repo, ['playbooks', 'export', '--json']);
    expect(first.code).toBe(0);
    expect(JSON.parse(first.stdout)).toEqual({ out_dir: out, files: [join(out, `${id}.md`)] });
    expect(readdirSync(out).sort()).toEqual(['.git-distill-export', `${id}.md`]);
    expect(await user()).toEqual(before);

    expect((await cli(repo, ['playbooks', 'retire', id], '2026-02-04T00:00:00.000Z')).code).toBe(0);
    const again = await cli(repo, ['playbooks', 'export']);
    expect(again.code).toBe(0);
    expect(again.stderr).toContain(`no approved playbooks: ${out} holds none`);
    expect(readdirSync(out)).toEqual(['.git-distill-export']);

    const mine = join(temp, 'mine');
    mkdirSync(mine, { recursive: true });
    writeFileSync(join(mine, 'notes.md'), 'mine\n');
    const refused = await cli(repo, ['playbooks', 'export', '--out', mine]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('holds files that are not a git-distill export');
    expect(readdirSync(mine)).toEqual(['notes.md']);
    // A datasets export pointed at the playbooks folder is refused: one kind never replaces the other.
    const crossed = await cli(repo, ['export', 'sft', '--out', out]);
    expect(crossed.code).toBe(2);
    expect(crossed.stderr).toContain(`--out ${out} holds a git-distill playbooks export; a datasets export would replace it`);
    expect(readdirSync(out)).toEqual(['.git-distill-export']);
    expect(readFileSync(join(out, '.git-distill-export'), 'utf8')).toBe('git-distill export 1 playbooks\n');
    const tracked = await cli(repo, ['playbooks', 'export', '--out', 'src/auth']);
    expect(tracked.code).toBe(2);
    expect(tracked.stderr).toContain('holds files tracked by the repository');
    expect(await user()).toEqual(before);
  });

  test('unknown ids and subcommands are clear errors', async () => {
    const missing = await cli(repo, ['playbooks', 'approve', 'nope-000000000000']);
    expect(missing.code).toBe(3);
    expect(missing.stderr).toContain('no playbook "nope-000000000000"');
    expect(missing.stderr).toContain('next: list the ids with: git distill playbooks list');
    expect((await cli(repo, ['playbooks', 'frobnicate'])).code).toBe(2);
    expect((await cli(repo, ['playbooks', 'export', '--format', 'pdf'])).code).toBe(2);
  });
});

describe('ledger recount: cost, latency percentiles and failure modes', () => {
  test('ledger --json agrees with an independent count of cost per run and per accepted run, p50/p95 and failure modes', async () => {
    const repo = await makeRepo();
    repos.push(repo);
    const analysis = (run_id: string, minute: number, model: string, ok: boolean, cost: number | null, ms: number, observerReject = false) =>
      line({
        ts: at(9, 0).replace('09:00', `09:${String(minute).padStart(2, '0')}`),
        ok,
        permit_id: `P-${run_id}`,
        run_id,
        model,
        analysis: `permit analysis by ${model}`,
        duration_ms: ms,
        ...(cost === null ? {} : { cost }),
        ...(observerReject ? { observer_verdict: 'reject', observer_conf: 0.9 } : {}),
      });
    // 24 runs: a retry rescued by another model, a failed run, a confident observer rejection, plain successes;
    // every fifth run states no cost. 24 latencies make p95 (rank 23) differ from the maximum.
    let text = '';
    for (let i = 0; i < 24; i++) {
      const id = `ca-${String(i).padStart(2, '0')}`;
      const cost = i % 5 === 4 ? null : Math.round((0.013 + ((i * 7) % 11) / 1000) * 1e6) / 1e6;
      const ms = 400 + ((i * 37) % 900);
      if (i % 6 === 0) text += analysis(id, i * 2, 'qwen3:32b', false, cost, ms) + analysis(id, i * 2 + 1, 'claude-sonnet-4-5', true, 0.05, 3000 + i * 10);
      else if (i % 6 === 1) text += analysis(id, i * 2, 'qwen3:32b', false, cost, ms);
      else if (i % 6 === 2) text += analysis(id, i * 2, 'qwen3:32b', true, cost, ms, true);
      else text += analysis(id, i * 2, 'qwen3:32b', true, cost, ms);
    }
    const oid = await repo.commit({ '.distill/config.json': CONFIG, 'docs/permits.md': 'permits\n' }, 'permits', { date: at(10) });
    kb(repo, 'contract_analyses.jsonl', text);
    expect((await cli(repo, ['run', oid, '--sync', '--attach'])).code).toBe(0);
    const stored = await readStored(repo);
    const out = JSON.parse((await cli(repo, ['ledger', '--json'])).stdout) as { entries: ModelLedgerEntry[] };

    interface Tally {
      runs: number;
      wins: number;
      costs: number[];
      latencies: number[];
      modes: Map<string, number>;
    }
    const tally = new Map<string, Tally>();
    for (const run of stored.scored) {
      const events = stored.evidence.filter((e) => e.run_id === run.run_id).sort((a, b) => (a.timestamp ?? '').localeCompare(b.timestamp ?? ''));
      const models = [...new Set(events.filter((e) => e.model_role === 'executor' && e.model_name !== null).map((e) => e.model_name!))];
      const succeeded = run.category === 'accepted' || run.category === 'partially_accepted';
      models.forEach((m, i) => {
        const t = tally.get(m) ?? { runs: 0, wins: 0, costs: [], latencies: [], modes: new Map<string, number>() };
        tally.set(m, t);
        const own = events.filter((e) => e.model_name === m);
        t.runs++;
        if (succeeded && i === models.length - 1) t.wins++;
        else {
          const mode = succeeded ? 'retried: another model was accepted' : `${run.category}: ${run.reasons[0]!.rule_id}`;
          t.modes.set(mode, (t.modes.get(mode) ?? 0) + 1);
        }
        if (own.some((e) => e.cost_usd !== null)) t.costs.push(own.reduce((s, e) => s + (e.cost_usd ?? 0), 0));
        t.latencies.push(own.reduce((s, e) => s + (e.latency_ms ?? 0), 0));
      });
    }
    const nearestRank = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.ceil(q * xs.length) - 1]!;
    const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
    expect(out.entries.map((e) => e.model_name).sort()).toEqual([...tally.keys()].sort());
    for (const e of out.entries) {
      const t = tally.get(e.model_name)!;
      expect(e.task_type).toBe('contract_analysis');
      expect(e.sample_count).toBe(t.runs);
      expect(e.cost.per_run).toBeCloseTo(sum(t.costs) / t.costs.length, 8);
      expect(e.cost.per_accepted_run).toBeCloseTo(sum(t.costs) / t.wins, 8);
      expect(e.latency_p50).toBe(nearestRank(t.latencies, 0.5));
      expect(e.latency_p95).toBe(nearestRank(t.latencies, 0.95));
      expect(e.failure_modes).toEqual([...t.modes].sort(([a, x], [b, y]) => y - x || (a < b ? -1 : 1)).map(([mode, count]) => ({ mode, count })));
    }
    // The fixture exercises what it claims: runs without a cost, p95 below the maximum, three kinds of failure.
    const qwen = tally.get('qwen3:32b')!;
    expect([qwen.runs, qwen.costs.length, qwen.wins]).toEqual([24, 20, 12]);
    expect(nearestRank(qwen.latencies, 0.95)).toBeLessThan(Math.max(...qwen.latencies));
    expect(out.entries.find((e) => e.model_name === 'qwen3:32b')!.failure_modes.map((f) => f.mode)).toEqual([
      'rejected: hard.run_not_ok',
      'rejected: observer.confident_reject',
      'retried: another model was accepted',
    ]);
    expect(out.entries.find((e) => e.model_name === 'qwen3:32b')!.best_partner_model).toBe('claude-sonnet-4-5');
  });
});

describe('derived files after git distill pull', () => {
  test('a clone that distilled one commit pulls the others: its playbooks and ledger are recounted over the merged tree', async () => {
    const a = await distilledRepo();
    const remote = join(temp, 'remote.git');
    await a.repo.git.run(['init', '-q', '--bare', remote]);
    await a.repo.git.run(['remote', 'add', 'origin', remote]);
    await a.repo.git.run(['push', '-q', 'origin', 'HEAD:refs/heads/main']);
    expect((await cli(a.repo, ['push'])).code).toBe(0);

    // The second clone has the source history but only the third commit's logs: one auth run, no playbook yet.
    const dir = join(temp, 'clone-b');
    await a.repo.git.run(['clone', '-q', remote, dir]);
    const b = { dir } as TestRepo;
    for (const [file, text] of STEPS[2]!.logs) kb(b, file, text);
    expect((await cli(b, ['run', a.oids[2]!, '--sync'])).code).toBe(0);
    expect(JSON.parse((await cli(b, ['playbooks', 'list', '--json'])).stdout)).toEqual([]);

    expect((await cli(b, ['pull'])).code).toBe(0);
    const pulled = JSON.parse((await cli(b, ['playbooks', 'list', '--json'])).stdout) as Playbook[];
    const original = JSON.parse((await cli(a.repo, ['playbooks', 'list', '--json'])).stdout) as Playbook[];
    expect(pulled.map((p) => [p.playbook_id, p.source_run_ids])).toEqual(original.map((p) => [p.playbook_id, p.source_run_ids]));
    const ledger = (repo: Pick<TestRepo, 'dir'>) => cli(repo as TestRepo, ['ledger', '--json']).then((r) => JSON.parse(r.stdout) as { entries: unknown[] });
    expect((await ledger(b)).entries).toEqual((await ledger(a.repo)).entries);
  });
});
