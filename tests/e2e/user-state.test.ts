// Invariants 7 and 8: no command but init and hooks install touches the user's checkout; a failing git-distill never fails git.
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from 'bun:test';
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CACHE_PREFIX, makeRepo, snapshotUserState, type TestRepo } from '../helpers/git-repo.ts';
import { runCliCaptured } from '../helpers/cli.ts';

setDefaultTimeout(60_000);
let repo: TestRepo;
const line = (run_id: string, ts: string, file: string) =>
  JSON.stringify({ ts, task_class: 'scrum_review', mode: 'm', model: 'kimi-k2:1t', file_path: file, latency_ms: 5, response: 'ok', run_id }) + '\n';

beforeAll(async () => {
  repo = await makeRepo();
  mkdirSync(join(repo.dir, 'data', '_kb'), { recursive: true });
  const config = JSON.stringify({ schema_version: 1, sources: [{ path: 'data/_kb/*.jsonl' }] });
  const prd = '# Plan\n## Phase 1 ✅\n- [x] `src/a.ts`\n- [x] `src/gone.ts`\n';
  await repo.commit({ '.distill/config.json': config, '.gitignore': 'data/\n.distill/cache/\n', 'src/a.ts': 'a\n', 'docs/PRD.md': prd }, 'a', { date: '2024-01-01T10:00:00Z' });
  appendFileSync(join(repo.dir, 'data', '_kb', 'mode_experiments.jsonl'), line('r1', '2024-01-01T09:55:00Z', 'src/a.ts') + line('r2', '2024-01-01T10:55:00Z', 'src/b.ts'));
  await repo.commit({ 'src/b.ts': 'b\n' }, 'b', { date: '2024-01-01T11:00:00Z' });
  // A user mid-work: a stash, another branch, a staged change, an unstaged edit, an untracked file.
  writeFileSync(join(repo.dir, 'src', 'a.ts'), 'stashed\n');
  await repo.git.run(['stash', 'push', '-q', '-m', 'wip']);
  await repo.git.run(['branch', 'feature']);
  writeFileSync(join(repo.dir, 'src', 'b.ts'), 'staged\n');
  await repo.git.run(['add', 'src/b.ts']);
  writeFileSync(join(repo.dir, 'src', 'b.ts'), 'staged, then edited\n');
  writeFileSync(join(repo.dir, 'notes.txt'), 'untracked\n');
});

afterAll(async () => {
  await repo.cleanup();
});

const COMMANDS: string[][] = [
  ['ingest', 'data', '--json'],
  ['run', 'HEAD~1'],
  ['run', 'HEAD~1..HEAD', '--json'],
  ['backfill'],
  ['log'],
  ['log', '--oneline', '-n', '1'],
  ['show', 'HEAD', '--json'],
  ['verify', '--all'],
  ['relink'],
  ['doctor'],
  ['drift'],
  ['drift', 'HEAD', '--base', 'HEAD~1', '--json'],
  ['drift', '--log'],
  ['check', 'prd-drift', '--base', 'HEAD~1'],
  ['hook', 'worker'],
  ['run', 'no-such-rev'],
  ['nonsense'],
];

test('status, stash, HEAD, refs, index bytes and working tree are the same after every command', async () => {
  for (const argv of COMMANDS) {
    const before = await snapshotUserState(repo.dir, 'refs/heads/distill', [CACHE_PREFIX]);
    await runCliCaptured(argv, { cwd: repo.dir });
    const after = await snapshotUserState(repo.dir, 'refs/heads/distill', [CACHE_PREFIX]);
    expect({ argv, state: after }).toEqual({ argv, state: before });
  }
  // The commands did real work: both commits are on the distill branch.
  const log = JSON.parse((await runCliCaptured(['log', '--json'], { cwd: repo.dir })).stdout);
  expect(log.map((e: { distilled: boolean }) => e.distilled)).toEqual([true, true]);
});

test('a git-distill that fails (a broken config) never fails the commit; the hook logs why', async () => {
  const r2 = await makeRepo();
  try {
    expect((await runCliCaptured(['hooks', 'install'], { cwd: r2.dir })).code).toBe(0);
    mkdirSync(join(r2.dir, '.distill'), { recursive: true });
    writeFileSync(join(r2.dir, '.distill', 'config.json'), '{"schema_version": 1, "sources": 42}');
    writeFileSync(join(r2.dir, 'x.txt'), 'x\n');
    const git = (args: string[]) => Bun.spawnSync(['git', ...args], { cwd: r2.dir, env: { ...process.env, GIT_AUTHOR_DATE: '2024-01-01T00:00:00Z', GIT_COMMITTER_DATE: '2024-01-01T00:00:00Z' } });
    expect(git(['add', 'x.txt']).exitCode).toBe(0);
    const commit = git(['commit', '-q', '-m', 'x']);
    expect(commit.exitCode).toBe(0);
    expect(commit.stdout.toString()).toBe('');
    // The worker run by hand in hook mode fails on the config, reports nothing to git, and logs the reason.
    const worker = await runCliCaptured(['hook', 'worker'], { cwd: r2.dir, env: { GIT_DISTILL_HOOK: '1' } });
    expect(worker.code).toBe(0);
    const logPath = join(r2.dir, '.git', 'distill', 'worker.log');
    expect(existsSync(logPath)).toBe(true);
    expect(readFileSync(logPath, 'utf8')).toContain('config.json is invalid');
    // Outside a hook the same failure is an error with a hint.
    const direct = await runCliCaptured(['hook', 'worker'], { cwd: r2.dir });
    expect(direct.code).toBe(2);
    expect(direct.stderr).toContain('sources');
  } finally {
    await r2.cleanup();
  }
});
