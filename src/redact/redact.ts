// Pure redaction: texts and JSON values in, placeholders `[REDACTED:<rule-id>]` and per-rule counts out.
import { isIdentifierKeyName, isSecretKeyName } from './key-names.ts';
import { ENTROPY_MIN_LENGTH, findHighEntropyTokens, findHighEntropyTokensIn, type EntropyScanState } from './entropy.ts';
import { KeywordScanner } from './keyword-scanner.ts';
import { RUN_DIGIT, RUN_LOWER, RUN_UPPER, scanTokenRuns, type RunSink } from './token-runs.ts';
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

/** A native test shared by the rules that name it, run at most once per text. */
interface Gate {
  re: RegExp;
  rules: number[];
}

const ENTROPY_CLASSES = RUN_LOWER | RUN_UPPER | RUN_DIGIT;

/** How one rule list is run, worked out once per list, with scratch space reused from text to text. */
class RulePlan implements RunSink {
  /** Rules with no gate and no keywords, ascending: they run on every text. */
  private readonly alwaysOn: number[];
  /** Gates of the rules that have one, grouped by regex. */
  private readonly gates: Gate[];
  /** All gates in one regex, tested first: on most texts none matches. Null when they cannot be joined. */
  private readonly anyGate: RegExp | null;
  /** Rules that are not 'token' keyed but have a gate or 'text' keywords; their keywords as one case-insensitive regex. */
  private readonly textChecked: Array<{ rule: number; keywords: RegExp | null }>;
  /** Keywords of 'token' rules, searched only inside long runs; null when there are none. */
  private readonly tokenScanner: KeywordScanner | null;
  /** Per keyword of tokenScanner, the rules it switches on (with those of every keyword inside it). */
  private readonly tokenRules: number[][];
  /** 'token' rules with keywords: they run only when one of those occurs inside a run. */
  private readonly tokenKeyed: number[];
  private readonly hasGate: Uint8Array;
  /** Some rule's find is findHighEntropyTokens: its spans come from the run pass instead. */
  private readonly usesEntropy: boolean;
  private readonly minRun: number;
  // Scratch, reused per text (redaction never re-enters itself).
  private readonly gateOk: Uint8Array;
  private readonly seen: Uint8Array;
  private readonly hit: Uint8Array;
  private text = '';
  /** The spans of findHighEntropyTokens on the text last activated. */
  entropySpans: RedactionSpan[] = [];
  private readonly entropyState: EntropyScanState = { prevEnd: 0, prevInUrl: false };

  constructor(rules: readonly RedactionRule[]) {
    const gates = new Map<string, Gate>();
    rules.forEach((rule, index) => {
      if (rule.gate === null) return;
      const flags = rule.gate.flags.replace(/[gy]/g, '');
      const key = `/${rule.gate.source}/${flags}`;
      let gate = gates.get(key);
      if (gate === undefined) {
        // A private copy without g/y, so test() keeps no lastIndex between texts.
        gate = { re: new RegExp(rule.gate.source, flags), rules: [] };
        gates.set(key, gate);
      }
      gate.rules.push(index);
    });
    this.gates = [...gates.values()];
    // Joining is safe when no gate has flags, back references or named groups (which an alternation would renumber or clash).
    const joinable = this.gates.every((g) => g.re.flags === '' && !/\\[1-9k]|\(\?</.test(g.re.source));
    this.anyGate = this.gates.length > 1 && joinable ? new RegExp(this.gates.map((g) => `(?:${g.re.source})`).join('|')) : null;
    this.hasGate = Uint8Array.from(rules, (r) => (r.gate === null ? 0 : 1));
    const tokenKeyed = (r: RedactionRule): boolean => r.prefilter === 'token' && r.keywords.length > 0;
    const textKeyed = (r: RedactionRule): boolean => r.prefilter === 'text' && r.keywords.length > 0;
    this.alwaysOn = rules.flatMap((r, i) => (r.gate === null && r.keywords.length === 0 ? [i] : []));
    // Without the u flag, /i folds only ASCII letters onto ASCII letters: KeywordScanner's case rule exactly.
    this.textChecked = rules.flatMap((r, rule) =>
      !tokenKeyed(r) && (r.gate !== null || textKeyed(r))
        ? [{ rule, keywords: textKeyed(r) ? new RegExp(r.keywords.map((k) => escapeRegExp(k.toLowerCase())).join('|'), 'i') : null }]
        : [],
    );
    const tokenKeywords = new Set<string>();
    for (const rule of rules) if (rule.prefilter === 'token') for (const k of rule.keywords) tokenKeywords.add(k.toLowerCase());
    const scanner = tokenKeywords.size === 0 ? null : new KeywordScanner([...tokenKeywords].sort());
    this.tokenScanner = scanner;
    this.tokenRules =
      scanner === null
        ? []
        : scanner.keywords.map((hit) => {
            const list: number[] = [];
            rules.forEach((rule, index) => {
              // A hit on `password` also stands for `pass`: a longer keyword hides the shorter one inside it.
              if (rule.prefilter === 'token' && rule.keywords.some((k) => hit.includes(k.toLowerCase()))) list.push(index);
            });
            return list;
          });
    this.tokenKeyed = rules.flatMap((r, i) => (tokenKeyed(r) ? [i] : []));
    this.usesEntropy = rules.some((r) => r.find === findHighEntropyTokens);
    // Entropy tokens are made of run characters, so runs of the shorter length serve both.
    this.minRun = scanner === null ? ENTROPY_MIN_LENGTH : Math.min(TOKEN_RUN_MIN, ENTROPY_MIN_LENGTH);
    this.gateOk = new Uint8Array(rules.length);
    this.seen = new Uint8Array(scanner === null ? 0 : scanner.keywords.length);
    this.hit = new Uint8Array(rules.length);
  }

  /**
   * The rules that can match `text`, ascending, and (in entropySpans) the spans of findHighEntropyTokens.
   * A rule can match when its gate (if any) matches and then its 'text' keywords occur anywhere, its
   * 'token' keywords inside a run of at least TOKEN_RUN_MIN run characters, or it has no keywords. One
   * pass over the runs serves the token keywords and the entropy rule.
   */
  activate(text: string): readonly number[] {
    let extra: number[] | null = null;
    const gateOk = this.gateOk;
    const gatesOpen = this.gates.length > 0 && (this.anyGate === null || this.anyGate.test(text));
    if (gatesOpen) {
      gateOk.fill(0);
      for (const gate of this.gates) if (gate.re.test(text)) for (const r of gate.rules) gateOk[r] = 1;
    }
    for (const { rule, keywords } of this.textChecked) {
      if (this.hasGate[rule] === 1 && !(gatesOpen && gateOk[rule] === 1)) continue;
      if (keywords !== null && !keywords.test(text)) continue;
      (extra ??= []).push(rule);
    }
    this.entropySpans = NO_SPANS;
    const scanner = this.tokenScanner;
    if ((scanner !== null || this.usesEntropy) && text.length >= this.minRun) {
      this.text = text;
      this.entropyState.prevEnd = 0;
      this.entropyState.prevInUrl = false;
      const marked = scanTokenRuns(text, this.minRun, scanner, this.seen, this);
      this.text = '';
      if (marked > 0) {
        const seen = this.seen;
        const hit = this.hit;
        hit.fill(0);
        for (let h = 0; h < seen.length; h++) if (seen[h] === 1) for (const r of this.tokenRules[h]!) hit[r] = 1;
        seen.fill(0);
        for (const r of this.tokenKeyed) {
          if (hit[r] === 1 && (this.hasGate[r] === 0 || (gatesOpen && gateOk[r] === 1))) (extra ??= []).push(r);
        }
      }
    }
    if (extra === null) return this.alwaysOn;
    return [...this.alwaysOn, ...extra].sort((a, b) => a - b);
  }

  /**
   * An entropy token is at least ENTROPY_MIN_LENGTH run characters with lower and upper case letters
   * and digits, so only runs holding all three go to the entropy scan.
   */
  run(start: number, end: number, classes: number): void {
    if (!this.usesEntropy || end - start < ENTROPY_MIN_LENGTH || (classes & ENTROPY_CLASSES) !== ENTROPY_CLASSES) return;
    if (this.entropySpans === NO_SPANS) this.entropySpans = [];
    findHighEntropyTokensIn(this.text, start, end, this.entropyState, this.entropySpans);
  }
}

const NO_SPANS: RedactionSpan[] = [];

const plans = new WeakMap<readonly RedactionRule[], RulePlan>();

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

function planFor(rules: readonly RedactionRule[]): RulePlan {
  let plan = plans.get(rules);
  if (plan === undefined) {
    plan = new RulePlan(rules);
    plans.set(rules, plan);
  }
  return plan;
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
  if (counts.size === 0) return out;
  for (const id of [...counts.keys()].sort()) out[id] = counts.get(id)!;
  return out;
}

// Shorter than any secret a rule can find (`pass=abcd` is 9).
const MIN_CANDIDATE_LENGTH = 8;

function redactOnce(text: string, rules: readonly RedactionRule[], counts: Map<string, number>): string {
  if (text.length < MIN_CANDIDATE_LENGTH) return text;
  const plan = planFor(rules);
  const run = plan.activate(text);
  let placeholders: number[] | null = null;
  let claims: Claim[] = [];
  for (let k = 0; k < run.length; k++) {
    const i = run[k]!;
    const rule = rules[i]!;
    const spans = rule.find === findHighEntropyTokens ? plan.entropySpans : rule.find(text);
    if (spans.length === 0) continue;
    placeholders ??= placeholderPositions(text);
    claims = mergeClaims(claims, spans, i, placeholders);
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
