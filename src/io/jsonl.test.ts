// Tests of the streaming line reader: exact offsets, bad bytes, huge lines, line endings, resuming, bounded memory.
import { afterAll, describe, expect, test } from 'bun:test';
import { createHash } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { DistillError } from '../errors.ts';
import {
  CORPUS_HUGE_LINE_BYTES,
  CORPUS_MAX_DEPTH,
  CORPUS_MAX_LINE_BYTES,
  writeBadInputCorpus,
} from '../../tests/fixtures/io/bad-input-corpus.ts';
import { parseJsonGuarded } from './json-guard.ts';
import { LongLine, readLines, type RawLine, type ReadLinesOptions } from './jsonl.ts';

const dir = mkdtempSync(join(tmpdir(), 'distill-jsonl-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let fileNo = 0;
function writeTemp(content: string | Uint8Array): string {
  const path = join(dir, `f${fileNo++}.jsonl`);
  writeFileSync(path, content);
  return path;
}

async function readAll(path: string, opts: Partial<ReadLinesOptions> = {}): Promise<RawLine[]> {
  const out: RawLine[] = [];
  for await (const line of readLines(path, { maxLineBytes: 1 << 20, ...opts })) out.push(line);
  return out;
}

const sha = (b: Uint8Array | string): string => createHash('sha256').update(b).digest('hex');
/** First 200 UTF-16 units, one fewer when that would split a surrogate pair. */
function head200(text: string): string {
  if (text.length <= 200) return text;
  const last = text.charCodeAt(199);
  return text.slice(0, last >= 0xd800 && last <= 0xdbff ? 199 : 200);
}

const CHUNK_SIZES = [4, 5, 7, 16, 64, 1 << 20];

/** The reference split: what each line's bytes and ending must be. */
function referenceLines(bytes: Buffer): Array<{ offset: number; bytes: Buffer; terminator: number }> {
  const out: Array<{ offset: number; bytes: Buffer; terminator: number }> = [];
  let start = bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  while (start < bytes.length) {
    const nl = bytes.indexOf(10, start);
    if (nl === -1) {
      out.push({ offset: start, bytes: bytes.subarray(start), terminator: 0 });
      break;
    }
    const cr = nl > start && bytes[nl - 1] === 13 ? 1 : 0;
    out.push({ offset: start, bytes: bytes.subarray(start, nl - cr), terminator: 1 + cr });
    start = nl + 1;
  }
  return out;
}

describe('readLines', () => {
  test('yields nothing for an empty file', async () => {
    expect(await readAll(writeTemp(''))).toEqual([]);
  });

  test('numbers lines from 1 and gives exact offsets, lengths and next offsets', async () => {
    const lines = await readAll(writeTemp('{"a":1}\n[2]\n"é"\n'));
    expect(lines.map((l) => [l.line, l.byte_offset, l.byte_length, l.next_offset, l.text, l.terminated])).toEqual([
      [1, 0, 7, 8, '{"a":1}', true],
      [2, 8, 3, 12, '[2]', true],
      [3, 12, 4, 17, '"é"', true],
    ]);
    expect(lines.every((l) => l.error === null && !l.blank)).toBe(true);
  });

  test('yields a last line that has no newline, marked unterminated', async () => {
    const lines = await readAll(writeTemp('{"a":1}\n{"b":'));
    expect(lines).toHaveLength(2);
    expect(lines[1]!.text).toBe('{"b":');
    expect(lines[1]!.terminated).toBe(false);
    expect(lines[1]!.byte_offset).toBe(8);
    expect(lines[1]!.next_offset).toBe(13);
  });

  test('strips the \\r of CRLF endings but keeps a lone \\r inside a line', async () => {
    for (const chunkBytes of CHUNK_SIZES) {
      const lines = await readAll(writeTemp('{"a":1}\r\n\r\na\rb\r\nlast\r'), { chunkBytes });
      expect(lines.map((l) => [l.text, l.byte_offset, l.byte_length, l.next_offset, l.blank])).toEqual([
        ['{"a":1}', 0, 7, 9, false],
        ['', 9, 0, 11, true],
        ['a\rb', 11, 3, 16, false],
        // No newline follows, so this '\r' is content.
        ['last\r', 16, 5, 21, false],
      ]);
    }
  });

  test('skips a UTF-8 BOM at the start of the file only', async () => {
    const path = writeTemp('\uFEFF{"a":1}\n\uFEFF{"b":2}\n');
    const lines = await readAll(path);
    expect(lines[0]!.text).toBe('{"a":1}');
    expect(lines[0]!.byte_offset).toBe(3);
    expect(lines[0]!.byte_length).toBe(7);
    expect(lines[1]!.text).toBe('\uFEFF{"b":2}');
    expect(lines[1]!.line_sha256).toBe(sha(Buffer.from('\uFEFF{"b":2}')));
    // Resuming mid-file never skips bytes that look like a BOM.
    const resumed = await readAll(path, { startOffset: lines[1]!.byte_offset, startLine: 2 });
    expect(resumed.map((l) => l.text)).toEqual(['\uFEFF{"b":2}']);
  });

  test('yields no line for a file holding only a BOM', async () => {
    expect(await readAll(writeTemp('\uFEFF'))).toEqual([]);
  });

  test('marks whitespace-only lines blank and keeps their text', async () => {
    const lines = await readAll(writeTemp('\n   \n\t\n{}\n\u00a0\n \r\r\n'));
    expect(lines.map((l) => [l.text, l.blank])).toEqual([
      ['', true],
      ['   ', true],
      ['\t', true],
      ['{}', false],
      // Not JSON whitespace: quarantined as invalid JSON later, not counted blank.
      ['\u00a0', false],
      [' \r', true],
    ]);
  });

  test('reports invalid UTF-8 with a null text, the raw bytes hash and a lossy head', async () => {
    const bad = Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d]);
    const content = Buffer.concat([Buffer.from('{"ok":1}\n'), bad, Buffer.from('\n{"ok":2}\n')]);
    for (const chunkBytes of CHUNK_SIZES) {
      const lines = await readAll(writeTemp(content), { chunkBytes });
      expect(lines).toHaveLength(3);
      expect(lines[0]!.text).toBe('{"ok":1}');
      expect(lines[2]!.text).toBe('{"ok":2}');
      const line = lines[1]!;
      expect(line.text).toBeNull();
      expect(line.blank).toBe(false);
      expect(line.error?.code).toBe('invalid_utf8');
      expect(line.byte_offset).toBe(9);
      expect(line.byte_length).toBe(bad.length);
      expect(line.line_sha256).toBe(sha(bad));
      expect(line.head).toBe('{"a":"\uFFFD\uFFFD"}');
    }
  });

  test('reports a truncated multi-byte character at the end of the file as invalid UTF-8', async () => {
    const lines = await readAll(writeTemp(Buffer.from([0x61, 0x0a, 0x62, 0xe2, 0x82])));
    expect(lines.map((l) => l.error?.code ?? null)).toEqual([null, 'invalid_utf8']);
  });

  test('reports a line over the cap as line_too_long with its full length and hash, and reads on', async () => {
    const long = 'x'.repeat(1000);
    for (const chunkBytes of CHUNK_SIZES) {
      const lines = await readAll(writeTemp(`{"a":1}\n${long}\r\n{"b":2}\n`), { chunkBytes, maxLineBytes: 100 });
      expect(lines.map((l) => l.text)).toEqual(['{"a":1}', null, '{"b":2}']);
      const line = lines[1]!;
      expect(line.error).toEqual({ code: 'line_too_long', reason: 'line is 1000 bytes, over the 100-byte limit' });
      expect(line.byte_offset).toBe(8);
      expect(line.byte_length).toBe(1000);
      expect(line.next_offset).toBe(1010);
      expect(line.line_sha256).toBe(sha(long));
      expect(line.head).toBe('x'.repeat(200));
      expect(lines[2]!.byte_offset).toBe(1010);
    }
  });

  test('accepts a line of exactly the cap, with or without \\r\\n, and rejects one byte more', async () => {
    for (const chunkBytes of CHUNK_SIZES) {
      for (const ending of ['\n', '\r\n']) {
        const lines = await readAll(writeTemp(`${'a'.repeat(50)}${ending}${'b'.repeat(51)}${ending}`), {
          chunkBytes,
          maxLineBytes: 50,
        });
        expect(lines.map((l) => [l.byte_length, l.error?.code ?? null])).toEqual([
          [50, null],
          [51, 'line_too_long'],
        ]);
        expect(lines[0]!.text).toBe('a'.repeat(50));
        expect(lines[1]!.line_sha256).toBe(sha('b'.repeat(51)));
      }
    }
  });

  test('reports a line over the cap that has no newline and ends in \\r', async () => {
    for (const chunkBytes of [4, 5, 16]) {
      const lines = await readAll(writeTemp(`${'y'.repeat(40)}\r`), { chunkBytes, maxLineBytes: 10 });
      expect(lines).toHaveLength(1);
      expect(lines[0]!.byte_length).toBe(41);
      expect(lines[0]!.terminated).toBe(false);
      expect(lines[0]!.line_sha256).toBe(sha(`${'y'.repeat(40)}\r`));
    }
  });

  test('reports a 20 MB line as line_too_long under an 8 MiB cap, and reads it whole under a larger one', async () => {
    const big = `{"blob":"${'z'.repeat(20_000_000)}"}`;
    const path = writeTemp(`{"a":1}\n${big}\n{"b":2}\n`);
    const capped = await readAll(path, { maxLineBytes: 8 * 1024 * 1024 });
    expect(capped.map((l) => l.error?.code ?? null)).toEqual([null, 'line_too_long', null]);
    expect(capped[1]!.byte_length).toBe(big.length);
    expect(capped[1]!.line_sha256).toBe(sha(big));
    expect(capped[1]!.head).toBe(big.slice(0, 200));
    expect(capped[2]!.byte_offset).toBe(8 + big.length + 1);
    const whole = await readAll(path, { maxLineBytes: 32 * 1024 * 1024 });
    expect(whole[1]!.text?.length).toBe(big.length);
    expect(whole[1]!.line_sha256).toBe(sha(big));
  });

  test('does not keep an oversized line in memory', async () => {
    // 128 MiB line, 1 MiB cap: if the reader held the line, RSS at its yield would grow by 128 MiB.
    const path = join(dir, 'huge.jsonl');
    const fd = openSync(path, 'w');
    const block = Buffer.alloc(1 << 20, 0x71);
    const hash = createHash('sha256');
    for (let i = 0; i < 128; i++) {
      writeSync(fd, block);
      hash.update(block);
    }
    writeSync(fd, '\n{}\n');
    closeSync(fd);
    Bun.gc(true);
    const before = process.memoryUsage.rss();
    let grewBy = -1;
    const lines: RawLine[] = [];
    for await (const line of readLines(path, { maxLineBytes: 1 << 20 })) {
      if (line.line === 1) grewBy = process.memoryUsage.rss() - before;
      lines.push(line);
    }
    expect(lines.map((l) => l.error?.code ?? null)).toEqual(['line_too_long', null]);
    expect(lines[0]!.byte_length).toBe(128 << 20);
    expect(lines[0]!.line_sha256).toBe(hash.digest('hex'));
    expect(grewBy).toBeGreaterThanOrEqual(-(1 << 30));
    expect(grewBy).toBeLessThan(48 << 20);
  });

  test('yields one line per newline plus one for trailing bytes, whatever the chunk size', async () => {
    const content = Buffer.from('\uFEFF{"a":1}\r\n\n  \n{"b":"ü€😀"}\n[1,2]\n{"trunc":');
    for (const chunkBytes of CHUNK_SIZES) {
      const lines = await readAll(writeTemp(content), { chunkBytes });
      expect(lines.map((l) => l.line)).toEqual([1, 2, 3, 4, 5, 6]);
      for (const line of lines) {
        const slice = content.subarray(line.byte_offset, line.byte_offset + line.byte_length);
        expect(line.text).toBe(slice.toString('utf8'));
        expect(line.line_sha256).toBe(sha(slice));
      }
    }
  });

  test('resumes from a line offset with exactly the remaining lines', async () => {
    const text = Array.from({ length: 50 }, (_, i) => JSON.stringify({ i, pad: 'p'.repeat(i * 7) })).join('\n') + '\n';
    const path = writeTemp(text);
    const all = await readAll(path);
    expect(all).toHaveLength(50);
    for (const k of [0, 1, 17, 49]) {
      const from = all[k]!;
      for (const chunkBytes of [7, 64, 1 << 20]) {
        const rest = await readAll(path, { startOffset: from.byte_offset, startLine: from.line, chunkBytes });
        const pick = (l: RawLine): unknown[] => [l.line, l.byte_offset, l.text];
        expect(rest.map(pick)).toEqual(all.slice(k).map(pick));
      }
    }
    expect(await readAll(path, { startOffset: all[49]!.next_offset, startLine: 51 })).toEqual([]);
    expect(await readAll(path, { startOffset: text.length + 100 })).toEqual([]);
  });

  test('closes the file when the consumer stops early', async () => {
    const path = writeTemp('{"a":1}\n{"a":2}\n{"a":3}\n');
    const gen = readLines(path, { maxLineBytes: 100 });
    const first = await gen.next();
    expect(first.done).toBe(false);
    const ended = await gen.return(undefined);
    expect(ended.done).toBe(true);
    expect((await gen.next()).done).toBe(true);
  });

  test('throws E_INPUT_NOT_FOUND for a missing file and E_INPUT_UNREADABLE for a directory', async () => {
    const missing = readAll(join(dir, 'nope.jsonl'));
    await expect(missing).rejects.toBeInstanceOf(DistillError);
    await expect(missing).rejects.toMatchObject({ code: 'E_INPUT_NOT_FOUND' });
    await expect(readAll(dir)).rejects.toMatchObject({ code: 'E_INPUT_UNREADABLE' });
  });

  test('rejects options that cannot be honoured', async () => {
    const path = writeTemp('{}\n');
    await expect(readAll(path, { maxLineBytes: 0 })).rejects.toMatchObject({ code: 'E_INTERNAL' });
    await expect(readAll(path, { chunkBytes: 3 })).rejects.toMatchObject({ code: 'E_INTERNAL' });
    await expect(readAll(path, { startOffset: -1 })).rejects.toMatchObject({ code: 'E_INTERNAL' });
    await expect(readAll(path, { startLine: 0 })).rejects.toMatchObject({ code: 'E_INTERNAL' });
  });

  test('serializes a line with its hash and head', async () => {
    const [line] = await readAll(writeTemp('{"a":1}\n'));
    expect(JSON.parse(JSON.stringify(line))).toEqual({
      line: 1,
      byte_offset: 0,
      byte_length: 7,
      next_offset: 8,
      terminated: true,
      text: '{"a":1}',
      blank: false,
      line_sha256: sha('{"a":1}'),
      head: '{"a":1}',
      error: null,
    });
  });

  test('property: the yielded byte ranges and endings rebuild the file, and agree with a reference split', async () => {
    // Bytes drawn to hit the edge cases often: newlines, CRs, multi-byte and broken sequences, BOMs.
    const piece = fc.oneof(
      fc.constantFrom(
        [0x0a],
        [0x0d],
        [0x0d, 0x0a],
        [0x20],
        [0xef, 0xbb, 0xbf],
        [0xc3, 0xa9],
        [0xf0, 0x9f, 0x98, 0x80],
        [0xff],
        [0xe2, 0x82],
        [0x7b],
      ),
      fc.uint8Array({ minLength: 1, maxLength: 12 }).map((a) => [...a]),
      fc.integer({ min: 0x21, max: 0x7e }).map((c) => [c]),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(piece, { maxLength: 60 }),
        fc.integer({ min: 4, max: 40 }),
        fc.integer({ min: 1, max: 30 }),
        async (pieces, chunkBytes, maxLineBytes) => {
          const content = Buffer.from(pieces.flat());
          const lines = await readAll(writeTemp(content), { chunkBytes, maxLineBytes });
          const ref = referenceLines(content);
          expect(lines.length).toBe(ref.length);
          const rebuilt: Buffer[] = [content.subarray(0, lines[0]?.byte_offset ?? content.length)];
          lines.forEach((line, i) => {
            const r = ref[i]!;
            expect(line.line).toBe(i + 1);
            expect(line.byte_offset).toBe(r.offset);
            expect(line.byte_length).toBe(r.bytes.length);
            expect(line.next_offset).toBe(r.offset + r.bytes.length + r.terminator);
            expect(line.terminated).toBe(r.terminator > 0);
            const slice = content.subarray(line.byte_offset, line.byte_offset + line.byte_length);
            expect(line.line_sha256).toBe(sha(slice));
            const ending = content.subarray(line.byte_offset + line.byte_length, line.next_offset).toString('latin1');
            expect(['', '\n', '\r\n']).toContain(ending);
            rebuilt.push(slice, Buffer.from(ending, 'latin1'));
            const lossy = slice.subarray(0, 800).toString('utf8');
            expect(line.head).toBe(head200(line.text ?? lossy));
            if (slice.length > maxLineBytes) {
              expect(line.error?.code).toBe('line_too_long');
              expect(line.text).toBeNull();
            } else if (!Buffer.from(slice.toString('utf8')).equals(slice)) {
              expect(line.error?.code).toBe('invalid_utf8');
              expect(line.text).toBeNull();
            } else {
              expect(line.error).toBeNull();
              expect(line.text).toBe(slice.toString('utf8'));
            }
          });
          expect(Buffer.concat(rebuilt).equals(content)).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('the bad-input corpus', () => {
  test('crashes on nothing, gives each line its outcome, and yields one line per line of the file', async () => {
    const path = join(dir, 'corpus.jsonl');
    const expected = writeBadInputCorpus(path);
    const seen: Array<{ outcome: string; value: unknown }> = [];
    const all: RawLine[] = [];
    for await (const line of readLines(path, { maxLineBytes: CORPUS_MAX_LINE_BYTES })) {
      all.push(line);
      if (line.error !== null) {
        seen.push({ outcome: line.error.code, value: null });
      } else if (line.blank) {
        seen.push({ outcome: 'blank', value: null });
      } else {
        const parsed = parseJsonGuarded(line.text ?? '', { maxDepth: CORPUS_MAX_DEPTH });
        seen.push(parsed.ok ? { outcome: 'ok', value: parsed.value } : { outcome: parsed.code, value: null });
      }
    }
    expect(seen).toEqual(expected.map((e) => ({ outcome: e.outcome, value: e.value })));
    const bytes = await Bun.file(path).bytes();
    const newlines = bytes.reduce((n, b) => n + (b === 10 ? 1 : 0), 0);
    // The last line has no newline: one more line than newlines.
    expect(all).toHaveLength(newlines + 1);
    expect(all[0]!.byte_offset).toBe(3);
    expect(all.find((l) => l.error?.code === 'line_too_long')?.byte_length).toBe(CORPUS_HUGE_LINE_BYTES);
    expect(all[all.length - 1]!.next_offset).toBe(bytes.length);
    const counts = { ok: 0, blank: 0, bad: 0 };
    for (const s of seen) counts[s.outcome === 'ok' ? 'ok' : s.outcome === 'blank' ? 'blank' : 'bad']++;
    expect(counts).toEqual({ ok: 5, blank: 2, bad: 4 });
  });
});

describe('LongLine', () => {
  test('holds at most the cap plus one byte, then only a hash and a head', () => {
    const acc = new LongLine(0, 1000);
    const seg = Buffer.alloc(300, 0x61);
    acc.append(seg);
    acc.append(seg);
    acc.append(seg);
    expect(acc.heldBytes).toBe(900);
    acc.append(seg);
    // Past the cap: the parts are dropped, the 800-byte head stays.
    expect(acc.heldBytes).toBe(800);
    for (let i = 0; i < 100; i++) acc.append(seg);
    expect(acc.heldBytes).toBe(800);
    const line = acc.finish(7, Buffer.from('tail\r'), 1);
    expect(line.line).toBe(7);
    expect(line.byte_length).toBe(104 * 300 + 4);
    expect(line.next_offset).toBe(104 * 300 + 6);
    expect(line.line_sha256).toBe(sha(Buffer.concat([Buffer.alloc(104 * 300, 0x61), Buffer.from('tail')])));
  });
});
