// The redaction rule set: known credential shapes, secrets named by their context, and an entropy catch-all.
import { findHighEntropyTokens } from './entropy.ts';
import { isSecretKeyName, splitKeyWords } from './key-names.ts';

/** A half-open range [start, end) of a text to replace with the rule's placeholder. */
export interface RedactionSpan {
  start: number;
  end: number;
}

/** The shortest run a 'token' prefilter looks in: every prefixed key is at least this long. */
export const TOKEN_RUN_MIN = 16;

/**
 * shape: a credential format (a prefix, a fixed length); context: a value made secret by what names it
 * (`password=`, `Authorization:`, `user:pass@`); entropy: a statistical guess. The JSON walker lets only
 * shape and context rules into identifier fields, where random-looking ids would fool the entropy rule.
 */
export type RedactionRuleKind = 'shape' | 'context' | 'entropy';

export interface RedactionRule {
  /** Stable kebab-case id: the placeholder is `[REDACTED:<id>]` and receipts count by it. */
  readonly id: string;
  readonly description: string;
  readonly kind: RedactionRuleKind;
  /**
   * The rule runs only on texts containing one of these literals (ASCII, at least 2 characters,
   * compared ignoring case). Empty: the rule always runs.
   */
  readonly keywords: readonly string[];
  /**
   * Where the keywords are looked for. 'token': only inside runs of at least TOKEN_RUN_MIN characters
   * of [A-Za-z0-9_+/=.-], for rules whose whole match is such a run containing the keyword (prefixed
   * keys); this lets the prefilter skip ordinary prose. 'text': anywhere.
   */
  readonly prefilter: 'text' | 'token';
  /**
   * A regex that matches every text on which `find` can return a span, or null. The
   * engine tests it (natively, far cheaper than a case-insensitive keyword search) before the keyword
   * prefilter and skips the rule when it fails; a gate that is too loose costs time, never output.
   */
  readonly gate: RegExp | null;
  /** Spans to redact, ascending and non-overlapping. Pure and linear in the text's length. */
  readonly find: (text: string) => RedactionSpan[];
}

// Left boundary: not glued to a preceding alphanumeric, except a JSON escape like `\n` in a raw line.
const LB = String.raw`(?:(?<![A-Za-z0-9])|(?<=\\[nrt]))`;
// Between a key and its value: closing quote, separator, opening quote (raw JSON escapes included).
const SEP = String.raw`["'\\]{0,3}[ \t]{0,3}(?::=|=>|[:=])[ \t]{0,3}["'\\]{0,3}`;

/**
 * A rule from one regex. With `group`, the span is capture group 1, which must end where the match ends
 * (put trailing conditions in a lookahead). Every quantifier is bounded or followed by nothing that can
 * fail, and every pattern starts with a literal, so a match attempt costs a bounded amount of work.
 */
function regexRule(spec: {
  id: string;
  description: string;
  kind: RedactionRuleKind;
  keywords: readonly string[];
  prefilter: 'text' | 'token';
  pattern: RegExp;
  group?: boolean;
  accept?: (value: string) => boolean;
  gate?: RegExp;
}): RedactionRule {
  // One compiled regex per rule; find() resets lastIndex and runs to completion, so sharing it is safe.
  const re = new RegExp(spec.pattern.source, spec.pattern.flags.includes('g') ? spec.pattern.flags : spec.pattern.flags + 'g');
  const useGroup = spec.group === true;
  const accept = spec.accept;
  return {
    id: spec.id,
    description: spec.description,
    kind: spec.kind,
    keywords: spec.keywords,
    prefilter: spec.prefilter,
    gate: spec.gate ?? null,
    find(text) {
      re.lastIndex = 0;
      const spans: RedactionSpan[] = [];
      let m: RegExpExecArray | null;
      while ((m = re.exec(text)) !== null) {
        const end = m.index + m[0].length;
        const value = useGroup ? (m[1] ?? '') : m[0];
        if (m[0].length === 0) re.lastIndex++;
        if (value.length === 0 || (accept !== undefined && !accept(value))) continue;
        spans.push({ start: end - value.length, end });
      }
      return spans;
    },
  };
}

// Values that name or point to a secret rather than being one.
const REFERENCE_VALUE = /^(?:\$\{?[A-Za-z_]|\{\{|<[^>]*>?$|%[A-Za-z(]|\[REDACTED:)/;
function isLiteralCredential(value: string): boolean {
  return !REFERENCE_VALUE.test(value) && !/^\*+$|^x+$/i.test(value);
}

// ---- private keys -------------------------------------------------------------------------------

const PRIVATE_KEY_BEGIN = /-----BEGIN[ A-Z0-9]{0,40}PRIVATE KEY(?: BLOCK)?-----/g;
const MAX_KEY_BLOCK = 64 * 1024;
// Every match of PRIVATE_KEY_BEGIN starts so.
const BEGIN_GATE = /-----BEGIN/;

function isKeyBodyChar(c: number): boolean {
  // base64, whitespace, and the backslash/letter of `\n` escapes in a raw JSON line
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 43 || c === 47 || c === 61 || c === 92 || c === 32 || c === 9 || c === 10 || c === 13 || c === 58 || c === 45;
}

/**
 * PEM/PGP private key blocks, BEGIN through END; a block cut off before END is redacted to the end of
 * its body. With jsonFieldOnly, only blocks that are the value of a `"private_key"` JSON field.
 */
function findPrivateKeyBlocks(text: string, jsonFieldOnly: boolean): RedactionSpan[] {
  const spans: RedactionSpan[] = [];
  const re = new RegExp(PRIVATE_KEY_BEGIN.source, 'g');
  // The next `-----END` at or after a position, found once and reused, so many BEGINs cost one search.
  let nextEnd = -2;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text)) !== null) {
    const start = m.index;
    const bodyStart = start + m[0].length;
    if (nextEnd !== -1 && nextEnd < bodyStart) nextEnd = text.indexOf('-----END', bodyStart);
    let end: number;
    if (nextEnd !== -1 && nextEnd - bodyStart <= MAX_KEY_BLOCK) {
      const close = text.slice(nextEnd + 8, nextEnd + 68).indexOf('-----');
      end = close !== -1 ? nextEnd + 8 + close + 5 : nextEnd + 8;
    } else {
      end = bodyStart;
      while (end < text.length && end - bodyStart < MAX_KEY_BLOCK && isKeyBodyChar(text.charCodeAt(end))) end++;
    }
    re.lastIndex = end;
    if (jsonFieldOnly && !/private_key\\?"\s{0,3}:\s{0,3}\\?"$/.test(text.slice(Math.max(0, start - 24), start))) continue;
    spans.push({ start, end });
  }
  return spans;
}

// ---- JWTs ---------------------------------------------------------------------------------------

function isB64UrlChar(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 45 || c === 95;
}

/** header.payload[.signature], the header base64url JSON (`eyJ`); hand-scanned so each character is read once. */
function findJwts(text: string): RedactionSpan[] {
  const spans: RedactionSpan[] = [];
  let pos = 0;
  for (;;) {
    const start = text.indexOf('eyJ', pos);
    if (start < 0) break;
    let j = start + 3;
    while (j < text.length && isB64UrlChar(text.charCodeAt(j))) j++;
    pos = j;
    const prev = start > 0 ? text.charCodeAt(start - 1) : 0;
    const escaped = start > 1 && text.charCodeAt(start - 2) === 92;
    if (isB64UrlChar(prev) && !escaped) continue;
    if (j - start < 10 || text.charCodeAt(j) !== 46 /* . */) continue;
    const payloadStart = j + 1;
    let k = payloadStart;
    while (k < text.length && isB64UrlChar(text.charCodeAt(k))) k++;
    if (k - payloadStart < 10) continue;
    let end = k;
    if (text.charCodeAt(k) === 46) {
      let s = k + 1;
      while (s < text.length && isB64UrlChar(text.charCodeAt(s))) s++;
      end = s;
    }
    spans.push({ start, end });
    pos = end;
  }
  return spans;
}

// ---- credentials in URLs ------------------------------------------------------------------------

function isAuthorityBreak(c: number): boolean {
  // whitespace, / ? # " ' \ < > ` and brackets end the authority part of a URL
  return c <= 32 || c === 47 || c === 63 || c === 35 || c === 34 || c === 39 || c === 92 || c === 60 || c === 62 || c === 96 || c === 40 || c === 41 || c === 123 || c === 125;
}

/** scheme://user:password@host: the password only, so user, host and the rest of the URL stay readable. */
function findUrlPasswords(text: string): RedactionSpan[] {
  const spans: RedactionSpan[] = [];
  let pos = 0;
  for (;;) {
    const sep = text.indexOf('://', pos);
    if (sep < 0) break;
    const authStart = sep + 3;
    let authEnd = authStart;
    while (authEnd < text.length && authEnd - authStart < 1024 && !isAuthorityBreak(text.charCodeAt(authEnd))) authEnd++;
    pos = Math.max(authEnd, authStart);
    const schemeChar = sep > 0 ? text.charCodeAt(sep - 1) : 0;
    if (!((schemeChar >= 97 && schemeChar <= 122) || (schemeChar >= 65 && schemeChar <= 90) || (schemeChar >= 48 && schemeChar <= 57))) continue;
    const authority = text.slice(authStart, authEnd);
    const at = authority.lastIndexOf('@');
    const colon = authority.indexOf(':');
    if (at < 0 || colon < 0 || colon >= at - 1) continue;
    const password = authority.slice(colon + 1, at);
    if (!isLiteralCredential(password)) continue;
    spans.push({ start: authStart + colon + 1, end: authStart + at });
  }
  return spans;
}

// ---- key = value assignments --------------------------------------------------------------------

/** One `key <sep> value` found in a text; the rules below decide which ones are secrets. */
interface Assignment {
  key: string;
  /** The character before the key, spaces skipped ('' at the start): `;` marks a connection-string member. */
  before: string;
  separator: string;
  valueStart: number;
  valueEnd: number;
  quoted: boolean;
  /** An unquoted value directly followed by `(` or `[`: a call or an index, so code, not a literal. */
  code: boolean;
}

// A key that might name a secret contains one of these; the full test is isSecretKeyName.
const SECRET_WORD = /pass|secret|token|key|credential|cookie|auth|pwd/i;
const MAX_KEY = 64;
const MAX_VALUE = 1024;

function isKeyChar(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 95 || c === 45 || c === 46;
}

function isUnquotedValueEnd(c: number): boolean {
  // whitespace " ' ` \ , ; ( ) [ ] } < > &
  return c <= 32 || c === 34 || c === 39 || c === 96 || c === 92 || c === 44 || c === 59 || c === 40 || c === 41 || c === 91 || c === 93 || c === 125 || c === 60 || c === 62 || c === 38;
}

function isKeyCloser(c: number): boolean {
  // space, tab, and the closing quote of a quoted key (raw JSON escapes included): " ' ` \
  return c === 32 || c === 9 || c === 34 || c === 39 || c === 96 || c === 92;
}

// The last three letters of every key isSecretKeyName accepts (password → ord, token → ken, apiKey → key,
// ...): checked on character codes, so the many ordinary `key: value` pairs of a JSON line cost little.
const ENDINGS = ['ord', 'rds', 'swd', 'ase', 'ass', 'ret', 'ets', 'ken', 'ial', 'als', 'kie', 'key', 'eys'];
const SECRET_KEY_ENDINGS = new Set(ENDINGS.map((e) => (e.charCodeAt(0) << 14) | (e.charCodeAt(1) << 7) | e.charCodeAt(2)));
const ENDING_LAST_CHAR = new Uint8Array(128);
for (const e of ENDINGS) ENDING_LAST_CHAR[e.charCodeAt(2)] = 1;

/** True when text[end - 3, end), ASCII case folded, is one of ENDINGS. */
function hasSecretKeyEnding(text: string, end: number): boolean {
  // No key of three characters fits; and charCodeAt before the text would knock JavaScriptCore off its fast path.
  if (end < 3) return false;
  // `| 32` folds ASCII upper case and leaves every other character outside a-z.
  const c2 = text.charCodeAt(end - 1) | 32;
  if (c2 >= 128 || ENDING_LAST_CHAR[c2] === 0) return false;
  const c1 = text.charCodeAt(end - 2) | 32;
  const c0 = text.charCodeAt(end - 3) | 32;
  return c1 < 128 && c0 < 128 && SECRET_KEY_ENDINGS.has((c0 << 14) | (c1 << 7) | c2);
}

// Several rules read the same assignments; remember the last text's so it is scanned once per text.
let memoText: string | null = null;
let memoAssignments: Assignment[] = [];

/**
 * Every `key = value`, `key: value`, `"key": "value"`, `key := value`, `--key value` whose key contains
 * a secret-ish word. Anchored on the separators (found with native indexOf, far cheaper than looking
 * for key words in every character) and hand-parsed, every scan bounded, so linear.
 */
function scanAssignments(text: string): Assignment[] {
  if (text === memoText) return memoAssignments;
  const out: Assignment[] = [];
  let resumeAt = 0;
  const tryKeyAt = (keyStart: number, keyEnd: number): void => {
    // `\npassword` in a raw JSON line: the n belongs to the escape.
    if (keyStart > 0 && text.charCodeAt(keyStart - 1) === 92) keyStart++;
    if (keyEnd - keyStart < 3 || !hasSecretKeyEnding(text, keyEnd)) return;
    const key = text.slice(keyStart, keyEnd);
    if (!SECRET_WORD.test(key)) return;
    let b = keyStart - 1;
    while (b >= 0 && b > keyStart - 8 && (text[b] === ' ' || text[b] === '\t')) b--;
    const parsed = parseAssignedValue(text, keyEnd, key, b >= 0 ? text[b]! : '');
    if (parsed.assignment !== null) out.push(parsed.assignment);
    resumeAt = Math.max(resumeAt, parsed.scannedTo);
  };
  let eq = text.indexOf('=');
  let colon = text.indexOf(':');
  let dash = text.indexOf('--');
  while (eq !== -1 || colon !== -1 || dash !== -1) {
    let sep: number;
    let flag = false;
    if (dash !== -1 && (eq === -1 || dash < eq) && (colon === -1 || dash < colon)) {
      sep = dash;
      flag = true;
      dash = text.indexOf('--', dash + 2);
    } else if (eq !== -1 && (colon === -1 || eq < colon)) {
      sep = eq;
      eq = text.indexOf('=', eq + 1);
    } else {
      sep = colon;
      colon = text.indexOf(':', colon + 1);
    }
    if (sep < resumeAt) continue;
    if (flag) {
      // `--password value`: the key is the flag, the separator a space (parseAssignedValue checks).
      let keyEnd = sep + 2;
      while (keyEnd < text.length && keyEnd - sep <= MAX_KEY && isKeyChar(text.charCodeAt(keyEnd))) keyEnd++;
      if (keyEnd - sep <= MAX_KEY && text[keyEnd] === ' ') tryKeyAt(sep, keyEnd);
      continue;
    }
    let keyEnd = sep;
    while (keyEnd > resumeAt && sep - keyEnd < 12 && isKeyCloser(text.charCodeAt(keyEnd - 1))) keyEnd--;
    // What tryKeyAt checks first, read before walking back over the key: most keys end otherwise.
    if (!hasSecretKeyEnding(text, keyEnd)) continue;
    let keyStart = keyEnd;
    while (keyStart > resumeAt && keyEnd - keyStart <= MAX_KEY && isKeyChar(text.charCodeAt(keyStart - 1))) keyStart--;
    if (keyEnd - keyStart > MAX_KEY) continue;
    tryKeyAt(keyStart, keyEnd);
  }
  memoText = text;
  memoAssignments = out;
  return out;
}

interface ParsedValue {
  assignment: Assignment | null;
  /** How far the value scan read: keys inside a value, or inside an overlong run, are not looked at again. */
  scannedTo: number;
}

function parseAssignedValue(text: string, from: number, key: string, before: string): ParsedValue {
  const none: ParsedValue = { assignment: null, scannedTo: from };
  const n = text.length;
  let j = from;
  for (let q = 0; q < 3 && j < n && (text[j] === '"' || text[j] === "'" || text[j] === '\\' || text[j] === '`'); q++) j++;
  const beforeSpace = j;
  while (j < n && j - beforeSpace < 8 && (text[j] === ' ' || text[j] === '\t')) j++;
  const c = text[j];
  const next = text[j + 1];
  let separator: string;
  if (c === ':' && next === '=') separator = ':=';
  else if (c === ':' && next !== ':') separator = ':';
  else if (c === '=' && next === '>') separator = '=>';
  else if (c === '=' && next !== '=' && next !== '~') separator = '=';
  else if (key.startsWith('--') && j > beforeSpace) separator = ' ';
  else return none;
  j += separator === ' ' ? 0 : separator.length;
  const afterSep = j;
  while (j < n && j - afterSep < 8 && (text[j] === ' ' || text[j] === '\t')) j++;
  let backslashes = 0;
  while (j < n && backslashes < 8 && text[j] === '\\') {
    j++;
    backslashes++;
  }
  const open = text[j];
  if (open === '"' || open === "'" || open === '`') {
    const valueStart = j + 1;
    let k = valueStart;
    while (k < n && k - valueStart <= MAX_VALUE) {
      const ch = text[k];
      if (ch === open || ch === '\n' || ch === '\r' || (backslashes > 0 && ch === '\\')) break;
      k++;
    }
    if (k >= n || k - valueStart > MAX_VALUE || text[k] === '\n' || text[k] === '\r') return { assignment: null, scannedTo: k };
    // Backticks in prose quote code (`git remote set-url ...`), not a credential.
    if (open === '`' && /\s/.test(text.slice(valueStart, k))) return { assignment: null, scannedTo: k };
    return { assignment: { key, before, separator, valueStart, valueEnd: k, quoted: true, code: false }, scannedTo: k };
  }
  // `=>` is a Ruby hash or a JS arrow: only a quoted value after it is a literal.
  if (separator === '=>' || backslashes > 0) return none;
  const valueStart = j;
  let k = valueStart;
  while (k < n && k - valueStart <= MAX_VALUE && !isUnquotedValueEnd(text.charCodeAt(k))) k++;
  if (k - valueStart > MAX_VALUE || k === valueStart || (separator === ' ' && text[valueStart] === '-')) return { assignment: null, scannedTo: k };
  return { assignment: { key, before, separator, valueStart, valueEnd: k, quoted: false, code: text[k] === '(' || text[k] === '[' }, scannedTo: k };
}

// No keywords: the shared separator scan is its own prefilter, cheaper than a keyword pass.
function assignmentRule(spec: {
  id: string;
  description: string;
  keywords: readonly string[];
  accept: (a: Assignment, value: string) => boolean;
}): RedactionRule {
  return {
    id: spec.id,
    description: spec.description,
    kind: 'context',
    keywords: spec.keywords,
    prefilter: 'text',
    gate: null,
    find(text) {
      const spans: RedactionSpan[] = [];
      for (const a of scanAssignments(text)) {
        if (spec.accept(a, text.slice(a.valueStart, a.valueEnd))) spans.push({ start: a.valueStart, end: a.valueEnd });
      }
      return spans;
    },
  };
}

// Placeholders, type names and references that sit where a secret would.
const NON_SECRET_VALUE =
  /^(?:null|none|nil|true|false|undefined|string|str|bytes|int|number|boolean|bool|object|any|unknown|required|optional|secret|password|token|redacted|hidden|masked|\*+|x+|\.+|-+|<[^>]*>|\$\{[^}]*\}|\$[A-Za-z_][A-Za-z0-9_]*|\{\{.*\}\}|%[a-z(].*|process\.env\..*|os\.environ.*|getenv.*|env\(.*|secrets\..*|\{.*\}|\[.*\]|\[REDACTED:.*|your[_-].*|.*[_-]here|example.*|placeholder.*)$/i;
const IDENTIFIER_CHAIN = /^[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)*$/;

function isSecretAssignment(a: Assignment, value: string): boolean {
  if (!isSecretKeyName(a.key, { json: false })) return false;
  if (value.length < 4 || a.code || NON_SECRET_VALUE.test(value)) return false;
  if (a.quoted || !IDENTIFIER_CHAIN.test(value)) return true;
  // Unquoted identifiers are variable references in code (`password=password_input`, `key = self.key`);
  // after an env-style key (`DB_PASSWORD=hunter`) or with a digit in them they are values.
  if (value.includes('.')) return false;
  return /^[A-Z0-9_-]+$/.test(a.key) || /[0-9]/.test(value);
}

const AWS_SECRET_KEY_NAME = /^(?:aws_?)?secret_?access_?key$|^aws_?secret(?:_?key)?$/i;
const FORGE_NAME = /gitea|forgejo|gogs|codeberg|bitbucket|gitee|srht|sourcehut/i;
const FORGE_LAST_WORD = new Set(['token', 'password', 'key', 'secret']);
const LLM_KEY_NAME =
  /^(?:cohere|co|mistral|together|fireworks|deepinfra|anyscale|voyage|jina|cerebras|ai21|deepseek|openrouter|nvidia|azure_openai|gemini|google|anthropic|openai)[_-]?(?:ai[_-]?)?api[_-]?key$/i;

// ---- the rule set -------------------------------------------------------------------------------

function hasDigit(value: string): boolean {
  return /[0-9]/.test(value);
}

/** Every rule, in priority order: where two rules claim overlapping text, the earlier one wins. */
export const DEFAULT_REDACTION_RULES: readonly RedactionRule[] = [
  {
    id: 'gcp-service-account-key',
    description: 'The private_key of a Google Cloud service-account JSON key file',
    kind: 'shape',
    keywords: ['private_key'],
    prefilter: 'text',
    gate: BEGIN_GATE,
    find: (text) => findPrivateKeyBlocks(text, true),
  },
  {
    id: 'private-key',
    description: 'PEM or PGP private key block, BEGIN through END, across lines',
    kind: 'shape',
    keywords: ['private key'],
    prefilter: 'text',
    gate: BEGIN_GATE,
    find: (text) => findPrivateKeyBlocks(text, false),
  },
  {
    id: 'jwt',
    description: 'JSON Web Token: base64url header (eyJ...), payload and signature',
    kind: 'shape',
    keywords: ['eyJ'],
    prefilter: 'token',
    gate: null,
    find: findJwts,
  },
  regexRule({
    id: 'aws-access-key-id',
    description: 'AWS access key id (AKIA/ASIA/ABIA/ACCA/A3T...)',
    kind: 'shape',
    keywords: ['akia', 'asia', 'abia', 'acca', 'a3t'],
    prefilter: 'token',
    pattern: /(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16}(?![A-Za-z0-9])/,
  }),
  assignmentRule({
    id: 'aws-secret-access-key',
    description: 'AWS secret access key (40 base64 characters) assigned to an aws_secret_access_key-like name',
    keywords: [],
    accept: (a, value) => AWS_SECRET_KEY_NAME.test(a.key) && /^[A-Za-z0-9/+]{40}$/.test(value),
  }),
  regexRule({
    id: 'gcp-api-key',
    description: 'Google Cloud / Google AI (Gemini) API key (AIza...)',
    kind: 'shape',
    keywords: ['aiza'],
    prefilter: 'token',
    pattern: /AIza[0-9A-Za-z_-]{35}(?![0-9A-Za-z_-])/,
  }),
  regexRule({
    id: 'azure-storage-key',
    description: 'Azure storage account key in a connection string (AccountKey=...)',
    kind: 'context',
    keywords: ['accountkey'],
    prefilter: 'token',
    pattern: /(?:AccountKey|accountkey|ACCOUNTKEY)[ \t]{0,3}=[ \t]{0,3}([A-Za-z0-9+/]{80,100}={0,2})/,
    group: true,
  }),
  regexRule({
    id: 'azure-shared-access-key',
    description: 'Azure Service Bus / Event Hubs / IoT SharedAccessKey in a connection string',
    kind: 'context',
    keywords: ['sharedaccesskey'],
    prefilter: 'token',
    pattern: /(?:SharedAccessKey|sharedaccesskey|SHAREDACCESSKEY)[ \t]{0,3}=[ \t]{0,3}([A-Za-z0-9+/]{40,100}={0,2})/,
    group: true,
  }),
  regexRule({
    id: 'azure-sas-signature',
    description: 'Azure shared access signature (sig= of a SAS URL or token)',
    kind: 'context',
    keywords: ['sig='],
    prefilter: 'token',
    pattern: /[?&;]sig=((?:[A-Za-z0-9+/]|%2[BbFf]){30,200}(?:=|%3[Dd]){0,2})/,
    group: true,
  }),
  regexRule({
    id: 'github-pat',
    description: 'GitHub personal access token, classic (ghp_)',
    kind: 'shape',
    keywords: ['ghp_'],
    prefilter: 'token',
    pattern: /ghp_[A-Za-z0-9]{36,255}/,
  }),
  regexRule({
    id: 'github-oauth-token',
    description: 'GitHub OAuth access token (gho_)',
    kind: 'shape',
    keywords: ['gho_'],
    prefilter: 'token',
    pattern: /gho_[A-Za-z0-9]{36,255}/,
  }),
  regexRule({
    id: 'github-app-token',
    description: 'GitHub App user-to-server or server-to-server token (ghu_, ghs_)',
    kind: 'shape',
    keywords: ['ghu_', 'ghs_'],
    prefilter: 'token',
    pattern: /gh[us]_[A-Za-z0-9]{36,255}/,
  }),
  regexRule({
    id: 'github-refresh-token',
    description: 'GitHub refresh token (ghr_)',
    kind: 'shape',
    keywords: ['ghr_'],
    prefilter: 'token',
    pattern: /ghr_[A-Za-z0-9]{36,255}/,
  }),
  regexRule({
    id: 'github-fine-grained-pat',
    description: 'GitHub fine-grained personal access token (github_pat_)',
    kind: 'shape',
    keywords: ['github_pat_'],
    prefilter: 'token',
    pattern: /github_pat_[A-Za-z0-9_]{60,255}/,
  }),
  regexRule({
    id: 'gitlab-token',
    description: 'GitLab personal, deploy, runner, trigger or OAuth token (glpat-, gldt-, glrt-, glptt-, ...)',
    kind: 'shape',
    keywords: ['glpat-', 'gldt-', 'glrt-', 'glptt-', 'glcbt-', 'glimt-', 'glft-', 'glsoat-', 'gloas-', 'glagent-'],
    prefilter: 'token',
    pattern: /gl(?:pat|dt|rt|ptt|cbt|imt|ft|soat|oas|agent)-[A-Za-z0-9_.-]{20,255}/,
  }),
  assignmentRule({
    id: 'forge-token',
    description: 'Gitea, Forgejo, Gogs, Codeberg, Bitbucket or SourceHut token assigned to a name that says so',
    keywords: [],
    accept: (a, value) =>
      FORGE_NAME.test(a.key) && FORGE_LAST_WORD.has(splitKeyWords(a.key).at(-1) ?? '') && value.length >= 16 && !a.code && isLiteralCredential(value),
  }),
  regexRule({
    id: 'slack-token',
    description: 'Slack bot, user, app-level config or refresh token (xoxb-, xoxp-, xoxa-, xoxr-, xoxs-, xoxe-)',
    kind: 'shape',
    keywords: ['xox'],
    prefilter: 'token',
    pattern: /(?:xoxe\.)?xox[abposre]-[A-Za-z0-9-]{10,255}/,
  }),
  regexRule({
    id: 'slack-app-token',
    description: 'Slack app-level token (xapp-)',
    kind: 'shape',
    keywords: ['xapp-'],
    prefilter: 'token',
    pattern: /xapp-[0-9]-[A-Za-z0-9-]{20,255}/,
  }),
  regexRule({
    id: 'slack-webhook-url',
    description: 'Slack incoming-webhook or workflow URL path (hooks.slack.com/services/...)',
    kind: 'shape',
    keywords: ['hooks.slack.com'],
    prefilter: 'token',
    pattern: /hooks\.slack\.com\/(?:services|workflows|triggers)\/([A-Za-z0-9+/_-]{20,255})/,
    group: true,
  }),
  regexRule({
    id: 'stripe-secret-key',
    description: 'Stripe secret or restricted key (sk_live_, sk_test_, rk_live_, ...)',
    kind: 'shape',
    keywords: ['sk_live_', 'sk_test_', 'sk_prod_', 'rk_live_', 'rk_test_', 'rk_prod_'],
    prefilter: 'token',
    pattern: /[sr]k_(?:live|test|prod)_[A-Za-z0-9]{10,255}/,
  }),
  regexRule({
    id: 'stripe-webhook-secret',
    description: 'Stripe webhook signing secret (whsec_)',
    kind: 'shape',
    keywords: ['whsec_'],
    prefilter: 'token',
    pattern: /whsec_[A-Za-z0-9+/=]{24,255}/,
  }),
  regexRule({
    id: 'twilio-api-key',
    description: 'Twilio API key SID with secret (SK + 32 hex)',
    kind: 'shape',
    keywords: ['sk'],
    prefilter: 'token',
    pattern: new RegExp(String.raw`${LB}SK[0-9a-fA-F]{32}(?![A-Za-z0-9])`),
  }),
  regexRule({
    id: 'sendgrid-api-key',
    description: 'SendGrid API key (SG.<22>.<43>)',
    kind: 'shape',
    keywords: ['sg.'],
    prefilter: 'token',
    pattern: new RegExp(String.raw`${LB}SG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}(?![A-Za-z0-9_-])`),
  }),
  regexRule({
    id: 'mailgun-api-key',
    description: 'Mailgun private API key (key- + 32 hex)',
    kind: 'shape',
    keywords: ['key-'],
    prefilter: 'token',
    pattern: new RegExp(String.raw`${LB}key-[0-9a-f]{32}(?![A-Za-z0-9])`),
  }),
  regexRule({
    id: 'npm-token',
    description: 'npm access token (npm_)',
    kind: 'shape',
    keywords: ['npm_'],
    prefilter: 'token',
    pattern: /npm_[A-Za-z0-9]{36,255}/,
  }),
  regexRule({
    id: 'pypi-token',
    description: 'PyPI / TestPyPI upload token (pypi-AgEIcHlwaS5vcmc...)',
    kind: 'shape',
    keywords: ['pypi-ag'],
    prefilter: 'token',
    pattern: /pypi-AgE(?:IcHlwaS5vcmc|NdGVzdC5weXBpLm9yZw)[A-Za-z0-9_-]{50,1000}/,
  }),
  regexRule({
    id: 'anthropic-api-key',
    description: 'Anthropic API or admin key (sk-ant-...)',
    kind: 'shape',
    keywords: ['sk-ant-'],
    prefilter: 'token',
    pattern: /sk-ant-[a-z]{2,10}[0-9]{0,3}-[A-Za-z0-9_-]{20,300}/,
  }),
  regexRule({
    id: 'openai-api-key',
    description: 'OpenAI API key: project, service-account, admin or legacy (sk-proj-, sk-svcacct-, sk-admin-, sk-...)',
    kind: 'shape',
    keywords: ['sk-'],
    prefilter: 'token',
    pattern: new RegExp(
      String.raw`${LB}sk-(?:(?:proj|svcacct|admin|None)-[A-Za-z0-9_-]{20,300}|[A-Za-z0-9]{20}T3BlbkFJ[A-Za-z0-9]{20}|[A-Za-z0-9]{32,64}(?![A-Za-z0-9_-]))`,
    ),
  }),
  regexRule({
    id: 'huggingface-token',
    description: 'Hugging Face user or org access token (hf_, api_org_)',
    kind: 'shape',
    keywords: ['hf_', 'api_org_'],
    prefilter: 'token',
    pattern: new RegExp(String.raw`${LB}(?:hf|api_org)_[A-Za-z0-9]{30,64}(?![A-Za-z0-9])`),
  }),
  regexRule({
    id: 'groq-api-key',
    description: 'Groq API key (gsk_)',
    kind: 'shape',
    keywords: ['gsk_'],
    prefilter: 'token',
    pattern: /gsk_[A-Za-z0-9]{48,64}/,
  }),
  regexRule({
    id: 'replicate-api-token',
    description: 'Replicate API token (r8_)',
    kind: 'shape',
    keywords: ['r8_'],
    prefilter: 'token',
    pattern: new RegExp(String.raw`${LB}r8_[A-Za-z0-9]{37,40}(?![A-Za-z0-9])`),
  }),
  regexRule({
    id: 'perplexity-api-key',
    description: 'Perplexity API key (pplx-)',
    kind: 'shape',
    keywords: ['pplx-'],
    prefilter: 'token',
    pattern: /pplx-[A-Za-z0-9]{40,64}/,
  }),
  regexRule({
    id: 'xai-api-key',
    description: 'xAI (Grok) API key (xai-)',
    kind: 'shape',
    keywords: ['xai-'],
    prefilter: 'token',
    pattern: new RegExp(String.raw`${LB}xai-[A-Za-z0-9]{60,100}`),
  }),
  assignmentRule({
    id: 'llm-api-key-in-context',
    description: 'API key of an LLM provider without a key prefix (Cohere, Mistral, Together, Fireworks, ...) assigned to its *_API_KEY name',
    keywords: [],
    accept: (a, value) => LLM_KEY_NAME.test(a.key) && /^[A-Za-z0-9_.-]{20,512}$/.test(value),
  }),
  regexRule({
    id: 'shopify-token',
    description: 'Shopify access, custom-app, private-app or shared-secret token (shpat_, shpca_, shppa_, shpss_)',
    kind: 'shape',
    keywords: ['shpat_', 'shpca_', 'shppa_', 'shpss_'],
    prefilter: 'token',
    pattern: /shp(?:at|ca|pa|ss)_[a-fA-F0-9]{32}(?![A-Za-z0-9])/,
  }),
  regexRule({
    id: 'digitalocean-token',
    description: 'DigitalOcean personal, OAuth or refresh token (dop_v1_, doo_v1_, dor_v1_)',
    kind: 'shape',
    keywords: ['dop_v1_', 'doo_v1_', 'dor_v1_'],
    prefilter: 'token',
    pattern: /do[opr]_v1_[a-f0-9]{64}(?![A-Za-z0-9])/,
  }),
  regexRule({
    id: 'linear-api-key',
    description: 'Linear API key (lin_api_)',
    kind: 'shape',
    keywords: ['lin_api_'],
    prefilter: 'token',
    pattern: /lin_api_[A-Za-z0-9]{40}(?![A-Za-z0-9])/,
  }),
  regexRule({
    id: 'hashicorp-vault-token',
    description: 'HashiCorp Vault service or batch token (hvs., hvb.)',
    kind: 'shape',
    keywords: ['hvs.', 'hvb.'],
    prefilter: 'token',
    pattern: new RegExp(String.raw`${LB}hv[sb]\.[A-Za-z0-9_-]{24,255}`),
  }),
  regexRule({
    id: 'databricks-token',
    description: 'Databricks personal access token (dapi + 32 hex)',
    kind: 'shape',
    keywords: ['dapi'],
    prefilter: 'token',
    pattern: new RegExp(String.raw`${LB}dapi[a-f0-9]{32}(?:-[0-9])?(?![A-Za-z0-9])`),
  }),
  {
    id: 'url-credentials',
    description: 'Password in the user-info of a URL or database connection string (scheme://user:password@host)',
    kind: 'context',
    keywords: ['://'],
    prefilter: 'text',
    gate: /:\/\//,
    find: findUrlPasswords,
  },
  assignmentRule({
    id: 'connection-string-password',
    description: 'Password=/Pwd= in an ADO.NET/ODBC connection string or a JDBC/query-string password parameter',
    keywords: [],
    accept: (a, value) => /^(?:password|pwd)$/i.test(a.key) && a.separator === '=' && /^[;?&]$/.test(a.before) && isLiteralCredential(value),
  }),
  regexRule({
    id: 'authorization-header',
    description: 'Credentials of an Authorization or Proxy-Authorization header (Bearer, Basic, token, ...)',
    kind: 'context',
    keywords: ['authorization'],
    prefilter: 'text',
    // Led by a rarer letter than `[Aa]uthorization|AUTHORIZATION`, so the joined gate scans faster.
    gate: /rization|RIZATION/,
    pattern: new RegExp(
      String.raw`(?:[Aa]uthorization|AUTHORIZATION)${SEP}(?:(?:[Bb]earer|BEARER|[Bb]asic|BASIC|[Tt]oken|TOKEN|[Dd]igest|[Bb]ot|[Aa]pi[Kk]ey|APIKEY|sso-key|[Nn]egotiate|NTLM)[ \t]{1,3})?([^\s"'\\,;]{8,4096})`,
    ),
    group: true,
    accept: isLiteralCredential,
  }),
  regexRule({
    id: 'bearer-token',
    description: 'A bearer token outside an Authorization header (Bearer <token>)',
    kind: 'context',
    keywords: ['bearer'],
    prefilter: 'text',
    // `rer` and `RER` end `[Bb]earer` and `BEARER`, and start with a rarer letter than they do.
    gate: /rer|RER/,
    pattern: /(?:[Bb]earer|BEARER)[ \t]{1,3}([A-Za-z0-9._~+/-]{16,4096}={0,2})/,
    group: true,
    accept: hasDigit,
  }),
  assignmentRule({
    id: 'secret-assignment',
    description: 'A value assigned to a key that names a secret: password=, api_key:, "client_secret": "...", --token ...',
    keywords: [],
    accept: isSecretAssignment,
  }),
  {
    id: 'high-entropy-string',
    description: 'A long random-looking token with mixed case and digits that no other rule knows (not hex, a UUID, an id or a path)',
    kind: 'entropy',
    keywords: [],
    prefilter: 'text',
    gate: null,
    find: findHighEntropyTokens,
  },
];
