// Ingest on every core: workers collect files (big stateless JSONL files cut into byte ranges) and score run batches; the main thread merges in order.
import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Receipt } from '../../schemas/receipt.ts';
import type { Adapter } from '../collect/adapter.ts';
import { containerOfPath, detectAdapter, type CollectIo, type CollectSource, type SourceSummary } from '../collect/collect.ts';
import type { IngestConfig } from '../../schemas/config.ts';
import { ingestWorkerSetup } from '../wiring.ts';
import { DistillError } from '../errors.ts';
import { digestFile } from '../io/fs.ts';
import {
  addCounts,
  addSourceSummary,
  emptyIngestSummary,
  runIngest,
  sortSummaryCounts,
  writeIngestReceipts,
  type IngestRequestBase,
  type IngestSummary,
  type WrittenFile,
} from './ingest.ts';
import { RUN_BUCKETS, bucketFile, type ByteRange, type FromWorker, type IngestTask, type TaskError, type TaskResult, type ToWorker, type WorkerInit } from './ingest-task.ts';

export interface ParallelOptions {
  /** Worker threads wanted; the pool is min(jobs, cores). Below 2 the sequential path runs. */
  jobs: number;
  /** Cores the pool may use; default os.availableParallelism(). */
  cores?: number;
  /** Stateless JSONL files larger than this are cut into ranges of about this many bytes. Default 8 MiB. */
  range_bytes?: number;
  /** Inputs smaller than this in total run sequentially: starting workers would cost more than it saves. Default 4 MiB. */
  min_parallel_bytes?: number;
  /** Bytes of run bucket files per scoring task (whole buckets, at least one). Default 2 MiB. */
  score_batch_bytes?: number;
  /** Where the run bucket files go (a fresh directory is made inside it). Default the OS temp directory. */
  temp_root?: string;
}

const DEFAULT_RANGE_BYTES = 8 * 1024 * 1024;
const DEFAULT_MIN_PARALLEL_BYTES = 4 * 1024 * 1024;
// Scoring holds a task's runs as objects, several times their bytes on disk: batches by size keep that
// bounded whatever the input size (a fixed number of buckets per task would grow with it).
const DEFAULT_SCORE_BATCH_BYTES = 2 * 1024 * 1024;
/** Tasks handed to a worker before their results are taken: one running, one queued, so no worker waits on the main thread. */
const IN_FLIGHT_PER_WORKER = 2;
/** Must equal collect.ts's DETECT_LOOKAHEAD: the main thread detects a format exactly where collect would. */
const DETECT_LOOKAHEAD = 20;
const SCAN_CHUNK = 1 << 20;

/** The default --jobs: every core the process may use. */
export function defaultJobs(): number {
  return availableParallelism();
}

/** A hashed line writer taking blocks of lines already joined by '\n': same bytes and digest as writing them one by one. */
interface BlockWriter {
  write(block: string, lines: number): void;
  close(): Promise<WrittenFile>;
}

function openBlockWriter(path: string): BlockWriter {
  mkdirSync(dirname(path), { recursive: true });
  const sink = Bun.file(path).writer({ highWaterMark: 1 << 20 });
  const hasher = new Bun.CryptoHasher('sha256');
  let bytes = 0;
  let count = 0;
  return {
    write(block, lines) {
      if (lines === 0) return;
      const text = block + '\n';
      hasher.update(text);
      bytes += Buffer.byteLength(text);
      count += lines;
      sink.write(text);
    },
    async close() {
      await sink.end();
      return { sha256: hasher.digest('hex'), bytes, lines: count };
    },
  };
}

/** The adapter collect would detect on this JSONL file's first lines (same lines, same order, same lookahead), or null. */
export async function detectJsonlAdapter(io: CollectIo, adapters: readonly Adapter[], path: string, ingest: IngestConfig): Promise<Adapter | null> {
  let parsedSeen = 0;
  for await (const line of io.readLines(path, { maxLineBytes: ingest.max_line_bytes })) {
    if (line.blank || line.error !== null) continue;
    const parsed = io.parseJson(line.text ?? '', { maxDepth: ingest.max_depth });
    if (!parsed.ok || parsed.value === null || typeof parsed.value !== 'object' || Array.isArray(parsed.value)) continue;
    parsedSeen++;
    const adapter = detectAdapter(adapters, path, parsed.value, 'jsonl');
    if (adapter !== null) return adapter;
    if (parsedSeen >= DETECT_LOOKAHEAD) return null;
  }
  return null;
}

/**
 * Cut a file into ranges of about `rangeBytes` at line starts, numbering each range's first line as the
 * reader would (1 + the newlines before it). Reads up to `size` bytes; the last range runs to the end of the
 * file, however long it is by then, exactly like a sequential read.
 */
export async function* cutRanges(path: string, size: number, rangeBytes: number): AsyncGenerator<ByteRange> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.allocUnsafe(SCAN_CHUNK);
    let pos = 0;
    let newlines = 0;
    let start = 0;
    let startLine = 1;
    while (pos < size) {
      const { bytesRead } = await fh.read(buf, 0, Math.min(buf.length, size - pos), pos);
      if (bytesRead === 0) break;
      const chunk = buf.subarray(0, bytesRead);
      let target = start + rangeBytes;
      let i = chunk.indexOf(10);
      while (i !== -1) {
        newlines++;
        const next = pos + i + 1;
        if (next >= target && next < size) {
          yield { start, end: next, line: startLine };
          start = next;
          startLine = newlines + 1;
          target = start + rangeBytes;
        }
        i = chunk.indexOf(10, i + 1);
      }
      pos += bytesRead;
    }
    yield { start, end: null, line: startLine };
  } finally {
    await fh.close();
  }
}

interface Pending {
  resolve: (r: TaskResult) => void;
  reject: (e: unknown) => void;
  label: string;
}

function workerError(label: string, e: TaskError): DistillError {
  const named = e.message.includes(label) ? e.message : `${label}: ${e.message}`;
  return new DistillError(e.code, named, {
    ...(e.hint === null ? {} : { hint: e.hint }),
    details: { ...e.details, source_file: label },
  });
}

/** Bun workers running ingest-worker.ts; each task goes to the worker with the fewest in flight. */
class WorkerPool {
  private readonly workers: Array<{ worker: Worker; inflight: Map<number, Pending> }> = [];
  private nextId = 0;

  constructor(size: number, init: Omit<WorkerInit, 'worker'>) {
    for (let i = 0; i < size; i++) {
      const worker = new Worker(new URL('./ingest-worker.ts', import.meta.url));
      const slot = { worker, inflight: new Map<number, Pending>() };
      worker.onmessage = (event: MessageEvent<FromWorker>) => {
        const msg = event.data;
        const p = slot.inflight.get(msg.id);
        if (p === undefined) return;
        slot.inflight.delete(msg.id);
        if (msg.type === 'result') p.resolve(msg.result);
        else p.reject(workerError(p.label, msg.error));
      };
      worker.onerror = (event: ErrorEvent) => {
        for (const p of slot.inflight.values()) {
          p.reject(new DistillError('E_INTERNAL', `${p.label}: ingest worker failed: ${event.message}`, { details: { source_file: p.label } }));
        }
        slot.inflight.clear();
      };
      worker.postMessage({ type: 'init', init: { ...init, worker: i } } satisfies ToWorker);
      this.workers.push(slot);
    }
  }

  get size(): number {
    return this.workers.length;
  }

  run(task: IngestTask, label: string): Promise<TaskResult> {
    let slot = this.workers[0]!;
    for (const w of this.workers) if (w.inflight.size < slot.inflight.size) slot = w;
    const id = this.nextId++;
    return new Promise<TaskResult>((resolve, reject) => {
      slot.inflight.set(id, { resolve, reject, label });
      slot.worker.postMessage({ type: 'task', id, task } satisfies ToWorker);
    });
  }

  terminate(): void {
    for (const w of this.workers) w.worker.terminate();
  }
}

interface Planned<M> {
  meta: M;
  task: IngestTask;
  label: string;
}

/**
 * Run tasks on the pool with at most `depth` dispatched and not yet consumed, and consume results in task
 * order. The bound holds memory to `depth` results even when an early task is slow.
 */
async function ordered<M>(
  pool: WorkerPool,
  tasks: AsyncIterator<Planned<M>>,
  depth: number,
  consume: (meta: M, result: TaskResult) => void | Promise<void>,
): Promise<void> {
  const queue: Array<{ meta: M; result: Promise<TaskResult> }> = [];
  let exhausted = false;
  try {
    for (;;) {
      while (!exhausted && queue.length < depth) {
        const next = await tasks.next();
        if (next.done === true) {
          exhausted = true;
          break;
        }
        const result = pool.run(next.value.task, next.value.label);
        // Errors surface in task order, when consumed; until then this keeps them from being "unhandled".
        result.catch(() => {});
        queue.push({ meta: next.value.meta, result });
      }
      const head = queue.shift();
      if (head === undefined) return;
      await consume(head.meta, await head.result);
    }
  } finally {
    if (!exhausted) await tasks.return?.();
  }
}

interface CollectMeta {
  source: number;
  /** The last task of its source: the source's summary is complete once this is consumed. */
  last: boolean;
  /** For a split file, how the format was chosen (each range is read with it forced); null = as the worker reports. */
  format_by: SourceSummary['format_by'] | null;
}

function mergeInto(into: SourceSummary, from: SourceSummary): void {
  into.lines += from.lines;
  into.evidence += from.evidence;
  into.quarantined += from.quarantined;
  into.blank += from.blank;
  // Merged in range order, so each map's keys keep the order of first occurrence in the file.
  addCounts(into.quarantined_by_reason, from.quarantined_by_reason);
  addCounts(into.redactions, from.redactions);
  addCounts(into.unmapped_fields, from.unmapped_fields);
}

function fileSize(path: string): number | null {
  try {
    const st = statSync(path);
    return st.isFile() ? st.size : null;
  } catch {
    return null;
  }
}

/**
 * The same ingest as runIngest — byte-identical outputs and summary — with collect and scoring run on a
 * pool of workers. Stateless JSONL files bigger than `range_bytes` are cut into line ranges (the format is
 * detected first, here, and forced on each range); stateful adapters and JSON documents go whole to one
 * worker. Each worker appends the run records it collected to its own bucket files on disk (always:
 * `spool_records` does not apply), and scoring reads them back a few MiB per task, so what a task holds
 * does not grow with the input and at most IN_FLIGHT_PER_WORKER tasks per worker are in flight. Only
 * merging the ordered outputs and writing them stay on the main thread.
 */
export async function runIngestParallel(req: IngestRequestBase, opts: ParallelOptions): Promise<IngestSummary> {
  const setup = ingestWorkerSetup(req.config);
  const size = Math.min(Math.max(1, Math.floor(opts.jobs)), opts.cores ?? availableParallelism());
  const rangeBytes = Math.max(1, opts.range_bytes ?? DEFAULT_RANGE_BYTES);
  let total = 0;
  for (const s of req.sources) total += fileSize(s.path) ?? 0;
  if (size < 2 || total < (opts.min_parallel_bytes ?? DEFAULT_MIN_PARALLEL_BYTES)) {
    return runIngest(setup.io, { ...req, adapters: setup.adapters, redact: setup.redact });
  }

  const started = req.now();
  const out = req.out_dir;
  const summary = emptyIngestSummary(out);
  const evidenceOut = out === null ? null : openBlockWriter(join(out, 'evidence.jsonl'));
  const quarantineOut = out === null ? null : openBlockWriter(join(out, 'quarantine.jsonl'));
  const bucketDir = mkdtempSync(join(opts.temp_root ?? tmpdir(), 'git-distill-ingest-'));
  const pool = new WorkerPool(size, {
    config: req.config,
    recorded_at: req.recorded_at,
    rules: req.rules,
    scorer_version: req.scorer_version,
    emit_lines: out !== null,
    bucket_dir: bucketDir,
  });
  const depth = pool.size * IN_FLIGHT_PER_WORKER;

  try {
    async function* collectTasks(): AsyncGenerator<Planned<CollectMeta>> {
      for (let i = 0; i < req.sources.length; i++) {
        const source = req.sources[i]!;
        const whole: Planned<CollectMeta> = {
          meta: { source: i, last: true, format_by: null },
          task: { kind: 'collect', source, range: null },
          label: source.display_path,
        };
        const bytes = fileSize(source.path);
        const forced = source.format === null ? null : (setup.adapters.find((a) => a.id === source.format) ?? null);
        const container = forced?.container ?? containerOfPath(source.path);
        if (bytes === null || bytes <= rangeBytes || (source.replay_until ?? 0) > 0 || container !== 'jsonl' || (source.format !== null && forced === null)) {
          yield whole;
          continue;
        }
        let adapter: Adapter | null = forced;
        if (adapter === null) {
          try {
            adapter = await detectJsonlAdapter(setup.io, setup.adapters, source.path, req.config.ingest);
          } catch {
            // Unreadable now: the worker reads it whole and reports the error as the sequential path would.
            adapter = null;
          }
        }
        if (adapter === null || adapter.stateful === true) {
          yield whole;
          continue;
        }
        const ranged: CollectSource = { ...source, format: adapter.id };
        const format_by = forced === null ? 'detected' : 'forced';
        let prev: ByteRange | null = null;
        for await (const range of cutRanges(source.path, bytes, rangeBytes)) {
          if (prev !== null) {
            yield { meta: { source: i, last: false, format_by }, task: { kind: 'collect', source: ranged, range: prev }, label: source.display_path };
          }
          prev = range;
        }
        if (prev !== null) {
          yield { meta: { source: i, last: true, format_by }, task: { kind: 'collect', source: ranged, range: prev }, label: source.display_path };
        }
      }
    }

    const inputFiles: Receipt['input_files'] = [];
    let current: SourceSummary | null = null;
    await ordered(pool, collectTasks(), depth, async (meta, result) => {
      if (result.kind !== 'collect') throw new DistillError('E_INTERNAL', 'ingest worker answered a collect task with a score result');
      evidenceOut?.write(result.evidence, result.summary.evidence);
      quarantineOut?.write(result.quarantine, result.summary.quarantined);
      if (current === null) current = result.summary;
      else mergeInto(current, result.summary);
      if (!meta.last) return;
      const s: SourceSummary = current;
      current = null;
      if (meta.format_by !== null) s.format_by = meta.format_by;
      const read = addSourceSummary(summary, s);
      req.onSource?.(s);
      if (read && out !== null) {
        const source = req.sources[meta.source]!;
        const d = await digestFile(source.path);
        inputFiles.push({ path: source.display_path, sha256: d.sha256, bytes: d.bytes, lines: d.lines });
      }
    });
    sortSummaryCounts(summary);

    const scoredOut = out === null ? null : openBlockWriter(join(out, 'scored.jsonl'));
    let scoredValid = true;
    const batchBytes = Math.max(1, opts.score_batch_bytes ?? DEFAULT_SCORE_BATCH_BYTES);
    async function* scoreTasks(): AsyncGenerator<Planned<null>> {
      let batch: string[][] = [];
      let bytes = 0;
      for (let b = 0; b < RUN_BUCKETS; b++) {
        const files: string[] = [];
        for (let w = 0; w < pool.size; w++) {
          const file = bucketFile(bucketDir, w, b);
          const size = fileSize(file);
          if (size === null) continue;
          files.push(file);
          bytes += size;
        }
        if (files.length > 0) batch.push(files);
        if (bytes >= batchBytes || (b === RUN_BUCKETS - 1 && batch.length > 0)) {
          yield { meta: null, task: { kind: 'score', buckets: batch }, label: 'scoring' };
          batch = [];
          bytes = 0;
        }
      }
    }
    await ordered(pool, scoreTasks(), depth, (_meta, result) => {
      if (result.kind !== 'score') throw new DistillError('E_INTERNAL', 'ingest worker answered a score task with a collect result');
      summary.runs += result.runs;
      for (const [category, n] of Object.entries(result.runs_by_category)) summary.runs_by_category[category as keyof typeof result.runs_by_category] += n;
      if (!result.valid) scoredValid = false;
      scoredOut?.write(result.lines, result.runs);
    });

    if (out !== null && evidenceOut !== null && quarantineOut !== null && scoredOut !== null) {
      await writeIngestReceipts(req, out, summary, {
        started,
        input_files: inputFiles,
        evidence: await evidenceOut.close(),
        quarantine: await quarantineOut.close(),
        scored: await scoredOut.close(),
        scored_valid: scoredValid,
      });
    }
    return summary;
  } finally {
    pool.terminate();
    rmSync(bucketDir, { recursive: true, force: true });
  }
}
