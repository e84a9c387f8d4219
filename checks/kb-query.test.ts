// The pure kb_query check: diff parsing, the query a diff makes, each rule, fingerprints, and order independence.
import { describe, expect, test } from 'bun:test';
import fc from 'fast-check';
import { FindingSchema } from '../schemas/finding.ts';
import { sortFindings } from '../src/checks/check.ts';
import { buildDiffQuery, changeTerms, parseUnifiedDiff, runKbQuery, type KbQuerySnapshot, type PastRun } from './kb-query.ts';

const DIFF = `diff --git a/src/x.ts b/src/x.ts
index 1111111..2222222 100644
--- a/src/x.ts
+++ b/src/x.ts
@@ -1,0 +2,3 @@
+export function fetchWithRetry(url: string) {
+  if (attempts > MAX_RETRIES) throw new Error("retry limit reached");
+  return fetchWithRetry(url);
diff --git a/docs/old.md b/docs/old.md
deleted file mode 100644
--- a/docs/old.md
+++ /dev/null
@@ -1 +0,0 @@
-old
diff --git a/src/net/new.ts b/src/net/new.ts
new file mode 100644
--- /dev/null
+++ b/src/net/new.ts
@@ -0,0 +1 @@
+const timeoutMs = 5;
`;

const oid = (c: string) => c.repeat(40);

function run(over: Partial<PastRun>): PastRun {
  return {
    run_id: 'r1', source_oid: oid('a'), committed_at: '2024-01-01T00:00:00.000Z', category: 'rejected', task_type: 'patch', models: ['m1'],
    files: ['src/x.ts'], reasons: ['a human override rejected the run'], failure_markers: [], failed_validations: [], override_reason: 'breaks the cap',
    relevance_rank: null, shared_terms: {}, ...over,
  };
}

function snapshot(over: Partial<KbQuerySnapshot>): KbQuerySnapshot {
  return { base_oid: oid('b'), head_oid: oid('c'), changes: parseUnifiedDiff(DIFF), past_runs: [], playbooks: [], model_stats: [], ...over };
}

describe('parseUnifiedDiff and the diff query', () => {
  test('reads paths, status, identifiers and error strings of added lines', () => {
    const changes = parseUnifiedDiff(DIFF);
    expect(changes.map((c) => [c.path, c.status])).toEqual([
      ['docs/old.md', 'deleted'],
      ['src/net/new.ts', 'added'],
      ['src/x.ts', 'modified'],
    ]);
    const x = changes[2];
    expect(x?.added_identifiers).toEqual(['fetchWithRetry', 'url', 'MAX_RETRIES', 'attempts']);
    expect(x?.error_strings).toEqual(['retry limit reached']);
    expect(changeTerms(x as (typeof changes)[number])).toEqual(['attempts', 'fetch', 'fetchwithretry', 'limit', 'max_retries', 'reached', 'retries', 'retry', 'url']);
    expect(buildDiffQuery(changes)).toBe('docs/old.md docs src/net/new.ts src/net src src/x.ts timeoutMs fetchWithRetry url MAX_RETRIES attempts retry limit reached');
  });
});

describe('runKbQuery', () => {
  test('a rejected run sharing the change\'s terms warns; one without is info; both cite run, reason and commit', () => {
    const findings = runKbQuery(snapshot({ past_runs: [run({ shared_terms: { 'src/x.ts': ['fetchwithretry'] } }), run({ run_id: 'r2', source_oid: oid('d'), override_reason: null, reasons: ['tests failed: net.test.ts'] })] }));
    expect(findings.map((f) => [f.rule_id, f.severity, f.location?.path])).toEqual([
      ['rejected_same_change', 'medium', 'src/x.ts'],
      ['past_rejection', 'info', 'src/x.ts'],
    ]);
    expect(findings[0]?.message).toBe(`Run r1 touched src/x.ts and was rejected under commit ${oid('a').slice(0, 12)} (2024-01-01): breaks the cap. This change adds fetchwithretry, which that run also has.`);
    expect(findings[1]?.message).toContain('tests failed: net.test.ts');
    for (const f of findings) expect(FindingSchema.parse(f)).toEqual(f);
    expect(findings.every((f) => f.introduced_by === 'pr')).toBe(true);
  });

  test('failures, recurring markers, playbooks and weak models', () => {
    const findings = runKbQuery(
      snapshot({
        past_runs: [
          run({ run_id: 'p1', category: 'partially_accepted', failure_markers: ['attempt 1 failed'], override_reason: null }),
          run({ run_id: 'p2', category: 'accepted', failure_markers: ['attempt 1 failed'], files: ['src/net/new.ts'], override_reason: null }),
          run({ run_id: 'ok', category: 'accepted', override_reason: null }),
        ],
        playbooks: [
          { playbook_id: 'net', title: 'playbook net', status: 'approved', task_type: 'patch', files: ['src/net'], relevance_rank: 1 },
          { playbook_id: 'old', title: 'playbook old', status: 'retired', task_type: 'patch', files: ['src/x.ts'], relevance_rank: 2 },
          { playbook_id: 'far', title: 'playbook far', status: 'approved', task_type: 'patch', files: ['lib/y.ts'], relevance_rank: 3 },
        ],
        model_stats: [
          { task_type: 'patch', model: 'weak', runs: 4, accepted: 1, rejected: 3 },
          { task_type: 'patch', model: 'fine', runs: 4, accepted: 3, rejected: 1 },
          { task_type: 'patch', model: 'few', runs: 2, accepted: 0, rejected: 2 },
          { task_type: 'other', model: 'weak', runs: 9, accepted: 0, rejected: 9 },
        ],
      }),
    );
    expect(findings.map((f) => `${f.rule_id} ${f.location?.path ?? '-'}`)).toEqual([
      'past_failure src/x.ts',
      'past_failure src/net/new.ts',
      'recurring_failure -',
      'playbook_applies -',
      'weak_model -',
    ]);
    expect(findings[2]?.message).toBe('2 runs on src/net/new.ts, src/x.ts recorded "attempt 1 failed": p1, p2.');
    expect(findings[4]?.title).toBe('weak is accepted in 1 of 4 patch runs');
  });

  test('fingerprints are stable and the report order does not depend on input order', () => {
    const runs = [run({}), run({ run_id: 'r2', source_oid: oid('d') }), run({ run_id: 'r3', category: 'needs_human_review', override_reason: null })];
    const base = sortFindings(runKbQuery(snapshot({ past_runs: runs })));
    fc.assert(
      fc.property(fc.shuffledSubarray(runs, { minLength: 3, maxLength: 3 }), (shuffled) => {
        expect(sortFindings(runKbQuery(snapshot({ past_runs: shuffled })))).toEqual(base);
      }),
    );
    // A later line edit of the PR does not change what the finding is about.
    const again = sortFindings(runKbQuery(snapshot({ past_runs: runs, head_oid: oid('e') })));
    expect(again.map((f) => f.fingerprint)).toEqual(base.map((f) => f.fingerprint));
  });

  test('at most five runs per file, the rest counted', () => {
    const runs = Array.from({ length: 7 }, (_, i) => run({ run_id: `r${i}`, source_oid: oid(String(i)) }));
    const findings = runKbQuery(snapshot({ past_runs: runs }));
    expect(findings.length).toBe(5);
    expect(findings[4]?.message).toContain('(2 more past runs on this file');
  });
});
