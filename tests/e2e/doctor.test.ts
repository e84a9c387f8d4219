// End-to-end: `git distill doctor` in real repositories: fresh, hooks installed, broken config, a crashed run's journal, a queue, a bad folder.
import { afterAll, describe, expect, test } from 'bun:test';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { CliEnv, Command } from '../../src/cli/command.ts';
import { doctorCommand } from '../../src/cli/commands/doctor.ts';
import { hooksCommand } from '../../src/cli/commands/hooks.ts';
import { runCommand } from '../../src/cli/commands/run.ts';
import { COMMANDS } from '../../src/cli/main.ts';
import { openDistillCache } from '../../src/distill/cache.ts';
import { sha256Hex } from '../../src/canonical.ts';
import type { DoctorCheck } from '../../src/doctor/build-checks.ts';
import { isDistillError } from '../../src/errors.ts';
import { queuePath } from '../../src/hooks/queue.ts';
import { createGitStore } from '../../src/store/git-store.ts';
import { commitDir, DEFAULT_DISTILL_REF } from '../../src/store/layout.ts';
import { runCliCaptured, type CliResult } from '../helpers/cli.ts';
import { makeRepo, snapshotUserState, type TestRepo } from '../helpers/git-repo.ts';
import pkg from '../../package.json' with { type: 'json' };

const repos: TestRepo[] = [];
const temp = mkdtempSync(join(tmpdir(), 'gd-doctor-e2e-'));

afterAll(async () => {
  for (const r of repos) await r.cleanup();
  rmSync(temp, { recursive: true, force: true });
});

const OURS: readonly Command[] = [doctorCommand, hooksCommand, runCommand];

/** Through the real CLI once main registers the command; until then the same parse → run → render path in-process. */
async function cli(argv: string[], cwd: string): Promise<CliResult> {
  const [name, ...rest] = argv;
  if (COMMANDS.some((c) => c.name === name)) return runCliCaptured(argv, { cwd });
  const command = OURS.find((c) => c.name === name)!;
  let stdout = '';
  let stderr = '';
  const env: CliEnv = {
    cwd,
    stdout: (t) => void (stdout += t),
    stderr: (t) => void (stderr += t),
    stderrIsTTY: false,
    now: () => new Date('2026-02-03T04:05:06.000Z'),
    version: pkg.version,
    env: {},
  };
  try {
    const parsed = parseArgs({ args: rest, options: command.options, allowPositionals: command.allowPositionals, strict: true });
    const code = await command.run(env, parsed.values as Record<string, string | boolean | undefined>, parsed.positionals);
    return { code, stdout, stderr };
  } catch (error) {
    if (!isDistillError(error)) throw error;
    return { code: error.exitCode, stdout, stderr: `git-distill: ${error.message}\n` };
  }
}

async function doctor(cwd: string): Promise<{ code: number; ok: boolean; byId: Map<string, DoctorCheck>; text: string }> {
  const json = await cli(['doctor', '--json'], cwd);
  const text = await cli(['doctor'], cwd);
  expect(text.code).toBe(json.code);
  const parsed = JSON.parse(json.stdout) as { ok: boolean; checks: DoctorCheck[] };
  return { code: json.code, ok: parsed.ok, byId: new Map(parsed.checks.map((c) => [c.id, c])), text: text.stdout };
}

const status = (byId: Map<string, DoctorCheck>, id: string) => byId.get(id)?.status ?? 'absent';

async function newRepo(): Promise<TestRepo> {
  const repo = await makeRepo();
  repos.push(repo);
  return repo;
}

const hour = (h: number) => `2024-01-01T${String(h).padStart(2, '0')}:00:00Z`;
const me = (run_id: string, ts: string, file: string) =>
  JSON.stringify({ ts, task_class: 'scrum_review', mode: 'codereview', model: 'kimi-k2:1t', file_path: file, latency_ms: 1200, response: `review of ${file}`, run_id }) + '\n';
const CONFIG = JSON.stringify({ schema_version: 1, sources: [{ path: 'data/_kb/*.jsonl' }] }) + '\n';

describe('git distill doctor', () => {
  test('a fresh repository: warnings for what is not set up yet, no failure, exit 0, and nothing written', async () => {
    const repo = await newRepo();
    await repo.commit({ 'a.txt': 'a\n' }, 'first');
    const before = await snapshotUserState(repo.dir);
    const r = await doctor(repo.dir);
    expect(r.code).toBe(0);
    expect(r.ok).toBe(true);
    expect([...r.byId.values()].filter((c) => c.status === 'fail')).toEqual([]);
    expect(r.byId.get('git')?.status).toBe('ok');
    expect(r.byId.get('bun')?.message).toBe(`bun ${Bun.version}`);
    expect(r.byId.get('repo')?.status).toBe('ok');
    expect(r.byId.get('config')).toEqual({ id: 'config', status: 'warn', message: 'no .distill/config.json: using the defaults (no sources)', hint: 'git distill init' });
    expect(status(r.byId, 'sources')).toBe('warn');
    expect(r.byId.get('hooks')?.status).toBe('warn');
    expect(r.byId.get('hooks')?.hint).toBe('git distill hooks install');
    // No hook installed: no launcher to check.
    expect(status(r.byId, 'hooks.bin')).toBe('absent');
    expect(r.byId.get('branch')).toEqual({ id: 'branch', status: 'warn', message: 'no distill branch yet (refs/heads/distill)', hint: 'git distill run (or git distill backfill for the whole branch)' });
    expect(r.byId.get('cache')?.status).toBe('ok');
    expect(r.byId.get('queue')).toEqual({ id: 'queue', status: 'ok', message: 'no commits waiting', hint: null });
    expect(status(r.byId, 'native.hnswlib-node')).not.toBe('fail');
    // Human output: one marked line per check, the hint under a warning, a summary.
    expect(r.text).toMatch(/^✓ git +git version \d+\.\d+/m);
    expect(r.text).toMatch(/^! config +no \.distill\/config\.json: using the defaults \(no sources\)\n +next: git distill init$/m);
    expect(r.text.trimEnd().split('\n').at(-1)).toMatch(/^0 failed, \d+ warnings$/);
    // Read-only: no cache directory, no refs, the same index and working tree.
    expect(await snapshotUserState(repo.dir)).toEqual(before);
  });

  test('after hooks install: hooks ok, the recorded launcher exists, and a chained hook is named', async () => {
    const repo = await newRepo();
    await repo.commit({ '.distill/config.json': CONFIG }, 'config');
    const gitDir = await repo.git.gitDir();
    // A user's own post-commit, which install moves aside and chains.
    mkdirSync(join(gitDir, 'hooks'), { recursive: true });
    writeFileSync(join(gitDir, 'hooks', 'post-commit'), '#!/bin/sh\nexit 0\n');
    chmodSync(join(gitDir, 'hooks', 'post-commit'), 0o755);
    expect((await cli(['hooks', 'install'], repo.dir)).code).toBe(0);
    const r = await doctor(repo.dir);
    expect(r.byId.get('hooks')).toEqual({
      id: 'hooks',
      status: 'ok',
      message: `post-commit, post-rewrite, pre-push installed in ${join(gitDir, 'hooks')}; post-commit also runs your own hook first`,
      hint: null,
    });
    expect(r.byId.get('hooks.bin')?.status).toBe('ok');
    expect(r.byId.get('hooks.bin')?.message).toMatch(/^the hooks run \/.*\/bin\/git-distill$/);

    // The chained hook loses its execute bit: git would skip it, and so does our shim.
    chmodSync(join(gitDir, 'hooks', 'post-commit.pre-git-distill'), 0o644);
    const broken = await doctor(repo.dir);
    expect(broken.byId.get('hooks')?.status).toBe('warn');
    expect(broken.byId.get('hooks')?.message).toBe(`post-commit chains ${join(gitDir, 'hooks', 'post-commit.pre-git-distill')}, which is missing or not executable, so it does not run`);
  });

  test('a hook whose recorded launcher is gone: hooks.bin names it (fail when git-distill is not on PATH either)', async () => {
    const repo = await newRepo();
    await repo.commit({ 'a.txt': 'a\n' }, 'first');
    expect((await cli(['hooks', 'install'], repo.dir)).code).toBe(0);
    const hook = join(await repo.git.gitDir(), 'hooks', 'pre-push');
    const text = await Bun.file(hook).text();
    writeFileSync(hook, text.replace(/^git_distill_bin=.*?( +# git-distill:bin)$/m, `git_distill_bin='/nowhere/git-distill'$1`));
    const r = await doctor(repo.dir);
    const bin = r.byId.get('hooks.bin')!;
    expect(bin.message).toStartWith('the hooks call /nowhere/git-distill, which is missing or not executable; ');
    expect(bin.status).toBe(Bun.which('git-distill') === null ? 'fail' : 'warn');
  });

  test('a broken config fails and names the file and the field; exit 1', async () => {
    const repo = await newRepo();
    await repo.commit({ '.distill/config.json': JSON.stringify({ schema_version: 1, sources: [{ path: 'x.jsonl', formt: 'auto' }] }) }, 'bad config');
    const r = await doctor(repo.dir);
    expect(r.code).toBe(1);
    expect(r.ok).toBe(false);
    const config = r.byId.get('config')!;
    expect(config.status).toBe('fail');
    expect(config.message).toContain(join(repo.dir, '.distill', 'config.json'));
    expect(config.message).toContain('sources.0');
    // What depends on the config is not guessed at.
    expect(status(r.byId, 'sources')).toBe('absent');
    expect(status(r.byId, 'branch')).toBe('absent');
    expect(r.text).toMatch(/^✗ config +/m);

    writeFileSync(join(repo.dir, '.distill', 'config.json'), '{"schema_version": 1,');
    const notJson = await doctor(repo.dir);
    expect(notJson.byId.get('config')?.status).toBe('fail');
    expect(notJson.byId.get('config')?.message).toStartWith(`${join(repo.dir, '.distill', 'config.json')} is not valid JSON`);
  });

  test('a distilled branch: branch ok with its head, the newest folders verify, and the cache reports pending evidence', async () => {
    const repo = await newRepo();
    mkdirSync(join(repo.dir, 'data', '_kb'), { recursive: true });
    const c1 = await repo.commit({ '.distill/config.json': CONFIG, 'src/a.ts': 'a\n' }, 'add a', { date: hour(10) });
    // One run the commit explains, one far outside any window (stays pending).
    writeFileSync(join(repo.dir, 'data', '_kb', 'mode_experiments.jsonl'), me('r1', '2024-01-01T09:50:00Z', 'src/a.ts') + me('r2', '2024-03-01T00:00:00Z', 'src/zz.ts'));
    expect((await cli(['run', c1], repo.dir)).code).toBe(0);
    const r = await doctor(repo.dir);
    const head = (await repo.git.resolveRef(DEFAULT_DISTILL_REF))!;
    expect(r.byId.get('sources')).toEqual({ id: 'sources', status: 'ok', message: '1 source, 1 file', hint: null });
    expect(r.byId.get('branch')).toEqual({ id: 'branch', status: 'ok', message: `refs/heads/distill at ${head.slice(0, 12)}, 1 commit distilled`, hint: null });
    expect(r.byId.get('branch.folders')).toEqual({ id: 'branch.folders', status: 'ok', message: 'the newest folder verifies', hint: null });
    expect(r.byId.get('cache')).toEqual({ id: 'cache', status: 'ok', message: 'cache opens; 1 evidence record waiting for a commit', hint: null });

    // A folder that does not verify (written through the store, so it is the newest): fail, with the file named.
    const c2 = await repo.commit({ 'src/b.ts': 'b\n' }, 'add b', { date: hour(11) });
    const store = createGitStore({ git: repo.git, ref: DEFAULT_DISTILL_REF, tool_version: pkg.version });
    try {
      await store.write({ source_oid: c2, subject: 'add b', files: new Map([['manifest.json', new TextEncoder().encode('{}\n')]]), derived: new Map(), expected_head: head, date: hour(12) });
    } finally {
      await store.close();
    }
    const bad = await doctor(repo.dir);
    expect(bad.code).toBe(1);
    const folders = bad.byId.get('branch.folders')!;
    expect(folders.status).toBe('fail');
    expect(folders.message).toStartWith(`1 of the 2 newest folders do not verify: ${commitDir(c2)}/manifest.json: `);
    expect(folders.hint).toBe('git distill verify');
  });

  test('a journal row left by a crashed run warns, with git distill run as the next step', async () => {
    const repo = await newRepo();
    const c1 = await repo.commit({ 'a.txt': 'a\n' }, 'first');
    const cache = openDistillCache(repo.dir);
    try {
      cache.applyStep({
        checkpoints: [],
        add_pending: [],
        remove_pending: [],
        run_links: [],
        seen: [],
        journal: [{ source_oid: c1, subject: 'first', date: hour(1), files: new Map([['manifest.json', new Uint8Array([123, 125])]]) }],
      });
    } finally {
      cache.close();
    }
    const r = await doctor(repo.dir);
    expect(r.code).toBe(0);
    expect(r.byId.get('cache')).toEqual({
      id: 'cache',
      status: 'warn',
      message: '1 distill-branch write was left unfinished by an interrupted run; 0 evidence records waiting for a commit',
      hint: 'git distill run (finishes them first, with the same bytes)',
    });
  });

  test('commits waiting in the post-commit queue warn, counting distinct oids and torn lines', async () => {
    const repo = await newRepo();
    const c1 = await repo.commit({ 'a.txt': 'a\n' }, 'first');
    const c2 = await repo.commit({ 'b.txt': 'b\n' }, 'second');
    const gitDir = await repo.git.gitDir();
    mkdirSync(join(gitDir, 'distill'), { recursive: true });
    writeFileSync(queuePath(gitDir), `${c1}\n${c2}\n${c1}\n${c2.slice(0, 11)}`);
    const r = await doctor(repo.dir);
    expect(r.byId.get('queue')).toEqual({
      id: 'queue',
      status: 'warn',
      message: `2 commits queued by post-commit; 1 unreadable line in ${queuePath(gitDir)} (ignored)`,
      hint: 'a commit starts the worker; to catch up now: git distill hook worker',
    });
  });

  test('outside a repository: repo fails and the repository checks are not run', async () => {
    const dir = join(temp, 'not-a-repo');
    mkdirSync(dir, { recursive: true });
    const r = await doctor(dir);
    expect(r.code).toBe(1);
    expect(r.byId.get('repo')?.status).toBe('fail');
    expect(r.byId.get('repo')?.hint).toBe('cd into a git repository (or run git init)');
    expect([...r.byId.keys()].filter((id) => !id.startsWith('native.'))).toEqual(['git', 'bun', 'repo']);
  });

  test('sources.found names the session stores and the Aider history found for this repository that no source reads', async () => {
    const repo = await newRepo();
    await repo.commit({ '.distill/config.json': CONFIG }, 'config');
    const home = mkdtempSync(join(temp, 'home-'));
    const chats = join(home, '.gemini', 'tmp', sha256Hex(realpathSync(repo.dir)), 'chats');
    mkdirSync(chats, { recursive: true });
    writeFileSync(join(chats, 'session-2026-01-01T10-00-abc.json'), '{}');
    writeFileSync(join(repo.dir, '.aider.chat.history.md'), '\n# aider chat started at 2026-01-01 10:00:00\n\n#### hi  \n');
    const checked = async () => {
      const r = await runCliCaptured(['doctor', '--json'], { cwd: repo.dir, env: { HOME: home } });
      return (JSON.parse(r.stdout) as { checks: DoctorCheck[] }).checks.find((c) => c.id === 'sources.found');
    };
    const shownChats = `~/.gemini/tmp/${sha256Hex(realpathSync(repo.dir))}/chats/session-*.json`;
    expect(await checked()).toEqual({
      id: 'sources.found',
      status: 'warn',
      message: `2 agent log sources found for this repository that no configured source reads: Gemini CLI 1 session of this repository (JSON) (${shownChats}); Aider chat history of this repository (.aider.chat.history.md)`,
      hint: 'add them to "sources" in .distill/config.json, or git distill init --force (rewrites the sources list from what it finds)',
    });
    // Configured by a pattern of its own: the Aider history is no longer named.
    writeFileSync(join(repo.dir, '.distill', 'config.json'), JSON.stringify({ schema_version: 1, sources: [{ path: 'data/_kb/*.jsonl' }, { path: '.aider.chat.history.md' }] }));
    expect((await checked())?.message).toBe(`1 agent log source found for this repository that no configured source reads: Gemini CLI 1 session of this repository (JSON) (${shownChats})`);
    // After init --force every source found is configured.
    expect((await runCliCaptured(['init', '--force'], { cwd: repo.dir, env: { HOME: home } })).code).toBe(0);
    expect(JSON.parse(readFileSync(join(repo.dir, '.distill', 'config.json'), 'utf8')).sources).toEqual([
      { path: join(chats, 'session-*.json'), format: 'auto', enabled: true },
      { path: '.aider.chat.history.md', format: 'aider', enabled: true },
    ]);
    expect(await checked()).toEqual({ id: 'sources.found', status: 'ok', message: 'the agent logs found for this repository are configured (2)', hint: null });
  });
});
