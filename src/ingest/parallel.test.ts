// Differential tests: the parallel ingest (workers, byte ranges, bucketed scoring) against the sequential reference, byte for byte.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseConfig } from '../config/load.ts';
import { buildIngestSetup, collectIo } from '../wiring.ts';
import { ingestJson } from '../cli/commands/ingest.ts';
import { expandSources } from '../io/fs.ts';
import { DistillError } from '../errors.ts';
import { resolveSamplesDir } from '../collect/adapters/adapter-test-helper.ts';
import type { CollectSource } from '../collect/collect.ts';
import { runIngest, type IngestRequestBase, type IngestSummary } from './ingest.ts';
import { cutRanges, runIngestParallel, type ParallelOptions } from './parallel.ts';

const REPO = resolve(import.meta.dir, '../..');
const RECORDED_AT = '2026-01-01T00:00:00.000Z';
const DEFAULT_CONFIG = parseConfig('{"schema_version":1}', 'test config');
let work: string;

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'git-distill-parallel-test-'));
});
afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

/**
 * A multi-MB lakehouse audits stream: real example lines with the PR number varied (many runs), a BOM, and
 * bad lines scattered through it (truncated JSON, invalid UTF-8, blanks, CRLF endings, a record missing its
 * run fields, a secret) so quarantines and redactions land in many different ranges.
 */
function writeAuditsStream(path: string, targetBytes: number): void {
  const examples = readFileSync(join(REPO, 'examples/logs/data/_kb/audits.jsonl'), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  const secret = 'AKIA' + 'Q'.repeat(16);
  const parts: Buffer[] = [Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('not json at all\n')];
  let bytes = 0;
  for (let i = 0; bytes < targetBytes; i++) {
    let line: Buffer;
    if (i % 97 === 13) line = Buffer.from('{"pr_number": 7, "head_sha": "trunc\n');
    else if (i % 131 === 5) line = Buffer.concat([Buffer.from('{"x":"'), Buffer.from([0xc3, 0x28]), Buffer.from('"}\n')]);
    else if (i % 89 === 7) line = Buffer.from('   \n');
    else if (i % 211 === 3) line = Buffer.from('{"unrelated": true}\n');
    else {
      const base = examples[i % examples.length]!;
      const findings = i % 53 === 0 ? [{ severity: 'warn', check: 'static', message: `leaked key ${secret}` }] : base['findings'];
      const value = { ...base, pr_number: 1000 + (i % 400), findings };
      line = Buffer.from(JSON.stringify(value) + (i % 61 === 0 ? '\r\n' : '\n'));
    }
    parts.push(line);
    bytes += line.length;
  }
  // An unterminated last line: read to the end of the file like the sequential reader.
  parts.push(Buffer.from(JSON.stringify({ ...examples[0]!, pr_number: 9999 })));
  writeFileSync(path, Buffer.concat(parts));
}

function request(sources: CollectSource[], out_dir: string | null): IngestRequestBase {
  const setup = buildIngestSetup();
  return {
    sources,
    config: DEFAULT_CONFIG,
    ...setup.scoring(DEFAULT_CONFIG),
    recorded_at: RECORDED_AT,
    out_dir,
    command: 'git-distill ingest test',
    git_sha: null,
    tool_version: '0.0.0-test',
    now: () => new Date(RECORDED_AT),
  };
}

async function sequential(sources: CollectSource[], out_dir: string | null, spool_records?: number): Promise<IngestSummary> {
  const setup = buildIngestSetup();
  const req = request(sources, out_dir);
  return runIngest(collectIo(), {
    ...req,
    ...(spool_records === undefined ? {} : { spool_records }),
    adapters: setup.adapters,
    redact: setup.redactor(DEFAULT_CONFIG),
  });
}

const PARALLEL: ParallelOptions = { jobs: 3, cores: 3, min_parallel_bytes: 0, range_bytes: 64 * 1024, score_batch_bytes: 16 * 1024 };

function outputs(dir: string): Record<string, string> {
  const files: Record<string, string> = {};
  for (const f of ['evidence.jsonl', 'quarantine.jsonl', 'scored.jsonl', 'receipts/collect.json', 'receipts/score.json']) {
    files[f] = readFileSync(join(dir, f), 'utf8');
  }
  return files;
}

/** Both paths over the same sources: identical output bytes, receipts, --json summary and per-source summaries. */
async function expectSameAsSequential(name: string, sources: CollectSource[], opts: ParallelOptions = PARALLEL): Promise<IngestSummary> {
  const seqDir = join(work, `${name}-seq`);
  const parDir = join(work, `${name}-par`);
  const seq = await sequential(sources, seqDir);
  const par = await runIngestParallel(request(sources, parDir), opts);
  const a = outputs(seqDir);
  const b = outputs(parDir);
  for (const f of Object.keys(a)) expect({ file: f, text: b[f] }).toEqual({ file: f, text: a[f] });
  expect(JSON.stringify({ ...ingestJson(par), out_dir: null })).toBe(JSON.stringify({ ...ingestJson(seq), out_dir: null }));
  expect(JSON.stringify(par.sources)).toBe(JSON.stringify(seq.sources));
  expect(par.receipts.map((r) => r.validation_pass)).toEqual([true, true]);
  return seq;
}

function sourcesOf(...paths: string[]): CollectSource[] {
  return expandSources(paths, REPO).map((s) => ({ ...s, format: null }));
}

describe('runIngestParallel', () => {
  test('matches the sequential path on the example logs (claude-code, codex, every lakehouse stream)', async () => {
    const seq = await expectSameAsSequential('examples', sourcesOf(join(REPO, 'examples/logs')));
    expect(seq.sources.length).toBeGreaterThan(15);
    expect(seq.evidence).toBeGreaterThan(50);
  }, 60_000);

  test('matches the sequential path on the claude-code and codex samples (stateful adapters, whole files)', async () => {
    const seq = await expectSameAsSequential('samples', sourcesOf(resolveSamplesDir('claude-code'), resolveSamplesDir('codex')));
    expect(seq.formats['claude-code']).toBeGreaterThan(0);
    expect(seq.formats['codex']).toBeGreaterThan(0);
  }, 60_000);

  test('matches the sequential path on a multi-MB stream cut into many ranges, bad lines and secrets included', async () => {
    const dir = join(work, 'stream');
    const path = join(dir, 'audits.jsonl');
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    writeAuditsStream(path, 2 * 1024 * 1024);
    const ranges = [];
    for await (const r of cutRanges(path, statSync(path).size, PARALLEL.range_bytes!)) ranges.push(r);
    expect(ranges.length).toBeGreaterThan(30);

    const seq = await expectSameAsSequential('stream', sourcesOf(path));
    expect(seq.sources[0]!.format).toBe('lakehouse:audits');
    expect(seq.sources[0]!.format_by).toBe('detected');
    expect(seq.quarantined_by_reason['invalid_json']).toBeGreaterThan(40);
    expect(seq.quarantined_by_reason['invalid_utf8']).toBeGreaterThan(20);
    expect(seq.blank).toBeGreaterThan(40);
    expect(seq.redactions_by_rule['aws-access-key-id']).toBeGreaterThan(20);
    expect(seq.runs).toBeGreaterThan(400);
    // The same with the format forced, and with the stream beside the examples (ranges between whole files).
    const forced = sourcesOf(path).map((s) => ({ ...s, format: 'lakehouse:audits' }));
    const f = await expectSameAsSequential('stream-forced', forced);
    expect(f.sources[0]!.format_by).toBe('forced');
    await expectSameAsSequential('stream-mixed', sourcesOf(join(REPO, 'examples/logs'), path), { ...PARALLEL, jobs: 2, cores: 2, range_bytes: 200_000 });
  }, 120_000);

  test('matches the sequential path without --out (nothing written, summary only)', async () => {
    const sources = sourcesOf(join(REPO, 'examples/logs'));
    const seq = await sequential(sources, null);
    const par = await runIngestParallel(request(sources, null), PARALLEL);
    expect(JSON.stringify(ingestJson(par))).toBe(JSON.stringify(ingestJson(seq)));
    expect(par.receipts).toEqual([]);
  }, 60_000);

  test('cuts ranges at line starts, numbered as the reader numbers them, covering the whole file', async () => {
    const path = join(work, 'cut.jsonl');
    writeFileSync(path, 'aaaa\nbb\r\n\ncccccc\nd');
    const ranges = [];
    for await (const r of cutRanges(path, statSync(path).size, 4)) ranges.push(r);
    expect(ranges).toEqual([
      { start: 0, end: 5, line: 1 },
      { start: 5, end: 9, line: 2 },
      { start: 9, end: 17, line: 3 },
      { start: 17, end: null, line: 5 },
    ]);
  });

  test('a worker failure surfaces as the DistillError the sequential path throws, naming the file', async () => {
    const missing = { path: join(work, 'gone.jsonl'), display_path: 'gone.jsonl', format: null };
    const sources = [...sourcesOf(join(REPO, 'examples/logs/codex')), missing];
    const seqError = await sequential(sources, null).catch((e: unknown) => e);
    const parError = await runIngestParallel(request(sources, null), PARALLEL).catch((e: unknown) => e);
    expect(seqError).toBeInstanceOf(DistillError);
    expect(parError).toBeInstanceOf(DistillError);
    expect((parError as DistillError).code).toBe('E_INPUT_NOT_FOUND');
    expect((parError as DistillError).code).toBe((seqError as DistillError).code);
    expect((parError as DistillError).message).toContain('gone.jsonl');
    expect((parError as DistillError).details['source_file']).toBe('gone.jsonl');
  }, 60_000);

  test('leaves no bucket files behind in its temp root', async () => {
    const root = mkdtempSync(join(work, 'temp-root-'));
    await runIngestParallel(request(sourcesOf(join(REPO, 'examples/logs')), null), { ...PARALLEL, temp_root: root });
    expect(readdirSync(root)).toEqual([]);
  }, 60_000);
});
