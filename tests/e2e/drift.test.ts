// End-to-end: git distill drift and check prd-drift on real repositories: the exit code, byte-identical reports, the pipeline's drift.json, earlier signals, --log.
import { afterAll, describe, expect, setDefaultTimeout, test } from 'bun:test';
import { appendFileSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DriftReportSchema, type DriftReport } from '../../schemas/drift-report.ts';
import { canonicalJson } from '../../src/canonical.ts';
import { createGitStore } from '../../src/store/git-store.ts';
import { COMMIT_FILES, commitDir } from '../../src/store/layout.ts';
import { runCliCaptured } from '../helpers/cli.ts';
import { CACHE_PREFIX, makeRepo, snapshotUserState, type TestRepo } from '../helpers/git-repo.ts';
import { sarifErrors } from '../helpers/sarif.ts';

setDefaultTimeout(60_000);
const repos: TestRepo[] = [];
afterAll(async () => {
  for (const r of repos) await r.cleanup();
});

async function repoWith(): Promise<TestRepo> {
  const r = await makeRepo();
  repos.push(r);
  return r;
}

const PRD = (exporter: string) =>
  [
    '# Product plan',
    '',
    '## Phase 1: Login ✅',
    '- [x] Login in `src/login.ts`',
    '',
    '## Phase 2: Export — shipped',
    `- [x] Exporter in \`${exporter}\``,
    '  Tests: `tests/export.test.ts`',
    '',
    '## Phase 3: Import',
    '- [ ] Importer in `src/import.ts`',
    '',
  ].join('\n');

const CODE = {
  '.gitignore': '.distill/cache/\ndata/\n',
  'src/login.ts': 'export function login() {}\n',
  'tests/login.test.ts': 'import { login } from "../src/login";\n',
  'tests/export.test.ts': 'import { exportCsv } from "../src/export";\n',
};

const cli = (repo: TestRepo, argv: string[]) => runCliCaptured(argv, { cwd: repo.dir });

describe('git distill check prd-drift', () => {
  test('a phase marked shipped while a named file is missing: the finding at the doc line, exit 1; once the file is added, exit 0', async () => {
    const repo = await repoWith();
    await repo.commit({ ...CODE, 'docs/PRD.md': PRD('src/export.ts') }, 'plan');
    const before = await cli(repo, ['check', 'prd-drift', '--json']);
    expect(before.code).toBe(1);
    const findings = JSON.parse(before.stdout).checks[0].findings;
    const blocking = findings.filter((f: { disposition: string }) => f.disposition === 'block');
    expect(blocking.map((f: { rule_id: string; location: unknown }) => [f.rule_id, f.location])).toEqual([
      ['dangling_reference', { path: 'docs/PRD.md', start_line: 7, end_line: 7 }],
    ]);
    expect(blocking[0].message).toContain('`src/export.ts` does not exist');

    await repo.commit({ 'src/export.ts': 'export function exportCsv() {}\n' }, 'add the exporter');
    const after = await cli(repo, ['check', 'prd-drift', '--json']);
    expect(after.code).toBe(0);
    expect(JSON.parse(after.stdout).checks[0].findings.filter((f: { disposition: string }) => f.disposition === 'block')).toEqual([]);
  });

  test('on a PR only the drift the range introduced blocks; drift already on the base is a warning', async () => {
    const repo = await repoWith();
    await repo.commit({ ...CODE, 'docs/PRD.md': PRD('src/export.ts') }, 'plan with the exporter missing');
    await repo.git.run(['branch', 'base']);
    const same = await cli(repo, ['check', 'prd-drift', '--base', 'base', '--json']);
    expect(same.code).toBe(0);
    const old = JSON.parse(same.stdout).checks[0].findings.find((f: { rule_id: string }) => f.rule_id === 'dangling_reference');
    expect([old.introduced_by, old.disposition]).toEqual(['base', 'warn']);

    await repo.commit({ 'docs/PRD.md': PRD('src/export.ts').replace('- [x] Login in `src/login.ts`', '- [x] Login in `src/login.ts` and `src/sso.ts`') }, 'claim SSO');
    const pr = await cli(repo, ['check', 'prd-drift', '--base', 'base', '--json']);
    expect(pr.code).toBe(1);
    const blocking = JSON.parse(pr.stdout).checks[0].findings.filter((f: { disposition: string }) => f.disposition === 'block');
    expect(blocking.map((f: { message: string; introduced_by: string }) => [f.introduced_by, f.message.includes('`src/sso.ts`')])).toEqual([['pr', true]]);
  });

  test("a PR cannot hide its drift by pointing drift.docs elsewhere in its own config: the base's config applies", async () => {
    const repo = await repoWith();
    await repo.commit({ ...CODE, 'src/export.ts': 'x\n', 'docs/PRD.md': PRD('src/export.ts') }, 'plan');
    await repo.git.run(['branch', 'base']);
    const hide = JSON.stringify({ schema_version: 1, drift: { docs: ['nothing.md'] } });
    await repo.commit({ '.distill/config.json': hide, 'docs/PRD.md': PRD('src/export.ts') + '- [x] SSO in `src/sso.ts`\n' }, 'claim SSO, hide the docs');
    const r = await cli(repo, ['check', 'prd-drift', '--base', 'base', '--json']);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).checks[0].findings.some((f: { message: string }) => f.message.includes('`src/sso.ts`'))).toBe(true);
    // Without a base there is nothing to defer to: the working tree's config applies, and it names no doc.
    expect((await cli(repo, ['check', 'prd-drift', '--json'])).code).toBe(0);
  });

  test('SARIF from check and from drift validates against the SARIF 2.1.0 schema', async () => {
    const repo = await repoWith();
    await repo.commit({ ...CODE, 'docs/PRD.md': PRD('src/export.ts') }, 'plan');
    const check = await cli(repo, ['check', 'prd-drift', '--sarif']);
    expect(sarifErrors(check.stdout)).toEqual([]);
    expect(JSON.parse(check.stdout).runs[0].results.length).toBeGreaterThan(0);
    expect((await cli(repo, ['drift', '--sarif', 'drift.sarif', '--no-store'])).code).toBe(0);
    expect(sarifErrors(readFileSync(join(repo.dir, 'drift.sarif'), 'utf8'))).toEqual([]);
  });
});

describe('git distill drift', () => {
  test('two runs on the same commit give byte-identical reports, stored once; a twin repository gives the same bytes', async () => {
    const build = async () => {
      const r = await repoWith();
      await r.commit({ ...CODE, 'docs/PRD.md': PRD('src/export.ts') }, 'plan');
      return r;
    };
    const repo = await build();
    const first = await cli(repo, ['drift', '--json']);
    const second = await cli(repo, ['drift', '--json']);
    expect(first.code).toBe(0);
    expect(second.stdout).toBe(first.stdout);
    expect(first.stderr).toContain('stored commits/');
    expect(second.stderr).toContain('is up to date');
    const report = DriftReportSchema.parse(JSON.parse(first.stdout)) as DriftReport;
    const head = await repo.git.revParse('HEAD');
    const stored = (await repo.git.run(['cat-file', 'blob', `refs/heads/distill:${commitDir(head)}/${COMMIT_FILES.drift}`])).stdoutText;
    expect(stored).toBe(canonicalJson(report) + '\n');
    const twin = await build();
    expect(await twin.git.revParse('HEAD')).toBe(head);
    expect((await cli(twin, ['drift', '--json', '--no-store'])).stdout).toBe(first.stdout);
  });

  test('--base marks each finding as introduced by the range or already on the base', async () => {
    const repo = await repoWith();
    const base = await repo.commit({ ...CODE, 'docs/PRD.md': PRD('src/export.ts') }, 'plan');
    await repo.commit({ 'docs/PRD.md': PRD('src/export.ts') + '- [x] Added `src/new.ts`\n' }, 'more');
    const r = await cli(repo, ['drift', '--base', base, '--json', '--no-store']);
    const report = DriftReportSchema.parse(JSON.parse(r.stdout));
    expect(report.base_oid).toBe(base);
    const marks = report.findings.filter((f) => f.rule_id === 'dangling_reference').map((f) => [f.message.match(/`([^`]+)`/)?.[1], f.introduced_by]);
    expect(marks).toEqual([
      ['src/export.ts', 'base'],
      ['src/new.ts', 'pr'],
    ]);
  });

  test('a commit without requirement docs says so and stores nothing', async () => {
    const repo = await repoWith();
    await repo.commit(CODE, 'code only');
    const r = await cli(repo, ['drift']);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('has none of the requirement docs (docs/PRD.md, docs/PHASES.md, PRD.md, ROADMAP.md)');
    expect(r.stderr).toContain('next: name your docs in .distill/config.json under drift.docs');
    expect((await repo.git.run(['rev-parse', '--verify', '--quiet', 'refs/heads/distill'], { allowExit: [1] })).exitCode).toBe(1);
  });

  test('usage errors name the fix', async () => {
    const repo = await repoWith();
    await repo.commit({ ...CODE, 'docs/PRD.md': PRD('src/export.ts') }, 'plan');
    for (const [argv, hint] of [
      [['drift', 'HEAD', 'HEAD~1'], 'git distill drift HEAD~1'],
      [['drift', '--log', '--base', 'HEAD'], 'git distill drift --log -n 20'],
      [['drift', '--log', '-n', 'zero'], 'git distill drift --log -n 50'],
      [['drift', '--json', '--md'], 'git distill drift --json'],
    ] as const) {
      const r = await cli(repo, [...argv]);
      expect([argv, r.code]).toEqual([argv, 2]);
      expect(r.stderr).toContain(hint);
    }
  });
});

describe('the pipeline stores drift.json with each distilled commit', () => {
  const SOURCES = JSON.stringify({ schema_version: 1, sources: [{ path: 'data/_kb/*.jsonl' }] }) + '\n';
  const sweep = (phase: number, fake: number) =>
    JSON.stringify({ phase, phase_name: 'Export', status: 'shipped', claims_verified: 1, claims_fake: fake, claims_partial: 0, findings: ['the CSV writer is a stub'], evidence: ['src/export.ts'], discovered_at: '2024-01-01T00:30:00Z' }) + '\n';

  test('run writes drift.json and its receipt; verify, show and log read them; a flipped byte fails verify', async () => {
    const repo = await repoWith();
    const c1 = await repo.commit({ ...CODE, '.distill/config.json': SOURCES, 'docs/PRD.md': PRD('src/export.ts') }, 'plan');
    expect((await cli(repo, ['run'])).code).toBe(0);
    const store = createGitStore({ git: repo.git, ref: 'refs/heads/distill', tool_version: 'test' });
    try {
      const folder = (await store.readCommit(c1))!;
      const report = DriftReportSchema.parse(JSON.parse(new TextDecoder().decode(folder.get(COMMIT_FILES.drift))));
      expect(report.findings.map((f) => f.rule_id)).toContain('dangling_reference');
      const receipt = JSON.parse(new TextDecoder().decode(folder.get('receipts/drift.json')));
      expect([receipt.stage, receipt.validation_pass, receipt.record_counts.in, receipt.record_counts.out]).toEqual(['drift', true, report.claim_count, report.findings.length]);
      expect(receipt.input_files.map((f: { path: string }) => f.path)).toEqual(['docs/PRD.md']);
      expect(JSON.parse(new TextDecoder().decode(folder.get('manifest.json'))).stages).toEqual(['collect', 'link', 'score', 'drift']);

      expect((await cli(repo, ['verify', '--all'])).code).toBe(0);
      const show = JSON.parse((await cli(repo, ['show', '--json'])).stdout);
      expect(show.drift.claim_count).toBe(report.claim_count);
      const log = JSON.parse((await cli(repo, ['log', '--json'])).stdout);
      expect(log[0].drift).toEqual({ claim_count: report.claim_count, findings: report.findings.length, summary: report.summary });
      expect((await cli(repo, ['log', '--oneline'])).stdout).toContain(`· drift ${report.findings.length}`);

      // One byte of drift.json changed with plumbing: verify names the file.
      const tampered = new Map(folder);
      const bytes = new Uint8Array(folder.get(COMMIT_FILES.drift)!);
      bytes[bytes.length - 3] = bytes[bytes.length - 3] === 0x7d ? 0x5d : 0x7d;
      tampered.set(COMMIT_FILES.drift, bytes);
      await store.write({ source_oid: c1, subject: 'tamper', files: tampered, derived: new Map(), expected_head: await store.head(), date: '2024-01-02T00:00:00Z' });
      const verify = await cli(repo, ['verify', '--all']);
      expect(verify.code).toBe(1);
      expect(verify.stdout + verify.stderr).toContain('drift.json');
    } finally {
      await store.close();
    }
  });

  test("the auditor loop's phase sweep, distilled under an earlier commit, joins a later commit's report", async () => {
    const repo = await repoWith();
    const prd = PRD('src/export.ts').replace('## Phase 2: Export — shipped', '## Phase 2: Export — shipped\n<!-- the sweep -->') + '\n## Phase 4: Sync ✅\n- [x] Push\n';
    const c1 = await repo.commit({ ...CODE, '.distill/config.json': SOURCES, 'docs/PRD.md': prd, 'src/export.ts': 'export function exportCsv() {}\n' }, 'plan');
    mkdirSync(join(repo.dir, 'data', '_kb'), { recursive: true });
    appendFileSync(join(repo.dir, 'data', '_kb', 'phase_sweep_findings.jsonl'), sweep(4, 2));
    expect((await cli(repo, ['run', c1, '--attach'])).code).toBe(0);
    const c2 = await repo.commit({ 'README.md': 'readme\n' }, 'docs');
    expect((await cli(repo, ['run', c2])).code).toBe(0);
    const stored = (await repo.git.run(['cat-file', 'blob', `refs/heads/distill:${commitDir(c2)}/${COMMIT_FILES.drift}`])).stdoutText;
    const report = DriftReportSchema.parse(JSON.parse(stored));
    const signal = report.findings.filter((f) => f.rule_id === 'prior_drift_signal');
    expect(signal.map((f) => [f.location?.start_line, f.message])).toEqual([
      [14, `The auditor loop's phase sweep found 2 claims fake for phase 4; this check finds nothing to confirm it, so look again by hand.`],
    ]);
    expect(signal[0]!.evidence[0]!.lookup).toContain(`(distilled under ${c1.slice(0, 12)})`);
    // The command computes the same report the pipeline stored.
    expect((await cli(repo, ['drift', c2, '--json', '--no-store'])).stdout).toBe(stored);
  });

  test('--log: drift per commit, stored or computed, newest first', async () => {
    const repo = await repoWith();
    await repo.commit({ ...CODE, '.distill/config.json': SOURCES }, 'code');
    await repo.commit({ 'docs/PRD.md': PRD('src/export.ts') }, 'plan');
    expect((await cli(repo, ['run', 'HEAD~1..HEAD'])).code).toBe(0);
    await repo.commit({ 'src/export.ts': 'export function exportCsv() {}\n' }, 'exporter');
    const r = await cli(repo, ['drift', '--log', '--json']);
    const rows = JSON.parse(r.stdout);
    expect(rows.map((x: { subject: string; source: string }) => [x.subject, x.source])).toEqual([
      ['exporter', 'computed'],
      ['plan', 'stored'],
      ['code', 'no docs'],
    ]);
    expect(rows[0].summary.phantom).toBe(rows[1].summary.phantom - 1);
    const text = (await cli(repo, ['drift', '--log'])).stdout;
    expect(text.split('\n')[0]).toBe('commit        date        claims    done  verified  phantom   stale  findings  subject');
    expect(text).toContain('(not stored)');
    expect(text).toContain('(no requirement docs)');
  });

  test("drift and check leave the user's checkout as they found it", async () => {
    const repo = await repoWith();
    await repo.commit({ ...CODE, 'docs/PRD.md': PRD('src/export.ts') }, 'plan');
    await repo.commit({ 'src/export.ts': 'x\n' }, 'exporter');
    appendFileSync(join(repo.dir, 'src', 'login.ts'), '// edited\n');
    await repo.git.run(['stash', 'push', '-q']);
    appendFileSync(join(repo.dir, 'docs', 'PRD.md'), '- [x] uncommitted claim `src/nowhere.ts`\n');
    const before = await snapshotUserState(repo.dir, 'refs/heads/distill', [CACHE_PREFIX]);
    for (const argv of [['drift'], ['drift', '--base', 'HEAD~1', '--md'], ['drift', '--log'], ['check', 'prd-drift', '--base', 'HEAD~1']]) {
      const r = await cli(repo, argv);
      // The working tree's edit to the PRD is not what is judged: only commits are.
      expect(r.stdout).not.toContain('src/nowhere.ts');
    }
    expect(await snapshotUserState(repo.dir, 'refs/heads/distill', [CACHE_PREFIX])).toEqual(before);
  });
});
