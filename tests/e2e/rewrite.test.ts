// Distilled data follows rewritten commits: post-rewrite after amend and rebase (real hooks, real git), and relink by patch-id.
import { afterAll, expect, test } from 'bun:test';
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeRepo, type TestRepo } from '../helpers/git-repo.ts';
import { runCliCaptured } from '../helpers/cli.ts';

const repos: TestRepo[] = [];
afterAll(async () => {
  for (const r of repos) await r.cleanup();
});

/** The user's git, hooks and all (the test repo's own helper runs git with hooks disabled). */
function userGit(dir: string, args: string[], date: string, env: Record<string, string> = {}): string {
  const r = Bun.spawnSync(['git', ...args], {
    cwd: dir,
    env: { ...process.env, GIT_AUTHOR_DATE: date, GIT_COMMITTER_DATE: date, ...env },
  });
  if (r.exitCode !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr.toString()}`);
  return r.stdout.toString().trim();
}

const at = (m: number) => `2024-03-01T10:${String(m).padStart(2, '0')}:00Z`;
const reviewLine = (run_id: string, ts: string, file: string) =>
  JSON.stringify({ ts, task_class: 'scrum_review', mode: 'codereview', model: 'kimi-k2:1t', file_path: file, latency_ms: 900, response: `reviewed ${file}`, run_id }) + '\n';

async function repoWithHooks(): Promise<TestRepo> {
  const repo = await makeRepo();
  repos.push(repo);
  mkdirSync(join(repo.dir, 'data', '_kb'), { recursive: true });
  mkdirSync(join(repo.dir, '.distill'), { recursive: true });
  writeFileSync(join(repo.dir, '.distill', 'config.json'), JSON.stringify({ schema_version: 1, sources: [{ path: 'data/_kb/*.jsonl' }] }));
  const installed = await runCliCaptured(['hooks', 'install'], { cwd: repo.dir });
  expect(installed.code).toBe(0);
  return repo;
}

/** What the post-commit hook's detached worker does, run here so the test can wait for it. */
async function drain(repo: TestRepo): Promise<void> {
  const r = await runCliCaptured(['hook', 'worker', '--json'], { cwd: repo.dir });
  expect(r.code).toBe(0);
  expect(JSON.parse(r.stdout).errors).toEqual([]);
}

async function evidenceOf(repo: TestRepo, rev: string): Promise<Array<{ run_id: string; links: Array<{ oid: string; by: string }> }>> {
  const r = await runCliCaptured(['show', rev, '--json'], { cwd: repo.dir });
  expect(r.code).toBe(0);
  const view = JSON.parse(r.stdout);
  expect(view.verified).toBe(true);
  return view.runs.map((run: { run_id: string }) => run) as never;
}

test('after git commit --amend the distilled data is reachable under the new oid, linked by rewrite', async () => {
  const repo = await repoWithHooks();
  appendFileSync(join(repo.dir, 'data', '_kb', 'mode_experiments.jsonl'), reviewLine('r1', at(1), 'src/a.ts'));
  writeFileSync(join(repo.dir, 'a.txt'), 'x');
  mkdirSync(join(repo.dir, 'src'), { recursive: true });
  writeFileSync(join(repo.dir, 'src', 'a.ts'), 'export const a = 1;\n');
  userGit(repo.dir, ['add', '-A'], at(2));
  userGit(repo.dir, ['commit', '-q', '-m', 'add a'], at(2));
  const before = userGit(repo.dir, ['rev-parse', 'HEAD'], at(2));
  await drain(repo);
  expect((await evidenceOf(repo, before)).map((r) => r.run_id)).toEqual(['r1']);

  userGit(repo.dir, ['commit', '-q', '--amend', '-m', 'add a, amended'], at(3));
  const after = userGit(repo.dir, ['rev-parse', 'HEAD'], at(3));
  expect(after).not.toBe(before);
  await drain(repo);
  const show = JSON.parse((await runCliCaptured(['show', 'HEAD', '--json'], { cwd: repo.dir })).stdout);
  expect(show.oid).toBe(after);
  expect(show.manifest.counts.evidence).toBe(1);
  expect(show.manifest.links_by).toEqual({ rewrite: 1 });
  const log = JSON.parse((await runCliCaptured(['log', '--json'], { cwd: repo.dir })).stdout);
  expect(log.map((e: { oid: string; distilled: boolean }) => [e.oid, e.distilled])).toEqual([[after, true]]);
  expect((await runCliCaptured(['verify', '--all'], { cwd: repo.dir })).code).toBe(0);
});

test('after git rebase every distilled commit is reachable under its new oid', async () => {
  const repo = await repoWithHooks();
  mkdirSync(join(repo.dir, 'src'), { recursive: true });
  writeFileSync(join(repo.dir, 'README'), 'base\n');
  userGit(repo.dir, ['add', '-A'], at(0));
  userGit(repo.dir, ['commit', '-q', '-m', 'base'], at(0));
  userGit(repo.dir, ['checkout', '-q', '-b', 'topic'], at(0));
  for (const [i, name] of ['b', 'c'].entries()) {
    appendFileSync(join(repo.dir, 'data', '_kb', 'mode_experiments.jsonl'), reviewLine(`r-${name}`, at(10 + i * 10), `src/${name}.ts`));
    writeFileSync(join(repo.dir, 'src', `${name}.ts`), `export const ${name} = 1;\n`);
    userGit(repo.dir, ['add', '-A'], at(11 + i * 10));
    userGit(repo.dir, ['commit', '-q', '-m', `add ${name}`], at(11 + i * 10));
  }
  await drain(repo);
  userGit(repo.dir, ['checkout', '-q', 'main'], at(30));
  writeFileSync(join(repo.dir, 'README'), 'base, moved on\n');
  userGit(repo.dir, ['commit', '-q', '-am', 'main moves'], at(31));
  userGit(repo.dir, ['checkout', '-q', 'topic'], at(32));
  userGit(repo.dir, ['rebase', '-q', 'main'], at(33));
  await drain(repo);
  const log = JSON.parse((await runCliCaptured(['log', '--json', 'main..topic'], { cwd: repo.dir })).stdout) as Array<{ subject: string; distilled: boolean; counts: { evidence: number } | null }>;
  expect(log.map((e) => [e.subject, e.distilled, e.counts?.evidence])).toEqual([
    ['add c', true, 1],
    ['add b', true, 1],
  ]);
});

test('relink carries a rewritten commit the hooks never saw to its new oid by patch-id', async () => {
  const repo = await repoWithHooks();
  appendFileSync(join(repo.dir, 'data', '_kb', 'mode_experiments.jsonl'), reviewLine('r1', at(1), 'src/a.ts'));
  mkdirSync(join(repo.dir, 'src'), { recursive: true });
  writeFileSync(join(repo.dir, 'src', 'a.ts'), 'export const a = 1;\n');
  userGit(repo.dir, ['add', '-A'], at(2));
  userGit(repo.dir, ['commit', '-q', '-m', 'add a'], at(2));
  await drain(repo);
  // Rewritten with the hooks switched off (as on another machine, or by a forge).
  userGit(repo.dir, ['commit', '-q', '--amend', '-m', 'add a (reworded elsewhere)'], at(5), { GIT_DISTILL_DISABLE: '1' });
  const after = userGit(repo.dir, ['rev-parse', 'HEAD'], at(5));
  const undistilled = JSON.parse((await runCliCaptured(['log', '--json'], { cwd: repo.dir })).stdout);
  expect(undistilled[0].distilled).toBe(false);

  const r = await runCliCaptured(['relink', '--json'], { cwd: repo.dir });
  expect(r.code).toBe(0);
  const out = JSON.parse(r.stdout);
  expect(out.carried.map((c: { new_oid: string; carried: boolean }) => [c.new_oid, c.carried])).toEqual([[after, true]]);
  const show = JSON.parse((await runCliCaptured(['show', 'HEAD', '--json'], { cwd: repo.dir })).stdout);
  expect(show.manifest.links_by).toEqual({ 'patch-id': 1 });
  // A second relink finds nothing new to do.
  const again = JSON.parse((await runCliCaptured(['relink', '--json'], { cwd: repo.dir })).stdout);
  expect(again.carried.filter((c: { carried: boolean }) => c.carried)).toEqual([]);
});
