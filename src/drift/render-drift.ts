// Pure: a DriftReport's summary lines, and the per-commit table of `git distill drift --log`.
import type { DriftReport } from '../../schemas/drift-report.ts';

export interface DriftLogRow {
  oid: string;
  committed_at: string;
  subject: string;
  /** Where the report came from: the distill branch, computed now, or none (the commit has no docs). */
  source: 'stored' | 'computed' | 'no docs';
  report: DriftReport | null;
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** One line for log and show: `14 claims, 7 done (2 verified, 1 phantom); 0 stale; 6 findings`. */
export function renderDriftFigures(report: DriftReport): string {
  const s = report.summary;
  return `${plural(report.claim_count, 'claim')}, ${s.by_status.done} done (${s.verified} verified, ${s.phantom} phantom); ${s.stale} stale; ${plural(report.findings.length, 'finding')} (${report.docs.map((d) => d.path).join(', ')})`;
}

/** What the docs claim and how much of it holds, before the findings. */
export function renderDriftSummary(report: DriftReport): string {
  const s = report.summary;
  const docs = report.docs.map((d) => `${d.path} (${plural(d.claim_count, 'claim')})`).join(', ');
  const status = (['done', 'in_progress', 'planned', 'blocked', 'deferred', 'unknown'] as const)
    .filter((k) => s.by_status[k] > 0)
    .map((k) => `${k.replace('_', ' ')} ${s.by_status[k]}`)
    .join(', ');
  return [
    `drift ${report.commit_oid.slice(0, 12)}${report.base_oid === null ? '' : ` (base ${report.base_oid.slice(0, 12)})`}`,
    `  docs:    ${docs}`,
    `  claims:  ${report.claim_count}${status === '' ? '' : ` (${status})`}`,
    `  done:    ${s.verified} verified, ${s.phantom} phantom, ${s.unverifiable} unverifiable; ${s.stale} stale`,
    '',
  ].join('\n');
}

function pad(text: string, width: number): string {
  return text.length >= width ? text : text + ' '.repeat(width - text.length);
}

/** One line per commit, newest first: the phase-sweep view of history. */
export function renderDriftLog(rows: readonly DriftLogRow[]): string {
  const header = ['commit      ', 'date      ', 'claims', '  done', 'verified', 'phantom', ' stale', 'findings', 'subject'];
  const lines = [header.join('  ')];
  for (const r of rows) {
    const date = r.committed_at.slice(0, 10);
    if (r.report === null) {
      lines.push(`${r.oid.slice(0, 12)}  ${date}  ${pad('(no requirement docs)', 48)}  ${r.subject}`);
      continue;
    }
    const s = r.report.summary;
    const cells = [
      r.oid.slice(0, 12),
      date,
      String(r.report.claim_count).padStart(6),
      String(s.by_status.done).padStart(6),
      String(s.verified).padStart(8),
      String(s.phantom).padStart(7),
      String(s.stale).padStart(6),
      `${String(r.report.findings.length).padStart(8)}`,
      `${r.subject}${r.source === 'computed' ? '  (not stored)' : ''}`,
    ];
    lines.push(cells.join('  '));
  }
  return lines.join('\n') + '\n';
}
