// Test helper: drives a JSONL adapter over a file the way collect will (line numbers, byte offsets, blanks skipped).
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { EvidenceRecordSchema } from '../../../schemas/evidence-record.ts';
import { sha256Hex } from '../../canonical.ts';
import type { ScoredRun } from '../../../schemas/scored-run.ts';
import type { EvidenceRecord } from '../../../schemas/evidence-record.ts';
import type { Adapter, EvidenceDraft, MapRejection } from '../adapter.ts';
import { IngestConfigSchema } from '../../../schemas/config.ts';
import { collectSource, type SourceSummary } from '../collect.ts';
import { collectIo } from '../../wiring.ts';
import { DEFAULT_RULES } from '../../score/rules.ts';
import { SCORER_VERSION, scoreRuns } from '../../score/score.ts';

export interface AdapterRun {
  lines: number;
  blank: number;
  evidence: Array<{ line: number; draft: EvidenceDraft }>;
  /** Lines the adapter rejected, plus lines that are not JSON (code 'invalid_json', collect's job in production). */
  rejections: Array<{ line: number; code: MapRejection['code'] | 'invalid_json'; reason: string }>;
}

/** Runs `adapter` over the JSONL file at `path`: one init, then map per non-blank line. */
export function runAdapterOnFile<S>(adapter: Adapter<S>, path: string): AdapterRun {
  const bytes = readFileSync(path);
  const state = adapter.init(path);
  const run: AdapterRun = { lines: 0, blank: 0, evidence: [], rejections: [] };
  let start = 0;
  while (start < bytes.length) {
    let end = bytes.indexOf(0x0a, start);
    if (end === -1) end = bytes.length;
    run.lines += 1;
    const line = run.lines;
    const text = bytes.subarray(start, end).toString('utf8');
    const at = { source_file: path, line, byte_offset: start, pointer: null };
    start = end + 1;
    if (text.trim().length === 0) {
      run.blank += 1;
      continue;
    }
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      run.rejections.push({ line, code: 'invalid_json', reason: String(error) });
      continue;
    }
    const result = adapter.map(value, at, state);
    if (result.ok) run.evidence.push({ line, draft: result.draft });
    else run.rejections.push({ line, ...result.rejection });
  }
  return run;
}

/** The record collect would build from a draft, with placeholder hashes and provenance, for schema checks. */
export function buildTestRecord(adapterId: string, draft: EvidenceDraft, line: number): EvidenceRecord {
  const zero = '0'.repeat(64);
  return EvidenceRecordSchema.parse({
    ...draft,
    schema_version: 1,
    // Distinct per line, as collect's are: the scorer counts a repeated evidence_id once.
    evidence_id: sha256Hex(`${adapterId}:${line}`),
    source_format: adapterId,
    input_hash: zero,
    output_hash: zero,
    links: [],
    provenance: {
      source_file: 'x.jsonl',
      line_offset: line,
      byte_offset: 0,
      pointer: null,
      sig_hash: zero,
      recorded_at: '2026-01-01T00:00:00Z',
    },
  });
}

/** Counts of a run's evidence by kind, as a plain object with sorted keys. */
export function countByKind(run: AdapterRun): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const { draft } of run.evidence) counts[draft.kind] = (counts[draft.kind] ?? 0) + 1;
  return Object.fromEntries(Object.entries(counts).sort(([a], [b]) => a.localeCompare(b)));
}

/**
 * Where the public sample logs of one format live: $GIT_DISTILL_SAMPLES/<format>, a copy vendored under
 * tests/fixtures/samples/<format>, or the shared checkout beside the repository (../shared/samples/<format>).
 */
export function resolveSamplesDir(format: string): string {
  const repo = join(import.meta.dir, '../../..');
  const candidates = [
    ...(process.env.GIT_DISTILL_SAMPLES !== undefined ? [join(process.env.GIT_DISTILL_SAMPLES, format)] : []),
    join(repo, 'tests/fixtures/samples', format),
    join(repo, '../shared/samples', format),
  ];
  const found = candidates.find((dir) => existsSync(dir));
  if (found === undefined) throw new Error(`no ${format} samples in ${candidates.join(', ')}`);
  return found;
}

/** What a JSON-container adapter made of a document: each item's draft or rejection, with its pointer and line. */
export interface JsonRun {
  items: number;
  evidence: Array<{ pointer: string; line: number; draft: EvidenceDraft }>;
  rejections: Array<{ pointer: string; code: MapRejection['code']; reason: string }>;
}

/** Drives a JSON-container adapter the way collect does: split once, init once, map every item in order. */
export function runJsonAdapter<S>(adapter: Adapter<S>, path: string, doc: unknown = JSON.parse(readFileSync(path, 'utf8'))): JsonRun {
  if (adapter.split === undefined) throw new Error(`${adapter.id} has no split`);
  const split = adapter.split(doc);
  if (!split.ok) throw new Error(`split failed for ${path}: ${split.reason}`);
  const state = adapter.init(path);
  const run: JsonRun = { items: split.items.length, evidence: [], rejections: [] };
  split.items.forEach((item, index) => {
    const result = adapter.map(item.value, { source_file: path, line: index + 1, byte_offset: 0, pointer: item.pointer }, state);
    if (result.ok) run.evidence.push({ pointer: item.pointer, line: index + 1, draft: result.draft });
    else run.rejections.push({ pointer: item.pointer, ...result.rejection });
  });
  return run;
}

/** Collects one file through collect with the real readers and only `adapters` registered, then scores it. */
export async function collectAndScore(
  adapters: readonly Adapter[],
  path: string,
): Promise<{ summary: SourceSummary; records: EvidenceRecord[]; quarantined: string[]; categories: string[] }> {
  const records: EvidenceRecord[] = [];
  const quarantined: string[] = [];
  const summary = await collectSource(
    collectIo(),
    { path, display_path: path, format: null },
    { adapters, recorded_at: '2026-01-01T00:00:00Z', ingest: IngestConfigSchema.parse({}), redact: (t) => t },
    { evidence: (r) => void records.push(r), quarantine: (q) => void quarantined.push(q.pointer ?? String(q.line_offset)) },
  );
  const scored = scoreRuns(records, { rules: DEFAULT_RULES, scored_at: '2026-01-01T00:00:00Z', scorer_version: SCORER_VERSION });
  return { summary, records, quarantined, categories: scored.map((r) => r.category) };
}

/** Evidence drafts counted by kind, keys sorted. */
export function countKinds(drafts: readonly EvidenceDraft[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const d of drafts) counts[d.kind] = (counts[d.kind] ?? 0) + 1;
  return Object.fromEntries(Object.entries(counts).sort(([a], [b]) => a.localeCompare(b)));
}

/** A JSON-container run's drafts counted by kind. */
export function kindsOf(run: JsonRun): Record<string, number> {
  return countKinds(run.evidence.map((e) => e.draft));
}

/** The draft mapped from the item at `pointer`; throws when there is none. */
export function draftAt(run: JsonRun, pointer: string): EvidenceDraft {
  const found = run.evidence.find((e) => e.pointer === pointer);
  if (found === undefined) throw new Error(`no evidence at ${pointer}`);
  return found.draft;
}

/** Token counts summed over drafts (null tokens count as none). */
export function sumTokens(drafts: readonly EvidenceDraft[]): { input: number; output: number; cached: number } {
  const sum = { input: 0, output: 0, cached: 0 };
  for (const d of drafts) {
    if (d.tokens === null) continue;
    sum.input += d.tokens.input;
    sum.output += d.tokens.output;
    sum.cached += d.tokens.cached;
  }
  return sum;
}

/** Every file under `dir`, recursively. */
export function listFilesRecursive(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? listFilesRecursive(path) : [path];
  });
}

/** What detection sees for a sample: the whole document of a JSON container, the first parsed line of JSONL, else null. */
export function probeValue(path: string): unknown {
  const text = readFileSync(path, 'utf8');
  if (/\.(json|traj)$/.test(path)) return JSON.parse(text);
  if (path.endsWith('.jsonl')) {
    const line = text.split('\n').find((l) => l.trim().length > 0);
    return line === undefined ? null : JSON.parse(line);
  }
  return null;
}

/** A JSON-container run's drafts as records (one per item line), scored with the default rules. */
export function scoreJsonRun(adapterId: string, run: JsonRun): ScoredRun[] {
  const records = run.evidence.map(({ draft, line }) => buildTestRecord(adapterId, draft, line));
  return scoreRuns(records, { rules: DEFAULT_RULES, scored_at: '2026-01-01T00:00:00Z', scorer_version: SCORER_VERSION });
}
