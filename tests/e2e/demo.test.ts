// The Quickstart's demo: a real repository, real hooks, three distilled commits, a verified log.
import { expect, test } from 'bun:test';
import { rmSync } from 'node:fs';
import { runCliCaptured } from '../helpers/cli.ts';
import { createGit } from '../../src/io/git.ts';

test('git distill demo distills three agent commits through the hooks and every folder verifies', async () => {
  const r = await runCliCaptured(['demo'], { cwd: process.cwd(), now: new Date().toISOString() });
  expect(r.code).toBe(0);
  const dir = /demo repository: (\S+)/.exec(r.stdout)![1]!;
  try {
    const log = await runCliCaptured(['log', '--json'], { cwd: dir });
    const entries = JSON.parse(log.stdout) as Array<{ subject: string; distilled: boolean; receipts_valid: boolean | null; counts: { evidence: number; quarantined: number; redacted: number; runs_by_category: Record<string, number> } | null }>;
    expect(entries.map((e) => [e.subject, e.distilled, e.receipts_valid])).toEqual([
      ['Retry failed fetches', true, true],
      ['Strip CR at end of CSV lines', true, true],
      ['Add CSV line parser', true, true],
      ['Configure git-distill', true, true],
      ['Initial commit', false, null],
    ]);
    const [fetch, fix, add] = entries;
    expect(fetch!.counts!.runs_by_category).toMatchObject({ rejected: 1 });
    expect(fix!.counts!.runs_by_category).toMatchObject({ accepted: 1, partially_accepted: 1 });
    expect(fix!.counts!.quarantined).toBe(1);
    expect(fix!.counts!.redacted).toBeGreaterThan(0);
    expect(add!.counts!.runs_by_category).toMatchObject({ accepted: 1 });
    // The token the demo's agent used never reaches the distill branch.
    const tree = await createGit({ cwd: dir }).run(['grep', '-c', 'Demo0Token1Value', 'refs/heads/distill'], { allowExit: [1] });
    expect(tree.exitCode).toBe(1);
    expect(r.stdout).toContain('$ git distill log');
    // What the hooks distilled, summed over commits, is what ingest says of the same logs.
    const ingest = JSON.parse((await runCliCaptured(['ingest', 'agent-logs', 'data/_kb', '--json'], { cwd: dir })).stdout);
    const sum = (key: 'evidence' | 'quarantined') => entries.reduce((n, e) => n + (e.counts?.[key] ?? 0), 0);
    expect(ingest.evidence).toBe(24);
    expect(sum('evidence')).toBe(ingest.evidence);
    expect(sum('quarantined')).toBe(ingest.quarantined);
    expect(ingest.quarantined).toBe(1);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
