// The linker's rules (oid, files + window, session, pending), the whole-run property, and independence from input order.
import { describe, expect, test } from 'bun:test';
import fc from 'fast-check';
import { makeEvidence } from '../../tests/fixtures/score/make-evidence.ts';
import { collectOidHints, hintNamesOid, linkEvidence, linkToNamedCommits, normalizeRepoPath, type CommitFacts } from './link.ts';

const OID = 'abcdef1234567890abcdef1234567890abcdef12';
const commit: CommitFacts = {
  oid: OID,
  parents: ['1111111111111111111111111111111111111111'],
  committed_at: '2024-01-01T02:00:00Z',
  parent_committed_at: '2024-01-01T01:00:00Z',
  changed_paths: ['src/a.ts', 'src/b.ts'],
  repo_root: '/repo',
  branch: 'main',
};
const opts = { slack_seconds: 900, attach: false };

const rec = (line: number, o: Parameters<typeof makeEvidence>[0] = {}) => makeEvidence({ ...o, provenance: { line_offset: line, ...o.provenance } });

describe('linkEvidence', () => {
  test('links by oid when a hint names the commit by a 7-hex prefix, whatever the time', () => {
    const r = linkEvidence([rec(1, { run_id: 'pr', timestamp: '2020-01-01T00:00:00Z', link_hints: { oids: ['ABCDEF1'], cwd: null, branch: null } })], commit, opts);
    expect(r.runs).toEqual([{ run_id: 'pr', oid: OID, by: 'oid', detail: 'data/_kb/mode_experiments.jsonl:1 names abcdef1' }]);
    expect(r.linked[0]!.links).toEqual([{ oid: OID, by: 'oid', detail: 'data/_kb/mode_experiments.jsonl:1 names abcdef1' }]);
  });

  test('does not link a 6-hex prefix or another oid', () => {
    expect(hintNamesOid('abcdef', OID)).toBe(false);
    expect(hintNamesOid('abcdef2', OID)).toBe(false);
    expect(hintNamesOid(OID, OID)).toBe(true);
  });

  test('links by files inside the window, with absolute paths under the root made relative', () => {
    const r = linkEvidence([rec(3, { run_id: 'f', timestamp: '2024-01-01T01:30:00Z', source_files: ['/repo/src/b.ts'] })], commit, opts);
    expect(r.runs[0]).toEqual({ run_id: 'f', oid: OID, by: 'files', detail: 'data/_kb/mode_experiments.jsonl:3 touched src/b.ts at 2024-01-01T01:30:00Z' });
    expect(normalizeRepoPath('./src/a.ts', '/repo')).toBe('src/a.ts');
  });

  test('the window is (parent − slack, commit + slack]: both edges', () => {
    const at = (ts: string) => linkEvidence([rec(1, { timestamp: ts, source_files: ['src/a.ts'] })], commit, opts).runs.length;
    expect(at('2024-01-01T00:45:00Z')).toBe(0); // exactly parent − 900 s: excluded
    expect(at('2024-01-01T00:45:01Z')).toBe(1);
    expect(at('2024-01-01T02:15:00Z')).toBe(1); // exactly commit + 900 s: included
    expect(at('2024-01-01T02:15:01Z')).toBe(0);
  });

  test('a root commit takes anything up to its time plus slack', () => {
    const root = { ...commit, parents: [], parent_committed_at: null };
    expect(linkEvidence([rec(1, { timestamp: '1999-01-01T00:00:00Z', source_files: ['src/a.ts'] })], root, opts).runs.length).toBe(1);
  });

  test('a file outside the diff does not link', () => {
    const r = linkEvidence([rec(1, { timestamp: '2024-01-01T01:30:00Z', source_files: ['src/c.ts'] })], commit, opts);
    expect(r.runs).toEqual([]);
    expect(r.pending.length).toBe(1);
  });

  test('links by session when cwd is inside the repository and the branch agrees', () => {
    const s = (cwd: string, branch: string | null) =>
      linkEvidence([rec(2, { run_id: 's', timestamp: '2024-01-01T01:10:00Z', link_hints: { oids: [], cwd, branch } })], commit, opts).runs;
    expect(s('/repo/pkg', 'main')[0]?.by).toBe('session');
    expect(s('/repo', null)[0]?.detail).toBe('data/_kb/mode_experiments.jsonl:2 ran in /repo at 2024-01-01T01:10:00Z');
    expect(s('/repository', null)).toEqual([]);
    expect(s('/repo', 'feature')).toEqual([]);
  });

  test('rules go in order: an oid record beats a files record of the same run', () => {
    const r = linkEvidence(
      [
        rec(1, { run_id: 'x', timestamp: '2024-01-01T01:30:00Z', source_files: ['src/a.ts'] }),
        rec(9, { run_id: 'x', link_hints: { oids: [OID], cwd: null, branch: null } }),
      ],
      commit,
      opts,
    );
    expect(r.runs[0]?.by).toBe('oid');
    expect(r.runs[0]?.detail.startsWith('data/_kb/mode_experiments.jsonl:9 ')).toBe(true);
  });

  test('a run links as a whole: a review without files or time follows the call that touched the file', () => {
    const r = linkEvidence(
      [
        rec(1, { run_id: 'x', timestamp: '2024-01-01T01:30:00Z', source_files: ['src/a.ts'] }),
        rec(2, { run_id: 'x', timestamp: null, provenance: { source_file: 'data/_kb/observer_reviews.jsonl' } }),
        rec(3, { run_id: 'other', timestamp: '2024-01-01T01:30:00Z' }),
      ],
      commit,
      opts,
    );
    expect(r.linked.map((x) => x.run_id).sort()).toEqual(['x', 'x']);
    expect(r.linked.every((x) => x.links[0]?.by === 'files' && x.links[0].detail.startsWith('data/_kb/mode_experiments.jsonl:1 '))).toBe(true);
    expect(r.pending.map((x) => x.run_id)).toEqual(['other']);
  });

  test('a record without a timestamp uses its run’s time range for the window', () => {
    const inRun = [rec(1, { run_id: 'y', timestamp: null, source_files: ['src/a.ts'] }), rec(2, { run_id: 'y', timestamp: '2024-01-01T01:40:00Z' })];
    expect(linkEvidence(inRun, commit, opts).runs[0]?.by).toBe('files');
    const outRun = [rec(1, { run_id: 'y', timestamp: null, source_files: ['src/a.ts'] }), rec(2, { run_id: 'y', timestamp: '2023-01-01T00:00:00Z' })];
    expect(linkEvidence(outRun, commit, opts).runs).toEqual([]);
    expect(linkEvidence([rec(1, { timestamp: null, source_files: ['src/a.ts'] })], commit, opts).runs).toEqual([]);
  });

  test('--attach takes every pending run, by manual', () => {
    const r = linkEvidence([rec(1, { run_id: 'a' }), rec(2, { run_id: 'b', timestamp: '1990-01-01T00:00:00Z' })], commit, { ...opts, attach: true });
    expect(r.runs.map((x) => [x.run_id, x.by])).toEqual([
      ['a', 'manual'],
      ['b', 'manual'],
    ]);
    expect(r.pending).toEqual([]);
  });

  test('the result does not depend on input order', () => {
    const records = [
      rec(1, { run_id: 'a', timestamp: '2024-01-01T01:30:00Z', source_files: ['src/a.ts'] }),
      rec(2, { run_id: 'a', timestamp: '2024-01-01T01:31:00Z', source_files: ['src/b.ts'] }),
      rec(3, { run_id: 'b', timestamp: '2024-01-01T01:32:00Z', link_hints: { oids: [], cwd: '/repo', branch: null } }),
      rec(4, { run_id: 'b', link_hints: { oids: ['abcdef12'], cwd: null, branch: null } }),
      rec(5, { run_id: 'c', timestamp: '2024-01-01T01:33:00Z' }),
    ];
    const expected = linkEvidence(records, commit, opts);
    expect(expected.runs.map((r) => r.by)).toEqual(['files', 'oid']);
    fc.assert(
      fc.property(fc.shuffledSubarray(records, { minLength: records.length, maxLength: records.length }), (shuffled) => {
        expect(linkEvidence(shuffled, commit, opts)).toEqual(expected);
      }),
    );
  });
});

describe('linkToNamedCommits', () => {
  const EARLIER = '2222222222222222222222222222222222222222';
  const hints = (...oids: string[]) => ({ oids, cwd: null, branch: null });

  test('collects the distinct hints of 7+ hex digits, lower-cased and sorted', () => {
    const records = [rec(1, { link_hints: hints('ABCDEF1', 'zz12345', '123456') }), rec(2, { link_hints: hints(' abcdef1 ', '2222222') })];
    expect(collectOidHints(records)).toEqual(['2222222', 'abcdef1']);
  });

  test('a run links whole, by oid, to the commit its first naming record names; the others stay pending', () => {
    const named = new Map([['2222222', EARLIER]]);
    const records = [
      rec(5, { run_id: 'aider', link_hints: hints('2222222') }),
      rec(1, { run_id: 'aider' }),
      rec(2, { run_id: 'other', link_hints: hints('deadbee') }),
    ];
    const r = linkToNamedCommits(records, named);
    expect(r.runs).toEqual([{ run_id: 'aider', oid: EARLIER, by: 'oid', detail: 'data/_kb/mode_experiments.jsonl:5 names 2222222' }]);
    expect(r.linked.get(EARLIER)?.map((x) => [x.provenance.line_offset, x.links])).toEqual([
      [1, [{ oid: EARLIER, by: 'oid', detail: 'data/_kb/mode_experiments.jsonl:5 names 2222222' }]],
      [5, [{ oid: EARLIER, by: 'oid', detail: 'data/_kb/mode_experiments.jsonl:5 names 2222222' }]],
    ]);
    expect(r.pending.map((x) => x.run_id)).toEqual(['other']);
  });

  test('with nothing resolved, everything stays pending, in folder order', () => {
    const r = linkToNamedCommits([rec(2, { link_hints: hints('2222222') }), rec(1)], new Map());
    expect(r.runs).toEqual([]);
    expect(r.pending.map((x) => x.provenance.line_offset)).toEqual([1, 2]);
  });
});
