// Pure: a free-text agent scratchpad (notes, plans, TODO lists, tree-split shards) → ScratchpadSummary, by deterministic parsing.
import { canonicalJson, sha256Hex } from '../canonical.ts';
import { SCRATCHPAD_SUMMARY_SCHEMA_VERSION, ScratchpadSummarySchema, type ScratchpadSummary } from '../../schemas/scratchpad-summary.ts';

export interface ScratchpadInput {
  run_id: string;
  /** As the user named it (relative to the repository or the working directory). */
  source_file: string;
  /** The raw bytes: their sha256 is source_scratchpad_hash. */
  bytes: Uint8Array;
  /** Injected: the source commit's date in the pipeline, the command's clock for `git distill scratchpad`. */
  recorded_at: string;
}

type Section = 'objective' | 'done' | 'failed' | 'next' | 'questions' | 'decisions' | 'other';

/** Heading or label words → the section they open. First match wins, so the order matters. */
const SECTION_WORDS: Array<[Section, RegExp]> = [
  ['questions', /\b(open questions?|questions?|unresolved|unknowns?)\b/i],
  ['failed', /\b(failed|failures|failing|blocked|blockers?|didn'?t work|what went wrong)\b/i],
  ['decisions', /\b(decisions?|decided)\b/i],
  ['next', /\b(next( steps?)?|todo|to do|to-do|pending|remaining|backlog|up next)\b/i],
  ['done', /\b(done|completed?|finished|accomplished|progress)\b/i],
  ['objective', /\b(objective|goal|mission|task|purpose)\b/i],
];

const FENCE = /^\s{0,3}(`{3,}|~{3,})\s*([\w+-]*)/;
const HEADING = /^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$/;
const CHECKBOX = /^\s*(?:[-*+]|\d+[.)])\s+\[([ xX✓✔\-!~])\]\s+(.*)$/;
const BULLET = /^\s*(?:[-*+]|\d+[.)])\s+(.*)$/;
const LABEL = /^\s*(?:\*\*|__)?([A-Za-z][A-Za-z ]{1,30}?)(?:\*\*|__)?\s*:\s*(?:\*\*|__)?\s*(.*)$/;
const SHELL_FENCE = new Set(['bash', 'sh', 'shell', 'zsh', 'console', 'terminal', 'shell-session', 'fish', 'powershell', 'ps1', 'cmd']);
const PATH_EXT = 'ts|tsx|js|jsx|mjs|cjs|json|jsonl|md|py|rs|go|swift|java|kt|rb|c|h|cc|cpp|hpp|cs|yml|yaml|toml|sh|css|scss|html|sql|txt|lock|proto|xml|ini|cfg|env';
const PATH = new RegExp(`(?:^|[\\s(\`'"])((?:\\.{1,2}/|~/|/)?(?:[\\w@.+-]+/)+[\\w@.+-]+|[\\w@+-][\\w@.+-]*\\.(?:${PATH_EXT}))(?=$|[\\s)\`'",:;!?])`, 'g');
const INLINE_CODE = /`([^`\n]+)`/g;
const MAX = { items: 500, paths: 100, text: 400 } as const;

function sectionOf(title: string): Section {
  const plain = title.replace(/[*_`✅❌⏳🔲☑️✔️]/gu, '').trim();
  for (const [section, re] of SECTION_WORDS) if (re.test(plain)) return section;
  return 'other';
}

/** Markdown emphasis and links reduced to their text; whitespace folded. */
function plainText(s: string): string {
  return s
    .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/(\*\*|__)(.*?)\1/g, '$2')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, MAX.text);
}

function looksLikeCommand(s: string): boolean {
  return /^(?:\$\s+)?(?:git|npm|npx|pnpm|yarn|bun|bunx|node|deno|cargo|go|make|python3?|pip|pytest|uv|docker|kubectl|swift|xcodebuild|mvn|gradle|dotnet|rustc|tsc|eslint|jq|curl|ls|cd|cat|grep|rg|sed|mkdir|rm|cp|mv)\b/.test(s.trim());
}

function pushDistinct(list: string[], value: string, cap: number = MAX.items): void {
  if (value !== '' && !list.includes(value) && list.length < cap) list.push(value);
}

/** Every path-like token in a line: inline code that looks like a path, then bare paths. */
function pathsIn(line: string): string[] {
  const out: string[] = [];
  for (const m of line.matchAll(INLINE_CODE)) {
    const code = m[1]!.trim();
    if (!/\s/.test(code) && (code.includes('/') || new RegExp(`\\.(?:${PATH_EXT})$`).test(code)) && !/^https?:/.test(code)) out.push(code);
  }
  for (const m of line.matchAll(PATH)) {
    const p = m[1]!.replace(/[.,]+$/, '');
    if (!/^https?:/.test(p) && !/^\d+(?:\.\d+)+$/.test(p) && !p.includes('//')) out.push(p);
  }
  return out;
}

/** The first command an item names: inline code that reads as a command, or the item itself after `$ `. */
function commandIn(item: string): string | null {
  for (const m of item.matchAll(INLINE_CODE)) if (looksLikeCommand(m[1]!)) return m[1]!.trim().replace(/^\$\s+/, '');
  const dollar = /^\s*\$\s+(.+)$/.exec(item);
  return dollar === null ? null : dollar[1]!.trim();
}

/** What a `Status:` line says of a step: done, stuck (blocked or failed), or still to do (active, open, verifying, ...). */
function statusKind(status: string): 'done' | 'stuck' | 'todo' {
  const s = status.trim().toLowerCase();
  if (/^(?:(?:done|complete[ds]?|finished|shipped|passed|resolved|closed|merged|landed)\b|✅)/u.test(s)) return 'done';
  if (/^(?:blocked|failed|failing|abandoned|cancel+ed|won'?t do|rejected|stuck)\b/.test(s)) return 'stuck';
  return 'todo';
}

/** A `Key: value` line whose key is at most three words (`Status: done`, `Blocked by: review`), or null. */
function labelOf(line: string): { key: string; value: string } | null {
  const m = LABEL.exec(line);
  if (m === null || m[1]!.trim().split(/\s+/).length > 3) return null;
  return { key: m[1]!.trim(), value: m[2]! };
}

const indentOf = (line: string) => line.length - line.trimStart().length;

/** A list item being read: its first line, wrapped lines, and `Key: value` lines indented under it. */
interface OpenItem {
  indent: number;
  section: Section;
  text: string[];
  labels: Array<{ key: string; lines: string[] }>;
}

/**
 * Parse a scratchpad. Checkbox items decide by their box wherever they are ([x] completed, [ ] pending,
 * [-] or [!] failed); list items with an indented `Status:` line (a backlog's `- Task: ... / Status: done`)
 * by their status (done → completed; blocked or failed → failed, with their `Blocker:` text; anything else →
 * pending). In a scratchpad with neither, list items and label lines (`Next: ...`) decide by the section
 * their heading names (Objective, Done, Failed, Next/TODO, Questions, Decisions). A list item's wrapped lines
 * are part of it. Fenced code is never read as items; shell fences and `$ ` lines are commands. The
 * objective is the Objective section's first paragraph (label lines such as `Status:` are metadata), else the
 * first `Objective: X` heading whose status is not done, else the first top-level heading. validation_status
 * is `unknown`: a scratchpad's own words are not a validation (an LLM refinement may set it, see
 * refine-scratchpad.ts).
 */
export function parseScratchpad(input: ScratchpadInput): ScratchpadSummary {
  const text = new TextDecoder().decode(input.bytes).replace(/^\uFEFF/, '');
  const completed: string[] = [];
  const failed: string[] = [];
  const pending: string[] = [];
  const questions: string[] = [];
  const decisions: string[] = [];
  const paths: string[] = [];
  const commands: string[] = [];
  const nextCommands: string[] = [];
  let objective: string | null = null;
  // The objective paragraph is still open: its wrapped lines join it.
  let objectiveOpen = false;
  let firstHeading: string | null = null;
  // `## Objective: X` headings, with the `Status:` line under each.
  const objectiveHeadings: Array<{ text: string; status: string | null }> = [];
  let underObjectiveHeading: { text: string; status: string | null } | null = null;
  let section: Section = 'other';
  let level = 0;
  // Items whose state the file states outright: checkboxes and list items with a Status line.
  let explicit = 0;
  // Plain list items by section: the steps of a list without explicit states.
  const listed = { done: [] as string[], next: [] as string[] };
  let fence: { marker: string; shell: boolean } | null = null;
  let open: OpenItem | null = null;

  const addBySection = (itemSection: Section, raw: string, isBullet: boolean) => {
    const clean = plainText(raw);
    if (clean === '') return;
    // An objective under a deeper heading is a part's goal (a phase of a plan), not the scratchpad's; under
    // `## Objective: X` the heading said it, and the items are its notes.
    if (itemSection === 'objective') {
      if (objective === null && level <= 2 && underObjectiveHeading === null) objective = clean;
    } else if (itemSection === 'done') pushDistinct(listed.done, clean);
    else if (itemSection === 'failed') pushDistinct(failed, clean);
    else if (itemSection === 'next') {
      pushDistinct(listed.next, clean);
      const cmd = commandIn(raw);
      if (cmd !== null) pushDistinct(nextCommands, cmd);
    } else if (itemSection === 'questions' || (isBullet && clean.endsWith('?'))) pushDistinct(questions, clean);
    else if (itemSection === 'decisions') pushDistinct(decisions, clean);
  };

  const flush = () => {
    if (open === null) return;
    const item = open;
    open = null;
    const raw = item.text.join(' ');
    const label = (re: RegExp) => {
      const found = item.labels.find((l) => re.test(l.key));
      return found === undefined ? null : plainText(found.lines.join(' '));
    };
    const status = label(/^status$/i);
    if (status === null || status === '') {
      addBySection(item.section, raw, true);
      return;
    }
    explicit++;
    const step = plainText(raw).replace(/^(?:task|step|item|todo)\s*:\s*/i, '');
    const kind = statusKind(status);
    if (kind === 'done') pushDistinct(completed, step);
    else if (kind === 'stuck') {
      const why = label(/^(?:blocker|blocked by|blocking|reason|error|failure)$/i);
      pushDistinct(failed, `${step} (${status.toLowerCase()}${why === null || why === '' ? '' : `: ${why}`})`);
    } else {
      pushDistinct(pending, step);
      const cmd = commandIn(raw);
      if (cmd !== null) pushDistinct(nextCommands, cmd);
    }
  };

  for (const raw of text.split(/\r?\n/)) {
    if (fence !== null) {
      if (raw.trim().startsWith(fence.marker)) fence = null;
      else if (fence.shell && raw.trim() !== '') {
        const cmd = raw.trim().replace(/^\$\s+/, '');
        if (!cmd.startsWith('#')) {
          pushDistinct(commands, cmd);
          if (section === 'next') pushDistinct(nextCommands, cmd);
        }
      }
      continue;
    }
    const f = FENCE.exec(raw);
    if (f !== null) {
      flush();
      objectiveOpen = false;
      fence = { marker: f[1]!, shell: SHELL_FENCE.has(f[2]!.toLowerCase()) };
      continue;
    }
    for (const p of pathsIn(raw)) pushDistinct(paths, p, MAX.paths);
    if (raw.trim() === '') {
      flush();
      objectiveOpen = false;
      continue;
    }
    const heading = HEADING.exec(raw);
    const box = heading === null ? CHECKBOX.exec(raw) : null;
    const bullet = heading === null && box === null ? BULLET.exec(raw) : null;
    // An indented line under a list item: a wrapped line of it, or one of its `Key: value` lines.
    if (open !== null && heading === null && box === null && bullet === null && indentOf(raw) > open.indent) {
      const item: OpenItem = open;
      const l = labelOf(raw);
      if (l !== null) item.labels.push({ key: l.key, lines: [l.value] });
      else (item.labels[item.labels.length - 1]?.lines ?? item.text).push(raw.trim());
      continue;
    }
    flush();
    if (heading !== null) {
      objectiveOpen = false;
      const title = plainText(heading[2]!);
      if (firstHeading === null && heading[1] === '#') firstHeading = title;
      level = heading[1]!.length;
      // `## Objective: R45 - ...`: the key names the section, the value is the objective itself.
      const l = labelOf(title);
      section = sectionOf(l === null ? title : l.key);
      underObjectiveHeading = null;
      if (l !== null && section === 'objective' && l.value.trim() !== '' && level <= 2) {
        underObjectiveHeading = { text: plainText(l.value), status: null };
        objectiveHeadings.push(underObjectiveHeading);
      }
      continue;
    }
    if (box !== null) {
      objectiveOpen = false;
      const item = plainText(box[2]!);
      const mark = box[1]!;
      explicit++;
      if (mark === ' ') {
        pushDistinct(pending, item);
        const cmd = commandIn(box[2]!);
        if (cmd !== null) pushDistinct(nextCommands, cmd);
      } else if (mark === '-' || mark === '!' || mark === '~') pushDistinct(failed, item);
      else pushDistinct(completed, item);
      continue;
    }
    if (bullet !== null) {
      objectiveOpen = false;
      open = { indent: indentOf(raw), section, text: [bullet[1]!], labels: [] };
      continue;
    }
    const label = labelOf(raw);
    if (label !== null) {
      objectiveOpen = false;
      const labelSection = sectionOf(label.key);
      if (labelSection === 'other') {
        // Metadata (`Status: verifying`, `Priority: P0`): never the objective; a heading objective's status.
        if (underObjectiveHeading !== null && /^status$/i.test(label.key)) underObjectiveHeading.status = label.value;
        continue;
      }
      if (label.value.trim() === '') {
        section = labelSection;
        continue;
      }
      addBySection(labelSection, label.value, false);
      continue;
    }
    if (/^\s*\$\s+\S/.test(raw)) {
      const cmd = raw.trim().replace(/^\$\s+/, '');
      pushDistinct(commands, cmd);
      if (section === 'next') pushDistinct(nextCommands, cmd);
      continue;
    }
    if (section === 'objective' && underObjectiveHeading === null && level <= 2) {
      if (objective === null) {
        objective = plainText(raw);
        objectiveOpen = true;
      } else if (objectiveOpen) objective = plainText(`${objective} ${raw}`);
    }
  }
  flush();

  // A list with explicit states states its steps by them; plain items count only in a scratchpad without any.
  if (explicit === 0) {
    for (const item of listed.done) pushDistinct(completed, item);
    for (const item of listed.next) pushDistinct(pending, item);
  }
  const headingObjective = (objectiveHeadings.find((o) => o.status === null || statusKind(o.status) !== 'done') ?? objectiveHeadings[0])?.text ?? null;
  const summary: ScratchpadSummary = {
    schema_version: SCRATCHPAD_SUMMARY_SCHEMA_VERSION,
    run_id: input.run_id,
    current_objective: objective ?? headingObjective ?? firstHeading,
    completed_steps: completed,
    failed_steps: failed,
    pending_steps: pending,
    important_paths: paths,
    decisions,
    unresolved_questions: questions,
    validation_status: 'unknown',
    next_command: nextCommands[0] ?? null,
    source_scratchpad_hash: sha256Hex(input.bytes),
    provenance: {
      source_file: input.source_file,
      line_offset: 1,
      byte_offset: 0,
      pointer: null,
      sig_hash: sha256Hex(canonicalJson(text)),
      recorded_at: input.recorded_at,
    },
  };
  return ScratchpadSummarySchema.parse(summary);
}
