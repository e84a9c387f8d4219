// `git distill log` output: one entry per commit of the user's history with its distilled figures; pure rendering.
import type { Manifest } from '../../schemas/manifest.ts';
import { parseFolder } from './parse-folder.ts';
import type { CommitRef } from './read-distilled.ts';
import { renderProblem, type Problem } from './verify-folder.ts';
import { renderMentions, type PlaybookMention } from '../playbooks/commit-playbooks.ts';
import type { DriftReport } from '../../schemas/drift-report.ts';
import { renderDriftFigures } from '../drift/render-drift.ts';

export type Counts = Manifest['counts'];

export interface LogEntry {
  commit: CommitRef;
  /** Null when the commit has no folder on the distill branch. */
  distilled: {
    /** `commits/<xx>/<oid>`. */
    path: string;
    /** Null when the manifest cannot be read. */
    manifest: Manifest | null;
    problems: Problem[];
    /** The commit's drift report, when its tree has requirement docs. */
    drift: DriftReport | null;
  } | null;
  /** Playbooks this commit's runs created or updated. */
  playbooks: PlaybookMention[];
}

/** Build a log entry from a commit and its stored folder (null when not distilled). */
export function buildLogEntry(
  commit: CommitRef,
  folder: { path: string; files: ReadonlyMap<string, Uint8Array>; problems: Problem[] } | null,
  playbooks: PlaybookMention[] = [],
): LogEntry {
  if (folder === null) return { commit, distilled: null, playbooks: [] };
  const parsed = parseFolder(folder.files);
  return { commit, distilled: { path: folder.path, manifest: parsed.manifest, problems: folder.problems, drift: parsed.drift }, playbooks };
}

/**
 * The oneline notation (documented in `git distill log --help`):
 * `<short> <subject>  ✓ 42 ev · 5 runs (3✓ 1~ 1✗ 0?) · 2 q · 1 redacted`
 * where the leading mark is ✓ receipts verify / ✗ they do not, and the run figures are
 * accepted ✓, partially accepted ~, rejected ✗, needs human review ?.
 */
export function renderOnelineFigures(entry: LogEntry): string {
  const d = entry.distilled;
  if (d === null) return '·  not distilled';
  const mark = d.problems.length === 0 ? '✓' : '✗';
  if (d.manifest === null) return `${mark} unreadable manifest (git distill verify ${entry.commit.short})`;
  const c = d.manifest.counts;
  const r = c.runs_by_category;
  const figures = `${mark} ${c.evidence} ev · ${c.runs} runs (${r.accepted}✓ ${r.partially_accepted}~ ${r.rejected}✗ ${r.needs_human_review}?) · ${c.quarantined} q · ${c.redacted} redacted`;
  const withPlaybooks = entry.playbooks.length === 0 ? figures : `${figures} · ${entry.playbooks.length} playbook${entry.playbooks.length === 1 ? '' : 's'}`;
  const withDrift = d.drift === null ? withPlaybooks : `${withPlaybooks} · drift ${d.drift.findings.length}`;
  return d.problems.length === 0 ? withDrift : `${withDrift} · verify FAILED`;
}

export function renderLogOneline(entries: readonly LogEntry[]): string {
  return entries.map((e) => `${e.commit.short} ${e.commit.subject}  ${renderOnelineFigures(e)}\n`).join('');
}

function plural(n: number, word: string, many = `${word}s`): string {
  return `${n} ${n === 1 ? word : many}`;
}

function byKey(record: Record<string, number>): string {
  return Object.keys(record)
    .sort()
    .map((k) => `${k} ${record[k]}`)
    .join(', ');
}

/** The default format: a small block per commit, like `git log` with the figures indented under the subject. */
export function renderLogBlocks(entries: readonly LogEntry[]): string {
  const blocks = entries.map((e) => {
    const lines = [`commit ${e.commit.oid}`, `    ${e.commit.subject}`, ''];
    const d = e.distilled;
    if (d === null) {
      lines.push(`    not distilled (git distill run ${e.commit.short})`);
    } else if (d.manifest === null) {
      lines.push(`    distilled, but the manifest cannot be read`);
      lines.push(`    receipts: FAILED: ${renderProblem(d.path, d.problems[0]!)}`);
    } else {
      const m = d.manifest;
      const c = m.counts;
      const r = c.runs_by_category;
      lines.push(`    evidence:   ${plural(c.evidence, 'record')} from ${plural(c.lines, 'line')} (${c.quarantined} quarantined, ${c.blank} blank)`);
      lines.push(`    runs:       ${c.runs}: ${r.accepted} accepted, ${r.partially_accepted} partially accepted, ${r.rejected} rejected, ${r.needs_human_review} needs human review`);
      const links = byKey(m.links_by);
      if (links !== '') lines.push(`    linked by:  ${links}`);
      lines.push(`    redacted:   ${c.redacted}${c.redacted === 0 ? '' : ` (${byKey(m.redactions_by_rule)})`}`);
      if (e.playbooks.length > 0) lines.push(`    playbooks:  ${renderMentions(e.playbooks)}`);
      if (d.drift !== null) lines.push(`    drift:      ${renderDriftFigures(d.drift)}`);
      const first = d.problems[0];
      lines.push(first === undefined ? `    receipts:   verified (${m.stages.join(' → ')})` : `    receipts:   FAILED: ${renderProblem(d.path, first)}`);
    }
    return lines.join('\n') + '\n';
  });
  return blocks.join('\n');
}

export interface LogJsonEntry {
  oid: string;
  subject: string;
  distilled: boolean;
  counts: Counts | null;
  receipts_valid: boolean | null;
  playbooks: PlaybookMention[];
  /** The drift report's claim count, summary and number of findings; null without one. */
  drift: { claim_count: number; findings: number; summary: DriftReport['summary'] } | null;
}

export function buildLogJson(entries: readonly LogEntry[]): LogJsonEntry[] {
  return entries.map((e) => ({
    oid: e.commit.oid,
    subject: e.commit.subject,
    distilled: e.distilled !== null,
    counts: e.distilled?.manifest?.counts ?? null,
    receipts_valid: e.distilled === null ? null : e.distilled.problems.length === 0,
    playbooks: e.playbooks,
    drift: e.distilled?.drift == null ? null : { claim_count: e.distilled.drift.claim_count, findings: e.distilled.drift.findings.length, summary: e.distilled.drift.summary },
  }));
}
