// The git edge: the only module that spawns git. Every call runs with the user's hooks disabled, a fixed locale and no prompts.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DistillError } from '../errors.ts';

export interface GitOptions {
  /** The repository (or a directory inside it). The repository is found from here, never from GIT_DIR in our own env. */
  cwd: string;
  /** Extra environment, applied last (e.g. GIT_INDEX_FILE for a temporary index, GIT_DIR for an explicit repo). */
  env?: Record<string, string>;
}

export interface GitRunOptions {
  input?: string | Uint8Array;
  /** Exit codes other than 0 that are answers, not failures (e.g. 1 for `rev-parse --verify -q`). */
  allowExit?: number[];
  env?: Record<string, string>;
}

export interface GitResult {
  stdout: Uint8Array;
  stdoutText: string;
  stderr: string;
  exitCode: number;
}

export type TreeEntryType = 'blob' | 'tree' | 'commit';

export interface TreeEntry {
  /** Octal mode as git prints it in ls-tree: '100644', '100755', '120000', '040000', '160000'. */
  mode: string;
  type: TreeEntryType;
  oid: string;
  name: string;
}

export interface GitObject {
  oid: string;
  type: string;
  content: Uint8Array;
}

export interface Identity {
  name: string;
  email: string;
}

export interface CommitTreeOptions {
  tree: string;
  parents: string[];
  message: string;
  identity: Identity;
  /** ISO 8601 with a timezone designator; used for author and committer so the commit oid is reproducible. */
  date: string;
}

/** A long-lived `git cat-file --batch`: many reads, one process; requests pipeline. */
export interface CatFileBatch {
  /** The object `spec` names (`<oid>`, `<rev>:<path>`), or null when it does not exist. */
  read(spec: string): Promise<GitObject | null>;
  /** The entries of the tree `spec` names; null when missing; E_GIT_FAILED when it is not a tree. */
  readTree(spec: string): Promise<TreeEntry[] | null>;
  close(): Promise<void>;
}

/** A long-lived `git mktree --batch -z`: one process writes every tree of a change. */
export interface TreeWriter {
  write(entries: TreeEntry[]): Promise<string>;
  close(): Promise<void>;
}

export interface Git {
  readonly cwd: string;
  run(args: string[], opts?: GitRunOptions): Promise<GitResult>;
  /** Stream stdout split on a separator byte (0 for -z output, 10 for lines); fails at the end on a non-zero exit. */
  records(args: string[], separator: 0 | 10): AsyncGenerator<string>;
  /** The object id `rev` names; E_GIT_BAD_REVISION when it names nothing. */
  revParse(rev: string): Promise<string>;
  /** The oid a full ref name points to, or null when the ref does not exist. */
  resolveRef(ref: string): Promise<string | null>;
  /** Absolute path of the git directory. */
  gitDir(): Promise<string>;
  /** Write one blob; returns its oid. No filters (autocrlf, attributes) apply: bytes in, bytes stored. */
  hashObject(bytes: string | Uint8Array): Promise<string>;
  /** Write many blobs with one git process; oids in input order. */
  hashObjects(blobs: ReadonlyArray<string | Uint8Array>): Promise<string[]>;
  mktree(entries: TreeEntry[]): Promise<string>;
  openTreeWriter(): TreeWriter;
  commitTree(opts: CommitTreeOptions): Promise<string>;
  /** Compare-and-swap: move `ref` to `newOid` only if it is at `oldOid` (null: only if it does not exist). Lost → E_STORE_RACE_LOST. */
  updateRefCas(ref: string, newOid: string, oldOid: string | null, reflogMessage: string): Promise<void>;
  /** Entries of `treeish` (or of the tree at `path` inside it); null when the path does not exist. */
  lsTree(treeish: string, path?: string): Promise<TreeEntry[] | null>;
  catFileBatch(): CatFileBatch;
}

/**
 * Variables that point git at a repository, index or config other than the one at `cwd`. Git clears the
 * same list (`local_repo_env`) when it enters another repository; we clear it so a hook's environment
 * (GIT_INDEX_FILE during `git commit`, for one) cannot redirect our plumbing.
 */
const LOCAL_REPO_ENV = new Set([
  'GIT_DIR',
  'GIT_WORK_TREE',
  'GIT_IMPLICIT_WORK_TREE',
  'GIT_INDEX_FILE',
  'GIT_OBJECT_DIRECTORY',
  'GIT_ALTERNATE_OBJECT_DIRECTORIES',
  'GIT_COMMON_DIR',
  'GIT_CONFIG',
  'GIT_CONFIG_PARAMETERS',
  'GIT_CONFIG_COUNT',
  'GIT_GRAFT_FILE',
  'GIT_NO_REPLACE_OBJECTS',
  'GIT_REPLACE_REF_BASE',
  'GIT_PREFIX',
  'GIT_SHALLOW_FILE',
  'GIT_INTERNAL_SUPER_PREFIX',
  'GIT_NAMESPACE',
  'GIT_AUTHOR_NAME',
  'GIT_AUTHOR_EMAIL',
  'GIT_AUTHOR_DATE',
  'GIT_COMMITTER_NAME',
  'GIT_COMMITTER_EMAIL',
  'GIT_COMMITTER_DATE',
]);

const FIXED_ENV: Record<string, string> = {
  GIT_TERMINAL_PROMPT: '0',
  LC_ALL: 'C',
  LANG: 'C',
  GIT_PAGER: 'cat',
  PAGER: 'cat',
  // `git status` and friends would otherwise refresh and rewrite the user's index (invariant 7).
  GIT_OPTIONAL_LOCKS: '0',
};

/** Prepended to every argv: our writes never run the user's hooks (reference-transaction included). */
const GLOBAL_ARGS = ['--no-pager', '-c', 'core.hooksPath=/dev/null'];

const STDERR_CAP = 4000;
const OID_RE = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;

function buildEnv(extra: Record<string, string> | undefined): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v === undefined || LOCAL_REPO_ENV.has(k) || k.startsWith('GIT_CONFIG_KEY_') || k.startsWith('GIT_CONFIG_VALUE_')) continue;
    env[k] = v;
  }
  return { ...env, ...FIXED_ENV, ...(extra ?? {}) };
}

const decoder = new TextDecoder();
const encoder = new TextEncoder();

function toBytes(data: string | Uint8Array): Uint8Array {
  return typeof data === 'string' ? encoder.encode(data) : data;
}

function gitError(argv: string[], exitCode: number, stderr: string, cwd: string): DistillError {
  const trimmed = stderr.trim().slice(0, STDERR_CAP);
  const firstLine = trimmed.split('\n').find((l) => l.trim() !== '') ?? '';
  let sub = 'git';
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '-c') i++;
    else if (!a.startsWith('-')) {
      sub = a;
      break;
    }
  }
  const details = { argv, status: exitCode, stderr: trimmed, cwd };
  if (/not a git repository/i.test(trimmed)) {
    return new DistillError('E_GIT_NOT_A_REPO', `${cwd} is not inside a git repository`, {
      hint: 'run git-distill inside a git repository (git init, or cd into one)',
      details,
    });
  }
  return new DistillError('E_GIT_FAILED', `git ${sub} failed (exit ${exitCode})${firstLine ? `: ${firstLine}` : ''}`, {
    details,
  });
}

function guardSpawn<T>(argv: string[], cwd: string, start: () => T): T {
  try {
    return start();
  } catch (cause) {
    throw new DistillError('E_GIT_FAILED', `cannot run git in ${cwd}`, {
      hint: 'install git (2.25 or newer) and make sure it is on PATH',
      details: { argv, cwd },
      cause,
    });
  }
}

/** A one-shot git: stdin is the given bytes or nothing. */
function spawnGit(cwd: string, env: Record<string, string>, args: string[], stdin: 'ignore' | Uint8Array) {
  const argv = ['git', ...GLOBAL_ARGS, ...args];
  return { argv, proc: guardSpawn(argv, cwd, () => Bun.spawn({ cmd: argv, cwd, env, stdin, stdout: 'pipe', stderr: 'pipe' })) };
}

/** A long-lived git we talk to over stdin. unref: a store someone forgot to close must not keep Bun alive. */
function spawnPipedGit(cwd: string, env: Record<string, string>, args: string[]) {
  const argv = ['git', ...GLOBAL_ARGS, ...args];
  const proc = guardSpawn(argv, cwd, () => Bun.spawn({ cmd: argv, cwd, env, stdin: 'pipe', stdout: 'pipe', stderr: 'pipe' }));
  proc.unref();
  return { argv, proc };
}

/** Buffered reader over a child's stdout, for the request/response protocols of long-lived git processes. */
class ByteReader {
  private buf: Uint8Array = new Uint8Array(0);
  private pos = 0;
  private ended = false;
  private readonly reader: { read(): Promise<{ done: boolean; value?: Uint8Array | undefined }> };

  constructor(stream: ReadableStream<Uint8Array>) {
    this.reader = stream.getReader();
  }

  private async fill(): Promise<boolean> {
    if (this.ended) return false;
    const r = await this.reader.read();
    if (r.done || r.value === undefined) {
      this.ended = true;
      return false;
    }
    const rest = this.buf.subarray(this.pos);
    const next = new Uint8Array(rest.length + r.value.length);
    next.set(rest, 0);
    next.set(r.value, rest.length);
    this.buf = next;
    this.pos = 0;
    return true;
  }

  /** Bytes up to (not including) the next separator, or null at end of stream. */
  async readUntil(separator: number): Promise<Uint8Array | null> {
    for (;;) {
      const idx = this.buf.indexOf(separator, this.pos);
      if (idx >= 0) {
        const out = this.buf.subarray(this.pos, idx);
        this.pos = idx + 1;
        return out;
      }
      if (!(await this.fill())) {
        if (this.pos < this.buf.length) {
          const out = this.buf.subarray(this.pos);
          this.pos = this.buf.length;
          return out;
        }
        return null;
      }
    }
  }

  /** Exactly n bytes; collects chunks first so a large blob is copied once. */
  async readExact(n: number): Promise<Uint8Array | null> {
    const have = this.buf.length - this.pos;
    if (have >= n) {
      const out = this.buf.slice(this.pos, this.pos + n);
      this.pos += n;
      return out;
    }
    const parts: Uint8Array[] = [this.buf.subarray(this.pos)];
    let total = have;
    while (total < n) {
      const r = this.ended ? { done: true, value: undefined } : await this.reader.read();
      if (r.done || r.value === undefined) {
        this.ended = true;
        return null;
      }
      parts.push(r.value);
      total += r.value.length;
    }
    const all = new Uint8Array(total);
    let off = 0;
    for (const p of parts) {
      all.set(p, off);
      off += p.length;
    }
    this.buf = all;
    this.pos = n;
    return all.slice(0, n);
  }
}

/** Parse a raw tree object (as `cat-file --batch` returns it): `<mode> <name>\0<binary oid>` repeated. */
export function parseRawTree(content: Uint8Array, oidBytes: number): TreeEntry[] {
  const entries: TreeEntry[] = [];
  let i = 0;
  while (i < content.length) {
    const sp = content.indexOf(0x20, i);
    const nul = content.indexOf(0, sp + 1);
    if (sp < 0 || nul < 0 || nul + 1 + oidBytes > content.length) {
      throw new DistillError('E_STORE_CORRUPT', 'malformed tree object', { details: { offset: i } });
    }
    const rawMode = decoder.decode(content.subarray(i, sp));
    const name = decoder.decode(content.subarray(sp + 1, nul));
    const oid = Buffer.from(content.subarray(nul + 1, nul + 1 + oidBytes)).toString('hex');
    const mode = rawMode.padStart(6, '0');
    const type: TreeEntryType = mode === '040000' ? 'tree' : mode === '160000' ? 'commit' : 'blob';
    entries.push({ mode, type, oid, name });
    i = nul + 1 + oidBytes;
  }
  return entries;
}

/** Parse `ls-tree -z` output. */
export function parseLsTree(text: string): TreeEntry[] {
  const entries: TreeEntry[] = [];
  for (const rec of text.split('\0')) {
    if (rec === '') continue;
    const tab = rec.indexOf('\t');
    const [mode, type, oid] = rec.slice(0, tab).split(' ');
    if (tab < 0 || mode === undefined || oid === undefined || (type !== 'blob' && type !== 'tree' && type !== 'commit')) {
      throw new DistillError('E_GIT_FAILED', 'unexpected ls-tree output', { details: { record: rec.slice(0, 200) } });
    }
    entries.push({ mode: mode.padStart(6, '0'), type, oid, name: rec.slice(tab + 1) });
  }
  return entries;
}

/**
 * ISO 8601 → git's internal date (`<unix seconds> <±hhmm>`), keeping the offset the string states.
 * A string without a timezone is refused: it would be read in the machine's local zone and break reproducibility.
 */
export function formatGitDate(iso: string): string {
  const tz = /(Z|[+-]\d{2}:?\d{2})$/.exec(iso);
  const ms = Date.parse(iso);
  if (tz === null || Number.isNaN(ms)) {
    throw new DistillError('E_INTERNAL', `not an ISO 8601 date with a timezone: ${JSON.stringify(iso)}`, {
      details: { date: iso },
    });
  }
  const zone = tz[1] === 'Z' || tz[1] === undefined ? '+0000' : tz[1].replace(':', '');
  return `${Math.floor(ms / 1000)} ${zone}`;
}

function assertOid(oid: string, what: string): void {
  if (!OID_RE.test(oid)) {
    throw new DistillError('E_INTERNAL', `${what} is not a full object id: ${JSON.stringify(oid)}`, { details: { oid } });
  }
}

function assertTreeEntryName(name: string): void {
  if (name === '' || name.includes('/') || name.includes('\0') || name.includes('\n')) {
    throw new DistillError('E_INTERNAL', `invalid tree entry name: ${JSON.stringify(name)}`, { details: { name } });
  }
}

function renderTreeEntries(entries: TreeEntry[]): string {
  let out = '';
  for (const e of entries) {
    assertTreeEntryName(e.name);
    assertOid(e.oid, `tree entry ${e.name}`);
    out += `${e.mode} ${e.type} ${e.oid}\t${e.name}\0`;
  }
  return out;
}

const HASH_BATCH_MIN = 6;

/** Create the git edge for the repository at `opts.cwd`. */
export function createGit(opts: GitOptions): Git {
  const cwd = opts.cwd;
  const baseEnv = buildEnv(opts.env);
  let gitDirCache: string | null = null;

  const envFor = (extra: Record<string, string> | undefined) => (extra ? { ...baseEnv, ...extra } : baseEnv);

  async function run(args: string[], ro: GitRunOptions = {}): Promise<GitResult> {
    const stdin = ro.input === undefined ? 'ignore' : toBytes(ro.input);
    const { argv, proc } = spawnGit(cwd, envFor(ro.env), args, stdin);
    const [out, err, exitCode] = await Promise.all([
      new Response(proc.stdout).arrayBuffer(),
      new Response(proc.stderr).text(),
      proc.exited,
    ]);
    const stdout = new Uint8Array(out);
    if (exitCode !== 0 && !(ro.allowExit ?? []).includes(exitCode)) throw gitError(argv, exitCode, err, cwd);
    return { stdout, stdoutText: decoder.decode(stdout), stderr: err, exitCode };
  }

  async function* records(args: string[], separator: 0 | 10): AsyncGenerator<string> {
    const { argv, proc } = spawnGit(cwd, baseEnv, args, 'ignore');
    const stderr = new Response(proc.stderr).text();
    const reader = new ByteReader(proc.stdout);
    let finished = false;
    try {
      for (;;) {
        const rec = await reader.readUntil(separator);
        if (rec === null) break;
        if (rec.length === 0 && separator === 10) continue;
        yield decoder.decode(rec);
      }
      finished = true;
      const exitCode = await proc.exited;
      if (exitCode !== 0) throw gitError(argv, exitCode, await stderr, cwd);
    } finally {
      // A consumer that stops early must not leave git writing into a full pipe.
      if (!finished) proc.kill();
    }
  }

  async function revParse(rev: string): Promise<string> {
    if (rev === '' || rev.startsWith('-')) {
      throw new DistillError('E_GIT_BAD_REVISION', `not a revision: ${JSON.stringify(rev)}`, { details: { rev } });
    }
    const r = await run(['rev-parse', '--verify', '--quiet', rev], { allowExit: [1, 128] });
    const oid = r.stdoutText.trim();
    if (r.exitCode !== 0 || !OID_RE.test(oid)) {
      throw new DistillError('E_GIT_BAD_REVISION', `unknown revision ${JSON.stringify(rev)} in ${cwd}`, {
        hint: 'list recent commits with: git log --oneline -10',
        details: { rev, stderr: r.stderr.trim() },
      });
    }
    return oid;
  }

  async function resolveRef(ref: string): Promise<string | null> {
    if (!ref.startsWith('refs/')) {
      throw new DistillError('E_INTERNAL', `not a full ref name: ${JSON.stringify(ref)}`, { details: { ref } });
    }
    const r = await run(['rev-parse', '--verify', '--quiet', ref], { allowExit: [1] });
    if (r.exitCode === 1) return null;
    return r.stdoutText.trim();
  }

  async function gitDir(): Promise<string> {
    if (gitDirCache === null) gitDirCache = (await run(['rev-parse', '--absolute-git-dir'])).stdoutText.trim();
    return gitDirCache;
  }

  async function hashObject(bytes: string | Uint8Array): Promise<string> {
    return (await run(['hash-object', '-w', '--no-filters', '--stdin'], { input: bytes })).stdoutText.trim();
  }

  async function hashObjects(blobs: ReadonlyArray<string | Uint8Array>): Promise<string[]> {
    if (blobs.length < HASH_BATCH_MIN) return Promise.all(blobs.map((b) => hashObject(b)));
    // git has no "many blobs on stdin" mode; --stdin-paths over temporary files costs one spawn in all.
    const dir = await mkdtemp(join(tmpdir(), 'git-distill-blobs-'));
    try {
      const paths = blobs.map((_, i) => join(dir, String(i)));
      await Promise.all(blobs.map((b, i) => writeFile(paths[i]!, toBytes(b))));
      const r = await run(['hash-object', '-w', '--no-filters', '--stdin-paths'], { input: paths.join('\n') + '\n' });
      const oids = r.stdoutText.split('\n').filter((l) => l !== '');
      if (oids.length !== blobs.length) {
        throw new DistillError('E_GIT_FAILED', `git hash-object returned ${oids.length} oids for ${blobs.length} blobs`);
      }
      return oids;
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  async function mktree(entries: TreeEntry[]): Promise<string> {
    return (await run(['mktree', '-z'], { input: renderTreeEntries(entries) })).stdoutText.trim();
  }

  function openTreeWriter(): TreeWriter {
    const { argv, proc } = spawnPipedGit(cwd, baseEnv, ['mktree', '-z', '--batch']);
    const reader = new ByteReader(proc.stdout);
    const stderr = new Response(proc.stderr).text();
    let chain: Promise<unknown> = Promise.resolve();
    const fail = async () => gitError(argv, (await proc.exited) || 1, await stderr, cwd);
    return {
      write(entries) {
        if (entries.length === 0) {
          // In batch mode an empty tree is indistinguishable from end of input; callers drop empty trees.
          return Promise.reject(new DistillError('E_INTERNAL', 'refusing to write an empty tree'));
        }
        proc.stdin.write(renderTreeEntries(entries) + '\0');
        proc.stdin.flush();
        const p = chain.then(async () => {
          const line = await reader.readUntil(10);
          const oid = line === null ? '' : decoder.decode(line).trim();
          if (!OID_RE.test(oid)) throw await fail();
          return oid;
        });
        chain = p.catch(() => undefined);
        return p;
      },
      async close() {
        proc.stdin.end();
        await proc.exited;
      },
    };
  }

  async function commitTree(o: CommitTreeOptions): Promise<string> {
    assertOid(o.tree, 'tree');
    const args = ['-c', 'i18n.commitEncoding=UTF-8', 'commit-tree', '--no-gpg-sign', o.tree];
    for (const p of o.parents) {
      assertOid(p, 'parent');
      args.push('-p', p);
    }
    const date = formatGitDate(o.date);
    const env = {
      GIT_AUTHOR_NAME: o.identity.name,
      GIT_AUTHOR_EMAIL: o.identity.email,
      GIT_AUTHOR_DATE: date,
      GIT_COMMITTER_NAME: o.identity.name,
      GIT_COMMITTER_EMAIL: o.identity.email,
      GIT_COMMITTER_DATE: date,
    };
    return (await run(args, { input: o.message, env })).stdoutText.trim();
  }

  async function updateRefCas(ref: string, newOid: string, oldOid: string | null, reflogMessage: string): Promise<void> {
    if (!ref.startsWith('refs/')) {
      throw new DistillError('E_INTERNAL', `not a full ref name: ${JSON.stringify(ref)}`, { details: { ref } });
    }
    assertOid(newOid, 'new value');
    if (oldOid !== null) assertOid(oldOid, 'old value');
    // The zero oid as the old value means "must not exist yet": two first writers cannot both create the ref.
    const old = oldOid ?? '0'.repeat(newOid.length);
    const r = await run(['update-ref', '-m', reflogMessage, ref, newOid, old], { allowExit: [1, 128] });
    if (r.exitCode === 0) return;
    const stderr = r.stderr.trim();
    const current = await resolveRef(ref);
    const lockHeld = /\.lock'?: File exists/.test(stderr);
    if (current !== oldOid || lockHeld || /cannot lock ref/.test(stderr)) {
      throw new DistillError('E_STORE_RACE_LOST', `${ref} moved while writing: expected ${oldOid ?? 'no ref'}, found ${current ?? 'no ref'}`, {
        hint: lockHeld
          ? `another git-distill is writing ${ref}; retry. If none is running, remove the stale lock ${join(await gitDir(), ref)}.lock`
          : 'another git-distill wrote the branch first; run the command again',
        details: { ref, expected_old: oldOid, found: current, new: newOid, stderr: stderr.slice(0, STDERR_CAP) },
      });
    }
    throw gitError(['git', ...GLOBAL_ARGS, 'update-ref', '-m', reflogMessage, ref, newOid, old], r.exitCode, stderr, cwd);
  }

  async function lsTree(treeish: string, path?: string): Promise<TreeEntry[] | null> {
    if (treeish.startsWith('-')) {
      throw new DistillError('E_GIT_BAD_REVISION', `not a tree: ${JSON.stringify(treeish)}`, { details: { treeish } });
    }
    const spec = path === undefined || path === '' ? treeish : `${treeish}:${path}`;
    const r = await run(['ls-tree', '-z', '--full-tree', spec], { allowExit: [128] });
    if (r.exitCode === 128) {
      if (/Not a valid object name|not a tree object/i.test(r.stderr)) return null;
      throw gitError(['git', ...GLOBAL_ARGS, 'ls-tree', '-z', '--full-tree', spec], 128, r.stderr, cwd);
    }
    return parseLsTree(r.stdoutText);
  }

  function catFileBatch(): CatFileBatch {
    let started: { argv: string[]; proc: ReturnType<typeof spawnPipedGit>['proc']; reader: ByteReader; stderr: Promise<string> } | null = null;
    let chain: Promise<unknown> = Promise.resolve();
    let closed = false;

    const start = () => {
      if (started === null) {
        const { argv, proc } = spawnPipedGit(cwd, baseEnv, ['cat-file', '--batch']);
        started = { argv, proc, reader: new ByteReader(proc.stdout), stderr: new Response(proc.stderr).text() };
      }
      return started;
    };

    const read = (spec: string): Promise<GitObject | null> => {
      if (closed) return Promise.reject(new DistillError('E_INTERNAL', 'cat-file batch used after close'));
      if (spec === '' || spec.includes('\n')) {
        return Promise.reject(new DistillError('E_INTERNAL', `invalid object spec: ${JSON.stringify(spec)}`));
      }
      const s = start();
      s.proc.stdin.write(spec + '\n');
      s.proc.stdin.flush();
      const fail = async () => gitError(s.argv, (await s.proc.exited) || 1, await s.stderr, cwd);
      const p = chain.then(async (): Promise<GitObject | null> => {
        const header = await s.reader.readUntil(10);
        if (header === null) throw await fail();
        const text = decoder.decode(header);
        if (text.endsWith(' missing') || text.endsWith(' ambiguous')) return null;
        const [oid, type, size] = text.split(' ');
        const n = Number(size);
        if (oid === undefined || type === undefined || !Number.isInteger(n)) throw await fail();
        const content = await s.reader.readExact(n);
        const nl = await s.reader.readExact(1);
        if (content === null || nl === null) throw await fail();
        return { oid, type, content };
      });
      chain = p.catch(() => undefined);
      return p;
    };

    return {
      read,
      async readTree(spec) {
        const obj = await read(spec);
        if (obj === null) return null;
        if (obj.type !== 'tree') {
          throw new DistillError('E_STORE_CORRUPT', `${spec} is a ${obj.type}, not a tree`, { details: { spec, oid: obj.oid } });
        }
        return parseRawTree(obj.content, obj.oid.length / 2);
      },
      async close() {
        closed = true;
        if (started !== null) {
          started.proc.stdin.end();
          await started.proc.exited;
        }
      },
    };
  }

  return {
    cwd,
    run,
    records,
    revParse,
    resolveRef,
    gitDir,
    hashObject,
    hashObjects,
    mktree,
    openTreeWriter,
    commitTree,
    updateRefCas,
    lsTree,
    catFileBatch,
  };
}
