// `git distill action` end to end: a real repository and PR range, a real check runner reading git, the test server as GitHub.
import { afterAll, expect, setDefaultTimeout, test } from 'bun:test';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pkg from '../../package.json' with { type: 'json' };
import { makeFinding } from '../../src/checks/check.ts';
import type { CheckRunner } from '../../src/checks/registry.ts';
import type { CliEnv } from '../../src/cli/command.ts';
import { runActionCommand } from '../../src/cli/commands/action.ts';
import { COMMENT_MARKER } from '../../src/action/run-action.ts';
import { createGitStore } from '../../src/store/git-store.ts';
import { DEFAULT_DISTILL_REF } from '../../src/store/layout.ts';
import { startFakeForge, type FakeForge } from '../helpers/fake-forge.ts';
import { CACHE_PREFIX, makeRepo, REPO_EPOCH, snapshotUserState, type TestRepo } from '../helpers/git-repo.ts';

// Each test distills a few real commits, several times over: more than the 5 s default on a loaded 2-core machine.
setDefaultTimeout(60_000);

const cleanups: Array<() => unknown> = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

/** A real runner: one finding per line of findings.txt at the head commit. */
const linesRunner: CheckRunner = {
  id: 'lines',
  cli_name: 'lines',
  title: 'Lines',
  rules: [{ id: 'line', title: 'A line', default_severity: 'high', description: 'each line of findings.txt' }],
  compare_with_base: false,
  async run(ctx, rev) {
    const r = await ctx.git.run(['cat-file', 'blob', `${rev.head_oid}:findings.txt`], { allowExit: [128] });
    if (r.exitCode !== 0) return [];
    return r.stdoutText
      .split('\n')
      .filter((l) => l !== '')
      .map((text, i) => ({
        ...makeFinding({
          check: 'lines',
          rule_id: 'line',
          title: 'A line',
          message: text,
          severity: 'high',
          location: { path: 'findings.txt', start_line: i + 1, end_line: i + 1 },
          evidence: [],
          subject: text,
        }),
        introduced_by: 'pr' as const,
      }));
  },
};

const iso = (n: number) => new Date((REPO_EPOCH + 60 * n) * 1000).toISOString();
const logLine = (run: string, n: number, file: string) =>
  `${JSON.stringify({ ts: iso(n), task_class: 'scrum_review', mode: 'codereview', model: 'kimi-k2:1t', file_path: file, latency_ms: 900, response: `reviewed ${file}`, run_id: run })}\n`;

interface Pr {
  repo: TestRepo;
  server: FakeForge;
  dir: string;
  base: string;
  head1: string;
  head2: string;
}

async function setup(): Promise<Pr> {
  const repo = await makeRepo();
  cleanups.push(() => repo.cleanup());
  const server = startFakeForge();
  cleanups.push(() => server.stop());
  const dir = mkdtempSync(join(tmpdir(), 'distill-action-e2e-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const config = JSON.stringify({ schema_version: 1, sources: [{ path: 'data/_kb/*.jsonl' }] });
  const base = await repo.commit({ '.distill/config.json': config, '.gitignore': '.distill/cache/\n', 'README.md': 'hi\n' }, 'base');
  await repo.git.run(['checkout', '-q', '-b', 'feature']);
  mkdirSync(join(repo.dir, 'data', '_kb'), { recursive: true });
  // The agent's log beside the code (not committed), as the auditor loop writes it.
  writeFileSync(join(repo.dir, 'data', '_kb', 'mode_experiments.jsonl'), logLine('r1', 1, 'src/a.ts'));
  const lines120 = Array.from({ length: 120 }, (_, i) => `problem ${i}`).join('\n');
  const head1 = await repo.commit({ 'src/a.ts': 'export const a = 1;\n', 'findings.txt': `${lines120}\n` }, 'feature: a');
  const head2 = await repo.commit({ 'findings.txt': 'problem 0\nproblem 1\n' }, 'feature: fewer problems');
  return { repo, server, dir, base, head1, head2 };
}

function event(pr: Pr, head: string, extra: Record<string, unknown> = {}): string {
  const path = join(pr.dir, `event-${head.slice(0, 7)}-${Object.keys(extra).length}.json`);
  writeFileSync(path, JSON.stringify({ action: 'synchronize', pull_request: { number: 7, head: { sha: head, ref: 'feature' }, base: { sha: pr.base, ref: 'main' }, ...extra } }));
  return path;
}

async function action(pr: Pr, eventPath: string, values: Record<string, string | boolean> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const env: CliEnv = {
    cwd: pr.repo.dir,
    stdout: (t) => void (stdout += t),
    stderr: (t) => void (stderr += t),
    stderrIsTTY: false,
    now: () => new Date('2026-02-03T04:05:06Z'),
    version: pkg.version,
    env: {
      GITHUB_API_URL: pr.server.api_url,
      GITHUB_REPOSITORY: 'octo/proj',
      GITHUB_EVENT_PATH: eventPath,
      GITHUB_TOKEN: 'test-token',
      GITHUB_OUTPUT: join(pr.dir, 'output'),
      GITHUB_STEP_SUMMARY: join(pr.dir, 'summary.md'),
      RUNNER_TEMP: pr.dir,
    },
  };
  const code = await runActionCommand(env, values, [linesRunner]);
  return { code, stdout, stderr };
}

test('twice for one PR: one sticky comment, updated; check runs whose annotations are the findings; distilled; exit by fail level', async () => {
  const pr = await setup();
  const user = await snapshotUserState(pr.repo.dir, DEFAULT_DISTILL_REF, [CACHE_PREFIX]);

  const first = await action(pr, event(pr, pr.head1));
  expect(first.code).toBe(1);
  expect(first.stderr).toContain('git-distill: 120 block, 0 warn, 0 info, 0 accepted; failing');
  const runs1 = pr.server.requests.filter((r) => r.path.includes('/check-runs'));
  expect(runs1.map((r) => r.method)).toEqual(['POST', 'PATCH', 'PATCH']);
  const sent1 = runs1.flatMap((r) => (r.body as { output: { annotations: Array<{ start_line: number; message: string }> } }).output.annotations);
  expect(sent1.map((a) => `${a.start_line} ${a.message}`)).toEqual(Array.from({ length: 120 }, (_, i) => `${i + 1} problem ${i}`));

  // The PR's commits are distilled onto the distill branch (the evidence linked by the files it touched).
  const store = createGitStore({ git: pr.repo.git, ref: DEFAULT_DISTILL_REF, tool_version: pkg.version });
  expect(await store.listSources()).toEqual([pr.head1]);

  const second = await action(pr, event(pr, pr.head2), { 'fail-level': 'never', json: true });
  expect(second.code).toBe(0);
  expect(await store.listSources()).toEqual([pr.head1, pr.head2].sort());
  await store.close();
  expect(pr.server.comments).toHaveLength(1);
  expect(pr.server.comments[0]!.body.startsWith(COMMENT_MARKER)).toBe(true);
  expect(pr.server.comments[0]!.body).toContain('2 block · 0 warn · 0 info');
  expect(pr.server.requests.filter((r) => r.path.includes('/comments')).map((r) => r.method)).toEqual(['GET', 'POST', 'GET', 'PATCH']);
  const runs2 = pr.server.requests.filter((r) => r.path.includes('/check-runs')).slice(3);
  expect(runs2).toHaveLength(1);
  expect(runs2[0]!.body).toMatchObject({
    head_sha: pr.head2,
    // Blocking findings, but fail-level never: the job passes and the check run is neutral, not green.
    conclusion: 'neutral',
    output: {
      annotations: [
        { path: 'findings.txt', start_line: 1, end_line: 1, annotation_level: 'failure', message: 'problem 0', title: 'lines/line: A line' },
        { path: 'findings.txt', start_line: 2, end_line: 2, annotation_level: 'failure', message: 'problem 1', title: 'lines/line: A line' },
      ],
    },
  });
  const result = JSON.parse(second.stdout.trim().split('\n').pop()!) as { sarif_path: string; comment: { action: string } };
  expect(result.comment.action).toBe('updated');
  expect(JSON.parse(readFileSync(result.sarif_path, 'utf8')).runs[0].results).toHaveLength(2);
  expect(readFileSync(join(pr.dir, 'output'), 'utf8')).toContain(`sarif-file=${join(pr.dir, 'git-distill.sarif')}\n`);

  expect(await snapshotUserState(pr.repo.dir, DEFAULT_DISTILL_REF, [CACHE_PREFIX])).toEqual(user);
});

test('a PR squash-merged on the forge: its distilled data is linked to the squash commit by patch-id, and the link says so', async () => {
  const pr = await setup();
  expect((await action(pr, event(pr, pr.head2), { 'fail-level': 'never' })).code).toBe(0);
  // The forge squashes the PR onto main as one new commit.
  await pr.repo.git.run(['checkout', '-q', 'main']);
  await pr.repo.git.run(['merge', '-q', '--squash', 'feature']);
  const squash = await pr.repo.commit({}, 'feature (#7)');
  const merged = event(pr, pr.head2, { merged: true, merge_commit_sha: squash });
  const r = await action(pr, merged, { 'fail-level': 'never', json: true });
  expect(r.code).toBe(0);
  const result = JSON.parse(r.stdout.trim().split('\n').pop()!) as { links: Array<{ pr_commit: string; merged_commit: string; by: string; detail: string; carried: boolean }> };
  expect(result.links.map((l) => [l.pr_commit, l.merged_commit, l.by, l.carried])).toEqual([
    [pr.head1, squash, 'patch-id', true],
    // head2 added no evidence of its own: carrying its (empty) folder adds nothing.
    [pr.head2, squash, 'patch-id', false],
  ]);
  expect(result.links[0]!.detail).toMatch(/^PR #7 squash-merged as [0-9a-f]{12}: patch-id [0-9a-f]{12} of the PR's diff$/);
  const store = createGitStore({ git: pr.repo.git, ref: DEFAULT_DISTILL_REF, tool_version: pkg.version });
  const folder = await store.readCommit(squash);
  await store.close();
  expect(folder).not.toBeNull();
  const evidence = new TextDecoder().decode(folder!.get('evidence.jsonl')!).trim().split('\n').map((l) => JSON.parse(l) as { links: Array<{ oid: string; by: string; detail: string }> });
  expect(evidence.length).toBeGreaterThan(0);
  expect(evidence[0]!.links.find((l) => l.oid === squash)).toMatchObject({ by: 'patch-id' });
});

test('a PR squash-merged with a conflict resolved on merge: the patch-ids differ, so it is linked by PR number, and the link says so', async () => {
  const pr = await setup();
  expect((await action(pr, event(pr, pr.head2), { 'fail-level': 'never' })).code).toBe(0);
  // main moved on and added the same file: the forge's squash resolves the conflict, so the merged diff is not the PR's.
  await pr.repo.git.run(['checkout', '-q', 'main']);
  await pr.repo.commit({ 'src/a.ts': 'export const a = 0;\n' }, 'main: a');
  const conflict = await pr.repo.git.run(['merge', '-q', '--squash', 'feature'], { allowExit: [1] });
  expect(conflict.exitCode).toBe(1);
  const squash = await pr.repo.commit({ 'src/a.ts': 'export const a = 1; // resolved on merge\n' }, 'feature (#7)');
  const r = await action(pr, event(pr, pr.head2, { merged: true, merge_commit_sha: squash }), { 'fail-level': 'never', json: true });
  expect(r.code).toBe(0);
  const result = JSON.parse(r.stdout.trim().split('\n').pop()!) as { links: Array<{ pr_commit: string; merged_commit: string; by: string; detail: string; carried: boolean }> };
  const detail = `PR #7 squash-merged as ${squash.slice(0, 12)}, linked by PR number (the merged diff's patch-id differs)`;
  expect(result.links).toEqual([
    { pr_commit: pr.head1, merged_commit: squash, by: 'pr-number', detail, carried: true },
    { pr_commit: pr.head2, merged_commit: squash, by: 'pr-number', detail, carried: false },
  ]);
  // The job summary says how each commit was linked.
  expect(readFileSync(join(pr.dir, 'summary.md'), 'utf8')).toContain(`- linked ${pr.head1.slice(0, 12)} → ${squash.slice(0, 12)} by pr-number: ${detail}`);
  // The squash commit's folder holds the PR's evidence, each record linked to it with the PR number in the detail.
  const store = createGitStore({ git: pr.repo.git, ref: DEFAULT_DISTILL_REF, tool_version: pkg.version });
  const folder = await store.readCommit(squash);
  await store.close();
  const evidence = new TextDecoder().decode(folder!.get('evidence.jsonl')!).trim().split('\n').map((l) => JSON.parse(l) as { run_id: string; links: Array<{ oid: string; by: string; detail: string }> });
  expect(evidence.map((e) => e.run_id)).toEqual(['r1']);
  expect(evidence[0]!.links.find((l) => l.oid === squash)).toEqual({ oid: squash, by: 'rewrite', detail });
});

test('the PR head missing from the clone (a shallow checkout) is a failure with a hint, never a pass', async () => {
  const pr = await setup();
  const r = await action(pr, event(pr, 'f'.repeat(40)));
  expect(r.code).toBe(4);
  expect(r.stdout).toContain('::error title=git-distill failed::');
  expect(pr.server.requests.map((q) => `${q.method} ${q.path}`)).toEqual(['POST /repos/octo/proj/check-runs']);
  expect(pr.server.requests[0]!.body).toMatchObject({ conclusion: 'failure' });
});

test('a PR rebase-merged on the forge: each PR commit is linked to its rebased commit by patch-id', async () => {
  const pr = await setup();
  await Bun.write(join(pr.repo.dir, 'data', '_kb', 'mode_experiments.jsonl'), logLine('r1', 1, 'src/a.ts') + logLine('r2', 3, 'src/b.ts'));
  const head3 = await pr.repo.commit({ 'src/b.ts': 'export const b = 2;\n' }, 'feature: b');
  expect((await action(pr, event(pr, head3), { 'fail-level': 'never' })).code).toBe(0);
  // The forge rebases the PR onto a main that moved on.
  await pr.repo.git.run(['checkout', '-q', 'main']);
  await pr.repo.commit({ 'NOTES.md': 'elsewhere\n' }, 'main moved');
  const date = `${REPO_EPOCH + 3600} +0000`;
  await pr.repo.git.run(['cherry-pick', `${pr.base}..${head3}`], { env: { GIT_COMMITTER_DATE: date } });
  const rebased = (await pr.repo.git.run(['rev-list', '--reverse', '-n', '3', 'HEAD'])).stdoutText.trim().split('\n') as [string, string, string];
  const r = await action(pr, event(pr, head3, { merged: true, merge_commit_sha: rebased[2] }), { 'fail-level': 'never', json: true });
  expect(r.stderr).toContain('; passing;');
  expect(r.code).toBe(0);
  const result = JSON.parse(r.stdout.trim().split('\n').pop()!) as { links: Array<{ pr_commit: string; merged_commit: string; by: string; detail: string; carried: boolean }> };
  expect(result.links.map((l) => [l.pr_commit, l.merged_commit, l.by, l.carried])).toEqual([
    [pr.head1, rebased[0], 'patch-id', true],
    // head2 has a folder (no evidence): it is carried too, so its rebased commit shows as distilled.
    [pr.head2, rebased[1], 'patch-id', true],
    [head3, rebased[2], 'patch-id', true],
  ]);
  expect(result.links[2]!.detail).toMatch(/^PR #7 rebase-merged: patch-id [0-9a-f]{12} of [0-9a-f]{12}$/);
  const store = createGitStore({ git: pr.repo.git, ref: DEFAULT_DISTILL_REF, tool_version: pkg.version });
  const folder = await store.readCommit(rebased[2]!);
  await store.close();
  const runs = new TextDecoder().decode(folder!.get('evidence.jsonl')!).trim().split('\n').map((l) => (JSON.parse(l) as { run_id: string }).run_id);
  expect(runs).toEqual(['r2']);
});
