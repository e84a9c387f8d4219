// Seeded generator of auditor-loop-shaped JSONL (the DESIGN 7.1 streams) for the ingest and memory benches.
//
// `bun bench/gen-auditor-logs.ts --out DIR --mb 300 [--seed 42]` writes DIR/<stream>.jsonl, one file per
// stream, about --mb megabytes (10^6 bytes) in all, and DIR/.manifest (JSON, written last, so its presence
// means the set is complete). Same seed and options → byte-identical files: the only source of variety is
// a mulberry32 PRNG, timestamps advance from a fixed epoch, and writes stream through a bounded buffer.
//
// Data is generated run by run, so ids join across streams the way the real loop's do: every run's
// mode_experiments attempts, observer_reviews, scrum_reviews, auto_apply, model_trust, outcomes,
// human_overrides and distilled_* share its run_id; audits, audit_facts, audit_lessons and
// audit_discrepancies share pr_number and head_sha. About 0.1% of lines are bad (a truncated copy of the
// next record, a copy with invalid UTF-8 bytes, a blank line); each is written *before* the intact record,
// as a crashed writer followed by a retry would leave it, so no run loses a record. A few text fields carry
// key-shaped secrets assembled at run time, so redaction has work to do.
import { closeSync, mkdirSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';

export const GENERATOR_VERSION = 1;
// No .json extension: `git-distill ingest <dir>` walks *.json too, and the manifest is not a log.
export const MANIFEST_FILE = '.manifest';

export const STREAMS = [
  'mode_experiments',
  'scrum_reviews',
  'auto_apply',
  'audits',
  'audit_facts',
  'audit_lessons',
  'audit_discrepancies',
  'observer_reviews',
  'observer_escalations',
  'model_trust',
  'outcomes',
  'human_overrides',
  'contract_analyses',
  'distilled_facts',
  'distilled_procedures',
  'distilled_config_hints',
  'phase_sweep_findings',
  'doc_drift_corrections',
] as const;
export type StreamName = (typeof STREAMS)[number];

export type BadLineKind = 'truncated' | 'invalid_utf8' | 'blank';

export const SECRET_KINDS = [
  'aws_access_key',
  'github_pat',
  'gitlab_pat',
  'openai_key',
  'anthropic_key',
  'slack_bot_token',
  'stripe_live_key',
  'jwt',
  'private_key',
  'postgres_url',
  'password_assignment',
] as const;
export type SecretKind = (typeof SECRET_KINDS)[number];

export interface GenOptions {
  out_dir: string;
  /** Stop after the first run that takes the total to at least this many bytes. */
  target_bytes: number;
  seed: number;
  /** Probability that a bad line precedes a record (never before line 1, so format detection sees a good line). */
  bad_rate: number;
  /** Probability that a free-text field gets a key-shaped secret. */
  secret_rate: number;
}

export interface StreamStats {
  file: string;
  bytes: number;
  /** Lines written, bad and blank ones included (each ends with \n). */
  lines: number;
  /** Intact records: lines - bad lines. */
  records: number;
  sha256: string;
}

export interface BadLine {
  stream: StreamName;
  /** 1-based line number inside <stream>.jsonl. */
  line: number;
  kind: BadLineKind;
}

export interface GenManifest {
  generator_version: number;
  seed: number;
  target_bytes: number;
  bad_rate: number;
  secret_rate: number;
  total_bytes: number;
  total_lines: number;
  total_records: number;
  runs: number;
  prs: number;
  streams: Record<StreamName, StreamStats>;
  bad_lines_by_kind: Record<BadLineKind, number>;
  bad_lines: BadLine[];
  /** Secrets planted, by kind. A secret lands only in intact records' text (bad copies may repeat it). */
  secrets_by_kind: Record<SecretKind, number>;
}

export const DEFAULT_SEED = 42;
export const DEFAULT_BAD_RATE = 0.001;
export const DEFAULT_SECRET_RATE = 0.004;

// ---------------------------------------------------------------------------------------------
// PRNG

export interface Rng {
  /** Uniform in [0, 1). */
  next(): number;
  u32(): number;
  /** Uniform integer in [lo, hi], both inclusive. */
  int(lo: number, hi: number): number;
  chance(p: number): boolean;
  pick<T>(xs: readonly T[]): T;
  /** Picks by weight: pairs of [value, weight]. */
  weighted<T>(choices: readonly (readonly [T, number])[]): T;
  hex(chars: number): string;
  alnum(chars: number): string;
}

/** mulberry32: tiny, fast, good enough for test data, and stable across runtimes. */
export function createRng(seed: number): Rng {
  let state = seed >>> 0;
  const u32 = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
  const next = (): number => u32() / 4294967296;
  const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  const rng: Rng = {
    next,
    u32,
    int: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)),
    chance: (p) => next() < p,
    pick: <T>(xs: readonly T[]): T => {
      const x = xs[Math.floor(next() * xs.length)];
      if (x === undefined) throw new Error('pick from an empty list');
      return x;
    },
    weighted: <T>(choices: readonly (readonly [T, number])[]): T => {
      let total = 0;
      for (const [, w] of choices) total += w;
      let r = next() * total;
      for (const [v, w] of choices) {
        r -= w;
        if (r < 0) return v;
      }
      const last = choices[choices.length - 1];
      if (last === undefined) throw new Error('weighted pick from an empty list');
      return last[0];
    },
    hex: (chars) => {
      let s = '';
      while (s.length < chars) s += u32().toString(16).padStart(8, '0');
      return s.slice(0, chars);
    },
    alnum: (chars) => {
      let s = '';
      for (let i = 0; i < chars; i++) s += ALNUM[u32() % ALNUM.length];
      return s;
    },
  };
  return rng;
}

// ---------------------------------------------------------------------------------------------
// Vocabulary: shaped on the lakehouse repo the seed recon describes.

const CRATES = ['gateway', 'queryd', 'ingestd', 'catalog', 'vectord', 'sidecar', 'observer', 'common'];
const RUST_MODS = [
  'mode', 'langfuse_trace', 'router', 'relevance', 'matrix', 'retry', 'config', 'planner', 'exec',
  'parquet_scan', 'hnsw', 'chunker', 'embed', 'health', 'auth', 'limits', 'session', 'stream',
];
const TS_DIRS = ['auditor', 'auditor/checks', 'auditor/schemas/distillation', 'mcp-server/src', 'scripts/distillation', 'tests/real-world', 'tests/multi-agent'];
const TS_NAMES = [
  'kb_index', 'inference', 'static', 'scrum_master_pipeline', 'applier', 'observer', 'transforms',
  'evidence_record', 'consensus', 'verdicts', 'prompt_builder', 'gate_runner', 'trust_ledger', 'fixtures',
];
const FIXED_PATHS = [
  'crates/gateway/src/v1/mode.rs',
  'crates/gateway/src/v1/langfuse_trace.rs',
  'config/modes.toml',
  'auditor/kb_index.ts',
  'tests/real-world/scrum_master_pipeline.ts',
  'tests/architecture_smoke.ts',
  'docs/PRD.md',
  'docs/PHASES.md',
  'docs/recon/local-distillation-recon.md',
  'data/_kb/mode_experiments.jsonl',
];
const MODELS = [
  'kimi-k2:1t-cloud', 'qwen3-coder:480b-cloud', 'gpt-oss:120b', 'deepseek-v3.1:671b-cloud', 'glm-4.6:cloud',
  'qwen3:32b', 'gemma3:27b', 'llama3.3:70b', 'mistral-small3.2:24b', 'claude-sonnet-4-5', 'gpt-5-mini',
];
const TASK_CLASSES: readonly (readonly [string, number])[] = [
  ['scrum_review', 55], ['code_patch', 20], ['pr_audit', 10], ['fact_extract', 8], ['doc_drift', 4], ['contract_analysis', 3],
];
const MODES = ['matrix', 'direct', 'tree_split', 'consensus', 'kb_preamble', 'relevance_rerank'];
const CORPORA = [
  'lakehouse_arch_v1', 'lakehouse_symbols_v1', 'lakehouse_answers_v1', 'scrum_findings_v1',
  'distilled_factual_v20260420', 'distilled_procedural_v20260420', 'distilled_config_hint_v20260420',
  'kb_team_runs_v1', 'llm_team_runs_v1', 'chicago_permits_v1',
];
const FN_NAMES = [
  'is_weak_model', 'route_request', 'merge_top_k', 'apply_patch', 'run_gates', 'load_modes', 'build_prompt',
  'score_hits', 'flush_batch', 'parse_verdict', 'retry_with_backoff', 'open_session', 'emit_trace',
  'read_jsonl', 'dedup_by_sig', 'rerank', 'fetch_corpus', 'handle_chat', 'spawn_sidecar', 'collect_findings',
];
const VARS = ['resp', 'hits', 'cfg', 'batch', 'rows', 'attempt', 'verdict', 'ctx', 'client', 'trace', 'buf', 'model'];
const ISSUES = [
  'unwraps a Result that is Err whenever the sidecar is down',
  'holds the mutex guard across an .await point',
  'ignores the timeout configured in config/modes.toml',
  're-reads the whole JSONL file on every call instead of tailing it',
  'returns 200 to the caller after the upstream call failed',
  'leaves a todo!() in a code path the tests reach',
  'silently drops rows whose sig_hash collides with an earlier one',
  'clones the full hit list inside the hot loop',
  'compares model names case-sensitively, so "Kimi-K2" never matches',
  'swallows the error from the gate runner and reports success',
  'builds the prompt without the KB preamble when matrix_hits is empty',
  'logs the raw request body, which can contain credentials',
  'uses an unbounded channel between the reader and the scorer',
  'treats a missing confidence as 1.0 instead of unknown',
  'does not escape the file path before interpolating it into the shell command',
  'retries non-idempotent POSTs on a 500',
  'never closes the Parquet reader on the error path',
  'sorts by score ascending, so the weakest hits win',
];
const FIXES = [
  'propagating the error with `?` and letting the caller decide',
  'moving the clone out of the lock scope',
  'adding a regression test beside the module',
  'reading the limit from the loaded config instead of the literal',
  'tracking a byte offset per source and seeking to it',
  'returning 502 with the upstream status in the body',
  'normalizing names with to_ascii_lowercase before the lookup',
  'bounding the channel at 1024 and applying backpressure',
  'redacting the body before it reaches the logger',
  'checking the gate exit status and recording it in the verdict',
];
const CHECKS = ['static.todo_macro', 'static.unwrap_in_handler', 'inference.claim_unverified', 'kb.prior_failure', 'prd.drift', 'static.secret_in_log', 'tests.missing'];
const GATES = ['cargo_check', 'cargo_test', 'clippy', 'bun_test', 'tsc', 'diff_size', 'format'];
const PEOPLE = ['profit', 'maria.k', 'dev-oncall', 'j.okafor', 'li.wen'];
const SEVERITIES = ['critical', 'high', 'medium', 'low', 'info'];
const FACT_CATEGORIES = ['architecture', 'api_contract', 'failure_mode', 'config', 'performance', 'testing'];
const SERVICES = ['auditor', 'scrum_master', 'observer', 'llm_team', 'gateway'];
const ERROR_STRINGS = [
  'upstream 500 Internal Server Error from ollama cloud',
  'timeout after 120000 ms',
  'response truncated at max_tokens',
  'JSON parse error in forensic block',
  'thin response (< 400 chars) rejected',
  'rate limited (429), backing off',
];

function buildPaths(rng: Rng): string[] {
  const paths = [...FIXED_PATHS];
  for (const crate of CRATES) {
    for (let i = 0; i < 6; i++) paths.push(`crates/${crate}/src/${rng.pick(RUST_MODS)}${rng.chance(0.3) ? `/${rng.pick(RUST_MODS)}` : ''}.rs`);
  }
  for (const dir of TS_DIRS) {
    for (let i = 0; i < 5; i++) paths.push(`${dir}/${rng.pick(TS_NAMES)}.ts`);
  }
  return [...new Set(paths)].sort();
}

// ---------------------------------------------------------------------------------------------
// Secrets: assembled from pieces so no key-shaped literal exists in this file.

function buildSecret(rng: Rng, kind: SecretKind): string {
  // Real AWS key ids are base32: A–Z and 2–7 after the prefix.
  const base32 = (n: number): string => {
    let out = '';
    for (let i = 0; i < n; i++) out += 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'[rng.u32() % 32];
    return out;
  };
  const b64url = (s: string): string => Buffer.from(s).toString('base64url');
  switch (kind) {
    case 'aws_access_key':
      return 'AK' + 'IA' + base32(16);
    case 'github_pat':
      return 'gh' + 'p_' + rng.alnum(36);
    case 'gitlab_pat':
      return 'glp' + 'at-' + rng.alnum(20);
    case 'openai_key':
      return 's' + 'k-proj-' + rng.alnum(48);
    case 'anthropic_key':
      return 's' + 'k-ant-api03-' + rng.alnum(93) + 'AA';
    case 'slack_bot_token':
      return 'xo' + 'xb-' + String(rng.int(1e9, 9e9)) + '-' + String(rng.int(1e11, 9e11)) + '-' + rng.alnum(24);
    case 'stripe_live_key':
      return 's' + 'k_li' + 've_' + rng.alnum(24);
    case 'jwt':
      return (
        b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' })) +
        '.' +
        b64url(JSON.stringify({ sub: `svc-${rng.hex(6)}`, iat: 1774000000 + rng.int(0, 1e6) })) +
        '.' +
        rng.alnum(43)
      );
    case 'private_key': {
      const label = 'RSA PRIV' + 'ATE KEY';
      const body: string[] = [];
      for (let i = 0; i < 6; i++) body.push(Buffer.from(rng.alnum(48)).toString('base64').slice(0, 64));
      return `-----BEGIN ${label}-----\n${body.join('\n')}\n-----END ${label}-----`;
    }
    case 'postgres_url':
      return 'postgres' + `://lakehouse_rw:${rng.alnum(18)}@db-${rng.hex(4)}.internal:5432/lakehouse`;
    case 'password_assignment':
      return 'pass' + `word=${rng.alnum(10)}!${rng.alnum(6)}`;
  }
}

const SECRET_FRAMES: Record<SecretKind, string> = {
  aws_access_key: 'The env dump in the failing gate shows AWS_ACCESS_KEY_ID=%s being passed to the sidecar.',
  github_pat: 'The clone step still embeds a token (%s) in the remote URL of the checkout.',
  gitlab_pat: 'CI log line 412 echoes GITLAB_TOKEN=%s before the mirror push.',
  openai_key: 'config/providers.toml hard-codes api_key = "%s" for the fallback provider.',
  anthropic_key: 'The request dump includes the header x-api-key: %s, so the trace must be scrubbed.',
  slack_bot_token: 'The notifier posts with SLACK_BOT_TOKEN=%s taken from the committed .env.',
  stripe_live_key: 'tests/fixtures/billing.json contains a live key %s that should be a test key.',
  jwt: 'The observer forwards Authorization: Bearer %s to every corpus fetch.',
  private_key: 'The deploy script writes this key to disk before the ssh step:\n\n```\n%s\n```',
  postgres_url: 'DATABASE_URL=%s is printed at startup by crates/common/src/config.rs.',
  password_assignment: 'The sidecar launcher passes `--%s` on the command line, visible in ps.',
};

// ---------------------------------------------------------------------------------------------
// Text

interface TextCtx {
  rng: Rng;
  paths: readonly string[];
  secretRate: number;
  secrets: Record<SecretKind, number>;
}

function sentence(c: TextCtx, file: string): string {
  const { rng } = c;
  const path = rng.chance(0.6) ? file : rng.pick(c.paths);
  const line = rng.int(3, 1800);
  switch (rng.int(0, 7)) {
    case 0:
      return `In \`${path}:${line}\`, \`${rng.pick(FN_NAMES)}\` ${rng.pick(ISSUES)}.`;
    case 1:
      return `The call to \`${rng.pick(FN_NAMES)}()\` at line ${line} ${rng.pick(ISSUES)}; consider ${rng.pick(FIXES)}.`;
    case 2:
      return `This matches a prior failure in lakehouse_answers_v1 (score ${rng.next().toFixed(3)}): ${rng.pick(ISSUES)}.`;
    case 3:
      return `\`${rng.pick(VARS)}\` is only checked after \`${rng.pick(FN_NAMES)}\` returns, so the ${rng.pick(['empty', 'partial', 'stale', 'duplicated'])} case slips through — fix by ${rng.pick(FIXES)}.`;
    case 4:
      return `Claim ${rng.int(1, 12)} in the PR description ("${rng.pick(FN_NAMES)} is covered by tests") is ${rng.pick(['unverified', 'false', 'partially true'])}: no test under tests/ references it.`;
    case 5:
      return `Latency regressed from ${rng.int(80, 400)} ms to ${rng.int(400, 4000)} ms after \`${path}\` started calling \`${rng.pick(FN_NAMES)}\` per row.`;
    case 6:
      return `The change to \`${path}\` is otherwise sound → ${rng.pick(['✅ approve once fixed', 'request changes', 'needs a second reviewer'])}.`;
    default:
      return `See also ${rng.pick(c.paths)} (${rng.pick(CHECKS)}), where the same pattern was fixed by ${rng.pick(FIXES)}.`;
  }
}

function codeBlock(c: TextCtx, file: string): string {
  const { rng } = c;
  const rust = file.endsWith('.rs');
  const lines: string[] = [];
  const n = rng.int(3, 9);
  for (let i = 0; i < n; i++) {
    const v = rng.pick(VARS);
    const f = rng.pick(FN_NAMES);
    lines.push(
      rust
        ? rng.pick([
            `    let ${v} = ${f}(&${rng.pick(VARS)}).await?;`,
            `    if ${v}.len() > ${rng.int(1, 512)} { return Err(Error::TooMany(${v}.len())); }`,
            `    let guard = self.${v}.lock().unwrap();`,
            `    tracing::debug!(run_id = %ctx.run_id, "${f} took {}ms", t0.elapsed().as_millis());`,
            `    // TODO: ${rng.pick(ISSUES)}`,
          ])
        : rng.pick([
            `  const ${v} = await ${f}(${rng.pick(VARS)});`,
            `  if (${v}.length > ${rng.int(1, 512)}) return null;`,
            `  for (const row of ${v}) ${f}(row, { strict: ${rng.chance(0.5)} });`,
            `  log.info({ run_id: ctx.run_id, ms: Date.now() - t0 }, "${f}");`,
            `  // FIXME: ${rng.pick(ISSUES)}`,
          ]),
    );
  }
  return '```' + (rust ? 'rust' : 'ts') + '\n' + lines.join('\n') + '\n```';
}

function maybeSecret(c: TextCtx): string | null {
  if (!c.rng.chance(c.secretRate)) return null;
  const kind = c.rng.pick(SECRET_KINDS);
  c.secrets[kind]++;
  return SECRET_FRAMES[kind].replace('%s', buildSecret(c.rng, kind));
}

/** Markdown code-review prose of about targetChars, with paths, line refs and code fences. */
function reviewProse(c: TextCtx, file: string, targetChars: number): string {
  const { rng } = c;
  const parts: string[] = [`## Review: \`${file}\``, ''];
  let len = 40;
  let finding = 0;
  const secret = maybeSecret(c);
  let secretAt = secret === null ? -1 : rng.int(0, 4);
  while (len < targetChars) {
    let block: string;
    const r = rng.next();
    if (r < 0.45) {
      const k = rng.int(2, 5);
      const ss: string[] = [];
      for (let i = 0; i < k; i++) ss.push(sentence(c, file));
      block = ss.join(' ');
    } else if (r < 0.8) {
      finding++;
      block = `### ${finding}. [${rng.pick(SEVERITIES)}] ${rng.pick(ISSUES)}\n\n- where: \`${rng.chance(0.7) ? file : rng.pick(c.paths)}:${rng.int(3, 1800)}\`\n- why: ${sentence(c, file)}\n- fix: ${rng.pick(FIXES)}`;
    } else {
      block = codeBlock(c, file);
    }
    if (secretAt-- === 0 && secret !== null) block += '\n\n' + secret;
    parts.push(block, '');
    len += block.length + 2;
  }
  if (secretAt >= 0 && secret !== null) parts.push(secret, '');
  parts.push(`**Verdict:** ${rng.pick(['accept', 'accept with nits', 'request changes', 'reject'])}`);
  return parts.join('\n');
}

function shortNote(c: TextCtx, file: string, sentences: number): string {
  const ss: string[] = [];
  for (let i = 0; i < sentences; i++) ss.push(sentence(c, file));
  const secret = maybeSecret(c);
  if (secret !== null) ss.splice(c.rng.int(0, ss.length), 0, secret);
  return ss.join(' ');
}

// ---------------------------------------------------------------------------------------------
// Writing

const FLUSH_CHARS = 1 << 20;

class StreamWriter {
  readonly stats: StreamStats;
  private readonly fd: number;
  private readonly hasher = new Bun.CryptoHasher('sha256');
  private pending = '';

  constructor(dir: string, name: StreamName) {
    const file = `${name}.jsonl`;
    this.fd = openSync(join(dir, file), 'w');
    this.stats = { file, bytes: 0, lines: 0, records: 0, sha256: '' };
  }

  writeText(line: string): number {
    this.pending += line + '\n';
    this.stats.lines++;
    const bytes = Buffer.byteLength(line) + 1;
    this.stats.bytes += bytes;
    if (this.pending.length >= FLUSH_CHARS) this.flush();
    return bytes;
  }

  writeBytes(line: Uint8Array): number {
    this.flush();
    const withNl = new Uint8Array(line.length + 1);
    withNl.set(line);
    withNl[line.length] = 0x0a;
    this.put(withNl);
    this.stats.lines++;
    this.stats.bytes += withNl.length;
    return withNl.length;
  }

  flush(): void {
    if (this.pending === '') return;
    this.put(Buffer.from(this.pending));
    this.pending = '';
  }

  close(): void {
    this.flush();
    closeSync(this.fd);
    this.stats.sha256 = this.hasher.digest('hex');
  }

  private put(buf: Uint8Array): void {
    this.hasher.update(buf);
    let off = 0;
    while (off < buf.length) off += writeSync(this.fd, buf, off, buf.length - off);
  }
}

// Invalid in UTF-8 whatever follows: a byte that never occurs, a lead byte without its continuation,
// an encoded UTF-16 surrogate, a truncated 3-byte sequence followed by ASCII.
const INVALID_UTF8: readonly (readonly number[])[] = [[0xff], [0xc3, 0x28], [0xed, 0xa0, 0x80], [0xe2, 0x82]];

function zeroCounts<K extends string>(keys: readonly K[]): Record<K, number> {
  const o = {} as Record<K, number>;
  for (const k of keys) o[k] = 0;
  return o;
}

/** Generates the data set into opts.out_dir and returns (and writes) its manifest. Synchronous, bounded memory. */
export function generateAuditorLogs(opts: GenOptions): GenManifest {
  mkdirSync(opts.out_dir, { recursive: true });
  rmSync(join(opts.out_dir, MANIFEST_FILE), { force: true });
  const rng = createRng(opts.seed);
  const paths = buildPaths(rng);
  const secrets = zeroCounts(SECRET_KINDS);
  const c: TextCtx = { rng, paths, secretRate: opts.secret_rate, secrets };
  const writers = {} as Record<StreamName, StreamWriter>;
  for (const s of STREAMS) writers[s] = new StreamWriter(opts.out_dir, s);
  const badLines: BadLine[] = [];
  const badByKind = zeroCounts<BadLineKind>(['truncated', 'invalid_utf8', 'blank']);
  let total = 0;

  const emit = (stream: StreamName, record: object): void => {
    const w = writers[stream];
    const line = JSON.stringify(record);
    if (w.stats.lines > 0 && rng.chance(opts.bad_rate)) {
      const kind = rng.weighted<BadLineKind>([['truncated', 4], ['invalid_utf8', 3], ['blank', 3]]);
      badLines.push({ stream, line: w.stats.lines + 1, kind });
      badByKind[kind]++;
      if (kind === 'blank') {
        total += w.writeText(rng.pick(['', '', ' ', '\t', '\r']));
      } else if (kind === 'truncated') {
        // Any proper prefix of a serialized object leaves a brace open, so it never parses.
        total += w.writeText(line.slice(0, rng.int(1, line.length - 1)));
      } else {
        // Inside a string value: the JSON stays well-formed, only the bytes are wrong.
        const at = line.indexOf('":"', rng.int(0, line.length >> 1));
        const cut = at < 0 ? line.indexOf('":"') + 3 : at + 3;
        const head = Buffer.from(line.slice(0, cut));
        const tail = Buffer.from(line.slice(cut));
        total += w.writeBytes(Buffer.concat([head, Uint8Array.from(rng.pick(INVALID_UTF8)), tail]));
      }
    }
    total += w.writeText(line);
    w.stats.records++;
  };

  let clock = Date.UTC(2026, 2, 1, 8, 0, 0);
  const iso = (ms: number): string => new Date(ms).toISOString();
  // audits carry the auditor host's local offset, as the recon's timestamps do (-05:00).
  const isoOffset = (ms: number): string => new Date(ms - 5 * 3600_000).toISOString().replace('Z', '-05:00');
  const sig = (): string => rng.hex(64);
  const models = (n: number): string[] => {
    const out: string[] = [];
    for (let i = 0; i < n; i++) out.push(rng.pick(MODELS));
    return out;
  };
  const embedding = (dim: number): number[] => {
    const v: number[] = [];
    for (let i = 0; i < dim; i++) v.push(Math.round((rng.next() * 2 - 1) * 1e4) / 1e4);
    return v;
  };
  const distilled = (
    stream: 'distilled_facts' | 'distilled_procedures' | 'distilled_config_hints',
    run_id: string,
    file: string,
  ): void => {
    const text =
      stream === 'distilled_procedures'
        ? `1. Run \`bun test ${file.replace(/\.rs$/, '.test.ts')}\`. 2. ${shortNote(c, file, 1)} 3. Re-run the gate and attach its exit status.`
        : stream === 'distilled_config_hints'
          ? `In config/modes.toml set ${rng.pick(MODES)}.timeout_ms = ${rng.int(10, 240) * 1000} for ${rng.pick(MODELS)}; ${shortNote(c, file, 1)}`
          : shortNote(c, file, rng.int(1, 3));
    emit(stream, {
      run_id,
      sig_hash: sig(),
      created_at: iso(clock),
      extractor: rng.pick(MODELS),
      verifier: rng.pick(MODELS),
      categorizer: rng.pick(MODELS),
      category: rng.pick(FACT_CATEGORIES),
      text,
      embedding: embedding(256),
      embed_dim: 256,
      schema_version: 1,
      source_label: rng.pick(['scrum_review', 'pr_audit', 'observer']),
      source_service: rng.pick(SERVICES),
    });
  };

  let prs = 0;
  let prNumber = 40 + rng.int(0, 20);
  const emitPr = (): void => {
    prs++;
    prNumber += rng.int(1, 3);
    const head_sha = rng.hex(40);
    const verdict = rng.weighted([['pass', 45], ['warn', 35], ['block', 20]] as const);
    const findings: object[] = [];
    const nf = verdict === 'pass' ? rng.int(0, 6) : rng.int(4, 30);
    for (let i = 0; i < nf; i++) {
      const file = rng.pick(paths);
      findings.push({
        check: rng.pick(CHECKS),
        severity: verdict === 'block' && i === 0 ? 'critical' : rng.pick(SEVERITIES),
        path: file,
        line: rng.int(1, 1800),
        message: sentence(c, file),
        evidence: rng.chance(0.5) ? shortNote(c, file, 1) : null,
        blocking: verdict === 'block' && i < 2,
      });
    }
    const audited_at = isoOffset(clock);
    emit('audits', {
      pr_number: prNumber,
      head_sha,
      base_sha: rng.hex(40),
      audited_at,
      verdict,
      summary: `${nf} findings${verdict === 'block' ? `, ${Math.min(2, nf)} blocking` : ''}: ${shortNote(c, rng.pick(paths), 2)}`,
      findings,
      inference: reviewProse(c, rng.pick(paths), rng.int(2000, 9000)),
      models: models(3),
      duration_ms: rng.int(20_000, 600_000),
    });
    const facts = rng.int(1, 4);
    for (let i = 0; i < facts; i++) {
      const file = rng.pick(paths);
      emit('audit_facts', {
        pr_number: prNumber,
        head_sha,
        extracted_at: iso(clock + i * 1000),
        extractor: rng.pick(MODELS),
        verifier: rng.pick(MODELS),
        llm_team_run_id: `ltr-${rng.hex(12)}`,
        text: shortNote(c, file, rng.int(1, 3)),
        entities: [file, rng.pick(FN_NAMES), rng.pick(FN_NAMES)],
        relationships: [{ from: rng.pick(FN_NAMES), rel: rng.pick(['calls', 'reads', 'writes', 'configures']), to: file }],
      });
    }
    const lessons = rng.int(1, 3);
    for (let i = 0; i < lessons; i++) {
      const file = rng.pick(paths);
      emit('audit_lessons', {
        pr_number: prNumber,
        head_sha,
        extracted_at: iso(clock + i * 1000),
        extractor: rng.pick(MODELS),
        verifier: rng.pick(MODELS),
        lesson_kind: rng.pick(['failure_mode', 'recovery', 'convention', 'test_gap']),
        text: shortNote(c, file, rng.int(2, 4)),
      });
    }
    if (rng.chance(0.25) || prs === 1) {
      const file = rng.pick(paths);
      const votes = models(3).map((model, i) => ({
        model,
        vote: i === 2 ? 'false' : rng.pick(['true', 'false']),
        rationale: sentence(c, file),
      }));
      emit('audit_discrepancies', {
        pr_number: prNumber,
        head_sha,
        claim_idx: rng.int(0, 11),
        claim: `${rng.pick(FN_NAMES)} ${rng.pick(['is covered by tests', 'handles the empty case', 'no longer blocks the executor'])}`,
        votes,
        resolution: rng.pick(['majority_true', 'majority_false', 'escalated']),
      });
    }
  };

  let runs = 0;
  while (total < opts.target_bytes) {
    const first = runs === 0;
    runs++;
    clock += rng.int(20, 400) * 1000;
    const run_id = `run-${iso(clock).slice(0, 10).replaceAll('-', '')}-${runs.toString(36).padStart(6, '0')}-${rng.hex(6)}`;
    const task_class = rng.weighted(TASK_CLASSES);
    const file = rng.pick(paths);
    const attempts = rng.weighted([[1, 60], [2, 25], [3, 10], [4, 5]] as const);
    const succeeded = rng.chance(0.8);
    const tried: string[] = [];
    let confSum = 0;
    let thin = 0;
    const errors: string[] = [];
    for (let a = 1; a <= attempts; a++) {
      const model = rng.pick(MODELS);
      tried.push(model);
      const latency_ms = rng.int(800, 90_000);
      clock += latency_ms;
      // 1–8 KB, skewed towards the short end as real responses are.
      const response = reviewProse(c, file, Math.floor(1024 + 7168 * rng.next() ** 1.5));
      const ok = a === attempts ? succeeded : false;
      if (!ok && rng.chance(0.5)) errors.push(rng.pick(ERROR_STRINGS));
      if (!ok && rng.chance(0.3)) thin++;
      const sources = [];
      const ns = rng.int(0, 8);
      for (let i = 0; i < ns; i++) sources.push({ corpus: rng.pick(CORPORA), doc_id: `doc-${rng.hex(10)}`, score: Math.round(rng.next() * 1000) / 1000 });
      emit('mode_experiments', {
        ts: iso(clock),
        run_id,
        task_class,
        mode: rng.pick(MODES),
        model,
        file_path: file,
        attempt: a,
        sources,
        latency_ms,
        prompt_chars: rng.int(2_000, 60_000),
        response,
        response_chars: response.length,
        ok,
      });
      if (rng.chance(0.9) || first) {
        const accept = ok ? rng.chance(0.92) : rng.chance(0.08);
        const confidence = Math.round((0.5 + rng.next() * 0.49) * 100) / 100;
        confSum += confidence;
        emit('observer_reviews', {
          run_id,
          ts: iso(clock + 1500),
          attempt: a,
          model: rng.pick(MODELS),
          verdict: accept ? 'accept' : 'reject',
          confidence,
          notes: shortNote(c, file, rng.int(1, 4)),
        });
      }
    }
    const accepted_model = succeeded ? (tried[tried.length - 1] ?? null) : null;
    if (task_class === 'scrum_review' || task_class === 'code_patch' || first) {
      const forensic = rng.chance(0.3);
      const review = forensic
        ? JSON.stringify(
            {
              file,
              findings: Array.from({ length: rng.int(1, 6) }, () => ({
                line: rng.int(1, 1800),
                severity: rng.pick(SEVERITIES),
                issue: rng.pick(ISSUES),
                fix: rng.pick(FIXES),
              })),
              confidence: Math.round(rng.next() * 100) / 100,
            },
            null,
            2,
          )
        : reviewProse(c, file, rng.int(1200, 4500));
      emit('scrum_reviews', {
        file,
        reviewed_at: iso(clock + 3000),
        run_id,
        accepted_model,
        accepted_on_attempt: succeeded ? attempts : null,
        attempts_made: attempts,
        verdict: succeeded ? rng.pick(['accepted', 'accepted', 'accepted_with_nits']) : 'rejected',
        review_format: forensic ? 'forensic_json' : 'markdown',
        review,
      });
      if (rng.chance(0.85) || first) {
        const action = succeeded
          ? rng.weighted([['applied', 75], ['gate_failed', 15], ['reverted', 5], ['skipped', 5]] as const)
          : 'skipped';
        const gates = action === 'skipped'
          ? []
          : rng.pick([['cargo_check', 'cargo_test', 'clippy'], ['tsc', 'bun_test'], ['diff_size', 'format', 'cargo_check']]).map((name, i, all) => {
              const failed = (action === 'gate_failed' || action === 'reverted') && i === all.length - 1;
              return {
                name,
                passed: !failed,
                ms: rng.int(300, 240_000),
                detail: failed ? `${name} exited ${rng.int(1, 101)}: ${rng.pick(ISSUES)}` : 'ok',
              };
            });
        emit('auto_apply', {
          file,
          ts: iso(clock + 9000),
          run_id,
          action,
          patches_applied: action === 'applied' ? rng.int(1, 6) : 0,
          gates,
          commit: action === 'applied' ? rng.hex(40) : null,
        });
      }
    }
    emit('model_trust', {
      run_id,
      task_type: task_class,
      accepted_model,
      attempts_made: attempts,
      confidence_avg: Math.round((confSum / attempts) * 1000) / 1000,
      errors,
      thin_rejections: thin,
    });
    if (rng.chance(0.9) || first) {
      const total_events = rng.int(attempts * 3, attempts * 20);
      emit('outcomes', {
        run_id,
        sig_hash: sig(),
        created_at: iso(clock + 10_000),
        models: tried,
        total_events,
        ok_events: succeeded ? rng.int(Math.floor(total_events / 2), total_events) : rng.int(0, Math.floor(total_events / 2)),
        total_citations: rng.int(0, 40),
        total_gap_signals: rng.int(0, 6),
      });
    }
    if (rng.chance(0.015) || first) {
      emit('human_overrides', {
        run_id,
        ts: iso(clock + rng.int(60, 86_400) * 1000),
        decision: rng.chance(succeeded ? 0.3 : 0.6) ? 'accept' : 'reject',
        reason: shortNote(c, file, 1),
        by: rng.pick(PEOPLE),
      });
    }
    if (rng.chance(0.3) || first) {
      const n = rng.int(1, 2);
      for (let i = 0; i < n; i++) distilled('distilled_facts', run_id, file);
    }
    if (rng.chance(0.06) || first) distilled('distilled_procedures', run_id, file);
    if (rng.chance(0.06) || first) distilled('distilled_config_hints', run_id, file);
    if (rng.chance(0.02) || first) {
      const verdict = rng.pick(['accept', 'reject', 'uncertain']);
      emit('contract_analyses', {
        ts: iso(clock),
        ok: rng.chance(0.85),
        permit_id: `P-${rng.int(100000, 999999)}`,
        analysis: reviewProse(c, file, rng.int(1500, 3500)),
        matrix_corpora: [rng.pick(CORPORA), rng.pick(CORPORA)],
        matrix_hits: rng.int(0, 16),
        matrix_ms: rng.int(20, 3000),
        observer_verdict: verdict,
        observer_conf: Math.round(rng.next() * 100) / 100,
        observer_notes: shortNote(c, file, 2),
        observer_src: rng.pick(['observer', 'overseer']),
        cost: Math.round(rng.next() * 5000) / 100000,
        duration_ms: rng.int(2000, 180_000),
      });
    }
    if (rng.chance(0.005) || first) {
      emit('observer_escalations', {
        ts: iso(clock),
        sig_hash: sig(),
        cluster_size: rng.int(3, 40),
        analysis: shortNote(c, file, rng.int(3, 6)),
        mode: rng.pick(MODES),
        kb_preamble_chars: rng.int(0, 12_000),
      });
    }
    if (rng.chance(0.01) || first) {
      const verified = rng.int(0, 12);
      emit('phase_sweep_findings', {
        phase: rng.int(0, 8),
        phase_name: rng.pick(['recon', 'schemas', 'transforms', 'scoring', 'playbooks', 'exports', 'acceptance']),
        status: rng.pick(['done', 'in_progress', 'claimed_done']),
        claims_verified: verified,
        claims_fake: rng.int(0, 4),
        claims_partial: rng.int(0, 5),
        findings: Array.from({ length: rng.int(1, 5) }, () => sentence(c, rng.pick(paths))),
        evidence: Array.from({ length: rng.int(1, 4) }, () => `${rng.pick(paths)}:${rng.int(1, 900)}`),
        discovered_at: iso(clock),
      });
    }
    if (rng.chance(0.003) || first) {
      emit('doc_drift_corrections', {
        doc: rng.pick(['docs/PRD.md', 'docs/PHASES.md', 'README.md']),
        phase: rng.int(0, 8),
        status: rng.pick(['corrected', 'flagged']),
        claim: `${rng.pick(FN_NAMES)} is shipped`,
        correction: sentence(c, rng.pick(paths)),
        evidence: [`${rng.pick(paths)}:${rng.int(1, 900)}`],
        ts: iso(clock),
      });
    }
    if (rng.chance(0.3) || first) emitPr();
  }

  const streams = {} as Record<StreamName, StreamStats>;
  let lines = 0;
  let records = 0;
  for (const s of STREAMS) {
    const w = writers[s];
    w.close();
    streams[s] = w.stats;
    lines += w.stats.lines;
    records += w.stats.records;
  }
  const manifest: GenManifest = {
    generator_version: GENERATOR_VERSION,
    seed: opts.seed,
    target_bytes: opts.target_bytes,
    bad_rate: opts.bad_rate,
    secret_rate: opts.secret_rate,
    total_bytes: total,
    total_lines: lines,
    total_records: records,
    runs,
    prs,
    streams,
    bad_lines_by_kind: badByKind,
    bad_lines: badLines,
    secrets_by_kind: secrets,
  };
  writeFileSync(join(opts.out_dir, MANIFEST_FILE), JSON.stringify(manifest, null, 2) + '\n');
  return manifest;
}

// ---------------------------------------------------------------------------------------------
// CLI

const USAGE = `usage: bun bench/gen-auditor-logs.ts --out DIR --mb N [--seed N] [--bad-rate R] [--secret-rate R] [--json]

Writes DIR/<stream>.jsonl for the ${STREAMS.length} auditor-loop streams, about N megabytes (10^6 bytes) in all,
plus DIR/${MANIFEST_FILE} (JSON). Same options → byte-identical output.
  --seed N          PRNG seed (default ${DEFAULT_SEED})
  --bad-rate R      share of bad lines: truncated, invalid UTF-8, blank (default ${DEFAULT_BAD_RATE})
  --secret-rate R   share of text fields carrying a key-shaped secret (default ${DEFAULT_SECRET_RATE})
  --json            print the manifest (without the bad line list) on stdout instead of a table`;

function parseNumberFlag(name: string, raw: string | undefined): number {
  const n = raw === undefined ? Number.NaN : Number(raw);
  if (!Number.isFinite(n) || n < 0) {
    console.error(`gen-auditor-logs: ${name} needs a non-negative number, got ${raw ?? 'nothing'}\n\n${USAGE}`);
    process.exit(2);
  }
  return n;
}

function main(argv: string[]): void {
  let out: string | null = null;
  let mb: number | null = null;
  let seed = DEFAULT_SEED;
  let badRate = DEFAULT_BAD_RATE;
  let secretRate = DEFAULT_SECRET_RATE;
  let json = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--out') out = argv[++i] ?? null;
    else if (a === '--mb') mb = parseNumberFlag('--mb', argv[++i]);
    else if (a === '--seed') seed = parseNumberFlag('--seed', argv[++i]);
    else if (a === '--bad-rate') badRate = parseNumberFlag('--bad-rate', argv[++i]);
    else if (a === '--secret-rate') secretRate = parseNumberFlag('--secret-rate', argv[++i]);
    else if (a === '--json') json = true;
    else if (a === '--help' || a === '-h') {
      console.log(USAGE);
      return;
    } else {
      console.error(`gen-auditor-logs: unknown argument ${a}\n\n${USAGE}`);
      process.exit(2);
    }
  }
  if (out === null || mb === null) {
    console.error(`gen-auditor-logs: --out and --mb are required\n\n${USAGE}`);
    process.exit(2);
  }
  const t0 = performance.now();
  const m = generateAuditorLogs({ out_dir: out, target_bytes: Math.round(mb * 1e6), seed, bad_rate: badRate, secret_rate: secretRate });
  const secs = (performance.now() - t0) / 1000;
  if (json) {
    const { bad_lines: _omit, ...rest } = m;
    console.log(JSON.stringify(rest, null, 2));
  } else {
    console.log(`stream                       bytes      share     lines`);
    for (const s of STREAMS) {
      const st = m.streams[s];
      console.log(`${s.padEnd(24)} ${String(st.bytes).padStart(12)} ${((100 * st.bytes) / m.total_bytes).toFixed(2).padStart(8)}% ${String(st.lines).padStart(9)}`);
    }
    const secretsTotal = Object.values(m.secrets_by_kind).reduce((x, y) => x + y, 0);
    console.log(
      `total ${m.total_bytes} bytes, ${m.total_lines} lines (${m.bad_lines.length} bad: ${JSON.stringify(m.bad_lines_by_kind)}), ` +
        `${m.runs} runs, ${m.prs} PRs, ${secretsTotal} secrets planted`,
    );
  }
  console.error(`gen-auditor-logs: wrote ${out} in ${secs.toFixed(1)} s (seed ${seed})`);
}

if (import.meta.main) main(process.argv.slice(2));
