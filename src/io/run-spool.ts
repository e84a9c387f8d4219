// Groups records by run with bounded memory: in memory while small, spilled to hash buckets on disk when large.
import { mkdtempSync, rmSync, appendFileSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sha256Hex } from '../canonical.ts';

const BUCKETS = 256;

/** The order runs are emitted in: by sha256 of the run id, then the id. Independent of input order and of spilling. */
export function runOrderKey(run_id: string): string {
  return sha256Hex(run_id) + '\u0000' + run_id;
}

export interface RunSpoolOptions {
  /** Spill to disk once more than this many records are buffered. */
  memoryRecords: number;
  /** Where spill files go (a fresh directory is made inside it). */
  tempRoot?: string;
}

/**
 * Append records keyed by run id; then iterate groups bucket by bucket. Spilling keeps peak memory near
 * one bucket (1/256 of the data) whatever the input size, which is what lets ingest stream 1 GB of logs.
 */
export class RunSpool<T> {
  private readonly memory = new Map<string, T[]>();
  private dir: string | null = null;
  private readonly pending: string[][] = Array.from({ length: BUCKETS }, () => []);
  private pendingBytes = 0;
  private count = 0;

  private readonly options: RunSpoolOptions;

  constructor(options: RunSpoolOptions) {
    this.options = options;
  }

  get size(): number {
    return this.count;
  }

  add(run_id: string, record: T): void {
    this.count++;
    if (this.dir === null) {
      const list = this.memory.get(run_id);
      if (list === undefined) this.memory.set(run_id, [record]);
      else list.push(record);
      if (this.count > this.options.memoryRecords) this.spill();
      return;
    }
    this.enqueue(run_id, record);
  }

  private bucketOf(run_id: string): number {
    return parseInt(sha256Hex(run_id).slice(0, 2), 16);
  }

  private enqueue(run_id: string, record: T): void {
    const line = JSON.stringify([run_id, record]);
    this.pending[this.bucketOf(run_id)]!.push(line);
    this.pendingBytes += line.length;
    if (this.pendingBytes > 4 * 1024 * 1024) this.flush();
  }

  private spill(): void {
    this.dir = mkdtempSync(join(this.options.tempRoot ?? tmpdir(), 'git-distill-spool-'));
    for (const [run_id, records] of this.memory) for (const r of records) this.enqueue(run_id, r);
    this.memory.clear();
  }

  private flush(): void {
    if (this.dir === null) return;
    for (let b = 0; b < BUCKETS; b++) {
      const lines = this.pending[b]!;
      if (lines.length === 0) continue;
      appendFileSync(join(this.dir, String(b)), lines.join('\n') + '\n');
      this.pending[b] = [];
    }
    this.pendingBytes = 0;
  }

  /** Groups in runOrderKey order. Each group's records keep their insertion order. */
  *groups(): Generator<{ run_id: string; records: T[] }> {
    if (this.dir === null) {
      const ids = [...this.memory.keys()].sort((a, b) => cmp(runOrderKey(a), runOrderKey(b)));
      for (const run_id of ids) yield { run_id, records: this.memory.get(run_id)! };
      return;
    }
    this.flush();
    for (let b = 0; b < BUCKETS; b++) {
      const file = join(this.dir, String(b));
      if (!existsSync(file)) continue;
      const groups = new Map<string, T[]>();
      for (const line of readFileSync(file, 'utf8').split('\n')) {
        if (line === '') continue;
        const [run_id, record] = JSON.parse(line) as [string, T];
        const list = groups.get(run_id);
        if (list === undefined) groups.set(run_id, [record]);
        else list.push(record);
      }
      const ids = [...groups.keys()].sort((a, c) => cmp(runOrderKey(a), runOrderKey(c)));
      for (const run_id of ids) yield { run_id, records: groups.get(run_id)! };
    }
  }

  dispose(): void {
    if (this.dir !== null) rmSync(this.dir, { recursive: true, force: true });
    this.dir = null;
    this.memory.clear();
  }
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
