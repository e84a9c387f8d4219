// Team sync end to end: two clones of one remote distill different commits from real auditor-loop logs, race to push, pull; both end with the same folders and derived bytes.
import { afterAll, expect, setDefaultTimeout, test } from 'bun:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pkg from '../../package.json' with { type: 'json' };
import type { Playbook } from '../../schemas/playbook.ts';
import { loadRepoConfig } from '../../src/config/load.ts';
import { computeDerivedFiles, derivedOptions } from '../../src/derived/derived-files.ts';
import { createGit, type Git } from '../../src/io/git.ts';
import { createGitStore } from '../../src/store/git-store.ts';
import { DEFAULT_DISTILL_REF, LEDGER_DIR, LEDGER_MODELS_FILE, PLAYBOOKS_DIR } from '../../src/store/layout.ts';
import { createMemoryStore } from '../../src/store/memory-store.ts';
import { openSync } from '../../src/sync/open-sync.ts';
import { pushDistill } from '../../src/sync/sync.ts';
import { kb, STEPS } from '../helpers/auditor-loop.ts';
import { runCliCaptured } from '../helpers/cli.ts';
import { makeRepo } from '../helpers/git-repo.ts';

// Three real `git distill run`s, a push race and two pulls on a loaded 2-core machine: more than the 5 s default.
setDefaultTimeout(120_000);

const temp = mkdtempSync(join(tmpdir(), 'gd-sync-e2e-'));
const cleanups: Array<() => unknown> = [() => rmSync(temp, { recursive: true, force: true })];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

interface Clone {
  dir: string;
  git: Git;
}

const cli = (c: Clone, args: string[]) => runCliCaptured(args, { cwd: c.dir });

/** Path → blob oid of every derived file on the clone's distill branch. */
async function derivedBlobs(c: Clone): Promise<Map<string, string>> {
  const r = await c.git.run(['ls-tree', '-r', DEFAULT_DISTILL_REF, '--', PLAYBOOKS_DIR, LEDGER_DIR]);
  return new Map(
    r.stdoutText
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => [l.slice(l.indexOf('\t') + 1), l.split(' ')[2]!.split('\t')[0]!]),
  );
}

/** The derived files computed from scratch (no cache, no earlier derived bytes) over the clone's commit folders, as blob oids. */
async function recount(c: Clone): Promise<Map<string, string>> {
  const store = createGitStore({ git: c.git, ref: DEFAULT_DISTILL_REF, tool_version: pkg.version });
  const mem = createMemoryStore();
  try {
    for (const oid of await store.listSources()) {
      await mem.write({ source_oid: oid, subject: 's', files: (await store.readCommit(oid))!, derived: new Map(), expected_head: await mem.head(), date: '2024-01-02T00:00:00Z' });
    }
  } finally {
    await store.close();
  }
  const derived = await computeDerivedFiles(mem, derivedOptions(loadRepoConfig(c.dir).config));
  const out = new Map<string, string>();
  for (const [path, bytes] of derived) {
    if (bytes !== null) out.set(path, (await c.git.run(['hash-object', '--stdin'], { input: bytes })).stdoutText.trim());
  }
  return new Map([...out].sort(([a], [b]) => (a < b ? -1 : 1)));
}

async function sources(c: Clone): Promise<string[]> {
  const store = createGitStore({ git: c.git, ref: DEFAULT_DISTILL_REF, tool_version: pkg.version });
  try {
    return await store.listSources();
  } finally {
    await store.close();
  }
}

test('two clones distill different commits from their own logs and race to push; after pull both hold every folder and byte-identical derived files, equal to a recount', async () => {
  // The team's history on a bare remote: three commits of the auditor loop's repository.
  const origin = await makeRepo();
  cleanups.push(() => origin.cleanup());
  const oids: string[] = [];
  for (const [i, step] of STEPS.entries()) oids.push(await origin.commit(step.files, `step ${i + 1}`, { date: step.date }));
  const remote = join(temp, 'remote.git');
  await origin.git.run(['init', '-q', '--bare', '--initial-branch=main', remote]);
  await origin.git.run(['push', '-q', remote, 'main']);
  const clones: Clone[] = [];
  for (const name of ['a', 'b']) {
    const dir = join(temp, name);
    await origin.git.run(['clone', '-q', remote, dir]);
    clones.push({ dir, git: createGit({ cwd: dir }) });
  }
  const [a, b] = clones as [Clone, Clone];

  // Each clone's agents left the logs of a different commit beside it; each distills that commit.
  for (const [c, i] of [
    [a, 0],
    [b, 1],
  ] as const) {
    for (const [file, text] of STEPS[i]!.logs) kb(c, file, text);
    expect((await cli(c, ['run', oids[i]!, '--sync'])).code).toBe(0);
  }
  const alone = { a: await derivedBlobs(a), b: await derivedBlobs(b) };
  // Alone, a has one playbook (two accepted auth reviews); b has none (its auth review was rejected).
  expect([...alone.a.keys()].filter((p) => p.startsWith(`${PLAYBOOKS_DIR}/`))).toHaveLength(1);
  expect([...alone.b.keys()]).toEqual([LEDGER_MODELS_FILE]);

  // b fetches first (no distill branch there yet), then a pushes, so b's push is rejected: b fetches, merges, pushes again.
  const sync = await openSync(b.dir, 'push', 'origin', pkg.version, 5);
  const pushedB = await pushDistill({
    ...sync.opts,
    sleep: async () => {},
    before_push: async (attempt) => {
      if (attempt === 1) expect(await cli(a, ['push'])).toMatchObject({ code: 0, stdout: expect.stringMatching(/^pushed [0-9a-f]{12} to origin\n$/) });
    },
  }).finally(() => sync.close());
  expect(pushedB).toMatchObject({ action: 'merged', pushed: true, attempts: 2, added: [oids[0]], conflicts: [] });
  expect(pushedB.derived.length).toBeGreaterThan(0);

  const pullA = await cli(a, ['pull', '--json']);
  expect(pullA.code).toBe(0);
  expect(JSON.parse(pullA.stdout)).toMatchObject({ action: 'fast-forward', added: [oids[1]], after: pushedB.after });
  const pullB = await cli(b, ['pull']);
  expect(pullB).toMatchObject({ code: 0, stdout: expect.stringMatching(/^up to date with refs\/remotes\/origin\/distill/) });

  // Both hold every commit folder, and the same derived blobs: recomputed from the merged tree, equal to a recount from scratch.
  for (const c of clones) expect(await sources(c)).toEqual([oids[0]!, oids[1]!].sort());
  const merged = await derivedBlobs(a);
  expect(await derivedBlobs(b)).toEqual(merged);
  expect(merged).toEqual(await recount(a));
  expect(merged).not.toEqual(alone.a);
  expect(merged).not.toEqual(alone.b);

  // The merged playbook draws on both clones' runs: a's accepted reviews and b's rejected one (its failure mode).
  const playbooks = JSON.parse((await cli(b, ['playbooks', 'list', '--json'])).stdout) as Playbook[];
  expect(playbooks.map((p) => p.source_run_ids)).toEqual([['scrum:src/auth/login.ts@2024-01-01', 'scrum:src/auth/session.ts@2024-01-01', 'scrum:src/auth/token.ts@2024-01-01']]);
  // bun_test passed in a's accepted reviews, so it is a step, not a command to avoid; b's failure of it is a failure mode.
  expect(playbooks[0]!.commands_failed).toEqual([]);
  expect(playbooks[0]!.known_failure_modes).toContain('gate bun_test failed: <n> failing in auth.test.ts');
});
