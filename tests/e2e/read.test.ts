// End-to-end: log, show and verify over a real distill branch (written through the git store, tampered with plumbing), and init in a real repository.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { sha256Hex } from '../../src/canonical.ts';
import type { CliEnv, Command } from '../../src/cli/command.ts';
import { initCommand } from '../../src/cli/commands/init.ts';
import { logCommand } from '../../src/cli/commands/log.ts';
import { showCommand } from '../../src/cli/commands/show.ts';
import { verifyCommand } from '../../src/cli/commands/verify.ts';
import { COMMANDS } from '../../src/cli/main.ts';
import { isDistillError } from '../../src/errors.ts';
import type { Git } from '../../src/io/git.ts';
import { buildFolder } from '../../src/read/folder-builder.fixture.ts';
import { shortSha } from '../../src/read/verify-folder.ts';
import { createGitStore } from '../../src/store/git-store.ts';
import { commitDir, DEFAULT_DISTILL_REF } from '../../src/store/layout.ts';
import { runCliCaptured, type CliResult } from '../helpers/cli.ts';
import { makeRepo, snapshotUserState, type TestRepo } from '../helpers/git-repo.ts';

const OURS: readonly Command[] = [logCommand, showCommand, verifyCommand, initCommand];

/** Through the real CLI once main registers the command; until then the same parse → run → render path in-process. */
async function cli(argv: string[], cwd: string, env: Record<string, string | undefined> = {}): Promise<CliResult> {
  const [name, ...rest] = argv;
  if (COMMANDS.some((c) => c.name === name)) return runCliCaptured(argv, { cwd, env });
  const command = OURS.find((c) => c.name === name)!;
  let stdout = '';
  let stderr = '';
  const cliEnv: CliEnv = {
    cwd,
    stdout: (t) => void (stdout += t),
    stderr: (t) => void (stderr += t),
    stderrIsTTY: false,
    now: () => new Date('2026-02-03T04:05:06.000Z'),
    version: '0.0.0-test',
    env,
  };
  try {
    const parsed = parseArgs({ args: rest, options: command.options, allowPositionals: command.allowPositionals, strict: true });
    const code = await command.run(cliEnv, parsed.values as Record<string, string | boolean | undefined>, parsed.positionals);
    return { code, stdout, stderr };
  } catch (error) {
    if (!isDistillError(error)) throw error;
    stderr += `git-distill: ${error.message}\n${error.hint === undefined ? '' : `  next: ${error.hint}\n`}`;
    return { code: error.exitCode, stdout, stderr };
  }
}

const dec = new TextDecoder();

/** Change one byte of a file on the distill branch the way a person would: new blob, new trees, new commit, update-ref. */
async function tamperByte(git: Git, ref: string, path: string, at: (bytes: Uint8Array) => number): Promise<{ before: string; after: string }> {
  const head = (await git.resolveRef(ref))!;
  const parts = path.split('/');
  const trees = [(await git.run(['rev-parse', `${head}^{tree}`])).stdoutText.trim()];
  for (const name of parts.slice(0, -1)) trees.push((await git.lsTree(trees[trees.length - 1]!))!.find((e) => e.name === name)!.oid);
  const blob = (await git.lsTree(trees[trees.length - 1]!))!.find((e) => e.name === parts[parts.length - 1])!.oid;
  const content = (await git.run(['cat-file', 'blob', blob])).stdout;
  const changed = new Uint8Array(content);
  const i = at(changed);
  changed[i] = changed[i]! ^ 0x01;
  let oid = await git.hashObject(changed);
  for (let level = parts.length - 1; level >= 0; level--) {
    const entries = (await git.lsTree(trees[level]!))!.map((e) => (e.name === parts[level] ? { ...e, oid } : e));
    oid = await git.mktree(entries);
  }
  const commit = await git.commitTree({ tree: oid, parents: [head], message: 'hand edit\n', identity: { name: 'Someone', email: 'someone@example.com' }, date: '2024-03-01T00:00:00Z' });
  await git.updateRefCas(ref, commit, head, 'hand edit');
  return { before: sha256Hex(content), after: sha256Hex(changed) };
}

describe('log, show and verify over a distill branch', () => {
  let repo: TestRepo;
  let c1: string;
  let c2: string;
  let c3: string;
  const short = async (oid: string) => (await repo.git.run(['rev-parse', '--short', oid])).stdoutText.trim();

  beforeAll(async () => {
    repo = await makeRepo();
    c1 = await repo.commit({ 'src/parser.ts': 'export const a = 1;\n' }, 'Add parser');
    c2 = await repo.commit({ 'README.md': '# demo\n' }, 'Docs only');
    c3 = await repo.commit({ 'src/parser.ts': 'export const a = 2;\n' }, 'Fix parser');
    const store = createGitStore({ git: repo.git, ref: DEFAULT_DISTILL_REF, tool_version: '0.1.0-test' });
    let head: string | null = null;
    for (const [oid, subject, runs] of [
      [c1, 'Add parser', [{ category: 'accepted' as const, evidence: 2 }]],
      [c3, 'Fix parser', [{ category: 'accepted' as const, evidence: 2 }, { category: 'partially_accepted' as const, evidence: 1, link_by: 'files' as const }, { category: 'rejected' as const, evidence: 1 }]],
    ] as const) {
      const built = buildFolder({ source_oid: oid, subject, runs: [...runs], quarantined: 2, redacted: 1 });
      head = await store.write({ source_oid: oid, subject, files: built.files, derived: new Map(), expected_head: head, date: '2024-02-01T00:00:00Z' });
    }
    await store.close();
  });
  afterAll(async () => {
    await repo.cleanup();
  });

  test('log --json lists every commit newest first, distilled or not, with counts and receipt status', async () => {
    const r = await cli(['log', '--json'], repo.dir);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const entries = JSON.parse(r.stdout);
    expect(entries.map((e: { oid: string; distilled: boolean; receipts_valid: boolean | null }) => [e.oid, e.distilled, e.receipts_valid])).toEqual([
      [c3, true, true],
      [c2, false, null],
      [c1, true, true],
    ]);
    expect(entries[0].subject).toBe('Fix parser');
    expect(entries[0].counts).toEqual({
      lines: 7,
      evidence: 4,
      quarantined: 2,
      blank: 1,
      runs: 3,
      runs_by_category: { accepted: 1, partially_accepted: 1, rejected: 1, needs_human_review: 0 },
      redacted: 1,
    });
    expect(entries[1].counts).toBeNull();
  });

  test('log --oneline reads like git log --oneline with the figures appended', async () => {
    const r = await cli(['log', '--oneline'], repo.dir);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      [
        `${await short(c3)} Fix parser  ✓ 4 ev · 3 runs (1✓ 1~ 1✗ 0?) · 2 q · 1 redacted`,
        `${await short(c2)} Docs only  ·  not distilled`,
        `${await short(c1)} Add parser  ✓ 2 ev · 1 runs (1✓ 0~ 0✗ 0?) · 2 q · 1 redacted`,
        '',
      ].join('\n'),
    );
  });

  test('log takes -n and a revision range', async () => {
    const limited = JSON.parse((await cli(['log', '--json', '-n', '1'], repo.dir)).stdout);
    expect(limited.map((e: { oid: string }) => e.oid)).toEqual([c3]);
    const range = JSON.parse((await cli(['log', '--json', `${c1}..HEAD`], repo.dir)).stdout);
    expect(range.map((e: { oid: string }) => e.oid)).toEqual([c3, c2]);
  });

  test('log without --oneline prints a block per commit', async () => {
    const r = await cli(['log'], repo.dir);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`commit ${c3}\n    Fix parser\n\n    evidence:   4 records from 7 lines (2 quarantined, 1 blank)\n`);
    expect(r.stdout).toContain('    runs:       3: 1 accepted, 1 partially accepted, 1 rejected, 0 needs human review\n');
    expect(r.stdout).toContain('    linked by:  files 1, oid 2\n');
    expect(r.stdout).toContain('    receipts:   verified (collect → link → score)\n');
    expect(r.stdout).toContain(`commit ${c2}\n    Docs only\n\n    not distilled (git distill run ${await short(c2)})\n`);
  });

  test('show prints runs with how they were linked, quarantine as file:line, and receipts', async () => {
    const r = await cli(['show', c3], repo.dir);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('runs (3)\n');
    expect(r.stdout).toMatch(/ {2}run-02 {2}partially_accepted {2}by files {2}rule\.partially_accepted: partially_accepted because of data\/_kb\/mode_experiments\.jsonl:3\n/);
    expect(r.stdout).toContain('  data/_kb/observer_reviews.jsonl:10  invalid_json: Unexpected end of JSON input\n');
    expect(r.stdout).toContain('receipts (collect → link → score)\n');
    expect(r.stdout).toContain('  collect  pass  in 7, out 4, quarantined 2, blank 1, redacted 1\n');
    expect(r.stdout).toContain('verify     ok');
  });

  test('show --json returns the manifest, scored runs, quarantine and receipts in chain order', async () => {
    const r = await cli(['show', 'HEAD', '--json'], repo.dir);
    expect(r.code).toBe(0);
    const v = JSON.parse(r.stdout);
    expect(v.manifest.source_oid).toBe(c3);
    expect(v.runs.map((x: { run_id: string; category: string }) => [x.run_id, x.category])).toEqual([
      ['run-01', 'accepted'],
      ['run-02', 'partially_accepted'],
      ['run-03', 'rejected'],
    ]);
    expect(v.links).toEqual({ 'run-01': ['oid'], 'run-02': ['files'], 'run-03': ['oid'] });
    expect(v.quarantine).toHaveLength(2);
    expect(v.receipts.map((x: { stage: string }) => x.stage)).toEqual(['collect', 'link', 'score']);
    expect(v.verified).toBe(true);
  });

  test('show of a commit that is not distilled exits 1 with the run hint', async () => {
    const r = await cli(['show', 'HEAD~1'], repo.dir);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(`git-distill: ${await short(c2)} Docs only is not distilled (nothing for it on refs/heads/distill)\n  next: git distill run HEAD~1\n`);
  });

  test('a bad revision is E_GIT_BAD_REVISION (exit 4) for log, show and verify', async () => {
    for (const argv of [['show', 'no-such-rev'], ['log', 'no-such-rev..HEAD'], ['verify', 'no-such-rev']]) {
      const r = await cli(argv, repo.dir);
      expect({ argv, code: r.code }).toEqual({ argv, code: 4 });
      expect(r.stderr).toContain('no-such-rev');
      expect(r.stderr).toContain('next: list recent commits with: git log --oneline -10');
    }
  });

  test('log, show and verify leave the working tree, index, HEAD, stash and branches as they were', async () => {
    writeFileSync(join(repo.dir, 'untracked.txt'), 'wip\n');
    writeFileSync(join(repo.dir, 'README.md'), '# demo, edited\n');
    const before = await snapshotUserState(repo.dir);
    for (const argv of [['log'], ['log', '--oneline'], ['show', 'HEAD'], ['verify', '--all'], ['verify']]) await cli(argv, repo.dir);
    expect(await snapshotUserState(repo.dir)).toEqual(before);
  });

  describe('verify', () => {
    test('passes for one commit and for --all', async () => {
      const one = await cli(['verify', c3], repo.dir);
      expect(one).toEqual({ code: 0, stdout: `ok    ${commitDir(c3)} (7 files)\n`, stderr: '' });
      const all = await cli(['verify', '--all'], repo.dir);
      expect(all.code).toBe(0);
      expect(all.stdout.split('\n').filter((l) => l !== '').sort()).toEqual([`ok    ${commitDir(c1)} (7 files)`, `ok    ${commitDir(c3)} (7 files)`].sort());
    });

    test('of a commit that is not distilled exits 1 with the run hint', async () => {
      const r = await cli(['verify', c2], repo.dir);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('next: git distill run ');
    });

    test('exits 1 naming evidence.jsonl after one byte of it is changed with plumbing', async () => {
      const path = `${commitDir(c1)}/evidence.jsonl`;
      const { before, after } = await tamperByte(repo.git, DEFAULT_DISTILL_REF, path, (b) => b.indexOf(0x61 /* a */, 40));
      const r = await cli(['verify', '--all'], repo.dir);
      expect(r.code).toBe(1);
      const message = `${path}: sha256 ${shortSha(after)} does not match manifest (${shortSha(before)})`;
      expect(r.stderr).toStartWith(`git-distill: ${message}\n  next: the distill branch was changed outside git-distill`);
      expect(r.stdout).toContain(`FAIL  ${message} (+`);
      expect(r.stdout).toContain(`ok    ${commitDir(c3)} (7 files)\n`);

      const json = await cli(['verify', '--all', '--json'], repo.dir);
      expect(json.code).toBe(1);
      const report = JSON.parse(json.stdout);
      expect(report.ok).toBe(false);
      const bad = report.folders.find((f: { source_oid: string }) => f.source_oid === c1);
      expect(bad.problems[0]).toEqual({ path: 'evidence.jsonl', line: null, code: 'sha256', message: `sha256 ${shortSha(after)} does not match manifest (${shortSha(before)})` });

      expect((await cli(['verify', c3], repo.dir)).code).toBe(0);
      const log = JSON.parse((await cli(['log', '--json'], repo.dir)).stdout);
      expect(log.map((e: { receipts_valid: boolean | null }) => e.receipts_valid)).toEqual([true, null, false]);
      const oneline = (await cli(['log', '--oneline'], repo.dir)).stdout;
      expect(oneline).toContain(`${await short(c1)} Add parser  ✗ 2 ev · 1 runs (1✓ 0~ 0✗ 0?) · 2 q · 1 redacted · verify FAILED\n`);
    });
  });
});

describe('outside a repository', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gd-not-a-repo-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('every read command says E_GIT_NOT_A_REPO (exit 4) with a hint', async () => {
    for (const argv of [['log'], ['show'], ['verify'], ['init']]) {
      const r = await cli(argv, dir);
      expect({ argv, code: r.code }).toEqual({ argv, code: 4 });
      expect(r.stderr).toContain('is not inside a git repository');
      expect(r.stderr).toContain('next: run git-distill inside a git repository');
    }
  });
});

describe('log and verify on a repository without a distill branch', () => {
  let repo: TestRepo;
  beforeAll(async () => {
    repo = await makeRepo();
  });
  afterAll(async () => {
    await repo.cleanup();
  });

  test('an unborn HEAD is a bad revision that says so', async () => {
    const r = await cli(['log'], repo.dir);
    expect(r.code).toBe(4);
    expect(r.stderr).toBe('git-distill: HEAD has no commits yet\n  next: make a first commit, then run git distill again\n');
  });

  test('every commit is listed as not distilled and verify --all has nothing to check', async () => {
    const c = await repo.commit({ 'a.txt': 'a\n' }, 'First');
    expect(JSON.parse((await cli(['log', '--json'], repo.dir)).stdout)).toEqual([{ oid: c, subject: 'First', distilled: false, counts: null, receipts_valid: null, playbooks: [], drift: null }]);
    expect(await cli(['verify', '--all'], repo.dir)).toEqual({ code: 0, stdout: 'nothing to verify: refs/heads/distill has no distilled commits\n', stderr: '' });
  });
});

describe('init', () => {
  let repo: TestRepo;
  let home: string;
  let root: string;

  beforeAll(async () => {
    repo = await makeRepo();
    await repo.commit({ 'README.md': '# x\n' }, 'First');
    root = (await repo.git.run(['rev-parse', '--show-toplevel'])).stdoutText.trim();
    home = mkdtempSync(join(tmpdir(), 'gd-home-'));
    mkdirSync(join(root, 'data', '_kb'), { recursive: true });
    writeFileSync(join(root, 'data', '_kb', 'observer_reviews.jsonl'), '{"run_id":"r1"}\n');
    mkdirSync(join(root, 'data', '_auditor'), { recursive: true });

    const line = (cwd: string) => JSON.stringify({ type: 'user', cwd, sessionId: 's', message: { role: 'user', content: 'hi' } }) + '\n';
    const project = join(home, '.claude', 'projects', root.replace(/[/.]/g, '-'));
    mkdirSync(join(project, 's1', 'subagents'), { recursive: true });
    writeFileSync(join(project, 's1.jsonl'), JSON.stringify({ type: 'summary', summary: 'x' }) + '\n' + line(root));
    writeFileSync(join(project, 's1', 'subagents', 'agent-1.jsonl'), line(join(root, 'src')));
    // Same-named folder of a sibling repository whose name only differs by a dash: its cwd tells them apart.
    const sibling = join(home, '.claude', 'projects', `${root.replace(/[/.]/g, '-')}-other`);
    mkdirSync(sibling, { recursive: true });
    writeFileSync(join(sibling, 's9.jsonl'), line(`${root}-other`));

    const day = join(home, '.codex', 'sessions', '2026', '01', '22');
    mkdirSync(day, { recursive: true });
    const meta = (cwd: string) => JSON.stringify({ timestamp: '2026-01-22T02:15:23.181Z', type: 'session_meta', payload: { id: 'x', cwd, originator: 'codex_cli_rs' } }) + '\n';
    writeFileSync(join(day, 'rollout-2026-01-22T10-15-23-a.jsonl'), meta(root));
    writeFileSync(join(day, 'rollout-2026-01-22T11-00-00-b.jsonl'), meta('/somewhere/else'));
  });
  afterAll(async () => {
    await repo.cleanup();
    rmSync(home, { recursive: true, force: true });
  });

  test('writes the config with the sources found, reports what it skipped, and ignores the cache', async () => {
    const r = await cli(['init', '--json'], repo.dir, { HOME: home });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    const project = join(home, '.claude', 'projects', root.replace(/[/.]/g, '-'));
    const rollout = join(home, '.codex', 'sessions', '2026', '01', '22', 'rollout-2026-01-22T10-15-23-a.jsonl');
    const expectedSources = [
      { path: 'data/_kb/*.jsonl', format: 'auto', enabled: true },
      { path: project, format: 'claude-code', enabled: true },
      { path: rollout, format: 'codex', enabled: true },
    ];
    expect(out.sources).toEqual(expectedSources);
    expect(out.gitignore).toBe('created');
    expect(out.skipped).toEqual([
      { what: 'data/_auditor/', reason: 'holds no .jsonl, .json, .ndjson or .traj files' },
      { what: 'data/_observer/', reason: 'not present' },
      { what: `~/.claude/projects/${root.replace(/[/.]/g, '-')}-other`, reason: `1 session ran in ${root}-other, not this repository` },
      { what: '~/.codex/sessions/', reason: '1 rollout ran in /somewhere/else, not this repository' },
      { what: '~/.gemini/tmp/', reason: 'not present (Gemini CLI not used on this machine)' },
      { what: '.aider.chat.history.md', reason: 'not present (Aider not used in this repository)' },
    ]);
    const config = JSON.parse(readFileSync(join(root, '.distill', 'config.json'), 'utf8'));
    expect(config).toEqual({ schema_version: 1, ref: 'refs/heads/distill', sources: expectedSources });
    expect(readFileSync(join(root, '.gitignore'), 'utf8')).toBe('.distill/cache/\n');
  });

  test('a second init keeps the config and leaves .gitignore alone; --force rewrites', async () => {
    const configFile = join(root, '.distill', 'config.json');
    writeFileSync(configFile, '{"schema_version":1,"sources":[]}\n');
    const again = await cli(['init'], repo.dir, { HOME: home });
    expect(again.code).toBe(0);
    expect(again.stdout).toStartWith('.distill/config.json already exists: kept it (git distill init --force rewrites it)\n.gitignore already ignores .distill/cache/\n');
    expect(readFileSync(configFile, 'utf8')).toBe('{"schema_version":1,"sources":[]}\n');
    expect(readFileSync(join(root, '.gitignore'), 'utf8')).toBe('.distill/cache/\n');

    const forced = await cli(['init', '--force'], repo.dir, { HOME: home });
    expect(forced.code).toBe(0);
    expect(forced.stdout).toStartWith('rewrote .distill/config.json (ref refs/heads/distill, 3 sources)\n');
    expect(JSON.parse(readFileSync(configFile, 'utf8')).sources).toHaveLength(3);
  });

  test('appends to an existing .gitignore without a trailing newline, once', async () => {
    const other = await makeRepo();
    try {
      writeFileSync(join(other.dir, '.gitignore'), 'node_modules/');
      const r = await cli(['init'], other.dir, { HOME: home });
      expect(r.code).toBe(0);
      expect(r.stdout).toContain('added .distill/cache/ to .gitignore\n');
      expect(readFileSync(join(other.dir, '.gitignore'), 'utf8')).toBe('node_modules/\n.distill/cache/\n');
      expect(existsSync(join(other.dir, '.distill', 'config.json'))).toBe(true);
      await cli(['init', '--force'], other.dir, { HOME: home });
      expect(readFileSync(join(other.dir, '.gitignore'), 'utf8')).toBe('node_modules/\n.distill/cache/\n');
    } finally {
      await other.cleanup();
    }
  });

  test('without HOME it skips the session stores and says why', async () => {
    const other = await makeRepo();
    try {
      const out = JSON.parse((await cli(['init', '--json'], other.dir, {})).stdout);
      expect(out.sources).toEqual([]);
      expect(out.skipped).toContainEqual({ what: 'Claude Code sessions', reason: 'HOME is not set' });
      expect(out.skipped).toContainEqual({ what: 'Codex sessions', reason: 'HOME is not set' });
    } finally {
      await other.cleanup();
    }
  });
});
