// Tables for the PR auditor's streams: verdicts, extracted facts and lessons, and N=3 consensus splits.
import type { MapRejection } from '../../adapter.ts';
import { describeValue, isRecord, oneOf } from './parse-field.ts';
import {
  clipLine,
  constant,
  opt,
  pickString,
  prHeadRunId,
  req,
  wrongType,
  type FieldSpec,
  type Fields,
  type StreamSpec,
} from './stream-spec.ts';

/** Every auditor stream reports this task type, so one PR head's run has a single one. */
const AUDIT_TASK_TYPE = 'pr_audit';

/** The fields that name a PR head; every auditor stream carries them and joins on them. */
function prHeadFields(what: string): Record<string, FieldSpec> {
  return {
    pr_number: req('id', `${what} must name its pull request; the run id is pr-<pr_number>@<head_sha>`),
    head_sha: req('sha', `${what} must name the PR head commit it was made on`, 'link_oids'),
  };
}

/** The task is the pull request; each head pushed to it is one run of that task. */
function prTaskId(f: Fields): string {
  return `pr-${f.need('pr_number')}`;
}

interface AuditFinding {
  severity: string | null;
  check: string | null;
  message: string;
  file: string | null;
  line: string | null;
  blocking: boolean;
}

const BLOCKING_SEVERITIES = ['block', 'blocking', 'blocker', 'critical'];

/**
 * A finding as the auditor writes it: a string, or an object with a severity, the check that
 * raised it, a message and a location. It blocks when it says so (`blocking: true`, a `block`
 * disposition) or its severity is block/critical; `high` alone does not, since the auditor's
 * policy decides what high means.
 */
function parseFinding(f: Fields, i: number, item: unknown): AuditFinding | MapRejection {
  if (typeof item === 'string') return { severity: null, check: null, message: item, file: null, line: null, blocking: false };
  if (!isRecord(item)) return wrongType(f, `findings[${i}]`, 'a string or an object', describeValue(item));
  const severity = pickString(item, ['severity', 'level'])?.toLowerCase() ?? null;
  const disposition = pickString(item, ['disposition', 'gate', 'action'])?.toLowerCase() ?? null;
  return {
    severity,
    check: pickString(item, ['check', 'rule', 'rule_id', 'kind', 'id']),
    message: pickString(item, ['message', 'title', 'msg', 'summary', 'detail', 'description']) ?? '(no message)',
    file: pickString(item, ['file', 'path']),
    line: pickString(item, ['line', 'start_line']),
    blocking: item['blocking'] === true || disposition === 'block' || (severity !== null && BLOCKING_SEVERITIES.includes(severity)),
  };
}

function renderFinding(x: AuditFinding): string {
  const where = x.file === null ? '' : ` (${x.file}${x.line === null ? '' : `:${x.line}`})`;
  return `${x.check === null ? '' : `${x.check}: `}${x.message}${where}`;
}

export const AUDITS: StreamSpec = {
  stream: 'audits',
  description: 'Lakehouse PR auditor verdicts (audits.jsonl): one audited PR head per line',
  kind: 'verdict',
  model_role: 'reviewer',
  schema_version: 1,
  fields: {
    ...prHeadFields('an audit'),
    verdict: req(oneOf(['pass', 'warn', 'block'], { passed: 'pass', ok: 'pass', warning: 'warn', blocked: 'block', blocking: 'block' }), 'an audit must say pass, warn or block', 'signals.auditor_verdict'),
    audited_at: opt('timestamp', 'timestamp'),
    findings: opt('list'),
    summary: opt('text', 'output_text'),
    model: opt('string', 'model_name'),
  },
  // The PR head is the run; a record-level run_id, if a producer adds one, would split the head's
  // evidence from its facts and lessons, so it is not read.
  run_id: prHeadRunId,
  task_id: prTaskId,
  task_type: constant(AUDIT_TASK_TYPE),
  signature: { all: ['pr_number', 'head_sha', 'verdict'], any: ['findings', 'audited_at'], cue: null },
  finish: (f, d) => {
    const findings: AuditFinding[] = [];
    for (const [i, item] of (f.list('findings') ?? []).entries()) {
      const parsed = parseFinding(f, i, item);
      if ('code' in parsed) return parsed;
      findings.push(parsed);
      if (parsed.file !== null && !d.source_files.includes(parsed.file)) d.source_files.push(parsed.file);
      if (parsed.blocking) d.failure_markers.push(`blocking finding: ${clipLine(renderFinding(parsed), 240)}`);
    }
    const verdict = f.need('verdict');
    if (verdict === 'block' && d.failure_markers.length === 0) d.failure_markers.push('auditor verdict block');
    if (verdict === 'pass') d.success_markers.push('auditor verdict pass');
    if (d.output_text === null) {
      const lines = [`auditor verdict ${verdict}: ${findings.length} finding${findings.length === 1 ? '' : 's'}`];
      for (const x of findings) lines.push(`- [${x.blocking ? 'block' : (x.severity ?? 'note')}] ${renderFinding(x)}`);
      d.output_text = lines.join('\n');
    }
    return null;
  },
};

/** audit_facts and audit_lessons share one shape; only the noun differs. */
function extractedStream(stream: 'audit_facts' | 'audit_lessons', noun: 'fact' | 'lesson', cue: StreamSpec['signature']['cue']): StreamSpec {
  return {
    stream,
    description: `Lakehouse auditor ${noun}s (${stream}.jsonl): one extracted ${noun} per line`,
    kind: 'fact',
    model_role: 'extractor',
    schema_version: 1,
    fields: {
      ...prHeadFields(`a ${noun}`),
      text: req('text', `a ${noun} must carry its text`, 'output_text'),
      extracted_at: opt('timestamp', 'timestamp'),
      extractor: opt('string', 'model_name'),
      verifier: opt('string'),
    },
    // Joins the audit of the same PR head: pr-<pr_number>@<head_sha[0:12]>.
    run_id: prHeadRunId,
    task_id: prTaskId,
    task_type: constant(AUDIT_TASK_TYPE),
    signature: { all: ['pr_number', 'head_sha', 'text'], any: ['extractor', 'extracted_at', 'verifier'], cue },
    finish: (f, d) => {
      // A verifier's name says the extraction was checked, not that the PR is good: a note, not a marker.
      const verifier = f.str('verifier');
      if (verifier !== null) d.observer_notes = `verified by ${verifier}`;
      return null;
    },
  };
}

/** Lessons say so somewhere: a key or a kind/category value mentioning "lesson". */
function mentionsLesson(first: Readonly<Record<string, unknown>>): boolean {
  if (Object.keys(first).some((k) => k.includes('lesson'))) return true;
  return ['kind', 'category', 'type'].some((k) => typeof first[k] === 'string' && /lesson/i.test(first[k]));
}

// The recon describes facts as "facts/entities/relationships": those keys tell a fact line apart.
export const AUDIT_FACTS = extractedStream('audit_facts', 'fact', (first) => !mentionsLesson(first) && (Object.hasOwn(first, 'entities') || Object.hasOwn(first, 'relationships')));
export const AUDIT_LESSONS = extractedStream('audit_lessons', 'lesson', mentionsLesson);

/** One vote as one line: `model: verdict — reason` (whitespace flattened, so parseConsensusVotes can read it back). */
function renderVote(f: Fields, where: string, fallbackName: string, vote: unknown): string | MapRejection {
  if (typeof vote === 'string' || typeof vote === 'boolean' || typeof vote === 'number') return `${clipLine(fallbackName, 200)}: ${clipLine(String(vote), 200)}`;
  if (!isRecord(vote)) return wrongType(f, where, 'a string or an object', describeValue(vote));
  const model = pickString(vote, ['model', 'voter', 'name']) ?? fallbackName;
  const raw = ['verdict', 'vote', 'answer', 'label', 'decision', 'supported'].map((k) => vote[k]).find((v) => v !== undefined && v !== null);
  const verdict = typeof raw === 'string' || typeof raw === 'boolean' || typeof raw === 'number' ? String(raw) : '?';
  const reason = pickString(vote, ['reason', 'reasoning', 'rationale', 'explanation']);
  return `${clipLine(model, 200)}: ${clipLine(verdict, 200)}${reason === null ? '' : ` — ${clipLine(reason, 400)}`}`;
}

/** Votes come as a list (`[{model, verdict, reason}]`) or a map (`{model: verdict}`). */
function renderVotes(f: Fields, votes: unknown): string[] | MapRejection {
  const lines: string[] = [];
  const entries: Array<[string, string, unknown]> = Array.isArray(votes)
    ? votes.map((v, i) => [`votes[${i}]`, `voter ${i + 1}`, v])
    : isRecord(votes)
      ? Object.entries(votes).map(([k, v]) => [`votes.${k}`, k, v])
      : [];
  if (entries.length === 0 && !Array.isArray(votes) && !isRecord(votes)) return wrongType(f, 'votes', 'a list or a map of votes', describeValue(votes));
  for (const [where, name, vote] of entries) {
    const line = renderVote(f, where, name, vote);
    if (typeof line !== 'string') return line;
    lines.push(line);
  }
  return lines;
}

/** One verifier's vote of a consensus split, as read back from the stored text. */
export interface ConsensusVote {
  voter: string;
  verdict: string;
  reason: string | null;
}

const UNRESOLVED = 'unresolved';

/**
 * The votes and resolution of a consensus split from the output_text its mapping wrote (the record
 * keeps no other structure): `resolution: <r>`, `votes:`, then `- <voter>: <verdict>[ — <reason>]` a
 * line. null when the text is not in that shape (e.g. capped at store time), so a reader never guesses.
 */
export function parseConsensusVotes(text: string): { resolution: string | null; votes: ConsensusVote[] } | null {
  const [head, label, ...lines] = text.split('\n');
  if (head === undefined || !head.startsWith('resolution: ') || label !== 'votes:' || lines.length === 0) return null;
  const votes: ConsensusVote[] = [];
  for (const line of lines) {
    const colon = line.indexOf(': ');
    if (!line.startsWith('- ') || colon < 3) return null;
    const rest = line.slice(colon + 2);
    const dash = rest.indexOf(' — ');
    const verdict = dash < 0 ? rest : rest.slice(0, dash);
    if (verdict === '') return null;
    votes.push({ voter: line.slice(2, colon), verdict, reason: dash < 0 ? null : rest.slice(dash + 3) });
  }
  const resolution = head.slice('resolution: '.length);
  return { resolution: resolution === UNRESOLVED ? null : resolution, votes };
}

export const AUDIT_DISCREPANCIES: StreamSpec = {
  stream: 'audit_discrepancies',
  description: 'Lakehouse auditor consensus splits (audit_discrepancies.jsonl): one disputed claim per line',
  kind: 'consensus',
  model_role: 'verifier',
  schema_version: 1,
  fields: {
    ...prHeadFields('a consensus split'),
    claim_idx: req('count', 'a consensus split must say which claim it is about'),
    votes: req('json', 'a consensus split must carry the votes that split'),
    resolution: opt('text'),
    claim: opt('text', 'input_text'),
    ts: opt('timestamp', 'timestamp'),
  },
  // Joins the audit of the same PR head: pr-<pr_number>@<head_sha[0:12]>.
  run_id: prHeadRunId,
  // One disputed claim of the PR: preference pairs are built per claim.
  task_id: (f) => `pr-${f.need('pr_number')}:claim-${String(f.num('claim_idx'))}`,
  task_type: constant(AUDIT_TASK_TYPE),
  signature: { all: ['pr_number', 'head_sha', 'claim_idx', 'votes'], any: [], cue: null },
  finish: (f, d) => {
    const votes = renderVotes(f, f.raw('votes'));
    if (!Array.isArray(votes)) return votes as MapRejection;
    const resolution = f.str('resolution');
    // parseConsensusVotes reads this shape back (the datasets stage builds preference pairs from it).
    d.output_text = [`resolution: ${resolution === null || resolution === '' ? UNRESOLVED : clipLine(resolution, 400)}`, 'votes:', ...votes.map((v) => `- ${v}`)].join('\n');
    // A split is disagreement among verifiers, not a failure of the PR: a note for the scorer's reader.
    d.observer_notes = `consensus split on claim ${String(f.num('claim_idx'))} (${votes.length} votes)`;
    return null;
  },
};

export const AUDIT_STREAMS: readonly StreamSpec[] = [AUDITS, AUDIT_FACTS, AUDIT_LESSONS, AUDIT_DISCREPANCIES];
