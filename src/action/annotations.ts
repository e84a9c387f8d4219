// Findings as forge annotations: check-run annotations (batches of 50) and workflow commands (::error file=...::) for a read-only token.
import type { CheckReport } from '../checks/report.ts';
import type { Disposition } from '../checks/policy.ts';

export type AnnotationLevel = 'failure' | 'warning' | 'notice';

/** The shape GitHub's Checks API takes in output.annotations. */
export interface Annotation {
  path: string;
  start_line: number;
  end_line: number;
  annotation_level: AnnotationLevel;
  title: string;
  message: string;
}

/** GitHub takes at most 50 annotations per create or update request. */
export const ANNOTATION_BATCH = 50;

const LEVEL: Record<Exclude<Disposition, 'off'>, AnnotationLevel> = { block: 'failure', warn: 'warning', info: 'notice' };

/** One annotation per finding that has a path and is not off; a finding about a whole file points at its line 1. */
export function buildAnnotations(reports: readonly CheckReport[]): Annotation[] {
  const out: Annotation[] = [];
  for (const r of reports) {
    for (const f of r.findings) {
      if (f.disposition === 'off' || f.location === null) continue;
      const start = f.location.start_line ?? 1;
      out.push({
        path: f.location.path,
        start_line: start,
        end_line: f.location.end_line ?? start,
        annotation_level: LEVEL[f.disposition],
        title: `${r.check}/${f.rule_id}: ${f.title}`.slice(0, 255),
        message: `${f.message}${f.introduced_by === 'base' ? ' (already on the base)' : ''}`.slice(0, 64_000),
      });
    }
  }
  return out;
}

export function batches<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

// Escaping as @actions/core does it: data escapes %, CR, LF; property values also : and ,.
const escapeData = (s: string) => s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
const escapeProperty = (s: string) => escapeData(s).replace(/:/g, '%3A').replace(/,/g, '%2C');

const COMMAND: Record<AnnotationLevel, string> = { failure: 'error', warning: 'warning', notice: 'notice' };

/** `::error file=..,line=..,endLine=..,title=..::message`, one per annotation: the runner turns these into annotations with any token. */
export function renderWorkflowCommands(annotations: readonly Annotation[]): string {
  return annotations
    .map((a) => {
      const props = `file=${escapeProperty(a.path)},line=${a.start_line},endLine=${a.end_line},title=${escapeProperty(a.title)}`;
      return `::${COMMAND[a.annotation_level]} ${props}::${escapeData(a.message)}\n`;
    })
    .join('');
}

/** A workflow command for a message without a place (a crash, a degraded step). */
export function renderWorkflowMessage(level: AnnotationLevel, title: string, message: string): string {
  return `::${COMMAND[level]} title=${escapeProperty(title)}::${escapeData(message)}\n`;
}
