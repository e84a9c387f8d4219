// A distill step reuses its parent's drift report only when nothing the report depends on changed; either way it stores what a fresh computation gives.
import { afterAll, expect, setDefaultTimeout, test } from 'bun:test';
import pkg from '../../package.json' with { type: 'json' };
import { defaultConfig } from '../../schemas/config.ts';
import { canonicalJson } from '../../src/canonical.ts';
import { computeDrift, computeStepDrift } from '../../src/drift/index.ts';
import type { Git } from '../../src/io/git.ts';
import { createGitStore } from '../../src/store/git-store.ts';
import { runCliCaptured } from '../helpers/cli.ts';
import { makeRepo, type TestRepo } from '../helpers/git-repo.ts';

setDefaultTimeout(120_000);
let repo: TestRepo;
afterAll(async () => repo?.cleanup());

const PRD = ['# Plan', '## Phase 1: Login ✅', '- [x] Login in `src/login.ts` with `SessionStore` and `TokenCache`', '- [x] FR-001: Audit trail', '- [x] FR-002: Export', ''].join('\n');

/** Git with every `grep` over the whole tree ('.' as its pathspec) counted. */
function counting(git: Git): { git: Git; wholeTreeGreps: () => number } {
  let n = 0;
  const wrapped: Git = {
    ...git,
    cwd: git.cwd,
    run: (args, opts) => {
      if (args[0] === 'grep' && args.includes('.')) n++;
      return git.run(args, opts);
    },
    records: (args, sep) => git.records(args, sep),
    catFileBatch: () => git.catFileBatch(),
  };
  return { git: wrapped, wholeTreeGreps: () => n };
}

test('a commit that only edits unrelated code reuses the report; one that moves a symbol, a tag or adds a file is computed; all equal a fresh computation', async () => {
  repo = await makeRepo();
  const config = defaultConfig();
  await repo.commit(
    {
      '.gitignore': '.distill/cache/\n',
      'docs/PRD.md': PRD,
      'src/login.ts': 'export class SessionStore {}\nexport function login() {}\n',
      'src/audit.ts': '// @req FR-001\nexport const audit = 1;\n',
      'src/util.ts': 'export const pad = 1;\n',
    },
    'plan',
  );
  expect((await runCliCaptured(['run'], { cwd: repo.dir })).code).toBe(0);

  const steps: Array<{ files: Record<string, string>; reused: boolean }> = [
    { files: { 'src/util.ts': 'export const pad = 2;\n' }, reused: true },
    // TokenCache appears: the dangling reference is gone.
    { files: { 'src/util.ts': 'export class TokenCache {}\n' }, reused: false },
    { files: { 'src/util.ts': 'export class TokenCache {}\n// tidy\n' }, reused: true },
    // The FR-001 tag moves one line down: the trace's line changes.
    { files: { 'src/audit.ts': '\n// @req FR-001\nexport const audit = 1;\n' }, reused: false },
    // A new file: the tree's paths change.
    { files: { 'src/export.ts': '// @req FR-002\n' }, reused: false },
    { files: { 'docs/PRD.md': PRD + '- [ ] Later\n' }, reused: false },
  ];
  const store = createGitStore({ git: repo.git, ref: 'refs/heads/distill', tool_version: pkg.version });
  try {
    for (const [i, step] of steps.entries()) {
      const oid = await repo.commit(step.files, `step ${i}`);
      const { git, wholeTreeGreps } = counting(repo.git);
      const stepDrift = await computeStepDrift({ git, store, config, commit: oid, own_evidence: [], tool_version: pkg.version });
      const fresh = await computeDrift({ git: repo.git, store, config, commit: oid });
      expect({ i, reused: wholeTreeGreps() === 0 }).toEqual({ i, reused: step.reused });
      expect(canonicalJson(stepDrift?.report)).toBe(canonicalJson(fresh?.report));
      expect(stepDrift?.inputs).toEqual(fresh?.folder.inputs);
      // The pipeline stores it, so the next step has a parent report to reuse.
      expect((await runCliCaptured(['run', oid], { cwd: repo.dir })).code).toBe(0);
      const stored = (await repo.git.run(['cat-file', 'blob', `refs/heads/distill:commits/${oid.slice(0, 2)}/${oid}/drift.json`])).stdoutText;
      expect(stored).toBe(canonicalJson(fresh?.report) + '\n');
    }
  } finally {
    await store.close();
  }
});
