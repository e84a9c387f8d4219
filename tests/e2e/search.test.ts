// End-to-end search in real repositories: kb-query names a past rejection, reindex on a clone equals the incremental index, determinism, playbooks, filters.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { Database } from 'bun:sqlite';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCliCaptured } from '../helpers/cli.ts';
import { createGit } from '../../src/io/git.ts';
import { createGitStore } from '../../src/store/git-store.ts';
import { playbookFile } from '../../src/store/layout.ts';
import { buildScenario, kb, REJECT_REASON, type Scenario } from '../search/scenario.ts';
import { CACHE_PREFIX, makeRepo, snapshotUserState } from '../helpers/git-repo.ts';

let s: Scenario;
const temp = mkdtempSync(join(tmpdir(), 'gd-search-e2e-'));
const cli = (args: string[], cwd = s.repo.dir) => runCliCaptured(args, { cwd });
const json = async (args: string[], cwd?: string) => {
  const r = await cli(args, cwd);
  if (r.code !== 0) throw new Error(`${args.join(' ')} → ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout);
};
const results = async (text: string, cwd?: string, extra: string[] = []) =>
  (await json(['query', text, '--json', ...extra], cwd)).results.map((r: { doc_id: string; score: number }) => `${r.doc_id} ${r.score}`);

beforeAll(async () => {
  s = await buildScenario();
  // The PR: a feature branch that touches src/x.ts again, in the same way.
  await s.repo.git.run(['checkout', '-q', '-b', 'feature']);
  await s.repo.commit({ 'src/x.ts': 'export function fetchWithRetry(url: string) {\n  throw new Error("retry limit reached without backoff");\n}\n' }, 'retry x');
});

afterAll(async () => {
  await s.repo.cleanup();
  rmSync(temp, { recursive: true, force: true });
});

describe('git distill check kb-query', () => {
  test('a PR touching src/x.ts gets a finding naming the rejected run, its reason and its commit', async () => {
    const out = await json(['check', 'kb-query', '--base', 'main', '--head', 'feature', '--json']);
    const findings = out.checks[0].findings;
    expect(findings.map((f: { rule_id: string }) => f.rule_id)).toEqual(['rejected_same_change']);
    const f = findings[0];
    expect(f.location).toEqual({ path: 'src/x.ts', start_line: null, end_line: null });
    expect(f.message).toContain('Run r-x');
    expect(f.message).toContain(REJECT_REASON);
    expect(f.message).toContain(s.rejected_commit.slice(0, 12));
    expect(f.evidence).toContainEqual({ lookup: `commit ${s.rejected_commit}`, found: true, detail: `distilled under ${s.rejected_commit.slice(0, 12)} (2024-01-01); git distill show ${s.rejected_commit.slice(0, 12)}` });
    expect(f.introduced_by).toBe('pr');
    // Warn, never block by default: the default fail level passes.
    expect(f.disposition).toBe('warn');
    expect((await cli(['check', 'kb-query', '--base', 'main', '--head', 'feature'])).code).toBe(0);
    expect((await cli(['check', 'kb-query', '--base', 'main', '--head', 'feature', '--fail-level', 'warn'])).code).toBe(1);
  });

  test('a PR touching only another file gets no rejection finding', async () => {
    const out = await json(['check', 'kb-query', '--base', 'main~1', '--head', 'main', '--json']);
    expect(out.checks[0].findings).toEqual([]);
  });

  test('findings and query results are byte-identical across runs', async () => {
    const a = await cli(['check', 'kb-query', '--base', 'main', '--head', 'feature', '--sarif']);
    const b = await cli(['check', 'kb-query', '--base', 'main', '--head', 'feature', '--sarif']);
    expect(a.code).toBe(0);
    expect(b.stdout).toBe(a.stdout);
    const q1 = await cli(['query', 'retry backoff', '--json']);
    const q2 = await cli(['query', 'retry backoff', '--json']);
    expect(q2.stdout).toBe(q1.stdout);
  });
});

describe('git distill query', () => {
  test('ranks the rejection first, with kind, snippet, run, category and commit', async () => {
    const out = await json(['query', 'why was the retry backoff patch rejected', '--json']);
    const top = out.results[0];
    // The rejection's own document (the person's reason) answers "why ... rejected" best; the run's evidence follows.
    expect([top.kind, top.run_id, top.category, top.commit]).toEqual(['failure', 'r-x', 'rejected', s.rejected_commit]);
    expect([out.results[1].kind, out.results[1].run_id]).toEqual(['evidence', 'r-x']);
    expect(out.results.find((r: { kind: string }) => r.kind === 'failure').snippet).toContain('[retry] [backoff]');
    const text = await cli(['query', 'retry backoff']);
    expect(text.stdout).toContain(' 1. [failure] rejected');
    expect(text.stdout).toContain(`commit ${s.rejected_commit.slice(0, 12)}`);
  });

  test('a mistyped --file or --model is matched and said; a wrong --category is a usage error', async () => {
    const r = await cli(['query', 'parser', '--file', 'src/y.s', '--model', 'gpt-os:120b', '--json']);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain("--file 'src/y.s' is not in the index; did you mean 'src/y.ts'? using it");
    const out = JSON.parse(r.stdout);
    expect(out.resolved).toEqual([
      { flag: '--file', given: 'src/y.s', used: 'src/y.ts' },
      { flag: '--model', given: 'gpt-os:120b', used: 'gpt-oss:120b' },
    ]);
    expect(out.results.map((x: { run_id: string }) => x.run_id)).toEqual(['r-y']);
    const bad = await cli(['query', 'x', '--category', 'rejectd']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('did you mean --category rejected');
  });

  test('--since keeps records distilled under commits in <rev>..HEAD', async () => {
    await s.repo.git.run(['checkout', '-q', 'main']);
    try {
      const out = await json(['query', 'retry backoff parser', '--since', 'main~1', '--json']);
      expect(out.results.map((r: { run_id: string }) => r.run_id)).toEqual(['r-y']);
    } finally {
      await s.repo.git.run(['checkout', '-q', 'feature']);
    }
  });

  test('the empty query is a clear usage error, exit 2', async () => {
    const r = await cli(['query', '']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('the query is empty');
  });
});

describe('keeping the index current', () => {
  test('distilling a commit adds its records incrementally; a playbook written to the branch is found and applies', async () => {
    await s.repo.git.run(['checkout', '-q', 'main']);
    const c3 = await s.repo.commit({ 'src/z.ts': 'z\n' }, 'add z', { date: '2024-01-01T12:00:00Z' });
    kb(s.repo, 'mode_experiments.jsonl', JSON.stringify({ ts: '2024-01-01T11:50:00Z', task_class: 'scrum_review', mode: 'codereview', model: 'kimi-k2:1t', file_path: 'src/z.ts', latency_ms: 500, response: 'zebra striping in the renderer', run_id: 'r-z' }) + '\n');
    expect((await cli(['run', c3, '--sync'])).code).toBe(0);
    const first = await json(['query', 'zebra striping', '--json']);
    expect(first.index.sync).toBe('incremental');
    expect(first.results[0].run_id).toBe('r-z');
    // A playbook as the knowledge stage writes it (schemas/playbook.ts), committed to the distill branch.
    const store = createGitStore({ git: s.repo.git, ref: 'refs/heads/distill', tool_version: 'test' });
    try {
      const playbook = {
        schema_version: 1, playbook_id: 'retry-backoff', task_type: 'scrum_review', problem_pattern: 'keep the retry backoff capped in fetchWithRetry',
        useful_context: ['docs/net.md'], model_routing_path: ['kimi-k2:1t'], commands_worked: ['bun test src/x.test.ts'], commands_failed: [],
        validation_steps: ['bun test'], repo_files_touched: ['src/x.ts'], recovery_strategy: null, known_failure_modes: ['unbounded retries'],
        escalation_threshold: null, acceptance_criteria: ['tests pass'], source_run_ids: ['r-x'], created_at: '2024-01-01T00:00:00Z', status: 'approved',
      };
      const head = await store.head();
      await store.write({ source_oid: c3, subject: 'add z', files: (await store.readCommit(c3)) as Map<string, Uint8Array>, derived: new Map([[playbookFile('retry-backoff'), new TextEncoder().encode(JSON.stringify(playbook) + '\n')]]), expected_head: head, date: '2024-01-01T12:00:00Z' });
    } finally {
      await store.close();
    }
    const pb = await json(['query', 'capped backoff', '--json']);
    expect(pb.index.sync).toBe('incremental');
    expect(pb.results.some((r: { kind: string; doc_id: string }) => r.kind === 'playbook' && r.doc_id === 'playbook:retry-backoff')).toBe(true);
    await s.repo.git.run(['checkout', '-q', 'feature']);
    const check = await json(['check', 'kb-query', '--base', 'main~1', '--head', 'feature', '--json']);
    expect(check.checks[0].findings.map((f: { rule_id: string }) => f.rule_id).sort()).toEqual(['playbook_applies', 'rejected_same_change']);
  });

  test('reindex on a fresh clone that fetched the distill branch gives the same top results as the incremental index', async () => {
    const incremental = await results('retry backoff parser zebra capped');
    const bare = join(temp, 'remote.git');
    await createGit({ cwd: temp }).run(['init', '-q', '--bare', bare]);
    await s.repo.git.run(['push', '-q', bare, 'main', 'feature', 'refs/heads/distill:refs/heads/distill']);
    const clone = join(temp, 'clone');
    await createGit({ cwd: temp }).run(['clone', '-q', '-b', 'main', bare, clone]);
    await createGit({ cwd: clone }).run(['fetch', '-q', 'origin', 'refs/heads/distill:refs/heads/distill']);
    const re = await json(['reindex', '--json'], clone);
    expect(re.sources).toBe(3);
    expect(re.playbooks).toBe(1);
    expect(await results('retry backoff parser zebra capped', clone)).toEqual(incremental);
    // And reindex in place changes nothing either.
    await json(['reindex'].concat('--json'));
    expect(await results('retry backoff parser zebra capped')).toEqual(incremental);
  });

  test('a changed embedder re-embeds every document instead of mixing vector spaces', async () => {
    const before = await json(['query', 'retry', '--json']);
    writeFileSync(join(s.repo.dir, '.distill', 'config.json'), JSON.stringify({ schema_version: 1, sources: [{ path: 'data/_kb/*.jsonl' }], search: { embedder: { dim: 128 } } }) + '\n');
    try {
      const after = await json(['query', 'retry', '--json']);
      expect(after.index.embedder).toBe('hashed-ngram@1:128');
      expect(before.index.embedder).toBe('hashed-ngram@1:256');
      expect(after.index.sync).toBe('reembed');
      expect(after.index.embedded).toBe(after.index.documents);
      expect(after.results.map((r: { doc_id: string }) => r.doc_id).sort()).toEqual(before.results.map((r: { doc_id: string }) => r.doc_id).sort());
    } finally {
      await s.repo.git.run(['checkout', '--', '.distill/config.json']);
    }
  });
  test('term records hold vectors only while the config ranks the vector list within the keyword list', async () => {
    const recordVectors = () => {
      const db = new Database(join(s.repo.dir, '.distill', 'cache', 'search.sqlite'), { readonly: true });
      try {
        const meta = db.query("SELECT value FROM meta WHERE key = 'record_vectors'").get() as { value: string } | null;
        const held = db.query('SELECT count(*) AS n FROM doc_terms WHERE vector IS NOT NULL').get() as { n: number };
        return { meta: meta?.value ?? null, held: held.n };
      } finally {
        db.close();
      }
    };
    const before = await json(['query', 'retry', '--json']);
    expect(recordVectors()).toEqual({ meta: 'hashed-ngram@1:256', held: before.index.documents });
    // Vectors weighted like keywords: an outsider could rank, so the vector list searches every document.
    writeFileSync(join(s.repo.dir, '.distill', 'config.json'), JSON.stringify({ schema_version: 1, sources: [{ path: 'data/_kb/*.jsonl' }], search: { weights: { keyword: 1, vector: 1 } } }) + '\n');
    try {
      await json(['query', 'retry', '--json']);
      expect(recordVectors()).toEqual({ meta: '', held: 0 });
    } finally {
      await s.repo.git.run(['checkout', '--', '.distill/config.json']);
    }
    const after = await json(['query', 'retry', '--json']);
    expect(recordVectors()).toEqual({ meta: 'hashed-ngram@1:256', held: after.index.documents });
    expect(after.results).toEqual(before.results);
  });
});

describe('search.max_scored', () => {
  test('caps what an unfiltered keyword ranking scores, read from the config at query time', async () => {
    const repo = await makeRepo();
    try {
      const config = (search: object) => JSON.stringify({ schema_version: 1, sources: [{ path: 'data/_kb/*.jsonl' }], search }) + '\n';
      const c = await repo.commit({ '.distill/config.json': config({}), '.gitignore': 'data/\n', 'src/x.ts': 'x\n' }, 'x', { date: '2024-01-01T10:00:00Z' });
      // 40 runs on one file, each saying "retry" a different number of times: 40 documents match.
      kb(repo, 'mode_experiments.jsonl', Array.from({ length: 40 }, (_, i) => `${JSON.stringify({ ts: `2024-01-01T09:${String(i).padStart(2, '0')}:00Z`, task_class: 'scrum_review', mode: 'codereview', model: 'kimi-k2:1t', file_path: 'src/x.ts', latency_ms: 100, response: `${'retry '.repeat(1 + (i % 7))}backoff note ${i}`, run_id: `r-${i}` })}\n`).join(''));
      expect((await runCliCaptured(['run', c, '--sync', '--json'], { cwd: repo.dir })).code).toBe(0);
      const query = async () => JSON.parse((await runCliCaptured(['query', 'retry backoff', '--json'], { cwd: repo.dir })).stdout);
      const wide = await query();
      expect(wide.keyword.method).toBe('bounded');
      expect(wide.keyword.scored).toBeGreaterThan(10);
      writeFileSync(join(repo.dir, '.distill', 'config.json'), config({ candidates: 10, max_scored: 10 }));
      const narrow = await query();
      expect(narrow.keyword.scored).toBe(10);
      expect(narrow.results.length).toBe(10);
    } finally {
      await repo.cleanup();
    }
  });
});

describe('the user\'s checkout', () => {
  test('query, reindex and kb-query in a repository with no distill branch yet leave everything as it was', async () => {
    const repo = await makeRepo();
    try {
      await repo.commit({ 'src/a.ts': 'a\n' }, 'a');
      await repo.commit({ 'src/a.ts': 'throw new Error("boom failed")\n' }, 'b');
      const before = await snapshotUserState(repo.dir, undefined, [CACHE_PREFIX]);
      const q = await cli(['query', 'anything at all'], repo.dir);
      expect([q.code, q.stdout]).toEqual([0, 'nothing is indexed yet\n']);
      expect((await cli(['reindex', '--json'], repo.dir)).code).toBe(0);
      const c = await json(['check', 'kb-query', '--base', 'HEAD~1', '--json'], repo.dir);
      expect(c.checks[0].findings).toEqual([]);
      expect(await snapshotUserState(repo.dir, undefined, [CACHE_PREFIX])).toEqual(before);
      // The index's directory ignores itself: git sees it only as ignored, never as untracked.
      const status = (await repo.git.run(['status', '--porcelain', '--untracked-files=all'])).stdoutText;
      expect(status).toBe('');
    } finally {
      await repo.cleanup();
    }
  });
});
