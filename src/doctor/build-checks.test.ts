import { describe, expect, test } from 'bun:test';
import {
  buildChecks,
  checkBranch,
  checkCache,
  checkGit,
  checkHookBin,
  checkHooks,
  checkDiscovered,
  checkQueue,
  checkSources,
  compareVersions,
  doctorExitCode,
  parseGitVersion,
  renderChecks,
  type DoctorFacts,
  type HookFact,
  type HooksFact,
} from './build-checks.ts';

const hook = (name: HookFact['name'], over: Partial<HookFact> = {}): HookFact => ({
  name,
  installed: true,
  managed_by: 'git-distill',
  recorded_bin: '/opt/git-distill/bin/git-distill',
  recorded_bin_ok: true,
  chain: null,
  chain_ok: false,
  ...over,
});

const hooks = (list: HookFact[], pathBin: string | null = null): HooksFact => ({ hooks_dir: '/r/.git/hooks', layout: 'plain', hooks: list, path_bin: pathBin });
const all = (over: Partial<HookFact> = {}) => [hook('post-commit', over), hook('post-rewrite', over), hook('pre-push', over)];

describe('git version', () => {
  test('reads the version from plain, Apple and Windows builds', () => {
    expect(parseGitVersion('git version 2.39.5\n')).toEqual([2, 39, 5]);
    expect(parseGitVersion('git version 2.37.1 (Apple Git-137.1)')).toEqual([2, 37, 1]);
    expect(parseGitVersion('git version 2.45.1.windows.1')).toEqual([2, 45, 1]);
    expect(parseGitVersion('git version 3.0')).toEqual([3, 0, 0]);
    expect(parseGitVersion('hub version 2.14')).toBeNull();
  });

  test('compares numerically, not as text', () => {
    expect(compareVersions([2, 9, 0], [2, 25, 0])).toBeLessThan(0);
    expect(compareVersions([2, 25, 0], [2, 25])).toBe(0);
    expect(compareVersions([3, 0, 0], [2, 99, 9])).toBeGreaterThan(0);
  });

  test('fails below 2.25, passes at it, fails when git cannot run', () => {
    expect(checkGit('git version 2.24.4')).toEqual({ id: 'git', status: 'fail', message: 'git version 2.24.4: git-distill needs 2.25.0 or newer', hint: 'upgrade git to 2.25.0 or newer' });
    expect(checkGit('git version 2.25.0').status).toBe('ok');
    expect(checkGit(null).status).toBe('fail');
    expect(checkGit('something else').status).toBe('warn');
  });
});

describe('sources', () => {
  test('warns on a pattern that matches nothing, naming it', () => {
    const c = checkSources({
      kind: 'ok',
      path: '/r/.distill/config.json',
      ref: 'refs/heads/distill',
      sources: [
        { path: 'logs/*.jsonl', enabled: true, matches: 2 },
        { path: 'gone/x.jsonl', enabled: true, matches: 0 },
        { path: 'off.jsonl', enabled: false, matches: 0 },
      ],
    });
    expect(c).toEqual({
      id: 'sources',
      status: 'warn',
      message: '1 of 2 sources match no file yet: "gone/x.jsonl"',
      hint: 'fine if the agent has not written logs yet; otherwise fix the path in .distill/config.json',
    });
  });

  test('is not judged when the config is invalid', () => {
    expect(checkSources({ kind: 'invalid', path: '/r/.distill/config.json', message: 'bad', hint: null })).toBeNull();
  });
});

describe('hooks', () => {
  test('all three installed: ok, naming the chained ones', () => {
    const c = checkHooks(hooks([hook('post-commit', { chain: '/r/.git/hooks/post-commit.pre-git-distill', chain_ok: true }), hook('post-rewrite'), hook('pre-push')]));
    expect(c).toEqual({ id: 'hooks', status: 'ok', message: 'post-commit, post-rewrite, pre-push installed in /r/.git/hooks; post-commit also runs your own hook first', hint: null });
  });

  test('one missing: warns naming it', () => {
    const c = checkHooks(hooks([hook('post-commit'), hook('post-rewrite', { installed: false, managed_by: null }), hook('pre-push')]));
    expect(c.status).toBe('warn');
    expect(c.message).toBe('post-rewrite not installed in /r/.git/hooks (post-commit, pre-push are)');
  });

  test('none installed, another tool owns post-commit: warns that it will be chained', () => {
    const c = checkHooks(hooks(all({ installed: false, managed_by: null }).map((h) => (h.name === 'post-commit' ? { ...h, managed_by: 'other' as const } : h))));
    expect(c.message).toBe("git-distill's hooks are not installed in /r/.git/hooks; post-commit is another tool's and will be chained: commits are not distilled automatically");
  });

  test('the launcher: ok when recorded and present; fail when neither it nor PATH has one; warn when PATH saves it', () => {
    expect(checkHookBin(hooks(all()))).toEqual({ id: 'hooks.bin', status: 'ok', message: 'the hooks run /opt/git-distill/bin/git-distill', hint: null });
    expect(checkHookBin(hooks(all({ recorded_bin_ok: false })))?.status).toBe('fail');
    expect(checkHookBin(hooks(all({ recorded_bin_ok: false }), '/usr/bin/git-distill'))?.message).toBe(
      'the hooks call /opt/git-distill/bin/git-distill, which is missing or not executable; they fall back to /usr/bin/git-distill on PATH',
    );
    expect(checkHookBin(hooks(all({ recorded_bin: '', recorded_bin_ok: false })))?.status).toBe('fail');
    expect(checkHookBin(hooks(all({ recorded_bin: '', recorded_bin_ok: false }), '/usr/bin/git-distill'))?.status).toBe('ok');
    expect(checkHookBin(hooks(all({ installed: false })))).toBeNull();
  });
});

describe('branch, cache and queue', () => {
  test('a FORMAT problem fails the branch and skips the folders', () => {
    const checks = checkBranch({
      kind: 'present',
      ref: 'refs/heads/distill',
      head: 'a'.repeat(40),
      format_problems: [{ path: 'FORMAT', line: null, code: 'schema', message: 'refs/heads/distill has no valid FORMAT file (expected "git-distill 1")' }],
      folders: [],
      folder_count: 0,
    });
    expect(checks.map((c) => [c.id, c.status])).toEqual([['branch', 'fail']]);
    expect(checks[0]?.message).toBe('refs/heads/distill: refs/heads/distill has no valid FORMAT file (expected "git-distill 1")');
  });

  test('folder problems are listed, at most three, then counted', () => {
    const problem = (n: number) => ({ path: 'evidence.jsonl', line: n, code: 'schema' as const, message: `line ${n} is bad` });
    const checks = checkBranch({
      kind: 'present',
      ref: 'refs/heads/distill',
      head: 'b'.repeat(40),
      format_problems: [],
      folders: [
        { source_oid: 'c'.repeat(40), path: `commits/cc/${'c'.repeat(40)}`, problems: [problem(1), problem(2), problem(3), problem(4)] },
        { source_oid: 'd'.repeat(40), path: `commits/dd/${'d'.repeat(40)}`, problems: [] },
      ],
      folder_count: 7,
    });
    expect(checks[0]).toEqual({ id: 'branch', status: 'ok', message: `refs/heads/distill at ${'b'.repeat(12)}, 7 commits distilled`, hint: null });
    expect(checks[1]?.status).toBe('fail');
    expect(checks[1]?.message).toBe(
      `1 of the 2 newest folders do not verify: commits/cc/${'c'.repeat(40)}/evidence.jsonl: line 1 is bad; commits/cc/${'c'.repeat(40)}/evidence.jsonl: line 2 is bad; commits/cc/${'c'.repeat(40)}/evidence.jsonl: line 3 is bad; and 1 more`,
    );
  });

  test('journal rows warn; a cache that cannot open fails with the path to delete', () => {
    expect(checkCache({ kind: 'ok', path: '/c', pending: 3, journal: 2 }).message).toBe('2 distill-branch writes were left unfinished by an interrupted run; 3 evidence records waiting for a commit');
    expect(checkCache({ kind: 'ok', path: '/c', pending: 0, journal: 0 }).status).toBe('ok');
    expect(checkCache({ kind: 'error', path: '/c', message: 'file is not a database' })).toEqual({
      id: 'cache',
      status: 'fail',
      message: 'cannot open the cache /c: file is not a database',
      hint: 'delete /c (it is rebuilt from the distill branch on the next run)',
    });
  });

  test('a claimed batch and rewrites count as waiting', () => {
    const c = checkQueue({ path: '/q', oids: 0, invalid: 0, claimed: 1, rewrites: 2 });
    expect(c.message).toBe('1 batch left by a worker that stopped; 2 rewrites (amend/rebase) not yet carried over');
    expect(c.status).toBe('warn');
    expect(c.hint).not.toBeNull();
    expect(checkQueue({ path: '/q', oids: 0, invalid: 1, claimed: 0, rewrites: 0 }).hint).toBeNull();
  });
});

describe('checkDiscovered', () => {
  test('names each agent log found that no configured source reads, with what to do', () => {
    const c = checkDiscovered([
      { path: '~/.claude/projects/-r', detail: 'Claude Code sessions (2 files, every one in this repository)', configured: true },
      { path: '.aider.chat.history.md', detail: 'Aider chat history of this repository', configured: false },
    ]);
    expect(c).toEqual({
      id: 'sources.found',
      status: 'warn',
      message: '1 agent log source found for this repository that no configured source reads: Aider chat history of this repository (.aider.chat.history.md)',
      hint: 'add them to "sources" in .distill/config.json, or git distill init --force (rewrites the sources list from what it finds)',
    });
  });

  test('ok when everything found is configured, or nothing was found', () => {
    expect(checkDiscovered([{ path: 'x', detail: 'd', configured: true }])).toMatchObject({ status: 'ok', message: 'the agent logs found for this repository are configured (1)' });
    expect(checkDiscovered([])).toMatchObject({ status: 'ok', message: 'no other agent logs found for this repository (Claude Code, Codex, Gemini CLI, Aider)' });
  });
});

const facts = (over: Partial<DoctorFacts> = {}): DoctorFacts => ({
  git_version: 'git version 2.39.5',
  bun_version: '1.4.5',
  repo: { root: '/r', git_dir: '/r/.git' },
  repo_error: null,
  config: { kind: 'ok', path: '/r/.distill/config.json', ref: 'refs/heads/distill', sources: [{ path: 'logs', enabled: true, matches: 1 }] },
  hooks: hooks(all()),
  branch: { kind: 'absent', ref: 'refs/heads/distill' },
  cache: { kind: 'absent', path: '/r/.distill/cache/state.sqlite' },
  queue: { path: '/r/.git/distill/queue', oids: 0, invalid: 0, claimed: 0, rewrites: 0 },
  discovered: [],
  native: [{ name: 'hnswlib-node', available: true, error: null }],
  unreadable: [],
  ...over,
});

describe('the whole list', () => {
  test('checks come in a fixed order and warnings alone exit 0', () => {
    const checks = buildChecks(facts());
    expect(checks.map((c) => c.id)).toEqual(['git', 'bun', 'repo', 'config', 'sources', 'sources.found', 'hooks', 'hooks.bin', 'branch', 'cache', 'queue', 'native.hnswlib-node']);
    expect(checks.filter((c) => c.status !== 'ok').map((c) => c.id)).toEqual(['branch']);
    expect(doctorExitCode(checks)).toBe(0);
  });

  test('a part that could not be read becomes a failing check of that id', () => {
    const checks = buildChecks(facts({ hooks: null, unreadable: [{ id: 'hooks', message: 'EACCES: permission denied' }] }));
    expect(checks.find((c) => c.id === 'hooks')).toEqual({
      id: 'hooks',
      status: 'fail',
      message: 'cannot check: EACCES: permission denied',
      hint: 'rerun git distill doctor; if it repeats, report it with this message',
    });
    expect(doctorExitCode(checks)).toBe(1);
  });

  test('renders one marked line per check, hints only under warnings and failures', () => {
    const text = renderChecks([
      { id: 'git', status: 'ok', message: 'git version 2.39.5', hint: null },
      { id: 'hooks', status: 'warn', message: 'not installed', hint: 'git distill hooks install' },
      { id: 'config', status: 'fail', message: 'bad', hint: 'fix it' },
    ]);
    expect(text).toBe(
      ['✓ git     git version 2.39.5', '! hooks   not installed', '          next: git distill hooks install', '✗ config  bad', '          next: fix it', '', '1 failed, 1 warning', ''].join('\n'),
    );
    expect(renderChecks([{ id: 'git', status: 'ok', message: 'fine', hint: null }])).toBe('✓ git  fine\n\nall checks passed\n');
  });
});
