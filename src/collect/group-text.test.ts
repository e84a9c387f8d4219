// Tests for the text grouper: items and blank separators tile the lines exactly, whatever the splitter decides.
import { describe, expect, test } from 'bun:test';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TextGrouper, type GroupEvent, type LineSplitter, type TextLine } from './group-text.ts';
import { createAiderSplitter } from './adapters/aider.ts';
import { resolveSamplesDir } from './adapters/adapter-test-helper.ts';
import { sha256Hex } from '../canonical.ts';

function toLines(text: string): TextLine[] {
  const out: TextLine[] = [];
  let offset = 0;
  const parts = text.split('\n');
  if (parts[parts.length - 1] === '') parts.pop();
  parts.forEach((t, i) => {
    out.push({ line: i + 1, byte_offset: offset, byte_length: Buffer.byteLength(t), text: t, blank: /^[ \t\r]*$/.test(t) });
    offset += Buffer.byteLength(t) + 1;
  });
  return out;
}

function group(lines: TextLine[], splitter: LineSplitter, maxBytes = 1 << 20): GroupEvent[] {
  const g = new TextGrouper(splitter, maxBytes);
  return [...lines.flatMap((l) => g.push(l)), ...g.end()];
}

/** Every line number covered once: items by their span, blanks by their line. */
function coverage(events: GroupEvent[]): number[] {
  return events.flatMap((e) =>
    e.kind === 'blank' ? [e.line.line] : Array.from({ length: e.item.end_line - e.item.line + 1 }, (_, i) => e.item.line + i),
  );
}

describe('TextGrouper', () => {
  test('items and blank separators tile the lines in order, for any splitter verdicts', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.constantFrom('', '  ', 'x', '> y', '#### z'), fc.boolean()), { maxLength: 60 }), (spec) => {
        const verdicts = spec.map(([, start]) => start);
        let i = 0;
        const splitter: LineSplitter = { next: () => (verdicts[i++] ? 'start' : 'continue') };
        const lines = toLines(spec.map(([t]) => t).join('\n') + (spec.length > 0 ? '\n' : ''));
        const events = group(lines, splitter);
        expect(coverage(events)).toEqual(lines.map((l) => l.line));
        for (const e of events) if (e.kind === 'blank') expect(e.line.blank).toBe(true);
      }),
    );
  });

  test('blank lines join an item only when the next line continues it; trailing blanks are separators', () => {
    const lines = toLines('a\n\nb\n\nC\n\n');
    const events = group(lines, { next: (t) => (t === t.toUpperCase() ? 'start' : 'continue') });
    expect(events.map((e) => (e.kind === 'blank' ? `blank ${e.line.line}` : `item ${e.item.line}-${e.item.end_line}`))).toEqual([
      'item 1-3',
      'blank 4',
      'item 5-5',
      'blank 6',
    ]);
    const first = events[0]!;
    expect(first.kind === 'item' && first.item.text).toBe('a\n\nb');
    expect(first.kind === 'item' && first.item.byte_length).toBe(4);
    expect(first.kind === 'item' && first.item.sha256).toBe(sha256Hex('a\n\nb'));
  });

  test('an item over the cap keeps only its hash and its head', () => {
    const lines = toLines(`${'x'.repeat(30)}\n${'y'.repeat(30)}\n`);
    const [event] = group(lines, { next: () => 'continue' }, 40);
    expect(event?.kind).toBe('item');
    if (event?.kind !== 'item') return;
    expect(event.item.text).toBeNull();
    expect(event.item.byte_length).toBe(61);
    expect(event.item.sha256).toBe(sha256Hex(`${'x'.repeat(30)}\n${'y'.repeat(30)}`));
    expect(event.item.head).toBe('x'.repeat(30));
  });

  for (const name of ['afi-core', 'mozgoslav']) {
    test(`the Aider splitter accounts for every line of the ${name} sample`, () => {
      const lines = toLines(readFileSync(join(resolveSamplesDir('aider'), name, '.aider.chat.history.md'), 'utf8'));
      const events = group(lines, createAiderSplitter());
      expect(coverage(events)).toEqual(lines.map((l) => l.line));
    });
  }
});
