// File-system edge: hashed line writers, file digests, source expansion (dirs, globs) for the CLI.
import { createReadStream, mkdirSync, statSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { DistillError } from '../errors.ts';

export interface HashedWriter {
  write(line: string): void;
  close(): Promise<{ sha256: string; bytes: number; lines: number }>;
}

/** A streaming line writer that hashes what it writes, so receipts never re-read outputs. */
export function openHashedWriter(path: string): HashedWriter {
  mkdirSync(dirname(path), { recursive: true });
  // Bun's file writer writes from offset 0 without truncating: a longer file left by an earlier run would keep its tail.
  writeFileSync(path, '');
  const sink = Bun.file(path).writer({ highWaterMark: 1 << 20 });
  const hasher = new Bun.CryptoHasher('sha256');
  let bytes = 0;
  let lines = 0;
  return {
    write(line: string) {
      const text = line + '\n';
      hasher.update(text);
      bytes += Buffer.byteLength(text);
      lines++;
      sink.write(text);
    },
    async close() {
      await sink.end();
      return { sha256: hasher.digest('hex'), bytes, lines };
    },
  };
}

/** Write a whole file (creating its directory) and return its sha256. */
export async function writeFileHashed(path: string, text: string): Promise<{ sha256: string; bytes: number }> {
  mkdirSync(dirname(path), { recursive: true });
  await Bun.write(path, text);
  return { sha256: new Bun.CryptoHasher('sha256').update(text).digest('hex'), bytes: Buffer.byteLength(text) };
}

/** sha256, size and newline count of a file, streamed. */
export async function digestFile(path: string): Promise<{ sha256: string; bytes: number; lines: number }> {
  const hasher = new Bun.CryptoHasher('sha256');
  let bytes = 0;
  let lines = 0;
  let last = 10;
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
    hasher.update(chunk);
    bytes += chunk.length;
    let i = chunk.indexOf(10);
    while (i !== -1) {
      lines++;
      i = chunk.indexOf(10, i + 1);
    }
    last = chunk[chunk.length - 1] ?? last;
  }
  if (bytes > 0 && last !== 10) lines++;
  return { sha256: hasher.digest('hex'), bytes, lines };
}

const LOG_EXTENSIONS = /\.(jsonl|ndjson|json|traj)$/i;
/** Aider writes its history as a dotfile at the repository's top: the one dotfile that is an agent log. */
export const AIDER_HISTORY = '.aider.chat.history.md';
const SKIP_DIRS = new Set(['.git', 'node_modules', '.distill']);

export interface ExpandedSource {
  path: string;
  display_path: string;
}

function walk(dir: string, out: string[]): void {
  for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    // Dotfiles and dot-directories (editor state, tool manifests) are never agent logs we were asked for, but Aider's history is.
    if (entry.name.startsWith('.') && entry.name !== AIDER_HISTORY) continue;
    if (entry.isDirectory()) {
      if (!SKIP_DIRS.has(entry.name)) walk(join(dir, entry.name), out);
    } else if (entry.isFile() && (LOG_EXTENSIONS.test(entry.name) || entry.name === AIDER_HISTORY)) {
      out.push(join(dir, entry.name));
    }
  }
}

/** How provenance names a file: relative to `base` when inside it (with / separators), else absolute. */
export function displayPath(path: string, base: string): string {
  const rel = relative(base, path);
  if (rel === '' || rel.startsWith('..') || isAbsolute(rel)) return path.split(sep).join('/');
  return rel.split(sep).join('/');
}

/**
 * Expand files, directories (recursively: *.jsonl, *.ndjson, *.json, *.traj, .aider.chat.history.md) and globs into a sorted,
 * de-duplicated list. A name that matches nothing is an error naming it.
 */
export function expandSources(patterns: readonly string[], cwd: string): ExpandedSource[] {
  const found = new Set<string>();
  for (const pattern of patterns) {
    const before = found.size;
    const abs = resolve(cwd, pattern);
    let stat: ReturnType<typeof statSync> | undefined;
    try {
      stat = statSync(abs);
    } catch {
      stat = undefined;
    }
    if (stat?.isDirectory()) {
      const files: string[] = [];
      walk(abs, files);
      for (const f of files) found.add(f);
    } else if (stat?.isFile()) {
      found.add(abs);
    } else if (/[*?[{]/.test(pattern)) {
      const glob = new Bun.Glob(pattern);
      for (const match of glob.scanSync({ cwd, absolute: true, onlyFiles: true, dot: false })) found.add(match);
    }
    if (found.size === before && !stat?.isDirectory()) {
      throw new DistillError('E_INPUT_NOT_FOUND', `no log file matches '${pattern}' (looked in ${cwd})`, {
        hint: 'pass a file, a directory or a quoted glob such as "logs/**/*.jsonl"',
        details: { pattern, cwd },
      });
    }
  }
  return [...found].sort().map((path) => ({ path, display_path: displayPath(path, cwd) }));
}
