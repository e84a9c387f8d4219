// The hashed line writer: what it reports is what the file holds, even over a longer file from an earlier run.
import { expect, test } from 'bun:test';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sha256Hex } from '../canonical.ts';
import { openHashedWriter } from './fs.ts';

test('openHashedWriter replaces a longer file instead of writing over its start', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'fs-test-'));
  try {
    const path = join(dir, 'out', 'evidence.jsonl');
    const first = openHashedWriter(path);
    for (let i = 0; i < 100; i++) first.write(`{"old":${i}}`);
    await first.close();
    const second = openHashedWriter(path);
    second.write('{"new":1}');
    const digest = await second.close();
    const text = readFileSync(path, 'utf8');
    expect(text).toBe('{"new":1}\n');
    expect(digest).toEqual({ sha256: sha256Hex(text), bytes: 10, lines: 1 });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
