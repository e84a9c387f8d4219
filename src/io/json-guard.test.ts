// Tests of guarded JSON parsing: too-deep nesting refused without a crash, parse errors located, whole documents capped.
import { afterAll, describe, expect, test } from 'bun:test';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { findTooDeep, hasMoreOpenersThan, locateJsonError, parseJsonGuarded, readJsonDocument } from './json-guard.ts';

const dir = mkdtempSync(join(tmpdir(), 'distill-json-guard-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let fileNo = 0;
function writeTemp(content: string | Uint8Array): string {
  const path = join(dir, `d${fileNo++}.json`);
  writeFileSync(path, content);
  return path;
}
const sha = (b: Uint8Array | string): string => createHash('sha256').update(b).digest('hex');

/** Nesting depth of a parsed value (small values only: recursive). */
function depthOf(value: unknown): number {
  if (value === null || typeof value !== 'object') return 0;
  const children = Array.isArray(value) ? value : Object.values(value);
  return 1 + children.reduce<number>((m, c) => Math.max(m, depthOf(c)), 0);
}

describe('parseJsonGuarded', () => {
  test('parses an ordinary object line', () => {
    expect(parseJsonGuarded('{"run_id":"r1","n":[1,{"a":null}]}', { maxDepth: 8 })).toEqual({
      ok: true,
      value: { run_id: 'r1', n: [1, { a: null }] },
    });
  });

  test('passes an array where an object belongs through: the shape is the adapter’s concern', () => {
    expect(parseJsonGuarded('[{"run_id":"r1"}]', { maxDepth: 8 })).toEqual({ ok: true, value: [{ run_id: 'r1' }] });
  });

  test('passes schema_version 99 through: the version is the adapter’s concern', () => {
    expect(parseJsonGuarded('{"schema_version":99}', { maxDepth: 8 })).toEqual({ ok: true, value: { schema_version: 99 } });
  });

  test('reports a truncated line as invalid_json with the parser message and the column where it ends', () => {
    const text = '{"run_id":"r1","tools":[1,2';
    const result = parseJsonGuarded(text, { maxDepth: 8 });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.code).toBe('invalid_json');
    expect(result.at).toEqual({ line: 1, column: text.length + 1 });
    let parserMessage = '';
    try {
      JSON.parse(text);
    } catch (e) {
      parserMessage = (e as Error).message;
    }
    expect(parserMessage.length).toBeGreaterThan(0);
    expect(result.reason).toBe(`${parserMessage} at column ${text.length + 1}`);
  });

  test('points the column at a trailing comma, a bad literal and a stray character', () => {
    const col = (text: string): number | null => {
      const r = parseJsonGuarded(text, { maxDepth: 8 });
      return r.ok ? null : (r.at?.column ?? null);
    };
    expect(col('{"a":1,}')).toBe(8);
    expect(col('{"a":tru}')).toBe(9);
    expect(col('{"a":1} x')).toBe(9);
    expect(col('[1,,2]')).toBe(4);
    expect(col('{"a" 1}')).toBe(6);
    expect(col('"tab\there"')).toBe(5);
    expect(col('[01]')).toBe(3);
    expect(col('')).toBe(1);
  });

  test('reports 100,000-deep arrays as too_deep without crashing', () => {
    const text = '['.repeat(100_000) + ']'.repeat(100_000);
    const result = parseJsonGuarded(text, { maxDepth: 256 });
    expect(result).toEqual({
      ok: false,
      code: 'too_deep',
      reason: 'JSON nests deeper than 256 levels',
      at: { line: 1, column: 257 },
    });
  });

  test('reports 100,000-deep objects, and truncated deep nesting, as too_deep', () => {
    const objects = '{"a":'.repeat(100_000) + '1' + '}'.repeat(100_000);
    expect(parseJsonGuarded(objects, { maxDepth: 64 })).toMatchObject({
      ok: false,
      code: 'too_deep',
      at: { column: 64 * 5 + 1 },
    });
    expect(parseJsonGuarded('['.repeat(100_000), { maxDepth: 64 })).toMatchObject({ ok: false, code: 'too_deep' });
  });

  test('accepts nesting of exactly maxDepth and refuses one level more', () => {
    expect(parseJsonGuarded('[[[1]]]', { maxDepth: 3 })).toEqual({ ok: true, value: [[[1]]] });
    expect(parseJsonGuarded('[[[[1]]]]', { maxDepth: 3 })).toMatchObject({ ok: false, code: 'too_deep', at: { column: 4 } });
    expect(parseJsonGuarded('{"a":{"b":[{}]}}', { maxDepth: 4 }).ok).toBe(true);
    expect(parseJsonGuarded('{"a":{"b":[{}]}}', { maxDepth: 3 }).ok).toBe(false);
  });

  test('does not count brackets inside strings, escaped quotes included', () => {
    const text = JSON.stringify({ s: '[[[[{{{{'.repeat(1000), t: 'say \\"[[[[\\" \\\\', u: ['"[[[['] });
    expect(parseJsonGuarded(text, { maxDepth: 3 })).toEqual({ ok: true, value: JSON.parse(text) });
  });

  test('property: too_deep exactly when the value nests deeper than maxDepth', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 8 }), fc.integer({ min: 0, max: 9 }), (value, maxDepth) => {
        const text = JSON.stringify(value);
        const result = parseJsonGuarded(text, { maxDepth });
        if (depthOf(value) > maxDepth) {
          expect(result).toMatchObject({ ok: false, code: 'too_deep' });
          // The gate never lets a too-deep text skip the scan.
          expect(hasMoreOpenersThan(text, maxDepth)).toBe(true);
        } else {
          expect(result).toEqual({ ok: true, value: JSON.parse(text) });
          expect(findTooDeep(text, maxDepth)).toBe(-1);
        }
      }),
      { numRuns: 500 },
    );
  });
});

describe('locateJsonError', () => {
  test('property: finds no error in any serialized JSON value, pretty-printed or not', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.boolean(), (value, pretty) => {
        expect(locateJsonError(JSON.stringify(value, null, pretty ? 2 : undefined))).toBe(-1);
      }),
      { numRuns: 500 },
    );
  });

  test('property: agrees with JSON.parse on whether JSON-like text is valid', () => {
    const token = fc.constantFrom(
      ...['{', '}', '[', ']', ',', ':', ' ', '\n', '"'],
      ...['"a"', '"\\u00e9"', '"\\x"', '1', '-0.5e+3', '01', '1.', 'true', 'nul'],
    );
    fc.assert(
      fc.property(fc.array(token, { maxLength: 12 }), (tokens) => {
        const text = tokens.join('');
        let valid = true;
        try {
          JSON.parse(text);
        } catch {
          valid = false;
        }
        const at = locateJsonError(text);
        expect(at === -1).toBe(valid);
        if (!valid) {
          expect(at).toBeGreaterThanOrEqual(0);
          expect(at).toBeLessThanOrEqual(text.length);
        }
      }),
      { numRuns: 2000 },
    );
  });

  test('property: every strict prefix of a serialized object is an error at or before its end', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 3 }), { minKeys: 1 }), fc.nat(), (obj, cut) => {
        const text = JSON.stringify(obj);
        const prefix = text.slice(0, cut % text.length);
        const at = locateJsonError(prefix);
        expect(at).toBeGreaterThanOrEqual(0);
        expect(at).toBeLessThanOrEqual(prefix.length);
      }),
      { numRuns: 300 },
    );
  });
});

describe('readJsonDocument', () => {
  test('reads a whole document, skipping a BOM, with its size and hash', async () => {
    const bytes = Buffer.from('\uFEFF{"trajectory":[{"action":"ls"}]}');
    const result = await readJsonDocument(writeTemp(bytes), { maxBytes: 1000, maxDepth: 16 });
    expect(result).toEqual({
      ok: true,
      value: { trajectory: [{ action: 'ls' }] },
      byte_length: bytes.length,
      sha256: sha(bytes),
    });
  });

  test('refuses a document over maxBytes as too_big, still giving its hash and head', async () => {
    const text = JSON.stringify({ items: Array.from({ length: 400 }, (_, i) => i) });
    const result = await readJsonDocument(writeTemp(text), { maxBytes: 100, maxDepth: 16 });
    expect(result).toEqual({
      ok: false,
      code: 'too_big',
      reason: `document is ${text.length} bytes, over the 100-byte limit`,
      at: null,
      byte_length: text.length,
      sha256: sha(text),
      head: text.slice(0, 200),
    });
  });

  test('accepts a document of exactly maxBytes', async () => {
    const text = '{"a":"' + 'x'.repeat(94) + '"}';
    expect(text.length).toBe(102);
    expect((await readJsonDocument(writeTemp(text), { maxBytes: 102, maxDepth: 4 })).ok).toBe(true);
    expect((await readJsonDocument(writeTemp(text), { maxBytes: 101, maxDepth: 4 })).ok).toBe(false);
  });

  test('reports invalid UTF-8', async () => {
    const bytes = Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xc3, 0x28, 0x22, 0x7d]);
    expect(await readJsonDocument(writeTemp(bytes), { maxBytes: 1000, maxDepth: 16 })).toMatchObject({
      ok: false,
      code: 'invalid_utf8',
      byte_length: 10,
      sha256: sha(bytes),
      head: '{"a":"\uFFFD("}',
    });
  });

  test('reports invalid JSON with the line and column of a multi-line document', async () => {
    const text = '{\n  "a": 1,\n  "b": [1, 2,]\n}\n';
    const result = await readJsonDocument(writeTemp(text), { maxBytes: 1000, maxDepth: 16 });
    expect(result).toMatchObject({ ok: false, code: 'invalid_json', at: { line: 3, column: 14 } });
    expect(result.ok === false && result.reason.endsWith(' at line 3 column 14')).toBe(true);
  });

  test('reports a 100,000-deep document as too_deep', async () => {
    const text = '{"x":' + '['.repeat(100_000) + ']'.repeat(100_000) + '}';
    expect(await readJsonDocument(writeTemp(text), { maxBytes: 1 << 20, maxDepth: 100 })).toMatchObject({
      ok: false,
      code: 'too_deep',
      at: { line: 1, column: 6 + 99 },
    });
  });

  test('throws E_INPUT_NOT_FOUND for a missing document', async () => {
    await expect(readJsonDocument(join(dir, 'missing.json'), { maxBytes: 10, maxDepth: 4 })).rejects.toMatchObject({
      code: 'E_INPUT_NOT_FOUND',
    });
  });
});
