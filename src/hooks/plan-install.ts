// Pure planning for `git distill hooks install|uninstall`: from a snapshot of the hook files to the list of file actions.
import { DistillError } from '../errors.ts';

export const HOOK_NAMES = ['post-commit', 'post-rewrite', 'pre-push'] as const;
export type HookName = (typeof HOOK_NAMES)[number];

/** The line that marks a file (or a block inside a husky script) as written by git-distill. */
export const HOOK_SENTINEL = '# git-distill hook v1';
/** Any version of the sentinel: a later version's hook is still ours to replace or remove. */
const SENTINEL_RE = /^# git-distill hook v\d+\b/m;
/** A user's hook found in our place is moved here and run first by our shim. */
export const CHAIN_SUFFIX = '.pre-git-distill';

/**
 * Where hooks live and who runs them.
 * - plain: git runs `<hooks_dir>/<name>` (the default `.git/hooks`, a `core.hooksPath`, a global hooks dir).
 * - husky: `core.hooksPath` is husky's generated dir; the user's scripts are `<husky_dir>/<name>`, run by husky
 *   with `sh -e` (v9) or directly by git (v4–v8).
 */
export type HookLayout =
  | { kind: 'plain' }
  | { kind: 'husky'; husky_dir: string; version: 'v9' | 'v4-v8' };

export interface FileSnapshot {
  path: string;
  exists: boolean;
  /** Text content (null when absent). Binary hooks read lossily: only used to find the sentinel. */
  content: string | null;
  /** Tracked by git in the worktree: renaming it would show as a deletion in `git status`. */
  tracked: boolean;
}

export interface HookFiles {
  name: HookName;
  /** The file git (plain) or husky (husky layout) runs for this hook. */
  target: FileSnapshot;
  /** `<target><CHAIN_SUFFIX>` (plain layout only; absent otherwise). */
  backup: FileSnapshot;
  /** The standalone shim `<shim_dir>/<name>` that husky lines and hook-manager snippets call. */
  shim: FileSnapshot;
}

export interface InstallState {
  hooks_dir: string;
  layout: HookLayout;
  /** `<git-common-dir>/distill/hooks`: shared by every worktree, never committed. */
  shim_dir: string;
  /** Absolute path of the git-distill launcher to record in the shims; null: look it up on PATH at hook time. */
  git_distill_bin: string | null;
  /** The shim templates, `hooks/<name>` of this package. */
  templates: Record<HookName, string>;
  hooks: HookFiles[];
}

export type HookAction =
  | { kind: 'write'; hook: HookName; path: string; content: string; mode: number | null; note: string }
  | { kind: 'rename'; hook: HookName; from: string; to: string; note: string }
  | { kind: 'remove'; hook: HookName; path: string; note: string }
  | { kind: 'skip'; hook: HookName; path: string; note: string };

const SHIM_MODE = 0o755;
/** husky v9 runs scripts with `sh -e`, so `husky init` leaves them non-executable; we do the same. */
const HUSKY_V9_MODE = 0o644;

export function isOurs(content: string | null): boolean {
  return content !== null && SENTINEL_RE.test(content);
}

/** A POSIX sh single-quoted literal. */
export function shellQuote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

export interface ShimConfig {
  git_distill_bin: string | null;
  /** The chained hook, relative to the shim's directory (or absolute); null: none. */
  chain: string | null;
  /** How the chained hook is run: directly like git does, or `sh -e` like husky v9 does. */
  chain_runner: 'exec' | 'sh-e';
}

const CONFIG_LINES: ReadonlyArray<{ key: 'bin' | 'chain' | 'runner'; variable: string }> = [
  { key: 'bin', variable: 'git_distill_bin' },
  { key: 'chain', variable: 'chain' },
  { key: 'runner', variable: 'chain_runner' },
];

/** The template with its three `# git-distill:<key>` config lines set; everything else byte for byte. */
export function renderShim(template: string, name: HookName, config: ShimConfig): string {
  if (!isOurs(template)) {
    throw new DistillError('E_INTERNAL', `hook template ${name} lacks the "${HOOK_SENTINEL}" line`, { details: { hook: name } });
  }
  const values = {
    bin: shellQuote(config.git_distill_bin ?? ''),
    chain: shellQuote(config.chain ?? ''),
    runner: config.chain_runner,
  };
  let out = template;
  for (const { key, variable } of CONFIG_LINES) {
    const re = new RegExp(`^${variable}=\\S*( +# git-distill:${key})$`, 'm');
    const matches = template.match(new RegExp(re.source, 'gm'))?.length ?? 0;
    if (matches !== 1) {
      throw new DistillError('E_INTERNAL', `hook template ${name} must have exactly one "# git-distill:${key}" line`, {
        details: { hook: name, matches },
      });
    }
    out = out.replace(re, (_m, tail: string) => `${variable}=${values[key]}${tail}`);
  }
  return out;
}

/**
 * The lines put at the top of a husky script. They hand the script to our shim, which runs it exactly as husky
 * would (same arguments, same stdin, `sh -e`) and then does git-distill's part; the script's exit status is the
 * hook's. When the shim is missing (a teammate without git-distill) or GIT_DISTILL_DISABLE is set, they do nothing.
 */
export function renderHuskyBlock(name: HookName, created: boolean): string {
  const origin = created ? 'this file was created by git distill hooks install' : 'added by git distill hooks install';
  return [
    `${HOOK_SENTINEL} (begin): ${origin}; \`git distill hooks uninstall\` removes it`,
    `if [ "\${GIT_DISTILL_WRAPPED-}" = ${name} ]; then unset GIT_DISTILL_WRAPPED`,
    `elif [ "\${GIT_DISTILL_DISABLE:-0}" = 0 ] && h="$(git rev-parse --git-common-dir 2>/dev/null)/distill/hooks/${name}" && [ -x "$h" ]; then GIT_DISTILL_USER_HOOK="$0" exec "$h" "$@"`,
    'fi',
    `${HOOK_SENTINEL} (end)`,
    '',
  ].join('\n');
}

const HUSKY_CREATED_PREFIX: Record<'v9' | 'v4-v8', string> = { v9: '', 'v4-v8': '#!/usr/bin/env sh\n' };

/**
 * Insert the block after a shebang line (so the file still starts with it), else at the very top. A shebang
 * without a newline gets the block above it: adding the newline would make the removal ambiguous.
 */
export function insertHuskyBlock(content: string, block: string): string {
  const nl = content.indexOf('\n');
  if (content.startsWith('#!') && nl >= 0) return content.slice(0, nl + 1) + block + content.slice(nl + 1);
  return block + content;
}

interface FoundBlock {
  start: number;
  end: number;
  created: boolean;
}

function findHuskyBlock(content: string): FoundBlock | null {
  const begin = /^# git-distill hook v\d+ \(begin\)[^\n]*\n/m.exec(content);
  if (begin === null) return null;
  const endRe = /^# git-distill hook v\d+ \(end\)\n?/m;
  const rest = content.slice(begin.index);
  const end = endRe.exec(rest);
  if (end === null) return null;
  return {
    start: begin.index,
    end: begin.index + end.index + end[0].length,
    created: begin[0].includes('was created by'),
  };
}

/** The content with our block taken out, and whether we had created the file; null when there is no block. */
export function removeHuskyBlock(content: string): { content: string; created: boolean } | null {
  const found = findHuskyBlock(content);
  if (found === null) return null;
  return { content: content.slice(0, found.start) + content.slice(found.end), created: found.created };
}

function shimFor(state: InstallState, name: HookName, chain: string | null): string {
  return renderShim(state.templates[name], name, {
    git_distill_bin: state.git_distill_bin,
    chain,
    chain_runner: state.layout.kind === 'husky' && state.layout.version === 'v9' ? 'sh-e' : 'exec',
  });
}

function basename(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

function planPlainInstall(state: InstallState, h: HookFiles): HookAction[] {
  const { name, target, backup } = h;
  const chainName = basename(backup.path);
  if (target.exists && isOurs(target.content)) {
    const wanted = shimFor(state, name, backup.exists ? chainName : null);
    if (target.content === wanted) return [];
    return [{ kind: 'write', hook: name, path: target.path, content: wanted, mode: SHIM_MODE, note: `updated ${name}` }];
  }
  if (!target.exists) {
    // A backup with no hook in front of it: an earlier install stopped half way; chain it again.
    const chain = backup.exists ? chainName : null;
    const note = chain === null ? `created ${name}` : `created ${name}, chaining the existing ${chainName}`;
    return [{ kind: 'write', hook: name, path: target.path, content: shimFor(state, name, chain), mode: SHIM_MODE, note }];
  }
  if (backup.exists) {
    return [{
      kind: 'skip',
      hook: name,
      path: target.path,
      note: `${name}: both ${basename(target.path)} and ${chainName} exist and neither is git-distill's; left alone (add the snippet below to it by hand)`,
    }];
  }
  if (target.tracked) {
    return [{
      kind: 'skip',
      hook: name,
      path: target.path,
      note: `${name}: ${target.path} is tracked by git; left alone rather than renamed (add the snippet below to it by hand)`,
    }];
  }
  return [
    { kind: 'rename', hook: name, from: target.path, to: backup.path, note: `moved the existing ${name} to ${chainName}` },
    {
      kind: 'write',
      hook: name,
      path: target.path,
      content: shimFor(state, name, chainName),
      mode: SHIM_MODE,
      note: `installed ${name}, which runs ${chainName} first with the same arguments and stdin and returns its exit status`,
    },
  ];
}

function planHuskyInstall(state: InstallState, h: HookFiles, version: 'v9' | 'v4-v8'): HookAction[] {
  const { name, target } = h;
  if (!target.exists) {
    const content = HUSKY_CREATED_PREFIX[version] + renderHuskyBlock(name, true);
    const mode = version === 'v9' ? HUSKY_V9_MODE : SHIM_MODE;
    return [{ kind: 'write', hook: name, path: target.path, content, mode, note: `created ${target.path} (husky ${name})` }];
  }
  const current = target.content ?? '';
  const removed = removeHuskyBlock(current);
  if (removed === null) {
    return [{
      kind: 'write',
      hook: name,
      path: target.path,
      content: insertHuskyBlock(current, renderHuskyBlock(name, false)),
      mode: null,
      note: `added git-distill's lines to the top of ${target.path}; the script runs first and its exit status is kept`,
    }];
  }
  const wanted = insertHuskyBlock(removed.content, renderHuskyBlock(name, removed.created));
  if (wanted === current) return [];
  return [{ kind: 'write', hook: name, path: target.path, content: wanted, mode: null, note: `updated git-distill's lines in ${target.path}` }];
}

/** What `hooks install` does, in order. Idempotent: planning against the result of applying a plan yields []. */
export function planInstall(state: InstallState): HookAction[] {
  const actions: HookAction[] = [];
  for (const h of state.hooks) {
    // The standalone shim (husky lines and snippets call it) never chains: the caller runs the user's script.
    const shim = shimFor(state, h.name, null);
    if (h.shim.content !== shim) {
      actions.push({ kind: 'write', hook: h.name, path: h.shim.path, content: shim, mode: SHIM_MODE, note: `wrote ${h.shim.path}` });
    }
    const layout = state.layout;
    actions.push(...(layout.kind === 'plain' ? planPlainInstall(state, h) : planHuskyInstall(state, h, layout.version)));
  }
  return actions;
}

/** What `hooks uninstall` does: remove exactly what install added and put chained hooks back (rename: same bytes, same mode). */
export function planUninstall(state: InstallState): HookAction[] {
  const actions: HookAction[] = [];
  for (const h of state.hooks) {
    const { name, target, backup } = h;
    if (state.layout.kind === 'plain') {
      const ours = target.exists && isOurs(target.content);
      if (backup.exists && (ours || !target.exists)) {
        actions.push({ kind: 'rename', hook: name, from: backup.path, to: target.path, note: `restored ${name} from ${basename(backup.path)}` });
      } else if (ours) {
        actions.push({ kind: 'remove', hook: name, path: target.path, note: `removed ${name}` });
      } else if (backup.exists) {
        actions.push({
          kind: 'skip',
          hook: name,
          path: backup.path,
          note: `${name}: ${basename(target.path)} is no longer git-distill's, so ${basename(backup.path)} was left where it is`,
        });
      }
    } else if (target.exists) {
      const removed = removeHuskyBlock(target.content ?? '');
      if (removed !== null) {
        const prefix = HUSKY_CREATED_PREFIX[state.layout.version];
        if (removed.created && (removed.content === prefix || removed.content === '')) {
          actions.push({ kind: 'remove', hook: name, path: target.path, note: `removed ${target.path}` });
        } else {
          actions.push({ kind: 'write', hook: name, path: target.path, content: removed.content, mode: null, note: `removed git-distill's lines from ${target.path}` });
        }
      }
    }
    if (h.shim.exists && isOurs(h.shim.content)) {
      actions.push({ kind: 'remove', hook: name, path: h.shim.path, note: `removed ${h.shim.path}` });
    }
  }
  return actions;
}

/** Lines users of a hook manager can paste instead of letting `hooks install` touch their hooks. */
export function renderManagerSnippets(): string {
  const call = (name: HookName) => `h="$(git rev-parse --git-common-dir)/distill/hooks/${name}"; [ ! -x "$h" ] || "$h"`;
  const lines: string[] = [
    'husky (one line at the end of .husky/post-commit, .husky/post-rewrite and .husky/pre-push; `git distill hooks install`'
      + ' does this for you and also shares stdin with the lines above it):',
    ...HOOK_NAMES.map((n) => `  ${call(n)} "$@"`),
    '',
    'lefthook (lefthook.yml):',
  ];
  for (const n of HOOK_NAMES) {
    lines.push(`  ${n}:`, '    commands:', '      git-distill:', `        run: ${call(n)} {0}`);
    if (n !== 'post-commit') lines.push('        use_stdin: true');
  }
  lines.push('', 'pre-commit (.pre-commit-config.yaml; install with: pre-commit install -t post-commit -t post-rewrite -t pre-push):', '  - repo: local', '    hooks:');
  for (const n of HOOK_NAMES) {
    lines.push(
      `      - id: git-distill-${n}`,
      `        name: git-distill ${n}`,
      `        entry: sh -c '${call(n).replaceAll("'", `'"'"'`)} "$@"' --`,
      '        language: system',
      `        stages: [${n}]`,
      '        always_run: true',
      '        pass_filenames: false',
    );
  }
  lines.push('', 'The shims these lines call are written by `git distill hooks install` under .git/distill/hooks/.');
  return lines.join('\n') + '\n';
}
