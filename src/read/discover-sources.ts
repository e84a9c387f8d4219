// Finds the agent logs `git distill init` puts in the config: the auditor loop's folders, Claude Code, Codex and Gemini CLI sessions of this repository, and Aider's history in it.
import { closeSync, existsSync, openSync, readdirSync, readSync, realpathSync, statSync, type Dirent } from 'node:fs';
import { join } from 'node:path';
import type { SourceConfig } from '../../schemas/config.ts';
import { sha256Hex } from '../canonical.ts';
import { AIDER_HISTORY } from '../io/fs.ts';

export interface FoundSource {
  source: SourceConfig;
  /** How many log files it names today. */
  files: number;
  detail: string;
}

export interface SkippedSource {
  /** The place looked at (a path, with ~ for the home directory). */
  what: string;
  reason: string;
}

export interface Discovery {
  found: FoundSource[];
  skipped: SkippedSource[];
}

export interface DiscoverOptions {
  /** The repository's top-level directory. */
  root: string;
  /** The user's home directory; null skips the session stores. */
  home: string | null;
  /** CLAUDE_CONFIG_DIR, when set: Claude Code's folder instead of ~/.claude. */
  claude_dir: string | null;
  /** CODEX_HOME, when set: Codex's folder instead of ~/.codex. */
  codex_dir: string | null;
}

/** Bytes read from the top of a session file to find its cwd: the first lines, not the whole session. */
const HEAD_BYTES = 64 * 1024;
const HEAD_LINES = 50;
const LOG_FILE = /\.(jsonl|ndjson|json|traj)$/i;

/**
 * Names Claude Code may have given the project folder of `path`: it replaces path separators and dots
 * (newer versions: every character that is not a letter or digit) with '-'.
 */
export function claudeProjectDirNames(path: string): string[] {
  return [...new Set([path.replace(/[/.]/g, '-'), path.replace(/[^A-Za-z0-9]/g, '-')])];
}

/** Whether `cwd` is one of `roots` or inside one. */
export function isInsideRepo(cwd: string, roots: readonly string[]): boolean {
  const c = cwd.length > 1 ? cwd.replace(/\/+$/, '') : cwd;
  return roots.some((r) => c === r || c.startsWith(`${r}/`));
}

function parseLines(head: string): Array<{ raw: string; value: unknown }> {
  const lines = head.split('\n');
  // The last piece may be cut by HEAD_BYTES; it parses only if it happens to be whole.
  return lines.slice(0, HEAD_LINES).flatMap((raw) => {
    try {
      return [{ raw, value: JSON.parse(raw) as unknown }];
    } catch {
      return [];
    }
  });
}

const field = (v: unknown, key: string): unknown => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>)[key] : undefined);

/** A `"cwd":"..."` member anywhere in the head: for a first line longer than what was read. */
function scanCwd(head: string): string | null {
  const literal = /"cwd"\s*:\s*("(?:[^"\\\n]|\\.)*")/.exec(head)?.[1];
  if (literal === undefined) return null;
  try {
    const cwd: unknown = JSON.parse(literal);
    return typeof cwd === 'string' && cwd !== '' ? cwd : null;
  } catch {
    return null;
  }
}

/** The `cwd` of a Claude Code session: the first line that states one. */
export function extractClaudeCwd(head: string): string | null {
  for (const { value } of parseLines(head)) {
    const cwd = field(value, 'cwd');
    if (typeof cwd === 'string' && cwd !== '') return cwd;
  }
  return scanCwd(head);
}

/** The `cwd` of a Codex rollout: session_meta / turn_context payload, a legacy header, or the injected environment context. */
export function extractCodexCwd(head: string): string | null {
  for (const { raw, value } of parseLines(head)) {
    const payload = field(value, 'payload');
    const type = field(value, 'type');
    const fromPayload = type === 'session_meta' || type === 'turn_context' ? field(payload, 'cwd') : undefined;
    if (typeof fromPayload === 'string' && fromPayload !== '') return fromPayload;
    const top = field(value, 'cwd');
    if (typeof top === 'string' && top !== '') return top;
    const tagged = /<cwd>([^<\n]+)<\/cwd>/.exec(raw)?.[1];
    if (tagged !== undefined) return tagged.trim();
  }
  return scanCwd(head);
}

function readHead(path: string): string {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(HEAD_BYTES);
    const n = readSync(fd, buf, 0, HEAD_BYTES, 0);
    return buf.subarray(0, n).toString('utf8');
  } catch {
    return '';
  } finally {
    closeSync(fd);
  }
}

function isDir(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** Files under `dir` (recursively) whose name passes `keep`, sorted. Unreadable folders are skipped. */
function listFiles(dir: string, keep: (name: string) => boolean): string[] {
  const out: string[] = [];
  const visit = (d: string) => {
    let entries: Dirent[];
    try {
      entries = readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const full = join(d, e.name);
      if (e.isDirectory()) visit(full);
      else if (e.isFile() && keep(e.name)) out.push(full);
    }
  };
  visit(dir);
  return out.sort();
}

/** `path` with the home directory shown as `~`. */
export function tilde(path: string, home: string | null): string {
  return home !== null && (path === home || path.startsWith(`${home}/`)) ? `~${path.slice(home.length)}` : path;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function discoverRepo(root: string, out: Discovery): void {
  const kb = join(root, 'data', '_kb');
  if (!isDir(kb)) out.skipped.push({ what: 'data/_kb/*.jsonl', reason: 'not present' });
  else {
    const n = readdirSync(kb).filter((name) => name.endsWith('.jsonl')).length;
    if (n === 0) out.skipped.push({ what: 'data/_kb/*.jsonl', reason: 'data/_kb has no .jsonl files' });
    else out.found.push({ source: { path: 'data/_kb/*.jsonl', format: 'auto', enabled: true }, files: n, detail: `auditor-loop streams (${plural(n, 'file')})` });
  }
  for (const name of ['_auditor', '_observer']) {
    const rel = `data/${name}`;
    const dir = join(root, 'data', name);
    if (!isDir(dir)) {
      out.skipped.push({ what: `${rel}/`, reason: 'not present' });
      continue;
    }
    const n = listFiles(dir, (f) => LOG_FILE.test(f)).length;
    if (n === 0) out.skipped.push({ what: `${rel}/`, reason: 'holds no .jsonl, .json, .ndjson or .traj files' });
    else out.found.push({ source: { path: rel, format: 'auto', enabled: true }, files: n, detail: `${name.slice(1)} logs (${plural(n, 'file')})` });
  }
}

/** Group "not this repository" files by the cwd they name, for one readable skipped line per directory. */
function skipByCwd(out: Discovery, what: string, byCwd: Map<string, number>, noun: string): void {
  for (const [cwd, n] of [...byCwd].sort(([a], [b]) => (a < b ? -1 : 1))) {
    out.skipped.push({ what, reason: `${plural(n, noun)} ${cwd === '' ? 'state no cwd in their first lines' : `ran in ${cwd}, not this repository`}` });
  }
}

function discoverClaude(roots: string[], opts: DiscoverOptions, out: Discovery): void {
  const base = opts.claude_dir ?? (opts.home === null ? null : join(opts.home, '.claude'));
  if (base === null) {
    out.skipped.push({ what: 'Claude Code sessions', reason: 'HOME is not set' });
    return;
  }
  const projects = join(base, 'projects');
  const shown = tilde(projects, opts.home);
  if (!isDir(projects)) {
    out.skipped.push({ what: `${shown}/`, reason: 'not present (Claude Code not used on this machine)' });
    return;
  }
  const names = roots.flatMap(claudeProjectDirNames);
  // A session started in a subdirectory of the repository gets a folder named after that subdirectory.
  const candidates = readdirSync(projects)
    .filter((d) => names.some((n) => d === n || d.startsWith(`${n}-`)))
    .sort();
  if (candidates.length === 0) {
    out.skipped.push({ what: `${shown}/`, reason: `no project folder for this repository (looked for ${names.join(' or ')})` });
    return;
  }
  for (const dirName of candidates) {
    const dir = join(projects, dirName);
    const files = listFiles(dir, (f) => f.endsWith('.jsonl'));
    const matched: string[] = [];
    const others = new Map<string, number>();
    for (const f of files) {
      const cwd = extractClaudeCwd(readHead(f));
      if (cwd !== null && isInsideRepo(cwd, roots)) matched.push(f);
      else others.set(cwd ?? '', (others.get(cwd ?? '') ?? 0) + 1);
    }
    if (matched.length > 0 && others.size === 0) {
      // The whole folder is this repository's: name the folder, so sessions started later are read too.
      out.found.push({ source: { path: dir, format: 'claude-code', enabled: true }, files: matched.length, detail: `Claude Code sessions (${plural(matched.length, 'file')}, every one in this repository)` });
    } else {
      for (const f of matched) out.found.push({ source: { path: f, format: 'claude-code', enabled: true }, files: 1, detail: 'Claude Code session in this repository' });
    }
    if (files.length === 0) out.skipped.push({ what: tilde(dir, opts.home), reason: 'holds no .jsonl sessions' });
    skipByCwd(out, tilde(dir, opts.home), others, 'session');
  }
}

function discoverCodex(roots: string[], opts: DiscoverOptions, out: Discovery): void {
  const base = opts.codex_dir ?? (opts.home === null ? null : join(opts.home, '.codex'));
  if (base === null) {
    out.skipped.push({ what: 'Codex sessions', reason: 'HOME is not set' });
    return;
  }
  const sessions = join(base, 'sessions');
  const shown = tilde(sessions, opts.home);
  if (!isDir(sessions)) {
    out.skipped.push({ what: `${shown}/`, reason: 'not present (Codex not used on this machine)' });
    return;
  }
  const others = new Map<string, number>();
  let matched = 0;
  // Codex keeps every project's rollouts in one date tree, so only the files that ran here can be named.
  for (const f of listFiles(sessions, (name) => /^rollout-.*\.jsonl$/.test(name))) {
    const cwd = extractCodexCwd(readHead(f));
    if (cwd !== null && isInsideRepo(cwd, roots)) {
      matched++;
      out.found.push({ source: { path: f, format: 'codex', enabled: true }, files: 1, detail: 'Codex rollout in this repository' });
    } else {
      others.set(cwd ?? '', (others.get(cwd ?? '') ?? 0) + 1);
    }
  }
  if (matched === 0 && others.size === 0) out.skipped.push({ what: `${shown}/`, reason: 'holds no rollout-*.jsonl files' });
  skipByCwd(out, `${shown}/`, others, 'rollout');
}

/**
 * Gemini CLI keeps a project's chats under `~/.gemini/tmp/<sha256 of the project root's absolute path>/chats/`,
 * so this repository's folder can be named without reading any session.
 */
function discoverGemini(roots: string[], opts: DiscoverOptions, out: Discovery): void {
  if (opts.home === null) {
    out.skipped.push({ what: 'Gemini CLI sessions', reason: 'HOME is not set' });
    return;
  }
  const tmp = join(opts.home, '.gemini', 'tmp');
  const shown = tilde(tmp, opts.home);
  if (!isDir(tmp)) {
    out.skipped.push({ what: `${shown}/`, reason: 'not present (Gemini CLI not used on this machine)' });
    return;
  }
  for (const root of roots) {
    const chats = join(tmp, sha256Hex(root), 'chats');
    if (!isDir(chats)) continue;
    for (const ext of ['json', 'jsonl']) {
      const files = listFiles(chats, (name) => name.startsWith('session-') && name.endsWith(`.${ext}`)).length;
      if (files === 0) continue;
      out.found.push({
        source: { path: join(chats, `session-*.${ext}`), format: 'auto', enabled: true },
        files,
        detail: `Gemini CLI ${plural(files, 'session')} of this repository (${ext.toUpperCase()})`,
      });
    }
    return;
  }
  out.skipped.push({ what: `${shown}/`, reason: `no chats for this repository (looked for ${tilde(join(tmp, sha256Hex(roots[0]!).slice(0, 12)), opts.home)}…)` });
}

/** Aider writes its chat history at the top of the repository it runs in (`--chat-history-file` can move it). */
function discoverAider(root: string, out: Discovery): void {
  if (!existsSync(join(root, AIDER_HISTORY))) {
    out.skipped.push({ what: AIDER_HISTORY, reason: 'not present (Aider not used in this repository)' });
    return;
  }
  out.found.push({ source: { path: AIDER_HISTORY, format: 'aider', enabled: true }, files: 1, detail: 'Aider chat history of this repository' });
}

/** Where this repository's agent logs are (DESIGN section 7); reads only the first lines of session files. */
export function discoverSources(opts: DiscoverOptions): Discovery {
  const out: Discovery = { found: [], skipped: [] };
  const roots = [opts.root];
  if (existsSync(opts.root)) {
    const real = realpathSync(opts.root);
    if (real !== opts.root) roots.push(real);
  }
  discoverRepo(opts.root, out);
  discoverClaude(roots, opts, out);
  discoverCodex(roots, opts, out);
  discoverGemini(roots, opts, out);
  discoverAider(opts.root, out);
  return out;
}
