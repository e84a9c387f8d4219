// Golden: one small export (every kind, both formats) pinned byte for byte under tests/fixtures/datasets/ (UPDATE_GOLDEN=1 rewrites it).
import { describe, expect, test } from 'bun:test';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { PlaybookSchema, type Playbook } from '../../schemas/playbook.ts';
import { buildExport } from './build-export.ts';
import { validateRow, type RowFormat } from './validate.ts';
import { fixturePlan, makeLakehouseEvidence, scoreFixtureRuns, type RunSpec } from './export.fixture.ts';

const GOLDEN = join(import.meta.dir, '../../tests/fixtures/datasets');

/** A retry (rejected then accepted), a partial run with a lesson, an unreviewed run, overrides both ways, a tool call; and consensus splits below. */
export const GOLDEN_RUNS: RunSpec[] = [
  { run_id: 'cc:push-1', task_id: 'push', outcome: 'reject', prompt: 'push this repository to github', answer: 'I force-pushed over main.', minute: 0 },
  {
    run_id: 'cc:push-2',
    task_id: 'push',
    outcome: 'accept',
    prompt: 'push this repository to github',
    answer: 'Pushed main to origin; the remote is up to date.',
    tool: { name: 'Bash', input_summary: '{"command":"git push origin main"}', result: 'main -> main' },
    retrieved_context: ['origin is the GitHub remote of this repository'],
    minute: 5,
  },
  { run_id: 'cc:docs-1', task_id: 'docs', outcome: 'partial', prompt: 'document the export command', answer: 'Added a README section.', fact: 'Lesson: the README commands table lists every command.', minute: 20 },
  { run_id: 'cc:review-1', task_id: 'review', outcome: 'review', prompt: 'review the parser change', answer: 'Looks fine to me.', minute: 30 },
  { run_id: 'cc:bump-1', task_id: 'bump', outcome: 'override_accept', prompt: 'bump the version', answer: 'Bumped to 0.2.0.', minute: 40 },
  { run_id: 'cc:bump-2', task_id: 'bump', outcome: 'override_reject', prompt: 'bump the version', answer: 'Bumped to 9.9.9.', minute: 41 },
];

/**
 * Consensus splits of the auditor loop, through the real adapter: a 2-1 split with reasons, a 2-1 split
 * without, and a three-way split with no majority (no pair, a counted skip).
 */
export const GOLDEN_SPLITS = makeLakehouseEvidence('audit_discrepancies', [
  {
    pr_number: 41,
    head_sha: 'f753e11c2a9d4b8e6f0a1b3c5d7e9f2a4b6c8d0e',
    claim_idx: 2,
    claim: '48 tests passing in 502ms',
    votes: [
      { model: 'kimi-k2:1t', verdict: 'fake', reasoning: 'only 46 test() calls in the three files' },
      { model: 'qwen3-coder:480b', verdict: 'verified', reasoning: 'the PR body quotes the runner output' },
      { model: 'gpt-oss:120b', verdict: 'fake', reasoning: 'count mismatch with the diff' },
    ],
    resolution: 'fake (2 of 3)',
  },
  { pr_number: 41, head_sha: 'f753e11c2a9d4b8e6f0a1b3c5d7e9f2a4b6c8d0e', claim_idx: 5, claim: 'SFT no-leak enforced at schema layer', votes: { 'kimi-k2:1t': 'verified', 'qwen3-coder:480b': 'partial', 'gpt-oss:120b': 'verified' }, resolution: 'verified' },
  {
    pr_number: 44,
    head_sha: '27b1d27605e4c9a8b3f1d0e2c4a6b8d0f1e3a5c7',
    claim_idx: 0,
    claim: 'fixture runs under the 30 s budget',
    votes: [
      { model: 'kimi-k2:1t', verdict: 'fake' },
      { model: 'qwen3-coder:480b', verdict: 'verified' },
      { model: 'gpt-oss:120b', verdict: 'partial' },
    ],
  },
]);

export const GOLDEN_PLAYBOOK: Playbook = PlaybookSchema.parse({
  schema_version: 1,
  playbook_id: 'code-edit.push-to-github',
  task_type: 'code_edit',
  problem_pattern: 'push a local repository to its GitHub remote',
  useful_context: ['git remote -v'],
  model_routing_path: ['model-a'],
  commands_worked: ['git push origin main'],
  commands_failed: ['git push --force'],
  validation_steps: ['git status says the branch is up to date'],
  repo_files_touched: [],
  recovery_strategy: 'never force-push; fetch and rebase instead',
  known_failure_modes: ['force-push over the remote'],
  escalation_threshold: null,
  acceptance_criteria: ['the remote main equals the local main'],
  source_run_ids: ['cc:push-2'],
  created_at: '2024-01-01T00:00:00.000Z',
  status: 'proposed',
});

function readTree(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const full = join(d, name);
      if (statSync(full).isDirectory()) walk(full);
      else out.set(relative(dir, full), readFileSync(full, 'utf8'));
    }
  };
  if (existsSync(dir)) walk(dir);
  return out;
}

describe('golden export', () => {
  for (const format of ['trl', 'openai'] as const) {
    test(`export all --format ${format} matches tests/fixtures/datasets/${format}/ byte for byte`, () => {
      const built = buildExport(scoreFixtureRuns(GOLDEN_RUNS, GOLDEN_SPLITS), [GOLDEN_PLAYBOOK], fixturePlan({ format, command: `git-distill export all --format ${format}` }));
      const dir = join(GOLDEN, format);
      if (process.env.UPDATE_GOLDEN === '1') {
        rmSync(dir, { recursive: true, force: true });
        for (const [path, text] of built.files) {
          mkdirSync(dirname(join(dir, path)), { recursive: true });
          writeFileSync(join(dir, path), text);
        }
      }
      const golden = readTree(dir);
      expect(golden.size).toBeGreaterThan(8);
      expect([...built.files.keys()]).toEqual([...golden.keys()]);
      for (const [path, text] of built.files) expect(`${path}\n${text}`).toBe(`${path}\n${golden.get(path)}`);
    });
  }

  test('every row of every export traces to a stored EvidenceRecord (run id and sig_hash) and passes its validator', () => {
    const runs = scoreFixtureRuns(GOLDEN_RUNS, GOLDEN_SPLITS);
    const sigs = new Map(runs.flatMap((r) => r.evidence.map((e) => [e.provenance.sig_hash, e.run_id] as const)));
    for (const format of ['trl', 'openai'] as const) {
      const built = buildExport(runs, [GOLDEN_PLAYBOOK], fixturePlan({ format }));
      let checked = 0;
      for (const [path, text] of built.files) {
        if (!path.endsWith('.jsonl') || path.endsWith('.provenance.jsonl') || path === 'refused.jsonl') continue;
        const kind = path.split('/')[0]!;
        const rowFormat: RowFormat = kind === 'rag' ? (path.includes('eval') ? 'rag-eval' : 'rag-chunk') : kind === 'kto' ? 'kto-trl' : (`${kind}-${format}` as RowFormat);
        const sidecarText = built.files.get(path.replace(/\.jsonl$/, '.provenance.jsonl'));
        const sidecars = sidecarText?.trim().split('\n').map((l) => JSON.parse(l) as { run_ids: string[]; provenance: Array<{ sig_hash: string }> });
        text.trim().split('\n').forEach((line, i) => {
          const row = JSON.parse(line) as Record<string, unknown>;
          const side = sidecars?.[i] ?? null;
          expect(validateRow(rowFormat, row, side)).toBeNull();
          const provenance = (side?.provenance ?? (Array.isArray(row.provenance) ? row.provenance : [row.provenance])) as Array<{ sig_hash: string }>;
          // A consensus pair's sides are two voters of one stored run: `<run_id>#vote-<n>:<voter>`.
          const runIds = (side?.run_ids ?? [row.run_id ?? row.chosen_run_id, row.rejected_run_id].filter((x) => x !== undefined)).map((id) => String(id).split('#')[0]);
          expect(provenance.length).toBeGreaterThan(0);
          for (const p of provenance) {
            expect(sigs.has(p.sig_hash)).toBe(true);
            expect(runIds).toContain(sigs.get(p.sig_hash) ?? "(no run)");
          }
          checked++;
        });
      }
      expect(checked).toBeGreaterThan(10);
    }
  });
});
