// The auditor loop's logs as tests write them: scrum reviews, the applier's gates, mode experiments, observer reviews; three commits' worth.
import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

export const CONFIG = JSON.stringify({ schema_version: 1, sources: [{ path: 'data/_kb/*.jsonl' }] }) + '\n';
export const at = (h: number, m = 0) => `2024-01-01T${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}:00Z`;
export const line = (o: unknown) => JSON.stringify(o) + '\n';

export const review = (file: string, ts: string, model: string, attempt: number) =>
  line({ file, reviewed_at: ts, accepted_model: model, accepted_on_attempt: attempt, verdict: 'needs_patch', review: `review of ${file}: one patch` });
export const apply = (file: string, ts: string, ok: boolean) =>
  line({
    file,
    ts,
    action: ok ? 'applied' : 'gate_failed',
    patches_applied: ok ? 1 : 0,
    gates: [
      { name: 'typecheck', passed: true },
      { name: 'bun_test', passed: ok, detail: ok ? '' : '3 failing in auth.test.ts' },
    ],
  });
export const experiment = (run_id: string, ts: string, model: string, file: string, latency: number) =>
  line({ run_id, ts, task_class: 'bugfix', mode: 'codereview', model, file_path: file, latency_ms: latency, response: `patch for ${file}` });
export const observer = (run_id: string, ts: string, verdict: 'accept' | 'reject') => line({ run_id, ts, verdict, confidence: 0.9, notes: 'checked the patch' });

export function kb(repo: { dir: string }, file: string, text: string): void {
  mkdirSync(join(repo.dir, 'data', '_kb'), { recursive: true });
  appendFileSync(join(repo.dir, 'data', '_kb', file), text);
}

/** The auditor loop's logs for one commit (written just before it is distilled, as the loop would). */
export const STEPS: Array<{ files: Record<string, string>; date: string; logs: Array<[string, string]> }> = [
  {
    files: { '.distill/config.json': CONFIG, 'src/auth/login.ts': 'login\n', 'src/auth/session.ts': 'session\n' },
    date: at(10),
    logs: [
      ['scrum_reviews.jsonl', review('src/auth/login.ts', at(9, 50), 'kimi-k2:1t', 1) + review('src/auth/session.ts', at(9, 51), 'qwen3-coder:480b', 2)],
      ['auto_apply.jsonl', apply('src/auth/login.ts', at(9, 52), true) + apply('src/auth/session.ts', at(9, 53), true)],
      ['mode_experiments.jsonl', experiment('fix-1', at(9, 54), 'gpt-oss:120b', 'src/auth/login.ts', 900) + experiment('fix-1', at(9, 55), 'qwen3-coder:480b', 'src/auth/login.ts', 2100)],
      ['observer_reviews.jsonl', observer('fix-1', at(9, 56), 'accept')],
    ],
  },
  {
    files: { 'src/auth/token.ts': 'token\n', 'src/api/routes.ts': 'routes\n' },
    date: at(11),
    logs: [
      ['scrum_reviews.jsonl', review('src/auth/token.ts', at(10, 50), 'kimi-k2:1t', 1) + review('src/api/routes.ts', at(10, 51), 'kimi-k2:1t', 1)],
      ['auto_apply.jsonl', apply('src/auth/token.ts', at(10, 52), false) + apply('src/api/routes.ts', at(10, 53), true)],
      ['mode_experiments.jsonl', experiment('fix-2', at(10, 54), 'gpt-oss:120b', 'src/api/routes.ts', 1500)],
      ['observer_reviews.jsonl', observer('fix-2', at(10, 56), 'reject')],
    ],
  },
  {
    files: { 'src/auth/logout.ts': 'logout\n' },
    date: at(12),
    logs: [
      ['scrum_reviews.jsonl', review('src/auth/logout.ts', at(11, 50), 'kimi-k2:1t', 1)],
      ['auto_apply.jsonl', apply('src/auth/logout.ts', at(11, 52), true)],
    ],
  },
];
