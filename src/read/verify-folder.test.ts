// verifyFolder: a written folder verifies; any changed byte, missing file, broken link or wrong count is named.
import { describe, expect, test } from 'bun:test';
import fc from 'fast-check';
import { canonicalJson, sha256Hex } from '../canonical.ts';
import { buildScoring } from '../wiring.ts';
import { buildFolderFiles } from '../distill/build-folder.ts';
import { defaultConfig } from '../../schemas/config.ts';
import { buildFolder } from './folder-builder.fixture.ts';
import { renderProblem, shortSha, UNSEALED_MANIFEST_FIELDS, verifyFolder } from './verify-folder.ts';

const SOURCE = 'ab'.repeat(20);
const enc = new TextEncoder();
const dec = new TextDecoder();

function withFile(files: Map<string, Uint8Array>, path: string, text: string | null): Map<string, Uint8Array> {
  const next = new Map(files);
  if (text === null) next.delete(path);
  else next.set(path, enc.encode(text));
  return next;
}

function text(files: Map<string, Uint8Array>, path: string): string {
  return dec.decode(files.get(path)!);
}

/** The manifest with the fields no hash covers removed, for comparing what a flip changed. */
function sealedPart(manifestText: string): string | null {
  let value: Record<string, unknown>;
  try {
    value = JSON.parse(manifestText) as Record<string, unknown>;
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null) return null;
  const copy: Record<string, unknown> = structuredClone(value);
  for (const field of UNSEALED_MANIFEST_FIELDS) {
    const [head, tail] = field.split('.');
    if (tail === undefined) delete copy[head!];
    else if (typeof copy[head!] === 'object' && copy[head!] !== null) delete (copy[head!] as Record<string, unknown>)[tail];
  }
  return canonicalJson(copy);
}

describe('verifyFolder', () => {
  const built = buildFolder({ source_oid: SOURCE, quarantined: 2, redacted: 3 });

  test('a folder written as specified has no problems', () => {
    expect(verifyFolder(built.files, { source_oid: SOURCE })).toEqual([]);
  });

  test('an empty run set and no quarantine still verify', () => {
    const empty = buildFolder({ source_oid: SOURCE, runs: [], quarantined: 0, redacted: 0 });
    expect(verifyFolder(empty.files, { source_oid: SOURCE })).toEqual([]);
  });

  test('names evidence.jsonl first, with both hashes, when one of its bytes changes', () => {
    const original = text(built.files, 'evidence.jsonl');
    const changed = original.replace('"answer 0"', '"answer 9"');
    const problems = verifyFolder(withFile(built.files, 'evidence.jsonl', changed), { source_oid: SOURCE });
    expect(problems[0]).toEqual({
      path: 'evidence.jsonl',
      line: null,
      code: 'sha256',
      message: `sha256 ${shortSha(sha256Hex(changed))} does not match manifest (${shortSha(sha256Hex(original))})`,
    });
    expect(problems[1]?.message).toBe(`sha256 ${shortSha(sha256Hex(changed))} does not match receipts/collect.json (${shortSha(sha256Hex(original))})`);
    expect(renderProblem(`commits/ab/${SOURCE}`, problems[0]!)).toBe(
      `commits/ab/${SOURCE}/evidence.jsonl: sha256 ${shortSha(sha256Hex(changed))} does not match manifest (${shortSha(sha256Hex(original))})`,
    );
  });

  test('blames the manifest when only its record of a file changed and the receipt agrees with the file', () => {
    const manifest = JSON.parse(text(built.files, 'manifest.json'));
    const entry = manifest.files.find((f: { path: string }) => f.path === 'scored.jsonl');
    entry.sha256 = '0'.repeat(64);
    const problems = verifyFolder(withFile(built.files, 'manifest.json', canonicalJson(manifest) + '\n'), { source_oid: SOURCE });
    expect(problems[0]?.path).toBe('manifest.json');
    expect(problems[0]?.message).toContain('records scored.jsonl as sha256 000000000000…');
    expect(problems[0]?.message).toContain('as receipts/score.json records');
  });

  test('a changed receipt breaks the chain and is named before the receipt after it', () => {
    const collect = JSON.parse(text(built.files, 'receipts/collect.json'));
    collect.duration_ms = 6;
    const problems = verifyFolder(withFile(built.files, 'receipts/collect.json', canonicalJson(collect) + '\n'), { source_oid: SOURCE });
    expect(problems.map((p) => [p.path, p.code])).toEqual([['receipts/collect.json', 'sha256'], ['receipts/collect.json', 'sha256']]);
    expect(problems[1]?.message).toContain('does not match the prev_receipt_sha256 of receipts/link.json');
  });

  test('a first receipt with a prev link, and a later one without, both break the chain', () => {
    const collect = JSON.parse(text(built.files, 'receipts/collect.json'));
    collect.prev_receipt_sha256 = 'f'.repeat(64);
    const link = JSON.parse(text(built.files, 'receipts/link.json'));
    link.prev_receipt_sha256 = null;
    const files = withFile(withFile(built.files, 'receipts/collect.json', canonicalJson(collect) + '\n'), 'receipts/link.json', canonicalJson(link) + '\n');
    const chain = verifyFolder(files).filter((p) => p.code === 'chain');
    expect(chain).toEqual([
      { path: 'receipts/collect.json', line: null, code: 'chain', message: 'prev_receipt_sha256 is ffffffffffff… but collect is the first stage (expected null)' },
      { path: 'receipts/link.json', line: null, code: 'chain', message: 'prev_receipt_sha256 is null but link follows collect (expected the sha256 of receipts/collect.json)' },
    ]);
  });

  test('reports a missing file, an unlisted file and a receipt missing from stages', () => {
    const files = withFile(withFile(built.files, 'scored.jsonl', null), 'receipts/extra.json', '{}\n');
    const problems = verifyFolder(files);
    expect(problems.filter((p) => p.code === 'missing')).toEqual([{ path: 'scored.jsonl', line: null, code: 'missing', message: 'listed in manifest.json but missing from the folder' }]);
    expect(problems.find((p) => p.code === 'unlisted')?.path).toBe('receipts/extra.json');
    expect(problems.some((p) => p.path === 'manifest.json' && p.message === 'stages does not name extra, yet receipts/extra.json exists')).toBe(true);
  });

  test('a record that fails its schema is named by file and line even when the hashes were updated to match', () => {
    const lines = text(built.files, 'scored.jsonl').split('\n');
    const bad = JSON.parse(lines[1]!);
    bad.reasons = [];
    lines[1] = canonicalJson(bad);
    const scored = lines.join('\n');
    // Re-seal every hash so only the schema can notice.
    const manifest = JSON.parse(text(built.files, 'manifest.json'));
    const score = JSON.parse(text(built.files, 'receipts/score.json'));
    score.output_files[0].sha256 = sha256Hex(scored);
    const scoreText = canonicalJson(score) + '\n';
    for (const f of manifest.files) {
      if (f.path === 'scored.jsonl') f.sha256 = sha256Hex(scored);
      if (f.path === 'receipts/score.json') f.sha256 = sha256Hex(scoreText);
    }
    let files = withFile(built.files, 'scored.jsonl', scored);
    files = withFile(files, 'receipts/score.json', scoreText);
    files = withFile(files, 'manifest.json', canonicalJson(manifest) + '\n');
    const problems = verifyFolder(files, { source_oid: SOURCE });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ path: 'scored.jsonl', line: 2, code: 'schema' });
    expect(problems[0]?.message).toStartWith('line 2: scored-run is invalid: reasons');
  });

  test('counts that disagree with the records are named on the manifest and on the receipt', () => {
    const manifest = JSON.parse(text(built.files, 'manifest.json'));
    manifest.counts.evidence = 99;
    manifest.counts.runs_by_category.accepted = 5;
    const problems = verifyFolder(withFile(built.files, 'manifest.json', canonicalJson(manifest) + '\n'));
    expect(problems.map((p) => p.message)).toEqual([
      'counts.evidence is 99 but evidence.jsonl has 3 records',
      'counts.runs_by_category.accepted is 5 but scored.jsonl has 1',
    ]);
    const score = JSON.parse(text(built.files, 'receipts/score.json'));
    score.record_counts.out = 7;
    score.input_files[0].lines = 4;
    const receiptProblems = verifyFolder(withFile(built.files, 'receipts/score.json', canonicalJson(score) + '\n'));
    expect(receiptProblems.filter((p) => p.code === 'count').map((p) => p.message)).toEqual([
      'record_counts.out is 7 but scored.jsonl has 2 records',
      `read evidence.jsonl as ${built.files.get('evidence.jsonl')!.length} bytes, 4 lines, but it has ${built.files.get('evidence.jsonl')!.length} bytes, 3 lines`,
    ]);
  });

  test('a folder stored under another oid than its manifest names is reported', () => {
    const other = 'cd'.repeat(20);
    expect(verifyFolder(built.files, { source_oid: other })).toEqual([
      { path: 'manifest.json', line: null, code: 'mismatch', message: `source_oid is ${SOURCE} but the folder belongs to ${other}` },
    ]);
  });

  test('non-canonical spelling of the same records is reported', () => {
    const pretty = JSON.stringify(JSON.parse(text(built.files, 'manifest.json')), null, 2) + '\n';
    const problems = verifyFolder(withFile(built.files, 'manifest.json', pretty));
    expect(problems[0]).toMatchObject({ path: 'manifest.json', code: 'canonical', message: 'not canonical JSON (more than one line)' });
  });

  test('a missing or unreadable manifest is the first problem', () => {
    expect(verifyFolder(withFile(built.files, 'manifest.json', null))[0]).toEqual({
      path: 'manifest.json',
      line: null,
      code: 'schema',
      message: 'is missing: the folder has no manifest',
    });
    expect(verifyFolder(withFile(built.files, 'manifest.json', '{"schema_version":2}\n'))[0]?.message).toBe(
      'manifest: schema_version 2 is newer than this git-distill understands (1)',
    );
  });

  test('flipping any single byte of any file is detected (manifest: outside its unsealed fields)', () => {
    const folders = [
      built,
      buildFolder({ source_oid: SOURCE, runs: [{ category: 'needs_human_review', evidence: 1, link_by: 'session' }], quarantined: 0, redacted: 0 }),
    ];
    const arb = fc.record({
      folder: fc.integer({ min: 0, max: folders.length - 1 }),
      file: fc.nat(),
      offset: fc.nat(),
      mask: fc.integer({ min: 1, max: 255 }),
    });
    fc.assert(
      fc.property(arb, ({ folder, file, offset, mask }) => {
        const { files } = folders[folder]!;
        // An empty file has no byte to flip.
        const paths = [...files.keys()].filter((p) => files.get(p)!.length > 0).sort();
        const path = paths[file % paths.length]!;
        const bytes = files.get(path)!;
        const flipped = new Uint8Array(bytes);
        const at = offset % bytes.length;
        flipped[at] = flipped[at]! ^ mask;
        const next = new Map(files);
        next.set(path, flipped);
        const problems = verifyFolder(next, { source_oid: SOURCE });
        if (problems.length > 0) return true;
        // Undetected is acceptable only for a manifest change confined to the fields nothing else records.
        if (path !== 'manifest.json') return false;
        const after = sealedPart(new TextDecoder().decode(flipped));
        return after !== null && after === sealedPart(dec.decode(bytes));
      }),
      { numRuns: 600 },
    );
  });

  test('a changed byte at the start, middle or end of any file but the manifest is blamed on that file first', () => {
    const paths = [...built.files.keys()].filter((p) => p !== 'manifest.json');
    for (const path of paths) {
      const bytes = built.files.get(path)!;
      for (const at of [0, Math.floor(bytes.length / 2), bytes.length - 1]) {
        const flipped = new Uint8Array(bytes);
        flipped[at] = flipped[at]! ^ 0x01;
        const problems = verifyFolder(new Map(built.files).set(path, flipped), { source_oid: SOURCE });
        expect({ path, at, first: problems[0]?.path }).toEqual({ path, at, first: path });
      }
    }
  });
});

describe('verifyFolder on folders the run pipeline writes', () => {
  test('a folder from buildFolderFiles verifies, including evidence read but left pending elsewhere', () => {
    const built = buildFolder({ source_oid: SOURCE, quarantined: 2, redacted: 2 });
    const setup = { ...buildScoring(defaultConfig()), config_sha256: sha256Hex('config'), tool_version: '0.1.0-test' };
    const files = buildFolderFiles(
      {
        evidence: built.evidence,
        quarantine: built.quarantine,
        reads: [{ path: 'data/_kb/mode_experiments.jsonl', sha256: sha256Hex('input'), bytes: 900, lines: 9 }],
        // One more evidence record was read than is stored here: it linked to no commit yet.
        read_counts: { lines: 9, evidence: built.evidence.length + 1, quarantined: 2, blank: 3 },
        redactions_by_rule: { 'aws-access-key': 2 },
        formats: { 'lakehouse:mode_experiments': 1 },
      },
      { oid: SOURCE, subject: 'Fix parser', committed_at: '2024-01-01T00:00:00Z' },
      setup,
    );
    expect(verifyFolder(files, { source_oid: SOURCE })).toEqual([]);
    const flipped = new Uint8Array(files.get('receipts/link.json')!);
    flipped[10] = flipped[10]! ^ 0x02;
    expect(verifyFolder(new Map(files).set('receipts/link.json', flipped), { source_oid: SOURCE })[0]?.path).toBe('receipts/link.json');
  });
});
