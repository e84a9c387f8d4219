// Team sync of the distill branch: fetch into refs/remotes/<remote>/<branch>, union-merge, push without force, retry a lost race.
import { DistillError, isDistillError } from '../errors.ts';
import type { Git } from '../io/git.ts';
import { createGitStore } from '../store/git-store.ts';
import { COMMITS_DIR, FORMAT_FILE, parseFormat, remoteTrackingRef, sourceOidOfPath } from '../store/layout.ts';
import type { DistillStore } from '../store/store.ts';
import { planUnionMerge, type DeriveFiles, type FolderConflict } from './merge.ts';

export interface SyncOptions {
  /** At the repository root. */
  git: Git;
  /** The live distill branch (a git store on `ref`). */
  store: DistillStore;
  remote: string;
  tool_version: string;
  derive: DeriveFiles;
  /** Total push tries (a lost race fetches, merges and tries again); at least 1. */
  attempts: number;
  sleep: (ms: number) => Promise<void>;
  /** In [0, 1): the jitter of the pause between tries. */
  random: () => number;
  /** Called before each push try (1-based): a seam where tests let another clone win the race. */
  before_push?: (attempt: number) => Promise<void>;
}

export type IntegrateAction = 'no-remote-branch' | 'up-to-date' | 'created' | 'fast-forward' | 'merged';

export interface IntegrateResult {
  action: IntegrateAction;
  tracking_ref: string;
  /** Our head before and after. */
  before: string | null;
  after: string | null;
  /** The remote's head as fetched. */
  remote_head: string | null;
  /** Source oids whose commit folder came from the remote (merged, fast-forwarded or created), sorted. */
  added: string[];
  conflicts: FolderConflict[];
  meta_merged: string[];
  derived: string[];
}

export interface PushResult extends IntegrateResult {
  pushed: boolean;
  /** Push tries used. */
  attempts: number;
}

const REMOTE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

export type SyncVerb = 'push' | 'pull';

/** Throw unless `remote` is a configured remote whose name can sit in a ref; the hint reruns `verb` with a configured one. */
export async function assertRemote(git: Git, remote: string, verb: SyncVerb): Promise<void> {
  const url = await git.run(['config', '--get', `remote.${remote}.url`], { allowExit: [1] });
  if (!REMOTE_NAME.test(remote) || remote.endsWith('.lock') || url.exitCode !== 0) {
    const names = (await git.run(['remote'])).stdoutText.split('\n').filter((l) => l !== '');
    throw new DistillError('E_USAGE', `'${remote}' is not a configured remote`, {
      hint: names.length === 0 ? 'add one with: git remote add origin <url>' : `one of: ${names.join(', ')} (git distill ${verb} ${names[0]})`,
      details: { remote, remotes: names },
    });
  }
}

/**
 * Fetch the remote's distill branch into its remote-tracking ref only. The `+` applies to that ref (a mirror of
 * the remote); our live ref is only ever moved by compare-and-swap, and no fetch refspec is written to config.
 */
export async function fetchDistill(git: Git, remote: string, ref: string): Promise<string | null> {
  const tracking = remoteTrackingRef(remote, ref);
  const r = await git.run(['fetch', '--quiet', '--no-tags', '--no-write-fetch-head', '--no-recurse-submodules', remote, `+${ref}:${tracking}`], {
    allowExit: [1, 128],
  });
  if (r.exitCode !== 0) {
    if (/couldn't find remote ref/i.test(r.stderr)) return null;
    throw new DistillError('E_GIT_FAILED', `cannot fetch ${ref} from ${remote}: ${r.stderr.trim().split('\n')[0] ?? ''}`, {
      hint: `check the remote with: git ls-remote ${remote}`,
      details: { remote, ref, status: r.exitCode, stderr: r.stderr.trim().slice(0, 2000) },
    });
  }
  return git.resolveRef(tracking);
}

/**
 * Source oids whose commit folder `to` holds and `from` does not: `commits/<xx>/<oid>` trees that one
 * `git diff-tree -t` reports as added (a folder both hold shows as modified or not at all).
 */
async function addedFolders(git: Git, from: string, to: string): Promise<string[]> {
  const r = await git.run(['diff-tree', '-r', '-t', '-z', '--no-renames', '--diff-filter=A', '--name-only', from, to, '--', COMMITS_DIR]);
  return r.stdoutText
    .split('\0')
    .filter((p) => p.split('/').length === 3)
    .map(sourceOidOfPath)
    .filter((oid): oid is string => oid !== null)
    .sort();
}

async function isAncestor(git: Git, a: string, b: string): Promise<boolean> {
  const r = await git.run(['merge-base', '--is-ancestor', a, b], { allowExit: [1] });
  return r.exitCode === 0;
}

/** The later committer date of two commits, as ISO 8601: the merge commit's date, so it needs no clock. */
async function laterDate(git: Git, a: string, b: string): Promise<string> {
  const r = await git.run(['show', '-s', '--format=%ct %cI', a, b]);
  const dates = r.stdoutText
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => ({ t: Number(l.slice(0, l.indexOf(' '))), iso: l.slice(l.indexOf(' ') + 1) }))
    .sort((x, y) => y.t - x.t || (x.iso < y.iso ? 1 : -1));
  return dates[0]?.iso ?? '1970-01-01T00:00:00Z';
}

/**
 * Bring the fetched remote head into ours: nothing, create, fast-forward, or a union merge commit. Our ref
 * only moves by compare-and-swap, so a concurrent local write makes this lose (E_STORE_RACE_LOST), not overwrite.
 */
export async function integrateRemote(opts: Pick<SyncOptions, 'git' | 'store' | 'remote' | 'tool_version' | 'derive'>): Promise<IntegrateResult> {
  const { git, store, remote } = opts;
  const tracking = remoteTrackingRef(remote, store.ref);
  const theirs = await fetchDistill(git, remote, store.ref);
  const ours = await store.head();
  const base: IntegrateResult = {
    action: 'up-to-date',
    tracking_ref: tracking,
    before: ours,
    after: ours,
    remote_head: theirs,
    added: [],
    conflicts: [],
    meta_merged: [],
    derived: [],
  };
  if (theirs === null) return { ...base, action: 'no-remote-branch' };
  if (ours === theirs || (ours !== null && (await isAncestor(git, theirs, ours)))) return base;

  const theirStore = createGitStore({ git, ref: tracking, tool_version: opts.tool_version });
  try {
    const format = await theirStore.readPath(FORMAT_FILE);
    const version = format === null ? null : parseFormat(new TextDecoder().decode(format));
    if (version === null) {
      throw new DistillError('E_STORE_CORRUPT', `${remote}'s ${store.ref} is not a git-distill branch (no ${FORMAT_FILE} at ${theirs})`, {
        hint: `point git-distill at another ref in .distill/config.json, or remove that branch on ${remote}`,
        details: { remote, ref: store.ref, tracking_ref: tracking, head: theirs },
      });
    }
    if (ours === null || (await isAncestor(git, ours, theirs))) {
      const added = ours === null ? await theirStore.listSources() : await addedFolders(git, ours, theirs);
      await git.updateRefCas(store.ref, theirs, ours, `git-distill: fast-forward to ${tracking}`);
      return { ...base, action: ours === null ? 'created' : 'fast-forward', after: theirs, added };
    }
    const plan = await planUnionMerge(store, theirStore, opts.derive);
    const after = await store.merge({
      theirs,
      expected_head: ours,
      files: plan.files,
      subject: `${tracking.slice('refs/remotes/'.length)} ${theirs.slice(0, 12)}`,
      date: await laterDate(git, ours, theirs),
    });
    return { ...base, action: 'merged', after, added: plan.added, conflicts: plan.conflicts, meta_merged: plan.meta_merged, derived: plan.derived };
  } finally {
    await theirStore.close();
  }
}

/** Pause before try `attempt + 1`: 50 ms doubling to 2 s, times a jitter in [0.5, 1.5) so racing clones drift apart. */
export function backoffMs(attempt: number, random: () => number): number {
  return Math.round(Math.min(2000, 50 * 2 ** (attempt - 1)) * (0.5 + random()));
}

function raceLost(verb: 'push' | 'pull', remote: string, ref: string, attempts: number, last: unknown): DistillError {
  const where = verb === 'push' ? `${ref} on ${remote}` : `${ref} (pulling from ${remote})`;
  return new DistillError('E_STORE_RACE_LOST', `${where} kept moving: lost the race ${attempts} time${attempts === 1 ? '' : 's'}`, {
    hint: `${verb === 'push' ? 'other clones are pushing' : 'another git-distill is writing'} right now; rerun: git distill ${verb} ${remote}`,
    details: { remote, ref, attempts },
    cause: last,
  });
}

/** `git distill pull`: fetch and merge, retrying when a local writer moves our ref meanwhile. */
export async function pullDistill(opts: SyncOptions): Promise<IntegrateResult> {
  const attempts = Math.max(1, opts.attempts);
  let last: unknown = null;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    if (attempt > 1) await opts.sleep(backoffMs(attempt - 1, opts.random));
    try {
      return await integrateRemote(opts);
    } catch (error) {
      if (!isDistillError(error) || error.code !== 'E_STORE_RACE_LOST') throw error;
      last = error;
    }
  }
  throw raceLost('pull', opts.remote, opts.store.ref, attempts, last);
}

type PushOutcome = { kind: 'ok' } | { kind: 'race'; detail: string };

/** One non-forced push of our head; a rejection the remote gives because it moved is a lost race. */
async function pushOnce(git: Git, remote: string, ref: string): Promise<PushOutcome> {
  const r = await git.run(['push', '--porcelain', '--no-verify', remote, `${ref}:${ref}`], { allowExit: [1, 128] });
  if (r.exitCode === 0) return { kind: 'ok' };
  const text = `${r.stdoutText}\n${r.stderr}`;
  const rejected = text.split('\n').find((l) => l.startsWith('!\t')) ?? '';
  if (/\[rejected\]|fetch first|non-fast-forward|stale info|cannot lock ref|failed to update ref|incorrect old value/i.test(rejected + r.stderr)) {
    return { kind: 'race', detail: (rejected || r.stderr).trim().slice(0, 500) };
  }
  throw new DistillError('E_GIT_FAILED', `cannot push ${ref} to ${remote}: ${(rejected || r.stderr).trim().split('\n')[0] ?? ''}`, {
    hint: `check access to the remote with: git ls-remote ${remote}`,
    details: { remote, ref, status: r.exitCode, stdout: r.stdoutText.slice(0, 2000), stderr: r.stderr.trim().slice(0, 2000) },
  });
}

/** `git distill push`: fetch, merge, push without force; on a lost race do it all again, up to `attempts` tries. */
export async function pushDistill(opts: SyncOptions): Promise<PushResult> {
  const attempts = Math.max(1, opts.attempts);
  const tracking = remoteTrackingRef(opts.remote, opts.store.ref);
  let last: unknown = null;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    if (attempt > 1) await opts.sleep(backoffMs(attempt - 1, opts.random));
    let integrated: IntegrateResult;
    try {
      integrated = await integrateRemote(opts);
    } catch (error) {
      if (!isDistillError(error) || error.code !== 'E_STORE_RACE_LOST') throw error;
      last = error;
      continue;
    }
    const head = integrated.after;
    if (head === null || head === integrated.remote_head) return { ...integrated, pushed: false, attempts: attempt };
    await opts.before_push?.(attempt);
    const outcome = await pushOnce(opts.git, opts.remote, opts.store.ref);
    if (outcome.kind === 'ok') {
      // No fetch refspec maps the branch, so git does not move the tracking ref: we do, to what the remote now holds.
      await opts.git.run(['update-ref', '-m', 'git-distill: pushed', tracking, head]);
      return { ...integrated, pushed: true, attempts: attempt };
    }
    last = outcome.detail;
  }
  throw raceLost('push', opts.remote, opts.store.ref, attempts, last);
}
