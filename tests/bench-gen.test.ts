// The ingest bench's data generator: same seed → same bytes, only the planted bad lines fail to parse, ids join across streams.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateAuditorLogs, MANIFEST_FILE, STREAMS, type GenManifest } from '../bench/gen-auditor-logs.ts';

// A bad rate of 5% rather than the bench's 0.1%, so 1 MB holds enough bad lines of each kind to check.
const OPTS = { target_bytes: 1_000_000, seed: 7, bad_rate: 0.05, secret_rate: 0.05 };

let root = '';
let a: GenManifest;
let b: GenManifest;
let other: GenManifest;

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'bench-gen-'));
  a = generateAuditorLogs({ ...OPTS, out_dir: join(root, 'a') });
  b = generateAuditorLogs({ ...OPTS, out_dir: join(root, 'b') });
  other = generateAuditorLogs({ ...OPTS, seed: 8, out_dir: join(root, 'other') });
});

afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

function readLines(dir: string, stream: string): Buffer[] {
  const buf = readFileSync(join(dir, `${stream}.jsonl`));
  const lines: Buffer[] = [];
  let start = 0;
  for (let nl = buf.indexOf(0x0a); nl >= 0; nl = buf.indexOf(0x0a, start)) {
    lines.push(buf.subarray(start, nl));
    start = nl + 1;
  }
  expect(start).toBe(buf.length); // every line, the last included, ends with \n
  return lines;
}

function parseStrict(line: Buffer): unknown {
  return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(line));
}

describe('generateAuditorLogs', () => {
  test('writes byte-identical files for the same seed and different ones for another seed', () => {
    for (const s of STREAMS) {
      expect(readFileSync(join(root, 'b', `${s}.jsonl`)).equals(readFileSync(join(root, 'a', `${s}.jsonl`)))).toBe(true);
    }
    expect(readFileSync(join(root, 'b', MANIFEST_FILE), 'utf8')).toBe(readFileSync(join(root, 'a', MANIFEST_FILE), 'utf8'));
    expect(other.streams.mode_experiments.sha256).not.toBe(a.streams.mode_experiments.sha256);
  });

  test('reaches the requested size and writes a non-empty file for every stream', () => {
    expect(a.total_bytes).toBeGreaterThanOrEqual(OPTS.target_bytes);
    // Stops after the run that crosses the target; one run is at most a few tens of KB.
    expect(a.total_bytes).toBeLessThan(OPTS.target_bytes + 200_000);
    for (const s of STREAMS) {
      const size = readFileSync(join(root, 'a', `${s}.jsonl`)).length;
      expect(size).toBe(a.streams[s].bytes);
      expect(a.streams[s].records).toBeGreaterThan(0);
    }
    expect(a.streams.mode_experiments.bytes).toBeGreaterThan(a.total_bytes * 0.3);
  });

  test('every line parses as a JSON object except the planted bad lines, which each fail as their kind says', () => {
    const bad = new Map(a.bad_lines.map((x) => [`${x.stream}:${x.line}`, x.kind]));
    const seen = { truncated: 0, invalid_utf8: 0, blank: 0 };
    let lines = 0;
    for (const s of STREAMS) {
      const ls = readLines(join(root, 'a'), s);
      expect(ls.length).toBe(a.streams[s].lines);
      lines += ls.length;
      for (const [i, line] of ls.entries()) {
        const kind = bad.get(`${s}:${i + 1}`);
        if (kind === undefined) {
          const v = parseStrict(line);
          expect(v !== null && typeof v === 'object' && !Array.isArray(v)).toBe(true);
          continue;
        }
        seen[kind]++;
        if (kind === 'blank') {
          expect(line.toString('latin1').trim()).toBe('');
        } else if (kind === 'invalid_utf8') {
          expect(() => new TextDecoder('utf-8', { fatal: true }).decode(line)).toThrow();
          // Only the bytes are wrong: with replacement characters the JSON itself is well-formed.
          expect(typeof JSON.parse(line.toString('utf8'))).toBe('object');
        } else {
          expect(() => parseStrict(line)).toThrow();
        }
      }
    }
    expect(lines).toBe(a.total_lines);
    expect(seen).toEqual(a.bad_lines_by_kind);
    expect(seen.truncated).toBeGreaterThan(0);
    expect(seen.invalid_utf8).toBeGreaterThan(0);
    expect(seen.blank).toBeGreaterThan(0);
    expect(a.total_records).toBe(a.total_lines - a.bad_lines.length);
    // Line 1 of every file is intact, so format detection sees a good record.
    expect(a.bad_lines.some((x) => x.line === 1)).toBe(false);
  });

  test('run ids of observer reviews, outcomes, overrides and trust entries all join a mode_experiments run', () => {
    const idsOf = (stream: string): string[] =>
      readLines(join(root, 'a'), stream).flatMap((line) => {
        try {
          const v = parseStrict(line) as { run_id?: unknown };
          return typeof v.run_id === 'string' ? [v.run_id] : [];
        } catch {
          return [];
        }
      });
    const runs = new Set(idsOf('mode_experiments'));
    expect(runs.size).toBe(a.runs);
    for (const s of ['observer_reviews', 'outcomes', 'human_overrides', 'model_trust', 'scrum_reviews', 'distilled_facts']) {
      const ids = idsOf(s);
      expect(ids.length).toBeGreaterThan(0);
      expect(ids.filter((id) => !runs.has(id))).toEqual([]);
    }
  });

  test('plants key-shaped secrets and counts them by kind', () => {
    const planted = Object.values(a.secrets_by_kind).reduce((x, y) => x + y, 0);
    expect(planted).toBeGreaterThan(5);
    const text = STREAMS.map((s) => readFileSync(join(root, 'a', `${s}.jsonl`), 'latin1')).join('');
    const count = (pattern: string): number => (text.match(new RegExp(pattern, 'g')) ?? []).length;
    // Seed 7 plants both kinds; bad copies may repeat a secret, so the files hold at least as many as were planted.
    expect(a.secrets_by_kind.aws_access_key).toBeGreaterThan(0);
    expect(a.secrets_by_kind.github_pat).toBeGreaterThan(0);
    expect(count('AK' + 'IA[A-Z2-7]{16}')).toBeGreaterThanOrEqual(a.secrets_by_kind.aws_access_key);
    expect(count('gh' + 'p_[A-Za-z0-9]{36}')).toBeGreaterThanOrEqual(a.secrets_by_kind.github_pat);
  });
});
