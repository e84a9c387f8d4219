// Pure redaction: texts and JSON values in, placeholders `[REDACTED:<rule-id>]` and per-rule counts out.
import { isIdentifierKeyName, isSecretKeyName } from './key-names.ts';
import { KeywordScanner } from './keyword-scanner.ts';
import { DEFAULT_REDACTION_RULES, TOKEN_RUN_MIN, type RedactionRule, type RedactionSpan } from './rules.ts';

/** Occurrences redacted, by rule id. Never holds the secrets themselves. */
export type RedactionCounts = Record<string, number>;

export interface RedactedText {
  text: string;
  counts: RedactionCounts;
}

export interface RedactedValue {
  value: unknown;
  counts: RedactionCounts;
}

export interface RedactValueOptions {
  rules?: readonly RedactionRule[];
}

const PLACEHOLDER_PREFIX = '[REDACTED:';
const WHOLE_PLACEHOLDER = /^\[REDACTED:[a-z0-9-]+\]$/;

/** The text that replaces a secret found by rule `id`. */
export function redactionPlaceholder(id: string): string {
  return `${PLACEHOLDER_PREFIX}${id}]`;
}

/** True when a string is exactly one redaction placeholder. */
export function isRedactionPlaceholder(s: string): boolean {
  return WHOLE_PLACEHOLDER.test(s);
}

interface RulePlan {
  /** Keywords of 'text' rules, searched in the whole text; null when there are none. */
  textScanner: KeywordScanner | null;
  /** Keywords of 'token' rules, searched only inside long token runs. */
  tokenScanner: KeywordScanner | null;
  /** Per keyword of each scanner, the rules it switches on (with those of every keyword inside it). */
  textRules: number[][];
  tokenRules: number[][];
  textRuleCount: number;
  alwaysOn: number[];
}

const plans = new WeakMap<readonly RedactionRule[], RulePlan>();

function scannerFor(rules: readonly RedactionRule[], prefilter: 'text' | 'token'): { scanner: KeywordScanner | null; byKeyword: number[][] } {
  const keywords = new Set<string>();
  for (const rule of rules) if (rule.prefilter === prefilter) for (const k of rule.keywords) keywords.add(k.toLowerCase());
  if (keywords.size === 0) return { scanner: null, byKeyword: [] };
  const scanner = new KeywordScanner([...keywords].sort());
  const byKeyword = scanner.keywords.map((hit) => {
    const list: number[] = [];
    rules.forEach((rule, index) => {
      // A hit on `password` also stands for `pass`: a longer keyword hides the shorter one inside it.
      if (rule.prefilter === prefilter && rule.keywords.some((k) => hit.includes(k.toLowerCase()))) list.push(index);
    });
    return list;
  });
  return { scanner, byKeyword };
}

function planFor(rules: readonly RedactionRule[]): RulePlan {
  const cached = plans.get(rules);
  if (cached !== undefined) return cached;
  const text = scannerFor(rules, 'text');
  const token = scannerFor(rules, 'token');
  const plan: RulePlan = {
    textScanner: text.scanner,
    tokenScanner: token.scanner,
    textRules: text.byKeyword,
    tokenRules: token.byKeyword,
    textRuleCount: rules.filter((r) => r.prefilter === 'text' && r.keywords.length > 0).length,
    alwaysOn: rules.flatMap((r, i) => (r.keywords.length === 0 ? [i] : [])),
  };
  plans.set(rules, plan);
  return plan;
}

// [A-Za-z0-9_+/=.-]: the characters a prefixed key is made of.
const RUN_CHAR = new Uint8Array(128);
for (const ch of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_+/=.-') RUN_CHAR[ch.charCodeAt(0)] = 1;

function isRunChar(c: number): boolean {
  return c < 128 && RUN_CHAR[c] === 1;
}

/**
 * Which rules can match: 'text' keywords anywhere, 'token' keywords only inside runs of at least
 * TOKEN_RUN_MIN run characters, found by probing every TOKEN_RUN_MIN-th character, so ordinary prose
 * is mostly skipped.
 */
function activeRules(text: string, rules: readonly RedactionRule[], plan: RulePlan): boolean[] {
  const active = new Array<boolean>(rules.length).fill(false);
  for (const i of plan.alwaysOn) active[i] = true;
  if (plan.textScanner !== null) {
    let activated = 0;
    const mark = (keyword: number): boolean => {
      for (const i of plan.textRules[keyword]!) {
        if (!active[i]) {
          active[i] = true;
          activated++;
        }
      }
      return activated === plan.textRuleCount;
    };
    plan.textScanner.scan(text, 0, text.length, mark);
  }
  const tokenScanner = plan.tokenScanner;
  if (tokenScanner === null) return active;
  const n = text.length;
  const k = TOKEN_RUN_MIN;
  let i = 0;
  while (i + k <= n) {
    const probe = i + k - 1;
    if (!isRunChar(text.charCodeAt(probe))) {
      i = probe + 1;
      continue;
    }
    let start = probe;
    while (start > i && isRunChar(text.charCodeAt(start - 1))) start--;
    let end = probe + 1;
    while (end < n && isRunChar(text.charCodeAt(end))) end++;
    if (end - start >= k) {
      const hits = tokenScanner.scan(text, start, end, null);
      for (let h = 0; h < hits.length; h += 2) for (const r of plan.tokenRules[hits[h]!]!) active[r] = true;
    }
    i = end;
  }
  return active;
}

interface Claim extends RedactionSpan {
  rule: number;
}

/**
 * Merge a rule's spans into the accepted claims (sorted, disjoint), dropping any span that overlaps
 * a claim of an earlier rule. Linear in the two lists.
 */
function mergeClaims(claims: Claim[], spans: readonly RedactionSpan[], rule: number, placeholders: readonly number[]): Claim[] {
  if (spans.length === 0) return claims;
  const out: Claim[] = [];
  let c = 0;
  let lastEnd = -1;
  for (const span of spans) {
    if (span.end <= span.start || span.start < lastEnd) continue;
    // Already-redacted text is never redacted again: that is what makes redaction idempotent.
    if (placeholders.length > 0 && containsPosition(placeholders, span)) continue;
    while (c < claims.length && claims[c]!.end <= span.start) out.push(claims[c++]!);
    const next = claims[c];
    if (next !== undefined && next.start < span.end) continue;
    out.push({ start: span.start, end: span.end, rule });
    lastEnd = span.end;
  }
  while (c < claims.length) out.push(claims[c++]!);
  return out;
}

// Positions of existing placeholders, found once per text (searching per span would be quadratic).
function placeholderPositions(text: string): number[] {
  const out: number[] = [];
  for (let i = text.indexOf(PLACEHOLDER_PREFIX); i !== -1; i = text.indexOf(PLACEHOLDER_PREFIX, i + 1)) out.push(i);
  return out;
}

function containsPosition(sorted: readonly number[], span: RedactionSpan): boolean {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid]! < span.start) lo = mid + 1;
    else hi = mid;
  }
  return lo < sorted.length && sorted[lo]! < span.end;
}

function sortedCounts(counts: Map<string, number>): RedactionCounts {
  const out: RedactionCounts = {};
  for (const id of [...counts.keys()].sort()) out[id] = counts.get(id)!;
  return out;
}

// Shorter than any secret a rule can find (`pass=abcd` is 9).
const MIN_CANDIDATE_LENGTH = 8;

function redactOnce(text: string, rules: readonly RedactionRule[], counts: Map<string, number>): string {
  if (text.length < MIN_CANDIDATE_LENGTH) return text;
  const plan = planFor(rules);
  const active = activeRules(text, rules, plan);
  const placeholders = placeholderPositions(text);
  let claims: Claim[] = [];
  for (let i = 0; i < rules.length; i++) {
    if (active[i]) claims = mergeClaims(claims, rules[i]!.find(text), i, placeholders);
  }
  if (claims.length === 0) return text;
  const parts: string[] = [];
  let pos = 0;
  for (const claim of claims) {
    const id = rules[claim.rule]!.id;
    parts.push(text.slice(pos, claim.start), redactionPlaceholder(id));
    counts.set(id, (counts.get(id) ?? 0) + 1);
    pos = claim.end;
  }
  parts.push(text.slice(pos));
  return parts.join('');
}

// A span that lost to an overlapping claim can leave a secret-looking remainder (the tail of an
// over-long token); passes repeat until nothing changes, so redacting the output again is a no-op.
const MAX_PASSES = 8;

function redactTextInto(text: string, rules: readonly RedactionRule[], counts: Map<string, number>): string {
  let current = text;
  for (let pass = 0; pass < MAX_PASSES; pass++) {
    const next = redactOnce(current, rules, counts);
    if (next === current) break;
    current = next;
  }
  return current;
}

/**
 * Replace every secret in `text` with `[REDACTED:<rule-id>]`. URL credentials and assignments keep
 * their structure (`postgres://user:[REDACTED:url-credentials]@host/db`, `password="[REDACTED:secret-assignment]"`).
 * Where rules overlap, the earlier rule in `rules` wins. Idempotent; linear in the text's length.
 */
export function redactText(text: string, rules: readonly RedactionRule[] = DEFAULT_REDACTION_RULES): RedactedText {
  const counts = new Map<string, number>();
  const out = redactTextInto(text, rules, counts);
  return { text: out, counts: sortedCounts(counts) };
}

/**
 * `redactText` in the shape collect's TextRedactor wants: returns the redacted text and adds the
 * counts into a caller-owned map, so one map can gather a whole record's redactions.
 */
export function redactInto(text: string, counts: Map<string, number>, rules: readonly RedactionRule[] = DEFAULT_REDACTION_RULES): string {
  return redactTextInto(text, rules, counts);
}

const withoutEntropy = new WeakMap<readonly RedactionRule[], readonly RedactionRule[]>();

function shapeAndContextRules(rules: readonly RedactionRule[]): readonly RedactionRule[] {
  let out = withoutEntropy.get(rules);
  if (out === undefined) {
    out = rules.filter((r) => r.kind !== 'entropy');
    withoutEntropy.set(rules, out);
  }
  return out;
}

const SECRET_FIELD_RULE = 'secret-assignment';

function redactString(s: string, key: string | null, rules: readonly RedactionRule[], counts: Map<string, number>): string {
  if (key !== null && s.length > 0 && !isRedactionPlaceholder(s) && isSecretKeyName(key, { json: true })) {
    // The key says it is a secret: all of it goes. Name the shape rule when one recognises the whole value.
    const local = new Map<string, number>();
    const inner = redactTextInto(s, rules, local);
    if (isRedactionPlaceholder(inner)) {
      for (const [id, n] of local) counts.set(id, (counts.get(id) ?? 0) + n);
      return inner;
    }
    counts.set(SECRET_FIELD_RULE, (counts.get(SECRET_FIELD_RULE) ?? 0) + 1);
    return redactionPlaceholder(SECRET_FIELD_RULE);
  }
  if (key !== null && isIdentifierKeyName(key)) return redactTextInto(s, shapeAndContextRules(rules), counts);
  return redactTextInto(s, rules, counts);
}

interface Frame {
  source: unknown[] | Record<string, unknown>;
  keys: string[] | null; // null for arrays
  index: number;
  /** Key that classifies this container's string members: the object's own keys, or the array's parent key. */
  inheritedKey: string | null;
  copy: unknown[] | Record<string, unknown> | null;
  parent: Frame | null;
  slot: string | number;
}

function setInCopy(frame: Frame, slot: string | number, v: unknown): void {
  if (frame.copy === null) frame.copy = Array.isArray(frame.source) ? frame.source.slice() : { ...frame.source };
  // defineProperty: a plain assignment to an own `__proto__` key (JSON.parse makes those) would set the prototype.
  if (slot === '__proto__') Object.defineProperty(frame.copy, slot, { value: v, writable: true, enumerable: true, configurable: true });
  else (frame.copy as Record<string | number, unknown>)[slot] = v;
}

function isContainer(v: unknown): v is unknown[] | Record<string, unknown> {
  return typeof v === 'object' && v !== null;
}

/**
 * Redact a parsed JSON value. Object keys are never changed. Strings are scanned; strings under
 * identifier, digest, timestamp or path keys (`run_id`, `sig_hash`, `created_at`, `source_file`, `cwd`)
 * only by shape and context rules, never the entropy rule; strings under keys that name a secret
 * (`password`, `api_key`, `token`, ...) are replaced whole. Array members are classified by the
 * array's key. The input is not modified; unchanged subtrees are shared with it. Iterative, so deep
 * nesting cannot overflow the stack.
 */
export function redactValue(value: unknown, opts: RedactValueOptions = {}): RedactedValue {
  const rules = opts.rules ?? DEFAULT_REDACTION_RULES;
  const counts = new Map<string, number>();
  if (typeof value === 'string') return { value: redactString(value, null, rules, counts), counts: sortedCounts(counts) };
  if (!isContainer(value)) return { value, counts: {} };
  const root: Frame = {
    source: value,
    keys: Array.isArray(value) ? null : Object.keys(value),
    index: 0,
    inheritedKey: null,
    copy: null,
    parent: null,
    slot: 0,
  };
  let frame: Frame | null = root;
  while (frame !== null) {
    const f: Frame = frame;
    const length: number = f.keys === null ? (f.source as unknown[]).length : f.keys.length;
    if (f.index >= length) {
      // Done with this container: hand a changed copy up to the parent.
      if (f.parent !== null && f.copy !== null) setInCopy(f.parent, f.slot, f.copy);
      frame = f.parent;
      continue;
    }
    const i = f.index++;
    const slot: string | number = f.keys === null ? i : f.keys[i]!;
    const key = f.keys === null ? f.inheritedKey : (slot as string);
    const child = (f.source as Record<string | number, unknown>)[slot];
    if (typeof child === 'string') {
      const redacted = redactString(child, key, rules, counts);
      if (redacted !== child) setInCopy(f, slot, redacted);
    } else if (isContainer(child)) {
      frame = {
        source: child,
        keys: Array.isArray(child) ? null : Object.keys(child),
        index: 0,
        inheritedKey: key,
        copy: null,
        parent: f,
        slot,
      };
    }
  }
  return { value: root.copy ?? value, counts: sortedCounts(counts) };
}

/** Sum two count records; keys come out sorted so canonical output does not depend on merge order. */
export function mergeRedactionCounts(a: RedactionCounts, b: RedactionCounts): RedactionCounts {
  const merged = new Map<string, number>();
  for (const [id, n] of Object.entries(a)) merged.set(id, n);
  for (const [id, n] of Object.entries(b)) merged.set(id, (merged.get(id) ?? 0) + n);
  return sortedCounts(merged);
}
