// RunSpool: the same groups in the same order whether it stays in memory or spills to disk buckets.
import { expect, test } from 'bun:test';
import fc from 'fast-check';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RunSpool, runOrderKey } from './run-spool.ts';

function collect(spool: RunSpool<{ i: number }>): Array<[string, number[]]> {
  return [...spool.groups()].map((g) => [g.run_id, g.records.map((r) => r.i)]);
}

test('encoding and spilling to disk change neither the groups, their order, nor the order inside a group', () => {
  fc.assert(
    fc.property(fc.array(fc.constantFrom('a', 'b', 'run-1', 'run-2', 'codex:x', 'é', 'z'), { maxLength: 200 }), (runIds) => {
      const memory = new RunSpool<{ i: number }>({ memoryRecords: 1_000_000 });
      // Encoded lines held in memory only; and lines appended to disk every few records, so a bucket is part file, part held.
      const encoded = new RunSpool<{ i: number }>({ memoryRecords: 3 });
      const spilled = new RunSpool<{ i: number }>({ memoryRecords: 3, memoryChars: 40 });
      try {
        runIds.forEach((id, i) => {
          memory.add(id, { i });
          encoded.add(id, { i });
          spilled.add(id, { i });
        });
        const expected = collect(memory);
        expect(collect(encoded)).toEqual(expected);
        expect(collect(spilled)).toEqual(expected);
        // Ordered by sha256 of the run id, then the id: independent of the order runs first appeared.
        const keys = expected.map(([id]) => runOrderKey(id));
        expect(keys).toEqual([...keys].sort());
        expect(spilled.size).toBe(runIds.length);
      } finally {
        memory.dispose();
        encoded.dispose();
        spilled.dispose();
      }
    }),
    { numRuns: 50 },
  );
});

test('a codec decides what a spilled record looks like on disk, and decoding gives the record back', () => {
  const seen: unknown[] = [];
  const codec = {
    encode: (r: { i: number }) => [r.i * 2],
    decode: (run_id: string, e: unknown) => {
      seen.push([run_id, e]);
      return { i: (e as number[])[0]! / 2 };
    },
  };
  const spool = new RunSpool<{ i: number }>({ memoryRecords: 1, memoryChars: 1, codec });
  try {
    for (const [id, i] of [['a', 1], ['b', 2], ['a', 3]] as const) spool.add(id, { i });
    const groups = [...spool.groups()].map((g) => [g.run_id, g.records.map((r) => r.i)]);
    expect(groups.sort()).toEqual([['a', [1, 3]], ['b', [2]]]);
    expect(seen.map((s) => JSON.stringify(s)).sort()).toEqual(['["a",[2]]', '["a",[6]]', '["b",[4]]']);
  } finally {
    spool.dispose();
  }
});

test('the disk is touched only once the encoded lines pass their budget', () => {
  const root = mkdtempSync(join(tmpdir(), 'spool-test-'));
  try {
    const held = new RunSpool<{ i: number }>({ memoryRecords: 0, memoryChars: 1_000_000, tempRoot: root });
    const spilling = new RunSpool<{ i: number }>({ memoryRecords: 0, memoryChars: 100, tempRoot: root });
    for (let i = 0; i < 50; i++) {
      held.add(`run-${i % 7}`, { i });
      spilling.add(`run-${i % 7}`, { i });
    }
    expect(readdirSync(root)).toHaveLength(1);
    expect(collect(spilling)).toEqual(collect(held));
    held.dispose();
    spilling.dispose();
    expect(readdirSync(root)).toHaveLength(0);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
