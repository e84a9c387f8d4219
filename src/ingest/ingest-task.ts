// The work an ingest worker does, as plain functions: collect a file or a byte range of it, or score a batch of run groups.
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { canonicalJson } from '../canonical.ts';
import type { DistillConfig } from '../../schemas/config.ts';
import type { EvidenceRecord } from '../../schemas/evidence-record.ts';
import type { Adapter } from '../collect/adapter.ts';
import { collectSource, type CollectIo, type CollectLine, type CollectSource, type SourceSummary } from '../collect/collect.ts';
import type { TextRedactor } from '../collect/finalize.ts';
import { isScoredRun } from './is-scored-run.ts';
import { readLines } from '../io/jsonl.ts';
import { encodeSpoolLine, groupSpoolText, runBucket } from '../io/run-spool.ts';
import { scoreRuns } from '../score/score.ts';
import type { ScoringRule } from '../score/rules.ts';
import { DistillError, type ErrorCode } from '../errors.ts';
import { CATEGORIES, SCORE_VIEW_CODEC } from './ingest.ts';

/** Sent once to each worker: everything it needs to rebuild the main thread's setup. */
export interface WorkerInit {
  config: DistillConfig;
  recorded_at: string;
  rules: ScoringRule[];
  scorer_version: string;
  /** False when nothing is written (no --out): evidence and quarantine lines are then not even serialised. */
  emit_lines: boolean;
  /** Where this worker appends its run bucket files (see bucketFile). */
  bucket_dir: string;
  /** This worker's number in the pool: it alone writes the bucket files named with it. */
  worker: number;
}

/**
 * Lines [start, end) of a file, cut by the main thread at line starts. `line` is the number of the line at
 * `start`; end null = to the end of the file, as the sequential read goes.
 */
export interface ByteRange {
  start: number;
  end: number | null;
  line: number;
}

export interface CollectTask {
  kind: 'collect';
  /** With a range, `format` is the adapter the main thread detected on the file's first lines. */
  source: CollectSource;
  range: ByteRange | null;
}

export interface ScoreTask {
  kind: 'score';
  /** Run buckets in bucket order, each as the files the workers wrote for it (see bucketFile). */
  buckets: string[][];
}

export type IngestTask = CollectTask | ScoreTask;

export interface CollectResult {
  kind: 'collect';
  summary: SourceSummary;
  /** Canonical evidence lines joined by '\n' ('' when none or not emitted); canonical JSON never holds a raw newline. */
  evidence: string;
  quarantine: string;
}

export interface ScoreResult {
  kind: 'score';
  /** Canonical scored-run lines joined by '\n' ('' when not emitted). */
  lines: string;
  runs: number;
  runs_by_category: Record<(typeof CATEGORIES)[number], number>;
  /** False when a scored run failed ScoredRunSchema. */
  valid: boolean;
}

export type TaskResult = CollectResult | ScoreResult;

/** A DistillError as it crosses a worker boundary (structured clone drops the class). */
export interface TaskError {
  code: ErrorCode;
  message: string;
  hint: string | null;
  details: Record<string, unknown>;
}

/** Main thread → worker. */
export type ToWorker = { type: 'init'; init: WorkerInit } | { type: 'task'; id: number; task: IngestTask };

/** Worker → main thread. */
export type FromWorker = { type: 'result'; id: number; result: TaskResult } | { type: 'error'; id: number; error: TaskError };

export interface WorkerContext {
  init: WorkerInit;
  adapters: readonly Adapter[];
  io: CollectIo;
  redact: TextRedactor;
}

/**
 * Score views are grouped by run through 256 buckets on disk, keyed by the first byte of sha256(run_id):
 * RunSpool's layout, so runs come out in runOrderKey order bucket by bucket. Each worker appends the lines
 * `[run_id, score view]` of what it collected to its own file per bucket, so no record passes through the
 * main thread; a score task reads every worker's file of its buckets. The order of a run's records across
 * those files does not matter: the scorer puts a run's evidence in its own total order first
 * (orderRunEvidence), so the same records in any order score to the same bytes.
 */
export { RUN_BUCKETS, runBucket } from '../io/run-spool.ts';

/** The file worker `worker` appends bucket `bucket`'s lines to. */
export function bucketFile(dir: string, worker: number, bucket: number): string {
  return join(dir, `${bucket}.${worker}`);
}

/** The reader limited to one range: starts at the range's first line with its number, stops at its end. */
export function rangeIo(io: CollectIo, range: ByteRange): CollectIo {
  return {
    ...io,
    readLines: (path, opts) => readRange(path, opts.maxLineBytes, range),
  };
}

async function* readRange(path: string, maxLineBytes: number, range: ByteRange): AsyncGenerator<CollectLine> {
  for await (const line of readLines(path, { maxLineBytes, startOffset: range.start, startLine: range.line })) {
    if (range.end !== null && line.byte_offset >= range.end) return;
    yield line;
  }
}

export async function runCollectTask(ctx: WorkerContext, task: CollectTask): Promise<CollectResult> {
  const evidence: string[] = [];
  const quarantine: string[] = [];
  const byBucket = new Map<number, string[]>();
  const emit = ctx.init.emit_lines;
  const io = task.range === null ? ctx.io : rangeIo(ctx.io, task.range);
  const summary = await collectSource(
    io,
    task.source,
    { adapters: ctx.adapters, recorded_at: ctx.init.recorded_at, ingest: ctx.init.config.ingest, redact: ctx.redact },
    {
      evidence(record: EvidenceRecord) {
        if (emit) evidence.push(canonicalJson(record));
        const bucket = runBucket(record.run_id);
        // encodeScoreView reads only what scoreView keeps, so the record needs no view first.
        const line = encodeSpoolLine(SCORE_VIEW_CODEC, record.run_id, record);
        const lines = byBucket.get(bucket);
        if (lines === undefined) byBucket.set(bucket, [line]);
        else lines.push(line);
      },
      quarantine(entry) {
        if (emit) quarantine.push(canonicalJson(entry));
      },
    },
  );
  for (const [bucket, lines] of byBucket) appendFileSync(bucketFile(ctx.init.bucket_dir, ctx.init.worker, bucket), lines.join('\n') + '\n');
  return { kind: 'collect', summary, evidence: evidence.join('\n'), quarantine: quarantine.join('\n') };
}

/** The runs of one bucket in runOrderKey order, from every worker's file of it. */
function bucketGroups(files: readonly string[]): EvidenceRecord[][] {
  let text = '';
  for (const file of files) if (existsSync(file)) text += readFileSync(file, 'utf8');
  return groupSpoolText(SCORE_VIEW_CODEC, text).map((g) => g.records);
}

/** Exactly the sequential scoring loop of runIngest, over the runs of some buckets. */
export function runScoreTask(ctx: WorkerContext, task: ScoreTask): ScoreResult {
  const lines: string[] = [];
  const runs_by_category: ScoreResult['runs_by_category'] = { accepted: 0, partially_accepted: 0, rejected: 0, needs_human_review: 0 };
  let runs = 0;
  let valid = true;
  for (const files of task.buckets) {
    for (const records of bucketGroups(files)) {
      const [scored] = scoreRuns(records, { rules: ctx.init.rules, scored_at: ctx.init.recorded_at, scorer_version: ctx.init.scorer_version });
      if (scored === undefined) continue;
      if (!isScoredRun(scored)) valid = false;
      runs++;
      runs_by_category[scored.category]++;
      // As for evidence: with nothing to write, scored runs are counted, never serialised or sent.
      if (ctx.init.emit_lines) lines.push(canonicalJson(scored));
    }
  }
  return { kind: 'score', lines: lines.join('\n'), runs, runs_by_category, valid };
}

export function runTask(ctx: WorkerContext, task: IngestTask): Promise<TaskResult> | TaskResult {
  return task.kind === 'collect' ? runCollectTask(ctx, task) : runScoreTask(ctx, task);
}

export function toTaskError(error: unknown): TaskError {
  if (error instanceof DistillError) {
    return { code: error.code, message: error.message, hint: error.hint ?? null, details: error.details };
  }
  const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
  return { code: 'E_INTERNAL', message, hint: null, details: {} };
}
