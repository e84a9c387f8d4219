import { describe, expect, test } from 'bun:test';
import { sarifErrors } from '../../tests/helpers/sarif.ts';
import fc from 'fast-check';
import { FindingSchema, type Finding, type Severity } from '../../schemas/finding.ts';
import { findingFingerprint, makeFinding, markIntroduced, sortFindings } from './check.ts';
import { applyPolicy, buildPolicy, DEFAULT_POLICY, shouldFail, type DisposedFinding } from './policy.ts';
import { escapeMarkdownCell, renderMarkdown, renderReportsJson, renderReportsText, renderSarif, type CheckReport } from './report.ts';
import { ChecksConfigSchema } from '../../schemas/config.ts';

const finding = (over: Partial<Parameters<typeof makeFinding>[0]> = {}): Finding =>
  makeFinding({
    check: 'prd_drift',
    rule_id: 'dangling_reference',
    title: 'Dangling reference',
    message: 'docs/PRD.md names src/x.ts, which does not exist',
    severity: 'high',
    location: { path: 'docs/PRD.md', start_line: 12, end_line: 12 },
    evidence: [{ lookup: 'src/x.ts', found: false, detail: 'git ls-files at HEAD' }],
    subject: 'FR-012 src/x.ts',
    ...over,
  });

describe('findings', () => {
  test('makeFinding builds a schema-valid finding whose fingerprint ignores the location', () => {
    const a = finding();
    const moved = finding({ location: { path: 'docs/PRD.md', start_line: 40, end_line: 41 } });
    expect(FindingSchema.parse(a)).toEqual(a);
    expect(a.fingerprint).toBe(moved.fingerprint);
    expect(a.fingerprint).toBe(findingFingerprint('prd_drift', 'dangling_reference', 'FR-012 src/x.ts'));
    expect(finding({ subject: 'FR-013 src/x.ts' }).fingerprint).not.toBe(a.fingerprint);
    expect(a.introduced_by).toBe('unknown');
  });

  test('markIntroduced: in base → base, new → pr, no base → unknown', () => {
    const old = finding();
    const fresh = finding({ subject: 'FR-020 src/y.ts' });
    expect(markIntroduced([old, fresh], [old]).map((f) => f.introduced_by)).toEqual(['base', 'pr']);
    expect(markIntroduced([old, fresh], []).map((f) => f.introduced_by)).toEqual(['pr', 'pr']);
    expect(markIntroduced([old, fresh], null).map((f) => f.introduced_by)).toEqual(['unknown', 'unknown']);
  });

  test('sortFindings gives one order whatever the input order', () => {
    const pool = [
      finding(),
      finding({ subject: 'b', location: null }),
      finding({ subject: 'c', location: { path: 'a.md', start_line: 3, end_line: 3 } }),
      finding({ subject: 'd', location: { path: 'docs/PRD.md', start_line: 2, end_line: 2 }, rule_id: 'unknown_id' }),
      finding({ subject: 'e', check: 'kb_query', rule_id: 'past_rejection' }),
    ];
    const expected = sortFindings(pool);
    expect(expected[0]!.location).toBeNull();
    fc.assert(fc.property(fc.shuffledSubarray(pool, { minLength: pool.length, maxLength: pool.length }), (shuffled) => {
      expect(sortFindings(shuffled)).toEqual(expected);
    }));
  });
});

describe('policy', () => {
  test('severity decides by default; only a finding the PR introduced blocks', () => {
    const [pr, base, unknown] = [{ ...finding(), introduced_by: 'pr' as const }, { ...finding(), introduced_by: 'base' as const }, finding()];
    const out = applyPolicy([pr, base, unknown], DEFAULT_POLICY);
    expect(out.map((f) => f.disposition)).toEqual(['block', 'warn', 'warn']);
    expect(out[1]!.disposition_reason).toContain('already on the base');
    expect(out[2]!.disposition_reason).toContain('not known to be introduced');
  });

  test('a rule override beats the severity, and the baseline beats both', () => {
    const f = { ...finding(), introduced_by: 'pr' as const };
    const checks = ChecksConfigSchema.parse({ policy: { severity: { high: 'info' }, rules: { 'prd_drift/dangling_reference': 'warn' } } });
    expect(applyPolicy([f], buildPolicy(checks, []))[0]!.disposition).toBe('warn');
    const bySeverity = buildPolicy(ChecksConfigSchema.parse({ policy: { severity: { high: 'info' } } }), []);
    expect(applyPolicy([f], bySeverity)[0]!.disposition).toBe('info');
    // Unnamed severities keep their defaults.
    expect(bySeverity.severity.critical).toBe('block');
    const baselined = applyPolicy([f], buildPolicy(checks, [f.fingerprint]))[0]!;
    expect(baselined.disposition).toBe('off');
    expect(baselined.disposition_reason).toBe('accepted in the baseline');
  });

  test('shouldFail compares dispositions with the fail level', () => {
    const at = (d: DisposedFinding['disposition']): DisposedFinding => ({ ...finding(), disposition: d, disposition_reason: '' });
    expect(shouldFail([at('warn'), at('info')], 'block')).toBe(false);
    expect(shouldFail([at('warn')], 'warn')).toBe(true);
    expect(shouldFail([at('block')], 'block')).toBe(true);
    expect(shouldFail([at('block')], 'never')).toBe(false);
    expect(shouldFail([at('off'), at('info')], 'warn')).toBe(false);
    expect(shouldFail([], 'warn')).toBe(false);
  });
});

const HEAD = 'b'.repeat(40);
const BASE = 'a'.repeat(40);
const RULES = [
  { id: 'dangling_reference', title: 'Dangling reference', default_severity: 'high' as Severity, description: 'A doc names a path that does not exist.' },
  { id: 'unknown_id', title: 'Unknown id', default_severity: 'medium' as Severity, description: 'A reference to an id no doc defines.' },
];

function report(findings: Finding[]): CheckReport {
  return { check: 'prd_drift', title: 'PRD drift', rules: RULES, base_oid: BASE, head_oid: HEAD, findings: sortFindings(applyPolicy(findings, DEFAULT_POLICY)) };
}

describe('renderers', () => {
  const pr = { ...finding(), introduced_by: 'pr' as const };
  const old = { ...finding({ subject: 'old', rule_id: 'unknown_id', severity: 'medium', location: null }), introduced_by: 'base' as const };

  test('SARIF 2.1.0: valid against the schema; one run per check, rules, levels by disposition, fingerprints, regions, baseline state', () => {
    const text = renderSarif([report([pr, old])], '1.2.3');
    expect(sarifErrors(text)).toEqual([]);
    const log = JSON.parse(text);
    expect(log.version).toBe('2.1.0');
    expect(log.$schema).toContain('sarif-2.1.0');
    expect(log.runs).toHaveLength(1);
    const run = log.runs[0];
    expect(run.tool.driver).toMatchObject({ name: 'git-distill', version: '1.2.3' });
    expect(run.tool.driver.rules.map((r: { id: string }) => r.id)).toEqual(['dangling_reference', 'unknown_id']);
    const byRule = Object.fromEntries(run.results.map((r: { ruleId: string }) => [r.ruleId, r]));
    expect(byRule.dangling_reference).toMatchObject({
      ruleIndex: 0,
      level: 'error',
      baselineState: 'new',
      partialFingerprints: { 'gitDistill/v1': pr.fingerprint },
      locations: [{ physicalLocation: { artifactLocation: { uri: 'docs/PRD.md' }, region: { startLine: 12, endLine: 12 } } }],
    });
    expect(byRule.unknown_id).toMatchObject({ ruleIndex: 1, level: 'warning', baselineState: 'unchanged' });
    expect(byRule.unknown_id.locations).toBeUndefined();
  });

  test('JSON and text name every finding with its disposition', () => {
    const doc = JSON.parse(renderReportsJson([report([pr, old])]));
    expect(doc.counts).toEqual({ block: 1, warn: 1, info: 0, off: 0 });
    expect(doc.checks[0].findings.map((f: DisposedFinding) => f.disposition)).toEqual(['warn', 'block']);
    const text = renderReportsText([report([pr, old])]);
    expect(text).toContain('prd_drift aaaaaaaaaaaa..bbbbbbbbbbbb: 2 findings (1 block · 1 warn · 0 info)');
    expect(text).toContain('BLOCK high     docs/PRD.md:12 dangling_reference');
    expect(text).toContain('[on base]');
  });

  test('Markdown: the marker first, new findings in a table, base findings collapsed', () => {
    const md = renderMarkdown([report([pr, old])], { marker: '<!-- git-distill -->' });
    expect(md.startsWith('<!-- git-distill -->\n## git-distill')).toBe(true);
    expect(md).toContain('| ⛔ block | high | `docs/PRD.md:12` |');
    expect(md).toContain('<details><summary>1 already on the base</summary>');
    expect(md.indexOf('⛔ block')).toBeLessThan(md.indexOf('<details>'));
  });

  test('Markdown stays under max_chars and summarizes what it left out', () => {
    const many = Array.from({ length: 400 }, (_, i) => ({ ...finding({ subject: `s${i}`, message: 'x'.repeat(200) }), introduced_by: 'pr' as const }));
    const md = renderMarkdown([report(many)], { max_chars: 20_000 });
    expect(md.length).toBeLessThanOrEqual(20_000);
    const shownRows = md.split('\n').filter((l) => l.startsWith('| ⛔')).length;
    expect(shownRows).toBeGreaterThan(10);
    expect(md).toContain(`…and ${400 - shownRows} more findings not shown (${400 - shownRows} block · 0 warn · 0 info)`);
    const all = renderMarkdown([report(many)], { max_chars: 1_000_000 });
    expect(all.split('\n').filter((l) => l.startsWith('| ⛔')).length).toBe(400);
    expect(all).not.toContain('more finding');
  });

  test('a cut inside the collapsed section still closes it', () => {
    const old = Array.from({ length: 200 }, (_, i) => ({ ...finding({ subject: `o${i}`, message: 'y'.repeat(300) }), introduced_by: 'base' as const }));
    const md = renderMarkdown([report(old)], { max_chars: 8_000 });
    expect(md.match(/<details>/g)?.length).toBe(1);
    expect(md.match(/<\/details>/g)?.length).toBe(1);
  });

  test('cells cannot break the table or inject HTML', () => {
    expect(escapeMarkdownCell('a|b\nc <script>`x`')).toBe("a\\|b c &lt;script&gt;'x'");
    expect(escapeMarkdownCell('z'.repeat(500), 10)).toBe(`${'z'.repeat(9)}…`);
    const hostile = { ...finding({ message: 'line1\n| injected | row |\n<img src=x>' }), introduced_by: 'pr' as const };
    const md = renderMarkdown([report([hostile])]);
    const row = md.split('\n').find((l) => l.startsWith('| ⛔'))!;
    expect(row).toContain('line1 \\| injected \\| row \\| &lt;img src=x&gt;');
  });
});
