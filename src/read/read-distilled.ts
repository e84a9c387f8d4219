// Reads the user's history and the distill branch for log/show/verify: revisions through git, folders through the store; never writes.
import { DistillError, isDistillError } from '../errors.ts';
import { loadRepoConfig } from '../config/load.ts';
import { createGit, type Git } from '../io/git.ts';
import { createGitStore } from '../store/git-store.ts';
import type { DistillStore } from '../store/store.ts';
import { commitDir, FORMAT_FILE, FORMAT_VERSION, parseFormat } from '../store/layout.ts';
import { verifyFolder, type Problem } from './verify-folder.ts';

export interface CommitRef {
  oid: string;
  /** git's unique abbreviation (core.abbrev). */
  short: string;
  subject: string;
}

/** The repository's top-level directory; E_GIT_NOT_A_REPO outside one. */
export async function readRepoRoot(git: Git): Promise<string> {
  return (await git.run(['rev-parse', '--show-toplevel'])).stdoutText.trim();
}

export interface RepoStore {
  git: Git;
  /** The repository's top-level directory. */
  root: string;
  store: DistillStore;
}

/** Git, the repository root and the distill branch named by the repository's config (default refs/heads/distill). */
export async function openRepoStore(cwd: string, toolVersion: string): Promise<RepoStore> {
  const git = createGit({ cwd });
  const root = await readRepoRoot(git);
  const { config } = loadRepoConfig(root);
  return { git, root, store: createGitStore({ git, ref: config.ref, tool_version: toolVersion }) };
}

const RANGE_SPLIT = /\.\.\.?/;

/**
 * Check every revision argument names a commit before git log sees it, so a typo is E_GIT_BAD_REVISION
 * (with the argument) rather than git's "ambiguous argument", and nothing can pass as an option.
 */
export async function assertRevisions(git: Git, revs: readonly string[]): Promise<void> {
  for (const arg of revs) {
    const body = arg.startsWith('^') ? arg.slice(1) : arg;
    const sides = body.split(RANGE_SPLIT);
    if (arg.startsWith('-') || sides.length > 2 || sides.every((s) => s === '')) {
      throw new DistillError('E_GIT_BAD_REVISION', `not a revision or range: ${JSON.stringify(arg)}`, {
        hint: 'name a commit (HEAD~3, a branch, an oid) or a range such as main..HEAD',
        details: { rev: arg },
      });
    }
    // An empty side of a range means HEAD, as in git.
    for (const side of sides) await resolveCommit(git, side === '' ? 'HEAD' : side, arg);
  }
}

/** The commit `rev` names (tags peeled); E_GIT_BAD_REVISION naming `shown` when it names none. */
export async function resolveCommit(git: Git, rev: string, shown: string = rev): Promise<CommitRef> {
  let oid: string;
  try {
    oid = await git.revParse(`${rev}^{commit}`);
  } catch (error) {
    if (!isDistillError(error) || error.code !== 'E_GIT_BAD_REVISION') throw error;
    const unborn = rev === 'HEAD' && (await git.run(['rev-parse', '--verify', '--quiet', 'HEAD'], { allowExit: [1, 128] })).exitCode !== 0;
    throw new DistillError('E_GIT_BAD_REVISION', unborn ? 'HEAD has no commits yet' : `unknown revision ${JSON.stringify(shown)}: it names no commit`, {
      hint: unborn ? 'make a first commit, then run git distill again' : 'list recent commits with: git log --oneline -10',
      details: { rev: shown },
    });
  }
  const [short, subject] = (await git.run(['log', '-1', '--no-show-signature', '--no-color', '--format=%h%x1f%s', oid, '--'])).stdoutText.replace(/\n$/, '').split('\x1f');
  return { oid, short: short ?? oid.slice(0, 7), subject: subject ?? '' };
}

/** Commits `revs` select (default HEAD), newest first as git log lists them; at most `maxCount` when set. */
export async function listCommits(git: Git, revs: readonly string[], maxCount: number | null): Promise<CommitRef[]> {
  const selected = revs.length === 0 ? ['HEAD'] : [...revs];
  await assertRevisions(git, selected);
  if (maxCount === 0) return [];
  const args = ['log', '--no-show-signature', '--no-color', '-z', '--format=%H%x1f%h%x1f%s'];
  if (maxCount !== null) args.push(`--max-count=${maxCount}`);
  args.push(...selected, '--');
  const out: CommitRef[] = [];
  for await (const record of git.records(args, 0)) {
    const [oid, short, ...rest] = record.replace(/^\n/, '').split('\x1f');
    if (oid === undefined || oid === '') continue;
    out.push({ oid, short: short ?? oid.slice(0, 7), subject: rest.join('\x1f') });
  }
  return out;
}

export interface VerifiedFolder {
  source_oid: string;
  /** `commits/<xx>/<oid>`. */
  path: string;
  files: Map<string, Uint8Array>;
  problems: Problem[];
}

/** A stored folder and its verification, or null when the commit was never distilled. */
export async function readVerifiedFolder(store: DistillStore, sourceOid: string): Promise<VerifiedFolder | null> {
  const files = await store.readCommit(sourceOid);
  if (files === null) return null;
  return { source_oid: sourceOid, path: commitDir(sourceOid), files, problems: verifyFolder(files, { source_oid: sourceOid }) };
}

/** Problems of the branch as a whole: the FORMAT file every distill tree starts with. */
export async function verifyBranchFormat(store: DistillStore): Promise<Problem[]> {
  if ((await store.head()) === null) return [];
  const bytes = await store.readPath(FORMAT_FILE);
  const version = bytes === null ? null : parseFormat(new TextDecoder().decode(bytes));
  if (version === null) return [{ path: FORMAT_FILE, line: null, code: 'schema', message: `${store.ref} has no valid ${FORMAT_FILE} file (expected "git-distill ${FORMAT_VERSION}")` }];
  if (version > FORMAT_VERSION) return [{ path: FORMAT_FILE, line: null, code: 'schema', message: `format ${version} is newer than this git-distill reads (${FORMAT_VERSION}); upgrade git-distill` }];
  return [];
}
