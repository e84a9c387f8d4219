// git distill export over a real repository and a real distill branch: folders, playbooks, --since, both formats, refusals, the user's state.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { canonicalJson } from '../../src/canonical.ts';
import { buildFixtureFolder, type RunSpec } from '../../src/datasets/export.fixture.ts';
import { GOLDEN_PLAYBOOK } from '../../src/datasets/export-golden.test.ts';
import { createGitStore } from '../../src/store/git-store.ts';
import { DEFAULT_DISTILL_REF, playbookFile } from '../../src/store/layout.ts';
import { runCliCaptured } from '../helpers/cli.ts';
import { makeRepo, snapshotUserState, type TestRepo } from '../helpers/git-repo.ts';

const ROOT = join(import.meta.dir, '..', '..');

const FIRST: RunSpec[] = [
  { run_id: 'cc:push-1', task_id: 'push', outcome: 'reject', prompt: 'push this repository to github', answer: 'I force-pushed over main.', minute: 0 },
  {
    run_id: 'cc:push-2',
    task_id: 'push',
    outcome: 'accept',
    prompt: 'push this repository to github',
    answer: 'Pushed main to origin; the remote is up to date.',
    tool: { name: 'Bash', input_summary: '{"command":"git push origin main"}', result: 'main -> main' },
    minute: 5,
  },
];
const SECOND: RunSpec[] = [
  { run_id: 'cc:docs-1', task_id: 'docs', outcome: 'accept', prompt: 'document the export command', answer: 'Added a README section for export.', fact: 'Lesson: every command has a README row.', minute: 20 },
  { run_id: 'cc:review-1', task_id: 'review', outcome: 'review', prompt: 'review the parser change', answer: 'Looks fine to me, unreviewed.', minute: 30 },
];

function readTree(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const full = join(d, name);
      if (statSync(full).isDirectory()) walk(full);
      else out.set(relative(dir, full), readFileSync(full, 'utf8'));
    }
  };
  walk(dir);
  return out;
}

let repo: TestRepo;
let outRoot: string;
let c1: string;
let c2: string;

beforeAll(async () => {
  repo = await makeRepo();
  outRoot = mkdtempSync(join(tmpdir(), 'git-distill-export-'));
  c1 = await repo.commit({ 'src/push.ts': 'export const push = 1;\n' }, 'Push support');
  c2 = await repo.commit({ 'README.md': '# demo\n' }, 'Document export');
  await repo.commit({ 'src/later.ts': 'export const later = 1;\n' }, 'Not distilled yet');
  const store = createGitStore({ git: repo.git, ref: DEFAULT_DISTILL_REF, tool_version: '0.1.0-test' });
  try {
    let head: string | null = null;
    for (const [oid, specs, subject] of [
      [c1, FIRST, 'Push support'],
      [c2, SECOND, 'Document export'],
    ] as const) {
      const files = buildFixtureFolder(specs, { oid, subject, committed_at: '2024-01-01T00:00:00.000Z' });
      const derived = new Map<string, Uint8Array | null>(oid === c2 ? [[playbookFile(GOLDEN_PLAYBOOK.playbook_id), new TextEncoder().encode(canonicalJson(GOLDEN_PLAYBOOK) + '\n')]] : []);
      head = await store.write({ source_oid: oid, subject, files, derived, expected_head: head, date: '2024-02-01T00:00:00Z' });
    }
  } finally {
    await store.close();
  }
  // A checkout mid-work: a stash, a staged edit edited again, an untracked file; export must leave all of it alone.
  writeFileSync(join(repo.dir, 'src', 'push.ts'), 'export const push = 2;\n');
  await repo.git.run(['stash', 'push', '-q', '-m', 'wip']);
  writeFileSync(join(repo.dir, 'README.md'), '# demo, staged\n');
  await repo.git.run(['add', 'README.md']);
  writeFileSync(join(repo.dir, 'README.md'), '# demo, staged, then edited\n');
  writeFileSync(join(repo.dir, 'notes.txt'), 'untracked\n');
});

afterAll(async () => {
  await repo.cleanup();
  rmSync(outRoot, { recursive: true, force: true });
});

describe('git distill export', () => {
  test('export all writes every kind, the card and receipts; twice gives identical bytes; the checkout is untouched', async () => {
    const before = await snapshotUserState(repo.dir);
    const out = join(outRoot, 'all');
    const first = await runCliCaptured(['export', 'all', '--out', out], { cwd: repo.dir });
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('sft: 2 rows');
    expect(first.stdout).toContain('wrote ' + out + ' (2 distilled commits)');
    const a = readTree(out);
    const again = await runCliCaptured(['export', 'all', '--out', out], { cwd: repo.dir });
    expect(again.code).toBe(0);
    expect(readTree(out)).toEqual(a);
    expect(await snapshotUserState(repo.dir)).toEqual(before);

    for (const path of ['README.md', 'sft/instruction_response.jsonl', 'preference/dpo.jsonl', 'rag/chunks.jsonl', 'receipts/sft.json', 'receipts/rag.json', 'refused.jsonl', '.git-distill-export']) {
      expect(a.has(path)).toBe(true);
    }
    const sft = a.get('sft/instruction_response.jsonl')!.trim().split('\n').map((l) => JSON.parse(l) as { run_id: string; provenance: { sig_hash: string } });
    // Accepted runs only (cc:push-2, cc:docs-1 may land in another split file): never the rejected or unreviewed ones.
    const sftAll = [...a.entries()].filter(([p]) => p.startsWith('sft/')).map(([, t]) => t).join('');
    expect(sftAll).not.toContain('force-pushed');
    expect(sftAll).not.toContain('unreviewed');
    expect(sft.every((r) => r.run_id === 'cc:push-2' || r.run_id === 'cc:docs-1')).toBe(true);
    // Every row traces to a stored record: its sig_hash is in the evidence on the branch.
    const stored = (await repo.git.run(['show', `${DEFAULT_DISTILL_REF}:commits/${c1.slice(0, 2)}/${c1}/evidence.jsonl`])).stdoutText;
    for (const r of sft.filter((x) => x.run_id === 'cc:push-2')) expect(stored).toContain(r.provenance.sig_hash);
    const receipt = JSON.parse(a.get('receipts/sft.json')!) as { git_sha: string; record_counts: Record<string, number>; input_files: Array<{ path: string }>; validation_pass: boolean };
    expect(receipt.git_sha).toBe((await repo.git.revParse('HEAD')).trim());
    expect(receipt.record_counts['runs:accepted']).toBe(2);
    expect(receipt.record_counts['runs:rejected']).toBe(0);
    expect(receipt.record_counts['runs:needs_human_review']).toBe(0);
    expect(receipt.validation_pass).toBe(true);
    expect(receipt.input_files.map((f) => f.path)).toContain(playbookFile(GOLDEN_PLAYBOOK.playbook_id));
    expect(a.get('rag/chunks.jsonl')).toContain('Playbook code-edit.push-to-github');
    const card = a.get('README.md')!;
    expect(card.startsWith('---\nconfigs:\n- config_name: "rag_chunks"\n')).toBe(true);
    expect(card).toContain('SFT rows come only from runs scored `accepted`: 2 accepted runs, 0 of any other category.');
  });

  test('--since keeps only the commits HEAD reaches and the revision does not', async () => {
    const out = join(outRoot, 'since');
    const r = await runCliCaptured(['export', 'sft', '--since', c1, '--out', out, '--json'], { cwd: repo.dir });
    expect(r.code).toBe(0);
    const json = JSON.parse(r.stdout) as { commits: number; since: { oid: string }; kinds: Array<{ runs_by_category: Record<string, number> }> };
    expect(json.commits).toBe(1);
    expect(json.since.oid).toBe(c1);
    expect(json.kinds[0]!.runs_by_category.accepted).toBe(1);
    const text = [...readTree(out).entries()].filter(([p]) => p.startsWith('sft/')).map(([, t]) => t).join('');
    expect(text).toContain('cc:docs-1');
    expect(text).not.toContain('cc:push-2');
  });

  test('--format openai through the launcher: chat lines with a line-matched provenance sidecar', async () => {
    const out = join(outRoot, 'openai');
    const proc = Bun.spawnSync([join(ROOT, 'bin', 'git-distill'), 'export', 'sft', '--format', 'openai', '--out', out], { cwd: repo.dir, stdout: 'pipe', stderr: 'pipe' });
    expect(proc.stderr.toString()).toBe('');
    expect(proc.exitCode).toBe(0);
    const files = readTree(out);
    for (const [path, text] of files) {
      if (!path.startsWith('sft/') || path.includes('.provenance.')) continue;
      const side = files.get(path.replace(/\.jsonl$/, '.provenance.jsonl'))!.trim().split('\n');
      const lines = text.trim().split('\n');
      expect(side.length).toBe(lines.length);
      lines.forEach((line, i) => {
        expect(Object.keys(JSON.parse(line) as object).every((k) => ['messages', 'tools', 'parallel_tool_calls'].includes(k))).toBe(true);
        expect((JSON.parse(side[i]!) as { line: number }).line).toBe(i + 1);
      });
    }
  });

  test('the default folder is inside the git directory, never the working tree', async () => {
    const before = await snapshotUserState(repo.dir);
    const r = await runCliCaptured(['export', 'kto'], { cwd: repo.dir });
    expect(r.code).toBe(0);
    expect(existsSync(join(repo.dir, '.git', 'distill', 'export', 'kto', 'kto.jsonl')) || existsSync(join(repo.dir, '.git', 'distill', 'export', 'kto', 'kto.test.jsonl')) || existsSync(join(repo.dir, '.git', 'distill', 'export', 'kto', 'kto.validation.jsonl'))).toBe(true);
    expect(await snapshotUserState(repo.dir)).toEqual(before);
  });

  test('refuses to write over tracked files or a folder that is not an export, and writes nothing', async () => {
    const tracked = await runCliCaptured(['export', 'sft', '--out', 'src'], { cwd: repo.dir });
    expect(tracked.code).toBe(2);
    expect(tracked.stderr).toContain('holds files tracked by the repository');
    expect(readFileSync(join(repo.dir, 'src', 'push.ts'), 'utf8')).toBe('export const push = 1;\n');
    const foreign = join(outRoot, 'foreign');
    mkdirSync(foreign, { recursive: true });
    writeFileSync(join(foreign, 'notes.txt'), 'mine\n');
    const r = await runCliCaptured(['export', 'sft', '--out', foreign], { cwd: repo.dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('not a git-distill export');
    expect(readdirSync(foreign)).toEqual(['notes.txt']);
  });

  test('usage errors and an undistilled history say what to run next', async () => {
    const kind = await runCliCaptured(['export', 'dpo'], { cwd: repo.dir });
    expect(kind.code).toBe(2);
    expect(kind.stderr).toContain('unknown export kind "dpo"');
    const format = await runCliCaptured(['export', 'sft', '--format', 'alpaca'], { cwd: repo.dir });
    expect(format.code).toBe(2);
    const empty = await makeRepo();
    try {
      await empty.commit({ 'a.txt': 'a\n' }, 'first');
      const r = await runCliCaptured(['export', 'all', '--out', join(outRoot, 'empty')], { cwd: empty.dir });
      expect(r.code).toBe(3);
      expect(r.stderr).toContain("no distilled commit in HEAD's history");
      expect(r.stderr).toContain('next: git distill backfill');
      expect(existsSync(join(outRoot, 'empty'))).toBe(false);
    } finally {
      await empty.cleanup();
    }
  });
});
