// Hook bench (DESIGN 18 "hook"): `git commit` with the hooks installed vs without, and `run --sync` for one commit with 10k vs 1M records stored.
//
//   bun bench/hook.ts [--commits 30] [--rounds 5] [--cold-rounds 2] [--folders 100,10000] [--json]
//
// (a) Two temporary repositories, one with `git distill hooks install`, one without; commits are interleaved
//     (without, with, without, with, ...) and each `git commit` is timed as a child process (bench/lib.ts
//     measureCommand). post-commit queues the oid and starts a detached `git-distill hook worker`, which
//     git does not wait for: what the user feels is the commit's wall time.
// (b) Two repositories whose distill branch already holds S_small and S_large commit folders of 100 evidence
//     records each, written directly with plumbing. One new source commit with a few new log lines is
//     distilled with `bin/git-distill run <oid> --sync` in each, interleaved round by round, with a warm
//     cache (a first run on an earlier commit rebuilt it). The cold-cache cost (first run after a clone or
//     after deleting .distill/cache: restoreFromStore reads every folder once) is measured separately.
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { createHash } from 'node:crypto';
import { createGit, type Git, type TreeEntry } from '../src/io/git.ts';
import { createGitStore } from '../src/store/git-store.ts';
import { readQueue } from '../src/hooks/queue.ts';
import { withWorkerLock } from '../src/distill/worker.ts';
import { buildCommitMessage, COMMITS_DIR, DEFAULT_DISTILL_REF, DISTILL_IDENTITY, FORMAT_CONTENT, FORMAT_FILE } from '../src/store/layout.ts';
import { formatSeconds, measureCommand, median, readCommandVersion, readMachineInfo, renderTable, type MachineInfo, type Measurement } from './lib.ts';
import pkg from '../package.json' with { type: 'json' };

const ROOT = resolve(import.meta.dir, '..');
const COMMIT_TARGET = 1.5;
const RUN_TARGET = 1.2;
/** Evidence records in the template folder every stored folder copies. */
const RECORDS_PER_FOLDER = 100;
/** New log lines per measured commit in (b). */
const NEW_LINES = 5;

interface Flags {
  commits: number;
  rounds: number;
  cold_rounds: number;
  folders: [number, number];
  parts: Set<'commit' | 'run'>;
  bin: string;
  keep: boolean;
  json: boolean;
  /** Commit again only after the previous commit's background worker finished (default), or back to back. */
  back_to_back: boolean;
}

function parseFlags(argv: string[]): Flags {
  const { values } = parseArgs({
    args: argv,
    options: {
      commits: { type: 'string', default: '30' },
      rounds: { type: 'string', default: '5' },
      'cold-rounds': { type: 'string', default: '2' },
      folders: { type: 'string', default: '100,10000' },
      parts: { type: 'string', default: 'commit,run' },
      bin: { type: 'string', default: join(ROOT, 'bin', 'git-distill') },
      keep: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      'back-to-back': { type: 'boolean', default: false },
    },
    strict: true,
  });
  const int = (name: string, v: string | undefined, min: number) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be an integer ≥ ${min}, got ${JSON.stringify(v)}`);
    return n;
  };
  const sizes = String(values.folders).split(',').map((s) => int('folders', s, 1));
  if (sizes.length !== 2) throw new Error('--folders takes two sizes, small and large: --folders 100,10000');
  const parts = new Set(String(values.parts).split(','));
  for (const p of parts) if (p !== 'commit' && p !== 'run') throw new Error(`--parts: unknown part ${JSON.stringify(p)} (commit, run)`);
  return {
    commits: int('commits', values.commits, 1),
    rounds: int('rounds', values.rounds, 1),
    cold_rounds: int('cold-rounds', values['cold-rounds'], 0),
    folders: [sizes[0]!, sizes[1]!],
    parts: parts as Set<'commit' | 'run'>,
    bin: resolve(String(values.bin)),
    keep: values.keep === true,
    json: values.json === true,
    back_to_back: values['back-to-back'] === true,
  };
}

const log = (msg: string) => process.stderr.write(`[bench/hook] ${msg}\n`);

/** A repository with a pinned identity; `.distill/cache/` ignores itself, `logs/` is ignored here. */
async function makeBenchRepo(parent: string, name: string, config: object): Promise<{ dir: string; git: Git }> {
  const dir = join(parent, name);
  mkdirSync(dir, { recursive: true });
  const git = createGit({ cwd: dir });
  await git.run(['init', '-q', '-b', 'main']);
  for (const [k, v] of [
    ['user.name', 'Bench User'],
    ['user.email', 'bench@example.com'],
    ['commit.gpgsign', 'false'],
    ['core.autocrlf', 'false'],
    ['gc.auto', '0'],
  ] as const) {
    await git.run(['config', k, v]);
  }
  mkdirSync(join(dir, '.distill'), { recursive: true });
  writeFileSync(join(dir, '.distill', 'config.json'), JSON.stringify(config, null, 2) + '\n');
  writeFileSync(join(dir, '.gitignore'), 'logs/\n');
  return { dir, git };
}

async function stage(git: Git, dir: string, path: string, text: string): Promise<void> {
  mkdirSync(join(dir, path, '..'), { recursive: true });
  writeFileSync(join(dir, path), text);
  await git.run(['add', '--', path]);
}

function mustSucceed(m: Measurement, what: string): void {
  if (m.exit_code !== 0) throw new Error(`${what} exited ${m.exit_code}: ${m.stderr_tail.trim().slice(-800)}`);
}

// ---------------------------------------------------------------------------------------------
// (a) commit time

interface CommitReport {
  commits: number;
  without_ms: number[];
  with_ms: number[];
  median_without_ms: number;
  median_with_ms: number;
  ratio: number;
  target: number;
  /** Worker outcome in the hooked repository after the last commit. */
  worker: { commits_distilled: number; queue_left: number; waited_ms: number; note: string };
}

/** Wait until the queue is drained and no worker holds the lock. */
async function settleWorker(gitDir: string): Promise<void> {
  const t0 = performance.now();
  const queued = () => existsSync(join(gitDir, 'distill')) && readdirSync(join(gitDir, 'distill')).some((n) => n.startsWith('queue'));
  while (queued() && performance.now() - t0 < 60_000) await Bun.sleep(20);
  if (existsSync(join(gitDir, 'distill'))) await withWorkerLock(gitDir, async () => undefined);
}

async function benchCommit(parent: string, flags: Flags): Promise<CommitReport> {
  const config = { schema_version: 1, sources: [] };
  const plain = await makeBenchRepo(parent, 'commit-without', config);
  const hooked = await makeBenchRepo(parent, 'commit-with', config);
  for (const r of [plain, hooked]) {
    await r.git.run(['add', '-A']);
    await r.git.run(['commit', '-q', '-m', 'setup']);
  }
  const install = await measureCommand([flags.bin, 'hooks', 'install'], { cwd: hooked.dir, stdout: 'capture' });
  mustSucceed(install, 'git distill hooks install');
  const hookFile = join(await hooked.git.gitDir(), 'hooks', 'post-commit');
  if (!existsSync(hookFile)) throw new Error(`hooks install wrote no ${hookFile}`);

  const withoutMs: number[] = [];
  const withMs: number[] = [];
  // One warm-up commit each (page cache, git's first-run costs), not counted.
  for (let i = -1; i < flags.commits; i++) {
    for (const [repo, out] of [
      [plain, withoutMs],
      [hooked, withMs],
    ] as const) {
      await stage(repo.git, repo.dir, 'src/file.txt', `change ${i}\n`);
      const m = await measureCommand(['git', 'commit', '-q', '-m', `change ${i}`], { cwd: repo.dir });
      mustSucceed(m, 'git commit');
      if (i >= 0) out.push(m.wall_ms);
      // By default the next pair starts once this commit's detached worker is done: on 2 cores a worker still
      // distilling competes with the next commit (of either repository) for CPU, which measures the machine,
      // not what the hook adds to `git commit`. --back-to-back keeps commits coming while workers run.
      if (repo === hooked && !flags.back_to_back) await settleWorker(await hooked.git.gitDir());
    }
    if (!flags.json && i >= 0 && (i + 1) % 10 === 0) log(`commits: ${i + 1}/${flags.commits}`);
  }

  // The detached workers outlive the commits; let them finish before reading what they did (and before cleanup):
  // wait for the queue files to go, then take the worker lock, which a running worker holds until it exits.
  const gitDir = await hooked.git.gitDir();
  const t0 = performance.now();
  const queued = () => existsSync(join(gitDir, 'distill')) && readdirSync(join(gitDir, 'distill')).some((n) => n.startsWith('queue'));
  while (queued() && performance.now() - t0 < 60_000) await Bun.sleep(200);
  const queueLeft = (await readQueue(gitDir)).oids.length;
  if (existsSync(join(gitDir, 'distill'))) await withWorkerLock(gitDir, async () => undefined);
  const waited = performance.now() - t0;
  const store = createGitStore({ git: hooked.git, ref: DEFAULT_DISTILL_REF, tool_version: pkg.version });
  const distilled = (await store.listSources()).length;
  await store.close();
  // Installed after the setup commit: the warm-up commit and the measured ones reach the worker.
  const total = flags.commits + 1;
  const note =
    distilled === 0
      ? 'the worker distilled nothing: `git-distill hook worker` missing or failing (it fails silently in the background); commit times still include starting it'
      : `the detached worker distilled ${distilled} of ${total} commits in the background (warm-up included)`;
  const medWithout = median(withoutMs);
  const medWith = median(withMs);
  return {
    commits: flags.commits,
    without_ms: withoutMs,
    with_ms: withMs,
    median_without_ms: medWithout,
    median_with_ms: medWith,
    ratio: medWith / medWithout,
    target: COMMIT_TARGET,
    worker: { commits_distilled: distilled, queue_left: queueLeft, waited_ms: waited, note },
  };
}

// ---------------------------------------------------------------------------------------------
// (b) run --sync with history

const HOUR = 3600;
const EPOCH = Date.parse('2024-01-01T00:00:00Z') / 1000;
const at = (seconds: number) => new Date(seconds * 1000).toISOString().replace('.000Z', 'Z');

/** One auditor-loop `mode_experiments` line touching `file` at `ts`: links to the commit that changed `file` in its window. */
function experimentLine(runId: string, ts: string, file: string): string {
  return (
    JSON.stringify({
      ts,
      task_class: 'scrum_review',
      mode: 'codereview',
      model: 'kimi-k2:1t',
      file_path: file,
      latency_ms: 1200,
      prompt_tokens: 2400,
      completion_tokens: 600,
      response: `review of ${file}: the change keeps the invariant; one nit on naming in line 12`,
      run_id: runId,
    }) + '\n'
  );
}

async function commitAt(git: Git, dir: string, file: string, seconds: number, message: string): Promise<string> {
  await stage(git, dir, file, `${message}\n`);
  const date = `${seconds} +0000`;
  await git.run(['commit', '-q', '-m', message], { env: { GIT_AUTHOR_DATE: date, GIT_COMMITTER_DATE: date } });
  return git.revParse('HEAD');
}

/** A real folder of RECORDS_PER_FOLDER evidence records, distilled by the real pipeline in a scratch repository. */
async function buildTemplateFolder(parent: string, bin: string): Promise<Map<string, Uint8Array>> {
  const repo = await makeBenchRepo(parent, 'template', { schema_version: 1, sources: [{ path: 'logs/*.jsonl' }] });
  const t = EPOCH + 10 * HOUR;
  mkdirSync(join(repo.dir, 'logs'), { recursive: true });
  let lines = '';
  for (let i = 0; i < RECORDS_PER_FOLDER; i++) lines += experimentLine(`template-${i}`, at(t - 600 + i), 'src/template.ts');
  writeFileSync(join(repo.dir, 'logs', 'template.jsonl'), lines);
  const oid = await commitAt(repo.git, repo.dir, 'src/template.ts', t, 'template');
  const m = await measureCommand([bin, 'run', oid, '--sync'], { cwd: repo.dir });
  mustSucceed(m, 'git distill run (template)');
  const store = createGitStore({ git: repo.git, ref: DEFAULT_DISTILL_REF, tool_version: pkg.version });
  const files = await store.readCommit(oid);
  await store.close();
  if (files === null) throw new Error('the template run wrote no folder');
  const evidence = new TextDecoder().decode(files.get('evidence.jsonl') ?? new Uint8Array()).split('\n').filter((l) => l !== '').length;
  if (evidence !== RECORDS_PER_FOLDER) throw new Error(`the template folder holds ${evidence} evidence records, expected ${RECORDS_PER_FOLDER}`);
  return files;
}

/** Deterministic fake source oids, spread over the 256 fan-out directories like real ones. */
function fakeOid(i: number): string {
  return createHash('sha1').update(`bench-folder-${i}`).digest('hex');
}

/**
 * Write a distill branch of `folders` copies of the template folder with plumbing (hash-object, mktree --batch,
 * commit-tree, update-ref). Every copy is the same tree object: the fan-out trees are real, the blobs shared.
 */
async function writeHistory(git: Git, template: Map<string, Uint8Array>, folders: number): Promise<{ commit: string; ms: number }> {
  const t0 = performance.now();
  const paths = [...template.keys()].sort();
  const oids = await git.hashObjects(paths.map((p) => template.get(p)!));
  const writer = git.openTreeWriter();
  try {
    // The folder tree: files at the top, receipts/ one level down.
    const top: TreeEntry[] = [];
    const sub = new Map<string, TreeEntry[]>();
    paths.forEach((p, i) => {
      const slash = p.indexOf('/');
      const entry: TreeEntry = { mode: '100644', type: 'blob', oid: oids[i]!, name: slash < 0 ? p : p.slice(slash + 1) };
      if (slash < 0) top.push(entry);
      else sub.set(p.slice(0, slash), [...(sub.get(p.slice(0, slash)) ?? []), entry]);
    });
    for (const [dir, entries] of sub) top.push({ mode: '040000', type: 'tree', oid: await writer.write(entries), name: dir });
    const folderTree = await writer.write(top);

    const fanout = new Map<string, TreeEntry[]>();
    let last = '';
    for (let i = 0; i < folders; i++) {
      const oid = fakeOid(i);
      last = oid;
      const list = fanout.get(oid.slice(0, 2)) ?? [];
      list.push({ mode: '040000', type: 'tree', oid: folderTree, name: oid });
      fanout.set(oid.slice(0, 2), list);
    }
    const commitsEntries: TreeEntry[] = [];
    for (const [xx, entries] of [...fanout].sort(([a], [b]) => (a < b ? -1 : 1))) {
      commitsEntries.push({ mode: '040000', type: 'tree', oid: await writer.write(entries), name: xx });
    }
    const commitsTree = await writer.write(commitsEntries);
    const format = await git.hashObject(FORMAT_CONTENT);
    const root = await writer.write([
      { mode: '100644', type: 'blob', oid: format, name: FORMAT_FILE },
      { mode: '040000', type: 'tree', oid: commitsTree, name: COMMITS_DIR },
    ]);
    const commit = await git.commitTree({
      tree: root,
      parents: [],
      message: buildCommitMessage(last, `bench history: ${folders} folders of ${RECORDS_PER_FOLDER} records`, pkg.version),
      identity: DISTILL_IDENTITY,
      date: at(EPOCH),
    });
    await git.updateRefCas(DEFAULT_DISTILL_REF, commit, null, 'bench/hook: stored history');
    return { commit, ms: performance.now() - t0 };
  } finally {
    await writer.close();
  }
}

interface RunRepo {
  folders: number;
  records: number;
  dir: string;
  git: Git;
  /** Seconds of the next commit date. */
  clock: number;
  n: number;
  history_ms: number;
}

/** Append NEW_LINES log lines for a new commit and make that commit; returns its oid. */
async function nextCommit(r: RunRepo, tag: string): Promise<string> {
  r.n++;
  r.clock += HOUR;
  const file = `src/change-${r.n}.ts`;
  let lines = '';
  for (let k = 0; k < NEW_LINES; k++) lines += experimentLine(`${tag}-${r.n}-${k}`, at(r.clock - 600 + k), file);
  appendFileSync(join(r.dir, 'logs', 'agent.jsonl'), lines);
  return commitAt(r.git, r.dir, file, r.clock, `change ${r.n}`);
}

interface RunOutput {
  evidence: number;
  wall_ms: number;
  cpu_ms: number;
  peak_rss_kb: number;
}

async function timedRun(bin: string, r: RunRepo, oid: string): Promise<RunOutput> {
  const m = await measureCommand([bin, 'run', oid, '--sync', '--json'], { cwd: r.dir, stdout: 'capture' });
  mustSucceed(m, `git distill run in the ${r.folders}-folder repository`);
  const parsed = JSON.parse(m.stdout ?? '[]') as Array<{ oid: string; evidence: number }>;
  const evidence = parsed.find((x) => x.oid === oid)?.evidence ?? -1;
  if (evidence !== NEW_LINES) throw new Error(`run of ${oid} in the ${r.folders}-folder repository stored ${evidence} evidence records, expected ${NEW_LINES}: the bench measured the wrong work`);
  return { evidence, wall_ms: m.wall_ms, cpu_ms: m.cpu_ms, peak_rss_kb: m.peak_rss_kb };
}

interface RunSide {
  folders: number;
  records_stored: number;
  history_write_ms: number;
  warm_ms: number[];
  cold_ms: number[];
  warm_cpu_ms: number[];
  cold_cpu_ms: number[];
  median_warm_ms: number;
  median_cold_ms: number | null;
  warm_peak_rss_kb: number;
}

interface RunReport {
  rounds: number;
  cold_rounds: number;
  new_lines_per_commit: number;
  records_per_folder: number;
  small: RunSide;
  large: RunSide;
  warm_ratio: number;
  cold_ratio: number | null;
  target: number;
}

async function benchRun(parent: string, flags: Flags): Promise<RunReport> {
  log('distilling the template folder');
  const template = await buildTemplateFolder(parent, flags.bin);
  const repos: RunRepo[] = [];
  for (const folders of flags.folders) {
    const { dir, git } = await makeBenchRepo(parent, `run-${folders}`, { schema_version: 1, sources: [{ path: 'logs/*.jsonl' }] });
    mkdirSync(join(dir, 'logs'), { recursive: true });
    writeFileSync(join(dir, 'logs', 'agent.jsonl'), '');
    await git.run(['add', '-A']);
    const base = `${EPOCH + HOUR} +0000`;
    await git.run(['commit', '-q', '-m', 'setup'], { env: { GIT_AUTHOR_DATE: base, GIT_COMMITTER_DATE: base } });
    log(`writing ${folders} folders (${folders * RECORDS_PER_FOLDER} records) to refs/heads/distill`);
    const history = await writeHistory(git, template, folders);
    repos.push({ folders, records: folders * RECORDS_PER_FOLDER, dir, git, clock: EPOCH + HOUR, n: 0, history_ms: history.ms });
  }

  const cold = new Map<number, RunOutput[]>(repos.map((r) => [r.folders, []]));
  const warm = new Map<number, RunOutput[]>(repos.map((r) => [r.folders, []]));
  // Cold: no cache at all, so the run rebuilds it from every stored folder first (what a fresh clone pays once).
  // The first cold run also serves as the warm-up of the warm rounds.
  for (let i = 0; i < Math.max(1, flags.cold_rounds); i++) {
    for (const r of repos) {
      rmSync(join(r.dir, '.distill', 'cache'), { recursive: true, force: true });
      const oid = await nextCommit(r, 'cold');
      const out = await timedRun(flags.bin, r, oid);
      if (i < flags.cold_rounds) cold.get(r.folders)!.push(out);
      log(`cold ${i + 1}: ${r.folders} folders: ${formatSeconds(out.wall_ms)} s`);
    }
  }
  for (let i = 0; i < flags.rounds; i++) {
    for (const r of repos) {
      const oid = await nextCommit(r, 'warm');
      warm.get(r.folders)!.push(await timedRun(flags.bin, r, oid));
    }
    if (!flags.json) log(`warm rounds: ${i + 1}/${flags.rounds}`);
  }

  const side = (r: RunRepo): RunSide => {
    const w = warm.get(r.folders)!;
    const c = cold.get(r.folders)!;
    return {
      folders: r.folders,
      records_stored: r.records,
      history_write_ms: r.history_ms,
      warm_ms: w.map((x) => x.wall_ms),
      cold_ms: c.map((x) => x.wall_ms),
      warm_cpu_ms: w.map((x) => x.cpu_ms),
      cold_cpu_ms: c.map((x) => x.cpu_ms),
      median_warm_ms: median(w.map((x) => x.wall_ms)),
      median_cold_ms: c.length === 0 ? null : median(c.map((x) => x.wall_ms)),
      warm_peak_rss_kb: Math.max(...w.map((x) => x.peak_rss_kb)),
    };
  };
  const small = side(repos[0]!);
  const large = side(repos[1]!);
  return {
    rounds: flags.rounds,
    cold_rounds: flags.cold_rounds,
    new_lines_per_commit: NEW_LINES,
    records_per_folder: RECORDS_PER_FOLDER,
    small,
    large,
    warm_ratio: large.median_warm_ms / small.median_warm_ms,
    cold_ratio: large.median_cold_ms === null || small.median_cold_ms === null ? null : large.median_cold_ms / small.median_cold_ms,
    target: RUN_TARGET,
  };
}

// ---------------------------------------------------------------------------------------------

export interface Report {
  bench: 'hook';
  date: string;
  machine: MachineInfo;
  git: string | null;
  load_before: number[];
  load_after: number[];
  commit: CommitReport | null;
  run: RunReport | null;
}

const ms = (x: number) => `${x.toFixed(1)} ms`;
const verdict = (ratio: number, target: number) => (ratio <= target ? 'meets' : 'MISSES');

export function renderReport(r: Report): string {
  const out: string[] = [
    `bench/hook  ${r.date}`,
    `machine: ${r.machine.cpu_model}, ${r.machine.cpus} CPUs, ${r.machine.mem_total_gb} GB, ${r.machine.kernel}; bun ${r.machine.bun}; ${r.git ?? 'git ?'}`,
    `load average (1/5/15 min): before ${r.load_before.map((x) => x.toFixed(2)).join(' ')}, after ${r.load_after.map((x) => x.toFixed(2)).join(' ')}`,
    '',
  ];
  if (r.commit !== null) {
    const c = r.commit;
    out.push(
      `(a) git commit wall time, ${c.commits} commits each, interleaved (medians)`,
      '',
      renderTable(
        ['repository', '>median', '>min', '>max'],
        [
          ['without hooks', ms(c.median_without_ms), ms(Math.min(...c.without_ms)), ms(Math.max(...c.without_ms))],
          ['with hooks', ms(c.median_with_ms), ms(Math.min(...c.with_ms)), ms(Math.max(...c.with_ms))],
        ],
      ),
      '',
      `with / without: ${c.ratio.toFixed(2)}x (target <= ${c.target}x: ${verdict(c.ratio, c.target)})`,
      `worker: ${c.worker.note}; ${c.worker.queue_left} oids left in the queue after ${formatSeconds(c.worker.waited_ms)} s`,
      '',
    );
  }
  if (r.run !== null) {
    const x = r.run;
    const row = (s: RunSide) => [
      `${s.folders} folders`,
      s.records_stored.toLocaleString('en-US'),
      ms(s.median_warm_ms),
      ms(median(s.warm_cpu_ms)),
      s.median_cold_ms === null ? 'n/a' : ms(s.median_cold_ms),
      `${(s.warm_peak_rss_kb / 1024).toFixed(1)} MiB`,
      formatSeconds(s.history_write_ms) + ' s',
    ];
    out.push(
      `(b) git distill run <oid> --sync for one commit with ${x.new_lines_per_commit} new log lines; ${x.rounds} warm rounds, ${x.cold_rounds} cold (medians)`,
      '',
      renderTable(['stored history', '>records', '>warm wall', '>warm cpu', '>cold wall', '>warm peak RSS', '>history written in'], [row(x.small), row(x.large)]),
      '',
      `warm ${x.large.records_stored.toLocaleString('en-US')} / ${x.small.records_stored.toLocaleString('en-US')} records: ${x.warm_ratio.toFixed(2)}x (target <= ${x.target}x: ${verdict(x.warm_ratio, x.target)})`,
      `cold (no .distill/cache: rebuilt from every folder, once per clone): ${x.cold_ratio === null ? 'not measured (--cold-rounds 0)' : `${x.cold_ratio.toFixed(2)}x`}`,
      `stored folders are copies of one real ${x.records_per_folder}-record folder (same blobs and tree, distinct fan-out entries): see bench/README.md`,
    );
  }
  return out.join('\n') + '\n';
}

async function main(argv: string[]): Promise<void> {
  const flags = parseFlags(argv);
  const parent = mkdtempSync(join(tmpdir(), 'bench-hook-'));
  const report: Report = {
    bench: 'hook',
    date: new Date().toISOString(),
    machine: readMachineInfo(),
    git: readCommandVersion(['git', '--version']),
    load_before: loadavg(),
    load_after: [],
    commit: null,
    run: null,
  };
  try {
    if (flags.parts.has('commit')) report.commit = await benchCommit(parent, flags);
    if (flags.parts.has('run')) report.run = await benchRun(parent, flags);
  } finally {
    report.load_after = loadavg();
    if (flags.keep) log(`kept ${parent}`);
    else rmSync(parent, { recursive: true, force: true });
  }
  if (flags.json) console.log(JSON.stringify(report, null, 2));
  else process.stdout.write(renderReport(report));
}

if (import.meta.main) await main(process.argv.slice(2));
