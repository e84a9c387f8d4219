import { afterEach, describe, expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeFinding, type CheckRule } from '../../src/checks/check.ts';
import type { CheckRunner } from '../../src/checks/registry.ts';
import { runCheckCommand } from '../../src/cli/commands/check.ts';
import type { CliEnv } from '../../src/cli/command.ts';
import { runCliCaptured } from '../helpers/cli.ts';
import { makeRepo, snapshotUserState, type TestRepo } from '../helpers/git-repo.ts';

// A check of the test's own, read from git the way real runners read: a finding per file at the commit that holds "FIXME".
const RULES: CheckRule[] = [{ id: 'fixme', title: 'FIXME left in', default_severity: 'high', description: 'A file still says FIXME.' }];
const fixmeRunner: CheckRunner = {
  id: 'fixme_check',
  cli_name: 'fixme',
  title: 'FIXME sweep',
  rules: RULES,
  compare_with_base: true,
  async run(ctx, rev) {
    const r = await ctx.git.run(['grep', '-l', '-n', 'FIXME', rev.head_oid, '--'], { allowExit: [1] });
    const paths = r.stdoutText.split('\n').filter((l) => l !== '').map((l) => l.slice(rev.head_oid.length + 1));
    return paths.map((path) =>
      makeFinding({
        check: 'fixme_check',
        rule_id: 'fixme',
        title: 'FIXME left in',
        message: `${path} still says FIXME`,
        severity: 'high',
        location: { path, start_line: null, end_line: null },
        evidence: [{ lookup: `git grep FIXME ${path}`, found: true, detail: rev.head_oid.slice(0, 12) }],
        subject: path,
      }),
    );
  },
};

async function check(repo: TestRepo, args: string[]) {
  let stdout = '';
  let stderr = '';
  const env: CliEnv = {
    cwd: repo.dir,
    stdout: (t) => void (stdout += t),
    stderr: (t) => void (stderr += t),
    stderrIsTTY: false,
    now: () => new Date('2026-02-03T04:05:06Z'),
    version: '0.0.0-test',
    env: {},
  };
  const positionals = args.filter((a) => !a.startsWith('--'));
  const values: Record<string, string | boolean> = {};
  for (const a of args.filter((a) => a.startsWith('--'))) {
    const [k, v] = a.slice(2).split('=');
    values[k!] = v ?? true;
  }
  const code = await runCheckCommand(env, values, positionals, [fixmeRunner]);
  return { code, stdout, stderr };
}

let repo: TestRepo;
afterEach(async () => repo?.cleanup());

async function prRepo(): Promise<{ base: string; head: string }> {
  repo = await makeRepo();
  const base = await repo.commit({ 'old.ts': 'x // FIXME from long ago\n', 'ok.ts': 'fine\n' }, 'base');
  await repo.git.run(['checkout', '-q', '-b', 'pr']);
  const head = await repo.commit({ 'new.ts': 'y // FIXME added by the PR\n' }, 'pr adds a FIXME');
  return { base, head };
}

describe('git distill check', () => {
  test('only what the range introduced blocks; what the base had is a warning', async () => {
    await prRepo();
    const before = await snapshotUserState(repo.dir);
    const r = await check(repo, ['fixme', '--base=main', '--json']);
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.stdout);
    const byPath = Object.fromEntries(doc.checks[0].findings.map((f: { location: { path: string } }) => [f.location.path, f]));
    expect(byPath['new.ts']).toMatchObject({ introduced_by: 'pr', disposition: 'block' });
    expect(byPath['old.ts']).toMatchObject({ introduced_by: 'base', disposition: 'warn' });
    expect(doc.checks[0].base_oid).toBe(await repo.git.revParse('main'));
    expect(await snapshotUserState(repo.dir)).toEqual(before);
  });

  test('without --base everything at head counts; --fail-level never and warn move the exit code', async () => {
    await prRepo();
    expect((await check(repo, ['fixme'])).code).toBe(1);
    expect((await check(repo, ['fixme', '--fail-level=never'])).code).toBe(0);
    await repo.git.run(['checkout', '-q', 'main']);
    // On main against main, the old FIXME is on the base: it warns, and blocks nothing.
    expect((await check(repo, ['fixme', '--base=main'])).code).toBe(0);
    expect((await check(repo, ['fixme', '--base=main', '--fail-level=warn'])).code).toBe(1);
  });

  test("the base commit's baseline and policy apply; a PR cannot excuse itself by editing them", async () => {
    const { head } = await prRepo();
    const fp = JSON.parse((await check(repo, ['fixme', '--json'])).stdout).checks[0].findings.find((f: { location: { path: string } }) => f.location.path === 'new.ts').fingerprint;
    const baseline = JSON.stringify({ schema_version: 1, fingerprints: [{ fingerprint: fp, check: 'fixme_check', rule_id: 'fixme', note: 'known' }] });
    // The PR adds a baseline accepting its own finding: ignored, the base has none.
    await repo.commit({ '.distill/baseline.json': baseline }, 'pr accepts its own finding');
    expect((await check(repo, ['fixme', '--base=main'])).code).toBe(1);
    // Without --base the working tree's baseline applies.
    const alone = await check(repo, ['fixme', '--json']);
    expect(JSON.parse(alone.stdout).checks[0].findings.find((f: { fingerprint: string }) => f.fingerprint === fp).disposition).toBe('off');
    // Once the base carries a policy demoting the rule, the PR's finding warns instead of blocking.
    await repo.git.run(['checkout', '-q', 'main']);
    await repo.commit({ '.distill/config.json': JSON.stringify({ schema_version: 1, checks: { policy: { rules: { 'fixme_check/fixme': 'warn' } } } }) }, 'policy');
    await repo.git.run(['checkout', '-q', 'pr']);
    await repo.git.run(['rebase', '-q', 'main']);
    expect(head).not.toBe(await repo.git.revParse('HEAD'));
    const r = await check(repo, ['fixme', '--base=main', '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).checks[0].findings.map((f: { disposition_reason: string }) => f.disposition_reason)).toContain('policy rule fixme_check/fixme');
  });

  test('--sarif --out writes SARIF to a file; two runs give the same bytes', async () => {
    await prRepo();
    await check(repo, ['fixme', '--base=main', '--sarif', '--out=one.sarif']);
    await check(repo, ['fixme', '--base=main', '--sarif', '--out=two.sarif']);
    const one = readFileSync(join(repo.dir, 'one.sarif'), 'utf8');
    expect(one).toBe(readFileSync(join(repo.dir, 'two.sarif'), 'utf8'));
    const log = JSON.parse(one);
    expect(log.runs[0].results.map((r: { level: string }) => r.level).sort()).toEqual(['error', 'warning']);
  });

  test('usage errors name the fix', async () => {
    await prRepo();
    const r = await runCliCaptured(['check', 'fixmee'], { cwd: repo.dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("no check named 'fixmee'");
    await expect(check(repo, ['fixmee'])).rejects.toMatchObject({ code: 'E_USAGE', hint: 'did you mean: git distill check fixme' });
    await expect(check(repo, ['fixme', '--json', '--md'])).rejects.toMatchObject({ code: 'E_USAGE' });
    await expect(check(repo, ['fixme', '--fail-level=sometimes'])).rejects.toMatchObject({ code: 'E_USAGE' });
    await expect(check(repo, [])).rejects.toMatchObject({ code: 'E_USAGE' });
    await repo.commit({ '.distill/baseline.json': '{"schema_version":1}' }, 'bad baseline');
    await expect(check(repo, ['fixme'])).rejects.toMatchObject({ code: 'E_CONFIG_INVALID' });
  });
});
