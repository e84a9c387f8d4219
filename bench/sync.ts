// Bench: `git distill pull` merging two diverged distill branches, 5 new folders each side, over a small vs a large shared history.
//
//   bun bench/sync.ts [--folders 100,5000] [--rounds 5] [--json]
//
// For each size S: one repository whose distill branch is S shared folders + 5 of its own, and a bare remote
// holding S shared + 5 others. Each round resets the local ref and runs pullDistill (fetch, plan, merge commit),
// interleaving the sizes round by round. Also measured in the same rounds: reading every file of the large
// tree once (what a merge that compared folders byte by byte would pay at least twice). What to read: the
// ratio large/small, which should stay near 1 (a pull costs what differs, not the history).
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createHash } from 'node:crypto';
import { createGit, type Git, type TreeEntry } from '../src/io/git.ts';
import { createGitStore } from '../src/store/git-store.ts';
import { buildCommitMessage, COMMITS_DIR, DEFAULT_DISTILL_REF, DISTILL_IDENTITY, FORMAT_CONTENT, FORMAT_FILE, LEDGER_MODELS_FILE } from '../src/store/layout.ts';
import type { DeriveFiles } from '../src/sync/merge.ts';
import { pullDistill } from '../src/sync/sync.ts';
import { median, readMachineInfo, renderTable } from './lib.ts';

const enc = new TextEncoder();
const DATE = '2024-01-01T00:00:00Z';
const OWN = 5;

const { values } = parseArgs({ args: process.argv.slice(2), options: { folders: { type: 'string', default: '100,5000' }, rounds: { type: 'string', default: '5' }, json: { type: 'boolean' } } });
const sizes = String(values.folders).split(',').map(Number);
const rounds = Number(values.rounds);
if (sizes.length !== 2 || sizes.some((n) => !Number.isInteger(n) || n < 1) || !Number.isInteger(rounds) || rounds < 1) {
  throw new Error('usage: bun bench/sync.ts --folders 100,5000 --rounds 5');
}

const oidOf = (tag: string) => createHash('sha1').update(tag).digest('hex');

/** A distill tree of `folders` distinct folders (manifest + evidence each), written with plumbing in one pass. */
async function writeTree(git: Git, folders: number): Promise<string> {
  const writer = git.openTreeWriter();
  try {
    const fanout = new Map<string, TreeEntry[]>();
    const blobs: Uint8Array[] = [];
    const ids: string[] = [];
    for (let i = 0; i < folders; i++) {
      const oid = oidOf(`shared-${i}`);
      ids.push(oid);
      blobs.push(enc.encode(JSON.stringify({ counts: { lines: 3, evidence: 3 }, n: i })), enc.encode(`{"i":${i},"a":1}\n{"i":${i},"a":2}\n{"i":${i},"a":3}\n`));
    }
    const oids = await git.hashObjects(blobs);
    for (const [i, oid] of ids.entries()) {
      const tree = await writer.write([
        { mode: '100644', type: 'blob', oid: oids[2 * i + 1]!, name: 'evidence.jsonl' },
        { mode: '100644', type: 'blob', oid: oids[2 * i]!, name: 'manifest.json' },
      ]);
      const list = fanout.get(oid.slice(0, 2)) ?? [];
      list.push({ mode: '040000', type: 'tree', oid: tree, name: oid });
      fanout.set(oid.slice(0, 2), list);
    }
    const commitsEntries: TreeEntry[] = [];
    for (const [xx, entries] of [...fanout].sort(([a], [b]) => (a < b ? -1 : 1))) {
      commitsEntries.push({ mode: '040000', type: 'tree', oid: await writer.write(entries.sort((a, b) => (a.name < b.name ? -1 : 1))), name: xx });
    }
    const root = await writer.write([
      { mode: '100644', type: 'blob', oid: await git.hashObject(FORMAT_CONTENT), name: FORMAT_FILE },
      { mode: '040000', type: 'tree', oid: await writer.write(commitsEntries), name: COMMITS_DIR },
    ]);
    return git.commitTree({ tree: root, parents: [], message: buildCommitMessage(ids[0]!, `bench: ${folders} folders`, '0.0.0'), identity: DISTILL_IDENTITY, date: DATE });
  } finally {
    await writer.close();
  }
}

const derive: DeriveFiles = async (view) => new Map([[LEDGER_MODELS_FILE, enc.encode(`${(await view.listPaths(COMMITS_DIR)).length}\n`)]]);

async function addOwn(git: Git, ref: string, tag: string): Promise<string> {
  const store = createGitStore({ git, ref, tool_version: '0.0.0' });
  try {
    for (let i = 0; i < OWN; i++) {
      const files = new Map([
        ['manifest.json', enc.encode(JSON.stringify({ counts: { lines: 1, evidence: 1 }, tag, i }))],
        ['evidence.jsonl', enc.encode(`{"${tag}":${i}}\n`)],
      ]);
      await store.write({ source_oid: oidOf(`${tag}-${i}`), subject: tag, files, derived: new Map(), expected_head: await store.head(), date: DATE });
    }
    return (await store.head())!;
  } finally {
    await store.close();
  }
}

interface Setup {
  folders: number;
  git: Git;
  ours: string;
}

async function setup(parent: string, folders: number): Promise<Setup> {
  const dir = join(parent, `repo-${folders}`);
  const bare = join(parent, `remote-${folders}.git`);
  await createGit({ cwd: parent }).run(['init', '-q', '--bare', bare]);
  await createGit({ cwd: parent }).run(['init', '-q', dir]);
  const git = createGit({ cwd: dir });
  await git.run(['remote', 'add', 'origin', bare]);
  const base = await writeTree(git, folders);
  await git.updateRefCas('refs/heads/theirs', base, null, 'bench');
  await git.updateRefCas(DEFAULT_DISTILL_REF, base, null, 'bench');
  await addOwn(git, 'refs/heads/theirs', 'theirs');
  const ours = await addOwn(git, DEFAULT_DISTILL_REF, 'ours');
  await git.run(['push', '-q', 'origin', 'refs/heads/theirs:refs/heads/distill']);
  return { folders, git, ours };
}

async function timePull(s: Setup): Promise<number> {
  const current = await s.git.resolveRef(DEFAULT_DISTILL_REF);
  if (current !== s.ours) await s.git.updateRefCas(DEFAULT_DISTILL_REF, s.ours, current, 'bench: reset');
  const store = createGitStore({ git: s.git, ref: DEFAULT_DISTILL_REF, tool_version: '0.0.0' });
  const t0 = performance.now();
  const r = await pullDistill({ git: s.git, store, remote: 'origin', tool_version: '0.0.0', derive, attempts: 1, sleep: async () => {}, random: () => 0.5 });
  const ms = performance.now() - t0;
  await store.close();
  if (r.action !== 'merged' || r.added.length !== OWN) throw new Error(`expected a merge adding ${OWN} folders, got ${r.action} adding ${r.added.length}`);
  return ms;
}

async function timeReadAll(s: Setup): Promise<number> {
  const store = createGitStore({ git: s.git, ref: DEFAULT_DISTILL_REF, tool_version: '0.0.0' });
  const t0 = performance.now();
  const paths = await store.listPaths('');
  let bytes = 0;
  for await (const [, b] of store.readPaths(paths)) bytes += b?.length ?? 0;
  const ms = performance.now() - t0;
  await store.close();
  if (bytes === 0) throw new Error('read nothing');
  return ms;
}

const parent = await mkdtemp(join(tmpdir(), 'bench-sync-'));
try {
  const [small, large] = [await setup(parent, sizes[0]!), await setup(parent, sizes[1]!)];
  const t = { small: [] as number[], large: [] as number[], readLarge: [] as number[] };
  await timePull(small);
  await timePull(large);
  for (let i = 0; i < rounds; i++) {
    t.small.push(await timePull(small));
    t.large.push(await timePull(large));
    t.readLarge.push(await timeReadAll(large));
  }
  const m = { small: median(t.small), large: median(t.large), readLarge: median(t.readLarge) };
  const machine = readMachineInfo();
  if (values.json === true) {
    console.log(JSON.stringify({ sizes, rounds, median_ms: m, ratio_large_small: m.large / m.small, ratio_read_all_vs_pull: m.readLarge / m.large, machine }));
  } else {
    console.log(`pull merging ${OWN} new folders each side, ${rounds} rounds interleaved (median ms)`);
    console.log(
      renderTable(
        ['', 'median', 'min'],
        [
          [`pull, ${sizes[0]} shared folders`, m.small.toFixed(0), Math.min(...t.small).toFixed(0)],
          [`pull, ${sizes[1]} shared folders`, m.large.toFixed(0), Math.min(...t.large).toFixed(0)],
          [`read every file of the ${sizes[1]}-folder tree once`, m.readLarge.toFixed(0), Math.min(...t.readLarge).toFixed(0)],
          ['ratio large/small pull', (m.large / m.small).toFixed(2), ''],
          ['ratio read-all/large pull', (m.readLarge / m.large).toFixed(2), ''],
        ],
      ),
    );
    console.log(`${machine.cpu_model}, ${machine.cpus} CPUs, Bun ${machine.bun}, load ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  }
} finally {
  await rm(parent, { recursive: true, force: true });
}
