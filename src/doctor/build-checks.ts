// `git distill doctor`, pure: from the facts read about the machine and the repository to a list of checks, each ok, warn or fail with the next step.
import type { HookName } from '../hooks/plan-install.ts';
import type { Problem } from '../read/verify-folder.ts';

export type CheckStatus = 'ok' | 'warn' | 'fail';

export interface DoctorCheck {
  /** Stable, dotted: scripts match on it (`hooks`, `branch.folders`, `native.hnswlib-node`). */
  id: string;
  status: CheckStatus;
  message: string;
  /** The next command to run or thing to do; null when there is nothing to do. */
  hint: string | null;
}

/** The oldest git that has every plumbing command and option git-distill uses (`mktree --batch`, `--show-scope`, ...). */
export const MIN_GIT_VERSION = [2, 25, 0] as const;

export interface SourceFact {
  /** The pattern as configured. */
  path: string;
  enabled: boolean;
  /** Files it matches now. */
  matches: number;
}

export type ConfigFact =
  | { kind: 'absent' }
  | { kind: 'ok'; path: string; ref: string; sources: SourceFact[] }
  /** Unreadable, not JSON, or not a valid config: `message` names the file and the field. */
  | { kind: 'invalid'; path: string; message: string; hint: string | null };

export interface HookFact {
  name: HookName;
  installed: boolean;
  /** Who owns the file git runs for this hook: null when there is none. */
  managed_by: 'git-distill' | 'husky' | 'other' | null;
  /** The launcher path recorded in the hook (`git_distill_bin=`); '' means "look it up on PATH"; null when not installed. */
  recorded_bin: string | null;
  /** The recorded launcher exists and is executable. */
  recorded_bin_ok: boolean;
  /** Absolute path of the user's hook ours runs first, as the hook names it; null when it chains none. */
  chain: string | null;
  /** The chained hook exists and will run (executable where git would require it). */
  chain_ok: boolean;
}

export interface HooksFact {
  hooks_dir: string;
  layout: 'plain' | 'husky';
  hooks: HookFact[];
  /** `git-distill` found on PATH (what a hook falls back to); null when none. */
  path_bin: string | null;
}

export interface FolderFact {
  source_oid: string;
  /** `commits/<xx>/<oid>`. */
  path: string;
  problems: Problem[];
}

export type BranchFact =
  | { kind: 'absent'; ref: string }
  | { kind: 'present'; ref: string; head: string; format_problems: Problem[]; folders: FolderFact[]; folder_count: number }
  | { kind: 'error'; ref: string; message: string };

export type CacheFact =
  | { kind: 'absent'; path: string }
  | { kind: 'ok'; path: string; pending: number; journal: number }
  | { kind: 'error'; path: string; message: string };

export interface QueueFact {
  path: string;
  /** Commits post-commit queued that no worker has taken yet. */
  oids: number;
  /** Lines that are not an oid (a torn write). */
  invalid: number;
  /** Batches a worker claimed and never finished (it died mid-batch). */
  claimed: number;
  /** post-rewrite files waiting for a worker. */
  rewrites: number;
}

/** An agent log `git distill init` would find for this repository, and whether a configured source reads it. */
export interface DiscoveredFact {
  /** The path init would configure (absolute for session stores, ~ for the home directory when shown). */
  path: string;
  detail: string;
  configured: boolean;
}

export interface NativeFact {
  name: string;
  available: boolean;
  /** Why the import failed, first line; null when available. */
  error: string | null;
}

/** What doctor read. Repository facts are null outside a repository; config-dependent ones null when the config did not load. */
export interface DoctorFacts {
  /** `git --version` output, or null when git could not be run. */
  git_version: string | null;
  bun_version: string;
  /** Null when not inside a work tree; then `repo_error` says why. */
  repo: { root: string; git_dir: string } | null;
  repo_error: string | null;
  config: ConfigFact | null;
  hooks: HooksFact | null;
  branch: BranchFact | null;
  cache: CacheFact | null;
  queue: QueueFact | null;
  /** Agent logs found for this repository (init's discovery); null when the config could not be read. */
  discovered: DiscoveredFact[] | null;
  native: NativeFact[];
  /** Parts that could not be read at all (an unexpected error), by check id. */
  unreadable: Array<{ id: string; message: string }>;
}

/** [major, minor, patch] from `git version 2.39.5`, `git version 2.37.1 (Apple Git-137.1)`, `git version 2.45.1.windows.1`. */
export function parseGitVersion(text: string): [number, number, number] | null {
  const m = /git version (\d+)\.(\d+)(?:\.(\d+))?/.exec(text);
  if (m === null) return null;
  return [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)];
}

/** Negative, zero or positive like a comparator. */
export function compareVersions(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

const check = (id: string, status: CheckStatus, message: string, hint: string | null = null): DoctorCheck => ({ id, status, message, hint });

export function checkGit(version: string | null): DoctorCheck {
  const min = MIN_GIT_VERSION.join('.');
  if (version === null) return check('git', 'fail', 'git cannot be run', `install git ${min} or newer and put it on PATH`);
  const parsed = parseGitVersion(version);
  const shown = version.trim();
  if (parsed === null) return check('git', 'warn', `cannot read the git version from ${JSON.stringify(shown)}`, `git-distill needs git ${min} or newer`);
  if (compareVersions(parsed, MIN_GIT_VERSION) < 0) return check('git', 'fail', `${shown}: git-distill needs ${min} or newer`, `upgrade git to ${min} or newer`);
  return check('git', 'ok', shown);
}

export function checkBun(version: string): DoctorCheck {
  return check('bun', 'ok', `bun ${version}`);
}

export function checkRepo(repo: DoctorFacts['repo'], error: string | null): DoctorCheck {
  if (repo === null) return check('repo', 'fail', error ?? 'not inside a git work tree', 'cd into a git repository (or run git init)');
  return check('repo', 'ok', `repository at ${repo.root}`);
}

export function checkConfig(config: ConfigFact): DoctorCheck {
  switch (config.kind) {
    case 'absent':
      return check('config', 'warn', 'no .distill/config.json: using the defaults (no sources)', 'git distill init');
    case 'invalid':
      return check('config', 'fail', config.message, config.hint ?? `fix ${config.path}`);
    case 'ok':
      return check('config', 'ok', `${config.path} is valid (branch ${config.ref})`);
  }
}

export function checkSources(config: ConfigFact): DoctorCheck | null {
  if (config.kind === 'invalid') return null;
  const sources = config.kind === 'ok' ? config.sources : [];
  const enabled = sources.filter((s) => s.enabled);
  if (enabled.length === 0) {
    const why = sources.length === 0 ? 'no sources configured' : 'every configured source is disabled';
    return check('sources', 'warn', `${why}: commits are distilled with no evidence`, 'git distill init (it finds agent logs), or add "sources" to .distill/config.json');
  }
  const empty = enabled.filter((s) => s.matches === 0);
  const files = enabled.reduce((n, s) => n + s.matches, 0);
  if (empty.length > 0) {
    const names = empty.map((s) => JSON.stringify(s.path)).join(', ');
    return check(
      'sources',
      'warn',
      `${empty.length} of ${enabled.length} sources match no file yet: ${names}`,
      'fine if the agent has not written logs yet; otherwise fix the path in .distill/config.json',
    );
  }
  return check('sources', 'ok', `${enabled.length} source${enabled.length === 1 ? '' : 's'}, ${files} file${files === 1 ? '' : 's'}`);
}

/** Agent logs found for this repository that no configured source reads (a session store used since init, say). */
export function checkDiscovered(found: readonly DiscoveredFact[]): DoctorCheck {
  const missing = found.filter((f) => !f.configured);
  if (found.length === 0) return check('sources.found', 'ok', 'no other agent logs found for this repository (Claude Code, Codex, Gemini CLI, Aider)');
  if (missing.length === 0) return check('sources.found', 'ok', `the agent logs found for this repository are configured (${found.length})`);
  const list = missing.map((f) => `${f.detail} (${f.path})`).join('; ');
  return check(
    'sources.found',
    'warn',
    `${missing.length} agent log source${missing.length === 1 ? '' : 's'} found for this repository that no configured source reads: ${list}`,
    'add them to "sources" in .distill/config.json, or git distill init --force (rewrites the sources list from what it finds)',
  );
}

export function checkHooks(hooks: HooksFact): DoctorCheck {
  const where = `${hooks.hooks_dir}${hooks.layout === 'husky' ? ' (husky)' : ''}`;
  const installed = hooks.hooks.filter((h) => h.installed);
  const missing = hooks.hooks.filter((h) => !h.installed);
  if (installed.length === 0) {
    const foreign = missing.filter((h) => h.managed_by === 'other').map((h) => h.name);
    const note = foreign.length > 0 ? `; ${foreign.join(', ')} ${foreign.length === 1 ? 'is' : 'are'} another tool's and will be chained` : '';
    return check('hooks', 'warn', `git-distill's hooks are not installed in ${where}${note}: commits are not distilled automatically`, 'git distill hooks install');
  }
  if (missing.length > 0) {
    return check('hooks', 'warn', `${missing.map((h) => h.name).join(', ')} not installed in ${where} (${installed.map((h) => h.name).join(', ')} are)`, 'git distill hooks install');
  }
  const broken = installed.filter((h) => h.chain !== null && !h.chain_ok);
  if (broken.length > 0) {
    const list = broken.map((h) => `${h.name} chains ${h.chain}`).join('; ');
    return check(
      'hooks',
      'warn',
      `${list}, which is missing or not executable, so it does not run`,
      'restore the chained hook (or chmod +x it), or run git distill hooks install to stop chaining it',
    );
  }
  const chained = installed.filter((h) => h.chain !== null).map((h) => h.name);
  const chainNote = chained.length > 0 ? `; ${chained.join(', ')} also run${chained.length === 1 ? 's' : ''} your own hook first` : '';
  return check('hooks', 'ok', `post-commit, post-rewrite, pre-push installed in ${where}${chainNote}`);
}

/** The launcher the installed hooks call. Null when no hook is installed (checkHooks already says so). */
export function checkHookBin(hooks: HooksFact): DoctorCheck | null {
  const installed = hooks.hooks.filter((h) => h.installed);
  if (installed.length === 0) return null;
  const recorded = [...new Set(installed.map((h) => h.recorded_bin ?? ''))];
  const bad = installed.filter((h) => h.recorded_bin !== null && h.recorded_bin !== '' && !h.recorded_bin_ok);
  const onPath = hooks.path_bin === null ? 'git-distill is not on PATH either' : `they fall back to ${hooks.path_bin} on PATH`;
  if (bad.length > 0) {
    const paths = [...new Set(bad.map((h) => h.recorded_bin))].join(', ');
    return check(
      'hooks.bin',
      hooks.path_bin === null ? 'fail' : 'warn',
      `the hooks call ${paths}, which is missing or not executable; ${onPath}`,
      'git distill hooks install (records the launcher of this git-distill)',
    );
  }
  if (recorded.includes('')) {
    if (hooks.path_bin === null) {
      return check('hooks.bin', 'fail', 'the hooks look git-distill up on PATH and it is not there: they do nothing', 'git distill hooks install (records the launcher of this git-distill), or put git-distill on PATH');
    }
    return check('hooks.bin', 'ok', `the hooks run ${hooks.path_bin} (found on PATH)`);
  }
  return check('hooks.bin', 'ok', `the hooks run ${recorded.join(', ')}`);
}

function firstProblems(folders: FolderFact[], limit: number): string {
  const lines: string[] = [];
  for (const f of folders) for (const p of f.problems) lines.push(`${f.path}/${p.path}: ${p.message}`);
  const shown = lines.slice(0, limit).join('; ');
  return lines.length > limit ? `${shown}; and ${lines.length - limit} more` : shown;
}

/** The branch's FORMAT and the newest folders. Returns one check, or two when the branch exists (format, folders). */
export function checkBranch(branch: BranchFact): DoctorCheck[] {
  if (branch.kind === 'absent') {
    return [check('branch', 'warn', `no distill branch yet (${branch.ref})`, 'git distill run (or git distill backfill for the whole branch)')];
  }
  if (branch.kind === 'error') return [check('branch', 'fail', `cannot read ${branch.ref}: ${branch.message}`, 'git fsck')];
  const [formatProblem] = branch.format_problems;
  if (formatProblem !== undefined) {
    return [check('branch', 'fail', `${branch.ref}: ${formatProblem.message}`, 'point "ref" in .distill/config.json at another branch, or upgrade git-distill')];
  }
  const out = [check('branch', 'ok', `${branch.ref} at ${branch.head.slice(0, 12)}, ${branch.folder_count} commit${branch.folder_count === 1 ? '' : 's'} distilled`)];
  if (branch.folders.length === 0) return out;
  const bad = branch.folders.filter((f) => f.problems.length > 0);
  const n = branch.folders.length;
  if (bad.length > 0) {
    out.push(check('branch.folders', 'fail', `${bad.length} of the ${n} newest folders do not verify: ${firstProblems(bad, 3)}`, 'git distill verify'));
  } else {
    out.push(check('branch.folders', 'ok', n === 1 ? 'the newest folder verifies' : `the ${n} newest folders verify`));
  }
  return out;
}

export function checkCache(cache: CacheFact): DoctorCheck {
  switch (cache.kind) {
    case 'absent':
      return check('cache', 'ok', `no cache yet (${cache.path}); the first run creates it`);
    case 'error':
      return check('cache', 'fail', `cannot open the cache ${cache.path}: ${cache.message}`, `delete ${cache.path} (it is rebuilt from the distill branch on the next run)`);
    case 'ok': {
      const pending = `${cache.pending} evidence record${cache.pending === 1 ? '' : 's'} waiting for a commit`;
      if (cache.journal > 0) {
        return check(
          'cache',
          'warn',
          `${cache.journal} distill-branch write${cache.journal === 1 ? ' was' : 's were'} left unfinished by an interrupted run; ${pending}`,
          'git distill run (finishes them first, with the same bytes)',
        );
      }
      return check('cache', 'ok', `cache opens; ${pending}`);
    }
  }
}

export function checkQueue(queue: QueueFact): DoctorCheck {
  const parts: string[] = [];
  if (queue.oids > 0) parts.push(`${queue.oids} commit${queue.oids === 1 ? '' : 's'} queued by post-commit`);
  if (queue.claimed > 0) parts.push(`${queue.claimed} batch${queue.claimed === 1 ? '' : 'es'} left by a worker that stopped`);
  if (queue.rewrites > 0) parts.push(`${queue.rewrites} rewrite${queue.rewrites === 1 ? '' : 's'} (amend/rebase) not yet carried over`);
  if (queue.invalid > 0) parts.push(`${queue.invalid} unreadable line${queue.invalid === 1 ? '' : 's'} in ${queue.path} (ignored)`);
  if (parts.length === 0) return check('queue', 'ok', 'no commits waiting');
  const waiting = queue.oids + queue.claimed + queue.rewrites > 0;
  return check(
    'queue',
    'warn',
    parts.join('; '),
    waiting ? 'a commit starts the worker; to catch up now: git distill hook worker' : null,
  );
}

export function checkNative(native: NativeFact): DoctorCheck {
  const id = `native.${native.name}`;
  if (native.name === 'hnswlib-node' && native.available) return check(id, 'ok', `${native.name} loads: search uses its HNSW graph above search.exact_max candidate vectors`);
  if (native.available) return check(id, 'ok', `${native.name} loads`);
  if (native.name === 'hnswlib-node') {
    return check(id, 'warn', `${native.name} is not available${native.error === null ? '' : ` (${native.error.split('\n')[0]})`}: git distill query and kb-query score every vector exactly (slower as the index grows)`, `npm install ${native.name} beside git-distill for approximate search`);
  }
  return check(id, 'warn', `${native.name} is not available${native.error === null ? '' : `: ${native.error}`}`, `npm install ${native.name}`);
}

/** Every check, in the order a user fixes things: tools, repository, config, hooks, branch, local state. */
export function buildChecks(facts: DoctorFacts): DoctorCheck[] {
  const out: DoctorCheck[] = [checkGit(facts.git_version), checkBun(facts.bun_version), checkRepo(facts.repo, facts.repo_error)];
  const unreadable = (id: string) => {
    for (const u of facts.unreadable.filter((x) => x.id === id)) {
      out.push(check(id, 'fail', `cannot check: ${u.message}`, 'rerun git distill doctor; if it repeats, report it with this message'));
    }
  };
  unreadable('config');
  if (facts.config !== null) {
    out.push(checkConfig(facts.config));
    const sources = checkSources(facts.config);
    if (sources !== null) out.push(sources);
  }
  unreadable('sources.found');
  if (facts.discovered !== null) out.push(checkDiscovered(facts.discovered));
  unreadable('hooks');
  if (facts.hooks !== null) {
    out.push(checkHooks(facts.hooks));
    const bin = checkHookBin(facts.hooks);
    if (bin !== null) out.push(bin);
  }
  if (facts.branch !== null) out.push(...checkBranch(facts.branch));
  if (facts.cache !== null) out.push(checkCache(facts.cache));
  unreadable('queue');
  if (facts.queue !== null) out.push(checkQueue(facts.queue));
  for (const n of facts.native) out.push(checkNative(n));
  return out;
}

/** 1 when any check failed, else 0: warnings never fail doctor. */
export function doctorExitCode(checks: readonly DoctorCheck[]): 0 | 1 {
  return checks.some((c) => c.status === 'fail') ? 1 : 0;
}

const MARK: Record<CheckStatus, string> = { ok: '✓', warn: '!', fail: '✗' };

/** One line per check (`✓ git  git version 2.39.5`), the hint indented under it, then a summary line. */
export function renderChecks(checks: readonly DoctorCheck[]): string {
  const width = Math.max(...checks.map((c) => c.id.length));
  const lines: string[] = [];
  for (const c of checks) {
    lines.push(`${MARK[c.status]} ${c.id.padEnd(width)}  ${c.message}`);
    if (c.hint !== null && c.status !== 'ok') lines.push(`  ${' '.repeat(width)}  next: ${c.hint}`);
  }
  const count = (s: CheckStatus) => checks.filter((c) => c.status === s).length;
  const fails = count('fail');
  const warns = count('warn');
  lines.push('', fails + warns === 0 ? 'all checks passed' : `${fails} failed, ${warns} warning${warns === 1 ? '' : 's'}`);
  return lines.join('\n') + '\n';
}
