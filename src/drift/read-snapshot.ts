// The drift check's edge: read the requirement docs and everything their claims name from git at one commit (never the working tree).
import type { DriftConfig } from '../../schemas/config.ts';
import type { EvidenceRecord } from '../../schemas/evidence-record.ts';
import type { PrdDriftSnapshot, PriorSignal } from '../../checks/prd-drift.ts';
import type { Git } from '../io/git.ts';
import { parseRequirementDoc } from './parse-requirements.ts';

const decoder = new TextDecoder();

/** Every blob in the commit's tree: path → blob oid (submodules and symlinks included as paths). */
async function readTree(git: Git, commit: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  // One read of the whole listing: a record at a time through an async generator costs more than the parse.
  for (const rec of (await git.run(['ls-tree', '-r', '-z', '--full-tree', commit])).stdoutText.split('\0')) {
    const tab = rec.indexOf('\t');
    if (tab < 0) continue;
    const [, type, oid] = rec.slice(0, tab).split(' ');
    if (type === 'blob' || type === 'commit') out.set(rec.slice(tab + 1), oid as string);
  }
  return out;
}

/** The configured docs present in the tree: exact paths and globs, sorted, each once. */
export function selectDocs(paths: Iterable<string>, docs: readonly string[]): string[] {
  const all = [...paths];
  const globs = docs.filter((d) => /[*?[{]/.test(d)).map((d) => new Bun.Glob(d));
  const exact = new Set(docs.filter((d) => !/[*?[{]/.test(d)));
  return all.filter((p) => exact.has(p) || globs.some((g) => g.match(p))).sort();
}

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** `git grep` at the commit; exit 1 is "no match", not a failure. */
async function grep(git: Git, args: string[]): Promise<string> {
  const r = await git.run(['grep', '-I', '-z', '--no-color', ...args], { allowExit: [1] });
  return r.exitCode === 1 ? '' : r.stdoutText;
}

/**
 * Pathspecs that keep Markdown and the docs themselves out of code lookups: a doc naming a symbol does not implement
 * it. The docs are excluded as configured (paths or globs), so a lookup can start before the tree is listed.
 */
function codePathspecs(docs: readonly string[], only: readonly string[] | null): string[] {
  const where = only === null ? ['.'] : only.map((p) => `:(literal)${p}`);
  return ['--', ...where, ':(exclude,glob)**/*.md', ':(exclude,glob)**/*.mdx', ...docs.map((p) => (/[*?[{]/.test(p) ? `:(exclude,glob)${p}` : `:(exclude,literal)${p}`))];
}

/** Symbol → the files (sorted) where it occurs as a whole word at the commit; `only` limits the files looked at. */
export async function readSymbolHits(git: Git, commit: string, symbols: readonly string[], docs: readonly string[], only: readonly string[] | null = null): Promise<Record<string, string[]>> {
  const hits: Record<string, Set<string>> = {};
  if (symbols.length === 0 || only?.length === 0) return {};
  const prefix = `${commit}:`;
  const text = await grep(git, ['-o', '-w', '-F', ...symbols.flatMap((s) => ['-e', s]), commit, ...codePathspecs(docs, only)]);
  for (const line of text.split('\n')) {
    const nul = line.indexOf('\0');
    if (nul < 0) continue;
    const path = line.slice(line.startsWith(prefix) ? prefix.length : 0, nul);
    const symbol = line.slice(nul + 1);
    (hits[symbol] ??= new Set()).add(path);
  }
  return Object.fromEntries(Object.entries(hits).map(([s, set]) => [s, [...set].sort()]));
}

const TRACE_ID = '[A-Za-z][A-Za-z0-9_]*(?:[-.][A-Za-z0-9_]+)*';
const TRACE_ID_STRICT = '[A-Z][A-Za-z0-9_]*(?:[-.][A-Za-z0-9_]+)+';

/** Trace tags (`@req FR-012`) at the commit, by path and line; `only` limits the files looked at. */
export async function readTraces(git: Git, commit: string, tags: readonly string[], docs: readonly string[], only: readonly string[] | null = null): Promise<PrdDriftSnapshot['traces']> {
  if (tags.length === 0 || only?.length === 0) return [];
  const tagAlt = tags.map(escapeRegex).join('|');
  const text = await grep(git, ['-n', '-E', '-e', `(${tagAlt})([^A-Za-z0-9_-]|$)`, commit, ...codePathspecs(docs, only)]);
  // `@req FR-1, FR-2` or `@req FR-1 FR-2`: after the first id, only id-shaped words (with a dash or dot) continue the list.
  const tagRe = new RegExp(`(?:${tagAlt})(?![\\w-])[:=]?\\s*(${TRACE_ID}(?:(?:\\s*[,;]\\s*|\\s+)${TRACE_ID_STRICT})*)`, 'g');
  const prefix = `${commit}:`;
  const out: Array<{ id: string; path: string; line: number }> = [];
  for (const rec of text.split('\n')) {
    const [rawPath, lineNo, content] = rec.split('\0');
    if (rawPath === undefined || lineNo === undefined || content === undefined) continue;
    const path = rawPath.startsWith(prefix) ? rawPath.slice(prefix.length) : rawPath;
    for (const m of content.matchAll(tagRe)) {
      for (const id of m[1]!.split(/[\s,;]+/)) if (id !== '') out.push({ id, path, line: Number(lineNo) });
    }
  }
  return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : a.line - b.line || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)));
}

/** Which of the missing paths some commit in the history deleted (one `git log` limited to those paths). */
async function readDeleted(git: Git, commit: string, missing: readonly string[]): Promise<string[]> {
  if (missing.length === 0) return [];
  const specs = missing.map((p) => (p.includes('/') ? `:(literal)${p}` : `:(glob)**/${p.replace(/[*?[\]]/g, '\\$&')}`));
  const deleted = new Set<string>();
  for await (const rec of git.records(['log', '--format=', '--name-only', '-z', '--diff-filter=D', '--no-renames', commit, '--', ...specs], 0)) {
    const path = rec.replace(/^\n+/, '');
    if (path !== '') deleted.add(path);
  }
  return missing.filter((m) => [...deleted].some((d) => d === m || d.endsWith(`/${m}`) || d.startsWith(`${m}/`))).sort();
}

async function readStamps(git: Git, commit: string, shas: readonly string[]): Promise<PrdDriftSnapshot['stamps']> {
  const out: Record<string, { commit: string | null; changed_paths: string[] }> = {};
  for (const sha of shas) {
    const r = await git.run(['rev-parse', '--verify', '--quiet', `${sha}^{commit}`], { allowExit: [1, 128] });
    const resolved = r.exitCode === 0 ? r.stdoutText.trim() : null;
    if (resolved === null) {
      out[sha] = { commit: null, changed_paths: [] };
      continue;
    }
    const diff = await git.run(['diff', '--name-only', '-z', '--no-renames', resolved, commit, '--']);
    out[sha] = { commit: resolved, changed_paths: diff.stdoutText.split('\0').filter((p) => p !== '').sort() };
  }
  return out;
}

/** An EvidenceRecord of the auditor loop's drift streams as the check reads it. */
export function priorSignalOf(record: Pick<EvidenceRecord, 'kind' | 'run_id' | 'task_id' | 'task_type' | 'failure_markers' | 'success_markers' | 'output_text' | 'source_files'>, sourceOid: string): PriorSignal | null {
  if (record.kind !== 'drift_signal') return null;
  const phase = record.task_id.startsWith('phase:') ? record.task_id.slice('phase:'.length) : record.task_id.startsWith('doc:phase-') ? record.task_id.slice('doc:phase-'.length) : null;
  const doc = record.task_id.startsWith('doc:') && !record.task_id.startsWith('doc:phase-') ? record.task_id.slice('doc:'.length) : (record.source_files[0] ?? null);
  return {
    run_id: record.run_id,
    task_type: record.task_type,
    phase,
    doc,
    failures: [...record.failure_markers],
    successes: [...record.success_markers],
    summary: (record.output_text ?? '').split('\n')[0] ?? '',
    source_oid: sourceOid,
  };
}

export interface ReadSnapshotInput {
  git: Git;
  /** Full oid of the commit to check. */
  commit: string;
  config: DriftConfig;
  /** The auditor loop's drift signals distilled under this commit and its ancestors; asked only when the commit has docs. */
  readPriorSignals(): Promise<PriorSignal[]>;
}

/**
 * The snapshot prd_drift needs at one commit, or null when the commit's tree holds none of the configured docs.
 * Reads: the tree (ls-tree), the docs' blobs, one `git grep` for the symbols they name, one for trace tags, one
 * `git log` for the missing paths' deletions, and per verified stamp a `rev-parse` and a `diff --name-only`.
 */
export async function readDriftSnapshot(input: ReadSnapshotInput): Promise<PrdDriftSnapshot | null> {
  const { git, commit, config } = input;
  // Most commits of most repositories have none of the docs: ask for exactly those paths before listing the whole tree.
  if (!config.docs.some((d) => /[*?[{]/.test(d))) {
    const probe = await git.run(['ls-tree', '-z', '--name-only', commit, '--', ...config.docs.map((d) => `:(literal)${d}`)]);
    if (probe.stdoutText === '') return null;
  }
  // The trace tags do not depend on what the docs say: that grep runs while the tree is listed and the docs parsed.
  const tracesRead = readTraces(git, commit, config.trace_tags, config.docs);
  // Handled here too, so a failure before it is awaited below is not an unhandled rejection; the await still throws.
  tracesRead.catch(() => undefined);
  const tree = await readTree(git, commit);
  const docPaths = selectDocs(tree.keys(), config.docs);
  if (docPaths.length === 0) return null;
  const cat = git.catFileBatch();
  const docs: Array<{ path: string; blob_oid: string; text: string }> = [];
  try {
    for (const path of docPaths) {
      const oid = tree.get(path) as string;
      const obj = await cat.read(oid);
      if (obj === null || obj.type !== 'blob') continue;
      docs.push({ path, blob_oid: oid, text: decoder.decode(obj.content) });
    }
  } finally {
    await cat.close();
  }
  const parsed = docs.map((d) => parseRequirementDoc(d.path, d.text, { id_patterns: config.id_patterns }));
  const symbols = new Set<string>();
  const paths = new Set<string>();
  const stamps = new Set<string>();
  for (const doc of parsed) {
    for (const c of doc.claims) {
      for (const r of c.refs) {
        if (r.kind === 'symbol') symbols.add(r.target);
        if (r.kind === 'path') paths.add(r.target.replace(/\/+$/, ''));
      }
    }
    for (const s of doc.stamps) stamps.add(s.sha);
  }
  const treePaths = [...tree.keys()].sort();
  const dirs = new Set<string>();
  const basenames = new Set<string>();
  for (const p of treePaths) {
    const parts = p.split('/');
    basenames.add(parts[parts.length - 1] as string);
    for (let i = 1; i < parts.length; i++) dirs.add(parts.slice(0, i).join('/'));
  }
  // Only a path that resolves nowhere in the tree can have been deleted; the check resolves the rest.
  const missing = [...paths].filter((p) => !tree.has(p) && !dirs.has(p) && !basenames.has(p.slice(p.lastIndexOf('/') + 1))).sort();
  // Independent reads, side by side: each is a git process (or the store) and mostly waits.
  const [symbol_hits, traces, deleted_paths, stampFacts, prior_signals] = await Promise.all([
    readSymbolHits(git, commit, [...symbols].sort(), config.docs),
    tracesRead,
    readDeleted(git, commit, missing),
    readStamps(git, commit, [...stamps].sort()),
    input.readPriorSignals(),
  ]);
  return {
    commit_oid: commit,
    docs,
    tree_paths: treePaths,
    test_globs: config.test_globs,
    id_patterns: config.id_patterns,
    symbol_hits,
    traces,
    deleted_paths,
    stamps: stampFacts,
    prior_signals,
  };
}
