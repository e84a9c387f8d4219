// The entropy rule's scanner: long random-looking tokens that no shape rule knows, minus ids, digests and paths.
import type { RedactionSpan } from './rules.ts';

const counts = new Int32Array(128);

/** Shannon entropy of text[start, end) in bits per character (ASCII; other characters count as one symbol). */
export function shannonEntropy(text: string, start = 0, end = text.length): number {
  counts.fill(0);
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    counts[c < 128 ? c : 0]!++;
  }
  const n = end - start;
  let h = 0;
  for (let c = 0; c < 128; c++) {
    const k = counts[c]!;
    if (k > 0) h -= (k / n) * Math.log2(k / n);
  }
  return h;
}

const LOWER = 1;
const UPPER = 2;
const DIGIT = 4;
const SYMBOL = 8; // + / _ - inside a token
// Character class per code unit (ASCII only; everything else ends a token).
const CLASS = new Uint8Array(128);
for (let c = 97; c <= 122; c++) CLASS[c] = LOWER;
for (let c = 65; c <= 90; c++) CLASS[c] = UPPER;
for (let c = 48; c <= 57; c++) CLASS[c] = DIGIT;
for (const ch of '+/_-') CLASS[ch.charCodeAt(0)] = SYMBOL;

function classOf(c: number): number {
  return c < 128 ? (CLASS[c] ?? 0) : 0;
}

/**
 * Share of adjacent alphanumeric pairs in text[start, end) that switch lower→upper or letter↔digit.
 * Random base62/64 text scores about 0.45; words, camelCase identifiers and paths about 0.1: it is
 * what separates `getUserAccountSettings2` from a key better than entropy alone.
 */
export function classSwitchRate(text: string, start = 0, end = text.length): number {
  let pairs = 0;
  let switches = 0;
  let prev = 0;
  for (let i = start; i < end; i++) {
    const k = classOf(text.charCodeAt(i));
    if (k === SYMBOL || k === 0) {
      prev = 0;
      continue;
    }
    if (prev !== 0) {
      pairs++;
      if ((prev === LOWER && k === UPPER) || (prev !== DIGIT && k === DIGIT) || (prev === DIGIT && k !== DIGIT)) switches++;
    }
    prev = k;
  }
  return pairs === 0 ? 0 : switches / pairs;
}

export const ENTROPY_MIN_LENGTH = 20;
export const ENTROPY_MIN_BITS = 3.5;
export const ENTROPY_MIN_SWITCH_RATE = 0.25;

// Provider object ids that look random but identify, not authenticate (tool calls, messages, requests).
const ID_PREFIX =
  /^(?:toolu_|srvtoolu_|msg_|agent_msg_|msgbatch_|req_|call_|chatcmpl-|resp_|rs_|fc_|file-|file_|asst_|thread_|run_|step_|batch_|org-|sess_|evt_|span_|trace_|gen-|ctx_|cmpl-|ft-|ftjob-|vs_|item_)/;

// Hex digits, separators, and the T and Z of ISO timestamps: `2026-05-12T01-02-27-657Z_019e19b4-...`.
function isHexOrDash(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70) || c === 45 || c === 95 || c === 84 || c === 90;
}

/** True when text[start, end) is random enough, with mixed classes, to be a credential nobody gave a shape to. */
export function isHighEntropyToken(text: string, start = 0, end = text.length): boolean {
  if (end - start < ENTROPY_MIN_LENGTH) return false;
  let classes = 0;
  let hexish = true;
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    classes |= classOf(c);
    if (hexish && !isHexOrDash(c)) hexish = false;
  }
  // Git oids, sha1/sha256 digests, UUIDs, timestamps and other hex are ids or digests, never flagged on entropy alone.
  if (hexish || (classes & (LOWER | UPPER | DIGIT)) !== (LOWER | UPPER | DIGIT)) return false;
  if (classSwitchRate(text, start, end) < ENTROPY_MIN_SWITCH_RATE) return false;
  if (ID_PREFIX.test(text.slice(start, Math.min(end, start + 12)))) return false;
  return shannonEntropy(text, start, end) >= ENTROPY_MIN_BITS;
}

function isTokenChar(c: number): boolean {
  return c < 128 && (CLASS[c] ?? 0) !== 0;
}

function isUrlBreak(c: number): boolean {
  // Whitespace, quotes and brackets end a URL; anything else may sit inside one.
  return c <= 32 || c === 34 || c === 39 || c === 96 || c === 60 || c === 62 || c === 40 || c === 41 || c === 91 || c === 93 || c === 123 || c === 125;
}

/** Where a scan left off, so scanning consecutive ranges gives what one scan of the whole text gives. */
export interface EntropyScanState {
  /** End of the last token that produced a span, 0 before the first. */
  prevEnd: number;
  prevInUrl: boolean;
}

/**
 * Spans of high-entropy tokens. Tokens are runs of [A-Za-z0-9+/_-] (plus `=` padding) at least
 * ENTROPY_MIN_LENGTH long. Linear: a skip loop probes every ENTROPY_MIN_LENGTH-th character of text
 * without long runs, and each character is read a bounded number of times.
 */
export function findHighEntropyTokens(text: string): RedactionSpan[] {
  const spans: RedactionSpan[] = [];
  findHighEntropyTokensIn(text, 0, text.length, { prevEnd: 0, prevInUrl: false }, spans);
  return spans;
}

/**
 * findHighEntropyTokens over text[from, to), appending to `spans`. `from` must not be inside a token
 * (from is 0 or text[from - 1] is no token character) and `to` must be the text's end or sit on a
 * character that is neither a token character nor `=`: then the token ranges a caller passes in
 * order, carrying one state, give exactly the spans of a whole-text scan.
 */
export function findHighEntropyTokensIn(text: string, from: number, to: number, state: EntropyScanState, spans: RedactionSpan[]): void {
  const n = to;
  const k = ENTROPY_MIN_LENGTH;
  // URL context is carried from one flagged token to the next, so the look-backs never overlap.
  let i = from;
  while (i + k <= n) {
    const probe = i + k - 1;
    if (!isTokenChar(text.charCodeAt(probe))) {
      i = probe + 1;
      continue;
    }
    let start = probe;
    // Either text[i - 1] or text[i] ends the previous run, so a run found from i on cannot begin before i.
    while (start > i && isTokenChar(text.charCodeAt(start - 1))) start--;
    let end = probe + 1;
    while (end < n && isTokenChar(text.charCodeAt(end))) end++;
    if (end - start >= k) {
      // base64 padding
      if (end < n && text.charCodeAt(end) === 61) end++;
      if (end < n && text.charCodeAt(end) === 61) end++;
      const before = spans.length;
      pushTokenSpans(text, start, end, spans);
      if (spans.length > before) {
        // A token inside scheme://... is part of a URL, kept unless a shape or context rule objects.
        const inUrl = isInUrl(text, start, state.prevEnd, state.prevInUrl);
        state.prevEnd = end;
        state.prevInUrl = inUrl;
        if (inUrl) spans.length = before;
      }
    }
    i = end;
  }
}

const URL_LOOKBACK = 2048;

function isInUrl(text: string, start: number, prevEnd: number, prevInUrl: boolean): boolean {
  const floor = Math.max(prevEnd, start - URL_LOOKBACK);
  for (let j = start - 1; j >= floor; j--) {
    const c = text.charCodeAt(j);
    if (isUrlBreak(c)) return false;
    if (c === 58 /* : */ && text.charCodeAt(j + 1) === 47 && text.charCodeAt(j + 2) === 47) return true;
  }
  return floor === prevEnd && prevEnd > 0 ? prevInUrl : false;
}

function pushTokenSpans(text: string, start: number, end: number, spans: RedactionSpan[]): void {
  // A JSON escape (`\n`, `\u00e9`) glued to the token is not part of it; redacting it would break the escape.
  if (start > 0 && text.charCodeAt(start - 1) === 92 /* \ */) {
    const c = text.charCodeAt(start);
    if (c === 117 /* u */) start += 5;
    else if (c === 110 || c === 114 || c === 116 || c === 98 || c === 102) start += 1;
  }
  if (end - start < ENTROPY_MIN_LENGTH || !isHighEntropyToken(text, start, end)) {
    // A path whose whole fails may still hold one random segment.
    if (end - start >= ENTROPY_MIN_LENGTH * 2 && hasSlash(text, start, end)) pushSegments(text, start, end, spans);
    return;
  }
  if (!hasSlash(text, start, end) || !looksLikePath(text, start, end)) {
    // A random blob with slashes (base64) is redacted whole.
    spans.push({ start, end });
    return;
  }
  pushSegments(text, start, end, spans);
}

// Inside a path, a segment must be key-length to count: short ones are hashes of venvs, builds and caches.
const PATH_SEGMENT_MIN_LENGTH = 32;

// Not text.indexOf('/', start): with no slash ahead it would read to the end of the text for every token.
function hasSlash(text: string, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (text.charCodeAt(i) === 47) return true;
  return false;
}

function pushSegments(text: string, start: number, end: number, spans: RedactionSpan[]): void {
  let segStart = start;
  for (let j = start; j <= end; j++) {
    if (j === end || text.charCodeAt(j) === 47) {
      if (j - segStart >= PATH_SEGMENT_MIN_LENGTH && isHighEntropyToken(text, segStart, j)) spans.push({ start: segStart, end: j });
      segStart = j + 1;
    }
  }
}

// Paths are made of words: most segments have a low class-switch rate even when one is random.
function looksLikePath(text: string, start: number, end: number): boolean {
  let segments = 0;
  let wordy = 0;
  let segStart = start;
  for (let j = start; j <= end; j++) {
    if (j === end || text.charCodeAt(j) === 47) {
      if (j > segStart) {
        segments++;
        if (j - segStart < 3 || classSwitchRate(text, segStart, j) < ENTROPY_MIN_SWITCH_RATE) wordy++;
      }
      segStart = j + 1;
    }
  }
  return segments >= 2 && wordy * 2 > segments;
}
