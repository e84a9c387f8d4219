// Adapter for Aider's `.aider.chat.history.md`: sessions, user turns, replies with their edits, and what aider reported (applied edits, commits, failures).
import type { ToolCall, ValidationResult } from '../../../schemas/evidence-record.ts';
import { emptyDraft } from '../adapter.ts';
import type { Adapter, EvidenceDraft, MapResult, SourceLocation } from '../adapter.ts';
import type { LineSplitter, LineVerdict } from '../group-text.ts';
import { inferModelProvider } from './lakehouse/infer-model-provider.ts';
import { appendUnique, renderShort } from './session-common.ts';

const SOURCE_ID = 'aider';
const TASK_TYPE = 'coding_session';

/**
 * How aider writes its history (aider/io.py): a session opens with `# aider chat started at <local time>`;
 * what the user typed is `#### <line>  `; aider's own messages are `> <text>  ` (a message of several lines
 * keeps `> ` on its first line only, and its last line ends with the two spaces); the model's reply is
 * plain Markdown between blank lines.
 */
const HEADER_RE = /^# aider chat started at (\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2})\s*$/;
const USER_RE = /^####(?: .*)?$/;
const TOOL_RE = /^>(?: |$)/;
/** Every line aider itself writes ends with two spaces (a Markdown line break). */
const endsMessage = (text: string): boolean => text.endsWith('  ');
const HASH = 35; // '#'
const QUOTE = 62; // '>'

type ItemKind = 'header' | 'user' | 'command' | 'tool' | 'assistant';

/** A user line is `#### ...` ending in aider's two spaces; a reply's own `#### Heading` lacks them. */
function isUserLine(text: string): boolean {
  if (text.charCodeAt(0) !== HASH) return false;
  const trimmed = text.trimEnd();
  return USER_RE.test(trimmed) && (endsMessage(text) || trimmed === '####');
}

const isHeader = (text: string): boolean => text.charCodeAt(0) === HASH && HEADER_RE.test(text);
const isToolLine = (text: string): boolean => text.charCodeAt(0) === QUOTE && TOOL_RE.test(text);

/** Commands that send their text to the model (with the spaces after them): a user turn, not a tool run. */
const CHAT_COMMANDS = /^\/(?:ask|code|architect|context|help|ok)\b\s*/;

function userKind(text: string): 'user' | 'command' {
  const typed = text.replace(/^####\s?/, '');
  return /^[/!]/.test(typed) && !CHAT_COMMANDS.test(typed) ? 'command' : 'user';
}

/** The kind of item a line opens (what `map` also reads from an item's first line). */
function kindOfFirstLine(text: string): ItemKind {
  if (isHeader(text)) return 'header';
  if (isUserLine(text)) return userKind(text);
  if (isToolLine(text)) return 'tool';
  return 'assistant';
}

/**
 * Cuts the history into items: a session header; a user turn (consecutive `####` lines); a command the user
 * ran with the messages it printed right after; a block of aider's messages; a reply (until the next user,
 * header or aider line after a blank). A message whose last line has not come yet (no trailing two spaces)
 * keeps the lines after it, blank ones included: aider prints an edit error's explanation that way.
 */
export function createAiderSplitter(): LineSplitter {
  let open: ItemKind | null = null;
  let unfinished = false;
  return {
    next(text: string, afterBlank: boolean): LineVerdict {
      const tool = isToolLine(text);
      const start = (kind: ItemKind): LineVerdict => {
        open = kind;
        unfinished = (kind === 'tool' || kind === 'command') && tool && !endsMessage(text);
        return 'start';
      };
      if (isHeader(text)) return start('header');
      const user = isUserLine(text);
      const aiders = open === 'tool' || open === 'command';
      // A line right under aider's message (no blank between) continues it, as Markdown reads a lazy blockquote
      // line; an unfinished message also takes the lines after blank ones, up to its closing two spaces.
      if (!user && aiders && (unfinished || (!afterBlank && !tool))) {
        unfinished = !endsMessage(text);
        return 'continue';
      }
      if (user) {
        if ((open === 'user' || open === 'command') && !afterBlank) return 'continue';
        return start(userKind(text));
      }
      if (tool) {
        // A quote inside a reply has no trailing two spaces; aider's own line after the reply's blank does.
        const quote = open === 'assistant' && !(afterBlank && endsMessage(text));
        if ((aiders && !afterBlank) || quote) {
          if (aiders) unfinished = !endsMessage(text);
          return 'continue';
        }
        return start('tool');
      }
      if (open === 'assistant') return 'continue';
      return start('assistant');
    },
  };
}

export interface AiderState {
  source_file: string;
  /** The open session's run id; null before the first header. */
  run_id: string | null;
  /** Header times seen in this file, to tell apart two sessions started in the same second. */
  started: Map<string, number>;
  model: string | null;
  edit_format: string | null;
  /** Failed edit attempts (edit errors, undone commits) since the last applied edit: the next applied one is attempt n + 1. */
  failed_attempts: number;
  /** aider's auto-lint / auto-test reported failures that no later applied edit has cleared yet. */
  lint_failing: boolean;
  tests_failing: boolean;
}

function reject(reason: string): MapResult {
  return { ok: false, rejection: { code: 'missing_field', reason } };
}

function baseDraft(state: AiderState, kind: EvidenceDraft['kind'], role: EvidenceDraft['model_role']): EvidenceDraft {
  const run = state.run_id!;
  return emptyDraft({ kind, run_id: run, task_id: run, task_type: TASK_TYPE, model_role: role });
}

/** `3.2k` → 3200, `1,234` → 1234, `1.1M` → 1100000: aider rounds what it prints. */
export function parseTokenCount(text: string): number | null {
  const m = /^([\d,]+(?:\.\d+)?)([kKmM]?)$/.exec(text.trim());
  if (m === null) return null;
  const n = Number(m[1]!.replace(/,/g, ''));
  const scale = m[2] === '' ? 1 : /k/i.test(m[2]!) ? 1_000 : 1_000_000;
  return Number.isFinite(n) ? Math.round(n * scale) : null;
}

const TOKENS_RE = /^Tokens: ([\d.,]+[kKmM]?) sent(?:, ([\d.,]+[kKmM]?) cache write)?(?:, ([\d.,]+[kKmM]?) cache hit)?, ([\d.,]+[kKmM]?) received\./;
const COST_RE = /Cost: \$([\d.]+) (?:message|request)/;
const MODEL_RE = /^(?:Main model|Models?): (\S+) with (\S+) edit format/;
const APPLIED_RE = /^Applied edit to (.+)$/;
const COMMIT_RE = /^Commit ([0-9a-f]{7,40}) ?(.*)$/;
const UNDO_RE = /^Removed: ([0-9a-f]{7,40}) ?(.*)$/;
const DECLINED_RE = /^Skipping edits to (.+)$/;
const RUNNING_RE = /^Running (.+)$/;
/** What aider prints when a reply's edits could not be applied (editblock, udiff, whole, patch coders). */
const EDIT_FAILED_RE =
  /^(?:The LLM did not conform to the edit format\.|# \d+ SEARCH\/REPLACE blocks? failed to match!|Failed to apply edit to .+|.*UnifiedDiffNo(?:Exact)?Match|.*UnifiedDiffNotUnique|Only \d+ reflections allowed, stopping\.)/;
const MODEL_ERROR_RE = /^(?:litellm\.\w+(?:Error|Exception)\b|Model .+ has hit a token limit!)/;

/** Aider's messages in one item: each `> ` line starts one, the lines after it without `> ` continue it. */
function splitMessages(lines: readonly string[]): string[] {
  const out: string[] = [];
  for (const line of lines) {
    if (isToolLine(line)) out.push(line.slice(2).trimEnd());
    else if (out.length > 0) out[out.length - 1] += '\n' + line.trimEnd();
    else out.push(line.trimEnd());
  }
  return out;
}

/** What one block of aider's messages says, applied to a draft; returns whether it carried any outcome or action. */
function readMessages(messages: readonly string[], draft: EvidenceDraft, state: AiderState): boolean {
  let acted = false;
  let editError: string | null = null;
  let lintAsked = false;
  let testsAsked = false;
  const notes: string[] = [];
  const applied: string[] = [];
  for (const message of messages) {
    const first = message.split('\n', 1)[0]!.trim();
    let m: RegExpExecArray | null;
    if ((m = MODEL_RE.exec(first)) !== null) {
      state.model = m[1]!;
      state.edit_format = m[2]!;
      draft.model_name = state.model;
      draft.model_provider = inferModelProvider(state.model);
    } else if ((m = /^Aider v(\S+)/.exec(first)) !== null) {
      notes.push(`aider ${m[1]!}`);
    } else if ((m = TOKENS_RE.exec(first)) !== null) {
      const sent = parseTokenCount(m[1]!);
      const output = parseTokenCount(m[4]!);
      const cached = (m[3] === undefined ? null : parseTokenCount(m[3])) ?? 0;
      // "sent" is litellm's prompt count, cache hits included; our buckets are disjoint (input = the uncached prompt).
      if (sent !== null && output !== null) draft.tokens = { input: Math.max(0, sent - cached), output, cached };
      const cost = COST_RE.exec(first)?.[1];
      if (cost !== undefined && Number.isFinite(Number(cost))) draft.cost_usd = Number(cost);
      // The usage is the model's: the ledger counts cost under the record's model.
      draft.model_name = state.model;
      draft.model_provider = inferModelProvider(state.model);
    } else if ((m = APPLIED_RE.exec(first)) !== null) {
      applied.push(m[1]!);
    } else if ((m = COMMIT_RE.exec(first)) !== null) {
      acted = true;
      appendUnique(draft.link_hints.oids, [m[1]!]);
      draft.success_markers.push(`commit:${m[1]!}`);
    } else if ((m = UNDO_RE.exec(first)) !== null) {
      // The user took aider's commit back: that attempt was not accepted.
      acted = true;
      state.failed_attempts++;
      draft.tool_calls.push({ name: 'undo', call_id: m[1]!, input_summary: renderShort(`${m[1]!} ${m[2] ?? ''}`), ok: false, error: `the user undid aider's commit ${m[1]!}` });
      draft.failure_markers.push(`undone_by_user:${m[1]!}`);
    } else if ((m = DECLINED_RE.exec(first)) !== null) {
      acted = true;
      draft.tool_calls.push({ name: 'edit', call_id: null, input_summary: renderShort(m[1]!), ok: false, error: 'the user declined the edit' });
      draft.failure_markers.push(`edit_declined_by_user:${renderShort(m[1]!, 120)}`);
    } else if ((m = RUNNING_RE.exec(first)) !== null) {
      acted = true;
      // aider does not write a command's output or exit status into the history.
      draft.commands_run.push({ command: m[1]!, exit_code: null });
      draft.tool_calls.push({ name: 'shell', call_id: null, input_summary: renderShort(m[1]!), ok: null, error: null });
    } else if (EDIT_FAILED_RE.test(first)) {
      editError ??= first;
      if (/^# \d+ SEARCH/.test(first)) editError = first;
    } else if (MODEL_ERROR_RE.test(first)) {
      acted = true;
      draft.tool_calls.push({ name: 'model_api', call_id: null, input_summary: state.model, ok: false, error: renderShort(first, 300) });
      draft.failure_markers.push('model_error');
    } else if (/^Attempt to fix lint errors\?/.test(first)) {
      lintAsked = true;
    } else if (/^Attempt to fix test errors\?/.test(first)) {
      testsAsked = true;
    } else if (/^\^C KeyboardInterrupt/.test(first)) {
      notes.push('interrupted by the user (^C)');
    }
  }
  if (applied.length > 0) {
    acted = true;
    for (const file of applied) {
      draft.tool_calls.push({ name: 'edit', call_id: null, input_summary: renderShort(file), ok: true, error: null });
      draft.success_markers.push(`applied_edit:${renderShort(file, 120)}`);
    }
    appendUnique(draft.source_files, applied);
    draft.signals.applier_action = 'applied';
    draft.signals.accepted_on_attempt = state.failed_attempts + 1;
    state.failed_attempts = 0;
    // aider lints (and tests, when asked to) after every applied edit and writes only failures: an applied edit
    // with no failure reported after it means the earlier failure is fixed.
    if (state.lint_failing && !lintAsked) draft.validation_results.push(cleared('lint'));
    if (state.tests_failing && !testsAsked) draft.validation_results.push(cleared('tests'));
    if (!lintAsked) state.lint_failing = false;
    if (!testsAsked) state.tests_failing = false;
  }
  if (editError !== null) {
    acted = true;
    state.failed_attempts++;
    draft.tool_calls.push({ name: 'edit', call_id: null, input_summary: null, ok: false, error: renderShort(editError, 300) });
    draft.failure_markers.push('edit_failed');
  }
  if (lintAsked) {
    acted = true;
    state.lint_failing = true;
    draft.validation_results.push({ name: 'lint', passed: false, detail: "aider's lint reported errors after the edit" });
    draft.failure_markers.push('lint_failed');
  }
  if (testsAsked) {
    acted = true;
    state.tests_failing = true;
    draft.validation_results.push({ name: 'tests', passed: false, detail: "aider's test command failed after the edit" });
    draft.failure_markers.push('tests_failed');
  }
  draft.observer_notes = notes.join('; ');
  return acted;
}

function cleared(name: 'lint' | 'tests'): ValidationResult {
  return { name, passed: true, detail: `no ${name === 'lint' ? 'lint errors' : 'test failure'} reported after this edit (aider reports only failures)` };
}

function mapHeader(first: string, state: AiderState): MapResult {
  const m = HEADER_RE.exec(first)!;
  const local = `${m[1]!}T${m[2]!}`;
  const n = (state.started.get(local) ?? 0) + 1;
  state.started.set(local, n);
  state.run_id = `${SOURCE_ID}:${state.source_file}@${local}${n > 1 ? `#${n}` : ''}`;
  state.model = null;
  state.edit_format = null;
  state.failed_attempts = 0;
  state.lint_failing = false;
  state.tests_failing = false;
  const draft = baseDraft(state, 'meta', 'executor');
  // The header is local time without a zone, so it is not a timestamp: linking relies on the Commit lines.
  draft.observer_notes = `aider session started at ${m[1]!} ${m[2]!} (local time; the history does not record the zone)`;
  return { ok: true, draft };
}

function userText(lines: readonly string[]): string {
  return lines
    .map((l) => l.replace(/^####\s?/, '').replace(/\s+$/, ''))
    .map((l) => (l === '<blank>' ? '' : l))
    .join('\n');
}

/** aider logs the answer to a confirmation it asked as user input when a group answer ("All") decides it. */
const ANSWER_RE = /\(Y\)es\/\(N\)o.*\]: ?\S*$/;

function mapUser(lines: readonly string[], state: AiderState): MapResult {
  const text = userText(lines);
  if (text.split('\n').every((l) => ANSWER_RE.test(l))) {
    const answer = baseDraft(state, 'meta', 'human');
    answer.input_text = text;
    answer.observer_notes = 'answer to a confirmation aider asked';
    return { ok: true, draft: answer };
  }
  const draft = baseDraft(state, 'message', 'human');
  // A chat-mode command (/ask, /code, /architect ...) sends the rest of the line to the model.
  draft.input_text = text.replace(CHAT_COMMANDS, '');
  return { ok: true, draft };
}

function mapCommand(lines: readonly string[], state: AiderState): MapResult {
  const typed = lines.filter(isUserLine);
  const messages = splitMessages(lines.slice(typed.length));
  const command = userText(typed);
  const draft = baseDraft(state, 'tool_result', 'tool');
  draft.input_text = command;
  draft.output_text = messages.length > 0 ? messages.join('\n') : null;
  readMessages(messages, draft, state);
  const name = /^(!\S*|\/\S+)/.exec(command)?.[1] ?? command;
  const args = command.slice(name.length).trim();
  const failedToRun = messages.some((m) => /^Error running command/.test(m));
  if (name === '/test') {
    // /test adds the output to the chat only when the command exits non-zero: that line is the failure.
    const failed = failedToRun || messages.some((m) => /^Added \d+ lines? of output to the chat\./.test(m));
    draft.validation_results.push({ name: 'tests', passed: !failed, detail: renderShort(args === '' ? '/test' : args) });
    (failed ? draft.failure_markers : draft.success_markers).push(`tests_${failed ? 'failed' : 'passed'}:${renderShort(args, 120)}`);
    draft.tool_calls.push({ name, call_id: null, input_summary: renderShort(args) || null, ok: !failed, error: failed ? 'the test command exited non-zero' : null });
    if (args !== '') draft.commands_run.push({ command: args, exit_code: failed ? null : 0 });
  } else if (name === '/lint' && !messages.some((m) => /^No dirty files to lint/.test(m))) {
    const failed = messages.some((m) => /^Fix lint errors in /.test(m));
    draft.validation_results.push({ name: 'lint', passed: !failed, detail: renderShort(command) });
    (failed ? draft.failure_markers : draft.success_markers).push(failed ? 'lint_failed' : 'lint_passed');
  } else if (draft.tool_calls.length === 0) {
    // What the command did shows in its messages (an undo, a commit); otherwise the command is the call.
    draft.tool_calls.push({ name, call_id: null, input_summary: renderShort(args) || null, ok: failedToRun ? false : null, error: failedToRun ? 'the command could not be run' : null });
  }
  const shell = name.startsWith('!') ? command.slice(1).trim() : name === '/run' ? args : '';
  if (shell !== '' && !draft.commands_run.some((c) => c.command === shell)) draft.commands_run.push({ command: shell, exit_code: null });
  return { ok: true, draft };
}

function mapTool(lines: readonly string[], state: AiderState): MapResult {
  const draft = baseDraft(state, 'meta', 'executor');
  const messages = splitMessages(lines);
  draft.output_text = messages.join('\n');
  if (readMessages(messages, draft, state)) {
    draft.kind = 'tool_result';
    draft.model_role = 'tool';
  }
  return { ok: true, draft };
}

/**
 * aider wraps a model's reasoning in `<thinking-content-…>` tags; it is neither the reply nor parsed for edits.
 * A reply cut off while reasoning (^C) has no closing tag: the rest is reasoning.
 */
const THINKING_RE = /<(thinking-content-[0-9a-f]+)>[\s\S]*?(?:<\/\1>\s*|$)/g;

/** A file name as aider reads it off the line before a fence: `**path**`, `path:`, `` `path` `` and `# path` all name `path`. */
function cleanFileName(line: string): string {
  const name = line.trim().replace(/^\*+|\*+$/g, '').replace(/:$/, '').replace(/^`+|`+$/g, '').replace(/^#+/, '').trim();
  return name.length > 250 ? '' : name;
}

const FENCE_RE = /^```/;
const SEARCH_RE = /^<{5,9} SEARCH[^\n]*$/;

/** The files of a reply's edit blocks: SEARCH/REPLACE blocks (diff formats), and whole files in fences (whole format). */
export function extractEdits(reply: string, editFormat: string | null): Array<{ kind: 'search_replace' | 'whole_file'; file: string }> {
  const lines = reply.split('\n');
  const edits: Array<{ kind: 'search_replace' | 'whole_file'; file: string }> = [];
  let last = '';
  for (let i = 0; i < lines.length; i++) {
    if (!SEARCH_RE.test(lines[i]!)) continue;
    let j = i - 1;
    if (j >= 0 && FENCE_RE.test(lines[j]!)) j--;
    const named = j >= 0 ? cleanFileName(lines[j]!) : '';
    // A block right after another in the same fence edits the same file.
    const file = named !== '' && !/^(?:>{5,9} REPLACE|={5,9})$/.test(named) ? named : last;
    if (file !== '') edits.push({ kind: 'search_replace', file });
    last = file;
  }
  if (editFormat !== null && /whole$/.test(editFormat)) {
    let open = false;
    for (let i = 0; i < lines.length; i++) {
      if (!FENCE_RE.test(lines[i]!)) continue;
      if (open) {
        open = false;
        continue;
      }
      open = true;
      const file = i > 0 ? cleanFileName(lines[i - 1]!) : '';
      if (file !== '') edits.push({ kind: 'whole_file', file });
    }
  }
  return edits;
}

function mapAssistant(text: string, state: AiderState): MapResult {
  const draft = baseDraft(state, 'model_call', 'executor');
  draft.model_name = state.model;
  draft.model_provider = inferModelProvider(state.model);
  let thinking = 0;
  const reply = text.replace(THINKING_RE, (block) => {
    thinking += block.length;
    return '';
  });
  draft.output_text = reply.trim() === '' ? null : reply.trim();
  if (thinking > 0) draft.observer_notes = `reasoning left out (${thinking} characters)`;
  for (const edit of extractEdits(reply, state.edit_format)) {
    const call: ToolCall = { name: edit.kind, call_id: null, input_summary: renderShort(edit.file), ok: null, error: null };
    draft.tool_calls.push(call);
    appendUnique(draft.source_files, [edit.file]);
  }
  return { ok: true, draft };
}

function mapItem(value: unknown, _at: SourceLocation, state: AiderState): MapResult {
  if (typeof value !== 'string') return { ok: false, rejection: { code: 'wrong_type', reason: 'an aider history item is text' } };
  const lines = value.split('\n');
  const kind = kindOfFirstLine(lines[0] ?? '');
  if (kind === 'header') return mapHeader(lines[0]!, state);
  if (state.run_id === null) return reject('session header: no "# aider chat started at ..." line before this item');
  switch (kind) {
    case 'user':
      return mapUser(lines, state);
    case 'command':
      return mapCommand(lines, state);
    case 'tool':
      return mapTool(lines, state);
    case 'assistant':
      return mapAssistant(value, state);
  }
}

const HISTORY_NAME = /(?:^|[\\/])\.aider\.chat\.history\.md$/;

/** Aider's chat history: a session is a run; user turns, replies, and aider's reports (edits, commits, errors) are evidence. */
export const aiderAdapter: Adapter<AiderState> = {
  id: SOURCE_ID,
  description: "Aider chat history (.aider.chat.history.md): sessions, user turns, replies and their edits, applied edits, commits, edit/lint/test failures",
  container: 'markdown',
  stateful: true,
  detect({ path, first }) {
    if (HISTORY_NAME.test(path)) return 95;
    return typeof first === 'string' && /^# aider chat started at \d{4}-\d{2}-\d{2} /m.test(first) ? 90 : 0;
  },
  init(source_file): AiderState {
    return { source_file, run_id: null, started: new Map(), model: null, edit_format: null, failed_attempts: 0, lint_failing: false, tests_failing: false };
  },
  splitLines: createAiderSplitter,
  map: mapItem,
};
