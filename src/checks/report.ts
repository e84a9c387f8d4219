// Renderers for check results: JSON, SARIF 2.1.0 and the Markdown of a PR comment, all pure and deterministic.
import type { Log, ReportingDescriptor, Result, Run } from 'sarif';
import type { Severity } from '../../schemas/finding.ts';
import type { CheckRule } from './check.ts';
import { countDispositions, type Disposition, type DisposedFinding } from './policy.ts';

export interface CheckReport {
  check: string;
  title: string;
  rules: readonly CheckRule[];
  base_oid: string | null;
  head_oid: string;
  /** Sorted (sortFindings). */
  findings: DisposedFinding[];
}

/** One JSON document: per check its range, counts by disposition and findings. */
export function renderReportsJson(reports: readonly CheckReport[]): string {
  const doc = {
    checks: reports.map((r) => ({
      check: r.check,
      title: r.title,
      base_oid: r.base_oid,
      head_oid: r.head_oid,
      counts: countDispositions(r.findings),
      findings: r.findings,
    })),
    counts: countDispositions(reports.flatMap((r) => r.findings)),
  };
  return `${JSON.stringify(doc)}\n`;
}

const SARIF_LEVEL: Record<Disposition, Result.level> = { block: 'error', warn: 'warning', info: 'note', off: 'none' };
const SEVERITY_LEVEL: Record<Severity, ReportingDescriptor['defaultConfiguration']> = {
  critical: { level: 'error' },
  high: { level: 'error' },
  medium: { level: 'warning' },
  low: { level: 'note' },
  info: { level: 'note' },
};
// GitHub code scanning reads security-severity from rule properties to rank alerts.
const SECURITY_SEVERITY: Record<Severity, string> = { critical: '9.0', high: '7.0', medium: '5.0', low: '3.0', info: '0.0' };

export const SARIF_SCHEMA_URI = 'https://json.schemastore.org/sarif-2.1.0.json';
export const FINGERPRINT_KEY = 'gitDistill/v1';

/**
 * SARIF 2.1.0: one run per check, its rules as the driver's rules, one result per finding that is not `off`
 * (baselined ones are kept with `suppressions`, so code scanning shows them as accepted rather than fixed).
 */
export function renderSarif(reports: readonly CheckReport[], toolVersion: string): string {
  const runs: Run[] = reports.map((report) => {
    const ruleIndex = new Map(report.rules.map((r, i) => [r.id, i]));
    const rules: ReportingDescriptor[] = report.rules.map((r) => ({
      id: r.id,
      name: r.title,
      shortDescription: { text: r.title },
      fullDescription: { text: r.description },
      defaultConfiguration: SEVERITY_LEVEL[r.default_severity],
      properties: { 'security-severity': SECURITY_SEVERITY[r.default_severity], tags: [report.check] },
    }));
    const results: Result[] = report.findings.map((f) => {
      const result: Result = {
        ruleId: f.rule_id,
        level: SARIF_LEVEL[f.disposition],
        message: { text: `${f.title}: ${f.message}` },
        partialFingerprints: { [FINGERPRINT_KEY]: f.fingerprint },
        properties: {
          severity: f.severity,
          disposition: f.disposition,
          disposition_reason: f.disposition_reason,
          introduced_by: f.introduced_by,
          evidence: f.evidence,
        },
      };
      const index = ruleIndex.get(f.rule_id);
      if (index !== undefined) result.ruleIndex = index;
      if (f.location !== null) {
        result.locations = [
          {
            physicalLocation: {
              artifactLocation: { uri: f.location.path, uriBaseId: '%SRCROOT%' },
              ...(f.location.start_line === null ? {} : { region: { startLine: f.location.start_line, endLine: f.location.end_line ?? f.location.start_line } }),
            },
          },
        ];
      }
      if (f.introduced_by !== 'unknown') result.baselineState = f.introduced_by === 'pr' ? 'new' : 'unchanged';
      if (f.disposition === 'off') result.suppressions = [{ kind: 'external', justification: f.disposition_reason }];
      return result;
    });
    return {
      tool: { driver: { name: 'git-distill', version: toolVersion, informationUri: 'https://www.npmjs.com/package/git-distill', rules } },
      automationDetails: { id: `git-distill/${report.check}/` },
      originalUriBaseIds: { '%SRCROOT%': { description: { text: 'The repository root.' } } },
      versionControlProvenance: [{ repositoryUri: '.', revisionId: report.head_oid }],
      properties: { check: report.check, base_oid: report.base_oid, head_oid: report.head_oid },
      results,
    };
  });
  const log: Log = { $schema: SARIF_SCHEMA_URI, version: '2.1.0', runs };
  return `${JSON.stringify(log, null, 2)}\n`;
}

const TEXT_TAG: Record<Disposition, string> = { block: 'BLOCK', warn: 'WARN ', info: 'INFO ', off: 'OFF  ' };

/** The terminal view: a line per check with its counts, a line per finding that is not off. */
export function renderReportsText(reports: readonly CheckReport[]): string {
  const lines: string[] = [];
  for (const r of reports) {
    const c = countDispositions(r.findings);
    const range = r.base_oid === null ? r.head_oid.slice(0, 12) : `${r.base_oid.slice(0, 12)}..${r.head_oid.slice(0, 12)}`;
    lines.push(`${r.check} ${range}: ${r.findings.length} finding${r.findings.length === 1 ? '' : 's'} (${countsLine(c)})`);
    for (const f of r.findings) {
      if (f.disposition === 'off') continue;
      const where = f.location === null ? '' : ` ${f.location.path}${f.location.start_line === null ? '' : `:${f.location.start_line}`}`;
      const origin = f.introduced_by === 'base' ? ' [on base]' : '';
      lines.push(`  ${TEXT_TAG[f.disposition]} ${f.severity.padEnd(8)}${where} ${f.rule_id}: ${f.message.replace(/\s+/g, ' ')}${origin}`);
    }
  }
  return lines.length === 0 ? 'no checks ran\n' : `${lines.join('\n')}\n`;
}

/** Table cells hold untrusted text (PR content, log text): no pipes, no line breaks, no HTML, no runaway length. */
export function escapeMarkdownCell(text: string, max = 300): string {
  const flat = text.replace(/\r?\n|\r/g, ' ').replace(/\s+/g, ' ').trim();
  const cut = flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
  return cut.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/`/g, "'");
}

const ICON: Record<Disposition, string> = { block: '⛔ block', warn: '⚠️ warn', info: 'ℹ️ info', off: 'off' };

function locationText(f: DisposedFinding): string {
  if (f.location === null) return '';
  const line = f.location.start_line === null ? '' : `:${f.location.start_line}`;
  return `\`${escapeMarkdownCell(f.location.path, 200).replace(/'/g, '')}${line}\``;
}

function evidenceText(f: DisposedFinding): string {
  const shown = f.evidence.slice(0, 3).map((e) => `${e.found ? '✓' : '✗'} ${e.lookup}${e.detail === '' ? '' : ` (${e.detail})`}`);
  const more = f.evidence.length > 3 ? ` +${f.evidence.length - 3} more` : '';
  return escapeMarkdownCell(shown.join('; ') + more, 400);
}

function findingRow(f: DisposedFinding): string {
  return `| ${ICON[f.disposition]} | ${f.severity} | ${locationText(f)} | **${escapeMarkdownCell(f.title, 120)}** ${escapeMarkdownCell(f.message)} | ${evidenceText(f)} |`;
}

const TABLE_HEAD = ['| | severity | where | finding | evidence |', '|---|---|---|---|---|'];

function countsLine(counts: Record<Disposition, number>): string {
  return `${counts.block} block · ${counts.warn} warn · ${counts.info} info${counts.off > 0 ? ` · ${counts.off} accepted` : ''}`;
}

/** A run of Markdown lines and the findings it shows (so a cut can say what it left out). */
interface Piece {
  text: string;
  findings: DisposedFinding[];
}

function checkPieces(r: CheckReport): Piece[] {
  const range = r.base_oid === null ? `at \`${r.head_oid.slice(0, 12)}\`` : `\`${r.base_oid.slice(0, 12)}..${r.head_oid.slice(0, 12)}\``;
  const shown = r.findings.filter((f) => f.disposition !== 'off');
  const fresh = shown.filter((f) => f.introduced_by !== 'base');
  const old = shown.filter((f) => f.introduced_by === 'base');
  const pieces: Piece[] = [
    { text: `### ${escapeMarkdownCell(r.title, 80)} (${r.check}) ${range}\n\n${countsLine(countDispositions(r.findings))}\n\n`, findings: [] },
  ];
  if (shown.length === 0) pieces.push({ text: 'No findings.\n\n', findings: [] });
  if (fresh.length > 0) {
    pieces.push({ text: `${TABLE_HEAD.join('\n')}\n`, findings: [] });
    for (const f of fresh) pieces.push({ text: `${findingRow(f)}\n`, findings: [f] });
    pieces.push({ text: '\n', findings: [] });
  }
  if (old.length > 0) {
    pieces.push({ text: `<details><summary>${old.length} already on the base</summary>\n\n${TABLE_HEAD.join('\n')}\n`, findings: [] });
    for (const f of old) pieces.push({ text: `${findingRow(f)}\n`, findings: [f] });
    pieces.push({ text: '\n</details>\n\n', findings: [] });
  }
  return pieces;
}

/** Room kept for the overflow line and a closing </details>. */
const FOOTER_RESERVE = 400;

/**
 * The PR comment: per check, the findings this range introduced (or whose origin is unknown) in a table,
 * those already on the base in a collapsed section, accepted ones only counted. Cut at `max_chars`
 * (GitHub's limit is 65,536) at a row boundary, the rows left out summarized by disposition.
 */
export function renderMarkdown(reports: readonly CheckReport[], opts: { max_chars?: number; marker?: string } = {}): string {
  const max = opts.max_chars ?? 60_000;
  const total = countDispositions(reports.flatMap((r) => r.findings));
  const titles = reports.map((r) => `**${escapeMarkdownCell(r.title, 80)}**`).join(', ') || 'No checks ran';
  let body = `${opts.marker === undefined ? '' : `${opts.marker}\n`}## git-distill\n\n${titles}: ${countsLine(total)}\n\n`;
  const pieces = reports.flatMap(checkPieces);
  let i = 0;
  for (; i < pieces.length; i++) {
    const next = pieces[i]!.text;
    if (body.length + next.length + FOOTER_RESERVE > max) break;
    body += next;
  }
  if (i < pieces.length) {
    const omitted = pieces.slice(i).flatMap((p) => p.findings);
    if (omitted.length > 0) {
      const n = omitted.length;
      body += `\n…and ${n} more finding${n === 1 ? '' : 's'} not shown (${countsLine(countDispositions(omitted))}); the SARIF file and the job summary have every one.\n`;
    }
    // Close a <details> the cut left open, so the rest of the page renders.
    if ((body.match(/<details>/g)?.length ?? 0) > (body.match(/<\/details>/g)?.length ?? 0)) body += '\n</details>\n';
  }
  return body.length > max ? body.slice(0, max) : body;
}
