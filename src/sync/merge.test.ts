// The union merge's pure core over in-memory stores: symmetric, loses no folder, recomputes derived files, idempotent (property tests).
import { describe, expect, test } from 'bun:test';
import fc from 'fast-check';
import { commitDir, LEDGER_MODELS_FILE } from '../store/layout.ts';
import { createMemoryStore } from '../store/memory-store.ts';
import { fakeOid } from '../store/store-conformance.ts';
import type { DistillStore } from '../store/store.ts';
import { overlayView, pickFolder, planUnionMerge, unionLines, type DeriveFiles, type StoreView } from './merge.ts';

const enc = new TextEncoder();
const dec = new TextDecoder();

const derive: DeriveFiles = async (view) => {
  const oids = [...new Set((await view.listPaths('commits')).map((p) => p.split('/')[2]!))].sort();
  return new Map([[LEDGER_MODELS_FILE, enc.encode(`${oids.join(',')}\n`)]]);
};

interface Side {
  /** source n → lines its manifest says it read */
  folders: Array<[number, number]>;
  meta: string[];
}

async function build(side: Side): Promise<DistillStore> {
  const store = createMemoryStore();
  const seen = new Set<number>();
  for (const [n, lines] of side.folders) {
    if (seen.has(n)) continue;
    seen.add(n);
    const files = new Map([
      ['manifest.json', enc.encode(JSON.stringify({ counts: { lines, evidence: lines } }))],
      ['evidence.jsonl', enc.encode('x\n'.repeat(lines))],
    ]);
    const meta = side.meta.length === 0 ? new Map<string, Uint8Array>() : new Map([['meta/approvals', enc.encode(side.meta.join('\n') + '\n')]]);
    await store.write({ source_oid: fakeOid(n, n % 3), subject: 's', files, derived: meta, expected_head: await store.head(), date: '2024-01-01T00:00:00Z' });
  }
  return store;
}

async function treeOf(view: StoreView): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const paths = (await view.listPaths('')).filter((p) => p !== 'FORMAT');
  for await (const [p, b] of view.readPaths(paths)) out[p] = b === null ? '<null>' : dec.decode(b);
  return out;
}

const sideArb = fc.record({
  folders: fc.array(fc.tuple(fc.integer({ min: 1, max: 8 }), fc.integer({ min: 0, max: 4 })), { maxLength: 6 }),
  meta: fc.array(fc.constantFrom('approve a', 'approve b', 'retire c'), { maxLength: 3 }),
});

describe('planUnionMerge', () => {
  test('merging B into A gives the same tree as merging A into B, holding every folder of both (property)', async () => {
    await fc.assert(
      fc.asyncProperty(sideArb, sideArb, async (sa, sb) => {
        const [a, b] = [await build(sa), await build(sb)];
        const ab = overlayView(a, (await planUnionMerge(a, b, derive)).files);
        const ba = overlayView(b, (await planUnionMerge(b, a, derive)).files);
        const [ta, tb] = [await treeOf(ab), await treeOf(ba)];
        expect(ta).toEqual(tb);
        const sources = new Set([...sa.folders, ...sb.folders].map(([n]) => commitDir(fakeOid(n, n % 3))));
        for (const s of sources) expect(Object.keys(ta).some((p) => p.startsWith(`${s}/`))).toBe(true);
        if (sources.size > 0) expect(ta[LEDGER_MODELS_FILE]).toBe(`${[...sources].map((s) => s.split('/')[2]).sort().join(',')}\n`);
        // Merging the result with either side again changes nothing.
        const again = await planUnionMerge(ab, b, derive);
        expect(again.files.size).toBe(0);
      }),
      { numRuns: 40 },
    );
  });

  test('pickFolder prefers the folder whose manifest says more, whichever side it is on', () => {
    const w = (lines: number, digest = 'a') => ({ lines, evidence: lines, files: 2, bytes: 10, digest });
    expect(pickFolder(w(3), w(5))).toEqual({ kept: 'theirs', reason: 'more source lines read (5 vs 3)' });
    expect(pickFolder(w(5), w(3))).toEqual({ kept: 'ours', reason: 'more source lines read (5 vs 3)' });
    expect(pickFolder(w(1, 'b'), w(1, 'a')).kept).toBe('ours');
    expect(pickFolder(w(1, 'a'), w(1, 'b')).kept).toBe('theirs');
  });

  test('unionLines sorts and de-duplicates, whatever each side ended with', () => {
    expect(dec.decode(unionLines(enc.encode('b\na'), enc.encode('c\nb\n')))).toBe('a\nb\nc\n');
    expect(dec.decode(unionLines(null, enc.encode('x\n')))).toBe('x\n');
  });
});
