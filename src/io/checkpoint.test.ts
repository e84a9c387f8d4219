// Tests of read checkpoints: the pure resume decision, and appends, truncation and rotation seen on real files.
import { afterAll, describe, expect, test } from 'bun:test';
import { createHash } from 'node:crypto';
import { appendFileSync, mkdtempSync, renameSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { CHECKPOINT_PREFIX_BYTES, decideResume, inspectSource, makeCheckpoint, type ReadCheckpoint } from './checkpoint.ts';
import { readLines, type RawLine } from './jsonl.ts';

const dir = mkdtempSync(join(tmpdir(), 'distill-checkpoint-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let fileNo = 0;
const newPath = (): string => join(dir, `s${fileNo++}.jsonl`);
const sha = (b: string): string => createHash('sha256').update(b).digest('hex');

async function readFrom(path: string, startOffset: number, startLine: number): Promise<RawLine[]> {
  const out: RawLine[] = [];
  for await (const line of readLines(path, { maxLineBytes: 1 << 20, startOffset, startLine })) out.push(line);
  return out;
}

const lines = (from: number, to: number): string =>
  Array.from({ length: to - from + 1 }, (_, i) => JSON.stringify({ run_id: `r${from + i}` }) + '\n').join('');

const ckpt = (over: Partial<ReadCheckpoint> = {}): ReadCheckpoint => ({
  path: '/logs/a.jsonl',
  size: 1000,
  prefix_bytes: 1000,
  prefix_sha256: 'a'.repeat(64),
  offset: 900,
  line: 10,
  ...over,
});

describe('decideResume', () => {
  test('starts a source with no checkpoint at the beginning', () => {
    expect(decideResume(null, { size: 50, prefix_sha256: null })).toEqual({
      action: 'start',
      reason: 'new',
      startOffset: 0,
      startLine: 1,
      size: 50,
    });
  });

  test('resumes at the checkpoint when the file grew with the same prefix', () => {
    expect(decideResume(ckpt(), { size: 1500, prefix_sha256: 'a'.repeat(64) })).toEqual({
      action: 'resume',
      reason: 'appended',
      startOffset: 900,
      startLine: 10,
      size: 1500,
    });
  });

  test('reports unchanged when size and prefix match and everything was read', () => {
    expect(decideResume(ckpt({ offset: 1000 }), { size: 1000, prefix_sha256: 'a'.repeat(64) })).toEqual({
      action: 'unchanged',
      reason: 'unchanged',
      startOffset: 1000,
      startLine: 10,
      size: 1000,
    });
  });

  test('still resumes an unchanged file that has unread bytes past the offset', () => {
    expect(decideResume(ckpt(), { size: 1000, prefix_sha256: 'a'.repeat(64) })).toMatchObject({
      action: 'resume',
      reason: 'unchanged',
      startOffset: 900,
    });
  });

  test('restarts a file that shrank below the offset as truncated', () => {
    expect(decideResume(ckpt({ prefix_bytes: 100 }), { size: 300, prefix_sha256: 'a'.repeat(64) })).toEqual({
      action: 'restart',
      reason: 'truncated',
      startOffset: 0,
      startLine: 1,
      size: 300,
    });
  });

  test('restarts a file that shrank but not below the offset as truncated', () => {
    expect(decideResume(ckpt({ offset: 500 }), { size: 950, prefix_sha256: 'a'.repeat(64) })).toMatchObject({
      action: 'restart',
      reason: 'truncated',
    });
  });

  test('restarts a file shorter than the hashed prefix as truncated', () => {
    expect(decideResume(ckpt(), { size: 10, prefix_sha256: null })).toMatchObject({ action: 'restart', reason: 'truncated' });
  });

  test('restarts a file whose prefix differs as rotated, whatever its size', () => {
    for (const size of [10_000, 1000, 950, 100]) {
      expect(decideResume(ckpt(), { size, prefix_sha256: 'b'.repeat(64) })).toMatchObject({
        action: 'restart',
        reason: 'rotated',
        startOffset: 0,
        startLine: 1,
      });
    }
  });

  test('property: never reads past the end, resumes only where the checkpoint says, restarts at line 1', () => {
    const hash = fc.constantFrom('a'.repeat(64), 'b'.repeat(64));
    fc.assert(
      fc.property(
        fc.nat({ max: 10_000 }),
        fc.nat({ max: 10_000 }),
        fc.integer({ min: 1, max: 500 }),
        hash,
        fc.nat({ max: 10_000 }),
        fc.option(hash, { nil: null }),
        (ckSize, ckOffset, ckLine, ckHash, size, prefix) => {
          const checkpoint = ckpt({ size: ckSize, offset: Math.min(ckOffset, ckSize), line: ckLine, prefix_sha256: ckHash });
          const d = decideResume(checkpoint, { size, prefix_sha256: prefix });
          expect(d.size).toBe(size);
          expect(d.startOffset).toBeLessThanOrEqual(size);
          if (d.action === 'restart') {
            expect([d.startOffset, d.startLine]).toEqual([0, 1]);
            expect(d.reason === 'rotated').toBe(prefix !== null && prefix !== ckHash);
          } else {
            expect(prefix).toBe(ckHash);
            expect(size).toBeGreaterThanOrEqual(ckSize);
            expect([d.startOffset, d.startLine]).toEqual([checkpoint.offset, ckLine]);
            expect(d.action === 'unchanged').toBe(size === ckSize && checkpoint.offset === size);
            expect(d.reason).toBe(size === ckSize ? 'unchanged' : 'appended');
          }
        },
      ),
      { numRuns: 1000 },
    );
  });
});

describe('inspectSource and makeCheckpoint', () => {
  test('records size, prefix hash, offset and line', async () => {
    const path = newPath();
    const text = lines(1, 3);
    writeFileSync(path, text);
    expect(await makeCheckpoint(path, 20, 2)).toEqual({
      path,
      size: text.length,
      prefix_bytes: text.length,
      prefix_sha256: sha(text),
      offset: 20,
      line: 2,
    });
  });

  test('hashes only the first 4096 bytes of a large file', async () => {
    const path = newPath();
    const text = lines(1, 400);
    writeFileSync(path, text);
    const c = await makeCheckpoint(path, text.length, 401);
    expect(text.length).toBeGreaterThan(CHECKPOINT_PREFIX_BYTES);
    expect(c.prefix_bytes).toBe(CHECKPOINT_PREFIX_BYTES);
    expect(c.prefix_sha256).toBe(sha(text.slice(0, CHECKPOINT_PREFIX_BYTES)));
  });

  test('starts a new source, then resumes after an append with exactly the new lines', async () => {
    const path = newPath();
    writeFileSync(path, lines(1, 3));
    const first = await inspectSource(path, null);
    expect(first).toMatchObject({ action: 'start', reason: 'new', startOffset: 0, startLine: 1 });
    const read = await readFrom(path, first.startOffset, first.startLine);
    expect(read).toHaveLength(3);
    const last = read[read.length - 1]!;
    const c = await makeCheckpoint(path, last.next_offset, last.line + 1);

    expect(await inspectSource(path, c)).toMatchObject({ action: 'unchanged', reason: 'unchanged' });

    appendFileSync(path, lines(4, 6));
    const next = await inspectSource(path, c);
    expect(next).toEqual({
      action: 'resume',
      reason: 'appended',
      startOffset: last.next_offset,
      startLine: 4,
      size: lines(1, 6).length,
    });
    const rest = await readFrom(path, next.startOffset, next.startLine);
    expect(rest.map((l) => [l.line, l.text])).toEqual([
      [4, '{"run_id":"r4"}'],
      [5, '{"run_id":"r5"}'],
      [6, '{"run_id":"r6"}'],
    ]);
  });

  test('resumes past 4096 bytes when the large file is appended to', async () => {
    const path = newPath();
    writeFileSync(path, lines(1, 400));
    const c = await makeCheckpoint(path, lines(1, 400).length, 401);
    appendFileSync(path, lines(401, 402));
    const d = await inspectSource(path, c);
    expect(d).toMatchObject({ action: 'resume', reason: 'appended', startLine: 401 });
    expect((await readFrom(path, d.startOffset, d.startLine)).map((l) => [l.line, l.text])).toEqual([
      [401, '{"run_id":"r401"}'],
      [402, '{"run_id":"r402"}'],
    ]);
  });

  test('resumes an unterminated last line once the writer finishes it', async () => {
    const path = newPath();
    writeFileSync(path, lines(1, 2) + '{"run_id":"r');
    const read = await readFrom(path, 0, 1);
    expect(read.map((l) => l.terminated)).toEqual([true, true, false]);
    // The caller checkpoints after the last complete line.
    const c = await makeCheckpoint(path, read[1]!.next_offset, 3);
    expect(await inspectSource(path, c)).toMatchObject({ action: 'resume', reason: 'unchanged' });
    appendFileSync(path, '3"}\n');
    const d = await inspectSource(path, c);
    expect(d).toMatchObject({ action: 'resume', reason: 'appended' });
    expect((await readFrom(path, d.startOffset, d.startLine)).map((l) => [l.line, l.text, l.terminated])).toEqual([
      [3, '{"run_id":"r3"}', true],
    ]);
  });

  test('detects truncation and restarts from line 1', async () => {
    const path = newPath();
    writeFileSync(path, lines(1, 5));
    const c = await makeCheckpoint(path, lines(1, 5).length, 6);
    truncateSync(path, lines(1, 2).length);
    expect(await inspectSource(path, c)).toEqual({
      action: 'restart',
      reason: 'truncated',
      startOffset: 0,
      startLine: 1,
      size: lines(1, 2).length,
    });
  });

  test('detects truncation to empty', async () => {
    const path = newPath();
    writeFileSync(path, lines(1, 5));
    const c = await makeCheckpoint(path, lines(1, 5).length, 6);
    truncateSync(path, 0);
    expect(await inspectSource(path, c)).toMatchObject({ action: 'restart', reason: 'truncated', size: 0 });
  });

  test('detects rotation: a new, larger file under the same name', async () => {
    const path = newPath();
    writeFileSync(path, lines(1, 5));
    const c = await makeCheckpoint(path, lines(1, 5).length, 6);
    renameSync(path, path + '.1');
    writeFileSync(path, lines(100, 120));
    const d = await inspectSource(path, c);
    expect(d).toMatchObject({ action: 'restart', reason: 'rotated', startOffset: 0, startLine: 1 });
    expect((await readFrom(path, d.startOffset, d.startLine))[0]!.text).toBe('{"run_id":"r100"}');
  });

  test('an empty file checkpointed then written to resumes from 0', async () => {
    const path = newPath();
    writeFileSync(path, '');
    const c = await makeCheckpoint(path, 0, 1);
    expect(c).toMatchObject({ size: 0, prefix_bytes: 0, prefix_sha256: sha('') });
    expect(await inspectSource(path, c)).toMatchObject({ action: 'unchanged' });
    appendFileSync(path, lines(1, 1));
    expect(await inspectSource(path, c)).toMatchObject({ action: 'resume', reason: 'appended', startOffset: 0, startLine: 1 });
  });

  test('throws for a missing source and for a checkpoint of another path', async () => {
    await expect(inspectSource(join(dir, 'gone.jsonl'), null)).rejects.toMatchObject({ code: 'E_INPUT_NOT_FOUND' });
    const path = newPath();
    writeFileSync(path, lines(1, 1));
    const c = await makeCheckpoint(path, 0, 1);
    await expect(inspectSource(newPath(), c)).rejects.toMatchObject({ code: 'E_INTERNAL' });
    await expect(makeCheckpoint(path, -1, 1)).rejects.toMatchObject({ code: 'E_INTERNAL' });
  });
});
