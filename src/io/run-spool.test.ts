// RunSpool: the same groups in the same order whether it stays in memory or spills to disk buckets.
import { expect, test } from 'bun:test';
import fc from 'fast-check';
import { RunSpool, runOrderKey } from './run-spool.ts';

function collect(spool: RunSpool<{ i: number }>): Array<[string, number[]]> {
  return [...spool.groups()].map((g) => [g.run_id, g.records.map((r) => r.i)]);
}

test('spilling to disk changes neither the groups, their order, nor the order inside a group', () => {
  fc.assert(
    fc.property(fc.array(fc.constantFrom('a', 'b', 'run-1', 'run-2', 'codex:x', 'é', 'z'), { maxLength: 200 }), (runIds) => {
      const memory = new RunSpool<{ i: number }>({ memoryRecords: 1_000_000 });
      const spilled = new RunSpool<{ i: number }>({ memoryRecords: 3 });
      try {
        runIds.forEach((id, i) => {
          memory.add(id, { i });
          spilled.add(id, { i });
        });
        const expected = collect(memory);
        expect(collect(spilled)).toEqual(expected);
        // Ordered by sha256 of the run id, then the id: independent of the order runs first appeared.
        const keys = expected.map(([id]) => runOrderKey(id));
        expect(keys).toEqual([...keys].sort());
        expect(spilled.size).toBe(runIds.length);
      } finally {
        memory.dispose();
        spilled.dispose();
      }
    }),
    { numRuns: 50 },
  );
});
