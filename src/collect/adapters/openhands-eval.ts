// Adapter for OpenHands evaluation and resolver output.jsonl: one whole run per line, mapped to one run-level outcome.
import { canonicalSha256 } from '../../canonical.ts';
import type { ValidationResult } from '../../../schemas/evidence-record.ts';
import { emptyDraft } from '../adapter.ts';
import type { Adapter, DetectProbe, EvidenceDraft, MapRejection, MapResult, SourceLocation } from '../adapter.ts';
import { inferModelProvider } from './lakehouse/infer-model-provider.ts';
import {
  appendUnique,
  asCount,
  asInt,
  asString,
  extractCommitOids,
  extractUnmappedFields,
  extractValidation,
  isRecord,
  parseTimestamp,
  renderShort,
  extractDiffPaths,
} from './session-common.ts';

const SOURCE_ID = 'openhands-eval';
/** Hex digits of sha256 that name a resolver run whose issue has no number. */
const RUN_ID_HEX = 16;
/** Longest producer error kept inside a failure marker. */
const MARKER_ERROR_CAP = 120;

/** Top-level keys of both shapes that the adapter reads or knowingly ignores. */
const KNOWN_FIELDS: ReadonlySet<string> = new Set([
  // evaluation output
  'instance_id',
  'instruction',
  'metadata',
  'history',
  'metrics',
  'error',
  'test_result',
  // the benchmark's own copy of the task (repo, base commit, hidden tests): not something the run did
  'instance',
  // resolver output
  'issue',
  'issue_type',
  'base_commit',
  'git_patch',
  'success',
  'comment_success',
  'result_explanation',
  'comment',
]);

/** The kind of run a line records, and its identity. */
interface RunIdentity {
  run_id: string;
  task_id: string;
  task_type: 'swe_task' | 'issue_resolution';
}

/** What one line's `history` tells about the run, summarised: the line is one record, not one per event. */
interface HistorySummary {
  errored: number;
  validations: ValidationResult[];
  oids: string[];
  final_message: string | null;
  /** The agent's own claim in its finish action (`task_completed`), reported, never taken as the outcome. */
  claimed_complete: string | null;
  first_timestamp: string | null;
  last_timestamp: string | null;
}

function reject(code: MapRejection['code'], reason: string): MapResult {
  return { ok: false, rejection: { code, reason } };
}

function describeValue(value: unknown): string {
  return Array.isArray(value) ? 'an array' : value === null ? 'null' : typeof value;
}

/** OpenHands writes `datetime.now()` without a zone: read it as UTC so the result does not depend on the machine. */
function parseZonelessTimestamp(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  const zoned = /(?:Z|[+-]\d{2}:?\d{2})$/.test(value) ? value : `${value.replace(' ', 'T')}Z`;
  return parseTimestamp(zoned);
}

function idOf(value: unknown): string | null {
  if (typeof value === 'number' && Number.isSafeInteger(value)) return String(value);
  return asString(value);
}

/**
 * The run's identity from the line's own id fields: `instance_id` (evaluation), else the resolver's
 * issue (`owner/repo#number`, or a hash of owner, repo and title when the issue has no number).
 */
function identify(line: Record<string, unknown>): RunIdentity | null {
  const instance = idOf(line.instance_id);
  const issue = isRecord(line.issue) ? line.issue : null;
  if (issue === null) return instance === null ? null : { run_id: `${SOURCE_ID}:${instance}`, task_id: instance, task_type: 'swe_task' };
  const owner = asString(issue.owner);
  const repo = asString(issue.repo);
  const number = idOf(issue.number);
  // Issue numbers repeat across repositories: qualify them when the line names the repository.
  const named = number === null ? null : owner !== null && repo !== null ? `${owner}/${repo}#${number}` : number;
  if (named !== null) return { run_id: `openhands-resolver:${named}`, task_id: named, task_type: 'issue_resolution' };
  if (instance !== null) return { run_id: `openhands-resolver:${instance}`, task_id: instance, task_type: 'issue_resolution' };
  const title = asString(issue.title);
  if (title === null) return null;
  const hash = canonicalSha256({ owner, repo, title }).slice(0, RUN_ID_HEX);
  return { run_id: `openhands-resolver:${hash}`, task_id: hash, task_type: 'issue_resolution' };
}


/** The exit code an OpenHands `run` observation reports (new schema: extras.metadata, old: top level); -1 = unknown. */
function exitCodeOf(event: Record<string, unknown>): number | null {
  const extras = isRecord(event.extras) ? event.extras : {};
  const metadata = isRecord(extras.metadata) ? extras.metadata : {};
  const code = asInt(metadata.exit_code) ?? asInt(extras.exit_code) ?? asInt(event.exit_code);
  return code === -1 ? null : code;
}

function commandOf(event: Record<string, unknown>): string | null {
  const extras = isRecord(event.extras) ? event.extras : {};
  return asString(extras.command) ?? asString(event.command);
}

function contentOf(event: Record<string, unknown>): string {
  return typeof event.content === 'string' ? event.content : '';
}

/** An observation that reports a failed tool call: an error event, a false success flag, a non-zero exit, a traceback. */
function isErroredObservation(event: Record<string, unknown>, observation: string): boolean {
  if (observation === 'error' || event.success === false) return true;
  if (observation === 'run') {
    const code = exitCodeOf(event);
    return code !== null && code !== 0;
  }
  return observation === 'run_ipython' && /Traceback \(most recent call last\)/.test(contentOf(event));
}

/** The final words of the agent's finish action (new schema: args.final_thought, old: thought), or its message. */
function finishText(event: Record<string, unknown>): string | null {
  const args = isRecord(event.args) ? event.args : event;
  return asString(args.final_thought) ?? asString(args.thought) ?? asString(event.message);
}

function summarizeHistory(history: readonly unknown[]): HistorySummary {
  const summary: HistorySummary = {
    errored: 0,
    validations: [],
    oids: [],
    final_message: null,
    claimed_complete: null,
    first_timestamp: null,
    last_timestamp: null,
  };
  const latest = new Map<string, ValidationResult>();
  for (const event of history) {
    if (!isRecord(event)) continue;
    const at = parseZonelessTimestamp(event.timestamp);
    if (at !== null) {
      summary.first_timestamp ??= at;
      summary.last_timestamp = at;
    }
    const observation = asString(event.observation);
    const action = asString(event.action);
    if (observation !== null) {
      if (isErroredObservation(event, observation)) summary.errored += 1;
      const command = observation === 'run' ? commandOf(event) : null;
      const code = observation === 'run' ? exitCodeOf(event) : null;
      if (command !== null && code !== null) {
        const validation = extractValidation(command, code === 0);
        // A later run of the same check supersedes the earlier one: the last word is what the run ended on.
        if (validation !== null) {
          latest.delete(validation.name);
          latest.set(validation.name, validation);
        }
        if (code === 0) appendUnique(summary.oids, extractCommitOids(command, contentOf(event)));
      }
    } else if (action === 'finish') {
      summary.final_message = finishText(event) ?? summary.final_message;
      const args = isRecord(event.args) ? event.args : {};
      const claim = args.task_completed;
      summary.claimed_complete = typeof claim === 'string' || typeof claim === 'boolean' ? String(claim) : null;
    } else if (action === 'message' && event.source === 'agent') {
      // Old-schema events name no source, and their messages are the task: only the agent's words count.
      const args = isRecord(event.args) ? event.args : event;
      summary.final_message = asString(args.content) ?? summary.final_message;
    }
  }
  summary.validations = [...latest.values()];
  return summary;
}

/** The run's token usage from metrics.accumulated_token_usage; litellm counts cache reads inside prompt_tokens. */
function tokensOf(metrics: Record<string, unknown>): EvidenceDraft['tokens'] {
  const usage = isRecord(metrics.accumulated_token_usage) ? metrics.accumulated_token_usage : null;
  if (usage === null) return null;
  const cached = asCount(usage.cache_read_tokens);
  return { input: Math.max(0, asCount(usage.prompt_tokens) - cached), output: asCount(usage.completion_tokens), cached };
}

function costOf(metrics: Record<string, unknown>): number | null {
  const cost = metrics.accumulated_cost;
  return typeof cost === 'number' && Number.isFinite(cost) && cost >= 0 ? cost : null;
}

/** The producer's error field: a failure marker, and the exit status the run ended with. */
function applyError(error: string, draft: EvidenceDraft): void {
  if (/maximum iteration/i.test(error)) {
    draft.failure_markers.push('error:max_iterations');
    draft.signals.exit_status = 'max_iterations';
  } else if (/maximum budget|budget.*exceeded/i.test(error)) {
    draft.failure_markers.push('error:max_budget');
    draft.signals.exit_status = 'max_budget';
  } else {
    draft.failure_markers.push(`error:${renderShort(error, MARKER_ERROR_CAP)}`);
    draft.signals.exit_status = 'error';
  }
}

/** The resolver's flags: `success` is the run's verdict; `comment_success` (PR mode) one per review comment. */
function applyResolverFlags(line: Record<string, unknown>, draft: EvidenceDraft): void {
  if (typeof line.success === 'boolean') {
    draft.signals.run_ok = line.success;
    if (line.success) draft.success_markers.push('resolver:success');
    else draft.failure_markers.push('resolver:unsuccessful');
  }
  if (Array.isArray(line.comment_success)) {
    const flags = line.comment_success.filter((f): f is boolean => typeof f === 'boolean');
    const failed = flags.filter((f) => !f).length;
    if (failed > 0) draft.failure_markers.push(`comment_unsuccessful:${failed} of ${flags.length}`);
    else if (flags.length > 0) draft.success_markers.push(`comment_success:${flags.length}`);
  }
}

function inputTextOf(line: Record<string, unknown>): string | null {
  const instruction = asString(line.instruction);
  if (instruction !== null) return instruction;
  const issue = isRecord(line.issue) ? line.issue : null;
  if (issue === null) return null;
  const parts = [asString(issue.title), asString(issue.body)].filter((p): p is string => p !== null);
  return parts.length > 0 ? parts.join('\n\n') : null;
}

function mapLine(value: unknown, _at: SourceLocation, _state: null): MapResult {
  if (!isRecord(value)) return reject('not_an_object', `line is ${describeValue(value)}, not a JSON object`);
  const identity = identify(value);
  if (identity === null) {
    return reject('missing_field', 'instance_id, issue.number: the line names neither an evaluation instance nor a resolver issue');
  }
  if (value.history !== undefined && value.history !== null && !Array.isArray(value.history)) {
    return reject('wrong_type', `history: expected an array of events, got ${describeValue(value.history)}`);
  }
  const history: unknown[] = Array.isArray(value.history) ? value.history : [];
  const metadata = isRecord(value.metadata) ? value.metadata : {};
  const llm = isRecord(metadata.llm_config) ? metadata.llm_config : {};
  const metrics = isRecord(value.metrics) ? value.metrics : {};
  const testResult = isRecord(value.test_result) ? value.test_result : {};

  const draft = emptyDraft({ ...identity, kind: 'outcome', model_role: 'executor' });
  const summary = summarizeHistory(history);
  draft.model_name = asString(llm.model);
  draft.model_provider = inferModelProvider(draft.model_name);
  draft.input_text = inputTextOf(value);
  draft.output_text = asString(value.comment) ?? summary.final_message;
  draft.timestamp = parseZonelessTimestamp(metadata.start_time) ?? summary.first_timestamp;
  if (summary.first_timestamp !== null && summary.last_timestamp !== null) {
    draft.latency_ms = Math.max(0, Date.parse(summary.last_timestamp) - Date.parse(summary.first_timestamp));
  }
  draft.cost_usd = costOf(metrics);
  draft.tokens = tokensOf(metrics);

  const patch = asString(value.git_patch) ?? asString(testResult.git_patch);
  if (patch !== null) draft.source_files = extractDiffPaths(patch);
  draft.validation_results = summary.validations;
  draft.link_hints.oids = summary.oids;

  const error = asString(value.error);
  if (error !== null) applyError(error, draft);
  if (summary.errored > 0) draft.failure_markers.push(`tool_error:${summary.errored} errored tool results`);
  applyResolverFlags(value, draft);
  // A graded SWE-bench evaluation records whether the hidden tests passed: the benchmark's verdict.
  const report = isRecord(testResult.report) ? testResult.report : null;
  if (report !== null && typeof report.resolved === 'boolean') {
    draft.signals.run_ok = report.resolved;
    if (report.resolved) draft.success_markers.push('resolved');
    else draft.failure_markers.push('unresolved');
  }

  const notes: string[] = [];
  const explanation = asString(value.result_explanation);
  if (explanation !== null) notes.push(`resolver: ${renderShort(explanation)}`);
  if (summary.claimed_complete !== null) notes.push(`agent claimed task_completed=${summary.claimed_complete}`);
  draft.observer_notes = notes.join('; ');
  draft.unmapped_fields = extractUnmappedFields(value, KNOWN_FIELDS);
  return { ok: true, draft };
}

function detect(probe: DetectProbe): number {
  const line = probe.first;
  if (!isRecord(line)) return 0;
  const evaluation = 'instance_id' in line && Array.isArray(line.history) && ('metrics' in line || 'instruction' in line);
  const resolver = isRecord(line.issue) && ('git_patch' in line || 'success' in line);
  return evaluation || resolver ? 90 : 0;
}

/** OpenHands evaluation/resolver output.jsonl: each line one whole run, read as one outcome record. */
export const openHandsEvalAdapter: Adapter<null> = {
  id: SOURCE_ID,
  description: 'OpenHands evaluation and resolver output.jsonl (one whole run per line)',
  container: 'jsonl',
  detect,
  init(): null {
    return null;
  },
  map: mapLine,
};
