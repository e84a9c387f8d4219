// Tests of the pure hook planner: shim rendering, husky block round trips, install idempotence, uninstall restoring every byte.
import { describe, expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { DistillError } from '../errors.ts';
import {
  CHAIN_SUFFIX,
  HOOK_NAMES,
  HOOK_SENTINEL,
  insertHuskyBlock,
  isOurs,
  planInstall,
  planUninstall,
  removeHuskyBlock,
  renderHuskyBlock,
  renderManagerSnippets,
  renderShim,
  shellQuote,
  type HookAction,
  type HookLayout,
  type HookName,
  type InstallState,
} from './plan-install.ts';

const TEMPLATES_DIR = join(import.meta.dir, '../../hooks');
const TEMPLATES = Object.fromEntries(HOOK_NAMES.map((n) => [n, readFileSync(join(TEMPLATES_DIR, n), 'utf8')])) as Record<HookName, string>;

/** A file system as a map path → {content, mode}: enough to apply plans and replan. */
type Fs = Map<string, { content: string; mode: number }>;

const HOOKS_DIR = '/repo/.git/hooks';
const HUSKY_DIR = '/repo/.husky';
const SHIM_DIR = '/repo/.git/distill/hooks';

function stateOf(fs: Fs, layout: HookLayout, bin: string | null = '/opt/git-distill/bin/git-distill', tracked: Set<string> = new Set()): InstallState {
  const snap = (path: string) => {
    const f = fs.get(path);
    return { path, exists: f !== undefined, content: f?.content ?? null, tracked: f !== undefined && tracked.has(path) };
  };
  const targetDir = layout.kind === 'husky' ? layout.husky_dir : HOOKS_DIR;
  return {
    hooks_dir: layout.kind === 'husky' ? `${layout.husky_dir}/_` : HOOKS_DIR,
    layout,
    shim_dir: SHIM_DIR,
    git_distill_bin: bin,
    templates: TEMPLATES,
    hooks: HOOK_NAMES.map((name) => ({
      name,
      target: snap(`${targetDir}/${name}`),
      backup: snap(`${targetDir}/${name}${CHAIN_SUFFIX}`),
      shim: snap(`${SHIM_DIR}/${name}`),
    })),
  };
}

function apply(fs: Fs, actions: HookAction[]): Fs {
  const out: Fs = new Map(fs);
  for (const a of actions) {
    if (a.kind === 'write') out.set(a.path, { content: a.content, mode: a.mode ?? out.get(a.path)?.mode ?? 0o644 });
    else if (a.kind === 'remove') out.delete(a.path);
    else if (a.kind === 'rename') {
      const f = out.get(a.from);
      if (f === undefined) throw new Error(`rename of a missing file ${a.from}`);
      out.delete(a.from);
      out.set(a.to, f);
    }
  }
  return out;
}

/** Path, content and mode of every file, sorted: plain tuples, so object prototypes do not matter. */
function listing(fs: Fs): Array<[string, string, number]> {
  return [...fs.entries()].map(([p, f]): [string, string, number] => [p, f.content, f.mode]).sort((a, b) => (a[0] < b[0] ? -1 : 1));
}

function target(a: HookAction): string {
  return a.kind === 'rename' ? a.from : a.path;
}

const PLAIN: HookLayout = { kind: 'plain' };
const HUSKY9: HookLayout = { kind: 'husky', husky_dir: HUSKY_DIR, version: 'v9' };

describe('renderShim', () => {
  test('sets the three config lines and leaves every other line of the template as it is', () => {
    const out = renderShim(TEMPLATES['post-commit'], 'post-commit', {
      git_distill_bin: "/home/o'brien/bin/git-distill",
      chain: 'post-commit.pre-git-distill',
      chain_runner: 'exec',
    });
    const before = TEMPLATES['post-commit'].split('\n');
    const after = out.split('\n');
    expect(after.length).toBe(before.length);
    const changed = after.flatMap((line, i) => (line === before[i] ? [] : [line]));
    expect(changed).toEqual([
      `git_distill_bin='/home/o'\\''brien/bin/git-distill'  # git-distill:bin`,
      `chain='post-commit.pre-git-distill'            # git-distill:chain`,
    ]);
  });

  test('records the husky runner', () => {
    const out = renderShim(TEMPLATES['pre-push'], 'pre-push', { git_distill_bin: null, chain: null, chain_runner: 'sh-e' });
    expect(out).toContain('chain_runner=sh-e   # git-distill:runner\n');
    expect(out).toContain("git_distill_bin=''  # git-distill:bin\n");
  });

  test('refuses a template without the sentinel or the config lines', () => {
    expect(() => renderShim('#!/bin/sh\n', 'post-commit', { git_distill_bin: null, chain: null, chain_runner: 'exec' })).toThrow(DistillError);
    expect(() => renderShim(`#!/bin/sh\n${HOOK_SENTINEL}\n`, 'post-commit', { git_distill_bin: null, chain: null, chain_runner: 'exec' })).toThrow(
      /exactly one "# git-distill:bin" line/,
    );
  });

  test('every shipped template carries the sentinel', () => {
    for (const n of HOOK_NAMES) expect(TEMPLATES[n].split('\n')[1]).toBe(HOOK_SENTINEL);
  });
});

describe('shellQuote', () => {
  test('round-trips through sh for any string without NUL', async () => {
    for (const s of ["plain", "it's", "$(rm -rf /)", "a\nb", "'", "`x` \\ \" $HOME"]) {
      const p = Bun.spawnSync({ cmd: ['sh', '-c', `printf '%s' ${shellQuote(s)}`] });
      expect(p.stdout.toString()).toBe(s);
    }
  });
});

describe('husky block', () => {
  const userScripts = fc.oneof(
    fc.string(),
    fc.string().map((s) => `#!/usr/bin/env sh\n${s}`),
    fc.constant('#!/bin/sh'),
    fc.constant('npm test\n'),
  ).filter((s) => !isOurs(s));

  test('insert then remove gives back the script byte for byte', () => {
    fc.assert(
      fc.property(userScripts, fc.constantFrom(...HOOK_NAMES), (script, name) => {
        const withBlock = insertHuskyBlock(script, renderHuskyBlock(name, false));
        expect(removeHuskyBlock(withBlock)).toEqual({ content: script, created: false });
      }),
    );
  });

  test('goes after a shebang so the script still starts with it', () => {
    const out = insertHuskyBlock('#!/usr/bin/env sh\nnpm test\n', renderHuskyBlock('pre-push', false));
    expect(out.startsWith(`#!/usr/bin/env sh\n${HOOK_SENTINEL} (begin)`)).toBe(true);
    expect(out.endsWith(`${HOOK_SENTINEL} (end)\nnpm test\n`)).toBe(true);
  });

  test('is valid sh', () => {
    const p = Bun.spawnSync({ cmd: ['sh', '-n', '-c', renderHuskyBlock('post-rewrite', true)] });
    expect(p.exitCode).toBe(0);
  });
});

describe('planInstall (plain layout)', () => {
  test('creates three hooks and three standalone shims in an empty hooks dir', () => {
    const actions = planInstall(stateOf(new Map(), PLAIN));
    expect(actions.map((a) => [a.kind, target(a)])).toEqual([
      ['write', `${SHIM_DIR}/post-commit`],
      ['write', `${HOOKS_DIR}/post-commit`],
      ['write', `${SHIM_DIR}/post-rewrite`],
      ['write', `${HOOKS_DIR}/post-rewrite`],
      ['write', `${SHIM_DIR}/pre-push`],
      ['write', `${HOOKS_DIR}/pre-push`],
    ]);
    const hook = actions[1];
    expect(hook?.kind === 'write' && hook.mode).toBe(0o755);
    expect(hook?.kind === 'write' && hook.content).toContain("git_distill_bin='/opt/git-distill/bin/git-distill'");
    expect(hook?.kind === 'write' && hook.content).toContain("chain=''  ");
  });

  test('moves a foreign hook aside and chains it', () => {
    const fs: Fs = new Map([[`${HOOKS_DIR}/pre-push`, { content: '#!/bin/sh\nexit 1\n', mode: 0o700 }]]);
    const actions = planInstall(stateOf(fs, PLAIN)).filter((a) => a.hook === 'pre-push' && !target(a).startsWith(SHIM_DIR));
    expect(actions.map((a) => a.kind)).toEqual(['rename', 'write']);
    const [rename, write] = actions;
    expect(rename).toMatchObject({ from: `${HOOKS_DIR}/pre-push`, to: `${HOOKS_DIR}/pre-push${CHAIN_SUFFIX}` });
    expect(write?.kind === 'write' && write.content).toContain("chain='pre-push.pre-git-distill'");
  });

  test('leaves a tracked hook where it is', () => {
    const path = `${HOOKS_DIR}/post-commit`;
    const fs: Fs = new Map([[path, { content: '#!/bin/sh\necho hi\n', mode: 0o755 }]]);
    const actions = planInstall(stateOf(fs, PLAIN, '/bin/gd', new Set([path]))).filter((a) => target(a) === path);
    expect(actions).toEqual([{ kind: 'skip', hook: 'post-commit', path, note: expect.stringContaining('tracked by git') }]);
  });

  test('does not move a foreign hook onto an existing backup', () => {
    const fs: Fs = new Map([
      [`${HOOKS_DIR}/post-commit`, { content: 'foreign', mode: 0o755 }],
      [`${HOOKS_DIR}/post-commit${CHAIN_SUFFIX}`, { content: 'older', mode: 0o755 }],
    ]);
    const actions = planInstall(stateOf(fs, PLAIN)).filter((a) => !target(a).startsWith(SHIM_DIR) && a.hook === 'post-commit');
    expect(actions.map((a) => a.kind)).toEqual(['skip']);
  });

  test('rechains a backup left by an install that stopped half way', () => {
    const fs: Fs = new Map([[`${HOOKS_DIR}/post-commit${CHAIN_SUFFIX}`, { content: 'user', mode: 0o755 }]]);
    const [write] = planInstall(stateOf(fs, PLAIN)).filter((a) => target(a) === `${HOOKS_DIR}/post-commit`);
    expect(write?.kind === 'write' && write.content).toContain("chain='post-commit.pre-git-distill'");
  });

  test('rewrites an installed hook when the recorded git-distill moved', () => {
    const first = apply(new Map(), planInstall(stateOf(new Map(), PLAIN, '/old/git-distill')));
    const again = planInstall(stateOf(first, PLAIN, '/new/git-distill'));
    expect(again.map((a) => a.kind)).toEqual(['write', 'write', 'write', 'write', 'write', 'write']);
    expect(again.every((a) => a.kind === 'write' && a.content.includes("'/new/git-distill'"))).toBe(true);
  });
});

const hookFile = fc.record({ content: fc.string().filter((s) => !isOurs(s)), mode: fc.constantFrom(0o755, 0o700, 0o644) });
const initialFs = (layout: HookLayout) =>
  fc.record({ 'post-commit': fc.option(hookFile), 'post-rewrite': fc.option(hookFile), 'pre-push': fc.option(hookFile) }).map((r) => {
    const fs: Fs = new Map();
    const dir = layout.kind === 'husky' ? layout.husky_dir : HOOKS_DIR;
    for (const n of HOOK_NAMES) {
      const f = r[n];
      if (f !== null) fs.set(`${dir}/${n}`, f);
    }
    return fs;
  });

describe.each([
  ['plain', PLAIN],
  ['husky v9', HUSKY9],
  ['husky v4-v8', { kind: 'husky', husky_dir: HUSKY_DIR, version: 'v4-v8' } as HookLayout],
])('install and uninstall (%s)', (_label, layout) => {
  test('installing twice plans nothing the second time', () => {
    fc.assert(
      fc.property(initialFs(layout), (fs) => {
        const once = apply(fs, planInstall(stateOf(fs, layout)));
        expect(planInstall(stateOf(once, layout))).toEqual([]);
      }),
    );
  });

  test('uninstall restores every file, content and mode, and removes everything else', () => {
    fc.assert(
      fc.property(initialFs(layout), (fs) => {
        const installed = apply(fs, planInstall(stateOf(fs, layout)));
        const restored = apply(installed, planUninstall(stateOf(installed, layout)));
        expect(listing(restored)).toEqual(listing(fs));
      }),
    );
  });

  test('uninstall without an install plans nothing', () => {
    fc.assert(fc.property(initialFs(layout), (fs) => expect(planUninstall(stateOf(fs, layout))).toEqual([])));
  });
});

describe('planInstall (husky v9)', () => {
  test('adds the block at the top of an existing script, keeping its mode, and creates missing scripts', () => {
    const fs: Fs = new Map([[`${HUSKY_DIR}/pre-push`, { content: 'npm test\n', mode: 0o644 }]]);
    const actions = planInstall(stateOf(fs, HUSKY9)).filter((a) => target(a).startsWith(HUSKY_DIR));
    expect(actions.map((a) => [a.kind, target(a), a.kind === 'write' ? a.mode : null])).toEqual([
      ['write', `${HUSKY_DIR}/post-commit`, 0o644],
      ['write', `${HUSKY_DIR}/post-rewrite`, 0o644],
      ['write', `${HUSKY_DIR}/pre-push`, null],
    ]);
    const prePush = actions[2];
    expect(prePush?.kind === 'write' && prePush.content).toBe(renderHuskyBlock('pre-push', false) + 'npm test\n');
  });

  test('renders the standalone shims with the sh -e runner husky uses', () => {
    const shims = planInstall(stateOf(new Map(), HUSKY9)).filter((a) => target(a).startsWith(SHIM_DIR));
    expect(shims.length).toBe(3);
    expect(shims.every((a) => a.kind === 'write' && a.content.includes('chain_runner=sh-e '))).toBe(true);
  });
});

test('snippets name every hook for husky, lefthook and pre-commit', () => {
  const s = renderManagerSnippets();
  for (const n of HOOK_NAMES) {
    expect(s).toContain(`h="$(git rev-parse --git-common-dir)/distill/hooks/${n}"; [ ! -x "$h" ] || "$h" "$@"`);
    expect(s).toContain(`      - id: git-distill-${n}\n`);
    expect(s).toContain(`  ${n}:\n    commands:\n      git-distill:\n`);
  }
});
