// Sync against real bare repositories: two clones racing to push, a fork, derived files recomputed and byte-identical everywhere.
import { afterEach, describe, expect, test } from 'bun:test';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeRepo, snapshotUserState, type TestRepo } from '../../tests/helpers/git-repo.ts';
import { runCliCaptured } from '../../tests/helpers/cli.ts';
import { isDistillError } from '../errors.ts';
import { createGit, type Git } from '../io/git.ts';
import { createGitStore } from '../store/git-store.ts';
import { commitDir, DEFAULT_DISTILL_REF, LEDGER_MODELS_FILE } from '../store/layout.ts';
import { fakeOid } from '../store/store-conformance.ts';
import type { DistillStore } from '../store/store.ts';
import type { DeriveFiles } from './merge.ts';
import { pullDistill, pushDistill, type SyncOptions } from './sync.ts';

const enc = new TextEncoder();
const dec = new TextDecoder();
const TRACKING = 'refs/remotes/origin/distill';

/** A real derive: counts the commit folders of the merged tree into ledger/models.jsonl. */
const countFolders: DeriveFiles = async (view) => {
  const paths = await view.listPaths('commits');
  const oids = [...new Set(paths.map((p) => p.split('/')[2] ?? ''))].sort();
  let lines = 0;
  for await (const [, bytes] of view.readPaths(oids.map((o) => `${commitDir(o)}/manifest.json`))) {
    if (bytes !== null) lines += (JSON.parse(dec.decode(bytes)) as { counts: { lines: number } }).counts.lines;
  }
  return new Map([[LEDGER_MODELS_FILE, enc.encode(`${JSON.stringify({ folders: oids.length, lines, sources: oids })}\n`)]]);
};

interface Clone {
  repo: TestRepo;
  store: DistillStore;
}

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function tempDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

async function bareRemote(): Promise<{ dir: string; git: Git }> {
  const dir = await tempDir('distill-bare-');
  const git = createGit({ cwd: dir });
  await git.run(['init', '-q', '--bare']);
  return { dir, git };
}

async function clone(remotes: Record<string, string>): Promise<Clone> {
  const repo = await makeRepo();
  await repo.commit({ 'README.md': 'hello\n' }, 'initial');
  for (const [name, url] of Object.entries(remotes)) await repo.git.run(['remote', 'add', name, url]);
  const store = createGitStore({ git: repo.git, ref: DEFAULT_DISTILL_REF, tool_version: '0.1.0' });
  cleanups.push(async () => {
    await store.close();
    await repo.cleanup();
  });
  return { repo, store };
}

/** Distill one (fake) source commit into the clone's branch the way a run does: its folder plus the derived files. */
async function distill(c: Clone, n: number, lines: number, date = '2024-02-01T00:00:00Z'): Promise<string> {
  const oid = fakeOid(n);
  const head = await c.store.head();
  const files = new Map([
    ['manifest.json', enc.encode(JSON.stringify({ counts: { lines, evidence: lines } }))],
    ['evidence.jsonl', enc.encode(Array.from({ length: lines }, (_, i) => `{"n":${n},"i":${i}}\n`).join(''))],
  ]);
  // The derived files a run writes are computed from the tree after the write, as a merge recomputes them.
  await c.store.write({ source_oid: oid, subject: `commit ${n}`, files, derived: new Map(), expected_head: head, date });
  const after = await c.store.head();
  const derived = await countFolders(c.store);
  await c.store.write({ source_oid: oid, subject: `commit ${n}`, files, derived, expected_head: after, date });
  return oid;
}

function syncOpts(c: Clone, remote = 'origin', extra: Partial<SyncOptions> = {}): SyncOptions {
  return {
    git: c.repo.git,
    store: c.store,
    remote,
    tool_version: '0.1.0',
    derive: countFolders,
    attempts: 3,
    sleep: async () => {},
    random: () => 0.5,
    ...extra,
  };
}

async function snapshot(store: DistillStore): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const paths = await store.listPaths('');
  for await (const [p, b] of store.readPaths(paths)) out[p] = b === null ? '<null>' : dec.decode(b);
  return out;
}

describe('push and pull', () => {
  test('two clones distill different commits and both push; after pull each holds every folder and the same derived bytes', async () => {
    const remote = await bareRemote();
    const a = await clone({ origin: remote.dir });
    const b = await clone({ origin: remote.dir });
    const fetchBefore = await a.repo.git.run(['config', '--get-all', 'remote.origin.fetch']);
    const userA = await snapshotUserState(a.repo.dir);
    const oa = await distill(a, 1, 3);
    const ob = await distill(b, 2, 5);

    const pa = await pushDistill(syncOpts(a));
    expect(pa).toMatchObject({ action: 'no-remote-branch', pushed: true, attempts: 1 });
    const pb = await pushDistill(syncOpts(b));
    expect(pb).toMatchObject({ action: 'merged', pushed: true, attempts: 1, added: [oa], conflicts: [], derived: [LEDGER_MODELS_FILE] });
    const remoteHead = await remote.git.resolveRef(DEFAULT_DISTILL_REF);
    expect(remoteHead).toBe(pb.after);
    // The merge commit has both heads as parents: ours first.
    const parents = (await remote.git.run(['rev-list', '--parents', '-n', '1', remoteHead!])).stdoutText.trim().split(' ').slice(1);
    expect(parents).toEqual([pb.before!, pb.remote_head!]);

    const pullA = await pullDistill(syncOpts(a));
    expect(pullA).toMatchObject({ action: 'fast-forward', added: [ob] });
    const pullB = await pullDistill(syncOpts(b));
    expect(pullB).toMatchObject({ action: 'up-to-date', added: [] });
    for (const c of [a, b]) expect(await c.store.listSources()).toEqual([oa, ob].sort());
    const [sa, sb] = [await snapshot(a.store), await snapshot(b.store)];
    expect(sa).toEqual(sb);
    expect(JSON.parse(sa[LEDGER_MODELS_FILE]!)).toEqual({ folders: 2, lines: 8, sources: [oa, ob].sort() });
    expect(await a.store.head()).toBe(await b.store.head());
    expect(await a.repo.git.resolveRef(TRACKING)).toBe(remoteHead);

    // No +refs/... fetch refspec was installed, and the user's refs, index and working tree are as they were.
    expect((await a.repo.git.run(['config', '--get-all', 'remote.origin.fetch'])).stdoutText).toBe(fetchBefore.stdoutText);
    expect(await snapshotUserState(a.repo.dir)).toEqual(userA);
  });

  test('a created or fast-forwarded branch lists the folders that arrived, not those it already had', async () => {
    const remote = await bareRemote();
    const a = await clone({ origin: remote.dir });
    const b = await clone({ origin: remote.dir });
    const o1 = await distill(a, 1, 1);
    await pushDistill(syncOpts(a));
    expect(await pullDistill(syncOpts(b))).toMatchObject({ action: 'created', added: [o1] });
    // a rebuilds folder 1 (late records) and distills two more: b already had folder 1, so only the new two arrive.
    await distill(a, 1, 2);
    const [o2, o3] = [await distill(a, 2, 1), await distill(a, 3, 1)];
    await pushDistill(syncOpts(a));
    const pulled = await pullDistill(syncOpts(b));
    expect(pulled).toMatchObject({ action: 'fast-forward', added: [o2, o3].sort() });
    expect(await b.store.listSources()).toEqual([o1, o2, o3].sort());
  });

  test('a push that loses the race to another clone fetches, merges and pushes again', async () => {
    const remote = await bareRemote();
    const a = await clone({ origin: remote.dir });
    const b = await clone({ origin: remote.dir });
    await distill(a, 1, 1);
    await distill(b, 2, 2);
    const sleeps: number[] = [];
    const pb = await pushDistill(
      syncOpts(b, 'origin', {
        sleep: async (ms) => {
          sleeps.push(ms);
        },
        random: () => 0.25,
        // Between b's fetch and b's push, a pushes: b's first push is rejected as a non-fast-forward.
        before_push: async (attempt) => {
          if (attempt === 1) expect((await pushDistill(syncOpts(a))).pushed).toBe(true);
        },
      }),
    );
    expect(pb).toMatchObject({ pushed: true, attempts: 2, action: 'merged' });
    expect(sleeps).toEqual([38]); // 50 ms × (0.5 + 0.25), rounded
    expect(await remote.git.resolveRef(DEFAULT_DISTILL_REF)).toBe(pb.after);
    expect(await b.store.listSources()).toEqual([fakeOid(1), fakeOid(2)].sort());
  });

  test('a race lost on every try is E_STORE_RACE_LOST (exit 5) with a hint to rerun, and loses nothing locally', async () => {
    const remote = await bareRemote();
    const a = await clone({ origin: remote.dir });
    const b = await clone({ origin: remote.dir });
    await distill(b, 2, 2);
    let n = 10;
    const before = await b.store.head();
    try {
      await pushDistill(
        syncOpts(b, 'origin', {
          attempts: 2,
          before_push: async () => {
            await distill(a, n++, 1);
            await pushDistill(syncOpts(a));
          },
        }),
      );
      throw new Error('expected the push to lose');
    } catch (error) {
      expect(isDistillError(error) && error.code).toBe('E_STORE_RACE_LOST');
      if (!isDistillError(error)) throw error;
      expect(error.exitCode).toBe(5);
      expect(error.hint).toContain('git distill push origin');
    }
    // b merged what it fetched; its own folder is still there, and nothing of b's reached the remote.
    expect(await b.store.listSources()).toContain(fakeOid(2));
    expect(await b.store.head()).not.toBe(before);
    const remoteStore = createGitStore({ git: remote.git, ref: DEFAULT_DISTILL_REF, tool_version: '0.1.0' });
    expect(await remoteStore.listSources()).not.toContain(fakeOid(2));
    await remoteStore.close();
  });

  test('two clones pushing at the same moment both land', async () => {
    const remote = await bareRemote();
    const a = await clone({ origin: remote.dir });
    const b = await clone({ origin: remote.dir });
    await distill(a, 1, 1);
    await distill(b, 2, 2);
    const real = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
    const [ra, rb] = await Promise.all([
      pushDistill(syncOpts(a, 'origin', { attempts: 6, sleep: real, random: Math.random })),
      pushDistill(syncOpts(b, 'origin', { attempts: 6, sleep: real, random: Math.random })),
    ]);
    expect([ra.pushed, rb.pushed]).toEqual([true, true]);
    // Whoever pushed second merged the first: the remote holds both, and after a pull both clones agree.
    await pullDistill(syncOpts(a));
    await pullDistill(syncOpts(b));
    expect(await a.store.listSources()).toEqual([fakeOid(1), fakeOid(2)].sort());
    expect(await snapshot(a.store)).toEqual(await snapshot(b.store));
  });

  test('the same commit distilled differently on two clones: the folder whose manifest says more wins on both sides', async () => {
    const remote = await bareRemote();
    const a = await clone({ origin: remote.dir });
    const b = await clone({ origin: remote.dir });
    await distill(a, 7, 2);
    await distill(b, 7, 4);
    await distill(b, 8, 1);
    // a merges b's branch, and (separately) b merges a's: the decision must not depend on which side is ours.
    await pushDistill(syncOpts(a));
    const pb = await pullDistill(syncOpts(b));
    expect(pb.conflicts).toEqual([{ source_oid: fakeOid(7), kept: 'ours', reason: 'more source lines read (4 vs 2)' }]);
    const bFolder = await b.store.readCommit(fakeOid(7));
    expect(dec.decode(bFolder!.get('evidence.jsonl')!).split('\n').length - 1).toBe(4);

    const remote2 = await bareRemote();
    const c = await clone({ origin: remote2.dir });
    await distill(c, 7, 4);
    await distill(c, 8, 1);
    await pushDistill(syncOpts(c));
    await a.repo.git.run(['remote', 'add', 'other', remote2.dir]);
    const pa = await pullDistill(syncOpts(a, 'other'));
    expect(pa.conflicts).toEqual([{ source_oid: fakeOid(7), kept: 'theirs', reason: 'more source lines read (4 vs 2)' }]);
    // Both merges reach the same tree: folders and recomputed derived files, byte for byte.
    const [sa, sb] = [await snapshot(a.store), await snapshot(b.store)];
    expect(sa).toEqual(sb);
  });

  test('meta/ files merge as the sorted union of their lines', async () => {
    const remote = await bareRemote();
    const a = await clone({ origin: remote.dir });
    const b = await clone({ origin: remote.dir });
    await distill(a, 1, 1);
    await distill(b, 2, 1);
    // The knowledge stage writes root-level files; here a direct merge-less write puts one meta file on each side.
    for (const [c, lines] of [
      [a, 'approve p1\napprove p3\n'],
      [b, 'approve p2\napprove p1\n'],
    ] as const) {
      const head = await c.store.head();
      const oid = fakeOid(c === a ? 1 : 2);
      const files = (await c.store.readCommit(oid))!;
      await c.store.write({ source_oid: oid, subject: 'meta', files, derived: new Map([['meta/approvals.txt', enc.encode(lines)]]), expected_head: head, date: '2024-02-02T00:00:00Z' });
    }
    await pushDistill(syncOpts(a));
    const pb = await pushDistill(syncOpts(b));
    expect(pb.meta_merged).toEqual(['meta/approvals.txt']);
    expect(dec.decode((await b.store.readPath('meta/approvals.txt'))!)).toBe('approve p1\napprove p2\napprove p3\n');
  });

  test('same inputs give the same merge commit oid: two copies of one clone merging the same heads', async () => {
    const remote = await bareRemote();
    const a = await clone({ origin: remote.dir });
    const b = await clone({ origin: remote.dir });
    await distill(a, 1, 1);
    await distill(b, 2, 2);
    await pushDistill(syncOpts(a));
    const copyDir = await tempDir('distill-copy-');
    await cp(b.repo.dir, copyDir, { recursive: true });
    const copyGit = createGit({ cwd: copyDir });
    const copyStore = createGitStore({ git: copyGit, ref: DEFAULT_DISTILL_REF, tool_version: '0.1.0' });
    const r1 = await pullDistill(syncOpts(b));
    const r2 = await pullDistill({ ...syncOpts(b), git: copyGit, store: copyStore });
    await copyStore.close();
    expect(r1.action).toBe('merged');
    expect(r2.after).toBe(r1.after);
    // Its date is the later of the two heads' dates, not the clock.
    const date = (await b.repo.git.run(['show', '-s', '--format=%cI %an <%ae>', r1.after!])).stdoutText.trim();
    expect(date).toBe('2024-02-01T00:00:00Z git-distill <git-distill@localhost>'.replace('Z', '+00:00'));
  });

  test('a fork: pull from upstream, push to the fork; the fork holds both and upstream is untouched', async () => {
    const upstream = await bareRemote();
    const fork = await bareRemote();
    const maintainer = await clone({ origin: upstream.dir });
    await distill(maintainer, 1, 1);
    await pushDistill(syncOpts(maintainer));
    const contributor = await clone({ upstream: upstream.dir, origin: fork.dir });
    await distill(contributor, 2, 2);
    const pulled = await pullDistill(syncOpts(contributor, 'upstream'));
    expect(pulled.action).toBe('merged');
    expect(await contributor.repo.git.resolveRef('refs/remotes/upstream/distill')).toBe(await upstream.git.resolveRef(DEFAULT_DISTILL_REF));
    const pushed = await pushDistill(syncOpts(contributor, 'origin'));
    expect(pushed).toMatchObject({ action: 'no-remote-branch', pushed: true });
    const forkStore = createGitStore({ git: fork.git, ref: DEFAULT_DISTILL_REF, tool_version: '0.1.0' });
    expect(await forkStore.listSources()).toEqual([fakeOid(1), fakeOid(2)].sort());
    await forkStore.close();
    const upstreamStore = createGitStore({ git: upstream.git, ref: DEFAULT_DISTILL_REF, tool_version: '0.1.0' });
    expect(await upstreamStore.listSources()).toEqual([fakeOid(1)]);
    await upstreamStore.close();
  });
});

describe('the commands and the pre-push hook', () => {
  test('git distill push and pull, --json, and a remote that is not configured (exit 2)', async () => {
    const remote = await bareRemote();
    const a = await clone({ origin: remote.dir });
    const b = await clone({ origin: remote.dir });
    await distill(a, 1, 1);
    const push = await runCliCaptured(['push', '--json'], { cwd: a.repo.dir });
    expect(push.code).toBe(0);
    expect(JSON.parse(push.stdout)).toMatchObject({ remote: 'origin', pushed: true, attempts: 1 });
    const pull = await runCliCaptured(['pull', 'origin'], { cwd: b.repo.dir });
    expect(pull).toMatchObject({ code: 0, stderr: '' });
    expect(pull.stdout).toMatch(/^created nothing → [0-9a-f]{12} from refs\/remotes\/origin\/distill: 1 folder added\n$/);
    expect(await b.store.head()).toBe(await a.store.head());
    const again = await runCliCaptured(['push'], { cwd: b.repo.dir });
    expect(again.stdout).toBe(`origin already has ${(await a.store.head())!.slice(0, 12)}\n`);

    const bad = await runCliCaptured(['pull', 'nowhere'], { cwd: b.repo.dir });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("'nowhere' is not a configured remote");
    // The hint reruns the command that was run, with a remote that exists.
    expect(bad.stderr).toContain('next: one of: origin (git distill pull origin)');
    const badPush = await runCliCaptured(['push', 'nowhere'], { cwd: b.repo.dir });
    expect(badPush.code).toBe(2);
    expect(badPush.stderr).toContain('next: one of: origin (git distill push origin)');
    const attempts = await runCliCaptured(['push', '--attempts', '0'], { cwd: b.repo.dir });
    expect(attempts.code).toBe(2);
  });

  test('pre-push pushes the distill branch; from a hook an unreachable remote is logged and exits 0', async () => {
    const remote = await bareRemote();
    const a = await clone({ origin: remote.dir });
    await distill(a, 1, 1);
    const ok = await runCliCaptured(['hook', 'pre-push', 'origin', remote.dir], { cwd: a.repo.dir, env: { GIT_DISTILL_HOOK: '1' } });
    expect(ok).toEqual({ code: 0, stdout: '', stderr: '' });
    expect(await remote.git.resolveRef(DEFAULT_DISTILL_REF)).toBe(await a.store.head());

    await a.repo.git.run(['remote', 'add', 'gone', join(remote.dir, 'missing')]);
    const failed = await runCliCaptured(['hook', 'pre-push', 'gone', 'x'], { cwd: a.repo.dir, env: { GIT_DISTILL_HOOK: '1' } });
    expect(failed).toEqual({ code: 0, stdout: '', stderr: '' });
    const byHand = await runCliCaptured(['hook', 'pre-push', 'gone', 'x'], { cwd: a.repo.dir });
    expect(byHand.code).toBe(4);
    const log = await Bun.file(join(a.repo.dir, '.git', 'distill', 'worker.log')).text();
    expect(log).toContain('pre-push: pushed');
    expect(log).toContain('hook pre-push failed: cannot fetch refs/heads/distill from gone');
    const url = await runCliCaptured(['hook', 'pre-push', remote.dir, remote.dir], { cwd: a.repo.dir });
    expect(url.code).toBe(0);
    expect(url.stderr).toContain('is a URL, not a configured remote');
  });
});
