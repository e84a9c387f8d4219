// Wires the run pipeline to its edges: git (read-only plumbing for the source repo), the git store, the cache, source files.
import { open, readFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { isAbsolute, join, relative, resolve } from 'node:path';
import type { DistillConfig } from '../../schemas/config.ts';
import { DistillError, isDistillError } from '../errors.ts';
import { createGit, type Git } from '../io/git.ts';
import { inspectSource, makeCheckpoint } from '../io/checkpoint.ts';
import { readLines } from '../io/jsonl.ts';
import { expandSources } from '../io/fs.ts';
import { createGitStore } from '../store/git-store.ts';
import { buildIngestSetup, collectIo } from '../wiring.ts';
import { openDistillCache } from './cache.ts';
import { DEFAULT_LINK_SLACK_SECONDS } from './link.ts';
import type { DistillContext, SourceCommit, SourceFile } from './run.ts';
import { computeStepDrift } from '../drift/index.ts';

export interface OpenedContext {
  ctx: DistillContext;
  git: Git;
  repo_root: string;
  close(): Promise<void>;
}

/** The top level of the work tree containing `cwd`; E_GIT_NOT_A_REPO outside one. */
export async function findRepoRoot(git: Git): Promise<string> {
  try {
    return (await git.run(['rev-parse', '--show-toplevel'])).stdoutText.trim();
  } catch (error) {
    if (isDistillError(error) && error.code === 'E_GIT_NOT_A_REPO') {
      throw new DistillError('E_GIT_NOT_A_REPO', `${git.cwd} is not inside a git repository`, {
        hint: 'cd into a repository',
        details: error.details,
        cause: error,
      });
    }
    throw error;
  }
}

/** Parse `%H%x00%P%x00%ct%x00%s` output. */
function parseShow(text: string): { oid: string; parents: string[]; committed_at: string; subject: string } {
  const [oid = '', parents = '', ct = '0', subject = ''] = text.replace(/\n$/, '').split('\0');
  return {
    oid,
    parents: parents.split(' ').filter((p) => p !== ''),
    committed_at: new Date(Number(ct) * 1000).toISOString(),
    subject,
  };
}

export async function readCommitFacts(git: Git, repoRoot: string, oid: string, branch: string | null): Promise<SourceCommit> {
  const show = async (rev: string) =>
    parseShow((await git.run(['show', '-s', '--no-show-signature', '--no-color', '--format=%H%x00%P%x00%ct%x00%s', rev, '--'])).stdoutText);
  const c = await show(oid);
  const parent = c.parents[0] ?? null;
  const parentFacts = parent === null ? null : await show(parent);
  const diffArgs = parent === null ? ['diff-tree', '-r', '--root', '--no-renames', '--name-only', '-z', '--no-commit-id', oid] : ['diff-tree', '-r', '--no-renames', '--name-only', '-z', '--no-commit-id', parent, oid];
  const changed = (await git.run(diffArgs)).stdoutText.split('\0').filter((p) => p !== '');
  return {
    oid: c.oid,
    parents: c.parents,
    committed_at: c.committed_at,
    parent_committed_at: parentFacts?.committed_at ?? null,
    changed_paths: changed.sort(),
    repo_root: repoRoot,
    branch,
    subject: c.subject,
  };
}

/** Full oids of the commits `hints` (7+ hex digits) name that are ancestors of `tip`; one cat-file for all. */
export async function resolveAncestorCommits(git: Git, hints: readonly string[], tip: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const wanted = [...new Set(hints)].filter((h) => /^[0-9a-f]{7,64}$/.test(h));
  if (wanted.length === 0) return out;
  // `<hint>^{commit}` answers "<oid> commit", or "missing"/"ambiguous" for a name that is no single commit.
  const r = await git.run(['cat-file', '--batch-check=%(objectname) %(objecttype)'], { input: wanted.map((h) => `${h}^{commit}\n`).join('') });
  const answers = r.stdoutText.split('\n');
  for (const [i, hint] of wanted.entries()) {
    const [oid, type] = (answers[i] ?? '').split(' ');
    if (type !== 'commit' || oid === undefined || !/^[0-9a-f]{40,64}$/.test(oid)) continue;
    const ancestor = await git.run(['merge-base', '--is-ancestor', oid, tip], { allowExit: [1] });
    if (ancestor.exitCode === 0) out.set(hint, oid);
  }
  return out;
}

/**
 * A committed config is input from whoever committed it: a relative source may not climb out of the
 * repository (`../../.ssh/*`). Reading outside takes an absolute path, which is visibly deliberate.
 */
export function assertInsideRepo(pattern: string, repoRoot: string): void {
  if (isAbsolute(pattern)) return;
  const escapes = pattern.split(/[\\/]/).includes('..') || relative(repoRoot, resolve(repoRoot, pattern)).startsWith('..');
  if (escapes) {
    throw new DistillError('E_CONFIG_INVALID', `source '${pattern}' in .distill/config.json points outside the repository ${repoRoot}`, {
      hint: 'name sources inside the repository, or give an absolute path to read logs elsewhere on purpose',
      details: { path: pattern },
    });
  }
}

/** The configured, enabled sources expanded to files; a pattern that matches nothing yet is not an error. */
export function listConfiguredSources(config: DistillConfig, repoRoot: string): SourceFile[] {
  const out = new Map<string, SourceFile>();
  for (const s of config.sources) {
    if (!s.enabled) continue;
    assertInsideRepo(s.path, repoRoot);
    let files: Array<{ path: string; display_path: string }> = [];
    try {
      files = expandSources([s.path], repoRoot);
    } catch (error) {
      if (isDistillError(error) && error.code === 'E_INPUT_NOT_FOUND') continue;
      throw error;
    }
    for (const f of files) if (!out.has(f.path)) out.set(f.path, { ...f, format: s.format === 'auto' ? null : s.format });
  }
  return [...out.values()].sort((a, b) => (a.path < b.path ? -1 : 1));
}

async function hashRange(path: string, start: number, end: number): Promise<{ sha256: string; bytes: number }> {
  const hash = createHash('sha256');
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.allocUnsafe(1 << 20);
    let pos = start;
    while (pos < end) {
      const { bytesRead } = await fh.read(buf, 0, Math.min(buf.length, end - pos), pos);
      if (bytesRead === 0) break;
      hash.update(buf.subarray(0, bytesRead));
      pos += bytesRead;
    }
    return { sha256: hash.digest('hex'), bytes: pos - start };
  } finally {
    await fh.close();
  }
}

/** Open everything a run needs for the repository containing `cwd`. */
export async function openDistillContext(opts: {
  cwd: string;
  config: DistillConfig;
  tool_version: string;
  slack_seconds?: number;
}): Promise<OpenedContext> {
  const probe = createGit({ cwd: opts.cwd });
  const repoRoot = await findRepoRoot(probe);
  const git = createGit({ cwd: repoRoot });
  const branchResult = await git.run(['symbolic-ref', '-q', '--short', 'HEAD'], { allowExit: [1] });
  const branch = branchResult.exitCode === 0 ? branchResult.stdoutText.trim() : null;
  const setup = buildIngestSetup();
  const scoring = setup.scoring(opts.config);
  const store = createGitStore({ git, ref: opts.config.ref, tool_version: opts.tool_version });
  const cache = openDistillCache(repoRoot);
  const io = collectIo();
  const ctx: DistillContext = {
    store,
    cache,
    config: opts.config,
    adapters: setup.adapters,
    redact: setup.redactor(opts.config),
    rules: scoring.rules,
    rules_sha256: scoring.rules_sha256,
    scorer_version: scoring.scorer_version,
    tool_version: opts.tool_version,
    slack_seconds: opts.slack_seconds ?? DEFAULT_LINK_SLACK_SECONDS,
    listSourceFiles: () => listConfiguredSources(opts.config, repoRoot),
    readLines: (path, o) => readLines(isAbsolute(path) ? path : join(repoRoot, path), o),
    parseJson: io.parseJson,
    readJsonDocument: io.readJsonDocument,
    inspectSource,
    makeCheckpoint,
    hashRange,
    readFile: async (path) => new Uint8Array(await readFile(isAbsolute(path) ? path : join(repoRoot, path))),
    commitFacts: (oid) => readCommitFacts(git, repoRoot, oid, branch),
    computeDrift: (oid, evidence) => computeStepDrift({ git, store, config: opts.config, commit: oid, own_evidence: evidence, tool_version: opts.tool_version }),
    resolveAncestors: (hints, tip) => resolveAncestorCommits(git, hints, tip),
    sleep: (ms) => new Promise((r) => setTimeout(r, ms + Math.floor(Math.random() * ms))),
  };
  return {
    ctx,
    git,
    repo_root: repoRoot,
    async close() {
      await store.close();
      cache.close();
    },
  };
}
