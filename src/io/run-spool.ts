// Groups records by run with bounded memory: in memory while small, spilled to hash buckets on disk when large.
import { mkdtempSync, rmSync, appendFileSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sha256Hex } from '../canonical.ts';

export const RUN_BUCKETS = 256;

/** The order runs are emitted in: by sha256 of the run id, then the id. Independent of input order and of spilling. */
export function runOrderKey(run_id: string): string {
  return sha256Hex(run_id) + '\u0000' + run_id;
}

/** The spill bucket of a run id: the first byte of its sha256, so buckets in order hold runs in runOrderKey order. */
export function runBucket(run_id: string): number {
  return parseInt(sha256Hex(run_id).slice(0, 2), 16);
}

/** How a record is written to a spill line and read back; JSON of the record itself by default. */
export interface SpoolCodec<T> {
  encode(record: T): unknown;
  decode(run_id: string, encoded: unknown): T;
}

/** One spill line: the JSON array `[run_id, encoded record]`. */
export function encodeSpoolLine<T>(codec: SpoolCodec<T>, run_id: string, record: T): string {
  return JSON.stringify([run_id, codec.encode(record)]);
}

/**
 * The runs of some spill text (lines written by encodeSpoolLine) in runOrderKey order, each with its
 * records in the order their lines came.
 */
export function groupSpoolText<T>(codec: SpoolCodec<T>, text: string): Array<{ run_id: string; records: T[] }> {
  const groups = new Map<string, T[]>();
  let start = 0;
  while (start < text.length) {
    let end = text.indexOf('\n', start);
    if (end === -1) end = text.length;
    if (end > start) {
      const [run_id, encoded] = JSON.parse(text.slice(start, end)) as [string, unknown];
      const record = codec.decode(run_id, encoded);
      const list = groups.get(run_id);
      if (list === undefined) groups.set(run_id, [record]);
      else list.push(record);
    }
    start = end + 1;
  }
  return sortGroups(groups);
}

/** Groups in runOrderKey order; each key is computed once, not once per comparison. */
function sortGroups<T>(groups: Map<string, T[]>): Array<{ run_id: string; records: T[] }> {
  const keyed = [...groups.keys()].map((run_id) => ({ key: runOrderKey(run_id), run_id }));
  keyed.sort((a, b) => cmp(a.key, b.key));
  return keyed.map(({ run_id }) => ({ run_id, records: groups.get(run_id)! }));
}

const JSON_CODEC: SpoolCodec<never> = { encode: (record) => record, decode: (_run_id, encoded) => encoded as never };

export interface RunSpoolOptions<T> {
  /** Encode records (codec) once more than this many are held as objects. */
  memoryRecords: number;
  /** Append encoded records to disk once more than this many characters of them are held. Default 8 Mi. */
  memoryChars?: number;
  /** Where spill files go (a fresh directory is made inside it). */
  tempRoot?: string;
  /** How spilled records are written; default: the record as JSON. */
  codec?: SpoolCodec<T>;
}

// Measured (docs/benchmarks.md, 2026-12-07): at 32 Mi the held lines (two bytes a character once one is
// outside Latin-1) and their copies while flushing took peak RSS at 1 GB of input to 315–392 MiB against
// ~220 at 100 MB; at 8 Mi the 1 GB runs peaked at 209–272 MiB against ~182. The price: 100 MB of the
// bench's logs now spills too, about 3% of ingest's CPU.
export const DEFAULT_SPOOL_MEMORY_CHARS = 8 * 1024 * 1024;

// Run ids seen lately and their buckets: records of one run come in bursts, and each id hashes once.
const BUCKET_CACHE_MAX = 4096;

/**
 * Append records keyed by run id; then iterate groups bucket by bucket. Three stages, each bounded: the
 * first `memoryRecords` records are held as objects; past that every record is encoded to a line in one of
 * 256 buckets held in memory; past `memoryChars` of lines the buckets are appended to files on disk. Peak
 * memory is then the encoded-line budget plus one bucket read back (1/256 of the data) whatever the input
 * size, which is what lets ingest stream 1 GB of logs; inputs whose encoded runs fit the budget (about
 * 20,000 auditor-loop records at 8 Mi) never touch the disk.
 */
export class RunSpool<T> {
  private readonly memory = new Map<string, T[]>();
  private encoding = false;
  private dir: string | null = null;
  private readonly pending: string[][] = Array.from({ length: RUN_BUCKETS }, () => []);
  private pendingChars = 0;
  private count = 0;
  private readonly bucketCache = new Map<string, number>();

  private readonly options: RunSpoolOptions<T>;
  private readonly codec: SpoolCodec<T>;

  constructor(options: RunSpoolOptions<T>) {
    this.options = options;
    this.codec = options.codec ?? (JSON_CODEC as SpoolCodec<T>);
  }

  get size(): number {
    return this.count;
  }

  add(run_id: string, record: T): void {
    this.count++;
    if (!this.encoding) {
      const list = this.memory.get(run_id);
      if (list === undefined) this.memory.set(run_id, [record]);
      else list.push(record);
      if (this.count > this.options.memoryRecords) this.spill();
      return;
    }
    this.enqueue(run_id, record);
  }

  private bucketOf(run_id: string): number {
    let b = this.bucketCache.get(run_id);
    if (b === undefined) {
      if (this.bucketCache.size >= BUCKET_CACHE_MAX) this.bucketCache.clear();
      b = runBucket(run_id);
      this.bucketCache.set(run_id, b);
    }
    return b;
  }

  private enqueue(run_id: string, record: T): void {
    const line = encodeSpoolLine(this.codec, run_id, record);
    this.pending[this.bucketOf(run_id)]!.push(line);
    this.pendingChars += line.length;
    if (this.pendingChars > (this.options.memoryChars ?? DEFAULT_SPOOL_MEMORY_CHARS)) this.flush();
  }

  private spill(): void {
    this.encoding = true;
    for (const [run_id, records] of this.memory) for (const r of records) this.enqueue(run_id, r);
    this.memory.clear();
  }

  private flush(): void {
    this.dir ??= mkdtempSync(join(this.options.tempRoot ?? tmpdir(), 'git-distill-spool-'));
    for (let b = 0; b < RUN_BUCKETS; b++) {
      const lines = this.pending[b]!;
      if (lines.length === 0) continue;
      appendFileSync(join(this.dir, String(b)), lines.join('\n') + '\n');
      this.pending[b] = [];
    }
    this.pendingChars = 0;
  }

  /** Groups in runOrderKey order. Each group's records keep their insertion order. Read them once: held lines are let go as they are read. */
  *groups(): Generator<{ run_id: string; records: T[] }> {
    if (!this.encoding) {
      yield* sortGroups(this.memory);
      return;
    }
    for (let b = 0; b < RUN_BUCKETS; b++) {
      // What reached the file came before what is still held: file text first keeps insertion order.
      const file = this.dir === null ? null : join(this.dir, String(b));
      const onDisk = file !== null && existsSync(file) ? readFileSync(file, 'utf8') : '';
      const held = this.pending[b]!;
      if (onDisk === '' && held.length === 0) continue;
      const text = held.length === 0 ? onDisk : onDisk + held.join('\n');
      this.pending[b] = [];
      yield* groupSpoolText(this.codec, text);
    }
  }

  dispose(): void {
    if (this.dir !== null) rmSync(this.dir, { recursive: true, force: true });
    this.dir = null;
    this.memory.clear();
    for (let b = 0; b < RUN_BUCKETS; b++) this.pending[b] = [];
    this.pendingChars = 0;
  }
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
