// Streaming line reader: exact line numbers and byte offsets from one fixed buffer; bad bytes and huge lines reported, never held.
import { open, type FileHandle } from 'node:fs/promises';
import { isUtf8 } from 'node:buffer';
import { createHash, type Hash } from 'node:crypto';
import { sha256Hex } from '../canonical.ts';
import { DistillError } from '../errors.ts';

/** Why a line has no text. */
export interface RawLineError {
  code: 'invalid_utf8' | 'line_too_long';
  reason: string;
}

/** One line of a file, as read. */
export interface RawLine {
  /** 1-based line number (counted from `startLine` when resuming). */
  readonly line: number;
  /** Offset of the line's first byte in the file (after a BOM on line 1). */
  readonly byte_offset: number;
  /** Length in bytes without the line ending (`\n` or `\r\n`). */
  readonly byte_length: number;
  /** Offset where the next line starts: past the newline, or the end of the file for an unterminated last line. */
  readonly next_offset: number;
  /** False only for a last line with no newline after it (possibly still being written). */
  readonly terminated: boolean;
  /** The line decoded as UTF-8; null when `error` is set. */
  readonly text: string | null;
  /** Empty, or only spaces, tabs and CRs (JSON whitespace). Always false for a line with an error. */
  readonly blank: boolean;
  /** sha256 (hex) of the line's raw bytes, line ending excluded. A getter computed on first use: `{...line}` drops it. */
  readonly line_sha256: string;
  /** At most 200 characters of the line, decoded lossily, for excerpts. A getter, like line_sha256. */
  readonly head: string;
  readonly error: RawLineError | null;
}

export interface ReadLinesOptions {
  /** Lines longer than this (line ending excluded) are reported as line_too_long and never held whole. */
  maxLineBytes: number;
  /** Byte offset to start at (a checkpoint's offset); default 0. A BOM is only skipped at offset 0. */
  startOffset?: number;
  /** Number given to the first line read; default 1. */
  startLine?: number;
  /** Size of the one read buffer; default 256 KiB (measured: 128 KiB to 1 MiB are alike, 4 MiB is slower). */
  chunkBytes?: number;
}

export const DEFAULT_CHUNK_BYTES = 256 * 1024;
export const HEAD_CHARS = 200;
// Enough bytes to decode HEAD_CHARS characters of any UTF-8 text.
const HEAD_BYTES = HEAD_CHARS * 4;
const NL = 10;
const CR = 13;

class Line implements RawLine {
  readonly line: number;
  readonly byte_offset: number;
  readonly byte_length: number;
  readonly next_offset: number;
  readonly terminated: boolean;
  readonly text: string | null;
  readonly blank: boolean;
  readonly error: RawLineError | null;
  #sha256: string | null;
  #head: string | null;

  constructor(
    line: number,
    byteOffset: number,
    byteLength: number,
    terminatorLength: number,
    text: string | null,
    error: RawLineError | null,
    sha256: string | null,
    head: string | null,
  ) {
    this.line = line;
    this.byte_offset = byteOffset;
    this.byte_length = byteLength;
    this.next_offset = byteOffset + byteLength + terminatorLength;
    this.terminated = terminatorLength > 0;
    this.text = text;
    this.blank = text !== null && isBlank(text);
    this.error = error;
    this.#sha256 = sha256;
    this.#head = head;
  }

  // Hashing every line costs about as much as JSON.parse; only quarantined lines need it.
  // Valid UTF-8 decodes and re-encodes to the same bytes, so the text is enough to recompute it.
  get line_sha256(): string {
    this.#sha256 ??= sha256Hex(this.text ?? '');
    return this.#sha256;
  }

  get head(): string {
    this.#head ??= headOfText(this.text ?? '');
    return this.#head;
  }

  toJSON(): Record<string, unknown> {
    return {
      line: this.line,
      byte_offset: this.byte_offset,
      byte_length: this.byte_length,
      next_offset: this.next_offset,
      terminated: this.terminated,
      text: this.text,
      blank: this.blank,
      line_sha256: this.line_sha256,
      head: this.head,
      error: this.error,
    };
  }
}

// JSON's own whitespace: a line of other spaces (NBSP, U+2028) is garbage to quarantine, not blank.
const BLANK = /^[ \t\r\n]*$/;

function isBlank(text: string): boolean {
  if (text.length === 0) return true;
  const first = text.charCodeAt(0);
  // A JSON line starts with '{' or '[': skip the regex for the common case.
  if (first > 32) return false;
  return BLANK.test(text);
}

function headOfText(text: string): string {
  if (text.length <= HEAD_CHARS) return text;
  const last = text.charCodeAt(HEAD_CHARS - 1);
  // Do not end on the first half of a surrogate pair.
  return text.slice(0, last >= 0xd800 && last <= 0xdbff ? HEAD_CHARS - 1 : HEAD_CHARS);
}

/** At most HEAD_CHARS characters from the start of some bytes, decoded lossily. */
export function headOfBytes(bytes: Uint8Array): string {
  const view = Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.byteLength, HEAD_BYTES));
  return headOfText(view.toString('utf8'));
}

function tooLong(length: number, max: number): RawLineError {
  return { code: 'line_too_long', reason: `line is ${length} bytes, over the ${max}-byte limit` };
}

function invalidUtf8(): RawLineError {
  return { code: 'invalid_utf8', reason: 'line is not valid UTF-8' };
}

/** A line that did not fit in the read buffer: held in copies up to the cap, past it only hashed. Exported for tests. */
export class LongLine {
  readonly start: number;
  readonly #max: number;
  #parts: Buffer[] = [];
  #length = 0;
  #hash: Hash | null = null;
  #head: Buffer | null = null;
  // Past the cap the last byte is hashed late: it may be the '\r' of a '\r\n', which is not line content.
  #pending = -1;

  constructor(start: number, maxLineBytes: number) {
    this.start = start;
    this.#max = maxLineBytes;
  }

  /** Bytes held in memory (for tests of the memory bound). */
  get heldBytes(): number {
    let n = 0;
    for (const p of this.#parts) n += p.length;
    return n + (this.#head?.length ?? 0);
  }

  /** Add a segment; the bytes are copied or hashed, never kept by reference. */
  append(segment: Buffer): void {
    if (segment.length === 0) return;
    // +1: a trailing '\r' held here may still turn out to be the line ending.
    if (this.#hash === null && this.#length + segment.length <= this.#max + 1) {
      this.#parts.push(Buffer.from(segment));
      this.#length += segment.length;
      return;
    }
    if (this.#hash === null) {
      this.#hash = createHash('sha256');
      const held = Buffer.concat(this.#parts);
      this.#head = Buffer.from(held.subarray(0, HEAD_BYTES));
      this.#hash.update(held);
      this.#parts = [];
    }
    if (this.#pending !== -1) this.#consume(Buffer.of(this.#pending));
    this.#consume(segment.subarray(0, segment.length - 1));
    this.#pending = segment[segment.length - 1]!;
    this.#length += segment.length;
  }

  /** Close the line with its last segment (taken from the read buffer, line ending excluded but '\r' included). */
  finish(lineNo: number, last: Buffer, terminatorLength: 0 | 1): Line {
    const lastByte = last.length > 0 ? last[last.length - 1] : this.#lastHeldByte();
    // Only a '\r' right before a '\n' is part of the line ending.
    const cr = terminatorLength === 1 && lastByte === CR ? 1 : 0;
    const length = this.#length + last.length - cr;
    const terminator = terminatorLength + cr;
    if (this.#hash !== null) {
      if (last.length > 0) {
        if (this.#pending !== -1) this.#consume(Buffer.of(this.#pending));
        this.#consume(last.subarray(0, last.length - cr));
      } else if (this.#pending !== -1 && cr === 0) {
        this.#consume(Buffer.of(this.#pending));
      }
      const head = headOfBytes(this.#head ?? Buffer.alloc(0));
      const error = tooLong(length, this.#max);
      return new Line(lineNo, this.start, length, terminator, null, error, this.#hash.digest('hex'), head);
    }
    const bytes = Buffer.concat([...this.#parts, last]).subarray(0, length);
    return lineFromBytes(lineNo, this.start, bytes, terminator, this.#max);
  }

  // Past the cap: hash the bytes, and keep them only while the head is short.
  #consume(bytes: Buffer): void {
    this.#hash?.update(bytes);
    const head = this.#head ?? Buffer.alloc(0);
    if (head.length < HEAD_BYTES) this.#head = Buffer.concat([head, bytes.subarray(0, HEAD_BYTES - head.length)]);
  }

  #lastHeldByte(): number | undefined {
    if (this.#hash !== null) return this.#pending === -1 ? undefined : this.#pending;
    const p = this.#parts[this.#parts.length - 1];
    return p === undefined ? undefined : p[p.length - 1];
  }
}

/** A line with no text: its hash and head are taken now, while its bytes are at hand. */
function badLine(lineNo: number, offset: number, bytes: Buffer, terminator: number, error: RawLineError): Line {
  return new Line(lineNo, offset, bytes.length, terminator, null, error, sha256Hex(bytes), headOfBytes(bytes));
}

/** A line given as bytes (ending excluded): checked against the cap and for UTF-8, decoded when both pass. */
function lineFromBytes(lineNo: number, offset: number, bytes: Buffer, terminator: number, max: number): Line {
  if (bytes.length > max) return badLine(lineNo, offset, bytes, terminator, tooLong(bytes.length, max));
  if (!isUtf8(bytes)) return badLine(lineNo, offset, bytes, terminator, invalidUtf8());
  return new Line(lineNo, offset, bytes.length, terminator, bytes.toString('utf8'), null, null, null);
}

function checkInt(name: string, value: number, min: number): void {
  if (!Number.isSafeInteger(value) || value < min) {
    throw new DistillError('E_INTERNAL', `readLines: ${name} must be an integer >= ${min}, got ${value}`, {
      details: { [name]: value },
    });
  }
}

/** Open a regular file for reading; a missing file is E_INPUT_NOT_FOUND, any other failure E_INPUT_UNREADABLE. */
export async function openForRead(path: string): Promise<FileHandle> {
  let fh: FileHandle;
  try {
    fh = await open(path, 'r');
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      throw new DistillError('E_INPUT_NOT_FOUND', `cannot read ${path}: no such file`, { details: { path }, cause });
    }
    throw new DistillError('E_INPUT_UNREADABLE', `cannot read ${path}: ${code ?? String(cause)}`, {
      details: { path, errno: code ?? null },
      cause,
    });
  }
  // Positional reads need a regular file; a directory opens fine on Linux and fails only at read.
  const stat = await fh.stat();
  if (!stat.isFile()) {
    await fh.close();
    throw new DistillError('E_INPUT_UNREADABLE', `cannot read ${path}: not a regular file`, { details: { path } });
  }
  return fh;
}

/**
 * Stream the lines of a file. Memory is one `chunkBytes` buffer, its decoded text, and at most
 * `maxLineBytes` of a line that does not fit the buffer. Lines yielded = newlines in the file,
 * plus one for trailing bytes after the last newline.
 */
export async function* readLines(path: string, opts: ReadLinesOptions): AsyncGenerator<RawLine> {
  const max = opts.maxLineBytes;
  const chunkBytes = opts.chunkBytes ?? DEFAULT_CHUNK_BYTES;
  const startOffset = opts.startOffset ?? 0;
  let lineNo = opts.startLine ?? 1;
  checkInt('maxLineBytes', max, 1);
  // 4: the first read must see a whole BOM.
  checkInt('chunkBytes', chunkBytes, 4);
  checkInt('startOffset', startOffset, 0);
  checkInt('startLine', lineNo, 1);

  const fh = await openForRead(path);
  try {
    const buf = Buffer.allocUnsafe(chunkBytes);
    let filled = 0; // valid bytes in buf
    let bufOffset = startOffset; // file offset of buf[0]
    let readPos = startOffset; // file offset of the next read
    let eof = false;
    let long: LongLine | null = null;

    const fill = async (): Promise<void> => {
      while (filled < buf.length) {
        const { bytesRead } = await fh.read(buf, filled, buf.length - filled, readPos);
        if (bytesRead === 0) {
          eof = true;
          return;
        }
        filled += bytesRead;
        readPos += bytesRead;
      }
    };

    await fill();
    let pos = 0; // start of the current line in buf
    if (startOffset === 0 && filled >= 3 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) pos = 3;

    for (;;) {
      let nl = filled > pos ? buf.indexOf(NL, pos) : -1;
      if (nl >= filled) nl = -1;

      if (long !== null && nl !== -1) {
        yield long.finish(lineNo++, buf.subarray(0, nl), 1);
        long = null;
        pos = nl + 1;
        nl = filled > pos ? buf.indexOf(NL, pos) : -1;
        if (nl >= filled) nl = -1;
      }

      if (long === null && nl !== -1) {
        const lastNl = buf.lastIndexOf(NL, filled - 1);
        const lines = splitRegion(buf, pos, lastNl, bufOffset, lineNo, max);
        lineNo += lines.length;
        pos = lastNl + 1;
        // A plain loop: yield* over an array costs a third more per line in JSC.
        for (const line of lines) yield line;
      }

      // buf[pos, filled) is an incomplete line.
      if (eof) {
        if (long !== null) {
          yield long.finish(lineNo++, buf.subarray(pos, filled), 0);
        } else if (filled > pos) {
          yield lineFromBytes(lineNo++, bufOffset + pos, buf.subarray(pos, filled), 0, max);
        }
        return;
      }
      const rest = filled - pos;
      if (long === null && rest <= buf.length >> 1) {
        // Short tail: move it to the front so the line stays contiguous in buf.
        buf.copyWithin(0, pos, filled);
      } else {
        // Long tail: copy it out (or hash it past the cap) so each read fills at least half the buffer.
        long ??= new LongLine(bufOffset + pos, max);
        long.append(buf.subarray(pos, filled));
      }
      const kept = long === null ? rest : 0;
      bufOffset += filled - kept;
      filled = kept;
      pos = 0;
      await fill();
    }
  } finally {
    await fh.close();
  }
}

/** The complete lines of buf[from, lastNl]: decoded once as a whole when valid UTF-8 (the fast path), else line by line. */
function splitRegion(buf: Buffer, from: number, lastNl: number, bufOffset: number, firstLine: number, max: number): Line[] {
  const out: Line[] = [];
  let lineNo = firstLine;
  let start = from;
  // '\n' never occurs inside a multi-byte UTF-8 sequence, so a valid region splits into valid lines,
  // and the n-th '\n' byte is the n-th '\n' character of the decoded text.
  if (isUtf8(buf.subarray(from, lastNl))) {
    const text = buf.toString('utf8', from, lastNl);
    let charStart = 0;
    for (;;) {
      let end = buf.indexOf(NL, start);
      if (end === -1 || end > lastNl) break;
      let charEnd = end === lastNl ? text.length : text.indexOf('\n', charStart);
      const next = end + 1;
      const nextChar = charEnd + 1;
      let terminator = 1;
      if (end > start && buf[end - 1] === CR) {
        end--;
        charEnd--;
        terminator = 2;
      }
      const length = end - start;
      const offset = bufOffset + start;
      out.push(
        length > max
          ? badLine(lineNo++, offset, buf.subarray(start, end), terminator, tooLong(length, max))
          : new Line(lineNo++, offset, length, terminator, text.slice(charStart, charEnd), null, null, null),
      );
      start = next;
      charStart = nextChar;
    }
    return out;
  }
  for (;;) {
    let end = buf.indexOf(NL, start);
    if (end === -1 || end > lastNl) break;
    const next = end + 1;
    let terminator = 1;
    if (end > start && buf[end - 1] === CR) {
      end--;
      terminator = 2;
    }
    out.push(lineFromBytes(lineNo++, bufOffset + start, buf.subarray(start, end), terminator, max));
    start = next;
  }
  return out;
}
