// Read checkpoints per source: where the next read starts, and whether the file was appended to, truncated or rotated since.
import { createHash } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';
import { DistillError } from '../errors.ts';
import { openForRead } from './jsonl.ts';

/** How many leading bytes identify a file across reads. */
export const CHECKPOINT_PREFIX_BYTES = 4096;

/** Where reading a source stopped. Persisted as-is (snake_case). */
export interface ReadCheckpoint {
  path: string;
  /** File size when the checkpoint was made. */
  size: number;
  /** min(size, 4096): how many leading bytes prefix_sha256 covers. */
  prefix_bytes: number;
  prefix_sha256: string;
  /** Byte offset where the next read starts. */
  offset: number;
  /** Line number of the line starting at `offset`. */
  line: number;
}

/** What is seen of a source now, measured against a checkpoint. */
export interface SourceState {
  size: number;
  /** sha256 of the first `checkpoint.prefix_bytes` bytes; null when the file is now shorter than that. */
  prefix_sha256: string | null;
}

export type ResumeAction = 'start' | 'resume' | 'restart' | 'unchanged';
export type ResumeReason = 'new' | 'appended' | 'unchanged' | 'truncated' | 'rotated';

export interface ResumeDecision {
  action: ResumeAction;
  reason: ResumeReason;
  startOffset: number;
  startLine: number;
  size: number;
}

/**
 * Decide where to read a source from. Pure.
 * - no checkpoint: start at 0 ('new');
 * - the leading bytes differ: another file now has this name, restart ('rotated');
 * - the file shrank at all: it was rewritten, and bytes before the offset may be gone, restart
 *   ('truncated'); appending writers never shrink a file;
 * - same size: 'unchanged', but still 'resume' when bytes past the offset were there at checkpoint
 *   time (written between the last read and the checkpoint, or an unterminated last line);
 * - grown: resume at the offset ('appended').
 */
export function decideResume(checkpoint: ReadCheckpoint | null, current: SourceState): ResumeDecision {
  const size = current.size;
  if (checkpoint === null) return { action: 'start', reason: 'new', startOffset: 0, startLine: 1, size };
  const restart = (reason: 'truncated' | 'rotated'): ResumeDecision => ({
    action: 'restart',
    reason,
    startOffset: 0,
    startLine: 1,
    size,
  });
  if (current.prefix_sha256 === null) return restart('truncated');
  if (current.prefix_sha256 !== checkpoint.prefix_sha256) return restart('rotated');
  if (size < checkpoint.size || size < checkpoint.offset) return restart('truncated');
  const at = { startOffset: checkpoint.offset, startLine: checkpoint.line, size };
  if (size === checkpoint.size) {
    return { action: checkpoint.offset >= size ? 'unchanged' : 'resume', reason: 'unchanged', ...at };
  }
  return { action: 'resume', reason: 'appended', ...at };
}

/** Look at a source and decide, against its checkpoint, where to read it from. */
export async function inspectSource(path: string, checkpoint: ReadCheckpoint | null): Promise<ResumeDecision> {
  if (checkpoint !== null && checkpoint.path !== path) {
    throw new DistillError('E_INTERNAL', `checkpoint for ${checkpoint.path} used for ${path}`, {
      details: { path, checkpoint_path: checkpoint.path },
    });
  }
  const fh = await openForRead(path);
  try {
    const { size } = await fh.stat();
    if (checkpoint === null) return decideResume(null, { size, prefix_sha256: null });
    const prefix = size < checkpoint.prefix_bytes ? null : await hashPrefix(fh, checkpoint.prefix_bytes);
    return decideResume(checkpoint, { size, prefix_sha256: prefix });
  } finally {
    await fh.close();
  }
}

/** A checkpoint for a source read up to `offset` (the next line to read being number `line`). */
export async function makeCheckpoint(path: string, offset: number, line: number): Promise<ReadCheckpoint> {
  if (!Number.isSafeInteger(offset) || offset < 0 || !Number.isSafeInteger(line) || line < 1) {
    throw new DistillError('E_INTERNAL', `makeCheckpoint: bad offset ${offset} or line ${line} for ${path}`, {
      details: { path, offset, line },
    });
  }
  const fh = await openForRead(path);
  try {
    const { size } = await fh.stat();
    const prefixBytes = Math.min(size, CHECKPOINT_PREFIX_BYTES);
    const prefix = await hashPrefix(fh, prefixBytes);
    // The file may have shrunk between stat and read; then the prefix is shorter, and the next
    // inspect sees a mismatch and restarts, which is the safe side.
    return { path, size, prefix_bytes: prefixBytes, prefix_sha256: prefix ?? EMPTY_SHA256, offset, line };
  } finally {
    await fh.close();
  }
}

const EMPTY_SHA256 = createHash('sha256').digest('hex');

/** sha256 of the first `bytes` bytes, or null when the file has fewer. */
async function hashPrefix(fh: FileHandle, bytes: number): Promise<string | null> {
  const buf = Buffer.alloc(bytes);
  let filled = 0;
  while (filled < bytes) {
    const { bytesRead } = await fh.read(buf, filled, bytes - filled, filled);
    if (bytesRead === 0) return null;
    filled += bytesRead;
  }
  return createHash('sha256').update(buf).digest('hex');
}
