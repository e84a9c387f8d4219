// Test helper: the unoptimised redaction engine, rule by rule over the whole text, that redact.ts must agree with.
import { KeywordScanner } from './keyword-scanner.ts';
import { TOKEN_RUN_MIN, type RedactionRule, type RedactionSpan } from './rules.ts';

/**
 * What redactInto computes, the slow and plain way: a rule runs when it has no keywords, or its 'text'
 * keywords occur anywhere (found by KeywordScanner.scan over the whole text), or its 'token' keywords
 * occur inside a maximal run of at least TOKEN_RUN_MIN characters of [A-Za-z0-9_+/=.-]; gates are
 * ignored; every running rule's own `find` is called on the whole text; spans of earlier rules win
 * overlaps and spans touching an existing placeholder are dropped; passes repeat until nothing changes
 * (at most 8). Adds counts into `counts`.
 */
export function referenceRedactInto(text: string, counts: Map<string, number>, rules: readonly RedactionRule[]): string {
  let current = text;
  for (let pass = 0; pass < 8; pass++) {
    const next = referenceOnce(current, rules, counts);
    if (next === current) break;
    current = next;
  }
  return current;
}

function isRunChar(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 95 || c === 43 || c === 47 || c === 61 || c === 46 || c === 45;
}

function keywordHits(scanner: KeywordScanner, text: string, from: number, to: number): Set<string> {
  const hits = scanner.scan(text, from, to, null);
  const out = new Set<string>();
  for (let h = 0; h < hits.length; h += 2) out.add(scanner.keywords[hits[h]!]!);
  return out;
}

interface Scanners {
  text: KeywordScanner | null;
  token: KeywordScanner | null;
}

// Building a scanner costs more than scanning a line: one pair per rule list.
const scannerCache = new WeakMap<readonly RedactionRule[], Scanners>();

function scannersFor(rules: readonly RedactionRule[]): Scanners {
  let s = scannerCache.get(rules);
  if (s === undefined) {
    const textKeywords = new Set<string>();
    const tokenKeywords = new Set<string>();
    for (const r of rules) for (const k of r.keywords) (r.prefilter === 'text' ? textKeywords : tokenKeywords).add(k.toLowerCase());
    s = {
      text: textKeywords.size === 0 ? null : new KeywordScanner([...textKeywords]),
      token: tokenKeywords.size === 0 ? null : new KeywordScanner([...tokenKeywords]),
    };
    scannerCache.set(rules, s);
  }
  return s;
}

function runs(rules: readonly RedactionRule[], text: string): boolean[] {
  const scanners = scannersFor(rules);
  const inText = scanners.text === null ? new Set<string>() : keywordHits(scanners.text, text, 0, text.length);
  const inRuns = new Set<string>();
  if (scanners.token !== null) {
    const scanner = scanners.token;
    let start = 0;
    for (let i = 0; i <= text.length; i++) {
      if (i < text.length && isRunChar(text.charCodeAt(i))) continue;
      if (i - start >= TOKEN_RUN_MIN) for (const k of keywordHits(scanner, text, start, i)) inRuns.add(k);
      start = i + 1;
    }
  }
  // A hit on a keyword counts for every keyword inside it, as the engine's hits do.
  const found = (hits: Set<string>, keyword: string): boolean => [...hits].some((h) => h.includes(keyword.toLowerCase()));
  return rules.map((r) => r.keywords.length === 0 || r.keywords.some((k) => found(r.prefilter === 'text' ? inText : inRuns, k)));
}

interface Claim extends RedactionSpan {
  rule: number;
}

function referenceOnce(text: string, rules: readonly RedactionRule[], counts: Map<string, number>): string {
  if (text.length < 8) return text;
  const placeholders: number[] = [];
  for (let i = text.indexOf('[REDACTED:'); i !== -1; i = text.indexOf('[REDACTED:', i + 1)) placeholders.push(i);
  const active = runs(rules, text);
  const claims: Claim[] = [];
  rules.forEach((rule, index) => {
    if (!active[index]) return;
    let lastEnd = -1;
    for (const span of rule.find(text)) {
      if (span.end <= span.start || span.start < lastEnd) continue;
      if (placeholders.some((p) => p >= span.start && p < span.end)) continue;
      if (claims.some((c) => c.start < span.end && span.start < c.end)) continue;
      claims.push({ start: span.start, end: span.end, rule: index });
      lastEnd = span.end;
    }
  });
  if (claims.length === 0) return text;
  claims.sort((a, b) => a.start - b.start);
  let out = '';
  let pos = 0;
  for (const claim of claims) {
    const id = rules[claim.rule]!.id;
    out += text.slice(pos, claim.start) + `[REDACTED:${id}]`;
    counts.set(id, (counts.get(id) ?? 0) + 1);
    pos = claim.end;
  }
  return out + text.slice(pos);
}
