// Parses a distilled commit folder (relative path → bytes) into typed records, keeping every line that fails and why; pure.
import type { z } from 'zod';
import { canonicalJson } from '../canonical.ts';
import { COMMIT_FILES, RECEIPTS_DIR } from '../store/layout.ts';
import { DriftReportSchema, type DriftReport } from '../../schemas/drift-report.ts';
import { EvidenceRecordSchema, type EvidenceRecord } from '../../schemas/evidence-record.ts';
import { ManifestSchema, type Manifest } from '../../schemas/manifest.ts';
import { QuarantineEntrySchema, type QuarantineEntry } from '../../schemas/quarantine-entry.ts';
import { ReceiptSchema, type Receipt } from '../../schemas/receipt.ts';
import { ScoredRunSchema, type ScoredRun } from '../../schemas/scored-run.ts';
import { ScratchpadSummarySchema, type ScratchpadSummary } from '../../schemas/scratchpad-summary.ts';
import { safeParseRecord } from '../../schemas/versioned.ts';

/** Why one document (a .json file or one .jsonl line) could not be read as its record. */
export interface ParseIssue {
  /** Folder-relative path. */
  path: string;
  /** 1-based line for .jsonl files; null for whole-document files. */
  line: number | null;
  code: 'utf8' | 'json' | 'canonical' | 'schema';
  message: string;
}

export interface ParsedFile<T> {
  /** Records that parsed and validated, in file order. */
  records: T[];
  /** Documents in the file (non-empty .jsonl lines, or 1 for a .json file); 0 when the file is absent. */
  documents: number;
  present: boolean;
}

export interface ParsedReceipt {
  /** `receipts/<stage>.json`. */
  path: string;
  /** The stage the file name says. */
  stage: string;
  receipt: Receipt | null;
}

export interface ParsedFolder {
  manifest: Manifest | null;
  evidence: ParsedFile<EvidenceRecord>;
  scored: ParsedFile<ScoredRun>;
  quarantine: ParsedFile<QuarantineEntry>;
  scratchpads: ParsedFile<ScratchpadSummary>;
  drift: DriftReport | null;
  /** Every `receipts/*.json`, sorted by path (chain order is the manifest's business). */
  receipts: ParsedReceipt[];
  issues: ParseIssue[];
}

/** Issues kept per file: a file of a million bad lines says so once, not a million times. */
export const ISSUES_PER_FILE = 20;

const decoder = new TextDecoder('utf-8', { fatal: true });

/** The stage named by a receipt path `receipts/<stage>.json`, or null for any other path. */
export function stageOfReceiptPath(path: string): string | null {
  if (!path.startsWith(`${RECEIPTS_DIR}/`) || !path.endsWith('.json')) return null;
  const stage = path.slice(RECEIPTS_DIR.length + 1, -'.json'.length);
  return stage === '' || stage.includes('/') ? null : stage;
}

class IssueSink {
  readonly issues: ParseIssue[] = [];
  private readonly perFile = new Map<string, number>();

  add(issue: ParseIssue): void {
    const n = (this.perFile.get(issue.path) ?? 0) + 1;
    this.perFile.set(issue.path, n);
    if (n <= ISSUES_PER_FILE) this.issues.push(issue);
  }

  /** Append "and N more" for files whose issues were cut. */
  finish(): ParseIssue[] {
    for (const [path, n] of this.perFile) {
      if (n > ISSUES_PER_FILE) {
        this.issues.push({ path, line: null, code: 'schema', message: `and ${n - ISSUES_PER_FILE} more invalid documents` });
      }
    }
    return this.issues;
  }
}

function decode(bytes: Uint8Array, path: string, sink: IssueSink): string | null {
  try {
    return decoder.decode(bytes);
  } catch {
    sink.add({ path, line: null, code: 'utf8', message: 'is not valid UTF-8' });
    return null;
  }
}

/** Parse one canonical JSON document against its schema; null (and an issue) when it is not one. */
function parseDocument<S extends z.ZodType>(
  text: string,
  schema: S,
  kind: string,
  path: string,
  line: number | null,
  sink: IssueSink,
): z.output<S> | null {
  const where = line === null ? '' : `line ${line}: `;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    sink.add({ path, line, code: 'json', message: `${where}not valid JSON (${(error as Error).message})` });
    return null;
  }
  // Stored files are canonical JSON; any other spelling of the same value means the bytes were edited.
  if (canonicalJson(value) !== text) {
    sink.add({ path, line, code: 'canonical', message: `${where}not canonical JSON (keys sorted, no whitespace)` });
  }
  const parsed = safeParseRecord(schema, kind, value);
  if (!parsed.ok) {
    sink.add({ path, line, code: 'schema', message: `${where}${parsed.error.message}` });
    return null;
  }
  return parsed.value;
}

function parseJsonl<S extends z.ZodType>(
  files: ReadonlyMap<string, Uint8Array>,
  path: string,
  schema: S,
  kind: string,
  sink: IssueSink,
): ParsedFile<z.output<S>> {
  const bytes = files.get(path);
  if (bytes === undefined) return { records: [], documents: 0, present: false };
  const text = decode(bytes, path, sink);
  if (text === null) return { records: [], documents: 0, present: true };
  if (text === '') return { records: [], documents: 0, present: true };
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  else sink.add({ path, line: lines.length, code: 'canonical', message: `line ${lines.length}: no newline at end of file` });
  const records: Array<z.output<S>> = [];
  lines.forEach((line, i) => {
    if (line === '') {
      sink.add({ path, line: i + 1, code: 'canonical', message: `line ${i + 1}: blank line` });
      return;
    }
    const record = parseDocument(line, schema, kind, path, i + 1, sink);
    if (record !== null) records.push(record);
  });
  return { records, documents: lines.filter((l) => l !== '').length, present: true };
}

function parseJsonFile<S extends z.ZodType>(
  files: ReadonlyMap<string, Uint8Array>,
  path: string,
  schema: S,
  kind: string,
  sink: IssueSink,
): z.output<S> | null {
  const bytes = files.get(path);
  if (bytes === undefined) return null;
  const text = decode(bytes, path, sink);
  if (text === null) return null;
  if (!text.endsWith('\n')) {
    sink.add({ path, line: null, code: 'canonical', message: 'no newline at end of file' });
    return parseDocument(text, schema, kind, path, null, sink);
  }
  const body = text.slice(0, -1);
  if (body.includes('\n')) {
    sink.add({ path, line: null, code: 'canonical', message: 'not canonical JSON (more than one line)' });
  }
  return parseDocument(body, schema, kind, path, null, sink);
}

/** Read every known file of a folder; unknown files are left to the hash checks. */
export function parseFolder(files: ReadonlyMap<string, Uint8Array>): ParsedFolder {
  const sink = new IssueSink();
  const manifest = parseJsonFile(files, COMMIT_FILES.manifest, ManifestSchema, 'manifest', sink);
  const evidence = parseJsonl(files, COMMIT_FILES.evidence, EvidenceRecordSchema, 'evidence-record', sink);
  const scored = parseJsonl(files, COMMIT_FILES.scored, ScoredRunSchema, 'scored-run', sink);
  const quarantine = parseJsonl(files, COMMIT_FILES.quarantine, QuarantineEntrySchema, 'quarantine-entry', sink);
  const scratchpads = parseJsonl(files, COMMIT_FILES.scratchpads, ScratchpadSummarySchema, 'scratchpad-summary', sink);
  const drift = parseJsonFile(files, COMMIT_FILES.drift, DriftReportSchema, 'drift-report', sink);
  const receipts: ParsedReceipt[] = [];
  for (const path of [...files.keys()].sort()) {
    const stage = stageOfReceiptPath(path);
    if (stage === null) continue;
    receipts.push({ path, stage, receipt: parseJsonFile(files, path, ReceiptSchema, 'receipt', sink) });
  }
  return { manifest, evidence, scored, quarantine, scratchpads, drift, receipts, issues: sink.finish() };
}
