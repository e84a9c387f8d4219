// `hooks install|uninstall|status` against a real repository: read the hook files, plan (pure), apply the plan.
import { chmod, mkdir, readFile, rename, rmdir, stat, unlink, writeFile } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import type { Git } from '../io/git.ts';
import {
  CHAIN_SUFFIX,
  HOOK_NAMES,
  isOurs,
  planInstall,
  planUninstall,
  removeHuskyBlock,
  renderManagerSnippets,
  type FileSnapshot,
  type HookAction,
  type HookFiles,
  type HookLayout,
  type HookName,
  type InstallState,
} from './plan-install.ts';

export { planInstall, planUninstall, HOOK_NAMES, type HookAction, type HookName, type InstallState } from './plan-install.ts';
export { claimQueue, drainQueue, finishClaim, listRewrites, parseQueue, parseRewritePairs, queuePath, readQueue, rewritesDir } from './queue.ts';

/** The package's `hooks/` folder: the shim templates. */
export const DEFAULT_TEMPLATES_DIR = resolve(import.meta.dir, '../../hooks');

export interface InstallOptions {
  /** Absolute path of the git-distill launcher to record in the hooks; null: hooks look it up on PATH. */
  git_distill_bin: string | null;
  /** Plan and report without touching a file. */
  dry_run: boolean;
  /** Where the shim templates are; null: this package's `hooks/`. */
  templates_dir: string | null;
}

export interface HooksResult {
  hooks_dir: string;
  layout: HookLayout;
  actions: HookAction[];
  /** Lines for husky, lefthook and the pre-commit framework, for users who prefer their hook manager. */
  snippets: string;
}

async function readMaybe(path: string): Promise<string | null> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return null;
    throw error;
  }
}

async function exists(path: string): Promise<boolean> {
  return (await stat(path).catch(() => null)) !== null;
}

/** `<git-common-dir>`, absolute: the main repository's git dir even from a linked worktree. */
async function commonDir(git: Git): Promise<string> {
  const gitDir = await git.gitDir();
  const pointer = await readMaybe(join(gitDir, 'commondir'));
  return pointer === null ? gitDir : resolve(gitDir, pointer.trim());
}

/**
 * The directory git runs hooks from. io/git.ts runs every git with `-c core.hooksPath=/dev/null`, which would
 * answer `rev-parse --git-path hooks` itself; so read the user's own value (any scope but the command line) and
 * ask git to resolve that one (tilde, relative to the worktree top) the way it does when running hooks.
 */
export async function resolveHooksDir(git: Git): Promise<string> {
  const r = await git.run(['config', '--show-scope', '-z', '--get-all', 'core.hooksPath'], { allowExit: [1] });
  const fields = r.stdoutText.split('\0');
  let configured: string | null = null;
  for (let i = 0; i + 1 < fields.length; i += 2) {
    if (fields[i] !== 'command') configured = fields[i + 1] ?? null;
  }
  if (configured === null || configured === '') return join(await commonDir(git), 'hooks');
  const path = (await git.run(['-c', `core.hooksPath=${configured}`, 'rev-parse', '--git-path', 'hooks'])).stdoutText.replace(/\n$/, '');
  return isAbsolute(path) ? path : resolve(git.cwd, path);
}

async function detectLayout(hooksDir: string): Promise<HookLayout> {
  // husky v9: core.hooksPath=<dir>/_ holds generated stubs and `h`, which runs `<dir>/<hook>` with `sh -e`.
  if (basename(hooksDir) === '_' && (await exists(join(hooksDir, 'h')))) {
    return { kind: 'husky', husky_dir: dirname(hooksDir), version: 'v9' };
  }
  // husky v4–v8: core.hooksPath=<dir>, whose scripts source `<dir>/_/husky.sh` and are run by git directly.
  if (await exists(join(hooksDir, '_', 'husky.sh'))) return { kind: 'husky', husky_dir: hooksDir, version: 'v4-v8' };
  return { kind: 'plain' };
}

async function isTracked(git: Git, path: string): Promise<boolean> {
  // Outside the worktree (the default .git/hooks, a global hooks dir) git answers 128: not tracked.
  const r = await git.run(['ls-files', '-z', '--', path], { allowExit: [1, 128] });
  return r.exitCode === 0 && r.stdoutText !== '';
}

async function snapshot(git: Git, path: string, checkTracked: boolean): Promise<FileSnapshot> {
  const content = await readMaybe(path);
  const fileExists = content !== null || (await exists(path));
  return { path, exists: fileExists, content, tracked: fileExists && checkTracked ? await isTracked(git, path) : false };
}

async function readTemplates(dir: string): Promise<Record<HookName, string>> {
  const entries = await Promise.all(HOOK_NAMES.map(async (n) => [n, await readFile(join(dir, n), 'utf8')] as const));
  return Object.fromEntries(entries) as Record<HookName, string>;
}

/** Everything planInstall/planUninstall need, read from the repository at `git.cwd`. */
export async function readInstallState(git: Git, opts: Pick<InstallOptions, 'git_distill_bin' | 'templates_dir'>): Promise<InstallState> {
  const hooksDir = await resolveHooksDir(git);
  const layout = await detectLayout(hooksDir);
  const shimDir = join(await commonDir(git), 'distill', 'hooks');
  const targetDir = layout.kind === 'husky' ? layout.husky_dir : hooksDir;
  const hooks: HookFiles[] = [];
  for (const name of HOOK_NAMES) {
    const targetPath = join(targetDir, name);
    hooks.push({
      name,
      target: await snapshot(git, targetPath, layout.kind === 'plain'),
      backup: await snapshot(git, targetPath + CHAIN_SUFFIX, false),
      shim: await snapshot(git, join(shimDir, name), false),
    });
  }
  return {
    hooks_dir: hooksDir,
    layout,
    shim_dir: shimDir,
    git_distill_bin: opts.git_distill_bin,
    templates: await readTemplates(opts.templates_dir ?? DEFAULT_TEMPLATES_DIR),
    hooks,
  };
}

/** Write through a temporary file and rename, so git never runs a half-written hook. */
async function writeAtomic(path: string, content: string, mode: number | null): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const finalMode = mode ?? ((await stat(path).catch(() => null))?.mode ?? 0o644) & 0o7777;
  const tmp = `${path}.git-distill-${process.pid}.tmp`;
  await writeFile(tmp, content);
  await chmod(tmp, finalMode);
  await rename(tmp, path);
}

async function applyActions(actions: HookAction[]): Promise<void> {
  for (const a of actions) {
    if (a.kind === 'write') await writeAtomic(a.path, a.content, a.mode);
    else if (a.kind === 'rename') await rename(a.from, a.to);
    else if (a.kind === 'remove') await unlink(a.path);
  }
}

/** Write post-commit, post-rewrite and pre-push where git (or husky) runs them, chaining what is there. */
export async function installHooks(git: Git, opts: InstallOptions): Promise<HooksResult> {
  const state = await readInstallState(git, opts);
  const actions = planInstall(state);
  if (!opts.dry_run) await applyActions(actions);
  return { hooks_dir: state.hooks_dir, layout: state.layout, actions, snippets: renderManagerSnippets() };
}

/** Remove exactly what installHooks added; chained hooks go back under their own name, byte for byte. */
export async function uninstallHooks(git: Git, opts: { dry_run: boolean } = { dry_run: false }): Promise<HooksResult> {
  const state = await readInstallState(git, { git_distill_bin: null, templates_dir: null });
  const actions = planUninstall(state);
  if (!opts.dry_run) {
    await applyActions(actions);
    // Only empty directories go: rmdir refuses anything else, which is what we want.
    for (const dir of [state.shim_dir, dirname(state.shim_dir)]) await rmdir(dir).catch(() => undefined);
  }
  return { hooks_dir: state.hooks_dir, layout: state.layout, actions, snippets: renderManagerSnippets() };
}

export interface HookStatusEntry {
  name: HookName;
  installed: boolean;
  /** The user's hook ours runs first (a `.pre-git-distill` file, or the husky script); null when none. */
  chained: string | null;
  /** Who owns the file git runs: null when there is none. */
  managed_by: 'git-distill' | 'husky' | 'other' | null;
}

export interface HookStatus {
  hooks_dir: string;
  layout: 'plain' | 'husky';
  hooks: HookStatusEntry[];
}

/** Which of our hooks are installed and what they chain (for `hooks status` and `doctor`). */
export async function hookStatus(git: Git): Promise<HookStatus> {
  const hooksDir = await resolveHooksDir(git);
  const layout = await detectLayout(hooksDir);
  const shimDir = join(await commonDir(git), 'distill', 'hooks');
  const hooks: HookStatusEntry[] = [];
  for (const name of HOOK_NAMES) {
    if (layout.kind === 'husky') {
      const path = join(layout.husky_dir, name);
      const content = await readMaybe(path);
      const withBlock = content !== null && removeHuskyBlock(content) !== null;
      const installed = withBlock && isOurs(await readMaybe(join(shimDir, name)));
      hooks.push({ name, installed, chained: installed ? path : null, managed_by: 'husky' });
      continue;
    }
    const path = join(hooksDir, name);
    const content = await readMaybe(path);
    const fileExists = content !== null || (await exists(path));
    const ours = isOurs(content);
    const backup = path + CHAIN_SUFFIX;
    hooks.push({
      name,
      installed: ours,
      chained: ours && (await exists(backup)) ? backup : null,
      managed_by: !fileExists ? null : ours ? 'git-distill' : 'other',
    });
  }
  return { hooks_dir: hooksDir, layout: layout.kind, hooks };
}
