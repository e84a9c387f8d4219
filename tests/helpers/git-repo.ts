// Test git repositories built by code: temp dir, `git init -b main`, pinned identity and dates; plus a snapshot of the user's state (invariant 7).
import { appendFile, lstat, mkdir, mkdtemp, readdir, readFile, readlink, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { sha256Hex } from '../../src/canonical.ts';
import { createGit, type Git } from '../../src/io/git.ts';
import { DEFAULT_DISTILL_REF, isRemoteDistillRef } from '../../src/store/layout.ts';

/** First pinned commit date; each further commit is one minute later. */
export const REPO_EPOCH = Date.parse('2024-01-01T00:00:00Z') / 1000;

export interface CommitOptions {
  /** Override the pinned date (ISO 8601 with timezone, or git's `<seconds> <tz>`). */
  date?: string;
  /** Paths to delete in this commit. */
  remove?: string[];
}

export interface TestRepo {
  dir: string;
  git: Git;
  /** Write `files` (path → text) into the working tree, stage them, commit; returns the new commit oid. */
  commit(files: Record<string, string>, message: string, opts?: CommitOptions): Promise<string>;
  cleanup(): Promise<void>;
}

/** A fresh repository on branch main with one identity and dates that advance one minute per commit. */
export async function makeRepo(): Promise<TestRepo> {
  const dir = await mkdtemp(join(tmpdir(), 'git-distill-test-'));
  const git = createGit({ cwd: dir });
  await git.run(['init', '-q', '-b', 'main']);
  // One file write instead of six `git config` spawns: every test starts with a repository.
  const config = [
    '[user]',
    '\tname = Test User',
    '\temail = test@example.com',
    '[commit]',
    '\tgpgsign = false',
    '[tag]',
    '\tgpgsign = false',
    '[core]',
    '\tautocrlf = false',
    '',
  ].join('\n');
  await appendFile(join(dir, '.git', 'config'), config);
  let n = 0;
  return {
    dir,
    git,
    async commit(files, message, opts = {}) {
      for (const [path, text] of Object.entries(files)) {
        const full = join(dir, path);
        await mkdir(dirname(full), { recursive: true });
        await writeFile(full, text);
      }
      const paths = Object.keys(files);
      if (paths.length > 0) await git.run(['add', '--', ...paths]);
      if (opts.remove !== undefined && opts.remove.length > 0) await git.run(['rm', '-q', '--', ...opts.remove]);
      const date = opts.date ?? `${REPO_EPOCH + 60 * n} +0000`;
      n++;
      await git.run(['commit', '-q', '--allow-empty', '-m', message], {
        env: { GIT_AUTHOR_DATE: date, GIT_COMMITTER_DATE: date },
      });
      return git.revParse('HEAD');
    },
    async cleanup() {
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export interface UserState {
  status_porcelain: string;
  stash_list: string;
  /** `<symbolic ref or "detached"> <oid or "unborn">`. */
  head: string;
  /** `<oid> <refname>` per line, sorted, without the distill branch and its remote-tracking copies. */
  refs: string;
  /** sha256 of the index file's bytes ("none" without one): the index must not even be refreshed. */
  index_sha256: string;
  /** sha256 over every working-tree path and its content (outside .git): catches edits status cannot show. */
  worktree_sha256: string;
}

/** git-distill's own cache: the one path it writes inside a working tree (ignored by its own .gitignore). */
export const CACHE_PREFIX = '.distill/cache';

async function hashWorktree(dir: string, exclude: readonly string[]): Promise<string> {
  const lines: string[] = [];
  const visit = async (rel: string): Promise<void> => {
    const entries = await readdir(join(dir, rel), { withFileTypes: true });
    for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const path = rel === '' ? e.name : `${rel}/${e.name}`;
      if (path === '.git' || exclude.includes(path)) continue;
      const full = join(dir, path);
      const st = await lstat(full);
      if (st.isDirectory()) await visit(path);
      else if (st.isSymbolicLink()) lines.push(`${path} -> ${await readlink(full)}`);
      else lines.push(`${path} ${st.mode.toString(8)} ${sha256Hex(await readFile(full))}`);
    }
  };
  await visit('');
  return sha256Hex(lines.join('\n'));
}

/** Everything of the user's that git-distill must leave alone: status, stash, HEAD, refs, index bytes, working tree. */
export async function snapshotUserState(dir: string, distillRef: string = DEFAULT_DISTILL_REF, exclude: readonly string[] = []): Promise<UserState> {
  const git = createGit({ cwd: dir });
  const status = await git.run(['status', '--porcelain=v1', '-z', '--untracked-files=all', '--ignored']);
  const stash = await git.run(['stash', 'list', '--format=%H %gs']);
  const symbolic = await git.run(['symbolic-ref', '-q', 'HEAD'], { allowExit: [1] });
  const headOid = await git.run(['rev-parse', '--verify', '-q', 'HEAD'], { allowExit: [1] });
  const refs = await git.run(['for-each-ref', '--format=%(objectname) %(refname)']);
  const keptRefs = refs.stdoutText
    .split('\n')
    .filter((line) => line !== '')
    .filter((line) => {
      const name = line.slice(line.indexOf(' ') + 1);
      return name !== distillRef && !isRemoteDistillRef(name);
    })
    .sort();
  let index = 'none';
  try {
    index = sha256Hex(await readFile(join(await git.gitDir(), 'index')));
  } catch {
    // No index yet (a repository without commits or staged files).
  }
  return {
    status_porcelain: status.stdoutText
      .split('\0')
      .filter((entry) => !exclude.some((x) => entry.slice(3).startsWith(x)))
      .join('\0'),
    stash_list: stash.stdoutText,
    head: `${symbolic.exitCode === 0 ? symbolic.stdoutText.trim() : 'detached'} ${headOid.exitCode === 0 ? headOid.stdoutText.trim() : 'unborn'}`,
    refs: keptRefs.join('\n'),
    index_sha256: index,
    worktree_sha256: await hashWorktree(dir, exclude),
  };
}
