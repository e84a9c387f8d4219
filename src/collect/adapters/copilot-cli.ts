// Adapter for GitHub Copilot CLI session JSON (~/.copilot/history-session-state/<sessionId>.json: sessionId, chatMessages, timeline).
import { canonicalSha256 } from '../../canonical.ts';
import type { ToolCall } from '../../../schemas/evidence-record.ts';
import { emptyDraft } from '../adapter.ts';
import type { Adapter, DetectProbe, EvidenceDraft, MapRejection, MapResult, SourceLocation } from '../adapter.ts';
import {
  appendUnique,
  asString,
  buildCommandOutcome,
  computeRelativePath,
  extractUnmappedFields,
  isRecord,
  parseTimestamp,
  renderErrorLine,
  renderShort,
  SUMMARY_CAP,
} from './session-common.ts';

const SOURCE_ID = 'copilot-cli';
const TASK_TYPE = 'coding_session';
/** The pointer of the session header item: the document itself, read without its timeline. */
const HEADER_POINTER = '';

export interface CopilotCliState {
  /** The session id (or its sha256 fallback) once the header item has been mapped. */
  session_id: string | null;
}

const KNOWN_HEADER_FIELDS: ReadonlySet<string> = new Set(['sessionId', 'startTime', 'chatMessages']);
const KNOWN_EVENT_FIELDS: ReadonlySet<string> = new Set([
  'id', 'timestamp', 'type', 'text', 'callId', 'name', 'toolTitle', 'intentionSummary', 'arguments', 'result',
]);

/** str_replace_editor commands that write the file they name (view and undo_edit do not). */
const WRITE_COMMANDS: ReadonlySet<string> = new Set(['str_replace', 'create', 'insert']);
/** Tools that run a shell command given in `arguments.command`. */
const SHELL_TOOLS: ReadonlySet<string> = new Set(['bash', 'shell', 'powershell']);
/** Result types that mean the user declined the call: a human decision, not a tool failure. */
const REJECTED_RESULTS: ReadonlySet<string> = new Set(['rejected', 'denied', 'cancelled']);
/** Copilot CLI ends a shell tool's log with the command's exit code. */
const EXIT_CODE_RE = /<exited with exit code (-?\d+)>\s*$/;

function reject(code: MapRejection['code'], reason: string): MapResult {
  return { ok: false, rejection: { code, reason } };
}

function describeNonObject(value: unknown): string {
  return Array.isArray(value) ? 'an array' : value === null ? 'null' : typeof value;
}

/** A short rendering of a tool's arguments: the command, path or query it acts on. */
function renderArguments(args: Record<string, unknown>): string | null {
  const command = asString(args.command);
  const path = asString(args.path);
  if (command !== null && path !== null) return renderShort(`${command} ${path}`);
  const primary = command ?? path ?? asString(args.query) ?? asString(args.url);
  if (primary !== null) return renderShort(primary);
  const json = JSON.stringify(args);
  return json === '{}' ? null : renderShort(json, SUMMARY_CAP);
}

/** The file a tool call writes, when it is an edit: str_replace_editor's write commands, or edit/create tools. */
function writtenPath(name: string, args: Record<string, unknown>): string | null {
  const path = asString(args.path);
  if (path === null) return null;
  if (name === 'str_replace_editor') return WRITE_COMMANDS.has(asString(args.command) ?? '') ? path : null;
  return name === 'edit' || name === 'create' || name === 'write' ? path : null;
}

function mapHeader(header: Record<string, unknown>, state: CopilotCliState): MapResult {
  // Without a sessionId the run is named by the header's content (startTime, chatMessages): stable per file.
  const id = asString(header.sessionId) ?? `sha256-${canonicalSha256(header).slice(0, 16)}`;
  state.session_id = id;
  const draft = emptyDraft({ kind: 'meta', run_id: `${SOURCE_ID}:${id}`, task_id: id, task_type: TASK_TYPE, model_role: 'executor' });
  draft.timestamp = parseTimestamp(header.startTime);
  const chat = Array.isArray(header.chatMessages) ? header.chatMessages.length : 0;
  // chatMessages is the model-facing transcript of the same turns the timeline records with ids,
  // timestamps and tool results; mapping both would count every turn twice, so it is only counted here.
  draft.observer_notes = `session header; ${chat} chatMessages not mapped (the timeline records the same turns)`;
  draft.unmapped_fields = extractUnmappedFields(header, KNOWN_HEADER_FIELDS);
  return { ok: true, draft };
}

function mapToolCall(event: Record<string, unknown>, draft: EvidenceDraft): MapResult | null {
  const name = asString(event.name) ?? asString(event.toolTitle);
  if (name === null) return reject('missing_field', 'name: a tool_call_completed event names the tool it ran');
  const args = isRecord(event.arguments) ? event.arguments : {};
  const result = isRecord(event.result) ? event.result : null;
  const resultType = result !== null ? asString(result.type) : null;
  const log = result !== null && typeof result.log === 'string' ? result.log : '';
  draft.kind = 'tool_result';
  draft.model_role = 'tool';
  draft.input_text = asString(event.intentionSummary);
  draft.output_text = log.length > 0 ? log : null;

  const rejected = resultType !== null && REJECTED_RESULTS.has(resultType);
  // 'success' is the one passing result type; any other stated type (failure, rejected, ...) is a failed call,
  // and an event without a result says nothing about the outcome.
  const ok = resultType === 'success' ? true : resultType === null ? null : false;
  const call: ToolCall = {
    name,
    call_id: asString(event.callId),
    input_summary: renderArguments(args),
    ok,
    error: ok === false ? renderErrorLine(log) || resultType : null,
  };
  draft.tool_calls.push(call);
  if (ok === false) draft.failure_markers.push(`${rejected ? 'tool_rejected_by_user' : 'tool_error'}:${name}`);

  const written = writtenPath(name, args);
  if (ok === true && written !== null) appendUnique(draft.source_files, [computeRelativePath(written, null)]);

  const command = SHELL_TOOLS.has(name) ? asString(args.command) : null;
  if (command !== null && !rejected && ok !== null) {
    const stated = EXIT_CODE_RE.exec(log)?.[1];
    const outcome = buildCommandOutcome(command, stated !== undefined ? Number(stated) : null, ok, log);
    draft.commands_run.push(outcome.command_run);
    draft.failure_markers.push(...outcome.failure_markers);
    draft.success_markers.push(...outcome.success_markers);
    if (outcome.validation !== null) draft.validation_results.push(outcome.validation);
    appendUnique(draft.link_hints.oids, outcome.oids);
  }
  return null;
}

function mapEvent(event: Record<string, unknown>, state: CopilotCliState): MapResult {
  const session = state.session_id;
  if (session === null) return reject('missing_field', 'sessionId: the session header was not read before this event');
  const type = asString(event.type);
  if (type === null) return reject('missing_field', 'type: every Copilot CLI timeline event names its type');
  const draft = emptyDraft({ kind: 'meta', run_id: `${SOURCE_ID}:${session}`, task_id: session, task_type: TASK_TYPE, model_role: 'executor' });
  draft.timestamp = parseTimestamp(event.timestamp);
  draft.unmapped_fields = extractUnmappedFields(event, KNOWN_EVENT_FIELDS);
  const text = asString(event.text);
  switch (type) {
    case 'user':
      draft.kind = 'message';
      draft.model_role = 'human';
      draft.input_text = text;
      break;
    case 'copilot':
      // The assistant's turn; this log format records neither the model nor its token usage.
      draft.kind = 'model_call';
      draft.output_text = text;
      break;
    case 'tool_call_completed': {
      const rejected = mapToolCall(event, draft);
      if (rejected !== null) return rejected;
      break;
    }
    case 'error':
      draft.kind = 'message';
      draft.output_text = text;
      draft.failure_markers.push('copilot_error');
      break;
    default:
      // info (MCP connections, login) and event types this adapter does not know: session metadata.
      draft.output_text = text;
      draft.observer_notes = `${type} event`;
  }
  return { ok: true, draft };
}

function mapItem(value: unknown, at: SourceLocation, state: CopilotCliState): MapResult {
  if (!isRecord(value)) return reject('not_an_object', `expected a JSON object, got ${describeNonObject(value)}`);
  if (at.pointer === HEADER_POINTER) return mapHeader(value, state);
  return mapEvent(value, state);
}

function split(doc: unknown): { ok: true; items: Array<{ pointer: string; value: unknown }> } | { ok: false; reason: string } {
  if (!isRecord(doc)) return { ok: false, reason: `expected a Copilot CLI session object, got ${describeNonObject(doc)}` };
  if (!Array.isArray(doc.timeline)) return { ok: false, reason: 'timeline: a Copilot CLI session carries its events in a timeline array' };
  const chat = Array.isArray(doc.chatMessages) ? doc.chatMessages.length : 0;
  if (doc.timeline.length === 0 && chat > 0) {
    // The adapter reads turns from the timeline only; a session with chat messages but no timeline would lose them silently.
    return { ok: false, reason: `timeline: empty while chatMessages holds ${chat} messages; only the timeline is read` };
  }
  const { timeline: _timeline, ...header } = doc;
  return {
    ok: true,
    items: [{ pointer: HEADER_POINTER, value: header }, ...doc.timeline.map((value, index) => ({ pointer: `/timeline/${index}`, value }))],
  };
}

function detect(probe: DetectProbe): number {
  const doc = probe.first;
  if (!isRecord(doc) || !Array.isArray(doc.timeline)) return 0;
  const hasSession = asString(doc.sessionId) !== null;
  const hasChat = Array.isArray(doc.chatMessages);
  // Copilot CLI keeps these files under ~/.copilot/history-session-state/.
  if (hasSession && hasChat) return /(?:^|[\\/])\.copilot[\\/]/.test(probe.path) ? 95 : 90;
  const first = doc.timeline.find(isRecord);
  const copilotEvent = first !== undefined && ['info', 'user', 'copilot', 'tool_call_completed'].includes(asString(first.type) ?? '');
  return (hasSession || hasChat) && (first === undefined || copilotEvent) ? 70 : 0;
}

/** GitHub Copilot CLI session JSON: a session is a run; the header is meta and each timeline event is evidence. */
export const copilotCliAdapter: Adapter<CopilotCliState> = {
  id: SOURCE_ID,
  description: 'GitHub Copilot CLI session JSON (~/.copilot/history-session-state/<session>.json: timeline of user, assistant and tool events)',
  container: 'json',
  stateful: true,
  detect,
  init(): CopilotCliState {
    return { session_id: null };
  },
  split,
  map: mapItem,
};
