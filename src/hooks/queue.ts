// The post-commit queue (`<git-dir>/distill/queue`, one `oid\n` per commit) and the post-rewrite pairs files: paths, parsing, draining.
import { appendFile, mkdir, readdir, readFile, rename, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';

const OID_RE = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;
/** Claimed batches: `queue.claimed-<pid>-<uuid>`; left behind only by a worker that died mid-batch. */
const CLAIM_PREFIX = 'queue.claimed-';

/** `<git-dir>/distill`: git-distill's per-worktree state (never inside the working tree). */
export function distillStateDir(gitDir: string): string {
  return join(gitDir, 'distill');
}

/** The file post-commit appends each new HEAD oid to. */
export function queuePath(gitDir: string): string {
  return join(distillStateDir(gitDir), 'queue');
}

/** Where post-rewrite saves git's `<old-oid> <new-oid>[ <extra>]` lines, one file per rewrite, named `<amend|rebase|other>.<random>`. */
export function rewritesDir(gitDir: string): string {
  return join(distillStateDir(gitDir), 'rewrites');
}

export interface ParsedQueue {
  /** Distinct oids in first-queued order. */
  oids: string[];
  /** Lines that are not an oid (a torn write, a hand edit); never fatal. */
  invalid: string[];
}

export function parseQueue(text: string): ParsedQueue {
  const seen = new Set<string>();
  const oids: string[] = [];
  const invalid: string[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '') continue;
    if (!OID_RE.test(line)) {
      invalid.push(line);
      continue;
    }
    if (seen.has(line)) continue;
    seen.add(line);
    oids.push(line);
  }
  return { oids, invalid };
}

async function readText(path: string): Promise<string | null> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

/** The oids waiting in the queue, without taking them (for status and doctor). */
export async function readQueue(gitDir: string): Promise<ParsedQueue> {
  return parseQueue((await readText(queuePath(gitDir))) ?? '');
}

export interface QueueClaim {
  oids: string[];
  invalid: string[];
  /** The claimed files and the byte length read from each. */
  files: Array<{ path: string; bytes: number }>;
}

/**
 * Take every queued oid: rename the queue to a unique name (a post-commit appending from now on starts a new
 * queue), then read it, plus any batch a crashed worker claimed and never finished. Call it while holding the
 * worker lock, process the oids, then `finishClaim`. An oid is never lost: until then it stays on disk.
 */
export async function claimQueue(gitDir: string): Promise<QueueClaim> {
  const dir = distillStateDir(gitDir);
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { oids: [], invalid: [], files: [] };
    throw error;
  }
  const paths = names.filter((n) => n.startsWith(CLAIM_PREFIX)).sort().map((n) => join(dir, n));
  const fresh = join(dir, `${CLAIM_PREFIX}${process.pid}-${crypto.randomUUID()}`);
  try {
    await rename(queuePath(gitDir), fresh);
    paths.push(fresh);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const files: QueueClaim['files'] = [];
  let text = '';
  for (const path of paths) {
    const content = await readText(path);
    if (content === null) continue;
    files.push({ path, bytes: Buffer.byteLength(content) });
    text += content.endsWith('\n') || content === '' ? content : content + '\n';
  }
  return { ...parseQueue(text), files };
}

/**
 * Drop a processed claim. A post-commit that opened the queue just before the rename writes into the claimed
 * file; whatever arrived after we read it goes back onto the queue instead of being deleted.
 */
export async function finishClaim(gitDir: string, claim: QueueClaim): Promise<void> {
  for (const file of claim.files) {
    const buf = await readFile(file.path).catch(() => null);
    if (buf !== null && buf.length > file.bytes) {
      await mkdir(distillStateDir(gitDir), { recursive: true });
      await appendFile(queuePath(gitDir), buf.subarray(file.bytes));
    }
    await unlink(file.path).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') throw error;
    });
  }
}

/** Claim and finish in one step: for a caller that records the oids elsewhere before returning. */
export async function drainQueue(gitDir: string): Promise<ParsedQueue> {
  const claim = await claimQueue(gitDir);
  await finishClaim(gitDir, claim);
  return { oids: claim.oids, invalid: claim.invalid };
}

export interface RewriteFile {
  path: string;
  kind: 'amend' | 'rebase' | 'other';
  /** Modification time in ms: process files oldest first so an amend after a rebase wins. */
  mtime_ms: number;
}

/** Published post-rewrite files, oldest first (files still being written start with a dot and are skipped). */
export async function listRewrites(gitDir: string): Promise<RewriteFile[]> {
  const dir = rewritesDir(gitDir);
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const out: RewriteFile[] = [];
  for (const name of names) {
    if (name.startsWith('.')) continue;
    const kind = name.slice(0, name.indexOf('.'));
    if (kind !== 'amend' && kind !== 'rebase' && kind !== 'other') continue;
    const st = await stat(join(dir, name)).catch(() => null);
    if (st === null || !st.isFile()) continue;
    out.push({ path: join(dir, name), kind, mtime_ms: st.mtimeMs });
  }
  return out.sort((a, b) => a.mtime_ms - b.mtime_ms || (a.path < b.path ? -1 : 1));
}

export interface RewritePair {
  old_oid: string;
  new_oid: string;
}

/** git's post-rewrite stdin: `<old-oid> SP <new-oid> [SP <extra-info>] LF` per rewritten commit. */
export function parseRewritePairs(text: string): { pairs: RewritePair[]; invalid: string[] } {
  const pairs: RewritePair[] = [];
  const invalid: string[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const [oldOid, newOid] = line.trim().split(' ');
    if (oldOid !== undefined && newOid !== undefined && OID_RE.test(oldOid) && OID_RE.test(newOid)) {
      pairs.push({ old_oid: oldOid, new_oid: newOid });
    } else {
      invalid.push(line);
    }
  }
  return { pairs, invalid };
}
