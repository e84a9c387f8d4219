// The PR job against a local server standing in for GitHub's and Gitea's REST APIs: the exact calls, the outputs, the exit codes.
import { afterEach, describe, expect, test } from 'bun:test';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeFinding } from '../checks/check.ts';
import { applyPolicy, DEFAULT_POLICY, type FailLevel } from '../checks/policy.ts';
import type { CheckReport } from '../checks/report.ts';
import { DistillError } from '../errors.ts';
import { startFakeForge, type FakeForge } from '../../tests/helpers/fake-forge.ts';
import { buildAnnotations, renderWorkflowCommands } from './annotations.ts';
import { readActionEnv, type ActionEnv } from './env.ts';
import { parsePullRequestEvent, type PullRequestEvent } from './event.ts';
import { createForgeClient } from './forge.ts';
import { COMMENT_MARKER, runAction, type ActionDeps } from './run-action.ts';

const HEAD = 'b'.repeat(40);
const BASE = 'a'.repeat(40);
const EVENT: PullRequestEvent = { number: 7, action: 'synchronize', head_sha: HEAD, base_sha: BASE, base_ref: 'main', merged_as: null };
// Built at run time so no token-shaped string sits in the repository.
const FAKE_TOKEN = ['ghp', '_', 'Zx8Qw3Er5Ty7Ui9Op1As2Df4Gh6Jk8Lz0Xc3V'].join('');

const servers: FakeForge[] = [];
const dirs: string[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) s.stop();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function forgeServer(prefix = ''): FakeForge {
  const s = startFakeForge({ prefix });
  servers.push(s);
  return s;
}

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'distill-action-'));
  dirs.push(d);
  return d;
}

/** `n` findings of the PR, each at its own line; `severity` decides block (high) or warn (medium). */
function report(n: number, severity: 'high' | 'medium' = 'high', message = (i: number) => `finding number ${i}`): CheckReport {
  const findings = Array.from({ length: n }, (_, i) => ({
    ...makeFinding({
      check: 'prd_drift',
      rule_id: 'dangling_reference',
      title: 'Dangling reference',
      message: message(i),
      severity,
      location: { path: 'docs/PRD.md', start_line: i + 1, end_line: i + 1 },
      evidence: [{ lookup: `src/f${i}.ts`, found: false, detail: 'git ls-files' }],
      subject: `FR-${i}`,
    }),
    introduced_by: 'pr' as const,
  }));
  return {
    check: 'prd_drift',
    title: 'PRD drift',
    rules: [{ id: 'dangling_reference', title: 'Dangling reference', default_severity: 'high', description: 'a path the PRD names is missing' }],
    base_oid: BASE,
    head_oid: HEAD,
    findings: applyPolicy(findings, DEFAULT_POLICY),
  };
}

interface Harness {
  deps: ActionDeps;
  stdout: () => string;
  files: { sarif: string; output: string; summary: string };
}

function harness(server: FakeForge, reports: () => Promise<CheckReport[]>, opts: { forge?: 'github' | 'gitea'; fail_level?: FailLevel | null; token?: string | null } = {}): Harness {
  const dir = tempDir();
  const files = { sarif: join(dir, 'out.sarif'), output: join(dir, 'output'), summary: join(dir, 'summary.md') };
  const kind = opts.forge ?? 'github';
  const env: ActionEnv = {
    forge: kind,
    api_url: server.api_url,
    owner: 'octo',
    repo: 'proj',
    event_name: 'pull_request',
    event_path: join(dir, 'event.json'),
    token: opts.token === undefined ? 'test-token' : opts.token,
    output_path: files.output,
    summary_path: files.summary,
    temp_dir: dir,
    run_url: 'https://forge.test/octo/proj/actions/runs/1',
  };
  let out = '';
  const deps: ActionDeps = {
    env,
    event: EVENT,
    inputs: { fail_level: opts.fail_level === undefined ? 'block' : opts.fail_level, push: false, sarif_path: files.sarif, check_name: 'git-distill' },
    forge: env.token === null ? null : createForgeClient({ kind, api_url: server.api_url, token: env.token, owner: 'octo', repo: 'proj', user_agent: 'git-distill/test' }),
    distill: async () => 'distilled 0 commits',
    runChecks: async () => ({ reports: await reports(), fail_level: 'block' }),
    linkMerged: async () => [],
    push: async () => 'pushed',
    writeFile: (p, t) => writeFileSync(p, t),
    appendFile: (p, t) => appendFileSync(p, t),
    stdout: (t) => {
      out += t;
    },
    tool_version: '0.1.0',
  };
  return { deps, stdout: () => out, files };
}

const outputsOf = (path: string) => Object.fromEntries(readFileSync(path, 'utf8').trim().split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
const calls = (s: FakeForge) => s.requests.map((r) => `${r.method} ${r.path}`);

describe('the action on GitHub', () => {
  test('120 findings: one comment created, a check run with annotations in three batches of 50, 50, 20; SARIF and outputs; exit 1', async () => {
    const s = forgeServer();
    const h = harness(s, async () => [report(120)]);
    const r = await runAction(h.deps);
    expect(r.exit_code).toBe(1);
    expect(calls(s)).toEqual([
      'GET /repos/octo/proj/issues/7/comments',
      'POST /repos/octo/proj/issues/7/comments',
      'POST /repos/octo/proj/check-runs',
      'PATCH /repos/octo/proj/check-runs/1001',
      'PATCH /repos/octo/proj/check-runs/1001',
    ]);
    expect(s.requests.every((q) => q.authorization === 'token test-token')).toBe(true);
    const bodies = s.requests.slice(2).map((q) => q.body as { output: { annotations: Array<{ start_line: number; annotation_level: string; path: string }> } });
    expect(bodies.map((b) => b.output.annotations.length)).toEqual([50, 50, 20]);
    expect(bodies.flatMap((b) => b.output.annotations.map((a) => a.start_line))).toEqual(Array.from({ length: 120 }, (_, i) => i + 1));
    expect(bodies[0]!.output.annotations[0]).toMatchObject({ path: 'docs/PRD.md', annotation_level: 'failure' });
    expect(s.requests[2]!.body).toMatchObject({ name: 'git-distill', head_sha: HEAD, status: 'completed', conclusion: 'failure' });
    expect(s.comments).toHaveLength(1);
    expect(s.comments[0]!.body.startsWith(`${COMMENT_MARKER}\n## git-distill`)).toBe(true);
    expect(r.annotations).toEqual({ total: 120, via: 'check_run' });
    // No workflow-command annotations when the Checks API took them.
    expect(h.stdout()).toBe('');

    const sarif = JSON.parse(readFileSync(h.files.sarif, 'utf8')) as { runs: Array<{ results: unknown[] }> };
    expect(sarif.runs[0]!.results).toHaveLength(120);
    expect(outputsOf(h.files.output)).toEqual({
      'sarif-file': h.files.sarif,
      findings: '120',
      block: '120',
      warn: '0',
      info: '0',
      off: '0',
      failed: 'true',
      'exit-code': '1',
      'comment-url': 'https://forge.test/pr/7#issuecomment-1000',
      degraded: 'false',
    });
    expect(readFileSync(h.files.summary, 'utf8')).toContain('## git-distill');
    expect(readFileSync(h.files.summary, 'utf8')).not.toContain(COMMENT_MARKER);
  });

  test('run twice for one PR: the comment is updated in place, never a second one', async () => {
    const s = forgeServer();
    // Someone quoting the marker mid-comment is not our comment.
    s.comments.push({ id: 5, body: `see ${COMMENT_MARKER} above`, user: { login: 'someone' } });
    let n = 3;
    const first = await runAction(harness(s, async () => [report(n)]).deps);
    n = 1;
    const second = await runAction(harness(s, async () => [report(n, 'medium')]).deps);
    expect(first.comment?.action).toBe('created');
    expect(second.comment).toMatchObject({ action: 'updated', id: first.comment!.id });
    expect(s.comments.filter((c) => c.body.startsWith(COMMENT_MARKER))).toHaveLength(1);
    expect(s.comments).toHaveLength(2);
    expect(calls(s).filter((c) => c.includes('/issues/'))).toEqual([
      'GET /repos/octo/proj/issues/7/comments',
      'POST /repos/octo/proj/issues/7/comments',
      'GET /repos/octo/proj/issues/7/comments',
      `PATCH /repos/octo/proj/issues/comments/${first.comment!.id}`,
    ]);
    const ours = s.comments.find((c) => c.id === first.comment!.id)!;
    expect(ours.body).toContain('0 block · 1 warn · 0 info');
    // A warning below fail-level block: the check run is neutral and the job passes.
    expect(second.exit_code).toBe(0);
    expect(s.requests.filter((q) => q.path.endsWith('/check-runs')).map((q) => (q.body as { conclusion: string }).conclusion)).toEqual(['failure', 'neutral']);
  });

  test('a 403 on the comment and the check run (a fork PR) degrades to the summary and workflow-command annotations, same exit code', async () => {
    const s = forgeServer();
    s.fail.set('POST /repos/octo/proj/issues/7/comments', 403);
    s.fail.set('POST /repos/octo/proj/check-runs', 403);
    const h = harness(s, async () => [report(2)]);
    const r = await runAction(h.deps);
    expect(r.exit_code).toBe(1);
    expect(r.crashed).toBeNull();
    expect(r.degraded).toHaveLength(2);
    expect(r.degraded[0]).toContain('PR comment: HTTP 403, the token cannot write here');
    expect(r.annotations).toEqual({ total: 2, via: 'workflow_commands' });
    const lines = h.stdout().split('\n').filter((l) => l !== '');
    expect(lines.slice(0, 2)).toEqual([
      '::error file=docs/PRD.md,line=1,endLine=1,title=prd_drift/dangling_reference%3A Dangling reference::finding number 0',
      '::error file=docs/PRD.md,line=2,endLine=2,title=prd_drift/dangling_reference%3A Dangling reference::finding number 1',
    ]);
    expect(lines[2]).toStartWith('::warning title=git-distill::PR comment: HTTP 403');
    expect(readFileSync(h.files.summary, 'utf8')).toContain('| ⛔ block | high |');
    expect(outputsOf(h.files.output)).toMatchObject({ failed: 'true', degraded: 'true', 'comment-url': '' });

    // The same degraded run at fail-level never passes.
    const never = await runAction(harness(s, async () => [report(2)], { fail_level: 'never' }).deps);
    expect(never.exit_code).toBe(0);
  });

  test('no token: nothing is requested; annotations and the summary still carry the findings', async () => {
    const s = forgeServer();
    const h = harness(s, async () => [report(1, 'medium')], { token: null, fail_level: 'warn' });
    const r = await runAction(h.deps);
    expect(s.requests).toEqual([]);
    expect(r.exit_code).toBe(1);
    expect(h.stdout()).toContain('::warning file=docs/PRD.md,line=1');
  });

  test('a crash inside git-distill is reported as a failure (a failed check run, ::error::, outputs), never success', async () => {
    const s = forgeServer();
    const h = harness(s, async () => {
      throw new TypeError('boom: cannot read properties of undefined');
    });
    const r = await runAction(h.deps);
    expect(r.exit_code).toBe(2);
    expect(r.crashed).toContain('TypeError: boom');
    expect(calls(s)).toEqual(['POST /repos/octo/proj/check-runs']);
    expect(s.requests[0]!.body).toMatchObject({ conclusion: 'failure', status: 'completed', output: { title: 'git-distill failed' } });
    expect(h.stdout()).toStartWith('::error title=git-distill failed::TypeError: boom');
    expect(outputsOf(h.files.output)).toMatchObject({ failed: 'true', 'exit-code': '2' });
    expect(readFileSync(h.files.summary, 'utf8')).toStartWith('## git-distill failed');

    // A DistillError keeps its own (non-zero) exit code.
    const h2 = harness(s, async () => {
      throw new DistillError('E_GIT_BAD_REVISION', 'unknown revision', { hint: 'fetch-depth: 0' });
    });
    expect((await runAction(h2.deps)).exit_code).toBe(4);
  });

  test('secrets are redacted from the comment, the check run, annotations, the summary and the SARIF', async () => {
    const s = forgeServer();
    const h = harness(s, async () => [report(1, 'high', () => `leaked ${FAKE_TOKEN} in a log`)]);
    await runAction(h.deps);
    const sent = JSON.stringify(s.requests.map((q) => q.body));
    expect(sent).not.toContain(FAKE_TOKEN);
    expect(sent).toContain('[REDACTED:github-pat]');
    for (const f of Object.values(h.files)) expect(readFileSync(f, 'utf8')).not.toContain(FAKE_TOKEN);
  });

  test('a comment too long for GitHub is cut under 65,536 characters with the overflow summarized', async () => {
    const s = forgeServer();
    await runAction(harness(s, async () => [report(1500, 'high', (i) => `${'long text '.repeat(25)}${i}`)]).deps);
    const body = s.comments[0]!.body;
    expect(body.length).toBeLessThan(65_536);
    expect(body).toMatch(/…and \d+ more findings not shown/);
  });
});

describe('the action on Gitea', () => {
  test('a Gitea base URL sends a commit status (no Checks API) and prints the annotations as workflow commands', async () => {
    const s = forgeServer('/api/v1');
    const env = readActionEnv({ GITHUB_API_URL: s.api_url, GITHUB_REPOSITORY: 'octo/proj', GITHUB_EVENT_PATH: '/x', GITHUB_TOKEN: 't' });
    expect(env.forge).toBe('gitea');
    const h = harness(s, async () => [report(2)], { forge: 'gitea' });
    const r = await runAction(h.deps);
    expect(calls(s)).toEqual([
      'GET /repos/octo/proj/issues/7/comments',
      'POST /repos/octo/proj/issues/7/comments',
      `POST /repos/octo/proj/statuses/${HEAD}`,
    ]);
    expect(s.requests[2]!.body).toEqual({
      state: 'failure',
      context: 'git-distill',
      description: '2 findings: 2 block, 0 warn, 0 info',
      target_url: 'https://forge.test/octo/proj/actions/runs/1',
    });
    expect(r.check).toEqual({ kind: 'status', state: 'failure', context: 'git-distill' });
    expect(h.stdout()).toBe(renderWorkflowCommands(buildAnnotations([report(2)])));
  });
});

describe('environment and event', () => {
  test('reads the standard variables; GITEA_ACTIONS picks Gitea; a missing one is a usage error naming it', () => {
    const base = { GITHUB_REPOSITORY: 'o/r', GITHUB_EVENT_PATH: '/e.json', GITHUB_SERVER_URL: 'https://github.com', GITHUB_RUN_ID: '42' };
    expect(readActionEnv(base)).toMatchObject({ forge: 'github', api_url: 'https://api.github.com', owner: 'o', repo: 'r', token: null, run_url: 'https://github.com/o/r/actions/runs/42' });
    expect(readActionEnv({ ...base, GITEA_ACTIONS: 'true', GITHUB_API_URL: 'https://git.example/api/v1/' })).toMatchObject({ forge: 'gitea', api_url: 'https://git.example/api/v1' });
    expect(() => readActionEnv({ GITHUB_EVENT_PATH: '/e' })).toThrow('GITHUB_REPOSITORY is not set');
  });

  test('parses a pull_request event, and a merged one with its merge commit; anything else is refused', () => {
    const pr = { action: 'closed', pull_request: { number: 3, head: { sha: HEAD, ref: 'f' }, base: { sha: BASE, ref: 'main' }, merged: true, merge_commit_sha: 'c'.repeat(40) } };
    expect(parsePullRequestEvent(JSON.stringify(pr), 'e.json')).toEqual({ number: 3, action: 'closed', head_sha: HEAD, base_sha: BASE, base_ref: 'main', merged_as: 'c'.repeat(40) });
    expect(() => parsePullRequestEvent('{"push":{}}', 'e.json')).toThrow('is not a pull_request event');
    expect(() => parsePullRequestEvent('{', 'e.json')).toThrow('is not JSON');
  });
});
