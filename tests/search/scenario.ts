// A small distilled history for the search tests: a rejected patch to src/x.ts with a stated reason, an accepted one elsewhere, a lesson.
import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { makeRepo, type TestRepo } from '../helpers/git-repo.ts';
import { runCliCaptured } from '../helpers/cli.ts';

export const REJECT_REASON = 'the patch removed the retry backoff cap in fetchWithRetry; unbounded retries hammer the API';
const CONFIG = JSON.stringify({ schema_version: 1, sources: [{ path: 'data/_kb/*.jsonl' }] }) + '\n';
const at = (h: number, m = 0) => `2024-01-01T${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}:00Z`;
const line = (o: unknown) => JSON.stringify(o) + '\n';

export interface Scenario {
  repo: TestRepo;
  /** The commit whose folder holds the rejected run r-x. */
  rejected_commit: string;
  accepted_commit: string;
}

export function kb(repo: TestRepo, file: string, text: string): void {
  mkdirSync(join(repo.dir, 'data', '_kb'), { recursive: true });
  appendFileSync(join(repo.dir, 'data', '_kb', file), text);
}

/** Two distilled commits: r-x (rejected by a person, on src/x.ts) under the first, r-y (accepted, on src/y.ts) and a lesson under the second. */
export async function buildScenario(): Promise<Scenario> {
  const repo = await makeRepo();
  const c1 = await repo.commit({ '.distill/config.json': CONFIG, '.gitignore': 'data/\n', 'src/x.ts': 'export const x = 1;\n' }, 'add x', { date: at(10) });
  kb(repo, 'mode_experiments.jsonl', line({ ts: at(9, 50), task_class: 'scrum_review', mode: 'codereview', model: 'kimi-k2:1t', file_path: 'src/x.ts', latency_ms: 900, response: 'patch: drop the backoff cap in fetchWithRetry so retries go faster', run_id: 'r-x' }));
  kb(repo, 'human_overrides.jsonl', line({ run_id: 'r-x', ts: at(9, 55), decision: 'reject', reason: REJECT_REASON, by: 'maintainer' }));
  const r1 = await runCliCaptured(['run', c1, '--sync', '--json'], { cwd: repo.dir });
  if (r1.code !== 0) throw new Error(`run failed: ${r1.stderr}`);
  const c2 = await repo.commit({ 'src/y.ts': 'export const y = 2;\n' }, 'add y', { date: at(11) });
  kb(repo, 'mode_experiments.jsonl', line({ ts: at(10, 50), task_class: 'scrum_review', mode: 'codereview', model: 'gpt-oss:120b', file_path: 'src/y.ts', latency_ms: 700, response: 'review: parser of y handles empty input', run_id: 'r-y' }));
  kb(repo, 'observer_reviews.jsonl', line({ run_id: 'r-y', ts: at(10, 55), verdict: 'accept', confidence: 0.9, notes: 'tests pass', model: 'kimi-k2:1t' }));
  const r2 = await runCliCaptured(['run', c2, '--sync', '--json'], { cwd: repo.dir });
  if (r2.code !== 0) throw new Error(`run failed: ${r2.stderr}`);
  return { repo, rejected_commit: c1, accepted_commit: c2 };
}
