// Shared bench helpers: run a child command measuring wall time and peak RSS, medians, table formatting, machine facts.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, release, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';

export type RssSource = 'gnu-time' | 'bun-rusage';

export interface Measurement {
  wall_ms: number;
  /** Peak resident set size of the child (and, for GNU time, of the largest of its waited-for descendants). */
  peak_rss_kb: number;
  /** User + system CPU time of the child: steadier than wall time when other work shares the machine. */
  cpu_ms: number;
  exit_code: number;
  /** Captured stdout when opts.stdout is 'capture', else null. */
  stdout: string | null;
  /** The last 4 KB of stderr, for error reports. */
  stderr_tail: string;
  rss_source: RssSource;
}

export interface MeasureOptions {
  cwd?: string;
  env?: Record<string, string | undefined>;
  /** 'ignore' sends stdout to /dev/null (what `> /dev/null` does); 'capture' keeps it. Default 'ignore'. */
  stdout?: 'ignore' | 'capture';
}

const GNU_TIME = '/usr/bin/time';
let gnuTimeChecked: boolean | null = null;

/** True when /usr/bin/time is GNU time (supports -f %M and -o), which reports the child's ru_maxrss. */
export function hasGnuTime(): boolean {
  if (gnuTimeChecked !== null) return gnuTimeChecked;
  gnuTimeChecked = false;
  if (!existsSync(GNU_TIME)) return false;
  const dir = mkdtempSync(join(tmpdir(), 'bench-time-'));
  try {
    const out = join(dir, 'probe');
    const r = Bun.spawnSync([GNU_TIME, '-f', '%M', '-o', out, 'true'], { stdout: 'ignore', stderr: 'ignore' });
    gnuTimeChecked = r.exitCode === 0 && /^\d+\s*$/.test(readFileSync(out, 'utf8'));
  } catch {
    gnuTimeChecked = false;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return gnuTimeChecked;
}

/**
 * Runs argv as a child process and measures it. Wall time is taken here around spawn → exit (so it
 * includes process start-up, identically for every command). Peak RSS comes from GNU time's %M when
 * /usr/bin/time is GNU time, else from the exited child's rusage as Bun reports it (maxRSS in bytes).
 */
export async function measureCommand(argv: readonly string[], opts: MeasureOptions = {}): Promise<Measurement> {
  const useTime = hasGnuTime();
  const dir = useTime ? mkdtempSync(join(tmpdir(), 'bench-time-')) : null;
  const timeFile = dir === null ? null : join(dir, 'rusage');
  const cmd = timeFile === null ? [...argv] : [GNU_TIME, '-f', 'peak_rss_kb=%M user_s=%U sys_s=%S', '-o', timeFile, ...argv];
  try {
    const t0 = performance.now();
    const proc = Bun.spawn(cmd, {
      cwd: opts.cwd ?? process.cwd(),
      env: { ...process.env, ...opts.env },
      stdin: 'ignore',
      stdout: opts.stdout === 'capture' ? 'pipe' : 'ignore',
      stderr: 'pipe',
    });
    const stdoutP = opts.stdout === 'capture' && proc.stdout instanceof ReadableStream ? new Response(proc.stdout).text() : Promise.resolve(null);
    const stderrP = readTail(proc.stderr, 4096);
    const exit_code = await proc.exited;
    const wall_ms = performance.now() - t0;
    const [stdout, stderr] = await Promise.all([stdoutP, stderrP]);
    let peak_rss_kb = 0;
    let cpu_ms = 0;
    let rss_source: RssSource = 'bun-rusage';
    // GNU time writes "Command exited with non-zero status N" before the format line when the child fails.
    const m = timeFile === null ? null : /peak_rss_kb=(\d+) user_s=([\d.]+) sys_s=([\d.]+)/.exec(readFileSync(timeFile, 'utf8'));
    if (m !== null && m[1] !== undefined) {
      peak_rss_kb = Number(m[1]);
      cpu_ms = Math.round((Number(m[2]) + Number(m[3])) * 1000);
      rss_source = 'gnu-time';
    } else {
      const ru = proc.resourceUsage();
      peak_rss_kb = Math.round((ru?.maxRSS ?? 0) / 1024);
      cpu_ms = Math.round(Number((ru?.cpuTime.user ?? 0n) + (ru?.cpuTime.system ?? 0n)) / 1000);
    }
    return { wall_ms, peak_rss_kb, cpu_ms, exit_code, stdout, stderr_tail: stderr, rss_source };
  } finally {
    if (dir !== null) rmSync(dir, { recursive: true, force: true });
  }
}

async function readTail(stream: ReadableStream<Uint8Array> | number | undefined, keep: number): Promise<string> {
  if (!(stream instanceof ReadableStream)) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of stream) {
    chunks.push(chunk);
    size += chunk.length;
    while (chunks.length > 1 && size - (chunks[0]?.length ?? 0) >= keep) size -= chunks.shift()?.length ?? 0;
  }
  const all = Buffer.concat(chunks);
  return all.subarray(Math.max(0, all.length - keep)).toString('utf8');
}

/** Median of a non-empty list (mean of the middle two for even lengths). */
export function median(xs: readonly number[]): number {
  if (xs.length === 0) throw new Error('median of an empty list');
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

/** Throughput in MB/s, MB = 10^6 bytes. */
export function mbPerSecond(bytes: number, wall_ms: number): number {
  return bytes / 1e6 / (wall_ms / 1000);
}

export function formatMb(bytes: number): string {
  return bytes >= 1e9 ? `${(bytes / 1e9).toFixed(2)} GB` : `${(bytes / 1e6).toFixed(1)} MB`;
}

export function formatRssKb(kb: number): string {
  return kb >= 1024 * 1024 ? `${(kb / 1024 / 1024).toFixed(2)} GiB` : `${(kb / 1024).toFixed(1)} MiB`;
}

export function formatSeconds(ms: number): string {
  return (ms / 1000).toFixed(2);
}

/** Renders rows as an aligned plain-text table; columns whose header starts with '>' are right-aligned. */
export function renderTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const right = headers.map((h) => h.startsWith('>'));
  const names = headers.map((h) => (h.startsWith('>') ? h.slice(1) : h));
  const widths = names.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => (right[i] ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(names), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

export interface MachineInfo {
  cpu_model: string;
  cpus: number;
  mem_total_gb: number;
  kernel: string;
  bun: string;
}

export function readMachineInfo(): MachineInfo {
  let cpu_model = cpus()[0]?.model ?? 'unknown';
  if (cpu_model === 'unknown' && existsSync('/proc/cpuinfo')) {
    cpu_model = /model name\s*:\s*(.+)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? 'unknown';
  }
  return {
    cpu_model: cpu_model.trim(),
    cpus: cpus().length,
    mem_total_gb: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
    kernel: `${process.platform} ${release()}`,
    bun: Bun.version,
  };
}

/** First line of `argv` (e.g. ['jq', '--version']), or null when the command is missing or fails. */
export function readCommandVersion(argv: readonly string[]): string | null {
  try {
    const r = Bun.spawnSync([...argv], { stdout: 'pipe', stderr: 'pipe' });
    if (r.exitCode !== 0) return null;
    const text = (r.stdout.toString() || r.stderr.toString()).trim();
    return text.split('\n')[0] ?? null;
  } catch {
    return null;
  }
}

/** Absolute path of an executable on PATH, or null. */
export function findExecutable(name: string): string | null {
  return Bun.which(name);
}
