// The record invariants zod refinements enforce (DESIGN section 6, invariants 2-4), each shown to reject what it must.
import { describe, expect, test } from 'bun:test';
import fc from 'fast-check';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { canonicalSha256 } from '../../src/canonical.ts';
import { DriftReportSchema } from '../../schemas/drift-report.ts';
import { EvidenceRecordSchema } from '../../schemas/evidence-record.ts';
import { FindingSchema } from '../../schemas/finding.ts';
import { ModelLedgerEntrySchema } from '../../schemas/model-ledger-entry.ts';
import { PlaybookSchema } from '../../schemas/playbook.ts';
import { PreferenceSampleSchema } from '../../schemas/preference-sample.ts';
import { RagSampleSchema } from '../../schemas/rag-sample.ts';
import { SftSampleSchema } from '../../schemas/sft-sample.ts';
import { parseRecord, safeParseRecord } from '../../schemas/versioned.ts';

const FIXTURES = join(import.meta.dir, 'fixtures');
const SCORE_CATEGORIES = ['accepted', 'partially_accepted', 'rejected', 'needs_human_review'] as const;

function fixture(record: string, file: string): Record<string, unknown> {
  return JSON.parse(readFileSync(join(FIXTURES, record, 'valid', file), 'utf8')) as Record<string, unknown>;
}

/** The issue messages a value fails with, or [] when it parses. */
function failures(schema: Parameters<typeof safeParseRecord>[0], value: unknown): string[] {
  const result = safeParseRecord(schema, 'record', value);
  if (result.ok) return [];
  return (result.error.details['issues'] as { path: string; message: string }[]).map((i) => `${i.path}: ${i.message}`);
}

describe('SftSample no-leak (invariant 4)', () => {
  const sft = fixture('sft-sample', 'plain-turn-from-claude-code.json');

  test('accepts a row from a run scored accepted', () => {
    expect(failures(SftSampleSchema, sft)).toEqual([]);
  });

  for (const category of ['partially_accepted', 'rejected', 'needs_human_review']) {
    test(`rejects a row from a run scored ${category}, naming the rule`, () => {
      const issues = failures(SftSampleSchema, { ...sft, category });
      expect(issues).toHaveLength(1);
      expect(issues[0]).toStartWith('category: SFT takes only runs scored "accepted"; got "' + category + '"');
    });
  }

  test('rejects every category but accepted, and any other string', () => {
    fc.assert(
      fc.property(fc.oneof(fc.constantFrom(...SCORE_CATEGORIES), fc.string()), (category) => {
        const ok = SftSampleSchema.safeParse({ ...sft, category }).success;
        expect(ok).toBe(category === 'accepted');
      }),
    );
  });

  test('rejects a completion that is not the assistant speaking', () => {
    for (const role of ['user', 'system']) {
      expect(failures(SftSampleSchema, { ...sft, completion: [{ role, content: 'x' }] })).toEqual([
        'completion[0].role: Invalid input: expected "assistant"',
      ]);
    }
  });
});

describe('RagSample', () => {
  const rag = fixture('rag-sample', 'accepted-final-answer.json');
  test('takes accepted and partially accepted knowledge only', () => {
    const accepted = SCORE_CATEGORIES.filter((category) => RagSampleSchema.safeParse({ ...rag, category }).success);
    expect(accepted).toEqual(['accepted', 'partially_accepted']);
  });
});

describe('PreferenceSample (invariant 3)', () => {
  const pair = fixture('preference-sample', 'human-override-review.json');

  test('rejects a pair whose two sides come from the same run', () => {
    expect(failures(PreferenceSampleSchema, { ...pair, rejected_run_id: pair['chosen_run_id'] })).toEqual([
      'rejected_run_id: chosen and rejected come from the same run "run-2026-04-21-0003"; a pair needs two different runs',
    ]);
  });

  test('rejects a pair whose chosen and rejected are identical, whatever the key order', () => {
    const chosen = pair['chosen'] as { role: string; content: string }[];
    const reordered = chosen.map((m) => ({ content: m.content, role: m.role }));
    expect(failures(PreferenceSampleSchema, { ...pair, rejected: reordered })).toEqual([
      'rejected: chosen and rejected are identical',
    ]);
  });

  test('rejects a pair without a reason, or with a blank one', () => {
    expect(failures(PreferenceSampleSchema, { ...pair, reason: '' })).toEqual(['reason: a preference pair needs a reason']);
    expect(failures(PreferenceSampleSchema, { ...pair, reason: ' \n\t' })).toEqual(['reason: a preference pair needs a reason']);
  });
});

describe('Playbook (invariant 3)', () => {
  const playbook = fixture('playbook', 'proposed-from-claude-code-session.json');

  test('rejects a playbook with no source runs', () => {
    expect(failures(PlaybookSchema, { ...playbook, source_run_ids: [] })).toEqual([
      'source_run_ids: a playbook needs at least one source run',
    ]);
  });

  test('rejects a playbook with no acceptance criteria', () => {
    expect(failures(PlaybookSchema, { ...playbook, acceptance_criteria: [] })).toEqual([
      'acceptance_criteria: a playbook needs at least one acceptance criterion',
    ]);
  });

  test('accepts the three statuses and nothing else', () => {
    const statuses = ['proposed', 'approved', 'retired', 'draft', 'Approved'];
    expect(statuses.filter((status) => PlaybookSchema.safeParse({ ...playbook, status }).success)).toEqual([
      'proposed',
      'approved',
      'retired',
    ]);
  });
});

describe('ModelLedgerEntry', () => {
  const entry = fixture('model-ledger-entry', 'twenty-runs-with-partner.json');

  test('accepts exactly the intervals that contain the success rate', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (rate, a, b) => {
          const low = Math.min(a, b);
          const high = Math.max(a, b);
          const ok = ModelLedgerEntrySchema.safeParse({ ...entry, success_rate: rate, success_ci: { low, high } }).success;
          expect(ok).toBe(low <= rate && rate <= high);
        },
      ),
    );
  });

  test('rejects a p95 latency below the p50', () => {
    expect(failures(ModelLedgerEntrySchema, { ...entry, latency_p50: 900, latency_p95: 899.5 })).toEqual([
      'latency_p95: latency_p95 899.5 is below latency_p50 900',
    ]);
    expect(failures(ModelLedgerEntrySchema, { ...entry, latency_p50: 900, latency_p95: 900 })).toEqual([]);
  });

  test('rejects an entry with no samples or a fractional count', () => {
    expect(failures(ModelLedgerEntrySchema, { ...entry, sample_count: 0, failure_modes: [] })).toHaveLength(1);
    expect(failures(ModelLedgerEntrySchema, { ...entry, sample_count: 2.5, failure_modes: [] })).toHaveLength(1);
  });
});

describe('Finding and DriftReport', () => {
  const report = DriftReportSchema.parse(fixture('drift-report', 'pr-with-one-finding.json'));
  const finding = fixture('finding', 'prd-drift-done-without-implementation.json');

  test('a finding may point at a whole file, but not at half a range', () => {
    const at = (start_line: number | null, end_line: number | null) =>
      FindingSchema.safeParse({ ...finding, location: { path: 'docs/PRD.md', start_line, end_line } }).success;
    expect([at(null, null), at(3, 3), at(3, 9), at(null, 3), at(3, null), at(9, 3), at(0, 1)]).toEqual([
      true,
      true,
      true,
      false,
      false,
      false,
      false,
    ]);
  });

  test('claim_count must be the sum of the docs claims', () => {
    const fewer = { ...report.summary, by_status: { ...report.summary.by_status, unknown: report.summary.by_status.unknown - 1 } };
    expect(failures(DriftReportSchema, { ...report, claim_count: 39, summary: fewer })).toEqual([
      'claim_count: claim_count 39 differs from the sum over docs (40)',
    ]);
  });

  test('claims by status add up to claim_count, and no more done claims are judged than there are', () => {
    const s = report.summary;
    expect(failures(DriftReportSchema, { ...report, summary: { ...s, by_status: { ...s.by_status, planned: s.by_status.planned + 1 } } })).toEqual([
      `summary.by_status: claims by status add up to ${report.claim_count + 1}, not claim_count ${report.claim_count}`,
    ]);
    expect(failures(DriftReportSchema, { ...report, summary: { ...s, unverifiable: s.by_status.done } })).toEqual([
      `summary: verified + phantom + unverifiable is ${s.verified + s.phantom + s.by_status.done}, more than the ${s.by_status.done} done claims`,
    ]);
  });

  test('a report without a base cannot say a finding was introduced by the PR or the base', () => {
    const outside = { ...report, base_oid: null, findings: [{ ...finding, introduced_by: 'unknown' }] };
    expect(failures(DriftReportSchema, outside)).toEqual([]);
    expect(failures(DriftReportSchema, { ...outside, findings: [{ ...finding, introduced_by: 'base' }] })).toEqual([
      'findings[0].introduced_by: introduced_by "base" needs a base_oid to compare with',
    ]);
  });
});

describe('EvidenceRecord fixtures come from real sample lines (invariant 2)', () => {
  const dir = join(FIXTURES, 'evidence-record');
  const sourceLines = readFileSync(join(dir, 'source-lines.jsonl'), 'utf8').split('\n').filter((l) => l !== '');

  test('each fixture provenance.sig_hash is the canonical sha256 of the sample line it cites', () => {
    const records = ['claude-code-assistant-tool-use.json', 'claude-code-tool-result-error.json'].map((file) =>
      parseRecord(EvidenceRecordSchema, 'evidence-record', fixture('evidence-record', file)),
    );
    expect(records.map((r) => r.provenance.line_offset)).toEqual([4, 14]);
    expect(records.map((r) => r.provenance.sig_hash)).toEqual(sourceLines.map((l) => canonicalSha256(JSON.parse(l))));
    expect(records.map((r) => r.run_id)).toEqual(
      sourceLines.map((l) => (JSON.parse(l) as { sessionId: string }).sessionId),
    );
  });

  // The samples live beside the checkout (../shared/samples); a clone without them still checks the copies above.
  const samples = join(import.meta.dir, '..', '..', '..', 'shared', 'samples');
  test.skipIf(!existsSync(samples))('each copied line is the line at that byte offset of the original sample', () => {
    for (const file of ['claude-code-assistant-tool-use.json', 'claude-code-tool-result-error.json']) {
      const { provenance } = parseRecord(EvidenceRecordSchema, 'evidence-record', fixture('evidence-record', file));
      const bytes = readFileSync(join(samples, provenance.source_file));
      const end = bytes.indexOf(10, provenance.byte_offset);
      const line = bytes.subarray(provenance.byte_offset, end).toString('utf8');
      expect(sourceLines).toContain(line);
      expect(canonicalSha256(JSON.parse(line))).toBe(provenance.sig_hash);
      expect(bytes.subarray(0, provenance.byte_offset).filter((b) => b === 10).length).toBe(provenance.line_offset - 1);
    }
  });
});
