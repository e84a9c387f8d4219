// Ingest bench (DESIGN 18 "ingest" and "memory"): git-distill ingest vs a bare read-and-JSON.parse loop and jq, side by side.
//
//   bun bench/ingest.ts [--mb 300] [--rounds 3] [--quick] [--memory] [--json]
//
// Every column is a child process measured the same way (bench/lib.ts measureCommand: wall time around
// spawn → exit, peak RSS from GNU time), interleaved round by round (floor, jq, jq-lines, ingest, floor, ...)
// so a noisy machine slows all of them alike; the figures are medians. Ratios, not absolute numbers, are
// what the targets speak of.
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readSync, renameSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { basename, join, resolve } from 'node:path';
import {
  DEFAULT_BAD_RATE,
  DEFAULT_SECRET_RATE,
  GENERATOR_VERSION,
  generateAuditorLogs,
  MANIFEST_FILE,
  STREAMS,
  type GenManifest,
} from './gen-auditor-logs.ts';
import {
  findExecutable,
  formatMb,
  formatRssKb,
  formatSeconds,
  hasGnuTime,
  mbPerSecond,
  measureCommand,
  median,
  readCommandVersion,
  readMachineInfo,
  renderTable,
  type MachineInfo,
  type Measurement,
} from './lib.ts';

const ROOT = resolve(import.meta.dir, '..');
const CLEAN_MARKER = '.source';

// ---------------------------------------------------------------------------------------------
// The line loop: shared by the floor child and the clean-copy writer, so both split lines the same way.

const CHUNK = 1 << 22;

/** Calls onLine with each \n-terminated line's bytes (without the \n; a final unterminated line counts too). */
function forEachLine(file: string, onLine: (line: Uint8Array) => void): number {
  const fd = openSync(file, 'r');
  const buf = Buffer.allocUnsafe(CHUNK);
  let carry: Buffer | null = null;
  let bytes = 0;
  try {
    for (;;) {
      const n = readSync(fd, buf, 0, CHUNK, null);
      if (n === 0) break;
      bytes += n;
      let start = 0;
      for (;;) {
        const nl = buf.indexOf(0x0a, start);
        if (nl < 0 || nl >= n) break;
        if (carry !== null) {
          onLine(Buffer.concat([carry, buf.subarray(start, nl)]));
          carry = null;
        } else {
          onLine(buf.subarray(start, nl));
        }
        start = nl + 1;
      }
      // The rest of the chunk belongs to a line that continues in the next read: copy it out of the reused buffer.
      if (start < n) carry = carry === null ? Buffer.from(buf.subarray(start, n)) : Buffer.concat([carry, buf.subarray(start, n)]);
    }
    if (carry !== null && carry.length > 0) onLine(carry);
  } finally {
    closeSync(fd);
  }
  return bytes;
}

function isBlank(line: Uint8Array): boolean {
  for (const b of line) if (b !== 0x20 && b !== 0x09 && b !== 0x0d) return false;
  return true;
}

export interface FloorCounts {
  bytes: number;
  lines: number;
  parsed: number;
  bad: number;
  blank: number;
}

/**
 * The floor: read in 4 MiB chunks, split on \n, decode as UTF-8 (rejecting invalid bytes, which any
 * honest ingest must do), JSON.parse. Nothing else: no records, no output but the counts.
 */
function runFloor(files: readonly string[]): FloorCounts {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  const c: FloorCounts = { bytes: 0, lines: 0, parsed: 0, bad: 0, blank: 0 };
  for (const f of files) {
    c.bytes += forEachLine(f, (line) => {
      c.lines++;
      if (isBlank(line)) {
        c.blank++;
        return;
      }
      try {
        const v: unknown = JSON.parse(decoder.decode(line));
        if (v !== null && typeof v === 'object') c.parsed++;
        else c.bad++;
      } catch {
        c.bad++;
      }
    });
  }
  return c;
}

// ---------------------------------------------------------------------------------------------
// Data

interface Dataset {
  dir: string;
  files: string[];
  manifest: GenManifest;
}

function datasetDir(dataRoot: string, mb: number, seed: number): string {
  return join(dataRoot, `auditor-${mb}mb-seed${seed}`);
}

function readManifest(dir: string): GenManifest | null {
  const p = join(dir, MANIFEST_FILE);
  if (!existsSync(p)) return null;
  try {
    return JSON.parse(readFileSync(p, 'utf8')) as GenManifest;
  } catch {
    return null;
  }
}

function ensureDataset(dataRoot: string, mb: number, seed: number): Dataset {
  const dir = datasetDir(dataRoot, mb, seed);
  const target_bytes = Math.round(mb * 1e6);
  let manifest = readManifest(dir);
  const fresh =
    manifest !== null &&
    manifest.generator_version === GENERATOR_VERSION &&
    manifest.seed === seed &&
    manifest.target_bytes === target_bytes &&
    manifest.bad_rate === DEFAULT_BAD_RATE &&
    manifest.secret_rate === DEFAULT_SECRET_RATE &&
    STREAMS.every((s) => existsSync(join(dir, `${s}.jsonl`)));
  if (!fresh || manifest === null) {
    progress(`generating ${mb} MB (seed ${seed}) into ${dir} ...`);
    const t0 = performance.now();
    manifest = generateAuditorLogs({ out_dir: dir, target_bytes, seed, bad_rate: DEFAULT_BAD_RATE, secret_rate: DEFAULT_SECRET_RATE });
    progress(`  generated ${formatMb(manifest.total_bytes)} in ${formatSeconds(performance.now() - t0)} s`);
  } else {
    progress(`reusing ${dir} (${formatMb(manifest.total_bytes)}, seed ${seed})`);
  }
  return { dir, files: STREAMS.map((s) => join(dir, `${s}.jsonl`)), manifest };
}

/**
 * `jq -c .` stops at the first line it cannot parse (jq 1.6: "parse error ... at line N", exit 2/4), so on
 * dirty logs it measures almost nothing. Its column therefore reads a clean copy: the same lines minus
 * those that fail strict UTF-8 decoding or JSON.parse, in one file. Built once per data set.
 */
function ensureCleanCopy(ds: Dataset): { file: string; bytes: number } {
  const dir = `${ds.dir}-clean`;
  const file = join(dir, 'clean.jsonl');
  const key = Object.values(ds.manifest.streams)
    .map((s) => s.sha256)
    .join(',');
  const marker = join(dir, CLEAN_MARKER);
  if (existsSync(file) && existsSync(marker) && readFileSync(marker, 'utf8') === key) {
    return { file, bytes: Bun.file(file).size };
  }
  progress(`writing the clean copy for jq -c . into ${dir} ...`);
  mkdirSync(dir, { recursive: true });
  rmSync(marker, { force: true });
  const tmp = `${file}.tmp`;
  const fd = openSync(tmp, 'w');
  const decoder = new TextDecoder('utf-8', { fatal: true });
  const NL = Uint8Array.of(0x0a);
  let bytes = 0;
  try {
    for (const f of ds.files) {
      forEachLine(f, (line) => {
        if (isBlank(line)) return;
        try {
          JSON.parse(decoder.decode(line));
        } catch {
          return;
        }
        writeSync(fd, line);
        writeSync(fd, NL);
        bytes += line.length + 1;
      });
    }
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
  writeFileSync(marker, key);
  return { file, bytes };
}

/** Reads every file once so the first measured column does not pay for a cold page cache. */
function warmPageCache(files: readonly string[]): void {
  const buf = Buffer.allocUnsafe(CHUNK);
  for (const f of files) {
    const fd = openSync(f, 'r');
    while (readSync(fd, buf, 0, CHUNK, null) > 0) {}
    closeSync(fd);
  }
}

// ---------------------------------------------------------------------------------------------
// Columns

type ColumnId = 'floor' | 'jq' | 'jq-lines' | 'ingest' | 'ingest-pool' | 'baseline';
const ALL_COLUMNS: readonly ColumnId[] = ['floor', 'jq', 'jq-lines', 'ingest', 'ingest-pool', 'baseline'];
/** What runs unless --columns says otherwise; baseline needs --baseline. */
const DEFAULT_COLUMNS: readonly ColumnId[] = ['floor', 'jq', 'jq-lines', 'ingest', 'ingest-pool'];
/** Workers for the ingest-pool column: one per core. */
const POOL_JOBS = availableParallelism();

interface Column {
  id: ColumnId;
  label: string;
  /** Display form of the command, with the file list abbreviated. */
  command: string;
  argv: string[];
  /** Input bytes the command reads: the throughput denominator. */
  bytes: number;
  capture: boolean;
  available: boolean;
  reason: string | null;
}

interface RunRecord {
  wall_ms: number;
  cpu_ms: number;
  peak_rss_kb: number;
  exit_code: number;
}

interface ColumnResult {
  id: ColumnId;
  label: string;
  command: string;
  available: boolean;
  /** Why the column has no figures: missing tool, missing command, or a failed run. */
  reason: string | null;
  bytes: number;
  runs: RunRecord[];
  median_wall_ms: number | null;
  mb_per_s: number | null;
  median_cpu_ms: number | null;
  /** Throughput per CPU-second: less sensitive than mb_per_s to other load on the machine. */
  mb_per_cpu_s: number | null;
  median_peak_rss_kb: number | null;
  /** Parsed stdout of the last run: FloorCounts for floor, the ingest --json summary for ingest. */
  output: unknown;
}

/** The informative part of a child's stderr: non-empty lines without Bun's closing version banner, at most three. */
function errorLines(stderr: string): string {
  return stderr
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !/^Bun v\d/.test(l))
    .slice(-3)
    .join(' | ');
}

function ingestAvailability(bin: string): string | null {
  if (!existsSync(bin)) return `${bin} not found`;
  if (bin === join(ROOT, 'bin/git-distill') && !existsSync(join(ROOT, 'src/cli/main.ts'))) {
    return 'src/cli/main.ts does not exist yet';
  }
  const r = Bun.spawnSync([bin, 'ingest', '--help'], { stdout: 'pipe', stderr: 'pipe', cwd: ROOT });
  if (r.exitCode !== 0) {
    const err = errorLines(r.stderr.toString());
    return `\`git-distill ingest --help\` exited ${r.exitCode}${err === '' ? '' : `: ${err}`}`;
  }
  return null;
}

function ingestColumn(id: ColumnId, label: string, bin: string | null, extra: string[], ds: Dataset): Column {
  const reason = bin === null ? 'no --baseline given' : ingestAvailability(bin);
  const shown = `${ds.dir}/*.jsonl`;
  return {
    id,
    label,
    command: `${bin === null ? '<baseline>' : bin === join(ROOT, 'bin/git-distill') ? basename(bin) : bin} ingest ${shown} --json${extra.map((a) => ' ' + a).join('')}`,
    argv: bin === null ? [] : [bin, 'ingest', ...ds.files, '--json', ...extra],
    bytes: ds.manifest.total_bytes,
    capture: true,
    available: reason === null,
    reason,
  };
}

function buildColumns(ds: Dataset, wanted: readonly ColumnId[], bin: string, baseline: string | null = null): Column[] {
  const files = ds.files;
  const shown = `${ds.dir}/*.jsonl`;
  const jq = findExecutable('jq');
  const noJq = 'jq is not installed (apt-get install -y jq)';
  const cols: Column[] = [];
  for (const id of wanted) {
    if (id === 'floor') {
      cols.push({
        id,
        label: 'bun read+JSON.parse loop (floor)',
        command: `bun bench/ingest.ts --floor-child ${shown}`,
        argv: [process.execPath, import.meta.path, '--floor-child', ...files],
        bytes: ds.manifest.total_bytes,
        capture: true,
        available: true,
        reason: null,
      });
    } else if (id === 'jq') {
      const clean = jq === null ? null : ensureCleanCopy(ds);
      cols.push({
        id,
        label: 'jq -c . (clean copy)',
        command: `jq -c . ${clean?.file ?? '<clean copy>'} > /dev/null`,
        argv: jq === null || clean === null ? [] : [jq, '-c', '.', clean.file],
        bytes: clean?.bytes ?? 0,
        capture: false,
        available: jq !== null,
        reason: jq === null ? noJq : null,
      });
    } else if (id === 'jq-lines') {
      cols.push({
        id,
        label: "jq -cR 'fromjson?' (same files)",
        command: `jq -cR 'fromjson?' ${shown} > /dev/null`,
        argv: jq === null ? [] : [jq, '-cR', 'fromjson?', ...files],
        bytes: ds.manifest.total_bytes,
        capture: false,
        available: jq !== null,
        reason: jq === null ? noJq : null,
      });
    } else if (id === 'ingest') {
      cols.push(ingestColumn(id, 'git-distill ingest', bin, [], ds));
    } else if (id === 'ingest-pool') {
      cols.push(ingestColumn(id, `git-distill ingest --jobs ${POOL_JOBS}`, bin, ['--jobs', String(POOL_JOBS)], ds));
    } else {
      cols.push(ingestColumn(id, 'baseline: another build', baseline, [], ds));
    }
  }
  return cols;
}

function emptyResult(c: Column): ColumnResult {
  return {
    id: c.id,
    label: c.label,
    command: c.command,
    available: c.available,
    reason: c.reason,
    bytes: c.bytes,
    runs: [],
    median_wall_ms: null,
    mb_per_s: null,
    median_cpu_ms: null,
    mb_per_cpu_s: null,
    median_peak_rss_kb: null,
    output: null,
  };
}

function parseJsonOutput(m: Measurement): unknown {
  if (m.stdout === null || m.stdout.trim() === '') return null;
  try {
    return JSON.parse(m.stdout) as unknown;
  } catch {
    return { unparsed_stdout: m.stdout.slice(0, 2000) };
  }
}

/** Runs the columns interleaved, `rounds` times, and fills in medians. A failed run retires its column. */
async function runInterleaved(cols: readonly Column[], rounds: number, tag: string): Promise<ColumnResult[]> {
  const results = cols.map(emptyResult);
  for (let r = 1; r <= rounds; r++) {
    for (const [i, col] of cols.entries()) {
      const res = results[i];
      if (res === undefined || !res.available || res.reason !== null) continue;
      const m = await measureCommand(col.argv, { cwd: ROOT, stdout: col.capture ? 'capture' : 'ignore' });
      if (m.exit_code !== 0) {
        res.reason = `exited ${m.exit_code}: ${errorLines(m.stderr_tail)}`;
        progress(`${tag} round ${r}/${rounds} ${col.id}: FAILED (${res.reason})`);
        continue;
      }
      res.runs.push({ wall_ms: Math.round(m.wall_ms), cpu_ms: m.cpu_ms, peak_rss_kb: m.peak_rss_kb, exit_code: m.exit_code });
      res.output = parseJsonOutput(m);
      progress(`${tag} round ${r}/${rounds} ${col.id}: ${formatSeconds(m.wall_ms)} s, ${formatRssKb(m.peak_rss_kb)}`);
    }
  }
  for (const res of results) finishMedians(res);
  return results;
}

// ---------------------------------------------------------------------------------------------
// Report

interface Ratio {
  name: string;
  value: number | null;
  /** The ratio must be at least this (throughput) or at most this (memory); null: shown for reference only. */
  target: number | null;
  direction: 'min' | 'max';
  pass: boolean | null;
  why_missing: string | null;
}

function ratio(name: string, num: number | null, den: number | null, target: number | null, direction: 'min' | 'max', missing: string): Ratio {
  if (num === null || den === null || den === 0) {
    return { name, value: null, target, direction, pass: null, why_missing: missing };
  }
  const value = Math.round((num / den) * 100) / 100;
  const pass = target === null ? null : direction === 'min' ? value >= target : value <= target;
  return { name, value, target, direction, pass, why_missing: null };
}

interface Check {
  name: string;
  /** null: shown for information, not a pass/fail condition. */
  ok: boolean | null;
  detail: string;
}

function recordChecks(ds: Dataset, results: readonly ColumnResult[]): Check[] {
  const m = ds.manifest;
  const checks: Check[] = [];
  const badNonBlank = m.bad_lines_by_kind.truncated + m.bad_lines_by_kind.invalid_utf8;
  const floor = results.find((r) => r.id === 'floor')?.output as FloorCounts | null | undefined;
  if (floor) {
    const ok = floor.lines === m.total_lines && floor.blank === m.bad_lines_by_kind.blank && floor.bad === badNonBlank && floor.bytes === m.total_bytes;
    checks.push({
      name: 'floor read every line',
      ok,
      detail: `${floor.lines}/${m.total_lines} lines, ${floor.parsed} parsed, ${floor.bad} bad (expected ${badNonBlank}), ${floor.blank} blank (expected ${m.bad_lines_by_kind.blank})`,
    });
  }
  const ingest = results.find((r) => r.id === 'ingest')?.output;
  if (ingest !== null && ingest !== undefined && typeof ingest === 'object') {
    const s = ingest as Record<string, unknown>;
    const num = (k: string): number | null => (typeof s[k] === 'number' ? (s[k] as number) : null);
    const lines = num('lines');
    const evidence = num('evidence');
    const quarantined = num('quarantined');
    const blank = num('blank');
    checks.push({
      name: 'ingest read every line',
      ok: lines === m.total_lines,
      detail: `ingest lines ${lines ?? 'missing'} vs ${m.total_lines} written`,
    });
    if (lines !== null && evidence !== null && quarantined !== null && blank !== null) {
      checks.push({
        name: 'ingest counts reconcile',
        ok: lines === evidence + quarantined + blank,
        detail: `${lines} = ${evidence} evidence + ${quarantined} quarantined + ${blank} blank`,
      });
      checks.push({
        name: 'ingest quarantined the bad lines',
        ok: quarantined >= badNonBlank && blank === m.bad_lines_by_kind.blank,
        detail: `${quarantined} quarantined (${badNonBlank} planted bad lines), ${blank} blank (${m.bad_lines_by_kind.blank} planted)`,
      });
    }
    const red = s['redactions_by_rule'];
    if (red !== null && typeof red === 'object') {
      const total = Object.values(red as Record<string, unknown>).reduce<number>((a, v) => a + (typeof v === 'number' ? v : 0), 0);
      const planted = Object.values(m.secrets_by_kind).reduce((a, v) => a + v, 0);
      // Not pass/fail: a secret in a field the adapter does not carry, or in a quarantined line, is never
      // stored and so never counted. Whether any reached the output is a test's job, not the bench's.
      checks.push({
        name: 'redactions vs planted secrets',
        ok: null,
        detail: `${total} redactions counted; ${planted} key-shaped secrets planted`,
      });
    }
  }
  return checks;
}

interface MemorySection {
  small: { mb: number; bytes: number; results: ColumnResult[] };
  large: { mb: number; bytes: number; results: ColumnResult[] };
  rounds: number;
  ratios: Ratio[];
}

interface BenchReport {
  bench: 'ingest';
  date: string;
  machine: MachineInfo & { jq: string | null; rss_source: string };
  data: { dir: string; bytes: number; lines: number; records: number; bad_lines: number; streams: number; seed: number; generator_version: number };
  rounds: number;
  columns: ColumnResult[];
  ratios: Ratio[];
  checks: Check[];
  memory: MemorySection | null;
}

function renderRatio(r: Ratio): string[] {
  const target = r.target === null ? '-' : `${r.direction === 'min' ? '≥' : '≤'} ${r.target}`;
  const verdict =
    r.value === null ? `n/a (${r.why_missing ?? ''})` : r.pass === null ? 'for reference' : r.pass ? 'meets target' : 'MISSES target';
  return [r.name, r.value === null ? 'n/a' : `${r.value}×`, target, verdict];
}

function renderColumns(results: readonly ColumnResult[]): string {
  return renderTable(
    ['column', 'what', '>wall s', '>MB/s', '>cpu s', '>MB/cpu-s', '>peak RSS', 'runs (wall s)'],
    results.map((r) => [
      r.id,
      r.label,
      r.median_wall_ms === null ? 'n/a' : formatSeconds(r.median_wall_ms),
      r.mb_per_s === null ? 'n/a' : r.mb_per_s.toFixed(1),
      r.median_cpu_ms === null ? 'n/a' : formatSeconds(r.median_cpu_ms),
      r.mb_per_cpu_s === null ? 'n/a' : r.mb_per_cpu_s.toFixed(1),
      r.median_peak_rss_kb === null ? 'n/a' : formatRssKb(r.median_peak_rss_kb),
      r.reason !== null ? r.reason : r.runs.map((x) => formatSeconds(x.wall_ms)).join(' '),
    ]),
  );
}

function renderReport(rep: BenchReport): string {
  const d = rep.data;
  const mc = rep.machine;
  const out: string[] = [];
  out.push(
    `ingest bench — ${formatMb(d.bytes)} of auditor-loop JSONL (${d.streams} streams, ${d.lines} lines, ${d.bad_lines} bad), seed ${d.seed}; ${rep.rounds} interleaved round(s), medians`,
    `machine: ${mc.cpu_model}, ${mc.cpus} CPUs, ${mc.mem_total_gb} GB RAM, ${mc.kernel}, bun ${mc.bun}, ${mc.jq ?? 'no jq'}; peak RSS from ${mc.rss_source}; ${rep.date}`,
    '',
    renderColumns(rep.columns),
    '',
    renderTable(['ratio', '>value', 'target', 'verdict'], rep.ratios.map(renderRatio)),
  );
  if (rep.checks.length > 0) {
    out.push('', 'checks:');
    for (const c of rep.checks) out.push(`  ${c.ok === null ? 'info' : c.ok ? 'ok  ' : 'FAIL'} ${c.name}: ${c.detail}`);
  }
  if (rep.memory !== null) {
    const mem = rep.memory;
    out.push('', `memory — peak RSS ingesting ${formatMb(mem.large.bytes)} vs ${formatMb(mem.small.bytes)} (${mem.rounds} round(s), medians)`);
    const rows: string[][] = [];
    for (const part of [mem.small, mem.large]) {
      for (const r of part.results) {
        rows.push([
          `${r.id} @ ${formatMb(part.bytes)}`,
          r.median_wall_ms === null ? 'n/a' : formatSeconds(r.median_wall_ms),
          r.mb_per_s === null ? 'n/a' : r.mb_per_s.toFixed(1),
          r.median_peak_rss_kb === null ? 'n/a' : formatRssKb(r.median_peak_rss_kb),
          r.reason ?? '',
        ]);
      }
    }
    out.push(renderTable(['run', '>wall s', '>MB/s', '>peak RSS', 'note'], rows), '');
    out.push(renderTable(['ratio', '>value', 'target', 'verdict'], mem.ratios.map(renderRatio)));
  }
  return out.join('\n');
}

// ---------------------------------------------------------------------------------------------
// CLI

const USAGE = `usage: bun bench/ingest.ts [--mb N] [--seed N] [--rounds N] [--quick] [--memory] [--json]
                          [--columns floor,jq,jq-lines,ingest,ingest-pool,baseline] [--data-dir DIR] [--bin PATH]
                          [--baseline PATH]

Generates (or reuses) N MB of auditor-loop JSONL and measures, interleaved, the floor (a bare bun
read+JSON.parse loop), jq, and \`git-distill ingest <files> --json\` on one thread (the default) and
with --jobs <cores>; prints MB/s, CPU seconds, peak RSS and ratios.
  --mb N            data set size in MB of 10^6 bytes (default 300; --quick: 50)
  --seed N          generator seed (default 42)
  --rounds N        interleaved repetitions, medians reported (default 3; --quick: 1)
  --memory          also measure peak RSS at 1000 MB vs 100 MB (--quick: 100 vs 10); generates both
  --memory-rounds N repetitions for the memory section (default 1)
  --columns LIST    which columns to run (default all but baseline)
  --data-dir DIR    where data sets live (default bench/data, git-ignored)
  --bin PATH        the git-distill launcher (default bin/git-distill)
  --baseline PATH   another build's launcher (e.g. a checkout of main: <dir>/bin/git-distill), run as the
                    column 'baseline' interleaved with the others: before/after in one run
  --json            print the report as JSON on stdout (progress stays on stderr)`;

interface Flags {
  mb: number;
  seed: number;
  rounds: number;
  quick: boolean;
  memory: boolean;
  memoryRounds: number;
  json: boolean;
  columns: ColumnId[];
  dataDir: string;
  bin: string;
  baseline: string | null;
}

function usageError(msg: string): never {
  console.error(`bench/ingest: ${msg}\n\n${USAGE}`);
  process.exit(2);
}

function parseFlags(argv: readonly string[]): Flags {
  let mb: number | null = null;
  let rounds: number | null = null;
  const f: Flags = {
    mb: 300,
    seed: 42,
    rounds: 3,
    quick: false,
    memory: false,
    memoryRounds: 1,
    json: false,
    columns: [...DEFAULT_COLUMNS],
    dataDir: join(ROOT, 'bench/data'),
    bin: join(ROOT, 'bin/git-distill'),
    baseline: null,
  };
  const num = (name: string, raw: string | undefined, min: number): number => {
    const n = Number(raw);
    if (raw === undefined || !Number.isFinite(n) || n < min) usageError(`${name} needs a number ≥ ${min}, got ${raw ?? 'nothing'}`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--mb') mb = num('--mb', argv[++i], 0.001);
    else if (a === '--seed') f.seed = num('--seed', argv[++i], 0);
    else if (a === '--rounds') rounds = Math.floor(num('--rounds', argv[++i], 1));
    else if (a === '--memory-rounds') f.memoryRounds = Math.floor(num('--memory-rounds', argv[++i], 1));
    else if (a === '--quick') f.quick = true;
    else if (a === '--memory') f.memory = true;
    else if (a === '--json') f.json = true;
    else if (a === '--data-dir') f.dataDir = resolve(argv[++i] ?? usageError('--data-dir needs a path'));
    else if (a === '--bin') f.bin = resolve(argv[++i] ?? usageError('--bin needs a path'));
    else if (a === '--baseline') f.baseline = resolve(argv[++i] ?? usageError('--baseline needs a path'));
    else if (a === '--columns') {
      const list = (argv[++i] ?? '').split(',').filter((x) => x !== '');
      for (const c of list) if (!(ALL_COLUMNS as readonly string[]).includes(c)) usageError(`unknown column ${c}`);
      if (list.length === 0) usageError('--columns needs a list');
      f.columns = list as ColumnId[];
    } else if (a === '--help' || a === '-h') {
      console.log(USAGE);
      process.exit(0);
    } else usageError(`unknown argument ${a}`);
  }
  if (f.baseline !== null && !f.columns.includes('baseline')) f.columns.push('baseline');
  f.mb = mb ?? (f.quick ? 50 : 300);
  f.rounds = rounds ?? (f.quick ? 1 : 3);
  return f;
}

function progress(msg: string): void {
  console.error(msg);
}

async function runMemory(f: Flags, dataRoot: string): Promise<MemorySection> {
  const smallMb = f.quick ? 10 : 100;
  const largeMb = f.quick ? 100 : 1000;
  const small = ensureDataset(dataRoot, smallMb, f.seed);
  const large = ensureDataset(dataRoot, largeMb, f.seed);
  const ids = f.columns.filter((c) => c !== 'jq' && c !== 'jq-lines');
  const colsSmall = buildColumns(small, ids, f.bin, f.baseline);
  const colsLarge = buildColumns(large, ids, f.bin, f.baseline);
  // Interleave sizes too: floor@small, ingest@small, floor@large, ingest@large, then again.
  const resSmall = colsSmall.map(emptyResult);
  const resLarge = colsLarge.map(emptyResult);
  for (let r = 0; r < f.memoryRounds; r++) {
    warmPageCache(small.files);
    const s = await runInterleaved(colsSmall, 1, `memory ${smallMb} MB`);
    warmPageCache(large.files);
    const l = await runInterleaved(colsLarge, 1, `memory ${largeMb} MB`);
    mergeRound(resSmall, s);
    mergeRound(resLarge, l);
  }
  for (const res of [...resSmall, ...resLarge]) finishMedians(res);
  const rss = (rs: readonly ColumnResult[], id: ColumnId): number | null => rs.find((x) => x.id === id)?.median_peak_rss_kb ?? null;
  const why = (id: ColumnId): string => resSmall.find((x) => x.id === id)?.reason ?? resLarge.find((x) => x.id === id)?.reason ?? 'not run';
  const label = `peak RSS ${largeMb} MB / ${smallMb} MB`;
  return {
    small: { mb: smallMb, bytes: small.manifest.total_bytes, results: resSmall },
    large: { mb: largeMb, bytes: large.manifest.total_bytes, results: resLarge },
    rounds: f.memoryRounds,
    ratios: [
      ratio(`ingest ${label}`, rss(resLarge, 'ingest'), rss(resSmall, 'ingest'), 1.3, 'max', why('ingest')),
      ratio(`ingest --jobs ${POOL_JOBS} ${label}`, rss(resLarge, 'ingest-pool'), rss(resSmall, 'ingest-pool'), null, 'max', why('ingest-pool')),
      ...(ids.includes('baseline') ? [ratio(`baseline ${label}`, rss(resLarge, 'baseline'), rss(resSmall, 'baseline'), null, 'max', why('baseline'))] : []),
      ratio(`floor ${label}`, rss(resLarge, 'floor'), rss(resSmall, 'floor'), null, 'max', why('floor')),
    ],
  };
}

function mergeRound(into: ColumnResult[], round: readonly ColumnResult[]): void {
  for (const [i, r] of round.entries()) {
    const t = into[i];
    if (t === undefined) continue;
    t.runs.push(...r.runs);
    t.output = r.output ?? t.output;
    if (r.reason !== null) t.reason = r.reason;
  }
}

function finishMedians(res: ColumnResult): void {
  if (res.runs.length === 0 || res.reason !== null) return;
  res.median_wall_ms = Math.round(median(res.runs.map((x) => x.wall_ms)));
  res.mb_per_s = Math.round(mbPerSecond(res.bytes, res.median_wall_ms) * 10) / 10;
  res.median_cpu_ms = Math.round(median(res.runs.map((x) => x.cpu_ms)));
  res.mb_per_cpu_s = res.median_cpu_ms === 0 ? null : Math.round(mbPerSecond(res.bytes, res.median_cpu_ms) * 10) / 10;
  res.median_peak_rss_kb = Math.round(median(res.runs.map((x) => x.peak_rss_kb)));
}

async function main(argv: readonly string[]): Promise<void> {
  const f = parseFlags(argv);
  if (!findExecutable('jq') && f.columns.some((c) => c === 'jq' || c === 'jq-lines')) {
    progress('note: jq is not installed, so its columns are skipped. Install it with: apt-get install -y jq');
  }
  if (!hasGnuTime()) {
    progress('note: GNU time (/usr/bin/time) not found; peak RSS comes from the child rusage Bun reports. For GNU time: apt-get install -y time');
  }
  const ds = ensureDataset(f.dataDir, f.mb, f.seed);
  const cols = buildColumns(ds, f.columns, f.bin, f.baseline);
  for (const c of cols) if (!c.available) progress(`note: ${c.id} column skipped: ${c.reason ?? ''}`);
  warmPageCache(ds.files);
  const results = await runInterleaved(cols, f.rounds, `${f.mb} MB`);
  const get = (id: ColumnId): ColumnResult | undefined => results.find((r) => r.id === id);
  const mbps = (id: ColumnId): number | null => get(id)?.mb_per_s ?? null;
  const why = (id: ColumnId): string => get(id)?.reason ?? (get(id) === undefined ? 'column not run' : 'no figure');
  const perCpu = (id: ColumnId): number | null => get(id)?.mb_per_cpu_s ?? null;
  const whyPair = (a: ColumnId, b: ColumnId): string => why(mbps(a) === null ? a : b);
  const ratios: Ratio[] = [
    ratio('ingest/floor throughput', mbps('ingest'), mbps('floor'), 0.5, 'min', whyPair('ingest', 'floor')),
    ratio('ingest/jq throughput', mbps('ingest'), mbps('jq'), 3, 'min', whyPair('ingest', 'jq')),
    // Per CPU-second: what the ratios would be on an idle machine, if every column is single-threaded.
    ratio('ingest/floor per CPU-second', perCpu('ingest'), perCpu('floor'), null, 'min', whyPair('ingest', 'floor')),
    ratio('ingest/jq per CPU-second', perCpu('ingest'), perCpu('jq'), null, 'min', whyPair('ingest', 'jq')),
    ratio('floor/jq throughput', mbps('floor'), mbps('jq'), null, 'min', whyPair('floor', 'jq')),
    ratio(`ingest --jobs ${POOL_JOBS}/floor throughput`, mbps('ingest-pool'), mbps('floor'), null, 'min', whyPair('ingest-pool', 'floor')),
    ratio(`ingest --jobs ${POOL_JOBS}/jq throughput`, mbps('ingest-pool'), mbps('jq'), null, 'min', whyPair('ingest-pool', 'jq')),
    ratio(`ingest --jobs ${POOL_JOBS}/ingest throughput`, mbps('ingest-pool'), mbps('ingest'), null, 'min', whyPair('ingest-pool', 'ingest')),
    ...(get('baseline') === undefined
      ? []
      : [
          ratio('ingest/baseline throughput', mbps('ingest'), mbps('baseline'), null, 'min', whyPair('ingest', 'baseline')),
          ratio('ingest/baseline per CPU-second', perCpu('ingest'), perCpu('baseline'), null, 'min', whyPair('ingest', 'baseline')),
        ]),
  ];
  const memory = f.memory ? await runMemory(f, f.dataDir) : null;
  const mc = readMachineInfo();
  const rep: BenchReport = {
    bench: 'ingest',
    date: new Date().toISOString(),
    machine: { ...mc, jq: readCommandVersion(['jq', '--version']), rss_source: hasGnuTime() ? 'GNU time %M' : 'bun child rusage maxRSS' },
    data: {
      dir: ds.dir,
      bytes: ds.manifest.total_bytes,
      lines: ds.manifest.total_lines,
      records: ds.manifest.total_records,
      bad_lines: ds.manifest.bad_lines.length,
      streams: Object.keys(ds.manifest.streams).length,
      seed: ds.manifest.seed,
      generator_version: ds.manifest.generator_version,
    },
    rounds: f.rounds,
    columns: results,
    ratios,
    checks: recordChecks(ds, results),
    memory,
  };
  if (f.json) console.log(JSON.stringify(rep, null, 2));
  else console.log(renderReport(rep));
}

if (import.meta.main) {
  const argv = process.argv.slice(2);
  if (argv[0] === '--floor-child') {
    console.log(JSON.stringify(runFloor(argv.slice(1))));
  } else {
    await main(argv);
  }
}
