// Test-only child process: one `git distill run`-shaped writer (real process, so tests can run eight at once or SIGKILL it).
import { createGit } from '../io/git.ts';
import { createGitStore } from './git-store.ts';
import { DEFAULT_DISTILL_REF, LEDGER_MODELS_FILE, playbookFile, receiptFile } from './layout.ts';
import { writeWithRetry, type ChangeWithoutHead, type DistillStore } from './store.ts';

export const FIXTURE_DATE = '2024-06-01T08:00:00+02:00';
export const FIXTURE_TOOL_VERSION = '0.1.0-test';

/**
 * The change a writer makes for `source`: `size` evidence shards and receipts, plus derived files
 * recomputed from what the store holds at head (the ledger lists every distilled source).
 */
export async function buildFixtureChange(store: DistillStore, source: string, size: number): Promise<ChangeWithoutHead> {
  const enc = new TextEncoder();
  const files = new Map<string, Uint8Array>();
  files.set('manifest.json', enc.encode(JSON.stringify({ source_oid: source, shards: size }) + '\n'));
  for (let i = 0; i < size; i++) {
    files.set(`evidence-${String(i).padStart(3, '0')}.jsonl`, enc.encode(`{"run_id":"r${i}","source":"${source}"}\n`.repeat(20)));
    files.set(receiptFile(`stage-${i}`), enc.encode(JSON.stringify({ stage: i, source }) + '\n'));
  }
  const sources = new Set(await store.listSources());
  sources.add(source);
  const derived = new Map<string, Uint8Array | null>();
  derived.set(LEDGER_MODELS_FILE, enc.encode([...sources].sort().map((s) => JSON.stringify({ source: s })).join('\n') + '\n'));
  derived.set(playbookFile(`pb-${source.slice(0, 8)}`), enc.encode(JSON.stringify({ from: source }) + '\n'));
  return { source_oid: source, subject: `fixture ${source.slice(0, 7)}`, files, derived, date: FIXTURE_DATE };
}

/** Write the fixture change for `source` with retry; returns the new head. */
export async function runFixtureWriter(dir: string, source: string, size: number): Promise<string> {
  const store = createGitStore({ git: createGit({ cwd: dir }), ref: DEFAULT_DISTILL_REF, tool_version: FIXTURE_TOOL_VERSION });
  try {
    return await writeWithRetry(store, (head) => buildFixtureChange(store, source, size), {
      attempts: 40,
      sleep: (ms) => Bun.sleep(ms),
      // Jitter so eight writers that lost together do not retry in lockstep.
      backoff_ms: (attempt) => Math.min(200, 5 * 2 ** attempt) * (0.5 + Math.random()),
    });
  } finally {
    await store.close();
  }
}

if (import.meta.main) {
  const [dir, source, size] = process.argv.slice(2);
  if (dir === undefined || source === undefined || size === undefined) {
    process.stderr.write('usage: git-store-writer.fixture.ts <repo-dir> <source-oid> <size>\n');
    process.exit(2);
  }
  const head = await runFixtureWriter(dir, source, Number(size));
  process.stdout.write(head + '\n');
}
