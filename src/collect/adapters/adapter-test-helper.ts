// Test helper: drives a JSONL adapter over a file the way collect will (line numbers, byte offsets, blanks skipped).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EvidenceRecordSchema } from '../../../schemas/evidence-record.ts';
import type { EvidenceRecord } from '../../../schemas/evidence-record.ts';
import type { Adapter, EvidenceDraft, MapRejection } from '../adapter.ts';

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
    evidence_id: zero,
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
