// render-log: the oneline notation and the JSON shape for distilled, failing and undistilled commits.
import { describe, expect, test } from 'bun:test';
import { buildFolder } from './folder-builder.fixture.ts';
import { buildLogEntry, buildLogJson, renderLogOneline } from './render-log.ts';
import { verifyFolder } from './verify-folder.ts';

const A = 'a1'.repeat(20);
const B = 'b2'.repeat(20);

describe('render-log', () => {
  const built = buildFolder({
    source_oid: A,
    runs: [
      { category: 'accepted', evidence: 1 },
      { category: 'accepted', evidence: 1 },
      { category: 'needs_human_review', evidence: 1 },
    ],
    quarantined: 0,
    redacted: 0,
  });
  const ok = buildLogEntry({ oid: A, short: 'a1a1a1a', subject: 'Fix parser' }, { path: `commits/a1/${A}`, files: built.files, problems: verifyFolder(built.files) });
  const none = buildLogEntry({ oid: B, short: 'b2b2b2b', subject: 'Bump deps' }, null);
  const failing = buildLogEntry(
    { oid: A, short: 'a1a1a1a', subject: 'Fix parser' },
    { path: `commits/a1/${A}`, files: built.files, problems: [{ path: 'evidence.jsonl', line: null, code: 'sha256', message: 'x' }] },
  );

  test('oneline appends the figures, marks undistilled commits, and flags a failed verify', () => {
    expect(renderLogOneline([ok, none, failing])).toBe(
      'a1a1a1a Fix parser  ✓ 3 ev · 3 runs (2✓ 0~ 0✗ 1?) · 0 q · 0 redacted\n' +
        'b2b2b2b Bump deps  ·  not distilled\n' +
        'a1a1a1a Fix parser  ✗ 3 ev · 3 runs (2✓ 0~ 0✗ 1?) · 0 q · 0 redacted · verify FAILED\n',
    );
  });

  test('json gives counts and receipts_valid, null for an undistilled commit', () => {
    expect(buildLogJson([ok, none, failing]).map((e) => [e.distilled, e.counts?.runs ?? null, e.receipts_valid])).toEqual([
      [true, 3, true],
      [false, null, null],
      [true, 3, false],
    ]);
  });
});
