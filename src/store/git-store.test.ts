// The git store: the conformance suite, plus what only git can show (user state untouched, real concurrent and killed writers, reproducible oids).
import { afterEach, describe, expect, test } from 'bun:test';
import { spawn } from 'node:child_process';
import { writeFile, mkdir, chmod } from 'node:fs/promises';
import { join } from 'node:path';
import { makeRepo, snapshotUserState, type TestRepo } from '../../tests/helpers/git-repo.ts';
import { isDistillError } from '../errors.ts';
import type { Git } from '../io/git.ts';
import { createGitStore } from './git-store.ts';
import { buildFixtureChange } from './git-store-writer.fixture.ts';
import { DEFAULT_DISTILL_REF, FORMAT_FILE, LEDGER_MODELS_FILE, playbookFile } from './layout.ts';
import { fakeOid, runStoreConformance } from './store-conformance.ts';
import type { DistillStore, StoreChange } from './store.ts';

runStoreConformance('git', async () => {
  const repo = await makeRepo();
  return {
    store: createGitStore({ git: repo.git, ref: DEFAULT_DISTILL_REF, tool_version: '0.1.0' }),
    cleanup: () => repo.cleanup(),
  };
});

const enc = new TextEncoder();
const dec = new TextDecoder();
const DATE = '2024-05-01T12:00:00Z';
const FIXTURE = join(import.meta.dir, 'git-store-writer.fixture.ts');

function simpleChange(source: string, expected: string | null, files: Record<string, string>, derived: Record<string, string | null> = {}): StoreChange {
  return {
    source_oid: source,
    subject: 'a subject',
    files: new Map(Object.entries(files).map(([k, v]) => [k, enc.encode(v)])),
    derived: new Map(Object.entries(derived).map(([k, v]) => [k, v === null ? null : enc.encode(v)])),
    expected_head: expected,
    date: DATE,
  };
}

async function fsckClean(git: Git): Promise<{ exitCode: number; stderr: string }> {
  const r = await git.run(['fsck', '--no-dangling', '--no-progress', '--strict'], { allowExit: [1, 2, 4, 8] });
  // "notice: HEAD points to an unborn branch" is about the user's empty main, not a problem.
  const problems = (r.stderr + r.stdoutText).split('\n').filter((l) => l.trim() !== '' && !l.startsWith('notice:'));
  return { exitCode: r.exitCode, stderr: problems.join('\n') };
}

/** Run the writer fixture as a real process in its own process group; resolves with its exit and output. */
function startWriter(dir: string, source: string, size: number) {
  // A killed writer leaves its temporary blob folder behind; keep those inside the test repository, removed with it.
  const env = { ...process.env, TMPDIR: join(dir, '.git') };
  const child = spawn(process.execPath, [FIXTURE, dir, source, String(size)], { detached: true, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal, stdout, stderr })),
  );
  return { child, done };
}

/** Wait until every process of a group (the killed writer's orphaned git children) has exited. */
async function groupGone(pgid: number): Promise<void> {
  for (;;) {
    try {
      process.kill(-pgid, 0);
    } catch {
      return;
    }
    await Bun.sleep(5);
  }
}

describe('git store', () => {
  const repos: TestRepo[] = [];
  const stores: DistillStore[] = [];
  afterEach(async () => {
    for (const s of stores.splice(0)) await s.close();
    for (const r of repos.splice(0)) await r.cleanup();
  });
  async function setup(): Promise<{ repo: TestRepo; store: DistillStore }> {
    const repo = await makeRepo();
    const store = createGitStore({ git: repo.git, ref: DEFAULT_DISTILL_REF, tool_version: '0.1.0' });
    repos.push(repo);
    stores.push(store);
    return { repo, store };
  }

  test("leaves the user's working tree, index, HEAD, stash and branches exactly as they were", async () => {
    const { repo, store } = await setup();
    const c1 = await repo.commit({ 'src/a.ts': 'export const a = 1;\n', 'README.md': '# r\n' }, 'first');
    await repo.commit({ 'src/b.ts': 'export const b = 2;\n' }, 'second');
    await repo.git.run(['branch', 'feature', c1]);
    await writeFile(join(repo.dir, 'src/a.ts'), 'export const a = 42; // stashed\n');
    await repo.git.run(['stash', 'push', '-q', '-m', 'wip']);
    await writeFile(join(repo.dir, 'src/b.ts'), 'export const b = 3; // staged\n');
    await repo.git.run(['add', 'src/b.ts']);
    await writeFile(join(repo.dir, 'src/b.ts'), 'export const b = 4; // staged, then edited again\n');
    await writeFile(join(repo.dir, 'README.md'), '# dirty\n');
    await writeFile(join(repo.dir, 'untracked.txt'), 'new\n');
    const before = await snapshotUserState(repo.dir);
    expect(before.status_porcelain).toContain('MM src/b.ts');
    expect(before.stash_list).toContain('wip');

    const h1 = await store.write(simpleChange(c1, null, { 'manifest.json': '{}' }, { [LEDGER_MODELS_FILE]: 'x\n' }));
    const h2 = await store.write(simpleChange(fakeOid(7), h1, { 'manifest.json': '{}' }, { [playbookFile('p')]: 'p' }));
    await store.readCommit(c1);
    await store.listSources();
    for await (const _ of store.history()) void _;

    expect(await snapshotUserState(repo.dir)).toEqual(before);
    expect(await repo.git.resolveRef(DEFAULT_DISTILL_REF)).toBe(h2);
    // The distill history is an orphan: it shares no commit with the user's branch.
    const base = await repo.git.run(['merge-base', 'main', DEFAULT_DISTILL_REF], { allowExit: [1] });
    expect(base.exitCode).toBe(1);
  });

  test("never runs the user's hooks, not even reference-transaction", async () => {
    const { repo, store } = await setup();
    const hooks = join(repo.dir, '.git', 'hooks');
    await mkdir(hooks, { recursive: true });
    const marker = join(repo.dir, 'hook-ran');
    for (const name of ['reference-transaction', 'post-commit', 'pre-commit']) {
      await writeFile(join(hooks, name), `#!/bin/sh\necho ran >> "${marker}"\nexit 1\n`);
      await chmod(join(hooks, name), 0o755);
    }
    const h = await store.write(simpleChange(fakeOid(1), null, { 'manifest.json': '{}' }));
    expect(await repo.git.resolveRef(DEFAULT_DISTILL_REF)).toBe(h);
    expect(await Bun.file(marker).exists()).toBe(false);
  });

  test('same inputs give the same distill commit oid in two repositories, with pinned identity and trailers', async () => {
    const a = await setup();
    const b = await setup();
    const oids: string[][] = [[], []];
    for (const [i, { store }] of [a, b].entries()) {
      let head: string | null = null;
      for (const n of [1, 2, 3]) {
        head = await store.write(simpleChange(fakeOid(n), head, { 'manifest.json': `{"n":${n}}` }, { [LEDGER_MODELS_FILE]: `${n}\n` }));
        oids[i]!.push(head);
      }
    }
    expect(oids[0]).toEqual(oids[1]!);
    const body = (await a.repo.git.run(['cat-file', 'commit', oids[0]![0]!])).stdoutText;
    const src = fakeOid(1);
    expect(body).toMatch(/^tree [0-9a-f]{40}\n/);
    expect(body).not.toContain('\nparent ');
    expect(body).toContain('\nauthor git-distill <git-distill@localhost> 1714564800 +0000\n');
    expect(body).toContain('\ncommitter git-distill <git-distill@localhost> 1714564800 +0000\n');
    expect(body.endsWith(`\n\ndistill ${src} a subject\n\nDistill-Source: ${src}\nDistill-Tool: git-distill/0.1.0\n`)).toBe(true);
  });

  test('rebuilds only the trees on the changed path and reuses every other subtree', async () => {
    const { repo, store } = await setup();
    let head: string | null = null;
    for (const n of [1, 2, 3, 4]) head = await store.write(simpleChange(fakeOid(n, n * 16), head, { 'manifest.json': `${n}` }));
    const before = await repo.git.lsTree(head!, 'commits');
    const next = await store.write(simpleChange(fakeOid(9, 0x20), head, { 'manifest.json': 'nine' }));
    const after = await repo.git.lsTree(next, 'commits');
    const changed = after!.filter((e) => !before!.some((o) => o.name === e.name && o.oid === e.oid)).map((e) => e.name);
    expect(changed).toEqual(['20']);
    expect(after!.length).toBe(before!.length);
    // The unchanged fan-out folder `20` holds both commits now; its old member kept its tree oid.
    const old20 = await repo.git.lsTree(head!, 'commits/20');
    const new20 = await repo.git.lsTree(next, 'commits/20');
    expect(new20!.find((e) => e.name === fakeOid(2, 0x20))?.oid).toBe(old20!.find((e) => e.name === fakeOid(2, 0x20))!.oid);
  });

  test('refuses to write onto an existing branch that is not a distill branch, and leaves it alone', async () => {
    const { repo, store } = await setup();
    const c = await repo.commit({ 'a.txt': 'a' }, 'user work');
    await repo.git.run(['branch', 'distill', c]);
    const head = await store.head();
    expect(head).toBe(c);
    let code = '';
    try {
      await store.write(simpleChange(fakeOid(1), head, { 'manifest.json': '{}' }));
    } catch (err) {
      code = isDistillError(err) ? err.code : String(err);
    }
    expect(code).toBe('E_STORE_CORRUPT');
    expect(await repo.git.resolveRef(DEFAULT_DISTILL_REF)).toBe(c);
  });

  test('a ref name other than the default works and leaves refs/heads/distill absent', async () => {
    const repo = await makeRepo();
    repos.push(repo);
    const store = createGitStore({ git: repo.git, ref: 'refs/distill/main', tool_version: '0.1.0' });
    stores.push(store);
    const h = await store.write(simpleChange(fakeOid(1), null, { 'manifest.json': '{}' }));
    expect(await repo.git.resolveRef('refs/distill/main')).toBe(h);
    expect(await repo.git.resolveRef(DEFAULT_DISTILL_REF)).toBeNull();
    expect(dec.decode((await store.readPath(FORMAT_FILE)) ?? new Uint8Array())).toBe('git-distill 1\n');
  });

  test('eight writer processes at once on different source commits lose nothing', async () => {
    const { repo, store } = await setup();
    const sources = Array.from({ length: 8 }, (_, i) => fakeOid(i + 1, i * 37));
    const results = await Promise.all(sources.map((s) => startWriter(repo.dir, s, 3).done));
    for (const r of results) expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
    expect(await store.listSources()).toEqual([...sources].sort());
    for (const s of sources) {
      const folder = await store.readCommit(s);
      expect(dec.decode(folder?.get('manifest.json') ?? new Uint8Array())).toBe(JSON.stringify({ source_oid: s, shards: 3 }) + '\n');
    }
    const history: Array<string | null> = [];
    for await (const h of store.history()) history.push(h.source_oid);
    expect([...history].sort()).toEqual([...sources].sort());
    // Derived files were recomputed from the head each writer finally won on: the last ledger names everyone.
    const ledger = dec.decode((await store.readPath(LEDGER_MODELS_FILE)) ?? new Uint8Array());
    expect(ledger).toBe([...sources].sort().map((s) => JSON.stringify({ source: s })).join('\n') + '\n');
    expect((await store.listPaths('playbooks')).length).toBe(8);
    expect(await fsckClean(repo.git)).toEqual({ exitCode: 0, stderr: '' });
  });

  test('a writer killed with SIGKILL at any point leaves the old or the new commit, and a rerun gives the uninterrupted result', async () => {
    const size = 40;
    const source = fakeOid(0x77, 0x77);
    // Reference: the same base and the same write, uninterrupted, in another repository.
    const ref = await setup();
    const base = await ref.store.write(simpleChange(fakeOid(1), null, { 'manifest.json': 'base' }, { [LEDGER_MODELS_FILE]: 'base\n' }));
    const t0 = performance.now();
    const clean = await startWriter(ref.repo.dir, source, size).done;
    const cleanMs = performance.now() - t0;
    expect(clean.code).toBe(0);
    const expected = clean.stdout.trim();
    expect(expected).toMatch(/^[0-9a-f]{40}$/);
    const expectedTree = await ref.repo.git.revParse(`${expected}^{tree}`);

    const { repo, store } = await setup();
    expect(await store.write(simpleChange(fakeOid(1), null, { 'manifest.json': 'base' }, { [LEDGER_MODELS_FILE]: 'base\n' }))).toBe(base);
    const outcomes: string[] = [];
    const rounds = 10;
    for (let i = 0; i < rounds; i++) {
      // Spread the kill over the writer's whole life: startup, blob writes, trees, commit, update-ref.
      const delay = (cleanMs * (i + 0.5)) / rounds;
      const w = startWriter(repo.dir, source, size);
      await Bun.sleep(delay);
      w.child.kill('SIGKILL');
      const r = await w.done;
      await groupGone(w.child.pid!);
      const at = await repo.git.resolveRef(DEFAULT_DISTILL_REF);
      expect([base, expected]).toContain(at ?? 'no ref');
      outcomes.push(r.signal === 'SIGKILL' ? (at === base ? 'old' : 'new') : 'finished');
      expect(await fsckClean(repo.git)).toEqual({ exitCode: 0, stderr: '' });
      expect((await store.readCommit(fakeOid(1)))?.size).toBe(1);

      const rerun = await startWriter(repo.dir, source, size).done;
      expect(rerun.code).toBe(0);
      expect(rerun.stdout.trim()).toBe(expected);
      expect(await repo.git.revParse(`${DEFAULT_DISTILL_REF}^{tree}`)).toBe(expectedTree);
      // Back to the base for the next round (test-only plumbing).
      await repo.git.run(['update-ref', DEFAULT_DISTILL_REF, base]);
    }
    // The spread must actually have interrupted writers, or this test proves nothing.
    expect(outcomes.filter((o) => o !== 'finished').length).toBeGreaterThan(0);
    console.error(`[sigkill] writer ${cleanMs.toFixed(0)}ms uninterrupted; outcomes: ${outcomes.join(' ')}`);
  }, 120_000);

  test('the fixture change is reproducible in-process too (same tree as the child writer)', async () => {
    const { repo, store } = await setup();
    const change = await buildFixtureChange(store, fakeOid(5), 2);
    const h = await store.write({ ...change, expected_head: null });
    const fresh = await setup();
    const child = await startWriter(fresh.repo.dir, fakeOid(5), 2).done;
    expect(child.stdout.trim()).not.toBe('');
    expect(await fresh.repo.git.revParse(`${child.stdout.trim()}^{tree}`)).toBe(await repo.git.revParse(`${h}^{tree}`));
  });
});
