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

/**
 * Parse a scratchpad. Checkbox items decide by their box wherever they are ([x] completed, [ ] pending,
 * [-] or [!] failed); in a scratchpad without checkboxes, list items and label lines (`Next: ...`) decide
 * by the section their heading names (Objective, Done, Failed, Next/TODO, Questions, Decisions). Fenced code is never read as items; shell
 * fences and `$ ` lines are commands. The objective is the Objective section's first line, else the first
 * top-level heading. validation_status is `unknown`: a scratchpad's own words are not a validation (an
 * LLM refinement may set it, see refine-scratchpad.ts).
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
  let firstHeading: string | null = null;
  let section: Section = 'other';
  let level = 0;
  let boxes = 0;
  // Plain list items by section: the steps of a list without checkboxes.
  const listed = { done: [] as string[], next: [] as string[] };
  let fence: { marker: string; shell: boolean } | null = null;

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
      fence = { marker: f[1]!, shell: SHELL_FENCE.has(f[2]!.toLowerCase()) };
      continue;
    }
    for (const p of pathsIn(raw)) pushDistinct(paths, p, MAX.paths);
    const heading = HEADING.exec(raw);
    if (heading !== null) {
      const title = plainText(heading[2]!);
      if (firstHeading === null && heading[1] === '#') firstHeading = title;
      section = sectionOf(title);
      level = heading[1]!.length;
      continue;
    }
    const box = CHECKBOX.exec(raw);
    if (box !== null) {
      const item = plainText(box[2]!);
      const mark = box[1]!;
      boxes++;
      if (mark === ' ') {
        pushDistinct(pending, item);
        const cmd = commandIn(box[2]!);
        if (cmd !== null) pushDistinct(nextCommands, cmd);
      } else if (mark === '-' || mark === '!' || mark === '~') pushDistinct(failed, item);
      else pushDistinct(completed, item);
      continue;
    }
    const bullet = BULLET.exec(raw);
    const label = bullet === null ? LABEL.exec(raw) : null;
    let itemSection = section;
    let item: string | null = null;
    if (bullet !== null) item = bullet[1]!;
    else if (label !== null && sectionOf(label[1]!) !== 'other' && label[1]!.trim().split(/\s+/).length <= 3) {
      itemSection = sectionOf(label[1]!);
      item = label[2]!;
      if (item.trim() === '') {
        section = itemSection;
        continue;
      }
    } else if (/^\s*\$\s+\S/.test(raw)) {
      const cmd = raw.trim().replace(/^\$\s+/, '');
      pushDistinct(commands, cmd);
      if (section === 'next') pushDistinct(nextCommands, cmd);
      continue;
    } else if (section === 'objective' && objective === null && raw.trim() !== '' && level <= 2) {
      objective = plainText(raw);
      continue;
    }
    if (item === null) continue;
    const clean = plainText(item);
    if (clean === '') continue;
    // An objective under a deeper heading is a part's goal (a phase of a plan), not the scratchpad's.
    if (itemSection === 'objective') {
      if (objective === null && level <= 2) objective = clean;
    } else if (itemSection === 'done') pushDistinct(listed.done, clean);
    else if (itemSection === 'failed') pushDistinct(failed, clean);
    else if (itemSection === 'next') {
      pushDistinct(listed.next, clean);
      const cmd = commandIn(item);
      if (cmd !== null) pushDistinct(nextCommands, cmd);
    } else if (itemSection === 'questions' || (bullet !== null && clean.endsWith('?'))) pushDistinct(questions, clean);
    else if (itemSection === 'decisions') pushDistinct(decisions, clean);
  }

  // A list with checkboxes states its steps by its boxes; plain items count only in a scratchpad without any.
  if (boxes === 0) {
    for (const item of listed.done) pushDistinct(completed, item);
    for (const item of listed.next) pushDistinct(pending, item);
  }
  const summary: ScratchpadSummary = {
    schema_version: SCRATCHPAD_SUMMARY_SCHEMA_VERSION,
    run_id: input.run_id,
    current_objective: objective ?? firstHeading,
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
