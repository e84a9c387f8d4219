// Tests of hook installation in real repositories: plain, core.hooksPath, linked worktree, husky v9; chaining, uninstall, and real commits and pushes.
import { afterEach, describe, expect, test } from 'bun:test';
import { chmodSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeRepo, type TestRepo } from '../../tests/helpers/git-repo.ts';
import type { CliEnv } from '../cli/command.ts';
import { hooksCommand } from '../cli/commands/hooks.ts';
import { createGit, type Git } from '../io/git.ts';
import { hookStatus, installHooks, uninstallHooks, type HookName } from './install.ts';
import { CHAIN_SUFFIX, HOOK_SENTINEL } from './plan-install.ts';
import { queuePath } from './queue.ts';

/** No global or system config (a developer's own core.hooksPath must not leak in), and a PATH without git-distill. */
const ISOLATED: Record<string, string> = { GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1' };
const PATH = '/usr/local/bin:/usr/bin:/bin';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function tempDir(prefix: string): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  cleanups.push(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

async function repo(): Promise<TestRepo & { g: Git }> {
  const r = await makeRepo();
  cleanups.push(() => r.cleanup());
  await r.commit({ 'README.md': 'hello\n' }, 'initial');
  return { ...r, g: createGit({ cwd: r.dir, env: ISOLATED }) };
}

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

let tick = 0;
/** Real git, hooks enabled (io/git.ts disables them for git-distill's own calls). */
async function rawGit(cwd: string, args: string[], opts: { env?: Record<string, string>; stdin?: string } = {}): Promise<Run> {
  const date = `${1_704_067_200 + 60 * tick++} +0000`;
  const proc = Bun.spawn({
    cmd: ['git', ...args],
    cwd,
    stdin: opts.stdin === undefined ? 'ignore' : new TextEncoder().encode(opts.stdin),
    stdout: 'pipe',
    stderr: 'pipe',
    env: {
      ...ISOLATED,
      PATH,
      HOME: cwd,
      LC_ALL: 'C',
      GIT_AUTHOR_NAME: 'Test User',
      GIT_AUTHOR_EMAIL: 'test@example.com',
      GIT_COMMITTER_NAME: 'Test User',
      GIT_COMMITTER_EMAIL: 'test@example.com',
      GIT_AUTHOR_DATE: date,
      GIT_COMMITTER_DATE: date,
      ...(opts.env ?? {}),
    },
  });
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  return { code, stdout, stderr };
}

function writeExec(path: string, content: string, mode = 0o755): void {
  writeFileSync(path, content);
  chmodSync(path, mode);
}

/** A stand-in for bin/git-distill: logs its arguments, the hook env and its stdin, one JSON line per run. */
function stubBin(): { bin: string; log: string; runs(): Array<{ args: string[]; hook_env: string; mark: string; stdin: string }> } {
  const dir = tempDir('distill-stub-');
  const bin = join(dir, 'git-distill');
  const log = join(dir, 'log');
  writeExec(
    bin,
    `#!/bin/sh
stdin=$(cat | od -An -c | tr -d ' \\n')
printf '%s\\t%s\\t%s\\t%s\\n' "$*" "\${GIT_DISTILL_HOOK-}" "\${MARK-}" "$stdin" >>'${log}'
`,
  );
  return {
    bin,
    log,
    runs: () =>
      existsSync(log)
        ? readFileSync(log, 'utf8')
            .split('\n')
            .filter((l) => l !== '')
            .map((l) => {
              const [args = '', hook_env = '', mark = '', stdin = ''] = l.split('\t');
              return { args: args.split(' '), hook_env, mark, stdin };
            })
        : [],
  };
}

/** Bounded poll for something a detached process does: no fixed sleep, and a clear failure when it never happens. */
async function waitFor<T>(what: string, probe: () => T | null): Promise<T> {
  for (let i = 0; i < 1000; i++) {
    const v = probe();
    if (v !== null) return v;
    await Bun.sleep(10);
  }
  throw new Error(`gave up waiting for ${what}`);
}

/** Every file under `dir`: path → mode and bytes (a byte-for-byte snapshot). */
function snapshotDir(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  if (!existsSync(dir)) return out;
  for (const name of readdirSync(dir, { recursive: true }) as string[]) {
    const p = join(dir, name);
    const st = lstatSync(p);
    if (st.isFile()) out[name] = `${(st.mode & 0o7777).toString(8)} ${readFileSync(p, 'base64')}`;
  }
  return out;
}

const install = (g: Git, bin: string | null) => installHooks(g, { git_distill_bin: bin, dry_run: false, templates_dir: null });
const HOOKS: HookName[] = ['post-commit', 'post-rewrite', 'pre-push'];

describe('install locations', () => {
  test('plain repository: .git/hooks gets the three hooks, .git/distill/hooks the standalone shims', async () => {
    const r = await repo();
    const stub = stubBin();
    const result = await install(r.g, stub.bin);
    const hooksDir = join(r.dir, '.git', 'hooks');
    expect(result.hooks_dir).toBe(hooksDir);
    for (const n of HOOKS) {
      const text = readFileSync(join(hooksDir, n), 'utf8');
      expect(text.split('\n')[1]).toBe(HOOK_SENTINEL);
      expect(text).toContain(`git_distill_bin='${stub.bin}'`);
      expect(statSync(join(hooksDir, n)).mode & 0o777).toBe(0o755);
      expect(existsSync(join(r.dir, '.git', 'distill', 'hooks', n))).toBe(true);
    }
    expect(await hookStatus(r.g)).toEqual({
      hooks_dir: hooksDir,
      layout: 'plain',
      hooks: HOOKS.map((name) => ({ name, installed: true, chained: null, managed_by: 'git-distill' })),
    });
  });

  test('core.hooksPath: installs into the configured directory, from a subdirectory too, and git runs it', async () => {
    const r = await repo();
    const stub = stubBin();
    await r.g.run(['config', 'core.hooksPath', '.githooks']);
    mkdirSync(join(r.dir, 'src'));
    const result = await install(createGit({ cwd: join(r.dir, 'src'), env: ISOLATED }), stub.bin);
    expect(result.hooks_dir).toBe(join(r.dir, '.githooks'));
    expect(readdirSync(join(r.dir, '.githooks')).sort()).toEqual(HOOKS);
    expect(existsSync(join(r.dir, '.git', 'hooks', 'post-commit'))).toBe(false);
    expect((await rawGit(r.dir, ['commit', '-q', '--allow-empty', '-m', 'two'])).code).toBe(0);
    const head = (await r.g.revParse('HEAD')) + '\n';
    expect(readFileSync(queuePath(join(r.dir, '.git')), 'utf8')).toBe(head);
  });

  test('linked worktree: hooks go to the shared hooks dir and a commit there queues in the worktree git dir', async () => {
    const r = await repo();
    const stub = stubBin();
    const wt = join(tempDir('distill-wt-'), 'wt');
    expect((await rawGit(r.dir, ['worktree', 'add', '-q', '-b', 'side', wt])).code).toBe(0);
    const wg = createGit({ cwd: wt, env: ISOLATED });
    const result = await install(wg, stub.bin);
    expect(result.hooks_dir).toBe(join(r.dir, '.git', 'hooks'));
    expect(existsSync(join(r.dir, '.git', 'distill', 'hooks', 'post-commit'))).toBe(true);
    expect((await rawGit(wt, ['commit', '-q', '--allow-empty', '-m', 'in worktree'])).code).toBe(0);
    const head = await wg.revParse('HEAD');
    expect(readFileSync(queuePath(await wg.gitDir()), 'utf8')).toBe(`${head}\n`);
    expect(await wg.gitDir()).toBe(join(r.dir, '.git', 'worktrees', 'wt'));
    expect((await waitFor('the worker', () => (stub.runs().length > 0 ? stub.runs() : null)))[0]?.args).toEqual(['hook', 'worker']);
  });
});

/** husky v9's runner (`.husky/_/h`), as `husky` writes it, trimmed to what runs the user's script. */
const HUSKY_H = `#!/usr/bin/env sh
[ "$HUSKY" = "2" ] && set -x
n=$(basename "$0")
s=$(dirname "$(dirname "$0")")/$n
[ ! -f "$s" ] && exit 0
[ "\${HUSKY-}" = "0" ] && exit 0
export PATH="node_modules/.bin:$PATH"
sh -e "$s" "$@"
c=$?
[ $c != 0 ] && echo "husky - $n script failed (code $c)"
[ $c = 127 ] && echo "husky - command not found in PATH=$PATH"
exit $c
`;

async function huskyRepo(): Promise<TestRepo & { g: Git }> {
  const r = await repo();
  const underscore = join(r.dir, '.husky', '_');
  mkdirSync(underscore, { recursive: true });
  writeFileSync(join(underscore, '.gitignore'), '*');
  writeExec(join(underscore, 'h'), HUSKY_H);
  for (const n of ['pre-commit', ...HOOKS]) writeExec(join(underscore, n), '#!/usr/bin/env sh\n. "${0%/*}/h"');
  await r.g.run(['config', 'core.hooksPath', '.husky/_']);
  return r;
}

describe('husky v9', () => {
  test('wraps .husky/<name>: the script runs first with stdin and its status, then git-distill; uninstall restores it', async () => {
    const r = await huskyRepo();
    const stub = stubBin();
    const marker = join(r.dir, 'husky-ran');
    const userPrePush = `echo "husky pre-push $1" >&2\nwhile read -r l; do echo "$l" >>'${marker}'; done\n`;
    writeFileSync(join(r.dir, '.husky', 'pre-push'), userPrePush);
    await r.commit({ '.husky/pre-push': userPrePush }, 'add husky script');
    const underscoreBefore = snapshotDir(join(r.dir, '.husky', '_'));

    const result = await install(r.g, stub.bin);
    expect(result.layout).toEqual({ kind: 'husky', husky_dir: join(r.dir, '.husky'), version: 'v9' });
    expect(snapshotDir(join(r.dir, '.husky', '_'))).toEqual(underscoreBefore);
    const wrapped = readFileSync(join(r.dir, '.husky', 'pre-push'), 'utf8');
    expect(wrapped.startsWith(`${HOOK_SENTINEL} (begin)`)).toBe(true);
    expect(wrapped.endsWith(userPrePush)).toBe(true);
    expect((await install(r.g, stub.bin)).actions).toEqual([]);

    // A commit runs the created .husky/post-commit, which queues and starts the worker.
    expect(await rawGit(r.dir, ['commit', '-q', '--allow-empty', '-m', 'husky commit'])).toEqual({ code: 0, stdout: '', stderr: '' });
    expect(readFileSync(queuePath(join(r.dir, '.git')), 'utf8')).toBe(`${await r.g.revParse('HEAD')}\n`);
    await waitFor('the worker', () => (stub.runs().some((x) => x.args[1] === 'worker') ? true : null));

    // A push runs the user's script with the ref lines on stdin, then git-distill's pre-push with the same lines.
    const remote = tempDir('distill-remote-');
    await rawGit(remote, ['init', '-q', '--bare']);
    await r.g.run(['config', 'distill.pushOnPush', 'true']);
    const push = await rawGit(r.dir, ['push', '-q', remote, 'main']);
    expect(push.code).toBe(0);
    expect(push.stderr).toContain(`husky pre-push ${remote}`);
    const refLine = readFileSync(marker, 'utf8');
    expect(refLine).toMatch(/^refs\/heads\/main [0-9a-f]{40} refs\/heads\/main 0{40}\n$/);
    const prePush = stub.runs().find((x) => x.args[1] === 'pre-push');
    expect(prePush?.args).toEqual(['hook', 'pre-push', remote, remote]);
    expect(prePush?.hook_env).toBe('1');

    await uninstallHooks(r.g);
    expect(readFileSync(join(r.dir, '.husky', 'pre-push'), 'utf8')).toBe(userPrePush);
    expect(existsSync(join(r.dir, '.husky', 'post-commit'))).toBe(false);
    expect(existsSync(join(r.dir, '.husky', 'post-rewrite'))).toBe(false);
    expect(existsSync(join(r.dir, '.git', 'distill', 'hooks'))).toBe(false);
  });
});

describe('chaining', () => {
  test('an existing post-commit still runs, its output unchanged, and its exit status is kept', async () => {
    const r = await repo();
    const stub = stubBin();
    const hook = join(r.dir, '.git', 'hooks', 'post-commit');
    const marker = join(r.dir, 'user-hook-ran');
    writeExec(hook, `#!/bin/sh\necho "user hook stdout"\necho "user hook stderr" >&2\necho ran >>'${marker}'\nexit 3\n`);
    const before = await rawGit(r.dir, ['commit', '--allow-empty', '-m', 'before install']);

    const result = await install(r.g, stub.bin);
    expect(result.actions.filter((a) => a.kind === 'rename').map((a) => a.kind === 'rename' && [a.from, a.to])).toEqual([
      [hook, hook + CHAIN_SUFFIX],
    ]);
    const after = await rawGit(r.dir, ['commit', '--allow-empty', '-m', 'after install']);
    expect(after.code).toBe(before.code);
    // git prints the commit summary; the hook's own lines must be exactly what they were.
    const hookLines = (s: string) => s.split('\n').filter((l) => l.startsWith('user hook'));
    expect(hookLines(after.stdout + after.stderr)).toEqual(hookLines(before.stdout + before.stderr));
    expect(hookLines(after.stderr)).toEqual(['user hook stdout', 'user hook stderr']);
    expect(readFileSync(marker, 'utf8')).toBe('ran\nran\n');
    await waitFor('the worker', () => (stub.runs().length > 0 ? true : null));

    // The hook's status is the shim's status (git ignores it for post-commit, so run the shim directly).
    const direct = Bun.spawnSync({ cmd: [hook], cwd: r.dir, env: { PATH, GIT_DISTILL_DISABLE: '1' } });
    expect(direct.exitCode).toBe(3);
  });

  test('a pre-push that refuses still refuses exactly as before; git-distill adds nothing', async () => {
    const r = await repo();
    const stub = stubBin();
    const remote = tempDir('distill-remote-');
    await rawGit(remote, ['init', '-q', '--bare']);
    writeExec(join(r.dir, '.git', 'hooks', 'pre-push'), '#!/bin/sh\necho "pushes are frozen" >&2\nexit 1\n');
    await r.g.run(['config', 'distill.pushOnPush', 'true']);
    const before = await rawGit(r.dir, ['push', remote, 'main']);
    await install(r.g, stub.bin);
    const after = await rawGit(r.dir, ['push', remote, 'main']);
    expect(before.code).toBe(1);
    expect(after).toEqual(before);
    expect((await rawGit(remote, ['for-each-ref'])).stdout).toBe('');
    // Our pre-push part runs in the foreground: had it run, the stub's log would already exist.
    expect(stub.runs()).toEqual([]);
  });

  test('post-rewrite: the user hook and git-distill both get the pairs and the argument', async () => {
    const r = await repo();
    const stub = stubBin();
    const seen = join(r.dir, 'user-saw');
    writeExec(join(r.dir, '.git', 'hooks', 'post-rewrite'), `#!/bin/sh\n{ echo "$1"; cat; } >'${seen}'\n`);
    await install(r.g, stub.bin);
    const old = await r.g.revParse('HEAD');
    expect((await rawGit(r.dir, ['commit', '-q', '--amend', '--allow-empty', '-m', 'amended'])).code).toBe(0);
    const now = await r.g.revParse('HEAD');
    expect(readFileSync(seen, 'utf8')).toBe(`amend\n${old} ${now}\n`);
    const run = await waitFor('post-rewrite handler', () => stub.runs().find((x) => x.args[1] === 'post-rewrite') ?? null);
    expect(run.args.slice(0, 3)).toEqual(['hook', 'post-rewrite', 'amend']);
    const pairsFile = run.args[3] ?? '';
    expect(pairsFile.startsWith(join(r.dir, '.git', 'distill', 'rewrites', 'amend.'))).toBe(true);
    expect(readFileSync(pairsFile, 'utf8')).toBe(`${old} ${now}\n`);
  });
});

describe('uninstall and idempotence', () => {
  test('installing twice changes nothing; uninstall restores the original hooks byte for byte', async () => {
    const r = await repo();
    const stub = stubBin();
    const hooksDir = join(r.dir, '.git', 'hooks');
    writeExec(join(hooksDir, 'post-commit'), '#!/bin/sh\n# mine\necho hi\n', 0o750);
    writeExec(join(hooksDir, 'pre-push'), '#!/usr/bin/env python3\nprint("x")\n', 0o700);
    const original = snapshotDir(hooksDir);

    await install(r.g, stub.bin);
    const installed = { hooks: snapshotDir(hooksDir), shims: snapshotDir(join(r.dir, '.git', 'distill')) };
    const second = await install(r.g, stub.bin);
    expect(second.actions).toEqual([]);
    expect({ hooks: snapshotDir(hooksDir), shims: snapshotDir(join(r.dir, '.git', 'distill')) }).toEqual(installed);

    const removed = await uninstallHooks(r.g);
    expect(removed.actions.map((a) => a.kind).sort()).toEqual(['remove', 'remove', 'remove', 'remove', 'rename', 'rename']);
    expect(snapshotDir(hooksDir)).toEqual(original);
    expect(existsSync(join(r.dir, '.git', 'distill'))).toBe(false);
    expect((await uninstallHooks(r.g)).actions).toEqual([]);
  });

  test('a hook tracked in a core.hooksPath directory is left alone', async () => {
    const r = await repo();
    const script = '#!/bin/sh\necho tracked\n';
    await r.commit({ '.githooks/pre-push': script }, 'team hooks');
    chmodSync(join(r.dir, '.githooks', 'pre-push'), 0o755);
    await r.g.run(['config', 'core.hooksPath', '.githooks']);
    const result = await install(r.g, stubBin().bin);
    expect(result.actions.filter((a) => a.kind === 'skip').map((a) => a.hook)).toEqual(['pre-push']);
    expect(readFileSync(join(r.dir, '.githooks', 'pre-push'), 'utf8')).toBe(script);
    expect(existsSync(join(r.dir, '.githooks', 'pre-push' + CHAIN_SUFFIX))).toBe(false);
  });

  test('--dry-run plans without touching a file', async () => {
    const r = await repo();
    const result = await installHooks(r.g, { git_distill_bin: null, dry_run: true, templates_dir: null });
    expect(result.actions.length).toBe(6);
    expect(existsSync(join(r.dir, '.git', 'hooks', 'post-commit'))).toBe(false);
    expect(existsSync(join(r.dir, '.git', 'distill'))).toBe(false);
  });
});

describe('a real git commit with the hooks installed', () => {
  test('git-distill not findable: the commit succeeds, prints nothing and queues nothing', async () => {
    const r = await repo();
    const stub = stubBin();
    await install(r.g, stub.bin);
    rmSync(stub.bin);
    expect(Bun.which('git-distill', { PATH })).toBeNull();
    const run = await rawGit(r.dir, ['commit', '-q', '--allow-empty', '-m', 'no distill']);
    expect(run).toEqual({ code: 0, stdout: '', stderr: '' });
    expect(existsSync(join(r.dir, '.git', 'distill', 'queue'))).toBe(false);
  });

  test('appends the new oid to the queue and starts the worker detached, with GIT_DISTILL_HOOK=1', async () => {
    const r = await repo();
    const stub = stubBin();
    await install(r.g, stub.bin);
    const one = await rawGit(r.dir, ['commit', '-q', '--allow-empty', '-m', 'one']);
    const oid1 = await r.g.revParse('HEAD');
    await rawGit(r.dir, ['commit', '-q', '--allow-empty', '-m', 'two']);
    const oid2 = await r.g.revParse('HEAD');
    expect(one).toEqual({ code: 0, stdout: '', stderr: '' });
    expect(readFileSync(queuePath(join(r.dir, '.git')), 'utf8')).toBe(`${oid1}\n${oid2}\n`);
    const runs = await waitFor('two workers', () => (stub.runs().length === 2 ? stub.runs() : null));
    expect(runs.map((x) => [x.args, x.hook_env, x.stdin])).toEqual([
      [['hook', 'worker'], '1', ''],
      [['hook', 'worker'], '1', ''],
    ]);
  });

  test('inside a rebase sequence it only queues; the worker is not started', async () => {
    const r = await repo();
    const stub = stubBin();
    await install(r.g, stub.bin);
    const rebaseDir = join(r.dir, '.git', 'rebase-merge');
    mkdirSync(rebaseDir);
    expect((await rawGit(r.dir, ['commit', '-q', '--allow-empty', '-m', 'picked'], { env: { MARK: 'in-rebase' } })).code).toBe(0);
    const picked = await r.g.revParse('HEAD');
    rmSync(rebaseDir, { recursive: true });
    expect((await rawGit(r.dir, ['commit', '-q', '--allow-empty', '-m', 'after'], { env: { MARK: 'after-rebase' } })).code).toBe(0);
    const after = await r.g.revParse('HEAD');
    expect(readFileSync(queuePath(join(r.dir, '.git')), 'utf8')).toBe(`${picked}\n${after}\n`);
    // Any worker the first commit started was started before the second commit began.
    await waitFor('the second worker', () => (stub.runs().some((x) => x.mark === 'after-rebase') ? true : null));
    expect(stub.runs().map((x) => x.mark)).toEqual(['after-rebase']);
  });

  test('GIT_DISTILL_DISABLE=1 skips git-distill but still runs the chained hook', async () => {
    const r = await repo();
    const stub = stubBin();
    const marker = join(r.dir, 'user-hook-ran');
    writeExec(join(r.dir, '.git', 'hooks', 'post-commit'), `#!/bin/sh\necho ran >>'${marker}'\n`);
    await install(r.g, stub.bin);
    const run = await rawGit(r.dir, ['commit', '-q', '--allow-empty', '-m', 'disabled'], { env: { GIT_DISTILL_DISABLE: '1' } });
    expect(run).toEqual({ code: 0, stdout: '', stderr: '' });
    expect(readFileSync(marker, 'utf8')).toBe('ran\n');
    // The queue is written before the worker starts: no queue, no worker.
    expect(existsSync(join(r.dir, '.git', 'distill', 'queue'))).toBe(false);
  });
});

describe('git distill hooks (command)', () => {
  function cliEnv(cwd: string) {
    const out: string[] = [];
    const err: string[] = [];
    const env: CliEnv = {
      cwd,
      stdout: (t) => void out.push(t),
      stderr: (t) => void err.push(t),
      stderrIsTTY: false,
      now: () => new Date('2024-01-01T00:00:00Z'),
      version: '0.0.0-test',
      env: {},
    };
    return { env, out, err };
  }

  test('install --json reports the actions and records this package launcher; a second run changes nothing', async () => {
    const r = await repo();
    const { env, out, err } = cliEnv(r.dir);
    expect(await hooksCommand.run(env, { json: true }, ['install'])).toBe(0);
    const first = JSON.parse(out.join('')) as { hooks_dir: string; layout: string; changed: boolean; actions: Array<{ kind: string; path: string }> };
    expect(first.hooks_dir).toBe(join(r.dir, '.git', 'hooks'));
    expect(first.layout).toBe('plain');
    expect(first.changed).toBe(true);
    expect(first.actions.map((a) => a.path).filter((p) => p.startsWith(first.hooks_dir)).sort()).toEqual(HOOKS.map((n) => join(first.hooks_dir, n)));
    const launcher = join(import.meta.dir, '..', '..', 'bin', 'git-distill');
    expect(readFileSync(join(first.hooks_dir, 'post-commit'), 'utf8')).toContain(`git_distill_bin='${launcher}'`);
    expect(err).toEqual([]);

    const again = cliEnv(r.dir);
    expect(await hooksCommand.run(again.env, {}, ['install'])).toBe(0);
    expect(again.out.join('')).toBe(`hooks directory: ${first.hooks_dir}\nalready installed: nothing to do\n`);

    const snippets = cliEnv(r.dir);
    expect(await hooksCommand.run(snippets.env, {}, ['snippets'])).toBe(0);
    expect(snippets.out.join('')).toContain('lefthook (lefthook.yml):');

    const status = cliEnv(r.dir);
    expect(await hooksCommand.run(status.env, {}, ['status'])).toBe(0);
    expect(status.out.join('')).toBe(`hooks directory: ${first.hooks_dir}\npost-commit   installed\npost-rewrite  installed\npre-push      installed\n`);
  });

  test('an unknown subcommand is a usage error', async () => {
    const r = await repo();
    await expect(hooksCommand.run(cliEnv(r.dir).env, {}, ['instal'])).rejects.toMatchObject({ code: 'E_USAGE' });
  });
});
