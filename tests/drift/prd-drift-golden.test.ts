// Golden: every prd_drift rule over a small repository built here, a case that fires and a near-miss that does not; findings pinned byte for byte (UPDATE_GOLDEN=1 rewrites).
import { afterAll, describe, expect, setDefaultTimeout, test } from 'bun:test';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PRD_DRIFT_RULES, runPrdDrift, type PriorSignal } from '../../checks/prd-drift.ts';
import { DriftConfigSchema } from '../../schemas/config.ts';
import type { Finding } from '../../schemas/finding.ts';
import { readDriftSnapshot } from '../../src/drift/read-snapshot.ts';
import { makeRepo, type TestRepo } from '../helpers/git-repo.ts';

setDefaultTimeout(60_000);
const GOLDEN = join(import.meta.dir, 'golden');
const CONFIG = DriftConfigSchema.parse({});

interface Scenario {
  name: string;
  /** Commits in order: files to write (and paths to remove). The last commit is checked. */
  commits: Array<{ files: Record<string, string>; remove?: string[] }>;
  signals?: PriorSignal[];
  /** The rule this scenario is about: it fires at `fires` lines and at no `near_miss` line. */
  rule: string;
  fires: number[];
  near_miss: number[];
}

const CODE = {
  'src/login.ts': 'export class SessionStore {}\n// @req FR-001\nexport function login() {}\n',
  'tests/login.test.ts': 'import { login } from "../src/login";\n// @req FR-001\n',
  'src/export.ts': 'export function exportCsv() {}\n',
};

const prd = (...lines: string[]) => ({ 'docs/PRD.md': lines.join('\n') + '\n' });

const SCENARIOS: Scenario[] = [
  {
    name: 'dangling-reference',
    commits: [
      { files: { ...CODE, 'src/legacy.ts': 'export const legacy = 1;\n' } },
      {
        files: prd(
          '# Plan', //
          '## Phase 1: Login ✅',
          '- [x] Login in `src/login.ts` and `src/oauth.ts`',
          '- [x] Store `SessionStore` and `TokenCache`',
          '## Phase 2: Later',
          '- [ ] Add `src/later.ts`',
          '- [ ] Port `src/legacy.ts`',
        ),
        remove: ['src/legacy.ts'],
      },
    ],
    rule: 'dangling_reference',
    // src/oauth.ts and TokenCache on done items (high); src/legacy.ts was deleted (medium); src/later.ts never existed and is planned.
    fires: [3, 4, 7],
    near_miss: [6],
  },
  {
    name: 'done-without-implementation',
    commits: [
      { files: { ...CODE, 'src/audit.ts': '// @req FR-002\nexport const audit = 1;\n' } },
      {
        files: prd(
          '# Requirements', //
          '- [x] FR-001: Login',
          '- [x] FR-002: Audit trail',
          '- [x] FR-003: Rate limits',
          '- [x] Covered by `tests/login.test.ts` only',
        ),
      },
    ],
    rule: 'done_without_implementation',
    fires: [4, 5],
    near_miss: [2, 3],
  },
  {
    name: 'done-without-tests',
    commits: [
      {
        files: {
          ...CODE,
          ...prd(
            '# Plan', //
            '## Phase 1 ✅',
            '- [x] Exporter in `src/export.ts`',
            '- [x] Login in `src/login.ts`',
            '- [x] Session via `SessionStore`',
            '  Tests: `tests/session.test.ts`',
          ),
        },
      },
    ],
    rule: 'done_without_tests',
    // export has no test named after it; login has tests/login.test.ts; the session item names a test that does not exist.
    fires: [3, 5],
    near_miss: [4],
  },
  {
    name: 'unknown-id',
    commits: [
      {
        files: {
          ...CODE,
          'src/rate.ts': '// @req FR-077\nexport const rate = 1;\n',
          ...prd(
            '# Requirements', //
            '- FR-001: Login',
            '- FR-002: Logout, see FR-009',
            'Encoding is UTF-8 and hashes are SHA-256.',
          ),
        },
      },
    ],
    rule: 'unknown_id',
    fires: [3],
    near_miss: [4],
  },
  {
    name: 'duplicate-id',
    commits: [
      {
        files: {
          ...prd(
            '# Requirements', //
            '## FR-010 Login',
            '## FR-011 Logout',
            '## FR-010 Sign in',
            '| Id | Status |',
            '| --- | --- |',
            '| FR-011 | done |',
          ),
        },
      },
    ],
    rule: 'duplicate_id',
    fires: [4],
    near_miss: [7],
  },
  {
    name: 'phase-done-with-open-items',
    commits: [
      {
        files: {
          ...CODE,
          ...prd(
            '# Plan', //
            '## Phase 1: Login ✅',
            '- [x] Form',
            '- [ ] Remember me',
            '## Phase 2: Export ✅',
            '- [x] CSV',
            '- [ ] ⏸ PDF, deferred',
          ),
        },
      },
    ],
    rule: 'phase_done_with_open_items',
    fires: [2],
    near_miss: [5],
  },
  {
    name: 'phase-complete-not-marked',
    commits: [
      {
        files: prd(
          '# Plan', //
          '## Phase 4: Sync (in progress)',
          '- [x] Push',
          '- [x] Pull',
          '## Notes',
          '- [x] Wrote the notes',
          '## Phase 5: Share',
          '- [x] Link',
          '- [ ] Embed',
        ),
      },
    ],
    rule: 'phase_complete_not_marked',
    fires: [2],
    near_miss: [5, 7],
  },
  {
    name: 'implemented-not-marked',
    commits: [
      {
        files: {
          ...CODE,
          'src/limit.ts': '// @req FR-005\nexport const limit = 1;\n',
          ...prd(
            '# Requirements', //
            '- [ ] FR-005: Rate limit',
            '- [ ] FR-006: Quotas',
            '- [ ] Create `src/export.ts`',
            '- [ ] Document `src/login.ts`',
            '- [ ] Create `src/import.ts`',
          ),
        },
      },
    ],
    rule: 'implemented_not_marked',
    fires: [2, 4],
    near_miss: [3, 5, 6],
  },
  {
    name: 'stale-doc',
    commits: [
      { files: CODE },
      {
        files: prd(
          '# Plan', //
          '## Phase 1: Login ✅',
          '<!-- verified: STAMP1 -->',
          '- [x] Login in `src/login.ts`',
          '## Phase 2: Export ✅',
          '<!-- verified: STAMP1 -->',
          '- [x] Exporter in `src/export.ts`',
          '## Phase 3: Import ✅',
          '<!-- verified: 0000000000000000000000000000000000000bad -->',
          '- [x] Importer',
        ),
      },
      { files: { 'src/login.ts': CODE['src/login.ts'] + 'export const remember = true;\n' } },
    ],
    rule: 'stale_doc',
    fires: [3, 9],
    near_miss: [6],
  },
  {
    name: 'placeholder-in-shipped',
    commits: [
      {
        files: {
          ...CODE,
          ...prd(
            '# Plan', //
            '- [x] Exporter in `src/export.ts`, TBD: PDF',
            '- [ ] Importer TODO',
            '- [x] Login in `src/login.ts` handles the `TODO` token',
          ),
        },
      },
    ],
    rule: 'placeholder_in_shipped',
    fires: [2],
    near_miss: [3, 4],
  },
  {
    name: 'prior-drift-signal',
    commits: [
      {
        files: {
          ...CODE,
          ...prd(
            '# Plan', //
            '## Phase 7: Search ✅',
            '- [x] Index in `src/login.ts`',
            '## Phase 8: Sync ✅',
            '- [x] Push in `src/push.ts`',
          ),
        },
      },
    ],
    signals: [
      { run_id: 'sweep-7', task_type: 'phase_sweep', phase: '7', doc: null, failures: ['2 claims fake'], successes: [], summary: 'phase 7 (Search): shipped', source_oid: 'a'.repeat(40) },
      { run_id: 'sweep-8', task_type: 'phase_sweep', phase: '8', doc: null, failures: ['1 claim fake'], successes: [], summary: 'phase 8 (Sync): shipped', source_oid: 'a'.repeat(40) },
    ],
    rule: 'prior_drift_signal',
    // Phase 7's sweep has nothing to join and becomes a finding; phase 8's joins the dangling src/push.ts finding as evidence.
    fires: [2],
    near_miss: [4],
  },
];

const repos: TestRepo[] = [];
afterAll(async () => {
  for (const r of repos) await r.cleanup();
});

async function findingsOf(s: Scenario): Promise<Finding[]> {
  const repo = await makeRepo();
  repos.push(repo);
  let first = '';
  for (const c of s.commits) {
    const files = Object.fromEntries(Object.entries(c.files).map(([p, t]) => [p, t.replaceAll('STAMP1', first)]));
    const oid = await repo.commit(files, `commit ${s.name}`, c.remove === undefined ? {} : { remove: c.remove });
    if (first === '') first = oid;
  }
  const commit = await repo.git.revParse('HEAD');
  const snap = await readDriftSnapshot({ git: repo.git, commit, config: CONFIG, readPriorSignals: async () => s.signals ?? [] });
  if (snap === null) throw new Error(`${s.name}: no docs`);
  return runPrdDrift(snap);
}

function golden(findings: Finding[]): string {
  return JSON.stringify(
    findings.map((f) => ({ rule: f.rule_id, severity: f.severity, at: f.location === null ? null : `${f.location.path}:${f.location.start_line}`, message: f.message, evidence: f.evidence, fingerprint: f.fingerprint })),
    null,
    2,
  ) + '\n';
}

describe('prd_drift rules, one small repository each', () => {
  test('every rule has a scenario', () => {
    expect(new Set(SCENARIOS.map((s) => s.rule))).toEqual(new Set(PRD_DRIFT_RULES.map((r) => r.id)));
  });

  for (const s of SCENARIOS) {
    test(`${s.rule}: fires at lines ${s.fires.join(', ')}, not at the near-misses ${s.near_miss.join(', ')}; findings match golden/${s.name}.json`, async () => {
      const findings = await findingsOf(s);
      const lines = (rule: string) => findings.filter((f) => f.rule_id === rule && f.location?.path === 'docs/PRD.md').map((f) => f.location?.start_line);
      expect(lines(s.rule)).toEqual(s.fires);
      for (const line of s.near_miss) expect(findings.filter((f) => f.rule_id === s.rule && f.location?.start_line === line)).toEqual([]);
      const text = golden(findings);
      const path = join(GOLDEN, `${s.name}.json`);
      if (process.env.UPDATE_GOLDEN === '1') {
        mkdirSync(GOLDEN, { recursive: true });
        writeFileSync(path, text);
      }
      expect(existsSync(path)).toBe(true);
      expect(text).toBe(readFileSync(path, 'utf8'));
    });
  }
});
