// Aggregates one run's evidence into the RunSignals the scoring rules test, remembering which evidence supports each signal.
import type { EvidenceRecord } from '../../schemas/evidence-record.ts';
import type { RunSignals, SignalName } from '../../schemas/scored-run.ts';
import { canonicalJson } from '../canonical.ts';

/** One piece of evidence behind a signal: its id, where it came from, and what it said. */
export interface SignalSupport {
  evidence_id: string;
  /** `source_file:line_offset` of the evidence. */
  at: string;
  note: string;
}

export type SignalSupportMap = Record<SignalName, SignalSupport[]>;

export interface ComputedRunSignals {
  signals: RunSignals;
  /** For every signal, the evidence behind its value, in the run's order. Empty for an absence. */
  support: SignalSupportMap;
  /** The run's evidence as scored: deduplicated by evidence_id and in the run's stable order. */
  evidence: EvidenceRecord[];
}

/**
 * Exit statuses that mean the agent finished normally. Anything else an agent reports
 * (error, failed, exit_error, max_iterations, exit_cost, interrupted, ...) is a non-success.
 * Adapters lower-case exit_status; we trim and lower-case again so a stray capital cannot flip a run.
 */
export const SUCCESS_EXIT_STATUSES: readonly string[] = [
  '0',
  'complete',
  'completed',
  'done',
  'finished',
  'ok',
  'passed',
  'submitted',
  'succeeded',
  'success',
  'successful',
];

export function isSuccessExitStatus(status: string): boolean {
  return SUCCESS_EXIT_STATUSES.includes(status.trim().toLowerCase());
}

const SIGNAL_NAMES: readonly SignalName[] = [
  'human_override',
  'failed_validations',
  'passed_validations',
  'recovered_validations',
  'gate_failures',
  'reverts',
  'patches_applied',
  'auditor_blocks',
  'auditor_warns',
  'auditor_passes',
  'observer_rejects',
  'observer_reject_confidence',
  'observer_accepts',
  'fatal_tool_error',
  'tool_errors_recovered',
  'exit_status',
  'exit_status_ok',
  'run_ok',
  'accepted_on_attempt',
  'grounding',
  'success_markers',
  'failure_markers',
  'outcome_evidence',
  'positive_evidence',
];

interface Keyed {
  rec: EvidenceRecord;
  /** Epoch milliseconds of the timestamp; null when absent or unparsable (sorts first). */
  ms: number | null;
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function compareKeyed(a: Keyed, b: Keyed): number {
  if (a.ms !== b.ms) {
    if (a.ms === null) return -1;
    if (b.ms === null) return 1;
    return a.ms - b.ms;
  }
  const ra = a.rec;
  const rb = b.rec;
  const pa = ra.provenance;
  const pb = rb.provenance;
  return (
    // Same millisecond: sub-millisecond digits still order records of one producer.
    compareStrings(ra.timestamp ?? '', rb.timestamp ?? '') ||
    compareStrings(pa.source_file, pb.source_file) ||
    pa.line_offset - pb.line_offset ||
    pa.byte_offset - pb.byte_offset ||
    compareStrings(pa.pointer ?? '', pb.pointer ?? '') ||
    compareStrings(ra.evidence_id, rb.evidence_id) ||
    // Only two records with one evidence_id and one location get here; their content settles it.
    compareStrings(canonicalJson(ra), canonicalJson(rb))
  );
}

function digits(s: string, from: number, count: number): number {
  let n = 0;
  for (let i = from; i < from + count; i++) {
    const d = s.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function daysInMonth(year: number, month: number): number {
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  return month === 2 && leap ? 29 : (DAYS_IN_MONTH[month - 1] ?? 0);
}

/**
 * Epoch milliseconds of an ISO date-time. The common `YYYY-MM-DDTHH:MM:SS[.fff…](Z|±HH:MM)` shape
 * is read by hand because Date.parse dominated scoring time; anything else goes to Date.parse.
 */
export function timestampMs(timestamp: string | null): number | null {
  if (timestamp === null) return null;
  const t = timestamp;
  if (t.length >= 20 && t[4] === '-' && t[7] === '-' && t[10] === 'T' && t[13] === ':' && t[16] === ':') {
    const year = digits(t, 0, 4);
    const month = digits(t, 5, 2);
    const day = digits(t, 8, 2);
    const hour = digits(t, 11, 2);
    const minute = digits(t, 14, 2);
    const second = digits(t, 17, 2);
    let i = 19;
    let ms = 0;
    if (t[i] === '.') {
      let scale = 100;
      i++;
      while (i < t.length && t.charCodeAt(i) >= 48 && t.charCodeAt(i) <= 57) {
        ms += (t.charCodeAt(i) - 48) * scale;
        scale /= 10;
        i++;
      }
      ms = Math.floor(ms);
    }
    let offset = 0;
    let zoneOk = false;
    if (t[i] === 'Z' && i === t.length - 1) zoneOk = true;
    else if ((t[i] === '+' || t[i] === '-') && i + 6 === t.length && t[i + 3] === ':') {
      const oh = digits(t, i + 1, 2);
      const om = digits(t, i + 4, 2);
      if (oh >= 0 && om >= 0) {
        offset = (t[i] === '+' ? 1 : -1) * (oh * 60 + om) * 60_000;
        zoneOk = true;
      }
    }
    if (
      zoneOk &&
      year >= 0 &&
      month >= 1 &&
      month <= 12 &&
      day >= 1 &&
      day <= daysInMonth(year, month) &&
      hour >= 0 &&
      hour <= 23 &&
      minute >= 0 &&
      minute <= 59 &&
      second >= 0 &&
      second <= 59
    ) {
      return Date.UTC(year, month - 1, day, hour, minute, second, ms) - offset;
    }
  }
  const ms = Date.parse(t);
  return Number.isNaN(ms) ? null : ms;
}

/**
 * The run's evidence in its stable order: by timestamp (undated first), then provenance
 * (file, line, byte, pointer), then evidence_id. Records repeating an evidence_id are the same
 * evidence read twice; the first in this order is kept. The input is not modified.
 */
export function orderRunEvidence(evidence: readonly EvidenceRecord[]): EvidenceRecord[] {
  const keyed: Keyed[] = evidence.map((rec) => ({ rec, ms: timestampMs(rec.timestamp) }));
  keyed.sort(compareKeyed);
  const seen = new Set<string>();
  const out: EvidenceRecord[] = [];
  for (const { rec } of keyed) {
    if (seen.has(rec.evidence_id)) continue;
    seen.add(rec.evidence_id);
    out.push(rec);
  }
  return out;
}

/** One line, at most `max` characters, so notes stay readable in a reason's detail. */
function clip(text: string, max = 120): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length <= max ? flat : `${flat.slice(0, max - 1)}…`;
}

function markerNote(kind: 'success' | 'failure', markers: readonly string[]): string {
  const first = markers[0] ?? '';
  const more = markers.length > 1 ? ` (+${markers.length - 1} more)` : '';
  return `${kind} marker "${clip(first, 80)}"${more}`;
}

/** Agent-side success after a tool error: it means the error did not end the run. */
function isAgentSuccess(rec: EvidenceRecord): boolean {
  const s = rec.signals;
  return (
    rec.success_markers.length > 0 ||
    rec.validation_results.some((v) => v.passed) ||
    s.run_ok === true ||
    (s.exit_status !== null && isSuccessExitStatus(s.exit_status))
  );
}

/**
 * Labels of the positive outcomes a record carries (empty: none). A human accept is left out:
 * it has its own rule, and counting it would make "success" fire on runs the override rescued.
 */
function positiveLabels(rec: EvidenceRecord): string[] {
  const s = rec.signals;
  const labels: string[] = [];
  if (rec.success_markers.length > 0) labels.push('success marker');
  if (rec.validation_results.some((v) => v.passed)) labels.push('passed validation');
  if (s.applier_action === 'applied') labels.push('patch applied');
  if (s.auditor_verdict === 'pass' || s.auditor_verdict === 'warn') labels.push(`auditor ${s.auditor_verdict}`);
  if (s.observer_verdict === 'accept') labels.push('observer accept');
  if (s.exit_status !== null && isSuccessExitStatus(s.exit_status)) labels.push(`exit status ${s.exit_status}`);
  if (s.run_ok === true) labels.push('ok flag');
  if (s.accepted_on_attempt !== null) labels.push(`accepted on attempt ${s.accepted_on_attempt}`);
  return labels;
}

/** Labels of every outcome a record carries, positive or not (empty: the record says nothing about the outcome). */
function outcomeLabels(rec: EvidenceRecord, positive: readonly string[]): string[] {
  const s = rec.signals;
  const labels = [...positive];
  if (rec.human_override !== null) labels.push(`human ${rec.human_override.decision}`);
  if (rec.failure_markers.length > 0) labels.push('failure marker');
  if (rec.tool_calls.some((c) => c.ok === false)) labels.push('tool error');
  if (rec.validation_results.some((v) => !v.passed)) labels.push('failed validation');
  if (s.applier_action !== null && s.applier_action !== 'applied') labels.push(`patch ${s.applier_action}`);
  if (s.auditor_verdict === 'block') labels.push('auditor block');
  if (s.observer_verdict === 'reject') labels.push('observer reject');
  if (s.exit_status !== null && !isSuccessExitStatus(s.exit_status)) labels.push(`exit status ${s.exit_status}`);
  if (s.run_ok === false) labels.push('ok flag false');
  if (s.grounding !== null) labels.push(`grounding ${s.grounding}`);
  if (s.fatal_tool_error === true) labels.push('fatal tool error flag');
  return labels;
}

interface ToolResult {
  index: number;
  rec: EvidenceRecord;
  name: string;
  ok: boolean;
  error: string | null;
}

/**
 * Aggregate one run's evidence into RunSignals. Pure and independent of the input order:
 * the evidence is put in the run's stable order first (see orderRunEvidence), and "latest"
 * always means last in that order.
 */
export function computeRunSignals(evidence: readonly EvidenceRecord[]): ComputedRunSignals {
  const ordered = orderRunEvidence(evidence);
  const support = Object.fromEntries(SIGNAL_NAMES.map((n) => [n, [] as SignalSupport[]])) as SignalSupportMap;
  const at = (rec: EvidenceRecord): string => `${rec.provenance.source_file}:${rec.provenance.line_offset}`;
  const add = (name: SignalName, rec: EvidenceRecord, note: string): void => {
    support[name].push({ evidence_id: rec.evidence_id, at: at(rec), note });
  };
  // Signals settled after the pass over the records get their support here, then in the run's order.
  type Late = { pos: number; rec: EvidenceRecord; note: string };
  const addInOrder = (name: SignalName, items: Late[]): void => {
    items.sort((a, b) => a.pos - b.pos);
    for (const item of items) add(name, item.rec, item.note);
  };

  let override: EvidenceRecord | null = null;
  const validations = new Map<string, Array<{ pos: number; rec: EvidenceRecord; passed: boolean; detail: string }>>();
  let gateFailures = 0;
  let reverts = 0;
  let patchesApplied = 0;
  let auditorBlocks = 0;
  let auditorWarns = 0;
  let auditorPasses = 0;
  let observerRejects = 0;
  let observerAccepts = 0;
  let rejectConfidence: number | null = null;
  let rejectConfidenceRecs: EvidenceRecord[] = [];
  const toolResults: ToolResult[] = [];
  const producerFatal: Late[] = [];
  let exitRec: EvidenceRecord | null = null;
  let runOkRec: EvidenceRecord | null = null;
  let attempt: number | null = null;
  let attemptRecs: EvidenceRecord[] = [];
  let grounding: number | null = null;
  let groundingRecs: EvidenceRecord[] = [];
  let successMarkers = 0;
  let failureMarkers = 0;
  let outcomeEvidence = 0;
  let positiveEvidence = 0;

  for (const [index, rec] of ordered.entries()) {
    const s = rec.signals;
    if (rec.human_override !== null) override = rec;

    for (const v of rec.validation_results) {
      const history = validations.get(v.name) ?? [];
      history.push({ pos: index, rec, passed: v.passed, detail: v.detail });
      validations.set(v.name, history);
    }

    switch (s.applier_action) {
      case 'gate_failed':
        gateFailures++;
        add('gate_failures', rec, 'applier gate failed');
        break;
      case 'reverted':
        reverts++;
        add('reverts', rec, 'applier reverted the patch');
        break;
      case 'applied':
        patchesApplied++;
        add('patches_applied', rec, 'applier applied the patch');
        break;
      case 'skipped':
      case null:
        break;
    }

    switch (s.auditor_verdict) {
      case 'block':
        auditorBlocks++;
        add('auditor_blocks', rec, 'auditor verdict block');
        break;
      case 'warn':
        auditorWarns++;
        add('auditor_warns', rec, 'auditor verdict warn');
        break;
      case 'pass':
        auditorPasses++;
        add('auditor_passes', rec, 'auditor verdict pass');
        break;
      case null:
        break;
    }

    const confidenceText = s.observer_confidence === null ? 'no stated confidence' : `confidence ${s.observer_confidence}`;
    if (s.observer_verdict === 'reject') {
      observerRejects++;
      add('observer_rejects', rec, `observer rejected with ${confidenceText}`);
      const c = s.observer_confidence;
      if (c !== null) {
        if (rejectConfidence === null || c > rejectConfidence) {
          rejectConfidence = c;
          rejectConfidenceRecs = [rec];
        } else if (c === rejectConfidence) {
          rejectConfidenceRecs.push(rec);
        }
      }
    } else if (s.observer_verdict === 'accept') {
      observerAccepts++;
      add('observer_accepts', rec, `observer accepted with ${confidenceText}`);
    }

    for (const call of rec.tool_calls) {
      if (call.ok === null) continue;
      toolResults.push({ index, rec, name: call.name, ok: call.ok, error: call.error });
    }
    if (s.fatal_tool_error === true) {
      producerFatal.push({ pos: index, rec, note: 'the producer reported a tool error that ended the run' });
    }

    if (s.exit_status !== null) exitRec = rec;
    if (s.run_ok !== null) runOkRec = rec;

    if (s.accepted_on_attempt !== null) {
      if (attempt === null || s.accepted_on_attempt > attempt) {
        attempt = s.accepted_on_attempt;
        attemptRecs = [rec];
      } else if (s.accepted_on_attempt === attempt) {
        attemptRecs.push(rec);
      }
    }
    if (s.grounding !== null) {
      if (grounding === null || s.grounding < grounding) {
        grounding = s.grounding;
        groundingRecs = [rec];
      } else if (s.grounding === grounding) {
        groundingRecs.push(rec);
      }
    }

    if (rec.success_markers.length > 0) {
      successMarkers += rec.success_markers.length;
      add('success_markers', rec, markerNote('success', rec.success_markers));
    }
    if (rec.failure_markers.length > 0) {
      failureMarkers += rec.failure_markers.length;
      add('failure_markers', rec, markerNote('failure', rec.failure_markers));
    }

    const positive = positiveLabels(rec);
    const outcome = outcomeLabels(rec, positive);
    if (positive.length > 0) {
      positiveEvidence++;
      add('positive_evidence', rec, `carries ${positive.join(', ')}`);
    }
    if (outcome.length > 0) {
      outcomeEvidence++;
      add('outcome_evidence', rec, `carries ${outcome.join(', ')}`);
    }
  }

  // Validations: a name's latest result counts; an earlier failure that later passed is "partial tests".
  const failedLate: Late[] = [];
  const passedLate: Late[] = [];
  const recoveredLate: Late[] = [];
  let recoveredValidations = 0;
  for (const [name, history] of validations) {
    const last = history[history.length - 1];
    if (last === undefined) continue;
    const detail = last.detail.trim() === '' ? '' : `: ${clip(last.detail, 80)}`;
    const label = `validation "${clip(name, 60)}"`;
    if (!last.passed) {
      failedLate.push({ pos: last.pos, rec: last.rec, note: `${label} failed${detail}` });
      continue;
    }
    passedLate.push({ pos: last.pos, rec: last.rec, note: `${label} passed` });
    const failures = history.filter((h) => !h.passed);
    if (failures.length > 0) {
      recoveredValidations++;
      for (const f of failures) recoveredLate.push({ pos: f.pos, rec: f.rec, note: `${label} failed` });
      recoveredLate.push({ pos: last.pos, rec: last.rec, note: `${label} passed later` });
    }
  }
  addInOrder('failed_validations', failedLate);
  addInOrder('passed_validations', passedLate);
  addInOrder('recovered_validations', recoveredLate);

  // Tool errors: the trailing errored results end the run unless something succeeded after them.
  let lastOk = -1;
  toolResults.forEach((t, i) => {
    if (t.ok) lastOk = i;
  });
  const tail = toolResults.slice(lastOk + 1);
  const lastTailIndex = tail[tail.length - 1]?.index ?? -1;
  const tailFatal = tail.length > 0 && !ordered.slice(lastTailIndex + 1).some(isAgentSuccess);
  const toolNote = (t: ToolResult): string =>
    `tool "${clip(t.name, 40)}" errored${t.error === null ? '' : `: ${clip(t.error, 80)}`}`;
  const tailSet = new Set(tail);
  const fatalLate: Late[] = [...producerFatal];
  let toolErrorsRecovered = 0;
  for (const t of toolResults) {
    if (t.ok) continue;
    if (tailFatal && tailSet.has(t)) {
      fatalLate.push({ pos: t.index, rec: t.rec, note: `${toolNote(t)}, and nothing succeeded after it` });
    } else {
      toolErrorsRecovered++;
      add('tool_errors_recovered', t.rec, `${toolNote(t)}, later recovered`);
    }
  }
  addInOrder('fatal_tool_error', fatalLate);

  let humanOverride: RunSignals['human_override'] = null;
  if (override !== null && override.human_override !== null) {
    const o = override.human_override;
    humanOverride = o.decision;
    const by = o.by.trim() === '' ? '' : ` by ${clip(o.by, 40)}`;
    const why = o.reason.trim() === '' ? '' : `: "${clip(o.reason, 100)}"`;
    add('human_override', override, `human ${o.decision}${by}${why}`);
  }

  const exitStatus = exitRec?.signals.exit_status?.trim().toLowerCase() ?? null;
  if (exitRec !== null && exitStatus !== null) {
    add('exit_status', exitRec, `exit status "${clip(exitStatus, 40)}"`);
    add('exit_status_ok', exitRec, `exit status "${clip(exitStatus, 40)}"`);
  }
  const runOk = runOkRec?.signals.run_ok ?? null;
  if (runOkRec !== null) add('run_ok', runOkRec, `ok flag ${String(runOk)}`);

  for (const rec of rejectConfidenceRecs) {
    add('observer_reject_confidence', rec, `observer rejected with confidence ${String(rejectConfidence)}`);
  }
  for (const rec of attemptRecs) add('accepted_on_attempt', rec, `accepted on attempt ${String(attempt)}`);
  for (const rec of groundingRecs) add('grounding', rec, `grounding ${String(grounding)}`);

  const signals: RunSignals = {
    human_override: humanOverride,
    failed_validations: failedLate.length,
    passed_validations: passedLate.length,
    recovered_validations: recoveredValidations,
    gate_failures: gateFailures,
    reverts,
    patches_applied: patchesApplied,
    auditor_blocks: auditorBlocks,
    auditor_warns: auditorWarns,
    auditor_passes: auditorPasses,
    observer_rejects: observerRejects,
    observer_reject_confidence: rejectConfidence,
    observer_accepts: observerAccepts,
    fatal_tool_error: tailFatal || producerFatal.length > 0,
    tool_errors_recovered: toolErrorsRecovered,
    exit_status: exitStatus,
    exit_status_ok: exitStatus === null ? null : isSuccessExitStatus(exitStatus),
    run_ok: runOk,
    accepted_on_attempt: attempt,
    grounding,
    success_markers: successMarkers,
    failure_markers: failureMarkers,
    outcome_evidence: outcomeEvidence,
    positive_evidence: positiveEvidence,
  };

  return { signals, support, evidence: ordered };
}
