// Groups the lines of a text transcript (Markdown) into items: runs of lines an adapter's splitter keeps together, blank lines between them counted apart.
import { createHash, type Hash } from 'node:crypto';
import { sha256Hex } from '../canonical.ts';

/** Where a non-blank line goes: it opens a new item, or joins the item that is open. */
export type LineVerdict = 'start' | 'continue';

/**
 * An adapter's rule for cutting its transcript into items. It sees every readable non-blank line in file
 * order, once; `afterBlank` says whether blank lines came between it and the previous one. Blank lines
 * never reach it: they join the open item when the next line continues it, and are separators otherwise.
 */
export interface LineSplitter {
  next(text: string, afterBlank: boolean): LineVerdict;
}

/** One line as the grouper takes it: a readable line of the file (an unreadable one breaks the open item instead). */
export interface TextLine {
  line: number;
  byte_offset: number;
  /** Length without the line ending. */
  byte_length: number;
  text: string;
  blank: boolean;
}

/** Consecutive lines of the file that make one item: from `line` to `end_line`, blank lines inside included. */
export interface TextItem {
  line: number;
  end_line: number;
  byte_offset: number;
  /** From the first line's first byte to the last line's last byte (line ending excluded). */
  byte_length: number;
  /** The item's lines joined with '\n'; null when the item outgrew the cap (then only hashed). */
  text: string | null;
  /** sha256 of the text (of every line joined with '\n', also when the text was dropped). */
  readonly sha256: string;
  /** At most 200 characters from its start, for quarantine excerpts. */
  head: string;
}

export type GroupEvent = { kind: 'item'; item: TextItem } | { kind: 'blank'; line: TextLine };

const HEAD_CHARS = 200;

/** The open item: lines held as text until `maxBytes`, past it only hashed. */
class OpenItem {
  readonly line: number;
  readonly byte_offset: number;
  end_line: number;
  end_byte: number;
  readonly head: string;
  #lines: string[] = [];
  #bytes = 0;
  #hash: Hash | null = null;
  readonly #max: number;

  constructor(first: TextLine, max: number) {
    this.line = first.line;
    this.byte_offset = first.byte_offset;
    this.end_line = first.line;
    this.end_byte = first.byte_offset + first.byte_length;
    this.head = first.text.slice(0, HEAD_CHARS);
    this.#max = max;
    this.#bytes = first.byte_length;
    this.#lines.push(first.text);
    if (this.#bytes > max) this.#spill();
  }

  add(line: TextLine): void {
    this.end_line = line.line;
    this.end_byte = line.byte_offset + line.byte_length;
    this.#bytes += line.byte_length + 1;
    if (this.#hash !== null) {
      this.#hash.update('\n' + line.text);
      return;
    }
    this.#lines.push(line.text);
    if (this.#bytes > this.#max) this.#spill();
  }

  // Over the cap: hash what is held and drop it; later lines are only hashed.
  #spill(): void {
    this.#hash = createHash('sha256').update(this.#lines.join('\n'));
    this.#lines = [];
  }

  close(): TextItem {
    const text = this.#hash === null ? this.#lines.join('\n') : null;
    let sha: string | null = this.#hash?.digest('hex') ?? null;
    return {
      line: this.line,
      end_line: this.end_line,
      byte_offset: this.byte_offset,
      byte_length: this.end_byte - this.byte_offset,
      text,
      get sha256() {
        sha ??= sha256Hex(text ?? '');
        return sha;
      },
      head: this.head,
    };
  }
}

/**
 * Feeds lines in file order and returns what they complete. Every line pushed ends in exactly one item or
 * one blank event, so items' spans plus blank lines tile the lines read: the count collect reconciles.
 */
export class TextGrouper {
  readonly #splitter: LineSplitter;
  readonly #maxBytes: number;
  #open: OpenItem | null = null;
  #blanks: TextLine[] = [];

  /** `maxBytes`: an item longer than this keeps only its hash (collect quarantines it). */
  constructor(splitter: LineSplitter, maxBytes: number) {
    this.#splitter = splitter;
    this.#maxBytes = maxBytes;
  }

  push(line: TextLine): GroupEvent[] {
    if (line.blank) {
      if (this.#open === null) return [{ kind: 'blank', line }];
      this.#blanks.push(line);
      return [];
    }
    const verdict = this.#splitter.next(line.text, this.#blanks.length > 0);
    if (verdict === 'continue' && this.#open !== null) {
      for (const b of this.#blanks) this.#open.add(b);
      this.#blanks = [];
      this.#open.add(line);
      return [];
    }
    const out = this.end();
    this.#open = new OpenItem(line, this.#maxBytes);
    return out;
  }

  /** Close the open item (end of input, an unreadable line, or the end of what was read before): blanks after it are separators. */
  end(): GroupEvent[] {
    const out: GroupEvent[] = [];
    if (this.#open !== null) out.push({ kind: 'item', item: this.#open.close() });
    for (const line of this.#blanks) out.push({ kind: 'blank', line });
    this.#open = null;
    this.#blanks = [];
    return out;
  }
}
