// Verifies one distilled commit folder: file hashes against the manifest and receipts, the receipt chain, every record's schema, the counts; pure.
import { canonicalJson, sha256Hex } from '../canonical.ts';
import { COMMIT_FILES } from '../store/layout.ts';
import type { Manifest } from '../../schemas/manifest.ts';
import type { Receipt } from '../../schemas/receipt.ts';
import { parseFolder, type ParsedFolder, type ParsedReceipt, type ParseIssue } from './parse-folder.ts';

export type ProblemCode =
  /** A file the manifest lists is not in the folder. */
  | 'missing'
  /** A file is in the folder but the manifest does not list it. */
  | 'unlisted'
  /** A file's bytes do not hash to what the manifest, a receipt or the chain recorded. */
  | 'sha256'
  /** A receipt's prev_receipt_sha256 breaks the chain, or its stage is not where the manifest says. */
  | 'chain'
  | 'utf8'
  | 'json'
  | 'canonical'
  | 'schema'
  /** A count (manifest or receipt) disagrees with the records in the folder. */
  | 'count'
  /** A field the manifest and the receipts must share (source oid, tool version, config hash) differs. */
  | 'mismatch';

export interface Problem {
  /** Folder-relative path of the file to blame. */
  path: string;
  /** 1-based line of a .jsonl file, or null. */
  line: number | null;
  code: ProblemCode;
  message: string;
}

export interface VerifyOptions {
  /** The source oid the folder is stored under; null skips that check. */
  source_oid: string | null;
}

/**
 * Manifest fields no hash, receipt or record in the folder pins down: a changed byte in these alone can
 * pass verify. Everything else in the folder is covered (see also RECEIPT_SEALED_MANIFEST_FIELDS). (Closing this needs a seal outside the manifest,
 * e.g. its sha256 in the distill commit's trailers.)
 */
export const UNSEALED_MANIFEST_FIELDS = ['subject', 'committed_at', 'formats'] as const;

/**
 * Sealed only when a receipt records the same figures (`runs_by:<rule>`, `redacted:<rule>`, `in` and
 * `blank`), as the run pipeline's link and collect receipts do.
 */
export const RECEIPT_SEALED_MANIFEST_FIELDS = ['links_by', 'redactions_by_rule', 'counts.lines', 'counts.blank'] as const;

/** Abbreviate a sha256 for messages; the full value is in the stored files. */
export function shortSha(sha: string | null): string {
  return sha === null ? 'null' : `${sha.slice(0, 12)}…`;
}

/** Who recorded a file's sha256. */
interface Witness {
  /** The file that holds the record (manifest.json or receipts/<stage>.json). */
  by: string;
  /** How a message names it. */
  label: string;
  sha256: string;
}

// Hash problems first: they name the file that changed. Counts last: they are usually a consequence.
const PHASE: Record<ProblemCode, number> = {
  missing: 1,
  unlisted: 1,
  sha256: 1,
  chain: 2,
  utf8: 3,
  json: 3,
  canonical: 3,
  schema: 3,
  count: 4,
  mismatch: 4,
};

function phaseOf(p: Problem): number {
  // An unreadable manifest comes before everything: nothing else can be checked against it.
  if (p.path === COMMIT_FILES.manifest && PHASE[p.code] === 3) return 0;
  return PHASE[p.code];
}

function comparePaths(a: string, b: string): number {
  if (a === b) return 0;
  if (a === COMMIT_FILES.manifest) return -1;
  if (b === COMMIT_FILES.manifest) return 1;
  return a < b ? -1 : 1;
}

/** Problems in the order a reader should fix them; the first names the file most likely changed. */
export function sortProblems(problems: Problem[]): Problem[] {
  // Array.prototype.sort is stable: within one file, line order is kept.
  return [...problems].sort((a, b) => phaseOf(a) - phaseOf(b) || comparePaths(a.path, b.path));
}

function countLines(bytes: Uint8Array | undefined): number {
  if (bytes === undefined) return 0;
  let n = 0;
  let start = 0;
  for (let i = 0; i <= bytes.length; i++) {
    if (i === bytes.length || bytes[i] === 10) {
      if (i > start) n++;
      start = i + 1;
    }
  }
  return n;
}

/** Receipts in chain order: the manifest's stages when it has them, else followed from the null link. */
function chainOrder(manifest: Manifest | null, receipts: ParsedReceipt[], actual: Map<string, string>): ParsedReceipt[] {
  const byStage = new Map(receipts.map((r) => [r.stage, r]));
  if (manifest !== null) return manifest.stages.flatMap((s) => byStage.get(s) ?? []);
  const order: ParsedReceipt[] = [];
  let prev: string | null = null;
  const left = new Set(receipts.filter((r) => r.receipt !== null));
  for (;;) {
    const next = [...left].find((r) => r.receipt?.prev_receipt_sha256 === prev);
    if (next === undefined) break;
    order.push(next);
    left.delete(next);
    prev = actual.get(next.path) ?? null;
  }
  return order;
}

function issueProblem(i: ParseIssue): Problem {
  return { path: i.path, line: i.line, code: i.code, message: i.message };
}

function checkHashes(files: ReadonlyMap<string, Uint8Array>, folder: ParsedFolder, order: ParsedReceipt[], actual: Map<string, string>, out: Problem[]): void {
  const witnesses = new Map<string, Witness[]>();
  const witness = (path: string, w: Witness) => witnesses.set(path, [...(witnesses.get(path) ?? []), w]);
  const { manifest } = folder;

  if (manifest !== null) {
    const listed = new Set<string>();
    for (const f of manifest.files) {
      if (listed.has(f.path)) out.push({ path: COMMIT_FILES.manifest, line: null, code: 'schema', message: `files lists ${f.path} twice` });
      listed.add(f.path);
      if (f.path === COMMIT_FILES.manifest) {
        out.push({ path: COMMIT_FILES.manifest, line: null, code: 'schema', message: 'files lists manifest.json itself' });
        continue;
      }
      if (!files.has(f.path)) out.push({ path: f.path, line: null, code: 'missing', message: 'listed in manifest.json but missing from the folder' });
      else witness(f.path, { by: COMMIT_FILES.manifest, label: 'manifest', sha256: f.sha256 });
    }
    for (const path of files.keys()) {
      if (path !== COMMIT_FILES.manifest && !listed.has(path)) {
        out.push({ path, line: null, code: 'unlisted', message: 'is in the folder but not listed in manifest.json' });
      }
    }
  }
  for (const r of folder.receipts) {
    for (const f of r.receipt?.output_files ?? []) {
      // A file the manifest also lists is reported missing once, on itself; one only this receipt names blames the receipt.
      if (!files.has(f.path)) {
        if (!manifest?.files.some((m) => m.path === f.path)) out.push({ path: r.path, line: null, code: 'missing', message: `lists the output ${f.path}, which is missing from the folder` });
      }
      else witness(f.path, { by: r.path, label: r.path, sha256: f.sha256 });
    }
  }
  order.forEach((r, i) => {
    const prev = r.receipt?.prev_receipt_sha256;
    if (r.receipt === null || prev === undefined) return;
    const before = order[i - 1];
    if (before === undefined) {
      if (prev !== null) out.push({ path: r.path, line: null, code: 'chain', message: `prev_receipt_sha256 is ${shortSha(prev)} but ${r.stage} is the first stage (expected null)` });
    } else if (prev === null) {
      out.push({ path: r.path, line: null, code: 'chain', message: `prev_receipt_sha256 is null but ${r.stage} follows ${before.stage} (expected the sha256 of ${before.path})` });
    } else {
      witness(before.path, { by: r.path, label: `the prev_receipt_sha256 of ${r.path}`, sha256: prev });
    }
  });

  for (const [path, list] of [...witnesses].sort(([a], [b]) => comparePaths(a, b))) {
    const sha = actual.get(path);
    if (sha === undefined) continue;
    const agreeing = list.filter((w) => w.sha256 === sha);
    for (const w of list) {
      if (w.sha256 === sha) continue;
      if (agreeing.length > 0) {
        // The file agrees with another record of it: the record that differs is what changed.
        const others = [...new Set(agreeing.map((a) => a.by))].join(', ');
        out.push({ path: w.by, line: null, code: 'sha256', message: `records ${path} as sha256 ${shortSha(w.sha256)}, but the file is ${shortSha(sha)} (as ${others} records)` });
      } else {
        out.push({ path, line: null, code: 'sha256', message: `sha256 ${shortSha(sha)} does not match ${w.label} (${shortSha(w.sha256)})` });
      }
    }
  }
}

function checkStages(folder: ParsedFolder, files: ReadonlyMap<string, Uint8Array>, out: Problem[]): void {
  const { manifest } = folder;
  for (const r of folder.receipts) {
    if (r.receipt !== null && r.receipt.stage !== r.stage) {
      out.push({ path: r.path, line: null, code: 'chain', message: `stage is ${JSON.stringify(r.receipt.stage)} but the file is named for ${JSON.stringify(r.stage)}` });
    }
  }
  if (manifest === null) return;
  const seen = new Set<string>();
  for (const stage of manifest.stages) {
    if (seen.has(stage)) out.push({ path: COMMIT_FILES.manifest, line: null, code: 'chain', message: `stages names ${stage} twice` });
    seen.add(stage);
    const path = `receipts/${stage}.json`;
    const listed = manifest.files.some((f) => f.path === path);
    // A listed file that is absent is already reported as missing.
    if (!files.has(path) && !listed) out.push({ path, line: null, code: 'missing', message: `stage ${stage} is in manifest.json stages but has no receipt` });
  }
  for (const r of folder.receipts) {
    if (!seen.has(r.stage)) out.push({ path: COMMIT_FILES.manifest, line: null, code: 'chain', message: `stages does not name ${r.stage}, yet ${r.path} exists` });
  }
}

/** The one value every receipt agrees on that differs from the manifest's, blaming the manifest; else blame each differing receipt. */
function checkShared(
  manifest: Manifest,
  receipts: Array<{ path: string; receipt: Receipt }>,
  field: string,
  ofManifest: string,
  ofReceipt: (r: Receipt) => string | null,
  out: Problem[],
): void {
  const differing = receipts.filter((r) => {
    const v = ofReceipt(r.receipt);
    return v !== null && v !== ofManifest;
  });
  if (differing.length === 0) return;
  const values = new Set(differing.map((r) => ofReceipt(r.receipt)));
  if (differing.length === receipts.length && values.size === 1) {
    out.push({ path: COMMIT_FILES.manifest, line: null, code: 'mismatch', message: `${field} is ${ofManifest} but every receipt says ${[...values][0]}` });
    return;
  }
  for (const r of differing) {
    out.push({ path: r.path, line: null, code: 'mismatch', message: `${field} is ${ofReceipt(r.receipt)} but manifest.json says ${ofManifest}` });
  }
}

function checkCounts(folder: ParsedFolder, files: ReadonlyMap<string, Uint8Array>, actual: Map<string, string>, opts: VerifyOptions, out: Problem[]): void {
  const { manifest } = folder;
  const receipts = folder.receipts.flatMap((r) => (r.receipt === null ? [] : [{ path: r.path, receipt: r.receipt }]));

  // Which receipts write each file: `out` is a line count only for the sole writer of a single file
  // (collect's `out` counts evidence read, some of which may wait for a later commit; link rewrites evidence).
  const writers = new Map<string, number>();
  for (const { receipt } of receipts) for (const f of receipt.output_files) writers.set(f.path, (writers.get(f.path) ?? 0) + 1);
  for (const { path, receipt } of receipts) {
    const [only, ...rest] = receipt.output_files;
    const countOut = receipt.record_counts['out'];
    if (only !== undefined && rest.length === 0 && only.path.endsWith('.jsonl') && writers.get(only.path) === 1 && countOut !== undefined && files.has(only.path)) {
      const n = countLines(files.get(only.path));
      if (n !== countOut) out.push({ path, line: null, code: 'count', message: `record_counts.out is ${countOut} but ${only.path} has ${n} records` });
    }
    // A stage that read a file of this folder recorded its hash, size and lines: they must be the file's.
    for (const input of receipt.input_files) {
      const bytes = files.get(input.path);
      if (bytes === undefined) continue;
      const lines = countLines(bytes);
      if (input.sha256 !== actual.get(input.path)) {
        out.push({ path, line: null, code: 'sha256', message: `read ${input.path} as sha256 ${shortSha(input.sha256)}, but the file is ${shortSha(actual.get(input.path) ?? null)}` });
      } else if (input.bytes !== bytes.length || input.lines !== lines) {
        out.push({ path, line: null, code: 'count', message: `read ${input.path} as ${input.bytes} bytes, ${input.lines} lines, but it has ${bytes.length} bytes, ${lines} lines` });
      }
    }
  }

  if (manifest === null) return;
  const m = COMMIT_FILES.manifest;
  if (opts.source_oid !== null && manifest.source_oid !== opts.source_oid) {
    out.push({ path: m, line: null, code: 'mismatch', message: `source_oid is ${manifest.source_oid} but the folder belongs to ${opts.source_oid}` });
  }
  checkShared(manifest, receipts, 'git_sha', manifest.source_oid, (r) => r.git_sha, out);
  checkShared(manifest, receipts, 'tool_version', manifest.tool_version, (r) => r.tool_version, out);
  checkShared(manifest, receipts, 'config_sha256', manifest.config_sha256, (r) => r.config_sha256, out);

  const c = manifest.counts;
  const pairs: Array<[string, number, string, number]> = [
    ['counts.evidence', c.evidence, COMMIT_FILES.evidence, folder.evidence.documents],
    ['counts.quarantined', c.quarantined, COMMIT_FILES.quarantine, folder.quarantine.documents],
    ['counts.runs', c.runs, COMMIT_FILES.scored, folder.scored.documents],
  ];
  for (const [field, stated, file, found] of pairs) {
    if (stated !== found) out.push({ path: m, line: null, code: 'count', message: `${field} is ${stated} but ${file} has ${found} records` });
  }
  if (folder.scored.records.length === folder.scored.documents) {
    const tally = { accepted: 0, partially_accepted: 0, rejected: 0, needs_human_review: 0 };
    for (const run of folder.scored.records) tally[run.category]++;
    for (const [cat, n] of Object.entries(tally) as Array<[keyof typeof tally, number]>) {
      if (c.runs_by_category[cat] !== n) out.push({ path: m, line: null, code: 'count', message: `counts.runs_by_category.${cat} is ${c.runs_by_category[cat]} but scored.jsonl has ${n}` });
    }
    const rules = new Set(folder.scored.records.map((r) => r.rules_sha256));
    rules.delete(manifest.rules_sha256);
    if (rules.size > 0) out.push({ path: m, line: null, code: 'mismatch', message: `rules_sha256 is ${shortSha(manifest.rules_sha256)} but scored.jsonl was scored with ${[...rules].map(shortSha).join(', ')}` });
  }
  const redacted = Object.values(manifest.redactions_by_rule).reduce((a, n) => a + n, 0);
  if (redacted !== c.redacted) out.push({ path: m, line: null, code: 'count', message: `counts.redacted is ${c.redacted} but redactions_by_rule sums to ${redacted}` });

  // Where a receipt tallies per rule (`redacted:<rule>`, `runs_by:<link rule>`) or counts the lines it read
  // (`in` beside `blank`), the manifest's copy must be the same numbers.
  for (const { path, receipt } of receipts) {
    const rc = receipt.record_counts;
    const keys = Object.keys(rc);
    const tally = (prefix: string) => Object.fromEntries(keys.filter((k) => k.startsWith(prefix)).map((k) => [k.slice(prefix.length), rc[k]!]));
    const sameTally = (a: Record<string, number>, b: Record<string, number>) => canonicalJson(a) === canonicalJson(b);
    const redactedByRule = tally('redacted:');
    if (Object.keys(redactedByRule).length > 0 && !sameTally(redactedByRule, manifest.redactions_by_rule)) {
      out.push({ path: m, line: null, code: 'count', message: `redactions_by_rule is ${canonicalJson(manifest.redactions_by_rule)} but ${path} records ${canonicalJson(redactedByRule)}` });
    }
    const runsBy = tally('runs_by:');
    if (keys.some((k) => k.startsWith('runs_by:')) && !sameTally(runsBy, manifest.links_by)) {
      out.push({ path: m, line: null, code: 'count', message: `links_by is ${canonicalJson(manifest.links_by)} but ${path} records ${canonicalJson(runsBy)}` });
    }
    if (rc['blank'] !== undefined && rc['in'] !== undefined && (rc['blank'] !== c.blank || rc['in'] !== c.lines)) {
      out.push({ path: m, line: null, code: 'count', message: `counts.lines/blank are ${c.lines}/${c.blank} but ${path} read ${rc['in']}/${rc['blank']}` });
    }
  }
}

/**
 * Every problem of one distilled commit folder (folder-relative path → bytes), sorted so the first names
 * the file that most likely changed. Empty when the folder verifies.
 */
export function verifyFolder(files: ReadonlyMap<string, Uint8Array>, opts: VerifyOptions = { source_oid: null }): Problem[] {
  const out: Problem[] = [];
  const actual = new Map([...files].map(([path, bytes]) => [path, sha256Hex(bytes)]));
  const folder = parseFolder(files);
  if (!files.has(COMMIT_FILES.manifest)) {
    out.push({ path: COMMIT_FILES.manifest, line: null, code: 'schema', message: 'is missing: the folder has no manifest' });
  }
  out.push(...folder.issues.map(issueProblem));
  const order = chainOrder(folder.manifest, folder.receipts, actual);
  checkHashes(files, folder, order, actual, out);
  checkStages(folder, files, out);
  checkCounts(folder, files, actual, opts, out);
  return sortProblems(out);
}

/** One problem as a line: `commits/ab/<oid>/evidence.jsonl: sha256 … does not match manifest (…)`. */
export function renderProblem(folderPath: string, p: Problem): string {
  return `${folderPath}/${p.path}: ${p.message}`;
}
