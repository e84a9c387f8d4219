// `git distill show <rev>` output: a distilled commit's manifest summary, runs, links, quarantine and receipts; pure.
import type { Manifest } from '../../schemas/manifest.ts';
import type { QuarantineEntry } from '../../schemas/quarantine-entry.ts';
import type { Receipt } from '../../schemas/receipt.ts';
import type { ScoredRun } from '../../schemas/scored-run.ts';
import { parseFolder } from './parse-folder.ts';
import type { CommitRef } from './read-distilled.ts';
import { renderProblem, type Problem } from './verify-folder.ts';
import { renderMentions, type PlaybookMention } from '../playbooks/commit-playbooks.ts';
import type { DriftReport } from '../../schemas/drift-report.ts';
import { renderDriftFigures } from '../drift/render-drift.ts';

export interface ShowView {
  commit: CommitRef;
  /** `commits/<xx>/<oid>`. */
  path: string;
  manifest: Manifest | null;
  runs: ScoredRun[];
  /** run_id → how its evidence was linked to this commit (`oid`, `files`, ...), sorted. */
  links: Record<string, string[]>;
  quarantine: QuarantineEntry[];
  /** In chain order. */
  receipts: Receipt[];
  problems: Problem[];
  /** Playbooks this commit's runs created or updated. */
  playbooks: PlaybookMention[];
  /** The commit's drift report, when its tree has requirement docs. */
  drift: DriftReport | null;
}

/** Everything `show` prints, from a stored folder; records that fail their schema are left out (verify names them). */
export function buildShowView(commit: CommitRef, path: string, files: ReadonlyMap<string, Uint8Array>, problems: Problem[], playbooks: PlaybookMention[] = []): ShowView {
  const folder = parseFolder(files);
  const links = new Map<string, Set<string>>();
  for (const e of folder.evidence.records) {
    for (const l of e.links) {
      if (l.oid !== commit.oid) continue;
      const set = links.get(e.run_id) ?? new Set<string>();
      set.add(l.by);
      links.set(e.run_id, set);
    }
  }
  const stages = folder.manifest?.stages ?? folder.receipts.map((r) => r.stage);
  const byStage = new Map(folder.receipts.map((r) => [r.stage, r.receipt]));
  const receipts = stages.flatMap((s) => byStage.get(s) ?? []);
  return {
    commit,
    path,
    manifest: folder.manifest,
    runs: folder.scored.records,
    links: Object.fromEntries([...links].sort(([a], [b]) => (a < b ? -1 : 1)).map(([run, set]) => [run, [...set].sort()])),
    quarantine: folder.quarantine.records,
    receipts,
    problems,
    playbooks,
    drift: folder.drift,
  };
}

export function buildShowJson(v: ShowView): Record<string, unknown> {
  return {
    oid: v.commit.oid,
    subject: v.commit.subject,
    distilled: true,
    path: v.path,
    manifest: v.manifest,
    runs: v.runs,
    links: v.links,
    quarantine: v.quarantine,
    receipts: v.receipts,
    verified: v.problems.length === 0,
    problems: v.problems,
    playbooks: v.playbooks,
    drift: v.drift,
  };
}

const DETAIL_CHARS = 120;

function clip(text: string, n: number): string {
  const one = text.replace(/\s+/g, ' ').trim();
  return one.length <= n ? one : `${one.slice(0, n - 1)}…`;
}

function byKey(record: Record<string, number>, sep = ' '): string {
  return Object.keys(record)
    .sort()
    .map((k) => `${k}${sep}${record[k]}`)
    .join(', ');
}

const COUNT_ORDER = ['in', 'out', 'quarantined', 'blank', 'redacted'];

function renderRecordCounts(counts: Record<string, number>): string {
  const keys = Object.keys(counts).filter((k) => !k.startsWith('redacted:'));
  keys.sort((a, b) => {
    const ia = COUNT_ORDER.indexOf(a);
    const ib = COUNT_ORDER.indexOf(b);
    if (ia !== ib) return (ia < 0 ? COUNT_ORDER.length : ia) - (ib < 0 ? COUNT_ORDER.length : ib);
    return a < b ? -1 : a > b ? 1 : 0;
  });
  return keys.map((k) => `${k} ${counts[k]}`).join(', ');
}

function table(rows: string[][]): string[] {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows.map((row) => '  ' + row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join('  ').trimEnd());
}

export function renderShow(v: ShowView): string {
  const out: string[] = [`commit ${v.commit.oid}`, `    ${v.commit.subject}`, ''];
  const m = v.manifest;
  if (m === null) {
    out.push('manifest   cannot be read');
  } else {
    const c = m.counts;
    const r = c.runs_by_category;
    out.push(`distilled  by git-distill ${m.tool_version}, recorded at ${m.committed_at}`);
    const formats = Object.keys(m.formats).length === 0 ? '' : ` · formats: ${byKey(m.formats, ' ×')}`;
    out.push(`evidence   ${c.evidence} records from ${c.lines} lines (${c.quarantined} quarantined, ${c.blank} blank)${formats}`);
    out.push(`runs       ${c.runs}: ${r.accepted} accepted, ${r.partially_accepted} partially accepted, ${r.rejected} rejected, ${r.needs_human_review} needs human review`);
    out.push(`links      ${Object.keys(m.links_by).length === 0 ? 'none' : byKey(m.links_by)}`);
    out.push(`redacted   ${c.redacted}${c.redacted === 0 ? '' : ` (${byKey(m.redactions_by_rule)})`}`);
    if (v.playbooks.length > 0) out.push(`playbooks  ${renderMentions(v.playbooks)}`);
    if (v.drift !== null) out.push(`drift      ${renderDriftFigures(v.drift)}`);
  }
  out.push('', `runs (${v.runs.length})`);
  if (v.runs.length === 0) out.push('  none');
  else {
    out.push(
      ...table(
        v.runs.map((run) => {
          const first = run.reasons[0];
          const by = v.links[run.run_id] ?? [];
          return [run.run_id, run.category, by.length === 0 ? 'not linked' : `by ${by.join('+')}`, first === undefined ? '' : clip(`${first.rule_id}: ${first.detail}`, DETAIL_CHARS)];
        }),
      ),
    );
  }
  out.push('', `quarantine (${v.quarantine.length})`);
  if (v.quarantine.length === 0) out.push('  none');
  else out.push(...table(v.quarantine.map((q) => [`${q.source_file}:${q.line_offset}`, clip(`${q.reason_code}: ${q.reason}`, DETAIL_CHARS)])));
  out.push('', `receipts (${v.receipts.map((r) => r.stage).join(' → ') || 'none'})`);
  out.push(...table(v.receipts.map((r) => [r.stage, r.validation_pass ? 'pass' : 'FAIL', renderRecordCounts(r.record_counts)])));
  const first = v.problems[0];
  out.push(
    '',
    first === undefined
      ? 'verify     ok: every hash, the receipt chain and every record check out'
      : `verify     FAILED (${v.problems.length} problem${v.problems.length === 1 ? '' : 's'}): ${renderProblem(v.path, first)}`,
  );
  return out.join('\n') + '\n';
}
