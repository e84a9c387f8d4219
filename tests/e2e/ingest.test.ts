// End-to-end: `git distill ingest` over real files: bad input quarantined, counts reconciled, no secret out, same bytes twice.
import { afterAll, describe, expect, test } from 'bun:test';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, mkdirSync, openSync, writeSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { canonicalSha256 } from '../../src/canonical.ts';
import { EvidenceRecordSchema } from '../../schemas/evidence-record.ts';
import { QuarantineEntrySchema } from '../../schemas/quarantine-entry.ts';
import { ScoredRunSchema } from '../../schemas/scored-run.ts';
import { ReceiptSchema } from '../../schemas/receipt.ts';
import { runCliCaptured } from '../helpers/cli.ts';
import { resolveSamplesDir } from '../../src/collect/adapters/adapter-test-helper.ts';
import { SKIPPED_HINT } from '../../src/ingest/ingest.ts';

const dirs: string[] = [];
function tempDir(prefix: string): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(d);
  return d;
}
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function jsonl(path: string): unknown[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l));
}

const obs = (run_id: string, verdict: string, confidence: number) =>
  JSON.stringify({ run_id, ts: '2026-04-25T14:06:10Z', verdict, confidence, notes: 'checked', model: 'kimi-k2:1t' });

/** The bad-input corpus, written at run time (the 20 MB line is never committed). */
function writeBadCorpus(dir: string): void {
  mkdirSync(join(dir, 'data', '_kb'), { recursive: true });
  const path = join(dir, 'data', '_kb', 'observer_reviews.jsonl');
  const fd = openSync(path, 'w');
  const put = (s: string | Buffer) => writeSync(fd, typeof s === 'string' ? Buffer.from(s) : s);
  put(obs('run-a', 'accept', 0.9) + '\n'); // 1 ok
  put('{"run_id":"run-b","ts":"2026-04-25T14:06:10Z","verdict":"rej\n'); // 2 truncated JSON
  put(Buffer.concat([Buffer.from('{"run_id":"run-c","notes":"'), Buffer.from([0xff, 0xfe]), Buffer.from('"}\n')])); // 3 invalid UTF-8
  put('[1,2,3]\n'); // 4 array where an object belongs
  put(JSON.stringify({ ts: '2026-04-25T14:06:10Z', verdict: 'accept', confidence: 0.5 }) + '\n'); // 5 missing run_id
  put('\n'); // 6 blank
  put('['.repeat(100_000) + ']'.repeat(100_000) + '\n'); // 7 100,000-deep nesting
  put(JSON.stringify({ run_id: 'run-d', ts: '2026-04-25T14:06:10Z', verdict: 'accept', notes: 'x'.repeat(20 * 1024 * 1024) }) + '\n'); // 8 a 20 MB line
  put('   \n'); // 9 blank
  put(obs('run-e', 'reject', 0.82) + '\n'); // 10 ok
  closeSync(fd);
  // schema_version newer than we know, in a stream that carries one.
  writeFileSync(
    join(dir, 'data', '_kb', 'distilled_facts.jsonl'),
    JSON.stringify({ run_id: 'ltr-1', sig_hash: 'a'.repeat(64), created_at: '2026-04-23T10:00:00Z', extractor: 'm', verifier: 'v', categorizer: 'c', category: 'factual', text: 'fact one', schema_version: 1 }) +
      '\n' +
      JSON.stringify({ run_id: 'ltr-2', sig_hash: 'b'.repeat(64), created_at: '2026-04-23T10:00:00Z', extractor: 'm', verifier: 'v', categorizer: 'c', category: 'factual', text: 'fact two', schema_version: 99 }) +
      '\n',
  );
}

describe('ingest over the bad-input corpus', () => {
  const dir = tempDir('gd-ingest-bad-');
  writeBadCorpus(dir);
  const out = join(dir, 'out');
  let result: Awaited<ReturnType<typeof runCliCaptured>>;

  test('crashes on nothing, quarantines each bad line with its reason, and the counts reconcile', async () => {
    result = await runCliCaptured(['ingest', 'data', '--json', '--out', out, '--recorded-at', '2026-01-01T00:00:00Z'], { cwd: dir });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const summary = JSON.parse(result.stdout);
    expect(summary.lines).toBe(12);
    expect(summary.blank).toBe(2);
    expect(summary.evidence).toBe(3); // run-a, run-e, ltr-1
    expect(summary.quarantined).toBe(7);
    expect(summary.lines).toBe(summary.evidence + summary.quarantined + summary.blank);
    expect(summary.formats).toEqual({ 'lakehouse:distilled_facts': 1, 'lakehouse:observer_reviews': 1 });
    expect(summary.quarantined_by_reason).toEqual({
      invalid_json: 1,
      invalid_utf8: 1,
      line_too_long: 1,
      missing_field: 1,
      not_an_object: 1,
      schema_version: 1,
      too_deep: 1,
    });
    expect(Object.keys(summary).sort()).toEqual(
      ['blank', 'evidence', 'formats', 'lines', 'out_dir', 'quarantined', 'quarantined_by_reason', 'redactions_by_rule', 'runs', 'runs_by_category', 'skipped', 'sources'].sort(),
    );
  });

  test('each quarantine entry names file, line, byte offset and reason, and never holds the raw line', () => {
    const entries = jsonl(join(out, 'quarantine.jsonl')).map((e) => QuarantineEntrySchema.parse(e));
    const byLine = new Map(entries.filter((e) => e.source_file.endsWith('observer_reviews.jsonl')).map((e) => [e.line_offset, e]));
    expect([...byLine.keys()].sort((a, b) => a - b)).toEqual([2, 3, 4, 5, 7, 8]);
    expect(byLine.get(2)!.reason_code).toBe('invalid_json');
    expect(byLine.get(3)!.reason_code).toBe('invalid_utf8');
    expect(byLine.get(4)!.reason_code).toBe('not_an_object');
    expect(byLine.get(5)!.reason).toContain('run_id');
    expect(byLine.get(7)!.reason_code).toBe('too_deep');
    expect(byLine.get(8)!.reason_code).toBe('line_too_long');
    expect(byLine.get(8)!.byte_length).toBeGreaterThan(20 * 1024 * 1024);
    for (const e of entries) expect(e.excerpt.length).toBeLessThanOrEqual(240);
    const newer = entries.find((e) => e.source_file.endsWith('distilled_facts.jsonl'))!;
    expect(newer.reason_code).toBe('schema_version');
    expect(newer.reason).toContain('upgrade git-distill');
    // Byte offsets point at the line: the file's bytes there hash to line_sha256.
    const raw = readFileSync(join(dir, 'data', '_kb', 'observer_reviews.jsonl'));
    const e4 = byLine.get(4)!;
    expect(raw.subarray(e4.byte_offset, e4.byte_offset + e4.byte_length).toString()).toBe('[1,2,3]');
  });

  test('every evidence record traces to its source line by byte offset and sig_hash', () => {
    const evidence = jsonl(join(out, 'evidence.jsonl')).map((e) => EvidenceRecordSchema.parse(e));
    expect(evidence.map((e) => e.run_id).sort()).toEqual(['ltr-1', 'run-a', 'run-e']);
    for (const e of evidence) {
      const bytes = readFileSync(join(dir, e.provenance.source_file));
      const end = bytes.indexOf(10, e.provenance.byte_offset);
      const line = bytes.subarray(e.provenance.byte_offset, end).toString();
      expect(canonicalSha256(JSON.parse(line))).toBe(e.provenance.sig_hash);
      const lineNo = bytes.subarray(0, e.provenance.byte_offset).toString('latin1').split('\n').length;
      expect(lineNo).toBe(e.provenance.line_offset);
    }
  });

  test('scores have reasons and receipts chain and hash the outputs', () => {
    const scored = jsonl(join(out, 'scored.jsonl')).map((s) => ScoredRunSchema.parse(s));
    expect(scored.map((s) => [s.run_id, s.category]).sort()).toEqual([
      ['ltr-1', 'needs_human_review'],
      ['run-a', 'accepted'],
      ['run-e', 'rejected'],
    ]);
    for (const s of scored) expect(s.reasons.length).toBeGreaterThan(0);
    const collect = ReceiptSchema.parse(JSON.parse(readFileSync(join(out, 'receipts', 'collect.json'), 'utf8')));
    const score = ReceiptSchema.parse(JSON.parse(readFileSync(join(out, 'receipts', 'score.json'), 'utf8')));
    expect(collect.record_counts).toMatchObject({ in: 12, out: 3, quarantined: 7, blank: 2 });
    expect(collect.validation_pass).toBe(true);
    expect(collect.input_files.map((f) => f.path)).toEqual(['data/_kb/distilled_facts.jsonl', 'data/_kb/observer_reviews.jsonl']);
    expect(score.prev_receipt_sha256).toBe(new Bun.CryptoHasher('sha256').update(readFileSync(join(out, 'receipts', 'collect.json'))).digest('hex'));
    const evSha = new Bun.CryptoHasher('sha256').update(readFileSync(join(out, 'evidence.jsonl'))).digest('hex');
    expect(collect.output_files.find((f) => f.path === 'evidence.jsonl')!.sha256).toBe(evSha);
  });

  test('--strict exits 3 when lines were quarantined', async () => {
    const strict = await runCliCaptured(['ingest', 'data', '--strict', '--json'], { cwd: dir });
    expect(strict.code).toBe(3);
    expect(strict.stderr).toContain('7 line(s) quarantined');
  });
});

describe('ingest CLI errors', () => {
  test('a path that matches nothing exits 3 and says what to pass', async () => {
    const dir = tempDir('gd-ingest-missing-');
    const r = await runCliCaptured(['ingest', 'nope/*.jsonl'], { cwd: dir });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain("no log file matches 'nope/*.jsonl'");
    expect(r.stderr).toContain('next:');
  });

  test('an unknown --format exits 2 and names the command that lists formats', async () => {
    const dir = tempDir('gd-ingest-format-');
    writeFileSync(join(dir, 'a.jsonl'), '{}\n');
    const r = await runCliCaptured(['ingest', 'a.jsonl', '--format', 'nope'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--list-formats');
  });

  test('an unknown flag is a usage error', async () => {
    const r = await runCliCaptured(['ingest', '--bogus'], { cwd: tmpdir() });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('bogus');
  });

  test('a file no adapter recognises is skipped with a reason, and none of its lines are counted', async () => {
    const dir = tempDir('gd-ingest-unknown-');
    writeFileSync(join(dir, 'mystery.jsonl'), '{"hello":"world"}\n{"hello":"again"}\n');
    const r = await runCliCaptured(['ingest', '.', '--json'], { cwd: dir });
    expect(r.code).toBe(0);
    const s = JSON.parse(r.stdout);
    expect(s.lines).toBe(0);
    expect(s.skipped).toEqual([{ source_file: 'mystery.jsonl', reason: 'no adapter recognised the records', hint: SKIPPED_HINT }]);
  });
});

describe('no secret reaches an ingest output', () => {
  test('key-shaped strings in evidence text, commands and even quarantined lines are redacted everywhere', async () => {
    const dir = tempDir('gd-ingest-secrets-');
    mkdirSync(join(dir, 'data', '_kb'), { recursive: true });
    // Built at run time: never commit a key-shaped string.
    const secrets = {
      aws: 'AKIA' + 'QWERTYUIOPASDFGH',
      github: 'gh' + 'p_' + 'aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3zA5',
      openai: 'sk-' + 'proj-' + 'Zx9Yw8Vu7Ts6Rq5Po4Nm3Lk2Jh1Gf0EdCbA9z8y7',
      url: 'postgres://app:' + 'Sup3r' + 'S3cretPw' + '@db.internal:5432/prod',
    };
    const lines = [
      JSON.stringify({ ts: '2026-04-25T14:02:11Z', task_class: 'scrum_review', mode: 'm', model: 'kimi-k2:1t', file_path: 'a.rs', latency_ms: 10, response: `use key ${secrets.aws} and ${secrets.github}` }),
      JSON.stringify({ ts: '2026-04-25T14:03:11Z', task_class: 'scrum_review', mode: 'm', model: 'kimi-k2:1t', file_path: 'b.rs', latency_ms: 10, response: `connect to ${secrets.url} with ${secrets.openai}` }),
      `{"ts":"2026-04-25T14:04:11Z","response":"${secrets.github} truncated`,
    ];
    writeFileSync(join(dir, 'data', '_kb', 'mode_experiments.jsonl'), lines.join('\n') + '\n');
    const out = join(dir, 'out');
    const r = await runCliCaptured(['ingest', 'data', '--json', '--out', out], { cwd: dir });
    expect(r.code).toBe(0);
    const s = JSON.parse(r.stdout);
    expect(s.quarantined).toBe(1);
    const total = Object.values(s.redactions_by_rule as Record<string, number>).reduce((a, b) => a + b, 0);
    expect(total).toBeGreaterThanOrEqual(5);
    const files = ['evidence.jsonl', 'scored.jsonl', 'quarantine.jsonl', 'receipts/collect.json', 'receipts/score.json'];
    for (const f of files) {
      const text = readFileSync(join(out, f), 'utf8');
      for (const secret of [secrets.aws, secrets.github, secrets.openai, 'Sup3rS3cretPw']) expect(text).not.toContain(secret);
    }
    expect(r.stdout).not.toContain(secrets.aws);
    expect(readFileSync(join(out, 'evidence.jsonl'), 'utf8')).toContain('[REDACTED:');
  });
});

describe('determinism', () => {
  test('same inputs, config and version give byte-identical outputs, whatever order the paths are named in', async () => {
    const samples = resolveSamplesDir('claude-code');
    const codex = resolveSamplesDir('codex');
    const outs: string[] = [];
    for (const order of [[samples, codex, 'examples/logs'], ['examples/logs', codex, samples]]) {
      const out = tempDir('gd-det-');
      const r = await runCliCaptured(['ingest', ...order, '--out', out, '--recorded-at', '2026-01-01T00:00:00Z', '--json'], {
        cwd: join(import.meta.dir, '..', '..'),
      });
      expect(r.code).toBe(0);
      outs.push(out);
    }
    for (const f of ['evidence.jsonl', 'scored.jsonl', 'quarantine.jsonl']) {
      const a = readFileSync(join(outs[0]!, f));
      const b = readFileSync(join(outs[1]!, f));
      expect(a.length).toBeGreaterThan(0);
      expect(a.equals(b)).toBe(true);
    }
  });

  test('every public sample session ingests with no crash and reconciled counts', async () => {
    for (const format of ['claude-code', 'codex']) {
      const r = await runCliCaptured(['ingest', resolveSamplesDir(format), '--json'], { cwd: tmpdir() });
      expect(r.code).toBe(0);
      const s = JSON.parse(r.stdout);
      expect(s.lines).toBe(s.evidence + s.quarantined + s.blank);
      expect(s.skipped).toEqual([]);
      expect(Object.keys(s.formats)).toEqual([format]);
      expect(s.runs).toBeGreaterThan(0);
    }
  });
});

test('the demo data folder exists with both session formats and auditor streams', () => {
  const root = join(import.meta.dir, '..', '..', 'examples', 'logs');
  expect(readdirSync(root).sort()).toEqual(['SOURCES.md', 'claude-code', 'codex', 'data']);
});
