// End-to-end: `git distill run` / `backfill` in real repositories: links and counts, incremental reads, late records, no-op reruns, 8 concurrent processes, SIGKILL and rerun.
import { afterAll, describe, expect, test } from 'bun:test';
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { makeRepo, snapshotUserState, type TestRepo, type UserState } from '../helpers/git-repo.ts';
import { runCliCaptured } from '../helpers/cli.ts';
import { createGitStore } from '../../src/store/git-store.ts';
import { commitDir } from '../../src/store/layout.ts';
import { ManifestSchema } from '../../schemas/manifest.ts';
import { ReceiptSchema } from '../../schemas/receipt.ts';
import { receiptSha256 } from '../../src/receipts/receipt.ts';
import { sha256Hex } from '../../src/canonical.ts';

const ROOT = resolve(import.meta.dir, '../..');
const repos: TestRepo[] = [];
const temp = mkdtempSync(join(tmpdir(), 'gd-run-e2e-'));
/** The CLI as a child process, for the tests that need real, separately killable processes. */
const cliArgv = [join(ROOT, 'bin', 'git-distill')];

afterAll(async () => {
  for (const r of repos) await r.cleanup();
  rmSync(temp, { recursive: true, force: true });
});

async function cli(dir: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return runCliCaptured(args, { cwd: dir });
}

const hour = (h: number, m = 0) => `2024-01-01T${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}:00Z`;
const me = (run_id: string, ts: string, file: string) =>
  JSON.stringify({ ts, task_class: 'scrum_review', mode: 'codereview', model: 'kimi-k2:1t', file_path: file, latency_ms: 1200, response: `review of ${file}`, run_id }) + '\n';
const obs = (run_id: string, ts: string, verdict: 'accept' | 'reject') =>
  JSON.stringify({ run_id, ts, verdict, confidence: 0.9, notes: 'checked', model: 'kimi-k2:1t' }) + '\n';
const override = (run_id: string, ts: string) => JSON.stringify({ run_id, ts, decision: 'reject', reason: 'needs an ADR first', by: 'profit' }) + '\n';

const CONFIG = JSON.stringify({ schema_version: 1, sources: [{ path: 'data/_kb/*.jsonl' }] }) + '\n';

async function newRepo(): Promise<TestRepo> {
  const repo = await makeRepo();
  repos.push(repo);
  mkdirSync(join(repo.dir, 'data', '_kb'), { recursive: true });
  return repo;
}

function kb(repo: TestRepo, file: string, text: string): void {
  appendFileSync(join(repo.dir, 'data', '_kb', file), text);
}

/** Three commits an hour apart; logs that link one run to each, a review joining run r1, a bad line and a blank. */
async function threeCommitScenario(repo: TestRepo): Promise<string[]> {
  const c1 = await repo.commit({ '.distill/config.json': CONFIG, 'src/a.ts': 'a\n' }, 'add a', { date: hour(10) });
  const c2 = await repo.commit({ 'src/b.ts': 'b\n' }, 'add b', { date: hour(11) });
  const c3 = await repo.commit({ 'src/c.ts': 'c\n' }, 'add c', { date: hour(12) });
  kb(repo, 'mode_experiments.jsonl', me('r3', hour(9, 50), 'src/a.ts') + me('r1', hour(10, 30), 'src/b.ts') + me('r2', hour(11, 30), 'src/c.ts'));
  kb(repo, 'observer_reviews.jsonl', obs('r1', hour(10, 40), 'accept') + '\n' + '{"run_id":"r9","verdict":"acc\n' + obs('r2', hour(11, 40), 'reject'));
  return [c1, c2, c3];
}

async function readFolder(repo: TestRepo, oid: string): Promise<Map<string, string> | null> {
  const store = createGitStore({ git: repo.git, ref: 'refs/heads/distill', tool_version: 'x' });
  try {
    const files = await store.readCommit(oid);
    return files === null ? null : new Map([...files].map(([p, b]) => [p, new TextDecoder().decode(b)]));
  } finally {
    await store.close();
  }
}

const lines = (text: string | undefined) => (text ?? '').split('\n').filter((l) => l !== '').map((l) => JSON.parse(l));
const distillTree = async (repo: TestRepo) => (await repo.git.run(['rev-parse', 'refs/heads/distill^{tree}'])).stdoutText.trim();
const distillHead = async (repo: TestRepo) => (await repo.git.run(['rev-parse', 'refs/heads/distill'])).stdoutText.trim();

function userView(s: UserState) {
  // The cache directory is git-distill's own (ignored by its own .gitignore); everything else must be unchanged.
  const status = s.status_porcelain.split('\0').filter((e) => e !== '' && !e.includes('.distill/cache'));
  return { status, stash: s.stash_list, head: s.head, refs: s.refs, index: s.index_sha256 };
}

describe('git distill run on one repository', () => {
  let repo: TestRepo;
  let commits: string[];
  let before: UserState;

  test('distills each commit with the runs its diff explains, and the counts add up to what ingest says', async () => {
    repo = await newRepo();
    commits = await threeCommitScenario(repo);
    before = await snapshotUserState(repo.dir);
    const [c1, c2, c3] = commits as [string, string, string];
    const r = await cli(repo.dir, ['backfill', '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const results = JSON.parse(r.stdout) as Array<{ oid: string; evidence: number; runs: number; links_by: Record<string, number> }>;
    expect(results.map((x) => [x.oid, x.evidence, x.runs])).toEqual([
      [c1, 1, 1],
      [c2, 2, 1],
      [c3, 2, 1],
    ]);

    const f2 = (await readFolder(repo, c2))!;
    const ev2 = lines(f2.get('evidence.jsonl'));
    expect(ev2.map((e) => [e.run_id, e.provenance.source_file, e.links])).toEqual([
      ['r1', 'data/_kb/mode_experiments.jsonl', [{ oid: c2, by: 'files', detail: `data/_kb/mode_experiments.jsonl:2 touched src/b.ts at 2024-01-01T10:30:00.000Z` }]],
      ['r1', 'data/_kb/observer_reviews.jsonl', [{ oid: c2, by: 'files', detail: `data/_kb/mode_experiments.jsonl:2 touched src/b.ts at 2024-01-01T10:30:00.000Z` }]],
    ]);
    // recorded_at is the committer date of the commit being distilled when the line was read, never the clock.
    expect(ev2.every((e) => e.provenance.recorded_at === '2024-01-01T10:00:00.000Z')).toBe(true);
    expect(lines(f2.get('scored.jsonl')).map((s) => [s.run_id, s.category, s.scored_at])).toEqual([['r1', 'accepted', '2024-01-01T11:00:00.000Z']]);

    const ingest = await runCliCaptured(['ingest', 'data/_kb', '--json'], { cwd: repo.dir });
    const want = JSON.parse(ingest.stdout);
    const manifests = await Promise.all(commits.map(async (c) => ManifestSchema.parse(JSON.parse((await readFolder(repo, c))!.get('manifest.json')!)).counts));
    const sum = (k: 'lines' | 'evidence' | 'quarantined' | 'blank' | 'runs') => manifests.reduce((a, m) => a + m[k], 0);
    expect([sum('lines'), sum('evidence'), sum('quarantined'), sum('blank'), sum('runs')]).toEqual([want.lines, want.evidence, want.quarantined, want.blank, want.runs]);
    const cats = { accepted: 0, partially_accepted: 0, rejected: 0, needs_human_review: 0 };
    for (const m of manifests) for (const k of Object.keys(cats) as Array<keyof typeof cats>) cats[k] += m.runs_by_category[k];
    expect(cats).toEqual(want.runs_by_category);
    // Every line was read while distilling the first commit, so it carries the reads and the quarantine.
    expect(manifests[0]).toMatchObject({ lines: 7, quarantined: 1, blank: 1, evidence: 1 });
    expect(userView(await snapshotUserState(repo.dir))).toEqual(userView(before));
  });

  test('the folder is complete: manifest hashes every file, receipts chain collect → link → score', async () => {
    const f = (await readFolder(repo, commits[1]!))!;
    expect([...f.keys()]).toEqual(['evidence.jsonl', 'manifest.json', 'quarantine.jsonl', 'receipts/collect.json', 'receipts/link.json', 'receipts/score.json', 'scored.jsonl']);
    const manifest = ManifestSchema.parse(JSON.parse(f.get('manifest.json')!));
    for (const { path, sha256 } of manifest.files) expect(sha256Hex(f.get(path)!)).toBe(sha256);
    expect(manifest.files.length).toBe(6);
    const [collect, link, score] = ['collect', 'link', 'score'].map((s) => ReceiptSchema.parse(JSON.parse(f.get(`receipts/${s}.json`)!)));
    expect(collect!.prev_receipt_sha256).toBeNull();
    expect(link!.prev_receipt_sha256).toBe(receiptSha256(collect!));
    expect(score!.prev_receipt_sha256).toBe(receiptSha256(link!));
    expect([collect!.git_sha, collect!.started_at, collect!.duration_ms]).toEqual([commits[1]!, '2024-01-01T11:00:00.000Z', 0]);
    expect(link!.record_counts).toEqual({ in: 2, out: 2, runs: 1, 'runs_by:files': 1 });
    expect([link!.validation_pass, score!.validation_pass]).toEqual([true, true]);
  });

  test('rerunning a distilled commit is a no-op: the branch head does not move', async () => {
    const head = await distillHead(repo);
    const r = await cli(repo.dir, ['run', commits[2]!]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${commits[2]!.slice(0, 7)} distilled: 2 evidence, 1 run (0 accepted, 0 partially accepted, 1 rejected, 0 needs review), 0 quarantined\n`);
    expect(await distillHead(repo)).toBe(head);
  });

  test('appended lines go to the next commit only, and a late override updates the earlier commit it belongs to', async () => {
    kb(repo, 'mode_experiments.jsonl', me('r4', hour(12, 30), 'src/d.ts'));
    kb(repo, 'human_overrides.jsonl', override('r1', hour(12, 40)));
    const c4 = await repo.commit({ 'src/d.ts': 'd\n' }, 'add d', { date: hour(13) });
    before = await snapshotUserState(repo.dir);
    const r = await cli(repo.dir, ['run', '--json']);
    expect(r.code).toBe(0);
    const [res] = JSON.parse(r.stdout);
    // Both new lines were read while distilling c4; only r4's evidence is c4's, the override joined r1 in c2.
    expect([res.oid, res.lines, res.evidence, res.read_lines, res.updated]).toEqual([c4, 2, 1, 2, [commits[1]]]);
    const f4 = (await readFolder(repo, c4))!;
    expect(lines(f4.get('evidence.jsonl')).map((e) => e.run_id)).toEqual(['r4']);
    const f2 = (await readFolder(repo, commits[1]!))!;
    const ev2 = lines(f2.get('evidence.jsonl'));
    expect(ev2.map((e) => e.provenance.source_file)).toEqual(['data/_kb/human_overrides.jsonl', 'data/_kb/mode_experiments.jsonl', 'data/_kb/observer_reviews.jsonl']);
    expect(ev2[0].links[0].by).toBe('files');
    expect(lines(f2.get('scored.jsonl')).map((s) => s.category)).toEqual(['rejected']);
  });

  test("leaves the user's status, stash, HEAD, refs and index as they were", async () => {
    const after = await snapshotUserState(repo.dir);
    expect(userView(after)).toEqual(userView(before));
    expect(after.status_porcelain).toContain('!! .distill/cache/');
  });

  test('outside a repository it fails with E_GIT_NOT_A_REPO and says what to do', async () => {
    const dir = mkdtempSync(join(temp, 'plain-'));
    const r = await cli(dir, ['run']);
    expect(r.code).toBe(4);
    expect(r.stderr).toContain('not inside a git repository');
  });
});

/** n commits an hour apart, commit i touching src/f<i>.ts, with one run per commit logged half an hour before it. */
async function nCommitScenario(repo: TestRepo, n: number): Promise<string[]> {
  const oids: string[] = [];
  oids.push(await repo.commit({ '.distill/config.json': CONFIG, 'src/f0.ts': '0\n' }, 'c0', { date: hour(1) }));
  for (let i = 1; i < n; i++) oids.push(await repo.commit({ [`src/f${i}.ts`]: `${i}\n` }, `c${i}`, { date: hour(1 + i) }));
  let text = '';
  let reviews = '';
  for (let i = 0; i < n; i++) {
    text += me(`run-${i}`, hour(i, 30), `src/f${i}.ts`);
    reviews += obs(`run-${i}`, hour(i, 40), i % 2 === 0 ? 'accept' : 'reject');
  }
  kb(repo, 'mode_experiments.jsonl', text);
  kb(repo, 'observer_reviews.jsonl', reviews);
  return oids;
}

function spawnCli(dir: string, args: string[]) {
  return Bun.spawn({ cmd: [...cliArgv, ...args], cwd: dir, stdout: 'pipe', stderr: 'pipe' });
}

async function evidenceTotals(repo: TestRepo, oids: string[]): Promise<number[]> {
  return Promise.all(oids.map(async (o) => lines((await readFolder(repo, o))?.get('evidence.jsonl')).length));
}

describe('concurrency and crashes', () => {
  test('8 concurrent run processes on 8 commits lose nothing', async () => {
    const repo = await newRepo();
    const oids = await nCommitScenario(repo, 8);
    const procs = oids.map((o) => spawnCli(repo.dir, ['run', o]));
    const codes = await Promise.all(procs.map((p) => p.exited));
    const errs = await Promise.all(procs.map((p) => new Response(p.stderr).text()));
    expect(errs).toEqual(oids.map(() => ''));
    expect(codes).toEqual(oids.map(() => 0));

    const twin = await newRepo();
    const twinOids = await nCommitScenario(twin, 8);
    expect(twinOids).toEqual(oids);
    for (const o of twinOids) expect((await cli(twin.dir, ['run', o])).code).toBe(0);

    const got = await evidenceTotals(repo, oids);
    expect(got).toEqual(oids.map(() => 2));
    expect(got).toEqual(await evidenceTotals(twin, oids));
    const store = createGitStore({ git: repo.git, ref: 'refs/heads/distill', tool_version: 'x' });
    expect(await store.listSources()).toEqual([...oids].sort());
    await store.close();
  }, 60_000);

  test('a backfill killed with SIGKILL at several points, then rerun, leaves the same tree as an uninterrupted one', async () => {
    const clean = await newRepo();
    const oids = await nCommitScenario(clean, 5);
    expect((await cli(clean.dir, ['backfill'])).code).toBe(0);
    const want = await distillTree(clean);

    // Fixed "random" points, spread over a run that takes a few hundred milliseconds.
    for (const delay of [40, 120, 200, 330, 480]) {
      const repo = await newRepo();
      expect(await nCommitScenario(repo, 5)).toEqual(oids);
      const proc = spawnCli(repo.dir, ['backfill']);
      await Bun.sleep(delay);
      proc.kill('SIGKILL');
      await proc.exited;
      const ref = await repo.git.resolveRef('refs/heads/distill');
      if (ref !== null) expect((await repo.git.run(['cat-file', '-t', ref])).stdoutText.trim()).toBe('commit');
      const again = await cli(repo.dir, ['backfill']);
      expect(again.stderr).toBe('');
      expect(again.code).toBe(0);
      expect(await distillTree(repo)).toBe(want);
    }
  }, 120_000);

  test('deleting the cache loses nothing: a rerun re-finds evidence without duplicating it', async () => {
    const repo = await newRepo();
    const oids = await nCommitScenario(repo, 3);
    expect((await cli(repo.dir, ['backfill'])).code).toBe(0);
    const head = await distillHead(repo);
    rmSync(join(repo.dir, '.distill', 'cache'), { recursive: true, force: true });
    for (const o of oids) expect((await cli(repo.dir, ['run', o])).code).toBe(0);
    expect(await evidenceTotals(repo, oids)).toEqual([2, 2, 2]);
    expect(await distillHead(repo)).toBe(head);
  });
});

describe('a repository that reads no logs', () => {
  test('run and backfill say so on stderr, with the next command; a configured source silences it', async () => {
    const repo = await makeRepo();
    try {
      await repo.commit({ 'a.txt': 'a\n' }, 'first');
      for (const argv of [['run'], ['backfill']]) {
        const r = await runCliCaptured(argv, { cwd: repo.dir });
        expect([argv, r.code, r.stderr]).toEqual([argv, 0, 'git-distill: there is no .distill/config.json, so no agent logs are read (commits get empty folders)\n  next: git distill init\n']);
      }
      await repo.commit({ '.distill/config.json': JSON.stringify({ schema_version: 1, sources: [{ path: 'logs/*.jsonl', enabled: false }] }) }, 'config');
      expect((await runCliCaptured(['run'], { cwd: repo.dir })).stderr).toContain('.distill/config.json names no enabled source');
      await repo.commit({ '.distill/config.json': JSON.stringify({ schema_version: 1, sources: [{ path: 'logs/*.jsonl' }] }) }, 'config');
      expect((await runCliCaptured(['run'], { cwd: repo.dir })).stderr).toBe('');
    } finally {
      await repo.cleanup();
    }
  });
});
