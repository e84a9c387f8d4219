// The run pipeline: one locked step per commit — read new source lines, link pending runs, build folders, journal, write the distill branch.
import { canonicalJson, sha256Hex } from '../canonical.ts';
import type { DistillConfig } from '../../schemas/config.ts';
import type { EvidenceRecord } from '../../schemas/evidence-record.ts';
import type { QuarantineEntry } from '../../schemas/quarantine-entry.ts';
import type { Adapter } from '../collect/adapter.ts';
import { collectSource, containerOfPath, type CollectIo, type CollectLine } from '../collect/collect.ts';
import type { TextRedactor } from '../collect/finalize.ts';
import type { ReadCheckpoint, ResumeDecision } from '../io/checkpoint.ts';
import type { ScoringRule } from '../score/rules.ts';
import { writeWithRetry, type DistillStore } from '../store/store.ts';
import { COMMIT_FILES, COMMITS_DIR, commitDir, receiptFile, sourceOidOfPath } from '../store/layout.ts';
import type { Receipt } from '../../schemas/receipt.ts';
import type { DistillCache, StepUpdate } from './cache.ts';
import { buildFolderFiles, emptyFolderContent, folderSummary, mergeFolderContent, parseFolderFiles, type FolderContent, type FolderDrift, type FolderSetup } from './build-folder.ts';
import { collectOidHints, linkEvidence, linkToNamedCommits, withLink, type CommitFacts, type RunLink } from './link.ts';
import { computeDerivedFiles, derivedOptions } from '../derived/derived-files.ts';
import { parseScratchpad } from '../scratchpad/parse-scratchpad.ts';
import { redactScratchpad } from '../scratchpad/redact-scratchpad.ts';
import type { ScratchpadSummary } from '../../schemas/scratchpad-summary.ts';

/** A line as the context's reader yields it: CollectLine plus where the next line starts. */
export interface SourceLine extends CollectLine {
  next_offset: number;
  terminated: boolean;
}

export interface SourceFile {
  path: string;
  display_path: string;
  /** Forced adapter id from config, or null to detect. */
  format: string | null;
}

/** A commit as the pipeline needs it. */
export interface SourceCommit extends CommitFacts {
  subject: string;
}

/** Every edge the pipeline touches, injected. */
export interface DistillContext {
  store: DistillStore;
  cache: DistillCache;
  config: DistillConfig;
  adapters: readonly Adapter[];
  redact: TextRedactor;
  rules: ScoringRule[];
  rules_sha256: string;
  scorer_version: string;
  tool_version: string;
  slack_seconds: number;
  /** The enabled configured sources, expanded to files now (new files appear between steps). */
  listSourceFiles(): SourceFile[];
  readLines(path: string, opts: { maxLineBytes: number; startOffset: number; startLine: number }): AsyncIterable<SourceLine>;
  parseJson: CollectIo['parseJson'];
  readJsonDocument: CollectIo['readJsonDocument'];
  inspectSource(path: string, checkpoint: ReadCheckpoint | null): Promise<ResumeDecision>;
  makeCheckpoint(path: string, offset: number, line: number): Promise<ReadCheckpoint>;
  /** A whole file's bytes (scratchpad sources: small Markdown or text files). */
  readFile(path: string): Promise<Uint8Array>;
  /** sha256 and length of bytes [start, end) of a file. */
  hashRange(path: string, start: number, end: number): Promise<{ sha256: string; bytes: number }>;
  commitFacts(oid: string): Promise<SourceCommit>;
  /**
   * The commit's drift report (src/drift), given the evidence its folder will hold; null when its tree has no
   * requirement docs. Absent: the pipeline stores no drift (contexts built for tests of other stages).
   */
  computeDrift?(oid: string, evidence: readonly EvidenceRecord[]): Promise<FolderDrift | null>;
  /** Full oids of the commits `hints` name among the ancestors of `tip`; a hint naming nothing there is left out. */
  resolveAncestors(hints: readonly string[], tip: string): Promise<Map<string, string>>;
  sleep(ms: number): Promise<void>;
}

export interface DistillOptions {
  /** Link every pending run to this commit (by: manual). */
  attach: boolean;
}

export interface DistillResult {
  oid: string;
  subject: string;
  /** The distill branch's head after the step. */
  head: string | null;
  lines: number;
  evidence: number;
  quarantined: number;
  blank: number;
  runs: number;
  runs_by_category: { accepted: number; partially_accepted: number; rejected: number; needs_human_review: number };
  redacted: number;
  links_by: Record<string, number>;
  /** New lines read in this step (any commit may receive their evidence). */
  read_lines: number;
  /** Earlier commits whose folders took late records of runs already linked to them. */
  updated: string[];
  /** Evidence records still waiting for a commit. */
  pending: number;
  /** Sources not read, with why. */
  skipped: Array<{ source_file: string; reason: string }>;
}

const STORE_ATTEMPTS = 20;
const RESTORED_KEY = 'restored_from_store';

interface ReadOutcome {
  content: FolderContent;
  evidence: EvidenceRecord[];
  checkpoints: StepUpdate['checkpoints'];
  skipped: Array<{ source_file: string; reason: string }>;
}

/** Read every enabled source from its checkpoint; recorded_at is the commit's date, never the clock. */
async function readSources(ctx: DistillContext, recordedAt: string): Promise<ReadOutcome> {
  const content = emptyFolderContent();
  const evidence: EvidenceRecord[] = [];
  const quarantine: QuarantineEntry[] = [];
  const checkpoints: StepUpdate['checkpoints'] = [];
  const skipped: ReadOutcome['skipped'] = [];
  const maxLineBytes = ctx.config.ingest.max_line_bytes;
  for (const source of ctx.listSourceFiles()) {
    if (source.format === SCRATCHPAD_FORMAT) {
      const counts = new Map<string, number>();
      const summary = await readScratchpadSource(ctx, source, recordedAt, counts);
      if (summary !== null) (content.scratchpads ??= []).push(summary);
      content.redactions_by_rule = mergeCounts(content.redactions_by_rule, Object.fromEntries(counts));
      continue;
    }
    const saved = ctx.cache.checkpoint(source.path);
    const decision = await ctx.inspectSource(source.path, saved?.checkpoint ?? null);
    if (decision.action === 'unchanged') continue;
    // A resumed read starts mid-file, past the lines detection needs: reuse the format found at the first read.
    const format = decision.action === 'resume' ? (saved?.format ?? source.format) : source.format;
    const adapterOf = (id: string | null) => (id === null ? undefined : ctx.adapters.find((a) => a.id === id));
    // A JSON document is read whole every time it changed; lines (JSONL, Markdown) from the checkpoint on.
    const container = (adapterOf(format)?.container ?? containerOfPath(source.path)) === 'json';
    let start = container ? 0 : decision.startOffset;
    let stopAt = Infinity;
    let end = container ? decision.size : start;
    let nextLine = container ? 1 : decision.startLine;
    let from = start;
    let fromLine = nextLine;
    // A stateful adapter (a session header on line 1, tool calls paired with later results) cannot start
    // mid-file: read from the top and let collect replay the lines before `start` without counting them.
    // Sets where the next read starts and returns its replay_until.
    const startRead = (id: string | null): number => {
      const replay = !container && start > 0 && adapterOf(id)?.stateful === true;
      from = replay ? 0 : start;
      fromLine = replay ? 1 : nextLine;
      return replay ? start : 0;
    };
    const io: CollectIo = {
      readLines: (path) =>
        (async function* () {
          for await (const line of ctx.readLines(path, { maxLineBytes, startOffset: from, startLine: fromLine })) {
            // An unterminated last line may still be being written: leave it for the next step.
            if (!line.terminated || line.byte_offset >= stopAt) break;
            end = line.next_offset;
            nextLine = line.line + 1;
            yield line;
          }
        })(),
      parseJson: ctx.parseJson,
      readJsonDocument: ctx.readJsonDocument,
    };
    const opts = { adapters: ctx.adapters, recorded_at: recordedAt, ingest: ctx.config.ingest, redact: ctx.redact };
    let detected = format;
    const covered = container ? 0 : ctx.cache.coveredUntil(source.display_path);
    if (start < covered) {
      // Lines the branch already counted (the cache was rebuilt): reread them only to re-find evidence
      // that was still pending; their counts and quarantine entries are on the branch already.
      stopAt = covered;
      const replayUntil = startRead(format);
      const again = await collectSource(io, { path: source.path, display_path: source.display_path, format, replay_until: replayUntil }, opts, {
        evidence: (r) => void evidence.push(r),
        quarantine: () => undefined,
      });
      detected = again.format ?? format;
      stopAt = Infinity;
      start = end;
    }
    const summary = await collectSource(
      io,
      { path: source.path, display_path: source.display_path, format: detected, replay_until: startRead(detected) },
      opts,
      { evidence: (r) => void evidence.push(r), quarantine: (q) => void quarantine.push(q) },
    );
    if (summary.skipped !== null) {
      // Not recognised (yet): no checkpoint, so a later step reads it again from the same place.
      skipped.push({ source_file: source.display_path, reason: summary.skipped });
      continue;
    }
    checkpoints.push({ path: source.path, format: summary.format, checkpoint: await ctx.makeCheckpoint(source.path, end, nextLine) });
    if (summary.lines === 0) continue;
    const range = await ctx.hashRange(source.path, start, end);
    content.reads.push({ path: `${source.display_path}#${start}-${end}`, sha256: range.sha256, bytes: range.bytes, lines: summary.lines });
    content.read_counts.lines += summary.lines;
    content.read_counts.evidence += summary.evidence;
    content.read_counts.quarantined += summary.quarantined;
    content.read_counts.blank += summary.blank;
    content.redactions_by_rule = mergeCounts(content.redactions_by_rule, summary.redactions);
    if (summary.format !== null) content.formats = mergeCounts(content.formats, { [summary.format]: 1 });
  }
  content.quarantine = quarantine;
  return { content, evidence, checkpoints, skipped };
}

/** The source format whose files are summarized whole into the folder's scratchpads.jsonl. */
export const SCRATCHPAD_FORMAT = 'scratchpad';
const scratchpadKey = (path: string) => `scratchpad_sha256:${path}`;

/**
 * A scratchpad source's summary when its bytes changed since the last one summarized (its sha256 is kept in the
 * cache), else null; redacted like every evidence text before it can reach the branch. Deterministic only: the
 * LLM refinement belongs to `git distill scratchpad`, not the pipeline.
 */
async function readScratchpadSource(ctx: DistillContext, source: SourceFile, recordedAt: string, counts: Map<string, number>): Promise<ScratchpadSummary | null> {
  const bytes = await ctx.readFile(source.path);
  const sha = sha256Hex(bytes);
  if (ctx.cache.getMeta(scratchpadKey(source.display_path)) === sha) return null;
  return redactScratchpad(parseScratchpad({ run_id: `scratchpad:${source.display_path}`, source_file: source.display_path, bytes, recorded_at: recordedAt }), ctx.redact, counts);
}

function mergeCounts(a: Record<string, number>, b: Record<string, number>): Record<string, number> {
  const out = { ...a };
  for (const [k, v] of Object.entries(b)) out[k] = (out[k] ?? 0) + v;
  return out;
}

/** Write every journalled change to the distill branch, oldest first, then forget it. */
export async function drainJournal(ctx: DistillContext): Promise<string | null> {
  let head = await ctx.store.head();
  for (const entry of ctx.cache.journal()) {
    // Derived files are recomputed against the head each attempt is built on, so a lost race recomputes them.
    const folders = new Map([[entry.source_oid, entry.files]]);
    head = await writeWithRetry(
      ctx.store,
      async (at) => ({
        source_oid: entry.source_oid,
        subject: entry.subject,
        files: entry.files,
        derived: await computeDerivedFiles(ctx.store, { ...derivedOptions(ctx.config), folders, cache: ctx.cache.derived, head: at }),
        date: entry.date,
      }),
      { attempts: STORE_ATTEMPTS, sleep: ctx.sleep },
    );
    ctx.cache.derived.markMirrored(head);
    ctx.cache.deleteJournal([entry.seq]);
  }
  return head;
}

/**
 * After the cache was deleted, learn from the branch which runs are linked where and which evidence it
 * holds, so a reread from offset 0 neither duplicates evidence nor relinks a run elsewhere.
 */
export async function restoreFromStore(ctx: DistillContext): Promise<void> {
  if (ctx.cache.getMeta(RESTORED_KEY) !== null) return;
  const links: RunLink[] = [];
  const seen: Array<{ evidence_id: string; oid: string }> = [];
  const covered = new Map<string, number>();
  // One pass over every folder's evidence and collect receipt at one head, pipelined: after a clone this
  // runs once over the whole history, so it reads only the fields it needs and never re-validates records
  // (verify does that).
  const paths = (await ctx.store.listPaths(COMMITS_DIR)).filter((p) => p.endsWith(`/${COMMIT_FILES.evidence}`) || p.endsWith(`/${receiptFile('collect')}`));
  const decoder = new TextDecoder();
  for await (const [path, bytes] of ctx.store.readPaths(paths)) {
    const oid = sourceOidOfPath(path);
    if (oid === null || bytes === null) continue;
    const text = decoder.decode(bytes);
    if (path.endsWith(`/${COMMIT_FILES.evidence}`)) {
      const runs = new Set<string>();
      for (const line of text.split('\n')) {
        if (line === '') continue;
        const r = JSON.parse(line) as Pick<EvidenceRecord, 'evidence_id' | 'run_id' | 'links'>;
        seen.push({ evidence_id: r.evidence_id, oid });
        const link = r.links.find((l) => l.oid === oid);
        if (link !== undefined && !runs.has(r.run_id)) {
          runs.add(r.run_id);
          links.push({ run_id: r.run_id, oid, by: link.by, detail: link.detail });
        }
      }
    } else {
      const receipt = JSON.parse(text) as Pick<Receipt, 'input_files'>;
      for (const read of receipt.input_files) {
        const m = /^(.*)#(\d+)-(\d+)$/.exec(read.path);
        if (m !== null) covered.set(m[1]!, Math.max(covered.get(m[1]!) ?? 0, Number(m[3])));
      }
    }
  }
  ctx.cache.restore(links, seen, covered);
  ctx.cache.setMeta(RESTORED_KEY, '1');
}

export function sameFiles(a: ReadonlyMap<string, Uint8Array> | null, b: ReadonlyMap<string, Uint8Array>): boolean {
  if (a === null || a.size !== b.size) return false;
  for (const [p, bytes] of b) {
    const other = a.get(p);
    if (other === undefined || Buffer.compare(Buffer.from(other), Buffer.from(bytes)) !== 0) return false;
  }
  return true;
}

/** What every folder written under this context is stamped with. */
export function folderSetup(ctx: DistillContext): FolderSetup {
  return {
    config_sha256: sha256Hex(canonicalJson(ctx.config)),
    rules: ctx.rules,
    rules_sha256: ctx.rules_sha256,
    scorer_version: ctx.scorer_version,
    tool_version: ctx.tool_version,
  };
}

/**
 * Distill one commit. The whole step holds the cache's lock. Crash safety comes from the journal:
 * the folders to write are decided, then committed to the cache together with the new checkpoints and
 * pending set in one transaction, and only then written to the branch. A step killed before that
 * transaction left nothing behind; one killed after it is finished by the next step (which first
 * drains the journal), with the same bytes.
 */
export async function distillCommit(ctx: DistillContext, oid: string, opts: DistillOptions): Promise<DistillResult> {
  return ctx.cache.withLock(async () => {
    await drainJournal(ctx);
    await restoreFromStore(ctx);
    const commit = await ctx.commitFacts(oid);
    const setup = folderSetup(ctx);

    // (a) new lines → evidence not seen before.
    const read = await readSources(ctx, commit.committed_at);
    const pendingBefore = ctx.cache.pending();
    const known = new Set(pendingBefore.map((r) => r.evidence_id));
    const fresh: EvidenceRecord[] = [];
    for (const r of read.evidence) {
      if (known.has(r.evidence_id) || ctx.cache.isSeen(r.evidence_id)) continue;
      known.add(r.evidence_id);
      fresh.push(r);
    }

    // (b) records of runs linked earlier follow their run; the rest go through the linker.
    const late = new Map<string, EvidenceRecord[]>();
    const candidates: EvidenceRecord[] = [];
    for (const r of [...pendingBefore, ...fresh]) {
      const link = ctx.cache.runLink(r.run_id);
      if (link === null) {
        candidates.push(r);
        continue;
      }
      const list = late.get(link.oid) ?? [];
      list.push(withLink(r, link));
      late.set(link.oid, list);
    }
    const current = linkEvidence(candidates, commit, { slack_seconds: ctx.slack_seconds, attach: opts.attach });
    // Runs that name an earlier commit of this history join it (its folder is rebuilt like a late record's).
    const earlier = linkToNamedCommits(current.pending, await ctx.resolveAncestors(collectOidHints(current.pending), commit.oid));
    for (const [oid, records] of earlier.linked) late.set(oid, [...(late.get(oid) ?? []), ...records]);
    const linked = { linked: current.linked, pending: earlier.pending, runs: [...current.runs, ...earlier.runs] };

    // (c) the folders this step changes: earlier commits that took late records (by oid), then this one.
    const journal: StepUpdate['journal'] = [];
    const updated: string[] = [];
    for (const other of [...late.keys()].filter((o) => o !== commit.oid).sort()) {
      const stored = await ctx.store.readCommit(other);
      const facts = await ctx.commitFacts(other);
      const add = { ...emptyFolderContent(), evidence: late.get(other)! };
      const files = buildFolderFiles(mergeFolderContent(stored === null ? emptyFolderContent() : parseFolderFiles(stored), add), facts, setup);
      if (sameFiles(stored, files)) continue;
      updated.push(other);
      journal.push({ source_oid: other, subject: facts.subject, date: commit.committed_at, files });
    }
    const stored = await ctx.store.readCommit(commit.oid);
    const add: FolderContent = { ...read.content, evidence: [...linked.linked, ...(late.get(commit.oid) ?? [])] };
    const merged = mergeFolderContent(stored === null ? emptyFolderContent() : parseFolderFiles(stored), add);
    const drift = await computeFolderDrift(ctx, commit.oid, merged.evidence);
    if (drift !== null) merged.drift = drift;
    const files = buildFolderFiles(merged, commit, setup);
    if (!sameFiles(stored, files)) journal.push({ source_oid: commit.oid, subject: commit.subject, date: commit.committed_at, files });

    // (e) then (d): the cache and the journal move together; the branch follows from the journal.
    const lateRecords = [...late.values()].flat();
    const nowLinked = [...linked.linked, ...lateRecords];
    const linkedIds = new Set(nowLinked.map((r) => r.evidence_id));
    ctx.cache.applyStep({
      checkpoints: read.checkpoints,
      add_pending: fresh.filter((r) => !linkedIds.has(r.evidence_id)),
      remove_pending: nowLinked.map((r) => r.evidence_id),
      run_links: linked.runs,
      seen: nowLinked.map((r) => ({ evidence_id: r.evidence_id, oid: r.links[r.links.length - 1]!.oid })),
      journal,
    });
    // After the step is durable: a kill in between only summarizes the same bytes again at the next commit.
    for (const s of read.content.scratchpads ?? []) ctx.cache.setMeta(`scratchpad_sha256:${s.provenance.source_file}`, s.source_scratchpad_hash);
    const head = await drainJournal(ctx);

    const summary = folderSummary(files);
    return {
      oid: commit.oid,
      subject: commit.subject,
      head,
      lines: summary.lines,
      evidence: summary.evidence,
      quarantined: summary.quarantined,
      blank: summary.blank,
      runs: summary.runs,
      runs_by_category: summary.runs_by_category,
      redacted: summary.redacted,
      links_by: summary.links_by,
      read_lines: read.content.read_counts.lines,
      updated,
      pending: linked.pending.length,
      skipped: read.skipped,
    };
  });
}

async function computeFolderDrift(ctx: DistillContext, oid: string, evidence: readonly EvidenceRecord[]): Promise<FolderDrift | null> {
  if (ctx.computeDrift === undefined || !ctx.config.drift.enabled) return null;
  return ctx.computeDrift(oid, evidence);
}

/**
 * Compute a commit's drift report and store it in its folder (created when the commit was never distilled),
 * under the same lock and journal as a distill step. Returns the report (null: no docs at the commit) and
 * whether the branch changed.
 */
export async function storeCommitDrift(ctx: DistillContext, oid: string): Promise<{ drift: FolderDrift | null; head: string | null; changed: boolean }> {
  return ctx.cache.withLock(async () => {
    await drainJournal(ctx);
    const facts = await ctx.commitFacts(oid);
    const stored = await ctx.store.readCommit(oid);
    const content = stored === null ? emptyFolderContent() : parseFolderFiles(stored);
    const drift = ctx.computeDrift === undefined ? null : await ctx.computeDrift(oid, content.evidence);
    if (drift === null) return { drift, head: await ctx.store.head(), changed: false };
    content.drift = drift;
    const files = buildFolderFiles(content, facts, folderSetup(ctx));
    if (sameFiles(stored, files)) return { drift, head: await ctx.store.head(), changed: false };
    ctx.cache.applyStep({ checkpoints: [], add_pending: [], remove_pending: [], run_links: [], seen: [], journal: [{ source_oid: oid, subject: facts.subject, date: facts.committed_at, files }] });
    return { drift, head: await drainJournal(ctx), changed: true };
  });
}

/** Whether a folder exists for `oid` at the branch head. */
export async function isDistilled(ctx: Pick<DistillContext, 'store'>, oid: string): Promise<boolean> {
  return (await ctx.store.readPath(`${commitDir(oid)}/${COMMIT_FILES.manifest}`)) !== null;
}
