// Reads what `git distill doctor` judges: git and Bun, the repository, config, hooks, agent logs not configured, the distill branch, the cache, the queue, optional modules. Never writes.
import { constants, existsSync } from 'node:fs';
import { access, readdir, readFile } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import { loadRepoConfig } from '../config/load.ts';
import { CACHE_DIR, STATE_DB, openDistillCache } from '../distill/cache.ts';
import { findRepoRoot } from '../distill/open-context.ts';
import { isDistillError } from '../errors.ts';
import { hookStatus, listRewrites, readQueue } from '../hooks/install.ts';
import { distillStateDir, queuePath } from '../hooks/queue.ts';
import { createGit, type Git } from '../io/git.ts';
import { expandSources } from '../io/fs.ts';
import { readVerifiedFolder, verifyBranchFormat } from '../read/read-distilled.ts';
import { discoverSources, tilde } from '../read/discover-sources.ts';
import { createGitStore } from '../store/git-store.ts';
import { DEFAULT_DISTILL_REF } from '../store/layout.ts';
import type { BranchFact, CacheFact, ConfigFact, DiscoveredFact, DoctorFacts, FolderFact, HookFact, HooksFact, NativeFact, QueueFact, SourceFact } from './build-checks.ts';
import { parseShimSettings } from './parse-shim-settings.ts';

export interface ReadDoctorOptions {
  cwd: string;
  /** The running Bun's version. */
  bun_version: string;
  tool_version: string;
  /** How many of the newest distilled folders to verify (verify is per folder; all of them is `git distill verify`). */
  folders_to_verify: number;
  /** Optional modules to try importing. */
  native_modules: readonly string[];
  /** Where init looks for session stores: the home directory (null: skip them), CLAUDE_CONFIG_DIR, CODEX_HOME. */
  home: string | null;
  claude_dir: string | null;
  codex_dir: string | null;
}

/** Matches the queue's claimed-batch names (src/hooks/queue.ts). */
const CLAIM_PREFIX = 'queue.claimed-';
/** Distill commits to look back through for the newest folders (a commit that changed nothing has no folder). */
const HISTORY_SCAN = 50;

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message.split('\n')[0] ?? '' : String(error);
}

async function isExecutable(path: string): Promise<boolean> {
  return access(path, constants.X_OK).then(
    () => true,
    () => false,
  );
}

async function readGitVersion(cwd: string): Promise<string | null> {
  try {
    return (await createGit({ cwd }).run(['--version'])).stdoutText.trim();
  } catch {
    return null;
  }
}

function readConfigFact(root: string): ConfigFact {
  let loaded: ReturnType<typeof loadRepoConfig>;
  try {
    loaded = loadRepoConfig(root);
  } catch (error) {
    if (!isDistillError(error)) throw error;
    const path = typeof error.details['path'] === 'string' ? error.details['path'] : join(root, '.distill', 'config.json');
    return { kind: 'invalid', path, message: error.message, hint: error.hint ?? null };
  }
  if (loaded.path === null) return { kind: 'absent' };
  const sources: SourceFact[] = loaded.config.sources.map((s) => {
    let matches = 0;
    try {
      matches = s.enabled ? expandSources([s.path], root).length : 0;
    } catch (error) {
      if (!isDistillError(error) || error.code !== 'E_INPUT_NOT_FOUND') throw error;
    }
    return { path: s.path, enabled: s.enabled, matches };
  });
  return { kind: 'ok', path: loaded.path, ref: loaded.config.ref, sources };
}

/** Files a source pattern names now; a pattern that matches nothing names none. */
function filesOf(pattern: string, root: string): string[] {
  try {
    return expandSources([pattern], root).map((f) => f.path);
  } catch (error) {
    if (!isDistillError(error) || error.code !== 'E_INPUT_NOT_FOUND') throw error;
    return [];
  }
}

/** What init would find for this repository, each marked configured when the enabled sources already read all of its files. */
function readDiscoveredFact(root: string, config: ConfigFact, opts: ReadDoctorOptions): DiscoveredFact[] {
  const sources = config.kind === 'ok' ? config.sources.filter((s) => s.enabled) : [];
  const configured = new Set(sources.flatMap((s) => filesOf(s.path, root)));
  const patterns = new Set(sources.map((s) => s.path));
  return discoverSources({ root, home: opts.home, claude_dir: opts.claude_dir, codex_dir: opts.codex_dir }).found.map((f) => {
    const files = filesOf(f.source.path, root);
    const covered = patterns.has(f.source.path) || (files.length > 0 && files.every((p) => configured.has(p)));
    return { path: tilde(f.source.path, opts.home), detail: f.detail, configured: covered };
  });
}

async function readHooksFact(git: Git): Promise<HooksFact> {
  const status = await hookStatus(git);
  const commonDir = resolve(git.cwd, (await git.run(['rev-parse', '--git-common-dir'])).stdoutText.trim());
  const hooks: HookFact[] = [];
  for (const h of status.hooks) {
    const fact: HookFact = { name: h.name, installed: h.installed, managed_by: h.managed_by, recorded_bin: null, recorded_bin_ok: false, chain: null, chain_ok: false };
    if (h.installed) {
      // Plain: the file git runs is our shim. Husky: the script hands over to the standalone shim, which never chains.
      const shimPath = status.layout === 'plain' ? join(status.hooks_dir, h.name) : join(commonDir, 'distill', 'hooks', h.name);
      const settings = parseShimSettings(await readFile(shimPath, 'utf8').catch(() => ''));
      if (settings !== null) {
        fact.recorded_bin = settings.git_distill_bin;
        fact.recorded_bin_ok = settings.git_distill_bin !== '' && (await isExecutable(settings.git_distill_bin));
        if (settings.chain !== '') {
          const chain = isAbsolute(settings.chain) ? settings.chain : join(status.hooks_dir, settings.chain);
          fact.chain = chain;
          fact.chain_ok = settings.chain_runner === 'sh-e' ? existsSync(chain) : await isExecutable(chain);
        }
      }
    }
    hooks.push(fact);
  }
  return { hooks_dir: status.hooks_dir, layout: status.layout, hooks, path_bin: Bun.which('git-distill') };
}

async function readBranchFact(git: Git, ref: string, toolVersion: string, foldersToVerify: number): Promise<BranchFact> {
  const store = createGitStore({ git, ref, tool_version: toolVersion });
  try {
    const head = await store.head();
    if (head === null) return { kind: 'absent', ref };
    const formatProblems = await verifyBranchFormat(store);
    if (formatProblems.length > 0) return { kind: 'present', ref, head, format_problems: formatProblems, folders: [], folder_count: 0 };
    const folderCount = (await store.listSources()).length;
    // The newest distill commits name the folders written last: what a crash or a bad write would have hit.
    const newest: string[] = [];
    let scanned = 0;
    for await (const entry of store.history()) {
      if (entry.source_oid !== null && !newest.includes(entry.source_oid)) newest.push(entry.source_oid);
      if (newest.length >= foldersToVerify || ++scanned >= HISTORY_SCAN) break;
    }
    const folders: FolderFact[] = [];
    for (const oid of newest) {
      const folder = await readVerifiedFolder(store, oid);
      // A folder a later rewrite moved away is not on the branch any more: nothing to verify.
      if (folder !== null) folders.push({ source_oid: oid, path: folder.path, problems: folder.problems });
    }
    return { kind: 'present', ref, head, format_problems: [], folders, folder_count: folderCount };
  } catch (error) {
    return { kind: 'error', ref, message: messageOf(error) };
  } finally {
    await store.close();
  }
}

function readCacheFact(root: string): CacheFact {
  const path = join(root, CACHE_DIR, STATE_DB);
  // Opening would create it: a repository that never ran git-distill has no cache, and that is fine.
  if (!existsSync(path)) return { kind: 'absent', path };
  try {
    const cache = openDistillCache(root);
    try {
      return { kind: 'ok', path, pending: cache.pending().length, journal: cache.journal().length };
    } finally {
      cache.close();
    }
  } catch (error) {
    return { kind: 'error', path, message: messageOf(error) };
  }
}

async function readQueueFact(gitDir: string): Promise<QueueFact> {
  const queue = await readQueue(gitDir);
  const names = await readdir(distillStateDir(gitDir)).catch(() => [] as string[]);
  return {
    path: queuePath(gitDir),
    oids: queue.oids.length,
    invalid: queue.invalid.length,
    claimed: names.filter((n) => n.startsWith(CLAIM_PREFIX)).length,
    rewrites: (await listRewrites(gitDir)).length,
  };
}

async function readNativeFact(name: string): Promise<NativeFact> {
  try {
    // A variable specifier: the module is optional, so neither tsc nor the bundler may require it.
    const specifier: string = name;
    await import(specifier);
    return { name, available: true, error: null };
  } catch (error) {
    return { name, available: false, error: messageOf(error) };
  }
}

/** Everything doctor checks. A part that cannot be read becomes a fact saying so, never an exception. */
export async function readDoctorFacts(opts: ReadDoctorOptions): Promise<DoctorFacts> {
  const facts: DoctorFacts = {
    git_version: await readGitVersion(opts.cwd),
    bun_version: opts.bun_version,
    repo: null,
    repo_error: null,
    config: null,
    hooks: null,
    branch: null,
    cache: null,
    queue: null,
    discovered: null,
    native: await Promise.all(opts.native_modules.map(readNativeFact)),
    unreadable: [],
  };
  if (facts.git_version === null) return facts;
  let git: Git;
  try {
    const root = await findRepoRoot(createGit({ cwd: opts.cwd }));
    git = createGit({ cwd: root });
    facts.repo = { root, git_dir: await git.gitDir() };
  } catch (error) {
    facts.repo_error = messageOf(error);
    return facts;
  }
  const { root, git_dir: gitDir } = facts.repo;
  // Each part on its own: one that cannot be read must not hide what the others say.
  const attempt = async <T>(id: string, read: () => Promise<T> | T): Promise<T | null> => {
    try {
      return await read();
    } catch (error) {
      facts.unreadable.push({ id, message: messageOf(error) });
      return null;
    }
  };
  facts.config = await attempt('config', () => readConfigFact(root));
  const readConfig = facts.config;
  if (readConfig !== null && readConfig.kind !== 'invalid') facts.discovered = await attempt('sources.found', () => readDiscoveredFact(root, readConfig, opts));
  facts.hooks = await attempt('hooks', () => readHooksFact(git));
  const config = facts.config;
  if (config !== null && config.kind !== 'invalid') {
    const ref = config.kind === 'ok' ? config.ref : DEFAULT_DISTILL_REF;
    facts.branch = await readBranchFact(git, ref, opts.tool_version, opts.folders_to_verify);
  }
  facts.cache = readCacheFact(root);
  facts.queue = await attempt('queue', () => readQueueFact(gitDir));
  return facts;
}
