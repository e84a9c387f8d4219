// Playbook signatures on the auditor loop's logs (bench/gen-auditor-logs.ts, seeded) distilled into a real repository:
// runs group by what they worked on (task class, file kind, area), never by their ids, and keep their playbook as runs arrive.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from 'bun:test';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateAuditorLogs } from '../../bench/gen-auditor-logs.ts';
import { makeRepo, type TestRepo } from '../helpers/git-repo.ts';
import { runCliCaptured } from '../helpers/cli.ts';
import { createGitStore } from '../../src/store/git-store.ts';
import { COMMIT_FILES } from '../../src/store/layout.ts';
import type { Playbook } from '../../schemas/playbook.ts';
import type { ScoredRun } from '../../schemas/scored-run.ts';

const SEED = 42;
// The generator writes run after run from one PRNG and stops at the first run past the target, so the smaller
// set's files are byte prefixes of the larger one's: copying the larger over the smaller appends runs.
const EARLY_BYTES = 4_000_000;
const LATE_BYTES = 8_000_000;

// The setup generates 8 MB of logs and distills them twice: seconds on a shared machine.
setDefaultTimeout(120_000);
let temp = '';
let repo: TestRepo;
let early: Playbook[] = [];
let late: Playbook[] = [];
let scored = new Map<string, ScoredRun>();
/** run_id → what the generator says the run worked on: task class and file (from the raw mode_experiments lines). */
const task = new Map<string, { task_class: string; file: string }>();

const dec = new TextDecoder();
const jsonl = <T>(text: string) =>
  text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .flatMap((l) => {
      try {
        return [JSON.parse(l) as T];
      } catch {
        return []; // the generator's planted bad lines
      }
    });

function copyLogs(from: string): void {
  const to = join(repo.dir, 'data', '_kb');
  mkdirSync(to, { recursive: true });
  for (const f of readdirSync(from)) if (f.endsWith('.jsonl')) copyFileSync(join(from, f), join(to, f));
}

async function distill(message: string, date: string): Promise<Playbook[]> {
  const oid = await repo.commit({ [`notes/${message}.md`]: `${message}\n` }, message, { date });
  const r = await runCliCaptured(['run', oid, '--sync', '--attach', '--json'], { cwd: repo.dir });
  expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: expect.any(String) });
  const list = await runCliCaptured(['playbooks', 'list', '--json'], { cwd: repo.dir });
  expect(list.code).toBe(0);
  return JSON.parse(list.stdout) as Playbook[];
}

beforeAll(async () => {
  temp = mkdtempSync(join(tmpdir(), 'gd-signatures-'));
  const opts = { seed: SEED, bad_rate: 0.001, secret_rate: 0 };
  generateAuditorLogs({ ...opts, out_dir: join(temp, 'early'), target_bytes: EARLY_BYTES });
  generateAuditorLogs({ ...opts, out_dir: join(temp, 'late'), target_bytes: LATE_BYTES });
  for (const f of readdirSync(join(temp, 'early')).filter((n) => n.endsWith('.jsonl'))) {
    const a = readFileSync(join(temp, 'early', f));
    expect(readFileSync(join(temp, 'late', f)).subarray(0, a.length).equals(a)).toBe(true);
  }
  for (const r of jsonl<{ run_id: string; task_class: string; file_path: string }>(readFileSync(join(temp, 'late', 'mode_experiments.jsonl'), 'utf8'))) {
    task.set(r.run_id, { task_class: r.task_class, file: r.file_path });
  }

  repo = await makeRepo();
  await repo.commit({ '.distill/config.json': JSON.stringify({ schema_version: 1, sources: [{ path: 'data/_kb/*.jsonl' }] }) + '\n' }, 'config', {
    date: '2026-03-01T00:00:00Z',
  });
  copyLogs(join(temp, 'early'));
  early = await distill('early', '2026-03-10T00:00:00Z');
  copyLogs(join(temp, 'late'));
  late = await distill('late', '2026-03-20T00:00:00Z');

  const store = createGitStore({ git: repo.git, ref: 'refs/heads/distill', tool_version: 'x' });
  try {
    for (const oid of await store.listSources()) {
      const files = (await store.readCommit(oid))!;
      for (const s of jsonl<ScoredRun>(dec.decode(files.get(COMMIT_FILES.scored)))) scored.set(s.run_id, s);
    }
  } finally {
    await store.close();
  }
});

afterAll(async () => {
  await repo?.cleanup();
  rmSync(temp, { recursive: true, force: true });
});

/** The generator's own view of a run's task: its class, the file's extension and its directory two segments deep. */
function kindOf(runId: string): string {
  const t = task.get(runId)!;
  const dirs = t.file.split('/').slice(0, -1);
  return `${t.task_class} | ${t.file.slice(t.file.lastIndexOf('.'))} | ${dirs.slice(0, 2).join('/')}`;
}

const isLoopRun = (id: string) => id.startsWith('run-') && task.has(id);
const supporting = (p: Playbook) => p.source_run_ids.filter((id) => scored.get(id)?.category === 'accepted' || scored.get(id)?.category === 'partially_accepted');

describe('playbook signatures on generated auditor-loop logs', () => {
  test('accepted runs of the same task class on the same kind of file in the same area share one playbook', () => {
    const playbookOf = new Map<string, string>();
    for (const p of late) for (const id of p.source_run_ids) playbookOf.set(id, p.playbook_id);
    const byKind = new Map<string, string[]>();
    for (const [id, s] of scored) {
      if (!isLoopRun(id) || (s.category !== 'accepted' && s.category !== 'partially_accepted')) continue;
      // A run whose most frequent task type is not its class (a human override's records outnumber its calls) is another kind.
      if (s.task_type !== task.get(id)!.task_class) continue;
      const k = kindOf(id);
      byKind.set(k, [...(byKind.get(k) ?? []), id]);
    }
    const grouped = [...byKind].filter(([, ids]) => ids.length >= 2);
    expect(grouped.length).toBeGreaterThanOrEqual(6);
    for (const [kind, ids] of grouped) {
      const playbooks = new Set(ids.map((id) => playbookOf.get(id)));
      expect({ kind, playbooks: [...playbooks] }).toEqual({ kind, playbooks: [expect.any(String)] });
    }
  });

  test('runs of different task classes, file kinds or areas never share a playbook', () => {
    let checked = 0;
    for (const p of late) {
      // Rejected runs of the signature too: they lend it their failure modes.
      const kinds = new Set(p.source_run_ids.filter((id) => isLoopRun(id) && scored.get(id)!.task_type === task.get(id)!.task_class).map(kindOf));
      expect({ playbook: p.playbook_id, kinds: kinds.size <= 1 }).toEqual({ playbook: p.playbook_id, kinds: true });
      if (kinds.size === 1) checked++;
      // Each names what it solves in words, not a run or task id.
      expect(p.problem_pattern).not.toMatch(/run-\d|<id>|<n>/);
    }
    expect(checked).toBeGreaterThanOrEqual(6);
    const scrum = late.find((p) => p.problem_pattern === 'scrum_review of *.ts in auditor/checks');
    expect(scrum?.task_type).toBe('scrum_review');
    expect(supporting(scrum!).filter(isLoopRun).length).toBeGreaterThanOrEqual(3);
  });

  test('playbook ids stay stable as runs are added: every early playbook is still there, with more runs', () => {
    expect(early.length).toBeGreaterThanOrEqual(4);
    expect(late.length).toBeGreaterThan(early.length);
    const lateById = new Map(late.map((p) => [p.playbook_id, p]));
    for (const p of early) {
      const after = lateById.get(p.playbook_id);
      expect({ id: p.playbook_id, kept: after !== undefined }).toEqual({ id: p.playbook_id, kept: true });
      expect(after!.problem_pattern).toBe(p.problem_pattern);
      for (const id of p.source_run_ids) expect(after!.source_run_ids).toContain(id);
    }
    expect(late.some((p) => p.source_run_ids.length > (early.find((e) => e.playbook_id === p.playbook_id)?.source_run_ids.length ?? Infinity))).toBe(true);
  });
});
