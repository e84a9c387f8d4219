// Pure: a requirement document (PRD, phase plan, roadmap, backlog) → the claims it makes, with ids, status, references and stamps.
import type { Heading, List, ListItem, Nodes, Paragraph, Root, RootContent, Table, TableRow } from 'mdast';

interface MarkdownParser {
  fromMarkdown: typeof import('mdast-util-from-markdown').fromMarkdown;
  gfm: typeof import('micromark-extension-gfm').gfm;
  gfmFromMarkdown: typeof import('mdast-util-gfm').gfmFromMarkdown;
}
let markdown: MarkdownParser | null = null;

/**
 * The Markdown parser, loaded on first use: every command imports this module (the pipeline may compute drift),
 * but only a commit with requirement docs needs micromark, which costs tens of milliseconds to load.
 */
function loadMarkdown(): MarkdownParser {
  markdown ??= {
    fromMarkdown: (import.meta.require('mdast-util-from-markdown') as typeof import('mdast-util-from-markdown')).fromMarkdown,
    gfm: (import.meta.require('micromark-extension-gfm') as typeof import('micromark-extension-gfm')).gfm,
    gfmFromMarkdown: (import.meta.require('mdast-util-gfm') as typeof import('mdast-util-gfm')).gfmFromMarkdown,
  };
  return markdown;
}

export type ClaimStatus = 'done' | 'in_progress' | 'planned' | 'blocked' | 'deferred' | 'unknown';
export const CLAIM_STATUSES: readonly ClaimStatus[] = ['done', 'in_progress', 'planned', 'blocked', 'deferred', 'unknown'];

/** heading: a section title; item: a list item; checkbox: a task-list item; row: a table row; prose: a sentence or marked line outside lists and tables. */
export type ClaimKind = 'heading' | 'item' | 'checkbox' | 'row' | 'prose';

/** Where a claim's status came from: its checkbox, a marker in its own text (✅, "(done)"), a `Status:` line, a table's status column, or its parent. */
export type StatusSource = 'checkbox' | 'marker' | 'status_line' | 'column' | 'inherited' | 'prose';

/** A backticked (or `Tests:`-listed) name in a claim: a repository path, a glob over paths, or a code symbol. */
export interface DocRef {
  kind: 'path' | 'glob' | 'symbol';
  /** As written, without backticks. */
  text: string;
  /** What is looked up: the path without `./` or a `:line` suffix, the glob, or the symbol's longest identifier. */
  target: string;
  line: number;
  /** Written on a `Tests:` line: a test the claim names. */
  on_tests_line: boolean;
}

export interface Claim {
  /** Position in ParsedDoc.claims (document order). */
  index: number;
  kind: ClaimKind;
  /** The requirement id it defines (`FR-012`, `R45-KR1`, `Phase 3`), or null. */
  id: string | null;
  /** Its text on one line, markup and status markers removed, at most 200 characters. */
  title: string;
  /** Stable across edits that do not change what it is: the id, else the normalized title. */
  key: string;
  status: ClaimStatus;
  status_source: StatusSource | null;
  /** 1-based, inclusive: the claim's own lines (a heading's line; an item's lines without its nested items). */
  line: number;
  end_line: number;
  /** The enclosing claim (a heading for items under it, an item for nested items), or null at the top. */
  parent: number | null;
  /** Heading depth (1-6); 0 for other kinds. */
  depth: number;
  refs: DocRef[];
  /** Placeholder words (TODO, TBD, FIXME, XXX, ???) in the claim's own text, with their lines. */
  placeholders: Array<{ word: string; line: number }>;
  /** A phase, milestone, objective or similar: its status should agree with its items. */
  phase_like: boolean;
}

/** An id written somewhere in the doc (outside code blocks) that is not the defining occurrence. */
export interface IdMention {
  id: string;
  line: number;
}

/** `<!-- verified: <sha> -->`: the claims in scope were checked against that commit. */
export interface VerifiedStamp {
  sha: string;
  line: number;
  /** The heading or item whose section it sits in (it covers that claim and its descendants); null: the whole doc. */
  scope: number | null;
}

export interface ParsedDoc {
  path: string;
  claims: Claim[];
  mentions: IdMention[];
  stamps: VerifiedStamp[];
}

export interface ParseOptions {
  /** Extra id shapes (regex sources, no flags), on top of the built-in `FR-012` / `R45-KR1` / `Phase 3` shapes. */
  id_patterns?: readonly string[];
}

// ---------------------------------------------------------------- status words and markers

const DONE_WORDS = 'done|complete|completed|shipped|implemented|passed|finished|merged|released|delivered|resolved|closed|fixed|landed|accepted';
const STATUS_WORDS: ReadonlyArray<readonly [RegExp, ClaimStatus]> = [
  [new RegExp(`^(?:${DONE_WORDS}|pass)\\b`, 'i'), 'done'],
  [/^(?:in[ -]progress|wip|active|ongoing|started|verifying|in[ -]review|under review|partial|partially)\b/i, 'in_progress'],
  [/^(?:planned|todo|to[ -]do|not[ -]started|not yet|pending|backlog|proposed|ready|next|open|queued|draft|upcoming)\b/i, 'planned'],
  [/^(?:blocked|on[ -]hold|stuck|waiting)\b/i, 'blocked'],
  [/^(?:deferred|postponed|dropped|cancell?ed|won'?t|descoped|abandoned|superseded|out of scope)\b/i, 'deferred'],
];

const MARKERS: ReadonlyArray<readonly [string, ClaimStatus]> = [
  ['✅', 'done'], ['✔', 'done'], ['☑', 'done'], ['✓', 'done'], ['🎉', 'done'],
  ['🚧', 'in_progress'], ['⏳', 'in_progress'], ['🔄', 'in_progress'], ['🏗', 'in_progress'],
  ['⬜', 'planned'], ['🔲', 'planned'], ['☐', 'planned'], ['📋', 'planned'],
  ['❌', 'blocked'], ['⛔', 'blocked'], ['🛑', 'blocked'],
  ['⏸', 'deferred'], ['🗑', 'deferred'],
];

/** The status a status text starts with ("Passed", "IMPLEMENTED AND VALIDATED", "✅ done"), or null. */
export function parseStatusText(text: string): ClaimStatus | null {
  const t = text.replace(/[*_`~]/g, '').trim();
  for (const [marker, status] of MARKERS) if (t.startsWith(marker)) return status;
  const word = t.replace(/^[^\p{L}\p{N}]+/u, '');
  for (const [re, status] of STATUS_WORDS) if (re.test(word)) return status;
  for (const [marker, status] of MARKERS) if (t.includes(marker)) return status;
  return null;
}

const WORD_ALT = `${DONE_WORDS}|in[ -]progress|wip|planned|todo|pending|blocked|deferred|postponed|dropped|cancell?ed|not started`;
const TRAILING_STATUS = new RegExp(`(?:[([]\\s*(${WORD_ALT})\\s*[)\\]]|\\s[—–-]\\s*(${WORD_ALT})|:\\s*(${WORD_ALT}))\\s*[.!]?$`, 'i');
const LEADING_STATUS = new RegExp(`^(?:\\[\\s*(${WORD_ALT})\\s*\\]|(${WORD_ALT})\\s*:)\\s*`, 'i');

/** A status written in a heading's or item's own text: a marker emoji, "(done)", "— shipped", "[DONE]". */
function markerStatus(text: string): { status: ClaimStatus; rest: string } | null {
  for (const [marker, status] of MARKERS) {
    if (text.includes(marker)) return { status, rest: text.split(marker).join(' ') };
  }
  const lead = LEADING_STATUS.exec(text);
  if (lead !== null) return { status: parseStatusText(lead[1] ?? lead[2] ?? '') ?? 'unknown', rest: text.slice(lead[0].length) };
  const trail = TRAILING_STATUS.exec(text);
  if (trail !== null) return { status: parseStatusText(trail[1] ?? trail[2] ?? trail[3] ?? '') ?? 'unknown', rest: text.slice(0, trail.index) };
  const box = /^\[([~/\->])\]\s*/.exec(text);
  if (box !== null) return { status: box[1] === '>' ? 'deferred' : 'in_progress', rest: text.slice(box[0].length) };
  return null;
}

// ---------------------------------------------------------------- ids

/** `FR-012`, `REQ-3`, `NFR-2.1`, `R45-KR1`, `US-12`: letters (digits allowed after the first), a dash, numbered parts. */
const DASHED_ID = '[A-Z][A-Z0-9]*(?:-[A-Z]*\\d+(?:\\.\\d+)*)+';
const PHASE_ID = '(?:Phase|Milestone|Stage|Step|Sprint|Epic|Iteration)\\s+\\d+(?:\\.\\d+)?';
const LABEL = '(?:Objective|KR|Key Result|Requirement|Req|Story|User Story|Feature|Epic|Task|Milestone|Goal|Item|ID)\\s*[:#]?\\s*';
/** A short id only in a defining position after a label ("Objective: R45"): `R45`, `KR3`. */
const SHORT_ID = '[A-Z]{1,4}\\d+';

function normalizeId(raw: string): string {
  const phase = /^(Phase|Milestone|Stage|Step|Sprint|Epic|Iteration)\s+(\d+(?:\.\d+)?)$/i.exec(raw);
  if (phase !== null) {
    const word = phase[1]!;
    return `${word[0]!.toUpperCase()}${word.slice(1).toLowerCase()} ${String(Number(phase[2]!))}`;
  }
  return raw;
}

/** The prefix a family of ids shares: `FR` for FR-012, `R` for R45-KR1, `Phase` for Phase 3. */
export function idPrefix(id: string): string {
  const m = /^(Phase|Milestone|Stage|Step|Sprint|Epic|Iteration)\b/.exec(id);
  if (m !== null) return m[1]!;
  return /^[A-Za-z]+/.exec(id)?.[0] ?? id;
}

interface IdMatchers {
  defining: RegExp;
  mention: RegExp;
}

function buildIdMatchers(extra: readonly string[]): IdMatchers {
  const extraAlt = extra.map((p) => `(?:${p})`);
  const ids = [DASHED_ID, PHASE_ID, ...extraAlt].join('|');
  return {
    // At the start of a claim's text, optionally after a label; short ids only after a label.
    defining: new RegExp(`^(?:${LABEL})?(${ids})\\b|^${LABEL}(${SHORT_ID})\\b`, 'i'),
    mention: new RegExp(`(?<![\\w-])(${[DASHED_ID, PHASE_ID, ...extraAlt].join('|')})(?![\\w-])`, 'g'),
  };
}

/** The id a claim's text starts with; `bare` when it is a dashed id with no label before it ("FR-012: ..."). */
function definingId(text: string, m: IdMatchers, opts: { phaseNeedsSeparator?: boolean } = {}): { id: string; bare: boolean } | null {
  const t = text.replace(/^[\s*_#>|]+/, '');
  const hit = m.defining.exec(t);
  if (hit === null) return null;
  const raw = hit[1] ?? hit[2];
  if (raw === undefined) return null;
  const phase = /^(?:phase|milestone|stage|step|sprint|epic|iteration)\b/i.test(raw);
  // In a list item, "Phase 2: Export" names a phase; "Phase 2 adds the export" only talks about one.
  if (phase && opts.phaseNeedsSeparator === true && !/^\s*(?:[:.)—–-]|$)/.test(t.slice(hit.index + hit[0].length))) return null;
  // Case-insensitive matching lets "phase 3" define Phase 3; a dashed id must still be upper case as written.
  if (!phase && raw !== raw.toUpperCase()) return null;
  return { id: normalizeId(raw), bare: !phase && hit[2] === undefined && !new RegExp(`^${LABEL}`, 'i').test(t) };
}

// ---------------------------------------------------------------- references

const CODE_EXTENSIONS = new Set(
  'ts tsx js jsx mjs cjs mts cts py pyi rs go java kt kts swift rb c h cc cpp cxx hpp hh cs php md mdx rst txt json jsonl json5 yml yaml toml ini cfg conf sql sh bash zsh fish ps1 html htm css scss sass less vue svelte astro proto graphql gql xml gradle lock dart scala ex exs erl lua r m mm zig nim tf hcl dockerfile makefile cmake mk plist xib storyboard xcconfig pbxproj ipynb csv tsv env properties sol clj cljs hs ml fs elm jl pl pm tex bib'.split(' '),
);
const LITERALS = new Set(['true', 'false', 'null', 'nil', 'none', 'undefined', 'self', 'this', 'super', 'void', 'async', 'await', 'return']);

/** What a backticked span names, or null when it is something else (a command, a URL, a flag, prose, an absolute path). */
export function classifyRef(raw: string): Array<Pick<DocRef, 'kind' | 'text' | 'target'>> {
  let v = raw.trim().replace(/[,;]+$/, '');
  if (v === '' || /\s/.test(v) || v.length > 300) return [];
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(v) || /^[\w.-]+@[\w.-]+$/.test(v)) return [];
  if (/^[-$~/\\@<]/.test(v) || v.includes('..')) return [];
  v = v.replace(/^\.\//, '');
  // A path with a member: `src/x.rs::is_weak_model`.
  const member = /^(.+?\.[A-Za-z0-9]+)(?:::|#)([A-Za-z_][\w]*)$/.exec(v);
  if (member !== null && member[1]!.includes('/')) {
    return [...classifyRef(member[1]!), ...classifyRef(member[2]!).filter((r) => r.kind === 'symbol')].map((r) => ({ ...r, text: raw.trim() }));
  }
  const path = v.replace(/(?::\d+(?:[-:]\d+)?|#L\d+(?:-L?\d+)?)$/, '');
  if (/[<>|"'`()[\]^%=!;,]/.test(path.replace(/\{[^}]*\}|\[[^\]]*\]/g, '')) && !/^[\w.:#]+\(\)$/.test(v)) {
    return symbolRef(v);
  }
  const isGlob = /[*?]|\{[^}]*,[^}]*\}/.test(path);
  if (isGlob && /[/.]/.test(path)) return [{ kind: 'glob', text: raw.trim(), target: path }];
  if (path.includes('/')) {
    if (!/^[\w@+.\-/ ]+$/u.test(path) || path.startsWith('/') || /\/\//.test(path)) return symbolRef(v);
    return [{ kind: 'path', text: raw.trim(), target: path }];
  }
  const ext = /^[\w.+-]+\.([A-Za-z0-9]{1,12})$/.exec(path);
  if (ext !== null && CODE_EXTENSIONS.has(ext[1]!.toLowerCase()) && !/^\d/.test(path)) return [{ kind: 'path', text: raw.trim(), target: path }];
  if (/^(?:Dockerfile|Makefile|Gemfile|Rakefile|Procfile|Justfile|LICENSE|CODEOWNERS)$/.test(path)) return [{ kind: 'path', text: raw.trim(), target: path }];
  return symbolRef(v);
}

/** A code identifier worth looking up: CamelCase, snake_case, a call, or a member access; plain words are not. */
function symbolRef(v: string): Array<Pick<DocRef, 'kind' | 'text' | 'target'>> {
  const call = v.endsWith('()');
  const body = call ? v.slice(0, -2) : v;
  if (!/^\.?[A-Za-z_$][\w$]*(?:(?:\.|::|#)[A-Za-z_$][\w$]*)*$/.test(body)) return [];
  const segments = body.replace(/^\./, '').split(/\.|::|#/).filter((s) => s !== '');
  const longest = [...segments].sort((a, b) => b.length - a.length || (a < b ? -1 : 1))[0];
  if (longest === undefined || longest.length < 3 || LITERALS.has(longest.toLowerCase())) return [];
  const codeLike = segments.length > 1 || call || /[a-z][A-Z]/.test(body) || /[A-Z]{2,}[a-z]/.test(body) || /^[A-Z][a-z0-9]+[A-Z]/.test(body) || (body.includes('_') && body.length >= 4);
  if (!codeLike) return [];
  return [{ kind: 'symbol', text: v, target: longest.replace(/^\$/, '') }];
}

// ---------------------------------------------------------------- mdast helpers

type Pos = { start: { line: number }; end: { line: number } };

function posOf(node: Nodes): Pos {
  const p = node.position;
  return p === undefined ? { start: { line: 1 }, end: { line: 1 } } : { start: { line: p.start.line }, end: { line: p.end.line } };
}

/** The visible text of inline content: text and code values, link text, no markup. */
function plainText(nodes: readonly Nodes[]): string {
  let out = '';
  for (const n of nodes) {
    if (n.type === 'text' || n.type === 'inlineCode') out += n.value;
    else if (n.type === 'break') out += '\n';
    else if ('children' in n) out += plainText(n.children as Nodes[]);
  }
  return out;
}

function inlineCodes(nodes: readonly Nodes[], out: Array<{ value: string; line: number }> = []): Array<{ value: string; line: number }> {
  for (const n of nodes) {
    if (n.type === 'inlineCode') out.push({ value: n.value, line: posOf(n).start.line });
    else if ('children' in n) inlineCodes(n.children as Nodes[], out);
  }
  return out;
}

function htmlNodes(nodes: readonly Nodes[], out: Array<{ value: string; line: number }> = []): Array<{ value: string; line: number }> {
  for (const n of nodes) {
    if (n.type === 'html') out.push({ value: n.value, line: posOf(n).start.line });
    else if ('children' in n) htmlNodes(n.children as Nodes[], out);
  }
  return out;
}

const STAMP = /<!--\s*verified\s*[:=@]?\s*([0-9a-fA-F]{7,64})\s*-->/g;
const PLACEHOLDER = /\b(TODO|TBD|FIXME|XXX)\b|\?\?\?|\b[Ll]orem ipsum\b/g;
/** `Status: done`, `**Tests**: x`: a labelled line inside a claim's body. */
const LABELLED = /^\s*(?:[-*+]\s+|\d+[.)]\s+)?(?:\*\*|__)?(status|state|evidence|tests?|artifacts?|files?|implementation|code)(?:\*\*|__)?\s*[:：]\s*(?:\*\*|__)?\s*(.*)$/i;
const DONE_VERB = new RegExp(`\\b(?:is|are|was|were|has been|have been|now|fully|already)\\s+(?:${DONE_WORDS})\\b|\\b(?:${DONE_WORDS})\\s+(?:in|at|by|as|via|under)\\b`, 'i');
const NEGATED = /\b(?:not|never|no|without|isn't|aren't|wasn't|weren't|hasn't|haven't|yet to)\b[^.]{0,20}$/i;
const PHASE_WORD = /\b(?:phase|milestone|stage|sprint|epic|objective|release|iteration|step)\b/i;
const PHASE_HEADERS = /^(?:phase|milestone|stage|step|sprint|epic|iteration)s?$/i;
const STATUS_HEADERS = /^(?:status|state|result|done\??|progress|complete\??|shipped\??)$/i;

function normalizeKey(text: string): string {
  return text
    .toLowerCase()
    .replace(/[`*_~[\]()]/g, '')
    .replace(/[^\p{L}\p{N}/.\-\s]/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 120);
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim().slice(0, 200);
}

// ---------------------------------------------------------------- the walk

interface Builder {
  path: string;
  lines: string[];
  ids: IdMatchers;
  claims: Claim[];
  stamps: VerifiedStamp[];
  /** Lines that define an id: their mention of that id is the definition, not a mention. */
  defined: Map<number, Set<string>>;
  /** Claims whose id is a bare dashed id (no label before it). */
  bare: Set<number>;
  /** Heading stack: claim indexes of the open sections. */
  sections: number[];
  /** Per section: whether a list, table or prose claim came after its heading (a later `Status:` line is not the heading's). */
  sectionHasChildren: Set<number>;
}

type ClaimInit = Omit<Claim, 'index' | 'id' | 'key' | 'placeholders' | 'refs' | 'phase_like'> & { defined: { id: string; bare: boolean } | null };

function newClaim(b: Builder, init: ClaimInit): Claim {
  const { defined, ...rest } = init;
  const id = defined?.id ?? null;
  const claim: Claim = { ...rest, id, index: b.claims.length, key: id ?? normalizeKey(init.title), refs: [], placeholders: [], phase_like: false };
  if (claim.key === '') claim.key = `${init.kind}@${init.line}`;
  if (defined !== null) {
    if (defined.bare) b.bare.add(claim.index);
    const set = b.defined.get(init.line) ?? new Set<string>();
    set.add(defined.id);
    b.defined.set(init.line, set);
  }
  b.claims.push(claim);
  return claim;
}

/**
 * A bare dashed id ("GPT-4 support", "UTF-8 handling") is only an id when its family has another member in the
 * doc (FR-001 and FR-002): a lone one is a name that happens to look like an id, and its claim keeps its title as key.
 */
function dropLoneBareIds(b: Builder): void {
  const family = new Map<string, Set<string>>();
  for (const c of b.claims) {
    if (c.id === null) continue;
    const set = family.get(idPrefix(c.id)) ?? new Set<string>();
    set.add(c.id);
    family.set(idPrefix(c.id), set);
  }
  for (const index of b.bare) {
    const c = b.claims[index] as Claim;
    if (c.id === null || (family.get(idPrefix(c.id))?.size ?? 0) >= 2) continue;
    b.defined.get(c.line)?.delete(c.id);
    c.id = null;
    c.key = normalizeKey(c.title) || `${c.kind}@${c.line}`;
  }
}

function currentSection(b: Builder): number | null {
  return b.sections.length === 0 ? null : (b.sections[b.sections.length - 1] as number);
}

/** Names on a `Tests:` line that are not backticked: `Tests: test_login, LoginFlowTests`. */
function bareTestNames(rest: string, line: number): DocRef[] {
  const out: DocRef[] = [];
  const unticked = rest.replace(/`[^`]*`/g, ' ');
  for (const token of unticked.split(/[\s,;]+/)) {
    const t = token.replace(/^[([]+|[)\].:]+$/g, '');
    for (const r of classifyRef(t)) if (r.kind !== 'symbol' || /test|spec/i.test(r.target)) out.push({ ...r, line, on_tests_line: true });
  }
  return out;
}

/**
 * Body lines of a claim: labelled lines set its status and mark test lines (the names on them, backticked or not,
 * are tests); placeholders are collected. Returns the test lines and the bare names on them, for the caller to add
 * after the backticked references.
 */
function readBody(b: Builder, claim: Claim, from: number, to: number, opts: { statusLines: boolean }): { testsLines: Set<number>; bare: DocRef[] } {
  const testsLines = new Set<number>();
  const bare: DocRef[] = [];
  for (let n = from; n <= to; n++) {
    const text = b.lines[n - 1] ?? '';
    const m = LABELLED.exec(text);
    if (m !== null) {
      const label = m[1]!.toLowerCase();
      if ((label === 'status' || label === 'state') && opts.statusLines && claim.status_source === null) {
        const s = parseStatusText(m[2] ?? '');
        if (s !== null) {
          claim.status = s;
          claim.status_source = 'status_line';
        }
      }
      if (label === 'test' || label === 'tests') {
        testsLines.add(n);
        bare.push(...bareTestNames(m[2] ?? '', n));
      }
    }
    for (const p of text.replace(/`[^`]*`/g, ' ').matchAll(PLACEHOLDER)) claim.placeholders.push({ word: p[1] ?? p[0], line: n });
  }
  return { testsLines, bare };
}

/** Add references in line order: backticked names first, then a Tests: line's bare names. */
function addRefs(claim: Claim, codes: ReadonlyArray<{ value: string; line: number }>, testsLines: ReadonlySet<number>, bare: readonly DocRef[] = []): void {
  const found: DocRef[] = [];
  for (const c of codes) for (const r of classifyRef(c.value)) found.push({ ...r, line: c.line, on_tests_line: testsLines.has(c.line) });
  for (const r of [...found, ...bare].sort((a, b) => a.line - b.line)) {
    if (claim.refs.some((x) => x.kind === r.kind && x.target === r.target && x.line === r.line)) continue;
    claim.refs.push(r);
  }
}

function scanStamps(b: Builder, html: ReadonlyArray<{ value: string; line: number }>, scope: number | null): void {
  for (const h of html) for (const m of h.value.matchAll(STAMP)) b.stamps.push({ sha: m[1]!.toLowerCase(), line: h.line, scope });
}

function walkHeading(b: Builder, node: Heading): void {
  while (b.sections.length > 0 && (b.claims[currentSection(b) as number] as Claim).depth >= node.depth) b.sections.pop();
  const pos = posOf(node);
  const text = oneLine(plainText(node.children));
  const marker = markerStatus(text);
  const title = oneLine(marker?.rest ?? text);
  const claim = newClaim(b, {
    kind: 'heading',
    defined: definingId(title, b.ids),
    title,
    status: marker?.status ?? 'unknown',
    status_source: marker === null ? null : 'marker',
    line: pos.start.line,
    end_line: pos.end.line,
    parent: currentSection(b),
    depth: node.depth,
  });
  claim.phase_like = PHASE_WORD.test(title) || (claim.id !== null && PHASE_WORD.test(idPrefix(claim.id)));
  const body = readBody(b, claim, claim.line, claim.end_line, { statusLines: false });
  addRefs(claim, inlineCodes(node.children), body.testsLines, body.bare);
  scanStamps(b, htmlNodes(node.children), claim.index);
  b.sections.push(claim.index);
}

function walkList(b: Builder, list: List, parent: number | null): void {
  for (const item of list.children) walkItem(b, item, parent);
}

function walkItem(b: Builder, item: ListItem, parent: number | null): void {
  const pos = posOf(item);
  const own = item.children.filter((c) => c.type !== 'list');
  const first = own[0];
  const firstText = first !== undefined && first.type === 'paragraph' ? plainText(first.children) : '';
  const titleLine = firstText.split('\n')[0] ?? '';
  const marker = item.checked === null || item.checked === undefined ? markerStatus(titleLine) : null;
  const title = oneLine(marker?.rest ?? titleLine);
  const nested = item.children.filter((c): c is List => c.type === 'list');
  const ownEnd = Math.max(pos.start.line, ...own.map((c) => posOf(c).end.line));
  const parentClaim = parent === null ? null : (b.claims[parent] as Claim);
  const claim = newClaim(b, {
    kind: item.checked === null || item.checked === undefined ? 'item' : 'checkbox',
    defined: definingId(title, b.ids, { phaseNeedsSeparator: true }),
    title,
    status: item.checked === true ? 'done' : item.checked === false ? 'planned' : (marker?.status ?? 'unknown'),
    status_source: item.checked === true || item.checked === false ? 'checkbox' : marker === null ? null : 'marker',
    line: pos.start.line,
    end_line: ownEnd,
    parent,
    depth: 0,
  });
  // An unchecked box marked 🚧 is in progress, not merely planned.
  if (item.checked === false) {
    const m = markerStatus(titleLine);
    if (m !== null && m.status !== 'done') claim.status = m.status;
  }
  claim.phase_like = claim.id !== null && PHASE_WORD.test(idPrefix(claim.id));
  const body = readBody(b, claim, claim.line, claim.end_line, { statusLines: true });
  addRefs(claim, own.flatMap((c) => ('children' in c ? inlineCodes(c.children as Nodes[]) : [])), body.testsLines, body.bare);
  scanStamps(b, own.flatMap((c) => (c.type === 'html' ? [{ value: c.value, line: posOf(c).start.line }] : 'children' in c ? htmlNodes(c.children as Nodes[]) : [])), claim.index);
  // A plain item under a claim with a status says the same thing about a part of it.
  if (claim.status_source === null && parentClaim !== null && parentClaim.status !== 'unknown') {
    claim.status = parentClaim.status;
    claim.status_source = 'inherited';
  }
  for (const c of own.slice(1)) if (c.type === 'table') walkTable(b, c, claim.index);
  for (const n of nested) walkList(b, n, claim.index);
}

function walkTable(b: Builder, table: Table, parent: number | null): void {
  const [header, ...rows] = table.children;
  if (header === undefined) return;
  const headers = header.children.map((c) => oneLine(plainText(c.children)).replace(/[*_`]/g, ''));
  const statusCol = headers.findIndex((h) => STATUS_HEADERS.test(h.trim()));
  const phaseTable = PHASE_HEADERS.test((headers[0] ?? '').trim());
  for (const row of rows) walkRow(b, row, parent, { statusCol, phaseTable, phaseWord: (headers[0] ?? 'Phase').trim().replace(/s$/i, '') });
}

function walkRow(b: Builder, row: TableRow, parent: number | null, t: { statusCol: number; phaseTable: boolean; phaseWord: string }): void {
  const pos = posOf(row);
  const cells = row.children.map((c) => oneLine(plainText(c.children)));
  const firstCell = cells[0] ?? '';
  let status: ClaimStatus = 'unknown';
  let source: StatusSource | null = null;
  if (t.statusCol >= 0 && cells[t.statusCol] !== undefined) {
    const s = parseStatusText(cells[t.statusCol] as string);
    if (s !== null) {
      status = s;
      source = 'column';
    }
  } else {
    const m = cells.map((c) => markerStatus(c)).find((x) => x !== null);
    if (m !== undefined && m !== null) {
      status = m.status;
      source = 'marker';
    }
  }
  const marker = markerStatus(firstCell);
  const title = oneLine(marker?.rest ?? firstCell);
  let defined = definingId(title, b.ids);
  const numbered = /^(\d+(?:\.\d+)?)[.):]?\s/.exec(title + ' ');
  if (defined === null && t.phaseTable && numbered !== null) defined = { id: normalizeId(`${t.phaseWord} ${numbered[1]!}`), bare: false };
  const id = defined?.id ?? null;
  const claim = newClaim(b, { kind: 'row', defined, title, status, status_source: source, line: pos.start.line, end_line: pos.end.line, parent, depth: 0 });
  claim.phase_like = t.phaseTable || (id !== null && PHASE_WORD.test(idPrefix(id)));
  const body = readBody(b, claim, claim.line, claim.end_line, { statusLines: false });
  addRefs(claim, row.children.flatMap((c) => inlineCodes(c.children)), body.testsLines, body.bare);
  scanStamps(b, row.children.flatMap((c) => htmlNodes(c.children)), claim.index);
}

/** A paragraph outside lists and tables: `Status:` lines under a heading, marked lines and "X is implemented in `y`" sentences. */
function walkParagraph(b: Builder, para: Paragraph): void {
  const section = currentSection(b);
  const pos = posOf(para);
  const codes = inlineCodes(para.children);
  scanStamps(b, htmlNodes(para.children), section);
  const sectionClaim = section === null ? null : (b.claims[section] as Claim);
  const headingBody = sectionClaim !== null && !b.sectionHasChildren.has(sectionClaim.index);
  for (let n = pos.start.line; n <= pos.end.line; n++) {
    const raw = b.lines[n - 1] ?? '';
    const text = raw.replace(/^\s*>?\s*/, '');
    const labelled = LABELLED.exec(text);
    if (labelled !== null && sectionClaim !== null && headingBody) {
      const label = labelled[1]!.toLowerCase();
      if ((label === 'status' || label === 'state') && sectionClaim.status_source === null) {
        const s = parseStatusText(labelled[2] ?? '');
        if (s !== null) {
          sectionClaim.status = s;
          sectionClaim.status_source = 'status_line';
        }
      }
      const tests = label === 'test' || label === 'tests';
      addRefs(sectionClaim, codes.filter((c) => c.line === n), new Set(tests ? [n] : []), tests ? bareTestNames(labelled[2] ?? '', n) : []);
      continue;
    }
    const visible = text.replace(/[*_`]/g, '');
    const marker = MARKERS.find(([m]) => visible.trimStart().startsWith(m));
    const verb = DONE_VERB.exec(visible);
    const lineCodes = codes.filter((c) => c.line === n);
    const claimed = marker !== undefined || (verb !== null && !NEGATED.test(visible.slice(0, verb.index)) && lineCodes.some((c) => classifyRef(c.value).length > 0));
    if (claimed) {
      const title = oneLine(marker === undefined ? visible : visible.trimStart().slice(marker[0].length));
      const claim = newClaim(b, {
        kind: 'prose',
        defined: definingId(title, b.ids, { phaseNeedsSeparator: true }),
        title,
        status: marker?.[1] ?? 'done',
        status_source: marker === undefined ? 'prose' : 'marker',
        line: n,
        end_line: n,
        parent: section,
        depth: 0,
      });
      const body = readBody(b, claim, n, n, { statusLines: false });
      addRefs(claim, lineCodes, body.testsLines, body.bare);
      if (section !== null) b.sectionHasChildren.add(section);
    } else if (sectionClaim !== null && headingBody) {
      // Names in the section's own text belong to its heading's claim ("The exporter lives in `src/x.ts`.").
      addRefs(sectionClaim, lineCodes, new Set());
      for (const p of text.replace(/`[^`]*`/g, ' ').matchAll(PLACEHOLDER)) sectionClaim.placeholders.push({ word: p[1] ?? p[0], line: n });
    }
  }
}

function walkBlocks(b: Builder, nodes: readonly RootContent[]): void {
  for (const node of nodes) {
    switch (node.type) {
      case 'heading':
        walkHeading(b, node);
        break;
      case 'list': {
        const section = currentSection(b);
        if (section !== null) b.sectionHasChildren.add(section);
        walkList(b, node, section);
        break;
      }
      case 'table': {
        const section = currentSection(b);
        if (section !== null) b.sectionHasChildren.add(section);
        walkTable(b, node, section);
        break;
      }
      case 'paragraph':
        walkParagraph(b, node);
        break;
      case 'blockquote':
        walkBlocks(b, node.children);
        break;
      case 'html':
        scanStamps(b, [{ value: node.value, line: posOf(node).start.line }], currentSection(b));
        break;
      default:
        // Code blocks (their checkboxes and names are examples, not claims), rules, definitions, front matter.
        break;
    }
  }
}

/** Lines inside fenced or indented code blocks (1-based), where ids are examples, not mentions. */
function codeLines(root: Root): Set<number> {
  const out = new Set<number>();
  const visit = (n: Nodes) => {
    if (n.type === 'code') {
      const p = posOf(n);
      for (let l = p.start.line; l <= p.end.line; l++) out.add(l);
    } else if ('children' in n) for (const c of n.children) visit(c as Nodes);
  };
  visit(root);
  return out;
}

/** YAML front matter (`---` … `---` at the top) as blank lines: not claims, and line numbers stay those of the file. */
function blankFrontMatter(text: string): string {
  const m = /^---\r?\n[\s\S]*?\r?\n(?:---|\.\.\.)[ \t]*(?:\r?\n|$)/.exec(text);
  if (m === null) return text;
  return m[0].replace(/[^\r\n]/g, '') + text.slice(m[0].length);
}

/** Parse one requirement document. Never throws on content: any Markdown gives claims (possibly none). */
export function parseRequirementDoc(path: string, text: string, opts: ParseOptions = {}): ParsedDoc {
  const source = blankFrontMatter(text.startsWith('\uFEFF') ? text.slice(1) : text);
  const { fromMarkdown, gfm, gfmFromMarkdown } = loadMarkdown();
  const root = fromMarkdown(source, { extensions: [gfm()], mdastExtensions: [gfmFromMarkdown()] });
  const b: Builder = {
    path,
    lines: source.split(/\r\n|\r|\n/),
    ids: buildIdMatchers(opts.id_patterns ?? []),
    claims: [],
    stamps: [],
    defined: new Map(),
    bare: new Set(),
    sections: [],
    sectionHasChildren: new Set(),
  };
  walkBlocks(b, root.children);
  dropLoneBareIds(b);
  const skip = codeLines(root);
  const mentions: IdMention[] = [];
  b.lines.forEach((line, i) => {
    const n = i + 1;
    if (skip.has(n)) return;
    const own = b.defined.get(n);
    for (const m of line.matchAll(b.ids.mention)) {
      const raw = m[1]!;
      if (!/^(?:phase|milestone|stage|step|sprint|epic|iteration)\b/i.test(raw) && raw !== raw.toUpperCase()) continue;
      const id = normalizeId(raw);
      if (own?.has(id) === true) continue;
      mentions.push({ id, line: n });
    }
  });
  return { path, claims: b.claims, mentions, stamps: b.stamps };
}

/** The claims under `index` (its descendants through `parent`), in document order. */
export function descendantsOf(doc: ParsedDoc, index: number): Claim[] {
  const inside = new Set<number>([index]);
  const out: Claim[] = [];
  for (const c of doc.claims) {
    if (c.parent !== null && inside.has(c.parent)) {
      inside.add(c.index);
      out.push(c);
    }
  }
  return out;
}
