// Guarded JSON parsing: depth checked before JSON.parse, errors as data with line and column; whole documents size-capped.
import { isUtf8 } from 'node:buffer';
import { createHash } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';
import { headOfBytes, openForRead } from './jsonl.ts';

/** A depth no real agent log comes near, far below where recursive consumers of the value overflow the stack. */
export const DEFAULT_MAX_JSON_DEPTH = 256;

/** Where in the text a parse error is (1-based). */
export interface TextPosition {
  line: number;
  column: number;
}

export type JsonParseFailure = {
  ok: false;
  code: 'invalid_json' | 'too_deep';
  reason: string;
  /** Where the first error is; for too_deep, the bracket that went one level too deep. Null when not found. */
  at: TextPosition | null;
};

export type JsonParseResult = { ok: true; value: unknown } | JsonParseFailure;

export interface JsonGuardOptions {
  /** Largest nesting of arrays and objects accepted; `[[1]]` has depth 2, a scalar depth 0. */
  maxDepth: number;
}

/**
 * Parse JSON text without trusting its shape: nesting deeper than `maxDepth` is `too_deep` (JSC
 * parses 100,000 levels happily, but whatever walks the value afterwards overflows the stack);
 * anything JSON.parse rejects is `invalid_json`, with the parser's message and the column.
 */
export function parseJsonGuarded(text: string, opts: JsonGuardOptions): JsonParseResult {
  if (hasMoreOpenersThan(text, opts.maxDepth)) {
    const deep = findTooDeep(text, opts.maxDepth);
    if (deep !== -1) {
      return {
        ok: false,
        code: 'too_deep',
        reason: `JSON nests deeper than ${opts.maxDepth} levels`,
        at: positionOf(text, deep),
      };
    }
  }
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (cause) {
    const message = cause instanceof Error ? cause.message : String(cause);
    const index = locateJsonError(text);
    const at = index === -1 ? null : positionOf(text, index);
    const where = at === null ? '' : at.line === 1 ? ` at column ${at.column}` : ` at line ${at.line} column ${at.column}`;
    return { ok: false, code: 'invalid_json', reason: `${message}${where}`, at };
  }
}

/**
 * Whether the text has more than `limit` '[' and '{' characters in all (strings included): if not,
 * it cannot nest deeper than `limit`. Native indexOf keeps this cheap on ordinary lines, so the
 * character-by-character depth scan runs only on texts with many brackets. Measured on 1.3 KB
 * log lines: this gate 0.3 µs a line, the scan 0.85 µs, JSON.parse 2 µs.
 */
export function hasMoreOpenersThan(text: string, limit: number): boolean {
  if (text.length <= limit) return false;
  let count = 0;
  for (const opener of ['{', '[']) {
    let i = text.indexOf(opener);
    while (i !== -1) {
      if (++count > limit) return true;
      i = text.indexOf(opener, i + 1);
    }
  }
  return false;
}

/**
 * Index of the first '[' or '{' (outside strings) that takes nesting past `limit`, or -1. Linear:
 * string contents are skipped with indexOf. Does not validate; unbalanced text just ends the scan.
 */
export function findTooDeep(text: string, limit: number): number {
  let depth = 0;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      i = endOfString(text, i);
      if (i === -1) return -1;
    } else if (c === 0x5b || c === 0x7b) {
      if (++depth > limit) return i;
    } else if ((c === 0x5d || c === 0x7d) && depth > 0) {
      depth--;
    }
  }
  return -1;
}

/** Index of the quote closing the string opened at `open`, or -1 when it is never closed. */
function endOfString(text: string, open: number): number {
  let j = text.indexOf('"', open + 1);
  while (j !== -1) {
    let backslashes = 0;
    while (text.charCodeAt(j - 1 - backslashes) === 0x5c) backslashes++;
    if (backslashes % 2 === 0) return j;
    j = text.indexOf('"', j + 1);
  }
  return -1;
}

function positionOf(text: string, index: number): TextPosition {
  let line = 1;
  let lineStart = 0;
  let nl = text.indexOf('\n');
  while (nl !== -1 && nl < index) {
    line++;
    lineStart = nl + 1;
    nl = text.indexOf('\n', lineStart);
  }
  return { line, column: index - lineStart + 1 };
}

const LITERALS = ['true', 'false', 'null'];
const ARRAY = 0;
const OBJECT = 1;

function isWs(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

/**
 * Index of the first character where `text` stops being RFC 8259 JSON (text.length when it ends
 * too early), or -1 when it is valid. JSC's messages carry no position, so this runs after a
 * failed JSON.parse to find one. Iterative: nesting depth cannot overflow the stack.
 */
export function locateJsonError(text: string): number {
  const n = text.length;
  const stack: number[] = [];
  let i = 0;
  const skipWs = (): void => {
    while (i < n && isWs(text.charCodeAt(i))) i++;
  };
  // Returns the index after the closing quote, or -(errorIndex + 1).
  const scanString = (): number => {
    let j = i + 1;
    while (j < n) {
      const c = text.charCodeAt(j);
      if (c === 0x22) return j + 1;
      if (c < 0x20) return -(j + 1);
      if (c === 0x5c) {
        const e = text.charCodeAt(j + 1);
        if (e === 0x75) {
          for (let k = 2; k < 6; k++) {
            if (!/[0-9a-fA-F]/.test(text.charAt(j + k))) return -(Math.min(j + k, n) + 1);
          }
          j += 6;
          continue;
        }
        if (j + 1 >= n || !'"\\/bfnrt'.includes(text.charAt(j + 1))) return -(Math.min(j + 1, n) + 1);
        j += 2;
        continue;
      }
      j++;
    }
    return -(n + 1);
  };
  const scanNumber = (): number => {
    let j = i;
    if (text.charCodeAt(j) === 0x2d) j++;
    if (text.charCodeAt(j) === 0x30) {
      j++;
    } else if (isDigit(text.charCodeAt(j))) {
      while (isDigit(text.charCodeAt(j))) j++;
    } else {
      return -(j + 1);
    }
    if (text.charCodeAt(j) === 0x2e) {
      j++;
      if (!isDigit(text.charCodeAt(j))) return -(j + 1);
      while (isDigit(text.charCodeAt(j))) j++;
    }
    const e = text.charCodeAt(j);
    if (e === 0x65 || e === 0x45) {
      j++;
      const sign = text.charCodeAt(j);
      if (sign === 0x2b || sign === 0x2d) j++;
      if (!isDigit(text.charCodeAt(j))) return -(j + 1);
      while (isDigit(text.charCodeAt(j))) j++;
    }
    return j;
  };

  let expectValue = true;
  for (;;) {
    skipWs();
    if (expectValue) {
      const c = text.charCodeAt(i);
      if (c === 0x7b || c === 0x5b) {
        stack.push(c === 0x7b ? OBJECT : ARRAY);
        i++;
        skipWs();
        if (text.charCodeAt(i) === (c === 0x7b ? 0x7d : 0x5d)) {
          stack.pop();
          i++;
          expectValue = false;
        } else if (c === 0x7b) {
          const after = scanKey();
          if (after < 0) return -after - 1;
          i = after;
        }
        continue;
      }
      let end: number;
      if (c === 0x22) end = scanString();
      else if (c === 0x2d || isDigit(c)) end = scanNumber();
      else end = scanLiteral();
      if (end < 0) return -end - 1;
      i = end;
      expectValue = false;
      continue;
    }
    const top = stack[stack.length - 1];
    if (top === undefined) return i === n ? -1 : i;
    const c = text.charCodeAt(i);
    if (c === 0x2c) {
      i++;
      if (top === OBJECT) {
        skipWs();
        const after = scanKey();
        if (after < 0) return -after - 1;
        i = after;
      }
      expectValue = true;
    } else if (c === (top === OBJECT ? 0x7d : 0x5d)) {
      stack.pop();
      i++;
    } else {
      return i;
    }
  }

  // A key and its colon; returns the index after the colon, or -(errorIndex + 1).
  function scanKey(): number {
    if (text.charCodeAt(i) !== 0x22) return -(i + 1);
    const end = scanString();
    if (end < 0) return end;
    i = end;
    skipWs();
    if (text.charCodeAt(i) !== 0x3a) return -(i + 1);
    return i + 1;
  }

  function scanLiteral(): number {
    // Point at the first character that cannot continue any literal.
    let matched = 0;
    for (const word of LITERALS) {
      let k = 0;
      while (k < word.length && text.charCodeAt(i + k) === word.charCodeAt(k)) k++;
      if (k === word.length) return i + k;
      if (k > matched) matched = k;
    }
    return -(i + matched + 1);
  }
}

export interface ReadJsonDocumentOptions {
  /** Larger files are `too_big`, hashed but never read whole. */
  maxBytes: number;
  maxDepth: number;
}

/** What a failed document still tells quarantine: its size, hash and first characters. */
export type JsonDocumentFailure = {
  ok: false;
  code: 'too_big' | 'invalid_utf8' | 'invalid_json' | 'too_deep';
  reason: string;
  at: TextPosition | null;
  byte_length: number;
  /** sha256 of the file's bytes. */
  sha256: string;
  /** At most 200 characters from the start, decoded lossily. */
  head: string;
};

export type JsonDocumentResult = { ok: true; value: unknown; byte_length: number; sha256: string } | JsonDocumentFailure;

/**
 * Read and parse a whole-JSON log (SWE-agent .traj, Gemini .json). Bad input comes back as a
 * failure value; only a missing or unreadable file throws (E_INPUT_NOT_FOUND / E_INPUT_UNREADABLE).
 * A UTF-8 BOM is skipped.
 */
export async function readJsonDocument(path: string, opts: ReadJsonDocumentOptions): Promise<JsonDocumentResult> {
  const fh = await openForRead(path);
  try {
    const { size } = await fh.stat();
    if (size > opts.maxBytes) return await tooBig(fh, opts.maxBytes);
    // Read at most maxBytes + 1 bytes: a file that grew since stat is caught without reading it all.
    const bytes = await readAtMost(fh, opts.maxBytes + 1, size);
    if (bytes.length > opts.maxBytes) return await tooBig(fh, opts.maxBytes);
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    const body = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? bytes.subarray(3) : bytes;
    const fail = (code: JsonDocumentFailure['code'], reason: string, at: TextPosition | null): JsonDocumentFailure => ({
      ok: false,
      code,
      reason,
      at,
      byte_length: bytes.length,
      sha256,
      head: headOfBytes(body),
    });
    if (!isUtf8(body)) return fail('invalid_utf8', 'document is not valid UTF-8', null);
    const parsed = parseJsonGuarded(body.toString('utf8'), { maxDepth: opts.maxDepth });
    if (!parsed.ok) return fail(parsed.code, parsed.reason, parsed.at);
    return { ok: true, value: parsed.value, byte_length: bytes.length, sha256 };
  } finally {
    await fh.close();
  }
}

async function readAtMost(fh: FileHandle, limit: number, sizeHint: number): Promise<Buffer> {
  // sizeHint + 1 so that end of file shows up without growing the buffer.
  let buf = Buffer.allocUnsafe(Math.min(limit, sizeHint + 1));
  let filled = 0;
  for (;;) {
    if (filled === buf.length) {
      if (buf.length >= limit) return buf;
      const bigger = Buffer.allocUnsafe(Math.min(limit, buf.length * 2));
      buf.copy(bigger, 0, 0, filled);
      buf = bigger;
    }
    const { bytesRead } = await fh.read(buf, filled, buf.length - filled, filled);
    if (bytesRead === 0) return buf.subarray(0, filled);
    filled += bytesRead;
  }
}

async function tooBig(fh: FileHandle, maxBytes: number): Promise<JsonDocumentFailure> {
  const hash = createHash('sha256');
  const chunk = Buffer.allocUnsafe(1 << 20);
  let pos = 0;
  let head = '';
  for (;;) {
    const { bytesRead } = await fh.read(chunk, 0, chunk.length, pos);
    if (bytesRead === 0) break;
    if (pos === 0) {
      const start = bytesRead >= 3 && chunk[0] === 0xef && chunk[1] === 0xbb && chunk[2] === 0xbf ? 3 : 0;
      head = headOfBytes(chunk.subarray(start, bytesRead));
    }
    hash.update(chunk.subarray(0, bytesRead));
    pos += bytesRead;
  }
  return {
    ok: false,
    code: 'too_big',
    reason: `document is ${pos} bytes, over the ${maxBytes}-byte limit`,
    at: null,
    byte_length: pos,
    sha256: hash.digest('hex'),
    head,
  };
}
