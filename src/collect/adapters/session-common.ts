// Pure helpers shared by the agent-session adapters (Claude Code, Codex): field access, commands, patches, markers.
import { posix } from 'node:path';
import type { CommandRun, ValidationResult } from '../../../schemas/evidence-record.ts';

/** Longest input_summary / marker detail we produce; collect caps the big texts itself. */
export const SUMMARY_CAP = 200;
/** Longest error line kept on a failed ToolCall. */
export const ERROR_CAP = 300;
/** Longest command kept inside a failure marker such as `exit_code:1:<command>`. */
export const MARKER_COMMAND_CAP = 120;

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A non-empty string, or null. */
export function asString(value: unknown): string | null {
  return typeof value === 'string' && value.length > 0 ? value : null;
}

/** A safe integer, or null (numbers in foreign logs may be floats, strings or absent). */
export function asInt(value: unknown): number | null {
  return typeof value === 'number' && Number.isSafeInteger(value) ? value : null;
}

/** A non-negative integer count, or 0. */
export function asCount(value: unknown): number {
  const n = asInt(value);
  return n !== null && n > 0 ? n : 0;
}

/** The line's timestamp as ISO 8601 in UTC (`...Z`), or null when absent or unparseable. */
export function parseTimestamp(value: unknown): string | null {
  if (typeof value !== 'string' || value.length === 0) return null;
  // Date.parse accepts odd shapes ("1", "March 7"); demand a calendar date up front.
  if (!/^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}/.test(value)) return null;
  const ms = Date.parse(value);
  return Number.isFinite(ms) ? new Date(ms).toISOString() : null;
}

/** Collapses whitespace and caps a string to `cap` characters, marking the cut with an ellipsis. */
export function renderShort(text: string, cap: number = SUMMARY_CAP): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length <= cap ? flat : `${flat.slice(0, cap - 1)}…`;
}

/** The first non-blank line of a tool's output, capped: what a failed ToolCall keeps as its error. */
export function renderErrorLine(output: string): string {
  const cleaned = output.replace(/<\/?tool_use_error>/g, '');
  const line = cleaned.split('\n').find((l) => l.trim().length > 0) ?? '';
  return renderShort(line, ERROR_CAP);
}

/** Text of a content value that is a string or an array of `{type: 'text'|'input_text'|'output_text', text}` blocks. */
export function extractBlockText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  const parts: string[] = [];
  for (const block of content) {
    if (typeof block === 'string') parts.push(block);
    else if (isRecord(block) && typeof block.text === 'string') parts.push(block.text);
  }
  return parts.join('\n');
}

/**
 * A path written by the agent, relative to the session's cwd when it lies inside it.
 * Relative paths are resolved against `base` (a tool's workdir) when given, else taken as cwd-relative.
 */
export function computeRelativePath(path: string, cwd: string | null, base: string | null = null): string {
  const anchored = !posix.isAbsolute(path) && base !== null && posix.isAbsolute(base) ? posix.join(base, path) : path;
  if (!posix.isAbsolute(anchored)) return posix.normalize(anchored).replace(/^\.\//, '');
  const normal = posix.normalize(anchored);
  if (cwd === null || !posix.isAbsolute(cwd)) return normal;
  const rel = posix.relative(posix.normalize(cwd), normal);
  return rel.length > 0 && !rel.startsWith('..') && !posix.isAbsolute(rel) ? rel : normal;
}

/** Adds items to a list once, keeping first-seen order (source_files, oids). */
export function appendUnique(list: string[], items: Iterable<string>): void {
  for (const item of items) if (!list.includes(item)) list.push(item);
}

/**
 * Paths named by an apply_patch envelope (`*** Add File: p`, `*** Update File: p`, `*** Delete File: p`,
 * `*** Move to: p`), as the patch spells them.
 */
export function extractPatchPaths(patch: string): string[] {
  const paths: string[] = [];
  for (const match of patch.matchAll(/^\*\*\* (?:Add File|Update File|Delete File|Move to): (.+?)\s*$/gm)) {
    const path = match[1];
    if (path !== undefined && path.length > 0) appendUnique(paths, [path]);
  }
  return paths;
}

/** Checks recognised as validations: the name the scorer sees, and the command shapes that run them. */
const VALIDATION_RULES: ReadonlyArray<{ name: string; pattern: RegExp }> = [
  {
    name: 'tests',
    pattern:
      /^(?:(?:npm|pnpm|yarn|bun)\s+(?:run\s+)?test(?::\S+)?\b|npm\s+t\b|bun\s+test\b|deno\s+test\b|(?:npx\s+|bunx\s+|pnpm\s+(?:exec\s+)?|yarn\s+)?(?:jest|vitest|mocha|ava|playwright\s+test)\b|(?:python3?\s+-m\s+)?pytest\b|py\.test\b|python3?\s+-m\s+unittest\b|tox\b|nox\b|go\s+test\b|cargo\s+(?:test|nextest)\b|make\s+(?:test|check)\b|(?:mvn|\.\/mvnw)\s+(?:\S+\s+)*test\b|(?:gradle|\.\/gradlew)\s+(?:\S+\s+)*test\b|dotnet\s+test\b|rspec\b|bundle\s+exec\s+rspec\b|phpunit\b|mix\s+test\b|ctest\b|swift\s+test\b)/,
  },
  {
    name: 'typecheck',
    pattern: /^(?:(?:npx\s+|bunx\s+|pnpm\s+(?:exec\s+)?|yarn\s+)?tsc\b(?=.*--noEmit)|(?:npm|pnpm|yarn|bun)\s+run\s+typecheck\b|mypy\b|pyright\b|cargo\s+check\b)/,
  },
  { name: 'lint', pattern: /^(?:(?:npm|pnpm|yarn|bun)\s+run\s+lint\b|(?:npx\s+|bunx\s+)?eslint\b|ruff\s+check\b|cargo\s+clippy\b|golangci-lint\b)/ },
  { name: 'build', pattern: /^(?:(?:npm|pnpm|yarn|bun)\s+run\s+build\b|cargo\s+build\b|go\s+build\b|make(?:\s+(?:all|build))?\s*$)/ },
];

/** Splits a shell line into simple commands and strips what precedes the program (env assignments, cd, timeout). */
function splitSimpleCommands(command: string): string[] {
  return command
    .split(/&&|\|\||;|\||\n/)
    .map((part) =>
      part
        .trim()
        .replace(/^(?:\(\s*)+/, '')
        .replace(/^(?:[A-Za-z_][A-Za-z0-9_]*=\S*\s+)+/, '')
        .replace(/^(?:timeout\s+\S+\s+|time\s+|env\s+(?:[A-Za-z_][A-Za-z0-9_]*=\S*\s+)*)+/, '')
        .trim(),
    )
    .filter((part) => part.length > 0);
}

/**
 * A validation result for a test, typecheck, lint or build command, given whether it passed.
 * Null when the command runs none of them. The first matching check in the command names it.
 */
export function extractValidation(command: string, passed: boolean): ValidationResult | null {
  for (const part of splitSimpleCommands(command)) {
    for (const rule of VALIDATION_RULES) {
      if (rule.pattern.test(part)) return { name: rule.name, passed, detail: renderShort(command) };
    }
  }
  return null;
}

function isGitSubcommand(command: string, sub: string): boolean {
  return splitSimpleCommands(command).some((part) => new RegExp(`^git\\s+(?:-\\S+\\s+(?:\\S+\\s+)?)*${sub}\\b`).test(part));
}

/**
 * Commit ids a git command's output names as the commit it made or pushed: `[main 5c1b231] msg` and
 * `commit <hex>` after `git commit`, the new side of `old..new  main -> main` after `git push`.
 */
export function extractCommitOids(command: string, output: string): string[] {
  const oids: string[] = [];
  if (isGitSubcommand(command, 'commit')) {
    for (const m of output.matchAll(/^\[[^\]\n]*?\s([0-9a-f]{7,40})\]/gm)) if (m[1] !== undefined) appendUnique(oids, [m[1]]);
    for (const m of output.matchAll(/\bcommit ([0-9a-f]{7,40})\b/g)) if (m[1] !== undefined) appendUnique(oids, [m[1]]);
  }
  if (isGitSubcommand(command, 'push')) {
    for (const m of output.matchAll(/\b[0-9a-f]{7,40}\.\.\.?([0-9a-f]{7,40})\s+\S+\s+->/g)) {
      if (m[1] !== undefined) appendUnique(oids, [m[1]]);
    }
  }
  return oids;
}

/** What one finished command contributes to a tool_result draft. */
export interface CommandOutcome {
  command_run: CommandRun;
  failure_markers: string[];
  success_markers: string[];
  validation: ValidationResult | null;
  oids: string[];
}

/**
 * The run, markers, validation and named commits of one command whose result is known.
 * `ok` is the tool's own verdict; `exit_code` is null when the log does not say it.
 */
export function buildCommandOutcome(command: string, exit_code: number | null, ok: boolean, output: string): CommandOutcome {
  const short = renderShort(command, MARKER_COMMAND_CAP);
  const passed = exit_code !== null ? exit_code === 0 && ok : ok;
  const failure_markers: string[] = [];
  const success_markers: string[] = [];
  if (exit_code !== null && exit_code !== 0) failure_markers.push(`exit_code:${exit_code}:${short}`);
  const validation = extractValidation(command, passed);
  if (validation !== null) {
    (passed ? success_markers : failure_markers).push(`${validation.name}_${passed ? 'passed' : 'failed'}:${short}`);
  }
  return {
    command_run: { command, exit_code },
    failure_markers,
    success_markers,
    validation,
    oids: passed ? extractCommitOids(command, output) : [],
  };
}

export interface TokenCounts {
  input: number;
  output: number;
  cached: number;
}

/**
 * Tokens not yet attributed: `current` minus what earlier lines already counted, never negative.
 * Both adapters report usage that grows over several lines (one message split per content block,
 * cumulative token_count events); emitting deltas makes the per-run sum equal the true total.
 */
export function computeTokenDelta(current: TokenCounts, counted: TokenCounts | null): TokenCounts {
  if (counted === null) return current;
  return {
    input: Math.max(0, current.input - counted.input),
    output: Math.max(0, current.output - counted.output),
    cached: Math.max(0, current.cached - counted.cached),
  };
}

/** The element-wise maximum: what has been counted once `next` is attributed. */
export function computeTokenMax(a: TokenCounts | null, b: TokenCounts): TokenCounts {
  if (a === null) return b;
  return { input: Math.max(a.input, b.input), output: Math.max(a.output, b.output), cached: Math.max(a.cached, b.cached) };
}

/** Top-level keys of `value` that the adapter neither maps nor knowingly ignores, sorted. */
export function extractUnmappedFields(value: Record<string, unknown>, known: ReadonlySet<string>, prefix = ''): string[] {
  return Object.keys(value)
    .filter((key) => !known.has(key))
    .map((key) => prefix + key)
    .sort();
}

/**
 * Files a unified diff (`git diff`) touches, from its file headers only (`--- a/p`, `+++ b/p`,
 * `rename from/to`), so a removed line that happens to read `-- a/x` is not taken for a path.
 * apply_patch envelopes (`*** Update File: p`) are read by extractPatchPaths.
 */
export function extractDiffPaths(patch: string): string[] {
  const paths: string[] = [];
  let inHeader = false;
  for (const raw of patch.split('\n')) {
    const line = raw.replace(/\r$/, '');
    if (line.startsWith('diff --git ')) {
      inHeader = true;
      continue;
    }
    if (line.startsWith('@@')) {
      inHeader = false;
      continue;
    }
    if (!inHeader) continue;
    const header = /^(?:--- a\/|\+\+\+ b\/|rename from |rename to )(.+?)\s*$/.exec(line);
    const path = header?.[1];
    if (path !== undefined && path.length > 0) appendUnique(paths, [path]);
  }
  appendUnique(paths, extractPatchPaths(patch));
  return paths;
}
